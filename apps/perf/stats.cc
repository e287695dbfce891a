#include "perf/stats.h"

#include <algorithm>
#include <cmath>

namespace edgert::app {

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = rank - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

LatencyStats ComputeStats(std::vector<double> s) {
  LatencyStats st;
  st.count = s.size();
  if (s.empty()) return st;
  std::sort(s.begin(), s.end());
  st.min_ms = s.front();
  st.max_ms = s.back();
  double sum = 0;
  for (double v : s) sum += v;
  st.mean_ms = sum / static_cast<double>(s.size());
  double var = 0;
  for (double v : s) var += (v - st.mean_ms) * (v - st.mean_ms);
  st.stddev_ms = std::sqrt(var / static_cast<double>(s.size()));
  st.cov = st.mean_ms > 0 ? st.stddev_ms / st.mean_ms : 0;
  st.median_ms = Percentile(s, 50);
  st.p90_ms = Percentile(s, 90);
  st.p95_ms = Percentile(s, 95);
  st.p99_ms = Percentile(s, 99);
  return st;
}

}  // namespace edgert::app

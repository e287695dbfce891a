#pragma once

#include <cstddef>
#include <vector>

namespace edgert::app {

// Summary statistics of latency samples, all in milliseconds.
struct LatencyStats {
  size_t count = 0;
  double min_ms = 0, max_ms = 0, mean_ms = 0, median_ms = 0;
  double p90_ms = 0, p95_ms = 0, p99_ms = 0;
  double stddev_ms = 0;  // population standard deviation
  double cov = 0;        // coefficient of variation: stddev / mean
};

// Percentile p in [0, 100] of `sorted` (ascending) by linear interpolation between closest
// ranks (numpy's default "linear" method). Empty input gives 0.
double Percentile(const std::vector<double>& sorted, double p);

// Statistics of the samples (in any order).
LatencyStats ComputeStats(std::vector<double> samples_ms);

}  // namespace edgert::app

#include "verifier/metrics.h"

#include <algorithm>
#include <cmath>

namespace edgert::app {

CompareResult Compare(const std::vector<float>& a, const std::vector<float>& b,
                      const Tolerance& tol) {
  CompareResult r;
  r.count = a.size();
  double dot = 0, na = 0, nb = 0, sum_abs = 0, sum_sq = 0;
  size_t finite = 0;
  const double dec_limit = tol.decimal >= 0 ? 1.5 * std::pow(10.0, -tol.decimal) : 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double x = a[i], y = b[i];
    r.nan_a += std::isnan(x);
    r.nan_b += std::isnan(y);
    r.inf_a += std::isinf(x);
    r.inf_b += std::isinf(y);
    if (!std::isfinite(x) || !std::isfinite(y)) {
      const bool same = (std::isnan(x) && std::isnan(y)) || (std::isinf(x) && x == y);
      if (!same) {
        r.tol_use = HUGE_VAL;
        ++r.nonfinite_mismatch;
        ++r.tol_mismatch;
        if (tol.decimal >= 0) ++r.decimal_mismatch;
      }
      continue;
    }
    ++finite;
    dot += x * y;
    na += x * x;
    nb += y * y;
    const double err = std::fabs(x - y);
    sum_abs += err;
    sum_sq += err * err;
    if (err > r.max_abs_error) {
      r.max_abs_error = err;
      r.max_abs_index = i;
    }
    if (std::fabs(y) > tol.atol) {
      const double rel = err / std::fabs(y);
      if (rel > r.max_rel_error) {
        r.max_rel_error = rel;
        r.max_rel_index = i;
      }
    }
    const double allowed = tol.atol + tol.rtol * std::fabs(y);
    if (!(err <= allowed)) ++r.tol_mismatch;
    if (err > 0) r.tol_use = std::max(r.tol_use, allowed > 0 ? err / allowed : HUGE_VAL);
    r.max_abs_ref = std::max(r.max_abs_ref, std::fabs(y));
    if (tol.decimal >= 0 && !(err < dec_limit)) ++r.decimal_mismatch;
  }
  if (na == 0 && nb == 0)
    r.cosine = 1;
  else if (na == 0 || nb == 0)
    r.cosine = 0;
  else
    r.cosine = dot / (std::sqrt(na) * std::sqrt(nb));
  if (finite) {
    r.mean_abs_error = sum_abs / static_cast<double>(finite);
    r.rmse = std::sqrt(sum_sq / static_cast<double>(finite));
  }
  return r;
}

std::string IndexString(size_t index, const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  if (shape.empty() || static_cast<size_t>(n) <= index) return "[" + std::to_string(index) + "]";
  std::vector<int64_t> idx(shape.size());
  auto rem = static_cast<int64_t>(index);
  for (size_t i = shape.size(); i-- > 0;) {
    idx[i] = rem % shape[i];
    rem /= shape[i];
  }
  std::string s = "(";
  for (size_t i = 0; i < idx.size(); ++i) s += (i ? "," : "") + std::to_string(idx[i]);
  return s + ")";
}

}  // namespace edgert::app

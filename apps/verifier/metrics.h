#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgert::app {

// Element tolerances: an element matches when |a - b| <= atol + rtol * |b| (numpy.isclose with
// b the reference); NaN matches NaN, and +-Inf matches the same infinity.
struct Tolerance {
  double atol = 1e-5;  // the verifier's default is relative to the reference: see VerifierParams
  double rtol = 1e-3;
  int decimal = -1;  // >= 0: also count elements with |a - b| >= 1.5 * 10^-decimal
};

// Comparison of `a` (the board / the run under test) against `b` (the reference).
struct CompareResult {
  size_t count = 0;
  // Cosine similarity over the elements finite on both sides. Two all-zero vectors have
  // cosine 1 (identical); exactly one all-zero vector has cosine 0.
  double cosine = 0;
  double max_abs_error = 0;
  size_t max_abs_index = 0;  // flat index of the largest absolute error
  // max |a - b| / |b| over elements with |b| > atol (tiny references would make it meaningless)
  double max_rel_error = 0;
  size_t max_rel_index = 0;
  double mean_abs_error = 0;  // over finite pairs
  double rmse = 0;            // over finite pairs
  size_t nan_a = 0, nan_b = 0, inf_a = 0, inf_b = 0;
  size_t nonfinite_mismatch = 0;  // positions where NaN/Inf differ between the sides
  size_t tol_mismatch = 0;        // elements outside atol/rtol
  // How much of the atol/rtol allowance the worst element uses: max |a - b| / (atol + rtol*|b|)
  // over the elements (0 when equal; <= 1 when every element is within; +inf for a NaN/Inf
  // mismatch or an error where the allowance is 0). The margin to failing is 1 - this.
  double tol_use = 0;
  double max_abs_ref = 0;       // max |b| over finite b
  size_t decimal_mismatch = 0;  // elements failing --decimal (0 when decimal < 0)
};

// Requires a.size() == b.size() (callers check and report sizes).
CompareResult Compare(const std::vector<float>& a, const std::vector<float>& b,
                      const Tolerance& tol);

// Flat index -> "(0,2,1,3)" in `shape`; "[index]" when the shape is unknown or does not match.
std::string IndexString(size_t index, const std::vector<int64_t>& shape);

}  // namespace edgert::app

#pragma once

// Products of dimensions, strides and byte sizes that report overflow instead of wrapping:
// signed overflow is undefined behaviour, and a product that wraps to a small number (or 0) would
// let a crafted file pass a size check. Every shape product taken from a file goes through here.

#include <cstdint>
#include <vector>

namespace edgert {

// *out = a * b; false (and *out unchanged) when either is negative or the product overflows.
inline bool CheckedMul(int64_t a, int64_t b, int64_t* out) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) return false;
  *out = r;
  return true;
}

// *out = the product of `dims` times `scale` (1 for an empty list); false as CheckedMul.
inline bool CheckedProduct(const std::vector<int64_t>& dims, int64_t scale, int64_t* out) {
  int64_t n = scale;
  for (int64_t d : dims)
    if (!CheckedMul(n, d, &n)) return false;
  *out = n;
  return true;
}

// a * b, or INT64_MAX where it would overflow: for statistics (MAC counts), never for sizes.
inline int64_t SaturatingMul(int64_t a, int64_t b) {
  int64_t r;
  return CheckedMul(a, b, &r) ? r : INT64_MAX;
}
inline int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

}  // namespace edgert

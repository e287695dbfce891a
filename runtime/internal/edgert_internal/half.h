#pragma once

// Internal to this build: IEEE 754 binary16 (F16) conversions in plain integer arithmetic, the
// same on every target (gcc 12 has no C++ _Float16 on aarch64). Shared by the runtime (tensor
// I/O, Cast) and the compiler (FLOAT16 constants).

#include <cstdint>
#include <cstring>

namespace edgert {

// Exact: every binary16 value is a float.
inline float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: renormalize
      exp = 127 - 15 + 1;
      while (!(man & 0x400u)) {
        man <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((man & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Rounds to nearest, ties to even; beyond the largest finite value (65504, from 65520 up) it is
// +-inf; a NaN stays a (quiet) NaN.
inline uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u)  // inf, NaN
    return sign | (ax > 0x7f800000u ? 0x7e00u | ((ax >> 13) & 0x3ffu) : 0x7c00u);
  if (ax >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520: rounds up to inf
  uint32_t q, rem, half;
  if (ax < 0x38800000u) {  // below 2^-14: a subnormal (or zero) in units of 2^-24
    const uint32_t e = ax >> 23;
    if (e < 102) return sign;  // below 2^-25: rounds to 0
    const uint32_t m = (ax & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - e;  // 14..24
    q = m >> shift;
    rem = m & ((1u << shift) - 1);
    half = 1u << (shift - 1);
  } else {  // rebias the exponent (127 -> 15) and drop 13 mantissa bits
    const uint32_t r = ax - 0x38000000u;
    q = r >> 13;
    rem = r & 0x1fffu;
    half = 0x1000u;
  }
  if (rem > half || (rem == half && (q & 1u))) ++q;  // a carry may reach the exponent: right
  return static_cast<uint16_t>(sign | q);
}

}  // namespace edgert

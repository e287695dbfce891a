#pragma once

// Small shape, permutation and dense-data helpers shared by the ONNX lowering.

#include <cstdint>
#include <string>
#include <vector>

#include "edgert/status.h"

namespace edgert::compiler {

using Shape = std::vector<int64_t>;
// A layout permutation: stored dim i holds logical (ONNX) dim perm[i].
using Perm = std::vector<int>;

// The element count; INT64_MAX where the product overflows (a crafted shape), never UB.
int64_t Numel(const Shape& s);
Perm IdentityPerm(size_t rank);
bool IsIdentity(const Perm& p);
Perm InversePerm(const Perm& p);
// out[i] = s[p[i]]
Shape Permute(const Shape& s, const Perm& p);
std::vector<int64_t> ToInts(const Perm& p);
std::string PermToString(const Perm& p);

// Numpy broadcast of two shapes; kInvalidArgument when they are incompatible.
Result<Shape> BroadcastShapes(const Shape& a, const Shape& b);

// Dense row-major transpose: out = in.transpose(perm), out dim i = in dim perm[i].
template <typename T>
std::vector<T> TransposeData(const std::vector<T>& in, const Shape& shape, const Perm& perm) {
  const size_t r = shape.size();
  const Shape out_shape = Permute(shape, perm);
  std::vector<int64_t> in_strides(r);
  int64_t s = 1;
  for (size_t i = r; i-- > 0;) {
    in_strides[i] = s;
    s *= shape[i];
  }
  std::vector<T> out(in.size());
  std::vector<int64_t> idx(r, 0);
  for (size_t o = 0; o < out.size(); ++o) {
    int64_t off = 0;
    for (size_t i = 0; i < r; ++i) off += idx[i] * in_strides[perm[i]];
    out[o] = in[off];
    for (size_t i = r; i-- > 0;) {
      if (++idx[i] < out_shape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

// Element offsets into a tensor of shape `in` (rank <= out rank, numpy-aligned from the right)
// for every element of the broadcast shape `out`, in row-major order.
std::vector<int64_t> BroadcastOffsets(const Shape& in, const Shape& out);

}  // namespace edgert::compiler

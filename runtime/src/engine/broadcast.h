#pragma once

// Numpy broadcasting of two stored shapes for elementwise binary kernels (the portable f32 ops of
// portable_kernels.cc and the integer ops of int_kernels.cc share it). Setup plans the loop once:
// broadcast dimensions step 0, size-1 dimensions are dropped and contiguous neighbours merged, so
// Run walks rows of the innermost dimension with an input step of 0 or 1 each.

#include <cstdint>

#include "engine/copy_plan.h"
#include "engine/kernel.h"

namespace edgert::engine {

struct BroadcastPlan {
  int rank = 0;  // 0: one element
  int64_t shape[kMaxRank] = {};
  int64_t stride_a[kMaxRank] = {};  // in elements
  int64_t stride_b[kMaxRank] = {};

  // Plans y = a op b. Ranks may differ (leading 1s are implied). An error (ctx.Error) when the
  // shapes do not broadcast, the rank is above kMaxRank or y's shape is not the broadcast shape.
  Status Init(const NodeContext& ctx, const TensorRef& a, const TensorRef& b, const TensorRef& y);

  // Calls row(a, step_a, b, step_b, y, n) for every row of n output elements in order; the steps
  // are 0 (a broadcast scalar) or 1. Element types may differ (Pow's exponent). Stops at, and
  // returns, the first false `row` returns; true when every row ran.
  template <typename A, typename B, typename Y, typename Row>
  bool ForEachRow(const A* a, const B* b, Y* y, Row&& row) const {
    if (rank == 0) return row(a, int64_t{0}, b, int64_t{0}, y, int64_t{1});
    const int inner = rank - 1;
    const int64_t n = shape[inner];
    int64_t idx[kMaxRank] = {};
    for (;;) {
      if (!row(a, stride_a[inner], b, stride_b[inner], y, n)) return false;
      y += n;
      int d = inner - 1;
      for (; d >= 0; --d) {
        a += stride_a[d];
        b += stride_b[d];
        if (++idx[d] < shape[d]) break;
        a -= stride_a[d] * shape[d];
        b -= stride_b[d] * shape[d];
        idx[d] = 0;
      }
      if (d < 0) return true;
    }
  }
};

}  // namespace edgert::engine

#pragma once

// Numpy broadcasting of two (or, for Where, three) stored shapes for elementwise kernels (the
// portable f32 ops of portable_kernels.cc, the integer ops of int_kernels.cc and the comparisons
// and Where of logic_kernels.cc share it). Setup plans the loop once:
// broadcast dimensions step 0, size-1 dimensions are dropped and contiguous neighbours merged, so
// Run walks rows of the innermost dimension with an input step of 0 or 1 each.

#include <cstdint>
#include <vector>

#include "engine/copy_plan.h"
#include "engine/kernel.h"

namespace edgert::engine {

struct BroadcastPlan {
  int rank = 0;  // 0: one element
  int64_t shape[kMaxRank] = {};
  int64_t stride_a[kMaxRank] = {};  // in elements
  int64_t stride_b[kMaxRank] = {};
  int64_t stride_c[kMaxRank] = {};  // the third input of Init3; all 0 after Init

  // Plans y = a op b. Ranks may differ (leading 1s are implied). An error (ctx.Error) when the
  // shapes do not broadcast, the rank is above kMaxRank or y's shape is not the broadcast shape.
  Status Init(const NodeContext& ctx, const TensorRef& a, const TensorRef& b, const TensorRef& y);
  // Plans y = f(a, b, c) the same way (Where: c the condition).
  Status Init3(const NodeContext& ctx, const TensorRef& a, const TensorRef& b, const TensorRef& c,
               const TensorRef& y);

  // Calls row(a, step_a, b, step_b, y, n) for every row of n output elements in order; the steps
  // are 0 (a broadcast scalar) or 1. Element types may differ (Pow's exponent). Stops at, and
  // returns, the first false `row` returns; true when every row ran.
  template <typename A, typename B, typename Y, typename Row>
  bool ForEachRow(const A* a, const B* b, Y* y, Row&& row) const {
    const uint8_t* none = nullptr;  // stride_c is 0: never moves
    return ForEachRow3(a, b, none, y,
                       [&row](const A* pa, int64_t sa, const B* pb, int64_t sb, const uint8_t*,
                              int64_t, Y* py, int64_t n) { return row(pa, sa, pb, sb, py, n); });
  }

  // The same over three inputs (a plan from Init3): row(a, step_a, b, step_b, c, step_c, y, n).
  template <typename A, typename B, typename C, typename Y, typename Row>
  bool ForEachRow3(const A* a, const B* b, const C* c, Y* y, Row&& row) const {
    if (rank == 0) return row(a, int64_t{0}, b, int64_t{0}, c, int64_t{0}, y, int64_t{1});
    const int inner = rank - 1;
    const int64_t n = shape[inner];
    int64_t idx[kMaxRank] = {};
    for (;;) {
      if (!row(a, stride_a[inner], b, stride_b[inner], c, stride_c[inner], y, n)) return false;
      y += n;
      int d = inner - 1;
      for (; d >= 0; --d) {
        a += stride_a[d];
        b += stride_b[d];
        c += stride_c[d];
        if (++idx[d] < shape[d]) break;
        a -= stride_a[d] * shape[d];
        b -= stride_b[d] * shape[d];
        c -= stride_c[d] * shape[d];
        idx[d] = 0;
      }
      if (d < 0) return true;
    }
  }

 private:
  Status Plan(const NodeContext& ctx, const std::vector<const TensorRef*>& ins, const TensorRef& y);
};

}  // namespace edgert::engine

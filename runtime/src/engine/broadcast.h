#pragma once

// Numpy broadcasting of up to three operands over stored shapes, planned at setup: shared by the
// binary arithmetic kernels (portable_kernels.cc) and the comparisons and Where
// (logic_kernels.cc). Shapes are aligned from the right; size-1 output dimensions are dropped and
// dimensions contiguous in every operand merged, so the innermost row is as long as possible and
// each operand steps through it by 1 (dense) or 0 (broadcast).

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/copy_plan.h"
#include "engine/kernel.h"

namespace edgert::engine {

class BroadcastPlan {
 public:
  static constexpr int kMaxOperands = 3;

  // Plans `ins` (1 to 3 tensors) into `out`, whose shape must be their broadcast shape. Errors
  // (ctx.Error) name the shapes that do not broadcast.
  Status Init(const NodeContext& ctx, const std::vector<const TensorRef*>& ins,
              const TensorRef& out) {
    operands_ = static_cast<int>(ins.size());
    int rank = 0;
    for (const TensorRef* t : ins) rank = std::max(rank, t->rank());
    if (rank > kMaxRank) return ctx.Error("rank above 8");
    std::vector<std::vector<int64_t>> s;
    for (const TensorRef* t : ins) {
      std::vector<int64_t> p(t->shape);
      p.insert(p.begin(), static_cast<size_t>(rank - t->rank()), 1);
      s.push_back(std::move(p));
    }
    std::vector<int64_t> shape(static_cast<size_t>(rank), 1);
    for (size_t d = 0; d < shape.size(); ++d)
      for (size_t k = 0; k < s.size(); ++k) {
        if (s[k][d] == shape[d] || s[k][d] == 1) continue;
        if (shape[d] != 1) {
          std::string names;
          for (const TensorRef* t : ins)
            names += (names.empty() ? "" : " and ") + ShapeToString(t->shape);
          return ctx.Error("shapes " + names + " do not broadcast");
        }
        shape[d] = s[k][d];
      }
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, out, shape));
    std::vector<std::vector<int64_t>> dense;
    for (const auto& p : s) dense.push_back(DenseStrides(p, 1));
    rank_ = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 1) continue;
      int64_t st[kMaxOperands] = {};
      for (size_t k = 0; k < s.size(); ++k) st[k] = s[k][d] == 1 ? 0 : dense[k][d];
      if (rank_ > 0) {
        const int j = rank_ - 1;
        bool merge = true;
        for (int k = 0; k < operands_; ++k) merge = merge && stride_[k][j] == st[k] * shape[d];
        if (merge) {
          shape_[j] *= shape[d];
          for (int k = 0; k < operands_; ++k) stride_[k][j] = st[k];
          continue;
        }
      }
      shape_[rank_] = shape[d];
      for (int k = 0; k < operands_; ++k) stride_[k][rank_] = st[k];
      ++rank_;
    }
    return Status::Ok();
  }

  // The step of operand k along the innermost row: 1 (dense) or 0 (broadcast).
  int64_t inner_stride(int k) const { return rank_ == 0 ? 0 : stride_[k][rank_ - 1]; }

  // Calls row(offsets, out_offset, n) for every innermost row of the output, in order:
  // offsets[k] is operand k's element offset of the row's first element.
  template <typename Row>
  void ForEachRow(Row&& row) const {
    int64_t off[kMaxOperands] = {};
    if (rank_ == 0) {
      row(off, int64_t{0}, int64_t{1});
      return;
    }
    const int inner = rank_ - 1;
    const int64_t n = shape_[inner];
    int64_t idx[kMaxRank] = {};
    for (int64_t o = 0;; o += n) {
      row(off, o, n);
      int d = inner - 1;
      for (; d >= 0; --d) {
        for (int k = 0; k < operands_; ++k) off[k] += stride_[k][d];
        if (++idx[d] < shape_[d]) break;
        for (int k = 0; k < operands_; ++k) off[k] -= stride_[k][d] * shape_[d];
        idx[d] = 0;
      }
      if (d < 0) return;
    }
  }

 private:
  int operands_ = 0;
  int rank_ = 0;
  int64_t shape_[kMaxRank] = {};
  int64_t stride_[kMaxOperands][kMaxRank] = {};
};

}  // namespace edgert::engine

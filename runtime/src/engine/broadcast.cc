#include "engine/broadcast.h"

#include <algorithm>
#include <string>
#include <vector>

namespace edgert::engine {

Status BroadcastPlan::Init(const NodeContext& ctx, const TensorRef& a, const TensorRef& b,
                           const TensorRef& y) {
  return Plan(ctx, {&a, &b}, y);
}

Status BroadcastPlan::Init3(const NodeContext& ctx, const TensorRef& a, const TensorRef& b,
                            const TensorRef& c, const TensorRef& y) {
  return Plan(ctx, {&a, &b, &c}, y);
}

Status BroadcastPlan::Plan(const NodeContext& ctx, const std::vector<const TensorRef*>& ins,
                           const TensorRef& y) {
  int r = 0;
  for (const TensorRef* t : ins) r = std::max(r, t->rank());
  if (r > kMaxRank) return ctx.Error("rank above 8");
  std::vector<std::vector<int64_t>> s;
  for (const TensorRef* t : ins) {
    s.push_back(t->shape);
    s.back().insert(s.back().begin(), static_cast<size_t>(r - t->rank()), 1);
  }
  std::vector<int64_t> out(static_cast<size_t>(r), 1);
  for (size_t d = 0; d < out.size(); ++d)
    for (const auto& sk : s) {
      if (sk[d] == out[d] || sk[d] == 1) continue;
      if (out[d] != 1) {
        std::string names;
        for (const TensorRef* t : ins)
          names += (names.empty() ? "" : " and ") + ShapeToString(t->shape);
        return ctx.Error("shapes " + names + " do not broadcast");
      }
      out[d] = sk[d];
    }
  if (y.shape != out)
    return ctx.Error("output '" + y.name + "' has shape " + ShapeToString(y.shape) +
                     ", the inputs give " + ShapeToString(out));
  int64_t* strides[3] = {stride_a, stride_b, stride_c};
  std::vector<std::vector<int64_t>> dense;
  for (const auto& sk : s) dense.push_back(DenseStrides(sk, 1));
  for (int64_t* st : strides) std::fill(st, st + kMaxRank, 0);
  rank = 0;
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1) continue;
    int64_t step[3] = {};
    for (size_t k = 0; k < s.size(); ++k) step[k] = s[k][d] == 1 ? 0 : dense[k][d];
    if (rank > 0) {
      const int j = rank - 1;
      bool merge = true;
      for (int k = 0; k < 3; ++k) merge = merge && strides[k][j] == step[k] * out[d];
      if (merge) {
        shape[j] *= out[d];
        for (int k = 0; k < 3; ++k) strides[k][j] = step[k];
        continue;
      }
    }
    shape[rank] = out[d];
    for (int k = 0; k < 3; ++k) strides[k][rank] = step[k];
    ++rank;
  }
  return Status::Ok();
}

}  // namespace edgert::engine

#include "engine/broadcast.h"

#include <algorithm>
#include <string>
#include <vector>

namespace edgert::engine {

Status BroadcastPlan::Init(const NodeContext& ctx, const TensorRef& a, const TensorRef& b,
                           const TensorRef& y) {
  const int r = std::max(a.rank(), b.rank());
  if (r > kMaxRank) return ctx.Error("rank above 8");
  std::vector<int64_t> sa(a.shape), sb(b.shape);
  sa.insert(sa.begin(), static_cast<size_t>(r - a.rank()), 1);
  sb.insert(sb.begin(), static_cast<size_t>(r - b.rank()), 1);
  std::vector<int64_t> out(static_cast<size_t>(r));
  for (size_t d = 0; d < out.size(); ++d) {
    if (sa[d] != sb[d] && sa[d] != 1 && sb[d] != 1)
      return ctx.Error("shapes " + ShapeToString(a.shape) + " and " + ShapeToString(b.shape) +
                       " do not broadcast");
    out[d] = sa[d] == 1 ? sb[d] : sa[d];
  }
  if (y.shape != out)
    return ctx.Error("output '" + y.name + "' has shape " + ShapeToString(y.shape) +
                     ", the inputs give " + ShapeToString(out));
  const std::vector<int64_t> da = DenseStrides(sa, 1), db = DenseStrides(sb, 1);
  rank = 0;
  for (size_t d = 0; d < out.size(); ++d) {
    const int64_t step_a = sa[d] == 1 ? 0 : da[d];
    const int64_t step_b = sb[d] == 1 ? 0 : db[d];
    if (out[d] == 1) continue;
    if (rank > 0) {
      const int j = rank - 1;
      if (stride_a[j] == step_a * out[d] && stride_b[j] == step_b * out[d]) {
        shape[j] *= out[d];
        stride_a[j] = step_a;
        stride_b[j] = step_b;
        continue;
      }
    }
    shape[rank] = out[d];
    stride_a[rank] = step_a;
    stride_b[rank] = step_b;
    ++rank;
  }
  return Status::Ok();
}

}  // namespace edgert::engine

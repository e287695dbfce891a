// Reductions: ReduceMean, ReduceSum, ReduceMax, ReduceMin (axes as an attribute, or as an input:
// ReduceSum from opset 13, the others from opset 18). One IR node of the same name.

#include <algorithm>
#include <set>

#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {

Status LowerReduce(Lowerer& ctx, const Node& n) {
  const std::string& op = n.op_type();
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  const int64_t r = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> axes;
  bool noop_empty = false;
  if (ctx.opset_ >= (op == "ReduceSum" ? 13 : 18)) {
    EDGERT_RETURN_IF_ERROR(ctx.IntsIfGiven(n, 1, "axes", &axes));
    noop_empty = AttrInt(n, "noop_with_empty_axes", 0) != 0;
  } else {
    axes = AttrInts(n, "axes");
  }
  const bool keep = AttrInt(n, "keepdims", 1) != 0;
  if (axes.empty() && noop_empty) {
    ctx.SetAct(n.output(0), x.tensor, x.shape, x.perm);
    return Status::Ok();
  }
  std::set<int64_t> red;
  if (axes.empty()) {
    for (int64_t d = 0; d < r; ++d) red.insert(d);
  }
  for (int64_t a : axes) {
    const int64_t ax = a < 0 ? a + r : a;
    if (ax < 0 || ax >= r) return ctx.Bad("axis out of range");
    red.insert(ax);
  }
  const Perm perm = x.is_const ? IdentityPerm(r) : x.perm;
  const int in = ctx.Stored(x, perm, n.input(0));
  const Perm inv = InversePerm(perm);
  std::vector<int64_t> stored_axes;
  for (int64_t a : red) stored_axes.push_back(inv[a]);
  std::sort(stored_axes.begin(), stored_axes.end());
  Shape out_shape;
  Perm out_perm;
  if (keep) {
    out_shape = x.shape;
    for (int64_t a : red) out_shape[a] = 1;
    out_perm = perm;
  } else {
    std::vector<int> new_index(r, -1);
    int k = 0;
    for (int64_t d = 0; d < r; ++d)
      if (!red.count(d)) {
        new_index[d] = k++;
        out_shape.push_back(x.shape[d]);
      }
    for (int p : perm)
      if (new_index[p] >= 0) out_perm.push_back(new_index[p]);
  }
  const int out = ctx.NewTensor(n.output(0), Permute(out_shape, out_perm));
  ctx.Emit(ctx.cur_name_, op, {in}, {out},
           {AttrDef::Ints("axes", stored_axes), AttrDef::Int("keepdims", keep ? 1 : 0)}, op);
  ctx.SetAct(n.output(0), out, out_shape, out_perm);
  return Status::Ok();
}

}  // namespace edgert::compiler

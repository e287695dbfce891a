// Normalization: BatchNormalization (inference), folded into the producing conv when it can be
// (fusion.cc), else a per-channel Mul and Add.

#include <cmath>

#include "model_compiler/lower/fusion.h"
#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {

Status LowerBatchNorm(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  EDGERT_ASSIGN_OR_RETURN(Const scale, ctx.ConstIn(n, 1, "scale"));
  EDGERT_ASSIGN_OR_RETURN(Const shift, ctx.ConstIn(n, 2, "B"));
  EDGERT_ASSIGN_OR_RETURN(Const mean, ctx.ConstIn(n, 3, "mean"));
  EDGERT_ASSIGN_OR_RETURN(Const var, ctx.ConstIn(n, 4, "var"));
  if (x.shape.size() < 2) return ctx.Bad("input needs rank >= 2");
  const int64_t c = x.shape[1];
  for (const Const* p : {&scale, &shift, &mean, &var})
    if (static_cast<int64_t>(p->size()) != c) return ctx.Bad("parameters must have C values");
  const float eps = AttrFloat(n, "epsilon", 1e-5f);
  std::vector<float> s(c), t(c);
  const auto sf = scale.Floats(), bf = shift.Floats(), mf = mean.Floats(), vf = var.Floats();
  for (int64_t i = 0; i < c; ++i) {
    s[i] = sf[i] / std::sqrt(vf[i] + eps);
    t[i] = bf[i] - mf[i] * s[i];
  }
  if (x.is_const) return ctx.NotSupported("BatchNormalization of a constant");
  if (FuseBatchNormIntoConv(ctx, n, s, t)) return Status::Ok();
  // Standalone: y = x * s + t with [1, C, 1, ...] constants in the stored order.
  Shape cs(x.shape.size(), 1);
  cs[1] = c;
  const int st = ctx.ConstTensor(n.input(1) + "_bn_scale", Permute(cs, x.perm), s);
  const int tt = ctx.ConstTensor(n.input(2) + "_bn_shift", Permute(cs, x.perm), t);
  const int mid = ctx.NewTensor(n.output(0) + "_scaled", Permute(x.shape, x.perm));
  ctx.Emit(ctx.cur_name_ + "/mul", "Mul", {x.tensor, st}, {mid}, {}, "BatchNormalization");
  const int out = ctx.NewTensor(n.output(0), Permute(x.shape, x.perm));
  ctx.Emit(ctx.cur_name_, "Add", {mid, tt}, {out}, {}, "BatchNormalization");
  ctx.SetAct(n.output(0), out, x.shape, x.perm);
  return Status::Ok();
}

}  // namespace edgert::compiler

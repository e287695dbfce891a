// Activations: Relu and Clip (a Clamp, fused into the producer when it can be), LeakyRelu,
// PRelu, Sigmoid, Tanh, HardSigmoid, HardSwish and Softmax. Each keeps its input's layout.

#include "model_compiler/lower/fusion.h"
#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {

// Relu and Clip.
Status LowerClamp(Lowerer& ctx, const Node& n) {
  const std::string& op = n.op_type();
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  float lo = op == "Relu" ? 0.f : -kInf, hi = kInf;
  if (op == "Clip") {
    if (ctx.opset_ < 11) {
      lo = AttrFloat(n, "min", -kInf);
      hi = AttrFloat(n, "max", kInf);
    } else {
      if (ctx.Has(n, 1)) {
        EDGERT_ASSIGN_OR_RETURN(Const c, ctx.ConstIn(n, 1, "min"));
        lo = static_cast<float>(c.At(0));
      }
      if (ctx.Has(n, 2)) {
        EDGERT_ASSIGN_OR_RETURN(Const c, ctx.ConstIn(n, 2, "max"));
        hi = static_cast<float>(c.At(0));
      }
    }
  }
  if (!x.is_const && FuseClampIntoProducer(ctx, n, lo, hi)) return Status::Ok();
  const int in = ctx.Stored(x, x.is_const ? IdentityPerm(x.shape.size()) : x.perm, n.input(0));
  const Perm perm = x.is_const ? IdentityPerm(x.shape.size()) : x.perm;
  const int out = ctx.NewTensor(n.output(0), Permute(x.shape, perm));
  std::vector<AttrDef> attrs;
  if (lo > -kInf) attrs.push_back(AttrDef::Float("min", lo));
  if (hi < kInf) attrs.push_back(AttrDef::Float("max", hi));
  ctx.Emit(ctx.cur_name_, "Clamp", {in}, {out}, attrs, op);
  ctx.SetAct(n.output(0), out, x.shape, perm);
  return Status::Ok();
}

// The IR op of the same name; LeakyRelu and HardSigmoid carry their attributes, PRelu its slope
// (broadcast to the rank of X).
Status LowerUnary(Lowerer& ctx, const Node& n) {
  const std::string& op = n.op_type();
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  const Perm perm = x.is_const ? IdentityPerm(x.shape.size()) : x.perm;
  const int in = ctx.Stored(x, perm, n.input(0));
  std::vector<int> inputs = {in};
  std::vector<AttrDef> attrs;
  if (op == "LeakyRelu") {
    attrs.push_back(AttrDef::Float("alpha", AttrFloat(n, "alpha", 0.01f)));
  } else if (op == "HardSigmoid") {
    attrs.push_back(AttrDef::Float("alpha", AttrFloat(n, "alpha", 0.2f)));
    attrs.push_back(AttrDef::Float("beta", AttrFloat(n, "beta", 0.5f)));
  } else if (op == "PRelu") {
    EDGERT_ASSIGN_OR_RETURN(const Value* sp, ctx.In(n, 1));
    Value slope = *sp;
    if (slope.shape.size() > x.shape.size()) return ctx.Bad("slope has a higher rank than X");
    Shape full(x.shape.size() - slope.shape.size(), 1);
    full.insert(full.end(), slope.shape.begin(), slope.shape.end());
    if (!slope.is_const && slope.shape.size() != x.shape.size())
      return ctx.NotSupported("a run-time slope must have the rank of X");
    slope.shape = full;
    slope.c.shape = full;
    inputs.push_back(ctx.Stored(slope, perm, n.input(1)));
  }
  const int out = ctx.NewTensor(n.output(0), Permute(x.shape, perm));
  ctx.Emit(ctx.cur_name_, op, inputs, {out}, attrs, op);
  ctx.SetAct(n.output(0), out, x.shape, perm);
  return Status::Ok();
}

Status LowerSoftmax(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  const int64_t r = static_cast<int64_t>(x.shape.size());
  int64_t axis = AttrInt(n, "axis", ctx.opset_ >= 13 ? -1 : 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis >= r) return ctx.Bad("axis out of range");
  const Perm perm = x.is_const ? IdentityPerm(r) : x.perm;
  if (ctx.opset_ >= 13 || axis == r - 1) {
    const int in = ctx.Stored(x, perm, n.input(0));
    const int out = ctx.NewTensor(n.output(0), Permute(x.shape, perm));
    ctx.Emit(ctx.cur_name_, "Softmax", {in}, {out}, {AttrDef::Int("axis", InversePerm(perm)[axis])},
             "Softmax");
    ctx.SetAct(n.output(0), out, x.shape, perm);
    return Status::Ok();
  }
  // Opset < 13: softmax over the input coerced to 2-D [prod(<axis), prod(>=axis)].
  int64_t a = 1, b = 1;
  for (int64_t d = 0; d < r; ++d) (d < axis ? a : b) *= x.shape[d];
  const int in = ctx.Logical(x, n.input(0));
  const int flat = ctx.NewTensor(n.output(0) + "_2d", {a, b});
  ctx.Emit(ctx.cur_name_ + "/flatten", "Reshape", {in}, {flat}, {}, "Softmax");
  const int sm = ctx.NewTensor(n.output(0) + "_softmax_2d", {a, b});
  ctx.Emit(ctx.cur_name_, "Softmax", {flat}, {sm}, {AttrDef::Int("axis", 1)}, "Softmax");
  const int out = ctx.NewTensor(n.output(0), x.shape);
  ctx.Emit(ctx.cur_name_ + "/unflatten", "Reshape", {sm}, {out}, {}, "Softmax");
  ctx.SetAct(n.output(0), out, x.shape, IdentityPerm(r));
  return Status::Ok();
}

}  // namespace edgert::compiler

// Activations: Relu and Clip (a Clamp, fused into the producer when it can be), LeakyRelu,
// PRelu, Sigmoid, Tanh, HardSigmoid, HardSwish and Softmax. Each keeps its input's layout.

#include "model_compiler/lower/fusion.h"
#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {

Status LowerBinary(Lowerer& ctx, const Node& n);  // elementwise.cc

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
  // Only F32 producers take a fused activation range.
  if (!x.is_const && x.dtype == TensorType::kF32 && FuseClampIntoProducer(ctx, n, lo, hi))
    return Status::Ok();
  const int in = ctx.Stored(x, x.is_const ? IdentityPerm(x.shape.size()) : x.perm, n.input(0));
  const Perm perm = x.is_const ? IdentityPerm(x.shape.size()) : x.perm;
  const int out = ctx.NewTensor(n.output(0), Permute(x.shape, perm), x.dtype);
  std::vector<AttrDef> attrs;
  if (lo > -kInf) attrs.push_back(AttrDef::Float("min", lo));
  if (hi < kInf) attrs.push_back(AttrDef::Float("max", hi));
  ctx.Emit(ctx.cur_name_, "Clamp", {in}, {out}, attrs, op);
  ctx.SetAct(n.output(0), out, x.shape, perm);
  return Status::Ok();
}

// The IR op of the same name; LeakyRelu and HardSigmoid carry their attributes.
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
  }
  const int out = ctx.NewTensor(n.output(0), Permute(x.shape, perm));
  ctx.Emit(ctx.cur_name_, op, inputs, {out}, attrs, op);
  ctx.SetAct(n.output(0), out, x.shape, perm);
  return Status::Ok();
}

// PRelu is a broadcasting binary op (LowerBinary: a slope of lower rank, constant or run-time,
// aligns from the right). Before opset 7 a 1-D slope of X.shape[1] values is one per channel.
Status LowerPRelu(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  EDGERT_ASSIGN_OR_RETURN(const Value* sp, ctx.In(n, 1));
  const size_t r = xp->shape.size();
  if (ctx.opset_ >= 7 || sp->shape.size() != 1 || r < 3 || sp->shape[0] == 1) {
    auto b = BroadcastShapes(xp->shape, sp->shape);
    if (!b.ok() || *b != xp->shape)
      return ctx.Bad("slope of shape " + ShapeToString(sp->shape) + " does not broadcast to X " +
                     ShapeToString(xp->shape));
    return LowerBinary(ctx, n);
  }
  if (sp->shape[0] != xp->shape[1])
    return ctx.Bad("slope of shape " + ShapeToString(sp->shape) + " is neither one value nor " +
                   "one per channel of X " + ShapeToString(xp->shape));
  if (!sp->is_const) return ctx.NotSupported("a per-channel slope must be a constant");
  // The same values as [C, 1, ...]: aligned from the right, they meet X's channel axis.
  Const c = sp->c;
  c.shape = Shape(r - 1, 1);
  c.shape[0] = sp->shape[0];
  Node per_channel = n;
  const std::string name = n.input(1) + "_per_channel";
  per_channel.set_input(1, name);
  ctx.SetConst(name, std::move(c));
  return LowerBinary(ctx, per_channel);
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

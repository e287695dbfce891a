// Elementwise ops. Binary: Add, Sub, Mul, Div, Pow with numpy broadcasting; folded on constants
// (integer arithmetic stays integer), else one IR node in the layout of an activation operand.
// Mul of x and sigmoid(x) becomes Swish; the written-out LayerNorm and GELU become one node each
// (fusion.cc). Unary math (Sqrt, Reciprocal, Exp, Log, Abs, Neg, Erf) is folded here and
// lowered by LowerUnary (activation.cc).

#include <cmath>

#include "model_compiler/lower/fusion.h"
#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {
namespace {

// Both operands and their broadcast (logical) output shape.
struct BinaryArgs {
  Value a, b;
  Shape out_shape;
};

Result<BinaryArgs> ReadBinary(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* ap, ctx.In(n, 0));
  EDGERT_ASSIGN_OR_RETURN(const Value* bp, ctx.In(n, 1));
  auto bs = BroadcastShapes(ap->shape, bp->shape);
  if (!bs.ok()) return ctx.Bad(bs.status().message());
  return BinaryArgs{*ap, *bp, *bs};
}

}  // namespace

Status FoldBinary(Lowerer& ctx, const Node& n) {
  const std::string& op = n.op_type();
  EDGERT_ASSIGN_OR_RETURN(BinaryArgs args, ReadBinary(ctx, n));
  const Const& a = args.a.c;
  const Const& b = args.b.c;
  const auto oa = BroadcastOffsets(a.shape, args.out_shape);
  const auto ob = BroadcastOffsets(b.shape, args.out_shape);
  Const c;
  c.shape = args.out_shape;
  c.is_int = a.is_int && b.is_int;
  for (size_t k = 0; k < oa.size(); ++k) {
    if (c.is_int) {
      const int64_t x = a.i[oa[k]], y = b.i[ob[k]];
      if (op == "Div" && y == 0) return ctx.Bad("integer division by zero in a constant");
      if (op == "Pow") {
        c.i.push_back(SaturatingInt(std::pow(static_cast<double>(x), static_cast<double>(y))));
        continue;
      }
      c.i.push_back(op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y);
    } else {
      const float x = static_cast<float>(a.At(oa[k])), y = static_cast<float>(b.At(ob[k]));
      c.f.push_back(op == "Add"   ? x + y
                    : op == "Sub" ? x - y
                    : op == "Mul" ? x * y
                    : op == "Div" ? x / y
                                  : std::pow(x, y));
    }
  }
  ctx.SetConst(n.output(0), std::move(c));
  return Status::Ok();
}

Status FoldUnaryMath(Lowerer& ctx, const Node& n) {
  const std::string& op = n.op_type();
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Const& x = xp->c;
  Const c;
  c.shape = x.shape;
  c.is_int = x.is_int && (op == "Abs" || op == "Neg");
  for (size_t k = 0; k < x.size(); ++k) {
    if (c.is_int) {
      c.i.push_back(op == "Abs" ? std::abs(x.i[k]) : -x.i[k]);
      continue;
    }
    const float v = static_cast<float>(x.At(k));
    c.f.push_back(op == "Sqrt"         ? std::sqrt(v)
                  : op == "Reciprocal" ? 1.f / v
                  : op == "Exp"        ? std::exp(v)
                  : op == "Log"        ? std::log(v)
                  : op == "Abs"        ? std::fabs(v)
                  : op == "Neg"        ? -v
                                       : std::erf(v));
  }
  ctx.SetConst(n.output(0), std::move(c));
  return Status::Ok();
}

Status LowerBinary(Lowerer& ctx, const Node& n) {
  const std::string& op = n.op_type();
  EDGERT_ASSIGN_OR_RETURN(BinaryArgs args, ReadBinary(ctx, n));
  const Value& a = args.a;
  const Value& b = args.b;
  const Shape& out_shape = args.out_shape;
  const size_t r = out_shape.size();
  if (op == "Mul" && FuseSwish(ctx, n, a, b)) return Status::Ok();
  if ((op == "Mul" || op == "Add") && FuseLayerNormAffine(ctx, n, a, b)) return Status::Ok();
  if (op == "Mul") {
    EDGERT_ASSIGN_OR_RETURN(const bool gelu, FuseGelu(ctx, n));
    if (gelu) return Status::Ok();
  }
  if (op == "Div") {
    EDGERT_ASSIGN_OR_RETURN(const bool ln, FuseLayerNorm(ctx, n));
    if (ln) return Status::Ok();
  }

  // The layout of the result: that of an activation operand of full rank (NHWC preferred).
  Perm target = IdentityPerm(r);
  bool chosen = false;
  for (const Value* v : {&a, &b}) {
    if (v->is_const || v->shape.size() != r) continue;
    if (!chosen || (v->perm == kNHWC && r == 4)) target = v->perm;
    chosen = true;
  }
  auto operand = [&](const Value& v, const std::string& name) -> int {
    if (v.shape.size() == r) return ctx.Stored(v, target, name);
    // Lower rank: numpy-align from the right, then view in the target order.
    Shape full(r - v.shape.size(), 1);
    full.insert(full.end(), v.shape.begin(), v.shape.end());
    if (v.is_const) {
      Value c = v;
      c.shape = full;
      c.c.shape = full;
      return ctx.Stored(c, target, name);
    }
    const int logical = ctx.Logical(v, name);
    const int t = ctx.NewTensor(name + "_r" + std::to_string(r), full);
    ctx.Emit(ctx.cur_name_ + "/expand", "Reshape", {logical}, {t}, {}, op);
    Value e;
    e.tensor = t;
    e.shape = full;
    e.perm = IdentityPerm(r);
    return ctx.Stored(e, target, name);
  };
  const int ta = operand(a, n.input(0));
  const int tb = operand(b, n.input(1));
  const int out = ctx.NewTensor(n.output(0), Permute(out_shape, target));
  ctx.Emit(ctx.cur_name_, op, {ta, tb}, {out}, {}, op);
  ctx.SetAct(n.output(0), out, out_shape, target);
  return Status::Ok();
}

}  // namespace edgert::compiler

// Comparisons, logic and casts on run-time tensors (IR.md "Ops"): Equal, Greater, Less give a
// bool (U8 0/1) tensor of the broadcast shape; Not flips one; Where picks per element; Cast
// converts between the IR dtypes. On constants they fold instead (elementwise.cc, shape.cc).

#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {
namespace {

// The number of a TensorType in model.fbs's `enum DType` (Cast's `to`); the engine's Cast shape
// rule checks it against the output's dtype.
int64_t FbDType(TensorType t) {
  switch (t) {
    case TensorType::kS8:
      return 1;
    case TensorType::kU8:
      return 2;
    case TensorType::kS16:
      return 3;
    case TensorType::kS32:
      return 4;
    case TensorType::kF16:
      return 5;
    default:
      return 0;  // F32
  }
}

// One broadcasting node `op` over inputs `values` of `n` (input `bool_input` a bool condition);
// its output, of dtype `out_dtype` (or the operands' when `same_dtype`), named `out_name`.
Result<Value> EmitBroadcast(Lowerer& ctx, const Node& n, const std::string& op,
                            const std::vector<const Value*>& values, int bool_input,
                            bool same_dtype, TensorType out_dtype, const std::string& out_name,
                            const std::string& name) {
  Shape out_shape = values[0]->shape;
  for (size_t k = 1; k < values.size(); ++k) {
    auto s = BroadcastShapes(out_shape, values[k]->shape);
    if (!s.ok()) return ctx.Bad(s.status().message());
    out_shape = *s;
  }
  EDGERT_ASSIGN_OR_RETURN(BroadcastOperands ops,
                          StoreBroadcastOperands(ctx, n, values, out_shape.size(), bool_input));
  const int out =
      ctx.NewTensor(out_name, Permute(out_shape, ops.target), same_dtype ? ops.dtype : out_dtype);
  ctx.Emit(name, op, ops.tensors, {out}, {}, n.op_type());
  Value v;
  v.tensor = out;
  v.shape = out_shape;
  v.perm = ops.target;
  v.dtype = ctx.m_.tensors[static_cast<size_t>(out)].dtype;
  return v;
}

Status Bind(Lowerer& ctx, const Node& n, const Result<Value>& v) {
  if (!v.ok()) return v.status();
  ctx.SetAct(n.output(0), v->tensor, v->shape, v->perm);
  return Status::Ok();
}

}  // namespace

int EmitCast(Lowerer& ctx, int tensor, TensorType to, const std::string& out_name,
             const std::string& node_name) {
  const int out = ctx.NewTensor(out_name, ctx.m_.tensors[static_cast<size_t>(tensor)].shape, to);
  ctx.Emit(node_name, "Cast", {tensor}, {out}, {AttrDef::Int("to", FbDType(to))}, "Cast");
  return out;
}

// Equal, Greater, Less: a, b of one dtype -> U8 0/1.
Status LowerCompare(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* a, ctx.In(n, 0));
  EDGERT_ASSIGN_OR_RETURN(const Value* b, ctx.In(n, 1));
  return Bind(ctx, n,
              EmitBroadcast(ctx, n, n.op_type(), {a, b}, -1, false, TensorType::kU8, n.output(0),
                            ctx.cur_name_));
}

Status LowerNot(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* x, ctx.In(n, 0));
  const int out = ctx.NewTensor(n.output(0), Permute(x->shape, x->perm), TensorType::kU8);
  ctx.Emit(ctx.cur_name_, "Not", {x->tensor}, {out}, {}, "Not");
  ctx.SetAct(n.output(0), out, x->shape, x->perm);
  return Status::Ok();
}

// Where: cond (bool), a, b of one dtype. When both a and b are constants, ONNX type inference
// says their dtype (a constant does not know whether it was bool or int64).
Status LowerWhere(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* c, ctx.In(n, 0));
  EDGERT_ASSIGN_OR_RETURN(const Value* a, ctx.In(n, 1));
  EDGERT_ASSIGN_OR_RETURN(const Value* b, ctx.In(n, 2));
  if (!a->is_const || !b->is_const)
    return Bind(ctx, n,
                EmitBroadcast(ctx, n, "Where", {c, a, b}, 0, true, TensorType::kF32, n.output(0),
                              ctx.cur_name_));
  TensorType t = a->c.is_int ? TensorType::kS32 : TensorType::kF32;
  if (!ctx.OnnxDType(n.output(0), &t) && a->c.is_int)
    return ctx.NotSupported("the dtype of the constant branches is unknown (no ONNX type)");
  // The constant branches get the dtype through a typed view of their first element: the
  // broadcast helper materializes constants in the activations' dtype, here there is none.
  Value ta = *a;
  ta.is_const = false;
  ta.tensor = ctx.Stored(*a, IdentityPerm(a->shape.size()), n.input(1), t);
  ta.perm = IdentityPerm(a->shape.size());
  ta.dtype = t;
  Value tb = *b;
  tb.is_const = false;
  tb.tensor = ctx.Stored(*b, IdentityPerm(b->shape.size()), n.input(2), t);
  tb.perm = IdentityPerm(b->shape.size());
  tb.dtype = t;
  return Bind(ctx, n,
              EmitBroadcast(ctx, n, "Where", {c, &ta, &tb}, 0, true, TensorType::kF32, n.output(0),
                            ctx.cur_name_));
}

// Cast: to an IR dtype (int64 narrowed to S32); to bool is x != 0, as Not(Equal(x, 0)); to the
// dtype x already has moves nothing.
Status LowerCast(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  const int to = static_cast<int>(AttrInt(n, "to", 0));
  TensorType t;
  if (!IrDTypeOf(to, &t))
    return ctx.NotSupported("Cast to " + std::string(ElemTypeName(to)) +
                            " (the IR has F32, F16, S32, S16, S8, U8 and bool)");
  if (to == onnx::TensorProto::BOOL) {
    if (x.dtype != TensorType::kF32 && x.dtype != TensorType::kS32 && x.dtype != TensorType::kU8)
      return ctx.NotSupported("Cast to BOOL from " + std::string(DTypeName(x.dtype)) +
                              " (supported from F32, S32, U8)");
    Value zero;
    zero.is_const = true;
    zero.c = x.dtype == TensorType::kF32 ? Const::FromFloats({}, {0.f}) : Const::FromInts({}, {0});
    EDGERT_ASSIGN_OR_RETURN(const Value z,
                            EmitBroadcast(ctx, n, "Equal", {&x, &zero}, -1, false, TensorType::kU8,
                                          n.output(0) + "_is_zero", ctx.cur_name_ + "/equal_zero"));
    const int out = ctx.NewTensor(n.output(0), Permute(z.shape, z.perm), TensorType::kU8);
    ctx.Emit(ctx.cur_name_, "Not", {z.tensor}, {out}, {}, "Cast");
    ctx.SetAct(n.output(0), out, z.shape, z.perm);
    return Status::Ok();
  }
  if (t == x.dtype) {
    ctx.SetAct(n.output(0), x.tensor, x.shape, x.perm);
    return Status::Ok();
  }
  const int out = EmitCast(ctx, x.tensor, t, n.output(0), ctx.cur_name_);
  ctx.SetAct(n.output(0), out, x.shape, x.perm);
  return Status::Ok();
}

}  // namespace edgert::compiler

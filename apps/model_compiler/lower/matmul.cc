// MatMul: with a 2-D constant B it is a FullyConnected (weights stored [N, K]); otherwise an IR
// MatMul of two tensors of one rank >= 2 (attention's QKᵀ and AV), with reshapes around it for
// 1-D operands and operands of lower rank. On constants it is folded.

#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {
namespace {

// MatMul's operands as IR MatMul wants them (IR.md): both of rank r >= 2, a [..., M, K] and
// b [..., K, N], plus the ONNX output shape (numpy matmul: a 1-D a loses M, a 1-D b loses N).
struct MatMulSpec {
  Shape a, b;      // the operands' shapes for the IR node
  Shape ir_out;    // [batch..., M, N]
  Shape onnx_out;  // the ONNX output shape
};

Result<MatMulSpec> ReadMatMul(Lowerer& ctx, const Shape& as0, const Shape& bs0) {
  if (as0.empty() || bs0.empty())
    return ctx.Bad("operands " + ShapeToString(as0) + " and " + ShapeToString(bs0) +
                   " must have rank >= 1");
  MatMulSpec s;
  s.a = as0.size() == 1 ? Shape{1, as0[0]} : as0;
  s.b = bs0.size() == 1 ? Shape{bs0[0], 1} : bs0;
  const size_t r = std::max(s.a.size(), s.b.size());
  s.a.insert(s.a.begin(), r - s.a.size(), 1);
  s.b.insert(s.b.begin(), r - s.b.size(), 1);
  if (s.a[r - 1] != s.b[r - 2])
    return ctx.Bad("A " + ShapeToString(as0) + " and B " + ShapeToString(bs0) + " do not multiply");
  for (size_t d = 0; d + 2 < r; ++d) {
    if (s.a[d] != s.b[d] && s.a[d] != 1 && s.b[d] != 1)
      return ctx.Bad("the batch dims of A " + ShapeToString(as0) + " and B " + ShapeToString(bs0) +
                     " do not broadcast");
    s.ir_out.push_back(std::max(s.a[d], s.b[d]));
  }
  s.onnx_out = s.ir_out;
  s.ir_out.push_back(s.a[r - 2]);
  s.ir_out.push_back(s.b[r - 1]);
  if (as0.size() != 1) s.onnx_out.push_back(s.a[r - 2]);
  if (bs0.size() != 1) s.onnx_out.push_back(s.b[r - 1]);
  return s;
}

Status LowerFullyConnected(Lowerer& ctx, const Node& n, const Value& a, const Const& b) {
  const int64_t k = b.shape[0], nn = b.shape[1];
  if (a.shape.back() != k)
    return ctx.Bad("A " + ShapeToString(a.shape) + " and B " + ShapeToString(b.shape) +
                   " do not multiply");
  const int in = ctx.Logical(a, n.input(0));
  const int wt = ctx.ConstTensor(n.input(1), {nn, k}, TransposeData(b.Floats(), b.shape, {1, 0}));
  Shape out_shape = a.shape;
  out_shape.back() = nn;
  const int out = ctx.NewTensor(n.output(0), out_shape);
  ctx.Emit(ctx.cur_name_, "FullyConnected", {in, wt, -1}, {out}, {}, "MatMul");
  ctx.SetAct(n.output(0), out, out_shape, IdentityPerm(out_shape.size()));
  return Status::Ok();
}

// `v` in logical order with shape `want` (same elements): a Reshape when the shapes differ.
int OperandAs(Lowerer& ctx, const Value& v, const Shape& want, const std::string& name) {
  if (v.is_const) return ctx.ConstTensor(name, want, v.c.Floats());
  const int t = ctx.Logical(v, name);
  if (v.shape == want) return t;
  const int out = ctx.NewTensor(name + "_" + ShapeToString(want), want);
  ctx.Emit(ctx.cur_name_ + "/reshape_" + name, "Reshape", {t}, {out}, {}, "MatMul");
  return out;
}

}  // namespace

Status LowerMatMul(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* ap, ctx.In(n, 0));
  const Value a = *ap;
  EDGERT_ASSIGN_OR_RETURN(const Value* bp, ctx.In(n, 1));
  const Value b = *bp;
  if (b.is_const && b.shape.size() == 2 && a.shape.size() >= 2)
    return LowerFullyConnected(ctx, n, a, b.c);
  EDGERT_ASSIGN_OR_RETURN(MatMulSpec s, ReadMatMul(ctx, a.shape, b.shape));
  const int ta = OperandAs(ctx, a, s.a, n.input(0));
  const int tb = OperandAs(ctx, b, s.b, n.input(1));
  const bool reshape = s.ir_out != s.onnx_out;
  const int out = ctx.NewTensor(reshape ? n.output(0) + "_matmul" : n.output(0), s.ir_out);
  ctx.Emit(ctx.cur_name_, "MatMul", {ta, tb}, {out}, {}, "MatMul");
  if (!reshape) {
    ctx.SetAct(n.output(0), out, s.ir_out, IdentityPerm(s.ir_out.size()));
    return Status::Ok();
  }
  const int y = ctx.NewTensor(n.output(0), s.onnx_out);
  ctx.Emit(ctx.cur_name_ + "/reshape_out", "Reshape", {out}, {y}, {}, "MatMul");
  ctx.SetAct(n.output(0), y, s.onnx_out, IdentityPerm(s.onnx_out.size()));
  return Status::Ok();
}

// Accumulates in double, so a folded product is the exact one rounded once.
Status FoldMatMul(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* ap, ctx.In(n, 0));
  EDGERT_ASSIGN_OR_RETURN(const Value* bp, ctx.In(n, 1));
  const Const& a = ap->c;
  const Const& b = bp->c;
  EDGERT_ASSIGN_OR_RETURN(MatMulSpec s, ReadMatMul(ctx, a.shape, b.shape));
  const size_t r = s.ir_out.size();
  const int64_t m = s.ir_out[r - 2], nn = s.ir_out[r - 1], k = s.a[r - 1];
  Shape batch(s.ir_out.begin(), s.ir_out.end() - 2);
  Shape a_batch(s.a.begin(), s.a.end() - 2), b_batch(s.b.begin(), s.b.end() - 2);
  const std::vector<int64_t> oa = BroadcastOffsets(a_batch, batch);
  const std::vector<int64_t> ob = BroadcastOffsets(b_batch, batch);
  const bool is_int = a.is_int && b.is_int;
  Const c;
  c.shape = s.onnx_out;
  c.is_int = is_int;
  for (size_t bi = 0; bi < oa.size(); ++bi)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < nn; ++j) {
        double acc = 0;
        int64_t iacc = 0;
        for (int64_t p = 0; p < k; ++p) {
          const size_t ia = static_cast<size_t>(oa[bi] * m * k + i * k + p);
          const size_t ib = static_cast<size_t>(ob[bi] * k * nn + p * nn + j);
          if (is_int) {
            iacc += a.i[ia] * b.i[ib];
          } else {
            acc += a.At(ia) * b.At(ib);
          }
        }
        if (is_int) {
          c.i.push_back(iacc);
        } else {
          c.f.push_back(static_cast<float>(acc));
        }
      }
  ctx.SetConst(n.output(0), std::move(c));
  return Status::Ok();
}

}  // namespace edgert::compiler

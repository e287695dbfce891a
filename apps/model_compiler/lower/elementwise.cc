// Elementwise ops. Binary: Add, Sub, Mul, Div, Pow with numpy broadcasting; folded on constants
// (integer arithmetic stays integer), else one IR node in the layout of an activation operand.
// Mul of x and sigmoid(x) becomes Swish; the written-out LayerNorm and GELU become one node each
// (fusion.cc). Unary math (Sqrt, Reciprocal, Exp, Log, Abs, Neg, Erf) is folded here and
// lowered by LowerUnary (activation.cc). Equal, Greater, Less, Not, Mod and Where fold on
// constants of any type (bool as 0/1 integers): Swin's attention mask and shape logic. So does
// ScatterND (an elementwise write of `updates` into a copy of `data`), which builds that mask.

#include <algorithm>
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

Status FoldCompareOrMod(Lowerer& ctx, const Node& n) {
  const std::string& op = n.op_type();
  EDGERT_ASSIGN_OR_RETURN(BinaryArgs args, ReadBinary(ctx, n));
  const Const& a = args.a.c;
  const Const& b = args.b.c;
  const auto oa = BroadcastOffsets(a.shape, args.out_shape);
  const auto ob = BroadcastOffsets(b.shape, args.out_shape);
  const bool ints = a.is_int && b.is_int;
  const bool c_fmod = AttrInt(n, "fmod", 0) != 0;
  Const c;
  c.shape = args.out_shape;
  c.is_int = op != "Mod" || ints;  // comparisons give bool, stored as 0/1 integers
  for (size_t k = 0; k < oa.size(); ++k) {
    if (op != "Mod") {
      // Integers compare exactly; floats compare as the float32 values they are.
      const bool r = ints ? (op == "Equal"     ? a.i[oa[k]] == b.i[ob[k]]
                             : op == "Greater" ? a.i[oa[k]] > b.i[ob[k]]
                                               : a.i[oa[k]] < b.i[ob[k]])
                          : (op == "Equal"     ? a.At(oa[k]) == b.At(ob[k])
                             : op == "Greater" ? a.At(oa[k]) > b.At(ob[k])
                                               : a.At(oa[k]) < b.At(ob[k]));
      c.i.push_back(r ? 1 : 0);
    } else if (ints) {
      const int64_t x = a.i[oa[k]], y = b.i[ob[k]];
      if (y == 0) return ctx.Bad("integer Mod by zero in a constant");
      int64_t r = x % y;                                      // C: the sign of the dividend
      if (!c_fmod && r != 0 && ((r < 0) != (y < 0))) r += y;  // Python: the sign of the divisor
      c.i.push_back(r);
    } else {
      const float x = static_cast<float>(a.At(oa[k])), y = static_cast<float>(b.At(ob[k]));
      float r = std::fmod(x, y);
      if (!c_fmod && r != 0 && ((r < 0) != (y < 0))) r += y;
      c.f.push_back(r);
    }
  }
  ctx.SetConst(n.output(0), std::move(c));
  return Status::Ok();
}

Status FoldNot(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Const& x = xp->c;
  std::vector<int64_t> v(x.size());
  for (size_t k = 0; k < v.size(); ++k) v[k] = x.At(k) == 0 ? 1 : 0;
  ctx.SetConst(n.output(0), Const::FromInts(x.shape, std::move(v)));
  return Status::Ok();
}

Status FoldWhere(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* cp, ctx.In(n, 0));
  EDGERT_ASSIGN_OR_RETURN(const Value* ap, ctx.In(n, 1));
  EDGERT_ASSIGN_OR_RETURN(const Value* bp, ctx.In(n, 2));
  auto ab = BroadcastShapes(ap->shape, bp->shape);
  if (!ab.ok()) return ctx.Bad(ab.status().message());
  auto out = BroadcastShapes(cp->shape, *ab);
  if (!out.ok()) return ctx.Bad(out.status().message());
  const Const &cond = cp->c, &a = ap->c, &b = bp->c;
  const auto oc = BroadcastOffsets(cond.shape, *out);
  const auto oa = BroadcastOffsets(a.shape, *out);
  const auto ob = BroadcastOffsets(b.shape, *out);
  Const c;
  c.shape = *out;
  c.is_int = a.is_int && b.is_int;
  for (size_t k = 0; k < oc.size(); ++k) {
    const bool take_a = cond.At(oc[k]) != 0;
    if (c.is_int) {
      c.i.push_back(take_a ? a.i[oa[k]] : b.i[ob[k]]);
    } else {
      c.f.push_back(static_cast<float>(take_a ? a.At(oa[k]) : b.At(ob[k])));
    }
  }
  ctx.SetConst(n.output(0), std::move(c));
  return Status::Ok();
}

namespace {

// Checks ScatterND's attribute and shapes (data, indices, updates in logical order); *k gets the
// length of an index tuple.
Status CheckScatterND(Lowerer& ctx, const Node& n, const Shape& data, const Shape& is,
                      const Shape& upd, size_t* k) {
  const std::string red = AttrStr(n, "reduction", "none");
  if (red != "none" && red != "add" && red != "mul" && red != "max" && red != "min")
    return ctx.NotSupported("reduction '" + red + "'");
  if (is.empty()) return ctx.Bad("indices must have rank >= 1");
  const size_t r = data.size();
  *k = static_cast<size_t>(is.back());
  if (*k < 1 || *k > r) return ctx.Bad("indices' last dimension must be in [1, rank of data]");
  Shape want(is.begin(), is.end() - 1);
  want.insert(want.end(), data.begin() + static_cast<std::ptrdiff_t>(*k), data.end());
  if (upd != want)
    return ctx.Bad("updates have shape " + ShapeToString(upd) + ", expected " +
                   ShapeToString(want));
  return Status::Ok();
}

}  // namespace

Status FoldScatterND(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* dp, ctx.In(n, 0));
  EDGERT_ASSIGN_OR_RETURN(const Value* ip, ctx.In(n, 1));
  EDGERT_ASSIGN_OR_RETURN(const Value* up, ctx.In(n, 2));
  const Const& data = dp->c;
  const Const& upd = up->c;
  const std::vector<int64_t> idx = ip->c.Ints();
  const std::string red = AttrStr(n, "reduction", "none");
  size_t k = 0;
  EDGERT_RETURN_IF_ERROR(CheckScatterND(ctx, n, data.shape, ip->c.shape, upd.shape, &k));
  const size_t r = data.shape.size();
  int64_t slice = 1;
  for (size_t d = k; d < r; ++d) slice *= data.shape[d];
  Const c = data;
  c.is_int = data.is_int && upd.is_int;
  if (!c.is_int) c.f = data.Floats();
  if (!c.is_int) c.i.clear();
  const size_t tuples = idx.size() / k;
  for (size_t t = 0; t < tuples; ++t) {
    int64_t off = 0;
    for (size_t d = 0; d < k; ++d) {
      int64_t i = idx[t * k + d];
      if (i < 0) i += data.shape[d];
      if (i < 0 || i >= data.shape[d])
        return ctx.Bad("index " + std::to_string(idx[t * k + d]) +
                       " is out of range for dimension " + std::to_string(d) + " of size " +
                       std::to_string(data.shape[d]));
      off = off * data.shape[d] + i;
    }
    for (int64_t j = 0; j < slice; ++j) {
      const size_t dst = static_cast<size_t>(off * slice + j);
      const size_t src = t * static_cast<size_t>(slice) + static_cast<size_t>(j);
      if (c.is_int) {
        int64_t& o = c.i[dst];
        const int64_t u = upd.i[src];
        o = red == "add"   ? o + u
            : red == "mul" ? o * u
            : red == "max" ? std::max(o, u)
            : red == "min" ? std::min(o, u)
                           : u;
      } else {
        float& o = c.f[dst];
        const float u = static_cast<float>(upd.At(src));
        o = red == "add"   ? o + u
            : red == "mul" ? o * u
            : red == "max" ? std::max(o, u)
            : red == "min" ? std::min(o, u)
                           : u;
      }
    }
  }
  ctx.SetConst(n.output(0), std::move(c));
  return Status::Ok();
}

// ScatterND with a run-time input: one IR node on the three in logical order, data and updates
// in data's dtype, indices S32 (constant ones are range-checked here, run-time ones by the
// kernel).
Status LowerScatterND(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* dp, ctx.In(n, 0));
  EDGERT_ASSIGN_OR_RETURN(const Value* ip, ctx.In(n, 1));
  EDGERT_ASSIGN_OR_RETURN(const Value* up, ctx.In(n, 2));
  const Value d = *dp, iv = *ip, u = *up;
  size_t k = 0;
  EDGERT_RETURN_IF_ERROR(CheckScatterND(ctx, n, d.shape, iv.shape, u.shape, &k));
  // The dtype of a run-time data or updates, else (only indices at run time) ONNX's.
  TensorType t = !d.is_const ? d.dtype : !u.is_const ? u.dtype : TensorType::kF32;
  ctx.OnnxDType(n.output(0), &t);
  if (!d.is_const && d.dtype != t)
    return ctx.Bad("data is " + std::string(DTypeName(d.dtype)) + ", output " + DTypeName(t));
  if (!u.is_const && u.dtype != t)
    return ctx.Bad("updates are " + std::string(DTypeName(u.dtype)) + ", data " + DTypeName(t));
  if (iv.is_const) {
    const std::vector<int64_t> ids = iv.c.Ints();
    for (size_t j = 0; j < ids.size(); ++j) {
      const int64_t dim = d.shape[j % k];
      if (ids[j] < -dim || ids[j] >= dim)
        return ctx.Bad("index " + std::to_string(ids[j]) + " is out of range for dimension " +
                       std::to_string(j % k) + " of size " + std::to_string(dim));
    }
  } else if (iv.dtype != TensorType::kS32) {
    return ctx.Bad("indices are " + std::string(DTypeName(iv.dtype)) + ", expected S32");
  }
  const int in = ctx.Logical(d, n.input(0), t);
  const int idx = ctx.Logical(iv, n.input(1), TensorType::kS32);
  const int upd = ctx.Logical(u, n.input(2), t);
  const int out = ctx.NewTensor(n.output(0), d.shape, t);
  ctx.Emit(ctx.cur_name_, "ScatterND", {in, idx, upd}, {out},
           {AttrDef::String("reduction", AttrStr(n, "reduction", "none"))}, "ScatterND");
  ctx.SetAct(n.output(0), out, d.shape, IdentityPerm(d.shape.size()));
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

Result<BroadcastOperands> StoreBroadcastOperands(Lowerer& ctx, const Node& n,
                                                 const std::vector<const Value*>& values, size_t r,
                                                 int bool_input, int free_input) {
  BroadcastOperands ops;
  // A constant's own dtype, where it keeps one.
  auto own = [](const Value& v) {
    return v.is_const ? (v.c.is_int ? TensorType::kS32 : TensorType::kF32) : v.dtype;
  };
  // One dtype: that of the activations; constants are materialized in it.
  bool typed = false;
  for (size_t k = 0; k < values.size(); ++k) {
    const Value& v = *values[k];
    const int ki = static_cast<int>(k);
    if (v.is_const || ki == bool_input || ki == free_input) continue;
    if (typed && v.dtype != ops.dtype)
      return ctx.Bad("input " + std::to_string(k) + " is " + DTypeName(v.dtype) +
                     " but an earlier input is " + DTypeName(ops.dtype));
    ops.dtype = v.dtype;
    typed = true;
  }
  if (!typed && !values.empty()) ops.dtype = own(*values[0]);
  if (bool_input >= 0) {
    const Value& c = *values[static_cast<size_t>(bool_input)];
    if (!c.is_const && c.dtype != TensorType::kU8)
      return ctx.Bad("input " + std::to_string(bool_input) + " is " + DTypeName(c.dtype) +
                     ", expected bool (U8)");
  }
  // The layout of the result: that of an activation operand of full rank (NHWC preferred).
  ops.target = IdentityPerm(r);
  bool chosen = false;
  for (const Value* v : values) {
    if (v->is_const || v->shape.size() != r) continue;
    if (!chosen || (v->perm == kNHWC && r == 4)) ops.target = v->perm;
    chosen = true;
  }
  const Perm& target = ops.target;
  for (size_t k = 0; k < values.size(); ++k) {
    const Value& v = *values[k];
    const int ki = static_cast<int>(k);
    const std::string name =
        ki < n.input_size() ? n.input(ki) : n.output(0) + "_operand" + std::to_string(k);
    const TensorType const_dtype = ki == bool_input   ? TensorType::kU8
                                   : ki == free_input ? own(v)
                                                      : ops.dtype;
    if (v.shape.size() == r) {
      ops.tensors.push_back(ctx.Stored(v, target, name, const_dtype));
      continue;
    }
    // Lower rank: numpy-align from the right, then view in the target order.
    Shape full(r - v.shape.size(), 1);
    full.insert(full.end(), v.shape.begin(), v.shape.end());
    if (v.is_const) {
      Value c = v;
      c.shape = full;
      c.c.shape = full;
      ops.tensors.push_back(ctx.Stored(c, target, name, const_dtype));
      continue;
    }
    const int logical = ctx.Logical(v, name);
    const int t = ctx.NewTensor(name + "_r" + std::to_string(r), full, v.dtype);
    ctx.Emit(ctx.cur_name_ + "/expand", "Reshape", {logical}, {t}, {}, n.op_type());
    Value e;
    e.tensor = t;
    e.shape = full;
    e.perm = IdentityPerm(r);
    ops.tensors.push_back(ctx.Stored(e, target, name));
  }
  return ops;
}

Status LowerBinary(Lowerer& ctx, const Node& n) {
  const std::string& op = n.op_type();
  EDGERT_ASSIGN_OR_RETURN(BinaryArgs args, ReadBinary(ctx, n));
  const Value& a = args.a;
  const Value& b = args.b;
  const Shape& out_shape = args.out_shape;
  const size_t r = out_shape.size();
  if (op == "Mul" && FuseSwish(ctx, n, a, b)) return Status::Ok();
  if ((op == "Mul" || op == "Add") &&
      (FuseLayerNormAffine(ctx, n, a, b) || FuseFullyConnectedAffine(ctx, n, a, b)))
    return Status::Ok();
  if (op == "Mul") {
    EDGERT_ASSIGN_OR_RETURN(const bool gelu, FuseGelu(ctx, n));
    if (gelu) return Status::Ok();
  }
  if (op == "Div") {
    EDGERT_ASSIGN_OR_RETURN(const bool ln, FuseLayerNorm(ctx, n));
    if (ln) return Status::Ok();
  }

  // Pow's exponent may have another dtype than its base (ONNX Pow: T and T1); y has the base's.
  const bool pow = op == "Pow";
  EDGERT_ASSIGN_OR_RETURN(const BroadcastOperands ops,
                          StoreBroadcastOperands(ctx, n, {&a, &b}, r, -1, pow ? 1 : -1));
  if (pow && ops.dtype != TensorType::kF32 && ops.dtype != TensorType::kS32)
    return ctx.NotSupported("Pow of a " + std::string(DTypeName(ops.dtype)) +
                            " base: the base must be F32 or S32 (int64 narrowed)");
  const Perm& target = ops.target;
  int ta = ops.tensors[0];
  int tb = ops.tensors[1];
  std::vector<AttrDef> attrs;
  if (op == "Mod") attrs.push_back(AttrDef::Int("fmod", AttrInt(n, "fmod", 0)));
  // F16 Mod runs in F32 between two Casts: fmod is exact, so is its result in binary16.
  const bool via_f32 = op == "Mod" && ops.dtype == TensorType::kF16;
  if (via_f32) {
    ta = EmitCast(ctx, ta, TensorType::kF32, n.input(0) + "_f32", ctx.cur_name_ + "/cast_a");
    tb = EmitCast(ctx, tb, TensorType::kF32, n.input(1) + "_f32", ctx.cur_name_ + "/cast_b");
  }
  const Shape stored = Permute(out_shape, target);
  int out = ctx.NewTensor(via_f32 ? n.output(0) + "_f32" : n.output(0), stored,
                          via_f32 ? TensorType::kF32 : ops.dtype);
  ctx.Emit(ctx.cur_name_, op, {ta, tb}, {out}, attrs, op);
  if (via_f32) out = EmitCast(ctx, out, TensorType::kF16, n.output(0), ctx.cur_name_ + "/cast_y");
  ctx.SetAct(n.output(0), out, out_shape, target);
  return Status::Ok();
}

}  // namespace edgert::compiler

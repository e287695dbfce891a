// Normalization: BatchNormalization (inference), folded into the producing conv when it can be
// (fusion.cc), else a per-channel Mul and Add; training-mode BatchNormalization (opset 14+)
// written out in plain IR ops; LayerNormalization (opset 17) as one LayerNorm.

#include <cmath>

#include "model_compiler/lower/fusion.h"
#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {
namespace {

// Training-mode BatchNormalization (ONNX 14+, training_mode 1), from plain IR ops in x's storage
// order, reducing over every stored axis but C's (NHWC: C last):
//   m = mean(x), v = mean((x - m)^2)  (the batch mean and population variance)
//   Y = (x - m) * (scale / sqrt(v + epsilon)) + B
//   running_mean = mean * momentum + m * (1 - momentum), running_var likewise with v
// (onnx/backend/test/case/node/batchnorm.py). The running statistics are [C] outputs: the
// [1, .., C, .., 1] statistics reshaped.
Status LowerBatchNormTraining(Lowerer& ctx, const Node& n, const Value& x, const Const& scale,
                              const Const& shift, const Const& mean, const Const& var, float eps) {
  if (x.is_const) return ctx.NotSupported("training-mode BatchNormalization of a constant");
  const int64_t c = x.shape[1];
  const float momentum = AttrFloat(n, "momentum", 0.9f);
  const Shape stored = Permute(x.shape, x.perm);
  std::vector<int64_t> axes;
  Shape stat(stored.size(), 1);
  for (size_t j = 0; j < stored.size(); ++j) {
    if (x.perm[j] == 1) {
      stat[j] = c;
    } else {
      axes.push_back(static_cast<int64_t>(j));
    }
  }
  const std::vector<AttrDef> reduce = {AttrDef::Ints("axes", axes), AttrDef::Int("keepdims", 1)};
  const std::string base = n.output(0) + "_bn";
  // One IR node `step` of `ir_op` with a new output tensor (named `name` when it is an ONNX
  // output, which also names the node when it is Y).
  auto emit = [&](const std::string& step, const char* ir_op, std::vector<int> in,
                  const Shape& shape, std::vector<AttrDef> attrs = {},
                  const std::string& name = "") {
    const int t = ctx.NewTensor(name.empty() ? base + "_" + step : name, shape);
    ctx.Emit(name == n.output(0) ? ctx.cur_name_ : ctx.cur_name_ + "/" + step, ir_op, std::move(in),
             {t}, std::move(attrs), n.op_type());
    return t;
  };
  auto per_channel = [&](const std::string& step, std::vector<float> v) {
    return ctx.ConstTensor(base + "_" + step, stat, v);
  };
  const int m = emit("mean", "ReduceMean", {x.tensor}, stat, reduce);
  const int dev = emit("dev", "Sub", {x.tensor, m}, stored);
  const int sq = emit("sq", "Mul", {dev, dev}, stored);
  const int v = emit("var", "ReduceMean", {sq}, stat, reduce);
  const int ve = emit("var_eps", "Add", {v, per_channel("eps", std::vector<float>(c, eps))}, stat);
  const int sd = emit("std", "Sqrt", {ve}, stat);
  const int k = emit("k", "Div", {per_channel("scale", scale.Floats()), sd}, stat);
  const int scaled = emit("scaled", "Mul", {dev, k}, stored);
  const int y =
      emit("y", "Add", {scaled, per_channel("B", shift.Floats())}, stored, {}, n.output(0));
  ctx.SetAct(n.output(0), y, x.shape, x.perm);
  const Const* running[] = {&mean, &var};
  const int batch[] = {m, v};
  for (int i = 0; i < 2; ++i) {
    if (i + 1 >= n.output_size() || n.output(i + 1).empty()) continue;
    const std::string what = i == 0 ? "running_mean" : "running_var";
    std::vector<float> old = running[i]->Floats();
    for (float& f : old) f *= momentum;
    const std::vector<float> keep(c, 1.f - momentum);
    const int b = emit(what + "_new", "Mul", {batch[i], per_channel(what + "_k", keep)}, stat);
    const int sum = emit(what, "Add", {b, per_channel(what + "_old", old)}, stat);
    const int out = emit(what + "_1d", "Reshape", {sum}, {c}, {}, n.output(i + 1));
    ctx.SetAct(n.output(i + 1), out, {c}, IdentityPerm(1));
  }
  return Status::Ok();
}

}  // namespace

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
  if (ctx.opset_ >= 14 && AttrInt(n, "training_mode", 0) != 0)
    return LowerBatchNormTraining(ctx, n, x, scale, shift, mean, var, eps);
  for (int k = 1; k < n.output_size(); ++k)
    if (!n.output(k).empty())
      return ctx.NotSupported("the training outputs (" + std::to_string(n.output_size()) +
                              " outputs) before opset 14 or without training_mode 1");
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

Result<int> LayerNormParam(Lowerer& ctx, const Value* v, const Shape& norm, const std::string& name,
                           float fill) {
  if (!v) return ctx.ConstTensor(name, norm, std::vector<float>(Numel(norm), fill));
  if (!v->is_const) {
    if (v->shape != norm)
      return ctx.NotSupported("a run-time scale or bias must have shape X.shape[axis:] = " +
                              ShapeToString(norm) + ", got " + ShapeToString(v->shape));
    return ctx.Logical(*v, name);
  }
  // A constant broadcasts (numpy) to the normalized shape; leading 1s beyond its rank drop.
  Shape s = v->shape;
  while (s.size() > norm.size() && s.front() == 1) s.erase(s.begin());
  auto b = BroadcastShapes(s, norm);
  if (s.size() > norm.size() || !b.ok() || *b != norm)
    return ctx.Bad("scale/bias of shape " + ShapeToString(v->shape) +
                   " does not broadcast to X.shape[axis:] = " + ShapeToString(norm));
  const std::vector<float> f = v->c.Floats();
  std::vector<float> data;
  for (int64_t o : BroadcastOffsets(s, norm)) data.push_back(f[static_cast<size_t>(o)]);
  return ctx.ConstTensor(name, norm, data);
}

Status EmitLayerNorm(Lowerer& ctx, const Value& x, int64_t axis, const Value* scale,
                     const Value* bias, float eps, const std::string& out,
                     const std::string& source_op) {
  const size_t r = x.shape.size();
  // The normalized (trailing logical) axes must also be the trailing stored axes, in order.
  Perm perm = x.is_const ? IdentityPerm(r) : x.perm;
  for (size_t i = static_cast<size_t>(axis); i < r; ++i)
    if (perm[i] != static_cast<int>(i)) perm = IdentityPerm(r);
  const int in = ctx.Stored(x, perm, out + "_ln_in");
  const Shape norm(x.shape.begin() + axis, x.shape.end());
  EDGERT_ASSIGN_OR_RETURN(int st, LayerNormParam(ctx, scale, norm, out + "_ln_scale", 1.f));
  int bt = -1;
  if (bias) {
    EDGERT_ASSIGN_OR_RETURN(bt, LayerNormParam(ctx, bias, norm, out + "_ln_bias", 0.f));
  }
  const int y = ctx.NewTensor(out, Permute(x.shape, perm));
  ctx.Emit(ctx.cur_name_, "LayerNorm", {in, st, bt}, {y},
           {AttrDef::Int("axis", axis), AttrDef::Float("epsilon", eps)}, source_op);
  ctx.SetAct(out, y, x.shape, perm);
  return Status::Ok();
}

Status LowerLayerNorm(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  EDGERT_ASSIGN_OR_RETURN(const Value* sp, ctx.In(n, 1));
  const Value scale = *sp;
  Value bias;
  if (ctx.Has(n, 2)) {
    EDGERT_ASSIGN_OR_RETURN(const Value* bp, ctx.In(n, 2));
    bias = *bp;
  }
  const int64_t r = static_cast<int64_t>(x.shape.size());
  int64_t axis = AttrInt(n, "axis", -1);
  if (axis < -r || axis >= r)
    return ctx.Bad("axis " + std::to_string(axis) + " is out of range for rank " +
                   std::to_string(r));
  if (axis < 0) axis += r;
  const float eps = AttrFloat(n, "epsilon", 1e-5f);
  EDGERT_RETURN_IF_ERROR(EmitLayerNorm(ctx, x, axis, &scale, ctx.Has(n, 2) ? &bias : nullptr, eps,
                                       n.output(0), "LayerNormalization"));
  auto read = [&](int k) { return k < n.output_size() && !n.output(k).empty(); };
  if (!read(1) && !read(2)) return Status::Ok();
  // The optional Mean and InvStdDev outputs (shape of X with the normalized axes 1), from plain
  // IR ops in the LayerNorm's storage order: mean, 1 / sqrt(mean((x - mean)^2) + epsilon).
  const Perm perm = ctx.values_.at(n.output(0)).perm;
  const int in = ctx.Stored(x, perm, n.output(0) + "_ln_in");
  Shape stat = x.shape;
  std::vector<int64_t> axes;
  for (int64_t d = axis; d < r; ++d) {
    stat[static_cast<size_t>(d)] = 1;
    axes.push_back(d);
  }
  const std::vector<AttrDef> reduce = {AttrDef::Ints("axes", axes), AttrDef::Int("keepdims", 1)};
  const std::string base = n.output(0) + "_stats";
  auto tensor = [&](const std::string& name, const Shape& logical) {
    return ctx.NewTensor(name, Permute(logical, perm));
  };
  const int mean = tensor(read(1) ? n.output(1) : base + "_mean", stat);
  ctx.Emit(ctx.cur_name_ + "/mean", "ReduceMean", {in}, {mean}, reduce, "LayerNormalization");
  const int dev = tensor(base + "_dev", x.shape);
  ctx.Emit(ctx.cur_name_ + "/dev", "Sub", {in, mean}, {dev}, {}, "LayerNormalization");
  const int sq = tensor(base + "_sq", x.shape);
  ctx.Emit(ctx.cur_name_ + "/sq", "Mul", {dev, dev}, {sq}, {}, "LayerNormalization");
  const int var = tensor(base + "_var", stat);
  ctx.Emit(ctx.cur_name_ + "/var", "ReduceMean", {sq}, {var}, reduce, "LayerNormalization");
  const int et = ctx.ConstTensor(base + "_eps", Shape(static_cast<size_t>(r), 1), {eps});
  const int ve = tensor(base + "_var_eps", stat);
  ctx.Emit(ctx.cur_name_ + "/var_eps", "Add", {var, et}, {ve}, {}, "LayerNormalization");
  const int sd = tensor(base + "_std", stat);
  ctx.Emit(ctx.cur_name_ + "/std", "Sqrt", {ve}, {sd}, {}, "LayerNormalization");
  const int inv = tensor(read(2) ? n.output(2) : base + "_inv_std", stat);
  ctx.Emit(ctx.cur_name_ + "/inv_std", "Reciprocal", {sd}, {inv}, {}, "LayerNormalization");
  if (read(1)) ctx.SetAct(n.output(1), mean, stat, perm);
  if (read(2)) ctx.SetAct(n.output(2), inv, stat, perm);
  return Status::Ok();
}

}  // namespace edgert::compiler

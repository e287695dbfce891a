// Convolution and matrix products: Conv, ConvTranspose, Gemm (MatMul is in matmul.cc). Weights
// become IR constants in the order the kernels want (OHWI; [N, K] for FullyConnected). 1-D
// convolution and pooling run as 2-D with H = 1.

#include <algorithm>
#include <array>

#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {

Result<std::array<int64_t, 4>> ConvPads(Lowerer& ctx, const Node& n, const Shape& in_hw,
                                        const Shape& k, const Shape& strides, const Shape& dil) {
  std::array<int64_t, 4> pads{0, 0, 0, 0};  // top, left, bottom, right
  const std::string auto_pad = AttrStr(n, "auto_pad", "NOTSET");
  if (auto_pad == "NOTSET") {
    std::vector<int64_t> p = AttrInts(n, "pads", {0, 0, 0, 0});
    if (p.size() != 4) return ctx.Bad("pads must have 4 values for a 2-D op");
    for (int i = 0; i < 4; ++i) pads[i] = p[i];
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    for (int d = 0; d < 2; ++d) {
      const int64_t out = (in_hw[d] + strides[d] - 1) / strides[d];
      const int64_t total =
          std::max<int64_t>(0, (out - 1) * strides[d] + (k[d] - 1) * dil[d] + 1 - in_hw[d]);
      const int64_t small = total / 2, big = total - total / 2;
      pads[d] = auto_pad == "SAME_UPPER" ? small : big;
      pads[d + 2] = auto_pad == "SAME_UPPER" ? big : small;
    }
  } else if (auto_pad != "VALID") {
    return ctx.Bad("unknown auto_pad '" + auto_pad + "'");
  }
  return pads;
}

Status LowerAs2D(Lowerer& ctx, const Node& n, Status (*lower2d)(Lowerer&, const Node&)) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  if (x.shape.size() != 3) return lower2d(ctx, n);
  // x [N, C, L] stored [N, L, C] is NHWC [N, 1, L, C]: a Reshape that moves no data.
  const std::string base = n.output(0) + "/as2d";
  const Shape x4 = {x.shape[0], x.shape[1], 1, x.shape[2]};
  const int nlc = ctx.Stored(x, {0, 2, 1}, n.input(0));
  const int x_nhwc = ctx.NewTensor(base + "_in", Permute(x4, kNHWC), x.dtype);
  ctx.Emit(ctx.cur_name_ + "/to_2d", "Reshape", {nlc}, {x_nhwc}, {}, n.op_type());
  ctx.SetAct(base + "_in", x_nhwc, x4, kNHWC);
  Node n2 = n;
  n2.set_input(0, base + "_in");
  n2.set_output(0, base + "_out");
  if (n.op_type() == "Conv" || n.op_type() == "ConvTranspose") {
    EDGERT_ASSIGN_OR_RETURN(Const w, ctx.ConstIn(n, 1, "the weight"));
    if (w.shape.size() != 3)
      return ctx.Bad("weight " + ShapeToString(w.shape) + " of a 1-D convolution must be 3-D");
    w.shape.insert(w.shape.begin() + 2, 1);
    ctx.SetConst(base + "_w", std::move(w));
    n2.set_input(1, base + "_w");
  }
  // The 1-D attributes as 2-D ones with H = 1: kernel, stride, dilation 1, no padding.
  for (auto& a : *n2.mutable_attribute()) {
    const std::string& name = a.name();
    if (name != "kernel_shape" && name != "strides" && name != "dilations" && name != "pads" &&
        name != "output_padding" && name != "output_shape")
      continue;
    std::vector<int64_t> v(a.ints().begin(), a.ints().end());
    if (name == "pads") {
      if (v.size() != 2) return ctx.Bad("pads of a 1-D op need 2 values");
      v = {0, v[0], 0, v[1]};
    } else if (name == "output_shape" && v.size() == 3) {
      v = {1, v[2]};
    } else {
      v.insert(v.begin(), name == "kernel_shape" || name == "strides" || name == "dilations" ||
                                  name == "output_shape"
                              ? 1
                              : 0);
    }
    a.clear_ints();
    for (int64_t d : v) a.add_ints(d);
  }
  EDGERT_RETURN_IF_ERROR(lower2d(ctx, n2));
  // y [N, C', 1, L'] stored NHWC [N, 1, L', C'] is [N, L', C'], the storage of [N, C', L'].
  const Value y = ctx.values_.at(base + "_out");
  const Shape y3 = {y.shape[0], y.shape[1], y.shape[3]};
  const int src = ctx.Stored(y, kNHWC, base + "_out");
  const int out = ctx.NewTensor(n.output(0), {y3[0], y3[2], y3[1]}, y.dtype);
  ctx.Emit(ctx.cur_name_ + "/to_1d", "Reshape", {src}, {out}, {}, n.op_type());
  ctx.SetAct(n.output(0), out, y3, {0, 2, 1});
  return Status::Ok();
}

namespace {

Status LowerConv2D(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  EDGERT_ASSIGN_OR_RETURN(Const w, ctx.ConstIn(n, 1, "the weight"));
  if (x.shape.size() != 4 || w.shape.size() != 4)
    return ctx.NotSupported(
        "only 1-D and 2-D convolution (3-D or 4-D input and weight) is supported, input is " +
        ShapeToString(x.shape));
  const int64_t group = AttrInt(n, "group", 1);
  const int64_t cout = w.shape[0], cin_g = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  if (group < 1 || x.shape[1] != cin_g * group || cout % group != 0)
    return ctx.Bad("weight " + ShapeToString(w.shape) + " does not fit input " +
                   ShapeToString(x.shape) + " with group " + std::to_string(group));
  const Shape strides = AttrInts(n, "strides", {1, 1}), dil = AttrInts(n, "dilations", {1, 1});
  if (strides.size() != 2 || dil.size() != 2) return ctx.Bad("strides/dilations need 2 values");
  EDGERT_ASSIGN_OR_RETURN(auto pads,
                          ConvPads(ctx, n, {x.shape[2], x.shape[3]}, {kh, kw}, strides, dil));
  const int64_t oh = (x.shape[2] + pads[0] + pads[2] - ((kh - 1) * dil[0] + 1)) / strides[0] + 1;
  const int64_t ow = (x.shape[3] + pads[1] + pads[3] - ((kw - 1) * dil[1] + 1)) / strides[1] + 1;
  if (oh <= 0 || ow <= 0) return ctx.Bad("output would be empty");
  std::vector<float> bias;
  EDGERT_RETURN_IF_ERROR(ctx.FloatsIfGiven(n, 2, "the bias", &bias));
  if (!bias.empty() && static_cast<int64_t>(bias.size()) != cout)
    return ctx.Bad("bias size differs from Cout");
  const int in = ctx.Stored(x, kNHWC, n.input(0));
  // OIHW -> OHWI
  const int wt = ctx.ConstTensor(n.input(1), {cout, kh, kw, cin_g},
                                 TransposeData(w.Floats(), w.shape, {0, 2, 3, 1}));
  const int bt = bias.empty() ? -1 : ctx.ConstTensor(n.input(2), {cout}, bias);
  const Shape out_shape = {x.shape[0], cout, oh, ow};
  const int out = ctx.NewTensor(n.output(0), Permute(out_shape, kNHWC));
  ctx.Emit(ctx.cur_name_, "Conv2D", {in, wt, bt}, {out},
           {AttrDef::Ints("pads", {pads[0], pads[1], pads[2], pads[3]}),
            AttrDef::Ints("strides", strides), AttrDef::Ints("dilations", dil),
            AttrDef::Int("group", group)},
           "Conv");
  ctx.SetAct(n.output(0), out, out_shape, kNHWC);
  return Status::Ok();
}

Status LowerConvTranspose2D(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  EDGERT_ASSIGN_OR_RETURN(Const w, ctx.ConstIn(n, 1, "the weight"));
  if (x.shape.size() != 4 || w.shape.size() != 4)
    return ctx.NotSupported(
        "only 1-D and 2-D transposed convolution (3-D or 4-D input and weight) is supported, "
        "input is " +
        ShapeToString(x.shape));
  const int64_t group = AttrInt(n, "group", 1);
  const int64_t cin = w.shape[0], cout_g = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  if (group < 1 || x.shape[1] != cin || cin % group != 0)
    return ctx.Bad("weight " + ShapeToString(w.shape) + " does not fit input " +
                   ShapeToString(x.shape) + " with group " + std::to_string(group));
  const int64_t cin_g = cin / group, cout = cout_g * group;
  const Shape strides = AttrInts(n, "strides", {1, 1}), dil = AttrInts(n, "dilations", {1, 1});
  const Shape out_pad = AttrInts(n, "output_padding", {0, 0});
  if (strides.size() != 2 || dil.size() != 2 || out_pad.size() != 2)
    return ctx.Bad("strides/dilations/output_padding need 2 values");
  const Shape k = {kh, kw}, in_hw = {x.shape[2], x.shape[3]};
  std::array<int64_t, 4> pads{0, 0, 0, 0};
  Shape out_hw(2);
  const std::string auto_pad = AttrStr(n, "auto_pad", "NOTSET");
  Shape output_shape = AttrInts(n, "output_shape");
  if (output_shape.size() == 4) output_shape = {output_shape[2], output_shape[3]};
  if (!output_shape.empty() && output_shape.size() != 2)
    return ctx.Bad("output_shape needs 2 values");
  if (output_shape.empty() && (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER"))
    output_shape = {in_hw[0] * strides[0], in_hw[1] * strides[1]};
  if (!output_shape.empty()) {
    for (int d = 0; d < 2; ++d) {
      const int64_t total =
          strides[d] * (in_hw[d] - 1) + out_pad[d] + (k[d] - 1) * dil[d] + 1 - output_shape[d];
      // ONNX's split of total_padding, with floor division (the reference implementation's):
      // a negative total (output_shape beyond the full result) is an extra zero border, on the
      // end side for an odd -1 and SAME_LOWER/NOTSET.
      const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      const bool upper = auto_pad == "SAME_UPPER";
      pads[d] = upper ? half : total - half;
      pads[d + 2] = upper ? total - half : half;
      out_hw[d] = output_shape[d];
    }
  } else {
    if (auto_pad == "NOTSET") {
      std::vector<int64_t> p = AttrInts(n, "pads", {0, 0, 0, 0});
      if (p.size() != 4) return ctx.Bad("pads must have 4 values");
      for (int i = 0; i < 4; ++i) pads[i] = p[i];
    } else if (auto_pad != "VALID") {
      return ctx.Bad("unknown auto_pad '" + auto_pad + "'");
    }
    for (int d = 0; d < 2; ++d)
      out_hw[d] = strides[d] * (in_hw[d] - 1) + out_pad[d] + (k[d] - 1) * dil[d] + 1 - pads[d] -
                  pads[d + 2];
  }
  if (out_hw[0] <= 0 || out_hw[1] <= 0) return ctx.Bad("output would be empty");
  // ONNX [Cin, Cout/g, KH, KW] -> IR [group][Cout/g][KH][KW][Cin/g].
  const std::vector<float> wf = w.Floats();
  std::vector<float> wir(wf.size());
  for (int64_t g = 0; g < group; ++g)
    for (int64_t oc = 0; oc < cout_g; ++oc)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t xx = 0; xx < kw; ++xx)
          for (int64_t ic = 0; ic < cin_g; ++ic)
            wir[(((g * cout_g + oc) * kh + y) * kw + xx) * cin_g + ic] =
                wf[(((g * cin_g + ic) * cout_g + oc) * kh + y) * kw + xx];
  std::vector<float> bias;
  EDGERT_RETURN_IF_ERROR(ctx.FloatsIfGiven(n, 2, "the bias", &bias));
  if (!bias.empty() && static_cast<int64_t>(bias.size()) != cout)
    return ctx.Bad("bias size differs from Cout");
  const int in = ctx.Stored(x, kNHWC, n.input(0));
  const int wt = ctx.ConstTensor(n.input(1), {cout, kh, kw, cin_g}, wir);
  const int bt = bias.empty() ? -1 : ctx.ConstTensor(n.input(2), {cout}, bias);
  // Negative pads: the transposed convolution without them, then a zero border (IR Pad).
  std::array<int64_t, 4> border{0, 0, 0, 0};
  for (int i = 0; i < 4; ++i) {
    border[i] = std::max<int64_t>(0, -pads[i]);
    pads[i] = std::max<int64_t>(0, pads[i]);
  }
  const Shape out_shape = {x.shape[0], cout, out_hw[0], out_hw[1]};
  const Shape conv_shape = {x.shape[0], cout, out_hw[0] - border[0] - border[2],
                            out_hw[1] - border[1] - border[3]};
  const bool bordered = conv_shape != out_shape;
  const int conv_out =
      ctx.NewTensor(bordered ? n.output(0) + "_unpadded" : n.output(0), Permute(conv_shape, kNHWC));
  ctx.Emit(ctx.cur_name_, "ConvTranspose2D", {in, wt, bt}, {conv_out},
           {AttrDef::Ints("pads", {pads[0], pads[1], pads[2], pads[3]}),
            AttrDef::Ints("strides", strides), AttrDef::Ints("dilations", dil),
            AttrDef::Int("group", group), AttrDef::Ints("output_padding", out_pad)},
           "ConvTranspose");
  int out = conv_out;
  if (bordered) {
    out = ctx.NewTensor(n.output(0), Permute(out_shape, kNHWC));
    // NHWC pads: [N, H, W, C] begins, then ends.
    ctx.Emit(ctx.cur_name_ + "/border", "Pad", {conv_out}, {out},
             {AttrDef::Ints("pads", {0, border[0], border[1], 0, 0, border[2], border[3], 0}),
              AttrDef::String("mode", "constant"), AttrDef::Float("value", 0.f)},
             "ConvTranspose");
  }
  ctx.SetAct(n.output(0), out, out_shape, kNHWC);
  return Status::Ok();
}

}  // namespace

// 1-D (3-D input) convolutions run as 2-D ones with H = 1 (LowerAs2D).
Status LowerConv(Lowerer& ctx, const Node& n) { return LowerAs2D(ctx, n, LowerConv2D); }
Status LowerConvTranspose(Lowerer& ctx, const Node& n) {
  return LowerAs2D(ctx, n, LowerConvTranspose2D);
}

Status LowerGemm(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* ap, ctx.In(n, 0));
  const Value a = *ap;
  EDGERT_ASSIGN_OR_RETURN(Const b, ctx.ConstIn(n, 1, "B"));
  if (a.shape.size() != 2 || b.shape.size() != 2) return ctx.Bad("Gemm needs 2-D A and B");
  const bool ta = AttrInt(n, "transA", 0) != 0, tb = AttrInt(n, "transB", 0) != 0;
  const float alpha = AttrFloat(n, "alpha", 1.f), beta = AttrFloat(n, "beta", 1.f);
  const int64_t m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1];
  const int64_t nn = tb ? b.shape[0] : b.shape[1];
  if ((tb ? b.shape[1] : b.shape[0]) != k)
    return ctx.Bad("A " + ShapeToString(a.shape) + " and B " + ShapeToString(b.shape) +
                   " do not multiply");
  std::vector<float> w = tb ? b.Floats() : TransposeData(b.Floats(), b.shape, {1, 0});
  for (float& v : w) v *= alpha;
  int in;
  if (ta) {
    in = ctx.Stored(a, {1, 0}, n.input(0));
  } else {
    in = ctx.Logical(a, n.input(0));
  }
  // C as a bias when it is a constant that broadcasts along N only.
  std::vector<float> bias;
  bool c_as_add = false;
  Const cc;
  if (ctx.Has(n, 2)) {
    EDGERT_ASSIGN_OR_RETURN(const Value* cv, ctx.In(n, 2));
    if (cv->is_const && Numel(cv->shape) == nn && (cv->shape.empty() || cv->shape.back() == nn)) {
      bias = cv->c.Floats();
      for (float& v : bias) v *= beta;
    } else if (cv->is_const && Numel(cv->shape) == 1) {
      bias.assign(static_cast<size_t>(nn), static_cast<float>(cv->c.At(0)) * beta);
    } else {
      c_as_add = true;
    }
  }
  const int wt = ctx.ConstTensor(n.input(1), {nn, k}, w);
  const int bt = bias.empty() ? -1 : ctx.ConstTensor(n.input(2), {nn}, bias);
  const Shape out_shape = {m, nn};
  const int out = ctx.NewTensor(c_as_add ? n.output(0) + "_gemm" : n.output(0), out_shape);
  ctx.Emit(ctx.cur_name_, "FullyConnected", {in, wt, bt}, {out}, {}, "Gemm");
  if (!c_as_add) {
    ctx.SetAct(n.output(0), out, out_shape, {0, 1});
    return Status::Ok();
  }
  EDGERT_ASSIGN_OR_RETURN(const Value* cv, ctx.In(n, 2));
  Value c = *cv;
  if (c.shape.size() != 2 || beta != 1.f)
    return ctx.NotSupported("a non-constant C needs rank 2 and beta 1");
  const int ct = ctx.Logical(c, n.input(2));
  auto bs = BroadcastShapes(out_shape, c.shape);
  if (!bs.ok() || *bs != out_shape) return ctx.Bad("C does not broadcast to the output");
  const int sum = ctx.NewTensor(n.output(0), out_shape);
  ctx.Emit(ctx.cur_name_ + "/bias", "Add", {out, ct}, {sum}, {}, "Gemm");
  ctx.SetAct(n.output(0), sum, out_shape, {0, 1});
  return Status::Ok();
}

}  // namespace edgert::compiler

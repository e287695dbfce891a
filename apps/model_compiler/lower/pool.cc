// Pooling: MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool (2-D, NHWC; 1-D as 2-D).

#include <algorithm>
#include <array>

#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {

namespace {

Status LowerPool2D(Lowerer& ctx, const Node& n) {
  const std::string& op = n.op_type();
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  if (x.shape.size() != 4)
    return ctx.NotSupported("only 1-D and 2-D pooling (3-D or 4-D input) is supported, input is " +
                            ShapeToString(x.shape));
  const int in = ctx.Stored(x, kNHWC, n.input(0));
  if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
    const Shape out_shape = {x.shape[0], x.shape[1], 1, 1};
    const int out = ctx.NewTensor(n.output(0), Permute(out_shape, kNHWC));
    ctx.Emit(ctx.cur_name_, op == "GlobalAveragePool" ? "GlobalAvgPool" : "GlobalMaxPool", {in},
             {out}, {}, op);
    ctx.SetAct(n.output(0), out, out_shape, kNHWC);
    return Status::Ok();
  }
  if (n.output_size() > 1 && !n.output(1).empty())
    return ctx.NotSupported("MaxPool's Indices output is not supported");
  const Shape k = AttrInts(n, "kernel_shape");
  if (k.size() != 2) return ctx.Bad("kernel_shape needs 2 values");
  const Shape strides = AttrInts(n, "strides", {1, 1}), dil = AttrInts(n, "dilations", {1, 1});
  if (strides.size() != 2 || dil.size() != 2) return ctx.Bad("strides/dilations need 2 values");
  EDGERT_ASSIGN_OR_RETURN(auto pads, ConvPads(ctx, n, {x.shape[2], x.shape[3]}, k, strides, dil));
  const bool ceil_mode = AttrInt(n, "ceil_mode", 0) != 0;
  Shape out_hw(2);
  for (int d = 0; d < 2; ++d) {
    const int64_t in_d = x.shape[2 + d];
    const int64_t span = in_d + pads[d] + pads[d + 2] - ((k[d] - 1) * dil[d] + 1);
    if (span < 0) return ctx.Bad("window larger than the padded input");
    int64_t o = (ceil_mode ? (span + strides[d] - 1) / strides[d] : span / strides[d]) + 1;
    // As torch and ONNX >= 1.16: a window that would start in the end padding is dropped.
    if (ceil_mode && (o - 1) * strides[d] >= in_d + pads[d]) --o;
    out_hw[d] = o;
  }
  std::vector<AttrDef> attrs = {AttrDef::Ints("kernel", k), AttrDef::Ints("strides", strides)};
  std::string ir;
  if (op == "MaxPool") {
    ir = "MaxPool2D";
    // Resolve ceil_mode into extra bottom/right padding (padded elements never win).
    for (int d = 0; d < 2; ++d) {
      const int64_t need = (out_hw[d] - 1) * strides[d] + (k[d] - 1) * dil[d] + 1;
      const int64_t have = x.shape[2 + d] + pads[d] + pads[d + 2];
      if (need > have) pads[d + 2] += need - have;
    }
    attrs.push_back(AttrDef::Ints("dilations", dil));
  } else {
    ir = "AvgPool2D";
    if (dil[0] != 1 || dil[1] != 1) return ctx.NotSupported("dilated AveragePool");
    attrs.push_back(AttrDef::Int("count_include_pad", AttrInt(n, "count_include_pad", 0)));
  }
  attrs.push_back(AttrDef::Ints("pads", {pads[0], pads[1], pads[2], pads[3]}));
  const Shape out_shape = {x.shape[0], x.shape[1], out_hw[0], out_hw[1]};
  const int out = ctx.NewTensor(n.output(0), Permute(out_shape, kNHWC), x.dtype);
  ctx.Emit(ctx.cur_name_, ir, {in}, {out}, attrs, op);
  ctx.SetAct(n.output(0), out, out_shape, kNHWC);
  return Status::Ok();
}

}  // namespace

// 1-D pooling (3-D input) runs as 2-D with H = 1 (LowerAs2D, conv.cc).
Status LowerPool(Lowerer& ctx, const Node& n) { return LowerAs2D(ctx, n, LowerPool2D); }

}  // namespace edgert::compiler

// Resize and Upsample (nearest, linear and cubic, 4-D NCHW, H and W only).

#include <cmath>
#include <set>

#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {

Status LowerResize(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  if (x.shape.size() != 4) return ctx.NotSupported("only 4-D (NCHW) resize is supported");
  const bool upsample = n.op_type() == "Upsample";
  std::string mode = AttrStr(n, "mode", "nearest");
  if (mode == "bilinear") mode = "linear";
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return ctx.NotSupported("mode '" + mode + "' (nearest, linear and cubic only)");
  std::string ctm = "asymmetric", nearest = "floor";
  std::vector<float> scales, roi;
  Shape sizes;
  if (upsample) {
    if (ctx.opset_ < 9) {
      scales = AttrFloats(n, "scales");
    } else {
      EDGERT_ASSIGN_OR_RETURN(Const s, ctx.ConstIn(n, 1, "scales"));
      scales = s.Floats();
    }
  } else if (ctx.opset_ < 11) {
    EDGERT_ASSIGN_OR_RETURN(Const s, ctx.ConstIn(n, 1, "scales"));
    scales = s.Floats();
  } else {
    ctm = AttrStr(n, "coordinate_transformation_mode", "half_pixel");
    nearest = AttrStr(n, "nearest_mode", "round_prefer_floor");
    const std::set<std::string> ctms = {"half_pixel",           "asymmetric",
                                        "align_corners",        "pytorch_half_pixel",
                                        "tf_half_pixel_for_nn", "tf_crop_and_resize"};
    if (!ctms.count(ctm)) return ctx.NotSupported("coordinate_transformation_mode '" + ctm + "'");
    EDGERT_RETURN_IF_ERROR(ctx.FloatsIfGiven(n, 2, "scales", &scales));
    EDGERT_RETURN_IF_ERROR(ctx.IntsIfGiven(n, 3, "sizes", &sizes));
    if (ctm == "tf_crop_and_resize") {
      EDGERT_RETURN_IF_ERROR(ctx.FloatsIfGiven(n, 1, "roi", &roi));
      if (roi.size() != 8) return ctx.Bad("tf_crop_and_resize needs a roi of 8 values");
      // The kernel crops H and W only: N and C must span their whole extent.
      if (roi[0] != 0.f || roi[1] != 0.f || roi[4] != 1.f || roi[5] != 1.f)
        return ctx.NotSupported("a roi that crops N or C");
    }
    if (AttrInt(n, "antialias", 0) != 0) return ctx.NotSupported("antialias");
    if (FindAttr(n, "axes")) return ctx.NotSupported("the axes attribute");
  }
  if (!sizes.empty()) {
    if (sizes.size() != 4) return ctx.Bad("sizes needs 4 values");
    scales.clear();
    for (int d = 0; d < 4; ++d)
      scales.push_back(static_cast<float>(sizes[d]) / static_cast<float>(x.shape[d]));
  } else {
    if (scales.size() != 4) return ctx.Bad("scales needs 4 values (or sizes)");
    for (float sc : scales)
      if (!(sc > 0.f) || !std::isfinite(sc) || sc > 1e4f)
        return ctx.Bad("scale " + std::to_string(sc) + " out of range");
    for (int d = 0; d < 4; ++d)
      sizes.push_back(static_cast<int64_t>(std::floor(x.shape[d] * scales[d])));
  }
  if (sizes[0] != x.shape[0] || sizes[1] != x.shape[1]) return ctx.NotSupported("resizing N or C");
  if (sizes[2] <= 0 || sizes[3] <= 0) return ctx.Bad("empty output");
  const int in = ctx.Stored(x, kNHWC, n.input(0));
  const Shape out_shape = {x.shape[0], x.shape[1], sizes[2], sizes[3]};
  const int out = ctx.NewTensor(n.output(0), Permute(out_shape, kNHWC));
  std::vector<AttrDef> attrs = {AttrDef::String("mode", mode),
                                AttrDef::String("coordinate_transformation_mode", ctm),
                                AttrDef::Floats("scales", {scales[2], scales[3]})};
  if (mode == "nearest") attrs.push_back(AttrDef::String("nearest_mode", nearest));
  if (mode == "cubic") {
    attrs.push_back(AttrDef::Float("cubic_coeff_a", AttrFloat(n, "cubic_coeff_a", -0.75f)));
    attrs.push_back(AttrDef::Int("exclude_outside", AttrInt(n, "exclude_outside", 0)));
  }
  if (ctm == "tf_crop_and_resize") {
    attrs.push_back(AttrDef::Floats("roi", {roi[2], roi[3], roi[6], roi[7]}));
    attrs.push_back(
        AttrDef::Float("extrapolation_value", AttrFloat(n, "extrapolation_value", 0.f)));
  }
  ctx.Emit(ctx.cur_name_, "Resize", {in}, {out}, attrs, n.op_type());
  ctx.SetAct(n.output(0), out, out_shape, kNHWC);
  return Status::Ok();
}

}  // namespace edgert::compiler

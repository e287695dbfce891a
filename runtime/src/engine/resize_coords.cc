#include "engine/resize_coords.h"

#include <algorithm>
#include <cmath>

namespace edgert::engine {

Status ParseResize(const NodeContext& ctx, const TensorRef& in, const TensorRef& out,
                   ResizeParams* p) {
  const std::string mode = ctx.Str("mode", "nearest");
  if (mode == "nearest")
    p->linear = false;
  else if (mode == "linear")
    p->linear = true;
  else
    return ctx.Decline("resize mode '" + mode + "'");
  const std::string coord = ctx.Str("coordinate_transformation_mode", "half_pixel");
  if (coord == "half_pixel")
    p->coord = CoordMode::kHalfPixel;
  else if (coord == "asymmetric")
    p->coord = CoordMode::kAsymmetric;
  else if (coord == "align_corners")
    p->coord = CoordMode::kAlignCorners;
  else if (coord == "pytorch_half_pixel")
    p->coord = CoordMode::kPytorchHalfPixel;
  else if (coord == "tf_half_pixel_for_nn")
    p->coord = CoordMode::kTfHalfPixelForNn;
  else
    return ctx.Decline("coordinate_transformation_mode '" + coord + "'");
  const std::string nearest = ctx.Str("nearest_mode", "round_prefer_floor");
  if (nearest == "round_prefer_floor")
    p->nearest = NearestMode::kRoundPreferFloor;
  else if (nearest == "round_prefer_ceil")
    p->nearest = NearestMode::kRoundPreferCeil;
  else if (nearest == "floor")
    p->nearest = NearestMode::kFloor;
  else if (nearest == "ceil")
    p->nearest = NearestMode::kCeil;
  else
    return ctx.Decline("nearest_mode '" + nearest + "'");
  std::vector<float> scales = ctx.Floats("scales", {});
  for (int a = 0; a < 2; ++a) {
    p->scale[a] = scales.size() == 2
                      ? scales[static_cast<size_t>(a)]
                      : static_cast<float>(out.shape[1 + a]) / static_cast<float>(in.shape[1 + a]);
    if (!(p->scale[a] > 0.f) || !std::isfinite(p->scale[a]))
      return ctx.Error("scales must be positive and finite, got " + std::to_string(p->scale[a]));
  }
  return Status::Ok();
}

float OriginalCoord(const ResizeParams& p, int axis, int64_t x, int64_t in, int64_t out) {
  const float s = p.scale[axis];
  const auto xf = static_cast<float>(x);
  switch (p.coord) {
    case CoordMode::kHalfPixel:
      return (xf + 0.5f) / s - 0.5f;
    case CoordMode::kPytorchHalfPixel:
      return out > 1 ? (xf + 0.5f) / s - 0.5f : 0.f;
    case CoordMode::kAlignCorners: {
      // ONNX takes the resized length as in * scale, unrounded, when scales were given (the
      // node tests' downsample_scales_linear_align_corners depends on it); with sizes given,
      // scale = out / in and this is out.
      const float len = static_cast<float>(in) * s;
      (void)out;
      return len <= 1.f ? 0.f : xf * static_cast<float>(in - 1) / (len - 1.f);
    }
    case CoordMode::kAsymmetric:
      return xf / s;
    case CoordMode::kTfHalfPixelForNn:
      return (xf + 0.5f) / s;
  }
  return 0.f;
}

int64_t NearestIndex(const ResizeParams& p, int axis, int64_t x, int64_t in, int64_t out) {
  const float c = OriginalCoord(p, axis, x, in, out);
  float r;
  switch (p.nearest) {
    case NearestMode::kRoundPreferFloor:
      r = c == std::floor(c) + 0.5f ? std::floor(c) : std::round(c);
      break;
    case NearestMode::kRoundPreferCeil:
      r = c == std::floor(c) + 0.5f ? std::ceil(c) : std::round(c);
      break;
    case NearestMode::kFloor:
      r = std::floor(c);
      break;
    default:
      r = std::ceil(c);
      break;
  }
  // Clamped as a float: a coordinate beyond int64 (extreme scales) must not reach the cast.
  if (!(r > 0.f)) return 0;
  if (r >= static_cast<float>(in - 1)) return in - 1;
  return static_cast<int64_t>(r);
}

}  // namespace edgert::engine

#include "engine/resize_coords.h"

#include <algorithm>
#include <cmath>

namespace edgert::engine {

Status ParseResize(const NodeContext& ctx, const TensorRef& in, const TensorRef& out,
                   ResizeParams* p) {
  const std::string mode = ctx.Str("mode", "nearest");
  if (mode == "nearest")
    p->mode = ResizeMode::kNearest;
  else if (mode == "linear")
    p->mode = ResizeMode::kLinear;
  else if (mode == "cubic")
    p->mode = ResizeMode::kCubic;
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
  else if (coord == "tf_crop_and_resize")
    p->coord = CoordMode::kTfCropAndResize;
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
  p->cubic_a = ctx.Float("cubic_coeff_a", -0.75f);
  p->exclude_outside = ctx.Int("exclude_outside", 0) != 0;
  if (!std::isfinite(p->cubic_a)) return ctx.Error("cubic_coeff_a must be finite");
  if (p->coord == CoordMode::kTfCropAndResize) {
    const std::vector<float> roi = ctx.Floats("roi", {0.f, 0.f, 1.f, 1.f});
    if (roi.size() != 4)
      return ctx.Error("roi needs 4 values [h_start, w_start, h_end, w_end], got " +
                       std::to_string(roi.size()));
    for (float r : roi)
      if (!std::isfinite(r)) return ctx.Error("roi values must be finite");
    for (int a = 0; a < 2; ++a) {
      p->roi_start[a] = roi[static_cast<size_t>(a)];
      p->roi_end[a] = roi[static_cast<size_t>(a + 2)];
    }
    p->extrapolation_value = ctx.Float("extrapolation_value", 0.f);
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
    case CoordMode::kTfCropAndResize: {
      const float span = (p.roi_end[axis] - p.roi_start[axis]) * static_cast<float>(in - 1);
      const float start = p.roi_start[axis] * static_cast<float>(in - 1);
      return out > 1 ? start + xf * span / static_cast<float>(out - 1) : start + span / 2.f;
    }
  }
  return 0.f;
}

bool Extrapolates(const ResizeParams& p, float c, int64_t in) {
  return p.coord == CoordMode::kTfCropAndResize && !(c >= 0.f && c <= static_cast<float>(in - 1));
}

void CubicTaps(const ResizeParams& p, float c, int64_t in, int64_t idx[4], float w[4]) {
  // A coordinate beyond any index (NaN, extreme scales) is pinned before the cast: the taps
  // then all clamp to one edge, which is where ONNX's edge padding puts them too.
  const float lim = static_cast<float>(in) + 2.f;
  c = c > -2.f ? std::min(c, lim) : -2.f;
  const float fl = std::floor(c);
  const double t = static_cast<double>(c) - static_cast<double>(fl);
  const double a = static_cast<double>(p.cubic_a);
  // Keys' kernel: |d| <= 1: (a+2)|d|^3 - (a+3)|d|^2 + 1; 1 < |d| < 2: a|d|^3 - 5a|d|^2 + 8a|d| -
  // 4a.
  const auto near = [a](double d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };
  const auto far = [a](double d) { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; };
  double wd[4] = {far(t + 1), near(t), near(1 - t), far(2 - t)};
  const auto base = static_cast<int64_t>(fl) - 1;
  double sum = 0;
  for (int k = 0; k < 4; ++k) {
    const int64_t i = base + k;
    if (p.exclude_outside && (i < 0 || i >= in)) wd[k] = 0;
    sum += wd[k];
    idx[k] = std::min(std::max<int64_t>(i, 0), in - 1);
  }
  const bool renorm = p.exclude_outside && sum != 0;  // sum 0: every tap outside, output 0
  for (int k = 0; k < 4; ++k) w[k] = static_cast<float>(renorm ? wd[k] / sum : wd[k]);
}

int64_t NearestIndex(const ResizeParams& p, int axis, int64_t x, int64_t in, int64_t out) {
  const float c = OriginalCoord(p, axis, x, in, out);
  if (Extrapolates(p, c, in)) return -1;
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

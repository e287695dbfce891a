#pragma once

// ONNX Resize coordinate transforms, shared by the portable kernel and the XNNPACK provider's
// decision whether its bilinear kernel computes the same thing.

#include <cstdint>
#include <string>

#include "engine/kernel.h"

namespace edgert::engine {

enum class CoordMode {
  kHalfPixel,
  kAsymmetric,
  kAlignCorners,
  kPytorchHalfPixel,
  kTfHalfPixelForNn,
  kTfCropAndResize
};
enum class ResizeMode { kNearest, kLinear, kCubic };
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

struct ResizeParams {
  ResizeMode mode = ResizeMode::kNearest;
  CoordMode coord = CoordMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  float scale[2] = {1.f, 1.f};  // ONNX scales for H and W
  float cubic_a = -0.75f;       // cubic_coeff_a
  bool exclude_outside = false;
  // tf_crop_and_resize: the crop box as fractions of (in - 1), and the value written where an
  // output coordinate falls outside the input.
  float roi_start[2] = {0.f, 0.f}, roi_end[2] = {1.f, 1.f};
  float extrapolation_value = 0.f;
};

// Reads the Resize attributes of a 4-D NHWC node; kUnsupported for unknown mode names.
Status ParseResize(const NodeContext& ctx, const TensorRef& in, const TensorRef& out,
                   ResizeParams* p);
// x_original for output index x of `axis` (0 = H, 1 = W), as ONNX defines it.
float OriginalCoord(const ResizeParams& p, int axis, int64_t x, int64_t in, int64_t out);
// The nearest input index for output index x, clamped into [0, in); -1 where tf_crop_and_resize
// puts the coordinate outside the input (the output takes extrapolation_value).
int64_t NearestIndex(const ResizeParams& p, int axis, int64_t x, int64_t in, int64_t out);
// Whether tf_crop_and_resize maps coordinate c outside [0, in - 1] (never for other modes).
bool Extrapolates(const ResizeParams& p, float c, int64_t in);
// The four taps of cubic interpolation at coordinate c (ONNX: indices floor(c)-1 .. floor(c)+2,
// clamped into [0, in) as edge padding, weights from cubic_coeff_a; with exclude_outside the
// taps outside [0, in) get weight 0 and the rest are renormalized).
void CubicTaps(const ResizeParams& p, float c, int64_t in, int64_t idx[4], float w[4]);

}  // namespace edgert::engine

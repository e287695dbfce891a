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
  kTfHalfPixelForNn
};
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

struct ResizeParams {
  bool linear = false;
  CoordMode coord = CoordMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  float scale[2] = {1.f, 1.f};  // ONNX scales for H and W
};

// Reads the Resize attributes of a 4-D NHWC node; kUnsupported for unknown mode names.
Status ParseResize(const NodeContext& ctx, const TensorRef& in, const TensorRef& out,
                   ResizeParams* p);
// x_original for output index x of `axis` (0 = H, 1 = W), as ONNX defines it.
float OriginalCoord(const ResizeParams& p, int axis, int64_t x, int64_t in, int64_t out);
// The nearest input index for output index x, clamped into [0, in).
int64_t NearestIndex(const ResizeParams& p, int axis, int64_t x, int64_t in, int64_t out);

}  // namespace edgert::engine

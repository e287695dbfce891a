#pragma once

#include <cstdint>
#include <string>

#include "edgert/status.h"
#include "edgert/tensor_desc.h"

namespace edgert {

// The value range of the YUV and gray buffers a model input takes (YAML input_space_and_range).
enum class ColorRange {
  kFull,   // "regular": BT.601 full range ("JPEG"), Y, U and V in [0,255]
  kVideo,  // "bt601_video": BT.601 limited range, Y in [16,235], U and V in [16,240]
};

// "regular" / "bt601_video".
const char* ColorRangeName(ColorRange range);
// Parses a YAML input_space_and_range (PreprocessInfo::input_space_and_range): "regular" or
// empty (no preprocessing recorded) -> kFull, "bt601_video" -> kVideo; else kInvalidArgument.
Result<ColorRange> ParseColorRange(const std::string& name);

// Converts a packed BGR24 image (B,G,R bytes per pixel, OpenCV's order; rows `bgr_stride` bytes
// apart, stride >= 3 * width, no alignment needed) into the aligned buffer of an image input:
// `dst` receives desc.aligned_byte_size bytes, padding bytes zero. The image must already have the
// input's valid height and width, and the input's batch must be 1. Handles IMG_NV12, IMG_Y,
// IMG_YUV444 (Y,U,V per pixel in NHWC), IMG_RGB, IMG_BGR and IMG_GRAY in NHWC, and the packed
// types also in NCHW (one plane per channel). Reads exactly 3 * width bytes of each source row.
// The integer formulas are in README "Colour conversion"; they are the same on every CPU.
// Errors: kInvalidArgument for a non-image description, a wrong size (naming both sizes), N > 1,
// odd NV12/Y sizes, a stride below 3 * width or a null pointer.
Status ConvertBgr24ToInput(const uint8_t* bgr, int64_t bgr_stride, int64_t width, int64_t height,
                           ColorRange range, const TensorDesc& desc, uint8_t* dst);

}  // namespace edgert

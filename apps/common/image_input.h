#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "edgert/image.h"
#include "edgert/status.h"
#include "edgert/tensor_desc.h"

namespace edgert::app {

// True for the file names LoadImageInput decodes: .jpg, .jpeg, .png, .bmp (any case).
bool IsImageFile(const std::string& path);

// Decodes an image file (DecodeImageFile: what OpenCV's cv::imread IMREAD_COLOR returns, 3-channel
// BGR, alpha dropped, gray expanded, EXIF orientation applied), resizes it to the input's valid
// width x height with cv::resize INTER_LINEAR when its size differs (aspect ratio not kept), and
// converts it with ConvertBgr24ToInput into the input's aligned buffer (desc.aligned_byte_size
// bytes, padding zero). scripts/preprocess_ref.py `rt` builds the same bytes. `what_happened`, if
// not null, receives one line such as "a.jpg: decoded 512x512, resized to 224x224 (INTER_LINEAR),
// converted to IMG_NV12 bt601_video, padded rows 224 -> 224 bytes (no padding)". Errors name the
// file: unreadable or undecodable image, a featuremap input, a batch above 1.
Result<std::vector<uint8_t>> LoadImageInput(const std::string& path, const TensorDesc& desc,
                                            ColorRange range, std::string* what_happened);

// The pixel half of LoadImageInput, for images already in memory (the Python module): a packed
// BGR24 image (rows `stride` bytes apart, stride >= 3 * width) is resized to the input's valid
// size with cv::resize INTER_LINEAR when it differs and converted with ConvertBgr24ToInput into
// a new aligned buffer. `label` names the image in errors and in `what_happened`.
Result<std::vector<uint8_t>> BgrImageToInput(const uint8_t* bgr, int64_t stride, int width,
                                             int height, const TensorDesc& desc, ColorRange range,
                                             const std::string& label, std::string* what_happened);

}  // namespace edgert::app

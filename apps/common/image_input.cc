#include "common/image_input.h"

#include <cctype>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "common/image_decode.h"

namespace edgert::app {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string WxH(int64_t w, int64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

}  // namespace

bool IsImageFile(const std::string& path) {
  const std::string p = Lower(path);
  for (const char* ext : {".jpg", ".jpeg", ".png", ".bmp"}) {
    const std::string e = ext;
    if (p.size() >= e.size() && p.compare(p.size() - e.size(), e.size(), e) == 0) return true;
  }
  return false;
}

Result<std::vector<uint8_t>> BgrImageToInput(const uint8_t* bgr, int64_t stride, int width,
                                             int height, const TensorDesc& desc, ColorRange range,
                                             const std::string& label, std::string* what_happened) {
  if (!IsImageType(desc.type))
    return InputError(label + ": input '" + desc.name + "' is " + TensorTypeName(desc.type) +
                      " featuremap; image files feed IMG_* inputs");
  if (desc.valid_shape.size() != 4)
    return InputError(label + ": input '" + desc.name + "' has shape " +
                      ShapeToString(desc.valid_shape) + ", not an image shape");
  if (bgr == nullptr || width < 1 || height < 1 || stride < 3 * static_cast<int64_t>(width))
    return InvalidArgument(label + ": empty image or row stride below 3 * width");
  // cv::Mat does not write through a const source; the cast only satisfies its constructor.
  const cv::Mat decoded(height, width, CV_8UC3, const_cast<uint8_t*>(bgr),
                        static_cast<size_t>(stride));
  cv::Mat resized;
  const bool nchw = desc.layout == Layout::kNCHW;
  const int64_t h = desc.valid_shape[nchw ? 2 : 1];
  const int64_t w = desc.valid_shape[nchw ? 3 : 2];
  try {
    if (decoded.cols == w && decoded.rows == h) {
      resized = decoded;
    } else {
      cv::resize(decoded, resized, cv::Size(static_cast<int>(w), static_cast<int>(h)), 0, 0,
                 cv::INTER_LINEAR);
    }
  } catch (const cv::Exception& e) {
    return InputError(label + ": OpenCV failed: " + e.what());
  }
  std::vector<uint8_t> aligned(static_cast<size_t>(desc.aligned_byte_size));
  Status s = ConvertBgr24ToInput(resized.ptr<uint8_t>(0), static_cast<int64_t>(resized.step[0]),
                                 resized.cols, resized.rows, range, desc, aligned.data());
  if (!s.ok()) return Status(s.code(), label + ": " + s.message());
  if (what_happened) {
    std::string line = label + ": decoded " + WxH(decoded.cols, decoded.rows);
    line += decoded.cols == w && decoded.rows == h
                ? ", no resize"
                : ", resized to " + WxH(w, h) + " (INTER_LINEAR)";
    line += std::string(", converted to ") + TensorTypeName(desc.type) + " " +
            LayoutName(desc.layout) + " " + ColorRangeName(range) + ", valid " +
            ShapeToString(desc.valid_shape) + " -> aligned " + ShapeToString(desc.aligned_shape) +
            (desc.aligned_byte_size != desc.valid_byte_size() ? ", padding added"
                                                              : ", no padding needed");
    *what_happened = std::move(line);
  }
  return aligned;
}

Result<std::vector<uint8_t>> LoadImageInput(const std::string& path, const TensorDesc& desc,
                                            ColorRange range, std::string* what_happened) {
  if (!IsImageType(desc.type))
    return InputError(path + ": input '" + desc.name + "' is " + TensorTypeName(desc.type) +
                      " featuremap; image files feed IMG_* inputs");
  EDGERT_ASSIGN_OR_RETURN(BgrImage image, DecodeImageFile(path));
  return BgrImageToInput(image.bgr.data(), 3 * static_cast<int64_t>(image.width), image.width,
                         image.height, desc, range, path, what_happened);
}

}  // namespace edgert::app

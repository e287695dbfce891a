#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "edgert/status.h"

namespace edgert {

// What a model input or output holds (hbDNNTensorProperties.tensorType). The IMG_* types are
// camera/ISP image buffers of u8; the others are featuremaps of the named element type.
enum class TensorType : uint8_t {
  kImgY = 0,
  kImgNv12,
  kImgYuv444,
  kImgRgb,
  kImgBgr,
  kImgGray,
  kS8,
  kU8,
  kS16,
  kS32,
  kF16,
  kF32,
};

enum class Layout : uint8_t { kNHWC = 0, kNCHW, kNone };

// "IMG_NV12", "F32", ... as model_info prints them.
const char* TensorTypeName(TensorType type);
const char* LayoutName(Layout layout);
// Parses the names above (case-insensitive); kInvalidArgument lists the accepted names.
Result<TensorType> ParseTensorType(const std::string& name);
Result<Layout> ParseLayout(const std::string& name);
bool IsImageType(TensorType type);
// Bytes per element: 1 for every IMG_* type.
size_t ElementSize(TensorType type);

// Affine quantization, real = scale * (q - zero_point). Empty scale means not quantized. With
// axis >= 0 there is one scale and zero point per index of that dimension.
struct Quantization {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int axis = -1;

  bool quantized() const { return !scale.empty(); }
  bool operator==(const Quantization& o) const {
    return scale == o.scale && zero_point == o.zero_point && axis == o.axis;
  }
  bool operator!=(const Quantization& o) const { return !(*this == o); }
};

// How a tensor's rows are padded. Every row (the innermost stored dimension; for images one
// line of pixels) is rounded up to a multiple of row_align_bytes. 1 disables padding.
struct AlignmentRule {
  int row_align_bytes = 16;
};

// Description of one model input or output: a plain, copyable, comparable value.
//
// Shapes are in `layout` order. For image types the shape is N,H,W,C (NHWC) or N,C,H,W (NCHW),
// C being 3 for NV12/YUV444/RGB/BGR and 1 for Y/GRAY. `stride[i]` is the byte step of
// dimension i in the aligned buffer.
//
// IMG_NV12 and IMG_Y are planar: a Y plane of H rows of stride[row] bytes, then (NV12) an
// interleaved UV plane of H/2 rows with the same stride. Their channel dimension has stride 0
// and the W dimension stride 1; the batch stride is the whole frame.
struct TensorDesc {
  std::string name;
  TensorType type = TensorType::kF32;
  Layout layout = Layout::kNone;
  std::vector<int64_t> valid_shape;
  std::vector<int64_t> aligned_shape;
  std::vector<int64_t> stride;
  int64_t aligned_byte_size = 0;
  Quantization quant;

  // Bytes of the dense (unpadded) data: what np.tofile of the valid shape writes.
  int64_t valid_byte_size() const;
  int64_t element_count() const;
  // Index of the dimension whose rows are padded (the innermost stored one).
  int row_dim() const;
  bool operator==(const TensorDesc& o) const;
  bool operator!=(const TensorDesc& o) const { return !(*this == o); }
  // One line: "'data' IMG_NV12 NHWC valid 1x224x224x3 aligned 1x224x224x3 ...".
  std::string ToString() const;
};

// Computes aligned shape, strides and byte size from name, type, layout and valid shape by the
// rules in README "Alignment rules". Fails with kInvalidArgument on an impossible description
// (odd NV12 size, wrong rank, a non-positive dimension, an image type with a non-image C).
Result<TensorDesc> MakeTensorDesc(std::string name, TensorType type, Layout layout,
                                  std::vector<int64_t> valid_shape,
                                  const AlignmentRule& rule = AlignmentRule());

// Checks that a description read from a file is self-consistent (ranks agree, aligned >= valid,
// strides cover the data, byte size matches). The message names the tensor.
Status ValidateTensorDesc(const TensorDesc& desc);

// "1x224x224x3".
std::string ShapeToString(const std::vector<int64_t>& shape);

}  // namespace edgert

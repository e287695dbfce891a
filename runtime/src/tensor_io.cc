#include "edgert/tensor_io.h"

#include <cstring>

#include "edgert_internal/half.h"

namespace edgert {
namespace {

// The rows of a non-planar description: every index of the dimensions before row_dim, each row
// holding the valid part of row_dim and everything inside it.
struct RowGeometry {
  int64_t rows = 1;             // number of rows in the dense (valid) data
  int64_t valid_row_bytes = 0;  // bytes per dense row
  int64_t row_stride = 0;       // bytes per aligned row
};

RowGeometry Rows(const TensorDesc& d) {
  RowGeometry g;
  const int rd = d.row_dim();
  if (rd < 0) {  // scalar
    g.valid_row_bytes = g.row_stride = static_cast<int64_t>(ElementSize(d.type));
    return g;
  }
  for (int i = 0; i < rd; ++i) g.rows *= d.valid_shape[i];
  g.valid_row_bytes = d.valid_shape[rd] * d.stride[rd];
  g.row_stride = rd > 0 ? d.stride[rd - 1] : d.aligned_byte_size;
  return g;
}

bool IsPlanarImage(TensorType t) { return t == TensorType::kImgNv12 || t == TensorType::kImgY; }

// For NV12/Y: rows of all planes over all batches, `width` bytes each.
void PlanarRows(const TensorDesc& d, int64_t* rows, int64_t* width, int64_t* stride) {
  const bool nchw = d.layout == Layout::kNCHW;
  const int64_t n = d.valid_shape[0];
  const int64_t h = d.valid_shape[nchw ? 2 : 1];
  *width = d.valid_shape[nchw ? 3 : 2];
  *stride = d.stride[nchw ? 2 : 1];
  *rows = n * (d.type == TensorType::kImgNv12 ? h * 3 / 2 : h);
}

}  // namespace

void CopyPlanePadded(const uint8_t* src, int64_t src_stride, uint8_t* dst, int64_t dst_stride,
                     int64_t width_bytes, int64_t height) {
  for (int64_t y = 0; y < height; ++y) {
    std::memcpy(dst + y * dst_stride, src + y * src_stride, static_cast<size_t>(width_bytes));
    if (dst_stride > width_bytes)
      std::memset(dst + y * dst_stride + width_bytes, 0,
                  static_cast<size_t>(dst_stride - width_bytes));
  }
}

Status PrepareInput(const TensorDesc& d, const void* src, size_t src_bytes, void* dst) {
  const auto aligned = static_cast<size_t>(d.aligned_byte_size);
  const auto valid = static_cast<size_t>(d.valid_byte_size());
  if (src_bytes == aligned) {
    std::memcpy(dst, src, aligned);
    return Status::Ok();
  }
  if (src_bytes != valid)
    return InputError("input '" + d.name + "': expected " + std::to_string(valid) +
                      " bytes (valid " + ShapeToString(d.valid_shape) + " " +
                      TensorTypeName(d.type) + ") or " + std::to_string(aligned) +
                      " bytes (aligned " + ShapeToString(d.aligned_shape) + "), got " +
                      std::to_string(src_bytes));
  const auto* s = static_cast<const uint8_t*>(src);
  auto* o = static_cast<uint8_t*>(dst);
  if (IsPlanarImage(d.type)) {
    int64_t rows, width, stride;
    PlanarRows(d, &rows, &width, &stride);
    CopyPlanePadded(s, width, o, stride, width, rows);
    return Status::Ok();
  }
  RowGeometry g = Rows(d);
  CopyPlanePadded(s, g.valid_row_bytes, o, g.row_stride, g.valid_row_bytes, g.rows);
  return Status::Ok();
}

namespace {

template <typename T>
void Convert(const uint8_t* row, int64_t count, float* out) {
  for (int64_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, row + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

}  // namespace

Status ReadOutputF32(const TensorDesc& d, const void* aligned, std::vector<float>* dst) {
  dst->assign(static_cast<size_t>(d.element_count()), 0.f);
  const auto* base = static_cast<const uint8_t*>(aligned);
  if (IsPlanarImage(d.type)) {
    int64_t rows, width, stride;
    PlanarRows(d, &rows, &width, &stride);
    dst->resize(static_cast<size_t>(rows * width));
    for (int64_t r = 0; r < rows; ++r)
      Convert<uint8_t>(base + r * stride, width, dst->data() + r * width);
    return Status::Ok();
  }
  RowGeometry g = Rows(d);
  const int64_t esize = static_cast<int64_t>(ElementSize(d.type));
  const int64_t per_row = g.valid_row_bytes / esize;
  for (int64_t r = 0; r < g.rows; ++r) {
    const uint8_t* row = base + r * g.row_stride;
    float* out = dst->data() + r * per_row;
    switch (d.type) {
      case TensorType::kF32:
        Convert<float>(row, per_row, out);
        break;
      case TensorType::kS8:
        Convert<int8_t>(row, per_row, out);
        break;
      case TensorType::kS16:
        Convert<int16_t>(row, per_row, out);
        break;
      case TensorType::kS32:
        Convert<int32_t>(row, per_row, out);
        break;
      case TensorType::kF16:
        for (int64_t i = 0; i < per_row; ++i) {
          uint16_t h;
          std::memcpy(&h, row + 2 * i, 2);
          out[i] = HalfToFloat(h);
        }
        break;
      default:
        Convert<uint8_t>(row, per_row, out);
        break;
    }
  }
  if (d.quant.quantized()) {
    const Quantization& q = d.quant;
    if (q.axis < 0) {
      const float s = q.scale[0];
      const float zp = q.zero_point.empty() ? 0.f : static_cast<float>(q.zero_point[0]);
      for (float& v : *dst) v = s * (v - zp);
    } else {
      int64_t inner = 1;
      for (size_t i = static_cast<size_t>(q.axis) + 1; i < d.valid_shape.size(); ++i)
        inner *= d.valid_shape[i];
      const int64_t axis_len = d.valid_shape[q.axis];
      for (size_t i = 0; i < dst->size(); ++i) {
        const auto c = static_cast<size_t>((static_cast<int64_t>(i) / inner) % axis_len);
        const float zp = q.zero_point.empty() ? 0.f : static_cast<float>(q.zero_point[c]);
        (*dst)[i] = q.scale[c] * ((*dst)[i] - zp);
      }
    }
  }
  return Status::Ok();
}

}  // namespace edgert

#include "edgert/tensor_desc.h"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <sstream>

#include "checked_math.h"

namespace edgert {
namespace {

struct TypeInfo {
  TensorType type;
  const char* name;
  size_t size;
};

constexpr TypeInfo kTypes[] = {
    {TensorType::kImgY, "IMG_Y", 1},
    {TensorType::kImgNv12, "IMG_NV12", 1},
    {TensorType::kImgYuv444, "IMG_YUV444", 1},
    {TensorType::kImgRgb, "IMG_RGB", 1},
    {TensorType::kImgBgr, "IMG_BGR", 1},
    {TensorType::kImgGray, "IMG_GRAY", 1},
    {TensorType::kS8, "S8", 1},
    {TensorType::kU8, "U8", 1},
    {TensorType::kS16, "S16", 2},
    {TensorType::kS32, "S32", 4},
    {TensorType::kF16, "F16", 2},
    {TensorType::kF32, "F32", 4},
};

constexpr const char* kLayoutNames[] = {"NHWC", "NCHW", "NONE"};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// NV12 and Y keep their pixels in planes of one byte per pixel, so their channel dimension
// has no per-pixel storage.
bool IsPlanar(TensorType t) { return t == TensorType::kImgNv12 || t == TensorType::kImgY; }

int ChannelCount(TensorType t) {
  return (t == TensorType::kImgY || t == TensorType::kImgGray) ? 1 : 3;
}

struct ImageDims {
  int n, c, h, w;
};

ImageDims ImageDimIndices(Layout layout) {
  return layout == Layout::kNCHW ? ImageDims{0, 1, 2, 3} : ImageDims{0, 3, 1, 2};
}

int64_t PlaneRowsTimes2(TensorType t, int64_t h) {
  return t == TensorType::kImgNv12 ? 3 * h : 2 * h;
}

}  // namespace

const char* TensorTypeName(TensorType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t.name;
  return "UNKNOWN";
}

const char* LayoutName(Layout layout) {
  auto i = static_cast<size_t>(layout);
  return i < 3 ? kLayoutNames[i] : "UNKNOWN";
}

Result<TensorType> ParseTensorType(const std::string& name) {
  std::string u = Upper(name);
  std::string all;
  for (const auto& t : kTypes) {
    if (u == t.name) return t.type;
    all += all.empty() ? "" : ", ";
    all += t.name;
  }
  return InvalidArgument("unknown tensor type '" + name + "' (expected one of " + all + ")");
}

Result<Layout> ParseLayout(const std::string& name) {
  std::string u = Upper(name);
  for (size_t i = 0; i < 3; ++i)
    if (u == kLayoutNames[i]) return static_cast<Layout>(i);
  return InvalidArgument("unknown layout '" + name + "' (expected NHWC, NCHW or NONE)");
}

bool IsImageType(TensorType type) {
  return static_cast<int>(type) <= static_cast<int>(TensorType::kImgGray);
}

size_t ElementSize(TensorType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t.size;
  return 1;
}

std::string ShapeToString(const std::vector<int64_t>& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
}

int64_t TensorDesc::element_count() const {
  int64_t n = 1;
  if (!CheckedProduct(valid_shape, 1, &n)) return INT64_MAX;  // never for a validated desc
  return n;
}

int64_t TensorDesc::valid_byte_size() const {
  if (IsPlanar(type) && valid_shape.size() == 4) {
    ImageDims d = ImageDimIndices(layout);
    return valid_shape[d.n] * valid_shape[d.w] * PlaneRowsTimes2(type, valid_shape[d.h]) / 2;
  }
  return element_count() * static_cast<int64_t>(ElementSize(type));
}

int TensorDesc::row_dim() const {
  if (IsImageType(type) && valid_shape.size() == 4) {
    ImageDims d = ImageDimIndices(layout);
    return d.w;
  }
  return static_cast<int>(valid_shape.size()) - 1;
}

bool TensorDesc::operator==(const TensorDesc& o) const {
  return name == o.name && type == o.type && layout == o.layout && valid_shape == o.valid_shape &&
         aligned_shape == o.aligned_shape && stride == o.stride &&
         aligned_byte_size == o.aligned_byte_size && quant == o.quant;
}

std::string TensorDesc::ToString() const {
  std::ostringstream os;
  os << "'" << name << "' " << TensorTypeName(type) << " " << LayoutName(layout) << " valid "
     << ShapeToString(valid_shape) << " aligned " << ShapeToString(aligned_shape) << " stride ("
     << ShapeToString(stride) << ") " << aligned_byte_size << " bytes";
  if (quant.quantized()) {
    os << " quant";
    if (quant.axis >= 0)
      os << " axis " << quant.axis << " (" << quant.scale.size() << " scales)";
    else
      os << " scale " << quant.scale[0] << " zp "
         << (quant.zero_point.empty() ? 0 : quant.zero_point[0]);
  }
  return os.str();
}

Result<TensorDesc> MakeTensorDesc(std::string name, TensorType type, Layout layout,
                                  std::vector<int64_t> valid_shape, const AlignmentRule& rule) {
  TensorDesc d;
  d.name = std::move(name);
  d.type = type;
  d.layout = layout;
  d.valid_shape = std::move(valid_shape);
  const std::string who = "tensor '" + d.name + "'";
  if (rule.row_align_bytes < 1 || rule.row_align_bytes > 4096)
    return InvalidArgument(who + ": row alignment " + std::to_string(rule.row_align_bytes) +
                           " bytes is outside 1..4096");
  for (int64_t dim : d.valid_shape)
    if (dim <= 0)
      return InvalidArgument(who + ": shape " + ShapeToString(d.valid_shape) +
                             " has a dimension <= 0");
  const int64_t esize = static_cast<int64_t>(ElementSize(type));
  const int rank = static_cast<int>(d.valid_shape.size());
  d.aligned_shape = d.valid_shape;
  d.stride.assign(rank, 0);

  if (IsImageType(type)) {
    if (rank != 4 || layout == Layout::kNone)
      return InvalidArgument(who + ": " + TensorTypeName(type) +
                             " needs a 4-D shape in NHWC or NCHW layout, got " +
                             ShapeToString(d.valid_shape) + " " + LayoutName(layout));
    ImageDims idx = ImageDimIndices(layout);
    if (d.valid_shape[idx.c] != ChannelCount(type))
      return InvalidArgument(who + ": " + TensorTypeName(type) + " has " +
                             std::to_string(ChannelCount(type)) + " channel(s), shape " +
                             ShapeToString(d.valid_shape) + " has " +
                             std::to_string(d.valid_shape[idx.c]));
    if (IsPlanar(type)) {
      const int64_t h = d.valid_shape[idx.h], w = d.valid_shape[idx.w];
      if (h % 2 || w % 2)
        return InvalidArgument(who + ": " + TensorTypeName(type) +
                               " needs even height and width, got " + std::to_string(h) + "x" +
                               std::to_string(w));
      const int64_t row =
          (w + rule.row_align_bytes - 1) / rule.row_align_bytes * rule.row_align_bytes;
      d.aligned_shape[idx.w] = row;
      d.stride[idx.c] = 0;
      d.stride[idx.w] = 1;
      d.stride[idx.h] = row;
      if (!CheckedMul(row, PlaneRowsTimes2(type, h), &d.stride[idx.n]) ||
          !CheckedMul(d.valid_shape[idx.n], d.stride[idx.n] / 2, &d.aligned_byte_size))
        return InvalidArgument(who + ": shape " + ShapeToString(d.valid_shape) +
                               " has more bytes than a 64-bit size can count");
      d.stride[idx.n] /= 2;
      return d;
    }
  }

  if (rank > 0) {
    // Pad the row dimension with whole elements (for NHWC images: whole pixels) until one row
    // is a multiple of the alignment.
    const int rd = d.row_dim();
    const std::vector<int64_t> inner(d.valid_shape.begin() + rd + 1, d.valid_shape.end());
    int64_t unit = esize;
    const std::string too_big = who + ": shape " + ShapeToString(d.valid_shape) +
                                " has more bytes than a 64-bit size can count";
    if (!CheckedProduct(inner, esize, &unit) || unit == 0)
      return InvalidArgument(unit == 0 ? who + ": shape " + ShapeToString(d.valid_shape) +
                                             " has a zero dimension"
                                       : too_big);
    const int64_t lcm = std::lcm(unit, static_cast<int64_t>(rule.row_align_bytes));
    const int64_t multiple = lcm / unit;
    d.aligned_shape[rd] = (d.valid_shape[rd] + multiple - 1) / multiple * multiple;
    int64_t s = esize;
    for (int i = rank - 1; i >= 0; --i) {
      d.stride[i] = s;
      if (!CheckedMul(s, d.aligned_shape[i], &s)) return InvalidArgument(too_big);
    }
    d.aligned_byte_size = s;
  } else {
    d.aligned_byte_size = esize;
  }
  return d;
}

Status ValidateTensorDesc(const TensorDesc& d) {
  const std::string who = "tensor '" + d.name + "'";
  const size_t rank = d.valid_shape.size();
  if (static_cast<int>(d.type) > static_cast<int>(TensorType::kF32))
    return FormatError(who + ": unknown tensor type " + std::to_string(static_cast<int>(d.type)));
  if (static_cast<int>(d.layout) > static_cast<int>(Layout::kNone))
    return FormatError(who + ": unknown layout " + std::to_string(static_cast<int>(d.layout)));
  if (d.aligned_shape.size() != rank || d.stride.size() != rank)
    return FormatError(who + ": valid shape, aligned shape and stride have ranks " +
                       std::to_string(rank) + ", " + std::to_string(d.aligned_shape.size()) + ", " +
                       std::to_string(d.stride.size()));
  if (rank > 8) return FormatError(who + ": rank " + std::to_string(rank) + " exceeds 8");
  for (size_t i = 0; i < rank; ++i) {
    if (d.valid_shape[i] <= 0 || d.aligned_shape[i] < d.valid_shape[i] ||
        d.aligned_shape[i] > (1 << 24))
      return FormatError(who + ": aligned shape " + ShapeToString(d.aligned_shape) +
                         " does not cover valid shape " + ShapeToString(d.valid_shape));
    if (d.stride[i] < 0 || d.stride[i] > (int64_t{1} << 40))
      return FormatError(who + ": stride " + ShapeToString(d.stride) + " out of range");
  }
  if (d.quant.quantized()) {
    size_t want = d.quant.axis >= 0 && static_cast<size_t>(d.quant.axis) < rank
                      ? static_cast<size_t>(d.valid_shape[d.quant.axis])
                      : 1;
    if (d.quant.axis >= static_cast<int>(rank) || d.quant.scale.size() != want ||
        (!d.quant.zero_point.empty() && d.quant.zero_point.size() != want))
      return FormatError(who + ": quantization has " + std::to_string(d.quant.scale.size()) +
                         " scales for axis " + std::to_string(d.quant.axis) + ", expected " +
                         std::to_string(want));
  }
  if (rank == 0) {
    if (d.aligned_byte_size != static_cast<int64_t>(ElementSize(d.type)))
      return FormatError(who + ": scalar byte size " + std::to_string(d.aligned_byte_size));
    return Status::Ok();
  }
  if (IsImageType(d.type) && (rank != 4 || d.layout == Layout::kNone))
    return FormatError(who + ": image type " + TensorTypeName(d.type) + " with shape " +
                       ShapeToString(d.valid_shape) + " " + LayoutName(d.layout));
  // Any row alignment is acceptable (the compiler's YAML may override it), so check
  // consistency rather than recompute the rule.
  if (IsPlanar(d.type)) {
    ImageDims idx = ImageDimIndices(d.layout);
    int64_t plane2 = 0, bytes = 0;  // both checked: stride <= 2^40 times a dimension <= 2^24
    if (!CheckedMul(d.stride[idx.h], PlaneRowsTimes2(d.type, d.valid_shape[idx.h]), &plane2) ||
        !CheckedMul(d.aligned_shape[idx.n], d.stride[idx.n], &bytes))
      return FormatError(who + ": planar image sizes overflow: " + d.ToString());
    if (d.valid_shape[idx.h] % 2 || d.valid_shape[idx.w] % 2 || d.stride[idx.w] != 1 ||
        d.stride[idx.c] != 0 || d.stride[idx.h] != d.aligned_shape[idx.w] ||
        d.aligned_shape[idx.h] != d.valid_shape[idx.h] || d.stride[idx.n] != plane2 / 2 ||
        d.aligned_byte_size != bytes)
      return FormatError(who + ": inconsistent planar image description: " + d.ToString());
    return Status::Ok();
  }
  int64_t s = static_cast<int64_t>(ElementSize(d.type));
  for (int i = static_cast<int>(rank) - 1; i >= 0; --i) {
    if (d.stride[i] != s)
      return FormatError(who + ": stride " + ShapeToString(d.stride) +
                         " does not match aligned shape " + ShapeToString(d.aligned_shape));
    if (!CheckedMul(s, d.aligned_shape[i], &s))
      return FormatError(who + ": aligned shape " + ShapeToString(d.aligned_shape) +
                         " has more bytes than a 64-bit size can count");
  }
  if (d.aligned_byte_size != s)
    return FormatError(who + ": aligned byte size " + std::to_string(d.aligned_byte_size) +
                       ", expected " + std::to_string(s) + " for aligned shape " +
                       ShapeToString(d.aligned_shape));
  for (size_t i = 0; i < rank; ++i)
    if (static_cast<int>(i) != d.row_dim() && d.aligned_shape[i] != d.valid_shape[i])
      return FormatError(who + ": only dimension " + std::to_string(d.row_dim()) +
                         " may be padded, aligned shape " + ShapeToString(d.aligned_shape) +
                         " vs valid " + ShapeToString(d.valid_shape));
  return Status::Ok();
}

}  // namespace edgert

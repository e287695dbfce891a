#include "onnx_tensor.h"

#include <cmath>
#include <cstring>
#include <fstream>

namespace edgert::test {

Result<onnx::TensorProto> ReadTensorProto(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return FileError(path + ": cannot open");
  onnx::TensorProto t;
  if (!t.ParseFromIstream(&f)) return FormatError(path + ": not a TensorProto");
  return t;
}

namespace {

// t's values as Out: from raw_data, stored as Raw (little-endian, as ONNX writes it), or else
// from `field`, the typed repeated field ONNX keeps that data type in (int32_data for the
// narrow integers and bool).
template <typename Raw, typename Out, typename Field>
void Read(const onnx::TensorProto& t, const Field& field, std::vector<Out>* out) {
  out->clear();
  if (!t.has_raw_data()) {
    for (const auto& v : field) out->push_back(static_cast<Out>(v));
    return;
  }
  const std::string& raw = t.raw_data();
  const size_t n = raw.size() / sizeof(Raw);
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    Raw v;
    std::memcpy(&v, raw.data() + i * sizeof(Raw), sizeof(Raw));
    (*out)[i] = static_cast<Out>(v);
  }
}

// The data type's values as Out; false for a type other than these.
template <typename Out>
bool ReadNumbers(const onnx::TensorProto& t, std::vector<Out>* out) {
  using TP = onnx::TensorProto;
  switch (t.data_type()) {
    case TP::INT64:
      Read<int64_t>(t, t.int64_data(), out);
      return true;
    case TP::INT32:
      Read<int32_t>(t, t.int32_data(), out);
      return true;
    case TP::INT16:
      Read<int16_t>(t, t.int32_data(), out);
      return true;
    case TP::INT8:
      Read<int8_t>(t, t.int32_data(), out);
      return true;
    case TP::UINT8:
    case TP::BOOL:
      Read<uint8_t>(t, t.int32_data(), out);
      return true;
    default:
      return false;
  }
}

// A FormatError unless `count` values fill t's dims.
Status CheckCount(const onnx::TensorProto& t, size_t count) {
  int64_t n = 1;
  for (int64_t d : t.dims()) n *= d;
  if (static_cast<int64_t>(count) != n)
    return FormatError("tensor '" + t.name() + "' has " + std::to_string(count) +
                       " values for dims of " + std::to_string(n));
  return Status::Ok();
}

}  // namespace

std::vector<uint16_t> HalfBits(const onnx::TensorProto& t) {
  std::vector<uint16_t> v;
  if (t.has_raw_data()) {
    v.resize(t.raw_data().size() / 2);
    if (!v.empty()) std::memcpy(v.data(), t.raw_data().data(), v.size() * 2);
  } else {
    for (int32_t b : t.int32_data()) v.push_back(static_cast<uint16_t>(b));
  }
  return v;
}

float HalfValue(uint16_t h) {
  // IEEE binary16: sign, 5 exponent bits (bias 15), 10 fraction bits; ldexp is exact here.
  const int e = (h >> 10) & 0x1f;
  const int f = h & 0x3ff;
  const float sign = (h & 0x8000) ? -1.f : 1.f;
  if (e == 31) return f ? std::nanf("") : sign * INFINITY;
  if (e == 0) return sign * std::ldexp(static_cast<float>(f), -24);
  return sign * std::ldexp(static_cast<float>(1024 + f), e - 25);
}

Result<FloatTensor> ToFloat(const onnx::TensorProto& t) {
  using TP = onnx::TensorProto;
  FloatTensor out;
  out.name = t.name();
  out.dims.assign(t.dims().begin(), t.dims().end());
  out.onnx_type = t.data_type();
  if (t.data_type() == TP::FLOAT) {
    Read<float>(t, t.float_data(), &out.values);
  } else if (t.data_type() == TP::DOUBLE) {
    Read<double>(t, t.double_data(), &out.values);
  } else if (t.data_type() == TP::FLOAT16) {
    for (uint16_t h : HalfBits(t)) out.values.push_back(HalfValue(h));
  } else if (!ReadNumbers(t, &out.values)) {
    return Unsupported("tensor '" + t.name() + "' has ONNX data type " +
                       std::to_string(t.data_type()));
  }
  EDGERT_RETURN_IF_ERROR(CheckCount(t, out.values.size()));
  return out;
}

bool IsIntegerType(int onnx_type) {
  using TP = onnx::TensorProto;
  return onnx_type == TP::INT64 || onnx_type == TP::INT32 || onnx_type == TP::INT16 ||
         onnx_type == TP::INT8 || onnx_type == TP::UINT8 || onnx_type == TP::BOOL;
}

Result<std::vector<int64_t>> ToInts(const onnx::TensorProto& t) {
  std::vector<int64_t> v;
  if (!ReadNumbers(t, &v))
    return Unsupported("tensor '" + t.name() + "' has ONNX data type " +
                       std::to_string(t.data_type()) + ", not an integer or bool type");
  EDGERT_RETURN_IF_ERROR(CheckCount(t, v.size()));
  return v;
}

}  // namespace edgert::test

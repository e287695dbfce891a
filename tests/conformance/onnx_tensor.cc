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

template <typename T>
void FromRaw(const std::string& raw, std::vector<float>* out) {
  const size_t n = raw.size() / sizeof(T);
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    (*out)[i] = static_cast<float>(v);
  }
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
  const bool raw = t.has_raw_data();
  switch (t.data_type()) {
    case TP::FLOAT:
      if (raw)
        FromRaw<float>(t.raw_data(), &out.values);
      else
        out.values.assign(t.float_data().begin(), t.float_data().end());
      break;
    case TP::DOUBLE:
      if (raw)
        FromRaw<double>(t.raw_data(), &out.values);
      else
        for (double d : t.double_data()) out.values.push_back(static_cast<float>(d));
      break;
    case TP::INT64:
      if (raw)
        FromRaw<int64_t>(t.raw_data(), &out.values);
      else
        for (int64_t v : t.int64_data()) out.values.push_back(static_cast<float>(v));
      break;
    case TP::INT32:
      if (raw)
        FromRaw<int32_t>(t.raw_data(), &out.values);
      else
        for (int32_t v : t.int32_data()) out.values.push_back(static_cast<float>(v));
      break;
    case TP::INT16:
      if (raw)
        FromRaw<int16_t>(t.raw_data(), &out.values);
      else
        for (int32_t v : t.int32_data()) out.values.push_back(static_cast<float>(v));
      break;
    case TP::INT8:
      if (raw)
        FromRaw<int8_t>(t.raw_data(), &out.values);
      else
        for (int32_t v : t.int32_data()) out.values.push_back(static_cast<float>(v));
      break;
    case TP::UINT8:
    case TP::BOOL:
      if (raw)
        FromRaw<uint8_t>(t.raw_data(), &out.values);
      else
        for (int32_t v : t.int32_data()) out.values.push_back(static_cast<float>(v));
      break;
    case TP::FLOAT16:
      for (uint16_t h : HalfBits(t)) out.values.push_back(HalfValue(h));
      break;
    default:
      return Unsupported("tensor '" + t.name() + "' has ONNX data type " +
                         std::to_string(t.data_type()));
  }
  int64_t n = 1;
  for (int64_t d : out.dims) n *= d;
  if (static_cast<int64_t>(out.values.size()) != n)
    return FormatError("tensor '" + t.name() + "' has " + std::to_string(out.values.size()) +
                       " values for dims of " + std::to_string(n));
  return out;
}

bool IsIntegerType(int onnx_type) {
  using TP = onnx::TensorProto;
  return onnx_type == TP::INT64 || onnx_type == TP::INT32 || onnx_type == TP::INT16 ||
         onnx_type == TP::INT8 || onnx_type == TP::UINT8 || onnx_type == TP::BOOL;
}

namespace {

template <typename T>
void IntsFromRaw(const std::string& raw, std::vector<int64_t>* out) {
  const size_t n = raw.size() / sizeof(T);
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    (*out)[i] = static_cast<int64_t>(v);
  }
}

}  // namespace

Result<std::vector<int64_t>> ToInts(const onnx::TensorProto& t) {
  using TP = onnx::TensorProto;
  std::vector<int64_t> v;
  const bool raw = t.has_raw_data();
  switch (t.data_type()) {
    case TP::INT64:
      if (raw)
        IntsFromRaw<int64_t>(t.raw_data(), &v);
      else
        v.assign(t.int64_data().begin(), t.int64_data().end());
      break;
    case TP::INT32:
      if (raw)
        IntsFromRaw<int32_t>(t.raw_data(), &v);
      else
        v.assign(t.int32_data().begin(), t.int32_data().end());
      break;
    case TP::INT16:
      if (raw)
        IntsFromRaw<int16_t>(t.raw_data(), &v);
      else
        v.assign(t.int32_data().begin(), t.int32_data().end());
      break;
    case TP::INT8:
      if (raw)
        IntsFromRaw<int8_t>(t.raw_data(), &v);
      else
        v.assign(t.int32_data().begin(), t.int32_data().end());
      break;
    case TP::UINT8:
    case TP::BOOL:
      if (raw)
        IntsFromRaw<uint8_t>(t.raw_data(), &v);
      else
        v.assign(t.int32_data().begin(), t.int32_data().end());
      break;
    default:
      return Unsupported("tensor '" + t.name() + "' has ONNX data type " +
                         std::to_string(t.data_type()) + ", not an integer or bool type");
  }
  int64_t n = 1;
  for (int64_t d : t.dims()) n *= d;
  if (static_cast<int64_t>(v.size()) != n)
    return FormatError("tensor '" + t.name() + "' has " + std::to_string(v.size()) +
                       " values for dims of " + std::to_string(n));
  return v;
}

}  // namespace edgert::test

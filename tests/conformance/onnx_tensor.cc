#include "onnx_tensor.h"

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

}  // namespace edgert::test

// See reader.h.
#include "model_compiler/lower/reader.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "edgert/tensor_desc.h"
#include "edgert_internal/half.h"

namespace edgert::compiler {

int64_t SaturatingInt(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
  if (d <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(std::trunc(d));
}

std::string Join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

const char* ElemTypeName(int t) {
  switch (t) {
    case onnx::TensorProto::FLOAT:
      return "FLOAT";
    case onnx::TensorProto::UINT8:
      return "UINT8";
    case onnx::TensorProto::INT8:
      return "INT8";
    case onnx::TensorProto::UINT16:
      return "UINT16";
    case onnx::TensorProto::INT16:
      return "INT16";
    case onnx::TensorProto::INT32:
      return "INT32";
    case onnx::TensorProto::INT64:
      return "INT64";
    case onnx::TensorProto::STRING:
      return "STRING";
    case onnx::TensorProto::BOOL:
      return "BOOL";
    case onnx::TensorProto::FLOAT16:
      return "FLOAT16";
    case onnx::TensorProto::DOUBLE:
      return "DOUBLE";
    case onnx::TensorProto::UINT32:
      return "UINT32";
    case onnx::TensorProto::UINT64:
      return "UINT64";
    default:
      return "UNKNOWN";
  }
}

bool IsIntType(int t) {
  switch (t) {
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::BOOL:
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT64:
      return true;
    default:
      return false;
  }
}

namespace {

template <typename T>
std::vector<T> RawAs(const std::string& raw) {
  std::vector<T> v(raw.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), raw.data(), v.size() * sizeof(T));
  return v;
}

}  // namespace

// Reads an initializer or Constant value. `what` names it in errors.
Result<Const> ReadTensor(const onnx::TensorProto& t, const std::string& what) {
  Const c;
  for (int64_t d : t.dims()) {
    if (d < 0) return FormatError(what + ": negative dimension");
    c.shape.push_back(d);
  }
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return Unsupported(what +
                       ": external tensor data is not supported (save the model with "
                       "all tensors inside the .onnx file)");
  const std::string& raw = t.raw_data();
  const bool has_raw = t.has_raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      c.f = has_raw ? RawAs<float>(raw)
                    : std::vector<float>(t.float_data().begin(), t.float_data().end());
      break;
    case onnx::TensorProto::DOUBLE: {
      std::vector<double> d =
          has_raw ? RawAs<double>(raw)
                  : std::vector<double>(t.double_data().begin(), t.double_data().end());
      c.f.assign(d.begin(), d.end());
      break;
    }
    case onnx::TensorProto::FLOAT16: {
      std::vector<uint16_t> h;
      if (has_raw) {
        h = RawAs<uint16_t>(raw);
      } else {
        for (int32_t v : t.int32_data()) h.push_back(static_cast<uint16_t>(v));
      }
      for (uint16_t v : h) c.f.push_back(HalfToFloat(v));
      break;
    }
    case onnx::TensorProto::INT64:
      c.is_int = true;
      c.i = has_raw ? RawAs<int64_t>(raw)
                    : std::vector<int64_t>(t.int64_data().begin(), t.int64_data().end());
      break;
    case onnx::TensorProto::UINT64:
    case onnx::TensorProto::UINT32: {
      c.is_int = true;
      if (has_raw && t.data_type() == onnx::TensorProto::UINT64) {
        for (uint64_t v : RawAs<uint64_t>(raw)) c.i.push_back(static_cast<int64_t>(v));
      } else if (has_raw) {
        for (uint32_t v : RawAs<uint32_t>(raw)) c.i.push_back(v);
      } else {
        for (uint64_t v : t.uint64_data()) c.i.push_back(static_cast<int64_t>(v));
      }
      break;
    }
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL: {
      c.is_int = true;
      if (!has_raw) {
        c.i.assign(t.int32_data().begin(), t.int32_data().end());
        break;
      }
      switch (t.data_type()) {
        case onnx::TensorProto::INT32:
          for (int32_t v : RawAs<int32_t>(raw)) c.i.push_back(v);
          break;
        case onnx::TensorProto::INT16:
          for (int16_t v : RawAs<int16_t>(raw)) c.i.push_back(v);
          break;
        case onnx::TensorProto::UINT16:
          for (uint16_t v : RawAs<uint16_t>(raw)) c.i.push_back(v);
          break;
        case onnx::TensorProto::INT8:
          for (int8_t v : RawAs<int8_t>(raw)) c.i.push_back(v);
          break;
        default:
          for (uint8_t v : RawAs<uint8_t>(raw)) c.i.push_back(v);
          break;
      }
      break;
    }
    default:
      return Unsupported(what + ": element type " + ElemTypeName(t.data_type()) +
                         " is not supported");
  }
  if (static_cast<int64_t>(c.size()) != Numel(c.shape))
    return FormatError(what + ": holds " + std::to_string(c.size()) + " values for shape " +
                       ShapeToString(c.shape));
  return c;
}

const onnx::AttributeProto* FindAttr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}
int64_t AttrInt(const onnx::NodeProto& n, const std::string& name, int64_t def) {
  const auto* a = FindAttr(n, name);
  return a ? a->i() : def;
}
float AttrFloat(const onnx::NodeProto& n, const std::string& name, float def) {
  const auto* a = FindAttr(n, name);
  return a ? a->f() : def;
}
std::string AttrStr(const onnx::NodeProto& n, const std::string& name, const std::string& def) {
  const auto* a = FindAttr(n, name);
  return a ? a->s() : def;
}
std::vector<int64_t> AttrInts(const onnx::NodeProto& n, const std::string& name,
                              std::vector<int64_t> def) {
  const auto* a = FindAttr(n, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : def;
}
std::vector<float> AttrFloats(const onnx::NodeProto& n, const std::string& name) {
  const auto* a = FindAttr(n, name);
  return a ? std::vector<float>(a->floats().begin(), a->floats().end()) : std::vector<float>();
}

size_t InvalidUtf8Offset(const std::string& s) {
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned c = b[i];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlong forms
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // no overlong forms
      if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
      return i;
    }
    if (i + len > n || b[i + 1] < lo || b[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k)
      if (b[i + k] < 0x80 || b[i + k] > 0xBF) return i;
    i += len;
  }
  return std::string::npos;
}

namespace {

Status NotUtf8(const std::string& label, const std::string& where, const std::string& name,
               size_t at) {
  static const char* kHex = "0123456789ABCDEF";
  const auto byte = static_cast<unsigned char>(name[at]);
  return FormatError(label + ": " + where + " is not valid UTF-8 (byte 0x" + kHex[byte >> 4] +
                     kHex[byte & 15] + " at offset " + std::to_string(at) +
                     "); rename it in the ONNX model");
}

}  // namespace

Status CheckNamesAreUtf8(const onnx::GraphProto& g, const std::string& label) {
  auto check = [&](const std::string& name, const std::string& where) -> Status {
    const size_t at = InvalidUtf8Offset(name);
    return at == std::string::npos ? Status::Ok() : NotUtf8(label, where, name, at);
  };
  for (int i = 0; i < g.input_size(); ++i)
    EDGERT_RETURN_IF_ERROR(check(g.input(i).name(), "graph input #" + std::to_string(i)));
  for (int i = 0; i < g.output_size(); ++i)
    EDGERT_RETURN_IF_ERROR(check(g.output(i).name(), "graph output #" + std::to_string(i)));
  for (int i = 0; i < g.initializer_size(); ++i)
    EDGERT_RETURN_IF_ERROR(check(g.initializer(i).name(), "initializer #" + std::to_string(i)));
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    const std::string node = "node #" + std::to_string(i) + " (" + n.op_type() + ")";
    EDGERT_RETURN_IF_ERROR(check(n.op_type(), "the op type of node #" + std::to_string(i)));
    EDGERT_RETURN_IF_ERROR(check(n.name(), "the name of " + node));
    for (int k = 0; k < n.input_size(); ++k)
      EDGERT_RETURN_IF_ERROR(check(n.input(k), "input " + std::to_string(k) + " of " + node));
    for (int k = 0; k < n.output_size(); ++k)
      EDGERT_RETURN_IF_ERROR(check(n.output(k), "output " + std::to_string(k) + " of " + node));
  }
  return Status::Ok();
}

}  // namespace edgert::compiler

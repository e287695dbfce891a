#include "common/report.h"

#include <sstream>

namespace edgert::app {

std::string HrtShape(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (int64_t d : shape) s += std::to_string(d) + ",";
  return s + ")";
}

namespace {

std::string QuantText(const Quantization& q) {
  if (!q.quantized()) return "NONE";
  std::ostringstream os;
  if (q.axis < 0) {
    os << "SCALE per-tensor, scale " << q.scale[0] << ", zero point "
       << (q.zero_point.empty() ? 0 : q.zero_point[0]);
    return os.str();
  }
  os << "SCALE per-axis, axis " << q.axis << ", " << q.scale.size() << " scales";
  const size_t show = q.scale.size() < 4 ? q.scale.size() : 4;
  os << " (";
  for (size_t i = 0; i < show; ++i) os << (i ? ", " : "") << q.scale[i];
  os << (show < q.scale.size() ? ", ...)" : ")");
  return os.str();
}

std::string PreprocessText(const PreprocessInfo& p) {
  std::ostringstream os;
  os << p.input_type_rt << " (" << p.input_layout_rt << ") -> " << p.input_type_train << " ("
     << p.input_layout_train << "), " << p.input_space_and_range << ", " << p.norm_type;
  auto list = [&](const char* name, const std::vector<float>& v) {
    if (v.empty()) return;
    os << ", " << name << " [";
    for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
    os << "]";
  };
  list("mean", p.mean_value);
  list("scale", p.scale_value);
  return os.str();
}

}  // namespace

void PrintTensorDesc(std::ostream& os, const TensorDesc& d, const PreprocessInfo* pre) {
  os << "  name: " << d.name << "\n";
  if (pre && !pre->empty()) os << "  preprocess: " << PreprocessText(*pre) << "\n";
  os << "  valid shape: " << HrtShape(d.valid_shape) << "\n"
     << "  aligned shape: " << HrtShape(d.aligned_shape) << "\n"
     << "  aligned byte size: " << d.aligned_byte_size << "\n"
     << "  valid byte size: " << d.valid_byte_size() << "\n"
     << "  tensor type: " << TensorTypeName(d.type) << "\n"
     << "  tensor layout: " << LayoutName(d.layout) << "\n"
     << "  quanti type: " << QuantText(d.quant) << "\n"
     << "  stride: " << HrtShape(d.stride) << "\n";
}

nlohmann::json TensorDescJson(const TensorDesc& d, const PreprocessInfo* pre) {
  nlohmann::json j;
  j["name"] = d.name;
  j["tensor_type"] = TensorTypeName(d.type);
  j["layout"] = LayoutName(d.layout);
  j["valid_shape"] = d.valid_shape;
  j["aligned_shape"] = d.aligned_shape;
  j["stride_bytes"] = d.stride;
  j["aligned_byte_size"] = d.aligned_byte_size;
  j["valid_byte_size"] = d.valid_byte_size();
  nlohmann::json q;
  if (d.quant.quantized()) {
    q["type"] = d.quant.axis >= 0 ? "per_axis" : "per_tensor";
    q["axis"] = d.quant.axis;
    q["scale"] = d.quant.scale;
    q["zero_point"] = d.quant.zero_point;
  } else {
    q["type"] = "none";
  }
  j["quantization"] = q;
  if (pre && !pre->empty()) {
    j["preprocess"] = {{"input_type_rt", pre->input_type_rt},
                       {"input_type_train", pre->input_type_train},
                       {"input_layout_rt", pre->input_layout_rt},
                       {"input_layout_train", pre->input_layout_train},
                       {"input_space_and_range", pre->input_space_and_range},
                       {"norm_type", pre->norm_type},
                       {"mean_value", pre->mean_value},
                       {"scale_value", pre->scale_value}};
  }
  return j;
}

std::string EngineText(const EngineInfo& e) {
  std::string s = e.arch;
  if (!e.isa.empty())
    s += ", oneDNN ISA " + e.isa + (e.int8_vnni ? " (int8 VNNI)" : " (int8 without VNNI)");
  s += ", providers";
  for (size_t i = 0; i < e.providers.size(); ++i) s += (i ? " > " : " ") + e.providers[i];
  return s;
}

nlohmann::json EngineJson(const EngineInfo& e) {
  return {{"arch", e.arch}, {"providers", e.providers}, {"isa", e.isa}, {"int8_vnni", e.int8_vnni}};
}

std::string JsonText(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace edgert::app

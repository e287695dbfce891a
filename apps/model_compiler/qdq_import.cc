// QDQ ONNX import: QuantizeLinear -> DequantizeLinear pairs on activations and DequantizeLinear
// on constant weights/bias (as ORT quantize_static and PyTorch export them) are removed, and
// their parameters recorded, so that the float lowering runs unchanged and QuantizeModelDef
// then uses the model's own scales instead of calibrated ranges.
//  - Activation (scale, zero point): u8 becomes s8 by an exact shift, zero_point - 128 (the
//    real values q*scale are unchanged since q shifts by 128 too).
//  - Constant DequantizeLinear: the float constant (q - zp) * scale replaces it; when it feeds
//    a Conv/Gemm weight input its scales (per tensor or per axis) are kept for that node.
//  - Before that, FoldConstantChains folds Constant, Identity, Cast, ConstantOfShape, Shape,
//    Squeeze and Unsqueeze nodes whose inputs are initializers into initializers, to a fixed
//    point: PyTorch (FX quantization) delivers scales and zero points through such chains.
//  - A Cast between QuantizeLinear and DequantizeLinear that keeps the quantized type (torch
//    writes one after every QuantizeLinear) is dropped with the pair.
#include <onnx/onnx_pb.h>

#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include "common/file_read.h"
#include "model_compiler/lower/reader.h"
#include "model_compiler/quantize.h"

namespace edgert::compiler {
namespace {

// Numeric values of a small initializer as doubles (float, int8, uint8, int32).
bool Values(const onnx::TensorProto& t, std::vector<double>* out) {
  out->clear();
  const std::string& raw = t.raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (!raw.empty()) {
        std::vector<float> v(raw.size() / 4);
        std::memcpy(v.data(), raw.data(), v.size() * 4);
        out->assign(v.begin(), v.end());
      } else {
        out->assign(t.float_data().begin(), t.float_data().end());
      }
      return true;
    case onnx::TensorProto::INT8:
      if (!raw.empty())
        for (char c : raw) out->push_back(static_cast<int8_t>(c));
      else
        out->assign(t.int32_data().begin(), t.int32_data().end());
      return true;
    case onnx::TensorProto::UINT8:
      if (!raw.empty())
        for (char c : raw) out->push_back(static_cast<uint8_t>(c));
      else
        out->assign(t.int32_data().begin(), t.int32_data().end());
      return true;
    case onnx::TensorProto::INT32:
      if (!raw.empty()) {
        std::vector<int32_t> v(raw.size() / 4);
        std::memcpy(v.data(), raw.data(), v.size() * 4);
        out->assign(v.begin(), v.end());
      } else {
        out->assign(t.int32_data().begin(), t.int32_data().end());
      }
      return true;
    default:
      return false;
  }
}

int Axis(const onnx::NodeProto& n) {
  for (const auto& a : n.attribute())
    if (a.name() == "axis") return static_cast<int>(a.i());
  return 1;
}

// Writes `c` as an initializer of ONNX type `type`; false for a type it cannot hold exactly.
bool MakeInitializer(const std::string& name, int type, const Const& c, onnx::TensorProto* t) {
  t->Clear();
  t->set_name(name);
  t->set_data_type(type);
  for (int64_t d : c.shape) t->add_dims(d);
  std::string raw;
  auto put = [&raw](const auto& v) { raw.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
  for (size_t k = 0; k < c.size(); ++k) {
    const int64_t i = c.is_int ? c.i[k] : SaturatingInt(c.f[k]);
    switch (type) {
      case onnx::TensorProto::FLOAT:
        put(c.is_int ? static_cast<float>(c.i[k]) : c.f[k]);
        break;
      case onnx::TensorProto::DOUBLE:
        put(c.At(k));
        break;
      case onnx::TensorProto::INT8:
        put(static_cast<int8_t>(i));
        break;
      case onnx::TensorProto::UINT8:
        put(static_cast<uint8_t>(i));
        break;
      case onnx::TensorProto::BOOL:
        put(static_cast<uint8_t>(c.At(k) != 0));
        break;
      case onnx::TensorProto::INT16:
        put(static_cast<int16_t>(i));
        break;
      case onnx::TensorProto::UINT16:
        put(static_cast<uint16_t>(i));
        break;
      case onnx::TensorProto::INT32:
        put(static_cast<int32_t>(i));
        break;
      case onnx::TensorProto::UINT32:
        put(static_cast<uint32_t>(i));
        break;
      case onnx::TensorProto::INT64:
        put(i);
        break;
      default:
        return false;
    }
  }
  t->set_raw_data(raw);
  return true;
}

// The initializer that node `n` computes from the initializers `init` (all its inputs), or false
// when it is not one of the folded ops or its inputs are not all initializers.
Result<bool> FoldNode(const onnx::NodeProto& n,
                      const std::map<std::string, const onnx::TensorProto*>& init,
                      onnx::TensorProto* out) {
  const std::string& op = n.op_type();
  static const std::set<std::string> kFolded = {"Constant", "Identity",  "Cast",           "Shape",
                                                "Squeeze",  "Unsqueeze", "ConstantOfShape"};
  if (!kFolded.count(op) || n.output_size() != 1) return false;
  std::vector<const onnx::TensorProto*> in;
  for (const auto& name : n.input()) {
    if (name.empty()) {
      in.push_back(nullptr);
      continue;
    }
    auto it = init.find(name);
    if (it == init.end()) return false;
    in.push_back(it->second);
  }
  const std::string what = "QDQ: node '" + n.name() + "' (" + op + ")";
  auto read = [&](const onnx::TensorProto& t) { return ReadTensor(t, what); };
  if (op == "Constant") {
    if (const auto* a = FindAttr(n, "value")) {
      *out = a->t();
    } else if (const auto* a = FindAttr(n, "value_float")) {
      MakeInitializer("", onnx::TensorProto::FLOAT, Const::FromFloats({}, {a->f()}), out);
    } else if (const auto* a = FindAttr(n, "value_int")) {
      MakeInitializer("", onnx::TensorProto::INT64, Const::FromInts({}, {a->i()}), out);
    } else {
      return false;  // left to the lowering, which names what it does not support
    }
  } else if (op == "Identity") {
    if (in.empty() || !in[0]) return false;
    *out = *in[0];
  } else if (op == "Cast") {
    if (in.empty() || !in[0]) return false;
    EDGERT_ASSIGN_OR_RETURN(Const c, read(*in[0]));
    if (!MakeInitializer("", static_cast<int>(AttrInt(n, "to", onnx::TensorProto::FLOAT)), c, out))
      return false;
  } else if (op == "Shape") {
    if (in.empty() || !in[0] || n.attribute_size() > 0) return false;
    std::vector<int64_t> dims(in[0]->dims().begin(), in[0]->dims().end());
    MakeInitializer("", onnx::TensorProto::INT64,
                    Const::FromInts({static_cast<int64_t>(dims.size())}, dims), out);
  } else if (op == "ConstantOfShape") {
    if (in.empty() || !in[0]) return false;
    EDGERT_ASSIGN_OR_RETURN(Const shape, read(*in[0]));
    Const c;
    c.shape = shape.Ints();
    int type = onnx::TensorProto::FLOAT;
    double value = 0;
    if (const auto* a = FindAttr(n, "value")) {
      EDGERT_ASSIGN_OR_RETURN(Const v, read(a->t()));
      type = a->t().data_type();
      if (v.size()) value = v.At(0);
    }
    const size_t count = static_cast<size_t>(Numel(c.shape));
    if (IsIntType(type)) {
      c.is_int = true;
      c.i.assign(count, static_cast<int64_t>(value));
    } else {
      c.f.assign(count, static_cast<float>(value));
    }
    if (!MakeInitializer("", type, c, out)) return false;
  } else {  // Squeeze, Unsqueeze: the data as it is, new dims
    if (in.empty() || !in[0]) return false;
    std::vector<int64_t> axes = AttrInts(n, "axes");
    if (in.size() > 1 && in[1]) {
      EDGERT_ASSIGN_OR_RETURN(Const a, read(*in[1]));
      axes = a.Ints();
    }
    std::vector<int64_t> dims(in[0]->dims().begin(), in[0]->dims().end());
    if (op == "Squeeze") {
      std::vector<bool> drop(dims.size(), axes.empty());
      for (int64_t a : axes) {
        if (a < 0) a += static_cast<int64_t>(dims.size());
        if (a < 0 || a >= static_cast<int64_t>(dims.size())) return false;
        drop[a] = true;
      }
      std::vector<int64_t> kept;
      for (size_t d = 0; d < dims.size(); ++d)
        if (!drop[d] || dims[d] != 1) kept.push_back(dims[d]);
      dims = kept;
    } else {
      const int64_t r = static_cast<int64_t>(dims.size() + axes.size());
      std::vector<bool> added(r, false);
      for (int64_t a : axes) {
        if (a < 0) a += r;
        if (a < 0 || a >= r) return false;
        added[a] = true;
      }
      std::vector<int64_t> grown;
      size_t src = 0;
      for (int64_t d = 0; d < r; ++d) grown.push_back(added[d] ? 1 : dims[src++]);
      dims = grown;
    }
    *out = *in[0];
    out->clear_dims();
    for (int64_t d : dims) out->add_dims(d);
  }
  out->set_name(n.output(0));
  return true;
}

}  // namespace

Status FoldConstantChains(onnx::GraphProto* g) {
  std::set<std::string> graph_outputs;
  for (const auto& o : g->output()) graph_outputs.insert(o.name());
  for (bool changed = true; changed;) {
    changed = false;
    std::map<std::string, const onnx::TensorProto*> init;
    for (const auto& t : g->initializer()) init[t.name()] = &t;
    std::vector<onnx::TensorProto> folded;
    google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
    for (const auto& n : g->node()) {
      onnx::TensorProto t;
      bool done = false;
      if (n.output_size() == 1 && !graph_outputs.count(n.output(0))) {
        EDGERT_ASSIGN_OR_RETURN(done, FoldNode(n, init, &t));
      }
      if (done) {
        folded.push_back(std::move(t));
      } else {
        *kept.Add() = n;
      }
    }
    if (folded.empty()) break;
    changed = true;
    g->mutable_node()->Swap(&kept);
    for (auto& t : folded) *g->add_initializer() = std::move(t);
  }
  return Status::Ok();
}

Result<bool> StripQdq(std::string* onnx_bytes, QdqParams* params) {
  onnx::ModelProto model;
  if (!model.ParseFromString(*onnx_bytes)) return FileError("cannot parse the ONNX model");
  onnx::GraphProto* g = model.mutable_graph();
  bool any = false;
  for (const auto& n : g->node())
    any = any || n.op_type() == "QuantizeLinear" || n.op_type() == "DequantizeLinear";
  if (!any) return false;
  EDGERT_RETURN_IF_ERROR(FoldConstantChains(g));
  std::map<std::string, const onnx::TensorProto*> init;
  for (const auto& t : g->initializer()) init[t.name()] = &t;
  std::map<std::string, const onnx::NodeProto*> producer;
  for (const auto& n : g->node())
    for (const auto& o : n.output()) producer[o] = &n;
  auto param = [&](const onnx::NodeProto& n, int i, std::vector<double>* v, int* type) -> Status {
    if (n.input_size() <= i || n.input(i).empty()) {
      v->assign(1, 0.0);
      *type = onnx::TensorProto::UINT8;
      return Status::Ok();
    }
    auto it = init.find(n.input(i));
    if (it == init.end() || !Values(*it->second, v))
      return Unsupported("QDQ: '" + n.name() + "' input " + std::to_string(i) +
                         " is not a constant initializer");
    *type = it->second->data_type();
    return Status::Ok();
  };

  std::set<std::string> graph_outputs;
  for (const auto& o : g->output()) graph_outputs.insert(o.name());
  std::map<std::string, std::string> rename;  // DQ output -> the float value it stands for
  std::map<std::string, std::string> keep;    // float value -> DQ output that is a graph output
  std::set<const onnx::NodeProto*> drop;
  std::vector<onnx::TensorProto> new_inits;
  std::map<std::string, Quantization> const_quant;  // DQ output of a constant -> its scales
  for (const auto& n : g->node()) {
    if (n.op_type() != "DequantizeLinear") continue;
    std::vector<double> scale, zp;
    int st = 0, zt = 0;
    EDGERT_RETURN_IF_ERROR(param(n, 1, &scale, &st));
    EDGERT_RETURN_IF_ERROR(param(n, 2, &zp, &zt));
    if (zp.size() != scale.size()) zp.assign(scale.size(), zp.empty() ? 0.0 : zp[0]);
    auto ci = init.find(n.input(0));
    if (ci != init.end()) {
      // Constant: fold to float.
      std::vector<double> q;
      if (!Values(*ci->second, &q))
        return Unsupported("QDQ: constant '" + n.input(0) + "' has an unsupported type");
      const auto& dims = ci->second->dims();
      int axis = Axis(n);
      if (axis < 0) axis += dims.size();
      int64_t inner = 1;
      for (int d = axis + 1; d < dims.size(); ++d) inner *= dims[d];
      onnx::TensorProto f;
      f.set_name(n.output(0));
      f.set_data_type(onnx::TensorProto::FLOAT);
      *f.mutable_dims() = dims;
      std::vector<float> v(q.size());
      for (size_t i = 0; i < q.size(); ++i) {
        const size_t c = scale.size() == 1
                             ? 0
                             : static_cast<size_t>((static_cast<int64_t>(i) / inner) %
                                                   static_cast<int64_t>(scale.size()));
        v[i] = static_cast<float>((q[i] - zp[c]) * static_cast<float>(scale[c]));
      }
      f.set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4));
      new_inits.push_back(std::move(f));
      Quantization wq;
      for (size_t c = 0; c < scale.size(); ++c) {
        wq.scale.push_back(static_cast<float>(scale[c]));
        wq.zero_point.push_back(static_cast<int32_t>(zp[c]));
      }
      wq.axis = scale.size() > 1 ? axis : -1;
      const_quant[n.output(0)] = wq;
      drop.insert(&n);
      continue;
    }
    auto pq = producer.find(n.input(0));
    if (pq != producer.end() && pq->second->op_type() == "Cast") {
      // torch: QuantizeLinear -> Cast (to the same quantized type) -> DequantizeLinear.
      const onnx::NodeProto& cast = *pq->second;
      auto pc = producer.find(cast.input(0));
      if (pc != producer.end() && pc->second->op_type() == "QuantizeLinear" &&
          AttrInt(cast, "to", 0) == zt) {
        drop.insert(&cast);
        pq = pc;
      }
    }
    if (pq == producer.end() || pq->second->op_type() != "QuantizeLinear")
      return Unsupported("QDQ: DequantizeLinear '" + n.name() +
                         "' does not follow a QuantizeLinear or a constant");
    const onnx::NodeProto& q = *pq->second;
    if (scale.size() != 1)
      return Unsupported("QDQ: per-axis activation quantization at '" + n.name() + "'");
    Quantization aq;
    aq.scale = {static_cast<float>(scale[0])};
    const int shift = zt == onnx::TensorProto::UINT8 ? 128 : 0;
    aq.zero_point = {static_cast<int32_t>(zp[0]) - shift};
    if (graph_outputs.count(n.output(0))) {
      keep[q.input(0)] = n.output(0);
      params->activations[n.output(0)] = aq;
    } else {
      params->activations[q.input(0)] = aq;
      rename[n.output(0)] = q.input(0);
    }
    drop.insert(&n);
    drop.insert(&q);
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (const auto& n0 : g->node()) {
    if (drop.count(&n0)) continue;
    onnx::NodeProto n = n0;
    for (int i = 0; i < n.input_size(); ++i) {
      auto r = rename.find(n.input(i));
      if (r != rename.end()) n.set_input(i, r->second);
      auto k = keep.find(n.input(i));
      if (k != keep.end()) n.set_input(i, k->second);
      auto c = const_quant.find(n.input(i));
      if (c != const_quant.end() && i == 1 && (n.op_type() == "Conv" || n.op_type() == "Gemm"))
        params->weights[n.name()] = c->second;
    }
    for (int i = 0; i < n.output_size(); ++i) {
      auto k = keep.find(n.output(i));
      if (k != keep.end()) n.set_output(i, k->second);
    }
    *nodes.Add() = n;
  }
  g->mutable_node()->Swap(&nodes);
  for (auto& t : new_inits) *g->add_initializer() = std::move(t);
  g->clear_value_info();
  if (!model.SerializeToString(onnx_bytes)) return FileError("cannot serialize the ONNX model");
  return true;
}

Result<ModelDef> CompileOnnxFileQdqAware(const std::string& path, const CompileConfig& config,
                                         bool* was_qdq, std::vector<std::string>* float_nodes) {
  EDGERT_ASSIGN_OR_RETURN(std::string bytes,
                          app::ReadFileString(path, app::kMaxFileBytes, "", "ONNX model"));
  const std::string sha = Sha256Hex(bytes);
  QdqParams params;
  EDGERT_ASSIGN_OR_RETURN(bool qdq, StripQdq(&bytes, &params));
  *was_qdq = qdq;
  if (!qdq) return CompileOnnxFile(path, config);
  EDGERT_ASSIGN_OR_RETURN(ModelDef f, CompileOnnxBytes(bytes, path, config));
  f.source_sha256 = sha;  // of the QDQ file itself
  QuantizeOptions o;
  o.activations = params.activations;
  o.weights = params.weights;
  auto it = config.calibration_parameters.find("run_on_cpu");
  if (it != config.calibration_parameters.end()) {
    std::stringstream ss(it->second);
    std::string item;
    while (std::getline(ss, item, ';')) {
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) o.run_on_cpu.insert(item);
    }
  }
  return QuantizeModelDef(f, {}, o, float_nodes);
}

}  // namespace edgert::compiler

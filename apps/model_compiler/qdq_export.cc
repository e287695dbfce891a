// <prefix>_quantized_model.onnx: the int8 model as standard QDQ ONNX that ONNX Runtime runs.
//
// The source ONNX graph is kept and annotated with the int8 model's own parameters:
//  - every ONNX value that an S8 IR tensor holds (TensorDef::source; a fused Relu/Clip makes
//    the fused node's output hold the Relu's output) and every data input of an
//    ONNX node that became an Int8 IR node of the same name gets QuantizeLinear ->
//    DequantizeLinear with that tensor's (scale, zero point) in int8;
//  - Int8 Conv/Gemm nodes read the .bin's own int8 weights (back in ONNX order) and int32 bias
//    (scale in_scale * w_scale) through DequantizeLinear; a BatchNormalization the compiler
//    folded into the conv is dropped, since the folded weights replace the conv's.
// ORT then fuses the QDQ groups into its QLinear kernels; where it does not, the QDQ semantics
// are the same real-number computation.
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "common/file_read.h"
#include "edgert_internal/file_io.h"
#include "model_compiler/compiler.h"
#include "model_compiler/quantize.h"

namespace edgert::compiler {
namespace {

onnx::TensorProto Scalar(const std::string& name, float v) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_float_data(v);
  return t;
}

onnx::TensorProto ZeroPoint(const std::string& name, int32_t zp) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::INT8);
  t.add_int32_data(zp);
  return t;
}

}  // namespace

Status WriteQdqOnnx(const std::string& onnx_path, const ModelDef& m, const std::string& out_path) {
  onnx::ModelProto model;
  {
    EDGERT_ASSIGN_OR_RETURN(std::string bytes,
                            app::ReadFileString(onnx_path, app::kMaxFileBytes, "", "ONNX model"));
    if (!model.ParseFromString(bytes))
      return FileError("cannot read ONNX model '" + onnx_path + "'");
  }
  onnx::GraphProto* g = model.mutable_graph();
  bool opset_ok = false;
  for (auto& o : *model.mutable_opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") {
      if (o.version() < 13)
        return Unsupported("QDQ export needs opset >= 13 (per-axis Dequantize)");
      opset_ok = true;
    }
  if (!opset_ok) return Unsupported("QDQ export: the model has no ai.onnx opset import");

  std::set<std::string> initializers;
  for (const auto& t : g->initializer()) initializers.insert(t.name());

  // Quantization per ONNX value.
  std::map<std::string, Quantization> quant;
  std::set<std::string> values;
  for (const auto& n : g->node())
    for (const auto& o : n.output()) values.insert(o);
  for (const auto& in : g->input()) values.insert(in.name());
  for (const TensorDef& t : m.tensors) {
    if (t.dtype != TensorType::kS8 || !t.data.empty()) continue;
    if (values.count(t.source)) quant[t.source] = t.quant;
  }
  std::map<std::string, const NodeDef*> int8_node;
  for (const NodeDef& n : m.nodes)
    if (n.int8) int8_node[n.name] = &n;
  struct WeightJob {
    const onnx::NodeProto* node;
    const NodeDef* ir;
  };
  std::vector<WeightJob> jobs;
  for (const auto& n : g->node()) {
    auto it = int8_node.find(n.name());
    if (it == int8_node.end()) continue;
    const NodeDef& ir = *it->second;
    const bool all = n.op_type() == "Add" || n.op_type() == "Sub" || n.op_type() == "Mul" ||
                     n.op_type() == "Concat";
    for (int i = 0; i < (all ? n.input_size() : 1); ++i) {
      const size_t k = static_cast<size_t>(all ? i : 0);
      if (k >= ir.inputs.size() || ir.inputs[k] < 0) continue;
      const TensorDef& t = m.tensors[static_cast<size_t>(ir.inputs[k])];
      if (t.dtype == TensorType::kS8 && !initializers.count(n.input(i)) && !quant.count(n.input(i)))
        quant[n.input(i)] = t.quant;
    }
    if (ir.op == "Conv2D" || ir.op == "FullyConnected") jobs.push_back({&n, &ir});
  }

  // Weights and bias: the .bin's own int8 weights (OHWI / [N,K], back in ONNX order) and int32
  // bias behind DequantizeLinear. A BatchNormalization the compiler folded into the conv is
  // dropped: the folded weights replace the conv's.
  std::vector<onnx::NodeProto> head;  // nodes to put first (they read initializers only)
  std::map<std::string, std::vector<std::string>> new_inputs;  // node name -> inputs
  std::map<std::string, std::string> new_output;               // conv name -> folded BN output
  std::set<std::string> dropped;                               // folded BN node names
  std::map<std::string, std::vector<const onnx::NodeProto*>> consumers;
  for (const auto& n : g->node())
    for (const auto& in : n.input()) consumers[in].push_back(&n);
  auto dq_node = [&](const std::string& base, onnx::TensorProto q, const std::vector<float>& scales,
                     onnx::TensorProto::DataType zp_type, int axis) {
    onnx::TensorProto scale, zp;
    scale.set_name(base + "_scale");
    scale.set_data_type(onnx::TensorProto::FLOAT);
    zp.set_name(base + "_zero_point");
    zp.set_data_type(zp_type);
    if (scales.size() > 1) {
      scale.add_dims(static_cast<int64_t>(scales.size()));
      zp.add_dims(static_cast<int64_t>(scales.size()));
    }
    for (float s : scales) {
      scale.add_float_data(s);
      zp.add_int32_data(0);
    }
    q.set_name(base + "_quantized");
    onnx::NodeProto dq;
    dq.set_op_type("DequantizeLinear");
    dq.set_name(base + "_DequantizeLinear");
    dq.add_input(q.name());
    dq.add_input(scale.name());
    dq.add_input(zp.name());
    dq.add_output(base);
    if (scales.size() > 1) {
      auto* a = dq.add_attribute();
      a->set_name("axis");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(axis);
    }
    *g->add_initializer() = std::move(q);
    *g->add_initializer() = scale;
    *g->add_initializer() = zp;
    head.push_back(dq);
  };
  for (const WeightJob& j : jobs) {
    const NodeDef& ir = *j.ir;
    const onnx::NodeProto& n = *j.node;
    const TensorDef& wq = m.tensors[static_cast<size_t>(ir.inputs[1])];
    const Quantization& xq = m.tensors[static_cast<size_t>(ir.inputs[0])].quant;
    if (xq.scale.empty() || wq.shape.empty()) continue;
    std::string bn_out;
    if (ir.source_op.find("BatchNormalization") != std::string::npos) {
      auto c = consumers.find(n.output(0));
      if (c == consumers.end() || c->second.size() != 1 ||
          c->second[0]->op_type() != "BatchNormalization")
        continue;
      dropped.insert(c->second[0]->name());
      bn_out = c->second[0]->output(0);
    }
    onnx::TensorProto q;
    q.set_data_type(onnx::TensorProto::INT8);
    const std::vector<int64_t>& s = wq.shape;
    std::string raw(wq.data.size(), '\0');
    int axis = 0;
    if (n.op_type() == "Conv" && s.size() == 4) {  // OHWI -> OIHW
      for (int64_t d : {s[0], s[3], s[1], s[2]}) q.add_dims(d);
      size_t i = 0;
      for (int64_t o = 0; o < s[0]; ++o)
        for (int64_t ci = 0; ci < s[3]; ++ci)
          for (int64_t y = 0; y < s[1]; ++y)
            for (int64_t x = 0; x < s[2]; ++x)
              raw[i++] = static_cast<char>(
                  wq.data[static_cast<size_t>(((o * s[1] + y) * s[2] + x) * s[3] + ci)]);
    } else if (n.op_type() == "Gemm" && s.size() == 2) {
      bool trans_b = false;
      for (const auto& a : n.attribute())
        if (a.name() == "transB") trans_b = a.i() != 0;
      if (trans_b) {
        q.add_dims(s[0]);
        q.add_dims(s[1]);
        raw.assign(wq.data.begin(), wq.data.end());
      } else {  // [N,K] -> [K,N]
        axis = 1;
        q.add_dims(s[1]);
        q.add_dims(s[0]);
        for (int64_t k = 0; k < s[1]; ++k)
          for (int64_t o = 0; o < s[0]; ++o)
            raw[static_cast<size_t>(k * s[0] + o)] =
                static_cast<char>(wq.data[static_cast<size_t>(o * s[1] + k)]);
      }
    } else {
      continue;
    }
    q.set_raw_data(raw);
    std::vector<std::string> ins(n.input().begin(), n.input().end());
    const std::string base = n.name().empty() ? n.output(0) : n.name();
    dq_node(base + "_weight", q, wq.quant.scale, onnx::TensorProto::INT8, axis);
    ins[1] = base + "_weight";
    if (ir.inputs.size() > 2 && ir.inputs[2] >= 0) {
      const TensorDef& bq = m.tensors[static_cast<size_t>(ir.inputs[2])];
      onnx::TensorProto b32;
      b32.set_data_type(onnx::TensorProto::INT32);
      b32.add_dims(static_cast<int64_t>(bq.data.size() / 4));
      b32.set_raw_data(std::string(bq.data.begin(), bq.data.end()));
      std::vector<float> bs;
      for (size_t c = 0; c < bq.data.size() / 4; ++c)
        bs.push_back(xq.scale[0] * wq.quant.scale[wq.quant.scale.size() > 1 ? c : 0]);
      dq_node(base + "_bias", b32, bs, onnx::TensorProto::INT32, 0);
      if (ins.size() < 3) ins.resize(3);
      ins[2] = base + "_bias";
    }
    new_inputs[n.name()] = ins;
    if (!bn_out.empty()) new_output[n.name()] = bn_out;
  }

  // Activations: the producer writes v + "_float"; Q -> DQ produces v again. Graph inputs keep
  // their name and their consumers read the DQ output instead.
  std::set<std::string> graph_inputs;
  for (const auto& in : g->input()) graph_inputs.insert(in.name());
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (const auto& n : head) *nodes.Add() = n;
  std::map<std::string, std::string> input_rename;
  auto emit_qdq = [&](const std::string& src, const std::string& dst, const Quantization& q) {
    const std::string base = dst + "_qdq";
    *g->add_initializer() = Scalar(base + "_scale", q.scale[0]);
    *g->add_initializer() = ZeroPoint(base + "_zero_point", q.zero_point[0]);
    onnx::NodeProto ql, dl;
    ql.set_op_type("QuantizeLinear");
    ql.set_name(base + "_QuantizeLinear");
    ql.add_input(src);
    ql.add_input(base + "_scale");
    ql.add_input(base + "_zero_point");
    ql.add_output(base + "_int8");
    dl.set_op_type("DequantizeLinear");
    dl.set_name(base + "_DequantizeLinear");
    dl.add_input(base + "_int8");
    dl.add_input(base + "_scale");
    dl.add_input(base + "_zero_point");
    dl.add_output(dst);
    *nodes.Add() = ql;
    *nodes.Add() = dl;
  };
  for (const auto& [v, q] : quant)
    if (graph_inputs.count(v) && q.scale.size() == 1) {
      input_rename[v] = v + "_dequantized";
      emit_qdq(v, v + "_dequantized", q);
    }
  for (const auto& n0 : g->node()) {
    if (dropped.count(n0.name())) continue;
    onnx::NodeProto n = n0;
    if (auto it = new_inputs.find(n.name()); it != new_inputs.end()) {
      n.clear_input();
      for (const std::string& in : it->second) n.add_input(in);
    }
    if (auto it = new_output.find(n.name()); it != new_output.end()) n.set_output(0, it->second);
    for (auto& in : *n.mutable_input()) {
      auto r = input_rename.find(in);
      if (r != input_rename.end()) in = r->second;
    }
    std::vector<std::pair<std::string, Quantization>> after;
    for (auto& o : *n.mutable_output()) {
      auto q = quant.find(o);
      if (q == quant.end() || q->second.scale.size() != 1) continue;
      after.push_back({o, q->second});
      o = o + "_float";
    }
    *nodes.Add() = n;
    for (const auto& [v, q] : after) emit_qdq(v + "_float", v, q);
  }
  g->mutable_node()->Swap(&nodes);
  // Initializers nothing reads any more (float weights and folded BatchNormalization params).
  std::set<std::string> used;
  for (const auto& n : g->node())
    for (const auto& in : n.input()) used.insert(in);
  for (const auto& o : g->output()) used.insert(o.name());
  google::protobuf::RepeatedPtrField<onnx::TensorProto> keep;
  for (auto& t : *g->mutable_initializer())
    if (used.count(t.name())) *keep.Add() = std::move(t);
  g->mutable_initializer()->Swap(&keep);
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> inputs;
  for (auto& in : *g->mutable_input())
    if (used.count(in.name())) *inputs.Add() = std::move(in);
  g->mutable_input()->Swap(&inputs);
  g->clear_value_info();
  std::string bytes;
  if (!model.SerializeToString(&bytes)) return FileError("cannot serialize the QDQ model");
  return WriteFileAtomic(out_path, bytes.data(), bytes.size());
}

}  // namespace edgert::compiler

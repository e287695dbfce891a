// <prefix>_quantized_model.onnx: the int8 model as standard QDQ ONNX that ONNX Runtime runs.
//
// The source ONNX graph is kept and annotated with the int8 model's own parameters:
//  - every ONNX value that an S8 IR tensor of the same name holds (IR tensors carry the ONNX
//    value names; fused Relu/Clip rename the fused node's output) and every data input of an
//    ONNX node that became an Int8 IR node of the same name gets QuantizeLinear ->
//    DequantizeLinear with that tensor's (scale, zero point) in int8;
//  - the weights of Int8 Conv/Gemm nodes become int8 initializers (the same per-channel or
//    per-tensor symmetric rounding as the .bin) behind a DequantizeLinear, and their bias an
//    int32 initializer (scale in_scale * w_scale) behind a DequantizeLinear.
// ORT then fuses the QDQ groups into its QLinear kernels; where it does not, the QDQ semantics
// are the same real-number computation.
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

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

// Float data of an initializer (raw or float_data).
std::vector<float> FloatData(const onnx::TensorProto& t) {
  std::vector<float> v;
  if (!t.raw_data().empty()) {
    v.resize(t.raw_data().size() / 4);
    std::memcpy(v.data(), t.raw_data().data(), v.size() * 4);
  } else {
    v.assign(t.float_data().begin(), t.float_data().end());
  }
  return v;
}

}  // namespace

Status WriteQdqOnnx(const std::string& onnx_path, const ModelDef& m, const std::string& out_path) {
  onnx::ModelProto model;
  {
    std::ifstream in(onnx_path, std::ios::binary);
    if (!in || !model.ParseFromIstream(&in))
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

  std::map<std::string, int> init_of;
  for (int i = 0; i < g->initializer_size(); ++i) init_of[g->initializer(i).name()] = i;
  std::map<std::string, const onnx::NodeProto*> producer;
  for (const auto& n : g->node())
    for (const auto& o : n.output()) producer[o] = &n;
  // An initializer reached through Identity nodes (torch 1.13 adds them), or "".
  auto initializer_name = [&](std::string v) -> std::string {
    for (int hops = 0; hops < 8; ++hops) {
      if (init_of.count(v)) return v;
      auto p = producer.find(v);
      if (p == producer.end() || p->second->op_type() != "Identity") return "";
      v = p->second->input(0);
    }
    return "";
  };

  // Quantization per ONNX value.
  std::map<std::string, Quantization> quant;
  std::set<std::string> values;
  for (const auto& n : g->node())
    for (const auto& o : n.output()) values.insert(o);
  for (const auto& in : g->input()) values.insert(in.name());
  for (const TensorDef& t : m.tensors)
    if (t.dtype == TensorType::kS8 && t.data.empty() && values.count(t.name))
      quant[t.name] = t.quant;
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
      if (t.dtype == TensorType::kS8 && !init_of.count(n.input(i)) && !quant.count(n.input(i)))
        quant[n.input(i)] = t.quant;
    }
    if (ir.op == "Conv2D" || ir.op == "FullyConnected") {
      if (ir.source_op.find("BatchNormalization") != std::string::npos)
        continue;  // folded weights differ from the ONNX ones: left float
      jobs.push_back({&n, &ir});
    }
  }

  // Weights and bias: int8 / int32 initializers behind DequantizeLinear.
  std::vector<onnx::NodeProto> head;  // nodes to put first (they read initializers only)
  std::set<std::string> replaced;
  for (const WeightJob& j : jobs) {
    const NodeDef& ir = *j.ir;
    const TensorDef& wq = m.tensors[static_cast<size_t>(ir.inputs[1])];
    const std::string wname = initializer_name(j.node->input(1));
    if (wname.empty() || replaced.count(wname)) continue;
    const onnx::TensorProto& wt = g->initializer(init_of[wname]);
    if (wt.data_type() != onnx::TensorProto::FLOAT) continue;
    std::vector<float> w = FloatData(wt);
    int axis = 0;
    if (j.node->op_type() == "Gemm") {
      bool trans_b = false;
      for (const auto& a : j.node->attribute())
        if (a.name() == "transB") trans_b = a.i() != 0;
      axis = trans_b ? 0 : 1;
    } else if (j.node->op_type() != "Conv") {
      continue;  // MatMul weights etc.: left float
    }
    const int64_t channels = wt.dims(axis);
    if (static_cast<int64_t>(wq.quant.scale.size()) != channels && wq.quant.scale.size() != 1)
      continue;
    int64_t inner = 1;
    for (int d = axis + 1; d < wt.dims_size(); ++d) inner *= wt.dims(d);
    onnx::TensorProto q;
    q.set_name(wname + "_int8");
    q.set_data_type(onnx::TensorProto::INT8);
    *q.mutable_dims() = wt.dims();
    std::string raw(w.size(), '\0');
    for (size_t i = 0; i < w.size(); ++i) {
      const size_t c = wq.quant.scale.size() == 1
                           ? 0
                           : static_cast<size_t>((static_cast<int64_t>(i) / inner) % channels);
      const float s = wq.quant.scale[c];
      const float v = std::min(127.f, std::max(-127.f, std::nearbyint(w[i] / s)));
      raw[i] = static_cast<char>(static_cast<int8_t>(v));
    }
    q.set_raw_data(raw);
    onnx::TensorProto scale;
    scale.set_name(wname + "_scale");
    scale.set_data_type(onnx::TensorProto::FLOAT);
    onnx::TensorProto zp;
    zp.set_name(wname + "_zero_point");
    zp.set_data_type(onnx::TensorProto::INT8);
    const bool per_axis = wq.quant.scale.size() > 1;
    if (per_axis) {
      scale.add_dims(channels);
      zp.add_dims(channels);
    }
    for (float s : wq.quant.scale) scale.add_float_data(s);
    for (size_t i = 0; i < wq.quant.scale.size(); ++i) zp.add_int32_data(0);
    onnx::NodeProto dq;
    dq.set_op_type("DequantizeLinear");
    dq.set_name(wname + "_DequantizeLinear");
    dq.add_input(q.name());
    dq.add_input(scale.name());
    dq.add_input(zp.name());
    dq.add_output(wname);
    if (per_axis) {
      auto* a = dq.add_attribute();
      a->set_name("axis");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(axis);
    }
    replaced.insert(wname);
    *g->add_initializer() = q;
    *g->add_initializer() = scale;
    *g->add_initializer() = zp;
    head.push_back(dq);
    // Bias: exactly the .bin's int32 values.
    if (ir.inputs.size() > 2 && ir.inputs[2] >= 0 && j.node->input_size() > 2) {
      const std::string bname = initializer_name(j.node->input(2));
      const TensorDef& bq = m.tensors[static_cast<size_t>(ir.inputs[2])];
      const Quantization& xq = m.tensors[static_cast<size_t>(ir.inputs[0])].quant;
      if (!bname.empty() && !replaced.count(bname) && !xq.scale.empty()) {
        onnx::TensorProto b32;
        b32.set_name(bname + "_int32");
        b32.set_data_type(onnx::TensorProto::INT32);
        b32.add_dims(static_cast<int64_t>(bq.data.size() / 4));
        b32.set_raw_data(std::string(bq.data.begin(), bq.data.end()));
        onnx::TensorProto bs;
        bs.set_name(bname + "_scale");
        bs.set_data_type(onnx::TensorProto::FLOAT);
        bs.add_dims(static_cast<int64_t>(bq.data.size() / 4));
        onnx::TensorProto bz;
        bz.set_name(bname + "_zero_point");
        bz.set_data_type(onnx::TensorProto::INT32);
        bz.add_dims(static_cast<int64_t>(bq.data.size() / 4));
        for (size_t c = 0; c < bq.data.size() / 4; ++c) {
          bs.add_float_data(xq.scale[0] * wq.quant.scale[per_axis ? c : 0]);
          bz.add_int32_data(0);
        }
        onnx::NodeProto bdq;
        bdq.set_op_type("DequantizeLinear");
        bdq.set_name(bname + "_DequantizeLinear");
        bdq.add_input(b32.name());
        bdq.add_input(bs.name());
        bdq.add_input(bz.name());
        bdq.add_output(bname);
        auto* a = bdq.add_attribute();
        a->set_name("axis");
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(0);
        replaced.insert(bname);
        *g->add_initializer() = b32;
        *g->add_initializer() = bs;
        *g->add_initializer() = bz;
        head.push_back(bdq);
      }
    }
  }
  // Drop the replaced float initializers (the DequantizeLinear outputs take their names).
  {
    google::protobuf::RepeatedPtrField<onnx::TensorProto> keep;
    for (const auto& t : g->initializer())
      if (!replaced.count(t.name())) *keep.Add() = t;
    g->mutable_initializer()->Swap(&keep);
    google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> inputs;
    for (const auto& in : g->input())
      if (!replaced.count(in.name())) *inputs.Add() = in;
    g->mutable_input()->Swap(&inputs);
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
    onnx::NodeProto n = n0;
    for (auto& in : *n.mutable_input()) {
      auto r = input_rename.find(in);
      if (r != input_rename.end()) in = r->second;
    }
    std::vector<std::pair<std::string, Quantization>> after;
    for (auto& o : *n.mutable_output()) {
      auto q = quant.find(o);
      if (q == quant.end() || q->second.scale.size() != 1 || replaced.count(o)) continue;
      after.push_back({o, q->second});
      o = o + "_float";
    }
    *nodes.Add() = n;
    for (const auto& [v, q] : after) emit_qdq(v + "_float", v, q);
  }
  g->mutable_node()->Swap(&nodes);
  g->clear_value_info();
  std::string bytes;
  if (!model.SerializeToString(&bytes)) return FileError("cannot serialize the QDQ model");
  return WriteFileAtomic(out_path, bytes.data(), bytes.size());
}

}  // namespace edgert::compiler

// Float IR -> int8 IR. See quantize.h and runtime/schema/IR.md "Int8".
#include "quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace edgert::compiler {
namespace {

// Ops with an int8 kernel (runtime/src/engine/int8_kernels.cc), and those whose output reuses
// the input's quantization, so that they stay byte moves (and Reshape/Copy may alias).
const std::set<std::string> kInt8Ops = {"Conv2D", "FullyConnected", "Add",           "Sub",
                                        "Mul",    "MaxPool2D",      "GlobalAvgPool", "Sigmoid",
                                        "Concat", "Reshape",        "Copy",          "Transpose",
                                        "Slice",  "Resize",         "AvgPool2D"};
const std::set<std::string> kPassThrough = {"MaxPool2D", "Reshape", "Copy", "Transpose", "Slice"};

Quantization ActQuant(const TensorRange& r) {
  const float lo = std::min(r.min, 0.f), hi = std::max(r.max, 0.f);
  float scale = (hi - lo) / 255.f;
  if (!(scale > 0.f) || !std::isfinite(scale)) scale = 1.f;
  const double zp = std::nearbyint(-128.0 - static_cast<double>(lo) / scale);
  Quantization q;
  q.scale = {scale};
  q.zero_point = {static_cast<int32_t>(std::clamp(zp, -128.0, 127.0))};
  return q;
}

std::vector<float> Floats(const TensorDef& t) {
  std::vector<float> v(t.data.size() / 4);
  if (!v.empty()) std::memcpy(v.data(), t.data.data(), t.data.size());
  return v;
}

}  // namespace

ModelDef QuantizeModelDef(const ModelDef& f, const std::map<int, TensorRange>& ranges,
                          const QuantizeOptions& options, std::vector<std::string>* float_nodes) {
  ModelDef m = f;
  m.nodes.clear();
  const size_t tcount = f.tensors.size();
  std::vector<int> s8_of(tcount, -1), f32_of(tcount, -1);
  std::vector<bool> is_s8(tcount, false);
  auto add_tensor = [&](TensorDef t) {
    m.tensors.push_back(std::move(t));
    return static_cast<int>(m.tensors.size()) - 1;
  };
  // QDQ import gives parameters per ONNX value: the tensor lowering bound to that value.
  auto fixed = [&](int t) -> const Quantization* {
    const std::string& source = f.tensors[static_cast<size_t>(t)].source;
    if (source.empty()) return nullptr;
    auto it = options.activations.find(source);
    return it != options.activations.end() ? &it->second : nullptr;
  };
  auto has_q = [&](int t) { return ranges.count(t) || fixed(t); };
  auto act_q = [&](int t) { return fixed(t) ? *fixed(t) : ActQuant(ranges.at(t)); };
  auto is_const = [&](int t) { return t >= 0 && !f.tensors[static_cast<size_t>(t)].data.empty(); };
  auto eligible = [&](const NodeDef& n) {
    if (!kInt8Ops.count(n.op) || options.run_on_cpu.count(n.name)) return false;
    if (!options.only.empty() && !options.only.count(n.name)) return false;
    const bool weighted = n.op == "Conv2D" || n.op == "FullyConnected";
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const int t = n.inputs[i];
      if (t < 0) continue;
      if (weighted && i > 0) {
        if (!is_const(t)) return false;
        continue;
      }
      if (is_const(t) || (!is_s8[static_cast<size_t>(t)] && !has_q(t))) return false;
    }
    if (n.op == "Resize" && n.inputs.size() != 1) return false;
    for (int o : n.outputs)
      if (!kPassThrough.count(n.op) && !has_q(o)) return false;
    return !n.outputs.empty();
  };
  for (const NodeDef& src : f.nodes) {
    NodeDef n = src;
    if (!eligible(src)) {
      for (int& t : n.inputs) {
        if (t < 0 || !is_s8[static_cast<size_t>(t)]) continue;
        int& fv = f32_of[static_cast<size_t>(t)];
        if (fv < 0) {
          TensorDef d = m.tensors[static_cast<size_t>(t)];
          d.name += "_dequant";
          d.source.clear();  // a copy made here, not the ONNX value itself
          d.dtype = TensorType::kF32;
          d.quant = {};
          fv = add_tensor(std::move(d));
          NodeDef dq;
          dq.name = m.tensors[static_cast<size_t>(t)].name + "_dequantize";
          dq.op = "Dequantize";
          dq.inputs = {t};
          dq.outputs = {fv};
          dq.source_op = "DequantizeLinear";
          m.nodes.push_back(std::move(dq));
        }
        t = fv;
      }
      if (float_nodes && src.op != "InputAdapter" && src.op != "OutputAdapter")
        float_nodes->push_back(src.name);
      m.nodes.push_back(std::move(n));
      continue;
    }
    const bool weighted = src.op == "Conv2D" || src.op == "FullyConnected";
    // Activation inputs as S8.
    const size_t acts = weighted ? 1 : n.inputs.size();
    for (size_t i = 0; i < acts; ++i) {
      int& t = n.inputs[i];
      if (is_s8[static_cast<size_t>(t)]) continue;
      int& qv = s8_of[static_cast<size_t>(t)];
      if (qv < 0) {
        TensorDef d = m.tensors[static_cast<size_t>(t)];
        d.name += "_quant";
        d.source.clear();
        d.dtype = TensorType::kS8;
        d.quant = act_q(t);
        qv = add_tensor(std::move(d));
        NodeDef q;
        q.name = m.tensors[static_cast<size_t>(t)].name + "_quantize";
        q.op = "Quantize";
        q.inputs = {t};
        q.outputs = {qv};
        q.source_op = "QuantizeLinear";
        m.nodes.push_back(std::move(q));
      }
      t = qv;
    }
    const Quantization in_q = m.tensors[static_cast<size_t>(n.inputs[0])].quant;
    if (weighted) {
      const TensorDef& wf = f.tensors[static_cast<size_t>(src.inputs[1])];
      const std::vector<float> w = Floats(wf);
      const int64_t cout = wf.shape[0];
      const size_t per = w.size() / static_cast<size_t>(cout);
      std::vector<float> scale(options.per_channel ? static_cast<size_t>(cout) : 1, 0.f);
      for (size_t i = 0; i < w.size(); ++i) {
        float& s = scale[options.per_channel ? i / per : 0];
        s = std::max(s, std::fabs(w[i]) / static_cast<float>(options.weight_qmax));
      }
      for (float& s : scale)
        if (!(s > 0.f)) s = 1.f;
      // QDQ import: the model's own symmetric scales (w is exactly q * scale).
      auto given = options.weights.find(src.name);
      if (given != options.weights.end()) {
        const Quantization& g = given->second;
        bool symmetric = true;
        for (int32_t z : g.zero_point) symmetric = symmetric && z == 0;
        if (symmetric && g.scale.size() == 1)
          scale.assign(options.per_channel ? scale.size() : 1, g.scale[0]);
        else if (symmetric && static_cast<int64_t>(g.scale.size()) == cout && options.per_channel)
          scale = g.scale;
      }
      TensorDef wq;
      wq.name = wf.name + "_s8";
      wq.dtype = TensorType::kS8;
      wq.shape = wf.shape;
      wq.quant.scale = scale;
      wq.quant.zero_point.assign(scale.size(), 0);
      wq.quant.axis = options.per_channel ? 0 : -1;
      wq.data.resize(w.size());
      for (size_t i = 0; i < w.size(); ++i) {
        const float s = scale[options.per_channel ? i / per : 0];
        const float qmax = static_cast<float>(options.weight_qmax);
        const int8_t v = static_cast<int8_t>(std::clamp(std::nearbyint(w[i] / s), -qmax, qmax));
        std::memcpy(&wq.data[i], &v, 1);
      }
      n.inputs[1] = add_tensor(std::move(wq));
      if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
        const TensorDef& bf = f.tensors[static_cast<size_t>(src.inputs[2])];
        const std::vector<float> b = Floats(bf);
        TensorDef bq;
        bq.name = bf.name + "_s32";
        bq.dtype = TensorType::kS32;
        bq.shape = bf.shape;
        bq.data.resize(b.size() * 4);
        for (size_t c = 0; c < b.size(); ++c) {
          const double s = static_cast<double>(in_q.scale[0]) * scale[options.per_channel ? c : 0];
          const int32_t v = static_cast<int32_t>(
              std::clamp(std::nearbyint(b[c] / s), -2147483647.0, 2147483647.0));
          std::memcpy(&bq.data[c * 4], &v, 4);
        }
        n.inputs[2] = add_tensor(std::move(bq));
      }
    }
    for (int o : n.outputs) {
      TensorDef& d = m.tensors[static_cast<size_t>(o)];
      d.dtype = TensorType::kS8;
      d.quant = kPassThrough.count(n.op) ? in_q : act_q(o);
      is_s8[static_cast<size_t>(o)] = true;
    }
    n.int8 = true;
    m.nodes.push_back(std::move(n));
  }
  // Drop the float weights nobody reads any more: renumbering would break the index contract,
  // so they are emptied to zero-size placeholders only when unused.
  std::vector<bool> used(m.tensors.size(), false);
  for (const NodeDef& n : m.nodes) {
    for (int t : n.inputs)
      if (t >= 0) used[static_cast<size_t>(t)] = true;
    for (int t : n.outputs) used[static_cast<size_t>(t)] = true;
  }
  for (const IoDef& io : m.inputs) used[static_cast<size_t>(io.tensor)] = true;
  for (const IoDef& io : m.outputs) used[static_cast<size_t>(io.tensor)] = true;
  for (size_t t = 0; t < m.tensors.size(); ++t)
    if (!used[t] && !m.tensors[t].data.empty()) {
      m.tensors[t].shape = {0};
      m.tensors[t].data.clear();
    }
  return m;
}

}  // namespace edgert::compiler

// ONNX -> edgert IR (runtime/schema/IR.md): constant folding, shape propagation, NCHW -> NHWC
// layout lowering and fusions, in one pass over the (topologically sorted) ONNX graph.
//
// Layout model: every activation carries its logical (ONNX) shape and a permutation `perm`
// saying how it is stored (stored dim i = logical dim perm[i]). Ops that need a layout (Conv
// wants NHWC, Reshape wants the logical order) ask for it and get an IR Transpose only when the
// stored order differs; an ONNX Transpose itself never moves data, it only changes `perm`.

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "model_compiler/compiler.h"
#include "model_compiler/graph_util.h"

namespace edgert::compiler {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
const Perm kNHWC = {0, 2, 3, 1};

// float -> int64 without undefined behaviour for values out of range (INT64_MAX as "to the end"
// is common in Slice ends and does not survive a trip through float or double).
int64_t SaturatingInt(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
  if (d <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(std::trunc(d));
}

// A folded constant in logical (ONNX) order. Integer tensors (shapes, indices) keep int64.
struct Const {
  Shape shape;
  bool is_int = false;
  std::vector<float> f;
  std::vector<int64_t> i;

  size_t size() const { return is_int ? i.size() : f.size(); }
  double At(size_t k) const { return is_int ? static_cast<double>(i[k]) : f[k]; }
  std::vector<float> Floats() const {
    if (!is_int) return f;
    return std::vector<float>(i.begin(), i.end());
  }
  std::vector<int64_t> Ints() const {
    if (is_int) return i;
    std::vector<int64_t> out(f.size());
    for (size_t k = 0; k < f.size(); ++k) out[k] = SaturatingInt(f[k]);
    return out;
  }
  static Const FromFloats(Shape s, std::vector<float> v) {
    Const c;
    c.shape = std::move(s);
    c.f = std::move(v);
    return c;
  }
  static Const FromInts(Shape s, std::vector<int64_t> v) {
    Const c;
    c.shape = std::move(s);
    c.is_int = true;
    c.i = std::move(v);
    return c;
  }
};

// What an ONNX tensor name stands for during lowering.
struct Value {
  bool is_const = false;
  Const c;          // when is_const
  int tensor = -1;  // IR tensor of an activation
  Shape shape;      // logical (ONNX) shape
  Perm perm;        // storage order of an activation
};

std::string Join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal
      exp = 127 - 15 + 1;
      while (!(mant & 0x400u)) {
        mant <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
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

template <typename T>
std::vector<T> RawAs(const std::string& raw) {
  std::vector<T> v(raw.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), raw.data(), v.size() * sizeof(T));
  return v;
}

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

// ---- node attribute access ----

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
                              std::vector<int64_t> def = {}) {
  const auto* a = FindAttr(n, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : def;
}
std::vector<float> AttrFloats(const onnx::NodeProto& n, const std::string& name) {
  const auto* a = FindAttr(n, name);
  return a ? std::vector<float>(a->floats().begin(), a->floats().end()) : std::vector<float>();
}

// ---- IR node attribute access ----

AttrDef* FindIrAttr(NodeDef& n, const std::string& name) {
  for (AttrDef& a : n.attrs)
    if (a.name == name) return &a;
  return nullptr;
}
float IrFloat(NodeDef& n, const std::string& name, float def) {
  const AttrDef* a = FindIrAttr(n, name);
  return a ? a->f : def;
}
void SetIrFloat(NodeDef& n, const std::string& name, float v) {
  if (AttrDef* a = FindIrAttr(n, name)) {
    a->f = v;
  } else {
    n.attrs.push_back(AttrDef::Float(name, v));
  }
}

std::vector<float> TensorFloats(const TensorDef& t) {
  std::vector<float> v(t.data.size() / 4);
  if (!v.empty()) std::memcpy(v.data(), t.data.data(), t.data.size());
  return v;
}
void SetTensorFloats(TensorDef& t, const std::vector<float>& v) {
  t.data.resize(v.size() * 4);
  if (!v.empty()) std::memcpy(t.data.data(), v.data(), t.data.size());
}

const std::set<std::string>& LoweredOps() {
  static const std::set<std::string> ops = {
      "Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization", "Relu", "Clip", "LeakyRelu",
      "PRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Add", "Sub", "Mul", "Div", "MaxPool",
      "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Concat", "Split", "Slice", "Reshape",
      "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Pad", "Resize", "Upsample", "Softmax",
      "ReduceMean", "Identity", "Constant", "Dropout",
      // Folded only (their inputs must be constants or, for Shape, have static shapes).
      "Shape", "Gather", "Cast", "ConstantOfShape"};
  return ops;
}

// IR ops that take activation_min/activation_max, so a following Relu/Clip can fuse into them.
bool TakesActivation(const std::string& op) {
  static const std::set<std::string> ops = {
      "Conv2D", "ConvTranspose2D", "FullyConnected", "MaxPool2D", "AvgPool2D", "Add", "Sub", "Mul",
      "Div"};
  return ops.count(op) > 0;
}

class Lowerer {
 public:
  Lowerer(const onnx::ModelProto& model, const CompileConfig& cfg, std::string label)
      : model_(model), cfg_(cfg), label_(std::move(label)) {}

  Result<ModelDef> Run();

 private:
  using Node = onnx::NodeProto;

  Status CheckSupported();
  Status SetUpInputs();
  // An image input (input_type_rt nv12/yuv444/rgb/bgr/gray): its IoDesc, the U8 buffer tensor
  // (*buf) and ColorConvert into the F32 NHWC tensor of input_type_train (*dense).
  // `stored_shape` is the train tensor's stored (NHWC) shape.
  Result<TensorDesc> SetUpImageInput(const InputConfig& ic, const std::string& who,
                                     const std::string& name, const Shape& stored_shape, int* buf,
                                     int* dense);
  // Normalize (norm_type) on the dense input tensor `x`, whose last stored axis is the channel
  // axis; returns the normalized tensor.
  Result<int> EmitNormalize(const InputConfig& ic, const std::string& who, const std::string& name,
                            int x);
  Status SetUpOutputs();
  void InferOnnxShapes();
  Status LowerNode(const Node& n);
  void Finish();

  // ---- errors ----
  Status NodeError(StatusCode code, const std::string& msg) const {
    return Status(code, label_ + ": node '" + cur_name_ + "' (" + cur_op_ + "): " + msg);
  }
  Status Bad(const std::string& msg) const { return NodeError(StatusCode::kFormatError, msg); }
  Status NotSupported(const std::string& msg) const {
    return NodeError(StatusCode::kUnsupported, msg);
  }

  // ---- values ----
  bool Has(const Node& n, int k) const { return k < n.input_size() && !n.input(k).empty(); }
  Result<const Value*> In(const Node& n, int k) const {
    if (!Has(n, k)) return Bad("missing input " + std::to_string(k));
    auto it = values_.find(n.input(k));
    if (it == values_.end())
      return Bad("input '" + n.input(k) +
                 "' is not produced by any earlier node, initializer "
                 "or graph input (is the graph topologically sorted?)");
    return &it->second;
  }
  Result<Const> ConstIn(const Node& n, int k, const std::string& what) const {
    EDGERT_ASSIGN_OR_RETURN(const Value* v, In(n, k));
    if (!v->is_const)
      return NotSupported(what + " (input " + std::to_string(k) + " '" + n.input(k) +
                          "') must be a constant");
    return v->c;
  }
  void SetConst(const std::string& name, Const c) {
    Value v;
    v.is_const = true;
    v.shape = c.shape;
    v.c = std::move(c);
    values_[name] = std::move(v);
  }
  void SetAct(const std::string& name, int tensor, Shape shape, Perm perm) {
    Value v;
    v.tensor = tensor;
    v.shape = std::move(shape);
    v.perm = std::move(perm);
    values_[name] = std::move(v);
    ++aliases_[tensor];
  }

  // ---- IR building ----
  std::string Unique(const std::string& base, std::set<std::string>& used) {
    std::string n = base.empty() ? "t" : base;
    for (int k = 1; used.count(n); ++k) n = base + "_" + std::to_string(k);
    used.insert(n);
    return n;
  }
  int NewTensor(const std::string& name, Shape stored) {
    TensorDef t;
    t.name = Unique(name, tensor_names_);
    t.shape = std::move(stored);
    m_.tensors.push_back(std::move(t));
    producer_.push_back(-1);
    aliases_.push_back(0);
    return static_cast<int>(m_.tensors.size()) - 1;
  }
  int ConstTensor(const std::string& name, Shape stored, const std::vector<float>& data) {
    const int t = NewTensor(name, std::move(stored));
    SetTensorFloats(m_.tensors[t], data);
    return t;
  }
  int Emit(const std::string& name, const std::string& op, std::vector<int> inputs,
           std::vector<int> outputs, std::vector<AttrDef> attrs, const std::string& source_op) {
    NodeDef nd;
    nd.name = Unique(name, node_names_);
    nd.op = op;
    nd.inputs = std::move(inputs);
    nd.outputs = std::move(outputs);
    nd.attrs = std::move(attrs);
    nd.source_op = source_op;
    m_.nodes.push_back(std::move(nd));
    const int idx = static_cast<int>(m_.nodes.size()) - 1;
    for (int o : m_.nodes.back().outputs) producer_[o] = idx;
    return idx;
  }
  // The IR tensor holding `v` stored in order `want`: a constant is materialized, an activation
  // stored otherwise gets an IR Transpose (cached, so several consumers share one).
  int Stored(const Value& v, const Perm& want, const std::string& hint) {
    if (v.is_const) {
      return ConstTensor(hint, Permute(v.shape, want), TransposeData(v.c.Floats(), v.shape, want));
    }
    if (v.perm == want) return v.tensor;
    auto key = std::make_pair(v.tensor, want);
    if (auto it = transposed_.find(key); it != transposed_.end()) return it->second;
    const Perm inv = InversePerm(v.perm);
    Perm p(want.size());
    for (size_t i = 0; i < want.size(); ++i) p[i] = inv[want[i]];
    const int out = NewTensor(m_.tensors[v.tensor].name + "_t", Permute(v.shape, want));
    Emit(cur_name_ + "/transpose", "Transpose", {v.tensor}, {out},
         {AttrDef::Ints("perm", ToInts(p))}, "Transpose");
    transposed_[key] = out;
    return out;
  }
  // An activation or constant as an IR tensor in logical (row-major ONNX) order.
  int Logical(const Value& v, const std::string& hint) {
    return Stored(v, IdentityPerm(v.shape.size()), hint);
  }
  // True when `name`'s producer node may absorb the consumer: the tensor has one ONNX consumer,
  // one ONNX name and is no graph output.
  int FusibleProducer(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end() || it->second.is_const) return -1;
    const int t = it->second.tensor;
    if (producer_[t] < 0 || aliases_[t] != 1 || graph_outputs_.count(name)) return -1;
    auto u = uses_.find(name);
    if (u == uses_.end() || u->second != 1) return -1;
    return producer_[t];
  }
  // Makes ONNX name `out` refer to the output of fused node `node` (which produced `in`).
  void Rebind(const std::string& in, const std::string& out, int node, const std::string& op) {
    Value v = values_[in];
    m_.tensors[v.tensor].name = Unique(out, tensor_names_);
    m_.nodes[node].source_op += "+" + op;
    values_[out] = v;
  }
  // Fuses clamp(lo, hi) into the producer of `in` when possible; returns whether it did.
  bool FuseClamp(const Node& n, float lo, float hi) {
    const int p = FusibleProducer(n.input(0));
    if (p < 0) return false;
    NodeDef& pn = m_.nodes[p];
    std::string kmin = "activation_min", kmax = "activation_max";
    if (pn.op == "Clamp") {
      kmin = "min";
      kmax = "max";
    } else if (!TakesActivation(pn.op)) {
      return false;
    }
    const float nlo = std::max(IrFloat(pn, kmin, -kInf), lo);
    const float nhi = std::min(IrFloat(pn, kmax, kInf), hi);
    if (nlo > nhi) return false;
    if (nlo > -kInf) SetIrFloat(pn, kmin, nlo);
    if (nhi < kInf) SetIrFloat(pn, kmax, nhi);
    Rebind(n.input(0), n.output(0), p, n.op_type());
    return true;
  }

  // ---- op lowering ----
  Status LowerConstantOnly(const Node& n, bool* done);
  Status LowerConv(const Node& n);
  Status LowerConvTranspose(const Node& n);
  Status LowerGemm(const Node& n);
  Status LowerMatMul(const Node& n);
  Status LowerBatchNorm(const Node& n);
  Status LowerBinary(const Node& n);
  Status LowerUnary(const Node& n);
  Status LowerPool(const Node& n);
  Status LowerConcat(const Node& n);
  Status LowerSplit(const Node& n);
  Status LowerSlice(const Node& n);
  Status LowerReshapeLike(const Node& n);
  Status LowerPad(const Node& n);
  Status LowerResize(const Node& n);
  Status LowerSoftmax(const Node& n);
  Status LowerReduceMean(const Node& n);
  Result<Shape> ReshapeTarget(const Node& n, const Shape& in);
  Status EmitReshape(const Value& x, const Shape& out_shape, const std::string& out_name,
                     const std::string& source_op);
  Result<std::array<int64_t, 4>> ConvPads(const Node& n, const Shape& in_hw, const Shape& k,
                                          const Shape& strides, const Shape& dil);

  const onnx::ModelProto& model_;
  const CompileConfig& cfg_;
  std::string label_;
  int64_t opset_ = 0;
  ModelDef m_;
  std::map<std::string, Value> values_;
  std::map<std::string, int> uses_;
  std::set<std::string> graph_outputs_;
  std::vector<int> producer_;  // IR tensor -> producing node, -1 for inputs and constants
  std::vector<int> aliases_;   // IR tensor -> ONNX names bound to it
  std::set<std::string> tensor_names_, node_names_;
  std::map<std::pair<int, Perm>, int> transposed_;
  std::map<std::string, Shape> onnx_shapes_;  // from onnx shape inference, for a cross-check
  std::string cur_name_, cur_op_;
};

Status Lowerer::CheckSupported() {
  std::vector<std::string> bad;
  const auto& g = model_.graph();
  for (int i = 0; i < g.node_size(); ++i) {
    const Node& n = g.node(i);
    const bool std_domain = n.domain().empty() || n.domain() == "ai.onnx";
    if (!std_domain || !LoweredOps().count(n.op_type())) {
      bad.push_back("'" + (n.name().empty() ? "#" + std::to_string(i) : n.name()) + "' (" +
                    (std_domain ? "" : n.domain() + ".") + n.op_type() + ")");
    }
  }
  if (bad.empty()) return Status::Ok();
  return Unsupported(label_ + ": " + std::to_string(bad.size()) +
                     " node(s) use ops the compiler does not support: " + Join(bad));
}

Status Lowerer::SetUpInputs() {
  const auto& g = model_.graph();
  std::set<std::string> inits;
  for (const auto& t : g.initializer()) inits.insert(t.name());
  std::vector<const onnx::ValueInfoProto*> ins;
  for (const auto& vi : g.input())
    if (!inits.count(vi.name())) ins.push_back(&vi);
  if (ins.empty()) return FormatError(label_ + ": the graph has no inputs");

  std::vector<std::string> in_names;
  for (const auto* vi : ins) in_names.push_back("'" + vi->name() + "'");
  // Match config entries to graph inputs: by name when named, else by position.
  std::vector<InputConfig> per_input(ins.size());
  bool named = false;
  for (const InputConfig& ic : cfg_.inputs) named = named || !ic.name.empty();
  if (named) {
    for (const InputConfig& ic : cfg_.inputs) {
      if (ic.name.empty())
        return InvalidArgument(label_ + ": input_parameters: input_name is missing for an entry");
      size_t k = 0;
      while (k < ins.size() && ins[k]->name() != ic.name) ++k;
      if (k == ins.size())
        return InvalidArgument(label_ + ": input_parameters.input_name '" + ic.name +
                               "' is not a graph input (inputs: " + Join(in_names) + ")");
      per_input[k] = ic;
    }
  } else if (!cfg_.inputs.empty()) {
    if (cfg_.inputs.size() != ins.size())
      return InvalidArgument(label_ + ": input_parameters has " +
                             std::to_string(cfg_.inputs.size()) + " entries but the model has " +
                             std::to_string(ins.size()) + " inputs (" + Join(in_names) +
                             "); name them with input_name");
    per_input = cfg_.inputs;
  }

  for (size_t k = 0; k < ins.size(); ++k) {
    const onnx::ValueInfoProto& vi = *ins[k];
    InputConfig ic = per_input[k];
    const std::string who = "input '" + vi.name() + "'";
    const bool image = ic.input_type_rt != "featuremap";
    if (!vi.type().has_tensor_type()) return Unsupported(label_ + ": " + who + " is not a tensor");
    const auto& tt = vi.type().tensor_type();
    if (tt.elem_type() != onnx::TensorProto::FLOAT)
      return Unsupported(label_ + ": " + who + " has element type " + ElemTypeName(tt.elem_type()) +
                         "; only FLOAT inputs are supported");
    Shape onnx_shape;
    bool dynamic = false;
    std::string shape_text;
    for (const auto& d : tt.shape().dim()) {
      const bool known = d.has_dim_value() && d.dim_value() > 0;
      onnx_shape.push_back(known ? d.dim_value() : -1);
      dynamic = dynamic || !known;
      shape_text += (shape_text.empty() ? "" : "x") +
                    (known ? std::to_string(d.dim_value())
                           : (d.has_dim_param() ? d.dim_param() : std::string("?")));
    }
    Shape shape = onnx_shape;
    if (!ic.shape.empty()) {
      if (ic.shape.size() != onnx_shape.size())
        return InvalidArgument(label_ + ": input_parameters.input_shape " +
                               ShapeToString(ic.shape) + " for " + who + " has rank " +
                               std::to_string(ic.shape.size()) + " but the model's is " +
                               shape_text + " (rank " + std::to_string(onnx_shape.size()) + ")");
      for (size_t d = 0; d < shape.size(); ++d)
        if (onnx_shape[d] > 0 && onnx_shape[d] != ic.shape[d])
          return InvalidArgument(label_ + ": input_parameters.input_shape " +
                                 ShapeToString(ic.shape) + " for " + who +
                                 " contradicts the model's shape " + shape_text);
      shape = ic.shape;
    } else if (dynamic) {
      return InvalidArgument(label_ + ": " + who + " has dynamic dimensions (" + shape_text +
                             "); set input_shape for it in input_parameters");
    }
    const bool four = shape.size() == 4;
    if (image && !four)
      return InvalidArgument(label_ + ": " + who + " has input_type_rt '" + ic.input_type_rt +
                             "' but shape " + shape_text +
                             "; image inputs need a 4-D N,C,H,W (or N,H,W,C) shape");
    if (ic.input_layout_train.empty()) ic.input_layout_train = four ? "NCHW" : "NONE";
    // Camera buffers are interleaved: images default to NHWC whatever the train layout.
    if (ic.input_layout_rt.empty()) ic.input_layout_rt = image ? "NHWC" : ic.input_layout_train;
    for (const std::string* l : {&ic.input_layout_train, &ic.input_layout_rt}) {
      if (four && *l == "NONE")
        return InvalidArgument(label_ + ": " + who +
                               " is 4-D: its input layouts must be NCHW or "
                               "NHWC, not NONE");
      if (!four && *l != "NONE")
        return InvalidArgument(label_ + ": " + who + " has rank " + std::to_string(shape.size()) +
                               ": its input layouts must be NONE, "
                               "not " +
                               *l);
    }
    // The user's buffer is in input_layout_rt; the ONNX tensor (logical) is in
    // input_layout_train; 4-D data is stored NHWC in the graph.
    Shape valid = shape;
    Layout layout = Layout::kNone;
    Perm adapter = IdentityPerm(shape.size()), stored = IdentityPerm(shape.size());
    if (four) {
      const bool train_nchw = ic.input_layout_train == "NCHW";
      const bool rt_nchw = ic.input_layout_rt == "NCHW";
      layout = rt_nchw ? Layout::kNCHW : Layout::kNHWC;
      if (train_nchw && !rt_nchw) valid = Permute(shape, kNHWC);
      if (!train_nchw && rt_nchw) valid = Permute(shape, {0, 3, 1, 2});
      if (rt_nchw) adapter = kNHWC;
      if (train_nchw) stored = kNHWC;
    }
    TensorDesc desc;
    int buf = -1, dense = -1;
    cur_name_ = vi.name();
    if (image) {
      EDGERT_ASSIGN_OR_RETURN(
          desc, SetUpImageInput(ic, who, vi.name(), Permute(shape, stored), &buf, &dense));
    } else {
      auto d = MakeTensorDesc(vi.name(), TensorType::kF32, layout, valid,
                              AlignmentRule{cfg_.row_align_bytes});
      if (!d.ok()) return InvalidArgument(label_ + ": " + who + ": " + d.status().message());
      desc = *d;
      buf = NewTensor(vi.name(), desc.aligned_shape);
      dense =
          NewTensor(vi.name() + (IsIdentity(stored) ? "_dense" : "_nhwc"), Permute(shape, stored));
      Emit(vi.name() + "_input_adapter", "InputAdapter", {buf}, {dense},
           {AttrDef::Ints("perm", ToInts(adapter))}, "");
    }
    if (ic.norm_type != "no_preprocess") {
      EDGERT_ASSIGN_OR_RETURN(dense, EmitNormalize(ic, who, vi.name(), dense));
    }
    SetAct(vi.name(), dense, shape, stored);
    IoDef io;
    io.desc = desc;
    io.tensor = buf;
    io.preprocess.input_type_rt = ic.input_type_rt;
    io.preprocess.input_type_train = ic.input_type_train;
    io.preprocess.input_layout_rt = ic.input_layout_rt;
    io.preprocess.input_layout_train = ic.input_layout_train;
    io.preprocess.input_space_and_range = ic.input_space_and_range;
    io.preprocess.norm_type = ic.norm_type;
    io.preprocess.mean_value = ic.mean_value;
    io.preprocess.scale_value = ic.scale_value;
    m_.inputs.push_back(std::move(io));
  }
  return Status::Ok();
}

Result<TensorDesc> Lowerer::SetUpImageInput(const InputConfig& ic, const std::string& who,
                                            const std::string& name, const Shape& stored_shape,
                                            int* buf, int* dense) {
  static const std::map<std::string, TensorType> kTypes = {{"nv12", TensorType::kImgNv12},
                                                           {"yuv444", TensorType::kImgYuv444},
                                                           {"rgb", TensorType::kImgRgb},
                                                           {"bgr", TensorType::kImgBgr},
                                                           {"gray", TensorType::kImgGray}};
  const auto type = kTypes.find(ic.input_type_rt);
  if (type == kTypes.end())
    return InvalidArgument(label_ + ": " + who + ": unknown input_type_rt '" + ic.input_type_rt +
                           "'");
  // stored_shape is N,H,W,C of the train tensor.
  const int64_t n = stored_shape[0], h = stored_shape[1], w = stored_shape[2];
  const int64_t c_train = stored_shape[3];
  const int64_t want_c = ic.input_type_train == "gray" ? 1 : 3;
  if (c_train != want_c)
    return InvalidArgument(label_ + ": " + who + " has " + std::to_string(c_train) +
                           " channel(s) in its " + ic.input_layout_train +
                           " shape, but input_type_train '" + ic.input_type_train + "' has " +
                           std::to_string(want_c));
  const int64_t c_rt = ic.input_type_rt == "gray" ? 1 : 3;
  const bool rt_nchw = ic.input_layout_rt == "NCHW";
  if (rt_nchw && ic.input_type_rt == "nv12")
    return InvalidArgument(label_ + ": " + who +
                           ": input_type_rt 'nv12' is planar Y + interleaved UV; its "
                           "input_layout_rt must be NHWC, not NCHW");
  const Shape valid = rt_nchw ? Shape{n, c_rt, h, w} : Shape{n, h, w, c_rt};
  auto desc = MakeTensorDesc(name, type->second, rt_nchw ? Layout::kNCHW : Layout::kNHWC, valid,
                             AlignmentRule{cfg_.row_align_bytes});
  if (!desc.ok()) return InvalidArgument(label_ + ": " + who + ": " + desc.status().message());
  // The graph tensor of an image input is its aligned buffer as bytes (IR.md).
  *buf = NewTensor(name, {desc->aligned_byte_size});
  m_.tensors[*buf].dtype = TensorType::kU8;
  *dense = NewTensor(name + "_" + ic.input_type_train, stored_shape);
  Emit(name + "_color_convert", "ColorConvert", {*buf}, {*dense},
       {AttrDef::String("rt", ic.input_type_rt), AttrDef::String("train", ic.input_type_train),
        AttrDef::String("range", ic.input_space_and_range)},
       "");
  return *desc;
}

Result<int> Lowerer::EmitNormalize(const InputConfig& ic, const std::string& who,
                                   const std::string& name, int x) {
  const Shape shape = m_.tensors[x].shape;
  const int64_t c = shape.empty() ? 1 : shape.back();
  const bool mean = ic.norm_type == "data_mean" || ic.norm_type == "data_mean_and_scale";
  const bool scale = ic.norm_type == "data_scale" || ic.norm_type == "data_mean_and_scale";
  std::vector<float> m = mean ? ic.mean_value : std::vector<float>{0.f};
  std::vector<float> s = scale ? ic.scale_value : std::vector<float>{1.f};
  for (const auto* v : {&m, &s})
    if (v->size() != 1 && static_cast<int64_t>(v->size()) != c)
      return InvalidArgument(label_ + ": " + who + ": " + (v == &m ? "mean_value" : "scale_value") +
                             " has " + std::to_string(v->size()) + " values, expected 1 or " +
                             std::to_string(c) + " (one per channel)");
  const int out = NewTensor(name + "_normalized", shape);
  Emit(name + "_normalize", "Normalize", {x}, {out},
       {AttrDef::Floats("mean", m), AttrDef::Floats("scale", s)}, "");
  return out;
}

void Lowerer::InferOnnxShapes() {
  onnx::ModelProto copy = model_;
  auto* g = copy.mutable_graph();
  g->clear_value_info();
  for (auto& vi : *g->mutable_input()) {
    auto it = values_.find(vi.name());
    if (it == values_.end() || it->second.is_const) continue;
    auto* shape = vi.mutable_type()->mutable_tensor_type()->mutable_shape();
    shape->clear_dim();
    for (int64_t d : it->second.shape) shape->add_dim()->set_dim_value(d);
  }
  try {
    onnx::ShapeInferenceOptions opts{false, 0, false};
    onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(), opts);
  } catch (const std::exception& e) {
    spdlog::debug("onnx shape inference failed ({}); skipping the cross-check", e.what());
    return;
  }
  for (const auto& vi : copy.graph().value_info()) {
    if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) continue;
    Shape s;
    bool ok = true;
    for (const auto& d : vi.type().tensor_type().shape().dim()) {
      ok = ok && d.has_dim_value();
      s.push_back(d.dim_value());
    }
    if (ok) onnx_shapes_[vi.name()] = s;
  }
  spdlog::debug("{}: onnx shape inference gave {} static shapes to cross-check", label_,
                onnx_shapes_.size());
}

Result<ModelDef> Lowerer::Run() {
  for (const auto& os : model_.opset_import())
    if (os.domain().empty() || os.domain() == "ai.onnx") opset_ = os.version();
  if (opset_ == 0) return FormatError(label_ + ": the model imports no ai.onnx opset");
  if (!model_.has_graph()) return FormatError(label_ + ": the model has no graph");
  const auto& g = model_.graph();
  EDGERT_RETURN_IF_ERROR(CheckSupported());

  for (const auto& t : g.initializer()) {
    EDGERT_ASSIGN_OR_RETURN(Const c, ReadTensor(t, label_ + ": initializer '" + t.name() + "'"));
    SetConst(t.name(), std::move(c));
  }
  for (const auto& n : g.node())
    for (const auto& in : n.input())
      if (!in.empty()) ++uses_[in];
  for (const auto& o : g.output()) {
    graph_outputs_.insert(o.name());
    ++uses_[o.name()];
  }
  if (g.output_size() == 0) return FormatError(label_ + ": the graph has no outputs");
  EDGERT_RETURN_IF_ERROR(SetUpInputs());
  InferOnnxShapes();

  std::vector<std::string> mismatches;
  for (int i = 0; i < g.node_size(); ++i) {
    const Node& n = g.node(i);
    cur_name_ = n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name();
    cur_op_ = n.op_type();
    EDGERT_RETURN_IF_ERROR(LowerNode(n));
    for (const auto& o : n.output()) {
      if (o.empty()) continue;
      auto v = values_.find(o);
      if (v == values_.end()) continue;
      auto s = onnx_shapes_.find(o);
      if (s != onnx_shapes_.end() && s->second != v->second.shape)
        mismatches.push_back("'" + o + "' " + ShapeToString(v->second.shape) + " vs onnx " +
                             ShapeToString(s->second));
    }
  }
  if (!mismatches.empty())
    spdlog::warn("{}: shapes differ from onnx shape inference: {}", label_, Join(mismatches));
  EDGERT_RETURN_IF_ERROR(SetUpOutputs());
  Finish();
  return std::move(m_);
}

Status Lowerer::SetUpOutputs() {
  cur_name_ = "outputs";
  cur_op_ = "graph";
  for (const auto& o : model_.graph().output()) {
    auto it = values_.find(o.name());
    if (it == values_.end())
      return FormatError(label_ + ": graph output '" + o.name() + "' is produced by no node");
    const Value v = it->second;
    int src = v.is_const ? Logical(v, o.name() + "_const") : v.tensor;
    const Perm perm = v.is_const ? IdentityPerm(v.shape.size()) : v.perm;
    // The IO tensor takes the ONNX name; a graph tensor that had it gets a suffix.
    for (TensorDef& t : m_.tensors)
      if (t.name == o.name())
        t.name = Unique(o.name() + (IsIdentity(perm) ? "_dense" : "_nhwc"), tensor_names_);
    tensor_names_.erase(o.name());
    const Layout layout = v.shape.size() == 4 ? Layout::kNCHW : Layout::kNone;
    auto desc = MakeTensorDesc(o.name(), TensorType::kF32, layout, v.shape,
                               AlignmentRule{cfg_.row_align_bytes});
    if (!desc.ok())
      return InvalidArgument(label_ + ": output '" + o.name() + "': " + desc.status().message());
    const int buf = NewTensor(o.name(), desc->aligned_shape);
    Emit(o.name() + "_output_adapter", "OutputAdapter", {src}, {buf},
         {AttrDef::Ints("perm", ToInts(InversePerm(perm)))}, "");
    IoDef io;
    io.desc = *desc;
    io.tensor = buf;
    m_.outputs.push_back(std::move(io));
  }
  return Status::Ok();
}

// Drops nodes whose outputs nobody reads (dead branches, unused transposes) and tensors no node
// or IO refers to, renumbering the rest.
void Lowerer::Finish() {
  const size_t nt = m_.tensors.size();
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<int> readers(nt, 0);
    for (const NodeDef& n : m_.nodes)
      for (int i : n.inputs)
        if (i >= 0) ++readers[i];
    for (const IoDef& io : m_.outputs) ++readers[io.tensor];
    std::vector<NodeDef> keep;
    for (NodeDef& n : m_.nodes) {
      bool live = n.op == "OutputAdapter" || n.op == "InputAdapter" || n.op == "ColorConvert";
      for (int o : n.outputs) live = live || readers[o] > 0;
      if (live) {
        keep.push_back(std::move(n));
      } else {
        changed = true;
      }
    }
    m_.nodes = std::move(keep);
  }
  std::vector<int> remap(nt, -1);
  std::vector<TensorDef> tensors;
  auto use = [&](int t) {
    if (t < 0) return t;
    if (remap[t] < 0) {
      remap[t] = static_cast<int>(tensors.size());
      tensors.push_back(std::move(m_.tensors[t]));
    }
    return remap[t];
  };
  for (IoDef& io : m_.inputs) io.tensor = use(io.tensor);
  for (NodeDef& n : m_.nodes) {
    for (int& i : n.inputs) i = use(i);
    for (int& o : n.outputs) o = use(o);
  }
  for (IoDef& io : m_.outputs) io.tensor = use(io.tensor);
  m_.tensors = std::move(tensors);
}

// ---------------------------------------------------------------------------------------------
// Constant folding of shape arithmetic and of ops whose inputs are all constants.

Status Lowerer::LowerConstantOnly(const Node& n, bool* done) {
  *done = false;
  const std::string& op = n.op_type();
  if (op == "Constant") {
    *done = true;
    if (const auto* a = FindAttr(n, "value")) {
      EDGERT_ASSIGN_OR_RETURN(Const c,
                              ReadTensor(a->t(), label_ + ": Constant '" + cur_name_ + "'"));
      SetConst(n.output(0), std::move(c));
    } else if (const auto* a = FindAttr(n, "value_float")) {
      SetConst(n.output(0), Const::FromFloats({}, {a->f()}));
    } else if (const auto* a = FindAttr(n, "value_floats")) {
      std::vector<float> v(a->floats().begin(), a->floats().end());
      SetConst(n.output(0), Const::FromFloats({static_cast<int64_t>(v.size())}, v));
    } else if (const auto* a = FindAttr(n, "value_int")) {
      SetConst(n.output(0), Const::FromInts({}, {a->i()}));
    } else if (const auto* a = FindAttr(n, "value_ints")) {
      std::vector<int64_t> v(a->ints().begin(), a->ints().end());
      SetConst(n.output(0), Const::FromInts({static_cast<int64_t>(v.size())}, v));
    } else {
      return NotSupported("only value, value_float(s) and value_int(s) are supported");
    }
    return Status::Ok();
  }
  if (op == "Shape") {
    *done = true;
    EDGERT_ASSIGN_OR_RETURN(const Value* x, In(n, 0));
    const int64_t r = static_cast<int64_t>(x->shape.size());
    int64_t start = AttrInt(n, "start", 0), end = AttrInt(n, "end", r);
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = std::clamp<int64_t>(start, 0, r);
    end = std::clamp<int64_t>(end, start, r);
    std::vector<int64_t> dims(x->shape.begin() + start, x->shape.begin() + end);
    SetConst(n.output(0), Const::FromInts({static_cast<int64_t>(dims.size())}, dims));
    return Status::Ok();
  }
  if (op == "ConstantOfShape") {
    *done = true;
    EDGERT_ASSIGN_OR_RETURN(Const s, ConstIn(n, 0, "the shape"));
    Const c;
    c.shape = s.Ints();
    Const value = Const::FromFloats({1}, {0.f});
    if (const auto* a = FindAttr(n, "value")) {
      EDGERT_ASSIGN_OR_RETURN(value, ReadTensor(a->t(), label_ + ": '" + cur_name_ + "' value"));
    }
    c.is_int = value.is_int;
    const size_t count = static_cast<size_t>(Numel(c.shape));
    if (c.is_int) {
      c.i.assign(count, value.i.empty() ? 0 : value.i[0]);
    } else {
      c.f.assign(count, value.f.empty() ? 0.f : value.f[0]);
    }
    SetConst(n.output(0), std::move(c));
    return Status::Ok();
  }

  // The rest fold only when every present input is a constant.
  for (int k = 0; k < n.input_size(); ++k) {
    if (!Has(n, k)) continue;
    EDGERT_ASSIGN_OR_RETURN(const Value* v, In(n, k));
    if (!v->is_const) {
      if (op == "Gather" || (op == "Cast" && AttrInt(n, "to", 1) != onnx::TensorProto::FLOAT))
        return NotSupported(op + " is supported only on constants (input '" + n.input(k) +
                            "' is computed at run time)");
      return Status::Ok();
    }
  }
  if (n.input_size() == 0) return Status::Ok();
  EDGERT_ASSIGN_OR_RETURN(const Value* x0, In(n, 0));
  const Const a = x0->c;
  const int64_t r = static_cast<int64_t>(a.shape.size());
  auto axis_of = [&](int64_t ax, int64_t rank) -> Result<int64_t> {
    if (ax < -rank || ax >= rank)
      return Bad("axis " + std::to_string(ax) + " out of range for rank " + std::to_string(rank));
    return ax < 0 ? ax + rank : ax;
  };

  if (op == "Identity" || op == "Dropout") {
    *done = true;
    SetConst(n.output(0), a);
  } else if (op == "Cast") {
    *done = true;
    const int to = static_cast<int>(AttrInt(n, "to", onnx::TensorProto::FLOAT));
    if (IsIntType(to)) {
      std::vector<int64_t> v(a.size());
      for (size_t k = 0; k < v.size(); ++k) {
        if (to == onnx::TensorProto::BOOL) {
          v[k] = a.At(k) != 0;
        } else {
          v[k] = a.is_int ? a.i[k] : SaturatingInt(a.f[k]);
        }
      }
      SetConst(n.output(0), Const::FromInts(a.shape, v));
    } else {
      SetConst(n.output(0), Const::FromFloats(a.shape, a.Floats()));
    }
  } else if (op == "Gather") {
    *done = true;
    EDGERT_ASSIGN_OR_RETURN(const Value* iv, In(n, 1));
    const Const idx = iv->c;
    EDGERT_ASSIGN_OR_RETURN(int64_t axis, axis_of(AttrInt(n, "axis", 0), r));
    Shape out;
    for (int64_t d = 0; d < axis; ++d) out.push_back(a.shape[d]);
    for (int64_t d : idx.shape) out.push_back(d);
    for (int64_t d = axis + 1; d < r; ++d) out.push_back(a.shape[d]);
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= a.shape[d];
    for (int64_t d = axis + 1; d < r; ++d) inner *= a.shape[d];
    const int64_t dim = a.shape[axis];
    const std::vector<int64_t> ids = idx.Ints();
    Const c;
    c.shape = out;
    c.is_int = a.is_int;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t id : ids) {
        const int64_t j = id < 0 ? id + dim : id;
        if (j < 0 || j >= dim) return Bad("Gather index " + std::to_string(id) + " out of range");
        for (int64_t in = 0; in < inner; ++in) {
          const size_t src = static_cast<size_t>((o * dim + j) * inner + in);
          if (a.is_int) {
            c.i.push_back(a.i[src]);
          } else {
            c.f.push_back(a.f[src]);
          }
        }
      }
    SetConst(n.output(0), std::move(c));
  } else if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" || op == "Flatten") {
    *done = true;
    EDGERT_ASSIGN_OR_RETURN(Shape s, ReshapeTarget(n, a.shape));
    Const c = a;
    c.shape = s;
    SetConst(n.output(0), std::move(c));
  } else if (op == "Transpose") {
    *done = true;
    std::vector<int64_t> p64 = AttrInts(n, "perm");
    Perm p;
    if (p64.empty()) {
      for (int64_t d = r - 1; d >= 0; --d) p.push_back(static_cast<int>(d));
    } else {
      p.assign(p64.begin(), p64.end());
    }
    Const c;
    c.shape = Permute(a.shape, p);
    c.is_int = a.is_int;
    if (a.is_int) {
      c.i = TransposeData(a.i, a.shape, p);
    } else {
      c.f = TransposeData(a.f, a.shape, p);
    }
    SetConst(n.output(0), std::move(c));
  } else if (op == "Concat") {
    *done = true;
    EDGERT_ASSIGN_OR_RETURN(int64_t axis, axis_of(AttrInt(n, "axis", 0), r));
    std::vector<Const> parts;
    bool any_float = false;
    for (int k = 0; k < n.input_size(); ++k) {
      EDGERT_ASSIGN_OR_RETURN(const Value* v, In(n, k));
      if (Numel(v->shape) == 0 && v->shape.size() == 1 && r > 1) continue;  // legacy empty
      parts.push_back(v->c);
      any_float = any_float || !v->c.is_int;
    }
    Shape out = a.shape;
    out[axis] = 0;
    for (const Const& p : parts) out[axis] += p.shape[axis];
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= out[d];
    Const c;
    c.shape = out;
    c.is_int = !any_float;
    for (int64_t o = 0; o < outer; ++o)
      for (const Const& p : parts) {
        const int64_t chunk = Numel(p.shape) / std::max<int64_t>(outer, 1);
        for (int64_t k = 0; k < chunk; ++k) {
          const size_t src = static_cast<size_t>(o * chunk + k);
          if (c.is_int) {
            c.i.push_back(p.i[src]);
          } else {
            c.f.push_back(static_cast<float>(p.At(src)));
          }
        }
      }
    SetConst(n.output(0), std::move(c));
  } else if (op == "Slice") {
    *done = true;
    std::vector<int64_t> starts, ends, axes, steps;
    if (opset_ < 10) {
      starts = AttrInts(n, "starts");
      ends = AttrInts(n, "ends");
      axes = AttrInts(n, "axes");
    } else {
      EDGERT_ASSIGN_OR_RETURN(Const s, ConstIn(n, 1, "starts"));
      EDGERT_ASSIGN_OR_RETURN(Const e, ConstIn(n, 2, "ends"));
      starts = s.Ints();
      ends = e.Ints();
      if (Has(n, 3)) {
        EDGERT_ASSIGN_OR_RETURN(Const ax, ConstIn(n, 3, "axes"));
        axes = ax.Ints();
      }
      if (Has(n, 4)) {
        EDGERT_ASSIGN_OR_RETURN(Const st, ConstIn(n, 4, "steps"));
        steps = st.Ints();
      }
    }
    std::vector<int64_t> b(r, 0), st(r, 1), len(a.shape.begin(), a.shape.end());
    for (size_t k = 0; k < starts.size(); ++k) {
      EDGERT_ASSIGN_OR_RETURN(int64_t ax,
                              axis_of(axes.empty() ? static_cast<int64_t>(k) : axes[k], r));
      const int64_t dim = a.shape[ax];
      const int64_t step = steps.empty() ? 1 : steps[k];
      if (step == 0) return Bad("Slice step 0");
      int64_t s = starts[k], e = ends[k];
      if (s < 0) s += dim;
      if (e < 0) e += dim;
      if (step > 0) {
        s = std::clamp<int64_t>(s, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        len[ax] = std::max<int64_t>(0, (e - s + step - 1) / step);
      } else {
        s = std::clamp<int64_t>(s, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        len[ax] = std::max<int64_t>(0, (s - e + (-step) - 1) / (-step));
      }
      b[ax] = s;
      st[ax] = step;
    }
    std::vector<int64_t> strides(r, 1);
    for (int64_t d = r - 2; d >= 0; --d) strides[d] = strides[d + 1] * a.shape[d + 1];
    Const c;
    c.shape = len;
    c.is_int = a.is_int;
    const int64_t total = Numel(len);
    std::vector<int64_t> idx(r, 0);
    for (int64_t k = 0; k < total; ++k) {
      int64_t off = 0;
      for (int64_t d = 0; d < r; ++d) off += (b[d] + idx[d] * st[d]) * strides[d];
      if (c.is_int) {
        c.i.push_back(a.i[off]);
      } else {
        c.f.push_back(a.f[off]);
      }
      for (int64_t d = r - 1; d >= 0; --d) {
        if (++idx[d] < len[d]) break;
        idx[d] = 0;
      }
    }
    SetConst(n.output(0), std::move(c));
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    *done = true;
    EDGERT_ASSIGN_OR_RETURN(const Value* bv, In(n, 1));
    const Const b = bv->c;
    auto out = BroadcastShapes(a.shape, b.shape);
    if (!out.ok()) return Bad(out.status().message());
    const auto oa = BroadcastOffsets(a.shape, *out), ob = BroadcastOffsets(b.shape, *out);
    Const c;
    c.shape = *out;
    c.is_int = a.is_int && b.is_int;
    for (size_t k = 0; k < oa.size(); ++k) {
      if (c.is_int) {
        const int64_t x = a.i[oa[k]], y = b.i[ob[k]];
        if (op == "Div" && y == 0) return Bad("integer division by zero in a constant");
        c.i.push_back(op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y);
      } else {
        const float x = static_cast<float>(a.At(oa[k])), y = static_cast<float>(b.At(ob[k]));
        c.f.push_back(op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y);
      }
    }
    SetConst(n.output(0), std::move(c));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------

Status Lowerer::LowerNode(const Node& n) {
  bool done = false;
  EDGERT_RETURN_IF_ERROR(LowerConstantOnly(n, &done));
  if (done) return Status::Ok();
  const std::string& op = n.op_type();
  if (op == "Identity" || op == "Dropout" || op == "Cast") {
    EDGERT_ASSIGN_OR_RETURN(const Value* x, In(n, 0));
    const Value v = *x;
    SetAct(n.output(0), v.tensor, v.shape, v.perm);
    return Status::Ok();
  }
  if (op == "Transpose") {
    EDGERT_ASSIGN_OR_RETURN(const Value* x, In(n, 0));
    const Value v = *x;
    const size_t r = v.shape.size();
    std::vector<int64_t> p64 = AttrInts(n, "perm");
    Perm p;
    if (p64.empty()) {
      for (size_t d = r; d-- > 0;) p.push_back(static_cast<int>(d));
    } else {
      for (int64_t d : p64) p.push_back(static_cast<int>(d));
    }
    Perm sorted = p;
    std::sort(sorted.begin(), sorted.end());
    if (p.size() != r || sorted != IdentityPerm(r))
      return Bad("perm " + PermToString(p) + " is not a permutation of rank " + std::to_string(r));
    // No data moves: the same stored bytes seen through a new logical order.
    const Perm inv_p = InversePerm(p);
    Perm out_perm(r);
    for (size_t i = 0; i < r; ++i) out_perm[i] = inv_p[v.perm[i]];
    SetAct(n.output(0), v.tensor, Permute(v.shape, p), out_perm);
    return Status::Ok();
  }
  if (op == "Conv") return LowerConv(n);
  if (op == "ConvTranspose") return LowerConvTranspose(n);
  if (op == "Gemm") return LowerGemm(n);
  if (op == "MatMul") return LowerMatMul(n);
  if (op == "BatchNormalization") return LowerBatchNorm(n);
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") return LowerBinary(n);
  if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || op == "GlobalMaxPool")
    return LowerPool(n);
  if (op == "Concat") return LowerConcat(n);
  if (op == "Split") return LowerSplit(n);
  if (op == "Slice") return LowerSlice(n);
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze")
    return LowerReshapeLike(n);
  if (op == "Pad") return LowerPad(n);
  if (op == "Resize" || op == "Upsample") return LowerResize(n);
  if (op == "Softmax") return LowerSoftmax(n);
  if (op == "ReduceMean") return LowerReduceMean(n);
  return LowerUnary(n);
}

Result<std::array<int64_t, 4>> Lowerer::ConvPads(const Node& n, const Shape& in_hw, const Shape& k,
                                                 const Shape& strides, const Shape& dil) {
  std::array<int64_t, 4> pads{0, 0, 0, 0};  // top, left, bottom, right
  const std::string auto_pad = AttrStr(n, "auto_pad", "NOTSET");
  if (auto_pad == "NOTSET") {
    std::vector<int64_t> p = AttrInts(n, "pads", {0, 0, 0, 0});
    if (p.size() != 4) return Bad("pads must have 4 values for a 2-D op");
    for (int i = 0; i < 4; ++i) pads[i] = p[i];
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    for (int d = 0; d < 2; ++d) {
      const int64_t out = (in_hw[d] + strides[d] - 1) / strides[d];
      const int64_t total =
          std::max<int64_t>(0, (out - 1) * strides[d] + (k[d] - 1) * dil[d] + 1 - in_hw[d]);
      const int64_t small = total / 2, big = total - total / 2;
      pads[d] = auto_pad == "SAME_UPPER" ? small : big;
      pads[d + 2] = auto_pad == "SAME_UPPER" ? big : small;
    }
  } else if (auto_pad != "VALID") {
    return Bad("unknown auto_pad '" + auto_pad + "'");
  }
  return pads;
}

Status Lowerer::LowerConv(const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, In(n, 0));
  const Value x = *xp;
  EDGERT_ASSIGN_OR_RETURN(Const w, ConstIn(n, 1, "the weight"));
  if (x.shape.size() != 4 || w.shape.size() != 4)
    return NotSupported("only 2-D convolution (4-D input and weight) is supported, input is " +
                        ShapeToString(x.shape));
  const int64_t group = AttrInt(n, "group", 1);
  const int64_t cout = w.shape[0], cin_g = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  if (group < 1 || x.shape[1] != cin_g * group || cout % group != 0)
    return Bad("weight " + ShapeToString(w.shape) + " does not fit input " +
               ShapeToString(x.shape) + " with group " + std::to_string(group));
  const Shape strides = AttrInts(n, "strides", {1, 1}), dil = AttrInts(n, "dilations", {1, 1});
  if (strides.size() != 2 || dil.size() != 2) return Bad("strides/dilations need 2 values");
  EDGERT_ASSIGN_OR_RETURN(auto pads, ConvPads(n, {x.shape[2], x.shape[3]}, {kh, kw}, strides, dil));
  const int64_t oh = (x.shape[2] + pads[0] + pads[2] - ((kh - 1) * dil[0] + 1)) / strides[0] + 1;
  const int64_t ow = (x.shape[3] + pads[1] + pads[3] - ((kw - 1) * dil[1] + 1)) / strides[1] + 1;
  if (oh <= 0 || ow <= 0) return Bad("output would be empty");
  std::vector<float> bias;
  if (Has(n, 2)) {
    EDGERT_ASSIGN_OR_RETURN(Const b, ConstIn(n, 2, "the bias"));
    if (static_cast<int64_t>(b.size()) != cout) return Bad("bias size differs from Cout");
    bias = b.Floats();
  }
  const int in = Stored(x, kNHWC, n.input(0));
  // OIHW -> OHWI
  const int wt = ConstTensor(n.input(1), {cout, kh, kw, cin_g},
                             TransposeData(w.Floats(), w.shape, {0, 2, 3, 1}));
  const int bt = bias.empty() ? -1 : ConstTensor(n.input(2), {cout}, bias);
  const Shape out_shape = {x.shape[0], cout, oh, ow};
  const int out = NewTensor(n.output(0), Permute(out_shape, kNHWC));
  Emit(cur_name_, "Conv2D", {in, wt, bt}, {out},
       {AttrDef::Ints("pads", {pads[0], pads[1], pads[2], pads[3]}),
        AttrDef::Ints("strides", strides), AttrDef::Ints("dilations", dil),
        AttrDef::Int("group", group)},
       "Conv");
  SetAct(n.output(0), out, out_shape, kNHWC);
  return Status::Ok();
}

Status Lowerer::LowerConvTranspose(const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, In(n, 0));
  const Value x = *xp;
  EDGERT_ASSIGN_OR_RETURN(Const w, ConstIn(n, 1, "the weight"));
  if (x.shape.size() != 4 || w.shape.size() != 4)
    return NotSupported("only 2-D transposed convolution is supported");
  const int64_t group = AttrInt(n, "group", 1);
  const int64_t cin = w.shape[0], cout_g = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  if (group < 1 || x.shape[1] != cin || cin % group != 0)
    return Bad("weight " + ShapeToString(w.shape) + " does not fit input " +
               ShapeToString(x.shape) + " with group " + std::to_string(group));
  const int64_t cin_g = cin / group, cout = cout_g * group;
  const Shape strides = AttrInts(n, "strides", {1, 1}), dil = AttrInts(n, "dilations", {1, 1});
  const Shape out_pad = AttrInts(n, "output_padding", {0, 0});
  if (strides.size() != 2 || dil.size() != 2 || out_pad.size() != 2)
    return Bad("strides/dilations/output_padding need 2 values");
  const Shape k = {kh, kw}, in_hw = {x.shape[2], x.shape[3]};
  std::array<int64_t, 4> pads{0, 0, 0, 0};
  Shape out_hw(2);
  const std::string auto_pad = AttrStr(n, "auto_pad", "NOTSET");
  Shape output_shape = AttrInts(n, "output_shape");
  if (output_shape.size() == 4) output_shape = {output_shape[2], output_shape[3]};
  if (!output_shape.empty() && output_shape.size() != 2) return Bad("output_shape needs 2 values");
  if (output_shape.empty() && (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER"))
    output_shape = {in_hw[0] * strides[0], in_hw[1] * strides[1]};
  if (!output_shape.empty()) {
    for (int d = 0; d < 2; ++d) {
      const int64_t total =
          strides[d] * (in_hw[d] - 1) + out_pad[d] + (k[d] - 1) * dil[d] + 1 - output_shape[d];
      if (total < 0)
        return NotSupported("output_shape larger than the full transposed convolution");
      const bool upper = auto_pad == "SAME_UPPER";
      pads[d] = upper ? total / 2 : total - total / 2;
      pads[d + 2] = upper ? total - total / 2 : total / 2;
      out_hw[d] = output_shape[d];
    }
  } else {
    if (auto_pad == "NOTSET") {
      std::vector<int64_t> p = AttrInts(n, "pads", {0, 0, 0, 0});
      if (p.size() != 4) return Bad("pads must have 4 values");
      for (int i = 0; i < 4; ++i) pads[i] = p[i];
    } else if (auto_pad != "VALID") {
      return Bad("unknown auto_pad '" + auto_pad + "'");
    }
    for (int d = 0; d < 2; ++d)
      out_hw[d] = strides[d] * (in_hw[d] - 1) + out_pad[d] + (k[d] - 1) * dil[d] + 1 - pads[d] -
                  pads[d + 2];
  }
  if (out_hw[0] <= 0 || out_hw[1] <= 0) return Bad("output would be empty");
  // ONNX [Cin, Cout/g, KH, KW] -> IR [group][Cout/g][KH][KW][Cin/g].
  const std::vector<float> wf = w.Floats();
  std::vector<float> wir(wf.size());
  for (int64_t g = 0; g < group; ++g)
    for (int64_t oc = 0; oc < cout_g; ++oc)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t xx = 0; xx < kw; ++xx)
          for (int64_t ic = 0; ic < cin_g; ++ic)
            wir[(((g * cout_g + oc) * kh + y) * kw + xx) * cin_g + ic] =
                wf[(((g * cin_g + ic) * cout_g + oc) * kh + y) * kw + xx];
  std::vector<float> bias;
  if (Has(n, 2)) {
    EDGERT_ASSIGN_OR_RETURN(Const b, ConstIn(n, 2, "the bias"));
    if (static_cast<int64_t>(b.size()) != cout) return Bad("bias size differs from Cout");
    bias = b.Floats();
  }
  const int in = Stored(x, kNHWC, n.input(0));
  const int wt = ConstTensor(n.input(1), {cout, kh, kw, cin_g}, wir);
  const int bt = bias.empty() ? -1 : ConstTensor(n.input(2), {cout}, bias);
  const Shape out_shape = {x.shape[0], cout, out_hw[0], out_hw[1]};
  const int out = NewTensor(n.output(0), Permute(out_shape, kNHWC));
  Emit(cur_name_, "ConvTranspose2D", {in, wt, bt}, {out},
       {AttrDef::Ints("pads", {pads[0], pads[1], pads[2], pads[3]}),
        AttrDef::Ints("strides", strides), AttrDef::Ints("dilations", dil),
        AttrDef::Int("group", group), AttrDef::Ints("output_padding", out_pad)},
       "ConvTranspose");
  SetAct(n.output(0), out, out_shape, kNHWC);
  return Status::Ok();
}

Status Lowerer::LowerGemm(const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* ap, In(n, 0));
  const Value a = *ap;
  EDGERT_ASSIGN_OR_RETURN(Const b, ConstIn(n, 1, "B"));
  if (a.shape.size() != 2 || b.shape.size() != 2) return Bad("Gemm needs 2-D A and B");
  const bool ta = AttrInt(n, "transA", 0) != 0, tb = AttrInt(n, "transB", 0) != 0;
  const float alpha = AttrFloat(n, "alpha", 1.f), beta = AttrFloat(n, "beta", 1.f);
  const int64_t m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1];
  const int64_t nn = tb ? b.shape[0] : b.shape[1];
  if ((tb ? b.shape[1] : b.shape[0]) != k)
    return Bad("A " + ShapeToString(a.shape) + " and B " + ShapeToString(b.shape) +
               " do not multiply");
  std::vector<float> w = tb ? b.Floats() : TransposeData(b.Floats(), b.shape, {1, 0});
  for (float& v : w) v *= alpha;
  int in;
  if (ta) {
    in = Stored(a, {1, 0}, n.input(0));
  } else {
    in = Logical(a, n.input(0));
  }
  // C as a bias when it is a constant that broadcasts along N only.
  std::vector<float> bias;
  bool c_as_add = false;
  Const cc;
  if (Has(n, 2)) {
    EDGERT_ASSIGN_OR_RETURN(const Value* cv, In(n, 2));
    if (cv->is_const && Numel(cv->shape) == nn && (cv->shape.empty() || cv->shape.back() == nn)) {
      bias = cv->c.Floats();
      for (float& v : bias) v *= beta;
    } else if (cv->is_const && Numel(cv->shape) == 1) {
      bias.assign(static_cast<size_t>(nn), static_cast<float>(cv->c.At(0)) * beta);
    } else {
      c_as_add = true;
    }
  }
  const int wt = ConstTensor(n.input(1), {nn, k}, w);
  const int bt = bias.empty() ? -1 : ConstTensor(n.input(2), {nn}, bias);
  const Shape out_shape = {m, nn};
  const int out = NewTensor(c_as_add ? n.output(0) + "_gemm" : n.output(0), out_shape);
  Emit(cur_name_, "FullyConnected", {in, wt, bt}, {out}, {}, "Gemm");
  if (!c_as_add) {
    SetAct(n.output(0), out, out_shape, {0, 1});
    return Status::Ok();
  }
  EDGERT_ASSIGN_OR_RETURN(const Value* cv, In(n, 2));
  Value c = *cv;
  if (c.shape.size() != 2 || beta != 1.f)
    return NotSupported("a non-constant C needs rank 2 and beta 1");
  const int ct = Logical(c, n.input(2));
  auto bs = BroadcastShapes(out_shape, c.shape);
  if (!bs.ok() || *bs != out_shape) return Bad("C does not broadcast to the output");
  const int sum = NewTensor(n.output(0), out_shape);
  Emit(cur_name_ + "/bias", "Add", {out, ct}, {sum}, {}, "Gemm");
  SetAct(n.output(0), sum, out_shape, {0, 1});
  return Status::Ok();
}

Status Lowerer::LowerMatMul(const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* ap, In(n, 0));
  const Value a = *ap;
  EDGERT_ASSIGN_OR_RETURN(const Value* bp, In(n, 1));
  if (!bp->is_const)
    return NotSupported("MatMul of two run-time tensors is not supported (B must be a constant)");
  const Const b = bp->c;
  if (b.shape.size() != 2 || a.shape.size() < 2)
    return NotSupported("MatMul needs A of rank >= 2 and a 2-D constant B, got " +
                        ShapeToString(a.shape) + " x " + ShapeToString(b.shape));
  const int64_t k = b.shape[0], nn = b.shape[1];
  if (a.shape.back() != k)
    return Bad("A " + ShapeToString(a.shape) + " and B " + ShapeToString(b.shape) +
               " do not multiply");
  const int in = Logical(a, n.input(0));
  const int wt = ConstTensor(n.input(1), {nn, k}, TransposeData(b.Floats(), b.shape, {1, 0}));
  Shape out_shape = a.shape;
  out_shape.back() = nn;
  const int out = NewTensor(n.output(0), out_shape);
  Emit(cur_name_, "FullyConnected", {in, wt, -1}, {out}, {}, "MatMul");
  SetAct(n.output(0), out, out_shape, IdentityPerm(out_shape.size()));
  return Status::Ok();
}

Status Lowerer::LowerBatchNorm(const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, In(n, 0));
  const Value x = *xp;
  EDGERT_ASSIGN_OR_RETURN(Const scale, ConstIn(n, 1, "scale"));
  EDGERT_ASSIGN_OR_RETURN(Const shift, ConstIn(n, 2, "B"));
  EDGERT_ASSIGN_OR_RETURN(Const mean, ConstIn(n, 3, "mean"));
  EDGERT_ASSIGN_OR_RETURN(Const var, ConstIn(n, 4, "var"));
  if (x.shape.size() < 2) return Bad("input needs rank >= 2");
  const int64_t c = x.shape[1];
  for (const Const* p : {&scale, &shift, &mean, &var})
    if (static_cast<int64_t>(p->size()) != c) return Bad("parameters must have C values");
  const float eps = AttrFloat(n, "epsilon", 1e-5f);
  std::vector<float> s(c), t(c);
  const auto sf = scale.Floats(), bf = shift.Floats(), mf = mean.Floats(), vf = var.Floats();
  for (int64_t i = 0; i < c; ++i) {
    s[i] = sf[i] / std::sqrt(vf[i] + eps);
    t[i] = bf[i] - mf[i] * s[i];
  }
  if (x.is_const) return NotSupported("BatchNormalization of a constant");
  const int p = FusibleProducer(n.input(0));
  if (p >= 0 && (m_.nodes[p].op == "Conv2D" || m_.nodes[p].op == "ConvTranspose2D") &&
      !FindIrAttr(m_.nodes[p], "activation_min") && !FindIrAttr(m_.nodes[p], "activation_max")) {
    NodeDef& conv = m_.nodes[p];
    TensorDef& wt = m_.tensors[conv.inputs[1]];
    std::vector<float> w = TensorFloats(wt);
    const size_t per = w.size() / static_cast<size_t>(c);  // weights are [Cout, ...]
    for (int64_t o = 0; o < c; ++o)
      for (size_t j = 0; j < per; ++j) w[o * per + j] *= s[o];
    SetTensorFloats(wt, w);
    std::vector<float> bias(c, 0.f);
    if (conv.inputs[2] >= 0) bias = TensorFloats(m_.tensors[conv.inputs[2]]);
    for (int64_t o = 0; o < c; ++o) bias[o] = bias[o] * s[o] + t[o];
    if (conv.inputs[2] >= 0) {
      SetTensorFloats(m_.tensors[conv.inputs[2]], bias);
    } else {
      const int bt = ConstTensor(m_.tensors[conv.inputs[1]].name + "_bn_bias", {c}, bias);
      m_.nodes[p].inputs[2] = bt;
    }
    Rebind(n.input(0), n.output(0), p, "BatchNormalization");
    return Status::Ok();
  }
  // Standalone: y = x * s + t with [1, C, 1, ...] constants in the stored order.
  Shape cs(x.shape.size(), 1);
  cs[1] = c;
  const int st = ConstTensor(n.input(1) + "_bn_scale", Permute(cs, x.perm), s);
  const int tt = ConstTensor(n.input(2) + "_bn_shift", Permute(cs, x.perm), t);
  const int mid = NewTensor(n.output(0) + "_scaled", Permute(x.shape, x.perm));
  Emit(cur_name_ + "/mul", "Mul", {x.tensor, st}, {mid}, {}, "BatchNormalization");
  const int out = NewTensor(n.output(0), Permute(x.shape, x.perm));
  Emit(cur_name_, "Add", {mid, tt}, {out}, {}, "BatchNormalization");
  SetAct(n.output(0), out, x.shape, x.perm);
  return Status::Ok();
}

Status Lowerer::LowerBinary(const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* ap, In(n, 0));
  EDGERT_ASSIGN_OR_RETURN(const Value* bp, In(n, 1));
  const Value a = *ap, b = *bp;
  const std::string& op = n.op_type();
  auto bs = BroadcastShapes(a.shape, b.shape);
  if (!bs.ok()) return Bad(bs.status().message());
  const Shape out_shape = *bs;
  const size_t r = out_shape.size();

  // x * sigmoid(x) -> Swish
  if (op == "Mul" && !a.is_const && !b.is_const) {
    for (int k = 0; k < 2; ++k) {
      const Value& other = k == 0 ? b : a;
      const std::string& sig_name = n.input(k);
      const int p = FusibleProducer(sig_name);
      if (p < 0 || m_.nodes[p].op != "Sigmoid" || m_.nodes[p].inputs[0] != other.tensor) continue;
      const Value& sig = k == 0 ? a : b;
      if (sig.perm != other.perm || sig.shape != other.shape) continue;
      m_.nodes[p].op = "Swish";
      m_.nodes[p].name = cur_name_;
      Rebind(sig_name, n.output(0), p, "Mul");
      return Status::Ok();
    }
  }

  // The layout of the result: that of an activation operand of full rank (NHWC preferred).
  Perm target = IdentityPerm(r);
  bool chosen = false;
  for (const Value* v : {&a, &b}) {
    if (v->is_const || v->shape.size() != r) continue;
    if (!chosen || (v->perm == kNHWC && r == 4)) target = v->perm;
    chosen = true;
  }
  auto operand = [&](const Value& v, const std::string& name) -> int {
    if (v.shape.size() == r) return Stored(v, target, name);
    // Lower rank: numpy-align from the right, then view in the target order.
    Shape full(r - v.shape.size(), 1);
    full.insert(full.end(), v.shape.begin(), v.shape.end());
    if (v.is_const) {
      Value c = v;
      c.shape = full;
      c.c.shape = full;
      return Stored(c, target, name);
    }
    const int logical = Logical(v, name);
    const int t = NewTensor(name + "_r" + std::to_string(r), full);
    Emit(cur_name_ + "/expand", "Reshape", {logical}, {t}, {}, op);
    Value e;
    e.tensor = t;
    e.shape = full;
    e.perm = IdentityPerm(r);
    return Stored(e, target, name);
  };
  const int ta = operand(a, n.input(0));
  const int tb = operand(b, n.input(1));
  const int out = NewTensor(n.output(0), Permute(out_shape, target));
  Emit(cur_name_, op, {ta, tb}, {out}, {}, op);
  SetAct(n.output(0), out, out_shape, target);
  return Status::Ok();
}

Status Lowerer::LowerUnary(const Node& n) {
  const std::string& op = n.op_type();
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, In(n, 0));
  const Value x = *xp;
  if (op == "Relu" || op == "Clip") {
    float lo = op == "Relu" ? 0.f : -kInf, hi = kInf;
    if (op == "Clip") {
      if (opset_ < 11) {
        lo = AttrFloat(n, "min", -kInf);
        hi = AttrFloat(n, "max", kInf);
      } else {
        if (Has(n, 1)) {
          EDGERT_ASSIGN_OR_RETURN(Const c, ConstIn(n, 1, "min"));
          lo = static_cast<float>(c.At(0));
        }
        if (Has(n, 2)) {
          EDGERT_ASSIGN_OR_RETURN(Const c, ConstIn(n, 2, "max"));
          hi = static_cast<float>(c.At(0));
        }
      }
    }
    if (!x.is_const && FuseClamp(n, lo, hi)) return Status::Ok();
    const int in = Stored(x, x.is_const ? IdentityPerm(x.shape.size()) : x.perm, n.input(0));
    const Perm perm = x.is_const ? IdentityPerm(x.shape.size()) : x.perm;
    const int out = NewTensor(n.output(0), Permute(x.shape, perm));
    std::vector<AttrDef> attrs;
    if (lo > -kInf) attrs.push_back(AttrDef::Float("min", lo));
    if (hi < kInf) attrs.push_back(AttrDef::Float("max", hi));
    Emit(cur_name_, "Clamp", {in}, {out}, attrs, op);
    SetAct(n.output(0), out, x.shape, perm);
    return Status::Ok();
  }
  const Perm perm = x.is_const ? IdentityPerm(x.shape.size()) : x.perm;
  const int in = Stored(x, perm, n.input(0));
  std::vector<int> inputs = {in};
  std::vector<AttrDef> attrs;
  std::string ir = op;
  if (op == "LeakyRelu") {
    attrs.push_back(AttrDef::Float("alpha", AttrFloat(n, "alpha", 0.01f)));
  } else if (op == "HardSigmoid") {
    attrs.push_back(AttrDef::Float("alpha", AttrFloat(n, "alpha", 0.2f)));
    attrs.push_back(AttrDef::Float("beta", AttrFloat(n, "beta", 0.5f)));
  } else if (op == "PRelu") {
    EDGERT_ASSIGN_OR_RETURN(const Value* sp, In(n, 1));
    Value slope = *sp;
    if (slope.shape.size() > x.shape.size()) return Bad("slope has a higher rank than X");
    Shape full(x.shape.size() - slope.shape.size(), 1);
    full.insert(full.end(), slope.shape.begin(), slope.shape.end());
    if (!slope.is_const && slope.shape.size() != x.shape.size())
      return NotSupported("a run-time slope must have the rank of X");
    slope.shape = full;
    slope.c.shape = full;
    inputs.push_back(Stored(slope, perm, n.input(1)));
  } else if (op != "Sigmoid" && op != "Tanh" && op != "HardSwish") {
    return NotSupported("no lowering for " + op);
  }
  const int out = NewTensor(n.output(0), Permute(x.shape, perm));
  Emit(cur_name_, ir, inputs, {out}, attrs, op);
  SetAct(n.output(0), out, x.shape, perm);
  return Status::Ok();
}

Status Lowerer::LowerPool(const Node& n) {
  const std::string& op = n.op_type();
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, In(n, 0));
  const Value x = *xp;
  if (x.shape.size() != 4) return NotSupported("only 2-D pooling (4-D input) is supported");
  const int in = Stored(x, kNHWC, n.input(0));
  if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
    const Shape out_shape = {x.shape[0], x.shape[1], 1, 1};
    const int out = NewTensor(n.output(0), Permute(out_shape, kNHWC));
    Emit(cur_name_, op == "GlobalAveragePool" ? "GlobalAvgPool" : "GlobalMaxPool", {in}, {out}, {},
         op);
    SetAct(n.output(0), out, out_shape, kNHWC);
    return Status::Ok();
  }
  if (n.output_size() > 1 && !n.output(1).empty())
    return NotSupported("MaxPool's Indices output is not supported");
  const Shape k = AttrInts(n, "kernel_shape");
  if (k.size() != 2) return Bad("kernel_shape needs 2 values");
  const Shape strides = AttrInts(n, "strides", {1, 1}), dil = AttrInts(n, "dilations", {1, 1});
  if (strides.size() != 2 || dil.size() != 2) return Bad("strides/dilations need 2 values");
  EDGERT_ASSIGN_OR_RETURN(auto pads, ConvPads(n, {x.shape[2], x.shape[3]}, k, strides, dil));
  const bool ceil_mode = AttrInt(n, "ceil_mode", 0) != 0;
  Shape out_hw(2);
  for (int d = 0; d < 2; ++d) {
    const int64_t in_d = x.shape[2 + d];
    const int64_t span = in_d + pads[d] + pads[d + 2] - ((k[d] - 1) * dil[d] + 1);
    if (span < 0) return Bad("window larger than the padded input");
    int64_t o = (ceil_mode ? (span + strides[d] - 1) / strides[d] : span / strides[d]) + 1;
    // As torch and ONNX >= 1.16: a window that would start in the end padding is dropped.
    if (ceil_mode && (o - 1) * strides[d] >= in_d + pads[d]) --o;
    out_hw[d] = o;
  }
  std::vector<AttrDef> attrs = {AttrDef::Ints("kernel", k), AttrDef::Ints("strides", strides)};
  std::string ir;
  if (op == "MaxPool") {
    ir = "MaxPool2D";
    // Resolve ceil_mode into extra bottom/right padding (padded elements never win).
    for (int d = 0; d < 2; ++d) {
      const int64_t need = (out_hw[d] - 1) * strides[d] + (k[d] - 1) * dil[d] + 1;
      const int64_t have = x.shape[2 + d] + pads[d] + pads[d + 2];
      if (need > have) pads[d + 2] += need - have;
    }
    attrs.push_back(AttrDef::Ints("dilations", dil));
  } else {
    ir = "AvgPool2D";
    if (dil[0] != 1 || dil[1] != 1) return NotSupported("dilated AveragePool");
    attrs.push_back(AttrDef::Int("count_include_pad", AttrInt(n, "count_include_pad", 0)));
  }
  attrs.push_back(AttrDef::Ints("pads", {pads[0], pads[1], pads[2], pads[3]}));
  const Shape out_shape = {x.shape[0], x.shape[1], out_hw[0], out_hw[1]};
  const int out = NewTensor(n.output(0), Permute(out_shape, kNHWC));
  Emit(cur_name_, ir, {in}, {out}, attrs, op);
  SetAct(n.output(0), out, out_shape, kNHWC);
  return Status::Ok();
}

Status Lowerer::LowerConcat(const Node& n) {
  std::vector<Value> ins;
  for (int k = 0; k < n.input_size(); ++k) {
    EDGERT_ASSIGN_OR_RETURN(const Value* v, In(n, k));
    ins.push_back(*v);
  }
  const size_t r = ins[0].shape.size();
  int64_t axis = AttrInt(n, "axis", 1);
  if (axis < 0) axis += static_cast<int64_t>(r);
  if (axis < 0 || axis >= static_cast<int64_t>(r)) return Bad("axis out of range");
  Perm target = IdentityPerm(r);
  for (const Value& v : ins)
    if (!v.is_const) {
      target = v.perm;
      break;
    }
  Shape out_shape = ins[0].shape;
  out_shape[axis] = 0;
  std::vector<int> tensors;
  for (int k = 0; k < n.input_size(); ++k) {
    const Value& v = ins[k];
    if (v.shape.size() != r) return Bad("inputs differ in rank");
    for (size_t d = 0; d < r; ++d)
      if (static_cast<int64_t>(d) != axis && v.shape[d] != ins[0].shape[d])
        return Bad("input shapes " + ShapeToString(v.shape) + " and " +
                   ShapeToString(ins[0].shape) + " differ outside the axis");
    out_shape[axis] += v.shape[axis];
    if (Numel(v.shape) == 0) continue;
    tensors.push_back(Stored(v, target, n.input(k)));
  }
  const int64_t stored_axis = InversePerm(target)[axis];
  const int out = NewTensor(n.output(0), Permute(out_shape, target));
  Emit(cur_name_, "Concat", tensors, {out}, {AttrDef::Int("axis", stored_axis)}, "Concat");
  SetAct(n.output(0), out, out_shape, target);
  return Status::Ok();
}

Status Lowerer::LowerSplit(const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, In(n, 0));
  const Value x = *xp;
  const int64_t r = static_cast<int64_t>(x.shape.size());
  int64_t axis = AttrInt(n, "axis", 0);
  if (axis < 0) axis += r;
  if (axis < 0 || axis >= r) return Bad("axis out of range");
  std::vector<int64_t> sizes;
  if (opset_ >= 13) {
    if (Has(n, 1)) {
      EDGERT_ASSIGN_OR_RETURN(Const s, ConstIn(n, 1, "split"));
      sizes = s.Ints();
    }
  } else {
    sizes = AttrInts(n, "split");
  }
  const int64_t outs = n.output_size();
  if (sizes.empty()) {
    const int64_t dim = x.shape[axis];
    const int64_t each = (dim + outs - 1) / outs;
    for (int64_t k = 0; k < outs; ++k) sizes.push_back(std::min(each, dim - k * each));
  }
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  if (static_cast<int64_t>(sizes.size()) != outs || total != x.shape[axis])
    return Bad("split sizes do not match the outputs or the axis length");
  const Perm perm = x.is_const ? IdentityPerm(r) : x.perm;
  const int in = Stored(x, perm, n.input(0));
  std::vector<int> out_t;
  std::vector<Shape> out_shapes;
  for (int64_t k = 0; k < outs; ++k) {
    Shape s = x.shape;
    s[axis] = sizes[k];
    out_shapes.push_back(s);
    out_t.push_back(NewTensor(n.output(k), Permute(s, perm)));
  }
  Emit(cur_name_, "Split", {in}, out_t,
       {AttrDef::Int("axis", InversePerm(perm)[axis]), AttrDef::Ints("split", sizes)}, "Split");
  for (int64_t k = 0; k < outs; ++k)
    if (!n.output(k).empty()) SetAct(n.output(k), out_t[k], out_shapes[k], perm);
  return Status::Ok();
}

Status Lowerer::LowerSlice(const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, In(n, 0));
  const Value x = *xp;
  const int64_t r = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (opset_ < 10) {
    starts = AttrInts(n, "starts");
    ends = AttrInts(n, "ends");
    axes = AttrInts(n, "axes");
  } else {
    EDGERT_ASSIGN_OR_RETURN(Const s, ConstIn(n, 1, "starts"));
    EDGERT_ASSIGN_OR_RETURN(Const e, ConstIn(n, 2, "ends"));
    starts = s.Ints();
    ends = e.Ints();
    if (Has(n, 3)) {
      EDGERT_ASSIGN_OR_RETURN(Const a, ConstIn(n, 3, "axes"));
      axes = a.Ints();
    }
    if (Has(n, 4)) {
      EDGERT_ASSIGN_OR_RETURN(Const st, ConstIn(n, 4, "steps"));
      steps = st.Ints();
    }
  }
  if (ends.size() != starts.size() || (!axes.empty() && axes.size() != starts.size()) ||
      (!steps.empty() && steps.size() != starts.size()))
    return Bad("starts/ends/axes/steps differ in length");
  Shape b(r, 0), e(x.shape), st(r, 1), out_shape(x.shape);
  for (size_t k = 0; k < starts.size(); ++k) {
    int64_t ax = axes.empty() ? static_cast<int64_t>(k) : axes[k];
    if (ax < 0) ax += r;
    if (ax < 0 || ax >= r) return Bad("axis out of range");
    const int64_t dim = x.shape[ax];
    const int64_t step = steps.empty() ? 1 : steps[k];
    if (step == 0) return Bad("step 0");
    int64_t s = starts[k], en = ends[k];
    if (s < 0) s += dim;
    if (en < 0) en += dim;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      en = std::clamp<int64_t>(en, 0, dim);
      out_shape[ax] = std::max<int64_t>(0, (en - s + step - 1) / step);
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      en = std::clamp<int64_t>(en, -1, dim - 1);
      out_shape[ax] = std::max<int64_t>(0, (s - en - step - 1) / (-step));
    }
    b[ax] = s;
    e[ax] = en;
    st[ax] = step;
  }
  const Perm perm = x.perm;
  const int in = Stored(x, perm, n.input(0));
  const int out = NewTensor(n.output(0), Permute(out_shape, perm));
  Emit(cur_name_, "Slice", {in}, {out},
       {AttrDef::Ints("starts", Permute(b, perm)), AttrDef::Ints("ends", Permute(e, perm)),
        AttrDef::Ints("steps", Permute(st, perm))},
       "Slice");
  SetAct(n.output(0), out, out_shape, perm);
  return Status::Ok();
}

Result<Shape> Lowerer::ReshapeTarget(const Node& n, const Shape& in) {
  const std::string& op = n.op_type();
  const int64_t r = static_cast<int64_t>(in.size());
  if (op == "Flatten") {
    int64_t axis = AttrInt(n, "axis", 1);
    if (axis < 0) axis += r;
    if (axis < 0 || axis > r) return Bad("axis out of range");
    int64_t a = 1, b = 1;
    for (int64_t d = 0; d < r; ++d) (d < axis ? a : b) *= in[d];
    return Shape{a, b};
  }
  if (op == "Squeeze" || op == "Unsqueeze") {
    std::vector<int64_t> axes;
    if (opset_ >= 13) {
      if (Has(n, 1)) {
        EDGERT_ASSIGN_OR_RETURN(Const c, ConstIn(n, 1, "axes"));
        axes = c.Ints();
      }
    } else {
      axes = AttrInts(n, "axes");
    }
    if (op == "Squeeze") {
      std::set<int64_t> drop;
      for (int64_t a : axes) drop.insert(a < 0 ? a + r : a);
      Shape out;
      for (int64_t d = 0; d < r; ++d) {
        const bool squeeze = axes.empty() ? in[d] == 1 : drop.count(d) > 0;
        if (squeeze && in[d] != 1)
          return Bad("cannot squeeze a dimension of size " + std::to_string(in[d]));
        if (!squeeze) out.push_back(in[d]);
      }
      return out;
    }
    const int64_t orank = r + static_cast<int64_t>(axes.size());
    std::set<int64_t> add;
    for (int64_t a : axes) add.insert(a < 0 ? a + orank : a);
    Shape out;
    size_t j = 0;
    for (int64_t d = 0; d < orank; ++d) out.push_back(add.count(d) ? 1 : in[j++]);
    if (j != in.size()) return Bad("bad Unsqueeze axes");
    return out;
  }
  // Reshape
  std::vector<int64_t> spec;
  if (opset_ < 5) {
    spec = AttrInts(n, "shape");
  } else {
    EDGERT_ASSIGN_OR_RETURN(Const c, ConstIn(n, 1, "the shape"));
    spec = c.Ints();
  }
  const bool allowzero = AttrInt(n, "allowzero", 0) != 0;
  Shape out(spec.size());
  int infer = -1;
  int64_t known = 1;
  for (size_t d = 0; d < spec.size(); ++d) {
    if (spec[d] == -1) {
      if (infer >= 0) return Bad("more than one -1 in the shape");
      infer = static_cast<int>(d);
      continue;
    }
    if (spec[d] == 0 && !allowzero) {
      if (d >= in.size()) return Bad("shape 0 refers to a missing input dimension");
      out[d] = in[d];
    } else {
      out[d] = spec[d];
    }
    known *= out[d];
  }
  if (infer >= 0) {
    if (known == 0 || Numel(in) % known != 0)
      return Bad("cannot infer -1 reshaping " + ShapeToString(in));
    out[infer] = Numel(in) / known;
  }
  if (Numel(out) != Numel(in))
    return Bad("cannot reshape " + ShapeToString(in) + " to " + ShapeToString(out));
  return out;
}

Status Lowerer::EmitReshape(const Value& x, const Shape& out_shape, const std::string& out_name,
                            const std::string& source_op) {
  // The stored bytes are in logical order when the non-1 dims keep their relative order.
  int last = -1;
  bool in_order = true;
  for (int d : x.perm) {
    if (x.shape[d] == 1) continue;
    in_order = in_order && d > last;
    last = d;
  }
  const int in = in_order ? x.tensor : Logical(x, out_name);
  const int out = NewTensor(out_name, out_shape);
  Emit(cur_name_, "Reshape", {in}, {out}, {}, source_op);
  SetAct(out_name, out, out_shape, IdentityPerm(out_shape.size()));
  return Status::Ok();
}

Status Lowerer::LowerReshapeLike(const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, In(n, 0));
  const Value x = *xp;
  EDGERT_ASSIGN_OR_RETURN(Shape out_shape, ReshapeTarget(n, x.shape));
  return EmitReshape(x, out_shape, n.output(0), n.op_type());
}

Status Lowerer::LowerPad(const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, In(n, 0));
  const Value x = *xp;
  const int64_t r = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> pads;
  float value = 0.f;
  if (opset_ < 11) {
    pads = AttrInts(n, "pads");
    value = AttrFloat(n, "value", 0.f);
  } else {
    EDGERT_ASSIGN_OR_RETURN(Const p, ConstIn(n, 1, "pads"));
    pads = p.Ints();
    if (Has(n, 2)) {
      EDGERT_ASSIGN_OR_RETURN(Const v, ConstIn(n, 2, "constant_value"));
      if (v.size() > 0) value = static_cast<float>(v.At(0));
    }
  }
  std::vector<int64_t> axes;
  if (Has(n, 3)) {
    EDGERT_ASSIGN_OR_RETURN(Const a, ConstIn(n, 3, "axes"));
    axes = a.Ints();
  } else {
    for (int64_t d = 0; d < r; ++d) axes.push_back(d);
  }
  if (pads.size() != 2 * axes.size()) return Bad("pads needs 2 values per axis");
  Shape begin(r, 0), end(r, 0);
  const size_t na = axes.size();
  for (size_t k = 0; k < na; ++k) {
    int64_t ax = axes[k] < 0 ? axes[k] + r : axes[k];
    if (ax < 0 || ax >= r) return Bad("axis out of range");
    begin[ax] = pads[k];
    end[ax] = pads[k + na];
  }
  std::string mode = AttrStr(n, "mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return NotSupported("Pad mode '" + mode + "'");
  Shape out_shape = x.shape;
  for (int64_t d = 0; d < r; ++d) {
    out_shape[d] += begin[d] + end[d];
    if (out_shape[d] <= 0) return Bad("padding leaves an empty dimension");
    if (mode == "reflect" && (begin[d] >= x.shape[d] || end[d] >= x.shape[d]))
      return Bad("reflect padding must be smaller than the dimension");
  }
  const Perm perm = x.is_const ? IdentityPerm(r) : x.perm;
  const int in = Stored(x, perm, n.input(0));
  std::vector<int64_t> ir_pads = Permute(begin, perm);
  const Shape pe = Permute(end, perm);
  ir_pads.insert(ir_pads.end(), pe.begin(), pe.end());
  const int out = NewTensor(n.output(0), Permute(out_shape, perm));
  Emit(cur_name_, "Pad", {in}, {out},
       {AttrDef::Ints("pads", ir_pads), AttrDef::String("mode", mode),
        AttrDef::Float("value", value)},
       "Pad");
  SetAct(n.output(0), out, out_shape, perm);
  return Status::Ok();
}

Status Lowerer::LowerResize(const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, In(n, 0));
  const Value x = *xp;
  if (x.shape.size() != 4) return NotSupported("only 4-D (NCHW) resize is supported");
  const bool upsample = n.op_type() == "Upsample";
  std::string mode = AttrStr(n, "mode", "nearest");
  if (mode == "bilinear") mode = "linear";
  if (mode != "nearest" && mode != "linear")
    return NotSupported("mode '" + mode + "' (nearest and linear only)");
  std::string ctm = "asymmetric", nearest = "floor";
  std::vector<float> scales;
  Shape sizes;
  if (upsample) {
    if (opset_ < 9) {
      scales = AttrFloats(n, "scales");
    } else {
      EDGERT_ASSIGN_OR_RETURN(Const s, ConstIn(n, 1, "scales"));
      scales = s.Floats();
    }
  } else if (opset_ < 11) {
    EDGERT_ASSIGN_OR_RETURN(Const s, ConstIn(n, 1, "scales"));
    scales = s.Floats();
  } else {
    ctm = AttrStr(n, "coordinate_transformation_mode", "half_pixel");
    nearest = AttrStr(n, "nearest_mode", "round_prefer_floor");
    if (ctm == "tf_crop_and_resize") return NotSupported("tf_crop_and_resize");
    const std::set<std::string> ctms = {"half_pixel", "asymmetric", "align_corners",
                                        "pytorch_half_pixel", "tf_half_pixel_for_nn"};
    if (!ctms.count(ctm)) return NotSupported("coordinate_transformation_mode '" + ctm + "'");
    if (Has(n, 2)) {
      EDGERT_ASSIGN_OR_RETURN(Const s, ConstIn(n, 2, "scales"));
      scales = s.Floats();
    }
    if (Has(n, 3)) {
      EDGERT_ASSIGN_OR_RETURN(Const s, ConstIn(n, 3, "sizes"));
      sizes = s.Ints();
    }
    if (AttrInt(n, "antialias", 0) != 0) return NotSupported("antialias");
    if (FindAttr(n, "axes")) return NotSupported("the axes attribute");
  }
  if (!sizes.empty()) {
    if (sizes.size() != 4) return Bad("sizes needs 4 values");
    scales.clear();
    for (int d = 0; d < 4; ++d)
      scales.push_back(static_cast<float>(sizes[d]) / static_cast<float>(x.shape[d]));
  } else {
    if (scales.size() != 4) return Bad("scales needs 4 values (or sizes)");
    for (float sc : scales)
      if (!(sc > 0.f) || !std::isfinite(sc) || sc > 1e4f)
        return Bad("scale " + std::to_string(sc) + " out of range");
    for (int d = 0; d < 4; ++d)
      sizes.push_back(static_cast<int64_t>(std::floor(x.shape[d] * scales[d])));
  }
  if (sizes[0] != x.shape[0] || sizes[1] != x.shape[1]) return NotSupported("resizing N or C");
  if (sizes[2] <= 0 || sizes[3] <= 0) return Bad("empty output");
  const int in = Stored(x, kNHWC, n.input(0));
  const Shape out_shape = {x.shape[0], x.shape[1], sizes[2], sizes[3]};
  const int out = NewTensor(n.output(0), Permute(out_shape, kNHWC));
  std::vector<AttrDef> attrs = {AttrDef::String("mode", mode),
                                AttrDef::String("coordinate_transformation_mode", ctm),
                                AttrDef::Floats("scales", {scales[2], scales[3]})};
  if (mode == "nearest") attrs.push_back(AttrDef::String("nearest_mode", nearest));
  Emit(cur_name_, "Resize", {in}, {out}, attrs, n.op_type());
  SetAct(n.output(0), out, out_shape, kNHWC);
  return Status::Ok();
}

Status Lowerer::LowerSoftmax(const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, In(n, 0));
  const Value x = *xp;
  const int64_t r = static_cast<int64_t>(x.shape.size());
  int64_t axis = AttrInt(n, "axis", opset_ >= 13 ? -1 : 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis >= r) return Bad("axis out of range");
  const Perm perm = x.is_const ? IdentityPerm(r) : x.perm;
  if (opset_ >= 13 || axis == r - 1) {
    const int in = Stored(x, perm, n.input(0));
    const int out = NewTensor(n.output(0), Permute(x.shape, perm));
    Emit(cur_name_, "Softmax", {in}, {out}, {AttrDef::Int("axis", InversePerm(perm)[axis])},
         "Softmax");
    SetAct(n.output(0), out, x.shape, perm);
    return Status::Ok();
  }
  // Opset < 13: softmax over the input coerced to 2-D [prod(<axis), prod(>=axis)].
  int64_t a = 1, b = 1;
  for (int64_t d = 0; d < r; ++d) (d < axis ? a : b) *= x.shape[d];
  const int in = Logical(x, n.input(0));
  const int flat = NewTensor(n.output(0) + "_2d", {a, b});
  Emit(cur_name_ + "/flatten", "Reshape", {in}, {flat}, {}, "Softmax");
  const int sm = NewTensor(n.output(0) + "_softmax_2d", {a, b});
  Emit(cur_name_, "Softmax", {flat}, {sm}, {AttrDef::Int("axis", 1)}, "Softmax");
  const int out = NewTensor(n.output(0), x.shape);
  Emit(cur_name_ + "/unflatten", "Reshape", {sm}, {out}, {}, "Softmax");
  SetAct(n.output(0), out, x.shape, IdentityPerm(r));
  return Status::Ok();
}

Status Lowerer::LowerReduceMean(const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, In(n, 0));
  const Value x = *xp;
  const int64_t r = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> axes;
  bool noop_empty = false;
  if (opset_ >= 18) {
    if (Has(n, 1)) {
      EDGERT_ASSIGN_OR_RETURN(Const a, ConstIn(n, 1, "axes"));
      axes = a.Ints();
    }
    noop_empty = AttrInt(n, "noop_with_empty_axes", 0) != 0;
  } else {
    axes = AttrInts(n, "axes");
  }
  const bool keep = AttrInt(n, "keepdims", 1) != 0;
  if (axes.empty() && noop_empty) {
    SetAct(n.output(0), x.tensor, x.shape, x.perm);
    return Status::Ok();
  }
  std::set<int64_t> red;
  if (axes.empty()) {
    for (int64_t d = 0; d < r; ++d) red.insert(d);
  }
  for (int64_t a : axes) {
    const int64_t ax = a < 0 ? a + r : a;
    if (ax < 0 || ax >= r) return Bad("axis out of range");
    red.insert(ax);
  }
  const Perm perm = x.is_const ? IdentityPerm(r) : x.perm;
  const int in = Stored(x, perm, n.input(0));
  const Perm inv = InversePerm(perm);
  std::vector<int64_t> stored_axes;
  for (int64_t a : red) stored_axes.push_back(inv[a]);
  std::sort(stored_axes.begin(), stored_axes.end());
  Shape out_shape;
  Perm out_perm;
  if (keep) {
    out_shape = x.shape;
    for (int64_t a : red) out_shape[a] = 1;
    out_perm = perm;
  } else {
    std::vector<int> new_index(r, -1);
    int k = 0;
    for (int64_t d = 0; d < r; ++d)
      if (!red.count(d)) {
        new_index[d] = k++;
        out_shape.push_back(x.shape[d]);
      }
    for (int p : perm)
      if (new_index[p] >= 0) out_perm.push_back(new_index[p]);
  }
  const int out = NewTensor(n.output(0), Permute(out_shape, out_perm));
  Emit(cur_name_, "ReduceMean", {in}, {out},
       {AttrDef::Ints("axes", stored_axes), AttrDef::Int("keepdims", keep ? 1 : 0)}, "ReduceMean");
  SetAct(n.output(0), out, out_shape, out_perm);
  return Status::Ok();
}

}  // namespace

Result<ModelDef> CompileOnnxBytes(const std::string& bytes, const std::string& label,
                                  const CompileConfig& config) {
  onnx::ModelProto model;
  if (bytes.empty()) return FormatError(label + ": the file is empty, not an ONNX model");
  if (!model.ParseFromString(bytes))
    return FormatError(label + ": not an ONNX model (the protobuf does not parse)");
  if (!model.has_graph() || model.graph().node_size() == 0)
    return FormatError(label + ": not an ONNX model, or an empty one (no graph nodes)");
  if (config.row_align_bytes < 1 || config.row_align_bytes > 4096)
    return InvalidArgument("row_align_bytes must be in [1, 4096]");
  Lowerer lowerer(model, config, label);
  EDGERT_ASSIGN_OR_RETURN(ModelDef m, lowerer.Run());
  m.name = config.output_model_file_prefix;
  m.source_sha256 = Sha256Hex(bytes);
  m.compile_config = config.yaml_text;
  return m;
}

Result<ModelDef> CompileOnnxFile(const std::string& onnx_path, const CompileConfig& config) {
  std::ifstream f(onnx_path, std::ios::binary);
  if (!f) return FileError(onnx_path + ": cannot open the ONNX model");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (!f.good() && !f.eof()) return FileError(onnx_path + ": read failed");
  return CompileOnnxBytes(ss.str(), onnx_path, config);
}

}  // namespace edgert::compiler

// The lowering driver: reads the model, sets up inputs (io.cc), folds or lowers each node
// through its op_table.cc entry, sets up outputs and drops dead IR.

#include "model_compiler/lower/lowerer.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <mutex>
#include <set>
#include <sstream>
#include <type_traits>

#include "common/file_read.h"
#include "edgert_internal/half.h"
#include "model_compiler/lower/op_table.h"

namespace edgert::compiler {

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

Result<const Value*> Lowerer::In(const Node& n, int k) const {
  if (!Has(n, k)) return Bad("missing input " + std::to_string(k));
  auto it = values_.find(n.input(k));
  if (it == values_.end())
    return Bad("input '" + n.input(k) +
               "' is not produced by any earlier node, initializer "
               "or graph input (is the graph topologically sorted?)");
  return &it->second;
}

Result<Const> Lowerer::ConstIn(const Node& n, int k, const std::string& what) const {
  EDGERT_ASSIGN_OR_RETURN(const Value* v, In(n, k));
  if (!v->is_const)
    return NotSupported(what + " (input " + std::to_string(k) + " '" + n.input(k) +
                        "') must be a constant");
  return v->c;
}

Status Lowerer::IntsIfGiven(const Node& n, int k, const std::string& what,
                            std::vector<int64_t>* out) const {
  if (!Has(n, k)) return Status::Ok();
  EDGERT_ASSIGN_OR_RETURN(Const c, ConstIn(n, k, what));
  *out = c.Ints();
  return Status::Ok();
}

Status Lowerer::FloatsIfGiven(const Node& n, int k, const std::string& what,
                              std::vector<float>* out) const {
  if (!Has(n, k)) return Status::Ok();
  EDGERT_ASSIGN_OR_RETURN(Const c, ConstIn(n, k, what));
  *out = c.Floats();
  return Status::Ok();
}

void Lowerer::SetConst(const std::string& name, Const c) {
  Value v;
  v.is_const = true;
  v.shape = c.shape;
  v.c = std::move(c);
  values_[name] = std::move(v);
}

bool IrDTypeOf(int onnx_type, TensorType* out) {
  switch (onnx_type) {
    case onnx::TensorProto::FLOAT:
      *out = TensorType::kF32;
      return true;
    case onnx::TensorProto::FLOAT16:
      *out = TensorType::kF16;
      return true;
    case onnx::TensorProto::BOOL:
    case onnx::TensorProto::UINT8:
      *out = TensorType::kU8;
      return true;
    case onnx::TensorProto::INT8:
      *out = TensorType::kS8;
      return true;
    case onnx::TensorProto::INT16:
      *out = TensorType::kS16;
      return true;
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT64:  // narrowed (IR.md "Tensors and layout")
      *out = TensorType::kS32;
      return true;
    default:
      return false;
  }
}

const char* DTypeName(TensorType t) {
  switch (t) {
    case TensorType::kF32:
      return "F32";
    case TensorType::kF16:
      return "F16";
    case TensorType::kS32:
      return "S32";
    case TensorType::kS16:
      return "S16";
    case TensorType::kS8:
      return "S8";
    case TensorType::kU8:
      return "U8";
    default:
      return "an image type";
  }
}

void Lowerer::SetAct(const std::string& name, int tensor, Shape shape, Perm perm) {
  Value v;
  v.tensor = tensor;
  v.dtype = m_.tensors[static_cast<size_t>(tensor)].dtype;
  v.shape = std::move(shape);
  v.perm = std::move(perm);
  values_[name] = std::move(v);
  ++aliases_[tensor];
  std::string& source = m_.tensors[tensor].source;
  if (source.empty()) source = name;
}

std::string Lowerer::Unique(const std::string& base, std::set<std::string>& used) {
  std::string n = base.empty() ? "t" : base;
  for (int k = 1; used.count(n); ++k) n = base + "_" + std::to_string(k);
  used.insert(n);
  return n;
}

int Lowerer::NewTensor(const std::string& name, Shape stored, TensorType dtype) {
  TensorDef t;
  t.name = Unique(name, tensor_names_);
  t.shape = std::move(stored);
  t.dtype = dtype;
  m_.tensors.push_back(std::move(t));
  producer_.push_back(-1);
  aliases_.push_back(0);
  return static_cast<int>(m_.tensors.size()) - 1;
}

int Lowerer::ConstTensor(const std::string& name, Shape stored, const std::vector<float>& data) {
  const int t = NewTensor(name, std::move(stored));
  SetTensorFloats(m_.tensors[t], data);
  return t;
}

namespace {

template <typename T>
void PutAs(const std::vector<int64_t>& v, std::vector<uint8_t>* out) {
  out->resize(v.size() * sizeof(T));
  for (size_t k = 0; k < v.size(); ++k) {
    // Two's complement wrap, as ONNX Cast and numpy astype narrow integers.
    const T x = static_cast<T>(static_cast<std::make_unsigned_t<T>>(static_cast<uint64_t>(v[k])));
    std::memcpy(out->data() + k * sizeof(T), &x, sizeof(T));
  }
}

}  // namespace

int Lowerer::ConstTensorAs(const std::string& name, const Const& c, const Perm& want,
                           TensorType dtype) {
  if (dtype == TensorType::kF32)
    return ConstTensor(name, Permute(c.shape, want), TransposeData(c.Floats(), c.shape, want));
  const int t = NewTensor(name, Permute(c.shape, want), dtype);
  std::vector<uint8_t>& data = m_.tensors[static_cast<size_t>(t)].data;
  if (dtype == TensorType::kF16) {
    const std::vector<float> f = TransposeData(c.Floats(), c.shape, want);
    data.resize(f.size() * 2);
    for (size_t k = 0; k < f.size(); ++k) {
      const uint16_t h = FloatToHalf(f[k]);
      std::memcpy(data.data() + 2 * k, &h, 2);
    }
    return t;
  }
  const std::vector<int64_t> v = TransposeData(c.Ints(), c.shape, want);
  switch (dtype) {
    case TensorType::kS32:
      PutAs<int32_t>(v, &data);
      break;
    case TensorType::kS16:
      PutAs<int16_t>(v, &data);
      break;
    case TensorType::kS8:
      PutAs<int8_t>(v, &data);
      break;
    default:  // U8 (bool is 0/1); the guard admits no other dtype here
      PutAs<uint8_t>(v, &data);
      break;
  }
  return t;
}

int Lowerer::Emit(const std::string& name, const std::string& op, std::vector<int> inputs,
                  std::vector<int> outputs, std::vector<AttrDef> attrs,
                  const std::string& source_op) {
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

int Lowerer::Stored(const Value& v, const Perm& want, const std::string& hint,
                    TensorType const_dtype) {
  if (v.is_const) {
    Const c = v.c;
    c.shape = v.shape;  // a caller may view it at a higher rank
    return ConstTensorAs(hint, c, want, const_dtype);
  }
  if (v.perm == want) return v.tensor;
  auto key = std::make_pair(v.tensor, want);
  if (auto it = transposed_.find(key); it != transposed_.end()) return it->second;
  const Perm inv = InversePerm(v.perm);
  Perm p(want.size());
  for (size_t i = 0; i < want.size(); ++i) p[i] = inv[want[i]];
  const int out = NewTensor(m_.tensors[v.tensor].name + "_t", Permute(v.shape, want),
                            m_.tensors[v.tensor].dtype);
  Emit(cur_name_ + "/transpose", "Transpose", {v.tensor}, {out}, {AttrDef::Ints("perm", ToInts(p))},
       "Transpose");
  transposed_[key] = out;
  return out;
}

int Lowerer::FusibleProducer(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.is_const) return -1;
  const int t = it->second.tensor;
  if (producer_[t] < 0 || aliases_[t] != 1 || graph_outputs_.count(name)) return -1;
  auto u = uses_.find(name);
  if (u == uses_.end() || u->second != 1) return -1;
  return producer_[t];
}

void Lowerer::Rebind(const std::string& in, const std::string& out, int node,
                     const std::string& op) {
  Value v = values_[in];
  TensorDef& t = m_.tensors[v.tensor];
  t.name = Unique(out, tensor_names_);
  t.source = out;  // the tensor now holds the fused op's output
  m_.nodes[node].source_op += "+" + op;
  values_[out] = v;
}

// Every unsupported node in one error: an op outside the table, another domain, or a model
// opset outside the entry's range.
Status Lowerer::CheckSupported() {
  std::vector<std::string> bad;
  const auto& g = model_.graph();
  for (int i = 0; i < g.node_size(); ++i) {
    const Node& n = g.node(i);
    const bool std_domain = n.domain().empty() || n.domain() == "ai.onnx";
    const OnnxOp* op = std_domain ? FindOnnxOp(n.op_type()) : nullptr;
    if (op && opset_ >= op->opset_min && opset_ <= op->opset_max) continue;
    std::string what = "'" + (n.name().empty() ? "#" + std::to_string(i) : n.name()) + "' (" +
                       (std_domain ? "" : n.domain() + ".") + n.op_type() + ")";
    if (op)
      what += " at opset " + std::to_string(opset_) + " (supported: opset " +
              std::to_string(op->opset_min) + "-" + std::to_string(op->opset_max) + ")";
    bad.push_back(what);
  }
  if (bad.empty()) return Status::Ok();
  return Unsupported(label_ + ": " + std::to_string(bad.size()) +
                     " node(s) use ops the compiler does not support: " + Join(bad));
}

namespace {

// libonnx 1.12's conv and pool shape inference (convPoolShapeInference, and ConvTranspose's own)
// indexes X's spatial dims by the kernel's rank and by its attribute lists without checking that
// they agree, so a model the checker accepts can crash it, as fuzz_onnx_import found: a
// ConvTranspose with rank(X) != rank(W), and a Conv with a rank-2 X and a rank-4 W, which reads
// past the end of X's dims (SIGSEGV). Every version of these schemas gets its inference function
// wrapped, once, in the checks it assumes; a node that fails them gets no inferred shape, which
// costs only the cross-check (edgert's own lowering reports the node). The registry hands out
// const schemas; the objects themselves are not const, so setting the function is well-defined.
void GuardConvPoolInference() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct Guarded {
      const char* op;
      int w;  // the weights' input, or -1
    };
    for (const Guarded& g :
         {Guarded{"Conv", 1}, Guarded{"ConvTranspose", 1}, Guarded{"ConvInteger", 1},
          Guarded{"QLinearConv", 3}, Guarded{"MaxPool", -1}, Guarded{"AveragePool", -1},
          Guarded{"LpPool", -1}}) {
      std::set<const onnx::OpSchema*> seen;
      for (int version = 1; version <= 30; ++version) {
        const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(g.op, version);
        if (!schema || !seen.insert(schema).second) continue;
        onnx::InferenceFunction original = schema->GetTypeAndShapeInferenceFunction();
        const int wi = g.w;
        const_cast<onnx::OpSchema*>(schema)->TypeAndShapeInferenceFunction(
            [original, wi](onnx::InferenceContext& ctx) {
              auto shape_of = [&ctx](int i) -> const onnx::TensorShapeProto* {
                if (i < 0 || static_cast<size_t>(i) >= ctx.getNumInputs()) return nullptr;
                const onnx::TypeProto* t = ctx.getInputType(static_cast<size_t>(i));
                return t && t->tensor_type().has_shape() ? &t->tensor_type().shape() : nullptr;
              };
              const onnx::TensorShapeProto* x = shape_of(0);
              const onnx::TensorShapeProto* w = shape_of(wi);
              if (x || w) {
                if (!x || (wi >= 0 && !w && !ctx.getAttribute("kernel_shape"))) return;
                const int rank = x->dim_size();
                if (rank < 3 || (w && w->dim_size() != rank)) return;
                for (const char* name :
                     {"kernel_shape", "strides", "dilations", "output_padding", "output_shape"})
                  if (const auto* a = ctx.getAttribute(name); a && a->ints_size() != rank - 2)
                    return;
                if (const auto* a = ctx.getAttribute("pads"); a && a->ints_size() != 2 * (rank - 2))
                  return;
              }
              if (original) original(ctx);
            });
      }
    }
  });
}

}  // namespace

Status Lowerer::InferOnnxShapes() {
  // The ONNX checker first: libonnx's shape inference is not safe on a model the checker
  // rejects (it crashes on a malformed ConvTranspose, for one). libonnx 1.12's checker also
  // insists on a `shape` field in every graph input and output type, which exporters (and the
  // ONNX IR itself) may leave out: the checked copy gets an empty one where it is missing.
  onnx::ModelProto copy = model_;
  for (auto* values :
       {copy.mutable_graph()->mutable_input(), copy.mutable_graph()->mutable_output()})
    for (auto& vi : *values)
      if (vi.type().has_tensor_type() && !vi.type().tensor_type().has_shape())
        vi.mutable_type()->mutable_tensor_type()->mutable_shape();
  try {
    onnx::checker::check_model(copy);
  } catch (const std::exception& e) {
    return FormatError(label_ + ": the ONNX checker rejects the model: " + e.what());
  }
  copy = model_;
  auto* g = copy.mutable_graph();
  g->clear_value_info();
  for (auto& vi : *g->mutable_input()) {
    auto it = values_.find(vi.name());
    if (it == values_.end() || it->second.is_const) continue;
    auto* shape = vi.mutable_type()->mutable_tensor_type()->mutable_shape();
    shape->clear_dim();
    for (int64_t d : it->second.shape) shape->add_dim()->set_dim_value(d);
  }
  // libonnx's conv/pool shape inference divides by strides and dilations (and others by group
  // or blocksize): a 0 there is a division by zero (SIGFPE) inside libonnx, found by
  // fuzz_onnx_import. Such a node is refused first, naming it.
  for (int i = 0; i < copy.graph().node_size(); ++i) {
    const Node& n = copy.graph().node(i);
    for (const auto& a : n.attribute()) {
      const std::string& an = a.name();
      if (an != "strides" && an != "dilations" && an != "kernel_shape" && an != "group" &&
          an != "blocksize")
        continue;
      std::vector<int64_t> vals(a.ints().begin(), a.ints().end());
      if (a.has_i()) vals.push_back(a.i());
      for (int64_t v : vals)
        if (v <= 0)
          return Status(StatusCode::kFormatError,
                        label_ + ": node '" +
                            (n.name().empty() ? "#" + std::to_string(i) : n.name()) + "' (" +
                            n.op_type() + "): attribute " + a.name() + " has " + std::to_string(v) +
                            "; every value must be >= 1");
    }
  }
  GuardConvPoolInference();
  try {
    onnx::ShapeInferenceOptions opts{false, 0, false};
    onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(), opts);
  } catch (const std::exception& e) {
    spdlog::debug("onnx shape inference failed ({}); skipping the cross-check", e.what());
    return Status::Ok();
  }
  for (const auto& vi : copy.graph().value_info()) {
    if (vi.type().has_tensor_type() && vi.type().tensor_type().elem_type() != 0)
      onnx_types_[vi.name()] = vi.type().tensor_type().elem_type();
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
  return Status::Ok();
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
  EDGERT_RETURN_IF_ERROR(InferOnnxShapes());

  std::vector<std::string> mismatches;
  // Nodes the dtype guard refuses are collected into one error; the nodes that read their
  // outputs are skipped (their inputs were never bound).
  std::vector<std::string> refused;
  std::set<std::string> unbound;
  for (int i = 0; i < g.node_size(); ++i) {
    const Node& n = g.node(i);
    cur_name_ = n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name();
    cur_op_ = n.op_type();
    bool skip = false;
    for (const auto& in : n.input()) skip = skip || unbound.count(in);
    Status guard = skip ? Status::Ok() : CheckInputDTypes(n);
    if (!guard.ok()) refused.push_back(guard.message());
    if (skip || !guard.ok()) {
      for (const auto& o : n.output()) unbound.insert(o);
      continue;
    }
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
  if (!refused.empty())
    return Unsupported(std::to_string(refused.size()) +
                       " node(s) have run-time inputs of a dtype their op does not accept: " +
                       Join(refused, "; "));
  if (!mismatches.empty())
    spdlog::warn("{}: shapes differ from onnx shape inference: {}", label_, Join(mismatches));
  EDGERT_RETURN_IF_ERROR(SetUpOutputs());
  Finish();
  return std::move(m_);
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

Status Lowerer::CheckInputDTypes(const Node& n) const {
  const OnnxOp* op = FindOnnxOp(n.op_type());
  // An op without a lowering runs on constants only; LowerNode says so.
  for (int k = 0; op && op->lower && k < n.input_size(); ++k) {
    if (!Has(n, k)) continue;
    auto it = values_.find(n.input(k));
    if (it == values_.end() || it->second.is_const) continue;
    const TensorType t = it->second.dtype;
    if (!(op->dtypes & DTypeBit(t)))
      return NotSupported("input " + std::to_string(k) + " '" + n.input(k) + "' is " +
                          DTypeName(t) + "; " + n.op_type() + " accepts " +
                          DTypeSetText(op->dtypes) + " run-time inputs");
  }
  return Status::Ok();
}

Status Lowerer::LowerNode(const Node& n) {
  const OnnxOp* op = FindOnnxOp(n.op_type());  // CheckSupported found every node's entry
  // Every supported op has an output, and the lowering functions read output(0): a node without
  // one (found by fuzz_onnx_import: Concat read past the end, a protobuf CHECK abort).
  if (n.output_size() < 1) return Bad("has no output");
  for (const ConstInput& ci : op->const_inputs)
    if (ci.required && Has(n, ci.index))
      EDGERT_RETURN_IF_ERROR(ConstIn(n, ci.index, ci.role).status());
  bool done = false;
  EDGERT_RETURN_IF_ERROR(Fold(n, &done));
  if (done) return Status::Ok();
  if (op->lower) return op->lower(*this, n);
  for (int k = 0; k < n.input_size(); ++k) {
    if (!Has(n, k)) continue;
    EDGERT_ASSIGN_OR_RETURN(const Value* v, In(n, k));
    if (!v->is_const)
      return NotSupported(n.op_type() + " is supported only on constants (input '" + n.input(k) +
                          "' is computed at run time)");
  }
  return NotSupported("no lowering for " + n.op_type());
}

Result<ModelDef> CompileOnnxBytes(const std::string& bytes, const std::string& label,
                                  const CompileConfig& config) {
  onnx::ModelProto model;
  if (bytes.empty()) return FormatError(label + ": the file is empty, not an ONNX model");
  if (!model.ParseFromString(bytes))
    return FormatError(label + ": not an ONNX model (the protobuf does not parse)");
  if (!model.has_graph() || model.graph().node_size() == 0)
    return FormatError(label + ": not an ONNX model, or an empty one (no graph nodes)");
  EDGERT_RETURN_IF_ERROR(CheckNamesAreUtf8(model.graph(), label));
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
  EDGERT_ASSIGN_OR_RETURN(std::string bytes,
                          app::ReadFileString(onnx_path, app::kMaxFileBytes, "", "ONNX model"));
  return CompileOnnxBytes(bytes, onnx_path, config);
}

}  // namespace edgert::compiler

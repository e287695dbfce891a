#pragma once

// The state of one ONNX -> edgert IR lowering (runtime/schema/IR.md), shared by the op family
// files (conv.cc, pool.cc, ...), the fusions (fusion.cc) and the input/output setup (io.cc).
//
// Layout model: every activation carries its logical (ONNX) shape and a permutation `perm`
// saying how it is stored (stored dim i = logical dim perm[i]). Ops that need a layout (Conv
// wants NHWC, Reshape wants the logical order) ask for it and get an IR Transpose only when the
// stored order differs; an ONNX Transpose itself never moves data, it only changes `perm`.

#include <onnx/onnx_pb.h>

#include <array>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model_compiler/compiler.h"
#include "model_compiler/graph_util.h"
#include "model_compiler/lower/reader.h"

namespace edgert::compiler {

using Node = onnx::NodeProto;

constexpr float kInf = std::numeric_limits<float>::infinity();
inline const Perm kNHWC = {0, 2, 3, 1};

// What an ONNX tensor name stands for during lowering.
struct Value {
  bool is_const = false;
  Const c;          // when is_const
  int tensor = -1;  // IR tensor of an activation
  Shape shape;      // logical (ONNX) shape
  Perm perm;        // storage order of an activation
  // The IR dtype of an activation (IR.md "Tensors and layout": ONNX bool is U8 0/1, int64 is
  // narrowed to S32); set from its tensor by SetAct.
  TensorType dtype = TensorType::kF32;
};

// The IR dtype of ONNX element type `t` for a run-time tensor (bool -> U8, int64 -> S32), or
// false when the IR has none for it.
bool IrDTypeOf(int onnx_type, TensorType* out);
// "F32", "U8", ... for messages.
const char* DTypeName(TensorType t);

// IR node attributes and constant tensor data.
AttrDef* FindIrAttr(NodeDef& n, const std::string& name);
float IrFloat(NodeDef& n, const std::string& name, float def);
void SetIrFloat(NodeDef& n, const std::string& name, float v);
std::vector<float> TensorFloats(const TensorDef& t);
void SetTensorFloats(TensorDef& t, const std::vector<float>& v);

class Lowerer;
// The operands of a broadcasting elementwise node (inputs 0.. of `n`, `values`) as IR tensors of
// the output's rank r, all in one stored order `target`: that of an activation operand of full
// rank (NHWC preferred). Lower-rank operands are numpy-aligned from the right by a Reshape;
// constants are materialized in `dtype`, the activations' (which must agree), except input
// `bool_input` (Where's condition, -1 for none), which is U8, and input `free_input` (Pow's
// exponent, -1 for none), which keeps its own dtype: an activation's, or for a constant S32 when
// it holds integers and F32 otherwise (elementwise.cc). With no typed activation (Pow of a
// constant base) `dtype` is that of input 0, chosen the same way.
struct BroadcastOperands {
  Perm target;
  std::vector<int> tensors;
  TensorType dtype = TensorType::kF32;
};
Result<BroadcastOperands> StoreBroadcastOperands(Lowerer& ctx, const Node& n,
                                                 const std::vector<const Value*>& values, size_t r,
                                                 int bool_input = -1, int free_input = -1);
// An IR Cast of IR tensor `tensor` (any layout) to dtype `to`, into a new tensor `out_name`
// made by node `node_name`; returns that tensor (logic.cc).
int EmitCast(Lowerer& ctx, int tensor, TensorType to, const std::string& out_name,
             const std::string& node_name);
// Explicit [top, left, bottom, right] pads of a 2-D conv or pool from pads/auto_pad (conv.cc).
Result<std::array<int64_t, 4>> ConvPads(Lowerer& ctx, const Node& n, const Shape& in_hw,
                                        const Shape& k, const Shape& strides, const Shape& dil);
// Lowers a conv or pool node through `lower2d`; a 1-D one (3-D input [N, C, L]) runs as 2-D with
// H = 1: its attributes and weight get an H dim, and reshapes that move no data wrap it (conv.cc).
Status LowerAs2D(Lowerer& ctx, const Node& n, Status (*lower2d)(Lowerer&, const Node&));

// One lowering, in one pass over the (topologically sorted) ONNX graph: each node is folded
// (every input constant and the op has a fold function in op_table.cc) or lowered into IR
// nodes. The members are public: the op family files are free functions over this state.
class Lowerer {
 public:
  Lowerer(const onnx::ModelProto& model, const CompileConfig& cfg, std::string label)
      : model_(model), cfg_(cfg), label_(std::move(label)) {}

  Result<ModelDef> Run();

  // ---- errors, naming the current node ----
  Status NodeError(StatusCode code, const std::string& msg) const {
    return Status(code, label_ + ": node '" + cur_name_ + "' (" + cur_op_ + "): " + msg);
  }
  Status Bad(const std::string& msg) const { return NodeError(StatusCode::kFormatError, msg); }
  Status NotSupported(const std::string& msg) const {
    return NodeError(StatusCode::kUnsupported, msg);
  }

  // ---- values ----
  bool Has(const Node& n, int k) const { return k < n.input_size() && !n.input(k).empty(); }
  Result<const Value*> In(const Node& n, int k) const;
  // Input k as a constant; `what` names it in the error when it is computed at run time.
  Result<Const> ConstIn(const Node& n, int k, const std::string& what) const;
  // Optional constant input k, converted; *out keeps its value when the input is absent.
  Status IntsIfGiven(const Node& n, int k, const std::string& what,
                     std::vector<int64_t>* out) const;
  Status FloatsIfGiven(const Node& n, int k, const std::string& what,
                       std::vector<float>* out) const;
  void SetConst(const std::string& name, Const c);
  // Binds ONNX name `name` to IR tensor `tensor`; the first name bound becomes its source.
  void SetAct(const std::string& name, int tensor, Shape shape, Perm perm);

  // ---- IR building ----
  std::string Unique(const std::string& base, std::set<std::string>& used);
  int NewTensor(const std::string& name, Shape stored, TensorType dtype = TensorType::kF32);
  int ConstTensor(const std::string& name, Shape stored, const std::vector<float>& data);
  // Constant `c` (logical order) transposed to `want`, as a tensor of `dtype` (integers are
  // converted from the exact int64 values, floats truncated toward zero; F16 rounded to nearest
  // even).
  int ConstTensorAs(const std::string& name, const Const& c, const Perm& want, TensorType dtype);
  int Emit(const std::string& name, const std::string& op, std::vector<int> inputs,
           std::vector<int> outputs, std::vector<AttrDef> attrs, const std::string& source_op);
  // The IR tensor holding `v` stored in order `want`: a constant is materialized, an activation
  // stored otherwise gets an IR Transpose (cached, so several consumers share one). A constant
  // is materialized as `const_dtype` (the dtype of the activation it meets).
  int Stored(const Value& v, const Perm& want, const std::string& hint,
             TensorType const_dtype = TensorType::kF32);
  // An activation or constant as an IR tensor in logical (row-major ONNX) order.
  int Logical(const Value& v, const std::string& hint, TensorType const_dtype = TensorType::kF32) {
    return Stored(v, IdentityPerm(v.shape.size()), hint, const_dtype);
  }
  // The IR node that produced `name` when it may absorb its consumer: the tensor has one ONNX
  // consumer, one ONNX name and is no graph output; else -1.
  int FusibleProducer(const std::string& name) const;
  // The bookkeeping FusibleProducer reads, for fusions that look through layout-only nodes:
  // the ONNX names bound to IR tensor t, its producing IR node (-1 for inputs and constants),
  // and whether ONNX value `name` is a graph output.
  int Aliases(int t) const { return aliases_[static_cast<size_t>(t)]; }
  int ProducerNode(int t) const { return producer_[static_cast<size_t>(t)]; }
  bool IsGraphOutput(const std::string& name) const { return graph_outputs_.count(name) > 0; }
  // How many node inputs and graph outputs read ONNX value `name`.
  int Uses(const std::string& name) const {
    auto it = uses_.find(name);
    return it == uses_.end() ? 0 : it->second;
  }
  // Makes ONNX name `out` refer to the output of fused node `node` (which produced `in`).
  void Rebind(const std::string& in, const std::string& out, int node, const std::string& op);

  const onnx::ModelProto& model_;
  const CompileConfig& cfg_;
  std::string label_;
  int64_t opset_ = 0;
  ModelDef m_;
  std::map<std::string, Value> values_;
  std::string cur_name_, cur_op_;

 private:
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
  // Runs the ONNX checker (a model it rejects is a format error: libonnx's shape inference is
  // not safe on such a model), then ONNX shape inference for the cross-check of shapes.
  Status InferOnnxShapes();
  // Folds the node (fold.cc) or lowers it through its op_table.cc entry.
  Status LowerNode(const Node& n);
  // Folds `n` when its entry has a fold function and its inputs allow it; *done says whether.
  Status Fold(const Node& n, bool* done);
  // The dtype guard: every run-time input's dtype is one the op's table entry accepts.
  Status CheckInputDTypes(const Node& n) const;
  void Finish();

  std::map<std::string, int> uses_;
  std::set<std::string> graph_outputs_;
  std::vector<int> producer_;  // IR tensor -> producing node, -1 for inputs and constants
  std::vector<int> aliases_;   // IR tensor -> ONNX names bound to it
  std::set<std::string> tensor_names_, node_names_;
  std::map<std::pair<int, Perm>, int> transposed_;
  std::map<std::string, Shape> onnx_shapes_;  // from onnx shape inference, for a cross-check

 public:
  // The IR dtype ONNX type inference gives value `name`; false when it gave none.
  bool OnnxDType(const std::string& name, TensorType* out) const {
    auto it = onnx_types_.find(name);
    return it != onnx_types_.end() && IrDTypeOf(it->second, out);
  }

 private:
  std::map<std::string, int> onnx_types_;  // ONNX element types from type inference
};

}  // namespace edgert::compiler

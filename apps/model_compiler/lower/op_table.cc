// The converter table (op_table.h). Adding an ONNX op: write its lowering (and, if it can be
// computed on constants, its folding) in the family file, declare it below, add one entry.
// runtime/schema/IR.md "Adding an op" lists the runtime side.

#include "model_compiler/lower/op_table.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {

// ---- the family files' functions ----
// activation.cc
Status LowerClamp(Lowerer& ctx, const Node& n);
Status LowerUnary(Lowerer& ctx, const Node& n);
Status LowerPRelu(Lowerer& ctx, const Node& n);
Status LowerSoftmax(Lowerer& ctx, const Node& n);
// conv.cc
Status LowerConv(Lowerer& ctx, const Node& n);
Status LowerConvTranspose(Lowerer& ctx, const Node& n);
Status LowerGemm(Lowerer& ctx, const Node& n);
// elementwise.cc
Status FoldBinary(Lowerer& ctx, const Node& n);
Status FoldUnaryMath(Lowerer& ctx, const Node& n);
Status FoldCompareOrMod(Lowerer& ctx, const Node& n);
Status FoldNot(Lowerer& ctx, const Node& n);
Status FoldWhere(Lowerer& ctx, const Node& n);
Status FoldScatterND(Lowerer& ctx, const Node& n);
Status LowerScatterND(Lowerer& ctx, const Node& n);
Status LowerBinary(Lowerer& ctx, const Node& n);
// logic.cc
Status LowerCompare(Lowerer& ctx, const Node& n);
Status LowerNot(Lowerer& ctx, const Node& n);
Status LowerWhere(Lowerer& ctx, const Node& n);
Status LowerCast(Lowerer& ctx, const Node& n);
// index.cc
Status LowerArgMinMax(Lowerer& ctx, const Node& n);
// matmul.cc
Status LowerMatMul(Lowerer& ctx, const Node& n);
Status FoldMatMul(Lowerer& ctx, const Node& n);
// normalization.cc
Status LowerBatchNorm(Lowerer& ctx, const Node& n);
Status LowerLayerNorm(Lowerer& ctx, const Node& n);
// pool.cc
Status LowerPool(Lowerer& ctx, const Node& n);
// reduce.cc
Status LowerReduce(Lowerer& ctx, const Node& n);
// resize.cc
Status LowerResize(Lowerer& ctx, const Node& n);
// shape.cc
Status FoldConstant(Lowerer& ctx, const Node& n);
Status FoldShape(Lowerer& ctx, const Node& n);
Status FoldConstantOfShape(Lowerer& ctx, const Node& n);
Status FoldIdentity(Lowerer& ctx, const Node& n);
Status FoldCast(Lowerer& ctx, const Node& n);
Status FoldGather(Lowerer& ctx, const Node& n);
Status FoldExpand(Lowerer& ctx, const Node& n);
Status FoldTile(Lowerer& ctx, const Node& n);
Status FoldRange(Lowerer& ctx, const Node& n);
Status LowerGather(Lowerer& ctx, const Node& n);
Status LowerExpand(Lowerer& ctx, const Node& n);
Status LowerTile(Lowerer& ctx, const Node& n);
Status FoldReshapeLike(Lowerer& ctx, const Node& n);
Status FoldTranspose(Lowerer& ctx, const Node& n);
Status FoldConcat(Lowerer& ctx, const Node& n);
Status FoldSlice(Lowerer& ctx, const Node& n);
Status LowerIdentity(Lowerer& ctx, const Node& n);
Status LowerTranspose(Lowerer& ctx, const Node& n);
Status LowerReshapeLike(Lowerer& ctx, const Node& n);
Status LowerConcat(Lowerer& ctx, const Node& n);
Status LowerSplit(Lowerer& ctx, const Node& n);
Status LowerSlice(Lowerer& ctx, const Node& n);
Status LowerPad(Lowerer& ctx, const Node& n);

namespace {

// The newest opset each entry was checked against (opset 18's ReduceMean, Pad and Split forms
// are handled; Resize 18 added keep_aspect_ratio_policy, which is not).
constexpr int kMax = 18;

std::vector<OnnxOp> MakeTable() {
  // One row per op: op, model opsets, lower, fold, fold_always, constant inputs, constraints.
  // clang-format off
  std::vector<OnnxOp> t = {
      {"Add", 7, kMax, LowerBinary, FoldBinary, false, {}, "numpy broadcasting", dt::kF32 | dt::kS32 | dt::kS16 | dt::kS8 | dt::kU8},
      {"ArgMax", 1, kMax, LowerArgMinMax, nullptr, false, {},
       "keepdims, select_last_index; an S32 output"},
      {"ArgMin", 1, kMax, LowerArgMinMax, nullptr, false, {},
       "keepdims, select_last_index; an S32 output"},
      {"AveragePool", 7, kMax, LowerPool, nullptr, false, {},
       "1-D or 2-D (3-D or 4-D input); pads, auto_pad, ceil_mode, count_include_pad; no "
       "dilations"},
      {"BatchNormalization", 9, kMax, LowerBatchNorm, nullptr, false,
       {{1, "scale"}, {2, "B"}, {3, "mean"}, {4, "var"}},
       "inference form folded into the Conv/ConvTranspose before it when that has no other "
       "reader; training_mode 1 (opset 14+): batch statistics, running_mean and running_var "
       "outputs"},
      {"Cast", 6, kMax, LowerCast, FoldCast, false, {},
       "between FLOAT, FLOAT16, INT8/16/32/64, UINT8 and BOOL (INT64 narrowed to S32; to BOOL from "
       "FLOAT, INT32/64, UINT8, BOOL)", dt::kAny},
      {"Clip", 6, kMax, LowerClamp, nullptr, false, {{1, "min"}, {2, "max"}},
       "fused into the producer when it can be", dt::kF32 | dt::kS32 | dt::kS16 | dt::kS8 | dt::kU8},
      {"Concat", 4, kMax, LowerConcat, FoldConcat, false, {}, "", dt::kAny},
      {"Constant", 1, kMax, nullptr, FoldConstant, true, {}, "value, value_float(s), value_int(s)"},
      {"ConstantOfShape", 9, kMax, nullptr, FoldConstantOfShape, false, {{0, "the shape"}},
       "folded (constants only)"},
      {"Conv", 1, kMax, LowerConv, nullptr, false, {{1, "the weight"}, {2, "the bias"}},
       "1-D or 2-D (3-D or 4-D input); groups, depthwise, dilations, pads, auto_pad"},
      {"ConvTranspose", 1, kMax, LowerConvTranspose, nullptr, false,
       {{1, "the weight"}, {2, "the bias"}},
       "1-D or 2-D (3-D or 4-D input); groups, dilations, pads, auto_pad, output_padding, "
       "output_shape"},
      {"Div", 7, kMax, LowerBinary, FoldBinary, false, {}, "numpy broadcasting", dt::kF32 | dt::kS32 | dt::kS16 | dt::kS8 | dt::kU8},
      {"Dropout", 1, kMax, LowerIdentity, FoldIdentity, false,
       {{1, "ratio", false}, {2, "training_mode"}},
       "inference: the data output is the input, the mask a constant all true; training_mode "
       "false (or true with ratio 0)", dt::kAny},
      {"Expand", 8, kMax, LowerExpand, FoldExpand, false, {{1, "the shape"}},
       "numpy broadcasting both ways", dt::kAny},
      {"Flatten", 1, kMax, LowerReshapeLike, FoldReshapeLike, false, {}, "", dt::kAny},
      {"Gather", 1, kMax, LowerGather, FoldGather, false, {{1, "indices"}},
       "data a run-time tensor or a constant", dt::kAny},
      {"Gemm", 7, kMax, LowerGemm, nullptr, false, {{1, "B"}, {2, "C", false}},
       "2-D; C a constant broadcasting along N, or a run-time MxN tensor with beta 1"},
      {"GlobalAveragePool", 1, kMax, LowerPool, nullptr, false, {}, "3-D or 4-D input"},
      {"GlobalMaxPool", 1, kMax, LowerPool, nullptr, false, {}, "3-D or 4-D input"},
      {"HardSigmoid", 6, kMax, LowerUnary, nullptr, false, {}, ""},
      {"HardSwish", 14, kMax, LowerUnary, nullptr, false, {}, ""},
      {"Identity", 1, kMax, LowerIdentity, FoldIdentity, false, {}, "", dt::kAny},
      {"LeakyRelu", 6, kMax, LowerUnary, nullptr, false, {}, ""},
      {"MatMul", 1, kMax, LowerMatMul, FoldMatMul, false, {{1, "B", false}},
       "numpy matmul, batch dims broadcast; a 2-D constant B runs as FullyConnected"},
      {"MaxPool", 1, kMax, LowerPool, nullptr, false, {},
       "1-D or 2-D (3-D or 4-D input); pads, auto_pad, ceil_mode, dilations; no Indices "
       "output", dt::kF32 | dt::kS32 | dt::kS16 | dt::kS8 | dt::kU8},
      {"Mul", 7, kMax, LowerBinary, FoldBinary, false, {},
       "numpy broadcasting; x*sigmoid(x) becomes one Swish node", dt::kF32 | dt::kS32 | dt::kS16 | dt::kS8 | dt::kU8},
      {"Pad", 2, kMax, LowerPad, nullptr, false, {{1, "pads"}, {2, "constant_value"}, {3, "axes"}},
       "constant, reflect and edge modes", dt::kAny},
      {"PRelu", 6, kMax, LowerPRelu, nullptr, false, {{1, "slope", false}},
       "slope broadcasts to X (numpy; at opset 6 a [C] slope is one per channel)"},
      {"ReduceMean", 1, kMax, LowerReduce, nullptr, false, {{1, "axes"}},
       "keepdims, noop_with_empty_axes"},
      {"Range", 11, kMax, nullptr, FoldRange, false, {{0, "start"}, {1, "limit"}, {2, "delta"}},
       "folded (constants only)"},
      {"Relu", 6, kMax, LowerClamp, nullptr, false, {}, "fused into the producer when it can be"},
      {"Reshape", 1, kMax, LowerReshapeLike, FoldReshapeLike, false, {{1, "the shape"}},
       "allowzero", dt::kAny},
      {"Resize", 10, 17, LowerResize, nullptr, false,
       {{1, "roi (scales at opset 10)"}, {2, "scales"}, {3, "sizes"}},
       "4-D, H and W only; nearest, linear and cubic; every coordinate mode (tf_crop_and_resize: "
       "roi crops H and W only); no antialias or axes"},
      {"Shape", 1, kMax, nullptr, FoldShape, true, {}, "folded: needs a static input shape",
       dt::kAny},
      {"Sigmoid", 6, kMax, LowerUnary, nullptr, false, {}, ""},
      {"Slice", 1, kMax, LowerSlice, FoldSlice, false,
       {{1, "starts"}, {2, "ends"}, {3, "axes"}, {4, "steps"}}, "", dt::kAny},
      {"Softmax", 1, kMax, LowerSoftmax, nullptr, false, {}, "any axis"},
      {"Split", 2, kMax, LowerSplit, nullptr, false, {{1, "split"}}, "", dt::kAny},
      {"Squeeze", 1, kMax, LowerReshapeLike, FoldReshapeLike, false, {{1, "axes"}}, "", dt::kAny},
      {"Sub", 7, kMax, LowerBinary, FoldBinary, false, {}, "numpy broadcasting", dt::kF32 | dt::kS32 | dt::kS16 | dt::kS8 | dt::kU8},
      {"Tanh", 6, kMax, LowerUnary, nullptr, false, {}, ""},
      {"Tile", 6, kMax, LowerTile, FoldTile, false, {{1, "repeats"}}, "", dt::kAny},
      {"Transpose", 1, kMax, LowerTranspose, FoldTranspose, false, {},
       "moves no data by itself: consumers read the stored order they need", dt::kAny},
      {"Unsqueeze", 1, kMax, LowerReshapeLike, FoldReshapeLike, false, {{1, "axes"}}, "",
       dt::kAny},
      {"Upsample", 7, kMax, LowerResize, nullptr, false, {{1, "scales"}},
       "as Resize, asymmetric coordinates"},
      // Issue 14, elementwise family (ops-elem).
      {"Equal", 7, kMax, LowerCompare, FoldCompareOrMod, false, {}, "numpy broadcasting; a BOOL "
       "output", dt::kF32 | dt::kS32 | dt::kU8},
      {"Greater", 7, kMax, LowerCompare, FoldCompareOrMod, false, {}, "numpy broadcasting; a BOOL "
       "output", dt::kF32 | dt::kS32},
      {"Less", 7, kMax, LowerCompare, FoldCompareOrMod, false, {}, "numpy broadcasting; a BOOL "
       "output", dt::kF32 | dt::kS32},
      {"Mod", 10, kMax, LowerBinary, FoldCompareOrMod, false, {}, "fmod; F32 and F16 need fmod 1", dt::kF32 | dt::kF16 | dt::kS32 | dt::kS16 | dt::kS8 | dt::kU8},
      {"Not", 1, kMax, LowerNot, FoldNot, false, {}, "", dt::kU8},
      {"Where", 9, kMax, LowerWhere, FoldWhere, false, {}, "numpy broadcasting of the three",
       dt::kF32 | dt::kS32 | dt::kU8},
      {"ScatterND", 11, kMax, LowerScatterND, FoldScatterND, false, {},
       "every reduction; S32 indices (INT64 narrowed)", dt::kF32 | dt::kS32 | dt::kS16 | dt::kS8 | dt::kU8},
      {"Abs", 6, kMax, LowerUnary, FoldUnaryMath, false, {}, "float run-time tensors"},
      {"Erf", 9, kMax, LowerUnary, FoldUnaryMath, false, {}, "part of a fused GELU when it can be"},
      {"Exp", 6, kMax, LowerUnary, FoldUnaryMath, false, {}, ""},
      {"LayerNormalization", 17, kMax, LowerLayerNorm, nullptr, false, {},
       "scale and B of shape X.shape[axis:] (constants may broadcast); Mean and InvStdDev outputs"},
      {"Log", 6, kMax, LowerUnary, FoldUnaryMath, false, {}, ""},
      {"Neg", 6, kMax, LowerUnary, FoldUnaryMath, false, {}, "float run-time tensors"},
      {"Pow", 7, kMax, LowerBinary, FoldBinary, false, {},
       "numpy broadcasting; base F32 or S32, exponent of any dtype; part of a fused LayerNorm when it can be",
       dt::kF32 | dt::kS32 | dt::kS16 | dt::kS8 | dt::kU8},
      {"Reciprocal", 6, kMax, LowerUnary, FoldUnaryMath, false, {}, ""},
      {"ReduceMax", 1, kMax, LowerReduce, nullptr, false, {{1, "axes"}}, "keepdims, noop_with_empty_axes"},
      {"ReduceMin", 1, kMax, LowerReduce, nullptr, false, {{1, "axes"}}, "keepdims, noop_with_empty_axes"},
      {"ReduceSum", 1, kMax, LowerReduce, nullptr, false, {{1, "axes"}}, "keepdims, noop_with_empty_axes"},
      {"Sqrt", 6, kMax, LowerUnary, FoldUnaryMath, false, {}, ""},
  };
  // clang-format on
  std::sort(t.begin(), t.end(),
            [](const OnnxOp& a, const OnnxOp& b) { return std::string(a.op) < b.op; });
  return t;
}

std::string ConstInputsText(const OnnxOp& op) {
  std::string s;
  for (const ConstInput& c : op.const_inputs)
    s += std::string(s.empty() ? "" : ", ") + std::to_string(c.index) + " " + c.role +
         (c.required ? "" : " (or run-time)");
  return s;
}

std::string Opsets(const OnnxOp& op) {
  return std::to_string(op.opset_min) + "-" + std::to_string(op.opset_max);
}

// The constraints with the run-time dtypes when the op takes more than F32.
std::string Constraints(const OnnxOp& op) {
  std::string c = op.constraints;
  if (op.dtypes != dt::kF32)
    c += std::string(c.empty() ? "" : "; ") + "run-time inputs " + DTypeSetText(op.dtypes);
  return c;
}

// How the op runs: in the engine, folded on constants, or both.
const char* Kind(const OnnxOp& op) {
  if (!op.lower) return "folded";
  return op.fold ? "lowered; folded on constants" : "lowered";
}

}  // namespace

std::string DTypeSetText(DTypeSet s) {
  std::vector<std::string> names;
  for (TensorType t : {TensorType::kF32, TensorType::kF16, TensorType::kS32, TensorType::kS16,
                       TensorType::kS8, TensorType::kU8})
    if (s & DTypeBit(t)) names.push_back(DTypeName(t));
  return Join(names);
}

const std::vector<OnnxOp>& OnnxOpTable() {
  static const std::vector<OnnxOp> table = MakeTable();
  return table;
}

const OnnxOp* FindOnnxOp(const std::string& op) {
  const auto& t = OnnxOpTable();
  auto it = std::lower_bound(t.begin(), t.end(), op,
                             [](const OnnxOp& e, const std::string& k) { return e.op < k; });
  return it != t.end() && it->op == op ? &*it : nullptr;
}

std::vector<std::string> SupportedOnnxOps() {
  std::vector<std::string> ops;
  for (const OnnxOp& op : OnnxOpTable()) ops.push_back(op.op);
  return ops;
}

std::string FormatOpList(OpListFormat format) {
  std::ostringstream os;
  if (format == OpListFormat::kJson) {
    nlohmann::json ops = nlohmann::json::array();
    for (const OnnxOp& op : OnnxOpTable()) {
      nlohmann::json inputs = nlohmann::json::array();
      for (const ConstInput& c : op.const_inputs)
        inputs.push_back({{"index", c.index}, {"role", c.role}, {"required", c.required}});
      ops.push_back({{"op", op.op},
                     {"opset_min", op.opset_min},
                     {"opset_max", op.opset_max},
                     {"lowered", op.lower != nullptr},
                     {"folded", op.fold != nullptr},
                     {"constant_inputs", inputs},
                     {"constraints", op.constraints},
                     {"dtypes", DTypeSetText(op.dtypes)}});
    }
    os << nlohmann::json{{"domain", "ai.onnx"}, {"ops", ops}}.dump(2) << "\n";
  } else if (format == OpListFormat::kMarkdown) {
    os << "| ONNX op | opsets | runs | constant inputs | constraints |\n"
       << "| --- | --- | --- | --- | --- |\n";
    for (const OnnxOp& op : OnnxOpTable())
      os << "| " << op.op << " | " << Opsets(op) << " | " << Kind(op) << " | "
         << ConstInputsText(op) << " | " << Constraints(op) << " |\n";
  } else {
    os << "ONNX ops (domain ai.onnx) that model_compiler supports: op, model opsets, how it runs, "
          "inputs that must be constants, constraints\n";
    for (const OnnxOp& op : OnnxOpTable()) {
      os << op.op << "  opset " << Opsets(op) << "  " << Kind(op);
      if (!op.const_inputs.empty()) os << "  constant: " << ConstInputsText(op);
      if (!Constraints(op).empty()) os << "  - " << Constraints(op);
      os << "\n";
    }
  }
  return os.str();
}

}  // namespace edgert::compiler

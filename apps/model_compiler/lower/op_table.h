#pragma once

// The converter table: every ONNX op the compiler supports, with the opsets it handles, its
// lowering and folding functions, the inputs that must be constants and its constraints. The
// compiler's support check, `model_compiler --list_ops`, the README op table and the node
// conformance test's applicability check all read this table (op_table.cc).

#include <cstdint>
#include <string>
#include <vector>

#include "edgert/status.h"
#include "edgert/tensor_desc.h"

namespace onnx {
class NodeProto;
}  // namespace onnx

namespace edgert::compiler {

class Lowerer;

// Lowers one node into IR nodes. Its constant inputs are already checked (OnnxOp::const_inputs).
using LowerFn = Status (*)(Lowerer& ctx, const onnx::NodeProto& n);
// Folds one node whose inputs are all constants (or, with fold_always, whatever they are) into
// constant values of its outputs.
using FoldFn = Status (*)(Lowerer& ctx, const onnx::NodeProto& n);

// An input the op reads at compile time.
struct ConstInput {
  int index;         // input position
  const char* role;  // what it is, for messages ("the weight")
  // false: a run-time tensor is accepted too, within the op's constraints (a constant is folded
  // into the IR node, so the conformance test bakes it)
  bool required = true;
};

// The dtypes an op accepts on its run-time inputs: one bit per IR TensorType.
using DTypeSet = uint32_t;
constexpr DTypeSet DTypeBit(TensorType t) { return 1u << static_cast<unsigned>(t); }
namespace dt {
constexpr DTypeSet kF32 = DTypeBit(TensorType::kF32);
constexpr DTypeSet kF16 = DTypeBit(TensorType::kF16);
constexpr DTypeSet kS32 = DTypeBit(TensorType::kS32);
constexpr DTypeSet kS16 = DTypeBit(TensorType::kS16);
constexpr DTypeSet kS8 = DTypeBit(TensorType::kS8);
constexpr DTypeSet kU8 = DTypeBit(TensorType::kU8);  // also ONNX bool (0/1)
constexpr DTypeSet kAny = kF32 | kF16 | kS32 | kS16 | kS8 | kU8;
}  // namespace dt
// "F32, S32" for messages and --list_ops.
std::string DTypeSetText(DTypeSet s);

struct OnnxOp {
  const char* op;  // ONNX op type, domain ai.onnx
  int opset_min;   // the model opsets (ai.onnx opset_import) whose form of the op is handled
  int opset_max;
  LowerFn lower;             // nullptr: the op exists only on constants (it must fold)
  FoldFn fold;               // nullptr: never folded; ops on constants then run in the engine
  bool fold_always = false;  // fold even with run-time inputs (Shape reads only their shapes)
  std::vector<ConstInput> const_inputs;
  const char* constraints;  // one line for --list_ops and the README ("" for none)
  // The dtypes every run-time input may have (the lowerer refuses others before lowering, so
  // no lowering treats an integer tensor as F32). Enabling an integer kernel is adding its bit.
  DTypeSet dtypes = dt::kF32;
};

// Every supported op, sorted by name.
const std::vector<OnnxOp>& OnnxOpTable();
// The entry for `op`, or nullptr.
const OnnxOp* FindOnnxOp(const std::string& op);
// The supported op names, sorted.
std::vector<std::string> SupportedOnnxOps();

enum class OpListFormat { kText, kMarkdown, kJson };
// The table for people: plain text (one op per line), the README's Markdown table, or JSON.
std::string FormatOpList(OpListFormat format);

}  // namespace edgert::compiler

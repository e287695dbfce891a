#pragma once

// Fusions, applied while lowering: the consumer's lowering function offers itself to the IR
// node that produced its input, and the pass either absorbs it (true) or leaves the graph alone
// (false). A producer may absorb a consumer only when the tensor between them has no other
// reader and is no graph output (Lowerer::FusibleProducer).
//
// Subgraph fusions (LayerNorm written out, GELU) are matched at the subgraph's last node, walking
// back through the ONNX producers; each inner value must have exactly the readers the pattern
// gives it and be no graph output. The IR nodes already emitted for the inner nodes then have no
// reader left and Lowerer::Finish drops them.

#include <string>
#include <vector>

#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {

// Relu/Clip: clamps to [lo, hi] inside the producer of n's input 0 (an op with an activation
// range, or another Clamp).
bool FuseClampIntoProducer(Lowerer& ctx, const Node& n, float lo, float hi);

// BatchNormalization y = x * scale + shift (per channel, already combined from its inputs):
// folded into the weights and bias of the Conv2D or ConvTranspose2D producing x, when that
// conv has no fused activation yet.
bool FuseBatchNormIntoConv(Lowerer& ctx, const Node& n, const std::vector<float>& scale,
                           const std::vector<float>& shift);

// Mul(a, b) where one side is Sigmoid of the other: the Sigmoid node becomes Swish.
bool FuseSwish(Lowerer& ctx, const Node& n, const Value& a, const Value& b);

// Div(d, Sqrt(Add(ReduceMean(Pow(d, 2)), eps))) with d = Sub(x, ReduceMean(x)), both means over
// the same trailing axes, eps a constant scalar, Pow's exponent exactly 2 (PyTorch's opset < 17
// LayerNorm): one LayerNorm node of x with scale 1 and no bias. Returns false, changing
// nothing, on any other graph.
Result<bool> FuseLayerNorm(Lowerer& ctx, const Node& n);

// Mul or Add of a LayerNorm node's output (its only reader) and a constant that varies only
// along the normalized axes: folded into the node's scale (Mul; only while it has no bias) or
// bias (Add; only when it has none yet).
bool FuseLayerNormAffine(Lowerer& ctx, const Node& n, const Value& a, const Value& b);

// Add or Mul of a FullyConnected node's output (its only reader, also through Transposes that
// moved no data: ConvNeXt's layer scale follows the permute back to NCHW) and a constant that
// varies only along FC's output channels: Add folds into the bias, Mul into the weight rows and
// the bias. Only on f32 FC nodes without a fused activation range. torch exports Linear on
// inputs of rank > 2 as MatMul + Add, so every such Linear's bias is one of these Adds.
bool FuseFullyConnectedAffine(Lowerer& ctx, const Node& n, const Value& a, const Value& b);

// GELU written out, matched at its last Mul: the erf form 0.5 * x * (1 + Erf(x / sqrt(2))) (or
// x * 0.7071...; the 0.5 multiplied first or last) and the tanh form
// 0.5 * x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3))), x^3 as Pow(x, 3) or x*x*x: one Gelu
// node (approximate "none" or "tanh"). Returns false, changing nothing, on any other graph.
Result<bool> FuseGelu(Lowerer& ctx, const Node& n);

// Emits LayerNorm over the logical axes axis..rank-1 of x into ONNX value `out`
// (normalization.cc). scale/bias may be nullptr (ones / none); constants broadcast to
// x.shape[axis:], run-time tensors must have that shape.
Status EmitLayerNorm(Lowerer& ctx, const Value& x, int64_t axis, const Value* scale,
                     const Value* bias, float eps, const std::string& out,
                     const std::string& source_op);

}  // namespace edgert::compiler

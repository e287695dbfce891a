#pragma once

// Fusions, applied while lowering: the consumer's lowering function offers itself to the IR
// node that produced its input, and the pass either absorbs it (true) or leaves the graph alone
// (false). A producer may absorb a consumer only when the tensor between them has no other
// reader and is no graph output (Lowerer::FusibleProducer).
//
// Subgraph fusions of the next op set (LayerNorm written out as ReduceMean, Sub, Pow, ReduceMean,
// Add, Sqrt, Div, Mul, Add; GELU as x*0.5*(1+erf(x/sqrt(2))) or its tanh form) belong here as
// well: a function matched at the subgraph's last node, called from that op's lowering, walking
// back through FusibleProducer.

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

}  // namespace edgert::compiler

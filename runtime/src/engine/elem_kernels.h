#pragma once

// Portable f32 kernels of the elementwise family added for transformers (elem_kernels.cc):
// Sqrt, Reciprocal, Exp, Log, Abs, Neg, Erf, Gelu and LayerNorm (runtime/schema/IR.md "Ops").
// The portable provider registers every entry of ElemKernels() in its own table.

#include <vector>

#include "engine/kernel.h"

namespace edgert::engine {

// The (op, dtype, factory) entries of this file, in no particular order.
std::vector<KernelRegistration> ElemKernels();

}  // namespace edgert::engine

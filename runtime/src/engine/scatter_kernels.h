#pragma once

// Portable ScatterND kernel (scatter_kernels.cc): a copy of data with slices replaced by (or
// reduced with: add, mul, max, min) updates at S32 index tuples, negative indices counting from
// the end (runtime/schema/IR.md "Ops"). Data F32, S32, S16, S8 or U8. The portable provider
// registers every entry of ScatterKernels().

#include <vector>

#include "engine/kernel.h"

namespace edgert::engine {

// The (op, dtype, factory) entries of this file, in no particular order.
std::vector<KernelRegistration> ScatterKernels();

}  // namespace edgert::engine

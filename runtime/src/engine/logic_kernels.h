#pragma once

// Portable kernels of the comparisons, logic and casts (logic_kernels.cc): Equal, Greater, Less
// (F32, S32; Equal also U8) giving U8 0/1, Not (U8), Where (U8 condition; F32, S32 or U8
// branches, any dtype of one element size really) and Cast between F32, F16, S32, S16, S8 and U8
// (runtime/schema/IR.md "Ops"). The portable provider registers every entry of LogicKernels().

#include <vector>

#include "engine/kernel.h"

namespace edgert::engine {

// The (op, dtype, factory) entries of this file, in no particular order.
std::vector<KernelRegistration> LogicKernels();

}  // namespace edgert::engine

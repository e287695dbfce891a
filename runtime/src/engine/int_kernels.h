#pragma once

// Portable kernels for the integer dtypes (S32, S16, S8, U8) of existing ops (int_kernels.cc):
// Add, Sub, Mul, Div, Mod, Clamp, MaxPool2D, and Pow for every base/exponent dtype pair
// (runtime/schema/IR.md "Integer tensors"). They serve nodes of precision Float only: a node of
// precision Int8 is the int8 provider's (quantized S8), and these kernels decline it.

#include <cstdint>
#include <vector>

#include "engine/kernel.h"

namespace edgert::engine {

// The (op, dtype, factory) entries of this file, in no particular order.
std::vector<KernelRegistration> IntKernels();

// The element_size bytes of a constant Pad's fill `value` (a float attribute) in `dtype`: F32 as
// is; an integer dtype takes it exactly, an error (ctx.Error) when it is not a whole number in
// the dtype's range; any other dtype pads with zero bytes only.
Status PadFillBytes(const NodeContext& ctx, fb::DType dtype, float value, uint8_t fill[8]);

}  // namespace edgert::engine

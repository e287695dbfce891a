#pragma once

// The portable provider's kernels for the tensor ops of issue 14 (tensor_kernels.cc): MatMul of
// two run-time tensors, Gather, Expand, Tile, ArgMax, ArgMin. Registered by the portable provider
// (portable_kernels.cc).

#include <vector>

#include "engine/kernel.h"

namespace edgert::engine {

// Every (op, dtype) of tensor_kernels.cc with its factory.
std::vector<KernelRegistration> TensorKernels();

// The batch geometry of a MatMul node (IR.md): a [..., M, K], b [..., K, N], y [..., M, N] of one
// rank >= 2, the batch dims broadcasting numpy-style. Shared by every provider.
struct MatMulGeometry {
  int64_t m = 0, k = 0, n = 0;
  std::vector<int64_t> batch;  // y's batch dims
  // Per y batch (row-major over `batch`), the element offsets of its a and b matrices.
  std::vector<int64_t> a_offset, b_offset;
};
// Reads and checks the geometry; errors (ctx.Error) name the shapes at fault.
Status ReadMatMulGeometry(const NodeContext& ctx, MatMulGeometry* g);

}  // namespace edgert::engine

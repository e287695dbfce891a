#pragma once

// Load-time bounds on a model's memory (issue 15): before the session plans or allocates
// anything, every node's output shapes are checked against what its op computes from its
// inputs and attributes (runtime/schema/IR.md "Ops"), so that a tensor cannot claim more bytes
// than its producer writes; then the arena's size is compared with a working-memory limit.

#include <cstddef>
#include <cstdint>
#include <string>

#include "edgert/status.h"
#include "engine/kernel.h"

namespace edgert::engine {

// Checks node `ctx`'s input/output counts and output shapes (and the dtypes an op fixes) by its
// op's rule, with checked arithmetic. Every OpType has a rule; an op without one is refused, so
// a new op cannot skip the check. Errors are ctx.Error messages: the node, the tensor, expected
// vs actual. A linear pass: no allocation proportional to tensor sizes.
Status CheckNodeShapes(const NodeContext& ctx);

// The working-memory limit in bytes: EDGERT_MAX_WORKING_MB (a positive whole number of MiB)
// when set, else half of physical memory. kInvalidArgument names the variable when it is set to
// anything else.
Result<uint64_t> WorkingMemoryLimit();

// "123.4 MiB (129394278 bytes)", for messages about memory.
std::string DescribeBytes(uint64_t bytes);

}  // namespace edgert::engine

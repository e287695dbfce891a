#pragma once

// The XNNPACK glue shared by the f32 provider (xnnpack_kernels.cc) and the int8 provider's
// XNNPACK kernels (int8_kernels.cc): one initialization per process, status names and checks,
// and the base of every kernel that owns one XNNPACK operator. Only these three files call
// XNNPACK.

#include <xnnpack.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/kernel.h"

namespace edgert::engine {

// "invalid parameter", ...
const char* XnnStatusName(xnn_status s);

// What XNNPACK rejecting a node's parameters (or failing to initialize) means for the node.
enum class XnnRejection {
  kDecline,  // kUnsupported: the next provider may run the node
  kError,    // kEngineError: no other provider has the node's kernel
};

// A kernel that owns one XNNPACK operator: Setup creates and sets it up (shapes and pointers are
// fixed then), Run runs it, the destructor deletes it.
class XnnKernel : public Kernel {
 public:
  explicit XnnKernel(XnnRejection rejection) : rejection_(rejection) {}
  ~XnnKernel() override;
  Status Run(pthreadpool_t pool) override;

 protected:
  // Initializes XNNPACK (once per process), remembers the node for Run's errors and checks the
  // node's arity (NodeContext::CheckArity). Every Setup starts here.
  Status Begin(const NodeContext& ctx, size_t min_in, size_t max_in, size_t outs);
  // OK for xnn_status_success; otherwise an error naming `call`, or a decline where XNNPACK
  // rejected the parameters and this kernel declines rejections.
  Status Check(const NodeContext& ctx, xnn_status s, const char* call) const;
  // t's bytes, or a copy with XNN_EXTRA_BYTES of slack when the mapped constant ends too close
  // to the end of the file for XNNPACK's over-reads (NodeContext::OverreadSafe). One copy per
  // kernel: has_copy() tells whether it is taken.
  const uint8_t* Readable(const NodeContext& ctx, const TensorRef& t);
  bool has_copy() const { return !copy_.empty(); }

  xnn_operator_t op_ = nullptr;

 private:
  XnnRejection rejection_;
  std::string where_;
  std::vector<uint8_t> copy_;
};

// Returns from the calling Setup unless XNNPACK call `call` succeeds (XnnKernel::Check).
#define XNN_CALL(ctx, call) EDGERT_RETURN_IF_ERROR(Check(ctx, call, #call))

}  // namespace edgert::engine

#include "engine/xnnpack_common.h"

#include <cstring>
#include <mutex>

namespace edgert::engine {
namespace {

// xnn_initialize is thread-safe but is called once per process anyway.
xnn_status InitXnnpack() {
  static std::once_flag once;
  static xnn_status status = xnn_status_uninitialized;
  std::call_once(once, [] { status = xnn_initialize(nullptr); });
  return status;
}

}  // namespace

const char* XnnStatusName(xnn_status s) {
  switch (s) {
    case xnn_status_success:
      return "success";
    case xnn_status_uninitialized:
      return "uninitialized";
    case xnn_status_invalid_parameter:
      return "invalid parameter";
    case xnn_status_invalid_state:
      return "invalid state";
    case xnn_status_unsupported_parameter:
      return "unsupported parameter";
    case xnn_status_unsupported_hardware:
      return "unsupported hardware";
    case xnn_status_out_of_memory:
      return "out of memory";
  }
  return "unknown status";
}

XnnKernel::~XnnKernel() {
  if (op_) xnn_delete_operator(op_);
}

Status XnnKernel::Run(pthreadpool_t pool) {
  const xnn_status s = xnn_run_operator(op_, pool);
  if (s != xnn_status_success)
    return EngineError(where_ + ": xnn_run_operator failed: " + XnnStatusName(s));
  return Status::Ok();
}

Status XnnKernel::Begin(const NodeContext& ctx, size_t min_in, size_t max_in, size_t outs) {
  where_ = ctx.Where();
  const xnn_status s = InitXnnpack();
  if (s != xnn_status_success) {
    const std::string msg = std::string("xnnpack: xnn_initialize failed: ") + XnnStatusName(s);
    return rejection_ == XnnRejection::kDecline ? ctx.Decline(msg) : ctx.Error(msg);
  }
  return ctx.CheckArity(min_in, max_in, outs);
}

Status XnnKernel::Check(const NodeContext& ctx, xnn_status s, const char* call) const {
  if (s == xnn_status_success) return Status::Ok();
  const std::string msg = std::string("xnnpack: ") + call + " failed: " + XnnStatusName(s);
  const bool rejected = s == xnn_status_invalid_parameter ||
                        s == xnn_status_unsupported_parameter ||
                        s == xnn_status_unsupported_hardware;
  if (rejected && rejection_ == XnnRejection::kDecline) return ctx.Decline(msg);
  return ctx.Error(msg);
}

const uint8_t* XnnKernel::Readable(const NodeContext& ctx, const TensorRef& t) {
  if (ctx.OverreadSafe(t)) return t.data;
  copy_.assign(t.bytes() + XNN_EXTRA_BYTES, 0);
  std::memcpy(copy_.data(), t.data, t.bytes());
  return copy_.data();
}

}  // namespace edgert::engine

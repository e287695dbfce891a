#pragma once

#include <optional>
#include <string>
#include <utility>

namespace edgert {

// Errors are grouped by cause, so tools can map them and users can tell whose fault it is.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // a caller passed something the API contract forbids
  kFileError,        // a file could not be opened, read, mapped or written
  kFormatError,      // a model file is malformed, corrupt, truncated or foreign
  kInputError,       // input data has the wrong size, shape or content
  kEngineError,      // a kernel failed to set up or run
  kUnsupported,      // an op, type or feature this build does not handle
};

// Returns a short lowercase name such as "format error".
const char* StatusCodeName(StatusCode code);

// The result of an operation that returns nothing. Cheap to copy when ok.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "format error: model.bin: checksum mismatch ..." or "ok".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status FileError(std::string m) { return Status(StatusCode::kFileError, std::move(m)); }
inline Status FormatError(std::string m) { return Status(StatusCode::kFormatError, std::move(m)); }
inline Status InputError(std::string m) { return Status(StatusCode::kInputError, std::move(m)); }
inline Status EngineError(std::string m) { return Status(StatusCode::kEngineError, std::move(m)); }
inline Status Unsupported(std::string m) { return Status(StatusCode::kUnsupported, std::move(m)); }
inline Status InvalidArgument(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status(StatusCode::kInvalidArgument, "Result built from ok Status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace edgert

// Returns the Status of `expr` from the enclosing function when it is not ok.
#define EDGERT_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::edgert::Status _edgert_status = (expr);        \
    if (!_edgert_status.ok()) return _edgert_status; \
  } while (0)

#define EDGERT_CONCAT_INNER_(a, b) a##b
#define EDGERT_CONCAT_(a, b) EDGERT_CONCAT_INNER_(a, b)
// Declares `lhs` from a Result expression, or returns its Status from the enclosing function.
#define EDGERT_ASSIGN_OR_RETURN(lhs, expr)                     \
  auto EDGERT_CONCAT_(_edgert_result_, __LINE__) = (expr);     \
  if (!EDGERT_CONCAT_(_edgert_result_, __LINE__).ok())         \
    return EDGERT_CONCAT_(_edgert_result_, __LINE__).status(); \
  lhs = std::move(EDGERT_CONCAT_(_edgert_result_, __LINE__)).value()

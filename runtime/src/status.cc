#include "edgert/status.h"

namespace edgert {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid argument";
    case StatusCode::kFileError:
      return "file error";
    case StatusCode::kFormatError:
      return "format error";
    case StatusCode::kInputError:
      return "input error";
    case StatusCode::kEngineError:
      return "engine error";
    case StatusCode::kUnsupported:
      return "unsupported";
  }
  return "unknown error";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

}  // namespace edgert

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "edgert/status.h"

namespace edgert::app {

// The largest file a tool reads when nothing tighter is known (ONNX models, configs, images,
// dumps): 2 GiB, protobuf's own limit for a model.
constexpr uint64_t kMaxFileBytes = uint64_t{2} << 30;

// The size of the regular file at `path` (symlinks followed), from stat, without opening it.
// Anything else is a file error naming the path and what it is: missing, a directory, a
// character device (/dev/zero), a block device, a FIFO, a socket. `what` (e.g. "input file")
// starts the message when given.
Result<uint64_t> RegularFileSize(const std::string& path, const std::string& what = "");

// The one way the tools read a file: RegularFileSize, then the size is checked against
// `max_bytes` BEFORE anything is read (`limit_reason` says where the limit comes from, e.g.
// "input 'data' takes at most 602112 bytes"), then the whole file is read. Errors name the path.
Result<std::string> ReadFileString(const std::string& path, uint64_t max_bytes = kMaxFileBytes,
                                   const std::string& limit_reason = "",
                                   const std::string& what = "");

// ReadFileString into bytes.
Result<std::vector<uint8_t>> ReadFile(const std::string& path, uint64_t max_bytes = kMaxFileBytes,
                                      const std::string& limit_reason = "",
                                      const std::string& what = "");

}  // namespace edgert::app

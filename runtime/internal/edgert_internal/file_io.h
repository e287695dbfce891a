#pragma once

// Internal to this build: shared by the runtime and the tools, not installed and not part of
// the public API (runtime/include/edgert). libedgert defines these functions.

#include <cstddef>
#include <string>

#include "edgert/status.h"

namespace edgert {

// Writes `size` bytes to `path` atomically: to a temporary file next to it, synced, then
// renamed over `path`, so a failed write never leaves a half-written file. Errors name the file.
Status WriteFileAtomic(const std::string& path, const void* bytes, size_t size);

}  // namespace edgert

#pragma once

// Internal to this build: shared by the runtime and the tools, not installed and not part of
// the public API (runtime/include/edgert). libedgert defines these functions.

#include <cstddef>
#include <string>

#include "edgert/status.h"

namespace edgert {

// Writes `size` bytes to `path` atomically: to a new temporary file in the same folder, synced,
// then renamed over `path`, so a failed write never leaves a half-written file. The temporary
// file gets an unpredictable name and is created with OpenNewFile (a file or symlink planted
// under that name is never opened). A `path` that exists and is not a regular file (a folder, a
// device such as /dev/null, a FIFO; followed through symlinks) is an error and stays as it was.
// Errors name the file.
Status WriteFileAtomic(const std::string& path, const void* bytes, size_t size);

// Creates `path` for writing with O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC (mode 0644 before
// the umask): fails when anything, a symlink included, already exists there. Returns the file
// descriptor, or -1 with errno set.
int OpenNewFile(const std::string& path);

// What a file whose stat st_mode is `mode` is, for errors about something that is not a regular
// file: "a directory", "a character device", "a block device", "a FIFO", "a socket".
const char* FileKindName(unsigned int mode);

}  // namespace edgert

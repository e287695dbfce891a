#include "common/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "edgert_internal/file_io.h"

namespace edgert::app {
namespace {

std::string Label(const std::string& path, const std::string& what) {
  return what.empty() ? path : what + " " + path;
}

Result<uint64_t> CheckStat(const std::string& path, const std::string& what,
                           const struct stat& st) {
  if (!S_ISREG(st.st_mode))
    return FileError(Label(path, what) + ": is " + FileKindName(st.st_mode) +
                     ", not a regular file");
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace

Result<uint64_t> RegularFileSize(const std::string& path, const std::string& what) {
  struct stat st;
  if (path.empty()) return FileError((what.empty() ? "file" : what) + ": empty path");
  if (::stat(path.c_str(), &st) != 0)
    return FileError(Label(path, what) + ": cannot open: " + std::strerror(errno));
  return CheckStat(path, what, st);
}

Result<std::string> ReadFileString(const std::string& path, uint64_t max_bytes,
                                   const std::string& limit_reason, const std::string& what) {
  EDGERT_ASSIGN_OR_RETURN(uint64_t size, RegularFileSize(path, what));
  auto too_big = [&](uint64_t n) {
    return FileError(Label(path, what) + ": " + std::to_string(n) + " bytes, more than " +
                     (limit_reason.empty()
                          ? "the " + std::to_string(max_bytes) + " bytes a tool reads"
                          : limit_reason));
  };
  if (size > max_bytes) return too_big(size);
  // O_NONBLOCK: should the path have become a FIFO since the stat, open does not wait for a
  // writer; fstat below refuses it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return FileError(Label(path, what) + ": cannot open: " + std::strerror(errno));
  struct stat st;
  Result<uint64_t> checked =
      ::fstat(fd, &st) == 0
          ? CheckStat(path, what, st)
          : FileError(Label(path, what) + ": cannot stat: " + std::strerror(errno));
  if (!checked.ok()) {
    ::close(fd);
    return checked.status();
  }
  if (*checked > max_bytes) {
    ::close(fd);
    return too_big(*checked);
  }
  std::string data(static_cast<size_t>(*checked), '\0');
  size_t got = 0;
  int err = 0;
  while (got < data.size()) {
    const ssize_t n = ::read(fd, &data[got], data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (err != 0) return FileError(Label(path, what) + ": read failed: " + std::strerror(err));
  data.resize(got);  // shrank since the stat: what is there now
  return data;
}

Result<std::vector<uint8_t>> ReadFile(const std::string& path, uint64_t max_bytes,
                                      const std::string& limit_reason, const std::string& what) {
  EDGERT_ASSIGN_OR_RETURN(std::string s, ReadFileString(path, max_bytes, limit_reason, what));
  return std::vector<uint8_t>(s.begin(), s.end());
}

}  // namespace edgert::app

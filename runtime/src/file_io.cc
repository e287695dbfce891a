#include "edgert_internal/file_io.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace edgert {
namespace {

// Owns a file descriptor: closed on every path out of WriteFileAtomic.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports close's result (0 or errno).
  int Close() {
    const int r = ::close(fd_);
    fd_ = -1;
    return r == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// 16 hex digits from the kernel's random source (the time and pid as a fallback mix).
std::string RandomSuffix() {
  uint64_t r = 0;
  if (::getrandom(&r, sizeof(r), GRND_NONBLOCK) != static_cast<ssize_t>(sizeof(r))) {
    r = static_cast<uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ull ^
        static_cast<uint64_t>(reinterpret_cast<uintptr_t>(&r));
  }
  static const char* kHex = "0123456789abcdef";
  std::string s(16, '0');
  for (char& c : s) {
    c = kHex[r & 15];
    r >>= 4;
  }
  return s;
}

}  // namespace

const char* FileKindName(unsigned int m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISLNK(m)) return "a symlink";
  return "not a regular file";
}

int OpenNewFile(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
}

Status WriteFileAtomic(const std::string& path, const void* bytes, size_t size) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return FileError(path + ": exists and is " + FileKindName(st.st_mode) +
                     ", not a regular file; refusing to replace it");
  // The temporary file sits in the target's folder (rename stays on one file system) under a
  // hidden, unpredictable name.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    tmp = dir + "." + base + ".tmp." + RandomSuffix();
    fd = OpenNewFile(tmp);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0)
    return FileError(path + ": cannot create a temporary file next to it: " + std::strerror(errno));
  Fd file(fd);
  const uint8_t* p = static_cast<const uint8_t*>(bytes);
  size_t left = size;
  int err = 0;
  while (left > 0 && err == 0) {
    const ssize_t n = ::write(file.get(), p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;
    } else {
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  if (err == 0 && ::fsync(file.get()) != 0) err = errno;
  const int close_err = file.Close();
  if (err == 0) err = close_err;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return FileError(path + ": write failed: " + std::strerror(err));
  }
  // Checked again just before the rename: a non-regular file may have appeared meanwhile.
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    ::unlink(tmp.c_str());
    return FileError(path + ": exists and is " + FileKindName(st.st_mode) +
                     ", not a regular file; refusing to replace it");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return FileError(path + ": cannot rename '" + tmp + "' into place: " + std::strerror(e));
  }
  return Status::Ok();
}

}  // namespace edgert

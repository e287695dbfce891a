#include "startup_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define XXH_INLINE_ALL  // header-only, as model_file.cc uses it
#include <xxhash.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace edgert {
namespace {

constexpr char kWeightMagic[8] = {'E', 'D', 'G', 'E', 'R', 'T', 'W', '\0'};
constexpr char kStampMagic[8] = {'E', 'D', 'G', 'E', 'R', 'T', 'V', '\0'};
constexpr uint32_t kWeightVersion = 1;
// Blobs start on page boundaries of the mapped file, so kernels get the alignment they would get
// from their own allocator (oneDNN asks for 64 bytes).
constexpr uint64_t kBlobAlignment = 4096;
// How long a model file must have been unchanged before its checksum is stamped.
constexpr time_t kSettleSeconds = 2;

struct WeightHeader {
  char magic[8];
  uint32_t version;
  uint32_t entry_count;
  uint64_t model_checksum;
  uint64_t table_offset;
  uint64_t file_size;
  uint64_t table_hash;
  char env[80];
};
static_assert(sizeof(WeightHeader) == 128, "the weight cache header is 128 bytes");

struct WeightEntry {
  uint64_t key, offset, size, hash;
};
static_assert(sizeof(WeightEntry) == 32, "a weight cache entry is 32 bytes");

struct Stamp {
  char magic[8];
  uint64_t checksum, dev, ino, size;
  int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Keeps file names to [A-Za-z0-9._-]: the model name comes from the file.
std::string SafeName(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 64))
    out +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  return out.empty() ? "model" : out;
}

bool EnsureDir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) return S_ISDIR(st.st_mode);
  return ::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST;
}

Stamp StampOf(const struct stat& st, uint64_t checksum) {
  Stamp s;
  std::memset(&s, 0, sizeof(s));
  std::memcpy(s.magic, kStampMagic, sizeof(s.magic));
  s.checksum = checksum;
  s.dev = static_cast<uint64_t>(st.st_dev);
  s.ino = static_cast<uint64_t>(st.st_ino);
  s.size = static_cast<uint64_t>(st.st_size);
  s.mtime_sec = st.st_mtim.tv_sec;
  s.mtime_nsec = st.st_mtim.tv_nsec;
  s.ctime_sec = st.st_ctim.tv_sec;
  s.ctime_nsec = st.st_ctim.tv_nsec;
  return s;
}

std::string StampPath(const std::string& dir, uint64_t checksum) {
  return dir + "/" + Hex(checksum) + ".verified";
}

// Writes `parts` to a fresh, unpredictably named file in the target's folder (O_EXCL through
// mkstemp), then renames it over `path`. No fsync: a torn cache file fails its own checks and
// is rebuilt.
bool WriteParts(const std::string& path, const std::vector<std::pair<const void*, size_t>>& parts,
                std::string* error) {
  std::string tmp = path + ".XXXXXX";
  int fd = mkostemp(&tmp[0], O_CLOEXEC);
  if (fd < 0) {
    *error = "cannot create a file next to " + path + ": " + std::strerror(errno);
    return false;
  }
  bool ok = true;  // mode 0600 (mkstemp's): a cache is private to the user who made it
  for (const auto& [data, size] : parts) {
    const auto* p = static_cast<const uint8_t*>(data);
    size_t left = size;
    while (ok && left > 0) {
      const ssize_t n = ::write(fd, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        *error = "cannot write " + tmp + ": " + std::strerror(errno);
        ok = false;
      } else {
        p += n;
        left -= static_cast<size_t>(n);
      }
    }
  }
  if (::close(fd) != 0 && ok) {
    *error = "cannot write " + tmp + ": " + std::strerror(errno);
    ok = false;
  }
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno);
    ok = false;
  }
  if (!ok) ::unlink(tmp.c_str());
  return ok;
}

}  // namespace

uint64_t CacheKey(const void* data, size_t size, uint64_t seed) { return XXH64(data, size, seed); }

bool ChecksumStampMatches(const std::string& dir, int fd, uint64_t checksum) {
  struct stat st;
  if (dir.empty() || fstat(fd, &st) != 0) return false;
  const std::string path = StampPath(dir, checksum);
  const int sfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (sfd < 0) return false;
  Stamp got;
  const bool read_all = ::read(sfd, &got, sizeof(got)) == static_cast<ssize_t>(sizeof(got));
  ::close(sfd);
  const Stamp want = StampOf(st, checksum);
  return read_all && std::memcmp(&got, &want, sizeof(want)) == 0;
}

void WriteChecksumStamp(const std::string& dir, int fd, uint64_t checksum) {
  struct stat st;
  if (dir.empty() || fstat(fd, &st) != 0) return;
  // Only a file left alone for a while is stamped. Change times come from a coarse clock (a
  // scheduler tick), so a write in the same tick as the one the stamp saw would leave the
  // identity unchanged; a file changed in the last seconds is checksummed again next time.
  struct timespec now;
  if (clock_gettime(CLOCK_REALTIME, &now) != 0 || now.tv_sec - st.st_ctim.tv_sec < kSettleSeconds)
    return;
  if (!EnsureDir(dir)) return;
  const Stamp s = StampOf(st, checksum);
  std::string error;
  WriteParts(StampPath(dir, checksum), {{&s, sizeof(s)}}, &error);
}

WeightCache::WeightCache(const std::string& dir, const std::string& model_name,
                         uint64_t model_checksum, const std::string& env)
    : path_(dir + "/" + SafeName(model_name) + "." + Hex(model_checksum) + ".weights"),
      model_checksum_(model_checksum),
      env_(env.substr(0, sizeof(WeightHeader::env) - 1)) {
  stats_.path = path_;
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    stats_.note = errno == ENOENT ? "new" : std::string("unreadable: ") + std::strerror(errno);
    dirty_ = true;
    return;
  }
  struct stat st;
  void* p = MAP_FAILED;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<size_t>(st.st_size) >= sizeof(WeightHeader))
    p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) {
    stats_.note = "not a cache file";
    dirty_ = true;
    return;
  }
  map_ = p;
  map_size_ = static_cast<size_t>(st.st_size);
  WeightHeader h;
  std::memcpy(&h, map_, sizeof(h));
  char env_field[sizeof(h.env)] = {};
  std::memcpy(env_field, env_.data(), env_.size());
  const uint64_t size = map_size_;
  const uint64_t table_bytes = uint64_t{h.entry_count} * sizeof(WeightEntry);
  const auto* base = static_cast<const uint8_t*>(map_);
  if (std::memcmp(h.magic, kWeightMagic, sizeof(h.magic)) != 0 || h.version != kWeightVersion) {
    stats_.note = "not a weight cache of this version";
  } else if (h.model_checksum != model_checksum_ ||
             std::memcmp(h.env, env_field, sizeof(env_field)) != 0) {
    stats_.note = "made for another model, library or CPU";
  } else if (h.file_size != size || h.table_offset < sizeof(WeightHeader) ||
             h.table_offset > size || table_bytes > size - h.table_offset ||
             XXH64(base + h.table_offset, table_bytes, 0) != h.table_hash) {
    stats_.note = "truncated or corrupt";
  } else {
    for (uint32_t i = 0; i < h.entry_count; ++i) {
      WeightEntry e;
      std::memcpy(&e, base + h.table_offset + i * sizeof(WeightEntry), sizeof(e));
      if (e.offset % kBlobAlignment != 0 || e.offset > size || e.size > size - e.offset) {
        stats_.note = "an entry lies outside the file";
        file_blobs_.clear();
        break;
      }
      file_blobs_[e.key] = {base + e.offset, static_cast<size_t>(e.size), e.hash};
    }
  }
  if (!stats_.note.empty()) dirty_ = true;
}

WeightCache::~WeightCache() {
  if (map_) munmap(map_, map_size_);
}

const void* WeightCache::Find(uint64_t key, size_t size) {
  const auto it = file_blobs_.find(key);
  const bool present = it != file_blobs_.end() && it->second.size == size;
  // The hash is checked outside the lock: several setup threads read their blobs at once.
  const bool intact = present && XXH64(it->second.data, size, 0) == it->second.hash;
  std::lock_guard<std::mutex> lock(mu_);
  if (!intact) {
    ++stats_.misses;
    if (present) ++stats_.rejected;
    dirty_ = true;
    return nullptr;
  }
  ++stats_.hits;
  used_.push_back({key, it->second});
  return it->second.data;
}

void WeightCache::Put(uint64_t key, const void* data, size_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  used_.push_back({key, {data, size, 0}});
}

void WeightCache::Save() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!dirty_) return;
  const size_t slash = path_.rfind('/');
  if (!EnsureDir(path_.substr(0, slash))) {
    stats_.note = "cannot create the folder of " + path_;
    return;
  }
  std::vector<WeightEntry> table;
  uint64_t offset =
      (sizeof(WeightHeader) + used_.size() * sizeof(WeightEntry) + kBlobAlignment - 1) /
      kBlobAlignment * kBlobAlignment;
  for (const auto& [key, blob] : used_) {
    table.push_back({key, offset, blob.size, XXH64(blob.data, blob.size, 0)});
    offset += (blob.size + kBlobAlignment - 1) / kBlobAlignment * kBlobAlignment;
  }
  WeightHeader h;
  std::memset(&h, 0, sizeof(h));
  std::memcpy(h.magic, kWeightMagic, sizeof(h.magic));
  h.version = kWeightVersion;
  h.entry_count = static_cast<uint32_t>(table.size());
  h.model_checksum = model_checksum_;
  h.table_offset = sizeof(WeightHeader);
  h.file_size = offset;
  h.table_hash = XXH64(table.data(), table.size() * sizeof(WeightEntry), 0);
  std::memcpy(h.env, env_.data(), env_.size());
  static const std::vector<uint8_t> zeros(kBlobAlignment, 0);
  std::vector<std::pair<const void*, size_t>> parts = {
      {&h, sizeof(h)}, {table.data(), table.size() * sizeof(WeightEntry)}};
  uint64_t at = sizeof(h) + table.size() * sizeof(WeightEntry);
  for (size_t i = 0; i < table.size(); ++i) {
    parts.push_back({zeros.data(), table[i].offset - at});
    parts.push_back({used_[i].second.data, used_[i].second.size});
    at = table[i].offset + table[i].size;
  }
  parts.push_back({zeros.data(), offset - at});
  std::string error;
  if (WriteParts(path_, parts, &error))
    stats_.written = true;
  else
    stats_.note = error;
}

WeightCache::Stats WeightCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace edgert

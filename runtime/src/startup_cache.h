#pragma once

// The start-up cache (SessionOptions::cache_dir, ModelFile::Open's OpenOptions::cache_dir): an
// opt-in folder of files that let a restarted process skip work it already did for the same
// model on the same machine. README "Start-up cache" documents the files.
//
// - A checksum stamp, <checksum>.verified: the identity of a .bin file (device, inode, size,
//   modification and change times) whose whole-payload checksum was verified. While the file keeps
//   that identity, Open skips the checksum pass. Any write to the file changes its change time
//   (ctime), which no user call can set back, so a replaced or edited model is checked again.
// - A weight cache, <model>.<checksum>.weights: constant weights already reordered into the
//   layout a kernel library chose for this CPU (oneDNN's blocked formats), keyed by node,
//   layout and library version. Each blob carries its own hash, checked before use, so a corrupt
//   or truncated cache costs a rebuild, never a wrong result.
//
// Nothing here ever fails a load: an unreadable, stale or corrupt cache is ignored (and
// rewritten), and an unwritable folder only costs the speed-up.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace edgert {

// True when `fd` (the open .bin file) has the identity recorded for `checksum` in `dir`.
bool ChecksumStampMatches(const std::string& dir, int fd, uint64_t checksum);
// Records that the file behind `fd` was verified against `checksum`. Best effort.
void WriteChecksumStamp(const std::string& dir, int fd, uint64_t checksum);

// Weight blobs of one model on this machine, read from and written back to one file.
// Find may be called from several setup threads at once; Put too.
class WeightCache {
 public:
  struct Stats {
    size_t hits = 0, misses = 0, rejected = 0;  // rejected: present but failed its hash
    bool written = false;
    std::string path, note;  // note: why the file was not used or not written, if so
  };

  // Opens (or prepares to create) the cache for `model_name` with payload checksum
  // `model_checksum`; `env` names everything else the blobs depend on (library version, ISA).
  // Never fails: a missing, stale or unreadable file gives an empty cache.
  WeightCache(const std::string& dir, const std::string& model_name, uint64_t model_checksum,
              const std::string& env);
  ~WeightCache();
  WeightCache(const WeightCache&) = delete;
  WeightCache& operator=(const WeightCache&) = delete;

  // The cached bytes for `key`, if present, exactly `size` long and intact (hash checked on each
  // call), else nullptr. The bytes are read-only and live as long as this object.
  const void* Find(uint64_t key, size_t size);
  // Offers bytes made this session; they must stay valid until Save returns.
  void Put(uint64_t key, const void* data, size_t size);
  // Rewrites the file (atomically) when this session used anything the file lacked.
  void Save();
  Stats stats() const;

 private:
  struct Blob {
    const void* data;
    size_t size;
    uint64_t hash;  // XXH64 of the bytes, as the file records it (unused for Put)
  };
  std::string path_;
  uint64_t model_checksum_;
  std::string env_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  std::unordered_map<uint64_t, Blob> file_blobs_;  // in the mapped file, hashes unchecked yet
  mutable std::mutex mu_;
  std::vector<std::pair<uint64_t, Blob>> used_;  // what this session used, hits and puts
  bool dirty_ = false;
  Stats stats_;
};

// A 64-bit key for Find/Put over any bytes (XXH64).
uint64_t CacheKey(const void* data, size_t size, uint64_t seed);

}  // namespace edgert

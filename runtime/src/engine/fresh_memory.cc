#include "engine/fresh_memory.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

namespace edgert::engine {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
// The pool's mappings: big enough that mobilenet_v2's ~50 weight blobs share a few.
constexpr size_t kPoolChunk = size_t{4} << 20;

size_t RoundUp(size_t x, size_t to) { return (x + to - 1) / to * to; }

}  // namespace

bool HugePagesWanted() {
  static const bool wanted = [] {
    const char* v = std::getenv("EDGERT_HUGEPAGES");
    return !(v && std::strcmp(v, "0") == 0);
  }();
  return wanted;
}

std::shared_ptr<FreshMapping> FreshMapping::Create(size_t bytes) {
  if (bytes == 0 || bytes > SIZE_MAX - 2 * kHugePage) return nullptr;
  const size_t size = RoundUp(bytes, kHugePage);
  // One huge page more than needed, so a 2 MiB boundary falls inside.
  const size_t mapped = size + kHugePage;
  void* p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  std::shared_ptr<FreshMapping> m(new (std::nothrow) FreshMapping);
  if (!m) {
    munmap(p, mapped);
    return nullptr;
  }
  m->base_ = p;
  m->mapped_ = mapped;
  m->data_ = reinterpret_cast<unsigned char*>(
      RoundUp(reinterpret_cast<uintptr_t>(p), static_cast<uintptr_t>(kHugePage)));
  m->size_ = size;
  // Best effort: a kernel without THP (or with it disabled) refuses, and 4 KiB pages remain.
  if (HugePagesWanted()) madvise(m->data_, size, MADV_HUGEPAGE);
  return m;
}

FreshMapping::~FreshMapping() { munmap(base_, mapped_); }

PooledBlock AllocateLongLived(size_t bytes, size_t alignment) {
  static std::mutex mu;
  static std::weak_ptr<FreshMapping> current;  // the mapping with room left, while it lives
  static size_t used = 0;                      // bytes of `current` handed out
  if (bytes == 0 || alignment == 0 || alignment > kHugePage || (alignment & (alignment - 1)))
    return {};
  const std::lock_guard<std::mutex> lock(mu);
  std::shared_ptr<FreshMapping> m = current.lock();
  if (m) {
    const size_t offset = RoundUp(used, alignment);
    if (offset <= m->size() && bytes <= m->size() - offset) {
      used = offset + bytes;
      return {m, m->data() + offset};
    }
  }
  std::shared_ptr<FreshMapping> fresh =
      FreshMapping::Create(bytes < kPoolChunk ? kPoolChunk : bytes);
  if (!fresh) return {};
  // Carve later blocks from whichever mapping has more room left.
  if (!m || fresh->size() - bytes > m->size() - used) {
    current = fresh;
    used = bytes;
  }
  return {fresh, fresh->data()};
}

}  // namespace edgert::engine

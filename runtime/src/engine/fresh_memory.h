#pragma once
// Fresh memory for start-up: the activation arena and the weights kernels repack at setup.
//
// First touch of a fresh 4 KiB page is the largest single cost of a cold start on a virtual
// machine: on the 2-core CI/dev VM (a PVM guest, where every new page table entry also traps to
// the hypervisor), writing 8 MiB of fresh 4 KiB pages costs ~32 CPU-ms, and still ~20 CPU-ms
// after MADV_POPULATE_WRITE; the same 8 MiB backed by transparent huge pages costs ~1 CPU-ms.
// mobilenet_v2 f32 touches ~6 MiB of arena and ~14 MiB of reordered oneDNN weights at setup.
// So both come from 2 MiB-aligned anonymous mappings advised MADV_HUGEPAGE.
//
// The catch, measured by an earlier session: where the kernel has no free 2 MiB block and its THP
// defrag setting makes madvised faults compact memory, a fault can stall 30-120 ms.
// EDGERT_HUGEPAGES=0 (read once) turns the advice off; the mappings are then plain 4 KiB pages.
// Where THP is disabled system-wide the advice is a no-op.
#include <cstddef>
#include <memory>

namespace edgert::engine {

// Whether mappings made here are advised MADV_HUGEPAGE (EDGERT_HUGEPAGES unset or not "0").
bool HugePagesWanted();

// An anonymous private read-write mapping of at least `bytes`, zero-filled, aligned to 2 MiB and
// advised MADV_HUGEPAGE (see above); unmapped when the last reference goes. Null when mmap fails.
class FreshMapping {
 public:
  static std::shared_ptr<FreshMapping> Create(size_t bytes);
  ~FreshMapping();
  FreshMapping(const FreshMapping&) = delete;
  FreshMapping& operator=(const FreshMapping&) = delete;
  unsigned char* data() const { return data_; }
  size_t size() const { return size_; }  // usable bytes from data(): `bytes` rounded up to 2 MiB

 private:
  FreshMapping() = default;
  void* base_ = nullptr;  // what mmap returned
  size_t mapped_ = 0;     // what was mapped from base_
  unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

// A block of long-lived memory carved from shared FreshMappings, for buffers made once at setup
// and kept as long as their kernel (oneDNN's reordered weights): many small blocks share huge
// pages instead of each faulting in its own 4 KiB pages. Thread-safe: setup threads call it at
// once. The mapping lives while any of its blocks does. Null data when memory runs out.
struct PooledBlock {
  std::shared_ptr<FreshMapping> owner;
  void* data = nullptr;
};
PooledBlock AllocateLongLived(size_t bytes, size_t alignment);

}  // namespace edgert::engine

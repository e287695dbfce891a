// White-box tests of the start-up memory (engine/fresh_memory.h): huge-page-advised mappings for
// the arena and the shared pool that holds oneDNN's reordered weights.
#include "engine/fresh_memory.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace edgert::engine {
namespace {

constexpr size_t kTwoMiB = size_t{2} << 20;

bool Aligned(const void* p, size_t to) { return reinterpret_cast<uintptr_t>(p) % to == 0; }

// The VmFlags line of /proc/self/smaps for the mapping that contains `p`, or "" if unreadable.
std::string VmFlagsOf(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  while (std::getline(smaps, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find(' ')) {
      inside = a >= lo && a < hi;
    } else if (inside && line.compare(0, 8, "VmFlags:") == 0) {
      return line;
    }
  }
  return "";
}

TEST(FreshMappingTest, IsZeroWritableAndAlignedToTwoMiB) {
  auto m = FreshMapping::Create(3 * kTwoMiB / 2);  // 3 MiB
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(Aligned(m->data(), kTwoMiB));
  EXPECT_EQ(m->size(), 2 * kTwoMiB);  // rounded up to whole huge pages
  const std::vector<unsigned char> zero(m->size(), 0);
  EXPECT_EQ(std::memcmp(m->data(), zero.data(), zero.size()), 0);
  std::memset(m->data(), 0xab, m->size());
  EXPECT_EQ(m->data()[m->size() - 1], 0xab);
  EXPECT_EQ(FreshMapping::Create(0), nullptr);
  EXPECT_EQ(FreshMapping::Create(SIZE_MAX), nullptr);
}

// Whether smaps shows the mapping at `p` advised MADV_HUGEPAGE (VmFlags "hg").
bool AdvisedHuge(const void* p) {
  std::istringstream words(VmFlagsOf(p));
  const std::vector<std::string> w{std::istream_iterator<std::string>(words), {}};
  return std::find(w.begin(), w.end(), "hg") != w.end();
}

// The point of the mapping: the kernel is told to back it with huge pages (VmFlags "hg"), unless
// EDGERT_HUGEPAGES=0. Skipped where a mapping advised here directly shows no "hg" either
// (qemu-user does not pass madvise on; kernels without THP).
TEST(FreshMappingTest, IsAdvisedHugePages) {
  void* control =
      mmap(nullptr, kTwoMiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(control, MAP_FAILED);
  const bool visible = madvise(control, kTwoMiB, MADV_HUGEPAGE) == 0 && AdvisedHuge(control);
  munmap(control, kTwoMiB);
  if (!visible) GTEST_SKIP() << "madvise(MADV_HUGEPAGE) does not show in /proc/self/smaps here";
  auto m = FreshMapping::Create(kTwoMiB);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(AdvisedHuge(m->data()), HugePagesWanted()) << VmFlagsOf(m->data());
}

TEST(LongLivedPoolTest, BlocksAreAlignedDisjointAndShareMappings) {
  struct Held {
    PooledBlock b;
    size_t size;
    unsigned char fill;
  };
  std::vector<Held> held;
  const size_t sizes[] = {1, 100, 4096, 64 * 1000 + 3, 300 * 1024, 5 * kTwoMiB / 2, 17, 1 << 20};
  for (size_t i = 0; i < 40; ++i) {
    const size_t size = sizes[i % 8];
    const size_t align = i % 3 == 0 ? 4096 : 64;
    PooledBlock b = AllocateLongLived(size, align);
    ASSERT_NE(b.data, nullptr) << i;
    ASSERT_NE(b.owner, nullptr);
    EXPECT_TRUE(Aligned(b.data, align)) << i;
    auto* p = static_cast<unsigned char*>(b.data);
    EXPECT_GE(p, b.owner->data());
    EXPECT_LE(p + size, b.owner->data() + b.owner->size());
    std::memset(p, static_cast<int>(i + 1), size);
    held.push_back({b, size, static_cast<unsigned char>(i + 1)});
  }
  // No block overwrote another.
  for (const Held& h : held) {
    const auto* p = static_cast<const unsigned char*>(h.b.data);
    EXPECT_TRUE(std::all_of(p, p + h.size, [&](unsigned char c) { return c == h.fill; }));
  }
  // Small blocks share mappings: 40 blocks, far fewer mappings.
  std::vector<FreshMapping*> maps;
  for (const Held& h : held) maps.push_back(h.b.owner.get());
  std::sort(maps.begin(), maps.end());
  const size_t distinct = static_cast<size_t>(std::unique(maps.begin(), maps.end()) - maps.begin());
  EXPECT_LT(distinct, 20u);
  EXPECT_GT(distinct, 1u);
}

TEST(LongLivedPoolTest, MappingGoesWithItsLastBlock) {
  std::weak_ptr<FreshMapping> seen;
  {
    PooledBlock a = AllocateLongLived(5 * kTwoMiB, 64);  // larger than a pool chunk: its own
    ASSERT_NE(a.data, nullptr);
    seen = a.owner;
    PooledBlock b = AllocateLongLived(64, 64);
    ASSERT_NE(b.data, nullptr);
    EXPECT_FALSE(seen.expired());
  }
  EXPECT_TRUE(seen.expired());
}

TEST(LongLivedPoolTest, RefusesBadRequests) {
  EXPECT_EQ(AllocateLongLived(0, 64).data, nullptr);
  EXPECT_EQ(AllocateLongLived(64, 0).data, nullptr);
  EXPECT_EQ(AllocateLongLived(64, 48).data, nullptr);  // not a power of two
  EXPECT_EQ(AllocateLongLived(SIZE_MAX, 64).data, nullptr);
}

}  // namespace
}  // namespace edgert::engine

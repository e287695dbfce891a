#include "engine/arena_planner.h"

#include <algorithm>
#include <numeric>

namespace edgert::engine {
namespace {

size_t RoundUp(size_t n, size_t a) { return (n + a - 1) / a * a; }

}  // namespace

ArenaPlan PlanArena(const std::vector<ArenaRequest>& requests, bool reuse, size_t alignment) {
  ArenaPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties by earlier start so the plan is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    return requests[a].first < requests[b].first;
  });
  struct Placed {
    size_t begin, end;
    int first, last;
  };
  std::vector<Placed> placed;
  std::vector<Placed> live;  // placed buffers overlapping the current one in time
  for (size_t idx : order) {
    const ArenaRequest& r = requests[idx];
    const size_t size = RoundUp(std::max<size_t>(r.bytes, 1), alignment);
    size_t offset = 0;
    if (reuse) {
      live.clear();
      for (const Placed& p : placed)
        if (p.first <= r.last && r.first <= p.last) live.push_back(p);
      std::sort(live.begin(), live.end(),
                [](const Placed& a, const Placed& b) { return a.begin < b.begin; });
      // First fit: walk the live buffers by address and take the first gap that holds `size`.
      for (const Placed& p : live) {
        if (offset + size <= p.begin) break;
        offset = std::max(offset, p.end);
      }
    } else {
      offset = plan.total;
    }
    plan.offsets[idx] = offset;
    placed.push_back({offset, offset + size, r.first, r.last});
    plan.total = std::max(plan.total, offset + size);
  }
  return plan;
}

}  // namespace edgert::engine

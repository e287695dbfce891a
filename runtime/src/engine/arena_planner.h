#pragma once

#include <cstddef>
#include <vector>

namespace edgert::engine {

// One buffer to place: `bytes` live from step `first` to step `last` inclusive.
struct ArenaRequest {
  size_t bytes = 0;
  int first = 0;
  int last = 0;
};

struct ArenaPlan {
  std::vector<size_t> offsets;  // parallel to the requests, multiples of `alignment`
  size_t total = 0;             // bytes the arena needs (a multiple of `alignment`)
};

// Places the requests in one arena. With `reuse`, buffers whose lifetimes do not overlap may
// share bytes: greedy by size (largest first), each at the lowest aligned offset that does not
// collide with an already placed buffer live at the same time. Without it every buffer gets its
// own bytes.
ArenaPlan PlanArena(const std::vector<ArenaRequest>& requests, bool reuse, size_t alignment = 64);

}  // namespace edgert::engine

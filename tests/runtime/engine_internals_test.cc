// White-box tests of the arena planner and the strided copy plans.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "engine/arena_planner.h"
#include "engine/copy_plan.h"

namespace edgert::engine {
namespace {

bool Overlap(int a0, int a1, int b0, int b1) { return a0 <= b1 && b0 <= a1; }

TEST(ArenaPlannerTest, ReusesBuffersWhoseLifetimesDoNotOverlap) {
  // A chain: t0 [0,1], t1 [1,2], t2 [2,3]. t0 and t2 can share.
  const std::vector<ArenaRequest> r = {{100, 0, 1}, {100, 1, 2}, {100, 2, 3}};
  ArenaPlan p = PlanArena(r, true);
  EXPECT_EQ(p.total, 256u);
  EXPECT_EQ(p.offsets[0], p.offsets[2]);
  EXPECT_NE(p.offsets[0], p.offsets[1]);
  ArenaPlan no = PlanArena(r, false);
  EXPECT_EQ(no.total, 384u);
}

TEST(ArenaPlannerTest, RandomPlansNeverOverlapLiveBuffers) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<ArenaRequest> r(1 + rng() % 20);
    for (auto& q : r) {
      q.bytes = rng() % 5000;
      q.first = static_cast<int>(rng() % 30);
      q.last = q.first + static_cast<int>(rng() % 10);
    }
    for (bool reuse : {true, false}) {
      ArenaPlan p = PlanArena(r, reuse);
      for (size_t i = 0; i < r.size(); ++i) {
        EXPECT_EQ(p.offsets[i] % 64, 0u);
        EXPECT_LE(p.offsets[i] + r[i].bytes, p.total);
        for (size_t j = i + 1; j < r.size(); ++j) {
          if (reuse && !Overlap(r[i].first, r[i].last, r[j].first, r[j].last)) continue;
          const bool apart = p.offsets[i] + r[i].bytes <= p.offsets[j] ||
                             p.offsets[j] + r[j].bytes <= p.offsets[i];
          EXPECT_TRUE(apart || r[i].bytes == 0 || r[j].bytes == 0)
              << "trial " << trial << ": " << i << " and " << j << " collide";
        }
      }
    }
  }
}

TEST(CopyPlanTest, TransposeNegativeStridesAndMerging) {
  const float src[6] = {0, 1, 2, 3, 4, 5};  // 2x3
  float dst[6] = {};
  CopyPlan t;
  t.Init({3, 2}, {4, 12}, {8, 4}, 4);  // transpose
  t.Run(reinterpret_cast<const uint8_t*>(src), reinterpret_cast<uint8_t*>(dst));
  EXPECT_EQ(std::vector<float>(dst, dst + 6), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  CopyPlan rev;  // reverse both dims: merged into one reversed run
  rev.Init({2, 3}, {-12, -4}, {12, 4}, 4);
  rev.Run(reinterpret_cast<const uint8_t*>(src + 5), reinterpret_cast<uint8_t*>(dst));
  EXPECT_EQ(std::vector<float>(dst, dst + 6), (std::vector<float>{5, 4, 3, 2, 1, 0}));
  CopyPlan pad;  // dense rows into a padded destination (stride 4 floats)
  float padded[8] = {9, 9, 9, 9, 9, 9, 9, 9};
  pad.Init({2, 3}, {12, 4}, {16, 4}, 4);
  pad.Run(reinterpret_cast<const uint8_t*>(src), reinterpret_cast<uint8_t*>(padded));
  EXPECT_EQ(std::vector<float>(padded, padded + 8), (std::vector<float>{0, 1, 2, 9, 3, 4, 5, 9}));
}

TEST(CopyPlanTest, NchwToNhwcWithThreeChannels) {
  // 1x3x2x20 NCHW -> 1x2x20x3 NHWC: the planner loops over W innermost; the result is the same.
  std::vector<float> src(120), dst(120, -1.f);
  for (int i = 0; i < 120; ++i) src[static_cast<size_t>(i)] = static_cast<float>(i);
  CopyPlan p;
  p.Init({1, 2, 20, 3}, {480, 80, 4, 160}, DenseStrides({1, 2, 20, 3}, 4), 4);
  p.Run(reinterpret_cast<const uint8_t*>(src.data()), reinterpret_cast<uint8_t*>(dst.data()));
  for (int h = 0; h < 2; ++h)
    for (int w = 0; w < 20; ++w)
      for (int c = 0; c < 3; ++c)
        ASSERT_EQ(dst[static_cast<size_t>((h * 20 + w) * 3 + c)],
                  src[static_cast<size_t>((c * 2 + h) * 20 + w)]);
}

TEST(CopyPlanTest, TiledTransposesMatchIndexArithmetic) {
  // 2x5x19x17 -> every permutation that the tiled path or the plain path takes, odd sizes so
  // partial tiles occur.
  const std::vector<int64_t> shape = {2, 5, 19, 17};
  std::vector<float> src(2 * 5 * 19 * 17);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>(i);
  const std::vector<int64_t> in_stride = DenseStrides(shape, 4);
  std::vector<int64_t> perm = {0, 1, 2, 3};
  do {
    std::vector<int64_t> out_shape(4), src_stride(4);
    for (size_t k = 0; k < 4; ++k) {
      out_shape[k] = shape[static_cast<size_t>(perm[k])];
      src_stride[k] = in_stride[static_cast<size_t>(perm[k])];
    }
    std::vector<float> dst(src.size(), -1.f);
    CopyPlan p;
    p.Init(out_shape, src_stride, DenseStrides(out_shape, 4), 4);
    p.Run(reinterpret_cast<const uint8_t*>(src.data()), reinterpret_cast<uint8_t*>(dst.data()));
    size_t o = 0;
    for (int64_t a = 0; a < out_shape[0]; ++a)
      for (int64_t b = 0; b < out_shape[1]; ++b)
        for (int64_t c = 0; c < out_shape[2]; ++c)
          for (int64_t d = 0; d < out_shape[3]; ++d, ++o) {
            const int64_t off =
                (a * src_stride[0] + b * src_stride[1] + c * src_stride[2] + d * src_stride[3]) / 4;
            ASSERT_EQ(dst[o], src[static_cast<size_t>(off)])
                << "perm " << perm[0] << perm[1] << perm[2] << perm[3] << " at " << o;
          }
  } while (std::next_permutation(perm.begin(), perm.end()));
}

TEST(GatherPlanTest, MapsWithFill) {
  const uint8_t src[4] = {1, 2, 3, 4};  // 2x2 bytes
  uint8_t dst[6] = {};
  GatherPlan g;
  const uint8_t fill = 7;
  g.Init({{-1, 1}, {1, 0, -1}}, {2, 1}, 1, &fill);
  g.Run(src, dst);
  EXPECT_EQ(std::vector<uint8_t>(dst, dst + 6), (std::vector<uint8_t>{7, 7, 7, 4, 3, 7}));
}

}  // namespace
}  // namespace edgert::engine

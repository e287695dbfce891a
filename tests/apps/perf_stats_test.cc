// perf's statistics on sample sets computed by hand (and matching numpy.percentile's default).
#include <gtest/gtest.h>

#include <cmath>

#include "perf/stats.h"

namespace edgert::app {
namespace {

TEST(PerfStatsTest, OneToFive) {
  LatencyStats s = ComputeStats({5, 1, 4, 2, 3});
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.min_ms, 1);
  EXPECT_DOUBLE_EQ(s.max_ms, 5);
  EXPECT_DOUBLE_EQ(s.mean_ms, 3);
  EXPECT_DOUBLE_EQ(s.median_ms, 3);
  EXPECT_NEAR(s.p90_ms, 4.6, 1e-12);  // rank 0.9*4 = 3.6 between 4 and 5
  EXPECT_NEAR(s.p95_ms, 4.8, 1e-12);
  EXPECT_NEAR(s.p99_ms, 4.96, 1e-12);
  EXPECT_NEAR(s.stddev_ms, std::sqrt(2.0), 1e-12);  // population: mean of squares 2
  EXPECT_NEAR(s.cov, std::sqrt(2.0) / 3, 1e-12);
}

TEST(PerfStatsTest, EvenCountMedianInterpolates) {
  LatencyStats s = ComputeStats({4, 1, 3, 2});
  EXPECT_DOUBLE_EQ(s.median_ms, 2.5);
  EXPECT_NEAR(s.p90_ms, 3.7, 1e-12);  // rank 2.7
}

TEST(PerfStatsTest, SingleAndEmpty) {
  LatencyStats one = ComputeStats({7.5});
  EXPECT_DOUBLE_EQ(one.p99_ms, 7.5);
  EXPECT_DOUBLE_EQ(one.stddev_ms, 0);
  EXPECT_DOUBLE_EQ(one.cov, 0);
  LatencyStats none = ComputeStats({});
  EXPECT_EQ(none.count, 0u);
  EXPECT_DOUBLE_EQ(none.mean_ms, 0);
}

TEST(PerfStatsTest, PercentileBounds) {
  std::vector<double> v = {1, 2, 3};
  EXPECT_DOUBLE_EQ(Percentile(v, 0), 1);
  EXPECT_DOUBLE_EQ(Percentile(v, 100), 3);
  EXPECT_DOUBLE_EQ(Percentile(v, 150), 3);
  EXPECT_DOUBLE_EQ(Percentile(v, 25), 1.5);
}

TEST(PerfStatsTest, OutlierRaisesCov) {
  std::vector<double> v(99, 10.0);
  v.push_back(110.0);
  LatencyStats s = ComputeStats(v);
  EXPECT_DOUBLE_EQ(s.mean_ms, 11.0);
  EXPECT_NEAR(s.stddev_ms, std::sqrt((99 * 1.0 + 99.0 * 99.0) / 100.0), 1e-9);
  EXPECT_GT(s.cov, 0.10);
  EXPECT_DOUBLE_EQ(s.median_ms, 10.0);
  EXPECT_NEAR(s.p99_ms, 10.0 + 0.01 * 100.0, 1e-9);  // rank 98.01
}

}  // namespace
}  // namespace edgert::app

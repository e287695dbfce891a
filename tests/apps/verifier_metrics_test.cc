// The verifier's metrics on hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "verifier/metrics.h"

namespace edgert::app {
namespace {

const float kNan = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

TEST(VerifierMetricsTest, Identical) {
  CompareResult r = Compare({1, -2, 3}, {1, -2, 3}, Tolerance());
  EXPECT_DOUBLE_EQ(r.cosine, 1.0);
  EXPECT_EQ(r.max_abs_error, 0);
  EXPECT_EQ(r.rmse, 0);
  EXPECT_EQ(r.tol_mismatch, 0u);
  EXPECT_EQ(r.count, 3u);
}

TEST(VerifierMetricsTest, OneElementOff) {
  // a = (1, 2, 3, 4), b = (1, 2, 3, 5): dot 34, |a| sqrt(30), |b| sqrt(39).
  CompareResult r = Compare({1, 2, 3, 4}, {1, 2, 3, 5}, Tolerance{1e-5, 1e-3, 2});
  EXPECT_NEAR(r.cosine, 34.0 / std::sqrt(30.0 * 39.0), 1e-12);
  EXPECT_DOUBLE_EQ(r.max_abs_error, 1.0);
  EXPECT_EQ(r.max_abs_index, 3u);
  EXPECT_DOUBLE_EQ(r.max_rel_error, 0.2);
  EXPECT_DOUBLE_EQ(r.mean_abs_error, 0.25);
  EXPECT_DOUBLE_EQ(r.rmse, 0.5);  // sqrt(1/4)
  EXPECT_EQ(r.tol_mismatch, 1u);
  EXPECT_EQ(r.decimal_mismatch, 1u);
}

TEST(VerifierMetricsTest, ToleranceAndDecimalBoundaries) {
  // |a-b| = 0.011 vs atol 0 + rtol 0.01*1 = 0.01: outside. decimal 1: 0.011 < 0.15 agrees.
  CompareResult r = Compare({1.011f}, {1.0f}, Tolerance{0, 0.01, 1});
  EXPECT_EQ(r.tol_mismatch, 1u);
  EXPECT_EQ(r.decimal_mismatch, 0u);
  CompareResult d = Compare({1.2f}, {1.0f}, Tolerance{0, 1, 1});  // 0.2 >= 0.15
  EXPECT_EQ(d.tol_mismatch, 0u);
  EXPECT_EQ(d.decimal_mismatch, 1u);
}

TEST(VerifierMetricsTest, NanAndInf) {
  CompareResult r = Compare({kNan, 1, kInf, 2}, {kNan, 1, kInf, kNan}, Tolerance());
  EXPECT_EQ(r.nan_a, 1u);
  EXPECT_EQ(r.nan_b, 2u);
  EXPECT_EQ(r.inf_a, 1u);
  EXPECT_EQ(r.inf_b, 1u);
  EXPECT_EQ(r.nonfinite_mismatch, 1u);  // only position 3 differs
  EXPECT_EQ(r.tol_mismatch, 1u);
  EXPECT_DOUBLE_EQ(r.cosine, 1.0);  // over the finite pair (1, 1)
  CompareResult s = Compare({kInf}, {-kInf}, Tolerance());
  EXPECT_EQ(s.nonfinite_mismatch, 1u);
}

TEST(VerifierMetricsTest, ZeroVectors) {
  EXPECT_DOUBLE_EQ(Compare({0, 0}, {0, 0}, Tolerance()).cosine, 1.0);
  EXPECT_DOUBLE_EQ(Compare({0, 0}, {0, 1}, Tolerance()).cosine, 0.0);
  EXPECT_DOUBLE_EQ(Compare({1, 0}, {0, 0}, Tolerance()).cosine, 0.0);
  EXPECT_DOUBLE_EQ(Compare({1, 2}, {-1, -2}, Tolerance()).cosine, -1.0);
}

TEST(VerifierMetricsTest, RelativeErrorSkipsTinyReferences) {
  CompareResult r = Compare({1e-7f, 2.f}, {0.f, 1.f}, Tolerance{1e-5, 1e-3, -1});
  EXPECT_DOUBLE_EQ(r.max_rel_error, 1.0);
  EXPECT_EQ(r.max_rel_index, 1u);
}

TEST(VerifierMetricsTest, IndexString) {
  EXPECT_EQ(IndexString(7, {2, 3, 4}), "(0,1,3)");
  EXPECT_EQ(IndexString(23, {2, 3, 4}), "(1,2,3)");
  EXPECT_EQ(IndexString(5, {}), "[5]");
  EXPECT_EQ(IndexString(30, {2, 3, 4}), "[30]");
}

}  // namespace
}  // namespace edgert::app

// f32 Conv2D through the oneDNN provider and through XNNPACK (oneDNN switched off), each against
// a naive double-precision convolution written here over an explicitly zero-padded input. Where
// oneDNN is built in (x86-64 hosts), the test also checks which provider took the node, so a
// silent decline cannot pass as coverage.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/kernel.h"
#include "engine_test_util.h"

namespace edgert::test {
namespace {

using S = std::vector<int64_t>;
constexpr float kInf = std::numeric_limits<float>::infinity();

struct Case {
  S x;  // [N,H,W,C]
  S w;  // [O,KH,KW,C/group]
  bool bias = true;
  S pads = {0, 0, 0, 0};  // t, l, b, r
  S strides = {1, 1};
  S dilations = {1, 1};
  int64_t group = 1;
  float lo = -kInf, hi = kInf;
  int threads = 1;
  bool dnnl_takes = true;  // false: oneDNN must decline and XNNPACK run it
};

// The reference: copy x into a zero-padded [N, H+t+b, W+l+r, C] buffer, then every output is a
// plain dot product over its dilated window, with no bounds tests.
std::vector<double> Reference(const Case& k, const std::vector<float>& x,
                              const std::vector<float>& w, const std::vector<float>& b,
                              S* out_shape) {
  const int64_t n = k.x[0], h = k.x[1], wd = k.x[2], c = k.x[3];
  const int64_t o = k.w[0], kh = k.w[1], kw = k.w[2], cpg = k.w[3];
  const int64_t ph = h + k.pads[0] + k.pads[2], pw = wd + k.pads[1] + k.pads[3];
  std::vector<double> padded(static_cast<size_t>(n * ph * pw * c), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t xx = 0; xx < wd; ++xx)
        for (int64_t ch = 0; ch < c; ++ch)
          padded[static_cast<size_t>(((i * ph + y + k.pads[0]) * pw + xx + k.pads[1]) * c + ch)] =
              x[static_cast<size_t>(((i * h + y) * wd + xx) * c + ch)];
  const int64_t oh = (ph - (kh - 1) * k.dilations[0] - 1) / k.strides[0] + 1;
  const int64_t ow = (pw - (kw - 1) * k.dilations[1] - 1) / k.strides[1] + 1;
  *out_shape = {n, oh, ow, o};
  const int64_t opg = o / k.group;
  std::vector<double> out;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t xx = 0; xx < ow; ++xx)
        for (int64_t oc = 0; oc < o; ++oc) {
          const int64_t c0 = (oc / opg) * cpg;  // first input channel of this output's group
          double acc = k.bias ? b[static_cast<size_t>(oc)] : 0.0;
          for (int64_t ky = 0; ky < kh; ++ky)
            for (int64_t kx = 0; kx < kw; ++kx) {
              const double* px = &padded[static_cast<size_t>(
                  ((i * ph + y * k.strides[0] + ky * k.dilations[0]) * pw + xx * k.strides[1] +
                   kx * k.dilations[1]) *
                      c +
                  c0)];
              const float* pk = &w[static_cast<size_t>(((oc * kh + ky) * kw + kx) * cpg)];
              for (int64_t ci = 0; ci < cpg; ++ci) acc += px[ci] * pk[ci];
            }
          out.push_back(std::min<double>(std::max<double>(acc, k.lo), k.hi));
        }
  return out;
}

void Check(const Case& k, uint32_t seed) {
  const std::vector<float> x = RandomFloats(static_cast<size_t>(Count(k.x)), seed);
  const std::vector<float> w = RandomFloats(static_cast<size_t>(Count(k.w)), seed + 1);
  const std::vector<float> b = RandomFloats(static_cast<size_t>(k.w[0]), seed + 2);
  S ys;
  const std::vector<double> want = Reference(k, x, w, b, &ys);
  std::vector<AttrDef> attrs = {AttrDef::Ints("pads", k.pads), AttrDef::Ints("strides", k.strides),
                                AttrDef::Ints("dilations", k.dilations),
                                AttrDef::Int("group", k.group)};
  if (k.lo != -kInf) attrs.push_back(AttrDef::Float("activation_min", k.lo));
  if (k.hi != kInf) attrs.push_back(AttrDef::Float("activation_max", k.hi));
  SessionOptions options;
  options.num_threads = k.threads;
  const bool built_in = engine::DnnlProvider() != nullptr;
  for (bool dnnl : {true, false}) {
    SCOPED_TRACE(dnnl ? "oneDNN enabled" : "oneDNN disabled");
    engine::SetDnnlEnabledForTesting(dnnl);
    const size_t before = engine::DnnlKernelCountForTesting();
    auto got = RunOp("Conv2D", {Var(k.x, x), Const(k.w, w), k.bias ? Const({k.w[0]}, b) : Absent()},
                     {ys}, attrs, options);
    engine::SetDnnlEnabledForTesting(true);
    const size_t ran = engine::DnnlKernelCountForTesting() - before;
    EXPECT_EQ(ran, dnnl && built_in && k.dnnl_takes ? 1u : 0u) << "oneDNN kernels set up";
    ASSERT_EQ(got.size(), 1u);
    ExpectClose(got[0], want, 1e-4, 1e-4);
  }
}

TEST(DnnlConvTest, Dense3x3Pad1Bias) {
  Case k;
  k.x = {1, 6, 7, 8};
  k.w = {16, 3, 3, 8};
  k.pads = {1, 1, 1, 1};
  Check(k, 1);
}

TEST(DnnlConvTest, OddChannelsNoBiasAsymmetricPads) {
  Case k;
  k.x = {2, 5, 6, 13};
  k.w = {7, 3, 2, 13};
  k.bias = false;
  k.pads = {0, 2, 1, 1};
  Check(k, 2);
}

TEST(DnnlConvTest, StridedDilated) {
  Case k;
  k.x = {1, 11, 12, 5};
  k.w = {9, 3, 3, 5};
  k.pads = {2, 1, 0, 2};
  k.strides = {2, 3};
  k.dilations = {2, 1};
  Check(k, 3);
}

TEST(DnnlConvTest, GroupedRelu) {
  Case k;
  k.x = {1, 6, 5, 12};
  k.w = {18, 3, 3, 4};
  k.group = 3;
  k.pads = {1, 0, 1, 0};
  k.lo = 0.f;
  Check(k, 4);
}

TEST(DnnlConvTest, DepthwiseStride2Relu6) {
  Case k;
  k.x = {1, 9, 9, 24};
  k.w = {24, 3, 3, 1};
  k.group = 24;
  k.pads = {1, 1, 1, 1};
  k.strides = {2, 2};
  k.lo = 0.f;
  k.hi = 0.6f;  // relu6 scaled to the data's range, so the upper bound clips
  Check(k, 5);
}

TEST(DnnlConvTest, DepthwiseMultiplierDilated) {
  Case k;
  k.x = {1, 8, 8, 3};
  k.w = {6, 3, 3, 1};
  k.group = 3;
  k.pads = {2, 2, 2, 2};
  k.dilations = {2, 2};
  Check(k, 6);
}

TEST(DnnlConvTest, PointwiseClip) {
  Case k;
  k.x = {1, 4, 4, 32};
  k.w = {24, 1, 1, 32};
  k.lo = -0.5f;
  k.hi = 0.75f;
  Check(k, 7);
}

TEST(DnnlConvTest, TwoThreads) {
  Case k;
  k.x = {1, 16, 16, 32};
  k.w = {64, 3, 3, 32};
  k.pads = {1, 1, 1, 1};
  k.lo = 0.f;
  k.threads = 2;
  Check(k, 8);
  k.x = {1, 16, 16, 32};
  k.w = {32, 3, 3, 1};
  k.group = 32;
  Check(k, 9);
}

// An activation range with one infinite bound has no oneDNN post-op: XNNPACK runs it.
TEST(DnnlConvTest, UpperBoundOnlyGoesToXnnpack) {
  Case k;
  k.x = {1, 5, 5, 4};
  k.w = {8, 3, 3, 4};
  k.hi = 0.25f;
  k.dnnl_takes = false;
  Check(k, 10);
}

// f32 FullyConnected runs on oneDNN as a 1x1 convolution over its rows (where built in), and on
// XNNPACK otherwise: both against y = x . w^T + b, clipped, in double precision.
TEST(DnnlConvTest, FullyConnectedRowsAsOneByOneConvolution) {
  const S xs = {2, 3, 40}, ws = {24, 40};
  const std::vector<float> x = RandomFloats(static_cast<size_t>(Count(xs)), 11);
  const std::vector<float> w = RandomFloats(static_cast<size_t>(Count(ws)), 12);
  const std::vector<float> b = RandomFloats(24, 13);
  std::vector<double> want;
  for (int64_t r = 0; r < 6; ++r)
    for (int64_t m = 0; m < 24; ++m) {
      double acc = b[static_cast<size_t>(m)];
      for (int64_t k = 0; k < 40; ++k)
        acc += double{x[static_cast<size_t>(r * 40 + k)]} * w[static_cast<size_t>(m * 40 + k)];
      want.push_back(std::min(std::max(acc, 0.0), 0.5));
    }
  for (int threads : {1, 2}) {
    SessionOptions options;
    options.num_threads = threads;
    const size_t before = engine::DnnlKernelCountForTesting();
    auto got = RunOp(
        "FullyConnected", {Var(xs, x), Const(ws, w), Const({24}, b)}, {{2, 3, 24}},
        {AttrDef::Float("activation_min", 0.f), AttrDef::Float("activation_max", 0.5f)}, options);
    EXPECT_EQ(engine::DnnlKernelCountForTesting() - before, engine::DnnlProvider() ? 1u : 0u);
    ASSERT_EQ(got.size(), 1u);
    ExpectClose(got[0], want, 1e-4, 1e-4);
  }
}

}  // namespace
}  // namespace edgert::test

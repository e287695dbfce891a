// Every IR op against hand-computed values or a naive double-precision reference written here.
// Shapes are tiny: these also run under qemu, where XNNPACK is ~500x slower.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine_test_util.h"

#ifdef EDGERT_PORTABLE_ONLY
// The same suite with the XNNPACK provider switched off, so every portable kernel meets the
// references too. Ops only XNNPACK runs are skipped.
#include "engine/kernel.h"
#define XNNPACK_ONLY() GTEST_SKIP() << "no portable kernel"

namespace {
class PortableOnly : public ::testing::Environment {
 public:
  void SetUp() override { edgert::engine::SetXnnpackEnabledForTesting(false); }
};
const auto* const kPortableOnly = ::testing::AddGlobalTestEnvironment(new PortableOnly);
}  // namespace
#else
#define XNNPACK_ONLY() (void)0
#endif

namespace edgert::test {
namespace {

using V = std::vector<float>;
using D = std::vector<double>;
using S = std::vector<int64_t>;
constexpr float kInf = std::numeric_limits<float>::infinity();

// ---- naive references ----

struct ConvParams {
  S pads = {0, 0, 0, 0};  // t, l, b, r
  S strides = {1, 1};
  S dilations = {1, 1};
  int64_t group = 1;
  S output_padding = {0, 0};
  float lo = -kInf, hi = kInf;
};

std::vector<AttrDef> ConvAttrs(const ConvParams& p, bool transpose = false) {
  std::vector<AttrDef> a = {AttrDef::Ints("pads", p.pads), AttrDef::Ints("strides", p.strides),
                            AttrDef::Ints("dilations", p.dilations),
                            AttrDef::Int("group", p.group)};
  if (transpose) a.push_back(AttrDef::Ints("output_padding", p.output_padding));
  if (p.lo != -kInf) a.push_back(AttrDef::Float("activation_min", p.lo));
  if (p.hi != kInf) a.push_back(AttrDef::Float("activation_max", p.hi));
  return a;
}

double Clip(double v, float lo, float hi) { return std::min<double>(std::max<double>(v, lo), hi); }

// x NHWC, w [O,KH,KW,C/g].
D RefConv(const V& x, const S& xs, const V& w, const S& ws, const V* b, const ConvParams& p,
          S* out_shape) {
  const int64_t n = xs[0], h = xs[1], wd = xs[2], c = xs[3];
  const int64_t o = ws[0], kh = ws[1], kw = ws[2], cg = ws[3];
  const int64_t og = o / p.group;
  const int64_t oh = (h + p.pads[0] + p.pads[2] - (kh - 1) * p.dilations[0] - 1) / p.strides[0] + 1;
  const int64_t ow =
      (wd + p.pads[1] + p.pads[3] - (kw - 1) * p.dilations[1] - 1) / p.strides[1] + 1;
  *out_shape = {n, oh, ow, o};
  D y(static_cast<size_t>(n * oh * ow * o));
  for (int64_t b0 = 0; b0 < n; ++b0)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox)
        for (int64_t oc = 0; oc < o; ++oc) {
          double acc = b ? (*b)[static_cast<size_t>(oc)] : 0.0;
          const int64_t grp = oc / og;
          for (int64_t ky = 0; ky < kh; ++ky)
            for (int64_t kx = 0; kx < kw; ++kx) {
              const int64_t iy = oy * p.strides[0] - p.pads[0] + ky * p.dilations[0];
              const int64_t ix = ox * p.strides[1] - p.pads[1] + kx * p.dilations[1];
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              for (int64_t ci = 0; ci < cg; ++ci)
                acc += static_cast<double>(
                           x[static_cast<size_t>(((b0 * h + iy) * wd + ix) * c + grp * cg + ci)]) *
                       w[static_cast<size_t>(((oc * kh + ky) * kw + kx) * cg + ci)];
            }
          y[static_cast<size_t>(((b0 * oh + oy) * ow + ox) * o + oc)] = Clip(acc, p.lo, p.hi);
        }
  return y;
}

// ConvTranspose, w [O,KH,KW,C/g] (per group [g][O/g][KH][KW][C/g]).
D RefDeconv(const V& x, const S& xs, const V& w, const S& ws, const V* b, const ConvParams& p,
            S* out_shape) {
  const int64_t n = xs[0], h = xs[1], wd = xs[2], c = xs[3];
  const int64_t o = ws[0], kh = ws[1], kw = ws[2], cg = ws[3];
  const int64_t og = o / p.group;
  const int64_t oh = (h - 1) * p.strides[0] - p.pads[0] - p.pads[2] + (kh - 1) * p.dilations[0] +
                     1 + p.output_padding[0];
  const int64_t ow = (wd - 1) * p.strides[1] - p.pads[1] - p.pads[3] + (kw - 1) * p.dilations[1] +
                     1 + p.output_padding[1];
  *out_shape = {n, oh, ow, o};
  D y(static_cast<size_t>(n * oh * ow * o), 0.0);
  for (int64_t b0 = 0; b0 < n; ++b0)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox)
        for (int64_t oc = 0; oc < o; ++oc)
          y[static_cast<size_t>(((b0 * oh + oy) * ow + ox) * o + oc)] =
              b ? (*b)[static_cast<size_t>(oc)] : 0.0;
  for (int64_t b0 = 0; b0 < n; ++b0)
    for (int64_t iy = 0; iy < h; ++iy)
      for (int64_t ix = 0; ix < wd; ++ix)
        for (int64_t ky = 0; ky < kh; ++ky)
          for (int64_t kx = 0; kx < kw; ++kx) {
            const int64_t oy = iy * p.strides[0] - p.pads[0] + ky * p.dilations[0];
            const int64_t ox = ix * p.strides[1] - p.pads[1] + kx * p.dilations[1];
            if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
            for (int64_t oc = 0; oc < o; ++oc) {
              const int64_t grp = oc / og;
              for (int64_t ci = 0; ci < cg; ++ci)
                y[static_cast<size_t>(((b0 * oh + oy) * ow + ox) * o + oc)] +=
                    static_cast<double>(
                        x[static_cast<size_t>(((b0 * h + iy) * wd + ix) * c + grp * cg + ci)]) *
                    w[static_cast<size_t>(((oc * kh + ky) * kw + kx) * cg + ci)];
            }
          }
  for (double& v : y) v = Clip(v, p.lo, p.hi);
  return y;
}

void CheckConv(const S& xs, const S& ws, bool bias, const ConvParams& p, uint32_t seed) {
  const V x = RandomFloats(static_cast<size_t>(Count(xs)), seed);
  const V w = RandomFloats(static_cast<size_t>(Count(ws)), seed + 1);
  const V b = RandomFloats(static_cast<size_t>(ws[0]), seed + 2);
  S ys;
  const D want = RefConv(x, xs, w, ws, bias ? &b : nullptr, p, &ys);
  auto got = RunOp("Conv2D", {Var(xs, x), Const(ws, w), bias ? Const({ws[0]}, b) : Absent()}, {ys},
                   ConvAttrs(p));
  ExpectClose(got[0], want);
}

// Geometry errors (kernel.cc ReadConvGeometry, shared by every provider) name what is wrong.
TEST(Conv2DTest, GeometryErrorsNameTheShapes) {
  XNNPACK_ONLY();
  std::vector<std::vector<float>> out;
  // 6 input channels in 4 groups.
  Status s = TryRunOp("Conv2D", {Var({1, 4, 4, 6}, V(96, 1.f)), Const({4, 3, 3, 2}, V(72, 1.f))},
                      {{1, 2, 2, 4}}, {AttrDef::Int("group", 4)}, &out);
  EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.ToString();
  EXPECT_NE(s.message().find("do not fit 6 input channels in 4 groups"), std::string::npos)
      << s.ToString();
  // A 3x3 conv without padding on 4x4 gives 2x2, not 4x4.
  s = TryRunOp("Conv2D", {Var({1, 4, 4, 2}, V(32, 1.f)), Const({3, 3, 3, 2}, V(54, 1.f))},
               {{1, 4, 4, 3}}, {}, &out);
  EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.ToString();
  EXPECT_NE(s.message().find("has shape 1x4x4x3, expected 1x2x2x3"), std::string::npos)
      << s.ToString();
}

TEST(Conv2DTest, Basic3x3Pad1) {
  XNNPACK_ONLY();
  ConvParams p;
  p.pads = {1, 1, 1, 1};
  CheckConv({1, 5, 6, 3}, {4, 3, 3, 3}, true, p, 1);
}

TEST(Conv2DTest, StridedDilatedAsymmetricPadsNoBias) {
  XNNPACK_ONLY();
  ConvParams p;
  p.pads = {0, 2, 1, 1};
  p.strides = {2, 3};
  p.dilations = {2, 1};
  CheckConv({2, 7, 8, 2}, {3, 2, 3, 2}, false, p, 2);
}

TEST(Conv2DTest, GroupedWithRelu6) {
  XNNPACK_ONLY();
  ConvParams p;
  p.pads = {1, 0, 1, 0};
  p.group = 2;
  p.lo = 0.f;
  p.hi = 0.5f;
  CheckConv({1, 4, 5, 4}, {6, 3, 2, 2}, true, p, 3);
}

TEST(Conv2DTest, DepthwiseAndDepthwiseMultiplier) {
  XNNPACK_ONLY();
  ConvParams p;
  p.pads = {1, 1, 1, 1};
  p.group = 3;
  CheckConv({1, 5, 5, 3}, {3, 3, 3, 1}, true, p, 4);
  p.strides = {2, 2};
  CheckConv({1, 5, 5, 3}, {6, 3, 3, 1}, true, p, 5);
}

TEST(Conv2DTest, PointwiseHandComputed) {
  XNNPACK_ONLY();
  // 1x1 conv, 2 -> 1 channel: y = 2*x0 - x1 + 0.5.
  auto got = RunOp(
      "Conv2D", {Var({1, 1, 2, 2}, {1, 2, 3, 4}), Const({1, 1, 1, 2}, {2, -1}), Const({1}, {0.5f})},
      {{1, 1, 2, 1}});
  ExpectClose(got[0], V{0.5f, 2.5f});
}

TEST(ConvTranspose2DTest, Stride2PadsOutputPadding) {
  XNNPACK_ONLY();
  ConvParams p;
  p.strides = {2, 2};
  p.pads = {1, 0, 1, 1};
  p.output_padding = {1, 1};
  const S xs = {1, 3, 3, 2}, ws = {3, 3, 3, 2};
  const V x = RandomFloats(static_cast<size_t>(Count(xs)), 10);
  const V w = RandomFloats(static_cast<size_t>(Count(ws)), 11);
  const V b = RandomFloats(3, 12);
  S ys;
  const D want = RefDeconv(x, xs, w, ws, &b, p, &ys);
  auto got =
      RunOp("ConvTranspose2D", {Var(xs, x), Const(ws, w), Const({3}, b)}, {ys}, ConvAttrs(p, true));
  ExpectClose(got[0], want);
}

TEST(ConvTranspose2DTest, GroupedDilatedNoBiasClamped) {
  XNNPACK_ONLY();
  ConvParams p;
  p.strides = {2, 1};
  p.dilations = {1, 2};
  p.group = 2;
  p.lo = -0.3f;
  const S xs = {1, 2, 3, 4}, ws = {4, 2, 2, 2};
  const V x = RandomFloats(static_cast<size_t>(Count(xs)), 13);
  const V w = RandomFloats(static_cast<size_t>(Count(ws)), 14);
  S ys;
  const D want = RefDeconv(x, xs, w, ws, nullptr, p, &ys);
  auto got =
      RunOp("ConvTranspose2D", {Var(xs, x), Const(ws, w), Absent()}, {ys}, ConvAttrs(p, true));
  ExpectClose(got[0], want);
}

TEST(FullyConnectedTest, Rank2AndRank3WithBias) {
  XNNPACK_ONLY();
  for (const S& xs : {S{2, 5}, S{2, 3, 5}}) {
    const V x = RandomFloats(static_cast<size_t>(Count(xs)), 20);
    const V w = RandomFloats(15, 21);
    const V b = {0.1f, -0.2f, 0.3f};
    const int64_t rows = Count(xs) / 5;
    D want;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < 3; ++o) {
        double acc = b[static_cast<size_t>(o)];
        for (int64_t k = 0; k < 5; ++k)
          acc += static_cast<double>(x[static_cast<size_t>(r * 5 + k)]) *
                 w[static_cast<size_t>(o * 5 + k)];
        want.push_back(acc);
      }
    S ys = xs;
    ys.back() = 3;
    auto got = RunOp("FullyConnected", {Var(xs, x), Const({3, 5}, w), Const({3}, b)}, {ys});
    ExpectClose(got[0], want);
  }
}

// ---- pooling ----

struct PoolParams {
  S kernel, strides = {1, 1}, pads = {0, 0, 0, 0}, dilations = {1, 1};
  bool include_pad = false;
};

D RefPool(bool max, const V& x, const S& xs, const PoolParams& p, S* ys) {
  const int64_t n = xs[0], h = xs[1], w = xs[2], c = xs[3];
  const int64_t oh =
      (h + p.pads[0] + p.pads[2] - (p.kernel[0] - 1) * p.dilations[0] - 1) / p.strides[0] + 1;
  const int64_t ow =
      (w + p.pads[1] + p.pads[3] - (p.kernel[1] - 1) * p.dilations[1] - 1) / p.strides[1] + 1;
  *ys = {n, oh, ow, c};
  D y;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox)
        for (int64_t k = 0; k < c; ++k) {
          double acc = max ? -INFINITY : 0.0;
          int count = 0;
          for (int64_t ky = 0; ky < p.kernel[0]; ++ky)
            for (int64_t kx = 0; kx < p.kernel[1]; ++kx) {
              const int64_t iy = oy * p.strides[0] - p.pads[0] + ky * p.dilations[0];
              const int64_t ix = ox * p.strides[1] - p.pads[1] + kx * p.dilations[1];
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const double v = x[static_cast<size_t>(((b * h + iy) * w + ix) * c + k)];
              acc = max ? std::max(acc, v) : acc + v;
              ++count;
            }
          if (!max) acc /= p.include_pad ? static_cast<double>(p.kernel[0] * p.kernel[1]) : count;
          y.push_back(acc);
        }
  return y;
}

std::vector<AttrDef> PoolAttrs(const PoolParams& p, bool max) {
  std::vector<AttrDef> a = {AttrDef::Ints("kernel", p.kernel), AttrDef::Ints("strides", p.strides),
                            AttrDef::Ints("pads", p.pads)};
  if (max) a.push_back(AttrDef::Ints("dilations", p.dilations));
  if (!max) a.push_back(AttrDef::Int("count_include_pad", p.include_pad ? 1 : 0));
  return a;
}

void CheckPool(bool max, const S& xs, const PoolParams& p, uint32_t seed) {
  const V x = RandomFloats(static_cast<size_t>(Count(xs)), seed);
  S ys;
  const D want = RefPool(max, x, xs, p, &ys);
  auto got = RunOp(max ? "MaxPool2D" : "AvgPool2D", {Var(xs, x)}, {ys}, PoolAttrs(p, max));
  ExpectClose(got[0], want);
}

TEST(MaxPool2DTest, PaddedStridedDilatedAnd1x1) {
  PoolParams p;
  p.kernel = {3, 3};
  p.strides = {2, 2};
  p.pads = {1, 1, 1, 1};
  CheckPool(true, {1, 5, 6, 3}, p, 30);
  p.dilations = {2, 1};
  p.pads = {2, 0, 1, 1};
  CheckPool(true, {2, 6, 5, 2}, p, 31);
  PoolParams one;  // 1x1 stride 2: XNNPACK refuses 1x1 pooling, the portable kernel runs it
  one.kernel = {1, 1};
  one.strides = {2, 2};
  CheckPool(true, {1, 5, 5, 2}, one, 32);
}

TEST(MaxPool2DTest, PaddingNeverWins) {
  // All inputs negative: a padded zero must not become the maximum.
  auto got = RunOp("MaxPool2D", {Var({1, 2, 2, 1}, {-4, -3, -2, -1})}, {{1, 2, 2, 1}},
                   {AttrDef::Ints("kernel", {2, 2}), AttrDef::Ints("pads", {1, 1, 0, 0})});
  ExpectClose(got[0], V{-4, -3, -2, -1});
}

TEST(AvgPool2DTest, CountIncludePadBothWays) {
  // 2x2 input, 2x2 window, pad 1 on top/left: corner windows hold 1, 2 or 4 real cells.
  const V x = {1, 2, 3, 4};
  std::vector<AttrDef> a = {AttrDef::Ints("kernel", {2, 2}), AttrDef::Ints("pads", {1, 1, 0, 0})};
  auto excl = RunOp("AvgPool2D", {Var({1, 2, 2, 1}, x)}, {{1, 2, 2, 1}}, a);
  ExpectClose(excl[0], V{1.f, 1.5f, 2.f, 2.5f});
  a.push_back(AttrDef::Int("count_include_pad", 1));
  auto incl = RunOp("AvgPool2D", {Var({1, 2, 2, 1}, x)}, {{1, 2, 2, 1}}, a);
  ExpectClose(incl[0], V{0.25f, 0.75f, 1.f, 2.5f});
}

TEST(AvgPool2DTest, RandomBothWays) {
  PoolParams p;
  p.kernel = {3, 2};
  p.strides = {2, 1};
  p.pads = {1, 1, 1, 0};
  CheckPool(false, {1, 5, 4, 3}, p, 33);
  p.include_pad = true;
  CheckPool(false, {1, 5, 4, 3}, p, 34);
  PoolParams nopad;
  nopad.kernel = {2, 2};
  nopad.strides = {2, 2};
  nopad.include_pad = true;  // no padding: XNNPACK is exact
  CheckPool(false, {2, 4, 4, 2}, nopad, 35);
}

TEST(GlobalPoolTest, AvgAndMax) {
  const S xs = {2, 3, 2, 3};
  const V x = RandomFloats(36, 40);
  D avg(6, 0.0), mx(6, -INFINITY);
  for (int b = 0; b < 2; ++b)
    for (int p = 0; p < 6; ++p)
      for (int c = 0; c < 3; ++c) {
        const double v = x[static_cast<size_t>((b * 6 + p) * 3 + c)];
        avg[static_cast<size_t>(b * 3 + c)] += v / 6.0;
        mx[static_cast<size_t>(b * 3 + c)] = std::max(mx[static_cast<size_t>(b * 3 + c)], v);
      }
  ExpectClose(RunOp("GlobalAvgPool", {Var(xs, x)}, {{2, 1, 1, 3}})[0], avg);
  ExpectClose(RunOp("GlobalMaxPool", {Var(xs, x)}, {{2, 1, 1, 3}})[0], mx);
}

// ---- elementwise ----

D RefBinary(const std::string& op, const V& a, const S& as, const V& b, const S& bs, S* ys,
            float lo = -kInf, float hi = kInf) {
  const size_t r = std::max(as.size(), bs.size());
  S pa(r - as.size(), 1), pb(r - bs.size(), 1);
  pa.insert(pa.end(), as.begin(), as.end());
  pb.insert(pb.end(), bs.begin(), bs.end());
  ys->assign(r, 0);
  for (size_t d = 0; d < r; ++d) (*ys)[d] = std::max(pa[d], pb[d]);
  D y;
  S idx(r, 0);
  for (int64_t i = 0; i < Count(*ys); ++i) {
    int64_t rem = i, ia = 0, ib = 0, sa = 1, sb = 1;
    for (size_t d = r; d-- > 0;) {
      idx[d] = rem % (*ys)[d];
      rem /= (*ys)[d];
    }
    for (size_t d = r; d-- > 0;) {
      ia += (pa[d] == 1 ? 0 : idx[d]) * sa;
      ib += (pb[d] == 1 ? 0 : idx[d]) * sb;
      sa *= pa[d];
      sb *= pb[d];
    }
    const double x = a[static_cast<size_t>(ia)], z = b[static_cast<size_t>(ib)];
    double v = op == "Add"   ? x + z
               : op == "Sub" ? x - z
               : op == "Mul" ? x * z
               : op == "Div" ? x / z
                             : (x < 0 ? x * z : x);
    y.push_back(Clip(v, lo, hi));
  }
  return y;
}

void CheckBinary(const std::string& op, const S& as, const S& bs, bool b_const, uint32_t seed,
                 float lo = -kInf, float hi = kInf) {
  V a = RandomFloats(static_cast<size_t>(Count(as)), seed);
  V b = RandomFloats(static_cast<size_t>(Count(bs)), seed + 1, op == "Div" ? 0.5f : -1.f, 1.f);
  S ys;
  const D want = RefBinary(op, a, as, b, bs, &ys, lo, hi);
  std::vector<AttrDef> attrs;
  if (lo != -kInf) attrs.push_back(AttrDef::Float("activation_min", lo));
  if (hi != kInf) attrs.push_back(AttrDef::Float("activation_max", hi));
  auto got = RunOp(op, {Var(as, a), b_const ? Const(bs, b) : Var(bs, b)}, {ys}, attrs);
  ExpectClose(got[0], want);
}

TEST(BinaryTest, AddSubMulDivSameShape) {
  for (const char* op : {"Add", "Sub", "Mul", "Div"})
    CheckBinary(op, {2, 3, 4}, {2, 3, 4}, false, 50);
}

TEST(BinaryTest, BroadcastShapes) {
  CheckBinary("Add", {2, 3, 4, 5}, {1, 3, 1, 5}, true, 51);
  CheckBinary("Mul", {2, 1, 4, 1}, {1, 3, 1, 5}, false, 52);
  CheckBinary("Sub", {1}, {2, 3}, false, 53);
  CheckBinary("Div", {2, 3, 4}, {4}, true, 54);
  CheckBinary("Sub", {3, 1}, {1, 4}, true, 55);
}

TEST(BinaryTest, FusedActivationClamp) {
  CheckBinary("Add", {2, 3, 4}, {1, 1, 4}, true, 56, 0.f, 0.6f);
  CheckBinary("Mul", {2, 3, 4}, {2, 3, 4}, false, 57, -0.1f);
}

TEST(BinaryTest, Rank7FallsBackToPortable) {
  CheckBinary("Add", {2, 1, 2, 1, 2, 1, 2}, {1, 2, 1, 2, 1, 2, 1}, false, 58);
}

TEST(BinaryTest, ScalarConstantAtEndOfDataSection) {
  // The constant is the last bytes of the file's data section; XNNPACK may over-read 16 bytes.
  CheckBinary("Mul", {2, 5}, {1}, true, 59);
}

D RefUnary(const std::string& op, const V& x, float a = 0, float b = 0) {
  D y;
  for (float f : x) {
    const double v = f;
    double r = 0;
    if (op == "Sigmoid") r = 1 / (1 + std::exp(-v));
    if (op == "Tanh") r = std::tanh(v);
    if (op == "HardSigmoid") r = std::min(std::max(a * v + b, 0.0), 1.0);
    if (op == "HardSwish") r = v * std::min(std::max(v + 3, 0.0), 6.0) / 6;
    if (op == "Swish") r = v / (1 + std::exp(-v));
    if (op == "LeakyRelu") r = v < 0 ? a * v : v;
    if (op == "Clamp") r = Clip(v, a, b);
    y.push_back(r);
  }
  return y;
}

TEST(UnaryTest, AllActivations) {
  const S xs = {2, 3, 5};
  const V x = RandomFloats(30, 60, -5.f, 5.f);
  for (const char* op : {"Sigmoid", "Tanh", "HardSwish", "Swish"})
    ExpectClose(RunOp(op, {Var(xs, x)}, {xs})[0], RefUnary(op, x), 1e-5, 1e-4);
  ExpectClose(RunOp("HardSigmoid", {Var(xs, x)}, {xs})[0], RefUnary("HardSigmoid", x, 0.2f, 0.5f));
  ExpectClose(RunOp("HardSigmoid", {Var(xs, x)}, {xs},
                    {AttrDef::Float("alpha", 0.3f), AttrDef::Float("beta", 0.4f)})[0],
              RefUnary("HardSigmoid", x, 0.3f, 0.4f));
  ExpectClose(RunOp("LeakyRelu", {Var(xs, x)}, {xs})[0], RefUnary("LeakyRelu", x, 0.01f));
  ExpectClose(RunOp("LeakyRelu", {Var(xs, x)}, {xs}, {AttrDef::Float("alpha", 0.2f)})[0],
              RefUnary("LeakyRelu", x, 0.2f));
  ExpectClose(RunOp("Clamp", {Var(xs, x)}, {xs}, {AttrDef::Float("min", 0.f)})[0],
              RefUnary("Clamp", x, 0.f, kInf));
  ExpectClose(RunOp("Clamp", {Var(xs, x)}, {xs},
                    {AttrDef::Float("min", -1.f), AttrDef::Float("max", 2.f)})[0],
              RefUnary("Clamp", x, -1.f, 2.f));
}

TEST(PReluTest, PerChannelAndBroadcastSlopes) {
  // Per channel of the last axis (XNNPACK) and per H row (portable broadcasting).
  CheckBinary("PRelu", {1, 3, 2, 4}, {4}, true, 61);
  CheckBinary("PRelu", {1, 3, 2, 4}, {1, 1, 1, 4}, true, 62);
  CheckBinary("PRelu", {1, 3, 2, 4}, {1, 3, 1, 1}, true, 63);
  CheckBinary("PRelu", {2, 4}, {2, 4}, false, 64);
}

// ---- data movement ----

TEST(ConcatTest, ThreeInputsInnerAndOuterAxis) {
  const V a = {1, 2, 3, 4}, b = {5, 6}, c = {7, 8, 9, 10, 11, 12};
  auto got = RunOp("Concat", {Var({2, 2}, a), Var({2, 1}, b), Var({2, 3}, c)}, {{2, 6}},
                   {AttrDef::Int("axis", -1)});
  ExpectClose(got[0], V{1, 2, 5, 7, 8, 9, 3, 4, 6, 10, 11, 12});
  got = RunOp("Concat", {Var({1, 2}, {1, 2}), Const({2, 2}, {3, 4, 5, 6})}, {{3, 2}},
              {AttrDef::Int("axis", 0)});
  ExpectClose(got[0], V{1, 2, 3, 4, 5, 6});
}

TEST(SplitTest, SizesAndEqual) {
  const V x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  auto got = RunOp("Split", {Var({2, 6}, x)}, {{2, 1}, {2, 2}, {2, 3}},
                   {AttrDef::Int("axis", 1), AttrDef::Ints("split", {1, 2, 3})});
  ExpectClose(got[0], V{0, 6});
  ExpectClose(got[1], V{1, 2, 7, 8});
  ExpectClose(got[2], V{3, 4, 5, 9, 10, 11});
  got = RunOp("Split", {Var({2, 6}, x)}, {{1, 6}, {1, 6}}, {AttrDef::Int("axis", 0)});
  ExpectClose(got[0], V{0, 1, 2, 3, 4, 5});
  ExpectClose(got[1], V{6, 7, 8, 9, 10, 11});
}

TEST(SliceTest, PositiveAndNegativeSteps) {
  V x(24);
  for (int i = 0; i < 24; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i);  // 2x3x4
  // x[1:2, 0:3:2, 1:4]
  auto got = RunOp("Slice", {Var({2, 3, 4}, x)}, {{1, 2, 3}},
                   {AttrDef::Ints("starts", {1, 0, 1}), AttrDef::Ints("ends", {2, 3, 4}),
                    AttrDef::Ints("steps", {1, 2, 1})});
  ExpectClose(got[0], V{13, 14, 15, 21, 22, 23});
  // x[:, ::-1, 3::-2]: ends -1 means "before 0".
  got = RunOp("Slice", {Var({2, 3, 4}, x)}, {{2, 3, 2}},
              {AttrDef::Ints("starts", {0, 2, 3}), AttrDef::Ints("ends", {2, -1, -1}),
               AttrDef::Ints("steps", {1, -1, -2})});
  ExpectClose(got[0], V{11, 9, 7, 5, 3, 1, 23, 21, 19, 17, 15, 13});
}

TEST(SliceTest, OutOfRangeIsAnEngineError) {
  std::vector<std::vector<float>> out;
  Status s = TryRunOp(
      "Slice", {Var({4}, {1, 2, 3, 4})}, {{3}},
      {AttrDef::Ints("starts", {2}), AttrDef::Ints("ends", {5}), AttrDef::Ints("steps", {1})},
      &out);
  EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.ToString();
}

TEST(ReshapeCopyTest, ActivationAndConstant) {
  const V x = RandomFloats(12, 70);
  ExpectClose(RunOp("Reshape", {Var({3, 4}, x)}, {{2, 6}})[0], x);
  ExpectClose(RunOp("Copy", {Var({3, 4}, x)}, {{3, 4}})[0], x);
  // A constant input cannot be aliased: the engine copies it.
  ExpectClose(RunOp("Reshape", {Const({3, 4}, x)}, {{12}})[0], x);
}

TEST(TransposeTest, Rank4AndDefaultReverse) {
  V x(24);
  for (int i = 0; i < 24; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i);  // 1x2x3x4
  auto got = RunOp("Transpose", {Var({1, 2, 3, 4}, x)}, {{1, 4, 2, 3}},
                   {AttrDef::Ints("perm", {0, 3, 1, 2})});
  V want;
  for (int c = 0; c < 4; ++c)
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 3; ++b) want.push_back(static_cast<float>(a * 12 + b * 4 + c));
  ExpectClose(got[0], want);
  got = RunOp("Transpose", {Var({2, 3}, {0, 1, 2, 3, 4, 5})}, {{3, 2}});
  ExpectClose(got[0], V{0, 3, 1, 4, 2, 5});
}

TEST(PadTest, ConstantReflectEdgeAndCrop) {
  const V x = {1, 2, 3, 4, 5, 6};  // 2x3
  auto got = RunOp("Pad", {Var({2, 3}, x)}, {{3, 5}},
                   {AttrDef::Ints("pads", {1, 0, 0, 2}), AttrDef::Float("value", 9.f)});
  ExpectClose(got[0], V{9, 9, 9, 9, 9, 1, 2, 3, 9, 9, 4, 5, 6, 9, 9});
  got = RunOp("Pad", {Var({2, 3}, x)}, {{2, 7}},
              {AttrDef::Ints("pads", {0, 2, 0, 2}), AttrDef::String("mode", "reflect")});
  ExpectClose(got[0], V{3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4});
  got = RunOp("Pad", {Var({2, 3}, x)}, {{4, 4}},
              {AttrDef::Ints("pads", {1, 1, 1, 0}), AttrDef::String("mode", "edge")});
  ExpectClose(got[0], V{1, 1, 2, 3, 1, 1, 2, 3, 4, 4, 5, 6, 4, 4, 5, 6});
  // Negative pads crop (portable; XNNPACK's constant pad cannot).
  got = RunOp("Pad", {Var({2, 3}, x)}, {{2, 3}}, {AttrDef::Ints("pads", {0, -1, 0, 1})});
  ExpectClose(got[0], V{2, 3, 0, 5, 6, 0});
}

TEST(PadTest, Nhwc4DConstant) {
  const V x = RandomFloats(2 * 2 * 2, 71);
  auto got = RunOp("Pad", {Var({1, 2, 2, 2}, x)}, {{1, 3, 4, 2}},
                   {AttrDef::Ints("pads", {0, 1, 1, 0, 0, 0, 1, 0})});
  V want(24, 0.f);
  for (int y = 0; y < 2; ++y)
    for (int xx = 0; xx < 2; ++xx)
      for (int c = 0; c < 2; ++c)
        want[static_cast<size_t>(((y + 1) * 4 + xx + 1) * 2 + c)] =
            x[static_cast<size_t>((y * 2 + xx) * 2 + c)];
  ExpectClose(got[0], want);
}

// ---- Resize ----

// ONNX coordinate transforms, written out again independently of the engine.
double RefCoord(const std::string& mode, int64_t x, double scale, int64_t in, int64_t out) {
  if (mode == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (mode == "pytorch_half_pixel") return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (mode == "align_corners") return out == 1 ? 0.0 : x * double(in - 1) / double(out - 1);
  if (mode == "asymmetric") return x / scale;
  return (x + 0.5) / scale;  // tf_half_pixel_for_nn
}

D RefResize(bool linear, const std::string& coord, const std::string& nearest, const V& x,
            const S& xs, const S& ys, double sh, double sw) {
  D y;
  const int64_t ih = xs[1], iw = xs[2], c = xs[3];
  auto at = [&](int64_t b, int64_t yy, int64_t xx, int64_t k) {
    return static_cast<double>(x[static_cast<size_t>(((b * ih + yy) * iw + xx) * c + k)]);
  };
  auto round = [&](double v) {
    if (nearest == "floor") return std::floor(v);
    if (nearest == "ceil") return std::ceil(v);
    if (v - std::floor(v) == 0.5)
      return nearest == "round_prefer_ceil" ? std::ceil(v) : std::floor(v);
    return std::round(v);
  };
  for (int64_t b = 0; b < ys[0]; ++b)
    for (int64_t oy = 0; oy < ys[1]; ++oy)
      for (int64_t ox = 0; ox < ys[2]; ++ox)
        for (int64_t k = 0; k < c; ++k) {
          double fy = RefCoord(coord, oy, sh, ih, ys[1]), fx = RefCoord(coord, ox, sw, iw, ys[2]);
          if (!linear) {
            const auto iy = std::clamp<int64_t>(static_cast<int64_t>(round(fy)), 0, ih - 1);
            const auto ix = std::clamp<int64_t>(static_cast<int64_t>(round(fx)), 0, iw - 1);
            y.push_back(at(b, iy, ix, k));
            continue;
          }
          fy = std::clamp(fy, 0.0, double(ih - 1));
          fx = std::clamp(fx, 0.0, double(iw - 1));
          const auto y0 = static_cast<int64_t>(fy), x0 = static_cast<int64_t>(fx);
          const int64_t y1 = std::min(y0 + 1, ih - 1), x1 = std::min(x0 + 1, iw - 1);
          const double wy = fy - y0, wx = fx - x0;
          y.push_back(at(b, y0, x0, k) * (1 - wy) * (1 - wx) + at(b, y0, x1, k) * (1 - wy) * wx +
                      at(b, y1, x0, k) * wy * (1 - wx) + at(b, y1, x1, k) * wy * wx);
        }
  return y;
}

void CheckResize(bool linear, const std::string& coord, const std::string& nearest, const S& xs,
                 const S& ys, float sh, float sw, uint32_t seed) {
  SCOPED_TRACE((linear ? "linear " : "nearest ") + coord + " " + nearest);
  const V x = RandomFloats(static_cast<size_t>(Count(xs)), seed);
  const D want = RefResize(linear, coord, nearest, x, xs, ys, sh, sw);
  auto got = RunOp("Resize", {Var(xs, x)}, {ys},
                   {AttrDef::String("mode", linear ? "linear" : "nearest"),
                    AttrDef::String("coordinate_transformation_mode", coord),
                    AttrDef::String("nearest_mode", nearest), AttrDef::Floats("scales", {sh, sw})});
  ExpectClose(got[0], want, 1e-5, 1e-4);
}

TEST(ResizeTest, NearestModes) {
  const S xs = {1, 3, 4, 2};
  CheckResize(false, "asymmetric", "floor", xs, {1, 6, 8, 2}, 2.f, 2.f, 80);
  CheckResize(false, "half_pixel", "round_prefer_floor", xs, {1, 6, 8, 2}, 2.f, 2.f, 81);
  CheckResize(false, "half_pixel", "round_prefer_ceil", xs, {1, 4, 6, 2}, 4.f / 3, 1.5f, 82);
  CheckResize(false, "align_corners", "round_prefer_floor", xs, {1, 5, 7, 2}, 5.f / 3, 7.f / 4, 83);
  CheckResize(false, "tf_half_pixel_for_nn", "ceil", xs, {1, 2, 2, 2}, 2.f / 3, 0.5f, 84);
  CheckResize(false, "asymmetric", "round_prefer_ceil", xs, {1, 1, 2, 2}, 1.f / 3, 0.5f, 85);
}

TEST(ResizeTest, LinearModes) {
  const S xs = {2, 3, 4, 3};
  CheckResize(true, "half_pixel", "floor", xs, {2, 6, 8, 3}, 2.f, 2.f, 90);
  CheckResize(true, "align_corners", "floor", xs, {2, 5, 7, 3}, 5.f / 3, 7.f / 4, 91);
  CheckResize(true, "asymmetric", "floor", xs, {2, 6, 6, 3}, 2.f, 1.5f, 92);
  CheckResize(true, "pytorch_half_pixel", "floor", xs, {2, 6, 8, 3}, 2.f, 2.f, 93);
  CheckResize(true, "pytorch_half_pixel", "floor", xs, {2, 1, 8, 3}, 1.f / 3, 2.f, 94);
  CheckResize(true, "tf_half_pixel_for_nn", "floor", xs, {2, 6, 8, 3}, 2.f, 2.f, 95);
  // Scales that differ from out/in (ONNX: out = floor(in * scale)) go to the portable kernel.
  CheckResize(true, "half_pixel", "floor", xs, {2, 4, 6, 3}, 1.5f, 1.7f, 96);
  // Downscale.
  CheckResize(true, "half_pixel", "floor", {1, 6, 8, 2}, {1, 3, 3, 2}, 0.5f, 3.f / 8, 97);
}

// Found by fuzz_model_load: a tiny scale put the nearest source coordinate beyond int64, and the
// float-to-int conversion was undefined (x86 gave INT64_MIN, so row 0 instead of the last row).
// The coordinate is clamped as a float; a scale that is not finite is refused.
TEST(ResizeTest, ExtremeScalesClampOrAreRefused) {
  const S xs = {1, 2, 2, 1};
  const V x = {1.f, 2.f, 3.f, 4.f};
  auto got = RunOp("Resize", {Var(xs, x)}, {xs},
                   {AttrDef::String("mode", "nearest"),
                    AttrDef::String("coordinate_transformation_mode", "half_pixel"),
                    AttrDef::String("nearest_mode", "round_prefer_floor"),
                    AttrDef::Floats("scales", {1e-30f, 1e-30f})});
  // (x + 0.5) / 1e-30 - 0.5 is past the last row and column for every x: all read x[1][1].
  ExpectClose(got[0], D{4, 4, 4, 4}, 0, 0);
  std::vector<std::vector<float>> out;
  const Status s =
      TryRunOp("Resize", {Var(xs, x)}, {xs},
               {AttrDef::String("mode", "nearest"),
                AttrDef::Floats("scales", {std::numeric_limits<float>::infinity(), 1.f})},
               &out);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("positive and finite"), std::string::npos) << s.ToString();
}

// ---- Softmax, ReduceMean ----

TEST(SoftmaxTest, LastAndMiddleAxis) {
  const S xs = {2, 3, 4};
  const V x = RandomFloats(24, 100, -3.f, 3.f);
  for (int axis : {-1, 1}) {
    const int64_t n = axis == 1 ? 3 : 4, inner = axis == 1 ? 4 : 1;
    D want(24);
    for (int64_t o = 0; o < 24 / (n * inner); ++o)
      for (int64_t i = 0; i < inner; ++i) {
        double sum = 0;
        for (int64_t k = 0; k < n; ++k)
          sum += std::exp(x[static_cast<size_t>((o * n + k) * inner + i)]);
        for (int64_t k = 0; k < n; ++k) {
          const size_t j = static_cast<size_t>((o * n + k) * inner + i);
          want[j] = std::exp(x[j]) / sum;
        }
      }
    ExpectClose(RunOp("Softmax", {Var(xs, x)}, {xs}, {AttrDef::Int("axis", axis)})[0], want, 1e-6);
  }
}

TEST(ReduceMeanTest, SpatialKeepdimsAndNot) {
  const S xs = {2, 3, 2, 4};
  const V x = RandomFloats(48, 110);
  D want(8, 0.0);
  for (int b = 0; b < 2; ++b)
    for (int p = 0; p < 6; ++p)
      for (int c = 0; c < 4; ++c)
        want[static_cast<size_t>(b * 4 + c)] += x[static_cast<size_t>((b * 6 + p) * 4 + c)] / 6.0;
  ExpectClose(RunOp("ReduceMean", {Var(xs, x)}, {{2, 1, 1, 4}}, {AttrDef::Ints("axes", {1, 2})})[0],
              want);
  ExpectClose(RunOp("ReduceMean", {Var(xs, x)}, {{2, 4}},
                    {AttrDef::Ints("axes", {-3, -2}), AttrDef::Int("keepdims", 0)})[0],
              want);
  // Reduce the last axis only, and everything (axes absent).
  D last, all(1, 0.0);
  for (int r = 0; r < 12; ++r) {
    double s = 0;
    for (int c = 0; c < 4; ++c) s += x[static_cast<size_t>(r * 4 + c)];
    last.push_back(s / 4);
    all[0] += s / 48;
  }
  ExpectClose(RunOp("ReduceMean", {Var(xs, x)}, {{2, 3, 2, 1}}, {AttrDef::Ints("axes", {3})})[0],
              last);
  ExpectClose(RunOp("ReduceMean", {Var(xs, x)}, {{1, 1, 1, 1}})[0], all);
}

// ---- attribute readers shared by every provider (kernel.cc) ----

struct RangeCase {
  std::string op;
  std::vector<OpInput> inputs;
  S out;
  std::vector<AttrDef> attrs;
  std::string lo, hi;  // the range's attributes
};

std::vector<RangeCase> RangeCases() {
  const std::vector<AttrDef> pool = {AttrDef::Ints("kernel", {2, 2})};
  const OpInput x = Var({1, 2, 2, 2}, V(8, 1.f));
  const S same = {1, 2, 2, 2}, pooled = {1, 1, 1, 2};
  const std::string lo = "activation_min", hi = "activation_max";
  std::vector<RangeCase> c = {
      {"Add", {x, x}, same, {}, lo, hi},
      {"MaxPool2D", {x}, pooled, pool, lo, hi},
      {"AvgPool2D", {x}, pooled, pool, lo, hi},
      {"Clamp", {x}, same, {}, "min", "max"},
  };
#ifndef EDGERT_PORTABLE_ONLY
  // XNNPACK, and oneDNN where built in.
  const OpInput w = Const({3, 1, 1, 2}, V(6, 0.5f)), fc_w = Const({3, 2}, V(6, 0.5f));
  c.push_back({"Conv2D", {x, w}, {1, 2, 2, 3}, {}, lo, hi});
  c.push_back({"FullyConnected", {Var({2, 2}, V(4, 1.f)), fc_w}, {2, 3}, {}, lo, hi});
#endif
  return c;
}

// One reader (kernel.cc ReadRange) checks the fused activation range and Clamp's range for every
// provider: a NaN bound or min > max is an error naming the range. In the portable.* run the
// portable kernels meet it (they used to accept such ranges).
TEST(RangeTest, EmptyOrNaNRangeIsAnErrorForEveryKernel) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const RangeCase& k : RangeCases()) {
    for (const auto& [lo, hi] :
         std::vector<std::pair<float, float>>{{nan, 1.f}, {0.f, nan}, {2.f, 1.f}, {0.f, 6.f}}) {
      SCOPED_TRACE(k.op + " [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      std::vector<AttrDef> attrs = k.attrs;
      attrs.push_back(AttrDef::Float(k.lo, lo));
      attrs.push_back(AttrDef::Float(k.hi, hi));
      std::vector<std::vector<float>> out;
      const Status s = TryRunOp(k.op, k.inputs, {k.out}, attrs, &out);
      if (lo == 0.f && hi == 6.f) {  // a valid range: the cases themselves are sound
        EXPECT_TRUE(s.ok()) << s.ToString();
        continue;
      }
      EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.ToString();
      EXPECT_NE(s.message().find(k.lo + ".." + k.hi + " range ["), std::string::npos)
          << s.ToString();
      EXPECT_NE(s.message().find("] is empty"), std::string::npos) << s.ToString();
    }
  }
}

// One reader (kernel.cc ReadPoolGeometry) checks MaxPool2D/AvgPool2D geometry for every
// provider, with the strictest rules any of them had.
TEST(PoolGeometryTest, InvalidGeometryIsAnErrorForEveryKernel) {
  struct Case {
    const char* op;
    std::vector<AttrDef> attrs;
    S out;
    const char* why;
  };
  const std::vector<Case> cases = {
      {"MaxPool2D",
       {AttrDef::Ints("kernel", {1, 1}), AttrDef::Ints("pads", {-1, 0, 0, 0})},
       {1, 2, 3, 2},
       "negative pads"},
      {"AvgPool2D",
       {AttrDef::Ints("kernel", {2, 2}), AttrDef::Ints("dilations", {2, 2})},
       {1, 1, 2, 2},
       "average pooling has no dilations"},
      {"MaxPool2D",
       {AttrDef::Ints("kernel", {2, 2}), AttrDef::Ints("strides", {0, 1})},
       {1, 2, 2, 2},
       "must be >= 1"},
      {"AvgPool2D", {AttrDef::Ints("kernel", {0, 2})}, {1, 3, 2, 2}, "must be >= 1"},
      {"MaxPool2D", {AttrDef::Ints("kernel", {2})}, {1, 2, 2, 2}, "needs kernel [h,w]"},
      {"AvgPool2D", {AttrDef::Ints("kernel", {2, 2})}, {1, 2, 2, 2}, "expected 1x2x3x2"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(std::string(k.op) + ": " + k.why);
    std::vector<std::vector<float>> out;
    const Status s = TryRunOp(k.op, {Var({1, 3, 4, 2}, V(24, 1.f))}, {k.out}, k.attrs, &out);
    EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.ToString();
    EXPECT_NE(s.message().find(k.why), std::string::npos) << s.ToString();
  }
}

}  // namespace
}  // namespace edgert::test

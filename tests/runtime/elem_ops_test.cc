// The elementwise family of issue 14 (Sqrt ... Erf, Pow, ReduceSum/Max/Min, LayerNorm, Gelu)
// against float64 references written here from the ONNX definitions. Compiled into
// engine_ops_test and engine_ops_portable_test; shapes are tiny so qemu runs them too.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "engine/kernel.h"
#include "engine_test_util.h"

namespace edgert::test {
namespace {

using V = std::vector<float>;
using D = std::vector<double>;
using S = std::vector<int64_t>;

D RefMath(const std::string& op, const V& x) {
  D y;
  for (float f : x) {
    const double v = f;
    if (op == "Sqrt") y.push_back(std::sqrt(v));
    if (op == "Reciprocal") y.push_back(1.0 / v);
    if (op == "Exp") y.push_back(std::exp(v));
    if (op == "Log") y.push_back(std::log(v));
    if (op == "Abs") y.push_back(v < 0 ? -v : v);
    if (op == "Neg") y.push_back(-v);
    if (op == "Erf") y.push_back(std::erf(v));
  }
  return y;
}

TEST(ElemMathTest, UnaryOpsMatchFloat64) {
  // 37 elements: not a multiple of any vector width.
  const S xs = {1, 37};
  const V any = RandomFloats(37, 1401, -4.f, 4.f);
  const V pos = RandomFloats(37, 1402, 0.05f, 9.f);
  for (const char* op : {"Exp", "Abs", "Neg", "Erf"})
    ExpectClose(RunOp(op, {Var(xs, any)}, {xs})[0], RefMath(op, any), 1e-6, 1e-6);
  for (const char* op : {"Sqrt", "Reciprocal", "Log"})
    ExpectClose(RunOp(op, {Var(xs, pos)}, {xs})[0], RefMath(op, pos), 1e-6, 1e-6);
}

TEST(ElemMathTest, ErfOnADenseGridAndAtTheEnds) {
  // The kernel's erf is a rational approximation (vectorizable): within 5e-7 everywhere,
  // exactly +-1 at the infinities.
  V x = {-std::numeric_limits<float>::infinity(),
         -30.f,
         -4.f,
         -3.3159f,
         0.f,
         1e-8f,
         3.3159f,
         4.f,
         30.f,
         std::numeric_limits<float>::infinity()};
  for (int i = 0; i <= 2000; ++i) x.push_back(-6.f + 0.006f * static_cast<float>(i));
  const S xs = {1, static_cast<int64_t>(x.size())};
  ExpectClose(RunOp("Erf", {Var(xs, x)}, {xs})[0], RefMath("Erf", x), 5e-7, 1e-6);
}

TEST(ElemMathTest, PowBroadcastsBothWays) {
  const S as = {2, 3, 4}, bs = {1, 3, 1};
  const V a = RandomFloats(24, 1403, 0.1f, 3.f);
  const V b = RandomFloats(3, 1404, -2.f, 3.f);
  D want;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        want.push_back(std::pow(static_cast<double>(a[static_cast<size_t>((i * 3 + j) * 4 + k)]),
                                static_cast<double>(b[static_cast<size_t>(j)])));
  ExpectClose(RunOp("Pow", {Var(as, a), Var(bs, b)}, {as})[0], want, 1e-5, 1e-5);
  // A constant exponent 2 on negative bases (the LayerNorm variance), and a base broadcast.
  const V neg = RandomFloats(24, 1405, -3.f, 3.f);
  D sq;
  for (float v : neg) sq.push_back(static_cast<double>(v) * v);
  ExpectClose(RunOp("Pow", {Var(as, neg), Const({1, 1, 1}, {2.f})}, {as})[0], sq, 1e-6, 1e-6);
  D bb;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        bb.push_back(std::pow(static_cast<double>(b[static_cast<size_t>(j)]) + 3.0,
                              static_cast<double>(a[static_cast<size_t>((i * 3 + j) * 4 + k)])));
  V b3;
  for (float v : b) b3.push_back(v + 3.f);
  ExpectClose(RunOp("Pow", {Var(bs, b3), Var(as, a)}, {as})[0], bb, 1e-5, 1e-5);
}

// Reduce x [2,3,2,4] over `axes` with op "sum"/"max"/"min"; output keeps the kept dims in order.
D RefReduce(const std::string& op, const V& x, const std::vector<bool>& red) {
  const S xs = {2, 3, 2, 4};
  S os;
  for (size_t d = 0; d < 4; ++d) os.push_back(red[d] ? 1 : xs[d]);
  const int64_t on = os[0] * os[1] * os[2] * os[3];
  D y(static_cast<size_t>(on), op == "sum"   ? 0.0
                               : op == "max" ? -std::numeric_limits<double>::infinity()
                                             : std::numeric_limits<double>::infinity());
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t b = 0; b < 3; ++b)
      for (int64_t c = 0; c < 2; ++c)
        for (int64_t d = 0; d < 4; ++d) {
          const int64_t i[4] = {a, b, c, d};
          int64_t o = 0;
          for (size_t k = 0; k < 4; ++k) o = o * os[k] + (red[k] ? 0 : i[k]);
          const double v = x[static_cast<size_t>(((a * 3 + b) * 2 + c) * 4 + d)];
          double& t = y[static_cast<size_t>(o)];
          t = op == "sum" ? t + v : op == "max" ? std::max(t, v) : std::min(t, v);
        }
  return y;
}

TEST(ElemReduceTest, SumMaxMinKeepdimsAndNot) {
  const S xs = {2, 3, 2, 4};
  const V x = RandomFloats(48, 1406, -5.f, 5.f);
  const std::pair<const char*, const char*> ops[] = {
      {"ReduceSum", "sum"}, {"ReduceMax", "max"}, {"ReduceMin", "min"}};
  for (const auto& [op, ref] : ops) {
    SCOPED_TRACE(op);
    const D mid = RefReduce(ref, x, {false, true, true, false});
    ExpectClose(RunOp(op, {Var(xs, x)}, {{2, 1, 1, 4}}, {AttrDef::Ints("axes", {1, 2})})[0], mid,
                1e-5, 1e-6);
    ExpectClose(RunOp(op, {Var(xs, x)}, {{2, 4}},
                      {AttrDef::Ints("axes", {-3, -2}), AttrDef::Int("keepdims", 0)})[0],
                mid, 1e-5, 1e-6);
    ExpectClose(RunOp(op, {Var(xs, x)}, {{2, 3, 2, 1}}, {AttrDef::Ints("axes", {3})})[0],
                RefReduce(ref, x, {false, false, false, true}), 1e-5, 1e-6);
    ExpectClose(RunOp(op, {Var(xs, x)}, {{3, 2}},
                      {AttrDef::Ints("axes", {0, 3}), AttrDef::Int("keepdims", 0)})[0],
                RefReduce(ref, x, {true, false, false, true}), 1e-5, 1e-6);
  }
}

// y = (x - mean) / sqrt(var + eps) * g + b over rows of d = prod(shape[axis:]) values.
D RefLayerNorm(const V& x, int64_t d, const V& g, const V* b, double eps) {
  D y;
  for (size_t r = 0; r < x.size() / static_cast<size_t>(d); ++r) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < d; ++i) mean += x[r * static_cast<size_t>(d) + static_cast<size_t>(i)];
    mean /= static_cast<double>(d);
    for (int64_t i = 0; i < d; ++i) {
      const double t = x[r * static_cast<size_t>(d) + static_cast<size_t>(i)] - mean;
      var += t * t;
    }
    var /= static_cast<double>(d);
    for (int64_t i = 0; i < d; ++i) {
      const size_t k = static_cast<size_t>(i);
      const double t = (x[r * static_cast<size_t>(d) + k] - mean) / std::sqrt(var + eps);
      y.push_back(t * g[k] + (b ? (*b)[k] : 0.0));
    }
  }
  return y;
}

TEST(ElemLayerNormTest, LastAxisAndTwoAxesMatchFloat64) {
  // d = 19: the 8-lane partial sums and their remainder both run. Offset values test the
  // two-pass variance.
  const S xs = {2, 3, 19};
  const V x = RandomFloats(114, 1407, 2.f, 6.f);
  const V g = RandomFloats(19, 1408, 0.5f, 1.5f);
  const V b = RandomFloats(19, 1409, -1.f, 1.f);
  ExpectClose(RunOp("LayerNorm", {Var(xs, x), Const({19}, g), Const({19}, b)}, {xs},
                    {AttrDef::Int("axis", -1), AttrDef::Float("epsilon", 1e-5f)})[0],
              RefLayerNorm(x, 19, g, &b, 1e-5), 2e-5, 1e-4);
  // Over the last two axes, no bias, a run-time scale, a large epsilon.
  const V g2 = RandomFloats(57, 1410, -1.f, 1.f);
  ExpectClose(RunOp("LayerNorm", {Var(xs, x), Var({3, 19}, g2), Absent()}, {xs},
                    {AttrDef::Int("axis", 1), AttrDef::Float("epsilon", 0.5f)})[0],
              RefLayerNorm(x, 57, g2, nullptr, 0.5), 2e-5, 1e-4);
}

TEST(ElemLayerNormTest, ScaleOfTheWrongShapeIsAnErrorNamingIt) {
  std::vector<std::vector<float>> out;
  const Status st = TryRunOp("LayerNorm", {Var({2, 4}, V(8, 1.f)), Const({3}, V(3, 1.f))}, {{2, 4}},
                             {AttrDef::Int("axis", 1)}, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("has shape 3, expected x.shape[axis:] = 4"), std::string::npos)
      << st.message();
}

// Both GELU forms of x in float64, from their definitions.
void RefGelu(const V& x, D* erf, D* tanh) {
  for (float f : x) {
    const double v = f;
    erf->push_back(0.5 * v * (1 + std::erf(v / std::sqrt(2.0))));
    tanh->push_back(0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))));
  }
}

TEST(ElemGeluTest, ErfAndTanhFormsMatchFloat64) {
  const S xs = {3, 13};
  const V x = RandomFloats(39, 1411, -6.f, 6.f);
  D erf, tanh;
  RefGelu(x, &erf, &tanh);
  ExpectClose(RunOp("Gelu", {Var(xs, x)}, {xs})[0], erf, 1e-6, 1e-5);
  ExpectClose(RunOp("Gelu", {Var(xs, x)}, {xs}, {AttrDef::String("approximate", "tanh")})[0], tanh,
              1e-6, 1e-5);
  std::vector<std::vector<float>> out;
  EXPECT_FALSE(
      TryRunOp("Gelu", {Var(xs, x)}, {xs}, {AttrDef::String("approximate", "fast")}, &out).ok());
}

// Where oneDNN is built in (x86-64 hosts) it takes Gelu in both forms, cut into bands on 2
// threads (40000 elements: two bands of 20000); the portable suite runs without it. Both against
// float64 across the band boundary, and the provider is checked, so that a silent decline
// cannot pass as coverage.
TEST(ElemGeluTest, OneDnnTakesBothFormsWhereBuiltInAcrossBands) {
#ifdef EDGERT_PORTABLE_ONLY
  const bool dnnl = false;
#else
  const bool dnnl = engine::DnnlProvider() != nullptr;
#endif
  const S xs = {4, 10000};
  const V x = RandomFloats(40000, 77, -8.f, 8.f);
  D erf, tanh;
  RefGelu(x, &erf, &tanh);
  for (int threads : {1, 2}) {
    SCOPED_TRACE(threads);
    SessionOptions options;
    options.num_threads = threads;
    size_t before = engine::DnnlKernelCountForTesting();
    ExpectClose(RunOp("Gelu", {Var(xs, x)}, {xs}, {}, options)[0], erf, 1e-6, 1e-5);
    EXPECT_EQ(engine::DnnlKernelCountForTesting() - before, dnnl ? 1u : 0u);
    before = engine::DnnlKernelCountForTesting();
    ExpectClose(
        RunOp("Gelu", {Var(xs, x)}, {xs}, {AttrDef::String("approximate", "tanh")}, options)[0],
        tanh, 1e-6, 1e-5);
    EXPECT_EQ(engine::DnnlKernelCountForTesting() - before, dnnl ? 1u : 0u);
  }
}

// Where oneDNN is built in it takes LayerNorm (over the last axis, and over the last two with a
// run-time scale and no bias), cut into row bands on 2 threads (39,400 elements: two bands);
// against float64, and the provider is checked, as for Gelu.
TEST(ElemLayerNormTest, OneDnnTakesItWhereBuiltInAcrossBands) {
#ifdef EDGERT_PORTABLE_ONLY
  const bool dnnl = false;
#else
  const bool dnnl = engine::DnnlProvider() != nullptr;
#endif
  const S xs = {2, 100, 197};
  const V x = RandomFloats(39400, 78, -3.f, 5.f);
  const V g = RandomFloats(197, 79, 0.5f, 1.5f);
  const V b = RandomFloats(197, 80, -1.f, 1.f);
  const V g2 = RandomFloats(19700, 81, -1.f, 1.f);
  for (int threads : {1, 2}) {
    SCOPED_TRACE(threads);
    SessionOptions options;
    options.num_threads = threads;
    size_t before = engine::DnnlKernelCountForTesting();
    ExpectClose(RunOp("LayerNorm", {Var(xs, x), Const({197}, g), Const({197}, b)}, {xs},
                      {AttrDef::Int("axis", -1), AttrDef::Float("epsilon", 1e-5f)}, options)[0],
                RefLayerNorm(x, 197, g, &b, 1e-5), 2e-5, 1e-4);
    EXPECT_EQ(engine::DnnlKernelCountForTesting() - before, dnnl ? 1u : 0u);
    before = engine::DnnlKernelCountForTesting();
    ExpectClose(RunOp("LayerNorm", {Var(xs, x), Var({100, 197}, g2), Absent()}, {xs},
                      {AttrDef::Int("axis", 1), AttrDef::Float("epsilon", 0.25f)}, options)[0],
                RefLayerNorm(x, 19700, g2, nullptr, 0.25), 2e-5, 1e-4);
    EXPECT_EQ(engine::DnnlKernelCountForTesting() - before, dnnl ? 1u : 0u);
  }
}

}  // namespace
}  // namespace edgert::test

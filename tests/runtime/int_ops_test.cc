// Integer kernels (runtime/src/engine/int_kernels.cc) at engine level: one-node graphs built
// directly in the IR, with S32/S16/S8/U8 model inputs and outputs. References are the ONNX node
// test data (values copied from onnx/backend/test/data/node), numpy results computed by hand
// (quoted where used), or an independent reimplementation in int64 arithmetic with an explicit
// modulo-2^bits reduction. Tiny shapes: also runs under qemu.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "engine_test_util.h"

namespace edgert::test {
namespace {

using S = std::vector<int64_t>;

template <typename T>
constexpr TensorType kType = TensorType::kF32;
template <>
constexpr TensorType kType<int32_t> = TensorType::kS32;
template <>
constexpr TensorType kType<int16_t> = TensorType::kS16;
template <>
constexpr TensorType kType<int8_t> = TensorType::kS8;
template <>
constexpr TensorType kType<uint8_t> = TensorType::kU8;

// One input of a one-node graph: raw bytes of `type`, a model input or a constant.
struct Typed {
  TensorType type;
  S shape;
  std::vector<uint8_t> bytes;
  bool constant = false;
};

template <typename T>
Typed In(S shape, const std::vector<T>& v, bool constant = false) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
  return {kType<T>, std::move(shape), std::move(b), constant};
}

struct OpResult {
  Status status;
  std::vector<uint8_t> out;  // the op's output, dense
  std::string provider;      // the provider that ran the op node
};

// Builds inputs -> op -> output (typed model inputs and output, layout NONE), runs it once and
// returns the op node's output bytes (capture_intermediates), or the failing Status.
OpResult RunTyped(const std::string& op, const std::vector<Typed>& ins, TensorType out_type,
                  const S& out_shape, std::vector<AttrDef> attrs = {}, bool int8_node = false) {
  GraphBuilder g(op);
  ModelDef& m = g.def();
  std::vector<int> ids;
  std::vector<const Typed*> fed;
  for (size_t i = 0; i < ins.size(); ++i) {
    const Typed& in = ins[i];
    const std::string name = "in" + std::to_string(i);
    if (in.constant) {
      const int t = g.Tensor(name, in.shape);
      m.tensors[static_cast<size_t>(t)].dtype = in.type;
      m.tensors[static_cast<size_t>(t)].data = in.bytes;
      ids.push_back(t);
      continue;
    }
    auto desc = MakeTensorDesc(name, in.type, Layout::kNone, in.shape);
    EXPECT_TRUE(desc.ok()) << desc.status().ToString();
    if (!desc.ok()) return {desc.status(), {}, {}};
    const int buf = static_cast<int>(m.tensors.size());
    m.tensors.push_back({name, in.type, desc->aligned_shape, {}, {}});
    m.inputs.push_back({*desc, buf, {}});
    const int dense = g.Tensor(name + "_dense", in.shape);
    m.tensors[static_cast<size_t>(dense)].dtype = in.type;
    g.Node("InputAdapter", {buf}, {dense});
    ids.push_back(dense);
    fed.push_back(&in);
  }
  const int y = g.Tensor("y", out_shape);
  m.tensors[static_cast<size_t>(y)].dtype = out_type;
  g.Node(op, ids, {y}, std::move(attrs));
  m.nodes.back().int8 = int8_node;
  const int op_node = static_cast<int>(m.nodes.size()) - 1;
  auto desc = MakeTensorDesc("out", out_type, Layout::kNone, out_shape);
  EXPECT_TRUE(desc.ok()) << desc.status().ToString();
  if (!desc.ok()) return {desc.status(), {}, {}};
  const int buf = static_cast<int>(m.tensors.size());
  m.tensors.push_back({"out", out_type, desc->aligned_shape, {}, {}});
  m.outputs.push_back({*desc, buf, {}});
  g.Node("OutputAdapter", {y}, {buf});

  auto model = Load(m);
  if (!model) return {EngineError("model did not load"), {}, {}};
  SessionOptions opt;
  opt.capture_intermediates = true;
  auto session = Session::Create(model, opt);
  if (!session.ok()) return {session.status(), {}, {}};
  OpResult r;
  for (size_t i = 0; i < fed.size(); ++i) {
    r.status = (*session)->SetInput(i, fed[i]->bytes.data(), fed[i]->bytes.size());
    if (!r.status.ok()) return r;
  }
  r.provider = (*session)->node_provider(op_node);
  r.status = (*session)->Run();
  if (!r.status.ok()) return r;
  auto view = (*session)->NodeOutput(op_node);
  if (!view.ok()) return {view.status(), {}, r.provider};
  EXPECT_EQ(view->shape, out_shape);
  EXPECT_EQ(view->dtype, out_type);
  const size_t bytes = static_cast<size_t>(Count(out_shape)) * ElementSize(out_type);
  const auto* p = static_cast<const uint8_t*>(view->data);
  r.out.assign(p, p + bytes);
  return r;
}

template <typename T>
std::vector<T> Values(const OpResult& r) {
  std::vector<T> v(r.out.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), r.out.data(), r.out.size());
  return v;
}

// Runs a one-output op whose output has T's dtype and returns the values; fails the test (and
// returns {}) when it does not run on the portable provider.
template <typename T>
std::vector<T> RunOk(const std::string& op, const std::vector<Typed>& ins, const S& out_shape,
                     std::vector<AttrDef> attrs = {}) {
  OpResult r = RunTyped(op, ins, kType<T>, out_shape, std::move(attrs));
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.provider, "portable");
  return Values<T>(r);
}

// Expects a failure of `code` whose message contains every string in `parts`.
void ExpectError(const OpResult& r, StatusCode code, const std::vector<std::string>& parts) {
  EXPECT_EQ(r.status.code(), code) << r.status.ToString();
  for (const std::string& p : parts)
    EXPECT_NE(r.status.message().find(p), std::string::npos)
        << "'" << p << "' not in: " << r.status.ToString();
}

// v reduced modulo 2^bits into T's range: the two's complement result numpy and ONNX Runtime
// give, computed with arithmetic only (no narrowing casts of out-of-range values).
template <typename T>
T Wrap(int64_t v) {
  const int64_t span = int64_t{1} << (8 * sizeof(T));
  const int64_t lo = std::numeric_limits<T>::lowest();
  const int64_t r = ((v - lo) % span + span) % span + lo;
  return static_cast<T>(r);
}

// ---- Add, Sub, Mul ----

// a [2, 3] against b [1, 3] and b [2, 1] (numpy broadcasting), values at the dtype's edges.
template <typename T>
void CheckAddSubMul() {
  constexpr int64_t lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
  const std::vector<int64_t> a = {hi, lo, 0, 1, hi - 1, lo + 2};
  const std::vector<int64_t> b3 = {1, hi, lo}, b2 = {std::is_signed_v<T> ? -1 : 200, 3};
  auto cast = [](const std::vector<int64_t>& v) {
    std::vector<T> t;
    for (int64_t x : v) t.push_back(static_cast<T>(x));  // every x is in range
    return t;
  };
  for (const char* op : {"Add", "Sub", "Mul"}) {
    for (bool rows : {false, true}) {
      const std::vector<int64_t>& b = rows ? b2 : b3;
      const S bs = rows ? S{2, 1} : S{1, 3};
      std::vector<T> want;
      for (size_t i = 0; i < 2; ++i)
        for (size_t j = 0; j < 3; ++j) {
          const int64_t x = a[i * 3 + j], y = rows ? b[i] : b[j];
          const std::string o = op;
          want.push_back(Wrap<T>(o == "Add" ? x + y : o == "Sub" ? x - y : x * y));
        }
      EXPECT_EQ(RunOk<T>(op, {In<T>({2, 3}, cast(a)), In<T>(bs, cast(b), rows)}, {2, 3}), want)
          << op << " " << TensorTypeName(kType<T>) << (rows ? " b [2,1]" : " b [1,3]");
    }
  }
}

TEST(IntBinaryTest, AddSubMulWrapAroundEveryDType) {
  CheckAddSubMul<int32_t>();
  CheckAddSubMul<int16_t>();
  CheckAddSubMul<int8_t>();
  CheckAddSubMul<uint8_t>();
}

TEST(IntBinaryTest, S8AgainstNumpy) {
  // numpy: a + b, a - b, a * b on these int8 arrays give the vectors below.
  const std::vector<int8_t> a = {120, -128, 127, -1, 100, -100}, b = {10, -1, 1, -1, 100, -100};
  EXPECT_EQ(RunOk<int8_t>("Add", {In<int8_t>({6}, a), In<int8_t>({6}, b)}, {6}),
            (std::vector<int8_t>{-126, 127, -128, -2, -56, 56}));
  EXPECT_EQ(RunOk<int8_t>("Sub", {In<int8_t>({6}, a), In<int8_t>({6}, b)}, {6}),
            (std::vector<int8_t>{110, -127, 126, 0, 0, 0}));
  EXPECT_EQ(RunOk<int8_t>("Mul", {In<int8_t>({6}, a), In<int8_t>({6}, b)}, {6}),
            (std::vector<int8_t>{-80, -128, 127, 1, 16, 16}));
}

// ---- Div ----

TEST(IntBinaryTest, DivTruncatesTowardZero) {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  // C / ONNX Runtime rule; INT32_MIN / -1 wraps to INT32_MIN (numpy gives the same).
  EXPECT_EQ(RunOk<int32_t>("Div",
                           {In<int32_t>({7}, {7, -7, 7, -7, kMin, 5, 0}),
                            In<int32_t>({7}, {2, 2, -2, -2, -1, 7, -3})},
                           {7}),
            (std::vector<int32_t>{3, -3, -3, 3, kMin, 0, 0}));
  EXPECT_EQ(RunOk<int8_t>("Div", {In<int8_t>({3}, {-128, -7, 100}), In<int8_t>({1}, {-1})}, {3}),
            (std::vector<int8_t>{-128, 7, -100}));
  EXPECT_EQ(RunOk<int16_t>("Div", {In<int16_t>({2}, {-32768, 9}), In<int16_t>({2}, {3, -4})}, {2}),
            (std::vector<int16_t>{-10922, -2}));
  // The first 12 elements of ONNX test_div_uint8.
  EXPECT_EQ(RunOk<uint8_t>("Div",
                           {In<uint8_t>({12}, {16, 6, 0, 12, 18, 3, 16, 17, 14, 18, 11, 4}),
                            In<uint8_t>({12}, {11, 5, 23, 23, 23, 1, 12, 16, 21, 6, 22, 21})},
                           {12}),
            (std::vector<uint8_t>{1, 1, 0, 0, 0, 3, 1, 1, 0, 3, 0, 0}));
}

TEST(IntBinaryTest, ZeroDivisorFailsRunNamingTheNode) {
  for (const char* op : {"Div", "Mod"}) {
    OpResult r = RunTyped(op, {In<int32_t>({3}, {1, 2, 3}), In<int32_t>({3}, {1, 0, 1})},
                          TensorType::kS32, {3});
    ExpectError(r, StatusCode::kEngineError,
                {std::string("'") + op + "_2' (" + op + ")", "division by zero", "'in1_dense'"});
    r = RunTyped(op, {In<uint8_t>({2}, {1, 2}), In<uint8_t>({1}, {0}, true)}, TensorType::kU8, {2});
    ExpectError(r, StatusCode::kEngineError, {"division by zero"});
  }
}

// ---- Mod ----

TEST(IntBinaryTest, ModFollowsOnnxTestData) {
  // test_mod_mixed_sign_int32 / _int8 / _int16 (fmod 0: the divisor's sign).
  const std::vector<int32_t> a = {-4, 7, 5, 4, -7, 8}, b = {2, -3, 8, -2, 3, 5};
  const std::vector<int32_t> python = {0, -2, 5, 0, 2, 3};
  EXPECT_EQ(RunOk<int32_t>("Mod", {In<int32_t>({6}, a), In<int32_t>({6}, b)}, {6}), python);
  const std::vector<int8_t> a8(a.begin(), a.end()), b8(b.begin(), b.end());
  EXPECT_EQ(RunOk<int8_t>("Mod", {In<int8_t>({6}, a8), In<int8_t>({6}, b8)}, {6},
                          {AttrDef::Int("fmod", 0)}),
            std::vector<int8_t>(python.begin(), python.end()));
  const std::vector<int16_t> a16(a.begin(), a.end()), b16(b.begin(), b.end());
  EXPECT_EQ(RunOk<int16_t>("Mod", {In<int16_t>({6}, a16), In<int16_t>({6}, b16)}, {6}),
            std::vector<int16_t>(python.begin(), python.end()));
  // test_mod_int64_fmod (fmod 1: the dividend's sign), as S32.
  EXPECT_EQ(RunOk<int32_t>("Mod", {In<int32_t>({6}, a), In<int32_t>({6}, b)}, {6},
                           {AttrDef::Int("fmod", 1)}),
            (std::vector<int32_t>{0, 1, 5, 0, -1, 3}));
  // test_mod_uint8.
  EXPECT_EQ(RunOk<uint8_t>("Mod", {In<uint8_t>({3}, {4, 7, 5}), In<uint8_t>({3}, {2, 3, 8})}, {3}),
            (std::vector<uint8_t>{0, 1, 5}));
  // test_mod_broadcast: arange(30).reshape(3, 2, 5) % [7] (b as [1, 1, 1]: equal ranks).
  std::vector<int32_t> x(30), want(30);
  for (int32_t i = 0; i < 30; ++i) x[static_cast<size_t>(i)] = i;
  for (int32_t i = 0; i < 30; ++i) want[static_cast<size_t>(i)] = i - 7 * (i / 7);
  EXPECT_EQ(RunOk<int32_t>("Mod", {In<int32_t>({3, 2, 5}, x), In<int32_t>({1, 1, 1}, {7}, true)},
                           {3, 2, 5}),
            want);
  // The one overflowing case of C's %: INT32_MIN % -1 is 0 in both rules.
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  for (int64_t f : {0, 1})
    EXPECT_EQ(RunOk<int32_t>("Mod", {In<int32_t>({2}, {kMin, kMin}), In<int32_t>({2}, {-1, 3})},
                             {2}, {AttrDef::Int("fmod", f)}),
              (std::vector<int32_t>{0, f ? -2 : 1}));
}

TEST(IntBinaryTest, FloatModIsFmodOnly) {
  // test_mod_mixed_sign_float32 (fmod 1).
  OpResult r = RunTyped("Mod",
                        {In<float>({6}, {-4.3f, 7.2f, 5.f, 4.3f, -7.2f, 8.f}),
                         In<float>({6}, {2.1f, -3.4f, 8.f, -2.1f, 3.4f, 5.f})},
                        TensorType::kF32, {6}, {AttrDef::Int("fmod", 1)});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ExpectClose(Values<float>(r),
              std::vector<float>{-0.10000038f, 0.39999962f, 5.f, 0.10000038f, -0.39999962f, 3.f},
              1e-6, 0);
  // ONNX: a float Mod must have fmod 1.
  r = RunTyped("Mod", {In<float>({1}, {1.f}), In<float>({1}, {2.f})}, TensorType::kF32, {1});
  ExpectError(r, StatusCode::kEngineError, {"'Mod_2' (Mod)", "fmod 1"});
}

TEST(IntBinaryTest, RefusesMixedDTypesAndActivations) {
  OpResult r =
      RunTyped("Add", {In<int32_t>({2}, {1, 2}), In<int8_t>({2}, {1, 2})}, TensorType::kS32, {2});
  ExpectError(r, StatusCode::kEngineError, {"'in1_dense' is S8, expected S32"});
  r = RunTyped("Add", {In<int32_t>({2}, {1, 2}), In<int32_t>({2}, {1, 2})}, TensorType::kS32, {2},
               {AttrDef::Float("activation_min", 0.f)});
  ExpectError(r, StatusCode::kEngineError, {"fused activation range"});
  r = RunTyped("Mod", {In<int32_t>({1}, {1}), In<int32_t>({1}, {1})}, TensorType::kS32, {1},
               {AttrDef::Int("fmod", 2)});
  ExpectError(r, StatusCode::kEngineError, {"fmod must be 0 or 1"});
  // The F32 kernels refuse integer operands rather than reading their bytes as floats.
  r = RunTyped("Add", {In<float>({2}, {1.f, 2.f}), In<int32_t>({2}, {1, 2})}, TensorType::kF32,
               {2});
  ExpectError(r, StatusCode::kEngineError, {"'in1_dense' is S32, expected F32"});
}

// ---- Pow ----

TEST(PowTypesTest, OnnxTestData) {
  // test_pow_types_int32_float32, _int32_int32, _float32_int32: [1, 2, 3] ^ [4, 5, 6].
  const std::vector<int32_t> want = {1, 32, 729};
  EXPECT_EQ(
      RunOk<int32_t>("Pow", {In<int32_t>({3}, {1, 2, 3}), In<float>({3}, {4.f, 5.f, 6.f})}, {3}),
      want);
  EXPECT_EQ(RunOk<int32_t>("Pow", {In<int32_t>({3}, {1, 2, 3}), In<int32_t>({3}, {4, 5, 6})}, {3}),
            want);
  EXPECT_EQ(
      RunOk<float>("Pow", {In<float>({3}, {1.f, 2.f, 3.f}), In<int32_t>({3}, {4, 5, 6})}, {3}),
      (std::vector<float>{1.f, 32.f, 729.f}));
  EXPECT_EQ(
      RunOk<float>("Pow", {In<float>({2}, {2.f, -3.f}), In<uint8_t>({2}, {10, 3}, true)}, {2}),
      (std::vector<float>{1024.f, -27.f}));
}

TEST(PowTypesTest, IntegerBaseEdges) {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  // Integer exponent: exact with wraparound (numpy: int32(3) ** int32(21) = 1870418611);
  // negative exponents truncate 1 / x^-e toward zero.
  EXPECT_EQ(RunOk<int32_t>("Pow",
                           {In<int32_t>({7}, {3, -2, 2, 1, -1, -1, 5}),
                            In<int32_t>({7}, {21, 31, -1, -3, -3, -2, 0})},
                           {7}),
            (std::vector<int32_t>{1870418611, kMin, 0, 1, -1, 1, 1}));
  // Float exponent: pow in double, truncated toward zero, saturated; NaN gives 0.
  EXPECT_EQ(RunOk<int32_t>("Pow",
                           {In<int32_t>({6}, {2, -2, 2, -2, -8, 10}),
                            In<float>({6}, {0.5f, 31.f, 40.f, 33.f, 1.f / 3.f, -1.f})},
                           {6}),
            (std::vector<int32_t>{1, kMin, kMax, kMin, 0, 0}));
  OpResult r = RunTyped("Pow", {In<int32_t>({2}, {2, 0}), In<int32_t>({2}, {-1, -1})},
                        TensorType::kS32, {2});
  ExpectError(r, StatusCode::kEngineError, {"'Pow_2' (Pow)", "zero to a negative power"});
  // Exponent dtypes without a kernel are refused by name, never reinterpreted.
  Typed half = In<int16_t>({1}, {0x3c00});
  half.type = TensorType::kF16;
  r = RunTyped("Pow", {In<float>({1}, {2.f}), half}, TensorType::kF32, {1});
  ExpectError(r, StatusCode::kEngineError, {"exponent 'in1_dense' is F16"});
}

// ---- Clamp ----

TEST(IntClampTest, BoundsInTheIntegerDomain) {
  const std::vector<int8_t> x8 = {-128, -6, -5, 0, 7, 8, 127};
  EXPECT_EQ(RunOk<int8_t>("Clamp", {In<int8_t>({7}, x8)}, {7},
                          {AttrDef::Float("min", -5.f), AttrDef::Float("max", 7.f)}),
            (std::vector<int8_t>{-5, -5, -5, 0, 7, 7, 7}));
  // test_clip_default_int8_min: min 0, no max.
  EXPECT_EQ(RunOk<int8_t>("Clamp", {In<int8_t>({7}, x8)}, {7}, {AttrDef::Float("min", 0.f)}),
            (std::vector<int8_t>{0, 0, 0, 0, 7, 8, 127}));
  // Fractional bounds round inwards; bounds beyond the dtype are its ends.
  EXPECT_EQ(RunOk<uint8_t>("Clamp", {In<uint8_t>({5}, {0, 2, 3, 200, 255})}, {5},
                           {AttrDef::Float("min", 2.5f), AttrDef::Float("max", 300.f)}),
            (std::vector<uint8_t>{3, 3, 3, 200, 255}));
  EXPECT_EQ(RunOk<int32_t>("Clamp", {In<int32_t>({4}, {-2000000000, -1, 1000000001, 2000000000})},
                           {4}, {AttrDef::Float("max", 1e9f)}),
            (std::vector<int32_t>{-2000000000, -1, 1000000000, 1000000000}));
  OpResult r = RunTyped("Clamp", {In<int32_t>({1}, {1})}, TensorType::kS32, {1},
                        {AttrDef::Float("min", 0.2f), AttrDef::Float("max", 0.8f)});
  ExpectError(r, StatusCode::kEngineError, {"no integer lies in [min, max]"});
}

// ---- MaxPool2D ----

// Naive NHWC max pooling over the valid cells of each window (no padding value at all).
template <typename T>
std::vector<T> RefMaxPool(const std::vector<T>& x, int64_t h, int64_t w, int64_t c, int64_t k,
                          int64_t s, int64_t pad, int64_t oh, int64_t ow) {
  std::vector<T> y;
  for (int64_t oy = 0; oy < oh; ++oy)
    for (int64_t ox = 0; ox < ow; ++ox)
      for (int64_t ch = 0; ch < c; ++ch) {
        bool any = false;
        T m = 0;
        for (int64_t iy = oy * s - pad; iy < oy * s - pad + k; ++iy)
          for (int64_t ix = ox * s - pad; ix < ox * s - pad + k; ++ix) {
            if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
            const T v = x[static_cast<size_t>((iy * w + ix) * c + ch)];
            m = any ? std::max(m, v) : v;
            any = true;
          }
        y.push_back(m);
      }
  return y;
}

template <typename T>
void CheckMaxPool() {
  // [1, 4, 5, 2] NHWC, kernel 3x3, stride 2, pads 1 on every side -> [1, 2, 3, 2].
  std::vector<T> x;
  for (int i = 0; i < 40; ++i)
    x.push_back(static_cast<T>(std::is_signed_v<T> ? (i * 37) % 256 - 128 : (i * 37) % 256));
  const std::vector<AttrDef> attrs = {AttrDef::Ints("kernel", {3, 3}),
                                      AttrDef::Ints("strides", {2, 2}),
                                      AttrDef::Ints("pads", {1, 1, 1, 1})};
  EXPECT_EQ(RunOk<T>("MaxPool2D", {In<T>({1, 4, 5, 2}, x)}, {1, 2, 3, 2}, attrs),
            RefMaxPool(x, 4, 5, 2, 3, 2, 1, 2, 3))
      << TensorTypeName(kType<T>);
}

TEST(IntMaxPoolTest, PaddedWindowsEveryDType) {
  // Hand-computed: [1, 2, 2, 1] = [[-3, -1], [-2, -4]], kernel 2x2, pads 1 each side, stride 1:
  // every window sees only real cells, so padding never wins.
  EXPECT_EQ(RunOk<int8_t>("MaxPool2D", {In<int8_t>({1, 2, 2, 1}, {-3, -1, -2, -4})}, {1, 3, 3, 1},
                          {AttrDef::Ints("kernel", {2, 2}), AttrDef::Ints("pads", {1, 1, 1, 1})}),
            (std::vector<int8_t>{-3, -1, -1, -2, -1, -1, -2, -2, -4}));
  CheckMaxPool<int8_t>();
  CheckMaxPool<uint8_t>();
  CheckMaxPool<int16_t>();
  CheckMaxPool<int32_t>();
}

// ---- Pad ----

TEST(IntPadTest, ConstantEdgeReflectOnS32) {
  const std::vector<int32_t> x = {1, 2, 3, 4, 5, 6};  // [2, 3]
  const std::vector<AttrDef> pads = {AttrDef::Ints("pads", {1, 2, 1, 2})};
  // numpy.pad(x, ((1, 1), (2, 2)), mode).
  auto with = [&](const char* mode) {
    std::vector<AttrDef> a = pads;
    a.push_back(AttrDef::String("mode", mode));
    return RunOk<int32_t>("Pad", {In<int32_t>({2, 3}, x)}, {4, 7}, a);
  };
  EXPECT_EQ(with("reflect"), (std::vector<int32_t>{6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1,
                                                   6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1}));
  EXPECT_EQ(with("edge"), (std::vector<int32_t>{1, 1, 1, 2, 3, 3, 3, 1, 1, 1, 2, 3, 3, 3,
                                                4, 4, 4, 5, 6, 6, 6, 4, 4, 4, 5, 6, 6, 6}));
  // numpy.pad(x, ((0, 1), (1, 0)), constant_values=-7).
  EXPECT_EQ(RunOk<int32_t>("Pad", {In<int32_t>({2, 3}, x)}, {3, 4},
                           {AttrDef::Ints("pads", {0, 1, 1, 0}), AttrDef::Float("value", -7.f)}),
            (std::vector<int32_t>{-7, 1, 2, 3, -7, 4, 5, 6, -7, -7, -7, -7}));
  EXPECT_EQ(RunOk<uint8_t>("Pad", {In<uint8_t>({2}, {1, 2})}, {4},
                           {AttrDef::Ints("pads", {1, 1}), AttrDef::Float("value", 255.f)}),
            (std::vector<uint8_t>{255, 1, 2, 255}));
  // A fill the dtype cannot hold is an error, not a silent 0.
  OpResult r = RunTyped("Pad", {In<uint8_t>({2}, {1, 2})}, TensorType::kU8, {4},
                        {AttrDef::Ints("pads", {1, 1}), AttrDef::Float("value", -1.f)});
  ExpectError(r, StatusCode::kEngineError, {"pad value -1", "is not a U8 value"});
  r = RunTyped("Pad", {In<int32_t>({2}, {1, 2})}, TensorType::kS32, {4},
               {AttrDef::Ints("pads", {1, 1}), AttrDef::Float("value", 0.5f)});
  ExpectError(r, StatusCode::kEngineError, {"is not a S32 value"});
}

// ---- ReduceSum / ReduceMax / ReduceMin on S32 ----

TEST(IntReduceTest, S32SumMaxMin) {
  // x [2, 3] = [[5, -2, 7], [-9, 4, 0]].
  const std::vector<int32_t> x = {5, -2, 7, -9, 4, 0};
  auto reduce = [&](const char* op, const S& axes, bool keep, const S& ys) {
    return RunOk<int32_t>(op, {In<int32_t>({2, 3}, x)}, ys,
                          {AttrDef::Ints("axes", axes), AttrDef::Int("keepdims", keep ? 1 : 0)});
  };
  EXPECT_EQ(reduce("ReduceSum", {1}, true, {2, 1}), (std::vector<int32_t>{10, -5}));
  EXPECT_EQ(reduce("ReduceMax", {1}, true, {2, 1}), (std::vector<int32_t>{7, 4}));
  EXPECT_EQ(reduce("ReduceMin", {0}, false, {3}), (std::vector<int32_t>{-9, -2, 0}));
  EXPECT_EQ(reduce("ReduceSum", {0, 1}, false, {}), (std::vector<int32_t>{5}));
  // The sum wraps around: 2147483647 + 2 = -2147483647 modulo 2^32.
  EXPECT_EQ(RunOk<int32_t>("ReduceSum", {In<int32_t>({3}, {2147483647, 1, 1})}, {1},
                           {AttrDef::Ints("axes", {0})}),
            (std::vector<int32_t>{-2147483647}));
}

// ---- plain S8 versus quantized S8 (int8 provider) ----

TEST(IntVersusQuantizedTest, PlainS8NodesRunOnThePortableKernels) {
  // Add, Clamp and MaxPool2D also have int8-provider kernels under S8: a Float node's plain S8
  // tensors must not reach them (they would read quantization parameters that do not exist).
  EXPECT_EQ(RunOk<int8_t>("Add", {In<int8_t>({2}, {100, -100}), In<int8_t>({2}, {100, -100})}, {2}),
            (std::vector<int8_t>{-56, 56}));
  EXPECT_EQ(RunOk<int8_t>("Clamp", {In<int8_t>({2}, {-9, 9})}, {2},
                          {AttrDef::Float("min", -1.f), AttrDef::Float("max", 1.f)}),
            (std::vector<int8_t>{-1, 1}));
  EXPECT_EQ(RunOk<int8_t>("MaxPool2D", {In<int8_t>({1, 1, 2, 1}, {-5, -6})}, {1, 1, 1, 1},
                          {AttrDef::Ints("kernel", {1, 2})}),
            (std::vector<int8_t>{-5}));
}

TEST(IntVersusQuantizedTest, QuantizedNodesNeverReachTheIntegerKernels) {
  // f32 x -> Quantize (scale 0.5, zero point 0) -> Int8 Add (x + x) -> Dequantize: the int8
  // provider runs the Add.
  GraphBuilder g("q");
  ModelDef& m = g.def();
  auto act = [&](const std::string& name) {
    const int t = g.Tensor(name, {4});
    m.tensors[static_cast<size_t>(t)].dtype = TensorType::kS8;
    m.tensors[static_cast<size_t>(t)].quant.scale = {0.5f};
    m.tensors[static_cast<size_t>(t)].quant.zero_point = {0};
    return t;
  };
  const int x = g.Input("x", {4});
  const int xq = act("xq"), yq = act("yq");
  const int y = g.Tensor("y", {4});
  g.Node("Quantize", {x}, {xq});
  g.Node("Add", {xq, xq}, {yq});
  m.nodes.back().int8 = true;
  g.Node("Dequantize", {yq}, {y});
  g.Output("out", y);
  auto session = Session::Create(Load(m));
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_EQ((*session)->node_provider(2), "int8");
  const std::vector<float> in = {1.f, -2.f, 0.5f, 3.f};
  ASSERT_TRUE((*session)->SetInput(0, in.data(), in.size() * sizeof(float)).ok());
  ASSERT_TRUE((*session)->Run().ok());
  std::vector<float> out;
  ASSERT_TRUE((*session)->GetOutput(0, &out).ok());
  ExpectClose(out, std::vector<float>{2.f, -4.f, 1.f, 6.f}, 0, 0);

  // An Int8 Mod (no int8 kernel): the S8 integer kernel declines it, so the node is reported
  // unsupported instead of running quantized bytes as plain integers.
  OpResult r = RunTyped("Mod", {In<int8_t>({2}, {5, 6}), In<int8_t>({2}, {3, 4})}, TensorType::kS8,
                        {2}, {}, /*int8_node=*/true);
  ExpectError(r, StatusCode::kUnsupported, {"Mod", "an Int8 (quantized) node"});
}

}  // namespace
}  // namespace edgert::test

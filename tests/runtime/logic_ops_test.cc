// The comparison, logic, cast and scatter kernels (runtime/src/engine/logic_kernels.cc,
// scatter_kernels.cc) on typed tensors: Equal, Greater, Less, Not, Where, Cast and ScatterND.
// References are hand-computed (IEEE and two's complement facts written out here) or a naive
// per-element loop over broadcast indices, never the engine's own broadcast plan. Shapes are
// tiny: this suite also runs under qemu.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "engine_test_util.h"
#include "model_impl.h"

namespace edgert::test {
namespace {

using S = std::vector<int64_t>;

// Raw typed data for one tensor.
struct Typed {
  TensorType type = TensorType::kF32;
  S shape;
  std::vector<uint8_t> bytes;
};

template <typename T>
Typed Make(TensorType type, S shape, const std::vector<T>& v) {
  Typed t{type, std::move(shape), std::vector<uint8_t>(v.size() * sizeof(T))};
  if (!v.empty()) std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  return t;
}
Typed F32(S s, const std::vector<float>& v) { return Make(TensorType::kF32, std::move(s), v); }
Typed S32(S s, const std::vector<int32_t>& v) { return Make(TensorType::kS32, std::move(s), v); }
Typed U8(S s, const std::vector<uint8_t>& v) { return Make(TensorType::kU8, std::move(s), v); }
Typed S16(S s, const std::vector<int16_t>& v) { return Make(TensorType::kS16, std::move(s), v); }
Typed S8(S s, const std::vector<int8_t>& v) { return Make(TensorType::kS8, std::move(s), v); }
Typed F16(S s, const std::vector<uint16_t>& v) { return Make(TensorType::kF16, std::move(s), v); }

template <typename T>
std::vector<T> As(const Typed& t) {
  std::vector<T> v(t.bytes.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

// Runs one node `op` on run-time inputs `ins` (each a model input of its dtype) and returns its
// output of dtype `out_type` and shape `out_shape`, dense, read from the aligned buffer by stride.
Status RunTyped(const std::string& op, const std::vector<Typed>& ins, TensorType out_type,
                const S& out_shape, std::vector<AttrDef> attrs, Typed* out) {
  GraphBuilder g(op);
  ModelDef& m = g.def();
  std::vector<int> in_t;
  for (size_t i = 0; i < ins.size(); ++i) {
    const std::string name = "in" + std::to_string(i);
    auto desc = MakeTensorDesc(name, ins[i].type, Layout::kNone, ins[i].shape);
    if (!desc.ok()) return desc.status();
    const int buf = static_cast<int>(m.tensors.size());
    m.tensors.push_back({name, ins[i].type, desc->aligned_shape, {}, {}});
    m.inputs.push_back({*desc, buf, {}});
    const int dense = g.Tensor(name + "_dense", ins[i].shape);
    m.tensors[static_cast<size_t>(dense)].dtype = ins[i].type;
    g.Node("InputAdapter", {buf}, {dense});
    in_t.push_back(dense);
  }
  const int y = g.Tensor("y", out_shape);
  m.tensors[static_cast<size_t>(y)].dtype = out_type;
  g.Node(op, in_t, {y}, std::move(attrs));
  auto desc = MakeTensorDesc("out", out_type, Layout::kNone, out_shape);
  if (!desc.ok()) return desc.status();
  const int obuf = static_cast<int>(m.tensors.size());
  m.tensors.push_back({"out", out_type, desc->aligned_shape, {}, {}});
  m.outputs.push_back({*desc, obuf, {}});
  g.Node("OutputAdapter", {y}, {obuf});

  auto model = Load(m);
  if (!model) return EngineError("model did not load");
  auto session = Session::Create(model);
  if (!session.ok()) return session.status();
  for (size_t i = 0; i < ins.size(); ++i)
    EDGERT_RETURN_IF_ERROR((*session)->SetInput(i, ins[i].bytes.data(), ins[i].bytes.size()));
  EDGERT_RETURN_IF_ERROR((*session)->Run());
  const TensorDesc& d = (*session)->model().outputs()[0];
  const size_t es = ElementSize(out_type);
  const auto* base = static_cast<const uint8_t*>((*session)->output_data(0));
  *out = Typed{out_type, out_shape, {}};
  S idx(out_shape.size(), 0);
  for (int64_t e = 0; e < Count(out_shape); ++e) {
    int64_t off = 0;
    for (size_t k = 0; k < idx.size(); ++k) off += idx[k] * d.stride[k];
    out->bytes.insert(out->bytes.end(), base + off, base + off + static_cast<int64_t>(es));
    for (size_t k = idx.size(); k-- > 0;) {
      if (++idx[k] < out_shape[k]) break;
      idx[k] = 0;
    }
  }
  return Status::Ok();
}

Typed RunNode(const std::string& op, const std::vector<Typed>& ins, TensorType out_type,
              const S& out_shape, std::vector<AttrDef> attrs = {}) {
  Typed out;
  Status s = RunTyped(op, ins, out_type, out_shape, std::move(attrs), &out);
  EXPECT_TRUE(s.ok()) << op << ": " << s.ToString();
  return out;
}

// Row-major offset in `shape` of output index `idx`, dims of size 1 broadcasting.
int64_t At(const S& shape, const S& idx) {
  int64_t off = 0;
  for (size_t d = 0; d < shape.size(); ++d) off = off * shape[d] + (shape[d] == 1 ? 0 : idx[d]);
  return off;
}

// Calls f(idx) for every index of `shape`, row-major.
template <typename F>
void ForEachIndex(const S& shape, F f) {
  S idx(shape.size(), 0);
  for (int64_t e = 0; e < Count(shape); ++e) {
    f(idx);
    for (size_t k = idx.size(); k-- > 0;) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInfF = std::numeric_limits<float>::infinity();

// ---- Equal, Greater, Less ----

TEST(CompareTest, HandComputedF32WithNaNInfAndSignedZero) {
  const std::vector<float> a = {1.f, kNaN, kNaN, -0.f, kInfF, -kInfF, 2.5f};
  const std::vector<float> b = {1.f, kNaN, 0.f, 0.f, kInfF, 3.f, 2.5000002f};
  const S s = {7};
  // IEEE: NaN compares false with everything, itself included; -0 == +0.
  EXPECT_EQ(As<uint8_t>(RunNode("Equal", {F32(s, a), F32(s, b)}, TensorType::kU8, s)),
            (std::vector<uint8_t>{1, 0, 0, 1, 1, 0, 0}));
  EXPECT_EQ(As<uint8_t>(RunNode("Greater", {F32(s, a), F32(s, b)}, TensorType::kU8, s)),
            (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(As<uint8_t>(RunNode("Less", {F32(s, a), F32(s, b)}, TensorType::kU8, s)),
            (std::vector<uint8_t>{0, 0, 0, 0, 0, 1, 1}));
}

TEST(CompareTest, S32ComparesExactlyBeyondFloatPrecision) {
  // 2^30 and 2^30 + 1 are the same float32: an S32 comparison done in float would say equal.
  const S s = {4};
  const std::vector<int32_t> a = {1 << 30, (1 << 30) + 1, -7, std::numeric_limits<int32_t>::min()};
  const std::vector<int32_t> b = {(1 << 30) + 1, 1 << 30, -7, std::numeric_limits<int32_t>::max()};
  EXPECT_EQ(As<uint8_t>(RunNode("Equal", {S32(s, a), S32(s, b)}, TensorType::kU8, s)),
            (std::vector<uint8_t>{0, 0, 1, 0}));
  EXPECT_EQ(As<uint8_t>(RunNode("Greater", {S32(s, a), S32(s, b)}, TensorType::kU8, s)),
            (std::vector<uint8_t>{0, 1, 0, 0}));
  EXPECT_EQ(As<uint8_t>(RunNode("Less", {S32(s, a), S32(s, b)}, TensorType::kU8, s)),
            (std::vector<uint8_t>{1, 0, 0, 1}));
}

TEST(CompareTest, BroadcastingAgainstNaiveLoop) {
  // [2,3,1,4] against [1,3,5,1]: every dim broadcasts one way or the other.
  const S as = {2, 3, 1, 4}, bs = {1, 3, 5, 1}, ys = {2, 3, 5, 4};
  std::vector<float> a = RandomFloats(static_cast<size_t>(Count(as)), 1, -2.f, 2.f);
  std::vector<float> b = RandomFloats(static_cast<size_t>(Count(bs)), 2, -2.f, 2.f);
  for (float& v : a) v = std::round(v);  // small integers, so Equal is often true
  for (float& v : b) v = std::round(v);
  a[3] = kNaN;
  for (const char* op : {"Equal", "Greater", "Less"}) {
    const auto got = As<uint8_t>(RunNode(op, {F32(as, a), F32(bs, b)}, TensorType::kU8, ys));
    std::vector<uint8_t> want;
    ForEachIndex(ys, [&](const S& idx) {
      const double x = a[static_cast<size_t>(At(as, idx))];
      const double y = b[static_cast<size_t>(At(bs, idx))];
      const std::string o = op;
      want.push_back(o == "Equal" ? x == y : o == "Greater" ? x > y : x < y);
    });
    EXPECT_EQ(got, want) << op;
  }
  // The same on S32 and (Equal) U8 data.
  std::vector<int32_t> ai(a.size()), bi(b.size());
  for (size_t i = 0; i < a.size(); ++i) ai[i] = std::isnan(a[i]) ? 5 : static_cast<int32_t>(a[i]);
  for (size_t i = 0; i < b.size(); ++i) bi[i] = static_cast<int32_t>(b[i]);
  const auto got = As<uint8_t>(RunNode("Greater", {S32(as, ai), S32(bs, bi)}, TensorType::kU8, ys));
  std::vector<uint8_t> want;
  ForEachIndex(ys, [&](const S& idx) {
    want.push_back(ai[static_cast<size_t>(At(as, idx))] > bi[static_cast<size_t>(At(bs, idx))]);
  });
  EXPECT_EQ(got, want);
  std::vector<uint8_t> au(ai.size()), bu(bi.size());
  for (size_t i = 0; i < ai.size(); ++i) au[i] = static_cast<uint8_t>(ai[i] & 1);
  for (size_t i = 0; i < bi.size(); ++i) bu[i] = static_cast<uint8_t>(bi[i] & 1);
  const auto eq = As<uint8_t>(RunNode("Equal", {U8(as, au), U8(bs, bu)}, TensorType::kU8, ys));
  std::vector<uint8_t> want_eq;
  ForEachIndex(ys, [&](const S& idx) {
    want_eq.push_back(au[static_cast<size_t>(At(as, idx))] == bu[static_cast<size_t>(At(bs, idx))]);
  });
  EXPECT_EQ(eq, want_eq);
}

TEST(CompareTest, RefusesMixedDtypesAndNonBoolOutput) {
  Typed out;
  EXPECT_FALSE(
      RunTyped("Equal", {F32({2}, {1, 2}), S32({2}, {1, 2})}, TensorType::kU8, {2}, {}, &out).ok());
  EXPECT_FALSE(
      RunTyped("Less", {F32({2}, {1, 2}), F32({2}, {1, 2})}, TensorType::kF32, {2}, {}, &out).ok());
}

// ---- Not, Where ----

TEST(NotTest, HandComputed) {
  EXPECT_EQ(As<uint8_t>(RunNode("Not", {U8({2, 2}, {0, 1, 1, 0})}, TensorType::kU8, {2, 2})),
            (std::vector<uint8_t>{1, 0, 0, 1}));
}

TEST(WhereTest, HandComputedF32) {
  // cond [2,1] picks rows: row 0 from a, row 1 from b ([1,3] broadcast down).
  const auto got = As<float>(RunNode(
      "Where", {U8({2, 1}, {1, 0}), F32({2, 3}, {1, 2, 3, 4, 5, 6}), F32({1, 3}, {-1, -2, -3})},
      TensorType::kF32, {2, 3}));
  EXPECT_EQ(got, (std::vector<float>{1, 2, 3, -1, -2, -3}));
}

TEST(WhereTest, BroadcastOfThreeAgainstNaiveLoop) {
  const S cs = {2, 1, 3}, as = {1, 4, 1}, bs = {2, 4, 3}, ys = {2, 4, 3};
  std::vector<uint8_t> c(static_cast<size_t>(Count(cs)));
  for (size_t i = 0; i < c.size(); ++i) c[i] = (i * 7 + 3) % 3 == 0 ? 1 : 0;
  std::vector<int32_t> a(static_cast<size_t>(Count(as))), b(static_cast<size_t>(Count(bs)));
  for (size_t i = 0; i < a.size(); ++i) a[i] = (1 << 30) + static_cast<int32_t>(i);
  for (size_t i = 0; i < b.size(); ++i) b[i] = -static_cast<int32_t>(i) - 1;
  const auto got =
      As<int32_t>(RunNode("Where", {U8(cs, c), S32(as, a), S32(bs, b)}, TensorType::kS32, ys));
  std::vector<int32_t> want;
  ForEachIndex(ys, [&](const S& idx) {
    want.push_back(c[static_cast<size_t>(At(cs, idx))] ? a[static_cast<size_t>(At(as, idx))]
                                                       : b[static_cast<size_t>(At(bs, idx))]);
  });
  EXPECT_EQ(got, want);
  // U8 branches take the 1-byte path.
  const auto u = As<uint8_t>(RunNode(
      "Where", {U8({3}, {1, 0, 2}), U8({3}, {10, 20, 30}), U8({1}, {7})}, TensorType::kU8, {3}));
  EXPECT_EQ(u, (std::vector<uint8_t>{10, 7, 30}));  // any nonzero condition is true
}

// ---- Cast ----

// Cast's `to`: the model.fbs DType number of the target, from the generated schema.
int64_t FbDType(TensorType t) {
  fb::DType d = fb::DType_F32;
  EXPECT_TRUE(DTypeFromTensorType(t, &d));
  return static_cast<int64_t>(d);
}

Typed Cast(const Typed& x, TensorType to) {
  return RunNode("Cast", {x}, to, x.shape, {AttrDef::Int("to", FbDType(to))});
}

TEST(CastTest, FloatToIntegerTruncatesTowardZeroAndSaturates) {
  const S s = {8};
  const std::vector<float> x = {2.9f, -2.9f, kNaN, 3e9f, -3e9f, kInfF, -0.5f, 2147483520.f};
  EXPECT_EQ(
      As<int32_t>(Cast(F32(s, x), TensorType::kS32)),
      (std::vector<int32_t>{2, -2, 0, 2147483647, -2147483647 - 1, 2147483647, 0, 2147483520}));
  EXPECT_EQ(As<uint8_t>(Cast(F32({4}, {255.9f, 300.f, -1.f, 7.5f}), TensorType::kU8)),
            (std::vector<uint8_t>{255, 255, 0, 7}));
  EXPECT_EQ(As<int8_t>(Cast(F32({3}, {-128.5f, 127.9f, -200.f}), TensorType::kS8)),
            (std::vector<int8_t>{-128, 127, -128}));
  EXPECT_EQ(As<int16_t>(Cast(F32({2}, {40000.f, -1234.99f}), TensorType::kS16)),
            (std::vector<int16_t>{32767, -1234}));
}

TEST(CastTest, IntegerNarrowingWrapsAndWideningSignExtends) {
  // ONNX's example: 200 (int16) -> -56 (int8); the low bits are kept.
  EXPECT_EQ(As<int8_t>(Cast(S32({4}, {200, 256, -129, 127}), TensorType::kS8)),
            (std::vector<int8_t>{-56, 0, 127, 127}));
  EXPECT_EQ(As<uint8_t>(Cast(S32({3}, {300, -1, 255}), TensorType::kU8)),
            (std::vector<uint8_t>{44, 255, 255}));
  EXPECT_EQ(As<int32_t>(Cast(S16({2}, {-5, 32767}), TensorType::kS32)),
            (std::vector<int32_t>{-5, 32767}));
  EXPECT_EQ(As<int8_t>(Cast(U8({2}, {200, 1}), TensorType::kS8)), (std::vector<int8_t>{-56, 1}));
  EXPECT_EQ(As<int32_t>(Cast(U8({2}, {200, 1}), TensorType::kS32)), (std::vector<int32_t>{200, 1}));
  EXPECT_EQ(As<int16_t>(Cast(S8({2}, {-1, 5}), TensorType::kS16)), (std::vector<int16_t>{-1, 5}));
}

TEST(CastTest, IntegerToFloatRoundsToNearestEven) {
  // 2^24 + 1 is halfway between 2^24 and 2^24 + 2: even mantissa wins (2^24); 2^24 + 3 -> + 4.
  EXPECT_EQ(As<float>(Cast(S32({3}, {16777217, 16777219, -7}), TensorType::kF32)),
            (std::vector<float>{16777216.f, 16777220.f, -7.f}));
  EXPECT_EQ(As<float>(Cast(U8({2}, {255, 0}), TensorType::kF32)), (std::vector<float>{255, 0}));
}

TEST(CastTest, F32ToF16RoundsToNearestEvenBitExact) {
  const float one = 1.f, ulp = std::ldexp(1.f, -10);  // binary16 spacing at 1
  const std::vector<float> x = {
      one,                       // 0x3C00
      65504.f,                   // largest finite: 0x7BFF
      65520.f,                   // halfway to 65536: rounds to even, which overflows: +inf
      one + ulp / 2,             // tie: to even 0x3C00
      one + 3 * ulp / 2,         // tie: to even 0x3C02
      std::ldexp(1.f, -24),      // smallest subnormal 0x0001
      std::ldexp(1.f, -25),      // tie between 0 and 0x0001: 0
      3 * std::ldexp(1.f, -25),  // tie between 0x0001 and 0x0002: 0x0002
      -0.f,                      // 0x8000
      -kInfF,                    // 0xFC00
      0.333333343f,              // 0x3555
  };
  const std::vector<uint16_t> want = {0x3C00, 0x7BFF, 0x7C00, 0x3C00, 0x3C02, 0x0001,
                                      0x0000, 0x0002, 0x8000, 0xFC00, 0x3555};
  const auto got = As<uint16_t>(Cast(F32({static_cast<int64_t>(x.size())}, x), TensorType::kF16));
  EXPECT_EQ(got, want);
  const auto nan = As<uint16_t>(Cast(F32({1}, {kNaN}), TensorType::kF16));
  EXPECT_EQ(nan[0] & 0x7C00, 0x7C00);
  EXPECT_NE(nan[0] & 0x03FF, 0);
}

TEST(CastTest, F16ToF32AndToIntegers) {
  // 0x3555 = (1 + 341/1024) * 2^-2; 0x0001 = 2^-24; 0xFC00 = -inf; 0xC500 = -5.
  const auto f = As<float>(Cast(F16({4}, {0x3555, 0x0001, 0xFC00, 0xC500}), TensorType::kF32));
  EXPECT_EQ(f, (std::vector<float>{0.333251953125f, std::ldexp(1.f, -24), -kInfF, -5.f}));
  EXPECT_EQ(As<int32_t>(Cast(F16({2}, {0xC500, 0x3C00}), TensorType::kS32)),
            (std::vector<int32_t>{-5, 1}));
  EXPECT_EQ(As<uint16_t>(Cast(S32({2}, {-5, 2049}), TensorType::kF16)),
            (std::vector<uint16_t>{0xC500, 0x6800}));  // 2049 -> 2048 (tie to even)
}

TEST(CastTest, RefusesATargetThatIsNotTheOutputDtype) {
  Typed out;
  EXPECT_FALSE(RunTyped("Cast", {F32({1}, {1})}, TensorType::kS32, {1},
                        {AttrDef::Int("to", FbDType(TensorType::kU8))}, &out)
                   .ok());
}

// ---- ScatterND (scatter_kernels.cc), hand-computed ----

TEST(ScatterNDTest, RowsWithANegativeIndexReplacedOrAdded) {
  // data 4x2 rows [1,2] [3,4] [5,6] [7,8]; indices [[-1], [1]] address rows 3 and 1.
  const Typed data = F32({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  const Typed idx = S32({2, 1}, {-1, 1});
  const Typed upd = F32({2, 2}, {10, 11, 20, 21});
  Typed y = RunNode("ScatterND", {data, idx, upd}, TensorType::kF32, {4, 2});
  EXPECT_EQ(As<float>(y), (std::vector<float>{1, 2, 20, 21, 5, 6, 10, 11}));
  y = RunNode("ScatterND", {data, idx, upd}, TensorType::kF32, {4, 2},
              {AttrDef::String("reduction", "add")});
  EXPECT_EQ(As<float>(y), (std::vector<float>{1, 2, 23, 25, 5, 6, 17, 19}));
}

TEST(ScatterNDTest, ElementsOfS32WithRepeatedIndicesMulAndMax) {
  // data 2x3 [[1,2,3],[4,5,6]]; tuples (0,1), (-1,-1) = (1,2), (0,1) again.
  const Typed data = S32({2, 3}, {1, 2, 3, 4, 5, 6});
  const Typed idx = S32({3, 2}, {0, 1, -1, -1, 0, 1});
  const Typed upd = S32({3}, {3, -2, 5});
  // mul: y[0,1] = 2*3*5 = 30, y[1,2] = 6*-2 = -12.
  Typed y = RunNode("ScatterND", {data, idx, upd}, TensorType::kS32, {2, 3},
                    {AttrDef::String("reduction", "mul")});
  EXPECT_EQ(As<int32_t>(y), (std::vector<int32_t>{1, 30, 3, 4, 5, -12}));
  // max: y[0,1] = max(2,3,5) = 5, y[1,2] = max(6,-2) = 6.
  y = RunNode("ScatterND", {data, idx, upd}, TensorType::kS32, {2, 3},
              {AttrDef::String("reduction", "max")});
  EXPECT_EQ(As<int32_t>(y), (std::vector<int32_t>{1, 5, 3, 4, 5, 6}));
}

TEST(ScatterNDTest, OutOfRangeIndexFailsRunNamingTheNode) {
  const Typed data = F32({2, 3}, {1, 2, 3, 4, 5, 6});
  const Typed upd = F32({2}, {7, 8});
  for (int32_t bad : {2, -3}) {
    SCOPED_TRACE(bad);
    Typed out;
    const Status s = RunTyped("ScatterND", {data, S32({2, 2}, {0, 1, bad, 0}), upd},
                              TensorType::kF32, {2, 3}, {}, &out);
    EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.ToString();
    EXPECT_NE(s.message().find("(ScatterND)"), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find("index " + std::to_string(bad) +
                               " of tuple 1 in 'in1_dense' is out of range for dimension 0 "
                               "of size 2"),
              std::string::npos)
        << s.ToString();
  }
}

}  // namespace
}  // namespace edgert::test

// The tensor ops of issue 14 (MatMul, ...) against naive double-precision references written
// here. Compiled into engine_ops_test and engine_ops_portable_test (tests/runtime/CMakeLists.txt),
// so every case also runs with the portable provider alone. Shapes are tiny: these run under
// qemu too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/kernel.h"
#include "engine_test_util.h"

namespace edgert::test {
namespace {

using V = std::vector<float>;
using D = std::vector<double>;
using S = std::vector<int64_t>;

// Row-major index of `idx` in `shape`, where dims of size 1 broadcast (read index 0).
int64_t BroadcastIndex(const S& shape, const S& idx) {
  int64_t off = 0;
  for (size_t d = 0; d < shape.size(); ++d) off = off * shape[d] + (shape[d] == 1 ? 0 : idx[d]);
  return off;
}

// numpy matmul of equal-rank a [..., M, K] and b [..., K, N] in float64.
D RefMatMul(const V& a, const S& as, const V& b, const S& bs, S* ys) {
  const size_t r = as.size();
  const int64_t m = as[r - 2], k = as[r - 1], n = bs[r - 1];
  S batch(r - 2);
  for (size_t d = 0; d + 2 < r; ++d) batch[d] = std::max(as[d], bs[d]);
  *ys = batch;
  ys->push_back(m);
  ys->push_back(n);
  const int64_t count = Count(batch);
  D y(static_cast<size_t>(count * m * n));
  S idx(r - 2);
  for (int64_t bi = 0; bi < count; ++bi) {
    int64_t rest = bi;
    for (size_t d = r - 2; d-- > 0;) {
      idx[d] = rest % batch[d];
      rest /= batch[d];
    }
    const S as_b(as.begin(), as.end() - 2), bs_b(bs.begin(), bs.end() - 2);
    const int64_t oa = BroadcastIndex(as_b, idx) * m * k, ob = BroadcastIndex(bs_b, idx) * k * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p)
          acc += static_cast<double>(a[static_cast<size_t>(oa + i * k + p)]) *
                 b[static_cast<size_t>(ob + p * n + j)];
        y[static_cast<size_t>((bi * m + i) * n + j)] = acc;
      }
  }
  return y;
}

void CheckMatMul(const S& as, const S& bs, bool b_const, uint32_t seed, int threads = 1) {
  const V a = RandomFloats(static_cast<size_t>(Count(as)), seed);
  const V b = RandomFloats(static_cast<size_t>(Count(bs)), seed + 1);
  S ys;
  const D want = RefMatMul(a, as, b, bs, &ys);
  SessionOptions options;
  options.num_threads = threads;
  auto got = RunOp("MatMul", {Var(as, a), b_const ? Const(bs, b) : Var(bs, b)}, {ys}, {}, options);
  ExpectClose(got[0], want);
}

TEST(MatMulTest, HandComputed2x2) {
  // [[1,2],[3,4]] · [[5,6],[7,8]] = [[19,22],[43,50]]
  auto got = RunOp("MatMul", {Var({2, 2}, {1, 2, 3, 4}), Var({2, 2}, {5, 6, 7, 8})}, {{2, 2}});
  ExpectClose(got[0], V{19, 22, 43, 50}, 0, 0);
}

TEST(MatMulTest, AttentionShapesAcrossTileEdges) {
  // QKᵀ and AV of 2 heads; M = 9 and N = 19 leave partial row and column tiles.
  CheckMatMul({1, 2, 9, 7}, {1, 2, 7, 19}, false, 10);
  CheckMatMul({1, 2, 19, 9}, {1, 2, 9, 7}, false, 12);
  // More rows than one thread band, K = 1.
  CheckMatMul({1, 37, 1}, {1, 1, 5}, false, 14);
}

TEST(MatMulTest, BatchBroadcastingBothWays) {
  CheckMatMul({2, 3, 5}, {1, 5, 4}, false, 20);
  CheckMatMul({3, 1, 2, 4}, {1, 2, 4, 3}, false, 22);
  CheckMatMul({1, 4, 6}, {3, 6, 2}, true, 24);
}

// Where oneDNN is built in (x86-64 hosts) it takes every MatMul, banded over threads or, with
// broadcast batch dims, as one primitive; the portable suite runs without it. Checked, so that
// a silent decline cannot pass as coverage.
TEST(MatMulTest, OneDnnTakesItWhereBuiltInOnOneAndTwoThreads) {
#ifdef EDGERT_PORTABLE_ONLY
  const bool dnnl = false;
#else
  const bool dnnl = engine::DnnlProvider() != nullptr;
#endif
  for (int threads : {1, 2}) {
    SCOPED_TRACE(threads);
    size_t before = engine::DnnlKernelCountForTesting();
    CheckMatMul({2, 3, 5, 7}, {2, 3, 7, 4}, false, 30, threads);
    EXPECT_EQ(engine::DnnlKernelCountForTesting() - before, dnnl ? 1u : 0u);
    before = engine::DnnlKernelCountForTesting();
    CheckMatMul({3, 1, 2, 4}, {1, 2, 4, 3}, false, 32, threads);
    EXPECT_EQ(engine::DnnlKernelCountForTesting() - before, dnnl ? 1u : 0u);
  }
}

TEST(MatMulTest, ShapeErrorsNameTheShapes) {
  std::vector<std::vector<float>> out;
  // K 3 against 4.
  Status s =
      TryRunOp("MatMul", {Var({2, 3}, V(6, 1.f)), Var({4, 2}, V(8, 1.f))}, {{2, 2}}, {}, &out);
  EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.ToString();
  EXPECT_NE(s.message().find("do not multiply (K 3 vs 4)"), std::string::npos) << s.ToString();
  // Batch 2 against 3.
  s = TryRunOp("MatMul", {Var({2, 1, 3}, V(6, 1.f)), Var({3, 3, 1}, V(9, 1.f))}, {{3, 1, 1}}, {},
               &out);
  EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.ToString();
  EXPECT_NE(s.message().find("do not broadcast"), std::string::npos) << s.ToString();
}

// ---- Transpose and Reshape up to rank 6, Softmax on any axis ----

// numpy transpose in the naive way: out[i] = x[perm-mapped i].
D RefTranspose(const V& x, const S& xs, const S& perm, S* ys) {
  const size_t r = xs.size();
  ys->resize(r);
  for (size_t d = 0; d < r; ++d) (*ys)[d] = xs[static_cast<size_t>(perm[d])];
  D y(x.size());
  S idx(r, 0);
  for (size_t o = 0; o < y.size(); ++o) {
    S src(r);
    for (size_t d = 0; d < r; ++d) src[static_cast<size_t>(perm[d])] = idx[d];
    y[o] = x[static_cast<size_t>(BroadcastIndex(xs, src))];
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < (*ys)[d]) break;
      idx[d] = 0;
    }
  }
  return y;
}

TEST(Rank6Test, SwinWindowPartitionTransposeAndReshape) {
  // Swin's window partition: [B, H/w, w, W/w, w, C] -> perm [0, 1, 3, 2, 4, 5].
  const S xs = {1, 2, 3, 2, 3, 4};
  const V x = RandomFloats(static_cast<size_t>(Count(xs)), 30);
  for (const S& perm : {S{0, 1, 3, 2, 4, 5}, S{5, 4, 3, 2, 1, 0}, S{2, 0, 4, 1, 5, 3}}) {
    S ys;
    const D want = RefTranspose(x, xs, perm, &ys);
    ExpectClose(RunOp("Transpose", {Var(xs, x)}, {ys}, {AttrDef::Ints("perm", perm)})[0], want, 0,
                0);
  }
  // Rank 6 -> rank 6 reshape keeps the bytes.
  ExpectClose(RunOp("Reshape", {Var(xs, x)}, {{2, 1, 3, 2, 2, 6}})[0], x, 0, 0);
}

TEST(SoftmaxAnyAxisTest, EveryAxisOfARank5Tensor) {
  const S xs = {2, 3, 1, 4, 5};
  const V x = RandomFloats(static_cast<size_t>(Count(xs)), 40, -3.f, 3.f);
  const S st = {60, 20, 20, 5, 1};  // dense strides
  for (int64_t axis = -5; axis < 5; ++axis) {
    const size_t a = static_cast<size_t>(axis < 0 ? axis + 5 : axis);
    D want(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      const int64_t base =
          static_cast<int64_t>(i) - (static_cast<int64_t>(i) / st[a] % xs[a]) * st[a];
      double m = -1e300, sum = 0;
      for (int64_t k = 0; k < xs[a]; ++k)
        m = std::max<double>(m, x[static_cast<size_t>(base + k * st[a])]);
      for (int64_t k = 0; k < xs[a]; ++k)
        sum += std::exp(x[static_cast<size_t>(base + k * st[a])] - m);
      want[i] = std::exp(x[i] - m) / sum;
    }
    ExpectClose(RunOp("Softmax", {Var(xs, x)}, {xs}, {AttrDef::Int("axis", axis)})[0], want, 1e-6);
  }
}

// ---- Gather, Expand, Tile, ArgMax/ArgMin: graphs with S32 tensors ----

// A constant S32 tensor in `g`.
int ConstS32(GraphBuilder& g, const std::string& name, const S& shape,
             const std::vector<int32_t>& v) {
  const int t = g.Const(name, shape, V(v.size(), 0.f));
  TensorDef& td = g.def().tensors[static_cast<size_t>(t)];
  td.dtype = TensorType::kS32;
  if (!v.empty()) std::memcpy(td.data.data(), v.data(), v.size() * sizeof(int32_t));
  return t;
}

// Makes S32 tensor `t` model output `name` (GraphBuilder::Output makes F32 outputs).
void OutputS32(GraphBuilder& g, const std::string& name, int t) {
  ModelDef& m = g.def();
  m.tensors[static_cast<size_t>(t)].dtype = TensorType::kS32;
  const S shape = m.tensors[static_cast<size_t>(t)].shape;
  auto desc = MakeTensorDesc(name, TensorType::kS32, Layout::kNone, shape);
  ASSERT_TRUE(desc.ok()) << desc.status().ToString();
  const int buf = static_cast<int>(m.tensors.size());
  m.tensors.push_back({name, TensorType::kS32, desc->aligned_shape, {}, {}});
  m.outputs.push_back({*desc, buf, {}});
  g.Node("OutputAdapter", {t}, {buf});
}

// Creates a session on `g`, feeds input 0 and returns output 0 as floats (S32 converted).
Status RunGraph(GraphBuilder& g, const V& x, V* y) {
  auto model = Load(g.def());
  if (!model) return EngineError("model did not load");
  auto session = Session::Create(model);
  if (!session.ok()) return session.status();
  EDGERT_RETURN_IF_ERROR((*session)->SetInput(0, x.data(), x.size() * sizeof(float)));
  EDGERT_RETURN_IF_ERROR((*session)->Run());
  return (*session)->GetOutput(0, y);
}

// Gather of run-time x [..] along `axis` with constant indices (already in [0, dim)).
Status RunGather(const S& xs, const V& x, int64_t axis, const S& is,
                 const std::vector<int32_t>& ids, const S& ys, V* y) {
  GraphBuilder g("gather");
  const int in = g.Input("x", xs);
  const int idx = ConstS32(g, "indices", is, ids);
  const int out = g.Tensor("y", ys);
  g.Node("Gather", {in, idx}, {out}, {AttrDef::Int("axis", axis)});
  g.Output("out", out);
  return RunGraph(g, x, y);
}

TEST(GatherTest, ClassTokenScalarIndexAndMatrixIndices) {
  // ViT's class token: x[:, 0] of [N, T, C] with a scalar index.
  const S xs = {2, 3, 4};
  const V x = RandomFloats(24, 50);
  V y;
  ASSERT_TRUE(RunGather(xs, x, 1, {}, {0}, {2, 4}, &y).ok());
  D want;
  for (int64_t nn = 0; nn < 2; ++nn)
    for (int64_t c = 0; c < 4; ++c) want.push_back(x[static_cast<size_t>(nn * 12 + c)]);
  ExpectClose(y, want, 0, 0);
  // Indices [2, 2] on axis 2 (repeats allowed): y[a, b, i, j] = x[a, b, ids[i, j]].
  const std::vector<int32_t> ids = {3, 0, 3, 1};
  ASSERT_TRUE(RunGather(xs, x, 2, {2, 2}, ids, {2, 3, 2, 2}, &y).ok());
  want.clear();
  for (int64_t ab = 0; ab < 6; ++ab)
    for (int32_t id : ids) want.push_back(x[static_cast<size_t>(ab * 4 + id)]);
  ExpectClose(y, want, 0, 0);
  // Axis 0, a negative attribute value.
  ASSERT_TRUE(RunGather(xs, x, -3, {1}, {1}, {1, 3, 4}, &y).ok());
  ExpectClose(y, V(x.begin() + 12, x.end()), 0, 0);
}

TEST(GatherTest, IndexOutOfRangeIsAnEngineError) {
  V y;
  Status s = RunGather({2, 3}, V(6, 1.f), 1, {2}, {1, 3}, {2, 2}, &y);
  EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.ToString();
  EXPECT_NE(s.message().find("index 3 (element 1 of 'indices') is out of range [0, 3)"),
            std::string::npos)
      << s.ToString();
  s = RunGather({2, 3}, V(6, 1.f), 1, {1}, {-1}, {2, 1}, &y);
  EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.ToString();
}

TEST(ExpandTest, BroadcastsOnesAndKeepsEqualDims) {
  // [3, 1, 2] -> [2, 3, 4, 2] is not equal rank: the compiler reshapes; here [1, 3, 1, 2].
  const S xs = {1, 3, 1, 2}, ys = {2, 3, 4, 2};
  const V x = RandomFloats(6, 60);
  D want;
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t b = 0; b < 3; ++b)
      for (int64_t c = 0; c < 4; ++c)
        for (int64_t d = 0; d < 2; ++d) want.push_back(x[static_cast<size_t>(b * 2 + d)]);
  ExpectClose(RunOp("Expand", {Var(xs, x)}, {ys})[0], want, 0, 0);
  std::vector<std::vector<float>> out;
  Status s = TryRunOp("Expand", {Var({2, 3}, V(6, 1.f))}, {{2, 6}}, {}, &out);
  EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.ToString();
  EXPECT_NE(s.message().find("does not broadcast"), std::string::npos) << s.ToString();
}

TEST(TileTest, RepeatsPerDim) {
  const S xs = {2, 1, 3};
  const V x = {1, 2, 3, 4, 5, 6};
  // y[i, j, k] = x[i % 2, 0, k % 3] with repeats [2, 2, 2] -> [4, 2, 6].
  D want;
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 2; ++j)
      for (int64_t k = 0; k < 6; ++k) want.push_back(x[static_cast<size_t>((i % 2) * 3 + k % 3)]);
  ExpectClose(RunOp("Tile", {Var(xs, x)}, {{4, 2, 6}}, {AttrDef::Ints("repeats", {2, 2, 2})})[0],
              want, 0, 0);
  ExpectClose(RunOp("Tile", {Var(xs, x)}, {{2, 1, 3}}, {AttrDef::Ints("repeats", {1, 1, 1})})[0], x,
              0, 0);
  std::vector<std::vector<float>> out;
  Status s =
      TryRunOp("Tile", {Var(xs, x)}, {{2, 1, 6}}, {AttrDef::Ints("repeats", {1, 0, 2})}, &out);
  EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.ToString();
  // Five repeated dims need ten copy dims: more than CopyPlan's 8, a clear error.
  s = TryRunOp("Tile", {Var({2, 2, 2, 2, 2}, V(32, 1.f))}, {{4, 4, 4, 4, 4}},
               {AttrDef::Ints("repeats", {2, 2, 2, 2, 2})}, &out);
  EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.ToString();
  EXPECT_NE(s.message().find("needs more than 8 copy dims"), std::string::npos) << s.ToString();
}

// ArgMax/ArgMin of run-time x along `axis` into an S32 output.
Status RunArg(const std::string& op, const S& xs, const V& x, int64_t axis, bool keepdims,
              bool last, V* y) {
  GraphBuilder g(op);
  const int in = g.Input("x", xs);
  S ys = xs;
  const size_t a = static_cast<size_t>(axis < 0 ? axis + static_cast<int64_t>(xs.size()) : axis);
  if (keepdims) {
    ys[a] = 1;
  } else {
    ys.erase(ys.begin() + static_cast<int64_t>(a));
  }
  const int out = g.Tensor("y", ys);
  g.Node(op, {in}, {out},
         {AttrDef::Int("axis", axis), AttrDef::Int("keepdims", keepdims ? 1 : 0),
          AttrDef::Int("select_last_index", last ? 1 : 0)});
  OutputS32(g, "out", out);
  return RunGraph(g, x, y);
}

TEST(ArgMaxTest, AxesKeepdimsAndTies) {
  // x [2, 3]: rows (1, 5, 5) and (7, -2, 7).
  const V x = {1, 5, 5, 7, -2, 7};
  V y;
  ASSERT_TRUE(RunArg("ArgMax", {2, 3}, x, 1, true, false, &y).ok());
  ExpectClose(y, V{1, 0}, 0, 0);
  ASSERT_TRUE(RunArg("ArgMax", {2, 3}, x, 1, false, true, &y).ok());
  ExpectClose(y, V{2, 2}, 0, 0);
  ASSERT_TRUE(RunArg("ArgMin", {2, 3}, x, -1, true, false, &y).ok());
  ExpectClose(y, V{0, 1}, 0, 0);
  ASSERT_TRUE(RunArg("ArgMax", {2, 3}, x, 0, false, false, &y).ok());
  ExpectClose(y, V{1, 0, 1}, 0, 0);
  ASSERT_TRUE(RunArg("ArgMin", {2, 3}, x, 0, true, false, &y).ok());
  ExpectClose(y, V{0, 1, 0}, 0, 0);
}

TEST(ArgMaxTest, RandomAgainstReference) {
  // A UNet's class map: ArgMax over channels of [1, 5, 3, 4] (stored NHWC: axis 3).
  const S xs = {1, 3, 4, 5};
  const V x = RandomFloats(60, 70);
  for (bool mx : {true, false}) {
    D want;
    for (size_t p = 0; p < 12; ++p) {
      size_t best = 0;
      for (size_t c = 1; c < 5; ++c) {
        const float v = x[p * 5 + c], b = x[p * 5 + best];
        if (mx ? v > b : v < b) best = c;
      }
      want.push_back(static_cast<double>(best));
    }
    V y;
    ASSERT_TRUE(RunArg(mx ? "ArgMax" : "ArgMin", xs, x, 3, true, false, &y).ok());
    ExpectClose(y, want, 0, 0);
  }
}

}  // namespace
}  // namespace edgert::test

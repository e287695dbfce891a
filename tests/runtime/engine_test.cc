// Session-level behaviour: adapters and layouts, multi-input/output graphs, the static arena,
// intermediate capture, profiling, threads and error reporting.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "edgert/session.h"
#include "edgert/tensor_io.h"
#include "engine_test_util.h"
#include "test_util.h"

namespace edgert::test {
namespace {

using V = std::vector<float>;
using D = std::vector<double>;

std::unique_ptr<Session> MakeSession(const ModelDef& def, const SessionOptions& options = {}) {
  auto model = Load(def);
  if (!model) return nullptr;
  auto s = Session::Create(model, options);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

// TinyModel with the adapters' perms, which test_util's TinyModel omits (IR.md: NCHW <-> NHWC
// adapters need perm [0,2,3,1] / [0,3,1,2]; without them the engine rejects the shapes).
ModelDef TinyModelWithPerms() {
  ModelDef def = TinyModel();
  def.nodes[0].attrs.push_back(AttrDef::Ints("perm", {0, 2, 3, 1}));
  def.nodes[2].attrs.push_back(AttrDef::Ints("perm", {0, 3, 1, 2}));
  return def;
}

// TinyModel: NCHW 1x3x5x7 input (rows padded to 8), 3x3 conv pad 1, NCHW 1x4x5x7 output.
TEST(SessionTest, TinyModelNchwAdaptersAgainstNaiveConv) {
  ModelDef def = TinyModelWithPerms();
  auto session = MakeSession(def);
  ASSERT_TRUE(session);
  const V x = RandomFloats(3 * 5 * 7, 1);  // NCHW, valid size
  ASSERT_TRUE(session->SetInput(0, x.data(), x.size() * 4).ok());
  ASSERT_TRUE(session->Run().ok());
  V w(4 * 3 * 3 * 3);
  std::memcpy(w.data(), def.tensors[2].data.data(), w.size() * 4);
  D want(4 * 5 * 7, 0.0);  // NCHW
  for (int o = 0; o < 4; ++o)
    for (int y = 0; y < 5; ++y)
      for (int xx = 0; xx < 7; ++xx) {
        double acc = 0;
        for (int ky = 0; ky < 3; ++ky)
          for (int kx = 0; kx < 3; ++kx)
            for (int c = 0; c < 3; ++c) {
              const int iy = y + ky - 1, ix = xx + kx - 1;
              if (iy < 0 || iy >= 5 || ix < 0 || ix >= 7) continue;
              acc += static_cast<double>(x[static_cast<size_t>((c * 5 + iy) * 7 + ix)]) *
                     w[static_cast<size_t>(((o * 3 + ky) * 3 + kx) * 3 + c)];
            }
        want[static_cast<size_t>((o * 5 + y) * 7 + xx)] = acc;
      }
  V got;
  ASSERT_TRUE(session->GetOutput(0, &got).ok());
  ExpectClose(got, want);
  // The aligned output buffer has zero padding after each 7-float row.
  const auto* raw = static_cast<const float*>(session->output_data(0));
  for (int r = 0; r < 4 * 5; ++r) EXPECT_EQ(raw[r * 8 + 7], 0.f) << "row " << r;
}

// NCHW input with row padding -> NHWC -> per-channel scale -> NCHW output with row padding.
ModelDef NchwScaleModel() {
  ModelDef m;
  m.name = "nchw_scale";
  m.source_sha256 = std::string(64, '0');
  auto in = MakeTensorDesc("x", TensorType::kF32, Layout::kNCHW, {1, 3, 2, 5});
  auto out = MakeTensorDesc("y", TensorType::kF32, Layout::kNCHW, {1, 3, 2, 5});
  EXPECT_EQ(in->aligned_shape, (std::vector<int64_t>{1, 3, 2, 8}));
  const V scale = {1.f, -2.f, 10.f};
  std::vector<uint8_t> sb(12);
  std::memcpy(sb.data(), scale.data(), 12);
  m.tensors = {{"x", TensorType::kF32, in->aligned_shape, {}, {}},
               {"x_nhwc", TensorType::kF32, {1, 2, 5, 3}, {}, {}},
               {"scale", TensorType::kF32, {3}, {}, sb},
               {"y_nhwc", TensorType::kF32, {1, 2, 5, 3}, {}, {}},
               {"y", TensorType::kF32, out->aligned_shape, {}, {}}};
  m.nodes = {{"in", "InputAdapter", false, {0}, {1}, {AttrDef::Ints("perm", {0, 2, 3, 1})}, ""},
             {"mul", "Mul", false, {1, 2}, {3}, {}, "Mul"},
             {"out", "OutputAdapter", false, {3}, {4}, {AttrDef::Ints("perm", {0, 3, 1, 2})}, ""}};
  m.inputs.push_back({*in, 0, {}});
  m.outputs.push_back({*out, 4, {}});
  return m;
}

TEST(SessionTest, NchwAdaptersWithRowPaddingValidAndAlignedInput) {
  auto session = MakeSession(NchwScaleModel());
  ASSERT_TRUE(session);
  const V x = RandomFloats(30, 2);
  D want;
  const double scale[3] = {1, -2, 10};
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 10; ++i) want.push_back(x[static_cast<size_t>(c * 10 + i)] * scale[c]);
  ASSERT_TRUE(session->SetInput(0, x.data(), x.size() * 4).ok());
  ASSERT_TRUE(session->Run().ok());
  V got;
  ASSERT_TRUE(session->GetOutput(0, &got).ok());
  ExpectClose(got, want);
  const auto* raw = static_cast<const float*>(session->output_data(0));
  for (int r = 0; r < 6; ++r)
    for (int k = 5; k < 8; ++k) EXPECT_EQ(raw[r * 8 + k], 0.f);

  // Aligned-size input with garbage in the padding: the padding never reaches the result.
  V aligned(48, 1e30f);
  for (int r = 0; r < 6; ++r)
    for (int k = 0; k < 5; ++k)
      aligned[static_cast<size_t>(r * 8 + k)] = x[static_cast<size_t>(r * 5 + k)];
  ASSERT_TRUE(session->SetInput(0, aligned.data(), aligned.size() * 4).ok());
  ASSERT_TRUE(session->Run().ok());
  ASSERT_TRUE(session->GetOutput(0, &got).ok());
  ExpectClose(got, want);
}

TEST(SessionTest, InputDataIsTheAlignedBufferAndSurvivesRuns) {
  auto session = MakeSession(NchwScaleModel());
  ASSERT_TRUE(session);
  ASSERT_NE(session->input_data(0), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(session->input_data(0)) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(session->output_data(0)) % 64, 0u);
  EXPECT_EQ(session->input_data(1), nullptr);
  auto* in = static_cast<float*>(session->input_data(0));
  for (int i = 0; i < 48; ++i) in[i] = static_cast<float>(i % 8);
  ASSERT_TRUE(session->Run().ok());
  V first, second;
  ASSERT_TRUE(session->GetOutput(0, &first).ok());
  ASSERT_TRUE(session->Run().ok());  // no SetInput in between: the input is kept
  ASSERT_TRUE(session->GetOutput(0, &second).ok());
  EXPECT_EQ(first, second);
  EXPECT_FLOAT_EQ(first[3], 3.f);
  EXPECT_FLOAT_EQ(first[10 + 4], -8.f);
}

TEST(SessionTest, MultiInputMultiOutput) {
  GraphBuilder g("multi");
  const int a = g.Input("a", {2, 4});
  const int b = g.Input("b", {2, 4});
  const int s = g.Tensor("s", {2, 4}), d = g.Tensor("d", {2, 4}), m = g.Tensor("m", {2, 4});
  g.Node("Add", {a, b}, {s});
  g.Node("Sub", {a, b}, {d});
  g.Node("Mul", {s, d}, {m});
  g.Output("prod", m);
  g.Output("sum", s);
  auto session = MakeSession(g.def());
  ASSERT_TRUE(session);
  const V va = RandomFloats(8, 3), vb = RandomFloats(8, 4);
  ASSERT_TRUE(session->SetInput(0, va.data(), 32).ok());
  ASSERT_TRUE(session->SetInput(1, vb.data(), 32).ok());
  ASSERT_TRUE(session->Run().ok());
  D prod, sum;
  for (size_t i = 0; i < 8; ++i) {
    prod.push_back(double(va[i]) * va[i] - double(vb[i]) * vb[i]);
    sum.push_back(double(va[i]) + vb[i]);
  }
  V got;
  ASSERT_TRUE(session->GetOutput(0, &got).ok());
  ExpectClose(got, prod);
  ASSERT_TRUE(session->GetOutput(1, &got).ok());
  ExpectClose(got, sum);
}

// A chain and a diamond: x -> sig -> tanh, add(sig, tanh), mul(add, x), then a chain of clamps
// and adds so that buffers must be reused.
ModelDef ChainDef() {
  GraphBuilder g("chain");
  const std::vector<int64_t> shape = {1, 4, 4, 8};
  const int x = g.Input("x", shape);  // node 0
  const int s = g.Tensor("sig", shape), t = g.Tensor("tanh", shape), a = g.Tensor("add", shape);
  const int m = g.Tensor("mul", shape);
  g.Node("Sigmoid", {x}, {s});  // node 1
  g.Node("Tanh", {s}, {t});     // node 2
  g.Node("Add", {s, t}, {a});   // node 3: sig must still be live
  g.Node("Mul", {a, x}, {m});   // node 4: x must still be live
  int prev = m;
  const int c = g.Const("c", {8}, RandomFloats(8, 5));
  for (int i = 0; i < 6; ++i) {  // nodes 5..10
    const int next = g.Tensor("t" + std::to_string(i), shape);
    if (i % 2)
      g.Node("Add", {prev, c}, {next});
    else
      g.Node("Clamp", {prev}, {next}, {AttrDef::Float("min", -0.5f), AttrDef::Float("max", 1.5f)});
    prev = next;
  }
  const int r = g.Tensor("r", {1, 16, 8});
  g.Node("Reshape", {prev}, {r});  // node 11: an alias
  g.Output("y", r);                // node 12
  return g.def();
}

V ChainConstant(const ModelDef& def) {
  V c(8);
  for (const TensorDef& t : def.tensors)
    if (t.name == "c") std::memcpy(c.data(), t.data.data(), 32);
  return c;
}

D ChainReference(const V& x, const V& c, std::vector<D>* steps) {
  D v(x.size());
  D sig(x.size()), tnh(x.size()), add(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    sig[i] = 1 / (1 + std::exp(-double(x[i])));
    tnh[i] = std::tanh(sig[i]);
    add[i] = sig[i] + tnh[i];
    v[i] = add[i] * x[i];
  }
  if (steps) *steps = {sig, tnh, add, v};
  for (int k = 0; k < 6; ++k) {
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = k % 2 ? v[i] + c[i % 8] : std::min(std::max(v[i], -0.5), 1.5);
    if (steps) steps->push_back(v);
  }
  return v;
}

TEST(SessionTest, ArenaReuseKeepsResultsCorrect) {
  const ModelDef def = ChainDef();
  const V c = ChainConstant(def);
  auto reuse = MakeSession(def);
  SessionOptions capture;
  capture.capture_intermediates = true;
  auto keep = MakeSession(def, capture);
  ASSERT_TRUE(reuse && keep);
  // 13 tensors of 512 bytes without reuse; with reuse a handful.
  EXPECT_LT(reuse->arena_bytes(), keep->arena_bytes());
  EXPECT_LE(reuse->arena_bytes(), 6u * 512u);
  EXPECT_GE(keep->arena_bytes(), 11u * 512u);
  const V x = RandomFloats(128, 6, -2.f, 2.f);
  const D want = ChainReference(x, c, nullptr);
  for (Session* s : {reuse.get(), keep.get()}) {
    ASSERT_TRUE(s->SetInput(0, x.data(), 512).ok());
    for (int run = 0; run < 2; ++run) {
      ASSERT_TRUE(s->Run().ok());
      V got;
      ASSERT_TRUE(s->GetOutput(0, &got).ok());
      ExpectClose(got, want, 1e-5);
    }
  }
}

TEST(SessionTest, CaptureIntermediatesKeepsEveryNodeOutput) {
  const ModelDef def = ChainDef();
  const V c = ChainConstant(def);
  SessionOptions options;
  options.capture_intermediates = true;
  auto s = MakeSession(def, options);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->NodeOutput(1).ok()) << "before Run";
  const V x = RandomFloats(128, 7, -2.f, 2.f);
  ASSERT_TRUE(s->SetInput(0, x.data(), 512).ok());
  ASSERT_TRUE(s->Run().ok());
  std::vector<D> steps;
  ChainReference(x, c, &steps);
  for (int node = 1; node <= 10; ++node) {
    auto view = s->NodeOutput(node);
    ASSERT_TRUE(view.ok()) << view.status().ToString();
    EXPECT_EQ(view->shape, (std::vector<int64_t>{1, 4, 4, 8}));
    EXPECT_EQ(view->dtype, TensorType::kF32);
    const auto* p = static_cast<const float*>(view->data);
    SCOPED_TRACE("node " + std::to_string(node));
    ExpectClose(V(p, p + 128), steps[static_cast<size_t>(node - 1)], 1e-5);
  }
  auto reshaped = s->NodeOutput(11);
  ASSERT_TRUE(reshaped.ok());
  EXPECT_EQ(reshaped->shape, (std::vector<int64_t>{1, 16, 8}));
  auto input = s->NodeOutput(0);  // the InputAdapter's dense output
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(static_cast<const float*>(input->data)[5], x[5]);
  EXPECT_EQ(s->NodeOutput(13).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->NodeOutput(-1).status().code(), StatusCode::kInvalidArgument);

  auto plain = MakeSession(def);
  ASSERT_TRUE(plain);
  ASSERT_TRUE(plain->SetInput(0, x.data(), 512).ok());
  ASSERT_TRUE(plain->Run().ok());
  EXPECT_EQ(plain->NodeOutput(3).status().code(), StatusCode::kInvalidArgument);
}

TEST(SessionTest, ProfileRecordsEveryNodeInOrder) {
  const ModelDef def = ChainDef();
  SessionOptions options;
  options.profile = true;
  auto s = MakeSession(def, options);
  auto plain = MakeSession(def);
  ASSERT_TRUE(s && plain);
  EXPECT_EQ(s->last_run_ms(), 0.0);
  ASSERT_TRUE(s->Run().ok());
  ASSERT_EQ(s->timings().size(), def.nodes.size());
  for (size_t i = 0; i < def.nodes.size(); ++i) {
    EXPECT_EQ(s->timings()[i].node, static_cast<int>(i));
    EXPECT_GE(s->timings()[i].ms, 0.0);
  }
  EXPECT_GT(s->last_run_ms(), 0.0);
  ASSERT_TRUE(plain->Run().ok());
  EXPECT_TRUE(plain->timings().empty());
  EXPECT_GT(plain->last_run_ms(), 0.0);
}

TEST(SessionTest, TwoThreadsMatchOne) {
  GraphBuilder g("threads");
  const int x = g.Input("x", {1, 6, 6, 8});
  const V w = RandomFloats(8 * 3 * 3 * 8, 8), b = RandomFloats(8, 9);
  const int wt = g.Const("w", {8, 3, 3, 8}, w), bt = g.Const("b", {8}, b);
  const int y = g.Tensor("y", {1, 6, 6, 8}), p = g.Tensor("p", {1, 3, 3, 8});
  const int dw = g.Const("dw", {8, 3, 3, 1}, RandomFloats(72, 10));
  const int z = g.Tensor("z", {1, 3, 3, 8});
  g.Node("Conv2D", {x, wt, bt}, {y},
         {AttrDef::Ints("pads", {1, 1, 1, 1}), AttrDef::Float("activation_min", 0.f)});
  g.Node("MaxPool2D", {y}, {p},
         {AttrDef::Ints("kernel", {2, 2}), AttrDef::Ints("strides", {2, 2})});
  g.Node("Conv2D", {p, dw, -1}, {z},
         {AttrDef::Ints("pads", {1, 1, 1, 1}), AttrDef::Int("group", 8)});
  g.Output("z", z);
  const V in = RandomFloats(288, 11);
  V results[2];
  for (int threads : {1, 2}) {
    SessionOptions o;
    o.num_threads = threads;
    auto s = MakeSession(g.def(), o);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->SetInput(0, in.data(), in.size() * 4).ok());
    ASSERT_TRUE(s->Run().ok());
    ASSERT_TRUE(s->GetOutput(0, &results[threads - 1]).ok());
  }
  ExpectClose(results[1], results[0], 1e-6, 1e-6);
}

// Kernels are set up by a team of threads (SessionOptions::setup_threads): any team size gives
// the same kernels and the same bits. 1.7 MB of activations, so the arena is the mmap'd kind.
TEST(SessionTest, SetupThreadsGiveTheSameKernelsAndOutputs) {
  GraphBuilder g("setup_threads");
  const int x = g.Input("x", {1, 48, 48, 64});
  int cur = x;
  for (int i = 0; i < 6; ++i) {
    const int w = g.Const("w" + std::to_string(i), {64, 1, 1, 64}, RandomFloats(64 * 64, 20 + i));
    const int y = g.Tensor("y" + std::to_string(i), {1, 48, 48, 64});
    g.Node("Conv2D", {cur, w, -1}, {y}, {AttrDef::Float("activation_min", 0.f)});
    cur = y;
  }
  const int s = g.Tensor("s", {1, 48, 48, 64});
  g.Node("Sigmoid", {cur}, {s});
  g.Output("s", s);
  const V in = RandomFloats(48 * 48 * 64, 30);
  V first;
  std::vector<std::string> first_providers;
  for (int threads : {1, 3, 8}) {
    SessionOptions o;
    o.setup_threads = threads;
    auto sess = MakeSession(g.def(), o);
    ASSERT_TRUE(sess);
    EXPECT_GE(sess->arena_bytes(), size_t{1} << 20);
    std::vector<std::string> providers, phases;
    for (int n = 0; n < 7; ++n) providers.push_back(sess->node_provider(n));
    for (const PhaseTiming& t : sess->setup_phases()) {
      phases.push_back(t.phase);
      EXPECT_GE(t.ms, 0.0) << t.phase;
    }
    ASSERT_GE(phases.size(), 6u);
    EXPECT_EQ(std::vector<std::string>(phases.begin(), phases.begin() + 5),
              (std::vector<std::string>{"graph", "plan", "arena", "threads", "kernels"}));
    EXPECT_EQ(phases[5].rfind("kernels:", 0), 0u) << phases[5];
    ASSERT_TRUE(sess->SetInput(0, in.data(), in.size() * 4).ok());
    ASSERT_TRUE(sess->Run().ok());
    V out;
    ASSERT_TRUE(sess->GetOutput(0, &out).ok());
    if (first.empty()) {
      first = out;
      first_providers = providers;
      continue;
    }
    EXPECT_EQ(providers, first_providers) << "setup_threads " << threads;
    ASSERT_EQ(out.size(), first.size());
    EXPECT_EQ(std::memcmp(out.data(), first.data(), out.size() * 4), 0)
        << "setup_threads " << threads;
  }
}

TEST(SessionTest, UnsupportedListsEveryOffendingNode) {
  GraphBuilder g("unsupported");
  const int x = g.Input("x", {1, 4});
  const int q = g.Tensor("q", {1, 4}), d = g.Tensor("d", {1, 4}), y = g.Tensor("y", {1, 4});
  // ColorConvert needs an image input's description, which a featuremap tensor lacks.
  g.Node("ColorConvert", {x}, {q});
  g.Node("Sigmoid", {q}, {d});
  g.Node("ColorConvert", {d}, {y});
  g.Output("y", y);
  g.def().nodes[2].name = "fine_sigmoid";
  auto model = Load(g.def());
  ASSERT_TRUE(model);
  auto s = Session::Create(model);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  const std::string& msg = s.status().message();
  EXPECT_NE(msg.find("2 node(s)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'ColorConvert_1' (ColorConvert, F32)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'ColorConvert_3' (ColorConvert, F32)"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("fine_sigmoid"), std::string::npos) << msg;
}

// Int8 kernels live in int8_ops_test; an Int8 node over F32 tensors is a setup error.
TEST(SessionTest, Int8NodeOnFloatTensorsIsAnEngineError) {
  ModelDef def = TinyModelWithPerms();
  def.nodes[1].int8 = true;
  auto model = Load(def);
  ASSERT_TRUE(model);
  auto s = Session::Create(model);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kEngineError);
  EXPECT_NE(s.status().message().find("'conv' (Conv2D)"), std::string::npos)
      << s.status().message();
  EXPECT_NE(s.status().message().find("is not S8"), std::string::npos) << s.status().message();
}

TEST(SessionTest, SetupErrorsNameTheNode) {
  ModelDef def = TinyModelWithPerms();
  def.tensors[4].shape = {1, 5, 6, 4};  // the conv output shape is wrong
  auto model = Load(def);
  ASSERT_TRUE(model);
  auto s = Session::Create(model);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kEngineError);
  EXPECT_NE(s.status().message().find("node 1 'conv' (Conv2D)"), std::string::npos)
      << s.status().message();
}

TEST(SessionTest, ReadBeforeWriteIsAnEngineError) {
  GraphBuilder g("rbw");
  const int x = g.Input("x", {4});
  const int ghost = g.Tensor("ghost", {4}), y = g.Tensor("y", {4});
  g.Node("Add", {x, ghost}, {y});
  g.Output("y", y);
  auto model = Load(g.def());
  ASSERT_TRUE(model);
  auto s = Session::Create(model);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kEngineError);
  EXPECT_NE(s.status().message().find("ghost"), std::string::npos) << s.status().message();
}

TEST(SessionTest, ApiMisuseIsReportedNotCrashed) {
  EXPECT_EQ(Session::Create(nullptr).status().code(), StatusCode::kInvalidArgument);
  auto model = Load(TinyModelWithPerms());
  ASSERT_TRUE(model);
  SessionOptions bad;
  bad.num_threads = 0;
  EXPECT_EQ(Session::Create(model, bad).status().code(), StatusCode::kInvalidArgument);
  for (int setup_threads : {-1, 65}) {
    SessionOptions o;
    o.setup_threads = setup_threads;
    const Status st = Session::Create(model, o).status();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("setup_threads is " + std::to_string(setup_threads)),
              std::string::npos)
        << st.message();
  }
  auto s = Session::Create(model);
  ASSERT_TRUE(s.ok());
  V x(10);
  Status st = (*s)->SetInput(0, x.data(), 40);
  EXPECT_EQ(st.code(), StatusCode::kInputError);
  EXPECT_NE(st.message().find("420 bytes"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("480 bytes"), std::string::npos) << st.message();
  EXPECT_EQ((*s)->SetInput(1, x.data(), 40).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*s)->SetInput(0, nullptr, 420).code(), StatusCode::kInvalidArgument);
  V out;
  EXPECT_EQ((*s)->GetOutput(1, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(&(*s)->model(), model.get());
}

TEST(SessionTest, SessionsShareOneModel) {
  auto model = Load(NchwScaleModel());
  ASSERT_TRUE(model);
  auto a = Session::Create(model), b = Session::Create(model);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->input_data(0), (*b)->input_data(0));
  const V x1 = RandomFloats(30, 12), x2 = RandomFloats(30, 13);
  ASSERT_TRUE((*a)->SetInput(0, x1.data(), 120).ok());
  ASSERT_TRUE((*b)->SetInput(0, x2.data(), 120).ok());
  ASSERT_TRUE((*a)->Run().ok());
  ASSERT_TRUE((*b)->Run().ok());
  V ya, yb;
  ASSERT_TRUE((*a)->GetOutput(0, &ya).ok());
  ASSERT_TRUE((*b)->GetOutput(0, &yb).ok());
  EXPECT_FLOAT_EQ(ya[0], x1[0]);
  EXPECT_FLOAT_EQ(yb[0], x2[0]);
}

}  // namespace
}  // namespace edgert::test

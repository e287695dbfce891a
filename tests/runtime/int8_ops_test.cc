// Int8 kernels (runtime/src/engine/int8_kernels.cc) against hand-computed values and naive
// double-precision references of the IR.md int8 semantics. Every model is
// f32 input -> Quantize -> int8 op -> Dequantize -> f32 output. Tiny shapes: also runs under qemu.
// XNNPACK's fixed-point requantization may differ from the exact rounding by one step, so
// results of XNNPACK-backed ops are compared with a tolerance of one output quantum.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "engine/kernel.h"
#include "engine_test_util.h"
#include "test_util.h"

namespace edgert::test {
namespace {

using V = std::vector<float>;
using S = std::vector<int64_t>;

struct Q {
  float s;
  int32_t zp;
};

int8_t Sat(double v) { return static_cast<int8_t>(std::clamp(std::nearbyint(v), -128.0, 127.0)); }
float Deq(int8_t q, Q p) { return static_cast<float>(q - p.zp) * p.s; }
// ONNX QuantizeLinear: round half to even first, then add the zero point.
int8_t Quant(float x, Q p) { return Sat(std::nearbyint(static_cast<double>(x / p.s)) + p.zp); }

class Int8Graph {
 public:
  int Act(const std::string& name, const S& shape, Q q) {
    const int t = g_.Tensor(name, shape);
    auto& d = g_.def().tensors[static_cast<size_t>(t)];
    d.dtype = TensorType::kS8;
    d.quant.scale = {q.s};
    d.quant.zero_point = {q.zp};
    return t;
  }
  // f32 model input quantized to q.
  int In(const std::string& name, const S& shape, Q q) {
    const int f = g_.Input(name, shape);
    const int t = Act(name + "_q", shape, q);
    g_.Node("Quantize", {f}, {t});
    return t;
  }
  void Out(const std::string& name, int t) {
    const int f = g_.Tensor(name + "_f", g_.def().tensors[static_cast<size_t>(t)].shape);
    g_.Node("Dequantize", {t}, {f});
    g_.Output(name, f);
  }
  int Weights(const S& shape, const std::vector<int8_t>& w, const V& scales) {
    const int t = g_.Tensor("w" + std::to_string(g_.def().tensors.size()), shape);
    auto& d = g_.def().tensors[static_cast<size_t>(t)];
    d.dtype = TensorType::kS8;
    d.quant.scale = scales;
    d.quant.zero_point.assign(scales.size(), 0);
    d.quant.axis = scales.size() > 1 ? 0 : -1;
    d.data.resize(w.size());
    std::memcpy(d.data.data(), w.data(), w.size());
    return t;
  }
  int Bias(const std::vector<int32_t>& b) {
    const int t =
        g_.Tensor("b" + std::to_string(g_.def().tensors.size()), {static_cast<int64_t>(b.size())});
    auto& d = g_.def().tensors[static_cast<size_t>(t)];
    d.dtype = TensorType::kS32;
    d.data.resize(b.size() * 4);
    std::memcpy(d.data.data(), b.data(), d.data.size());
    return t;
  }
  void Node(const std::string& op, std::vector<int> in, std::vector<int> out,
            std::vector<AttrDef> attrs = {}) {
    g_.Node(op, std::move(in), std::move(out), std::move(attrs));
    g_.def().nodes.back().int8 = true;
  }
  // Runs with the given inputs; returns every output, and in *providers each node's provider.
  std::vector<V> Run(const std::vector<V>& inputs, int threads = 1,
                     std::vector<std::string>* providers = nullptr) {
    SessionOptions o;
    o.num_threads = threads;
    const std::unique_ptr<Session> s = RunSession(inputs, o);
    if (!s) return {};
    if (providers) *providers = Providers(*s);
    return Outputs(*s);
  }
  // A session created with `o` after one Run with the given inputs; nullptr (a test failure)
  // on any error.
  std::unique_ptr<Session> RunSession(const std::vector<V>& inputs, const SessionOptions& o) {
    auto model = Load(g_.def());
    EXPECT_TRUE(model);
    if (!model) return nullptr;
    auto s = Session::Create(model, o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    for (size_t i = 0; i < inputs.size(); ++i)
      EXPECT_TRUE((*s)->SetInput(i, inputs[i].data(), inputs[i].size() * 4).ok());
    Status st = (*s)->Run();
    EXPECT_TRUE(st.ok()) << st.ToString();
    if (!st.ok()) return nullptr;
    return std::move(*s);
  }
  static std::vector<V> Outputs(const Session& s) {
    std::vector<V> outs(s.model().outputs().size());
    for (size_t i = 0; i < outs.size(); ++i) EXPECT_TRUE(s.GetOutput(i, &outs[i]).ok());
    return outs;
  }
  // Each node's provider.
  std::vector<std::string> Providers(const Session& s) {
    std::vector<std::string> p;
    for (size_t n = 0; n < g_.def().nodes.size(); ++n)
      p.push_back(s.node_provider(static_cast<int>(n)));
    return p;
  }
  Status TryCreate() {
    auto model = Load(g_.def());
    return Session::Create(model).status();
  }
  GraphBuilder& g() { return g_; }

 private:
  GraphBuilder g_{"int8"};
};

void ExpectWithin(const V& got, const V& want, float atol) {
  ASSERT_EQ(got.size(), want.size());
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (!(std::fabs(got[i] - want[i]) <= atol) && ++bad <= 5)
      ADD_FAILURE() << "index " << i << ": got " << got[i] << ", want " << want[i];
}

V Uniform(size_t n, uint32_t seed, float lo, float hi) { return RandomFloats(n, seed, lo, hi); }

TEST(Int8Ops, QuantizeRoundsHalfToEvenAndSaturates) {
  Int8Graph g;
  const Q q{0.5f, 3};
  const int x = g.In("x", {1, 8}, q);
  g.Out("y", x);
  // x / 0.5 = 1, 3, 5, -1, -3, 2000, -2000, 0.5 -> round half even: 0 for 0.25/0.5.
  const V in = {0.25f, 0.75f, 1.25f, -0.25f, -0.75f, 1000.f, -1000.f, 0.5f};
  const auto out = g.Run({in});
  // q = nearbyint(x/s) + 3: 0+3, 2+3, 2+3, -0+3, -2+3, 127, -128, 1+3
  const V expect = {Deq(3, q), Deq(5, q),   Deq(5, q),    Deq(3, q),
                    Deq(1, q), Deq(127, q), Deq(-128, q), Deq(4, q)};
  ASSERT_EQ(out.size(), 1u);
  ExpectWithin(out[0], expect, 0.f);
}

TEST(Int8Ops, Requantize) {
  Int8Graph g;
  const Q a{0.1f, -5}, b{0.25f, 7};
  const int x = g.In("x", {1, 5}, a);
  const int y = g.Act("y", {1, 5}, b);
  g.g().Node("Requantize", {x}, {y});
  g.Out("out", y);
  const V in = {0.f, 1.f, -2.3f, 40.f, -40.f};
  const auto out = g.Run({in});
  V want;
  for (float v : in) want.push_back(Deq(Sat(std::nearbyint(Deq(Quant(v, a), a) / b.s) + b.zp), b));
  ExpectWithin(out[0], want, 0.f);
}

// Conv2D per-channel (qc8) and per-tensor, against the exact int8 arithmetic.
struct ConvCase {
  S x = {1, 5, 4, 4};  // [N,H,W,Cin]
  int64_t cout = 4, kh = 3, kw = 2, group = 1;
  bool per_channel = true;
  S pads = {0, 0, 0, 0}, strides = {1, 1}, dilations = {1, 1};
  float act_min = 0.f, act_max = std::numeric_limits<float>::infinity();  // Relu by default
  int w_max = 127;                // weights uniform in [-w_max, w_max]
  bool w_extreme = false;         // weights all -w_max or +w_max instead
  float w_scale = 1.f;            // multiplies the weight scales (keeps large sums unsaturated)
  float x_lo = -4.f, x_hi = 6.f;  // input range (real units)
  int threads = 1;
  bool dnnl_takes = false;  // where oneDNN is built in, it must take (true) or leave the node
};

// The exact int8 convolution (IR.md "Int8") of quantized NHWC x: 64-bit sums of
// (x - x_zp) * w plus the bias, one rounding (half to even) of sum * x_s * w_s[c] / y_s, plus
// y's zero point, saturated, then clamped to the fused activation's [qmin, qmax].
struct ConvRef {
  S x;  // [N,H,W,Cin]
  Q qx;
  std::vector<int8_t> wq;  // [Cout,KH,KW,Cin/group]
  V ws;                    // one scale, or one per output channel
  std::vector<int32_t> bq;
  int64_t cout, kh, kw, group;
  S pads, st, dil;
  Q qy;
  int8_t qmin, qmax;

  int64_t Oh() const { return (x[1] + pads[0] + pads[2] - (kh - 1) * dil[0] - 1) / st[0] + 1; }
  int64_t Ow() const { return (x[2] + pads[1] + pads[3] - (kw - 1) * dil[1] - 1) / st[1] + 1; }
  // y [N,OH,OW,Cout] of xq.
  std::vector<int8_t> Run(const std::vector<int8_t>& xq) const {
    const int64_t n = x[0], h = x[1], w = x[2], cin = x[3], cg = cin / group;
    const int64_t oh = Oh(), ow = Ow();
    std::vector<int8_t> y;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox)
          for (int64_t oc = 0; oc < cout; ++oc) {
            int64_t acc = bq[static_cast<size_t>(oc)];
            const int64_t grp = oc / (cout / group);
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t iy = oy * st[0] - pads[0] + ky * dil[0];
                const int64_t ix = ox * st[1] - pads[1] + kx * dil[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                for (int64_t ci = 0; ci < cg; ++ci) {
                  const int8_t xv =
                      xq[static_cast<size_t>(((b * h + iy) * w + ix) * cin + grp * cg + ci)];
                  acc += static_cast<int64_t>(xv - qx.zp) *
                         wq[static_cast<size_t>(((oc * kh + ky) * kw + kx) * cg + ci)];
                }
              }
            const double sw = ws[ws.size() > 1 ? static_cast<size_t>(oc) : 0];
            const int8_t q = Sat(static_cast<double>(acc) * qx.s * sw / qy.s + qy.zp);
            y.push_back(std::clamp(q, qmin, qmax));
          }
    return y;
  }
};

void CheckConv(const ConvCase& k) {
  const int64_t n = k.x[0], h = k.x[1], w = k.x[2], cin = k.x[3], cout = k.cout;
  const int64_t kh = k.kh, kw = k.kw, group = k.group;
  const Q qx{0.05f, -3}, qy{0.08f, 10};
  Int8Graph g;
  const int x = g.In("x", k.x, qx);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> wd(-k.w_max, k.w_max), bd(-300, 300);
  const int64_t cg = cin / group;
  std::vector<int8_t> wq(static_cast<size_t>(cout * kh * kw * cg));
  for (auto& v : wq) v = static_cast<int8_t>(wd(rng));
  if (k.w_extreme)
    for (auto& v : wq) v = static_cast<int8_t>(v < 0 ? -k.w_max : k.w_max);
  V ws = {0.01f * k.w_scale};
  if (k.per_channel) {
    const V four = {0.01f, 0.002f, 0.02f, 0.005f};
    ws.clear();
    for (int64_t c = 0; c < cout; ++c) ws.push_back(four[static_cast<size_t>(c % 4)] * k.w_scale);
  }
  std::vector<int32_t> bq(static_cast<size_t>(cout));
  for (auto& v : bq) v = bd(rng);
  const int wt = g.Weights({cout, kh, kw, cg}, wq, ws);
  const int bt = g.Bias(bq);
  const S& pads = k.pads;
  const S& st = k.strides;
  const S& dil = k.dilations;
  const int64_t ekh = (kh - 1) * dil[0] + 1, ekw = (kw - 1) * dil[1] + 1;
  const int64_t oh = (h + pads[0] + pads[2] - ekh) / st[0] + 1;
  const int64_t ow = (w + pads[1] + pads[3] - ekw) / st[1] + 1;
  const int y = g.Act("y", {n, oh, ow, cout}, qy);
  std::vector<AttrDef> attrs = {AttrDef::Ints("pads", pads), AttrDef::Ints("strides", st),
                                AttrDef::Ints("dilations", dil), AttrDef::Int("group", group)};
  if (std::isfinite(k.act_min)) attrs.push_back(AttrDef::Float("activation_min", k.act_min));
  if (std::isfinite(k.act_max)) attrs.push_back(AttrDef::Float("activation_max", k.act_max));
  g.Node("Conv2D", {x, wt, bt}, {y}, attrs);
  g.Out("out", y);
  const V in = Uniform(static_cast<size_t>(n * h * w * cin), 3, k.x_lo, k.x_hi);
  const size_t before = engine::DnnlKernelCountForTesting();
  const auto out = g.Run({in}, k.threads);
  const bool built_in = engine::DnnlProvider() != nullptr;
  EXPECT_EQ(engine::DnnlKernelCountForTesting() - before, k.dnnl_takes && built_in ? 1u : 0u)
      << "oneDNN kernels set up";
  const int8_t qmin = std::isfinite(k.act_min) ? Quant(k.act_min, qy) : int8_t{-128};
  const int8_t qmax = std::isfinite(k.act_max) ? Quant(k.act_max, qy) : int8_t{127};
  std::vector<int8_t> xq;
  for (float v : in) xq.push_back(Quant(v, qx));
  const ConvRef ref{k.x, qx, wq, ws, bq, cout, kh, kw, group, pads, st, dil, qy, qmin, qmax};
  V want;
  for (int8_t q : ref.Run(xq)) want.push_back(Deq(q, qy));
  ASSERT_EQ(out.size(), 1u);
  ExpectWithin(out[0], want, qy.s * 1.01f);
}

ConvCase SmallConv(bool per_channel, int64_t group, S pads, S strides) {
  ConvCase k;
  k.per_channel = per_channel;
  k.group = group;
  k.pads = std::move(pads);
  k.strides = std::move(strides);
  return k;
}
TEST(Int8Ops, Conv2DPerChannel) { CheckConv(SmallConv(true, 1, {1, 1, 1, 0}, {1, 1})); }
TEST(Int8Ops, Conv2DPerTensorStrided) { CheckConv(SmallConv(false, 1, {0, 1, 1, 1}, {2, 1})); }
TEST(Int8Ops, Conv2DDepthwise) { CheckConv(SmallConv(true, 4, {1, 0, 1, 1}, {1, 1})); }

// 32 or more output channels, group 1: oneDNN's int8 convolution where it is built in (x86-64),
// XNNPACK elsewhere. Each band of output rows (one per thread) is a primitive of its own, with
// the padding of its own edges, so the cases put band edges inside padded, strided and dilated
// windows. oneDNN takes only weights within +-64 (dnnl_kernels.cc "Exactness"), so the weights
// here are too; exact within one quantum, like XNNPACK.
ConvCase WideConv() {
  ConvCase k;
  k.x = {1, 9, 7, 40};
  k.cout = 48;
  k.w_max = 64;
  k.pads = {1, 2, 1, 0};
  k.dnnl_takes = true;
  return k;
}
TEST(Int8Ops, Conv2DWide) { CheckConv(WideConv()); }
TEST(Int8Ops, Conv2DWideTwoThreadsStridedDilated) {
  ConvCase k = WideConv();
  k.x = {1, 13, 11, 40};
  k.kh = 3;
  k.kw = 3;
  k.strides = {2, 1};
  k.dilations = {2, 2};
  k.pads = {2, 2, 2, 1};
  k.threads = 2;
  k.per_channel = false;
  CheckConv(k);
}
TEST(Int8Ops, Conv2DWideThreeThreadsClip) {
  ConvCase k = WideConv();
  k.threads = 3;  // more bands than an even split: rows 3 / 3 / 3
  k.act_min = -1.f;
  k.act_max = 2.f;
  CheckConv(k);
}
TEST(Int8Ops, Conv2DWideBatchTwoThreads) {
  ConvCase k = WideConv();
  k.x = {3, 5, 4, 40};  // bands are batch items
  k.kh = 1;
  k.kw = 1;
  k.pads = {0, 0, 0, 0};
  k.threads = 2;
  k.act_min = -std::numeric_limits<float>::infinity();
  CheckConv(k);
}
// The worst case oneDNN is given: weights all +-64, u8 inputs near 255 (x_q 97..124).
TEST(Int8Ops, Conv2DWideWorstCaseWeights) {
  ConvCase k = WideConv();
  k.w_extreme = true;
  k.x_lo = 5.f;
  k.x_hi = 6.35f;
  k.act_min = -std::numeric_limits<float>::infinity();
  k.threads = 2;
  CheckConv(k);
}
// Whether oneDNN's int8 kernels multiply with VNNI here (32-bit sums: any weights are exact),
// from the ISA oneDNN reports for this CPU; EDGERT_DISABLE_VNNI=1 caps it below VNNI.
bool DnnlVnni() {
  bool vnni = false;
  engine::DnnlIsa(&vnni);
  return vnni;
}

// Full-range weights: with VNNI oneDNN takes them, s8 x read in place (dnnl_kernels.cc
// "Exactness"); without it they could saturate oneDNN's vpmaddubsw kernels (off by up to 100
// quanta on full-range data), so XNNPACK takes the node. Exact either way.
TEST(Int8Ops, Conv2DWideFullRangeWeights) {
  ConvCase k = WideConv();
  k.w_max = 127;
  k.x_lo = -6.f;
  k.threads = 2;
  k.dnnl_takes = DnnlVnni();
  CheckConv(k);
}
// The case 16-bit sums would get wrong: every weight +-127 and x near its top (u8 near 255
// after oneDNN's shift), so two adjacent products reach 2 * 255 * 127 = 64770.
TEST(Int8Ops, Conv2DWideExtremeWeightsOnVnni) {
  bool vnni = false;
  const std::string isa = engine::DnnlIsa(&vnni);
  if (!vnni)
    GTEST_SKIP() << "needs oneDNN with VNNI; this CPU/build gives '" << isa
                 << "' (empty: no oneDNN; EDGERT_DISABLE_VNNI caps it)";
  ConvCase k = WideConv();
  k.w_max = 127;
  k.w_extreme = true;
  k.x_lo = 6.f;
  k.x_hi = 6.5f;      // x_q 117..127 (saturated at the top)
  k.w_scale = 0.02f;  // outputs mostly inside [-128, 127], so the sums decide them
  k.act_min = -std::numeric_limits<float>::infinity();
  k.kh = 3;
  k.kw = 3;
  k.threads = 3;
  k.dnnl_takes = true;
  CheckConv(k);
}
// Issue 17, fewer passes: Quantize -> conv A (3x3, ReLU) -> conv B (1x1) -> Dequantize, both
// wide with weights within +-64, so oneDNN takes both on any x86 CPU. Without VNNI its kernels
// read x as u8, so the session holds x_q and A's output as u8 (Session::u8_tensors): Quantize and
// A write u8, A and B read it in place. B's output goes to Dequantize, which would gain
// nothing: it stays s8. With VNNI oneDNN reads s8 in place and nothing is planned.
struct Chain {
  Int8Graph g;
  ConvRef a, b;
  V in;
  int a_node = -1, b_node = -1;  // node indices
  int a_out = -1, b_out = -1;    // tensor indices
};

std::vector<AttrDef> ConvAttrs(const ConvRef& r) {
  std::vector<AttrDef> attrs = {AttrDef::Ints("pads", r.pads), AttrDef::Ints("strides", r.st),
                                AttrDef::Ints("dilations", r.dil), AttrDef::Int("group", r.group)};
  if (r.qmin > -128) attrs.push_back(AttrDef::Float("activation_min", Deq(r.qmin, r.qy)));
  return attrs;
}

// Adds conv `r` reading tensor x to c's graph; returns its output tensor, *node its index.
int AddConv(Chain& c, const ConvRef& r, int x, const std::string& name, int* node) {
  const int wt = c.g.Weights({r.cout, r.kh, r.kw, r.x[3] / r.group}, r.wq, r.ws);
  const int bt = c.g.Bias(r.bq);
  const int y = c.g.Act(name, {r.x[0], r.Oh(), r.Ow(), r.cout}, r.qy);
  *node = static_cast<int>(c.g.g().def().nodes.size());
  c.g.Node("Conv2D", {x, wt, bt}, {y}, ConvAttrs(r));
  c.g.g().def().nodes.back().name = name;
  return y;
}

Chain MakeChain() {
  Chain c;
  const Q qx{0.05f, -3}, qa{0.06f, -20}, qb{0.08f, 10};
  const S x = {1, 9, 7, 40};
  std::mt19937 rng(21);
  std::uniform_int_distribution<int> wd(-64, 64), bd(-300, 300);
  auto weights = [&](int64_t n) {
    std::vector<int8_t> w(static_cast<size_t>(n));
    for (auto& v : w) v = static_cast<int8_t>(wd(rng));
    return w;
  };
  auto bias = [&](int64_t n) {
    std::vector<int32_t> b(static_cast<size_t>(n));
    for (auto& v : b) v = bd(rng);
    return b;
  };
  V wsa, wsb;
  for (int o = 0; o < 48; ++o) wsa.push_back(0.004f * static_cast<float>(1 + o % 3));
  for (int o = 0; o < 32; ++o) wsb.push_back(0.003f * static_cast<float>(1 + o % 4));
  c.a = ConvRef{x,      qx, weights(48 * 9 * 40), wsa, bias(48), 48, 3, 3, 1, {1, 1, 1, 1}, {1, 1},
                {1, 1}, qa, Quant(0.f, qa),       127};
  c.b = ConvRef{{1, 9, 7, 48}, qa,     weights(32 * 48), wsb, bias(32), 32, 1, 1, 1,
                {0, 0, 0, 0},  {1, 1}, {1, 1},           qb,  -128,     127};
  const int xt = c.g.In("x", x, qx);
  c.a_out = AddConv(c, c.a, xt, "conv_a", &c.a_node);
  c.b_out = AddConv(c, c.b, c.a_out, "conv_b", &c.b_node);
  c.g.Out("out", c.b_out);
  c.in = Uniform(static_cast<size_t>(Count(x)), 9, -4.f, 6.f);
  return c;
}

// Without VNNI the plan is taken; Session::u8_tensors must say so.
bool U8Planned() { return engine::DnnlProvider() != nullptr && !DnnlVnni(); }

// A session as `planned`, but with capture_intermediates, which plans no u8 tensor: the same
// kernels on s8 tensors. Its outputs must be the same bytes.
void ExpectSameAsS8Session(Chain& c, const Session& planned, SessionOptions o) {
  o.capture_intermediates = true;
  const std::unique_ptr<Session> s8 = c.g.RunSession({c.in}, o);
  ASSERT_TRUE(s8);
  EXPECT_EQ(s8->u8_tensors(), 0u);
  EXPECT_EQ(c.g.Providers(*s8), c.g.Providers(planned));
  const std::vector<V> want = Int8Graph::Outputs(*s8), got = Int8Graph::Outputs(planned);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ExpectWithin(got[i], want[i], 0.f);
}

TEST(Int8Ops, Conv2DChainHeldAsU8) {
  Chain c = MakeChain();
  SessionOptions o;
  o.num_threads = 2;
  const std::unique_ptr<Session> s = c.g.RunSession({c.in}, o);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->u8_tensors(), U8Planned() ? 2u : 0u) << "x_q and conv_a's output";
  if (engine::DnnlProvider()) {
    const std::vector<std::string> p = c.g.Providers(*s);
    EXPECT_EQ(p[static_cast<size_t>(c.a_node)], "onednn");
    EXPECT_EQ(p[static_cast<size_t>(c.b_node)], "onednn");
  }
  ExpectSameAsS8Session(c, *s, o);
  // Against exact integer arithmetic, stage by stage: A's output (captured) within one quantum
  // of the reference, and B's from A's actual output.
  o.capture_intermediates = true;
  const std::unique_ptr<Session> cap = c.g.RunSession({c.in}, o);
  ASSERT_TRUE(cap);
  const auto a = cap->NodeOutput(c.a_node);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->dtype, TensorType::kS8);
  std::vector<int8_t> xq, a_got(static_cast<size_t>(Count(a->shape)));
  for (float v : c.in) xq.push_back(Quant(v, c.a.qx));
  std::memcpy(a_got.data(), a->data, a_got.size());
  const std::vector<int8_t> a_want = c.a.Run(xq);
  ASSERT_EQ(a_got.size(), a_want.size());
  V a_deq, a_ref;
  for (size_t i = 0; i < a_got.size(); ++i) {
    a_deq.push_back(Deq(a_got[i], c.a.qy));
    a_ref.push_back(Deq(a_want[i], c.a.qy));
  }
  ExpectWithin(a_deq, a_ref, c.a.qy.s * 1.01f);
  V b_ref;
  for (int8_t q : c.b.Run(a_got)) b_ref.push_back(Deq(q, c.b.qy));
  ExpectWithin(Int8Graph::Outputs(*s)[0], b_ref, c.b.qy.s * 1.01f);
}

// A's output also feeds an int8 MaxPool (XNNPACK, s8 only): it stays s8, and A and B run as they
// do without a plan. x_q still feeds A alone.
TEST(Int8Ops, Conv2DOutputWithAnS8ConsumerStaysS8) {
  Chain c = MakeChain();
  const int mp = c.g.Act("mp", {1, 8, 6, 48}, c.a.qy);
  c.g.Node("MaxPool2D", {c.a_out}, {mp},
           {AttrDef::Ints("kernel", {2, 2}), AttrDef::Ints("strides", {1, 1}),
            AttrDef::Ints("pads", {0, 0, 0, 0})});
  c.g.Out("mp", mp);
  SessionOptions o;
  const std::unique_ptr<Session> s = c.g.RunSession({c.in}, o);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->u8_tensors(), U8Planned() ? 1u : 0u) << "x_q only";
  ExpectSameAsS8Session(c, *s, o);
}

// oneDNN declines conv B at setup though PredictU8 said it takes it (forced here; in practice a
// oneDNN error or a reference-only implementation). XNNPACK takes B and cannot read u8, so the
// session sets every kernel up again without the plan ("kernels_replanned"), also with a
// start-up cache, whose first set-up's entries point into discarded kernels.
TEST(Int8Ops, Conv2DChainReplannedWhenOneDnnDeclines) {
  Chain c = MakeChain();
  struct Restore {
    ~Restore() { engine::SetDnnlInt8DeclineForTesting(""); }
  } restore;
  engine::SetDnnlInt8DeclineForTesting("conv_b");
  SessionOptions o;
  o.num_threads = 2;
  o.cache_dir = TempDir("Conv2DChainReplannedWhenOneDnnDeclines");
  for (int start = 0; start < 2; ++start) {  // writes the cache, then reads it
    SCOPED_TRACE(start ? "warm start" : "cold start");
    const std::unique_ptr<Session> s = c.g.RunSession({c.in}, o);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->u8_tensors(), 0u);
    bool replanned = false;
    for (const PhaseTiming& t : s->setup_phases()) replanned |= t.phase == "kernels_replanned";
    EXPECT_EQ(replanned, U8Planned());
    if (engine::DnnlProvider()) {
      const std::vector<std::string> p = c.g.Providers(*s);
      EXPECT_EQ(p[static_cast<size_t>(c.a_node)], "onednn");
      EXPECT_EQ(p[static_cast<size_t>(c.b_node)], "int8");
    }
    ExpectSameAsS8Session(c, *s, o);
  }
}

// Grouped convolutions and fewer than 32 output channels stay on XNNPACK (measured faster).
TEST(Int8Ops, Conv2DNarrowOrGroupedStaysOnXnnpack) {
  ConvCase k = WideConv();
  k.dnnl_takes = false;
  k.cout = 16;
  CheckConv(k);
  k.cout = 48;
  k.group = 4;
  k.w_max = 127;
  CheckConv(k);
}

TEST(Int8Ops, FullyConnectedPerChannel) {
  const Q qx{0.04f, 2}, qy{0.1f, -20};
  Int8Graph g;
  const int x = g.In("x", {2, 5}, qx);
  const std::vector<int8_t> w = {1, -2, 3, 4, 5, -6, 7, 8, -9, 10, 11, 12, -13, 14, 127};
  const V ws = {0.05f, 0.01f, 0.2f};
  const std::vector<int32_t> bq = {100, -50, 7};
  const int wt = g.Weights({3, 5}, w, ws);
  const int bt = g.Bias(bq);
  const int y = g.Act("y", {2, 3}, qy);
  g.Node("FullyConnected", {x, wt, bt}, {y});
  g.Out("out", y);
  const V in = {0.1f, -0.5f, 1.f, 2.f, -3.f, 0.7f, 0.f, -1.1f, 4.f, 0.3f};
  const auto out = g.Run({in});
  V want;
  for (int r = 0; r < 2; ++r)
    for (int o = 0; o < 3; ++o) {
      int64_t acc = bq[static_cast<size_t>(o)];
      for (int k = 0; k < 5; ++k)
        acc += (Quant(in[static_cast<size_t>(r * 5 + k)], qx) - qx.zp) *
               w[static_cast<size_t>(o * 5 + k)];
      want.push_back(Deq(
          Sat(acc * qx.s * static_cast<double>(ws[static_cast<size_t>(o)]) / qy.s + qy.zp), qy));
    }
  ExpectWithin(out[0], want, qy.s * 1.01f);
}

// A FullyConnected wide enough for oneDNN (>= 32 outputs), with full-range weights: oneDNN runs
// it as a 1x1 convolution over its rows where it has VNNI, XNNPACK elsewhere (and under
// EDGERT_DISABLE_VNNI). Either way exact integer sums, requantized once.
TEST(Int8Ops, FullyConnectedWideFullRangeWeights) {
  const Q qx{0.03f, -5}, qy{0.2f, 3};
  const int64_t rows = 3, k = 64, m = 40;
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> wd(-127, 127), bd(-500, 500);
  std::vector<int8_t> w(static_cast<size_t>(m * k));
  for (auto& v : w) v = static_cast<int8_t>(wd(rng));
  std::vector<int32_t> bq(static_cast<size_t>(m));
  for (auto& v : bq) v = bd(rng);
  V ws;
  for (int64_t o = 0; o < m; ++o) ws.push_back(0.002f * static_cast<float>(1 + o % 5));
  Int8Graph g;
  const int x = g.In("x", {rows, k}, qx);
  const int wt = g.Weights({m, k}, w, ws);
  const int bt = g.Bias(bq);
  const int y = g.Act("y", {rows, m}, qy);
  g.Node("FullyConnected", {x, wt, bt}, {y});
  g.Out("out", y);
  const V in = Uniform(static_cast<size_t>(rows * k), 5, -3.f, 3.f);
  const size_t before = engine::DnnlKernelCountForTesting();
  const auto out = g.Run({in});
  EXPECT_EQ(engine::DnnlKernelCountForTesting() - before, DnnlVnni() ? 1u : 0u)
      << "oneDNN kernels set up";
  V want;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < m; ++o) {
      int64_t acc = bq[static_cast<size_t>(o)];
      for (int64_t i = 0; i < k; ++i)
        acc += (Quant(in[static_cast<size_t>(r * k + i)], qx) - qx.zp) *
               w[static_cast<size_t>(o * k + i)];
      want.push_back(Deq(
          Sat(acc * qx.s * static_cast<double>(ws[static_cast<size_t>(o)]) / qy.s + qy.zp), qy));
    }
  ExpectWithin(out[0], want, qy.s * 1.01f);
}

TEST(Int8Ops, AddAndMulBroadcast) {
  const Q qa{0.05f, 1}, qb{0.02f, -4}, qy{0.07f, 3};
  for (const char* op : {"Add", "Mul"}) {
    Int8Graph g;
    const int a = g.In("a", {1, 2, 2, 3}, qa);
    const int b = g.In("b", {1, 1, 1, 3}, qb);
    const int y = g.Act("y", {1, 2, 2, 3}, qy);
    g.Node(op, {a, b}, {y});
    g.Out("out", y);
    const V av = Uniform(12, 1, -3.f, 3.f), bv = {0.5f, -1.f, 2.f};
    const auto out = g.Run({av, bv});
    V want;
    for (size_t i = 0; i < 12; ++i) {
      const double x = Deq(Quant(av[i], qa), qa), z = Deq(Quant(bv[i % 3], qb), qb);
      want.push_back(Deq(Sat((std::string(op) == "Add" ? x + z : x * z) / qy.s + qy.zp), qy));
    }
    SCOPED_TRACE(op);
    ExpectWithin(out[0], want, qy.s * 1.01f);
  }
}

TEST(Int8Ops, MaxPoolGlobalAvgPoolSigmoid) {
  const Q q{0.03f, -10}, qg{0.02f, 5}, qs{1.f / 256, -128};
  Int8Graph g;
  const int x = g.In("x", {1, 3, 3, 2}, q);
  const int mp = g.Act("mp", {1, 2, 2, 2}, q);
  g.Node("MaxPool2D", {x}, {mp},
         {AttrDef::Ints("kernel", {2, 2}), AttrDef::Ints("strides", {1, 1}),
          AttrDef::Ints("pads", {0, 0, 0, 0})});
  const int gp = g.Act("gp", {1, 1, 1, 2}, qg);
  g.Node("GlobalAvgPool", {x}, {gp});
  const int sg = g.Act("sg", {1, 3, 3, 2}, qs);
  g.Node("Sigmoid", {x}, {sg});
  g.Out("mp", mp);
  g.Out("gp", gp);
  g.Out("sg", sg);
  const V in = Uniform(18, 5, -2.f, 2.f);
  const auto out = g.Run({in});
  ASSERT_EQ(out.size(), 3u);
  V xd;
  for (float v : in) xd.push_back(Deq(Quant(v, q), q));
  V mpw, gpw(2, 0.f), sgw;
  for (int oy = 0; oy < 2; ++oy)
    for (int ox = 0; ox < 2; ++ox)
      for (int c = 0; c < 2; ++c) {
        float m = -1e9f;
        for (int ky = 0; ky < 2; ++ky)
          for (int kx = 0; kx < 2; ++kx)
            m = std::max(m, xd[static_cast<size_t>(((oy + ky) * 3 + ox + kx) * 2 + c)]);
        mpw.push_back(m);
      }
  for (size_t i = 0; i < 18; ++i) gpw[i % 2] += xd[i] / 9.f;
  for (float& v : gpw) v = Deq(Quant(v, qg), qg);
  for (float v : xd) sgw.push_back(Deq(Quant(1.f / (1.f + std::exp(-v)), qs), qs));
  ExpectWithin(out[0], mpw, 0.f);
  ExpectWithin(out[1], gpw, qg.s * 1.01f);
  ExpectWithin(out[2], sgw, qs.s * 1.01f);
}

TEST(Int8Ops, ConcatRequantizesDifferingScalesAndMovesEqualOnes) {
  const Q qa{0.1f, 0}, qb{0.05f, 20}, qy{0.1f, 0};
  Int8Graph g;
  const int a = g.In("a", {1, 2, 1, 2}, qa);
  const int b = g.In("b", {1, 2, 1, 1}, qb);
  const int y = g.Act("y", {1, 2, 1, 3}, qy);
  g.Node("Concat", {a, b}, {y}, {AttrDef::Int("axis", 3)});
  const int t = g.Act("t", {1, 3, 1, 2}, qy);
  g.Node("Transpose", {y}, {t}, {AttrDef::Ints("perm", {0, 3, 2, 1})});
  g.Out("y", y);
  g.Out("t", t);
  const V av = {0.3f, -1.2f, 2.5f, 0.f}, bv = {0.45f, -0.77f};
  const auto out = g.Run({av, bv});
  auto rq = [&](float v, Q from) { return Deq(Quant(Deq(Quant(v, from), from), qy), qy); };
  const V want = {rq(av[0], qa), rq(av[1], qa), rq(bv[0], qb),
                  rq(av[2], qa), rq(av[3], qa), rq(bv[1], qb)};
  ExpectWithin(out[0], want, 0.f);
  const V want_t = {want[0], want[3], want[1], want[4], want[2], want[5]};
  ExpectWithin(out[1], want_t, 0.f);
}

TEST(Int8Ops, ResizeNearestIsExact) {
  const Q q{0.02f, 3};
  Int8Graph g;
  const int x = g.In("x", {1, 2, 2, 1}, q);
  const int y = g.Act("y", {1, 4, 4, 1}, q);
  g.Node("Resize", {x}, {y},
         {AttrDef::String("mode", "nearest"),
          AttrDef::String("coordinate_transformation_mode", "asymmetric"),
          AttrDef::String("nearest_mode", "floor"), AttrDef::Floats("scales", {2.f, 2.f})});
  g.Out("y", y);
  const V in = {0.1f, -0.2f, 0.33f, 1.f};
  const auto out = g.Run({in});
  V want;
  for (int oy = 0; oy < 4; ++oy)
    for (int ox = 0; ox < 4; ++ox) want.push_back(Deq(Quant(in[(oy / 2) * 2 + ox / 2], q), q));
  ExpectWithin(out[0], want, 0.f);
}

TEST(Int8Ops, WeightsWithZeroPointAreAnError) {
  Int8Graph g;
  const Q q{0.1f, 0};
  const int x = g.In("x", {1, 1, 1, 2}, q);
  const int w = g.Weights({1, 1, 1, 2}, {1, 2}, {0.1f});
  g.g().def().tensors[static_cast<size_t>(w)].quant.zero_point = {3};
  const int y = g.Act("y", {1, 1, 1, 1}, q);
  g.Node("Conv2D", {x, w}, {y});
  g.Out("y", y);
  const Status s = g.TryCreate();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("symmetric"), std::string::npos) << s.ToString();
}

// S8 weights without any scale are an error naming them, for narrow (XNNPACK) and wide (oneDNN
// where built in) convolutions alike.
TEST(Int8Ops, WeightsWithoutQuantizationAreAnError) {
  for (const int64_t cout : {1, 32}) {
    Int8Graph g;
    const Q q{0.1f, 0};
    const int x = g.In("x", {1, 1, 1, 2}, q);
    const int w =
        g.Weights({cout, 1, 1, 2}, std::vector<int8_t>(static_cast<size_t>(cout * 2), 1), {0.1f});
    g.g().def().tensors[static_cast<size_t>(w)].quant = {};
    const int y = g.Act("y", {1, 1, 1, cout}, q);
    g.Node("Conv2D", {x, w}, {y});
    g.Out("y", y);
    const Status s = g.TryCreate();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("have no quantization"), std::string::npos) << s.ToString();
  }
}

// The provider of each node whose op is `op`, in node order.
std::vector<std::string> ProvidersOf(Int8Graph& g, const std::vector<std::string>& providers,
                                     const std::string& op) {
  std::vector<std::string> r;
  for (size_t n = 0; n < providers.size(); ++n)
    if (g.g().def().nodes[n].op == op) r.push_back(providers[n]);
  return r;
}

// Runs g on `in` with a provider switch (engine::Set*EnabledForTesting) at `on`, then switches
// the provider back on; *providers gets each node's provider.
std::vector<V> RunWithSwitch(Int8Graph& g, const V& in, void (*set)(bool), bool on,
                             std::vector<std::string>* providers) {
  set(on);
  std::vector<V> out = g.Run({in}, 1, providers);
  set(true);
  return out;
}

// Int8 nodes without an int8 kernel of their own run another provider's kernel on converted
// tensors. That kernel comes from the session's provider list in its order, so switching XNNPACK
// off (the test hook) moves them to the portable provider; the outputs stay within one quantum
// of a naive reference either way.
TEST(Int8Ops, WrappedOpsTakeTheirKernelFromTheProviderList) {
  // x requantized to c: multiples of 5/7 of c's step, never a rounding tie, so exact.
  const Q qx{0.05f, -7}, qr{0.04f, 2}, qa{0.03f, -1}, qc{0.07f, 4};
  Int8Graph g;
  const int x = g.In("x", {1, 3, 4, 2}, qx);
  // Linear resize x2, half_pixel: XNNPACK's bilinear operator where it is on.
  const std::vector<AttrDef> linear = {
      AttrDef::String("mode", "linear"), AttrDef::Floats("scales", {2.f, 2.f}),
      AttrDef::String("coordinate_transformation_mode", "half_pixel")};
  const int r = g.Act("r", {1, 6, 8, 2}, qr);
  g.Node("Resize", {x}, {r}, linear);
  // 2x2 average with count_include_pad and padding: XNNPACK declines it, portable runs it.
  const int a = g.Act("a", {1, 4, 5, 2}, qa);
  g.Node("AvgPool2D", {x}, {a},
         {AttrDef::Ints("kernel", {2, 2}), AttrDef::Ints("pads", {1, 1, 1, 1}),
          AttrDef::Int("count_include_pad", 1)});
  // Concat of differing quantizations: requantized, then the portable byte move.
  const int c = g.Act("c", {1, 3, 4, 4}, qc);
  g.Node("Concat", {x, x}, {c}, {AttrDef::Int("axis", 3)});
  g.Out("r", r);
  g.Out("a", a);
  g.Out("c", c);
  const V in = Uniform(24, 11, -3.f, 3.f);
  V xd;
  for (float v : in) xd.push_back(Deq(Quant(v, qx), qx));
  auto at = [&](int64_t y, int64_t x_, int64_t ch) {
    return xd[static_cast<size_t>((y * 4 + x_) * 2 + ch)];
  };
  V want_r, want_a, want_c;
  for (int64_t oy = 0; oy < 6; ++oy)
    for (int64_t ox = 0; ox < 8; ++ox)
      for (int64_t ch = 0; ch < 2; ++ch) {
        const double sy = std::clamp((oy + 0.5) / 2 - 0.5, 0.0, 2.0);
        const double sx = std::clamp((ox + 0.5) / 2 - 0.5, 0.0, 3.0);
        const int64_t y0 = static_cast<int64_t>(sy), x0 = static_cast<int64_t>(sx);
        const int64_t y1 = std::min<int64_t>(y0 + 1, 2), x1 = std::min<int64_t>(x0 + 1, 3);
        const double fy = sy - y0, fx = sx - x0;
        const double top = at(y0, x0, ch) * (1 - fx) + at(y0, x1, ch) * fx;
        const double bot = at(y1, x0, ch) * (1 - fx) + at(y1, x1, ch) * fx;
        want_r.push_back(Deq(Quant(static_cast<float>(top * (1 - fy) + bot * fy), qr), qr));
      }
  for (int64_t oy = 0; oy < 4; ++oy)
    for (int64_t ox = 0; ox < 5; ++ox)
      for (int64_t ch = 0; ch < 2; ++ch) {
        double sum = 0;
        for (int64_t y = oy - 1; y <= oy; ++y)
          for (int64_t x_ = ox - 1; x_ <= ox; ++x_)
            if (y >= 0 && y < 3 && x_ >= 0 && x_ < 4) sum += at(y, x_, ch);
        want_a.push_back(Deq(Quant(static_cast<float>(sum / 4), qa), qa));
      }
  for (int64_t p = 0; p < 12; ++p)
    for (int64_t k = 0; k < 4; ++k) want_c.push_back(Deq(Quant(at(p / 4, p % 4, k % 2), qc), qc));

  for (const bool xnnpack : {true, false}) {
    SCOPED_TRACE(xnnpack ? "XNNPACK on" : "XNNPACK off");
    std::vector<std::string> providers;
    const auto out = RunWithSwitch(g, in, engine::SetXnnpackEnabledForTesting, xnnpack, &providers);
    const std::string fast = xnnpack ? "int8+xnnpack" : "int8+portable";
    EXPECT_EQ(ProvidersOf(g, providers, "Resize"), std::vector<std::string>{fast});
    EXPECT_EQ(ProvidersOf(g, providers, "AvgPool2D"), std::vector<std::string>{"int8+portable"});
    EXPECT_EQ(ProvidersOf(g, providers, "Concat"), std::vector<std::string>{"int8+portable"});
    EXPECT_EQ(ProvidersOf(g, providers, "Quantize"), std::vector<std::string>{"int8"});
    ASSERT_EQ(out.size(), 3u);
    ExpectWithin(out[0], want_r, qr.s * 1.01f);
    ExpectWithin(out[1], want_a, qa.s * 1.01f);
    ExpectWithin(out[2], want_c, 0.f);
  }
}

// oneDNN is asked first for int8 Conv2D where it is built in; with it switched off (the test
// hook behind EDGERT_DISABLE_DNNL) the int8 provider's XNNPACK kernel runs the node, with the
// same result within one quantum.
TEST(Int8Ops, Conv2DMovesToTheNextProviderWithoutOneDnn) {
  const Q qx{0.05f, 3}, qy{0.1f, -2};
  Int8Graph g;
  const int x = g.In("x", {1, 2, 2, 8}, qx);
  std::vector<int8_t> wq(32 * 8);
  for (size_t i = 0; i < wq.size(); ++i) wq[i] = static_cast<int8_t>(static_cast<int>(i % 61) - 30);
  const int w = g.Weights({32, 1, 1, 8}, wq, {0.02f});
  const int y = g.Act("y", {1, 2, 2, 32}, qy);
  g.Node("Conv2D", {x, w, -1}, {y});
  g.Out("y", y);
  const V in = Uniform(32, 21, -2.f, 2.f);
  V want;
  for (int64_t p = 0; p < 4; ++p)
    for (int64_t oc = 0; oc < 32; ++oc) {
      int64_t acc = 0;
      for (int64_t ci = 0; ci < 8; ++ci)
        acc += (Quant(in[static_cast<size_t>(p * 8 + ci)], qx) - qx.zp) *
               wq[static_cast<size_t>(oc * 8 + ci)];
      want.push_back(Deq(Sat(static_cast<double>(acc) * qx.s * 0.02 / qy.s + qy.zp), qy));
    }
  const bool built_in = engine::DnnlProvider() != nullptr;
  for (const bool dnnl : {true, false}) {
    SCOPED_TRACE(dnnl ? "oneDNN on" : "oneDNN off");
    std::vector<std::string> providers;
    const auto out = RunWithSwitch(g, in, engine::SetDnnlEnabledForTesting, dnnl, &providers);
    EXPECT_EQ(ProvidersOf(g, providers, "Conv2D"),
              std::vector<std::string>{dnnl && built_in ? "onednn" : "int8"});
    ASSERT_EQ(out.size(), 1u);
    ExpectWithin(out[0], want, qy.s * 1.01f);
  }
}

// The activation range of int8 nodes and Clamp's range go through the same reader as float
// nodes (kernel.cc ReadRange): an empty or NaN range is an error, not a silent clamp to the int8
// limits.
TEST(Int8Ops, EmptyOrNaNRangeIsAnError) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Q q{0.05f, 0};
  struct Case {
    const char* op;
    const char* lo;
    const char* hi;
    float lo_v, hi_v;
  };
  for (const Case& k :
       {Case{"Add", "activation_min", "activation_max", nan, 1.f},
        Case{"Add", "activation_min", "activation_max", 1.f, 0.f},
        Case{"MaxPool2D", "activation_min", "activation_max", 0.f, nan},
        Case{"Conv2D", "activation_min", "activation_max", 3.f, 2.f},
        Case{"Clamp", "min", "max", 2.f, -2.f}, Case{"Clamp", "min", "max", nan, 6.f}}) {
    SCOPED_TRACE(std::string(k.op) + " [" + std::to_string(k.lo_v) + ", " + std::to_string(k.hi_v) +
                 "]");
    Int8Graph g;
    const int x = g.In("x", {1, 2, 2, 2}, q);
    const std::vector<AttrDef> range = {AttrDef::Float(k.lo, k.lo_v), AttrDef::Float(k.hi, k.hi_v)};
    const std::string op = k.op;
    if (op == "Add") {
      const int y = g.Act("y", {1, 2, 2, 2}, q);
      g.Node("Add", {x, x}, {y}, range);
      g.Out("y", y);
    } else if (op == "MaxPool2D") {
      const int y = g.Act("y", {1, 1, 1, 2}, q);
      std::vector<AttrDef> a = range;
      a.push_back(AttrDef::Ints("kernel", {2, 2}));
      g.Node("MaxPool2D", {x}, {y}, a);
      g.Out("y", y);
    } else if (op == "Conv2D") {
      const int w = g.Weights({2, 1, 1, 2}, {1, 2, 3, 4}, {0.1f});
      const int y = g.Act("y", {1, 2, 2, 2}, q);
      g.Node("Conv2D", {x, w, -1}, {y}, range);
      g.Out("y", y);
    } else {
      const int y = g.Act("y", {1, 2, 2, 2}, q);
      g.Node("Clamp", {x}, {y}, range);
      g.Out("y", y);
    }
    const Status s = g.TryCreate();
    EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.ToString();
    EXPECT_NE(s.message().find(std::string(k.lo) + ".." + k.hi + " range ["), std::string::npos)
        << s.ToString();
  }
}

}  // namespace
}  // namespace edgert::test

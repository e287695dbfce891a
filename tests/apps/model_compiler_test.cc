// The compiler on small ONNX models built here with onnx's protobuf API: structure of the
// lowered IR and the values of folded constants (the engine is not needed), error reporting,
// the command line, and the generated sample models when they exist.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "edgert/model.h"
#include "edgert/session.h"
#include "model_compiler/compiler.h"
#include "model_compiler/lower/op_table.h"
#include "nlohmann/json.hpp"
#include "test_util.h"

namespace edgert::compiler {
namespace {

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- a tiny ONNX graph builder ----
class Onnx {
 public:
  explicit Onnx(int64_t opset = 13) {
    m_.set_ir_version(8);
    m_.set_producer_name("edgert-test");
    auto* os = m_.add_opset_import();
    os->set_domain("");
    os->set_version(opset);
    m_.mutable_graph()->set_name("test");
  }
  // dims < 0 are dynamic ("N").
  Onnx& Input(const std::string& name, const std::vector<int64_t>& shape,
              int elem = onnx::TensorProto::FLOAT) {
    auto* vi = m_.mutable_graph()->add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    for (int64_t d : shape) {
      auto* dim = tt->mutable_shape()->add_dim();
      if (d < 0) {
        dim->set_dim_param("N");
      } else {
        dim->set_dim_value(d);
      }
    }
    return *this;
  }
  Onnx& Output(const std::string& name, int elem = onnx::TensorProto::FLOAT) {
    auto* vi = m_.mutable_graph()->add_output();
    vi->set_name(name);
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(elem);
    return *this;
  }
  Onnx& Init(const std::string& name, const std::vector<int64_t>& shape,
             const std::vector<float>& v) {
    auto* t = m_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4));
    return *this;
  }
  Onnx& InitInts(const std::string& name, const std::vector<int64_t>& shape,
                 const std::vector<int64_t>& v) {
    auto* t = m_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : shape) t->add_dims(d);
    for (int64_t x : v) t->add_int64_data(x);
    return *this;
  }
  onnx::NodeProto* Node(const std::string& op, const std::vector<std::string>& in,
                        const std::vector<std::string>& out, const std::string& name = "") {
    auto* n = m_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? op + std::to_string(m_.graph().node_size()) : name);
    for (const auto& i : in) n->add_input(i);
    for (const auto& o : out) n->add_output(o);
    return n;
  }
  std::string Bytes() const { return m_.SerializeAsString(); }
  onnx::ModelProto& proto() { return m_; }

 private:
  onnx::ModelProto m_;
};

void AttrI(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void AttrF(onnx::NodeProto* n, const std::string& name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
void AttrS(onnx::NodeProto* n, const std::string& name, const std::string& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}
void AttrInts(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

std::vector<float> Iota(size_t n, float start = 0.f, float step = 1.f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + step * static_cast<float>(i);
  return v;
}

Result<ModelDef> Compile(const Onnx& o, CompileConfig cfg = CompileConfig()) {
  return CompileOnnxBytes(o.Bytes(), "test.onnx", cfg);
}

ModelDef CompileOk(const Onnx& o, CompileConfig cfg = CompileConfig()) {
  auto r = Compile(o, std::move(cfg));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return ModelDef();
  // Every compiled model serializes and loads back through the runtime's checks.
  auto bytes = SerializeModelFile({*r});
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (bytes.ok()) {
    auto file = ModelFile::FromBytes(bytes->data(), bytes->size(), "compiled");
    EXPECT_TRUE(file.ok()) << file.status().ToString();
  }
  return *r;
}

std::vector<std::string> Ops(const ModelDef& m) {
  std::vector<std::string> ops;
  for (const NodeDef& n : m.nodes) ops.push_back(n.op);
  return ops;
}

const NodeDef* FindOp(const ModelDef& m, const std::string& op, int nth = 0) {
  for (const NodeDef& n : m.nodes)
    if (n.op == op && nth-- == 0) return &n;
  return nullptr;
}

const AttrDef* Attr(const NodeDef& n, const std::string& name) {
  for (const AttrDef& a : n.attrs)
    if (a.name == name) return &a;
  return nullptr;
}

std::vector<float> Floats(const TensorDef& t) {
  std::vector<float> v(t.data.size() / 4);
  std::memcpy(v.data(), t.data.data(), t.data.size());
  return v;
}

using Shape = std::vector<int64_t>;

// ---------------------------------------------------------------------------------------------

TEST(CompilerTest, ConvBnReluBecomesOneConvWithFoldedWeights) {
  // x [1,3,4,5] -> Conv(w [2,3,2,3], b) -> BN -> Relu -> y
  const int64_t co = 2, ci = 3, kh = 2, kw = 3;
  const std::vector<float> w = Iota(co * ci * kh * kw, -1.f, 0.1f);
  const std::vector<float> b = {0.5f, -0.25f};
  const std::vector<float> gamma = {2.f, 0.5f}, beta = {1.f, -1.f}, mean = {0.1f, 0.2f},
                           var = {4.f, 0.25f};
  Onnx o;
  o.Input("x", {1, ci, 4, 5}).Output("y");
  o.Init("w", {co, ci, kh, kw}, w).Init("b", {co}, b);
  o.Init("gamma", {co}, gamma).Init("beta", {co}, beta).Init("mean", {co}, mean);
  o.Init("var", {co}, var);
  auto* conv = o.Node("Conv", {"x", "w", "b"}, {"c"}, "conv1");
  AttrInts(conv, "pads", {1, 0, 0, 1});
  AttrInts(conv, "kernel_shape", {kh, kw});
  auto* bn = o.Node("BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, {"bn"}, "bn1");
  AttrF(bn, "epsilon", 0.f);
  o.Node("Relu", {"bn"}, {"y"}, "relu1");
  const ModelDef m = CompileOk(o);
  ASSERT_EQ(Ops(m), (std::vector<std::string>{"InputAdapter", "Conv2D", "OutputAdapter"}));
  const NodeDef& c = m.nodes[1];
  EXPECT_EQ(c.name, "conv1");
  EXPECT_EQ(c.source_op, "Conv+BatchNormalization+Relu");
  ASSERT_NE(Attr(c, "activation_min"), nullptr);
  EXPECT_EQ(Attr(c, "activation_min")->f, 0.f);
  EXPECT_EQ(Attr(c, "activation_max"), nullptr);
  EXPECT_EQ(Attr(c, "pads")->ints, (std::vector<int64_t>{1, 0, 0, 1}));
  const TensorDef& wt = m.tensors[c.inputs[1]];
  const TensorDef& bt = m.tensors[c.inputs[2]];
  ASSERT_EQ(wt.shape, (Shape{co, kh, kw, ci}));  // OHWI
  const std::vector<float> wf = Floats(wt), bf = Floats(bt);
  for (int64_t oc = 0; oc < co; ++oc) {
    const float s = gamma[oc] / std::sqrt(var[oc]);
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t x = 0; x < kw; ++x)
        for (int64_t ic = 0; ic < ci; ++ic)
          EXPECT_FLOAT_EQ(wf[((oc * kh + y) * kw + x) * ci + ic],
                          w[((oc * ci + ic) * kh + y) * kw + x] * s);
    EXPECT_FLOAT_EQ(bf[oc], (b[oc] - mean[oc]) * s + beta[oc]);
  }
  // Output: [1,2,4,4] NCHW for the user, NHWC inside.
  EXPECT_EQ(m.tensors[c.outputs[0]].shape, (Shape{1, 4, 4, co}));
  EXPECT_EQ(m.tensors[c.outputs[0]].name, "y_nhwc");
  const NodeDef& in = m.nodes[0];
  EXPECT_EQ(Attr(in, "perm")->ints, (std::vector<int64_t>{0, 2, 3, 1}));
  EXPECT_EQ(Attr(m.nodes[2], "perm")->ints, (std::vector<int64_t>{0, 3, 1, 2}));
  ASSERT_EQ(m.inputs.size(), 1u);
  EXPECT_EQ(m.inputs[0].desc.layout, Layout::kNCHW);
  EXPECT_EQ(m.inputs[0].desc.valid_shape, (Shape{1, 3, 4, 5}));
  EXPECT_EQ(m.inputs[0].desc.aligned_shape, (Shape{1, 3, 4, 8}));  // 5 floats -> 32 bytes
  EXPECT_EQ(m.tensors[m.inputs[0].tensor].shape, (Shape{1, 3, 4, 8}));
  EXPECT_EQ(m.tensors[m.inputs[0].tensor].name, "x");
  EXPECT_EQ(m.inputs[0].preprocess.input_type_rt, "featuremap");
  EXPECT_EQ(m.inputs[0].preprocess.input_layout_train, "NCHW");
  ASSERT_EQ(m.outputs.size(), 1u);
  EXPECT_EQ(m.outputs[0].desc.name, "y");
  EXPECT_EQ(m.outputs[0].desc.layout, Layout::kNCHW);
  EXPECT_EQ(m.outputs[0].desc.valid_shape, (Shape{1, 2, 4, 4}));
  EXPECT_EQ(m.tensors[m.outputs[0].tensor].name, "y");
  EXPECT_EQ(m.tensors[m.outputs[0].tensor].shape, m.outputs[0].desc.aligned_shape);
  EXPECT_EQ(m.source_sha256, Sha256Hex(o.Bytes()));
  EXPECT_EQ(m.source_sha256.size(), 64u);
}

TEST(CompilerTest, Sha256MatchesAKnownDigest) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CompilerTest, RowAlignOverride) {
  Onnx o;
  o.Input("x", {1, 3, 4, 5}).Output("y");
  o.Node("Relu", {"x"}, {"y"});
  CompileConfig cfg;
  cfg.row_align_bytes = 1;
  ModelDef m = CompileOk(o, cfg);
  EXPECT_EQ(m.inputs[0].desc.aligned_shape, (Shape{1, 3, 4, 5}));
  cfg.row_align_bytes = 64;
  m = CompileOk(o, cfg);
  EXPECT_EQ(m.inputs[0].desc.aligned_shape, (Shape{1, 3, 4, 16}));
  // A Relu on the input has no producer to fuse into: a Clamp node.
  EXPECT_EQ(Ops(m), (std::vector<std::string>{"InputAdapter", "Clamp", "OutputAdapter"}));
}

TEST(CompilerTest, ConvWeightsUseIdentityOnInitializersAndAutoPad) {
  // torch 1.13 exports Identity nodes on initializers.
  Onnx o;
  o.Input("x", {1, 2, 5, 5}).Output("y");
  o.Init("w0", {4, 1, 3, 3}, Iota(36));
  o.Node("Identity", {"w0"}, {"w"});
  auto* conv = o.Node("Conv", {"x", "w"}, {"y"}, "dw");
  AttrI(conv, "group", 2);
  AttrInts(conv, "strides", {2, 2});
  AttrS(conv, "auto_pad", "SAME_UPPER");
  const ModelDef m = CompileOk(o);
  const NodeDef* c = FindOp(m, "Conv2D");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Attr(*c, "group")->i, 2);
  // in 5, stride 2 -> out 3; total pad (3-1)*2+3-5 = 2 -> 1/1
  EXPECT_EQ(Attr(*c, "pads")->ints, (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(m.tensors[c->inputs[1]].shape, (Shape{4, 3, 3, 1}));
  EXPECT_EQ(c->inputs[2], -1);
  EXPECT_EQ(m.tensors[c->outputs[0]].shape, (Shape{1, 3, 3, 4}));
}

TEST(CompilerTest, DetectionHeadTransposeReshapeMovesNoData) {
  // Conv -> Transpose(0,2,3,1) -> Reshape [1,-1,K]: NHWC storage already is that order.
  Onnx o;
  o.Input("x", {1, 4, 3, 5}).Output("det");
  o.Init("w", {6, 4, 1, 1}, Iota(24)).Init("b", {6}, Iota(6));
  o.InitInts("shape", {3}, {1, -1, 3});
  o.Node("Conv", {"x", "w", "b"}, {"c"}, "head");
  auto* t = o.Node("Transpose", {"c"}, {"t"});
  AttrInts(t, "perm", {0, 2, 3, 1});
  o.Node("Reshape", {"t", "shape"}, {"r"});
  o.Node("Sigmoid", {"r"}, {"det"});
  const ModelDef m = CompileOk(o);
  EXPECT_EQ(Ops(m), (std::vector<std::string>{"InputAdapter", "Conv2D", "Reshape", "Sigmoid",
                                              "OutputAdapter"}));
  const NodeDef* r = FindOp(m, "Reshape");
  EXPECT_EQ(r->inputs[0], FindOp(m, "Conv2D")->outputs[0]);
  EXPECT_EQ(m.tensors[r->outputs[0]].shape, (Shape{1, 30, 3}));
  EXPECT_EQ(m.outputs[0].desc.valid_shape, (Shape{1, 30, 3}));
  EXPECT_EQ(m.outputs[0].desc.layout, Layout::kNone);
  EXPECT_EQ(Attr(m.nodes.back(), "perm")->ints, (std::vector<int64_t>{0, 1, 2}));
}

TEST(CompilerTest, ReshapeMixingChannelsAndSpaceNeedsARealTranspose) {
  // NCHW flatten of C*H*W (torch's x.view(1, -1)) reads channels outermost.
  Onnx o;
  o.Input("x", {1, 2, 3, 3}).Output("y");
  o.InitInts("shape", {2}, {1, -1});
  o.Node("Relu", {"x"}, {"r"});
  o.Node("Reshape", {"r", "shape"}, {"y"});
  const ModelDef m = CompileOk(o);
  EXPECT_EQ(Ops(m), (std::vector<std::string>{"InputAdapter", "Clamp", "Transpose", "Reshape",
                                              "OutputAdapter"}));
  const NodeDef* t = FindOp(m, "Transpose");
  EXPECT_EQ(Attr(*t, "perm")->ints, (std::vector<int64_t>{0, 3, 1, 2}));
  EXPECT_EQ(m.tensors[t->outputs[0]].shape, (Shape{1, 2, 3, 3}));
}

TEST(CompilerTest, FlattenAfterGlobalPoolNeedsNoTranspose) {
  Onnx o;
  o.Input("x", {1, 8, 4, 4}).Output("y");
  o.Init("B", {5, 8}, Iota(40, 0.f, 0.5f)).Init("C", {5}, Iota(5));
  o.Node("GlobalAveragePool", {"x"}, {"g"});
  o.Node("Flatten", {"g"}, {"f"});
  auto* gemm = o.Node("Gemm", {"f", "B", "C"}, {"y"}, "fc");
  AttrI(gemm, "transB", 1);
  AttrF(gemm, "alpha", 2.f);
  AttrF(gemm, "beta", 0.5f);
  const ModelDef m = CompileOk(o);
  EXPECT_EQ(Ops(m), (std::vector<std::string>{"InputAdapter", "GlobalAvgPool", "Reshape",
                                              "FullyConnected", "OutputAdapter"}));
  const NodeDef* fc = FindOp(m, "FullyConnected");
  EXPECT_EQ(fc->source_op, "Gemm");
  EXPECT_EQ(m.tensors[fc->inputs[1]].shape, (Shape{5, 8}));
  const auto w = Floats(m.tensors[fc->inputs[1]]);
  const auto b = Floats(m.tensors[fc->inputs[2]]);
  for (size_t i = 0; i < 40; ++i) EXPECT_FLOAT_EQ(w[i], 2.f * 0.5f * i);
  for (size_t i = 0; i < 5; ++i) EXPECT_FLOAT_EQ(b[i], 0.5f * i);
}

TEST(CompilerTest, GemmWithoutTransBTransposesTheWeight) {
  Onnx o;
  o.Input("x", {2, 3}).Output("y");
  o.Init("B", {3, 4}, Iota(12));
  o.Node("Gemm", {"x", "B"}, {"y"});
  const ModelDef m = CompileOk(o);
  const NodeDef* fc = FindOp(m, "FullyConnected");
  ASSERT_NE(fc, nullptr);
  EXPECT_EQ(fc->inputs[2], -1);
  const auto w = Floats(m.tensors[fc->inputs[1]]);
  ASSERT_EQ(m.tensors[fc->inputs[1]].shape, (Shape{4, 3}));
  for (int n = 0; n < 4; ++n)
    for (int k = 0; k < 3; ++k) EXPECT_EQ(w[n * 3 + k], static_cast<float>(k * 4 + n));
  EXPECT_EQ(m.outputs[0].desc.valid_shape, (Shape{2, 4}));
  // MatMul with a constant B lowers the same way.
  Onnx mm;
  mm.Input("x", {1, 5, 3}).Output("y");
  mm.Init("B", {3, 4}, Iota(12));
  mm.Node("MatMul", {"x", "B"}, {"y"});
  const ModelDef m2 = CompileOk(mm);
  const NodeDef* fc2 = FindOp(m2, "FullyConnected");
  ASSERT_NE(fc2, nullptr);
  EXPECT_EQ(Floats(m2.tensors[fc2->inputs[1]]), w);
  EXPECT_EQ(m2.outputs[0].desc.valid_shape, (Shape{1, 5, 4}));
}

TEST(CompilerTest, ClipOpset13WithConstantInputsFuses) {
  Onnx o;
  o.Input("x", {1, 2, 3, 3}).Output("y").Output("z");
  o.Init("w", {2, 2, 1, 1}, Iota(4)).Init("lo", {}, {0.f}).Init("hi", {}, {6.f});
  o.Node("Conv", {"x", "w"}, {"c"}, "conv");
  o.Node("Clip", {"c", "lo", "hi"}, {"y"}, "relu6");
  // Clip with only max ("" for min) after an Add.
  o.Node("Add", {"x", "x"}, {"a"}, "add");
  o.Node("Clip", {"a", "", "hi"}, {"z"}, "clip_max");
  const ModelDef m = CompileOk(o);
  const NodeDef* c = FindOp(m, "Conv2D");
  EXPECT_EQ(c->source_op, "Conv+Clip");
  EXPECT_EQ(Attr(*c, "activation_min")->f, 0.f);
  EXPECT_EQ(Attr(*c, "activation_max")->f, 6.f);
  const NodeDef* a = FindOp(m, "Add");
  EXPECT_EQ(a->source_op, "Add+Clip");
  EXPECT_EQ(Attr(*a, "activation_min"), nullptr);
  EXPECT_EQ(Attr(*a, "activation_max")->f, 6.f);
  EXPECT_EQ(FindOp(m, "Clamp"), nullptr);
  // Opset 6-10 Clip takes attributes.
  Onnx old(10);
  old.Input("x", {1, 2, 3, 3}).Output("y");
  old.Init("w", {2, 2, 1, 1}, Iota(4));
  old.Node("Conv", {"x", "w"}, {"c"});
  auto* clip = old.Node("Clip", {"c"}, {"y"});
  AttrF(clip, "min", -1.f);
  AttrF(clip, "max", 1.f);
  const ModelDef m2 = CompileOk(old);
  EXPECT_EQ(Attr(*FindOp(m2, "Conv2D"), "activation_min")->f, -1.f);
}

TEST(CompilerTest, NoFusionWhenTheProducerHasOtherConsumers) {
  Onnx o;
  o.Input("x", {1, 2, 3, 3}).Output("y").Output("c");
  o.Init("w", {2, 2, 1, 1}, Iota(4));
  o.Node("Conv", {"x", "w"}, {"c"});
  o.Node("Relu", {"c"}, {"y"});
  const ModelDef m = CompileOk(o);
  EXPECT_EQ(Attr(*FindOp(m, "Conv2D"), "activation_min"), nullptr);
  EXPECT_NE(FindOp(m, "Clamp"), nullptr);
}

TEST(CompilerTest, SwishAndStandaloneBatchNorm) {
  Onnx o;
  o.Input("x", {1, 3, 2, 2}).Output("y");
  o.Init("gamma", {3}, {1, 2, 3}).Init("beta", {3}, {0, 1, 2});
  o.Init("mean", {3}, {0, 0, 1}).Init("var", {3}, {1, 4, 9});
  auto* bn = o.Node("BatchNormalization", {"x", "gamma", "beta", "mean", "var"}, {"b"});
  AttrF(bn, "epsilon", 0.f);
  o.Node("Sigmoid", {"b"}, {"s"});
  o.Node("Mul", {"b", "s"}, {"y"}, "swish");
  const ModelDef m = CompileOk(o);
  EXPECT_EQ(Ops(m),
            (std::vector<std::string>{"InputAdapter", "Mul", "Add", "Swish", "OutputAdapter"}));
  const NodeDef* mul = FindOp(m, "Mul");
  const TensorDef& s = m.tensors[mul->inputs[1]];
  EXPECT_EQ(s.shape, (Shape{1, 1, 1, 3}));
  EXPECT_EQ(Floats(s), (std::vector<float>{1, 1, 1}));
  const TensorDef& t = m.tensors[FindOp(m, "Add")->inputs[1]];
  EXPECT_EQ(Floats(t), (std::vector<float>{0, 1, 2 - 1}));
  EXPECT_EQ(FindOp(m, "Swish")->source_op, "Sigmoid+Mul");
  EXPECT_EQ(FindOp(m, "Swish")->name, "swish");
}

// ---- LayerNorm and GELU written out (fusion.cc), run through the engine where it matters ----

// Runs compiled model `m` on dense float32 inputs; returns output `output` (dense, float32).
std::vector<float> RunCompiled(const ModelDef& m, const std::vector<std::vector<float>>& inputs,
                               size_t output = 0) {
  auto bytes = SerializeModelFile({m});
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return {};
  auto file = ModelFile::FromBytes(bytes->data(), bytes->size(), "compiled");
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  if (!file.ok()) return {};
  auto s = Session::Create(*(*file)->GetModel());
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return {};
  for (size_t i = 0; i < inputs.size(); ++i)
    EXPECT_TRUE((*s)->SetInput(i, inputs[i].data(), inputs[i].size() * 4).ok());
  EXPECT_TRUE((*s)->Run().ok());
  std::vector<float> out;
  EXPECT_TRUE((*s)->GetOutput(output, &out).ok());
  return out;
}

void ExpectNear(const std::vector<float>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], tol * (1 + std::fabs(want[i]))) << "element " << i;
}

// A graph without run-time inputs (README "model_compiler"): a folded output is a constant that
// an OutputAdapter copies into the output buffer; an op without a folding rule (Relu) runs on
// the constant.
TEST(CompilerTest, GraphWithoutInputsCompilesAndRuns) {
  Onnx o;
  o.Init("w", {2, 3}, Iota(6, -2.f)).Output("y").Output("t");
  AttrInts(o.Node("Transpose", {"w"}, {"t"}), "perm", {1, 0});
  o.Node("Relu", {"t"}, {"y"});
  const ModelDef m = CompileOk(o);
  EXPECT_TRUE(m.inputs.empty());
  EXPECT_EQ(Ops(m), (std::vector<std::string>{"Clamp", "OutputAdapter", "OutputAdapter"}));
  ASSERT_EQ(m.outputs.size(), 2u);
  EXPECT_EQ(m.outputs[0].desc.valid_shape, (std::vector<int64_t>{3, 2}));
  // Relu of [[-2, -1, 0], [1, 2, 3]] transposed.
  ExpectNear(RunCompiled(m, {}), {0, 1, 0, 2, 0, 3}, 0);
}

// Training-mode BatchNormalization (opset 15) on x [2, 2, 1, 2] (NCHW): Y from the batch
// statistics of each channel, and the [C] running statistics, against float64 by hand.
TEST(CompilerTest, TrainingModeBatchNormUsesBatchStatistics) {
  Onnx o(15);
  o.Input("x", {2, 2, 1, 2}).Output("y").Output("rm").Output("rv");
  o.Init("s", {2}, {2, 0.5f}).Init("b", {2}, {1, -1});
  o.Init("mean", {2}, {10, -4}).Init("var", {2}, {3, 0.5f});
  auto* bn = o.Node("BatchNormalization", {"x", "s", "b", "mean", "var"}, {"y", "rm", "rv"}, "bn");
  AttrI(bn, "training_mode", 1);
  AttrF(bn, "momentum", 0.75f);
  AttrF(bn, "epsilon", 0.25f);
  const ModelDef m = CompileOk(o);
  EXPECT_EQ(m.outputs.size(), 3u);
  // Channel 0 holds {1, 3 | 5, 7} (mean 4, variance (9+1+1+9)/4 = 5), channel 1 holds
  // {-2, 0 | 2, 8} (mean 2, variance (16+4+0+36)/4 = 14).
  const std::vector<float> x = {1, 3, -2, 0, 5, 7, 2, 8};
  const double k0 = 2 / std::sqrt(5.25), k1 = 0.5 / std::sqrt(14.25);
  ExpectNear(RunCompiled(m, {x}),
             {(1 - 4) * k0 + 1, (3 - 4) * k0 + 1, (-2 - 2) * k1 - 1, (0 - 2) * k1 - 1,
              (5 - 4) * k0 + 1, (7 - 4) * k0 + 1, (2 - 2) * k1 - 1, (8 - 2) * k1 - 1},
             1e-6);
  ExpectNear(RunCompiled(m, {x}, 1), {10 * 0.75 + 4 * 0.25, -4 * 0.75 + 2 * 0.25}, 1e-6);
  ExpectNear(RunCompiled(m, {x}, 2), {3 * 0.75 + 5 * 0.25, 0.5 * 0.75 + 14 * 0.25}, 1e-6);
  // A run-time scale is refused, naming the node.
  Onnx r(15);
  r.Input("x", {2, 2, 1, 2}).Input("s", {2}).Output("y");
  r.Init("b", {2}, {1, -1}).Init("mean", {2}, {0, 0}).Init("var", {2}, {1, 1});
  AttrI(r.Node("BatchNormalization", {"x", "s", "b", "mean", "var"}, {"y"}, "bn"), "training_mode",
        1);
  auto bad = Compile(r);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Has(bad.status().message(), "'bn' (BatchNormalization)")) << bad.status().message();
  EXPECT_TRUE(Has(bad.status().message(), "scale")) << bad.status().message();
}

// LayerNorm over the last axis (d values per row) in float64.
std::vector<double> RefLayerNorm(const std::vector<float>& x, size_t d, const std::vector<float>& g,
                                 const std::vector<float>& b, double eps) {
  std::vector<double> y;
  for (size_t r = 0; r < x.size() / d; ++r) {
    double mean = 0, var = 0;
    for (size_t i = 0; i < d; ++i) mean += x[r * d + i] / static_cast<double>(d);
    for (size_t i = 0; i < d; ++i) var += std::pow(x[r * d + i] - mean, 2) / static_cast<double>(d);
    for (size_t i = 0; i < d; ++i)
      y.push_back((x[r * d + i] - mean) / std::sqrt(var + eps) * g[i] + b[i]);
  }
  return y;
}

std::vector<float> Pseudo(size_t n, float lo, float hi, uint32_t seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    v[i] = lo + (hi - lo) * static_cast<float>(seed >> 8) / static_cast<float>(1u << 24);
  }
  return v;
}

// PyTorch's opset-13 LayerNorm of `x` over its last axis, into `y` (names prefixed `p`). `eps`
// is the name of the epsilon value; `exponent` that of the Pow (2 in the real pattern).
void AddWrittenOutLayerNorm(Onnx& o, const std::string& x, const std::string& y,
                            const std::string& p, const std::string& eps, int64_t d,
                            float exponent = 2.f) {
  o.Init(p + "two", {}, {exponent});
  o.Init(p + "w", {d}, Pseudo(static_cast<size_t>(d), 0.5f, 1.5f, 7));
  o.Init(p + "b", {d}, Pseudo(static_cast<size_t>(d), -1.f, 1.f, 8));
  AttrInts(o.Node("ReduceMean", {x}, {p + "mean"}), "axes", {-1});
  o.Node("Sub", {x, p + "mean"}, {p + "d"});
  o.Node("Pow", {p + "d", p + "two"}, {p + "sq"});
  AttrInts(o.Node("ReduceMean", {p + "sq"}, {p + "var"}), "axes", {-1});
  o.Node("Add", {p + "var", eps}, {p + "ve"});
  o.Node("Sqrt", {p + "ve"}, {p + "std"});
  o.Node("Div", {p + "d", p + "std"}, {p + "n"});
  o.Node("Mul", {p + "n", p + "w"}, {p + "scaled"});
  o.Node("Add", {p + "scaled", p + "b"}, {y}, "ln_out");
}

TEST(FusionTest, WrittenOutLayerNormIsOneNode) {
  Onnx o;
  o.Input("x", {2, 5, 12}).Output("y");
  o.Init("eps", {}, {1e-5f});
  AddWrittenOutLayerNorm(o, "x", "y", "", "eps", 12);
  const ModelDef m = CompileOk(o);
  EXPECT_EQ(Ops(m), (std::vector<std::string>{"InputAdapter", "LayerNorm", "OutputAdapter"}));
  const NodeDef* ln = FindOp(m, "LayerNorm");
  ASSERT_NE(ln, nullptr);
  EXPECT_EQ(Attr(*ln, "axis")->i, 2);
  EXPECT_FLOAT_EQ(Attr(*ln, "epsilon")->f, 1e-5f);
  EXPECT_EQ(Floats(m.tensors[ln->inputs[1]]), Pseudo(12, 0.5f, 1.5f, 7));
  ASSERT_GE(ln->inputs[2], 0);
  EXPECT_EQ(Floats(m.tensors[ln->inputs[2]]), Pseudo(12, -1.f, 1.f, 8));
  EXPECT_EQ(ln->source_op, "ReduceMean+Sub+Pow+ReduceMean+Add+Sqrt+Div+Mul+Add");
  const auto x = Pseudo(120, 2.f, 5.f, 9);
  ExpectNear(RunCompiled(m, {x}),
             RefLayerNorm(x, 12, Pseudo(12, 0.5f, 1.5f, 7), Pseudo(12, -1.f, 1.f, 8), 1e-5), 1e-5);
}

TEST(FusionTest, ChannelsFirstLayerNormNeedsNoTranspose) {
  // ConvNeXt's LayerNorm2d: permute to NHWC, LayerNorm over C, permute back. The NHWC storage
  // already has C last, so the lowered graph moves no data.
  Onnx o;
  o.Input("x", {1, 6, 3, 4}).Output("y");
  o.Init("eps", {}, {1e-6f});
  AttrInts(o.Node("Transpose", {"x"}, {"xt"}), "perm", {0, 2, 3, 1});
  AddWrittenOutLayerNorm(o, "xt", "lt", "", "eps", 6);
  AttrInts(o.Node("Transpose", {"lt"}, {"y"}), "perm", {0, 3, 1, 2});
  const ModelDef m = CompileOk(o);
  EXPECT_EQ(Ops(m), (std::vector<std::string>{"InputAdapter", "LayerNorm", "OutputAdapter"}));
  // x is NCHW; the reference normalizes each pixel's 6 channels.
  const auto x = Pseudo(72, -2.f, 2.f, 10);
  std::vector<float> nhwc(72);
  for (size_t c = 0; c < 6; ++c)
    for (size_t p = 0; p < 12; ++p) nhwc[p * 6 + c] = x[c * 12 + p];
  const auto ref = RefLayerNorm(nhwc, 6, Pseudo(6, 0.5f, 1.5f, 7), Pseudo(6, -1.f, 1.f, 8), 1e-6);
  std::vector<double> want(72);
  for (size_t c = 0; c < 6; ++c)
    for (size_t p = 0; p < 12; ++p) want[c * 12 + p] = ref[p * 6 + c];
  ExpectNear(RunCompiled(m, {x}), want, 1e-5);
}

TEST(FusionTest, NearMissLayerNormsStayUnfusedAndCorrect) {
  const auto x = Pseudo(40, -3.f, 3.f, 11);
  const auto want = RefLayerNorm(x, 8, Pseudo(8, 0.5f, 1.5f, 7), Pseudo(8, -1.f, 1.f, 8), 1e-3);
  {
    SCOPED_TRACE("epsilon is a run-time input");
    Onnx o;
    o.Input("x", {5, 8}).Input("eps", {1}).Output("y");
    AddWrittenOutLayerNorm(o, "x", "y", "", "eps", 8);
    const ModelDef m = CompileOk(o);
    EXPECT_EQ(FindOp(m, "LayerNorm"), nullptr);
    EXPECT_NE(FindOp(m, "Sqrt"), nullptr);
    ExpectNear(RunCompiled(m, {x, {1e-3f}}), want, 1e-5);
  }
  {
    SCOPED_TRACE("the standard deviation is also a graph output");
    Onnx o;
    o.Input("x", {5, 8}).Output("y").Output("std");
    o.Init("eps", {}, {1e-3f});
    AddWrittenOutLayerNorm(o, "x", "y", "", "eps", 8);
    const ModelDef m = CompileOk(o);
    EXPECT_EQ(FindOp(m, "LayerNorm"), nullptr);
    ExpectNear(RunCompiled(m, {x}), want, 1e-5);
  }
  {
    SCOPED_TRACE("Pow's exponent is 3");
    Onnx o;
    o.Input("x", {5, 8}).Output("y");
    o.Init("eps", {}, {1e-3f});
    AddWrittenOutLayerNorm(o, "x", "y", "", "eps", 8, 3.f);
    const ModelDef m = CompileOk(o);
    EXPECT_EQ(FindOp(m, "LayerNorm"), nullptr);
  }
}

// ConvNeXt's block tail as torch exports it: Linear on NHWC as MatMul + Add (bias), permute back
// to NCHW, then the layer scale, a [C, 1, 1] Mul. x is [1, 6, 3, 4] NCHW, W [6, 8].
struct LinearTail {
  std::vector<float> x = Pseudo(72, -2.f, 2.f, 21), w = Pseudo(48, -1.f, 1.f, 22),
                     b = Pseudo(8, -1.f, 1.f, 23), ls = Pseudo(8, 0.1f, 2.f, 24);
  Onnx Graph(const std::vector<int64_t>& bias_shape, bool mm_is_output) const {
    Onnx o;
    o.Input("x", {1, 6, 3, 4}).Output("y");
    if (mm_is_output) o.Output("mm");
    o.Init("w", {6, 8}, w).Init("b", bias_shape, b).Init("ls", {8, 1, 1}, ls);
    AttrInts(o.Node("Transpose", {"x"}, {"xt"}), "perm", {0, 2, 3, 1});
    o.Node("MatMul", {"xt", "w"}, {"mm"});
    o.Node("Add", {"mm", "b"}, {"fc"});
    AttrInts(o.Node("Transpose", {"fc"}, {"fct"}), "perm", {0, 3, 1, 2});
    o.Node("Mul", {"fct", "ls"}, {"y"});
    return o;
  }
  // y in NCHW [1, 8, 3, 4], in float64; `b_per_row`: the bias varies along H (shape [3, 1, 1]).
  std::vector<double> Ref(bool b_per_row) const {
    std::vector<double> y(96);
    for (size_t h = 0; h < 3; ++h)
      for (size_t wi = 0; wi < 4; ++wi)
        for (size_t n = 0; n < 8; ++n) {
          double acc = b_per_row ? b[h] : b[n];
          for (size_t c = 0; c < 6; ++c) acc += double{x[c * 12 + h * 4 + wi]} * w[c * 8 + n];
          y[n * 12 + h * 4 + wi] = acc * ls[n];
        }
    return y;
  }
};

TEST(FusionTest, LinearBiasAndLayerScaleFoldIntoFullyConnected) {
  const LinearTail t;
  const ModelDef m = CompileOk(t.Graph({8}, false));
  EXPECT_EQ(Ops(m), (std::vector<std::string>{"InputAdapter", "FullyConnected", "OutputAdapter"}));
  const NodeDef* fc = FindOp(m, "FullyConnected");
  ASSERT_NE(fc, nullptr);
  EXPECT_EQ(fc->source_op, "MatMul+Add+Mul");
  ExpectNear(RunCompiled(m, {t.x}), t.Ref(false), 1e-5);
}

TEST(FusionTest, NearMissLinearTailsStayUnfusedAndCorrect) {
  const LinearTail t;
  {
    SCOPED_TRACE("the bias varies along H, not along the output channels");
    LinearTail r = t;
    r.b.resize(3);
    const ModelDef m = CompileOk(r.Graph({3, 1, 1}, false));
    EXPECT_NE(FindOp(m, "Add"), nullptr);
    ExpectNear(RunCompiled(m, {r.x}), r.Ref(true), 1e-5);
  }
  {
    SCOPED_TRACE("the MatMul result is also a graph output");
    const ModelDef m = CompileOk(t.Graph({8}, true));
    EXPECT_NE(FindOp(m, "Add"), nullptr);
    EXPECT_NE(FindOp(m, "Mul"), nullptr);
    ExpectNear(RunCompiled(m, {t.x}), t.Ref(false), 1e-5);
  }
}

double RefGelu(double v, bool tanh_form) {
  if (tanh_form) return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
  return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
}

TEST(FusionTest, WrittenOutGeluFormsAreOneNode) {
  const auto x = Pseudo(24, -5.f, 5.f, 12);
  // The erf form as torch writes it, with x * 0.7071 instead of x / 1.4142, and with the 0.5
  // applied first.
  for (int variant = 0; variant < 3; ++variant) {
    SCOPED_TRACE("erf variant " + std::to_string(variant));
    Onnx o;
    o.Input("x", {2, 12}).Output("y");
    o.Init("sqrt2", {}, {1.4142135f}).Init("rsqrt2", {}, {0.70710677f});
    o.Init("one", {}, {1.f}).Init("half", {}, {0.5f});
    if (variant == 1) {
      o.Node("Mul", {"rsqrt2", "x"}, {"t"});
    } else {
      o.Node("Div", {"x", "sqrt2"}, {"t"});
    }
    o.Node("Erf", {"t"}, {"e"});
    o.Node("Add", {"e", "one"}, {"a"});
    if (variant == 2) {
      o.Node("Mul", {"x", "half"}, {"h"});
      o.Node("Mul", {"h", "a"}, {"y"});
    } else {
      o.Node("Mul", {"x", "a"}, {"m"});
      o.Node("Mul", {"m", "half"}, {"y"});
    }
    const ModelDef m = CompileOk(o);
    EXPECT_EQ(Ops(m), (std::vector<std::string>{"InputAdapter", "Gelu", "OutputAdapter"}));
    EXPECT_EQ(Attr(*FindOp(m, "Gelu"), "approximate")->s, "none");
    std::vector<double> want;
    for (float v : x) want.push_back(RefGelu(v, false));
    ExpectNear(RunCompiled(m, {x}), want, 1e-6);
  }
  // The tanh form: torch's x*x*x, and Pow(x, 3) as Hugging Face's NewGELU writes it.
  for (bool pow : {false, true}) {
    SCOPED_TRACE(pow ? "tanh with Pow" : "tanh with x*x*x");
    Onnx o;
    o.Input("x", {2, 12}).Output("y");
    o.Init("three", {}, {3.f}).Init("kappa", {}, {0.044715f}).Init("beta", {}, {0.7978846f});
    o.Init("one", {}, {1.f}).Init("half", {}, {0.5f});
    if (pow) {
      o.Node("Pow", {"x", "three"}, {"cube"});
    } else {
      o.Node("Mul", {"x", "x"}, {"sq"});
      o.Node("Mul", {"x", "sq"}, {"cube"});
    }
    o.Node("Mul", {"kappa", "cube"}, {"k"});
    o.Node("Add", {"x", "k"}, {"q"});
    o.Node("Mul", {"beta", "q"}, {"t"});
    o.Node("Tanh", {"t"}, {"th"});
    o.Node("Add", {"one", "th"}, {"a"});
    o.Node("Mul", {"x", "a"}, {"m"});
    o.Node("Mul", {"half", "m"}, {"y"});
    const ModelDef m = CompileOk(o);
    EXPECT_EQ(Ops(m), (std::vector<std::string>{"InputAdapter", "Gelu", "OutputAdapter"}));
    EXPECT_EQ(Attr(*FindOp(m, "Gelu"), "approximate")->s, "tanh");
    std::vector<double> want;
    for (float v : x) want.push_back(RefGelu(v, true));
    ExpectNear(RunCompiled(m, {x}), want, 1e-6);
  }
}

TEST(FusionTest, NearMissGeluStaysUnfusedAndCorrect) {
  const auto x = Pseudo(24, -5.f, 5.f, 13);
  for (int variant = 0; variant < 2; ++variant) {
    SCOPED_TRACE(variant == 0 ? "Erf's output is also a graph output" : "0.6 instead of 0.5");
    Onnx o;
    o.Input("x", {2, 12}).Output("y");
    if (variant == 0) o.Output("e");
    o.Init("sqrt2", {}, {1.4142135f}).Init("one", {}, {1.f});
    o.Init("half", {}, {variant == 0 ? 0.5f : 0.6f});
    o.Node("Div", {"x", "sqrt2"}, {"t"});
    o.Node("Erf", {"t"}, {"e"});
    o.Node("Add", {"e", "one"}, {"a"});
    o.Node("Mul", {"x", "a"}, {"m"});
    o.Node("Mul", {"m", "half"}, {"y"});
    const ModelDef m = CompileOk(o);
    EXPECT_EQ(FindOp(m, "Gelu"), nullptr);
    EXPECT_NE(FindOp(m, "Erf"), nullptr);
    std::vector<double> want;
    for (float v : x) want.push_back(RefGelu(v, false) * (variant == 0 ? 1.0 : 1.2));
    ExpectNear(RunCompiled(m, {x}), want, 1e-6);
  }
}

TEST(CompilerTest, PReluSlopesBroadcastAtAnyRank) {
  // Opset 6: a [C] slope is one per channel; stored NHWC it becomes [1,1,1,C].
  Onnx o6(6);
  o6.Input("x", {2, 3, 4, 5}).Output("y").Init("s", {3}, {0.1f, 0.2f, 0.3f});
  o6.Node("PRelu", {"x", "s"}, {"y"});
  const ModelDef m6 = CompileOk(o6);
  const NodeDef* p6 = FindOp(m6, "PRelu");
  ASSERT_NE(p6, nullptr);
  EXPECT_EQ(m6.tensors[p6->inputs[1]].shape, (Shape{1, 1, 1, 3}));
  // Opset 13, 5-D X: numpy alignment from the right ([3,1,1,1] meets the channel axis).
  Onnx o13;
  o13.Input("x", {2, 3, 2, 2, 2}).Output("y").Init("s", {3, 1, 1, 1}, {0.1f, 0.2f, 0.3f});
  o13.Node("PRelu", {"x", "s"}, {"y"});
  const ModelDef m13 = CompileOk(o13);
  const NodeDef* p13 = FindOp(m13, "PRelu");
  ASSERT_NE(p13, nullptr);
  EXPECT_EQ(m13.tensors[p13->inputs[1]].shape, (Shape{1, 3, 1, 1, 1}));
  // A slope that would enlarge X is refused, naming the shapes.
  Onnx bad;
  bad.Input("x", {2, 3}).Output("y").Init("s", {4, 1, 3}, std::vector<float>(12, 0.1f));
  bad.Node("PRelu", {"x", "s"}, {"y"}, "prelu_big");
  auto r = Compile(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.status().message(),
                  "'prelu_big' (PRelu): slope of shape 4x1x3 does not "
                  "broadcast to X 2x3"))
      << r.status().message();
}

TEST(CompilerTest, ComparisonsNotModWhereFoldOnConstants) {
  // ViT-style shape logic on int64: Where(Equal(s, -1), 2, s) gives the Reshape target.
  Onnx o;
  o.Input("x", {1, 6}).Output("y").Output("w");
  o.InitInts("s", {2}, {-1, 3}).InitInts("minus1", {1}, {-1}).InitInts("two", {1}, {2});
  o.Node("Equal", {"s", "minus1"}, {"is_free"});
  o.Node("Where", {"is_free", "two", "s"}, {"shape"});
  o.Node("Reshape", {"x", "shape"}, {"r"});
  o.Node("Relu", {"r"}, {"y"});
  // Swin-style mask on floats: Where(Not(Equal(m, 0)), -100, 0), plus Mod (Python and C signs),
  // Greater and Less on int64, each picking a value through Where into one constant.
  o.Init("m", {6}, {0.f, 1.f, -2.f, 0.f, 0.5f, 0.f}).Init("zero", {}, {0.f});
  o.Init("minus100", {}, {-100.f});
  o.Node("Equal", {"m", "zero"}, {"m_is_zero"});
  o.Node("Not", {"m_is_zero"}, {"m_set"});
  o.Node("Where", {"m_set", "minus100", "zero"}, {"mask"});
  o.InitInts("a", {6}, {-7, 7, -7, 7, 5, -5}).InitInts("b", {6}, {3, -3, 3, -3, 5, 5});
  o.Node("Mod", {"a", "b"}, {"py_mod"});                   // [2,-2,2,-2,0,0]
  AttrI(o.Node("Mod", {"a", "b"}, {"c_mod"}), "fmod", 1);  // [-1,1,-1,1,0,0]
  o.Node("Greater", {"py_mod", "c_mod"}, {"gt"});          // [1,0,1,0,0,0]
  o.Node("Less", {"py_mod", "c_mod"}, {"lt"});             // [0,1,0,1,0,0]
  o.Node("Where", {"gt", "py_mod", "c_mod"}, {"pick"});    // [2,1,2,1,0,0]
  o.Node("Where", {"lt", "minus100", "pick"}, {"pick2"});  // [2,-100,2,-100,0,0]
  o.Node("Add", {"mask", "pick2"}, {"bias"});              // mask [0,-100,-100,0,-100,0]
  o.Node("Add", {"x", "bias"}, {"w"}, "add_bias");
  const ModelDef m = CompileOk(o);
  for (const std::string& op : Ops(m)) EXPECT_TRUE(op != "Equal" && op != "Where") << op;
  const NodeDef* relu = FindOp(m, "Clamp");
  ASSERT_NE(relu, nullptr);
  EXPECT_EQ(m.tensors[relu->outputs[0]].shape, (Shape{2, 3}));
  const NodeDef* add = FindOp(m, "Add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(Floats(m.tensors[add->inputs[1]]),
            (std::vector<float>{2.f, -200.f, -98.f, -100.f, -100.f, 0.f}));
}

TEST(CompilerTest, ScatterNDFoldsOnConstants) {
  // Swin builds its attention mask with slice assignments, exported as ScatterND on constants.
  Onnx o(16);
  o.Input("x", {4, 2}).Output("y");
  o.Init("data", {4, 2}, std::vector<float>(8, 0.f));
  o.InitInts("rows", {2, 1}, {1, -1}).Init("upd", {2, 2}, {1.f, 2.f, 3.f, 4.f});
  o.Node("ScatterND", {"data", "rows", "upd"}, {"set"});
  // reduction add: index [3, 0] twice and [0, 1] once accumulate.
  o.InitInts("cells", {3, 2}, {3, 0, 0, 1, 3, 0}).Init("add", {3}, {10.f, 20.f, 30.f});
  AttrS(o.Node("ScatterND", {"set", "cells", "add"}, {"mask"}), "reduction", "add");
  o.Node("Add", {"x", "mask"}, {"y"});
  const ModelDef m = CompileOk(o);
  const NodeDef* add = FindOp(m, "Add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(Floats(m.tensors[add->inputs[1]]),
            (std::vector<float>{0.f, 20.f, 1.f, 2.f, 0.f, 0.f, 43.f, 4.f}));
  Onnx bad(16);
  bad.Input("x", {4, 2}).Output("y");
  bad.Init("data", {4, 2}, std::vector<float>(8, 0.f));
  bad.InitInts("rows", {1, 1}, {4}).Init("upd", {1, 2}, {1.f, 2.f});
  bad.Node("ScatterND", {"data", "rows", "upd"}, {"set"}, "scatter_oob");
  bad.Node("Add", {"x", "set"}, {"y"});
  auto r = Compile(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.status().message(), "'scatter_oob' (ScatterND): index 4 is out of range"))
      << r.status().message();
}

TEST(CompilerTest, ScatterNDOnRunTimeDataBecomesOneNode) {
  // Run-time data with constant indices and updates: one IR ScatterND in logical order, the
  // indices narrowed to S32 as given (the engine normalizes -1).
  Onnx o(16);
  o.Input("x", {4, 2}).Output("y");
  o.InitInts("rows", {2, 1}, {1, -1}).Init("upd", {2, 2}, {1.f, 2.f, 3.f, 4.f});
  AttrS(o.Node("ScatterND", {"x", "rows", "upd"}, {"y"}), "reduction", "mul");
  const ModelDef m = CompileOk(o);
  const NodeDef* sc = FindOp(m, "ScatterND");
  ASSERT_NE(sc, nullptr);
  ASSERT_EQ(sc->inputs.size(), 3u);
  const TensorDef& idx = m.tensors[sc->inputs[1]];
  EXPECT_EQ(idx.dtype, TensorType::kS32);
  ASSERT_EQ(idx.data.size(), 8u);
  int32_t ids[2];
  std::memcpy(ids, idx.data.data(), sizeof(ids));
  EXPECT_EQ(ids[0], 1);
  EXPECT_EQ(ids[1], -1);
  EXPECT_EQ(Floats(m.tensors[sc->inputs[2]]), (std::vector<float>{1.f, 2.f, 3.f, 4.f}));
  EXPECT_EQ(m.tensors[sc->outputs[0]].shape, (Shape{4, 2}));
  ASSERT_NE(Attr(*sc, "reduction"), nullptr);
  EXPECT_EQ(Attr(*sc, "reduction")->s, "mul");
  // A constant index out of [-4, 3] is refused at compile time.
  Onnx bad(16);
  bad.Input("x", {4, 2}).Output("y");
  bad.InitInts("rows", {1, 1}, {-5}).Init("upd", {1, 2}, {1.f, 2.f});
  bad.Node("ScatterND", {"x", "rows", "upd"}, {"y"}, "scatter_oob");
  auto r = Compile(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.status().message(), "'scatter_oob' (ScatterND): index -5 is out of range"))
      << r.status().message();
}

TEST(CompilerTest, BroadcastConstantsAreStoredInNhwcOrder) {
  Onnx o;
  o.Input("x", {1, 3, 2, 2}).Output("y");
  o.Init("k", {3, 1, 1}, {1, 2, 3});
  o.Node("Sub", {"k", "x"}, {"y"});
  const ModelDef m = CompileOk(o);
  const NodeDef* sub = FindOp(m, "Sub");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(m.tensors[sub->inputs[0]].shape, (Shape{1, 1, 1, 3}));
  EXPECT_EQ(Floats(m.tensors[sub->inputs[0]]), (std::vector<float>{1, 2, 3}));
}

TEST(CompilerTest, AxesArePermutedIntoStoredOrder) {
  Onnx o;
  o.Input("a", {1, 2, 4, 4}).Input("b", {1, 3, 4, 4}).Output("s").Output("p").Output("q");
  o.Output("r").Output("sm");
  auto* cat = o.Node("Concat", {"a", "b"}, {"c"});
  AttrI(cat, "axis", 1);
  o.InitInts("split", {2}, {1, 4});
  auto* sp = o.Node("Split", {"c", "split"}, {"s", "s2"});
  AttrI(sp, "axis", 1);
  o.InitInts("pads", {8}, {0, 0, 1, 2, 0, 0, 3, 3});
  auto* pad = o.Node("Pad", {"s2", "pads"}, {"p"});
  AttrS(pad, "mode", "reflect");
  o.InitInts("st", {1}, {1}).InitInts("en", {1}, {3}).InitInts("ax", {1}, {2});
  o.Node("Slice", {"s2", "st", "en", "ax"}, {"q"});
  auto* rm = o.Node("ReduceMean", {"s2"}, {"r"});
  AttrInts(rm, "axes", {2, 3});
  AttrI(rm, "keepdims", 0);
  auto* sm = o.Node("Softmax", {"s2"}, {"sm"});
  AttrI(sm, "axis", 1);
  const ModelDef m = CompileOk(o);
  ASSERT_EQ(m.nodes.size(), 13u);
  EXPECT_EQ(FindOp(m, "Transpose"), nullptr);
  EXPECT_EQ(Attr(*FindOp(m, "Concat"), "axis")->i, 3);
  EXPECT_EQ(Attr(*FindOp(m, "Split"), "axis")->i, 3);
  EXPECT_EQ(Attr(*FindOp(m, "Split"), "split")->ints, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(Attr(*FindOp(m, "Pad"), "pads")->ints, (std::vector<int64_t>{0, 1, 2, 0, 0, 3, 3, 0}));
  EXPECT_EQ(Attr(*FindOp(m, "Pad"), "mode")->s, "reflect");
  const NodeDef* sl = FindOp(m, "Slice");
  EXPECT_EQ(Attr(*sl, "starts")->ints, (std::vector<int64_t>{0, 1, 0, 0}));
  EXPECT_EQ(Attr(*sl, "ends")->ints, (std::vector<int64_t>{1, 3, 4, 4}));
  EXPECT_EQ(m.tensors[sl->outputs[0]].shape, (Shape{1, 2, 4, 4}));
  const NodeDef* r = FindOp(m, "ReduceMean");
  EXPECT_EQ(Attr(*r, "axes")->ints, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(m.tensors[r->outputs[0]].shape, (Shape{1, 4}));
  EXPECT_EQ(Attr(*FindOp(m, "Softmax"), "axis")->i, 3);
  EXPECT_EQ(m.outputs[1].desc.valid_shape, (Shape{1, 4, 8, 9}));
}

TEST(CompilerTest, SoftmaxBeforeOpset13CoercesTo2D) {
  Onnx o(11);
  o.Input("x", {2, 3, 4}).Output("y");
  auto* sm = o.Node("Softmax", {"x"}, {"y"});
  AttrI(sm, "axis", 1);
  const ModelDef m = CompileOk(o);
  EXPECT_EQ(Ops(m), (std::vector<std::string>{"InputAdapter", "Reshape", "Softmax", "Reshape",
                                              "OutputAdapter"}));
  const NodeDef* s = FindOp(m, "Softmax");
  EXPECT_EQ(m.tensors[s->inputs[0]].shape, (Shape{2, 12}));
  EXPECT_EQ(Attr(*s, "axis")->i, 1);
}

TEST(CompilerTest, PoolingCeilModeAndCountIncludePad) {
  Onnx o;
  o.Input("x", {1, 2, 5, 5}).Output("mp").Output("ap");
  auto* mp = o.Node("MaxPool", {"x"}, {"mp"});
  AttrInts(mp, "kernel_shape", {2, 2});
  AttrInts(mp, "strides", {2, 2});
  AttrI(mp, "ceil_mode", 1);
  auto* ap = o.Node("AveragePool", {"x"}, {"ap"});
  AttrInts(ap, "kernel_shape", {3, 3});
  AttrInts(ap, "strides", {2, 2});
  AttrInts(ap, "pads", {1, 1, 1, 1});
  AttrI(ap, "count_include_pad", 1);
  AttrI(ap, "ceil_mode", 1);
  const ModelDef m = CompileOk(o);
  const NodeDef* p = FindOp(m, "MaxPool2D");
  EXPECT_EQ(m.tensors[p->outputs[0]].shape, (Shape{1, 3, 3, 2}));
  EXPECT_EQ(Attr(*p, "pads")->ints, (std::vector<int64_t>{0, 0, 1, 1}));
  const NodeDef* a = FindOp(m, "AvgPool2D");
  EXPECT_EQ(Attr(*a, "count_include_pad")->i, 1);
  EXPECT_EQ(Attr(*a, "pads")->ints, (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(m.tensors[a->outputs[0]].shape, (Shape{1, 3, 3, 2}));
}

TEST(CompilerTest, ShapeArithmeticIsFolded) {
  // torch's x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
  Onnx o;
  o.Input("x", {1, 4, 1, 1}).Output("y");
  o.Node("Shape", {"x"}, {"shp"});
  auto* c0 = o.Node("Constant", {}, {"zero"});
  auto* a = c0->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  a->mutable_t()->add_int64_data(0);
  o.Node("Gather", {"shp", "zero"}, {"n"});
  o.InitInts("axes0", {1}, {0}).InitInts("minus1", {1}, {-1});
  o.Node("Unsqueeze", {"n", "axes0"}, {"n1"});
  auto* cat = o.Node("Concat", {"n1", "minus1"}, {"shape"});
  AttrI(cat, "axis", 0);
  o.Node("Cast", {"shape"}, {"shape64"})->add_attribute()->CopyFrom([] {
    onnx::AttributeProto to;
    to.set_name("to");
    to.set_type(onnx::AttributeProto::INT);
    to.set_i(onnx::TensorProto::INT64);
    return to;
  }());
  o.Node("Reshape", {"x", "shape64"}, {"y"});
  const ModelDef m = CompileOk(o);
  EXPECT_EQ(Ops(m), (std::vector<std::string>{"InputAdapter", "Reshape", "OutputAdapter"}));
  EXPECT_EQ(m.outputs[0].desc.valid_shape, (Shape{1, 4}));
}

TEST(CompilerTest, ConvTransposeWeightsPerGroup) {
  // ONNX w [Cin=4, Cout/g=3, 2, 2], group 2 -> IR [Cout=6, 2, 2, Cin/g=2].
  Onnx o;
  o.Input("x", {1, 4, 3, 3}).Output("y");
  const std::vector<float> w = Iota(4 * 3 * 2 * 2);
  o.Init("w", {4, 3, 2, 2}, w);
  auto* ct = o.Node("ConvTranspose", {"x", "w"}, {"y"});
  AttrI(ct, "group", 2);
  AttrInts(ct, "strides", {2, 2});
  AttrInts(ct, "output_padding", {1, 1});
  const ModelDef m = CompileOk(o);
  const NodeDef* c = FindOp(m, "ConvTranspose2D");
  ASSERT_NE(c, nullptr);
  const TensorDef& wt = m.tensors[c->inputs[1]];
  ASSERT_EQ(wt.shape, (Shape{6, 2, 2, 2}));
  const auto wf = Floats(wt);
  for (int g = 0; g < 2; ++g)
    for (int oc = 0; oc < 3; ++oc)
      for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 2; ++x)
          for (int ic = 0; ic < 2; ++ic)
            EXPECT_EQ(wf[(((g * 3 + oc) * 2 + y) * 2 + x) * 2 + ic],
                      w[(((g * 2 + ic) * 3 + oc) * 2 + y) * 2 + x]);
  // 2*(3-1) + 1 + 2 = 7
  EXPECT_EQ(m.outputs[0].desc.valid_shape, (Shape{1, 6, 7, 7}));
  EXPECT_EQ(Attr(*c, "output_padding")->ints, (std::vector<int64_t>{1, 1}));
}

TEST(CompilerTest, ResizeAndUpsample) {
  Onnx o;
  o.Input("x", {1, 2, 3, 4}).Output("y").Output("z");
  o.Init("scales", {4}, {1, 1, 2, 2});
  auto* r = o.Node("Resize", {"x", "", "scales"}, {"y"});
  AttrS(r, "mode", "linear");
  AttrS(r, "coordinate_transformation_mode", "align_corners");
  o.InitInts("sizes", {4}, {1, 2, 6, 6});
  auto* r2 = o.Node("Resize", {"x", "", "", "sizes"}, {"z"});
  AttrS(r2, "nearest_mode", "floor");
  const ModelDef m = CompileOk(o);
  const NodeDef* a = FindOp(m, "Resize", 0);
  EXPECT_EQ(Attr(*a, "mode")->s, "linear");
  EXPECT_EQ(Attr(*a, "coordinate_transformation_mode")->s, "align_corners");
  EXPECT_EQ(Attr(*a, "scales")->floats, (std::vector<float>{2, 2}));
  EXPECT_EQ(m.outputs[0].desc.valid_shape, (Shape{1, 2, 6, 8}));
  const NodeDef* b = FindOp(m, "Resize", 1);
  EXPECT_EQ(Attr(*b, "nearest_mode")->s, "floor");
  EXPECT_EQ(Attr(*b, "coordinate_transformation_mode")->s, "half_pixel");
  EXPECT_EQ(Attr(*b, "scales")->floats, (std::vector<float>{2, 1.5f}));
  Onnx up(9);
  up.Input("x", {1, 2, 3, 4}).Output("y");
  up.Init("scales", {4}, {1, 1, 2, 3});
  up.Node("Upsample", {"x", "scales"}, {"y"});
  const ModelDef m2 = CompileOk(up);
  const NodeDef* u = FindOp(m2, "Resize");
  EXPECT_EQ(u->source_op, "Upsample");
  EXPECT_EQ(Attr(*u, "coordinate_transformation_mode")->s, "asymmetric");
  EXPECT_EQ(Attr(*u, "nearest_mode")->s, "floor");
  EXPECT_EQ(m2.outputs[0].desc.valid_shape, (Shape{1, 2, 6, 12}));
}

TEST(CompilerTest, InputLayoutsAndShapesFromTheConfig) {
  Onnx o;
  o.Input("x", {-1, 3, 4, 4}).Output("y");
  o.Node("Sigmoid", {"x"}, {"y"});
  auto dyn = Compile(o);
  ASSERT_FALSE(dyn.ok());
  EXPECT_EQ(dyn.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Has(dyn.status().message(), "input 'x'")) << dyn.status().message();
  EXPECT_TRUE(Has(dyn.status().message(), "Nx3x4x4")) << dyn.status().message();
  EXPECT_TRUE(Has(dyn.status().message(), "input_shape")) << dyn.status().message();

  CompileConfig cfg;
  cfg.inputs.resize(1);
  cfg.inputs[0].name = "x";
  cfg.inputs[0].shape = {2, 3, 4, 4};
  cfg.inputs[0].input_layout_rt = "NHWC";
  ModelDef m = CompileOk(o, cfg);
  EXPECT_EQ(m.inputs[0].desc.layout, Layout::kNHWC);
  EXPECT_EQ(m.inputs[0].desc.valid_shape, (Shape{2, 4, 4, 3}));
  EXPECT_EQ(m.inputs[0].preprocess.input_layout_rt, "NHWC");
  EXPECT_EQ(m.inputs[0].preprocess.input_layout_train, "NCHW");
  EXPECT_EQ(Attr(m.nodes[0], "perm")->ints, (std::vector<int64_t>{0, 1, 2, 3}));

  cfg.inputs[0].shape = {2, 5, 4, 4};
  auto bad = Compile(o, cfg);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Has(bad.status().message(), "contradicts")) << bad.status().message();
  cfg.inputs[0].name = "nope";
  bad = Compile(o, cfg);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Has(bad.status().message(), "'nope' is not a graph input")) << bad.status().message();
}

TEST(CompilerTest, UnsupportedOpsAreListedInOneError) {
  Onnx o;
  o.Input("x", {1, 4}).Output("y");
  o.Node("Relu", {"x"}, {"a"});
  o.Node("Einsum", {"a"}, {"b"}, "einsum_1");
  o.Node("TopK", {"b"}, {"c"}, "topk_1");
  o.Node("Relu", {"c"}, {"y"});
  auto r = Compile(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_TRUE(Has(r.status().message(), "2 node(s)")) << r.status().message();
  EXPECT_TRUE(Has(r.status().message(), "'einsum_1' (Einsum)")) << r.status().message();
  EXPECT_TRUE(Has(r.status().message(), "'topk_1' (TopK)")) << r.status().message();
  EXPECT_TRUE(Has(r.status().message(), "test.onnx")) << r.status().message();
  // Supported op types with unsupported inputs name the node: 3-D convolution.
  Onnx c3;
  c3.Input("x", {1, 2, 3, 3, 3}).Output("y");
  c3.Init("w", {4, 2, 1, 1, 1}, Iota(8));
  c3.Node("Conv", {"x", "w"}, {"y"}, "conv3d");
  r = Compile(c3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_TRUE(Has(r.status().message(), "'conv3d' (Conv): only 1-D and 2-D convolution"))
      << r.status().message();
  EXPECT_TRUE(Has(r.status().message(), "input is 1x2x3x3x3")) << r.status().message();
}

TEST(CompilerTest, OpsetOutsideAnOpsRangeIsRefused) {
  Onnx o19(19);
  o19.Input("x", {1, 4}).Output("y");
  o19.Node("Relu", {"x"}, {"y"}, "relu");
  auto r = Compile(o19);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_TRUE(Has(r.status().message(), "'relu' (Relu) at opset 19 (supported: opset 6-18)"))
      << r.status().message();
  // HardSwish exists from opset 14 on.
  Onnx o13(13), o14(14);
  for (Onnx* o : {&o13, &o14}) {
    o->Input("x", {1, 4}).Output("y");
    o->Node("HardSwish", {"x"}, {"y"}, "hs");
  }
  r = Compile(o13);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.status().message(), "'hs' (HardSwish) at opset 13")) << r.status().message();
  EXPECT_TRUE(Compile(o14).ok());
}

TEST(CompilerTest, InputsTheTableSaysAreConstantAreChecked) {
  Onnx conv;
  conv.Input("x", {1, 2, 3, 3}).Input("w", {4, 2, 1, 1}).Output("y");
  conv.Node("Conv", {"x", "w"}, {"y"}, "c");
  auto r = Compile(conv);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_TRUE(Has(r.status().message(), "'c' (Conv): the weight (input 1 'w') must be a constant"))
      << r.status().message();
  // Dropout is inference: its mask output is a constant, all true (1).
  Onnx drop;
  drop.Input("x", {1, 4}).Output("m").Output("y");
  drop.Node("Dropout", {"x"}, {"y", "m"}, "d");
  ExpectNear(RunCompiled(CompileOk(drop), {{-1, 2, -3, 4}}), {1, 1, 1, 1}, 0);
  Onnx eval;
  eval.Input("x", {1, 4}).Output("y");
  eval.Node("Dropout", {"x"}, {"y", "unused_mask"}, "d");
  EXPECT_TRUE(Compile(eval).ok());
}

// training_mode true is the identity only with a constant ratio of 0 (Swin's attention dropout as
// torch exports it with TrainingMode.PRESERVE); any other ratio, or the default 0.5, is refused.
TEST(CompilerTest, DropoutInTrainingModeRunsOnlyWithRatioZero) {
  for (const auto& [ratio, fault] : {std::pair<float, std::string>{0.f, ""},
                                     {0.1f, "a ratio other than 0"},
                                     {-1.f, "the default ratio 0.5"}}) {
    SCOPED_TRACE(ratio);
    Onnx o;
    o.Input("x", {1, 4}).Output("y");
    auto* t = o.proto().mutable_graph()->add_initializer();
    t->set_name("training");
    t->set_data_type(onnx::TensorProto::BOOL);
    t->add_int32_data(1);
    if (ratio >= 0) o.Init("ratio", {}, {ratio});
    o.Node("Dropout", {"x", ratio >= 0 ? "ratio" : "", "training"}, {"y"}, "d");
    auto r = Compile(o);
    if (fault.empty()) {
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_EQ(Ops(*r), (std::vector<std::string>{"InputAdapter", "OutputAdapter"}));
    } else {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
      EXPECT_TRUE(Has(r.status().message(), "'d' (Dropout): training_mode true with " + fault))
          << r.status().message();
    }
  }
}

// quantize.cc finds QDQ parameters by the ONNX value a tensor holds, not by its name.
TEST(CompilerTest, TensorsRecordTheOnnxValueTheyHold) {
  Onnx o;
  o.Input("x", {1, 2, 3, 3}).Output("y");
  o.Init("w", {4, 2, 1, 1}, std::vector<float>(8, 0.5f));
  o.Node("Conv", {"x", "w"}, {"c"});
  o.Node("Relu", {"c"}, {"y"});
  auto r = Compile(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::map<std::string, std::string> source_of;  // tensor name -> source
  for (const TensorDef& t : r->tensors) source_of[t.name] = t.source;
  // The NHWC copy of the input holds x; the fused conv's output holds the Relu's output y (its
  // NHWC tensor, which the OutputAdapter reads); the weight is no ONNX activation.
  const NodeDef* conv = nullptr;
  const NodeDef* in_adapter = nullptr;
  for (const NodeDef& n : r->nodes) {
    if (n.op == "Conv2D") conv = &n;
    if (n.op == "InputAdapter") in_adapter = &n;
  }
  ASSERT_TRUE(conv && in_adapter);
  EXPECT_EQ(r->tensors[in_adapter->outputs[0]].source, "x");
  EXPECT_EQ(r->tensors[conv->outputs[0]].source, "y");
  EXPECT_EQ(r->tensors[conv->inputs[1]].source, "");
}

// Found by fuzz_onnx_import: Reshape's target product overflowed int64 (UB), and a dimension
// below -1 was taken as given. Both are errors naming the node now.
TEST(CompilerTest, ReshapeTargetsThatCannotBeAreErrors) {
  for (const auto& [spec, fault] :
       {std::pair<std::vector<int64_t>, std::string>{{-3, 8}, "shape[0] is -3"},
        {{int64_t{1} << 62, 4, -1}, "overflows 64 bits"}}) {
    SCOPED_TRACE(fault);
    Onnx o;
    o.Input("x", {1, 8}).Output("y");
    o.InitInts("shape", {static_cast<int64_t>(spec.size())}, spec);
    o.Node("Reshape", {"x", "shape"}, {"y"}, "reshape");
    auto r = Compile(o);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(Has(r.status().message(), fault)) << r.status().message();
  }
}

TEST(CompilerTest, MalformedOnnxIsAClearError) {
  const std::string dir = test::TempDir("MalformedOnnx");
  auto missing = CompileOnnxFile(dir + "/missing.onnx", CompileConfig());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kFileError);
  EXPECT_TRUE(Has(missing.status().message(), "missing.onnx"));

  const std::string junk = dir + "/junk.onnx";
  test::WriteFileBytes(junk, {0xff, 0xff, 0xff, 0x01, 0x02, 0x03, 0x04});
  auto r = CompileOnnxFile(junk, CompileConfig());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFormatError);
  EXPECT_TRUE(Has(r.status().message(), "junk.onnx")) << r.status().message();
  EXPECT_TRUE(Has(r.status().message(), "not an ONNX model")) << r.status().message();

  const std::string empty = dir + "/empty.onnx";
  test::WriteFileBytes(empty, {});
  r = CompileOnnxFile(empty, CompileConfig());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.status().message(), "empty.onnx")) << r.status().message();

  Onnx dangling;
  dangling.Input("x", {1, 2}).Output("y");
  dangling.Node("Add", {"x", "ghost"}, {"y"}, "add");
  r = Compile(dangling);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.status().message(), "'ghost'")) << r.status().message();
}

// ---- the tensor ops of issue 14: MatMul, Gather, Expand, Tile, Range, ArgMax, 1-D conv/pool ----

TEST(TensorOpsLoweringTest, MatMulOfTwoRunTimeTensorsWithOneDOperands) {
  // Attention's scores per head: [2, 3, 4] x [2, 4, 5], then x 1-D [5] (numpy drops the N
  // dim). (4-D model inputs are stored NHWC, which would add Transposes.)
  Onnx o;
  o.Input("q", {2, 3, 4}).Input("k", {2, 4, 5}).Output("y");
  o.Init("v", {5}, Iota(5));
  o.Node("MatMul", {"q", "k"}, {"s"}, "qk");
  o.Node("MatMul", {"s", "v"}, {"y"}, "sv");
  const ModelDef m = CompileOk(o);
  EXPECT_EQ(Ops(m), (std::vector<std::string>{"InputAdapter", "InputAdapter", "MatMul", "MatMul",
                                              "Reshape", "OutputAdapter"}));
  const NodeDef* qk = FindOp(m, "MatMul");
  EXPECT_EQ(m.tensors[qk->outputs[0]].shape, (Shape{2, 3, 5}));
  // The 1-D constant became [1, 5, 1]; the result [2, 3, 1] is reshaped to [2, 3].
  const NodeDef* sv = FindOp(m, "MatMul", 1);
  EXPECT_EQ(m.tensors[sv->inputs[1]].shape, (Shape{1, 5, 1}));
  EXPECT_EQ(m.outputs[0].desc.valid_shape, (Shape{2, 3}));
  // A 2-D constant B still runs as FullyConnected.
  Onnx fc;
  fc.Input("x", {2, 3}).Output("y").Init("w", {3, 4}, Iota(12));
  fc.Node("MatMul", {"x", "w"}, {"y"});
  EXPECT_EQ(Ops(CompileOk(fc)),
            (std::vector<std::string>{"InputAdapter", "FullyConnected", "OutputAdapter"}));
  // Batch dims that do not broadcast name the node.
  Onnx bad;
  bad.Input("a", {2, 3, 4}).Input("b", {3, 4, 5}).Output("y");
  bad.Node("MatMul", {"a", "b"}, {"y"}, "mm");
  auto r = Compile(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.status().message(), "'mm' (MatMul): the batch dims of A 2x3x4 and B 3x4x5"))
      << r.status().message();
}

TEST(TensorOpsLoweringTest, MatMulOfConstantsIsFolded) {
  Onnx o;
  o.Input("x", {2, 2}).Output("y");
  o.Init("a", {2, 2}, {1, 2, 3, 4}).Init("b", {2, 2}, {5, 6, 7, 8});
  o.Node("MatMul", {"a", "b"}, {"ab"});
  o.Node("Add", {"x", "ab"}, {"y"});
  const ModelDef m = CompileOk(o);
  const NodeDef* add = FindOp(m, "Add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(Floats(m.tensors[add->inputs[1]]), (std::vector<float>{19, 22, 43, 50}));
}

TEST(TensorOpsLoweringTest, TransposePermIsCheckedBeforeNarrowing) {
  // 2^32 + 1 narrowed to int is 1: [2^32 + 1, 0] must not pass as the permutation [1, 0].
  for (bool constant : {true, false}) {
    Onnx o;
    o.Input("x", {2, 3}).Output("y");
    if (constant) o.Init("c", {2, 3}, Iota(6));
    auto* t = o.Node("Transpose", {constant ? "c" : "x"}, {"t"}, "tr");
    AttrInts(t, "perm", {(int64_t{1} << 32) + 1, 0});
    o.Node("Add", {"x", "t"}, {"y"});
    auto r = Compile(o);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(Has(r.status().message(),
                    "'tr' (Transpose): perm [4294967297,0] is not a permutation of rank 2"))
        << r.status().message();
  }
}

TEST(TensorOpsLoweringTest, GatherOnRunTimeDataHasS32Indices) {
  // ViT's class token: Gather axis 1, index -4 (the first of 4 tokens), on [1, 4, 3].
  Onnx o;
  o.Input("x", {1, 4, 3}).Output("y");
  o.InitInts("i", {}, {-4});
  auto* g = o.Node("Gather", {"x", "i"}, {"y"}, "cls");
  AttrI(g, "axis", 1);
  const ModelDef m = CompileOk(o);
  const NodeDef* n = FindOp(m, "Gather");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(Attr(*n, "axis")->i, 1);
  const TensorDef& idx = m.tensors[n->inputs[1]];
  EXPECT_EQ(idx.dtype, TensorType::kS32);
  EXPECT_TRUE(idx.shape.empty());
  int32_t v = -1;
  ASSERT_EQ(idx.data.size(), sizeof(v));
  std::memcpy(&v, idx.data.data(), sizeof(v));
  EXPECT_EQ(v, 0);
  EXPECT_EQ(m.outputs[0].desc.valid_shape, (Shape{1, 3}));
  // An index out of range names the node.
  Onnx bad;
  bad.Input("x", {1, 4, 3}).Output("y").InitInts("i", {1}, {4});
  AttrI(bad.Node("Gather", {"x", "i"}, {"y"}, "g"), "axis", 1);
  auto r = Compile(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.status().message(), "'g' (Gather): index 4 out of range for axis 1 of size 4"))
      << r.status().message();
}

TEST(TensorOpsLoweringTest, ExpandTileRangeFoldOnConstants) {
  // YOLO-style anchors: Range(0, 3, 1) -> Expand to [2, 3] -> Tile [1, 2] -> + x.
  Onnx o(13);
  o.Input("x", {2, 6}).Output("y");
  o.InitInts("start", {}, {0}).InitInts("limit", {}, {3}).InitInts("delta", {}, {1});
  o.InitInts("shape", {2}, {2, 1}).InitInts("reps", {2}, {1, 2});
  o.Node("Range", {"start", "limit", "delta"}, {"r"});
  o.Node("Expand", {"r", "shape"}, {"e"});
  o.Node("Tile", {"e", "reps"}, {"t"});
  o.Node("Cast", {"t"}, {"tf"})->add_attribute()->CopyFrom([] {
    onnx::AttributeProto to;
    to.set_name("to");
    to.set_type(onnx::AttributeProto::INT);
    to.set_i(onnx::TensorProto::FLOAT);
    return to;
  }());
  o.Node("Add", {"x", "tf"}, {"y"});
  const ModelDef m = CompileOk(o);
  EXPECT_EQ(Ops(m), (std::vector<std::string>{"InputAdapter", "Add", "OutputAdapter"}));
  EXPECT_EQ(Floats(m.tensors[FindOp(m, "Add")->inputs[1]]),
            (std::vector<float>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}));
  // Float Range counts ceil((limit - start) / delta) values: 1, 0.5, 0 for (1, -0.25, -0.5).
  Onnx fr(13);
  fr.Input("x", {3}).Output("y");
  fr.Init("s", {}, {1.f}).Init("l", {}, {-0.25f}).Init("d", {}, {-0.5f});
  fr.Node("Range", {"s", "l", "d"}, {"r"});
  fr.Node("Add", {"x", "r"}, {"y"});
  const ModelDef mf = CompileOk(fr);
  EXPECT_EQ(Floats(mf.tensors[FindOp(mf, "Add")->inputs[1]]), (std::vector<float>{1, 0.5f, 0}));
}

TEST(TensorOpsLoweringTest, ExpandAndTileOnRunTimeData) {
  Onnx o(13);
  o.Input("x", {3, 1}).Output("y").Output("z");
  o.InitInts("shape", {3}, {2, 1, 4}).InitInts("reps", {2}, {2, 1});
  o.Node("Expand", {"x", "shape"}, {"y"});
  o.Node("Tile", {"x", "reps"}, {"z"});
  const ModelDef m = CompileOk(o);
  const NodeDef* e = FindOp(m, "Expand");
  ASSERT_NE(e, nullptr);
  // x is reshaped to the output's rank first.
  EXPECT_EQ(m.tensors[e->inputs[0]].shape, (Shape{1, 3, 1}));
  EXPECT_EQ(m.tensors[e->outputs[0]].shape, (Shape{2, 3, 4}));
  const NodeDef* t = FindOp(m, "Tile");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(Attr(*t, "repeats")->ints, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(m.outputs[1].desc.valid_shape, (Shape{6, 1}));
}

TEST(TensorOpsLoweringTest, ArgMaxOverChannelsIsAnS32Output) {
  // A UNet head: Conv -> ArgMax over the channels (stored NHWC: axis 3), keepdims 0.
  Onnx o;
  o.Input("x", {1, 2, 3, 4}).Output("y", onnx::TensorProto::INT64);
  o.Init("w", {5, 2, 1, 1}, Iota(10));
  o.Node("Conv", {"x", "w"}, {"c"});
  auto* a = o.Node("ArgMax", {"c"}, {"y"}, "am");
  AttrI(a, "axis", 1);
  AttrI(a, "keepdims", 0);
  AttrI(a, "select_last_index", 1);
  const ModelDef m = CompileOk(o);
  const NodeDef* n = FindOp(m, "ArgMax");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(Attr(*n, "axis")->i, 3);
  EXPECT_EQ(Attr(*n, "keepdims")->i, 0);
  EXPECT_EQ(Attr(*n, "select_last_index")->i, 1);
  EXPECT_EQ(m.tensors[n->outputs[0]].dtype, TensorType::kS32);
  EXPECT_EQ(m.tensors[n->outputs[0]].shape, (Shape{1, 3, 4}));
  EXPECT_EQ(m.outputs[0].desc.type, TensorType::kS32);
  EXPECT_EQ(m.outputs[0].desc.valid_shape, (Shape{1, 3, 4}));
}

TEST(TensorOpsLoweringTest, OneDConvAndPoolRunAsTwoD) {
  // Conv1d k=3 pad 1 stride 2 on [1, 2, 7] (L 4), then MaxPool1d k=2 (L 3).
  Onnx o;
  o.Input("x", {1, 2, 7}).Output("y");
  o.Init("w", {4, 2, 3}, Iota(24));
  auto* c = o.Node("Conv", {"x", "w"}, {"c"});
  AttrInts(c, "pads", {1, 1});
  AttrInts(c, "strides", {2});
  AttrInts(o.Node("MaxPool", {"c"}, {"y"}), "kernel_shape", {2});
  const ModelDef m = CompileOk(o);
  const NodeDef* conv = FindOp(m, "Conv2D");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(Attr(*conv, "pads")->ints, (std::vector<int64_t>{0, 1, 0, 1}));
  EXPECT_EQ(Attr(*conv, "strides")->ints, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(m.tensors[conv->inputs[0]].shape, (Shape{1, 1, 7, 2}));
  EXPECT_EQ(m.tensors[conv->inputs[1]].shape, (Shape{4, 1, 3, 2}));
  EXPECT_EQ(m.tensors[conv->outputs[0]].shape, (Shape{1, 1, 4, 4}));
  const NodeDef* pool = FindOp(m, "MaxPool2D");
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(Attr(*pool, "kernel")->ints, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(m.outputs[0].desc.valid_shape, (Shape{1, 4, 3}));
}

// ---- the command line ----

int RunTool(std::vector<std::string> args) {
  args.insert(args.begin(), "model_compiler");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return RunModelCompiler(static_cast<int>(argv.size()), argv.data());
}

// Writes DIR/net.onnx: one Sigmoid over a 1x3x4x4 input.
void WriteSigmoidNet(const std::string& dir) {
  Onnx o;
  o.Input("x", {1, 3, 4, 4}).Output("y");
  o.Node("Sigmoid", {"x"}, {"y"});
  std::ofstream f(dir + "/net.onnx", std::ios::binary);
  f << o.Bytes();
}

TEST(ModelCompilerToolTest, CompilesWithAndWithoutAConfig) {
  const std::string dir = test::TempDir("ModelCompilerTool");
  WriteSigmoidNet(dir);
  EXPECT_EQ(RunTool({"--help"}), 0);
  EXPECT_EQ(RunTool({}), 2);
  EXPECT_EQ(RunTool({"--bogus"}), 2);
  EXPECT_EQ(RunTool({"--model", dir + "/net.onnx", "--output", dir + "/a.bin"}), 0);
  auto a = ModelFile::Open(dir + "/a.bin");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((*a)->model_names(), (std::vector<std::string>{"net"}));

  {
    std::ofstream f(dir + "/net.yaml");
    f << "model_parameters:\n  onnx_model: net.onnx\n  output_model_file_prefix: netc\n"
         "  working_dir: out\n  march: bernoulli2\ncompiler_parameters:\n  row_align_bytes: 1\n";
  }
  EXPECT_EQ(RunTool({"--config", dir + "/net.yaml"}), 0);
  auto b = ModelFile::Open(dir + "/out/netc.bin");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto model = (*b)->GetModel();
  ASSERT_TRUE(model.ok());
  EXPECT_TRUE(Has((*model)->compile_config(), "row_align_bytes: 1"));
  EXPECT_EQ((*model)->inputs()[0].aligned_shape, (Shape{1, 3, 4, 4}));

  {
    std::ofstream f(dir + "/bad.yaml");
    f << "model_parameters:\n  onnx_model: net.onnx\n  bogus_key: 1\n";
  }
  EXPECT_EQ(RunTool({"--config", dir + "/bad.yaml"}), 2);
  EXPECT_EQ(RunTool({"--model", dir + "/missing.onnx", "--output", dir + "/m.bin"}), 1);
  EXPECT_FALSE(std::filesystem::exists(dir + "/m.bin"));
}

// The output folder is made before any work; when it cannot be (a file stands in its path), the
// error names the folder and nothing is written.
TEST(ModelCompilerToolTest, UncreatableOutputFolderIsNamed) {
  const std::string dir = test::TempDir("ModelCompilerToolOut");
  WriteSigmoidNet(dir);
  std::ofstream(dir + "/blocker") << "a file, not a folder";
  testing::internal::CaptureStderr();
  const int rc = RunTool({"--model", dir + "/net.onnx", "--output", dir + "/blocker/sub/m.bin"});
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 1);
  EXPECT_TRUE(Has(err, "cannot create the output folder '" + dir + "/blocker/sub'")) << err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/blocker/sub/m.bin"));
}

// ---- the generated sample models (scripts/gen_models.py), when present ----

TEST(GeneratedModelsTest, CompileWithEverythingFused) {
  const std::string dir = EDGERT_SOURCE_DIR "/build/models";
  const char* names[] = {"mobilenet_v2_tiny", "resnet18_tiny", "dethead_tiny",
                         "mobilenet_v2",      "resnet18",      "dethead"};
  int found = 0;
  for (const char* name : names) {
    const std::string path = dir + "/" + name + ".onnx";
    if (!std::filesystem::exists(path)) continue;
    ++found;
    auto m = CompileOnnxFile(path, CompileConfig());
    ASSERT_TRUE(m.ok()) << name << ": " << m.status().ToString();
    for (const NodeDef& n : m->nodes) {
      EXPECT_NE(n.op, "Clamp") << name << ": unfused " << n.name;
      EXPECT_NE(n.op, "Transpose") << name << ": data movement at " << n.name;
      EXPECT_NE(n.op, "Mul") << name << ": unfused BatchNormalization at " << n.name;
      EXPECT_FALSE(n.source_op == "BatchNormalization") << name << ": " << n.name;
    }
  }
  if (found == 0) GTEST_SKIP() << "no models in " << dir << " (scripts/gen_models.py)";
}

}  // namespace
}  // namespace edgert::compiler

namespace edgert::compiler {
namespace {

std::string ListOps(std::vector<std::string> args, int* rc) {
  args.insert(args.begin(), "--list_ops");
  testing::internal::CaptureStdout();
  *rc = RunTool(args);
  return testing::internal::GetCapturedStdout();
}

// README.md's op table is `model_compiler --list_ops --markdown`, between its marker comments.
TEST(OpTableTest, ReadmeTableIsTheListOpsOutput) {
  std::ifstream f(EDGERT_SOURCE_DIR "/README.md");
  ASSERT_TRUE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string readme = ss.str();
  const std::string begin = "<!-- model_compiler --list_ops --markdown: begin -->\n";
  const std::string end = "<!-- model_compiler --list_ops --markdown: end -->";
  const size_t b = readme.find(begin), e = readme.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  ASSERT_LT(b, e);
  const std::string section = readme.substr(b + begin.size(), e - b - begin.size());
  int rc = -1;
  const std::string table = ListOps({"--markdown"}, &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(section, table) << "README.md's op table differs from the converter table: paste "
                               "`model_compiler --list_ops --markdown` between the markers";
}

TEST(OpTableTest, ListOpsTextAndJson) {
  int rc = -1;
  const std::string text = ListOps({}, &rc);
  EXPECT_EQ(rc, 0);
  const std::vector<std::string> ops = SupportedOnnxOps();
  EXPECT_TRUE(std::is_sorted(ops.begin(), ops.end()));
  for (const std::string& op : ops) EXPECT_TRUE(Has(text, "\n" + op + "  opset ")) << op;
  // The ops the README promised before the table existed, and those that only fold.
  for (const char* op : {"Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization", "Relu",
                         "Clip", "Resize", "Upsample", "Softmax", "ReduceMean", "Identity",
                         "Constant", "Dropout", "Shape", "Gather", "Cast", "ConstantOfShape"})
    EXPECT_NE(FindOnnxOp(op), nullptr) << op;
  EXPECT_EQ(FindOnnxOp("Einsum"), nullptr);

  const std::string js = ListOps({"--json"}, &rc);
  EXPECT_EQ(rc, 0);
  const auto j = nlohmann::json::parse(js);
  EXPECT_EQ(j["domain"], "ai.onnx");
  ASSERT_EQ(j["ops"].size(), ops.size());
  for (size_t i = 0; i < ops.size(); ++i) EXPECT_EQ(j["ops"][i]["op"], ops[i]);
  for (const auto& op : j["ops"]) {
    if (op["op"] == "Conv") {
      // ONNX Conv: input 1 is the weight, input 2 the optional bias; both are compiled in.
      ASSERT_EQ(op["constant_inputs"].size(), 2u);
      EXPECT_EQ(op["constant_inputs"][0]["index"], 1);
      EXPECT_EQ(op["constant_inputs"][1]["index"], 2);
      EXPECT_EQ(op["constant_inputs"][1]["required"], true);
      EXPECT_EQ(op["lowered"], true);
      EXPECT_EQ(op["folded"], false);
    }
    if (op["op"] == "Shape") {
      EXPECT_EQ(op["lowered"], false);
      EXPECT_EQ(op["folded"], true);
    }
    EXPECT_LE(op["opset_min"].get<int>(), op["opset_max"].get<int>());
  }

  EXPECT_EQ(RunTool({"--json"}), 2);  // --json without --list_ops
  EXPECT_EQ(RunTool({"--list_ops", "--json", "--markdown"}), 2);
}

}  // namespace
}  // namespace edgert::compiler

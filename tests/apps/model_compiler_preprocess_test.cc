// The compiler's input pipeline: image input_type_rt values become an image IoDesc plus
// ColorConvert (+ Normalize) nodes, norm_type on featuremaps becomes Normalize, and bad
// combinations are errors that say what to change. Conversion values are checked by
// tests/runtime/preprocess_test.cc and tests/apps/preprocess_pairs_test.py.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "edgert/model.h"
#include "model_compiler/compiler.h"

namespace edgert::compiler {
namespace {

using Shape = std::vector<int64_t>;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// x [shape] -> 1x1 Conv with identity weights (C = the channel dim of `layout`) -> y. An NHWC
// input goes through Transpose(0,3,1,2) first, as an NHWC-trained export would.
std::string IdentityConvOnnx(const Shape& shape, bool nhwc = false) {
  const int64_t c = nhwc ? shape[3] : shape[1];
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* os = m.add_opset_import();
  os->set_domain("");
  os->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("identity");
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape) tt->mutable_shape()->add_dim()->set_dim_value(d);
  auto* out = g->add_output();
  out->set_name("y");
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  auto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {c, c, int64_t{1}, int64_t{1}}) w->add_dims(d);
  for (int64_t i = 0; i < c; ++i)
    for (int64_t j = 0; j < c; ++j) w->add_float_data(i == j ? 1.f : 0.f);
  std::string conv_in = "x";
  if (nhwc) {
    auto* t = g->add_node();
    t->set_op_type("Transpose");
    t->set_name("to_nchw");
    t->add_input("x");
    t->add_output("xt");
    auto* a = t->add_attribute();
    a->set_name("perm");
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t p : {0, 3, 1, 2}) a->add_ints(p);
    conv_in = "xt";
  }
  auto* n = g->add_node();
  n->set_op_type("Conv");
  n->set_name("conv");
  n->add_input(conv_in);
  n->add_input("w");
  n->add_output("y");
  return m.SerializeAsString();
}

Result<ModelDef> CompileYaml(const std::string& onnx, const std::string& input_parameters) {
  auto cfg = ParseConfig("input_parameters:\n" + input_parameters, "test.yaml");
  if (!cfg.ok()) return cfg.status();
  auto m = CompileOnnxBytes(onnx, "test.onnx", *cfg);
  if (!m.ok()) return m.status();
  // Every compiled model also serializes and passes the loader's checks.
  auto bytes = SerializeModelFile({*m});
  if (!bytes.ok()) return bytes.status();
  auto file = ModelFile::FromBytes(bytes->data(), bytes->size(), "compiled");
  if (!file.ok()) return file.status();
  return m;
}

std::vector<std::string> Ops(const ModelDef& m) {
  std::vector<std::string> ops;
  for (const NodeDef& n : m.nodes) ops.push_back(n.op);
  return ops;
}

const AttrDef* Attr(const NodeDef& n, const std::string& name) {
  for (const AttrDef& a : n.attrs)
    if (a.name == name) return &a;
  return nullptr;
}

TEST(CompilerPreprocessTest, Nv12ToRgbWithMeanAndScale) {
  auto r = CompileYaml(IdentityConvOnnx({1, 3, 12, 20}),
                       "  input_type_rt: 'nv12'\n"
                       "  input_type_train: 'rgb'\n"
                       "  input_space_and_range: 'bt601_video'\n"
                       "  norm_type: 'data_mean_and_scale'\n"
                       "  mean_value: '123.675 116.28 103.53'\n"
                       "  scale_value: '0.01712 0.01751 0.01743'\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ModelDef& m = *r;
  ASSERT_EQ(Ops(m),
            (std::vector<std::string>{"ColorConvert", "Normalize", "Conv2D", "OutputAdapter"}));
  const NodeDef& cc = m.nodes[0];
  EXPECT_EQ(Attr(cc, "rt")->s, "nv12");
  EXPECT_EQ(Attr(cc, "train")->s, "rgb");
  EXPECT_EQ(Attr(cc, "range")->s, "bt601_video");
  const NodeDef& nm = m.nodes[1];
  EXPECT_EQ(Attr(nm, "mean")->floats, (std::vector<float>{123.675f, 116.28f, 103.53f}));
  EXPECT_EQ(Attr(nm, "scale")->floats, (std::vector<float>{0.01712f, 0.01751f, 0.01743f}));
  // Data flow: input buffer -> ColorConvert -> Normalize -> conv, all NHWC, no Transpose.
  EXPECT_EQ(cc.inputs[0], m.inputs[0].tensor);
  EXPECT_EQ(nm.inputs[0], cc.outputs[0]);
  EXPECT_EQ(m.nodes[2].inputs[0], nm.outputs[0]);
  EXPECT_EQ(m.tensors[cc.outputs[0]].shape, (Shape{1, 12, 20, 3}));
  EXPECT_EQ(m.tensors[cc.outputs[0]].dtype, TensorType::kF32);
  EXPECT_EQ(m.tensors[nm.outputs[0]].shape, (Shape{1, 12, 20, 3}));
  // IoDesc: NV12, valid N,H,W,3, rows of 20 bytes padded to 32, Y plane + half-height UV.
  const TensorDesc& d = m.inputs[0].desc;
  EXPECT_EQ(d.name, "x");
  EXPECT_EQ(d.type, TensorType::kImgNv12);
  EXPECT_EQ(d.layout, Layout::kNHWC);
  EXPECT_EQ(d.valid_shape, (Shape{1, 12, 20, 3}));
  EXPECT_EQ(d.aligned_shape, (Shape{1, 12, 32, 3}));
  EXPECT_EQ(d.stride, (Shape{32 * 18, 32, 1, 0}));
  EXPECT_EQ(d.aligned_byte_size, 32 * 18);
  const TensorDef& buf = m.tensors[m.inputs[0].tensor];
  EXPECT_EQ(buf.dtype, TensorType::kU8);
  EXPECT_EQ(buf.shape, (Shape{32 * 18}));
  EXPECT_EQ(buf.name, "x");
  const PreprocessInfo& p = m.inputs[0].preprocess;
  EXPECT_EQ(p.input_type_rt, "nv12");
  EXPECT_EQ(p.input_type_train, "rgb");
  EXPECT_EQ(p.input_layout_rt, "NHWC");
  EXPECT_EQ(p.input_layout_train, "NCHW");
  EXPECT_EQ(p.input_space_and_range, "bt601_video");
  EXPECT_EQ(p.norm_type, "data_mean_and_scale");
  EXPECT_EQ(p.mean_value.size(), 3u);
  // The output stays the ONNX NCHW tensor.
  EXPECT_EQ(m.outputs[0].desc.valid_shape, (Shape{1, 3, 12, 20}));
}

TEST(CompilerPreprocessTest, NormTypesBecomeMeanAndScaleAttributes) {
  auto r = CompileYaml(IdentityConvOnnx({1, 3, 4, 6}),
                       "  input_type_rt: 'rgb'\n  input_type_train: 'bgr'\n"
                       "  norm_type: 'data_mean'\n  mean_value: '128'\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Attr(r->nodes[1], "mean")->floats, (std::vector<float>{128.f}));
  EXPECT_EQ(Attr(r->nodes[1], "scale")->floats, (std::vector<float>{1.f}));
  r = CompileYaml(IdentityConvOnnx({1, 3, 4, 6}),
                  "  input_type_rt: 'rgb'\n  input_type_train: 'bgr'\n"
                  "  norm_type: 'data_scale'\n  scale_value: '0.5 0.25 2'\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Attr(r->nodes[1], "mean")->floats, (std::vector<float>{0.f}));
  EXPECT_EQ(Attr(r->nodes[1], "scale")->floats, (std::vector<float>{0.5f, 0.25f, 2.f}));
  r = CompileYaml(IdentityConvOnnx({1, 3, 4, 6}),
                  "  input_type_rt: 'rgb'\n  input_type_train: 'bgr'\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Ops(*r), (std::vector<std::string>{"ColorConvert", "Conv2D", "OutputAdapter"}));
  EXPECT_EQ(Attr(r->nodes[0], "range")->s, "regular");
}

TEST(CompilerPreprocessTest, PackedLayoutsGrayAndNhwcTrain) {
  // Planar RGB (NCHW rt), odd width: each plane row padded to 16 bytes.
  auto r = CompileYaml(IdentityConvOnnx({1, 3, 5, 7}),
                       "  input_type_rt: 'rgb'\n  input_type_train: 'yuv444'\n"
                       "  input_layout_rt: 'NCHW'\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].desc.type, TensorType::kImgRgb);
  EXPECT_EQ(r->inputs[0].desc.layout, Layout::kNCHW);
  EXPECT_EQ(r->inputs[0].desc.valid_shape, (Shape{1, 3, 5, 7}));
  EXPECT_EQ(r->inputs[0].desc.aligned_shape, (Shape{1, 3, 5, 16}));
  // Packed BGR NHWC: whole pixels, 7 -> 16 pixels per row (48 bytes).
  r = CompileYaml(IdentityConvOnnx({1, 3, 5, 7}),
                  "  input_type_rt: 'bgr'\n  input_type_train: 'rgb'\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].desc.valid_shape, (Shape{1, 5, 7, 3}));
  EXPECT_EQ(r->inputs[0].desc.stride, (Shape{5 * 48, 48, 3, 1}));
  // Gray: one channel on both sides.
  r = CompileYaml(IdentityConvOnnx({1, 1, 5, 7}),
                  "  input_type_rt: 'gray'\n  input_type_train: 'gray'\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].desc.type, TensorType::kImgGray);
  EXPECT_EQ(r->inputs[0].desc.valid_shape, (Shape{1, 5, 7, 1}));
  EXPECT_EQ(r->tensors[r->nodes[0].outputs[0]].shape, (Shape{1, 5, 7, 1}));
  // An NHWC-trained model: its Transpose to NCHW and the conv's NHWC cancel out, no data moves.
  r = CompileYaml(IdentityConvOnnx({1, 4, 6, 3}, true),
                  "  input_type_rt: 'nv12'\n  input_type_train: 'rgb'\n"
                  "  input_layout_train: 'NHWC'\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Ops(*r), (std::vector<std::string>{"ColorConvert", "Conv2D", "OutputAdapter"}));
  EXPECT_EQ(r->inputs[0].desc.valid_shape, (Shape{1, 4, 6, 3}));
}

TEST(CompilerPreprocessTest, FeaturemapNormalization) {
  auto r = CompileYaml(IdentityConvOnnx({1, 3, 4, 6}),
                       "  norm_type: 'data_mean_and_scale'\n  mean_value: '1 2 3'\n"
                       "  scale_value: '0.5'\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Ops(*r),
            (std::vector<std::string>{"InputAdapter", "Normalize", "Conv2D", "OutputAdapter"}));
  EXPECT_EQ(r->inputs[0].desc.type, TensorType::kF32);
  EXPECT_EQ(r->tensors[r->nodes[1].outputs[0]].shape, (Shape{1, 4, 6, 3}));  // channel last
  EXPECT_EQ(Attr(r->nodes[1], "mean")->floats, (std::vector<float>{1.f, 2.f, 3.f}));
}

TEST(CompilerPreprocessTest, BadCombinationsAreErrors) {
  auto expect = [](const Result<ModelDef>& r, const std::string& part) {
    ASSERT_FALSE(r.ok()) << part;
    EXPECT_TRUE(Has(r.status().message(), part)) << r.status().message();
  };
  const std::string rgb = IdentityConvOnnx({1, 3, 4, 6});
  expect(CompileYaml(rgb, "  input_type_rt: 'rgb'\n  input_type_train: 'gray'\n"),
         "input_type_rt 'rgb' cannot become input_type_train 'gray' (allowed pairs: nv12 -> "
         "yuv444/rgb/bgr/gray; yuv444 -> yuv444/rgb/bgr;");
  expect(CompileYaml(rgb, "  input_type_rt: 'nv12'\n  input_type_train: 'featuremap'\n"),
         "cannot become input_type_train 'featuremap'");
  expect(CompileYaml(rgb,
                     "  input_type_rt: 'nv12'\n  input_type_train: 'rgb'\n"
                     "  input_layout_rt: 'NCHW'\n"),
         "its input_layout_rt must be NHWC");
  expect(CompileYaml(IdentityConvOnnx({1, 3, 5, 6}),
                     "  input_type_rt: 'nv12'\n  input_type_train: 'rgb'\n"),
         "IMG_NV12 needs even height and width, got 5x6");
  expect(CompileYaml(rgb, "  input_type_rt: 'nv12'\n  input_type_train: 'gray'\n"),
         "has 3 channel(s) in its NCHW shape, but input_type_train 'gray' has 1");
  expect(CompileYaml(rgb,
                     "  input_type_rt: 'rgb'\n  input_type_train: 'rgb'\n"
                     "  norm_type: 'data_mean'\n  mean_value: '1 2'\n"),
         "mean_value has 2 values, expected 1 or 3");
  expect(CompileYaml(rgb, "  norm_type: 'data_scale'\n  scale_value: '1 2'\n"),
         "scale_value has 2 values, expected 1 or 3");
}

}  // namespace
}  // namespace edgert::compiler

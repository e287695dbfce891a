// Run-time integer and bool tensors in the compiler (runtime/schema/IR.md "Tensors and layout"):
// graph inputs and outputs keep their type (INT64 narrowed to S32), shape ops carry the dtype,
// comparisons, Not, Where and Cast are lowered on run-time tensors, and the op table's dtype
// guard refuses every node whose run-time input has a dtype its op does not take, in one error.
// The end-to-end cases run the compiled model in the engine against hand-computed values.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <string>
#include <vector>

#include "edgert/model.h"
#include "edgert/model_writer.h"
#include "edgert/session.h"
#include "model_compiler/compiler.h"
#include "model_compiler/graph_util.h"

namespace edgert::compiler {
namespace {

using TP = onnx::TensorProto;

onnx::ValueInfoProto* AddValue(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* to,
                               const std::string& name, int elem, const Shape& shape) {
  auto* vi = to->Add();
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem);
  for (int64_t d : shape) tt->mutable_shape()->add_dim()->set_dim_value(d);
  return vi;
}

// A model of opset 13 with graph inputs `ins` and outputs `outs` (name, ONNX type, shape).
struct Io {
  std::string name;
  int elem;
  Shape shape;
};
onnx::ModelProto Model(const std::vector<Io>& ins, const std::vector<Io>& outs) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* os = m.add_opset_import();
  os->set_domain("");
  os->set_version(13);
  m.mutable_graph()->set_name("dtypes");
  for (const Io& i : ins) AddValue(m.mutable_graph()->mutable_input(), i.name, i.elem, i.shape);
  for (const Io& o : outs) AddValue(m.mutable_graph()->mutable_output(), o.name, o.elem, o.shape);
  return m;
}

onnx::NodeProto* Add(onnx::ModelProto& m, const std::string& op, const std::vector<std::string>& in,
                     const std::string& out, const std::string& name) {
  auto* n = m.mutable_graph()->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : in) n->add_input(i);
  n->add_output(out);
  return n;
}

void IntAttr(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void Int64Init(onnx::ModelProto& m, const std::string& name, const Shape& shape,
               const std::vector<int64_t>& v) {
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(TP::INT64);
  for (int64_t d : shape) t->add_dims(d);
  for (int64_t x : v) t->add_int64_data(x);
}

Result<ModelDef> Compile(const onnx::ModelProto& m, CompileConfig cfg = {}) {
  return CompileOnnxBytes(m.SerializeAsString(), "dtypes.onnx", cfg);
}

const NodeDef* Find(const ModelDef& m, const std::string& op) {
  for (const NodeDef& n : m.nodes)
    if (n.op == op) return &n;
  return nullptr;
}

// Compiles, runs once on the raw valid-size input bytes and returns output 0's valid bytes.
std::vector<uint8_t> RunModel(const ModelDef& def, const std::vector<std::vector<uint8_t>>& ins) {
  auto bytes = SerializeModelFile({def});
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto file = ModelFile::FromBytes(bytes->data(), bytes->size(), "dtypes.bin");
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  auto model = (*file)->GetModel();
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  auto session = Session::Create(*model);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  if (!session.ok()) return {};
  for (size_t i = 0; i < ins.size(); ++i) {
    Status s = (*session)->SetInput(i, ins[i].data(), ins[i].size());
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  Status s = (*session)->Run();
  EXPECT_TRUE(s.ok()) << s.ToString();
  // Rank-1 outputs: one row, the valid bytes first.
  const TensorDesc& d = (*session)->model().outputs()[0];
  const auto* p = static_cast<const uint8_t*>((*session)->output_data(0));
  return std::vector<uint8_t>(p, p + d.element_count() * static_cast<int64_t>(ElementSize(d.type)));
}

template <typename T>
std::vector<uint8_t> Raw(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

TEST(DtypeTest, IntegerAndBoolInputsAndOutputsKeepTheirType) {
  // int64 x -> Reshape -> y (int64); bool c -> Not -> z (bool).
  onnx::ModelProto m = Model({{"x", TP::INT64, {2, 3}}, {"c", TP::BOOL, {4}}},
                             {{"y", TP::INT64, {6}}, {"z", TP::BOOL, {4}}});
  Int64Init(m, "shape", {1}, {6});
  Add(m, "Reshape", {"x", "shape"}, "y", "flat");
  Add(m, "Not", {"c"}, "z", "not");
  auto def = Compile(m);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->inputs[0].desc.type, TensorType::kS32);  // INT64 narrowed
  EXPECT_EQ(def->inputs[1].desc.type, TensorType::kU8);   // BOOL
  EXPECT_EQ(def->outputs[0].desc.type, TensorType::kS32);
  EXPECT_EQ(def->outputs[1].desc.type, TensorType::kU8);
  const NodeDef* r = Find(*def, "Reshape");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(def->tensors[static_cast<size_t>(r->outputs[0])].dtype, TensorType::kS32);
  ASSERT_NE(Find(*def, "Not"), nullptr);
}

TEST(DtypeTest, PreprocessingOnANonFloatInputIsRefusedNamingIt) {
  onnx::ModelProto m = Model({{"ids", TP::INT32, {1, 3, 2, 2}}}, {{"y", TP::INT32, {1, 3, 2, 2}}});
  Add(m, "Identity", {"ids"}, "y", "id");
  CompileConfig cfg;
  cfg.inputs.resize(1);
  cfg.inputs[0].norm_type = "data_mean";
  cfg.inputs[0].mean_value = {1.f};
  auto def = Compile(m, cfg);
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(def.status().message().find("input 'ids'"), std::string::npos)
      << def.status().ToString();
  EXPECT_NE(def.status().message().find("INT32"), std::string::npos);
}

TEST(DtypeTest, TheGuardRefusesEveryMismatchedNodeInOneError) {
  // An integer Softmax and an integer Exp (F32-only ops) and a Sigmoid downstream of one of
  // them, which is skipped rather than reported as a missing input.
  onnx::ModelProto m = Model({{"a", TP::INT32, {4}}, {"b", TP::UINT8, {4}}},
                             {{"y", TP::FLOAT, {4}}, {"z", TP::UINT8, {4}}});
  Add(m, "Softmax", {"a"}, "s", "softmax_s32");
  Add(m, "Sigmoid", {"s"}, "y", "after");
  Add(m, "Exp", {"b"}, "z", "exp_u8");
  auto def = Compile(m);
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().code(), StatusCode::kUnsupported);
  const std::string& msg = def.status().message();
  EXPECT_NE(msg.find("2 node(s)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("node 'softmax_s32' (Softmax): input 0 'a' is S32"), std::string::npos) << msg;
  EXPECT_NE(msg.find("node 'exp_u8' (Exp): input 0 'b' is U8"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("after"), std::string::npos) << msg;
}

TEST(DtypeTest, PowOfANarrowIntegerBaseIsRefusedNamingIt) {
  // The guard admits Pow's narrow integer dtypes for the exponent; the base must still be F32
  // or S32, the dtypes the run-time Pow kernels have.
  onnx::ModelProto m =
      Model({{"a", TP::UINT8, {4}}, {"e", TP::FLOAT, {4}}}, {{"y", TP::UINT8, {4}}});
  Add(m, "Pow", {"a", "e"}, "y", "pow_u8");
  auto def = Compile(m);
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().code(), StatusCode::kUnsupported);
  const std::string& msg = def.status().message();
  EXPECT_NE(msg.find("pow_u8"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Pow of a U8 base: the base must be F32 or S32"), std::string::npos) << msg;
}

TEST(DtypeTest, CastLowersToTheIrDtypeNumber) {
  onnx::ModelProto m = Model({{"x", TP::FLOAT, {4}}}, {{"y", TP::INT64, {4}}});
  IntAttr(Add(m, "Cast", {"x"}, "y", "cast"), "to", TP::INT64);
  auto def = Compile(m);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  const NodeDef* c = Find(*def, "Cast");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->attrs.size(), 1u);
  EXPECT_EQ(c->attrs[0].i, 4);  // model.fbs DType S32
  // float -> int truncates toward zero (hand-computed).
  const auto out = RunModel(*def, {Raw(std::vector<float>{2.9f, -2.9f, 7.f, -0.5f})});
  std::vector<int32_t> got(4);
  ASSERT_EQ(out.size(), 16u);
  std::memcpy(got.data(), out.data(), 16);
  EXPECT_EQ(got, (std::vector<int32_t>{2, -2, 7, 0}));
}

TEST(DtypeTest, CastToBoolIsNotEqualZero) {
  onnx::ModelProto m = Model({{"x", TP::FLOAT, {4}}}, {{"y", TP::BOOL, {4}}});
  IntAttr(Add(m, "Cast", {"x"}, "y", "cast"), "to", TP::BOOL);
  auto def = Compile(m);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  ASSERT_NE(Find(*def, "Equal"), nullptr);
  ASSERT_NE(Find(*def, "Not"), nullptr);
  const auto out = RunModel(*def, {Raw(std::vector<float>{0.f, -0.f, 0.25f, -3.f})});
  EXPECT_EQ(out, (std::vector<uint8_t>{0, 0, 1, 1}));
}

TEST(DtypeTest, IntegerCompareAndWhereRunExactlyWithIntegerConstants) {
  // y = where(x > 2^30, x, -1) on int64 data; 2^30 + 1 is not a float32, so any float path fails.
  onnx::ModelProto m = Model({{"x", TP::INT64, {4}}}, {{"y", TP::INT64, {4}}});
  Int64Init(m, "t", {}, {1 << 30});
  Int64Init(m, "neg", {1}, {-1});
  Add(m, "Greater", {"x", "t"}, "c", "gt");
  Add(m, "Where", {"c", "x", "neg"}, "y", "where");
  auto def = Compile(m);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  const NodeDef* w = Find(*def, "Where");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(def->tensors[static_cast<size_t>(w->inputs[0])].dtype, TensorType::kU8);
  EXPECT_EQ(def->tensors[static_cast<size_t>(w->inputs[2])].dtype, TensorType::kS32);
  const std::vector<int32_t> x = {(1 << 30) + 1, 1 << 30, 5, 2147483647};
  const auto out = RunModel(*def, {Raw(x)});
  std::vector<int32_t> got(4);
  ASSERT_EQ(out.size(), 16u);
  std::memcpy(got.data(), out.data(), 16);
  EXPECT_EQ(got, (std::vector<int32_t>{(1 << 30) + 1, -1, -1, 2147483647}));
}

TEST(DtypeTest, ConcatMaterializesConstantsInTheActivationsDtype) {
  onnx::ModelProto m = Model({{"x", TP::INT32, {2}}}, {{"y", TP::INT32, {3}}});
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name("k");
  t->set_data_type(TP::INT32);
  t->add_dims(1);
  t->add_int32_data((1 << 30) + 1);
  IntAttr(Add(m, "Concat", {"x", "k"}, "y", "cat"), "axis", 0);
  auto def = Compile(m);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  const auto out = RunModel(*def, {Raw(std::vector<int32_t>{-3, 4})});
  std::vector<int32_t> got(3);
  ASSERT_EQ(out.size(), 12u);
  std::memcpy(got.data(), out.data(), 12);
  EXPECT_EQ(got, (std::vector<int32_t>{-3, 4, (1 << 30) + 1}));
}

TEST(DtypeTest, Float16ConstantsMeetingAFloat16InputStayBitExact) {
  // 0x3555 (0.333251953125) and 0xFBFF (-65504) survive FLOAT16 -> constant -> F16 unchanged.
  onnx::ModelProto m = Model({{"x", TP::FLOAT16, {2}}}, {{"y", TP::FLOAT16, {4}}});
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name("k");
  t->set_data_type(TP::FLOAT16);
  t->add_dims(2);
  t->add_int32_data(0x3555);
  t->add_int32_data(0xFBFF);
  IntAttr(Add(m, "Concat", {"x", "k"}, "y", "cat"), "axis", 0);
  auto def = Compile(m);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->inputs[0].desc.type, TensorType::kF16);
  const auto out = RunModel(*def, {Raw(std::vector<uint16_t>{0x3C00, 0x8001})});
  std::vector<uint16_t> got(4);
  ASSERT_EQ(out.size(), 8u);
  std::memcpy(got.data(), out.data(), 8);
  EXPECT_EQ(got, (std::vector<uint16_t>{0x3C00, 0x8001, 0x3555, 0xFBFF}));
}

}  // namespace
}  // namespace edgert::compiler

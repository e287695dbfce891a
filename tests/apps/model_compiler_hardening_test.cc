// model_compiler against hostile inputs (issue 15): folders where files are expected, names that
// are not UTF-8, and a model the ONNX checker rejects (libonnx's shape inference crashed on one).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>

#include "model_compiler/compiler.h"
#include "model_compiler/lower/reader.h"
#include "test_util.h"

namespace edgert::compiler {
namespace {

int RunCompiler(int argc, char** argv, std::ostream&) { return RunModelCompiler(argc, argv); }

// x [1,2] -> `op` -> y, opset 13.
onnx::ModelProto OneNode(const std::string& op, const std::string& node_name) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* os = m.add_opset_import();
  os->set_domain("");
  os->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {1, 2, 4, 4}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  auto* out = g->add_output();
  out->set_name("y");
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(node_name);
  n->add_input("x");
  n->add_output("y");
  return m;
}

TEST(ModelCompilerHardeningTest, AFolderAsTheModelOrConfigIsAFileError) {
  const std::string dir = test::TempDir("CompilerFolder");
  std::string out, err;
  // Before: std::ios_base::failure from reading a directory, uncaught (SIGABRT).
  EXPECT_EQ(
      test::RunToolMain(RunCompiler, {"--model", dir, "--output", dir + "/m.bin"}, &out, &err), 1);
  EXPECT_NE(err.find("ONNX model " + dir + ": is a directory, not a regular file"),
            std::string::npos)
      << err;
  const std::string yaml = dir + "/c.yaml";
  test::WriteFileBytes(yaml, {});
  const std::string text = "model_parameters:\n  onnx_model: '" + dir + "'\n";
  test::WriteFileBytes(yaml, std::vector<uint8_t>(text.begin(), text.end()));
  EXPECT_EQ(
      test::RunToolMain(RunCompiler, {"--config", yaml, "--output", dir + "/m.bin"}, &out, &err),
      1);
  EXPECT_NE(err.find("is a directory, not a regular file"), std::string::npos) << err;
  EXPECT_EQ(test::RunToolMain(RunCompiler, {"--config", dir}, &out, &err), 1);
  EXPECT_NE(err.find("config file " + dir + ": is a directory"), std::string::npos) << err;
}

TEST(ModelCompilerHardeningTest, InvalidUtf8Offset) {
  EXPECT_EQ(InvalidUtf8Offset(""), std::string::npos);
  EXPECT_EQ(InvalidUtf8Offset("conv_1/x"), std::string::npos);
  EXPECT_EQ(InvalidUtf8Offset("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), std::string::npos);  // é€😀
  EXPECT_EQ(InvalidUtf8Offset("ab\xff"), 2u);
  EXPECT_EQ(InvalidUtf8Offset("a\xc0\x80"), 1u);         // overlong NUL
  EXPECT_EQ(InvalidUtf8Offset("a\xe0\x80\xaf"), 1u);     // overlong '/'
  EXPECT_EQ(InvalidUtf8Offset("\xed\xa0\x80"), 0u);      // a UTF-16 surrogate
  EXPECT_EQ(InvalidUtf8Offset("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(InvalidUtf8Offset("xy\xe2\x82"), 2u);        // cut short
  EXPECT_EQ(InvalidUtf8Offset("\x80"), 0u);              // a lone continuation byte
}

// Before: compiled with exit 0, and model_info --json / perf --json / infer --dump_intermediate
// then aborted in the JSON writer.
TEST(ModelCompilerHardeningTest, NamesThatAreNotUtf8AreRejectedNamingTheNode) {
  auto r =
      CompileOnnxBytes(OneNode("Relu", "re\xfflu").SerializeAsString(), "t.onnx", CompileConfig());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFormatError);
  EXPECT_NE(r.status().message().find(
                "t.onnx: the name of node #0 (Relu) is not valid UTF-8 (byte 0xFF at offset 2)"),
            std::string::npos)
      << r.status().message();
  onnx::ModelProto m = OneNode("Relu", "relu");
  m.mutable_graph()->mutable_node(0)->set_output(0, "y\xfe");
  m.mutable_graph()->mutable_output(0)->set_name("y\xfe");
  r = CompileOnnxBytes(m.SerializeAsString(), "t.onnx", CompileConfig());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("graph output #0 is not valid UTF-8 (byte 0xFE at offset 1)"),
            std::string::npos)
      << r.status().message();
  // The same model with valid names compiles.
  r = CompileOnnxBytes(OneNode("Relu", "r\xc3\xa9lu").SerializeAsString(), "t.onnx",
                       CompileConfig());
  EXPECT_TRUE(r.ok()) << r.status().message();
}

// A model the ONNX checker rejects never reaches libonnx's shape inference: it is a format
// error carrying the checker's message.
TEST(ModelCompilerHardeningTest, AModelTheCheckerRejectsIsAFormatError) {
  onnx::ModelProto m = OneNode("ConvTranspose", "deconv");
  auto* w = m.mutable_graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {2, 2, 3, 3}) w->add_dims(d);
  for (int i = 0; i < 36; ++i) w->add_float_data(0.1f);
  auto* n = m.mutable_graph()->mutable_node(0);
  n->add_input("w");
  auto* a = n->add_attribute();  // "group" is an INT; a STRING is malformed
  a->set_name("group");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s("two");
  auto r = CompileOnnxBytes(m.SerializeAsString(), "t.onnx", CompileConfig());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFormatError);
  EXPECT_NE(r.status().message().find("t.onnx: the ONNX checker rejects the model"),
            std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace edgert::compiler

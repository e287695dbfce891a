// ONNX files found by fuzz_onnx_import compile to a clear error instead of aborting. Each case is
// the reproducer committed in fuzz/corpus/onnx_import/.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "model_compiler/compiler.h"

namespace edgert::compiler {
namespace {

std::string ReadCorpus(const std::string& name) {
  std::ifstream f(std::string(EDGERT_FUZZ_CORPUS) + "/onnx_import/" + name, std::ios::binary);
  EXPECT_TRUE(f) << name;
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// A Concat node with no output: LowerConcat read output(0) and protobuf's CHECK aborted.
TEST(OnnxImportFuzzTest, NodeWithoutOutputIsAnError) {
  const std::string bytes = ReadCorpus("crash-concat-no-output");
  ASSERT_FALSE(bytes.empty());
  const CompileConfig config;
  auto m = CompileOnnxBytes(bytes, "crash.onnx", config);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kFormatError) << m.status().ToString();
  EXPECT_NE(m.status().message().find("(Concat): has no output"), std::string::npos)
      << m.status().ToString();
}

}  // namespace
}  // namespace edgert::compiler

// ONNX files found by fuzz_onnx_import compile to a clear error instead of aborting. Each case is
// the reproducer committed in fuzz/corpus/onnx_import/.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <utility>

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
  // The ONNX checker, which now runs first (issue 15), names the fault before LowerConcat can;
  // LowerNode's own check stays for graphs that reach it.
  EXPECT_NE(m.status().message().find("has output size 0"), std::string::npos)
      << m.status().ToString();
}

// A Reshape whose target's element count overflows int64 (UB in ReshapeTarget's product), and a
// ConvTranspose whose X and W ranks differ, which the ONNX checker accepts but libonnx 1.12's
// shape inference indexes out of range (SIGSEGV), a MaxPool with a stride of 0, which
// libonnx's conv/pool shape inference divides by (SIGFPE), and a Conv whose input has rank 2
// and whose weights rank 4, whose spatial dims libonnx's conv/pool shape inference read past
// the end of (SIGSEGV). All are clear errors now.
TEST(OnnxImportFuzzTest, ReshapeOverflowAndConvTransposeRanksAreErrors) {
  for (const auto& [name, fault] :
       {std::pair<const char*, const char*>{"crash-reshape-overflow",
                                            "(Reshape): shape[1] is -393472"},
        {"crash-convtranspose-rank-mismatch", "(ConvTranspose)"},
        {"crash-maxpool-zero-stride", "(MaxPool): attribute strides has 0"},
        {"crash-conv-rank2-input-rank4-weights", "(Conv): only 1-D and 2-D convolution"}}) {
    SCOPED_TRACE(name);
    const std::string bytes = ReadCorpus(name);
    ASSERT_FALSE(bytes.empty());
    const CompileConfig config;
    auto m = CompileOnnxBytes(bytes, "crash.onnx", config);
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.status().message().find(std::string("crash.onnx: node ")), std::string::npos)
        << m.status().ToString();
    EXPECT_NE(m.status().message().find(fault), std::string::npos) << m.status().ToString();
  }
}

}  // namespace
}  // namespace edgert::compiler

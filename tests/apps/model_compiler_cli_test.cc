// model_compiler's command line: the tools' skeleton (apps/common/cli.h) with its own flags.
#include <gtest/gtest.h>

#include "model_compiler/compiler.h"
#include "test_util.h"

namespace edgert::compiler {
namespace {

int RunCompiler(int argc, char** argv, std::ostream&) { return RunModelCompiler(argc, argv); }

// Boost would take --conf for --config; a flag must be spelled out (exit 2, named).
TEST(ModelCompilerCliTest, AbbreviatedFlagIsAUsageErrorNamingIt) {
  EXPECT_TRUE(test::IsUsageErrorNaming(RunCompiler, {"--conf", "m.yaml"}, "--conf"));
  EXPECT_TRUE(
      test::IsUsageErrorNaming(RunCompiler, {"--model", "m.onnx", "--out", "m.bin"}, "--out"));
}

TEST(ModelCompilerCliTest, MissingInputIsAUsageError) {
  std::string out, err;
  EXPECT_EQ(test::RunToolMain(RunCompiler, {}, &out, &err), 2);
  EXPECT_NE(err.find("give --config model.yaml, or --model m.onnx"), std::string::npos) << err;
}

}  // namespace
}  // namespace edgert::compiler

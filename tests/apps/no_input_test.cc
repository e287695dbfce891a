// A model without run-time inputs (every output a constant after folding: ONNX Constant,
// ConstantOfShape, Range, an embedding lookup on constant indices) through the tools: model_info
// shows no inputs, infer and perf run it without --input_file, the verifier compares it, and
// --input_file stays required for a model that has inputs.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "edgert/model_writer.h"
#include "infer/infer.h"
#include "model_info/model_info.h"
#include "perf/perf.h"
#include "test_util.h"
#include "verifier/verifier.h"

namespace edgert::app {
namespace {

const std::vector<float> kTable = {-1.f, -0.5f, 0.f, 0.5f, 1.f, 1.5f};

// What model_compiler emits for a constant graph output: the constant [2, 3] copied into the
// output buffer (rows padded to 16 bytes) by an OutputAdapter. No inputs.
ModelDef ConstantModel() {
  ModelDef m;
  m.name = "consts";
  m.source_sha256 = std::string(64, '0');
  auto out = MakeTensorDesc("table", TensorType::kF32, Layout::kNone, {2, 3});
  EXPECT_TRUE(out.ok());
  std::vector<uint8_t> data(kTable.size() * sizeof(float));
  std::memcpy(data.data(), kTable.data(), data.size());
  m.tensors = {{"table_const", TensorType::kF32, {2, 3}, {}, data},
               {"table", TensorType::kF32, out->aligned_shape, {}, {}}};
  m.nodes.push_back({"table_output_adapter", "OutputAdapter", false, {0}, {1}, {}, ""});
  m.outputs.push_back({*out, 1, {}});
  return m;
}

class NoInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    model_ = dir_ + "/consts.bin";
    ASSERT_TRUE(WriteModelFile(model_, {ConstantModel()}).ok());
  }
  std::string dir_, model_;
};

TEST_F(NoInputTest, ModelInfoShowsNoInputs) {
  std::string out;
  ASSERT_EQ(test::RunToolMain(RunModelInfo, {"--model_file", model_}, &out), kExitOk) << out;
  EXPECT_NE(out.find("Input count: 0"), std::string::npos) << out;
  EXPECT_NE(out.find("name: table"), std::string::npos) << out;
}

TEST_F(NoInputTest, InferPerfAndVerifierRunWithoutInputFile) {
  std::string out;
  const std::string od = dir_ + "/dump";
  ASSERT_EQ(test::RunToolMain(RunInfer,
                              {"--model_file", model_, "--enable_dump", "--output_dir", od}, &out),
            kExitOk)
      << out;
  const std::vector<uint8_t> f = test::ReadFileBytes(od + "/model_infer_output_0_table.bin");
  ASSERT_EQ(f.size(), kTable.size() * sizeof(float));
  std::vector<float> got(kTable.size());
  std::memcpy(got.data(), f.data(), f.size());
  EXPECT_EQ(got, kTable);

  EXPECT_EQ(test::RunToolMain(RunPerf, {"--model_file", model_, "--frame_count", "3"}, &out),
            kExitOk)
      << out;
  EXPECT_EQ(test::RunToolMain(RunVerifier, {"--model_file", model_, "--ref_dir", od}, &out),
            kExitOk)
      << out;
  EXPECT_NE(out.find("PASSED"), std::string::npos) << out;
  // The verifier still fails a wrong reference, naming the output.
  const float wrong[6] = {-1.f, -0.5f, 0.f, 0.5f, 1.f, 2.f};
  test::WriteFileBytes(od + "/model_infer_output_0_table.bin",
                       std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(wrong),
                                            reinterpret_cast<const uint8_t*>(wrong) + 24));
  EXPECT_EQ(test::RunToolMain(RunVerifier, {"--model_file", model_, "--ref_dir", od, "--atol", "0"},
                              &out),
            kExitFailure)
      << out;
  EXPECT_NE(out.find("table"), std::string::npos) << out;
}

TEST_F(NoInputTest, InputFileCountMustMatch) {
  std::string out, err;
  // A file for a model without inputs is a usage error naming the count.
  test::WriteFileBytes(dir_ + "/x.bin", std::vector<uint8_t>(24, 0));
  EXPECT_EQ(test::RunToolMain(RunInfer, {"--model_file", model_, "--input_file", dir_ + "/x.bin"},
                              &out, &err),
            kExitUsage);
  EXPECT_NE(err.find("has 0 input(s)"), std::string::npos) << err;
  // A model with inputs still needs --input_file.
  const std::string with_input = dir_ + "/tiny.bin";
  ASSERT_TRUE(WriteModelFile(with_input, {test::TinyModel()}).ok());
  EXPECT_EQ(test::RunToolMain(RunInfer, {"--model_file", with_input}, &out, &err), kExitUsage);
  EXPECT_NE(err.find("--input_file is required"), std::string::npos) << err;
  EXPECT_EQ(
      test::RunToolMain(RunVerifier, {"--model_file", with_input, "--ref_dir", dir_}, &out, &err),
      kExitUsage);
  EXPECT_NE(out.find("--input_file is required"), std::string::npos) << out;
}

}  // namespace
}  // namespace edgert::app

// An S32 model output (an ArgMax class map, IR.md "Tensors and layout") through the tools:
// model_info names its type, infer dumps it as float32 like every dump (exact below 2^24) and
// --dump_raw keeps the int32 bytes, and the verifier compares it against a reference dump.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "edgert/model_writer.h"
#include "infer/infer.h"
#include "model_info/model_info.h"
#include "test_util.h"
#include "verifier/verifier.h"

namespace edgert::app {
namespace {

namespace fs = std::filesystem;

// x F32 [2, 5] -> ArgMax over axis 1 (keepdims) -> idx S32 [2, 1], rows padded to 16 bytes.
ModelDef ArgMaxModel() {
  ModelDef m;
  m.name = "argmax";
  m.source_sha256 = std::string(64, '0');
  auto in = MakeTensorDesc("x", TensorType::kF32, Layout::kNone, {2, 5});
  auto out = MakeTensorDesc("idx", TensorType::kS32, Layout::kNone, {2, 1});
  EXPECT_TRUE(in.ok() && out.ok());
  m.tensors = {{"x", TensorType::kF32, in->aligned_shape, {}, {}},
               {"x_dense", TensorType::kF32, {2, 5}, {}, {}},
               {"idx_dense", TensorType::kS32, {2, 1}, {}, {}},
               {"idx", TensorType::kS32, out->aligned_shape, {}, {}}};
  m.nodes.push_back({"in", "InputAdapter", false, {0}, {1}, {}, ""});
  m.nodes.push_back({"argmax",
                     "ArgMax",
                     false,
                     {1},
                     {2},
                     {AttrDef::Int("axis", 1), AttrDef::Int("keepdims", 1)},
                     "ArgMax"});
  m.nodes.push_back({"out", "OutputAdapter", false, {2}, {3}, {}, ""});
  m.inputs.push_back({*in, 0, {}});
  m.outputs.push_back({*out, 3, {}});
  return m;
}

std::vector<uint8_t> Bytes(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  return std::vector<uint8_t>(b, b + n);
}

class S32OutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    model_ = dir_ + "/argmax.bin";
    ASSERT_TRUE(WriteModelFile(model_, {ArgMaxModel()}).ok());
    // Row 0's largest is at 1 (a tie with 3: the first wins), row 1's at 2.
    const float x[10] = {0.1f, 3.f, -1.f, 3.f, 2.f, -5.f, -6.f, -4.f, -4.5f, -7.f};
    test::WriteFileBytes(dir_ + "/x.bin", Bytes(x, sizeof(x)));
  }
  std::string dir_, model_;
};

TEST_F(S32OutputTest, ModelInfoInferAndVerifier) {
  std::string out;
  ASSERT_EQ(test::RunToolMain(RunModelInfo, {"--model_file", model_}, &out), kExitOk) << out;
  EXPECT_NE(out.find("S32"), std::string::npos) << out;

  const std::string od = dir_ + "/dump";
  ASSERT_EQ(test::RunToolMain(RunInfer,
                              {"--model_file", model_, "--input_file", dir_ + "/x.bin",
                               "--enable_dump", "--dump_raw", "--output_dir", od},
                              &out),
            kExitOk)
      << out;
  // The dump is float32 of the valid shape.
  const std::string dump = od + "/model_infer_output_0_idx.bin";
  const std::vector<uint8_t> f = test::ReadFileBytes(dump);
  ASSERT_EQ(f.size(), 2 * sizeof(float));
  float got[2];
  std::memcpy(got, f.data(), sizeof(got));
  EXPECT_EQ(got[0], 1.f);
  EXPECT_EQ(got[1], 2.f);
  // The raw dump is the aligned int32 buffer: each 4-byte row padded to 16 bytes with zeros.
  const std::vector<uint8_t> raw =
      test::ReadFileBytes(od + "/model_infer_output_0_idx.aligned.bin");
  ASSERT_EQ(raw.size(), 2 * 16u);
  int32_t rows[8];
  std::memcpy(rows, raw.data(), sizeof(rows));
  EXPECT_EQ(rows[0], 1);
  EXPECT_EQ(rows[4], 2);
  for (int i : {1, 2, 3, 5, 6, 7}) EXPECT_EQ(rows[i], 0) << i;

  // The verifier passes against that dump and fails, naming the output, against a wrong one.
  ASSERT_EQ(test::RunToolMain(RunVerifier,
                              {"--model_file", model_, "--input_file", dir_ + "/x.bin", "--ref_dir",
                               od, "--atol", "0"},
                              &out),
            kExitOk)
      << out;
  const float wrong[2] = {1.f, 3.f};
  test::WriteFileBytes(dump, Bytes(wrong, sizeof(wrong)));
  EXPECT_EQ(test::RunToolMain(RunVerifier,
                              {"--model_file", model_, "--input_file", dir_ + "/x.bin", "--ref_dir",
                               od, "--atol", "0"},
                              &out),
            kExitFailure)
      << out;
  EXPECT_NE(out.find("idx"), std::string::npos) << out;
}

}  // namespace
}  // namespace edgert::app

// infer driven in-process: input files of valid and aligned size, dump formats numpy reads,
// intermediate dumps, top-5, atomic writes and error messages.
#include "infer/infer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "edgert/model_writer.h"
#include "edgert/session.h"
#include "test_util.h"

namespace edgert::app {
namespace {

namespace fs = std::filesystem;

int RunTool(std::vector<std::string> args, std::string* out) {
  return test::RunToolMain(RunInfer, std::move(args), out);
}

std::vector<float> ReadFloats(const std::string& path) {
  auto b = test::ReadFileBytes(path);
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

class InferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    model_ = dir_ + "/tiny.bin";
    ASSERT_TRUE(WriteModelFile(model_, {test::TinyModel()}).ok());
    input_.resize(3 * 5 * 7);
    for (size_t i = 0; i < input_.size(); ++i) input_[i] = std::sin(static_cast<float>(i));
    std::vector<uint8_t> bytes(input_.size() * 4);
    std::memcpy(bytes.data(), input_.data(), bytes.size());
    test::WriteFileBytes(dir_ + "/in.bin", bytes);
    // The expected output, straight from a session.
    auto file = ModelFile::Open(model_);
    auto session = Session::Create(*(*file)->GetModel());
    ASSERT_TRUE(session.ok());
    ASSERT_TRUE((*session)->SetInput(0, bytes.data(), bytes.size()).ok());
    ASSERT_TRUE((*session)->Run().ok());
    ASSERT_TRUE((*session)->GetOutput(0, &expected_).ok());
  }
  std::string dir_, model_;
  std::vector<float> input_, expected_;
};

TEST_F(InferTest, DumpsFloat32ValidShape) {
  std::string out;
  const std::string od = dir_ + "/dump";
  ASSERT_EQ(RunTool({"--model_file", model_, "--input_file", dir_ + "/in.bin", "--enable_dump",
                     "--output_dir", od},
                    &out),
            kExitOk)
      << out;
  const std::string f = od + "/model_infer_output_0_out.bin";
  auto got = ReadFloats(f);
  ASSERT_EQ(got.size(), 4u * 5 * 7);  // valid 1x4x5x7, no padding
  EXPECT_EQ(got, expected_);
  EXPECT_NE(out.find("padding added"), std::string::npos) << out;  // 420 valid < 480 aligned
  for (const auto& e : fs::directory_iterator(od))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << "leftover " << e.path();
}

TEST_F(InferTest, AlignedInputGivesSameResult) {
  std::vector<float> aligned(3 * 5 * 8, 0.f);
  for (int r = 0; r < 15; ++r)
    for (int x = 0; x < 7; ++x)
      aligned[static_cast<size_t>(r * 8 + x)] = input_[static_cast<size_t>(r * 7 + x)];
  std::vector<uint8_t> bytes(aligned.size() * 4);
  std::memcpy(bytes.data(), aligned.data(), bytes.size());
  test::WriteFileBytes(dir_ + "/aligned.bin", bytes);
  std::string out;
  ASSERT_EQ(RunTool({"--model_file", model_, "--input_file", dir_ + "/aligned.bin", "--enable_dump",
                     "--output_dir", dir_},
                    &out),
            kExitOk);
  EXPECT_NE(out.find("no padding needed"), std::string::npos) << out;
  EXPECT_EQ(ReadFloats(dir_ + "/model_infer_output_0_out.bin"), expected_);
}

TEST_F(InferTest, TextInputAndTextDump) {
  std::ofstream t(dir_ + "/in.txt");
  t.precision(9);
  for (float v : input_) t << v << "\n";
  t.close();
  std::string out;
  ASSERT_EQ(RunTool({"--model_file", model_, "--input_file", dir_ + "/in.txt", "--enable_dump",
                     "--dump_format", "txt", "--dump_txt_axis", "3", "--output_dir", dir_},
                    &out),
            kExitOk)
      << out;
  std::ifstream f(dir_ + "/model_infer_output_0_out.txt");
  std::string line;
  int lines = 0;
  std::vector<float> vals;
  while (std::getline(f, line)) {
    ++lines;
    std::istringstream is(line);
    float v;
    int per_line = 0;
    while (is >> v) {
      vals.push_back(v);
      ++per_line;
    }
    EXPECT_EQ(per_line, 7);  // axis 3 of a 4-D tensor: the last dimension per line
  }
  EXPECT_EQ(lines, 4 * 5);
  ASSERT_EQ(vals.size(), expected_.size());
  for (size_t i = 0; i < vals.size(); ++i)
    EXPECT_NEAR(vals[i], expected_[i], 1e-6f * (1 + std::fabs(expected_[i])));
}

TEST_F(InferTest, IntermediateDumpsHaveAnIndexInExecutionOrder) {
  std::string out;
  ASSERT_EQ(RunTool({"--model_file", model_, "--input_file", dir_ + "/in.bin",
                     "--dump_intermediate", "3", "--output_dir", dir_},
                    &out),
            kExitOk)
      << out;
  std::ifstream jf(dir_ + "/intermediate/index.json");
  auto j = nlohmann::json::parse(jf);
  ASSERT_EQ(j["nodes"].size(), 3u);
  EXPECT_EQ(j["nodes"][1]["node"], "conv");
  EXPECT_EQ(j["nodes"][1]["shape"], (std::vector<int64_t>{1, 4, 5, 7}));  // NCHW in mode 3
  auto conv = ReadFloats(dir_ + "/intermediate/conv.bin");
  EXPECT_EQ(conv, expected_);  // the conv output in ONNX order is the model output
  EXPECT_TRUE(fs::exists(dir_ + "/intermediate/conv.txt"));
}

TEST_F(InferTest, ClassificationTop5) {
  std::string out;
  ASSERT_EQ(RunTool({"--model_file", model_, "--input_file", dir_ + "/in.bin",
                     "--enable_cls_post_process"},
                    &out),
            kExitOk);
  size_t best = 0;
  for (size_t i = 1; i < expected_.size(); ++i)
    if (expected_[i] > expected_[best]) best = i;
  EXPECT_NE(out.find("top-5:\n  class " + std::to_string(best) + ":"), std::string::npos) << out;
}

TEST_F(InferTest, Errors) {
  std::string out;
  test::WriteFileBytes(dir_ + "/short.bin", std::vector<uint8_t>(100));
  EXPECT_EQ(RunTool({"--model_file", model_, "--input_file", dir_ + "/short.bin"}, &out),
            kExitFailure);
  EXPECT_EQ(RunTool({"--model_file", model_, "--input_file", "a.bin,b.bin"}, &out), kExitUsage);
  EXPECT_EQ(RunTool({"--model_file", model_}, &out), kExitUsage);
  EXPECT_EQ(
      RunTool({"--model_file", model_, "--input_file", dir_ + "/in.bin", "--dump_format", "npy"},
              &out),
      kExitUsage);
  EXPECT_EQ(RunTool({"--model_file", model_, "--input_file", dir_ + "/absent.bin"}, &out),
            kExitFailure);
}

// Boost would take --input_fil for --input_file; a flag must be spelled out (exit 2, named).
TEST_F(InferTest, AbbreviatedFlagIsAUsageErrorNamingIt) {
  EXPECT_TRUE(test::IsUsageErrorNaming(
      RunInfer, {"--model_file", model_, "--input_fil", dir_ + "/in.bin"}, "--input_fil"));
  EXPECT_TRUE(test::IsUsageErrorNaming(
      RunInfer, {"--model_file", model_, "--input_file", dir_ + "/in.bin", "--enable"},
      "--enable"));
}

}  // namespace
}  // namespace edgert::app

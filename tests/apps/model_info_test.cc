// model_info driven in-process on files written with the writer API.
#include "model_info/model_info.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "edgert/model_writer.h"
#include "test_util.h"

namespace edgert::app {
namespace {

int RunTool(std::vector<std::string> args, std::string* out) {
  return test::RunToolMain(RunModelInfo, std::move(args), out);
}

class ModelInfoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    single_ = dir_ + "/tiny.bin";
    packed_ = dir_ + "/packed.bin";
    ModelDef nv12 = test::TinyModel("camera");
    nv12.inputs[0].desc =
        *MakeTensorDesc("image", TensorType::kImgNv12, Layout::kNHWC, {1, 6, 10, 3});
    nv12.inputs[0].preprocess = {"nv12",
                                 "rgb",
                                 "NHWC",
                                 "NCHW",
                                 "regular",
                                 "data_mean_and_scale",
                                 {123.675f, 116.28f, 103.53f},
                                 {0.0171f, 0.0175f, 0.0174f}};
    nv12.outputs[0].desc.quant = {{0.5f}, {-3}, -1};
    ASSERT_TRUE(WriteModelFile(single_, {test::TinyModel()}).ok());
    ASSERT_TRUE(WriteModelFile(packed_, {test::TinyModel(), nv12}).ok());
  }
  std::string dir_, single_, packed_;
};

TEST_F(ModelInfoTest, PrintsEveryFieldLikeHrtModelExec) {
  std::string out;
  ASSERT_EQ(RunTool({"--model_file", single_}, &out), kExitOk);
  for (const char* want :
       {"Load model to DDR cost", "Model name: tiny", "Input count: 1", "input[0]:", "name: data",
        "valid shape: (1,3,5,7,)", "aligned shape: (1,3,5,8,)", "aligned byte size: 480",
        "tensor type: F32", "tensor layout: NCHW", "quanti type: NONE", "stride: (480,160,32,4,)",
        "Output count: 1", "aligned shape: (1,4,5,8,)", "MACs: 3780", "Conv2D=1"}) {
    EXPECT_NE(out.find(want), std::string::npos) << "missing '" << want << "' in:\n" << out;
  }
}

TEST_F(ModelInfoTest, PackedFileListsBothModels) {
  std::string out;
  ASSERT_EQ(RunTool({"--model_file", packed_}, &out), kExitOk);
  EXPECT_NE(out.find("This model file has 2 model(s):\n[tiny][camera]"), std::string::npos) << out;
  EXPECT_NE(out.find("tensor type: IMG_NV12"), std::string::npos);
  EXPECT_NE(out.find("preprocess: nv12 (NHWC) -> rgb (NCHW), regular, data_mean_and_scale"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("quanti type: SCALE per-tensor, scale 0.5, zero point -3"), std::string::npos)
      << out;
  ASSERT_EQ(RunTool({"--model_file", packed_, "--model_name", "camera"}, &out), kExitOk);
  EXPECT_EQ(out.find("Model name: tiny"), std::string::npos);
  EXPECT_NE(out.find("Model name: camera"), std::string::npos);
}

TEST_F(ModelInfoTest, JsonParsesAndMatchesTheModel) {
  std::string out;
  ASSERT_EQ(RunTool({"--model_file", packed_, "--json"}, &out), kExitOk);
  auto j = nlohmann::json::parse(out);
  ASSERT_EQ(j["models"].size(), 2u);
  EXPECT_EQ(j["model_names"][1], "camera");
  const auto& in = j["models"][1]["inputs"][0];
  EXPECT_EQ(in["tensor_type"], "IMG_NV12");
  EXPECT_EQ(in["aligned_shape"], (std::vector<int64_t>{1, 6, 16, 3}));
  EXPECT_EQ(in["stride_bytes"], (std::vector<int64_t>{144, 16, 1, 0}));
  EXPECT_EQ(in["aligned_byte_size"], 144);
  EXPECT_EQ(in["preprocess"]["input_type_train"], "rgb");
  EXPECT_EQ(j["models"][1]["outputs"][0]["quantization"]["zero_point"][0], -3);
  EXPECT_EQ(j["models"][0]["graph"]["macs"], 3780);
  EXPECT_EQ(j["models"][0]["nodes"][1]["precision"], "float");
  EXPECT_GE(j["load_time_ms"].get<double>(), 0.0);
}

TEST_F(ModelInfoTest, ShowNodesListsPrecision) {
  std::string out;
  ASSERT_EQ(RunTool({"--model_file", single_, "--show_nodes"}, &out), kExitOk);
  EXPECT_NE(out.find("[1] conv  Conv2D  float  (from Conv)"), std::string::npos) << out;
}

TEST_F(ModelInfoTest, UsageErrorsExitWith2) {
  std::string out;
  EXPECT_EQ(RunTool({}, &out), kExitUsage);
  EXPECT_EQ(RunTool({"--model_file", single_, "--bogus"}, &out), kExitUsage);
  EXPECT_EQ(RunTool({"--model_file", packed_, "--model_name", "nope"}, &out), kExitUsage);
  EXPECT_EQ(RunTool({"--help"}, &out), kExitOk);
}

TEST_F(ModelInfoTest, BadFileExitsWith1) {
  std::string out;
  test::WriteFileBytes(dir_ + "/junk.bin", {1, 2, 3});
  EXPECT_EQ(RunTool({"--model_file", dir_ + "/junk.bin"}, &out), kExitFailure);
  EXPECT_EQ(RunTool({"--model_file", dir_ + "/absent.bin"}, &out), kExitFailure);
  EXPECT_TRUE(out.empty()) << "nothing on stdout on failure";
}

// Boost would take --model_fi for --model_file; a flag must be spelled out (exit 2, named).
TEST_F(ModelInfoTest, AbbreviatedFlagIsAUsageErrorNamingIt) {
  EXPECT_TRUE(test::IsUsageErrorNaming(RunModelInfo, {"--model_fi", single_}, "--model_fi"));
  EXPECT_TRUE(test::IsUsageErrorNaming(RunModelInfo, {"--model_file", single_, "--js"}, "--js"));
}

}  // namespace
}  // namespace edgert::app

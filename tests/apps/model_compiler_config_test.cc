// The conversion-config (model.yaml) parser: every key, multi-input entries, warnings, errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "model_compiler/compiler.h"
#include "test_util.h"

namespace edgert::compiler {
namespace {

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string ErrorOf(const std::string& yaml) {
  auto r = ParseConfig(yaml, "bad.yaml");
  EXPECT_FALSE(r.ok()) << yaml;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Has(r.status().message(), "bad.yaml")) << r.status().message();
  return r.status().message();
}

TEST(ConfigTest, ParsesEveryKey) {
  const std::string yaml = R"(
model_parameters:
  onnx_model: 'net.onnx'
  output_model_file_prefix: 'net_f32'
  working_dir: 'out'
  march: 'bernoulli2'
  layer_out_dump: False
input_parameters:
  input_name: 'data'
  input_shape: '1x3x224x224'
  input_type_rt: 'featuremap'
  input_type_train: 'featuremap'
  input_layout_rt: 'nhwc'
  input_layout_train: 'NCHW'
  input_space_and_range: 'regular'
  norm_type: 'data_mean_and_scale'
  mean_value: '123.675 116.28 103.53'
  scale_value: 0.017
calibration_parameters:
  cal_data_dir: './calib'
  cal_data_type: 'float32'
  calibration_type: 'max'
  max_percentile: 0.99995
  per_channel: True
  reduce_range: yes
  run_on_cpu: 'conv1;conv2'
compiler_parameters:
  compile_mode: 'latency'
  optimize_level: 'O3'
  core_num: 2
  debug: False
  row_align_bytes: 32
)";
  auto r = ParseConfig(yaml, "net.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const CompileConfig& c = *r;
  EXPECT_EQ(c.onnx_model, "net.onnx");
  EXPECT_EQ(c.output_model_file_prefix, "net_f32");
  EXPECT_EQ(c.working_dir, "out");
  EXPECT_EQ(c.row_align_bytes, 32);
  EXPECT_EQ(c.yaml_text, yaml);
  ASSERT_EQ(c.inputs.size(), 1u);
  const InputConfig& in = c.inputs[0];
  EXPECT_EQ(in.name, "data");
  EXPECT_EQ(in.shape, (std::vector<int64_t>{1, 3, 224, 224}));
  EXPECT_EQ(in.input_type_rt, "featuremap");
  EXPECT_EQ(in.input_type_train, "featuremap");
  EXPECT_EQ(in.input_layout_rt, "NHWC");  // case-insensitive, normalized
  EXPECT_EQ(in.input_layout_train, "NCHW");
  EXPECT_EQ(in.input_space_and_range, "regular");
  EXPECT_EQ(in.norm_type, "data_mean_and_scale");
  EXPECT_EQ(in.mean_value, (std::vector<float>{123.675f, 116.28f, 103.53f}));
  EXPECT_EQ(in.scale_value, (std::vector<float>{0.017f}));
  EXPECT_EQ(c.calibration_parameters.at("cal_data_dir"), "./calib");
  EXPECT_EQ(c.calibration_parameters.at("calibration_type"), "max");
  EXPECT_EQ(c.calibration_parameters.at("max_percentile"), "0.99995");
  EXPECT_EQ(c.calibration_parameters.at("per_channel"), "True");
  EXPECT_EQ(c.calibration_parameters.at("reduce_range"), "True");  // YAML's yes, normalized
  EXPECT_EQ(c.calibration_parameters.at("run_on_cpu"), "conv1;conv2");
  // march, layer_out_dump, compile_mode, optimize_level, core_num, debug: accepted, ignored.
  ASSERT_EQ(c.warnings.size(), 6u);
  for (const char* key :
       {"march", "layer_out_dump", "compile_mode", "optimize_level", "core_num", "debug"}) {
    bool found = false;
    for (const auto& w : c.warnings) found = found || (Has(w, key) && Has(w, "ignored"));
    EXPECT_TRUE(found) << key;
  }
}

TEST(ConfigTest, DefaultsWhenEmpty) {
  auto r = ParseConfig("", "empty.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->output_model_file_prefix, "model");
  EXPECT_EQ(r->working_dir, ".");
  EXPECT_EQ(r->row_align_bytes, 16);
  EXPECT_TRUE(r->inputs.empty());
  EXPECT_TRUE(r->warnings.empty());
}

TEST(ConfigTest, SemicolonSeparatesInputs) {
  auto r = ParseConfig(R"(
input_parameters:
  input_name: "a; b"
  input_shape: "1x3x4x4; 1x10"
  input_layout_train: "NHWC; NONE"
  norm_type: "data_mean; no_preprocess"
  mean_value: "1 2 3; "
)",
                       "multi.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();  // an empty entry keeps the default
  EXPECT_TRUE(r->inputs[1].mean_value.empty());
  r = ParseConfig(R"(
input_parameters:
  input_name: "a; b"
  input_shape: "1x3x4x4; 1x10"
  input_layout_train: "NHWC; NONE"
  norm_type: "data_mean; data_scale"
  mean_value: "1 2 3; 4"
  scale_value: "0.5; 0.25 0.125"
)",
                  "multi.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->inputs.size(), 2u);
  EXPECT_EQ(r->inputs[0].name, "a");
  EXPECT_EQ(r->inputs[1].name, "b");
  EXPECT_EQ(r->inputs[0].shape, (std::vector<int64_t>{1, 3, 4, 4}));
  EXPECT_EQ(r->inputs[1].shape, (std::vector<int64_t>{1, 10}));
  EXPECT_EQ(r->inputs[0].input_layout_train, "NHWC");
  EXPECT_EQ(r->inputs[1].input_layout_train, "NONE");
  EXPECT_EQ(r->inputs[0].mean_value, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(r->inputs[1].scale_value, (std::vector<float>{0.25f, 0.125f}));
  // Mean for a data_scale input and scale for a data_mean input are ignored with a warning.
  EXPECT_EQ(r->warnings.size(), 2u);
}

TEST(ConfigTest, EntryCountsMustAgree) {
  const std::string m = ErrorOf(R"(
input_parameters:
  input_name: "a; b"
  input_shape: "1x3x4x4"
)");
  EXPECT_TRUE(Has(m, "input_parameters.input_shape")) << m;
  EXPECT_TRUE(Has(m, "input_name has 2")) << m;
}

TEST(ConfigTest, UnknownKeysNameTheKeyAndTheAllowedOnes) {
  std::string m = ErrorOf("model_parameters:\n  onnx_modle: x.onnx\n");
  EXPECT_TRUE(Has(m, "model_parameters.onnx_modle")) << m;
  EXPECT_TRUE(Has(m, "onnx_model, output_model_file_prefix, working_dir")) << m;
  m = ErrorOf("input_parameters:\n  input_format: nv12\n");
  EXPECT_TRUE(Has(m, "input_parameters.input_format")) << m;
  EXPECT_TRUE(Has(m, "input_type_rt")) << m;
  m = ErrorOf("calibration_parameters:\n  preprocess_on: True\n");
  EXPECT_TRUE(Has(m, "calibration_parameters.preprocess_on")) << m;
  m = ErrorOf("compiler_parameters:\n  jobs: 4\n");
  EXPECT_TRUE(Has(m, "compiler_parameters.jobs")) << m;
  EXPECT_TRUE(Has(m, "row_align_bytes")) << m;
  m = ErrorOf("custom_op:\n  op_register_files: a.py\n");
  EXPECT_TRUE(Has(m, "custom_op")) << m;
  EXPECT_TRUE(Has(m, "model_parameters, input_parameters")) << m;
  m = ErrorOf("- just\n- a list\n");
  m = ErrorOf("model_parameters: [1, 2]\n");
  EXPECT_TRUE(Has(m, "model_parameters")) << m;
  m = ErrorOf("model_parameters: {onnx_model: [a, b]}\n");
  EXPECT_TRUE(Has(m, "onnx_model")) << m;
  m = ErrorOf("model_parameters: {onnx_model: a\n");  // not YAML
  EXPECT_TRUE(Has(m, "YAML")) << m;
}

TEST(ConfigTest, BadValuesNameTheKeyAndTheAllowedValues) {
  std::string m = ErrorOf("input_parameters:\n  input_type_rt: jpeg\n");
  EXPECT_TRUE(Has(m, "input_parameters.input_type_rt")) << m;
  EXPECT_TRUE(Has(m, "'jpeg'")) << m;
  EXPECT_TRUE(Has(m, "nv12, yuv444, rgb, bgr, gray, featuremap")) << m;
  m = ErrorOf("input_parameters:\n  input_type_train: nv12\n");
  EXPECT_TRUE(Has(m, "input_type_train")) << m;
  m = ErrorOf("input_parameters:\n  input_layout_rt: CHW\n");
  EXPECT_TRUE(Has(m, "input_layout_rt")) << m;
  EXPECT_TRUE(Has(m, "NCHW, NHWC")) << m;
  m = ErrorOf("input_parameters:\n  input_space_and_range: full\n");
  EXPECT_TRUE(Has(m, "bt601_video")) << m;
  m = ErrorOf("input_parameters:\n  norm_type: mean\n");
  EXPECT_TRUE(Has(m, "data_mean_and_scale")) << m;
  m = ErrorOf("input_parameters:\n  input_shape: 1x3xAx4\n");
  EXPECT_TRUE(Has(m, "input_parameters.input_shape")) << m;
  m = ErrorOf("input_parameters:\n  input_shape: 1x0x4x4\n");
  EXPECT_TRUE(Has(m, "input_shape")) << m;
  m = ErrorOf("input_parameters:\n  norm_type: data_mean\n  mean_value: 1 x 3\n");
  EXPECT_TRUE(Has(m, "mean_value")) << m;
  m = ErrorOf("input_parameters:\n  norm_type: data_mean\n");
  EXPECT_TRUE(Has(m, "needs mean_value")) << m;
  m = ErrorOf("input_parameters:\n  norm_type: data_scale\n");
  EXPECT_TRUE(Has(m, "needs scale_value")) << m;
  m = ErrorOf("compiler_parameters:\n  row_align_bytes: 0\n");
  EXPECT_TRUE(Has(m, "compiler_parameters.row_align_bytes")) << m;
  EXPECT_TRUE(Has(m, "[1, 4096]")) << m;
  m = ErrorOf("compiler_parameters:\n  row_align_bytes: 8192\n");
  EXPECT_TRUE(Has(m, "row_align_bytes")) << m;
  m = ErrorOf("compiler_parameters:\n  row_align_bytes: 16.5\n");
  EXPECT_TRUE(Has(m, "row_align_bytes")) << m;
  m = ErrorOf("compiler_parameters:\n  compile_mode: fast\n");
  EXPECT_TRUE(Has(m, "latency, bandwidth, balance")) << m;
  m = ErrorOf("compiler_parameters:\n  optimize_level: O9\n");
  EXPECT_TRUE(Has(m, "O0, O1, O2, O3")) << m;
  m = ErrorOf("calibration_parameters:\n  calibration_type: entropy\n");
  EXPECT_TRUE(Has(m, "default, max, kl")) << m;
  m = ErrorOf("calibration_parameters:\n  max_percentile: 2\n");
  EXPECT_TRUE(Has(m, "max_percentile")) << m;
  m = ErrorOf("calibration_parameters:\n  per_channel: maybe\n");
  EXPECT_TRUE(Has(m, "per_channel")) << m;
  m = ErrorOf("calibration_parameters:\n  reduce_range: 7\n");
  EXPECT_TRUE(Has(m, "reduce_range")) << m;
  m = ErrorOf("calibration_parameters:\n  cal_data_type: int4\n");
  EXPECT_TRUE(Has(m, "float32, uint8")) << m;
  m = ErrorOf("model_parameters:\n  output_model_file_prefix: a/b\n");
  EXPECT_TRUE(Has(m, "output_model_file_prefix")) << m;
}

TEST(ConfigTest, TypePairsAreChecked) {
  struct Pair {
    const char* rt;
    const char* train;
    bool ok;
  };
  const Pair pairs[] = {
      {"nv12", "rgb", true},
      {"nv12", "bgr", true},
      {"nv12", "yuv444", true},
      {"nv12", "gray", true},
      {"nv12", "featuremap", false},
      {"yuv444", "yuv444", true},
      {"yuv444", "gray", false},
      {"rgb", "bgr", true},
      {"rgb", "gray", false},
      {"bgr", "yuv444", true},
      {"gray", "gray", true},
      {"gray", "rgb", false},
      {"featuremap", "featuremap", true},
      {"featuremap", "rgb", false},
      {"rgb", "featuremap", false},
  };
  for (const Pair& p : pairs) {
    const std::string yaml = std::string("input_parameters:\n  input_type_rt: ") + p.rt +
                             "\n  input_type_train: " + p.train + "\n";
    auto r = ParseConfig(yaml, "pair.yaml");
    EXPECT_EQ(r.ok(), p.ok) << p.rt << " -> " << p.train;
    if (!r.ok()) {
      EXPECT_TRUE(Has(r.status().message(), "input_type_train")) << r.status().message();
      EXPECT_TRUE(Has(r.status().message(), "nv12 -> yuv444/rgb/bgr/gray")) << r.status().message();
      EXPECT_TRUE(Has(r.status().message(), "featuremap -> featuremap")) << r.status().message();
    }
  }
}

TEST(ConfigTest, LoadConfigResolvesPathsAgainstTheYamlDirectory) {
  const std::string dir = test::TempDir("LoadConfig");
  {
    std::ofstream f(dir + "/m.yaml");
    f << "model_parameters:\n  onnx_model: net.onnx\n  working_dir: out\n"
      << "calibration_parameters:\n  cal_data_dir: ../cal\n";
  }
  auto r = LoadConfig(dir + "/m.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->onnx_model, dir + "/net.onnx");
  EXPECT_EQ(r->working_dir, dir + "/out");
  EXPECT_EQ(r->calibration_parameters.at("cal_data_dir"),
            std::filesystem::path(dir + "/../cal").lexically_normal().string());
  auto missing = LoadConfig(dir + "/nope.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kFileError);
  EXPECT_TRUE(Has(missing.status().message(), "nope.yaml"));
}

TEST(ConfigTest, SampleConfigLoads) {
  auto r = LoadConfig(EDGERT_SOURCE_DIR "/samples/configs/featuremap_example.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->output_model_file_prefix, "resnet18_tiny");
  ASSERT_EQ(r->inputs.size(), 1u);
  EXPECT_EQ(r->inputs[0].name, "input");
  EXPECT_EQ(r->row_align_bytes, 16);
  EXPECT_EQ(r->warnings.size(), 3u);  // march, compile_mode, optimize_level
}

}  // namespace
}  // namespace edgert::compiler

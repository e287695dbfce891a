// Whole models against ONNX Runtime: torchvision-style networks with fixed random weights,
// compiled by model_compiler, run by the engine, compared with onnxruntime-node's outputs on
// the same input. The data comes from scripts/prepare_models.sh (EDGERT_MODELS_DIR). The *_nv12
// variants take an NV12 buffer made from a real JPEG and convert and normalize it inside the
// model; their reference is ONNX Runtime on scripts/preprocess_ref.py's train tensor.
// Required per output: cosine >= 0.99999 and max abs error <= 1e-4 * max |reference|.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "edgert/model.h"
#include "edgert/session.h"
#include "test_util.h"

namespace edgert {
namespace {

std::string ModelsDir() {
  const char* env = std::getenv("EDGERT_MODELS_DIR");
  return env ? env : EDGERT_DEFAULT_MODELS_DIR;
}

class WholeModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(WholeModelTest, MatchesOnnxRuntime) {
  const std::string dir = ModelsDir(), name = GetParam();
  const std::string hint = " (run scripts/prepare_models.sh " + dir + ")";
  auto file = ModelFile::Open(dir + "/" + name + ".bin");
  ASSERT_TRUE(file.ok()) << file.status().ToString() << hint;
  auto model = (*file)->GetModel();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  SessionOptions opts;
  opts.num_threads = 2;
  auto session = Session::Create(*model, opts);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto input = test::ReadFileBytes(dir + "/" + name + ".input.bin");
  ASSERT_FALSE(input.empty()) << name << ".input.bin missing" << hint;
  ASSERT_EQ((*model)->input_count(), 1u);
  ASSERT_TRUE((*session)->SetInput(0, input.data(), input.size()).ok());
  ASSERT_TRUE((*session)->Run().ok());

  std::ifstream jf(dir + "/" + name + ".ort/outputs.json");
  ASSERT_TRUE(jf.good()) << "ORT reference missing" << hint;
  auto refs = nlohmann::json::parse(jf)["outputs"];
  ASSERT_EQ(refs.size(), (*model)->output_count());
  for (size_t o = 0; o < refs.size(); ++o) {
    const auto& desc = (*model)->outputs()[o];
    ASSERT_EQ(desc.name, refs[o]["name"].get<std::string>());
    EXPECT_EQ(desc.valid_shape, refs[o]["dims"].get<std::vector<int64_t>>()) << desc.name;
    auto raw = test::ReadFileBytes(dir + "/" + name + ".ort/" + refs[o]["file"].get<std::string>());
    std::vector<float> ref(raw.size() / 4);
    std::memcpy(ref.data(), raw.data(), ref.size() * 4);
    std::vector<float> got;
    ASSERT_TRUE((*session)->GetOutput(o, &got).ok());
    ASSERT_EQ(got.size(), ref.size()) << desc.name;
    double dot = 0, na = 0, nb = 0, max_err = 0, max_ref = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      dot += static_cast<double>(got[i]) * ref[i];
      na += static_cast<double>(got[i]) * got[i];
      nb += static_cast<double>(ref[i]) * ref[i];
      max_err = std::max(max_err, std::fabs(static_cast<double>(got[i]) - ref[i]));
      max_ref = std::max(max_ref, std::fabs(static_cast<double>(ref[i])));
    }
    const double cosine = dot / (std::sqrt(na) * std::sqrt(nb) + 1e-30);
    EXPECT_GE(cosine, 0.99999) << name << "/" << desc.name;
    EXPECT_LE(max_err, 1e-4 * max_ref) << name << "/" << desc.name << " max |ref| " << max_ref;
    std::cout << name << "/" << desc.name << ": cosine " << cosine << ", max abs error " << max_err
              << " (" << max_err / (max_ref + 1e-30) << " of max |ref|)\n";
  }
}

#ifdef EDGERT_WHOLEMODEL_TINY_ONLY
// Under qemu, XNNPACK runs ~500x slower: only the small variants.
INSTANTIATE_TEST_SUITE_P(Models, WholeModelTest,
                         ::testing::Values("mobilenet_v2_tiny", "resnet18_tiny", "dethead_tiny",
                                           "mobilenet_v2_tiny_nv12", "dethead_tiny_nv12"));
#else
INSTANTIATE_TEST_SUITE_P(Models, WholeModelTest,
                         ::testing::Values("mobilenet_v2", "resnet18", "dethead",
                                           "mobilenet_v2_tiny", "resnet18_tiny", "dethead_tiny",
                                           "mobilenet_v2_tiny_nv12", "dethead_tiny_nv12"));
#endif

}  // namespace
}  // namespace edgert

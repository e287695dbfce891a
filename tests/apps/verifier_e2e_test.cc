// verifier end to end on prepared models (scripts/prepare_models.sh, EDGERT_MODELS_DIR):
//  - the calibrated int8 digits CNN against ONNX Runtime running its exported QDQ ONNX passes;
//  - an NV12 model against ONNX Runtime on the numpy reference's RGB train tensor passes, and
//    against a reference made with a deliberately wrong preprocessing (BGR) fails, saying so.
// Runs natively and under qemu (the models are small).
#include <gtest/gtest.h>

#include <string>

#include "ort_reference.h"
#include "test_util.h"
#include "verifier/verifier.h"

namespace edgert::app {
namespace {

std::string LastLine(const std::string& s) {
  const auto end = s.find_last_not_of('\n');
  const auto nl = s.rfind('\n', end);
  const size_t start = nl == std::string::npos ? 0 : nl + 1;
  return s.substr(start, end - start + 1);
}

TEST(VerifierEndToEndTest, Int8ModelAgainstOrtOnTheExportedQdqModelPasses) {
  const std::string d = test::ModelsDir();
  std::string out;
  const int rc = test::RunToolMain(
      RunVerifier,
      {"--model_file", d + "/digits_int8.bin", "--input_file", d + "/digits_int8.input.bin",
       "--ref_file", d + "/digits_int8.ort/logits.bin", "--cos_threshold", "0.999"},
      &out);
  EXPECT_EQ(rc, kExitOk) << out << " (run scripts/prepare_models.sh " << d << ")";
  EXPECT_EQ(LastLine(out).rfind("PASSED", 0), 0u) << out;
}

TEST(VerifierEndToEndTest, WrongPreprocessingOnThePcFails) {
  const std::string d = test::ModelsDir();
  const std::string model = d + "/mobilenet_v2_tiny_nv12.bin";
  const std::string input = d + "/mobilenet_v2_tiny_nv12.input.bin";
  std::string out;
  EXPECT_EQ(test::RunToolMain(RunVerifier,
                              {"--model_file", model, "--input_file", input, "--ref_file",
                               d + "/mobilenet_v2_tiny_nv12.ort/output.bin"},
                              &out),
            kExitOk)
      << out << " (run scripts/prepare_models.sh " << d << ")";
  EXPECT_EQ(LastLine(out).rfind("PASSED", 0), 0u) << out;
  // The reference computed from BGR instead of RGB.
  EXPECT_EQ(test::RunToolMain(RunVerifier,
                              {"--model_file", model, "--input_file", input, "--ref_file",
                               d + "/mobilenet_v2_tiny_nv12.ort_bgr/output.bin"},
                              &out),
            kExitFailure)
      << out;
  EXPECT_EQ(LastLine(out), "FAILED: tensor(s) 'output'") << out;
}

}  // namespace
}  // namespace edgert::app

#include "ort_reference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "edgert/model.h"
#include "edgert/session.h"
#include "test_util.h"

namespace edgert::test {

std::string ModelsDir() {
  const char* env = std::getenv("EDGERT_MODELS_DIR");
  return env ? env : EDGERT_DEFAULT_MODELS_DIR;
}

void ExpectMatchesOrtReference(const std::string& dir, const std::string& name, double min_cosine,
                               double max_rel_error) {
  const std::string hint = " (run scripts/prepare_models.sh " + dir + ")";
  auto file = ModelFile::Open(dir + "/" + name + ".bin");
  ASSERT_TRUE(file.ok()) << file.status().ToString() << hint;
  auto model = (*file)->GetModel();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  SessionOptions opts;
  opts.num_threads = 2;
  auto session = Session::Create(*model, opts);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto input = ReadFileBytes(dir + "/" + name + ".input.bin");
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
    auto raw = ReadFileBytes(dir + "/" + name + ".ort/" + refs[o]["file"].get<std::string>());
    // ort_run.js writes float outputs as float32 and integer ones in their own type (an ArgMax
    // output is int64); compared as float, which is exact for indices below 2^24.
    const std::string dtype = refs[o].value("dtype", "float32");
    std::vector<float> ref;
    if (dtype == "float32") {
      ref.resize(raw.size() / 4);
      std::memcpy(ref.data(), raw.data(), ref.size() * 4);
    } else if (dtype == "int64") {
      std::vector<int64_t> v(raw.size() / 8);
      std::memcpy(v.data(), raw.data(), v.size() * 8);
      ref.assign(v.begin(), v.end());
    } else if (dtype == "int32") {
      std::vector<int32_t> v(raw.size() / 4);
      std::memcpy(v.data(), raw.data(), v.size() * 4);
      ref.assign(v.begin(), v.end());
    } else {
      FAIL() << name << "/" << desc.name << ": reference dtype " << dtype << " not handled";
    }
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
    EXPECT_GE(cosine, min_cosine) << name << "/" << desc.name;
    if (max_rel_error >= 0) {
      EXPECT_LE(max_err, max_rel_error * max_ref)
          << name << "/" << desc.name << " max |ref| " << max_ref;
    }
    std::cout << name << "/" << desc.name << ": cosine " << cosine << ", max abs error " << max_err
              << " (" << max_err / (max_ref + 1e-30) << " of max |ref|)\n";
  }
}

}  // namespace edgert::test

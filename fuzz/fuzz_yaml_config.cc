// libFuzzer target: the model_compiler's YAML conversion-config parser
// (compiler::ParseConfig), on the text as given.

#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "model_compiler/compiler.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  edgert::fuzz::Quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)edgert::compiler::ParseConfig(text, "fuzz.yaml");
  return 0;
}

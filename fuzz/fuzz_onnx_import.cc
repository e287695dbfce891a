// libFuzzer target: ONNX bytes in memory through the compiler's import, checks, shape inference,
// constant folding and lowering to the IR (compiler::CompileOnnxBytes) with the default config:
// every graph input a featuremap of its ONNX shape.

#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "model_compiler/compiler.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  edgert::fuzz::Quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const edgert::compiler::CompileConfig config;
  (void)edgert::compiler::CompileOnnxBytes(bytes, "fuzz.onnx", config);
  return 0;
}

// libFuzzer target: the verifier's intermediate/index.json reader, through
// `verifier --compare_dir A B`. The input is two JSON texts separated by a NUL byte (one text
// only: both folders get it): A/intermediate/index.json and B/intermediate/index.json. Both
// folders also hold out.bin and intermediate/n0.bin (4 floats each), so that file names an
// index may refer to exist.

#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "verifier/verifier.h"

namespace {
const float kFloats[4] = {1.f, 2.f, 3.f, 4.f};
const uint8_t* FloatBytes() { return reinterpret_cast<const uint8_t*>(kFloats); }
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  edgert::fuzz::Quiet();
  for (const char* dir : {"a", "b"}) {
    edgert::fuzz::WriteScratch(std::string(dir) + "/out.bin", FloatBytes(), sizeof(kFloats));
    edgert::fuzz::WriteScratch(std::string(dir) + "/intermediate/n0.bin", FloatBytes(),
                               sizeof(kFloats));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const uint8_t* nul = static_cast<const uint8_t*>(std::memchr(data, 0, size));
  const size_t size_a = nul ? static_cast<size_t>(nul - data) : size;
  const uint8_t* b = nul ? nul + 1 : data;
  const size_t size_b = nul ? size - size_a - 1 : size;
  edgert::fuzz::WriteScratch("a/intermediate/index.json", data, size_a);
  edgert::fuzz::WriteScratch("b/intermediate/index.json", b, size_b);
  const std::string a = edgert::fuzz::ScratchDir() + "/a", bdir = edgert::fuzz::ScratchDir() + "/b";
  std::vector<std::string> args = {"verifier", "--compare_dir", a, bdir};
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  std::ostringstream out;
  const int rc = edgert::app::RunVerifier(static_cast<int>(argv.size()), argv.data(), out);
  if (rc < 0 || rc > 2) __builtin_trap();  // the tools' exit codes are 0, 1 and 2
  return 0;
}

// libFuzzer target: a .bin file through the whole load path, ModelFile::FromBytes ->
// GetModel -> Session::Create -> Run on the zeroed inputs, for every model in the file.
//
// The harness rewrites the header's payload_size and checksum to match the mutated bytes:
// otherwise nearly every mutation dies at the checksum, and the FlatBuffers verifier, the
// loader's index and range checks, the session's shape checks and the kernels' setup never see
// it. The working-memory limit is capped (EDGERT_MAX_WORKING_MB) so that a model that claims a
// large but legal arena is refused instead of exhausting the fuzzer's RSS limit.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "edgert/model.h"
#include "edgert/session.h"
#include "file_format.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("EDGERT_MAX_WORKING_MB", "256", 1);
  edgert::fuzz::Quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  if (size >= sizeof(edgert::FileHeader)) {
    edgert::FileHeader h;
    std::memcpy(&h, bytes.data(), sizeof(h));
    h.payload_size = size - sizeof(h);
    h.checksum = edgert::PayloadChecksum(bytes.data() + sizeof(h), h.payload_size);
    std::memcpy(bytes.data(), &h, sizeof(h));
  }
  auto file = edgert::ModelFile::FromBytes(bytes.data(), bytes.size(), "fuzz.bin");
  if (!file.ok()) return 0;
  for (const std::string& name : (*file)->model_names()) {
    auto model = (*file)->GetModel(name);
    if (!model.ok()) continue;
    edgert::SessionOptions options;
    options.num_threads = 1;
    options.setup_threads = 1;
    auto session = edgert::Session::Create(*model, options);
    if (!session.ok()) continue;
    (void)(*session)->Run();
  }
  return 0;
}

// libFuzzer target: one image decoder of app::DecodeImageFile, built once per format
// (fuzz/CMakeLists.txt): EDGERT_FUZZ_MAGIC is the format's signature. The decoder is chosen by
// the file's first bytes, so the harness writes that signature over the start of every input:
// each target's mutations then stay inside its own decoder.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/image_decode.h"
#include "fuzz_util.h"

namespace {
constexpr unsigned char kMagic[] = EDGERT_FUZZ_MAGIC;
constexpr size_t kMagicSize = sizeof(kMagic) - 1;  // the string literal's terminating zero
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  edgert::fuzz::Quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  if (size) std::memcpy(bytes.data(), kMagic, std::min(size, kMagicSize));
  const std::string path = edgert::fuzz::WriteScratch("image", bytes.data(), bytes.size());
  auto image = edgert::app::DecodeImageFile(path);
  if (image.ok() && image->bgr.size() !=
                        static_cast<size_t>(image->width) * static_cast<size_t>(image->height) * 3)
    __builtin_trap();  // a decoded image is always width x height packed BGR pixels
  return 0;
}

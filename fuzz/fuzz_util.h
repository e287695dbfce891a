#pragma once

// Shared by the libFuzzer targets: a private scratch folder for harnesses whose code under test
// reads files (image decoders, input files, dump folders), and quiet logging.

#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace edgert::fuzz {

// The process's scratch folder (created once, removed at exit): /tmp/edgert-fuzz-XXXXXX. The
// string is never destroyed, so the exit handler that removes the folder can still read it.
inline const std::string& ScratchDir() {
  static const std::string* const dir = [] {
    char templ[] = "/tmp/edgert-fuzz-XXXXXX";
    if (!mkdtemp(templ)) std::abort();
    auto* d = new std::string(templ);
    std::atexit([] { std::filesystem::remove_all(ScratchDir()); });
    return d;
  }();
  return *dir;
}

// Writes `size` bytes to `ScratchDir()/name` (replacing it) and returns the path.
inline std::string WriteScratch(const std::string& name, const uint8_t* data, size_t size) {
  const std::string path = ScratchDir() + "/" + name;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

// Messages about bad inputs are expected by the thousand: keep them off the fuzzer's output.
inline void Quiet() { spdlog::set_level(spdlog::level::off); }

}  // namespace edgert::fuzz

#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "edgert/model_writer.h"

namespace edgert::test {

// A fresh, empty directory for one test, under $EDGERT_TEST_TMP or /tmp.
std::string TempDir(const std::string& test_name);

// A small valid model: featuremap input 'data' (F32 NCHW 1x3x5x7 by default), one 3x3 conv
// with constant weights and bias, output 'out'. Used to exercise the file format and tools.
ModelDef TinyModel(const std::string& name = "tiny");

std::vector<uint8_t> ReadFileBytes(const std::string& path);
void WriteFileBytes(const std::string& path, const std::vector<uint8_t>& bytes);

// Runs a tool's Run<Tool>(argc, argv, out) in-process with `args` (argv[0] is added) and
// returns its exit code; `out` receives what it printed to its output stream.
int RunToolMain(int (*tool)(int, char**, std::ostream&), std::vector<std::string> args,
                std::string* out);

// The same, also capturing what the tool printed to stderr (usage errors, logs) into `err`.
int RunToolMain(int (*tool)(int, char**, std::ostream&), std::vector<std::string> args,
                std::string* out, std::string* err);

// Success when `tool` run with `args` exits with 2 (usage error) and its stderr names `flag` in
// quotes ('--ato'): how every tool must treat an unknown or abbreviated flag.
::testing::AssertionResult IsUsageErrorNaming(int (*tool)(int, char**, std::ostream&),
                                              std::vector<std::string> args,
                                              const std::string& flag);

// `size` writable bytes whose last byte is the last one before an inaccessible page, so any
// read or write past the end faults (libyuv's align_buffer_page_end).
class PageEndBuffer {
 public:
  explicit PageEndBuffer(size_t size);
  ~PageEndBuffer();
  PageEndBuffer(const PageEndBuffer&) = delete;
  PageEndBuffer& operator=(const PageEndBuffer&) = delete;
  uint8_t* data() { return base_ + total_ - page_ - size_; }

 private:
  size_t size_, page_, total_;
  uint8_t* base_;
};

}  // namespace edgert::test

#pragma once

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

}  // namespace edgert::test

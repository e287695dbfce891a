#pragma once

#include <string>

namespace edgert::test {

// The whole-model data directory: $EDGERT_MODELS_DIR, else the build's default.
std::string ModelsDir();

// Runs DIR/NAME.bin (2 engine threads) on DIR/NAME.input.bin and compares every output with
// ONNX Runtime's in DIR/NAME.ort/ (outputs.json + float32 files), as gtest expectations:
// names and valid shapes match, cosine >= min_cosine, and, when max_rel_error >= 0,
// max abs error <= max_rel_error * max |reference|. Prints the figures per output.
void ExpectMatchesOrtReference(const std::string& dir, const std::string& name, double min_cosine,
                               double max_rel_error);

}  // namespace edgert::test

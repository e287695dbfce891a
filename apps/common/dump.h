#pragma once

#include <set>
#include <string>
#include <vector>

#include "edgert/status.h"

namespace edgert::app {

// "model/conv 1:0" -> "model_conv_1_0": keeps [A-Za-z0-9._-], replaces the rest with '_'.
std::string SanitizeName(const std::string& name);

// SanitizeName(name), made unique among `taken` and added to it: names that sanitize alike
// ("conv/x" and "conv_x") get "_2", "_3"... on the later ones, so no dump overwrites another.
std::string UniqueDumpName(const std::string& name, std::set<std::string>* taken);

// "<dir>/model_infer_output_<idx>_<sanitized name>": the dump file name of output `idx`, without
// its extension (.bin, .txt, .aligned.bin), as infer and the Python module write it.
std::string OutputDumpBase(const std::string& dir, size_t idx, const std::string& name);

// Writes float32 values as raw little-endian bytes (np.fromfile(path, np.float32)), atomically.
Status WriteFloatBin(const std::string& path, const std::vector<float>& values);

// Writes values as text with `precision` significant digits. Each line holds the elements of
// the trailing (rank - axis) dimensions of `shape`; axis >= rank gives one value per line.
Status WriteFloatTxt(const std::string& path, const std::vector<float>& values,
                     const std::vector<int64_t>& shape, int precision, int axis);

}  // namespace edgert::app

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "edgert/status.h"
#include "edgert/tensor_desc.h"

namespace edgert::app {

// Splits "a,b,c" into its non-empty parts (whitespace around parts is trimmed).
std::vector<std::string> SplitList(const std::string& s, char sep = ',');

// Reads a whole file. Errors name the file.
Result<std::vector<uint8_t>> ReadFile(const std::string& path);

// Loads one input file for `desc` and returns the bytes of its aligned buffer:
//  - .bin: raw np.tofile data of the valid or the aligned byte size (padded as needed);
//  - .txt: whitespace-separated numbers, valid element count, converted to the input's type.
// Any other size is an input error that names the file, the input and both accepted sizes.
Result<std::vector<uint8_t>> LoadInputFile(const std::string& path, const TensorDesc& desc);

// A deterministic random aligned buffer for `desc`: F32 uniform in [-1, 1], integer and image
// types uniform over their range; padding is zero.
std::vector<uint8_t> RandomInput(const TensorDesc& desc, uint32_t seed);

}  // namespace edgert::app

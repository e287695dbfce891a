#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/file_read.h"
#include "edgert/image.h"
#include "edgert/model.h"
#include "edgert/session.h"
#include "edgert/status.h"
#include "edgert/tensor_desc.h"

namespace edgert::app {

// Splits "a,b,c" into its non-empty parts (whitespace around parts is trimmed).
std::vector<std::string> SplitList(const std::string& s, char sep = ',');

// Loads one input file for `desc` and returns the bytes of its aligned buffer:
//  - .jpg/.jpeg/.png/.bmp: decoded, resized and converted for IMG_* inputs (LoadImageInput);
//  - .bin: raw np.tofile data of the valid or the aligned byte size (padded as needed);
//  - .txt: whitespace-separated numbers, valid element count, converted to the input's type.
// Any other size is an input error that names the file, the input and both accepted sizes; a
// file larger than the input can take, or one that is not a regular file (a directory,
// /dev/zero), is refused before it is read (ReadFile).
// `what_happened`, when given, receives a one-line account of the conversion.
Result<std::vector<uint8_t>> LoadInputFile(const std::string& path, const TensorDesc& desc,
                                           ColorRange range = ColorRange::kFull,
                                           std::string* what_happened = nullptr);

// LoadInputFile for input `i` of `model`, with the colour range its preprocessing declares.
Result<std::vector<uint8_t>> LoadModelInput(const Model& model, size_t i, const std::string& path,
                                            std::string* what_happened = nullptr);

// One aligned buffer per input of `model`, loaded with LoadModelInput from the comma list
// `input_file` (one file per input, in model input order). A file count that differs from the
// model's input count is kInvalidArgument naming the inputs; a model without inputs takes an
// empty `input_file` (its outputs are constants). `what_happened`, when given,
// receives one line per input.
Result<std::vector<std::vector<uint8_t>>> LoadInputs(
    const Model& model, const std::string& input_file,
    std::vector<std::string>* what_happened = nullptr);

// Sets every input of `session` from `inputs` (one aligned buffer per input, in order).
Status SetInputs(Session& session, const std::vector<std::vector<uint8_t>>& inputs);

// A deterministic random aligned buffer for `desc`: F32 uniform in [-1, 1], integer and image
// types uniform over their range; padding is zero.
std::vector<uint8_t> RandomInput(const TensorDesc& desc, uint32_t seed);

}  // namespace edgert::app

#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "edgert/model_writer.h"
#include "edgert/status.h"

namespace edgert::compiler {

// One entry of `input_parameters` (Horizon conversion-config keys). Empty strings mean "derive
// from the ONNX model" as noted per field.
struct InputConfig {
  std::string name;            // empty: the graph input at this position
  std::vector<int64_t> shape;  // empty: the ONNX shape (which must then be static)
  std::string input_type_rt = "featuremap";
  std::string input_type_train = "featuremap";
  std::string input_layout_rt;     // "" = same as input_layout_train
  std::string input_layout_train;  // "" = NCHW for 4-D inputs, else NONE
  std::string input_space_and_range = "regular";
  std::string norm_type = "no_preprocess";
  std::vector<float> mean_value;
  std::vector<float> scale_value;
};

// A parsed conversion config (model.yaml). Paths are as written in the file; LoadConfig resolves
// relative ones against the YAML file's directory.
struct CompileConfig {
  // model_parameters
  std::string onnx_model;
  std::string output_model_file_prefix = "model";
  std::string working_dir = ".";
  // input_parameters, one entry per model input (empty: every input with its defaults)
  std::vector<InputConfig> inputs;
  // compiler_parameters: every row (innermost stored dimension) of model inputs and outputs is
  // padded to a multiple of this many bytes; 1..4096, 1 disables padding.
  int row_align_bytes = 16;
  // calibration_parameters, kept verbatim (key -> scalar text); read by calibrate.cc.
  std::map<std::string, std::string> calibration_parameters;
  // Accepted-but-ignored keys and other non-fatal remarks, one message each.
  std::vector<std::string> warnings;
  // The YAML text the config came from (written into the .bin as compile_config).
  std::string yaml_text;
};

// Parses a conversion config. `label` names the text in messages (usually the file name).
// Unknown keys and bad values are kInvalidArgument errors naming the key, the label and the
// allowed values.
Result<CompileConfig> ParseConfig(const std::string& yaml_text, const std::string& label);

// Reads and parses `path`; relative onnx_model / working_dir are resolved against its directory.
Result<CompileConfig> LoadConfig(const std::string& path);

// Compiles an ONNX file into a ModelDef (name = output_model_file_prefix). With no input entries
// in the config, every graph input is a featuremap with its ONNX shape (NCHW for 4-D inputs,
// NONE otherwise). Non-fatal remarks (shapes that differ from ONNX shape inference) are logged.
Result<ModelDef> CompileOnnxFile(const std::string& onnx_path, const CompileConfig& config);

// The same on ONNX bytes in memory; `label` names them in messages. Used by tests.
Result<ModelDef> CompileOnnxBytes(const std::string& bytes, const std::string& label,
                                  const CompileConfig& config);

// Hex sha256 of a byte string (OpenSSL EVP).
std::string Sha256Hex(const std::string& bytes);

// The model_compiler tool: `model_compiler --config model.yaml [--model m.onnx] [--output m.bin]`.
// Returns 0 ok, 1 failure, 2 usage.
int RunModelCompiler(int argc, char** argv);

}  // namespace edgert::compiler

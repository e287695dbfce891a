#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "edgert/status.h"
#include "edgert/tensor_desc.h"

namespace edgert {

// The version of this runtime; also written into every .bin as the producer version.
const char* Version();

// One node of a compiled graph, for reports (model_info, profiles, intermediate dumps).
struct NodeInfo {
  std::string name;
  std::string op_type;      // IR op, e.g. "Conv2D"
  std::string precision;    // "float" or "int8"
  std::string source_op;    // the ONNX op(s) it came from, e.g. "Conv+BatchNormalization+Relu"
  std::vector<int> inputs;  // graph tensor indices (-1: absent optional input)
  std::vector<int> outputs;
};

// One graph tensor, for reports.
struct TensorInfo {
  std::string name;
  TensorType dtype = TensorType::kF32;  // a featuremap type
  std::vector<int64_t> shape;           // NHWC for 4-D activations
  Quantization quant;
  bool constant = false;
};

// Counts for model_info's graph summary. MACs count multiply-accumulates of conv, deconv and
// fully connected nodes, the usual convention.
struct GraphSummary {
  int64_t node_count = 0;
  int64_t tensor_count = 0;
  int64_t param_count = 0;  // elements of constant tensors
  int64_t param_bytes = 0;
  int64_t macs = 0;
  std::map<std::string, int64_t> op_counts;
};

// The preprocessing compiled into the front of a model for one input (HzPreprocess).
struct PreprocessInfo {
  std::string input_type_rt;
  std::string input_type_train;
  std::string input_layout_rt;
  std::string input_layout_train;
  std::string input_space_and_range;
  std::string norm_type;
  std::vector<float> mean_value;
  std::vector<float> scale_value;
  bool empty() const { return input_type_rt.empty(); }
};

namespace internal {
struct ModelAccess;  // the runtime's own way in (runtime/src/model_impl.h)
}  // namespace internal

// One model of a .bin file: immutable after load and safe to share between threads. It keeps
// the file mapped while any Model or Session refers to it. ModelFile::GetModel makes them.
class Model {
 public:
  const std::string& name() const;
  const std::string& producer_version() const;
  const std::string& source_sha256() const;
  const std::string& compile_config() const;

  size_t input_count() const { return inputs().size(); }
  size_t output_count() const { return outputs().size(); }
  const std::vector<TensorDesc>& inputs() const;
  const std::vector<TensorDesc>& outputs() const;
  // Preprocessing per input, parallel to inputs(); empty() where none.
  const std::vector<PreprocessInfo>& preprocess() const;

  const std::vector<NodeInfo>& nodes() const;
  const std::vector<TensorInfo>& tensors() const;
  const GraphSummary& summary() const;

 private:
  friend struct internal::ModelAccess;
  struct Impl;
  explicit Model(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// A loaded .bin file, which may pack several models.
// Wall time of one start-up phase in ms (ModelFile::load_phases, Session::setup_phases).
struct PhaseTiming {
  std::string phase;
  double ms = 0;
};

// How ModelFile::Open reads a file.
struct OpenOptions {
  // Opt-in start-up cache folder (README "Start-up cache"): once a file's checksum has passed, a
  // stamp of the file's identity (device, inode, size, modification and change times) is kept
  // here, and later opens of the unchanged file skip the checksum pass (phase
  // "checksum_stamp"). Any write to the file changes its change time, so it is checked again.
  // "" = always checksum.
  std::string cache_dir;
};

class ModelFile {
 public:
  // Maps `path`, checks the header, checksum and payload (FlatBuffers Verifier plus index and
  // range checks) and returns the file. Errors name the file and the fault.
  static Result<std::shared_ptr<const ModelFile>> Open(const std::string& path,
                                                       const OpenOptions& options = {});
  // Same checks on bytes in memory (copied); `label` names them in errors.
  static Result<std::shared_ptr<const ModelFile>> FromBytes(const void* data, size_t size,
                                                            const std::string& label);

  const std::string& path() const;
  const std::string& producer() const;
  const std::vector<std::string>& model_names() const;
  // Where Open/FromBytes spent its time, in order: "map" (open and mmap, or the copy),
  // "checksum" (or "checksum_stamp" where a stamp stood in for it), "verify" (FlatBuffers
  // Verifier) and "parse" (models, tensors, index checks).
  const std::vector<PhaseTiming>& load_phases() const;
  // The model called `name`; an empty name selects the only model of a single-model file.
  Result<std::shared_ptr<const Model>> GetModel(const std::string& name = "") const;

 private:
  friend struct internal::ModelAccess;
  struct Impl;
  explicit ModelFile(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace edgert

#pragma once

#include <memory>
#include <string>
#include <vector>

#include "edgert/model.h"
#include "model_generated.h"

namespace edgert {

// The bytes of a loaded file: a read-only mapping or an owned copy.
class MappedFile {
 public:
  virtual ~MappedFile() = default;
  virtual const uint8_t* data() const = 0;
  virtual size_t size() const = 0;
};

struct Model::Impl {
  std::shared_ptr<const MappedFile> file;  // keeps fb and data alive
  const fb::Model* fb = nullptr;
  const uint8_t* data_section = nullptr;  // 64-byte aligned when mapped
  size_t data_size = 0;
  uint64_t file_checksum = 0;  // the file header's payload checksum: keys the start-up cache

  std::string name, producer_version, source_sha256, compile_config;
  std::vector<TensorDesc> inputs, outputs;
  std::vector<PreprocessInfo> preprocess;
  std::vector<NodeInfo> nodes;
  std::vector<TensorInfo> tensors;
  GraphSummary summary;

  // The bytes of constant tensor `t`, or nullptr for an activation.
  const uint8_t* ConstData(int t) const;
};

namespace internal {

// The runtime's only way to the internals behind the public Model and ModelFile (which befriend
// it): users of the public headers cannot name their Impl types.
struct ModelAccess {
  using ModelImpl = Model::Impl;
  using ModelFileImpl = ModelFile::Impl;  // complete in model_file.cc only
  static const ModelImpl& Of(const Model& m) { return *m.impl_; }
  static std::shared_ptr<const Model> MakeModel(std::shared_ptr<const ModelImpl> impl) {
    return std::shared_ptr<const Model>(new Model(std::move(impl)));
  }
  static std::shared_ptr<const ModelFile> MakeFile(std::shared_ptr<ModelFileImpl> impl) {
    return std::shared_ptr<const ModelFile>(new ModelFile(std::move(impl)));
  }
};

}  // namespace internal

using ModelImpl = internal::ModelAccess::ModelImpl;

// Converts between the schema's enums and the API's.
TensorType FromFb(fb::TensorType t);
fb::TensorType ToFb(TensorType t);
// Graph tensors use the featuremap subset; fails for image types.
bool DTypeFromTensorType(TensorType t, fb::DType* out);
TensorType TensorTypeFromDType(fb::DType d);

}  // namespace edgert

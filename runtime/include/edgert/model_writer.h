#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "edgert/model.h"
#include "edgert/status.h"
#include "edgert/tensor_desc.h"

namespace edgert {

// Plain descriptions of a model for the writer. The compiler and the tests build these.

// A node attribute; `kind` says which field holds the value.
struct AttrDef {
  enum Kind { kInt, kFloat, kString, kInts, kFloats };
  std::string name;
  Kind kind = kInt;
  int64_t i = 0;
  float f = 0.f;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;

  static AttrDef Int(std::string n, int64_t v);
  static AttrDef Float(std::string n, float v);
  static AttrDef String(std::string n, std::string v);
  static AttrDef Ints(std::string n, std::vector<int64_t> v);
  static AttrDef Floats(std::string n, std::vector<float> v);
};

// A graph tensor. Non-empty `data` makes it a constant of exactly
// element_count * ElementSize(dtype) bytes.
struct TensorDef {
  std::string name;
  TensorType dtype = TensorType::kF32;  // a featuremap type
  std::vector<int64_t> shape;
  Quantization quant;
  std::vector<uint8_t> data;
  // Compiler bookkeeping, never written to the .bin: the ONNX value this tensor holds ("" for
  // tensors the compiler introduced), so that int8 parameters given per ONNX value find it.
  std::string source = {};  // (an initializer keeps aggregate initialization warning-free)
};

struct NodeDef {
  std::string name;
  std::string op;  // an IR op name from runtime/schema/model.fbs OpType, e.g. "Conv2D"
  bool int8 = false;
  std::vector<int> inputs;
  std::vector<int> outputs;
  std::vector<AttrDef> attrs;
  std::string source_op;
};

// A model input or output: its user-facing description and the graph tensor holding it.
struct IoDef {
  TensorDesc desc;
  int tensor = -1;
  PreprocessInfo preprocess;  // inputs only
};

struct ModelDef {
  std::string name;
  std::string producer_version = Version();
  std::string source_sha256;
  std::string compile_config;
  std::vector<IoDef> inputs;
  std::vector<IoDef> outputs;
  std::vector<TensorDef> tensors;
  std::vector<NodeDef> nodes;  // in execution order
};

// Serializes models into the bytes of a .bin file (header, payload, 64-byte aligned data).
Result<std::vector<uint8_t>> SerializeModelFile(const std::vector<ModelDef>& models);

// Writes a .bin file atomically: to a temporary name next to `path`, then renamed, so a failed
// write never leaves a half-written model.
Status WriteModelFile(const std::string& path, const std::vector<ModelDef>& models);

}  // namespace edgert

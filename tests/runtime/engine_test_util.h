#pragma once

// Helpers for the engine suites: tiny models built with the writer API, and naive references.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edgert/model.h"
#include "edgert/model_writer.h"
#include "edgert/session.h"

namespace edgert::test {

// One input of a single-op model: a model input (fed at run time) or a constant.
struct OpInput {
  std::vector<int64_t> shape;
  std::vector<float> data;
  bool constant = false;
  bool absent = false;  // an optional input written as -1
};

inline OpInput Var(std::vector<int64_t> shape, std::vector<float> data) {
  return {std::move(shape), std::move(data), false, false};
}
inline OpInput Const(std::vector<int64_t> shape, std::vector<float> data) {
  return {std::move(shape), std::move(data), true, false};
}
inline OpInput Absent() { return {{}, {}, false, true}; }

// Little builder over ModelDef. Model inputs/outputs are F32 featuremaps with layout NONE
// (rows padded to 16 bytes), adapted with InputAdapter/OutputAdapter.
class GraphBuilder {
 public:
  explicit GraphBuilder(std::string name = "t");
  // A model input: returns the dense graph tensor produced by its InputAdapter.
  int Input(const std::string& name, const std::vector<int64_t>& shape);
  int Const(const std::string& name, const std::vector<int64_t>& shape,
            const std::vector<float>& data);
  int Tensor(const std::string& name, const std::vector<int64_t>& shape);
  void Node(const std::string& op, std::vector<int> inputs, std::vector<int> outputs,
            std::vector<AttrDef> attrs = {});
  // Makes dense tensor `t` model output `name` through an OutputAdapter.
  void Output(const std::string& name, int t);
  ModelDef& def() { return def_; }

 private:
  ModelDef def_;
};

// Serializes and loads `def` (SerializeModelFile + ModelFile::FromBytes).
std::shared_ptr<const Model> Load(const ModelDef& def);

// Runs a one-node model; returns every output dense in its shape. Fails the test on error.
std::vector<std::vector<float>> RunOp(const std::string& op, const std::vector<OpInput>& inputs,
                                      const std::vector<std::vector<int64_t>>& out_shapes,
                                      std::vector<AttrDef> attrs = {},
                                      const SessionOptions& options = {});
// Same, but returns the Status of session creation or run (for error tests).
Status TryRunOp(const std::string& op, const std::vector<OpInput>& inputs,
                const std::vector<std::vector<int64_t>>& out_shapes, std::vector<AttrDef> attrs,
                std::vector<std::vector<float>>* outputs, const SessionOptions& options = {});

std::vector<float> RandomFloats(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f);
int64_t Count(const std::vector<int64_t>& shape);

// Element-wise comparison with |got - want| <= atol + rtol * |want|; reports the first misses.
void ExpectClose(const std::vector<float>& got, const std::vector<double>& want, double atol = 1e-4,
                 double rtol = 1e-4);
void ExpectClose(const std::vector<float>& got, const std::vector<float>& want, double atol = 1e-4,
                 double rtol = 1e-4);

}  // namespace edgert::test

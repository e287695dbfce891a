#pragma once

// Float IR -> int8 IR (runtime/schema/IR.md "Int8"), and the calibration that chooses the
// activation ranges with edgert's own f32 engine.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "compiler.h"
#include "edgert/model_writer.h"
#include "edgert/status.h"

namespace onnx {
class GraphProto;
}  // namespace onnx

namespace edgert::compiler {

// The real range [min, max] an activation tensor is quantized to (widened to include 0).
struct TensorRange {
  float min = 0.f;
  float max = 0.f;
};

struct QuantizeOptions {
  bool per_channel = true;  // per-output-channel weight scales (else one per tensor)
  // The largest quantized weight magnitude: 127, or 64 with reduce_range (7-bit weights, which
  // x86 CPUs without VNNI multiply exactly on oneDNN; see runtime dnnl_kernels.cc).
  int weight_qmax = 127;
  std::set<std::string> run_on_cpu;  // IR node names kept f32
  // When non-empty, only these IR node names become int8 (single-layer reports).
  std::set<std::string> only;
  // Fixed parameters (QDQ import): activations by ONNX value name (matched against
  // TensorDef::source), weight scales by IR node name. They win over `ranges`.
  std::map<std::string, Quantization> activations;
  std::map<std::string, Quantization> weights;
};

// The parameters a QDQ model carries, by ONNX name (see qdq_import.cc).
struct QdqParams {
  std::map<std::string, Quantization> activations;  // s8 (u8 shifted by 128)
  std::map<std::string, Quantization> weights;      // by Conv/Gemm node name
};

// Folds Constant, Identity, Cast, ConstantOfShape, Shape, Squeeze and Unsqueeze nodes whose
// inputs are all initializers into initializers, to a fixed point (qdq_import.cc).
Status FoldConstantChains(onnx::GraphProto* g);

// Removes the QuantizeLinear/DequantizeLinear nodes of `onnx_bytes` in place (constants folded
// to float), recording their parameters. Returns false (bytes untouched) for a float model.
Result<bool> StripQdq(std::string* onnx_bytes, QdqParams* params);

// CompileOnnxFile, except that a QDQ model compiles into int8 with its own parameters
// (*was_qdq set; run_on_cpu honoured; float_nodes lists the nodes left f32).
Result<ModelDef> CompileOnnxFileQdqAware(const std::string& path, const CompileConfig& config,
                                         bool* was_qdq, std::vector<std::string>* float_nodes);

// Rewrites the float model `f` into int8: every node whose op has an int8 kernel, whose
// activations all have a range and that is not in run_on_cpu becomes an Int8 node with S8
// activations (per-tensor asymmetric from `ranges`, keyed by tensor index), symmetric S8
// weights and S32 bias. Quantize/Dequantize nodes are inserted at every f32/int8 boundary.
// Tensor indices of `f` keep their meaning (new tensors are appended). `float_nodes` receives
// the names of compute nodes left f32.
ModelDef QuantizeModelDef(const ModelDef& f, const std::map<int, TensorRange>& ranges,
                          const QuantizeOptions& options, std::vector<std::string>* float_nodes);

// One row of the per-layer report.
struct LayerReport {
  std::string node, op;
  double single_cosine = 1.0;      // only this node int8, fed float inputs
  double cumulative_cosine = 1.0;  // everything upstream int8 as well
};

struct CalibrationResult {
  ModelDef model;      // the int8 model
  std::string method;  // the calibration method that was kept: max, percentile or kl
  std::map<std::string, double> output_cosine;  // per method tried: final-output cosine
  std::vector<std::string> float_nodes;
  std::vector<LayerReport> layers;  // worst cumulative cosine first
};

// Calibrates float model `f` on the config's calibration_parameters (cal_data_dir of np.tofile
// samples of the single input, in its ONNX layout) and returns the int8 model. `report` adds
// the per-layer single and cumulative cosines (one extra model per node).
Result<CalibrationResult> CalibrateAndQuantize(const ModelDef& f, const CompileConfig& config,
                                               bool report);

// Writes `out_path`: the ONNX model at `onnx_path` with the int8 model `m`'s parameters as
// QuantizeLinear/DequantizeLinear (standard QDQ, int8), for ONNX Runtime (qdq_export.cc).
Status WriteQdqOnnx(const std::string& onnx_path, const ModelDef& m, const std::string& out_path);

// Writes `<prefix>_quant_report.txt`, `.json` and `.html` (bar charts) next to the model.
Status WriteQuantReport(const CalibrationResult& r, const std::string& prefix);

}  // namespace edgert::compiler

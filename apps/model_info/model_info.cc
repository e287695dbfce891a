#include "model_info/model_info.h"

#include <spdlog/spdlog.h>

#include <iomanip>
#include <nlohmann/json.hpp>

#include "common/open_model.h"
#include "common/report.h"
#include "edgert/model.h"

namespace edgert::app {
namespace {

constexpr const char* kTool = "model_info";

Status Validate(const ModelInfoParams& p) {
  if (p.model.model_file.empty()) return InvalidArgument("--model_file is required");
  return Status::Ok();
}

void PrintModelText(std::ostream& os, const Model& m, bool show_nodes) {
  os << "Model name: " << m.name() << "\n"
     << "Producer: edgert " << m.producer_version() << "\n";
  if (!m.source_sha256().empty()) os << "Source model sha256: " << m.source_sha256() << "\n";
  os << "Input count: " << m.input_count() << "\n";
  for (size_t i = 0; i < m.input_count(); ++i) {
    os << "input[" << i << "]:\n";
    PrintTensorDesc(os, m.inputs()[i], &m.preprocess()[i]);
  }
  os << "Output count: " << m.output_count() << "\n";
  for (size_t i = 0; i < m.output_count(); ++i) {
    os << "output[" << i << "]:\n";
    PrintTensorDesc(os, m.outputs()[i], nullptr);
  }
  const GraphSummary& s = m.summary();
  os << "Graph summary:\n"
     << "  nodes: " << s.node_count << "\n"
     << "  tensors: " << s.tensor_count << "\n"
     << "  parameters: " << s.param_count << " (" << s.param_bytes << " bytes)\n"
     << "  MACs: " << s.macs << "\n"
     << "  ops:";
  for (const auto& [op, n] : s.op_counts) os << " " << op << "=" << n;
  os << "\n";
  int64_t int8_nodes = 0;
  for (const NodeInfo& n : m.nodes()) int8_nodes += n.precision == "int8";
  os << "  precision: " << int8_nodes << " int8 node(s), " << (s.node_count - int8_nodes)
     << " float node(s)\n";
  if (show_nodes) {
    os << "Nodes:\n";
    for (size_t i = 0; i < m.nodes().size(); ++i) {
      const NodeInfo& n = m.nodes()[i];
      os << "  [" << i << "] " << n.name << "  " << n.op_type << "  " << n.precision;
      if (!n.source_op.empty()) os << "  (from " << n.source_op << ")";
      os << "\n";
    }
  }
}

nlohmann::json ModelJson(const Model& m) {
  nlohmann::json j;
  j["name"] = m.name();
  j["producer_version"] = m.producer_version();
  j["source_sha256"] = m.source_sha256();
  j["inputs"] = nlohmann::json::array();
  for (size_t i = 0; i < m.input_count(); ++i)
    j["inputs"].push_back(TensorDescJson(m.inputs()[i], &m.preprocess()[i]));
  j["outputs"] = nlohmann::json::array();
  for (const auto& d : m.outputs()) j["outputs"].push_back(TensorDescJson(d, nullptr));
  const GraphSummary& s = m.summary();
  j["graph"] = {{"node_count", s.node_count},
                {"tensor_count", s.tensor_count},
                {"param_count", s.param_count},
                {"param_bytes", s.param_bytes},
                {"macs", s.macs},
                {"op_counts", s.op_counts}};
  j["nodes"] = nlohmann::json::array();
  for (const NodeInfo& n : m.nodes())
    j["nodes"].push_back({{"name", n.name},
                          {"op_type", n.op_type},
                          {"precision", n.precision},
                          {"source_op", n.source_op}});
  return j;
}

// Prints the model(s) that `p` selects (settings already validated).
int ModelInfo(const ModelInfoParams& p, std::ostream& out) {
  auto opened = OpenModel(p.model, /*every_model_if_unnamed=*/true);
  if (!opened.ok()) {
    spdlog::error("{}", opened.status().ToString());
    return ExitCodeFor(opened.status());
  }
  const ModelFile& file = *opened->file;
  const std::vector<std::shared_ptr<const Model>>& models = opened->models;
  const double load_ms = opened->load_ms;

  if (p.json) {
    nlohmann::json j;
    j["model_file"] = p.model.model_file;
    j["load_time_ms"] = load_ms;
    j["model_names"] = file.model_names();
    j["engine"] = EngineJson(GetEngineInfo());
    j["models"] = nlohmann::json::array();
    for (const auto& m : models) j["models"].push_back(ModelJson(*m));
    out << JsonText(j) << "\n";
    return kExitOk;
  }
  out << "Load model to DDR cost " << std::fixed << std::setprecision(3) << load_ms << " ms.\n";
  out << "Engine on this machine: " << EngineText(GetEngineInfo()) << "\n";
  out.unsetf(std::ios::fixed);
  out << std::setprecision(6);
  out << "This model file has " << file.model_names().size() << " model(s):\n";
  for (const auto& n : file.model_names()) out << "[" << n << "]";
  out << "\n";
  for (const auto& m : models) {
    out << "---------------------------------------------------------------------\n";
    PrintModelText(out, *m, p.show_nodes);
  }
  return kExitOk;
}

}  // namespace

int RunModelInfo(int argc, char** argv, std::ostream& out) {
  ModelInfoParams p;
  po::options_description report_opts("Report");
  report_opts.add_options()("json", po::bool_switch(&p.json),
                            "print JSON on stdout instead of text")(
      "show_nodes", po::bool_switch(&p.show_nodes),
      "also list every node with its op and precision (float or int8)");
  const ToolInfo info{kTool, "--model_file model.bin [options]", "", &p.model};
  ToolSteps steps;
  steps.validate = [&](const po::variables_map&) { return Validate(p); };
  steps.log_settings = [&] {
    spdlog::info("model_file: {}, model_name: {}, json: {}", p.model.model_file,
                 p.model.model_name.empty() ? "(all)" : p.model.model_name, p.json);
  };
  steps.work = [&] { return ModelInfo(p, out); };
  return RunTool(argc, argv, info, report_opts, steps);
}

}  // namespace edgert::app

// The model_compiler command line: parse, validate, print the settings, compile, write.

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>

#include "common/cli.h"
#include "model_compiler/compiler.h"
#include "model_compiler/lower/op_table.h"
#include "model_compiler/quantize.h"

namespace edgert::compiler {

std::string Sha256Hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) return "";
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (unsigned int i = 0; i < len; ++i) {
    s += kHex[md[i] >> 4];
    s += kHex[md[i] & 15];
  }
  return s;
}

namespace {

constexpr const char* kTool = "model_compiler";

struct ModelCompilerParams {
  std::string config;     // --config: the conversion YAML
  std::string model;      // --model: overrides model_parameters.onnx_model
  std::string output;     // --output: default <working_dir>/<output_model_file_prefix>.bin
  bool list_ops = false;  // --list_ops: print the supported ONNX ops and exit
  bool json = false;      // --json: --list_ops as JSON
  bool markdown = false;  // --markdown: --list_ops as the README's Markdown table
};

Status Validate(const ModelCompilerParams& p) {
  if ((p.json || p.markdown) && !p.list_ops)
    return InvalidArgument("--json and --markdown go with --list_ops");
  if (p.json && p.markdown) return InvalidArgument("give one of --json and --markdown");
  if (p.list_ops) return Status::Ok();
  if (p.config.empty() && p.model.empty())
    return InvalidArgument("give --config model.yaml, or --model m.onnx (then --output)");
  return Status::Ok();
}

// Loads the config, prints the settings, compiles (and calibrates), writes the .bin.
int Compile(const ModelCompilerParams& p);

}  // namespace

int RunModelCompiler(int argc, char** argv) {
  ModelCompilerParams p;
  namespace po = app::po;
  po::options_description io("Input and output");
  io.add_options()("config", po::value(&p.config)->value_name("YAML"),
                   "conversion config in the Horizon style (model_parameters, input_parameters, "
                   "calibration_parameters, compiler_parameters); see "
                   "samples/configs/featuremap_example.yaml. Optional with --model: then every "
                   "input is an F32 featuremap with its ONNX shape")(
      "model", po::value(&p.model)->value_name("ONNX"),
      "ONNX model; overrides model_parameters.onnx_model. Without --config the model is named "
      "after this file")("output", po::value(&p.output)->value_name("BIN"),
                         "compiled model file, written atomically; default "
                         "<working_dir>/<output_model_file_prefix>.bin. An int8 compile also "
                         "writes <prefix>_quant_report.{txt,json,html} (per-layer cosines; the "
                         "HTML as bar charts, worst first) and <prefix>_quantized_model.onnx "
                         "next to it");
  po::options_description list("Supported ops");
  list.add_options()("list_ops", po::bool_switch(&p.list_ops),
                     "print every supported ONNX op (domain ai.onnx) with the model opsets it "
                     "handles, whether it runs in the engine or is folded on constants, the inputs "
                     "that must be constants and its constraints, then exit")(
      "json", po::bool_switch(&p.json), "with --list_ops: as JSON")(
      "markdown", po::bool_switch(&p.markdown),
      "with --list_ops: as the Markdown table in README.md");
  po::options_description all;
  all.add(io).add(list);
  const app::ToolInfo info{kTool,
                           "--config model.yaml [--model m.onnx] [--output model.bin]\n"
                           "       model_compiler --model m.onnx --output m.bin\n"
                           "       model_compiler --list_ops [--json | --markdown]\n"
                           "Compiles a float ONNX model into an edgert .bin. Exit codes: 0 ok, "
                           "1 compile or I/O failure, 2 usage or config error.",
                           ""};
  app::ToolSteps steps;
  steps.validate = [&](const po::variables_map&) { return Validate(p); };
  // The settings are printed by Compile, once the config they come from is loaded.
  steps.work = [&] {
    if (!p.list_ops) return Compile(p);
    std::cout << FormatOpList(p.json       ? OpListFormat::kJson
                              : p.markdown ? OpListFormat::kMarkdown
                                           : OpListFormat::kText);
    return app::kExitOk;
  };
  return app::RunTool(argc, argv, info, all, steps);
}

namespace {

int Compile(const ModelCompilerParams& p) {
  CompileConfig cfg;
  if (!p.config.empty()) {
    auto loaded = LoadConfig(p.config);
    if (!loaded.ok()) {
      spdlog::error("{}", loaded.status().ToString());
      return app::ExitCodeFor(loaded.status());
    }
    cfg = std::move(*loaded);
  } else {
    cfg.output_model_file_prefix = std::filesystem::path(p.model).stem().string();
  }
  if (!p.model.empty()) cfg.onnx_model = p.model;
  if (cfg.onnx_model.empty()) {
    std::cerr << kTool << ": no ONNX model: set model_parameters.onnx_model in " << p.config
              << " or pass --model\n";
    return app::kExitUsage;
  }
  std::string output = p.output;
  if (output.empty())
    output =
        (std::filesystem::path(cfg.working_dir) / (cfg.output_model_file_prefix + ".bin")).string();
  for (const std::string& w : cfg.warnings) spdlog::warn("{}", w);

  spdlog::info("=== Compile settings ===");
  spdlog::info("config: {}", p.config.empty() ? "(none, defaults)" : p.config);
  spdlog::info("onnx_model: {}", cfg.onnx_model);
  spdlog::info("output: {} (model name '{}')", output, cfg.output_model_file_prefix);
  spdlog::info("row_align_bytes: {}", cfg.row_align_bytes);
  for (size_t i = 0; i < cfg.inputs.size(); ++i) {
    const InputConfig& in = cfg.inputs[i];
    std::string shape;
    for (int64_t d : in.shape) shape += (shape.empty() ? "" : "x") + std::to_string(d);
    spdlog::info(
        "input[{}]: name '{}', shape {}, type_rt {}, type_train {}, layout_rt {}, "
        "layout_train {}, norm_type {}",
        i, in.name.empty() ? "(by position)" : in.name, shape.empty() ? "(onnx)" : shape,
        in.input_type_rt, in.input_type_train,
        in.input_layout_rt.empty() ? "(train)" : in.input_layout_rt,
        in.input_layout_train.empty() ? "(default)" : in.input_layout_train, in.norm_type);
  }
  const bool int8 = cfg.calibration_parameters.count("cal_data_dir") > 0;
  if (!cfg.calibration_parameters.empty() && !int8)
    spdlog::warn("calibration_parameters without cal_data_dir: the compiler emits a float model");

  // The output folder (working_dir) is made first: the int8 reports are written before the .bin.
  const auto parent = std::filesystem::path(output).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::create_directories(parent, ec) && ec) {
    spdlog::error("file error: cannot create the output folder '{}': {}", parent.string(),
                  ec.message());
    return app::kExitFailure;
  }
  const auto t0 = std::chrono::steady_clock::now();
  bool qdq = false;
  std::vector<std::string> qdq_float;
  auto model = CompileOnnxFileQdqAware(cfg.onnx_model, cfg, &qdq, &qdq_float);
  if (!model.ok()) {
    spdlog::error("{}", model.status().ToString());
    return app::ExitCodeFor(model.status());
  }
  if (qdq) {
    std::string fl;
    for (const std::string& n : qdq_float) fl += " " + n;
    spdlog::info("QDQ model: int8 with its own parameters; {} node(s) stay f32:{}",
                 qdq_float.size(), fl);
  } else if (int8) {
    auto q = CalibrateAndQuantize(*model, cfg, true);
    if (!q.ok()) {
      spdlog::error("{}", q.status().ToString());
      return app::ExitCodeFor(q.status());
    }
    std::string fl;
    for (const std::string& n : q->float_nodes) fl += " " + n;
    spdlog::info("int8 with '{}' calibration; {} node(s) stay f32:{}", q->method,
                 q->float_nodes.size(), fl);
    std::string prefix = output;
    if (prefix.size() > 4 && prefix.substr(prefix.size() - 4) == ".bin")
      prefix.resize(prefix.size() - 4);
    if (Status s = WriteQuantReport(*q, prefix); !s.ok()) {
      spdlog::error("{}", s.ToString());
      return app::kExitFailure;
    }
    spdlog::info("wrote {}_quant_report.txt/.json/.html", prefix);
    if (Status s = WriteQdqOnnx(cfg.onnx_model, q->model, prefix + "_quantized_model.onnx");
        !s.ok())
      spdlog::warn("no {}_quantized_model.onnx: {}", prefix, s.ToString());
    else
      spdlog::info("wrote {}_quantized_model.onnx", prefix);
    *model = std::move(q->model);
  }
  std::map<std::string, int> ops;
  for (const NodeDef& n : model->nodes) ++ops[n.op];
  std::string op_text;
  for (const auto& [op, count] : ops) op_text += " " + op + "=" + std::to_string(count);
  spdlog::info("compiled {} nodes, {} tensors:{}", model->nodes.size(), model->tensors.size(),
               op_text);

  if (Status s = WriteModelFile(output, {*model}); !s.ok()) {
    spdlog::error("{}", s.ToString());
    return app::kExitFailure;
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("wrote {} ({:.1f} ms)", output, ms);
  return app::kExitOk;
}

}  // namespace

}  // namespace edgert::compiler

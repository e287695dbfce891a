#include "common/cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

namespace edgert::app {

void AddModelOptions(po::options_description& desc, ModelParams& p) {
  desc.add_options()("model_file", po::value(&p.model_file)->value_name("PATH"),
                     "compiled edgert model (.bin); required")(
      "model_name", po::value(&p.model_name)->default_value(p.model_name)->value_name("NAME"),
      "model to use when the file packs several (see model_info); empty selects the only one");
}

void AddCacheOption(po::options_description& desc, ModelParams& p) {
  desc.add_options()(
      "cache_dir", po::value(&p.cache_dir)->default_value(p.cache_dir)->value_name("DIR"),
      "start-up cache folder, created if missing (opt-in; README \"Start-up cache\"): keeps a "
      "stamp of each verified model file, so an unchanged file skips its checksum pass, and "
      "the weights oneDNN reorders for this CPU, each checked against its hash before use. "
      "Rebuilt when stale or corrupt; empty: no cache");
}

void AddInputFileOption(po::options_description& desc, std::string* input_file,
                        const std::string& when_empty) {
  desc.add_options()(
      "input_file", po::value(input_file)->value_name("FILES"),
      ("comma list, one file per model input in model input order: .jpg/.jpeg/.png/.bmp for "
       "IMG_* inputs (decoded, resized to the valid HxW with INTER_LINEAR, converted to the "
       "input type), .bin (np.tofile data of the valid or the aligned byte size) or .txt "
       "(whitespace-separated numbers); " +
       when_empty)
          .c_str());
}

namespace {

int UsageError(const std::string& tool, const std::string& message) {
  std::cerr << tool << ": " << message << "\nTry '" << tool << " --help'.\n";
  return kExitUsage;
}

}  // namespace

int RunTool(int argc, char** argv, const ToolInfo& info, const po::options_description& options,
            const ToolSteps& steps) {
  InitLogging(info.name);
  po::options_description help_opts("Help");
  help_opts.add_options()("help,h", "show this help");
  po::options_description model_opts("Model");
  if (info.model) AddModelOptions(model_opts, *info.model);
  if (info.model && info.cache_option) AddCacheOption(model_opts, *info.model);
  po::options_description all;
  if (info.model) all.add(model_opts);
  all.add(options).add(help_opts);
  // Boost's default style guesses an abbreviated flag's full name (`--ato` for --atol); a
  // script that relies on that breaks when a flag is added, so every flag is spelled out.
  const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).style(style).run(), vm);
    if (vm.count("help")) {
      std::cout << "Usage: " << info.name << " " << info.usage << "\n\n"
                << all << "\n"
                << info.epilog;
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    return UsageError(info.name, e.what());
  }
  if (steps.validate) {
    if (Status s = steps.validate(vm); !s.ok()) return UsageError(info.name, s.message());
  }
  if (steps.log_settings) steps.log_settings();
  return steps.work();
}

void InitLogging(const std::string& tool) {
  auto logger = spdlog::get(tool);
  if (!logger) logger = spdlog::stderr_color_mt(tool);
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  const char* level = std::getenv("EDGERT_LOG_LEVEL");
  spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::info);
}

int ExitCodeFor(const Status& s) {
  if (s.ok()) return kExitOk;
  return s.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

}  // namespace edgert::app

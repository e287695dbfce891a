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

int ParseCommandLine(int argc, char** argv, const std::string& tool, const std::string& usage,
                     const po::options_description& all, bool* help_shown,
                     const std::string& epilog) {
  *help_shown = false;
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).run(), vm);
    if (vm.count("help")) {
      std::cout << "Usage: " << tool << " " << usage << "\n\n" << all << "\n" << epilog;
      *help_shown = true;
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << tool << ": " << e.what() << "\nTry '" << tool << " --help'.\n";
    return kExitUsage;
  }
  return kExitOk;
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

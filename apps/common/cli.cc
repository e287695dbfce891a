#include "common/cli.h"

#include <sched.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "common/inputs.h"

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
  // The safety net: every path is meant to return a Status, but an exception that still escapes
  // (a bug) ends the tool with exit 1 and its message instead of std::terminate's abort.
  try {
    if (steps.validate) {
      if (Status s = steps.validate(vm); !s.ok()) return UsageError(info.name, s.message());
    }
    if (steps.log_settings) steps.log_settings();
    return steps.work();
  } catch (const std::exception& e) {
    std::cerr << info.name << ": internal error (please report it): " << e.what() << "\n";
  } catch (...) {
    std::cerr << info.name << ": internal error (please report it): unknown exception\n";
  }
  return kExitFailure;
}

void InitLogging(const std::string& tool) {
  auto logger = spdlog::get(tool);
  if (!logger) logger = spdlog::stderr_color_mt(tool);
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  const char* level = std::getenv("EDGERT_LOG_LEVEL");
  spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::info);
}

int OnlineCpus() {
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : static_cast<int>(n);
}

Status CheckThreadCount(const std::string& flag, int64_t n) {
  const int cpus = OnlineCpus();
  const int64_t max = int64_t{4} * cpus;
  if (n < 1 || n > max)
    return InvalidArgument(flag + " must be in 1.." + std::to_string(max) + " (at most 4 x the " +
                           std::to_string(cpus) + " online CPUs), got " + std::to_string(n));
  return Status::Ok();
}

Result<std::vector<int>> ParseCpuList(const std::string& flag, const std::string& text) {
  cpu_set_t set;
  CPU_ZERO(&set);
  const bool known = ::sched_getaffinity(0, sizeof(set), &set) == 0;
  std::string allowed;
  for (int c = 0; known && c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &set)) continue;
    int last = c;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    allowed += (allowed.empty() ? "" : ",") + std::to_string(c) +
               (last > c ? "-" + std::to_string(last) : "");
    c = last;
  }
  std::vector<int> cpus;
  for (const std::string& item : SplitList(text)) {
    if (item.empty() || item.size() > 9 ||
        item.find_first_not_of("0123456789") != std::string::npos)
      return InvalidArgument(flag + " takes a comma list of CPU numbers, got '" + item + "' in '" +
                             text + "'");
    const int c = std::stoi(item);  // at most 9 digits: fits
    if (known && (c >= CPU_SETSIZE || !CPU_ISSET(c, &set)))
      return InvalidArgument(flag + ": CPU " + item +
                             " is not one this process may use (allowed: " + allowed + ")");
    cpus.push_back(c);
  }
  return cpus;
}

int ExitCodeFor(const Status& s) {
  if (s.ok()) return kExitOk;
  return s.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

}  // namespace edgert::app

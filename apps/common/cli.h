#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "edgert/status.h"

namespace edgert::app {

namespace po = boost::program_options;

// Exit codes every tool uses.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Flags shared by every tool that loads a model.
struct ModelParams {
  std::string model_file;
  std::string model_name;  // empty: the only model of the file
  std::string cache_dir;   // start-up cache folder (tools that run the model); empty: none
};

// Adds --model_file and --model_name to `desc`, writing into `p`.
void AddModelOptions(po::options_description& desc, ModelParams& p);
// Adds --cache_dir (OpenOptions::cache_dir, SessionOptions::cache_dir) for tools that run models.
void AddCacheOption(po::options_description& desc, ModelParams& p);

// Parses argv against `all` (unknown options are errors). Returns kExitOk to go on, or the exit
// code to return now: kExitOk after printing --help, kExitUsage after a usage error (printed to
// stderr with a hint to use --help). `*help_shown` tells the two kExitOk cases apart.
// `epilog` is printed after the options in --help (e.g. what each reported metric means).
int ParseCommandLine(int argc, char** argv, const std::string& tool, const std::string& usage,
                     const po::options_description& all, bool* help_shown,
                     const std::string& epilog = "");

// Sets up logging to stderr (stdout stays for results) at "info" or the EDGERT_LOG_LEVEL level.
void InitLogging(const std::string& tool);

// Maps a runtime failure to the tools' exit codes: kInvalidArgument is a usage error.
int ExitCodeFor(const Status& s);

}  // namespace edgert::app

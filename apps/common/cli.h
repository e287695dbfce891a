#pragma once

#include <boost/program_options.hpp>
#include <functional>
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

// Adds --input_file to `desc`, writing into `input_file`: its help describes the file formats
// LoadInputFile accepts, then `when_empty` (e.g. "required").
void AddInputFileOption(po::options_description& desc, std::string* input_file,
                        const std::string& when_empty);

// What --help and usage errors say about a tool.
struct ToolInfo {
  std::string name;    // the command, e.g. "perf"
  std::string usage;   // printed after "Usage: <name> "
  std::string epilog;  // printed after the options in --help (e.g. what each metric means)
  // When set, the options begin with a "Model" group (AddModelOptions) writing into it.
  ModelParams* model = nullptr;
  bool cache_option = false;  // the "Model" group also has --cache_dir (AddCacheOption)
};

// The steps of a tool after its command line is parsed, in the order they run.
struct ToolSteps {
  // Rules that span flags. `vm` tells which flags were given (vm.count) and which hold their
  // defaults (vm[name].defaulted()). A non-OK status is a usage error: its message names the
  // flag. May be empty.
  std::function<Status(const po::variables_map& vm)> validate;
  // Prints the effective settings (to the log) before any work starts. May be empty.
  std::function<void()> log_settings;
  // The tool's work; returns its exit code.
  std::function<int()> work;
};

// The skeleton every tool runs: sets up logging, parses argv against `options` (after the
// "Model" group when info.model is set, and --help), validates, prints the settings back, then
// works. A flag that is unknown or abbreviated (`--ato` for --atol) is a usage error naming it.
// Returns kExitOk after --help, kExitUsage after a usage error (printed to stderr with a hint to
// use --help), else what `work` returns. An exception escaping `validate`, `log_settings` or
// `work` is a bug (each path returns a Status): RunTool prints "<tool>: internal error ...: <what>"
// to stderr and returns kExitFailure, never aborting.
int RunTool(int argc, char** argv, const ToolInfo& info, const po::options_description& options,
            const ToolSteps& steps);

// The CPUs online (sysconf), at least 1.
int OnlineCpus();

// A thread-count flag (`flag`, e.g. "--intra_threads") must be in 1..4 x OnlineCpus(): more
// threads than that only oversubscribe the cores (and --intra_threads 1024 starts 1024 threads).
// The error names the flag, the allowed range and the value.
Status CheckThreadCount(const std::string& flag, int64_t n);

// A comma list of CPU numbers for `flag` (e.g. "--core_id 0,2"): each a decimal number of at
// most 9 digits that names a CPU this process may run on (sched_getaffinity). The error names
// the flag, the offending item and the CPUs allowed.
Result<std::vector<int>> ParseCpuList(const std::string& flag, const std::string& text);

// Sets up logging to stderr (stdout stays for results) at "info" or the EDGERT_LOG_LEVEL level.
void InitLogging(const std::string& tool);

// Maps a runtime failure to the tools' exit codes: kInvalidArgument is a usage error.
int ExitCodeFor(const Status& s);

}  // namespace edgert::app

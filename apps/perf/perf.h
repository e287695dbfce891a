#pragma once

#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "common/cli.h"

namespace edgert::app {

struct PerfInputParams {
  std::string input_file;  // comma list, one per model input; empty: random inputs
  uint32_t seed = 42;      // seed of the random inputs
};

struct PerfRunParams {
  int thread_num = 1;     // concurrent sessions, one per thread
  int intra_threads = 1;  // engine threads inside each session
  int setup_threads = 0;  // threads that set a session's kernels up (0: one per CPU, at most 8)
  int64_t frame_count = 200;
  double perf_time = 0;  // minutes (hrt_model_exec); 0: use frame_count
  double perf_time_in_seconds = 0;
  std::string warmup = "10";  // frames, or seconds with an "s" suffix ("2s")
  std::string core_id;        // comma list of CPU cores to run on; empty: any
  double perf_fps = 0;        // paced arrival rate in frames/s; 0: back to back
};

struct PerfReportParams {
  bool json = false;              // JSON report on stdout
  std::string profile_path;       // directory for per-op profile.csv / profile.json
  int64_t progress_frames = 200;  // progress line every N frames (and at most once a second)
};

struct PerfParams {
  ModelParams model;
  PerfInputParams input;
  PerfRunParams run;
  PerfReportParams report;
};

// The perf tool. Progress and logs go to stderr; the report (text or JSON) to `out`.
int RunPerf(int argc, char** argv, std::ostream& out = std::cout);

}  // namespace edgert::app

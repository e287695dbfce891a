#pragma once

#include <iostream>
#include <string>

#include "common/cli.h"

namespace edgert::app {

struct InferInputParams {
  std::string input_file;  // comma list, one per model input, in model input order
};

struct InferRunParams {
  int64_t frame_count = 1;  // runs; the dumps come from the last one
  int intra_threads = 1;
};

struct InferDumpParams {
  bool enable_dump = false;         // write every output
  std::string dump_format = "bin";  // bin | txt
  int dump_precision = 9;           // significant digits in .txt dumps
  int dump_txt_axis = 4;            // .txt line layout, see WriteFloatTxt
  int dump_intermediate =
      0;                  // 0 off; 1 raw .bin; 2 raw .bin + .txt; 3 float32 ONNX-order .bin + .txt
  bool dump_raw = false;  // also write each output's aligned buffer as stored
  bool enable_cls_post_process = false;  // print top-5 of every output
  std::string output_dir = ".";
};

struct InferParams {
  ModelParams model;
  InferInputParams input;
  InferRunParams run;
  InferDumpParams dump;
};

// The infer tool: feeds the input files, runs, dumps outputs (np.fromfile-readable float32 in
// the valid shape) and optionally every node's output. Results go to `out`, logs to stderr.
int RunInfer(int argc, char** argv, std::ostream& out = std::cout);

}  // namespace edgert::app

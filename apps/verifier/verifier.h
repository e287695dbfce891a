#pragma once

#include <iostream>
#include <string>
#include <vector>

#include "common/cli.h"
#include "verifier/metrics.h"

namespace edgert::app {

struct VerifierParams {
  ModelParams model;
  std::string input_file;                // run mode: comma list, one per model input
  std::string ref_file;                  // run mode: comma list, one per model output
  std::string ref_dir;                   // run mode: model_infer_output_<idx>_<name>.bin files
  std::vector<std::string> compare_dir;  // dump mode: two directories
  double cos_threshold = 0.999;
  // The element rule |a - ref| <= atol + rtol * |ref| always decides with the cosine. atol
  // defaults per tensor: atol_of_max * max|ref| for float outputs, one quantization step for
  // int8 outputs (run mode); --atol sets it absolutely. rtol: tol.rtol (1e-3; 0 for int8
  // outputs unless --rtol is given).
  Tolerance tol;
  double atol_of_max = 1e-3;
  bool atol_given = false;
  bool rtol_given = false;
  bool json = false;
  std::string html;  // --html: also write a self-contained HTML report (charts) to this file
};

// The verifier. Prints a table per tensor and ends with exactly one line starting "PASSED" or
// "FAILED"; returns 0 on PASSED, 1 on FAILED or a failed run, 2 on usage errors.
int RunVerifier(int argc, char** argv, std::ostream& out = std::cout);

}  // namespace edgert::app

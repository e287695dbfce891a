#pragma once

#include <iostream>

#include "common/cli.h"

namespace edgert::app {

struct ModelInfoParams {
  ModelParams model;
  bool json = false;        // print JSON instead of text
  bool show_nodes = false;  // also list every node with its op and precision
};

// The model_info tool: prints every input and output of the model(s) in a .bin file and a graph
// summary, to `out`. Returns kExitOk, kExitFailure or kExitUsage.
int RunModelInfo(int argc, char** argv, std::ostream& out = std::cout);

}  // namespace edgert::app

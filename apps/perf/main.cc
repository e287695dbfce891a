#include "perf/perf.h"

int main(int argc, char** argv) { return edgert::app::RunPerf(argc, argv); }

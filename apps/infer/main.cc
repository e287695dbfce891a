#include "infer/infer.h"

int main(int argc, char** argv) { return edgert::app::RunInfer(argc, argv); }

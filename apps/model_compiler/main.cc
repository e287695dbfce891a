#include "model_compiler/compiler.h"

int main(int argc, char** argv) { return edgert::compiler::RunModelCompiler(argc, argv); }

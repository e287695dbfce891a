#include "model_info/model_info.h"

int main(int argc, char** argv) { return edgert::app::RunModelInfo(argc, argv); }

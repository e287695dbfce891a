#include "verifier/verifier.h"

int main(int argc, char** argv) { return edgert::app::RunVerifier(argc, argv); }

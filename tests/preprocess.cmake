# The in-model preprocessing (ColorConvert, Normalize). Included from tests/CMakeLists.txt.
# Kernels against an independent C++ implementation of the README formulas (host and qemu).
edgert_add_test(preprocess_test runtime/preprocess_test.cc)

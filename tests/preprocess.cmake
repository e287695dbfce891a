# The in-model preprocessing (ColorConvert, Normalize). Included from tests/CMakeLists.txt.
# Kernels against an independent C++ implementation of the README formulas (host and qemu).
edgert_add_test(preprocess_test runtime/preprocess_test.cc)
# Host only (python and the compiler): every allowed rt -> train pair through model_compiler and
# infer on a real JPEG, against scripts/preprocess_ref.py; and an nv12 mobilenet end to end
# against ONNX Runtime.
if(EDGERT_BUILD_COMPILER AND NOT CMAKE_CROSSCOMPILING AND EXISTS /usr/bin/python3)
  add_test(NAME preprocess_pairs
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/apps/preprocess_pairs_test.py
                   $<TARGET_FILE:model_compiler> $<TARGET_FILE:infer>)
  set_tests_properties(preprocess_pairs PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
  add_test(NAME infer_nv12_end_to_end
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/apps/infer_nv12_e2e_test.py
                   $<TARGET_FILE:model_compiler> $<TARGET_FILE:infer>
                   ${EDGERT_MODELS_DIR})
  set_tests_properties(infer_nv12_end_to_end PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
endif()

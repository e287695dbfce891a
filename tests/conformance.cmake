# Conformance against references nobody here wrote: the ONNX backend node tests (host only: it
# needs the compiler) and, in wholemodel tests, ONNX Runtime outputs.
if(EDGERT_BUILD_COMPILER)
  add_executable(node_conformance conformance/node_conformance.cc conformance/onnx_tensor.cc)
  target_link_libraries(node_conformance PRIVATE model_compiler_lib edgert)
  target_compile_definitions(node_conformance PRIVATE
    EDGERT_NODE_SKIPS="${CMAKE_CURRENT_SOURCE_DIR}/conformance/node_skips.txt")
  target_link_libraries(node_conformance PRIVATE edgert_warnings)
  add_test(NAME onnx_node_conformance COMMAND node_conformance)
endif()

set(EDGERT_MODELS_DIR "${PROJECT_SOURCE_DIR}/build/models" CACHE PATH
    "Whole-model test data made by scripts/prepare_models.sh")
# Runs a prepared model and compares it with ONNX Runtime's outputs (shared by the tests below).
add_library(edgert_ort_reference STATIC conformance/ort_reference.cc)
target_include_directories(edgert_ort_reference PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/conformance)
target_link_libraries(edgert_ort_reference PUBLIC edgert_test_util PRIVATE nlohmann_json::nlohmann_json)
target_compile_definitions(edgert_ort_reference PRIVATE
  EDGERT_DEFAULT_MODELS_DIR="${EDGERT_MODELS_DIR}")
target_link_libraries(edgert_ort_reference PRIVATE edgert_warnings)
edgert_add_test(wholemodel_test conformance/wholemodel_test.cc LIBS edgert_ort_reference)
# The same for int8 models against ORT on their exported QDQ ONNX.
edgert_add_test(int8_wholemodel_test conformance/int8_wholemodel_test.cc LIBS edgert_ort_reference)
foreach(t wholemodel_test int8_wholemodel_test)
  target_compile_definitions(${t} PRIVATE $<$<BOOL:${CMAKE_CROSSCOMPILING}>:EDGERT_WHOLEMODEL_TINY_ONLY>)
endforeach()

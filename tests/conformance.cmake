# Conformance against references nobody here wrote: the ONNX backend node tests (host only: it
# needs the compiler) and, in wholemodel tests, ONNX Runtime outputs.
if(EDGERT_BUILD_COMPILER)
  add_executable(node_conformance conformance/node_conformance.cc conformance/onnx_tensor.cc)
  target_link_libraries(node_conformance PRIVATE model_compiler_lib edgert)
  target_compile_definitions(node_conformance PRIVATE
    EDGERT_NODE_SKIPS="${CMAKE_CURRENT_SOURCE_DIR}/conformance/node_skips.txt")
  target_compile_options(node_conformance PRIVATE ${EDGERT_WARNINGS})
  add_test(NAME onnx_node_conformance COMMAND node_conformance)
endif()

set(EDGERT_MODELS_DIR "${PROJECT_SOURCE_DIR}/build/models" CACHE PATH
    "Whole-model test data made by scripts/prepare_models.sh")
edgert_add_test(wholemodel_test conformance/wholemodel_test.cc LIBS nlohmann_json::nlohmann_json)
target_compile_definitions(wholemodel_test PRIVATE
  EDGERT_DEFAULT_MODELS_DIR="${EDGERT_MODELS_DIR}"
  $<$<BOOL:${CMAKE_CROSSCOMPILING}>:EDGERT_WHOLEMODEL_TINY_ONLY>)
# The same for int8 models against ORT on their exported QDQ ONNX.
edgert_add_test(int8_wholemodel_test conformance/int8_wholemodel_test.cc
                LIBS nlohmann_json::nlohmann_json)
target_compile_definitions(int8_wholemodel_test PRIVATE
  EDGERT_DEFAULT_MODELS_DIR="${EDGERT_MODELS_DIR}"
  $<$<BOOL:${CMAKE_CROSSCOMPILING}>:EDGERT_WHOLEMODEL_TINY_ONLY>)

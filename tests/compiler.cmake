# Suites for the host-only model_compiler (ONNX + YAML -> .bin).
if(EDGERT_BUILD_COMPILER)
  edgert_add_test(model_compiler_config_test apps/model_compiler_config_test.cc
                  LIBS model_compiler_lib)
  edgert_add_test(model_compiler_test apps/model_compiler_test.cc LIBS model_compiler_lib)
  # The generated sample models are looked up under the source tree's build/models.
  target_compile_definitions(model_compiler_test PRIVATE
                             EDGERT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()

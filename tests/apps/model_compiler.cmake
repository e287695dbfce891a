# Suites for the host-only model_compiler (ONNX + YAML -> .bin).
if(EDGERT_BUILD_COMPILER)
  edgert_add_test(model_compiler_config_test apps/model_compiler_config_test.cc
                  LIBS model_compiler_lib)
  edgert_add_test(model_compiler_test apps/model_compiler_test.cc LIBS model_compiler_lib)
  # Run-time integer and bool tensors: IO types, the dtype guard, Cast/compare/Where lowering.
  edgert_add_test(model_compiler_dtype_test apps/model_compiler_dtype_test.cc LIBS model_compiler_lib)
  # Image inputs and norm_type: IoDesc, ColorConvert/Normalize nodes and attributes, errors.
  edgert_add_test(model_compiler_preprocess_test apps/model_compiler_preprocess_test.cc
                  LIBS model_compiler_lib)
  # The sample config and the generated models (build/models) are found via the source tree.
  # Int8 calibration on the digits CNN (data from scripts/prepare_models.sh).
  edgert_add_test(model_compiler_int8_test apps/model_compiler_int8_test.cc LIBS model_compiler_lib)
  # White-box: which provider runs the int8 convolutions (engine::DnnlProvider).
  target_include_directories(model_compiler_int8_test PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src
                                                              ${PROJECT_BINARY_DIR}/runtime/generated)
  foreach(t model_compiler_test model_compiler_config_test model_compiler_int8_test)
    target_compile_definitions(${t} PRIVATE EDGERT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  endforeach()
endif()

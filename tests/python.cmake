# The Python module (python/): pytest on the host python3 and, in the cross build, on the arm64
# sysroot's python3 under qemu. Fixtures run the sample model writer and `infer` (through the
# emulator in the cross build) so the tests compare forward() with infer's dumps. Included from
# tests/CMakeLists.txt.
if(NOT TARGET edgert_python)
  return()
endif()
set(_pydata ${CMAKE_CURRENT_BINARY_DIR}/python_data)
file(MAKE_DIRECTORY ${_pydata})
set(_m ${EDGERT_MODELS_DIR})
add_test(NAME python_fixture_sample COMMAND write_sample_model ${_pydata}/sample.bin)
add_executable(python_write_quant_model python/write_quant_model.cc)
target_link_libraries(python_write_quant_model PRIVATE edgert)
target_link_libraries(python_write_quant_model PRIVATE edgert_warnings)
add_test(NAME python_fixture_quant COMMAND python_write_quant_model ${_pydata}/quant.bin)
# infer on the models the tests run: f32, int8, NV12 from a JPEG.
foreach(spec "f32;resnet18_tiny;${_m}/resnet18_tiny.input.bin"
             "int8;digits_int8;${_m}/digits_int8.input.bin"
             "nv12;mobilenet_v2_tiny_nv12;/usr/share/doc/opencv-doc/examples/data/baboon.jpg")
  list(GET spec 0 _dir)
  list(GET spec 1 _model)
  list(GET spec 2 _input)
  add_test(NAME python_fixture_infer_${_dir}
           COMMAND infer --model_file ${_m}/${_model}.bin --input_file ${_input} --enable_dump
                   --output_dir ${_pydata}/${_dir})
  list(APPEND _fixtures python_fixture_infer_${_dir})
endforeach()
set_tests_properties(python_fixture_sample python_fixture_quant ${_fixtures} PROPERTIES FIXTURES_SETUP edgert_python_data)

set(_env "EDGERT_MODELS_DIR=${EDGERT_MODELS_DIR}" "EDGERT_PY_DATA=${_pydata}"
         "PYTHONPATH=${EDGERT_PYTHON_DIR}" "PYTHONDONTWRITEBYTECODE=1")
set(_pytest_args -p no:cacheprovider -q -rs ${CMAKE_CURRENT_SOURCE_DIR}/python)
if(CMAKE_CROSSCOMPILING)
  # The board's python3, numpy and pytest (the sysroot's), the module built here.
  add_test(NAME python_module
           COMMAND ${CMAKE_CROSSCOMPILING_EMULATOR} ${EDGERT_PYTHON_EXECUTABLE} -m pytest
                   ${_pytest_args} -m "not native")
  set(_timeout 900)
else()
  add_test(NAME python_module COMMAND ${EDGERT_PYTHON_EXECUTABLE} -m pytest ${_pytest_args})
  set(_timeout 300)
  if(EDGERT_SANITIZE)
    # An uninstrumented interpreter loads the instrumented module: the runtimes come first.
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libasan.so
                    OUTPUT_VARIABLE _asan OUTPUT_STRIP_TRAILING_WHITESPACE)
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libubsan.so
                    OUTPUT_VARIABLE _ubsan OUTPUT_STRIP_TRAILING_WHITESPACE)
    list(APPEND _env "LD_PRELOAD=${_asan}:${_ubsan}" "ASAN_OPTIONS=detect_leaks=0")
  endif()
endif()
# RUN_SERIAL: the two-thread test measures wall time.
set_tests_properties(python_module PROPERTIES ENVIRONMENT "${_env}" TIMEOUT ${_timeout}
                     FIXTURES_REQUIRED edgert_python_data RUN_SERIAL ON)

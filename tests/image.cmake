# Image inputs: BGR24 -> input_type_rt conversion (runtime) and image files for the tools.
edgert_add_test(image_test runtime/image_test.cc)
# The test also calls libyuv directly to pin the documented formulas to the library.
target_include_directories(image_test SYSTEM PRIVATE ${LIBYUV_INCLUDE_DIR})
target_link_libraries(image_test PRIVATE ${LIBYUV_LIBRARY})

edgert_add_test(image_input_test apps/image_input_test.cc LIBS edgert_app_common)
# Bit-identity with the numpy reference: host only (the aarch64 sysroot has no python), on a real
# JPEG from Debian's opencv-doc.
set(EDGERT_REF_IMAGE /usr/share/doc/opencv-doc/examples/data/baboon.jpg)
if(NOT CMAKE_CROSSCOMPILING AND EXISTS /usr/bin/python3 AND EXISTS ${EDGERT_REF_IMAGE})
  target_compile_definitions(image_input_test PRIVATE
    EDGERT_PYTHON="/usr/bin/python3"
    EDGERT_PREPROCESS_REF="${PROJECT_SOURCE_DIR}/scripts/preprocess_ref.py"
    EDGERT_REF_IMAGE="${EDGERT_REF_IMAGE}")
endif()
# The numpy reference's rt -> train definition (host only).
if(NOT CMAKE_CROSSCOMPILING AND EXISTS /usr/bin/python3)
  add_test(NAME image_preprocess_ref_py
           COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/scripts/preprocess_ref_test.py)
endif()

# The image decoder against OpenCV's imread: the cases and imread's pixels come from the host's
# python (python3-opencv, python3-pil) in a fixture, for the host and the aarch64 (qemu) suites.
add_executable(image_decode_test apps/image_decode_test.cc)
target_link_libraries(image_decode_test PRIVATE edgert_app_common GTest::gtest_main)
target_link_libraries(image_decode_test PRIVATE edgert_warnings)
set(_cases ${CMAKE_CURRENT_BINARY_DIR}/decode_cases)
add_test(NAME image_decode_cases
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/apps/decode_cases.py ${_cases})
set_tests_properties(image_decode_cases PROPERTIES FIXTURES_SETUP decode_cases)
add_test(NAME image_decode COMMAND image_decode_test)
set_tests_properties(image_decode PROPERTIES FIXTURES_REQUIRED decode_cases
                                            ENVIRONMENT "EDGERT_DECODE_CASES=${_cases}")

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

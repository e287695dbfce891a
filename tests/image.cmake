# Image inputs: BGR24 -> input_type_rt conversion (runtime) and image files for the tools.
edgert_add_test(image_test runtime/image_test.cc)
# The test also calls libyuv directly to pin the documented formulas to the library.
target_include_directories(image_test SYSTEM PRIVATE ${LIBYUV_INCLUDE_DIR})
target_link_libraries(image_test PRIVATE ${LIBYUV_LIBRARY})

# The engine's suites (runtime/src/engine). Included from tests/CMakeLists.txt.
add_library(edgert_engine_test_util STATIC runtime/engine_test_util.cc)
target_link_libraries(edgert_engine_test_util PUBLIC edgert_test_util)
target_link_libraries(edgert_engine_test_util PRIVATE edgert_warnings)

edgert_add_test(engine_test runtime/engine_test.cc LIBS edgert_engine_test_util)
edgert_add_test(engine_ops_test runtime/engine_ops_test.cc LIBS edgert_engine_test_util)
# White-box: the arena planner and the copy plans.
edgert_add_test(engine_internals_test runtime/engine_internals_test.cc)
target_include_directories(engine_internals_test PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src)
# The op suite again with only the portable provider (tests named portable.*). Ops that only
# XNNPACK runs are filtered out.
add_executable(engine_ops_portable_test runtime/engine_ops_test.cc)
target_link_libraries(engine_ops_portable_test PRIVATE edgert_engine_test_util GTest::gtest_main
                                                       flatbuffers::flatbuffers)
target_link_libraries(engine_ops_portable_test PRIVATE edgert_warnings)
target_compile_definitions(engine_ops_portable_test PRIVATE EDGERT_PORTABLE_ONLY)
target_include_directories(engine_ops_portable_test PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src
                                                            ${PROJECT_BINARY_DIR}/runtime/generated)
gtest_discover_tests(engine_ops_portable_test DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 120
                     TEST_PREFIX "portable." TEST_FILTER "-Conv2DTest.*:ConvTranspose2DTest.*:FullyConnectedTest.*"
                     PROPERTIES ENVIRONMENT "EDGERT_TEST_TMP=${CMAKE_CURRENT_BINARY_DIR}/tmp")

# Int8 kernels against the exact integer arithmetic (tiny shapes, also under qemu).
edgert_add_test(int8_ops_test runtime/int8_ops_test.cc LIBS edgert_engine_test_util
                                                          flatbuffers::flatbuffers)
target_include_directories(int8_ops_test PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src
                                                 ${PROJECT_BINARY_DIR}/runtime/generated)

# f32 Conv2D variants through oneDNN (where built in) and XNNPACK, against a naive reference.
edgert_add_test(dnnl_conv_test runtime/dnnl_conv_test.cc LIBS edgert_engine_test_util
                                                              flatbuffers::flatbuffers)
target_include_directories(dnnl_conv_test PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src
                                                  ${PROJECT_BINARY_DIR}/runtime/generated)
# Where oneDNN is built in, the int8 suite again with EDGERT_DISABLE_VNNI=1 (tests named
# novnni.*): oneDNN is capped below VNNI, so a VNNI machine also proves the +-64 weight rule and
# the u8 path that CPUs without VNNI take.
if(EDGERT_WITH_DNNL)
  gtest_discover_tests(int8_ops_test DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 120
                       TEST_PREFIX "novnni."
                       PROPERTIES ENVIRONMENT "EDGERT_TEST_TMP=${CMAKE_CURRENT_BINARY_DIR}/tmp;EDGERT_DISABLE_VNNI=1")
endif()

# The start-up cache: weights read back from the cache, corrupt/foreign files, checksum stamps.
edgert_add_test(startup_cache_test runtime/startup_cache_test.cc LIBS edgert_engine_test_util
                                                                    flatbuffers::flatbuffers)
target_include_directories(startup_cache_test PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src
                                                      ${PROJECT_BINARY_DIR}/runtime/generated)

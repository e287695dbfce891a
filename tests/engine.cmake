# The engine's suites (runtime/src/engine). Included from tests/CMakeLists.txt.
add_library(edgert_engine_test_util STATIC runtime/engine_test_util.cc)
target_link_libraries(edgert_engine_test_util PUBLIC edgert_test_util)
target_compile_options(edgert_engine_test_util PRIVATE ${EDGERT_WARNINGS})

edgert_add_test(engine_test runtime/engine_test.cc LIBS edgert_engine_test_util)
edgert_add_test(engine_ops_test runtime/engine_ops_test.cc LIBS edgert_engine_test_util)
# White-box: the arena planner and the copy plans.
edgert_add_test(engine_internals_test runtime/engine_internals_test.cc)
target_include_directories(engine_internals_test PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src)
# Int8 kernels against the exact integer arithmetic (tiny shapes, also under qemu).
edgert_add_test(int8_ops_test runtime/int8_ops_test.cc LIBS edgert_engine_test_util)

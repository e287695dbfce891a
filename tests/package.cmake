# The board package (CPack tarball of the aarch64 build): made once as a fixture, then checked to
# be self-contained. scripts/deploy.sh's test uses the same fixture (edgert_package).
# The package helper scripts' own behaviour and errors (host suite: needs only the host tools).
if(NOT CMAKE_CROSSCOMPILING)
  add_test(NAME package_scripts
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/package/scripts_test.sh ${PROJECT_SOURCE_DIR}
                   $<TARGET_FILE:featuremap_sample> $<TARGET_FILE_DIR:edgert>)
endif()
if(CMAKE_CROSSCOMPILING)
  set(EDGERT_PACKAGE_DIR ${CMAKE_BINARY_DIR}/package)
  set(EDGERT_PACKAGE_FILE
      ${EDGERT_PACKAGE_DIR}/edgert-${PROJECT_VERSION}-Linux-${CMAKE_SYSTEM_PROCESSOR}.tar.gz)
  add_test(NAME package_build
           COMMAND ${CMAKE_CPACK_COMMAND} --config ${CMAKE_BINARY_DIR}/CPackConfig.cmake
                   -B ${EDGERT_PACKAGE_DIR})
  set_tests_properties(package_build PROPERTIES FIXTURES_SETUP edgert_package TIMEOUT 300)
  add_test(NAME package_self_contained
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/package/package_test.sh ${EDGERT_PACKAGE_FILE}
                   ${CMAKE_SYSROOT} ${PROJECT_SOURCE_DIR}/toolchains/aarch64-linux-gnu.cmake
                   ${EDGERT_MODELS_DIR})
  set_tests_properties(package_self_contained PROPERTIES FIXTURES_REQUIRED edgert_package
                                                         TIMEOUT 600)
endif()

# scripts/deploy.sh against a real sshd on loopback, with this machine as the "board": the
# aarch64 package runs through qemu with only the C/C++ runtime in the emulator root. Cross
# build only; it needs the host verifier (scripts/test.sh builds the host preset first) and
# the models from scripts/prepare_models.sh.
if(CMAKE_CROSSCOMPILING)
  set(EDGERT_HOST_VERIFIER "${PROJECT_SOURCE_DIR}/build/host/apps/verifier" CACHE FILEPATH
      "Host (x86_64) verifier that compares fetched board dumps in the deploy test")
  # The package, made by cpack into a folder of its own so it cannot collide with other
  # cpack runs on this build tree.
  set(_deploy_pkg_dir "${CMAKE_CURRENT_BINARY_DIR}/deploy_package")
  set(_deploy_pkg
      "${_deploy_pkg_dir}/edgert-${PROJECT_VERSION}-Linux-${CMAKE_SYSTEM_PROCESSOR}.tar.gz")
  add_test(NAME deploy_cpack
           COMMAND ${CMAKE_CPACK_COMMAND} -G TGZ --config ${CMAKE_BINARY_DIR}/CPackConfig.cmake
                   -B ${_deploy_pkg_dir})
  set_tests_properties(deploy_cpack PROPERTIES FIXTURES_SETUP edgert_deploy_package TIMEOUT 120)
  add_test(NAME deploy_ssh
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/deploy/deploy_test.sh ${_deploy_pkg}
                   ${EDGERT_HOST_VERIFIER} ${EDGERT_MODELS_DIR} ${CMAKE_SYSROOT})
  set_tests_properties(deploy_ssh PROPERTIES FIXTURES_REQUIRED edgert_deploy_package
                                             TIMEOUT 180)
endif()

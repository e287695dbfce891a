# scripts/deploy.sh against a real sshd on loopback, with this machine as the "board": the
# aarch64 package runs through qemu with only the C/C++ runtime in the emulator root. Cross
# build only; it needs the host verifier (scripts/test.sh builds the host preset first) and
# the models from scripts/prepare_models.sh.
if(CMAKE_CROSSCOMPILING)
  set(EDGERT_HOST_VERIFIER "${EDGERT_HOST_BUILD_DIR}/apps/verifier" CACHE FILEPATH
      "Host (x86_64) verifier that compares fetched board dumps in the deploy test")
  # The package comes from tests/package.cmake's fixture edgert_package (cpack -B package).
  set(_deploy_pkg "${CMAKE_BINARY_DIR}/package/edgert-${PROJECT_VERSION}-Linux-")
  string(APPEND _deploy_pkg "${CMAKE_SYSTEM_PROCESSOR}.tar.gz")
  add_test(NAME deploy_ssh
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/deploy/deploy_test.sh ${_deploy_pkg}
                   ${EDGERT_HOST_VERIFIER} ${EDGERT_MODELS_DIR} ${CMAKE_SYSROOT})
  set_tests_properties(deploy_ssh PROPERTIES FIXTURES_REQUIRED edgert_package TIMEOUT 180)
endif()

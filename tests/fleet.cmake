# Fleet runs (fleet/, issue 18) and the tools' HTML reports. Included from tests/CMakeLists.txt.
# The shared HTML writer itself: escaping, points and marks, degenerate axis ranges (all presets).
edgert_add_test(html_report_test apps/html_report_test.cc LIBS edgert_app_common)
# Host: verifier --html, perf's profile.html and model_compiler's quant report HTML, parsed with
# Python's html.parser (tests/apps/html_report_test.py).
if(EDGERT_BUILD_COMPILER AND NOT CMAKE_CROSSCOMPILING)
  add_test(NAME html_reports
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/apps/html_report_test.py
                   $<TARGET_FILE:verifier> $<TARGET_FILE:perf> $<TARGET_FILE:model_compiler>
                   $<TARGET_FILE:write_sample_model>)
  set_tests_properties(html_reports PROPERTIES TIMEOUT 300)
endif()
# Cross build: the Ansible playbook against three stand-in boards on loopback (one of them down),
# with the board package of tests/package.cmake's fixture (EDGERT_PACKAGE_FILE) and the host
# verifier (EDGERT_HOST_VERIFIER, tests/deploy.cmake), like the deploy test.
if(CMAKE_CROSSCOMPILING)
  add_test(NAME fleet_ansible
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/fleet/fleet_test.sh ${EDGERT_PACKAGE_FILE}
                   ${EDGERT_HOST_VERIFIER} ${EDGERT_MODELS_DIR} ${CMAKE_SYSROOT})
  set_tests_properties(fleet_ansible PROPERTIES FIXTURES_REQUIRED edgert_package TIMEOUT 600)
endif()
# Host: the fleet report step (fleet/summarize.py) on hand-made board folders: verdicts, failed
# runs, failed and missing boards, --strict.
if(NOT CMAKE_CROSSCOMPILING)
  add_test(NAME fleet_summary
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/fleet/summarize_test.py
                   ${PROJECT_SOURCE_DIR}/fleet/summarize.py)
endif()

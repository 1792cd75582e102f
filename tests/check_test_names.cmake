# Fails when a test name would break ctest's discovery: catch_discover_tests reads the names as a
# CMake list, so a ';' splits a name in two and an unmatched '[' or ']' joins every later name
# into one entry (the tests after it then never run on their own under ctest).
#   cmake -DEXE=<test program> -P check_test_names.cmake
# (Catch2 v2 exits with the number of names listed, so the output is checked, not the status.)
execute_process(COMMAND "${EXE}" --list-test-names-only OUTPUT_VARIABLE names)
if(names STREQUAL "")
  message(FATAL_ERROR "${EXE} --list-test-names-only listed nothing")
endif()
string(REGEX MATCHALL "[^\n]*[][;][^\n]*" bad "${names}")
if(bad)
  message(FATAL_ERROR "test names with ';', '[' or ']' (rename them):\n${bad}")
endif()
message(STATUS "test names are discoverable")

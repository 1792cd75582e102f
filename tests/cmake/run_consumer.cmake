# Builds and runs a tiny downstream project against osprey, the way a user would consume it.
# MODE=find_package installs this build tree into a private prefix first and uses
# find_package(osprey CONFIG REQUIRED); MODE=add_subdirectory points the consumer at the source.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

set(consumer_src "${CMAKE_CURRENT_LIST_DIR}/${MODE}")
if(MODE STREQUAL "find_package")
  set(prefix "${WORK_DIR}/prefix")
  run("${CMAKE_COMMAND}" --install "${OSPREY_BINARY_DIR}" --prefix "${prefix}")
  if(NOT EXISTS "${prefix}/share/cmake/osprey/ospreyConfig.cmake")
    message(FATAL_ERROR "install did not produce ospreyConfig.cmake")
  endif()
  set(extra "-DCMAKE_PREFIX_PATH=${prefix}")
else()
  set(extra "-DOSPREY_SOURCE_DIR=${OSPREY_SOURCE_DIR}")
endif()

run("${CMAKE_COMMAND}" -S "${consumer_src}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX}" -DCMAKE_BUILD_TYPE=Release ${extra})
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/consumer")
if(EXISTS "${WORK_DIR}/build/consumer_mpi")
  run("${WORK_DIR}/build/consumer_mpi")
endif()

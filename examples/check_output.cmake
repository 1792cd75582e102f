# Runs one example and compares what it prints and writes with the recorded output in
# examples/expected/, so a change that alters any result an example shows fails a test.
#
#   cmake -DEXE=<program> -DARGS=<arguments separated by |> -DOUT=<folder> -DEXPECTED=<examples/expected/name>
#         -DDATA=<data folder> [-DRECORD=ON] -P check_output.cmake
#
# <EXPECTED>.stdout holds the standard output with what depends on the machine masked: wall-clock
# times ("0.12 s", "14.6 ms" read "<time>"), the output and data folders ("<out>", "<data>"), the
# library's version,
# and the lines about gnuplot and what it rendered (present or not, the plots' data are the
# same). Everything else
# must match byte for byte. <EXPECTED>.files lists the SHA-256 of each data file (.dat, .csv)
# the example writes under OUT, one "<hash>  <relative path>" a line; gnuplot scripts and images
# name machine paths and are left out.
# With -DRECORD=ON the script writes both files instead of comparing (after a change that is
# meant to alter an example's output; say why in the commit).
cmake_minimum_required(VERSION 3.25)

foreach(var EXE OUT EXPECTED)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_output.cmake: ${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${OUT}")
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND "${EXE}" ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE stdout)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} exited with ${rc}")
endif()

# Mask what depends on the machine or the run.
string(REGEX REPLACE "[0-9]+(\\.[0-9]+)? (ms|s)([^A-Za-z0-9_])" "<time>\\3" stdout "${stdout}")
string(REPLACE "${OUT}" "<out>" stdout "${stdout}")
string(REGEX REPLACE "osprey [0-9]+\\.[0-9]+\\.[0-9]+" "osprey <version>" stdout "${stdout}")
if(DEFINED DATA)
  string(REPLACE "${DATA}" "<data>" stdout "${stdout}")
endif()
string(REGEX REPLACE "[^\n]*gnuplot[^\n]*\n" "" stdout "${stdout}")
string(REGEX REPLACE "(Plots|rendered)[: ][^\n]*\n" "" stdout "${stdout}")

set(files "")
if(EXISTS "${OUT}")
  file(GLOB_RECURSE written RELATIVE "${OUT}" "${OUT}/*.dat" "${OUT}/*.csv")
  list(SORT written)
  foreach(path IN LISTS written)
    file(SHA256 "${OUT}/${path}" hash)
    string(APPEND files "${hash}  ${path}\n")
  endforeach()
endif()

if(RECORD)
  file(WRITE "${EXPECTED}.stdout" "${stdout}")
  file(WRITE "${EXPECTED}.files" "${files}")
  message(STATUS "recorded ${EXPECTED}.stdout and ${EXPECTED}.files")
  return()
endif()

file(READ "${EXPECTED}.stdout" want_stdout)
file(READ "${EXPECTED}.files" want_files)
set(failed OFF)
if(NOT stdout STREQUAL want_stdout)
  file(WRITE "${OUT}.stdout" "${stdout}")
  message(SEND_ERROR "standard output differs from ${EXPECTED}.stdout; this run's is in "
                     "${OUT}.stdout (diff them)")
  set(failed ON)
endif()
if(NOT files STREQUAL want_files)
  message(SEND_ERROR "written files differ from ${EXPECTED}.files:\n"
                     "expected:\n${want_files}got:\n${files}")
  set(failed ON)
endif()
if(failed)
  message(FATAL_ERROR "${EXE}: output changed")
endif()

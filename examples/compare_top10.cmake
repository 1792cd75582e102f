# Checks that two recorded example outputs print the same PageRank summary and top-10 table:
# the first line (nodes, edges, dangling nodes; the path is masked in both) and the lines from
# "rank  node id" through the tenth row.
#
#   cmake -DSINGLE=<expected/pagerank_contacts.stdout> -DDIST=<expected/dist_pagerank.stdout>
#         -P compare_top10.cmake
cmake_minimum_required(VERSION 3.25)

function(top10 file out)
  file(STRINGS "${file}" lines)
  list(GET lines 0 summary)
  list(FIND lines "rank  node id     score" at)
  if(at LESS 0)
    message(FATAL_ERROR "${file} has no top-10 table")
  endif()
  math(EXPR last "${at} + 10")
  set(table "${summary}")
  foreach(i RANGE ${at} ${last})
    list(GET lines ${i} line)
    string(APPEND table "\n${line}")
  endforeach()
  set(${out} "${table}" PARENT_SCOPE)
endfunction()

top10("${SINGLE}" single)
top10("${DIST}" dist)
if(NOT single STREQUAL dist)
  message(FATAL_ERROR "the top-10 tables differ:\n${SINGLE}:\n${single}\n${DIST}:\n${dist}")
endif()
message(STATUS "the same top 10:\n${single}")

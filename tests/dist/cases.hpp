/** \file
 *  Every distributed test case, as an X-macro list: X(name) stands for
 *  `template <class C> void case_<name>(C&)`. tests/test_dist.cpp runs each under
 *  ThreadCommunicator for p = 1..4; tests/dist/mpi_main.cpp runs the one named on its command
 *  line under MPI, and tests/CMakeLists.txt registers it for mpirun -n 2 and 3. */
#pragma once

#include "case_communicator.hpp"
#include "case_isolation.hpp"
#include "case_metrics.hpp"
#include "case_neighbors.hpp"
#include "case_pagerank.hpp"
#include "case_partition.hpp"
#include "case_smote.hpp"
#include "case_stratified_kfold.hpp"

#define OSPREY_DIST_CASES(X)    \
  X(communicator)               \
  X(partition)                  \
  X(pagerank)                   \
  X(knn_exact)                  \
  X(knn_near_ties)              \
  X(isolation_forest)           \
  X(quantile)                   \
  X(ranking_metrics)            \
  X(population_stability_index) \
  X(stratified_kfold)           \
  X(smote)

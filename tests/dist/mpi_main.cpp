// Runs one distributed test case (tests/dist/cases.hpp) under MPI: `osprey_dist_mpi_tests
// <case>`. Exit status 0 when the case passes on every rank; a failing rank prints its message
// and aborts the job (dist::run_or_abort). The case `rank_failure` checks exactly that: rank 1
// throws while the others wait in a collective, and ctest expects the job to end with rank 1's
// message instead of hanging.
#include <osprey/dist/mpi.hpp>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "dist/cases.hpp"

int main(int argc, char** argv) {
  osprey::dist::MpiEnvironment env(argc, argv);
  osprey::dist::MpiCommunicator comm;
  if (argc != 2) {
    if (comm.rank() == 0) std::fprintf(stderr, "usage: osprey_dist_mpi_tests <case>\n");
    return 2;
  }
  const std::string name = argv[1];
  return osprey::dist::run_or_abort(comm, [&] {
    bool found = false;
#define OSPREY_DIST_RUN_CASE(case_name)       \
  if (name == #case_name) {                   \
    osprey_dist_test::case_##case_name(comm); \
    found = true;                             \
  }
    OSPREY_DIST_CASES(OSPREY_DIST_RUN_CASE)
#undef OSPREY_DIST_RUN_CASE
    if (name == "rank_failure") {
      if (comm.rank() == 1) throw std::runtime_error("deliberate failure on rank 1");
      comm.barrier();  // the others wait here until the abort ends them
      found = true;
    }
    if (!found) throw std::invalid_argument("no distributed test case named " + name);
    comm.barrier();
    if (comm.rank() == 0) std::printf("%s passed on %d ranks\n", name.c_str(), comm.size());
  });
}

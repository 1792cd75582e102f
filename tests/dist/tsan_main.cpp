// The in-process communicator under ThreadSanitizer (the tsan preset): the collectives case and
// the PageRank case, whose iterations are the densest use of the collectives, on 1-4 thread
// ranks, then a rank that fails while the others wait. A plain program (Catch's assertions are
// not thread-safe, and the full unit-test binary is too slow to build under TSan in CI).
#include <osprey/dist/thread_communicator.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "dist/case_communicator.hpp"
#include "dist/case_pagerank.hpp"

int main() {
  namespace dist = osprey::dist;
  try {
    for (int p = 1; p <= 4; ++p) {
      dist::run_ranks(p, [](dist::ThreadCommunicator& comm) {
        osprey_dist_test::case_communicator(comm);
        osprey_dist_test::case_pagerank(comm);
      });
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "distributed case failed: %s\n", e.what());
    return 1;
  }
  std::string message;
  try {
    dist::run_ranks(4, [](dist::ThreadCommunicator& comm) {
      if (comm.rank() == 2) throw osprey::InvalidArgument("deliberate");
      comm.barrier();
    });
  } catch (const osprey::InvalidArgument& e) {
    message = e.what();
  }
  if (message != "deliberate") {
    std::fprintf(stderr, "a failing rank did not end the group cleanly\n");
    return 1;
  }
  std::printf("thread ranks under TSan: communicator and pagerank cases pass on 1-4 ranks\n");
  return 0;
}

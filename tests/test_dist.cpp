// The distributed test cases (tests/dist/cases.hpp) under ThreadCommunicator for p = 1..4, and
// the group's failure handling: a rank that throws ends every other rank's collective.
#include <osprey/dist/thread_communicator.hpp>

#include <atomic>
#include <string>

#include "catch2/catch.hpp"
#include "dist/cases.hpp"

namespace dist = osprey::dist;

#define OSPREY_DIST_THREAD_CASE(case_name)                                                       \
  TEST_CASE("dist." #case_name " on 1-4 thread ranks equals single-node", "[dist]") {            \
    for (int p = 1; p <= 4; ++p) {                                                               \
      INFO("p = " << p);                                                                         \
      REQUIRE_NOTHROW(dist::run_ranks(                                                           \
          p, [](dist::ThreadCommunicator& comm) { osprey_dist_test::case_##case_name(comm); })); \
    }                                                                                            \
  }
OSPREY_DIST_CASES(OSPREY_DIST_THREAD_CASE)
#undef OSPREY_DIST_THREAD_CASE

static_assert(dist::Communicator<dist::ThreadCommunicator>);

TEST_CASE("dist: a rank that throws ends the other ranks' collectives", "[dist]") {
  for (int p = 2; p <= 4; ++p) {
    std::atomic<int> rank_failed_seen{0};
    std::string message;
    try {
      dist::run_ranks(p, [&](dist::ThreadCommunicator& comm) {
        if (comm.rank() == 1) throw osprey::InvalidArgument("X: row 7 has a NaN");
        try {
          comm.barrier();  // waits for rank 1, which never comes
          comm.barrier();
        } catch (const dist::RankFailed& e) {
          if (std::string(e.what()) == "rank 1 failed: X: row 7 has a NaN") ++rank_failed_seen;
          throw;
        }
      });
    } catch (const osprey::InvalidArgument& e) {
      message = e.what();
    }
    CHECK(message == "X: row 7 has a NaN");  // run_ranks rethrows the failing rank's own error
    CHECK(rank_failed_seen == p - 1);
  }
}

TEST_CASE("dist: a collective called with lengths that disagree fails the group", "[dist]") {
  CHECK_THROWS_AS(
      dist::run_ranks(3,
                      [](dist::ThreadCommunicator& comm) {
                        std::vector<double> v(static_cast<std::size_t>(comm.rank() + 1));
                        comm.all_reduce(std::span<double>(v), dist::ReduceOp::sum);
                      }),
      dist::RankFailed);
  CHECK_THROWS_WITH(dist::run_ranks(0, [](dist::ThreadCommunicator&) {}),
                    "run_ranks: p must be >= 1 (got 0)");
  CHECK_THROWS_AS(dist::run_ranks(2,
                                  [](dist::ThreadCommunicator& comm) {
                                    std::vector<double> v(3);
                                    comm.all_to_all(std::span<const double>(v));
                                  }),
                  osprey::InvalidArgument);
}

TEST_CASE("dist: run_ranks caps each rank's threads", "[dist]") {
  std::atomic<int> seen{0};
  dist::run_ranks(
      3, [&](dist::ThreadCommunicator&) { seen += osprey::detail::resolve_threads(0); }, 1);
  CHECK(seen == 3);
}

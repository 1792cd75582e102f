// dist::PageRank's errors: bad input on one rank throws InvalidArgument on every rank (no rank
// waits), ConvergenceError and Cancelled reach every rank, and an unfitted estimator says so.
// Its equality with single-node PageRank is tests/dist/case_pagerank.hpp.
#include <osprey/dist/pagerank.hpp>
#include <osprey/dist/thread_communicator.hpp>

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "catch2/catch.hpp"

namespace dist = osprey::dist;

namespace {

/** Runs `fn(comm, edges)` on p ranks, rank r holding edges r, r + p, ... of a 10-node cycle,
 *  and returns on how many ranks it threw E (whose message is stored in `message`). */
template <class E, class Fn>
int ranks_throwing(int p, Fn fn, std::string* message = nullptr) {
  std::atomic<int> count{0};
  std::string first;
  try {
    dist::run_ranks(p, [&](dist::ThreadCommunicator& comm) {
      std::vector<std::int64_t> src, dst;
      for (std::int64_t e = comm.rank(); e < 10; e += p) {
        src.push_back(e);
        dst.push_back((e + 1) % 10);
      }
      try {
        fn(comm, src, dst);
      } catch (const E& e) {
        if (comm.rank() == 0) first = e.what();
        ++count;
        throw;
      }
    });
  } catch (const std::exception&) {
  }
  if (message != nullptr) *message = first;
  return count;
}

using Ids = std::vector<std::int64_t>;

}  // namespace

TEST_CASE("dist::PageRank: bad input on one rank throws InvalidArgument on every rank",
          "[dist][pagerank]") {
  for (int p = 1; p <= 4; ++p) {
    INFO("p = " << p);
    const int last = p - 1;
    std::string message;
    // A target id >= n on the last rank.
    CHECK(ranks_throwing<osprey::InvalidArgument>(
              p,
              [&](dist::ThreadCommunicator& comm, Ids src, Ids dst) {
                if (comm.rank() == last) dst.push_back(10);
                if (comm.rank() == last) src.push_back(0);
                dist::PageRank<> pr;
                pr.fit(comm, 10, std::span<const std::int64_t>(src),
                       std::span<const std::int64_t>(dst));
              },
              &message) == p);
    CHECK(message == "rank " + std::to_string(last) + ": edge " +
                         std::to_string(10 / p + (last < 10 % p ? 1 : 0)) +
                         " (0 -> 10) has a node id out of range for n_nodes = 10");
    // A negative weight on rank 0.
    CHECK(ranks_throwing<osprey::InvalidArgument>(
              p,
              [&](dist::ThreadCommunicator& comm, const Ids& src, const Ids& dst) {
                std::vector<double> w(src.size(), 1.0);
                if (comm.rank() == 0) w[0] = -1.0;
                dist::PageRank<> pr;
                pr.fit(comm, 10, std::span<const std::int64_t>(src),
                       std::span<const std::int64_t>(dst), std::span<const double>(w));
              },
              &message) == p);
    CHECK(message == "rank 0: weights[0] must be finite and >= 0 (got -1)");
    // A personalization of the wrong size on the last rank.
    CHECK(ranks_throwing<osprey::InvalidArgument>(
              p,
              [&](dist::ThreadCommunicator& comm, const Ids& src, const Ids& dst) {
                const Eigen::Index size = comm.rank() == last ? 11 : 10;
                dist::PageRank<> pr({.personalization = Eigen::VectorXd::Ones(size)});
                pr.fit(comm, 10, std::span<const std::int64_t>(src),
                       std::span<const std::int64_t>(dst));
              },
              &message) == p);
    CHECK_THAT(message, Catch::Matchers::Contains("personalization has 11 entries"));
    // An all-zero personalization, a negative entry, n_nodes that differ between ranks.
    CHECK(ranks_throwing<osprey::InvalidArgument>(
              p,
              [&](dist::ThreadCommunicator& comm, const Ids& src, const Ids& dst) {
                dist::PageRank<> pr({.personalization = Eigen::VectorXd::Zero(10)});
                pr.fit(comm, 10, std::span<const std::int64_t>(src),
                       std::span<const std::int64_t>(dst));
              },
              &message) == p);
    CHECK(message == "personalization must not be all zero");
    CHECK(ranks_throwing<osprey::InvalidArgument>(
              p, [&](dist::ThreadCommunicator& comm, const Ids& src, const Ids& dst) {
                Eigen::VectorXd v = Eigen::VectorXd::Ones(10);
                v(9) = -2.0;
                dist::PageRank<> pr({.personalization = v});
                pr.fit(comm, 10, std::span<const std::int64_t>(src),
                       std::span<const std::int64_t>(dst));
              }) == p);
    if (p > 1) {
      CHECK(ranks_throwing<osprey::InvalidArgument>(
                p,
                [&](dist::ThreadCommunicator& comm, const Ids& src, const Ids& dst) {
                  dist::PageRank<> pr;
                  pr.fit(comm, comm.rank() == last ? 11 : 10, std::span<const std::int64_t>(src),
                         std::span<const std::int64_t>(dst));
                },
                &message) == p);
      CHECK_THAT(message, Catch::Matchers::Contains("other n_nodes or Params"));
      // Weights on some ranks only.
      CHECK(ranks_throwing<osprey::InvalidArgument>(
                p, [&](dist::ThreadCommunicator& comm, const Ids& src, const Ids& dst) {
                  std::vector<double> w(comm.rank() == 0 ? src.size() : 0, 2.0);
                  dist::PageRank<> pr;
                  pr.fit(comm, 10, std::span<const std::int64_t>(src),
                         std::span<const std::int64_t>(dst), std::span<const double>(w));
                }) == p);
    }
  }
}

TEST_CASE("dist::PageRank: ConvergenceError and Cancelled reach every rank", "[dist][pagerank]") {
  for (int p = 1; p <= 4; ++p) {
    INFO("p = " << p);
    std::string message;
    CHECK(ranks_throwing<osprey::ConvergenceError>(
              p,
              [&](dist::ThreadCommunicator& comm, const Ids& src, const Ids& dst) {
                // A directed cycle never converges from... it does at once (x = 1/n is
                // stationary), so add a chord to move the scores.
                Ids s = src, d = dst;
                if (comm.rank() == 0) {
                  s.push_back(0);
                  d.push_back(5);
                }
                dist::PageRank<> pr({.max_iter = 3, .throw_on_no_convergence = true});
                pr.fit(comm, 10, std::span<const std::int64_t>(s),
                       std::span<const std::int64_t>(d));
              },
              &message) == p);
    CHECK_THAT(message, Catch::Matchers::StartsWith("PageRank did not converge in 3 iterations"));
    osprey::CancellationToken token;
    CHECK(ranks_throwing<osprey::Cancelled>(
              p,
              [&](dist::ThreadCommunicator& comm, const Ids& src, const Ids& dst) {
                Ids s = src, d = dst;
                if (comm.rank() == 0) {
                  s.push_back(0);
                  d.push_back(5);
                }
                // The last rank cancels after its second iteration; every rank stops.
                const int last = comm.size() - 1;
                dist::PageRank<> pr({.cancellation = token,
                                     .progress = [&, r = comm.rank()](const osprey::Progress& pg) {
                                       if (r == last && pg.done == 2) token.cancel();
                                     }});
                pr.fit(comm, 10, std::span<const std::int64_t>(s),
                       std::span<const std::int64_t>(d));
              },
              &message) == p);
    CHECK(message == "dist::PageRank::fit: cancelled");
  }
}

TEST_CASE("dist::PageRank: parameters and an unfitted estimator", "[dist][pagerank]") {
  CHECK_THROWS_AS(dist::PageRank<>({.damping = 1.0}), osprey::InvalidArgument);
  CHECK_THROWS_AS(dist::PageRank<>({.max_iter = 0}), osprey::InvalidArgument);
  const dist::PageRank<> pr;
  CHECK_FALSE(pr.is_fitted());
  CHECK_THROWS_AS(pr.local_scores(), osprey::NotFittedError);
  CHECK_THROWS_AS(pr.iterations(), osprey::NotFittedError);
  CHECK(dist::contiguous_block(10, 3, 4).offset == 7);
  CHECK(dist::contiguous_block(10, 3, 4).local == 3);
  CHECK(dist::contiguous_block(2, 0, 4).local == 0);
}

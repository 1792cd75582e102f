// dist::merge_topk and shard_candidates without a communicator (a service's own fan-out), and
// dist::NearestNeighbors' bad inputs: every rank throws InvalidArgument, none hangs.
#include <osprey/dist/nearest_neighbors.hpp>
#include <osprey/dist/thread_communicator.hpp>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "dist/case_neighbors.hpp"
#include "dist/thread_ranks.hpp"

namespace dist = osprey::dist;
using osprey_dist_test::knn_grid;
using osprey_dist_test::ranks_rejecting;
using osprey_dist_test::same_neighbors;

namespace {

/** Shards [cuts[i], cuts[i+1]) of X, each a single-node search, asked for k candidates. */
std::vector<dist::Candidates<double>> shard_answers(const Eigen::MatrixXd& X,
                                                    const Eigen::MatrixXd& Q, int k,
                                                    const std::vector<Eigen::Index>& cuts) {
  std::vector<dist::Candidates<double>> parts;
  for (std::size_t s = 0; s + 1 < cuts.size(); ++s) {
    osprey::NearestNeighbors<> shard({.algorithm = osprey::Algorithm::brute});
    shard.fit(X.middleRows(cuts[s], cuts[s + 1] - cuts[s]));
    parts.push_back(dist::shard_candidates(shard, Q, k, cuts[s]));
  }
  return parts;
}

}  // namespace

TEST_CASE("dist::merge_topk of single-node shards equals single-node search", "[dist]") {
  const Eigen::MatrixXd X = knn_grid(120, 3, 5);
  const Eigen::MatrixXd Q = knn_grid(9, 3, 6);
  osprey::NearestNeighbors<> whole({.algorithm = osprey::Algorithm::brute});
  whole.fit(X);
  for (const int k : {1, 6, 40}) {
    const auto want = whole.kneighbors(Q, k);
    auto parts = shard_answers(X, Q, k, {0, 7, 7 + 50, 60, 120});
    CHECK(same_neighbors(dist::to_neighbors(dist::merge_topk(parts, k)), want));
    // shard order does not matter
    std::swap(parts.front(), parts.back());
    CHECK(same_neighbors(dist::to_neighbors(dist::merge_topk(parts, k)), want));
    // a merge of merges (a two-level fan-out) is the same
    const std::vector<dist::Candidates<double>> left(parts.begin(), parts.begin() + 2);
    const std::vector<dist::Candidates<double>> right(parts.begin() + 2, parts.end());
    const auto cap = [k](const std::vector<dist::Candidates<double>>& ps) {
      return std::min(k, ps[0].k + ps[1].k);  // a level holds at most its shards' candidates
    };
    const std::vector<dist::Candidates<double>> level{dist::merge_topk(left, cap(left)),
                                                      dist::merge_topk(right, cap(right))};
    CHECK(same_neighbors(dist::to_neighbors(dist::merge_topk(level, k)), want));
  }
  // fewer candidates than the shard's k: capped at its rows
  const auto tiny = shard_answers(X, Q, 10, {0, 3, 120});
  CHECK(tiny[0].k == 3);
  CHECK(same_neighbors(dist::to_neighbors(dist::merge_topk(tiny, 10)), whole.kneighbors(Q, 10)));
}

TEST_CASE("dist::merge_topk of Cosine shards equals single-node search", "[dist]") {
  // The shards normalise their queries as the single-node search does and report distances
  // from the rows as given.
  const Eigen::MatrixXd X = knn_grid(120, 5, 7);
  const Eigen::MatrixXd Q = knn_grid(9, 5, 8);
  osprey::NearestNeighbors<double, osprey::Cosine> whole({.algorithm = osprey::Algorithm::brute});
  whole.fit(X);
  const std::vector<Eigen::Index> cuts{0, 30, 95, 120};
  std::vector<dist::Candidates<double>> parts;
  for (std::size_t s = 0; s + 1 < cuts.size(); ++s) {
    osprey::NearestNeighbors<double, osprey::Cosine> shard({.algorithm = osprey::Algorithm::brute});
    shard.fit(X.middleRows(cuts[s], cuts[s + 1] - cuts[s]));
    parts.push_back(dist::shard_candidates(shard, Q, 6, cuts[s]));
  }
  CHECK(same_neighbors(dist::to_neighbors(dist::merge_topk(parts, 6)), whole.kneighbors(Q, 6)));
}

TEST_CASE("dist::merge_topk selects by key, not by distance", "[dist]") {
  // Two candidates at the same distance: the smaller key wins though its id is larger.
  dist::Candidates<double> a{1, 1, {{2.0, 1.5, 0}}};
  dist::Candidates<double> b{1, 1, {{1.0, 1.5, 9}}};
  const auto one = dist::merge_topk(std::vector{a, b}, 1);
  CHECK(one.entries[0].id == 9);
  const auto two = dist::merge_topk(std::vector{a, b}, 2);  // then ordered by (distance, id)
  CHECK(two.entries[0].id == 0);
  CHECK(two.entries[1].id == 9);
}

TEST_CASE("dist::merge_topk rejects malformed parts", "[dist]") {
  dist::Candidates<double> a{2, 1, {{1.0, 1.0, 0}, {2.0, 2.0, 0}}};
  dist::Candidates<double> b{3, 1, {{1.0, 1.0, 1}, {2.0, 2.0, 1}, {3.0, 3.0, 1}}};
  CHECK_THROWS_AS(dist::merge_topk(std::vector{a, b}, 1), osprey::InvalidArgument);
  CHECK_THROWS_WITH(dist::merge_topk(std::vector{a}, 2),
                    Catch::Contains("n_neighbors must be <= the 1 candidates"));
  CHECK_THROWS_AS(dist::merge_topk(std::vector{a}, 0), osprey::InvalidArgument);
  CHECK_THROWS_AS(dist::merge_topk(std::vector<dist::Candidates<double>>{}, 1),
                  osprey::InvalidArgument);
  a.entries.pop_back();
  CHECK_THROWS_AS(dist::merge_topk(std::vector{a}, 1), osprey::InvalidArgument);
  dist::Candidates<double> huge{1, 1, {{1.0, 1.0, std::int64_t{1} << 40}}};
  CHECK(dist::merge_topk(std::vector{huge}, 1).entries[0].id == std::int64_t{1} << 40);
  CHECK_THROWS_AS(dist::to_neighbors(huge), osprey::InvalidArgument);
}

TEST_CASE("dist::NearestNeighbors: bad input throws on every rank", "[dist]") {
  const Eigen::MatrixXd X = knn_grid(30, 3, 1);
  const Eigen::MatrixXd Q = knn_grid(4, 3, 2);
  for (int p = 2; p <= 4; ++p) {
    INFO("p = " << p);
    // a NaN on the last rank only
    CHECK(ranks_rejecting(p, "X_local", [&](dist::ThreadCommunicator& comm) {
            Eigen::MatrixXd mine = X.middleRows(comm.rank() * 5, 5);
            if (comm.rank() == comm.size() - 1)
              mine(2, 1) = std::numeric_limits<double>::quiet_NaN();
            dist::NearestNeighbors<>().fit(comm, mine);
          }) == p);
    // column counts that disagree
    CHECK(ranks_rejecting(p, "columns on some ranks", [&](dist::ThreadCommunicator& comm) {
            const Eigen::MatrixXd mine =
                X.middleRows(comm.rank() * 5, 5).leftCols(comm.rank() == 1 ? 2 : 3);
            dist::NearestNeighbors<>().fit(comm, mine);
          }) == p);
    // no rows anywhere
    CHECK(ranks_rejecting(p, "no rows", [&](dist::ThreadCommunicator& comm) {
            dist::NearestNeighbors<>().fit(comm, Eigen::MatrixXd(0, 3));
          }) == p);
    // queries that differ across ranks (replicated mode), k too large, k that differs
    const auto fitted = [&](dist::ThreadCommunicator& comm) {
      dist::NearestNeighbors<> nn;
      nn.fit(comm, X.middleRows(comm.rank() * 5, 5));
      return nn;
    };
    CHECK(ranks_rejecting(p, "query batch", [&](dist::ThreadCommunicator& comm) {
            Eigen::MatrixXd q = Q;
            if (comm.rank() == 1) q(0, 0) += 1.0;
            (void)fitted(comm).kneighbors(comm, q, 2);
          }) == p);
    CHECK(ranks_rejecting(p, "n_neighbors must be <= n_samples_fit",
                          [&](dist::ThreadCommunicator& comm) {
                            (void)fitted(comm).kneighbors(comm, Q, 5 * p + 1);
                          }) == p);
    CHECK(ranks_rejecting(p, "differs across ranks", [&](dist::ThreadCommunicator& comm) {
            (void)fitted(comm).kneighbors_partitioned(comm, Q, comm.rank() == 0 ? 2 : 3);
          }) == p);
    CHECK(ranks_rejecting(p, "features", [&](dist::ThreadCommunicator& comm) {
            const Eigen::MatrixXd q = comm.rank() == 0 ? Eigen::MatrixXd(Q.leftCols(2)) : Q;
            (void)fitted(comm).kneighbors_partitioned(comm, q, 2);
          }) == p);
  }
}

TEST_CASE("dist::NearestNeighbors: one batch moves the documented bytes", "[dist]") {
  const Eigen::MatrixXd X = knn_grid(64, 4, 3);
  const Eigen::MatrixXd Q = knn_grid(10, 4, 4);
  const int k = 5;
  for (int p = 1; p <= 4; ++p) {
    std::vector<std::uint64_t> sent(static_cast<std::size_t>(p));
    dist::run_ranks(p, [&](dist::ThreadCommunicator& comm) {
      dist::NearestNeighbors<> nn;
      nn.fit(comm, X.middleRows(comm.rank() * 64 / p, 64 / p));
      const auto before = comm.stats().bytes_sent;
      (void)nn.kneighbors(comm, Q, k);
      sent[static_cast<std::size_t>(comm.rank())] = comm.stats().bytes_sent - before;
    });
    const std::uint64_t others = static_cast<std::uint64_t>(p - 1);
    // candidates: q k 24 bytes to each other rank; checks: require_all (8) + agree (32) words
    const std::uint64_t want = 10 * k * 24 * others + (8 + 32) * others;
    for (const auto s : sent) CHECK(s == want);
  }
}

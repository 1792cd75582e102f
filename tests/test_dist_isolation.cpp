// dist::IsolationForest's bad inputs throw InvalidArgument on every rank (none hangs), its
// traffic matches the documented model, and dist::quantile's own argument checks.
#include <osprey/dist/isolation_forest.hpp>
#include <osprey/dist/quantile.hpp>
#include <osprey/dist/thread_communicator.hpp>

#include <limits>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "dist/case_isolation.hpp"
#include "dist/thread_ranks.hpp"

namespace dist = osprey::dist;
using osprey_dist_test::forest_data;
using osprey_dist_test::ranks_rejecting;

TEST_CASE("dist::IsolationForest: bad input throws on every rank", "[dist]") {
  const Eigen::MatrixXd X = forest_data(40, 3, 1);
  for (int p = 2; p <= 4; ++p) {
    INFO("p = " << p);
    CHECK(ranks_rejecting(p, "rank 1: X_local contains a non-finite value (nan) at row 4, column 2",
                          [&](dist::ThreadCommunicator& comm) {
                            Eigen::MatrixXd mine = X.middleRows(comm.rank() * 10, 10);
                            if (comm.rank() == 1)
                              mine(4, 2) = std::numeric_limits<double>::quiet_NaN();
                            dist::IsolationForest<>().fit(comm, mine);
                          }) == p);
    CHECK(ranks_rejecting(p, "columns on some ranks", [&](dist::ThreadCommunicator& comm) {
            const Eigen::MatrixXd mine =
                X.middleRows(comm.rank() * 10, 10).leftCols(comm.rank() == p - 1 ? 2 : 3);
            dist::IsolationForest<>().fit(comm, mine);
          }) == p);
    CHECK(ranks_rejecting(p, "no rows", [&](dist::ThreadCommunicator& comm) {
            dist::IsolationForest<>().fit(comm, Eigen::MatrixXd(0, 3));
          }) == p);
    CHECK(ranks_rejecting(p, "max_features", [&](dist::ThreadCommunicator& comm) {
            dist::IsolationForest<>({.max_features = 4}).fit(comm, X.middleRows(comm.rank(), 1));
          }) == p);
    // float: a value beyond FLT_MAX on rank 0 only
    CHECK(ranks_rejecting(p, "rank 0:", [&](dist::ThreadCommunicator& comm) {
            Eigen::MatrixXd mine = X.middleRows(comm.rank() * 10, 10);
            if (comm.rank() == 0) mine(0, 0) = 1e300;
            dist::IsolationForest<float>().fit(comm, mine);
          }) == p);
    CHECK(ranks_rejecting(p, "NaN", [&](dist::ThreadCommunicator& comm) {
            std::vector<double> v{1.0, comm.rank() == 1 ? std::nan("") : 2.0};
            (void)dist::quantile(comm, std::span<const double>(v), 0.5);
          }) == p);
  }
  CHECK_THROWS_AS(dist::IsolationForest<>({.n_estimators = 0}), osprey::InvalidArgument);
  CHECK_THROWS_AS(dist::IsolationForest<>().forest(), osprey::NotFittedError);
}

TEST_CASE("dist::IsolationForest: a fit moves the documented bytes", "[dist]") {
  const Eigen::MatrixXd X = forest_data(408, 6, 2);
  const osprey::IsolationForestParams params{
      .n_estimators = 12, .max_samples = 64, .max_features = 4, .random_state = 3};
  osprey::IsolationForest<> single(params);
  single.fit(X);
  const auto& st = osprey::detail::IsolationForestInternals<double>::state(single);
  const std::uint64_t tree_bytes =
      st.n_internal() * (8 + 4) + st.n_leaves() * 8 + (st.n_internal() + st.n_leaves()) * 4;
  for (int p = 1; p <= 4; ++p) {
    std::vector<std::uint64_t> total(static_cast<std::size_t>(p));
    dist::run_ranks(p, [&](dist::ThreadCommunicator& comm) {
      const auto r = static_cast<Eigen::Index>(comm.rank());
      const auto before = comm.stats().bytes_sent;
      dist::IsolationForest<>(params).fit(comm, X.middleRows(r * 408 / p, 408 / p));
      total[static_cast<std::size_t>(comm.rank())] = comm.stats().bytes_sent - before;
    });
    std::uint64_t sum = 0;
    for (const auto t : total) sum += t;
    const auto others = static_cast<std::uint64_t>(p - 1);
    // trees: each once to every other rank; validation: require_all, agreed_columns (2 words)
    // and the row counts (1 word) from every rank to every other
    const std::uint64_t fixed =
        12 * tree_bytes * others + 4 * 8 * others * static_cast<std::uint64_t>(p);
    // samples: every sampled row whose owner is not its tree's grower, 4 features of 8 bytes
    std::uint64_t sample = 0;
    const osprey::Rng root(3);
    for (int t = 0; t < 12; ++t) {
      osprey::Rng rng = root.split(static_cast<std::uint64_t>(t));
      const auto draws = osprey::detail::draw_isolation_tree(408, 6, 4, 64, false, rng);
      const int grower = [&] {
        int g = 0;
        while (t >= 12 * (g + 1) / p) ++g;
        return g;
      }();
      for (const auto row : draws.rows) {
        if (static_cast<int>(row / (408 / p)) != grower) sample += 4 * 8;
      }
    }
    CHECK(sum == fixed + sample);
    if (p == 1) CHECK(sum == 0);
  }
}

// dist::NearestNeighbors and dist::IsolationForest under ThreadCommunicator: wall time and bytes
// per rank for p = 1, 2, 4 against single-node osprey on the same data (the COST comparison of
// McSherry et al. 2015), and the bytes the communication model of docs/scaling.md predicts.
//
//   dist_knn [n_reference=1000000] [d=16] [queries=1000] [k=10] [forest_rows=1000000]
//            [trees=100] [max_p=4]
//
// Prints markdown tables. Every distributed answer is checked against the single-node one (ids
// and distance bits; the saved forest's bytes and the offset bits) and the program fails if any
// differs. Ranks are threads sharing the machine's cores: each rank gets max_threads() / p.
#include <osprey/anomaly/isolation_forest.hpp>
#include <osprey/core/random.hpp>
#include <osprey/dist/isolation_forest.hpp>
#include <osprey/dist/nearest_neighbors.hpp>
#include <osprey/dist/thread_communicator.hpp>
#include <osprey/io/serialize.hpp>
#include <osprey/neighbors/nearest_neighbors.hpp>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

Eigen::MatrixXd gaussian(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
  osprey::Rng rng(seed);
  Eigen::MatrixXd X(n, d);
  for (Eigen::Index j = 0; j < d; ++j) {
    for (Eigen::Index i = 0; i < n; ++i) X(i, j) = rng.normal();
  }
  return X;
}

std::string saved(const osprey::IsolationForest<>& f) {
  std::ostringstream out;
  osprey::save(f, out);
  return out.str();
}

/** Rank r's contiguous share of n rows out of p. */
std::pair<Eigen::Index, Eigen::Index> share(Eigen::Index n, int r, int p) {
  return {n * r / p, n * (r + 1) / p};
}

struct RankTimes {
  double fit = 0, query = 0;
  std::uint64_t fit_bytes = 0, query_bytes = 0;
};

bool knn_section(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Q, int k, int max_p) {
  auto t0 = Clock::now();
  osprey::NearestNeighbors<> single;
  single.fit(X);
  const double single_fit = seconds_since(t0);
  t0 = Clock::now();
  const auto want = single.kneighbors(Q, k);
  const double single_query = seconds_since(t0);
  std::printf("\n### kNN: %lld reference rows x %lld, %lld queries, k = %d\n\n",
              static_cast<long long>(X.rows()), static_cast<long long>(X.cols()),
              static_cast<long long>(Q.rows()), k);
  std::printf(
      "| p | fit s | batch s | bytes sent per rank (batch) | model q k 24 (p-1) + 40 (p-1) "
      "| equal |\n|---|---|---|---|---|---|\n");
  std::printf("| single-node (%d threads) | %.3f | %.3f | 0 | 0 | - |\n", osprey::max_threads(),
              single_fit, single_query);
  bool ok = true;
  for (int p = 1; p <= max_p; p *= 2) {
    std::vector<RankTimes> times(static_cast<std::size_t>(p));
    std::vector<int> equal(static_cast<std::size_t>(p), 0);
    osprey::dist::run_ranks(p, [&](osprey::dist::ThreadCommunicator& comm) {
      auto& mine = times[static_cast<std::size_t>(comm.rank())];
      const auto [r0, r1] = share(X.rows(), comm.rank(), p);
      osprey::dist::NearestNeighbors<> nn;
      comm.barrier();
      auto s0 = Clock::now();
      auto b0 = comm.stats().bytes_sent;
      nn.fit(comm, X.middleRows(r0, r1 - r0));
      comm.barrier();
      mine.fit = seconds_since(s0);
      mine.fit_bytes = comm.stats().bytes_sent - b0;
      s0 = Clock::now();
      b0 = comm.stats().bytes_sent;
      const auto got = nn.kneighbors(comm, Q, k);
      mine.query_bytes = comm.stats().bytes_sent - b0;
      comm.barrier();
      mine.query = seconds_since(s0);
      equal[static_cast<std::size_t>(comm.rank())] =
          got.indices == want.indices && got.distances == want.distances;
    });
    const bool same = std::all_of(equal.begin(), equal.end(), [](int e) { return e == 1; });
    ok = ok && same;
    const auto model = static_cast<std::uint64_t>(Q.rows()) * static_cast<std::uint64_t>(k) * 24 *
                           static_cast<std::uint64_t>(p - 1) +
                       40 * static_cast<std::uint64_t>(p - 1);
    std::printf("| %d | %.3f | %.3f | %llu | %llu | %s |\n", p, times[0].fit, times[0].query,
                static_cast<unsigned long long>(times[0].query_bytes),
                static_cast<unsigned long long>(model), same ? "yes" : "NO");
  }
  return ok;
}

bool forest_section(const Eigen::MatrixXd& X, int trees, int max_p) {
  const osprey::IsolationForestParams params{
      .n_estimators = trees, .contamination = 0.01, .random_state = 42};
  auto t0 = Clock::now();
  osprey::IsolationForest<> single(params);
  single.fit(X);
  const double single_fit = seconds_since(t0);
  const std::string want = saved(single);
  const auto& st = osprey::detail::IsolationForestInternals<double>::state(single);
  const std::uint64_t tree_bytes =
      st.n_internal() * 12 + st.n_leaves() * 8 + (st.n_internal() + st.n_leaves()) * 4;
  const auto psi = static_cast<std::uint64_t>(st.samples_per_tree);
  const auto d = static_cast<std::uint64_t>(X.cols());
  std::printf(
      "\n### IsolationForest fit: %lld rows x %lld, %d trees, psi = %llu, contamination "
      "0.01\n\n",
      static_cast<long long>(X.rows()), static_cast<long long>(X.cols()), trees,
      static_cast<unsigned long long>(psi));
  std::printf(
      "| p | fit s | bytes sent, all ranks | model: samples + trees + quantile | equal "
      "|\n|---|---|---|---|---|\n");
  std::printf("| single-node (%d threads) | %.3f | 0 | 0 | - |\n", osprey::max_threads(),
              single_fit);
  bool ok = true;
  for (int p = 1; p <= max_p; p *= 2) {
    std::vector<std::uint64_t> bytes(static_cast<std::size_t>(p));
    std::vector<int> equal(static_cast<std::size_t>(p), 0);
    double wall = 0;
    osprey::dist::run_ranks(p, [&](osprey::dist::ThreadCommunicator& comm) {
      const auto [r0, r1] = share(X.rows(), comm.rank(), p);
      osprey::dist::IsolationForest<> forest(params);
      comm.barrier();
      const auto s0 = Clock::now();
      const auto b0 = comm.stats().bytes_sent;
      forest.fit(comm, X.middleRows(r0, r1 - r0));
      comm.barrier();
      if (comm.rank() == 0) wall = seconds_since(s0);
      bytes[static_cast<std::size_t>(comm.rank())] = comm.stats().bytes_sent - b0;
      equal[static_cast<std::size_t>(comm.rank())] =
          saved(forest.forest()) == want && forest.offset() == single.offset();
    });
    std::uint64_t total = 0;
    for (const auto b : bytes) total += b;
    const auto P = static_cast<std::uint64_t>(p);
    // expected sample bytes: each drawn row moves unless its owner grows the tree (1/p of them)
    const double samples = static_cast<double>(trees) * static_cast<double>(psi) *
                           static_cast<double>(d) * 8.0 * static_cast<double>(P - 1) /
                           static_cast<double>(P);
    const double model =
        samples + static_cast<double>(static_cast<std::uint64_t>(trees) * tree_bytes * (P - 1)) +
        static_cast<double>(8 * 2 * 256 * 8 * (P - 1) * P);
    const bool same = std::all_of(equal.begin(), equal.end(), [](int e) { return e == 1; });
    ok = ok && same;
    std::printf("| %d | %.3f | %llu | %.0f | %s |\n", p, wall,
                static_cast<unsigned long long>(total), model, same ? "yes" : "NO");
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const auto arg = [&](int i, long long fallback) {
    return argc > i ? std::atoll(argv[i]) : fallback;
  };
  const auto n = static_cast<Eigen::Index>(arg(1, 1000000));
  const auto d = static_cast<Eigen::Index>(arg(2, 16));
  const auto q = static_cast<Eigen::Index>(arg(3, 1000));
  const auto k = static_cast<int>(arg(4, 10));
  const auto forest_rows = static_cast<Eigen::Index>(arg(5, 1000000));
  const auto trees = static_cast<int>(arg(6, 100));
  const auto max_p = static_cast<int>(arg(7, 4));
  bool ok = knn_section(gaussian(n, d, 1), gaussian(q, d, 2), k, max_p);
  ok = forest_section(gaussian(forest_rows, d, 3), trees, max_p) && ok;
  if (!ok) std::printf("\nFAILED: a distributed result differs from single-node\n");
  return ok ? 0 : 1;
}

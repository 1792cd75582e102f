#include "common/prelude.hpp"

#include <cstdint>
#include <vector>

#include <osprey/anomaly/isolation_forest.hpp>
#include <osprey/core/threads.hpp>
#include <osprey/graph/graph.hpp>
#include <osprey/graph/pagerank.hpp>
#include <osprey/imbalance/adasyn.hpp>
#include <osprey/imbalance/smote.hpp>
#include <osprey/imbalance/smote_tomek.hpp>
#include <osprey/imbalance/under_sampling.hpp>
#include <osprey/metrics/ranking.hpp>
#include <osprey/neighbors/kneighbors.hpp>
#include <osprey/neighbors/nearest_neighbors.hpp>

#include "cancel_workloads.hpp"

using osprey::Algorithm;
using osprey::Execution;
using osprey::Matrix;
using osprey::testing::cancel_data;
using osprey::testing::cancel_labels;

namespace {

// Restores the process-wide default when a test case ends (the suite shares the process).
struct MaxThreadsGuard {
  MaxThreadsGuard() = default;
  MaxThreadsGuard(const MaxThreadsGuard&) = delete;
  MaxThreadsGuard& operator=(const MaxThreadsGuard&) = delete;
  ~MaxThreadsGuard() { osprey::set_max_threads(0); }
};

// `call(n_threads)` runs one parallel path. With max_threads() = 3 and n_threads = 0 its
// largest team is 3; under ThreadLimit(1) it stays serial even when asked for 4; under
// ThreadLimit(2) with n_threads = 0 it uses at most 2.
template <class Call>
void check_teams(const char* path, Call&& call) {
  INFO(path);
  osprey::set_max_threads(3);
  osprey::detail::reset_team_peak();
  call(0);
  CHECK(osprey::detail::team_peak == 3);
  {
    const osprey::ThreadLimit one(1);
    osprey::detail::reset_team_peak();
    call(4);
    CHECK(osprey::detail::team_peak <= 1);
  }
  {
    const osprey::ThreadLimit two(2);
    osprey::detail::reset_team_peak();
    call(0);
    CHECK(osprey::detail::team_peak <= 2);
    CHECK(osprey::detail::team_peak >= 1);  // it did run in parallel (a team was recorded)
  }
}

}  // namespace

TEST_CASE("Threads: counts the OpenMP threads used by the neighbour searches", "[threads]") {
  if constexpr (osprey::detail::has_openmp) {
    const MaxThreadsGuard guard;
    const Matrix<double> X = cancel_data<double>(3000, 8, 41);
    const Matrix<double> Q = cancel_data<double>(2000, 8, 42);
    const Matrix<double> L = cancel_data<double>(6000, 3, 43);
    const Eigen::VectorXi y = cancel_labels(3000, 1000);
    check_teams("brute-force query", [&](int n) {
      osprey::NearestNeighbors<double> nn({.algorithm = Algorithm::brute, .n_threads = n});
      (void)nn.fit(X).kneighbors(Q, 5);
    });
    check_teams("brute-force query, Manhattan", [&](int n) {
      osprey::NearestNeighbors<double, osprey::Manhattan> nn(
          {.algorithm = Algorithm::brute, .n_threads = n});
      (void)nn.fit(X).kneighbors(Q, 5);
    });
    check_teams("brute-force training-set search", [&](int n) {
      osprey::NearestNeighbors<double> nn({.algorithm = Algorithm::brute, .n_threads = n});
      (void)nn.fit(X).kneighbors(5);
    });
    check_teams("kd-tree build", [&](int n) {
      osprey::NearestNeighbors<double> nn({.algorithm = Algorithm::kd_tree, .n_threads = n});
      nn.fit(L);
    });
    check_teams("kd-tree query", [&](int n) {
      osprey::NearestNeighbors<double> nn({.algorithm = Algorithm::kd_tree, .n_threads = n});
      nn.fit(L.topRows(100));  // below the parallel build's size: only the query is parallel
      (void)nn.kneighbors(L, 4);
    });
    check_teams("KNeighborsClassifier predict", [&](int n) {
      osprey::KNeighborsClassifier<double> knn({.algorithm = Algorithm::brute, .n_threads = n});
      (void)knn.fit(X, y).predict(Q);
    });
    check_teams("KNeighborsRegressor predict", [&](int n) {
      osprey::KNeighborsRegressor<double> knn({.algorithm = Algorithm::brute, .n_threads = n});
      (void)knn.fit(X, y.cast<double>()).predict(Q);
    });
  }
}

TEST_CASE("Threads: counts the OpenMP threads used by the forest, PageRank and metrics",
          "[threads]") {
  if constexpr (osprey::detail::has_openmp) {
    const MaxThreadsGuard guard;
    const Matrix<double> X = cancel_data<double>(20000, 4, 44);
    check_teams("IsolationForest fit", [&](int n) {
      osprey::IsolationForest<double> f({.n_estimators = 30, .n_threads = n});
      f.fit(X.topRows(500));
    });
    check_teams("IsolationForest score_samples", [&](int n) {
      osprey::IsolationForest<double> f({.n_estimators = 30, .n_threads = n});
      f.fit(X.topRows(500));
      osprey::detail::reset_team_peak();  // count the scoring only
      (void)f.score_samples(X);
    });
    std::vector<osprey::Graph<double>::Edge> edges;
    std::uint64_t state = 45;
    for (int e = 0; e < 120000; ++e) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const auto u = static_cast<std::int64_t>((state >> 33) % 20000);
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      edges.emplace_back(u, static_cast<std::int64_t>((state >> 33) % 20000));
    }
    const auto g = osprey::Graph<double>::from_edges(20000, edges);
    check_teams("PageRank fit", [&](int n) {
      osprey::PageRank<double> pr({.max_iter = 5, .n_threads = n});
      pr.fit(g);
    });
    // Above kernels::radix_parallel_threshold, so the sort is parallel.
    const Eigen::Index big =
        static_cast<Eigen::Index>(osprey::kernels::radix_parallel_threshold) * 3;
    const Eigen::VectorXd s = cancel_data<double>(big, 1, 46).col(0);
    const Eigen::VectorXi yb = cancel_labels(big, big / 2);
    check_teams("roc_auc_score",
                [&](int n) { (void)osprey::roc_auc_score(yb, s, Execution{.n_threads = n}); });
    check_teams("average_precision_score", [&](int n) {
      (void)osprey::average_precision_score(yb, s, 1, Execution{.n_threads = n});
    });
    check_teams("roc_curve",
                [&](int n) { (void)osprey::roc_curve(yb, s, 1, true, Execution{.n_threads = n}); });
    check_teams("precision_recall_curve", [&](int n) {
      (void)osprey::precision_recall_curve(yb, s, 1, Execution{.n_threads = n});
    });
  }
}

TEST_CASE("Threads: counts the OpenMP threads used by the resamplers", "[threads]") {
  if constexpr (osprey::detail::has_openmp) {
    const MaxThreadsGuard guard;
    const Matrix<double> X = cancel_data<double>(4000, 6, 47);
    const Eigen::VectorXi y = cancel_labels(4000, 1200);
    check_teams("Smote",
                [&](int n) { (void)osprey::Smote<double>({.n_threads = n}).fit_resample(X, y); });
    check_teams("BorderlineSmote", [&](int n) {
      (void)osprey::BorderlineSmote<double>({.n_threads = n}).fit_resample(X, y);
    });
    check_teams("Adasyn",
                [&](int n) { (void)osprey::Adasyn<double>({.n_threads = n}).fit_resample(X, y); });
    check_teams("SmoteTomek", [&](int n) {
      (void)osprey::SmoteTomek<double>({.n_threads = n}).fit_resample(X, y);
    });
    check_teams("TomekLinks", [&](int n) {
      (void)osprey::TomekLinks<double>({.n_threads = n}).fit_resample(X, y);
    });
    check_teams("RandomUnderSampler", [&](int n) {
      (void)osprey::RandomUnderSampler<double>({.n_threads = n}).fit_resample(X, y);
    });
  }
}

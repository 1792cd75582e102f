// The long calls of the cancellation tests (test_cancellation.cpp): each workload prepares its
// input (and fits what it queries, with the token in the Params), then returns the call to
// cancel. Every input runs well over a second uncancelled in the Release build on two cores and
// stays far under 1 GB, so the tests run under AddressSanitizer too.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <osprey/anomaly/isolation_forest.hpp>
#include <osprey/graph/graph.hpp>
#include <osprey/graph/pagerank.hpp>
#include <osprey/imbalance/adasyn.hpp>
#include <osprey/imbalance/smote.hpp>
#include <osprey/metrics/ranking.hpp>
#include <osprey/neighbors/kneighbors.hpp>
#include <osprey/neighbors/nearest_neighbors.hpp>

namespace osprey::testing {

/** A call to cancel, and what its Cancelled message says. */
struct Workload {
  std::string name;                                                     ///< for the reports
  std::string message;                                                  ///< "<Class>::<method>"
  std::function<std::function<void()>(const CancellationToken&)> make;  ///< prepare, then call
};

/** Deterministic uniform data in [-1, 1] (an LCG, so every platform gets the same input). */
template <class S>
Matrix<S> cancel_data(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
  Matrix<S> X(n, d);
  std::uint64_t state = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (Eigen::Index j = 0; j < d; ++j) {
    for (Eigen::Index i = 0; i < n; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      X(i, j) = static_cast<S>(static_cast<double>(state >> 11) * 0x1.0p-52 - 1.0);
    }
  }
  return X;
}

/** Labels 1 for the first `n_pos` rows, else 0. */
inline Eigen::VectorXi cancel_labels(Eigen::Index n, Eigen::Index n_pos) {
  Eigen::VectorXi y = Eigen::VectorXi::Zero(n);
  y.head(n_pos).setOnes();
  return y;
}

inline std::vector<Workload> cancel_workloads() {
  std::vector<Workload> w;
  w.push_back({"brute-force kneighbors", "NearestNeighbors::kneighbors",
               [](const CancellationToken& token) -> std::function<void()> {
                 auto nn = std::make_shared<NearestNeighbors<float>>(
                     NearestNeighborsParams{.algorithm = Algorithm::brute, .cancellation = token});
                 nn->fit(cancel_data<float>(30000, 128, 1));
                 auto Q = std::make_shared<Matrix<float>>(cancel_data<float>(30000, 128, 2));
                 return [nn, Q] { (void)nn->kneighbors(*Q, 10); };
               }});
  w.push_back({"brute-force leave-one-out kneighbors", "NearestNeighbors::kneighbors",
               [](const CancellationToken& token) -> std::function<void()> {
                 auto nn = std::make_shared<NearestNeighbors<double>>(
                     NearestNeighborsParams{.algorithm = Algorithm::brute, .cancellation = token});
                 nn->fit(cancel_data<double>(30000, 128, 3));
                 return [nn] { (void)nn->kneighbors(10); };
               }});
  w.push_back({"kd-tree build", "NearestNeighbors::fit",
               [](const CancellationToken& token) -> std::function<void()> {
                 auto X = std::make_shared<Matrix<double>>(cancel_data<double>(4000000, 3, 4));
                 return [X, token] {
                   NearestNeighbors<double> nn(
                       {.algorithm = Algorithm::kd_tree, .leaf_size = 4, .cancellation = token});
                   nn.fit(*X);
                 };
               }});
  w.push_back({"kd-tree kneighbors", "NearestNeighbors::kneighbors",
               [](const CancellationToken& token) -> std::function<void()> {
                 auto nn = std::make_shared<NearestNeighbors<double>>(NearestNeighborsParams{
                     .algorithm = Algorithm::kd_tree, .cancellation = token});
                 nn->fit(cancel_data<double>(200000, 6, 5));
                 auto Q = std::make_shared<Matrix<double>>(cancel_data<double>(250000, 6, 6));
                 return [nn, Q] { (void)nn->kneighbors(*Q, 32); };
               }});
  w.push_back({"KNeighborsClassifier predict_proba", "KNeighborsClassifier::predict_proba",
               [](const CancellationToken& token) -> std::function<void()> {
                 auto knn = std::make_shared<KNeighborsClassifier<float>>(
                     KNeighborsParams{.algorithm = Algorithm::brute, .cancellation = token});
                 knn->fit(cancel_data<float>(30000, 128, 7), cancel_labels(30000, 10000));
                 auto Q = std::make_shared<Matrix<float>>(cancel_data<float>(15000, 128, 8));
                 return [knn, Q] { (void)knn->predict_proba(*Q); };
               }});
  return w;
}

inline void add_resampler_workloads(std::vector<Workload>& w) {
  // One class of 22000 rows in 80 dimensions to grow: its neighbour searches dominate.
  const auto X = std::make_shared<Matrix<double>>(cancel_data<double>(52000, 80, 9));
  const auto y = std::make_shared<Eigen::VectorXi>(cancel_labels(52000, 22000));
  w.push_back({"Smote fit_resample", "Smote::fit_resample",
               [X, y](const CancellationToken& token) -> std::function<void()> {
                 return [X, y, token] {
                   Smote<double> s({.cancellation = token});
                   (void)s.fit_resample(*X, *y);
                 };
               }});
  w.push_back({"BorderlineSmote fit_resample", "BorderlineSmote::fit_resample",
               [X, y](const CancellationToken& token) -> std::function<void()> {
                 return [X, y, token] {
                   BorderlineSmote<double> s({.cancellation = token});
                   (void)s.fit_resample(*X, *y);
                 };
               }});
  w.push_back({"Adasyn fit_resample", "Adasyn::fit_resample",
               [X, y](const CancellationToken& token) -> std::function<void()> {
                 return [X, y, token] {
                   Adasyn<double> s({.cancellation = token});
                   (void)s.fit_resample(*X, *y);
                 };
               }});
}

inline void add_model_workloads(std::vector<Workload>& w) {
  w.push_back({"IsolationForest fit", "IsolationForest::fit",
               [](const CancellationToken& token) -> std::function<void()> {
                 auto X = std::make_shared<Matrix<double>>(cancel_data<double>(200000, 8, 10));
                 return [X, token] {
                   IsolationForest<double> f(
                       {.n_estimators = 2500, .max_samples = 4096, .cancellation = token});
                   f.fit(*X);
                 };
               }});
  w.push_back({"IsolationForest score_samples", "IsolationForest::score_samples",
               [](const CancellationToken& token) -> std::function<void()> {
                 auto f = std::make_shared<IsolationForest<double>>(
                     IsolationForestParams{.n_estimators = 1000, .cancellation = token});
                 f->fit(cancel_data<double>(10000, 8, 11));
                 auto X = std::make_shared<Matrix<double>>(cancel_data<double>(300000, 8, 12));
                 return [f, X] { (void)f->score_samples(*X); };
               }});
  w.push_back({"PageRank fit", "PageRank::fit",
               [](const CancellationToken& token) -> std::function<void()> {
                 const std::int64_t n = 1000000;
                 std::vector<Graph<double>::Edge> edges;
                 edges.reserve(10000000);
                 std::uint64_t state = 13;
                 for (std::int64_t e = 0; e < 10000000; ++e) {
                   state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                   const auto u = static_cast<std::int64_t>((state >> 33) % 1000000);
                   state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                   edges.emplace_back(u, static_cast<std::int64_t>((state >> 33) % 1000000));
                 }
                 auto g = std::make_shared<Graph<double>>(Graph<double>::from_edges(n, edges));
                 return [g, token] {
                   PageRank<double> pr({.tol = 1e-300, .max_iter = 200, .cancellation = token});
                   pr.fit(*g);
                 };
               }});
}

inline void add_metric_workloads(std::vector<Workload>& w) {
  // One-vs-rest AUC of 40 classes over 2.5M rows (float: 400 MB): 40 sorts of 2.5M scores.
  w.push_back({"roc_auc_score one-vs-rest", "roc_auc_score",
               [](const CancellationToken& token) -> std::function<void()> {
                 const Eigen::Index n = 2500000;
                 const Eigen::Index k = 40;
                 auto P = std::make_shared<Matrix<float>>(cancel_data<float>(n, k, 14));
                 *P = P->array().abs() + 0.01f;  // in place: one 400 MB matrix only
                 const Eigen::VectorXf sums = P->rowwise().sum();
                 P->array().colwise() /= sums.array();
                 auto y = std::make_shared<Eigen::VectorXi>(n);
                 for (Eigen::Index i = 0; i < n; ++i) (*y)(i) = static_cast<int>(i % k);
                 return [P, y, token] {
                   (void)roc_auc_score(*y, *P, Execution{.cancellation = token});
                 };
               }});
  // Binary average precision over 20M float scores (about 320 MB with the sort's keys).
  w.push_back({"average_precision_score", "average_precision_score",
               [](const CancellationToken& token) -> std::function<void()> {
                 auto s = std::make_shared<Vector<float>>(cancel_data<float>(20000000, 1, 15));
                 auto y = std::make_shared<Eigen::VectorXi>(cancel_labels(20000000, 7000000));
                 return [s, y, token] {
                   (void)average_precision_score(*y, *s, 1, Execution{.cancellation = token});
                 };
               }});
}

}  // namespace osprey::testing

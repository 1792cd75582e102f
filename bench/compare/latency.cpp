// First request against warm requests, for bench/compare/latency.py: fits one of the single-row
// workloads of bench/latency.cpp (the same data, seeds and parameters) in this fresh process,
// then serves `calls` requests of one row each, a new row per call, on one thread
// (ThreadLimit(1)), and prints the "calls <workload>" line of call_stats.hpp with the seconds to 9
// decimals: the first request (the first after the fit, as a service that has just loaded its
// model pays it), the warm request (median of the second half), page faults and peak RSS.
//
//   compare_latency <workload> <calls>
//       workload: BM_ScalerIsolationForestOneRow (StandardScaler + IsolationForest, 100 trees,
//       fitted on 100k x 10 normal rows; transform_into + score_one), BM_KnnBruteOneQuery
//       (KNeighborsClassifier k = 5, brute force, 100k x 64 uniform float; predict_proba_one
//       with a QueryWorkspace) or BM_KnnKdTreeOneQuery (the same on a kd-tree over 1M x 3).
#include <osprey/anomaly/isolation_forest.hpp>
#include <osprey/core/random.hpp>
#include <osprey/core/threads.hpp>
#include <osprey/neighbors/kneighbors.hpp>
#include <osprey/preprocessing/scalers.hpp>

#include <cstdint>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../latency_data.hpp"
#include "call_stats.hpp"

namespace {

constexpr Eigen::Index kQueries = 4096;  // distinct requests, as bench_latency cycles them

using latency_data::normal;
using latency_data::two_classes;
using latency_data::uniform;

/** Serves `calls` one-row requests, call(i) for i = 0, 1, ..., on the calling thread only. */
template <class Call>
void serve(const char* name, int calls, Call&& call) {
  osprey::ThreadLimit one(1);
  Eigen::Index i = 0;
  const auto stats = compare::measure_calls(calls, [&] { call(i++ % kQueries); });
  compare::print_calls(name, stats, "calls ", 9);
}

void scaler_iforest(const char* name, int calls) {
  const auto X = normal<double>(100000, 10, 1);
  const auto Q = normal<double>(kQueries, 10, 2);
  osprey::StandardScaler<double> scaler;
  osprey::IsolationForest<double> forest({.n_estimators = 100, .random_state = 3});
  forest.fit(scaler.fit(X).transform(X));
  Eigen::RowVectorXd z(10);
  double sink = 0.0;
  serve(name, calls, [&](Eigen::Index i) {
    scaler.transform_into(Q.row(i), z);
    sink += forest.score_one(z);
  });
  std::cerr << "(checksum " << sink << ")\n";
}

void knn(const char* name, int calls, const osprey::RowMatrix<float>& X, const Eigen::VectorXi& y,
         osprey::Algorithm algorithm, std::uint64_t seed) {
  using Clf = osprey::KNeighborsClassifier<float>;
  Clf clf(Clf::Params{.n_neighbors = 5, .algorithm = algorithm});
  clf.fit(X, y);
  const auto Q = uniform<float>(kQueries, X.cols(), seed);
  osprey::QueryWorkspace<float> ws;  // a service's per-thread workspace, empty until the first call
  Eigen::VectorXf proba(2);
  float sink = 0;
  serve(name, calls, [&](Eigen::Index i) {
    clf.predict_proba_one(Q.row(i), ws, proba);
    sink += proba(1);
  });
  std::cerr << "(checksum " << sink << ")\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: compare_latency <workload> <calls>\n";
    return 2;
  }
  try {
    const std::string workload = argv[1];
    const int calls = std::stoi(argv[2]);
    if (workload == "BM_ScalerIsolationForestOneRow") {
      scaler_iforest(argv[1], calls);
    } else if (workload == "BM_KnnBruteOneQuery") {
      knn(argv[1], calls, uniform<float>(100000, 64, 4), two_classes(100000, 5),
          osprey::Algorithm::brute, 6);
    } else if (workload == "BM_KnnKdTreeOneQuery") {
      knn(argv[1], calls, uniform<float>(1000000, 3, 7), two_classes(1000000, 8),
          osprey::Algorithm::kd_tree, 9);
    } else {
      std::cerr << "compare_latency: unknown workload " << workload << "\n";
      return 2;
    }
  } catch (const std::exception& e) {
    std::cerr << "compare_latency: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

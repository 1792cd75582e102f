// compare_neighbors: times osprey's exact k-nearest-neighbour search on data written by
// bench/compare/neighbors.py (which runs the peers on the same files and prints the ratios).
//
// usage: compare_neighbors METRIC ALGORITHM TRAIN QUERIES K THREADS REPEAT OUT
//   METRIC euclidean | manhattan; ALGORITHM brute | kd_tree | automatic;
//   TRAIN/QUERIES: int64 rows, int64 cols, then float32 values row-major;
//   OUT: the int32 neighbour indices of the last run (rows x K, row-major), or '-' for none.
// Prints "fit_s=<best> query_s=<best> total_s=<best fit+query>", then the "calls knn" line of
// call_stats.hpp (fit + kneighbors: first and warm call, page faults, peak RSS).
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wmaybe-uninitialized inside Eigen's AVX-512 GEMM kernels (-march=native);
// the pragma must precede the first Eigen include to cover the intrinsic headers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <osprey/osprey.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "call_stats.hpp"
#include "matrix_file.hpp"

namespace {

using compare::read_matrix;
using compare::seconds_since;

template <class Metric>
int run(const std::string& algorithm_name, const osprey::RowMatrix<float>& X,
        const osprey::RowMatrix<float>& Q, int k, int threads, int repeat, const std::string& out) {
  osprey::Algorithm algorithm = osprey::Algorithm::automatic;
  if (algorithm_name == "brute") algorithm = osprey::Algorithm::brute;
  if (algorithm_name == "kd_tree") algorithm = osprey::Algorithm::kd_tree;
  double best_fit = 1e300;
  double best_query = 1e300;
  double best_total = 1e300;
  osprey::Neighbors<float> result;
  std::vector<compare::CallStats> calls;
  for (int r = 0; r < repeat; ++r) {
    osprey::NearestNeighbors<float, Metric> nn({.algorithm = algorithm, .n_threads = threads});
    const auto u0 = compare::usage_now();
    const auto t0 = std::chrono::steady_clock::now();
    nn.fit(X);
    const double fit_s = seconds_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    result = nn.kneighbors(Q, k);
    const double query_s = seconds_since(t1);
    const auto u1 = compare::usage_now();
    calls.push_back({fit_s + query_s, u1.ru_minflt - u0.ru_minflt, compare::peak_rss_mib()});
    best_fit = std::min(best_fit, fit_s);
    best_query = std::min(best_query, query_s);
    best_total = std::min(best_total, fit_s + query_s);
  }
  if (out != "-") {
    std::ofstream f(out, std::ios::binary);
    const osprey::RowMatrix<int> idx = result.indices;
    f.write(reinterpret_cast<const char*>(idx.data()),
            static_cast<std::streamsize>(static_cast<std::size_t>(idx.size()) * sizeof(int)));
  }
  std::printf("fit_s=%.6f query_s=%.6f total_s=%.6f\n", best_fit, best_query, best_total);
  if (calls.size() >= 2) compare::print_calls("knn", calls);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 9) {
    std::cerr << "usage: compare_neighbors METRIC ALGORITHM TRAIN QUERIES K THREADS REPEAT OUT\n";
    return 2;
  }
  try {
    const std::string metric = argv[1];
    const auto X = read_matrix(argv[3]);
    const auto Q = read_matrix(argv[4]);
    const int k = std::stoi(argv[5]);
    const int threads = std::stoi(argv[6]);
    const int repeat = std::stoi(argv[7]);
    if (metric == "euclidean")
      return run<osprey::Euclidean>(argv[2], X, Q, k, threads, repeat, argv[8]);
    if (metric == "manhattan")
      return run<osprey::Manhattan>(argv[2], X, Q, k, threads, repeat, argv[8]);
    std::cerr << "unknown metric " << metric << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

// compare_radius: times osprey's radius queries and cosine k-NN on data written by
// bench/compare/radius.py (which runs the peers on the same files and prints the ratios).
//
// usage: compare_radius MODE METRIC ALGORITHM TRAIN QUERIES PARAM THREADS REPEAT OUT
//   MODE radius (radius_neighbors, PARAM = r) | count (radius_neighbors_count, PARAM = r) |
//   knn (kneighbors, PARAM = k); METRIC euclidean | cosine; ALGORITHM brute | kd_tree;
//   TRAIN/QUERIES: int64 rows, int64 cols, then float32 values row-major;
//   OUT: the int64 neighbour count of every query (radius, count) or the int32 indices (knn) of
//   the last run, or '-' for none.
// Prints "fit_s=<best> query_s=<best> total_s=<best fit+query> found=<neighbours of the last run>",
// then the "calls radius" line of call_stats.hpp (first and warm call, page faults, peak RSS).
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
int run(const std::string& mode, const std::string& algorithm_name,
        const osprey::RowMatrix<float>& X, const osprey::RowMatrix<float>& Q, double param,
        int threads, int repeat, const std::string& out) {
  const osprey::Algorithm algorithm =
      algorithm_name == "kd_tree" ? osprey::Algorithm::kd_tree : osprey::Algorithm::brute;
  double best_fit = 1e300;
  double best_query = 1e300;
  double best_total = 1e300;
  std::vector<std::int64_t> counts;
  std::vector<int> indices;
  std::int64_t found = 0;
  std::vector<compare::CallStats> calls;
  for (int r = 0; r < repeat; ++r) {
    osprey::NearestNeighbors<float, Metric> nn({.algorithm = algorithm, .n_threads = threads});
    const auto u0 = compare::usage_now();
    const auto t0 = std::chrono::steady_clock::now();
    nn.fit(X);
    const double fit_s = seconds_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    counts.assign(static_cast<std::size_t>(Q.rows()), 0);
    if (mode == "radius") {
      const auto result = nn.radius_neighbors(Q, param);
      for (Eigen::Index i = 0; i < Q.rows(); ++i)
        counts[static_cast<std::size_t>(i)] = result.count(i);
      found = result.offsets(Q.rows());
    } else if (mode == "count") {
      const auto result = nn.radius_neighbors_count(Q, param);
      found = 0;
      for (Eigen::Index i = 0; i < Q.rows(); ++i) {
        counts[static_cast<std::size_t>(i)] = result(i);
        found += result(i);
      }
    } else {
      const auto result = nn.kneighbors(Q, static_cast<int>(param));
      const osprey::RowMatrix<int> idx = result.indices;
      indices.assign(idx.data(), idx.data() + idx.size());
      found = idx.size();
    }
    const double query_s = seconds_since(t1);
    const auto u1 = compare::usage_now();
    calls.push_back({fit_s + query_s, u1.ru_minflt - u0.ru_minflt, compare::peak_rss_mib()});
    best_fit = std::min(best_fit, fit_s);
    best_query = std::min(best_query, query_s);
    best_total = std::min(best_total, fit_s + query_s);
  }
  if (out != "-") {
    std::ofstream f(out, std::ios::binary);
    if (mode == "knn") {
      f.write(reinterpret_cast<const char*>(indices.data()),
              static_cast<std::streamsize>(indices.size() * sizeof(int)));
    } else {
      f.write(reinterpret_cast<const char*>(counts.data()),
              static_cast<std::streamsize>(counts.size() * sizeof(std::int64_t)));
    }
  }
  std::printf("fit_s=%.6f query_s=%.6f total_s=%.6f found=%lld\n", best_fit, best_query, best_total,
              static_cast<long long>(found));
  if (calls.size() >= 2) compare::print_calls("radius", calls);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 10) {
    std::cerr << "usage: compare_radius MODE METRIC ALGORITHM TRAIN QUERIES PARAM THREADS REPEAT "
                 "OUT\n";
    return 2;
  }
  try {
    const std::string mode = argv[1];
    const std::string metric = argv[2];
    const auto X = read_matrix(argv[4]);
    const auto Q = read_matrix(argv[5]);
    const double param = std::stod(argv[6]);
    const int threads = std::stoi(argv[7]);
    const int repeat = std::stoi(argv[8]);
    if (mode != "radius" && mode != "count" && mode != "knn") {
      std::cerr << "unknown mode " << mode << "\n";
      return 2;
    }
    if (metric == "euclidean")
      return run<osprey::Euclidean>(mode, argv[3], X, Q, param, threads, repeat, argv[9]);
    if (metric == "cosine")
      return run<osprey::Cosine>(mode, argv[3], X, Q, param, threads, repeat, argv[9]);
    std::cerr << "unknown metric " << metric << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

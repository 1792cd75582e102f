// compare_hnsw: osprey's HnswIndex on the sets written by bench/compare/ann_sets.py (the script
// bench/compare/hnsw.py runs hnswlib on the same files and prints the ratios).
//
// usage: compare_hnsw truth TRAIN QUERIES K OUT
//          exact neighbours by NearestNeighbors (brute force, all threads) into OUT
//          (int32 rows x K, row-major)
//        compare_hnsw sweep TRAIN QUERIES TRUTH M EFC BUILD_THREADS QUERY_THREADS REPEAT EF...
//          builds with BUILD_THREADS threads and prints "build_s=<s>"; then, for each thread
//          count in the comma-separated QUERY_THREADS (may be '-' for none) and each EF, the best
//          of REPEAT query passes over all queries (k = 10): "threads=<t> ef=<ef>
//          recall=<recall@10> qps=<queries per second>".
//   TRAIN/QUERIES: int64 rows, int64 cols, then float32 values row-major.
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
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include "matrix_file.hpp"

namespace {

using compare::read_matrix;
using compare::seconds_since;

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  if (s == "-") return out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoi(item));
  return out;
}

int truth(const std::string& train, const std::string& queries, int k, const std::string& out) {
  const auto X = read_matrix(train);
  const auto Q = read_matrix(queries);
  // One thread: the exact search's cost is the reference point of the recall-QPS table.
  osprey::NearestNeighbors<float> nn({.algorithm = osprey::Algorithm::brute, .n_threads = 1});
  const auto t0 = std::chrono::steady_clock::now();
  nn.fit(X);
  const osprey::RowMatrix<int> idx = nn.kneighbors(Q, k).indices;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("exact_s=%.6f\n", seconds);
  std::ofstream f(out, std::ios::binary);
  f.write(reinterpret_cast<const char*>(idx.data()),
          static_cast<std::streamsize>(static_cast<std::size_t>(idx.size()) * sizeof(int)));
  return f ? 0 : 1;
}

int sweep(int argc, char** argv) {
  const auto X = read_matrix(argv[2]);
  const auto Q = read_matrix(argv[3]);
  constexpr int k = 10;
  osprey::RowMatrix<int> exact(Q.rows(), k);
  {
    std::ifstream f(argv[4], std::ios::binary);
    f.read(reinterpret_cast<char*>(exact.data()),
           static_cast<std::streamsize>(static_cast<std::size_t>(exact.size()) * sizeof(int)));
    if (!f) throw std::runtime_error(std::string("short file ") + argv[4]);
  }
  const int M = std::stoi(argv[5]);
  const int efc = std::stoi(argv[6]);
  const int build_threads = std::stoi(argv[7]);
  const std::vector<int> query_threads = parse_list(argv[8]);
  const int repeat = std::stoi(argv[9]);
  osprey::HnswIndex<float> index(
      {.M = M, .ef_construction = efc, .random_state = 42, .n_threads = build_threads});
  const auto t0 = std::chrono::steady_clock::now();
  index.add(X);
  std::printf("build_s=%.3f\n", seconds_since(t0));
  std::fflush(stdout);
  for (const int threads : query_threads) {
    index.set_execution({.n_threads = threads});
    for (int a = 10; a < argc; ++a) {
      const int ef = std::stoi(argv[a]);
      double best = 1e300;
      osprey::Neighbors<float> got;
      for (int r = 0; r < repeat; ++r) {
        const auto t1 = std::chrono::steady_clock::now();
        got = index.kneighbors(Q, k, ef);
        best = std::min(best, seconds_since(t1));
      }
      double hits = 0;
      for (Eigen::Index i = 0; i < Q.rows(); ++i) {
        const std::unordered_set<int> want(exact.row(i).data(), exact.row(i).data() + k);
        for (Eigen::Index j = 0; j < k; ++j) hits += want.count(got.indices(i, j)) ? 1.0 : 0.0;
      }
      std::printf("threads=%d ef=%d recall=%.5f qps=%.1f\n", threads, ef,
                  hits / static_cast<double>(Q.rows() * k), static_cast<double>(Q.rows()) / best);
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "truth" && argc == 6) return truth(argv[2], argv[3], std::stoi(argv[4]), argv[5]);
    if (mode == "sweep" && argc >= 11) return sweep(argc, argv);
    std::cerr << "usage: compare_hnsw truth TRAIN QUERIES K OUT\n"
                 "       compare_hnsw sweep TRAIN QUERIES TRUTH M EFC BUILD_THREADS QUERY_THREADS "
                 "REPEAT EF...\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

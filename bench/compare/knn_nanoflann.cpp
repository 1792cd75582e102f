// compare_knn_nanoflann: the nanoflann (libnanoflann-dev) peer of compare_neighbors for the
// low-dimensional kd-tree case, run by bench/compare/neighbors.py on the same files.
//
// usage: compare_knn_nanoflann TRAIN QUERIES K THREADS REPEAT LEAF_SIZE
// Builds KDTreeSingleIndexAdaptor (L2, float, dimension fixed at run time) with the given leaf
// size (nanoflann's build is serial), then runs knnSearch for every query with an OpenMP loop on
// THREADS threads. Prints "fit_s=<best> query_s=<best> total_s=<best fit+query>".
#include <nanoflann.hpp>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace {

struct Cloud {
  std::vector<float> values;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  [[nodiscard]] std::size_t kdtree_get_point_count() const {
    return static_cast<std::size_t>(rows);
  }
  [[nodiscard]] float kdtree_get_pt(std::size_t i, std::size_t j) const {
    return values[i * static_cast<std::size_t>(cols) + j];
  }
  template <class Box>
  bool kdtree_get_bbox(Box& /*bb*/) const {
    return false;
  }
};

Cloud read_cloud(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  Cloud c;
  in.read(reinterpret_cast<char*>(&c.rows), sizeof c.rows);
  in.read(reinterpret_cast<char*>(&c.cols), sizeof c.cols);
  c.values.resize(static_cast<std::size_t>(c.rows * c.cols));
  in.read(reinterpret_cast<char*>(c.values.data()),
          static_cast<std::streamsize>(c.values.size() * sizeof(float)));
  if (!in) throw std::runtime_error("short file " + path);
  return c;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

using Tree = nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<float, Cloud>, Cloud,
                                                 -1, std::uint32_t>;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: compare_knn_nanoflann TRAIN QUERIES K THREADS REPEAT LEAF_SIZE\n";
    return 2;
  }
  try {
    const Cloud X = read_cloud(argv[1]);
    const Cloud Q = read_cloud(argv[2]);
    const auto k = static_cast<std::size_t>(std::stoi(argv[3]));
    const int threads = std::stoi(argv[4]);
    const int repeat = std::stoi(argv[5]);
    const auto leaf = static_cast<std::size_t>(std::stoi(argv[6]));
    double best_fit = 1e300;
    double best_query = 1e300;
    double best_total = 1e300;
    std::vector<std::uint32_t> idx(static_cast<std::size_t>(Q.rows) * k);
    std::vector<float> dist(static_cast<std::size_t>(Q.rows) * k);
    for (int r = 0; r < repeat; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      Tree tree(static_cast<int>(X.cols), X, nanoflann::KDTreeSingleIndexAdaptorParams(leaf));
      const double fit_s = seconds_since(t0);
      const auto t1 = std::chrono::steady_clock::now();
      const auto m = static_cast<std::int64_t>(Q.rows);
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads)
      for (std::int64_t i = 0; i < m; ++i) {
        const auto row = static_cast<std::size_t>(i);
        tree.knnSearch(&Q.values[row * static_cast<std::size_t>(Q.cols)], k, &idx[row * k],
                       &dist[row * k]);
      }
      const double query_s = seconds_since(t1);
      best_fit = std::min(best_fit, fit_s);
      best_query = std::min(best_query, query_s);
      best_total = std::min(best_total, fit_s + query_s);
    }
    (void)threads;
    std::printf("fit_s=%.6f query_s=%.6f total_s=%.6f\n", best_fit, best_query, best_total);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

// Driven by bench/compare/smote.py: times osprey::Smote on the data the script wrote.
//   compare_smote X.bin y.bin n d repeats n_threads double|float
// X.bin: n x d float64, row-major; y.bin: n int32. Prints "median_s best_s count0 count1", then
// the "calls" line of call_stats.hpp (first and warm call, page faults, peak RSS): the process
// calls fit_resample `repeats` times, so its first call is a fresh process's.
// g++ 12 at -O3 -march=native warns (-Wmaybe-uninitialized, a false positive) inside Eigen's
// AVX-512 float GEMM packing, which the Euclidean neighbour search uses.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <osprey/imbalance/smote.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "call_stats.hpp"

namespace {

template <class Scalar>
int run(const osprey::RowMatrix<double>& X64, const Eigen::VectorXi& y, int repeats,
        int n_threads) {
  // The input in the precision timed, as the caller would hold it.
  const osprey::RowMatrix<Scalar> X = X64.cast<Scalar>();
  Eigen::Index c0 = 0;
  Eigen::Index c1 = 0;
  std::vector<compare::CallStats> calls;
  for (int r = 0; r < std::max(repeats, 2); ++r) {
    osprey::Resampled<Scalar> out;  // freed before the next call, as a caller would
    calls.push_back(compare::measure_call([&] {
      osprey::Smote<Scalar> smote({.k_neighbors = 5, .random_state = 0, .n_threads = n_threads});
      out = smote.fit_resample(X, y);
    }));
    c0 = (out.y.array() == 0).count();
    c1 = (out.y.array() == 1).count();
  }
  std::vector<double> times;
  for (const auto& c : calls) times.push_back(c.seconds);
  std::sort(times.begin(), times.end());
  std::printf("%.6f %.6f %ld %ld\n", times[times.size() / 2], times.front(), static_cast<long>(c0),
              static_cast<long>(c1));
  compare::print_calls(sizeof(Scalar) == 4 ? "smote_float" : "smote_double", calls);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s X.bin y.bin n d repeats n_threads double|float\n", argv[0]);
    return 2;
  }
  const Eigen::Index n = std::stol(argv[3]);
  const Eigen::Index d = std::stol(argv[4]);
  const int repeats = std::stoi(argv[5]);
  const int n_threads = std::stoi(argv[6]);
  osprey::RowMatrix<double> X(n, d);
  Eigen::VectorXi y(n);
  std::ifstream fx(argv[1], std::ios::binary);
  std::ifstream fy(argv[2], std::ios::binary);
  fx.read(reinterpret_cast<char*>(X.data()),
          static_cast<std::streamsize>(sizeof(double) * static_cast<std::size_t>(X.size())));
  fy.read(reinterpret_cast<char*>(y.data()),
          static_cast<std::streamsize>(sizeof(int) * static_cast<std::size_t>(y.size())));
  if (!fx || !fy) {
    std::fprintf(stderr, "cannot read %s / %s\n", argv[1], argv[2]);
    return 1;
  }
  return std::string(argv[7]) == "float" ? run<float>(X, y, repeats, n_threads)
                                         : run<double>(X, y, repeats, n_threads);
}

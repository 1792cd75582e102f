// Peak memory of the Euclidean leave-one-out search (NearestNeighbors::kneighbors(k), the search
// SMOTE runs), against an accounting of what it must hold.
//   compare_loo_memory n d k n_threads double|float
// Generates n x d Gaussian rows (seeded), runs the search once and prints
// "seconds peak_rss_mib input_mib output_mib". The search's own memory is the peak RSS minus the
// input, the output and the process's baseline; it should grow with n, not with n x threads.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <osprey/core/random.hpp>
#include <osprey/neighbors/nearest_neighbors.hpp>
#include <string>

namespace {

template <class Scalar>
int run(Eigen::Index n, Eigen::Index d, int k, int n_threads) {
  osprey::RowMatrix<Scalar> X(n, d);
  osprey::Rng rng(11);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = static_cast<Scalar>(rng.normal(0, 1));
  osprey::NearestNeighbors<Scalar, osprey::Euclidean> nn(
      {.algorithm = osprey::Algorithm::brute, .n_threads = n_threads});
  nn.fit(X);
  const auto t0 = std::chrono::steady_clock::now();
  const osprey::Neighbors<Scalar> nb = nn.kneighbors(k);
  const auto t1 = std::chrono::steady_clock::now();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double mib = 1024.0 * 1024.0;
  const double input = static_cast<double>(n * d) * sizeof(Scalar) / mib;
  const double output = static_cast<double>(n * k) * (sizeof(Scalar) + sizeof(int)) / mib;
  std::printf("%.3f %.1f %.1f %.1f %d\n", std::chrono::duration<double>(t1 - t0).count(),
              static_cast<double>(ru.ru_maxrss) / 1024.0, input, output, nb.indices(0, 0));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s n d k n_threads double|float\n", argv[0]);
    return 2;
  }
  const Eigen::Index n = std::stol(argv[1]);
  const Eigen::Index d = std::stol(argv[2]);
  const int k = std::stoi(argv[3]);
  const int n_threads = std::stoi(argv[4]);
  return std::string(argv[5]) == "float" ? run<float>(n, d, k, n_threads)
                                         : run<double>(n, d, k, n_threads);
}

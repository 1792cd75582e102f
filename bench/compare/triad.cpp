// The machine's memory bandwidth as the PageRank bound uses it: STREAM's triad
// a[i] = b[i] + 3 c[i] over 40M doubles per array (far past any cache), on the OpenMP threads,
// best of 20, counting 24 bytes per element as STREAM does.
//   compare_triad [elements] [repeats]     prints "triad_gb_s=<best>"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 40'000'000L;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 20;
  if (n <= 0 || repeats <= 0) {
    std::fprintf(stderr, "usage: %s [elements > 0] [repeats > 0]\n", argv[0]);
    return 2;
  }
  const auto a_owner = std::make_unique<double[]>(static_cast<std::size_t>(n));
  const auto b_owner = std::make_unique<double[]>(static_cast<std::size_t>(n));
  const auto c_owner = std::make_unique<double[]>(static_cast<std::size_t>(n));
  double* a = a_owner.get();
  double* b = b_owner.get();
  double* c = c_owner.get();
  // First touch on the threads that will use each part, as the timed loop splits it.
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; ++i) {
    a[i] = 0.0;
    b[i] = 1.0;
    c[i] = 2.0;
  }
  double best = 0.0;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; ++i) a[i] = b[i] + 3.0 * c[i];
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 24.0 * static_cast<double>(n) / s / 1e9);
  }
  std::printf("triad_gb_s=%.2f\ncheck=%.1f\n", best, a[n / 2]);
  return 0;
}

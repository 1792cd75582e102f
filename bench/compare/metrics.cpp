// Times osprey's roc_auc_score and average_precision_score on data written by
// bench/compare/metrics.py: a binary file of n int32 labels followed by n float64 scores.
// Usage: compare_metrics <data.bin> <n> [repeats]
// Prints one line per metric: "<name> <value with 17 digits> <best seconds> <median seconds>".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <osprey/metrics/ranking.hpp>
#include <string>
#include <vector>

namespace {

template <class F>
void time_it(const char* name, int repeats, F&& f) {
  std::vector<double> seconds;
  double value = 0.0;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    value = f();
    const auto t1 = std::chrono::steady_clock::now();
    seconds.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  std::sort(seconds.begin(), seconds.end());
  std::printf("%s %.17g %.6f %.6f\n", name, value, seconds.front(), seconds[seconds.size() / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: compare_metrics <data.bin> <n> [repeats]\n";
    return 2;
  }
  const auto n = static_cast<Eigen::Index>(std::stoll(argv[2]));
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 5;
  Eigen::VectorXi y(n);
  Eigen::VectorXd s(n);
  std::ifstream in(argv[1], std::ios::binary);
  in.read(reinterpret_cast<char*>(y.data()),
          static_cast<std::streamsize>(sizeof(int) * static_cast<std::size_t>(n)));
  in.read(reinterpret_cast<char*>(s.data()),
          static_cast<std::streamsize>(sizeof(double) * static_cast<std::size_t>(n)));
  if (!in) {
    std::cerr << "cannot read " << n << " samples from " << argv[1] << "\n";
    return 1;
  }
  time_it("roc_auc_score", repeats, [&] { return osprey::roc_auc_score(y, s); });
  time_it("average_precision_score", repeats,
          [&] { return osprey::average_precision_score(y, s); });
  const Eigen::VectorXf sf = s.cast<float>();
  time_it("roc_auc_score_float", repeats, [&] { return osprey::roc_auc_score(y, sf); });
  time_it("average_precision_score_float", repeats,
          [&] { return osprey::average_precision_score(y, sf); });
  return 0;
}

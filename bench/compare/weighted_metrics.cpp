// Times osprey's weighted roc_auc_score and average_precision_score on data written by
// bench/compare/weighted_metrics.py: a binary file of n int32 labels, n float64 scores and n
// float64 sample weights.
// Usage: compare_weighted_metrics <data.bin> <n> [repeats] [auc|ap|both]
// (auc or ap times that metric alone, so that its first call is the first of the process).
// Prints one line per metric: "<name> <value, 17 digits> <first call s> <warm best s> <warm
// median s>". The first call is the first of this process (page faults and all), as a batch job
// pays it; the warm figures are the repeats after it. Each is followed by the "calls" line of
// call_stats.hpp over all 1 + repeats calls (first and warm call, page faults, peak RSS).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <osprey/metrics/ranking.hpp>
#include <string>
#include <vector>

#include "call_stats.hpp"

namespace {

template <class F>
void time_it(const char* name, int repeats, F&& f) {
  std::vector<compare::CallStats> calls;
  double value = 0.0;
  for (int r = 0; r <= repeats; ++r) calls.push_back(compare::measure_call([&] { value = f(); }));
  std::vector<double> warm;
  for (std::size_t r = 1; r < calls.size(); ++r) warm.push_back(calls[r].seconds);
  std::sort(warm.begin(), warm.end());
  std::printf("%s %.17g %.6f %.6f %.6f\n", name, value, calls.front().seconds, warm.front(),
              warm[warm.size() / 2]);
  compare::print_calls(name, calls);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: compare_weighted_metrics <data.bin> <n> [repeats]\n";
    return 2;
  }
  const auto n = static_cast<Eigen::Index>(std::stoll(argv[2]));
  const int repeats = std::max(1, argc > 3 ? std::atoi(argv[3]) : 5);
  Eigen::VectorXi y(n);
  Eigen::VectorXd s(n);
  Eigen::VectorXd w(n);
  std::ifstream in(argv[1], std::ios::binary);
  const auto bytes = [n](std::size_t size) {
    return static_cast<std::streamsize>(size * static_cast<std::size_t>(n));
  };
  in.read(reinterpret_cast<char*>(y.data()), bytes(sizeof(int)));
  in.read(reinterpret_cast<char*>(s.data()), bytes(sizeof(double)));
  in.read(reinterpret_cast<char*>(w.data()), bytes(sizeof(double)));
  if (!in) {
    std::cerr << "cannot read " << n << " samples from " << argv[1] << "\n";
    return 1;
  }
  const std::string which = argc > 4 ? argv[4] : "both";
  if (which != "ap") {
    time_it("roc_auc_score", repeats, [&] { return osprey::roc_auc_score(y, s, {}, w); });
  }
  if (which != "auc") {
    time_it("average_precision_score", repeats,
            [&] { return osprey::average_precision_score(y, s, 1, {}, w); });
  }
  return 0;
}

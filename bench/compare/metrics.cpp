// Times osprey's roc_auc_score and average_precision_score on data written by
// bench/compare/metrics.py: a binary file of n int32 labels followed by n float64 scores.
// Usage: compare_metrics <data.bin> <n> [repeats] [metric]
// With a metric name (roc_auc_score, average_precision_score, or either with "_float"), times
// only that one, so its first call is the process's first; otherwise all four in turn.
// Prints per metric "<name> <value with 17 digits> <best seconds> <median seconds>" and the
// "calls" line of call_stats.hpp (first and warm call, page faults, peak RSS).
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
void time_it(const char* name, const std::string& only, int repeats, F&& f) {
  if (!only.empty() && only != name) return;
  double value = 0.0;
  const auto calls = compare::measure_calls(repeats, [&] { value = f(); });
  std::vector<double> seconds;
  for (const auto& c : calls) seconds.push_back(c.seconds);
  std::sort(seconds.begin(), seconds.end());
  std::printf("%s %.17g %.6f %.6f\n", name, value, seconds.front(), seconds[seconds.size() / 2]);
  compare::print_calls(name, calls);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: compare_metrics <data.bin> <n> [repeats]\n";
    return 2;
  }
  const auto n = static_cast<Eigen::Index>(std::stoll(argv[2]));
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 5;
  const std::string only = argc > 4 ? argv[4] : "";
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
  time_it("roc_auc_score", only, repeats, [&] { return osprey::roc_auc_score(y, s); });
  time_it("average_precision_score", only, repeats,
          [&] { return osprey::average_precision_score(y, s); });
  const Eigen::VectorXf sf = s.cast<float>();
  time_it("roc_auc_score_float", only, repeats, [&] { return osprey::roc_auc_score(y, sf); });
  time_it("average_precision_score_float", only, repeats,
          [&] { return osprey::average_precision_score(y, sf); });
  return 0;
}

// Times osprey's ndcg_score on data written by bench/compare/ranking_at_k.py: a binary file of
// q x d float64 relevance values followed by q x d float64 scores, both row-major (one query per
// row, numpy's C order).
// Usage: compare_ranking_at_k <data.bin> <q> <d> <k|none> [repeats] [variant]
// Prints one line per variant: "<name> <value with 17 digits> <first-call seconds> <median
// seconds>"; the first call of the process is what bench/compare/ranking_at_k.py keeps. With
// repeats >= 2, each is followed by the "calls" line of call_stats.hpp (first and warm call, page
// faults, peak RSS). A variant name (ndcg_score or ndcg_score_float) times that one alone, so
// that its first call is the process's first.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <osprey/metrics/ranking_at_k.hpp>
#include <string>
#include <vector>

#include "call_stats.hpp"

namespace {

template <class F>
void time_it(const char* name, const std::string& only, int repeats, F&& f) {
  if (!only.empty() && only != name) return;
  std::vector<compare::CallStats> calls;
  double value = 0.0;
  for (int r = 0; r < repeats; ++r) calls.push_back(compare::measure_call([&] { value = f(); }));
  std::vector<double> seconds;
  for (const auto& c : calls) seconds.push_back(c.seconds);
  const double first = seconds.front();
  std::sort(seconds.begin(), seconds.end());
  std::printf("%s %.17g %.6f %.6f\n", name, value, first, seconds[seconds.size() / 2]);
  if (calls.size() >= 2) compare::print_calls(name, calls);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: compare_ranking_at_k <data.bin> <q> <d> <k|none> [repeats] [variant]\n";
    return 2;
  }
  const auto q = static_cast<Eigen::Index>(std::stoll(argv[2]));
  const auto d = static_cast<Eigen::Index>(std::stoll(argv[3]));
  const std::string ks = argv[4];
  const std::optional<int> k = ks == "none" ? std::nullopt : std::optional<int>(std::stoi(ks));
  const int repeats = std::max(1, argc > 5 ? std::atoi(argv[5]) : 1);
  const std::string only = argc > 6 ? argv[6] : "";
  osprey::RowMatrix<double> rel(q, d), s(q, d);
  std::ifstream in(argv[1], std::ios::binary);
  const auto bytes = static_cast<std::streamsize>(sizeof(double) * static_cast<std::size_t>(q * d));
  in.read(reinterpret_cast<char*>(rel.data()), bytes);
  in.read(reinterpret_cast<char*>(s.data()), bytes);
  if (!in) {
    std::cerr << "cannot read " << q << " x " << d << " values from " << argv[1] << "\n";
    return 1;
  }
  time_it("ndcg_score", only, repeats, [&] { return osprey::ndcg_score(rel, s, k); });
  if (only.empty() || only == "ndcg_score_float") {
    const osprey::RowMatrix<float> sf = s.cast<float>();
    time_it("ndcg_score_float", only, repeats, [&] { return osprey::ndcg_score(rel, sf, k); });
  }
  return 0;
}

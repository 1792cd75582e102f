// Side-by-side driver for bench/compare/iforest.py and bench/compare/iforest_auc.py: times
// osprey's IsolationForest (fit + score_samples) on a binary data file, and computes ROC AUC on
// a labelled CSV over several seeds. Plain program, no Google Benchmark, so the Python scripts
// can time scikit-learn on the same data in the same run.
//
//   compare_iforest time <data.f64> <rows> <cols> <trees> <threads> <repeat> [labels.i32]
//       data.f64: rows x cols little-endian float64, row after row. Prints one line
//       "fit_s=... score_s=... total_s=... auc=..." (best total of `repeat` runs; auc only with
//       labels), then the "calls iforest" line of call_stats.hpp (fit + score: first and warm
//       call, page faults, peak RSS).
//   compare_iforest auc <file.csv> <seeds> <trees> <max_samples> <threads>
//       CSV with header, label in the last column (1 = outlier). Prints "seed auc" per seed.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include "call_stats.hpp"

#include <osprey/osprey.hpp>

namespace {

/** Rank-based ROC AUC (Mann-Whitney U, ties counted one half); higher score = more positive. */
double roc_auc(const Eigen::VectorXi& y, const Eigen::VectorXd& score) {
  std::vector<Eigen::Index> order(static_cast<std::size_t>(score.size()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return score(a) < score(b); });
  double rank_sum = 0.0;
  double n_pos = 0.0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && score(order[j + 1]) == score(order[i])) ++j;
    const double mean_rank = 0.5 * static_cast<double>(i + j) + 1.0;  // 1-based
    for (std::size_t k = i; k <= j; ++k) {
      if (y(order[k]) == 1) {
        rank_sum += mean_rank;
        n_pos += 1.0;
      }
    }
    i = j + 1;
  }
  const double n_neg = static_cast<double>(score.size()) - n_pos;
  return (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg);
}

template <class T>
std::vector<T> read_binary(const std::string& path, std::size_t count) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<T> v(count);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(count * sizeof(T)));
  if (static_cast<std::size_t>(in.gcount()) != count * sizeof(T)) {
    throw std::runtime_error("short read from " + path);
  }
  return v;
}

int run_time(int argc, char** argv) {
  if (argc < 8) throw std::runtime_error("time needs: data rows cols trees threads repeat");
  const auto rows = static_cast<Eigen::Index>(std::stoll(argv[3]));
  const auto cols = static_cast<Eigen::Index>(std::stoll(argv[4]));
  const int trees = std::stoi(argv[5]);
  const int threads = std::stoi(argv[6]);
  const int repeat = std::stoi(argv[7]);
  const std::vector<double> raw =
      read_binary<double>(argv[2], static_cast<std::size_t>(rows * cols));
  // The file is row after row; osprey takes any Eigen layout, the default column-major here.
  const Eigen::MatrixXd X = Eigen::Map<const osprey::RowMatrix<double>>(raw.data(), rows, cols);
  using Clock = std::chrono::steady_clock;
  double best_fit = 0.0;
  double best_score = 0.0;
  double best_total = 1e300;
  Eigen::VectorXd scores;
  std::vector<compare::CallStats> calls;
  for (int r = 0; r < repeat; ++r) {
    const compare::rusage_now_t u0 = compare::usage_now();
    const auto t0 = Clock::now();
    osprey::IsolationForest<double> forest({.n_estimators = trees,
                                            .random_state = static_cast<std::uint64_t>(r),
                                            .n_threads = threads});
    forest.fit(X);
    const auto t1 = Clock::now();
    scores = forest.score_samples(X);
    const auto t2 = Clock::now();
    const compare::rusage_now_t u1 = compare::usage_now();
    const double fit_s = std::chrono::duration<double>(t1 - t0).count();
    const double score_s = std::chrono::duration<double>(t2 - t1).count();
    calls.push_back({fit_s + score_s, u1.ru_minflt - u0.ru_minflt, compare::peak_rss_mib()});
    if (fit_s + score_s < best_total) {
      best_total = fit_s + score_s;
      best_fit = fit_s;
      best_score = score_s;
    }
  }
  std::cout << "fit_s=" << best_fit << " score_s=" << best_score << " total_s=" << best_total;
  if (argc > 8) {
    const std::vector<std::int32_t> labels =
        read_binary<std::int32_t>(argv[8], static_cast<std::size_t>(rows));
    const Eigen::VectorXi y = Eigen::Map<const Eigen::VectorXi>(labels.data(), rows);
    std::cout << " auc=" << roc_auc(y, -scores);
  }
  std::cout << "\n";
  if (calls.size() >= 2) compare::print_calls("iforest", calls);
  return 0;
}

int run_auc(int argc, char** argv) {
  if (argc < 7) throw std::runtime_error("auc needs: file.csv seeds trees max_samples threads");
  const auto data = osprey::read_csv<double>(std::string(argv[2]), {.label_index = -1});
  const int seeds = std::stoi(argv[3]);
  const int trees = std::stoi(argv[4]);
  const auto max_samples = static_cast<Eigen::Index>(std::stoll(argv[5]));
  const int threads = std::stoi(argv[6]);
  for (int seed = 0; seed < seeds; ++seed) {
    osprey::IsolationForest<double> forest({.n_estimators = trees,
                                            .max_samples = max_samples,
                                            .random_state = static_cast<std::uint64_t>(seed),
                                            .n_threads = threads});
    forest.fit(data.X);
    std::cout << seed << " " << roc_auc(data.y, forest.anomaly_score(data.X)) << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "time") return run_time(argc, argv);
    if (mode == "auc") return run_auc(argc, argv);
    std::cerr
        << "usage: compare_iforest time|auc ... (see the comment at the top of iforest.cpp)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "compare_iforest: " << e.what() << "\n";
    return 1;
  }
}

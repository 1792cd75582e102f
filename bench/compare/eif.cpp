// Driver for bench/compare/eif_auc.py: the standard (extension_level 0) and the Extended
// Isolation Forest (Hariri, Kind & Brunner, IEEE TKDE 2021) on labelled outlier sets, and
// their fit + score time.
//   compare_eif auc <file.csv> <seeds> <trees> <threads> <level>...
//       CSV with header, label in the last column (1 = outlier); a level of -1 means d - 1.
//       Prints "level seed auc" per level and seed (max_samples 256, contamination auto,
//       score = anomaly score).
//   compare_eif time <rows> <cols> <trees> <threads> <repeat> <level>...
//       Standard-normal rows generated here (seed 1); prints "level fit_s score_s total_s" per
//       level, the best total of `repeat` runs.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include <osprey/anomaly/isolation_forest.hpp>
#include <osprey/io/csv.hpp>

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

std::vector<int> levels_of(int argc, char** argv, int first, Eigen::Index d) {
  std::vector<int> levels;
  for (int a = first; a < argc; ++a) {
    const int level = std::stoi(argv[a]);
    levels.push_back(level < 0 ? static_cast<int>(d) - 1 : level);
  }
  return levels;
}

int run_auc(int argc, char** argv) {
  if (argc < 7) throw std::runtime_error("auc needs: file.csv seeds trees threads level...");
  const auto data = osprey::read_csv<double>(std::string(argv[2]), {.label_index = -1});
  const int seeds = std::stoi(argv[3]);
  const int trees = std::stoi(argv[4]);
  const int threads = std::stoi(argv[5]);
  for (const int level : levels_of(argc, argv, 6, data.X.cols())) {
    for (int seed = 0; seed < seeds; ++seed) {
      osprey::IsolationForest<double> forest({.n_estimators = trees,
                                              .max_samples = 256,
                                              .random_state = static_cast<std::uint64_t>(seed),
                                              .n_threads = threads,
                                              .extension_level = level});
      forest.fit(data.X);
      std::cout << level << " " << seed << " " << roc_auc(data.y, forest.anomaly_score(data.X))
                << "\n";
    }
  }
  return 0;
}

int run_time(int argc, char** argv) {
  if (argc < 8) throw std::runtime_error("time needs: rows cols trees threads repeat level...");
  const auto rows = static_cast<Eigen::Index>(std::stoll(argv[2]));
  const auto cols = static_cast<Eigen::Index>(std::stoll(argv[3]));
  const int trees = std::stoi(argv[4]);
  const int threads = std::stoi(argv[5]);
  const int repeat = std::stoi(argv[6]);
  osprey::Rng rng(1);
  osprey::Matrix<double> X(rows, cols);
  for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = rng.normal();
  using clock = std::chrono::steady_clock;
  for (const int level : levels_of(argc, argv, 7, cols)) {
    double best_fit = 0.0;
    double best_score = 0.0;
    double best = 1e300;
    for (int r = 0; r < repeat; ++r) {
      osprey::IsolationForest<double> forest(
          {.n_estimators = trees, .n_threads = threads, .extension_level = level});
      const auto t0 = clock::now();
      forest.fit(X);
      const auto t1 = clock::now();
      const Eigen::VectorXd s = forest.score_samples(X);
      const auto t2 = clock::now();
      const double fit_s = std::chrono::duration<double>(t1 - t0).count();
      const double score_s = std::chrono::duration<double>(t2 - t1).count();
      if (fit_s + score_s < best) {
        best = fit_s + score_s;
        best_fit = fit_s;
        best_score = score_s;
      }
      if (s.size() != rows) return 1;
    }
    std::cout << level << " " << best_fit << " " << best_score << " " << best << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "auc") return run_auc(argc, argv);
    if (mode == "time") return run_time(argc, argv);
    std::cerr << "usage: compare_eif auc|time ... (see the comment at the top of eif.cpp)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "compare_eif: " << e.what() << "\n";
    return 1;
  }
}

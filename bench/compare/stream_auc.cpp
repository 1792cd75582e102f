// Streaming detectors on the labelled outlier sets, for bench/compare/stream_auc.py: each
// od_<name>/<name>.csv (features, then a 0/1 `label` column) is shuffled and played as a stream,
// and every detector's scores give ROC AUC and average precision (osprey's metrics).
//
//   compare_stream_auc <file.csv> [seeds = 10] [threads = 2]
//   compare_stream_auc <file.csv> <seeds> <threads> <calls> <detector>
//
// The first form prints "rows <n> features <d> outliers <k> evaluated <m>", then "<detector>
// <seed> <auc> <ap>" per detector and seed. The second times one detector's pass over the stream
// of seed 0 (what `scores` below does: construct, then score and learn every row, or fit and
// score), `calls` times in this fresh process after the file is read and shuffled, and prints the
// "calls <detector>" line of call_stats.hpp (first and warm pass, page faults, peak RSS); `seeds`
// is ignored there. Protocol, the same for every detector and seed s:
//   - the rows are shuffled with osprey::Rng(s) (Fisher-Yates), which fixes the stream order;
//   - a streaming detector sees the rows once, in that order, scoring each row before learning
//     it (score_learn); a batch detector is fitted on the whole set and scores every row;
//   - the first kWarmup = 250 rows of the stream (one window of HalfSpaceTrees, which has no
//     reference before) are left out of the evaluation of every detector; AUC and AP are
//     computed on the remaining rows.
// Detectors (a row in `detectors()` each; a new one is a name and a function of the shuffled
// rows and the seed that returns one score per row, higher = more anomalous):
//   hst        HalfSpaceTrees, defaults (25 trees, height 15, window 250), limits = the min and
//              max of each feature over the first window (what a stream knows after warm-up)
//   hst_range  the same with limits = each feature's min and max over the whole set (a known
//              range; an upper bound on what better limits can give)
//   sif        StreamingIsolationForest, defaults (100 trees of 256 samples, window 2048, 5 trees
//              regrown every 128 samples), its first forest grown on the first 250 rows
//   iforest    IsolationForest fitted on the whole set (100 trees, max_samples 256)
#include <osprey/anomaly/isolation_forest.hpp>
#include <osprey/core/random.hpp>
#include <osprey/io/csv.hpp>
#include <osprey/metrics/ranking.hpp>
#include <osprey/streams/half_space_trees.hpp>
#include <osprey/streams/streaming_isolation_forest.hpp>

#include <cstdint>
#include <functional>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include "call_stats.hpp"

namespace {

constexpr Eigen::Index kWarmup = 250;

/** A detector of the table: its name and its scores (one per row of the stream, in order). */
struct Detector {
  std::string name;
  std::function<Eigen::VectorXd(const osprey::RowMatrix<double>& stream, std::uint64_t seed,
                                const std::vector<osprey::FeatureRange>& full_range)>
      scores;
};

std::vector<Detector> detectors(int threads) {
  std::vector<Detector> out;
  out.push_back({"hst", [](const auto& X, std::uint64_t seed, const auto&) {
                   osprey::HalfSpaceTrees<> h({.limits = osprey::feature_ranges(X.topRows(kWarmup)),
                                               .random_state = seed});
                   return Eigen::VectorXd(h.score_learn(X));
                 }});
  out.push_back({"hst_range", [](const auto& X, std::uint64_t seed, const auto& range) {
                   osprey::HalfSpaceTrees<> h({.limits = range, .random_state = seed});
                   return Eigen::VectorXd(h.score_learn(X));
                 }});
  out.push_back({"sif", [](const auto& X, std::uint64_t seed, const auto&) {
                   osprey::StreamingIsolationForest<> f(
                       {.warm_up = kWarmup, .random_state = seed, .n_threads = 1});
                   return Eigen::VectorXd(f.score_learn(X));
                 }});
  out.push_back({"iforest", [threads](const auto& X, std::uint64_t seed, const auto&) {
                   osprey::IsolationForest<> f({.random_state = seed, .n_threads = threads});
                   f.fit(X);
                   return Eigen::VectorXd(f.anomaly_score(X));
                 }});
  return out;
}

/** The rows of `data` in the stream order of `seed` (Fisher-Yates with osprey::Rng(seed)). */
void shuffled(const osprey::CsvData<double>& data, std::uint64_t seed, osprey::RowMatrix<double>& X,
              Eigen::VectorXi& y) {
  const Eigen::Index n = data.X.rows();
  std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  osprey::Rng rng(seed);
  osprey::detail::shuffle(order.begin(), order.end(), rng);
  X.resize(n, data.X.cols());
  y.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    X.row(i) = data.X.row(order[static_cast<std::size_t>(i)]);
    y(i) = data.y(order[static_cast<std::size_t>(i)]);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc == 5 || argc > 6) {
    std::cerr << "usage: compare_stream_auc <file.csv> [seeds] [threads]\n"
                 "       compare_stream_auc <file.csv> <seeds> <threads> <calls> <detector>\n";
    return 2;
  }
  try {
    const auto data = osprey::read_csv<double>(std::string(argv[1]), {.label_index = -1});
    const int seeds = argc > 2 ? std::stoi(argv[2]) : 10;
    const int threads = argc > 3 ? std::stoi(argv[3]) : 2;
    const Eigen::Index n = data.X.rows();
    if (n <= kWarmup) throw std::runtime_error("fewer rows than one warm-up window");
    const auto full_range = osprey::feature_ranges(data.X);
    const auto dets = detectors(threads);
    if (argc == 6) {
      const int calls = std::stoi(argv[4]);
      for (const auto& d : dets) {
        if (d.name != argv[5]) continue;
        osprey::RowMatrix<double> X;
        Eigen::VectorXi y;
        shuffled(data, 0, X, y);
        Eigen::VectorXd s;  // the previous pass's scores live while the next one runs
        compare::print_calls(
            d.name.c_str(), compare::measure_calls(calls, [&] { s = d.scores(X, 0, full_range); }));
        return 0;
      }
      throw std::runtime_error(std::string("unknown detector ") + argv[5]);
    }
    std::cout << "rows " << n << " features " << data.X.cols() << " outliers " << data.y.sum()
              << " evaluated " << n - kWarmup << "\n";
    for (int seed = 0; seed < seeds; ++seed) {
      osprey::RowMatrix<double> X;
      Eigen::VectorXi y;
      shuffled(data, static_cast<std::uint64_t>(seed), X, y);
      const Eigen::VectorXi y_eval = y.tail(n - kWarmup);
      for (const auto& d : dets) {
        const Eigen::VectorXd s = d.scores(X, static_cast<std::uint64_t>(seed), full_range);
        const Eigen::VectorXd s_eval = s.tail(n - kWarmup);
        std::cout << d.name << " " << seed << " " << osprey::roc_auc_score(y_eval, s_eval) << " "
                  << osprey::average_precision_score(y_eval, s_eval) << std::endl;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "compare_stream_auc: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

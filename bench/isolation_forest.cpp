// Google Benchmark for IsolationForest: fit, and scoring with both walks of the forest
// (rows-per-tree blocks, the one score_samples uses, against trees-per-row).
//
//   cmake --preset bench && cmake --build build/bench -j2 --target bench_isolation_forest
//   build/bench/bench/bench_isolation_forest
#include <benchmark/benchmark.h>

#include <osprey/anomaly/isolation_forest.hpp>

namespace {

template <class Scalar>
const osprey::Matrix<Scalar>& data(Eigen::Index rows, Eigen::Index cols) {
  static osprey::Matrix<Scalar> X;
  if (X.rows() != rows || X.cols() != cols) {
    osprey::Rng rng(42);
    X.resize(rows, cols);
    for (Eigen::Index j = 0; j < cols; ++j) {
      for (Eigen::Index i = 0; i < rows; ++i) X(i, j) = static_cast<Scalar>(rng.normal());
    }
  }
  return X;
}

/** fit: 100 trees, max_samples 256, on range(0) x 10 rows, one thread. */
template <class Scalar>
void BM_Fit(benchmark::State& state) {
  const auto& X = data<Scalar>(state.range(0), 10);
  for (auto _ : state) {
    osprey::IsolationForest<Scalar> forest({.n_threads = 1});
    forest.fit(X);
    benchmark::DoNotOptimize(forest.is_fitted());
  }
  state.counters["trees/s"] = benchmark::Counter(100.0 * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}

/** Path-length sums of range(0) x 10 rows through 100 trees, one thread, with walk range(1):
 *  0 = rows per tree (what score_samples uses), 1 = trees per row, 2 = rows per tree with every
 *  level by indexed loads, 3 = rows per tree with the first four levels by selects.
 *  Counters: rows/s and tree visits (row x tree) per s. */
template <class Scalar>
void BM_Score(benchmark::State& state) {
  const auto& X = data<Scalar>(state.range(0), 10);
  osprey::IsolationForest<Scalar> forest({.n_threads = 1});
  forest.fit(X);
  const auto& fitted = osprey::detail::IsolationForestInternals<Scalar>::state(forest);
  using osprey::kernels::IsolationScoring;
  constexpr IsolationScoring walks[] = {
      IsolationScoring::rows_per_tree, IsolationScoring::trees_per_row,
      IsolationScoring::rows_per_tree_plain, IsolationScoring::rows_per_tree_selects};
  constexpr const char* names[] = {"rows_per_tree", "trees_per_row", "rows_per_tree_plain",
                                   "rows_per_tree_selects"};
  const auto walk = walks[state.range(1)];
  for (auto _ : state) {
    auto sums = osprey::kernels::isolation_path_sums(fitted.trees(), X, 1, walk);
    benchmark::DoNotOptimize(sums.data());
  }
  const auto rows = static_cast<double>(X.rows() * state.iterations());
  state.counters["rows/s"] = benchmark::Counter(rows, benchmark::Counter::kIsRate);
  state.counters["visits/s"] = benchmark::Counter(100.0 * rows, benchmark::Counter::kIsRate);
  state.SetLabel(names[state.range(1)]);
}

/** The public path: fit + score_samples on range(0) x 10 rows with all threads. */
template <class Scalar>
void BM_FitScoreSamples(benchmark::State& state) {
  const auto& X = data<Scalar>(state.range(0), 10);
  for (auto _ : state) {
    osprey::IsolationForest<Scalar> forest;
    forest.fit(X);
    auto s = forest.score_samples(X);
    benchmark::DoNotOptimize(s.data());
  }
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(X.rows() * state.iterations()),
                                                benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK_TEMPLATE(BM_Fit, double)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Fit, float)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Score, double)
    ->Args({100000, 0})
    ->Args({100000, 1})
    ->Args({100000, 2})
    ->Args({100000, 3})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Score, float)
    ->Args({100000, 0})
    ->Args({100000, 1})
    ->Args({100000, 2})
    ->Args({100000, 3})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_FitScoreSamples, double)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_FitScoreSamples, float)->Arg(1000000)->Unit(benchmark::kMillisecond);

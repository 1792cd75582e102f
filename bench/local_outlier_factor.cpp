// Google Benchmark for LocalOutlierFactor: fit (the leave-one-out k+1-neighbour search of the
// training set, the densities and the factors) and novelty scoring of new rows.
//
//   cmake --preset bench && cmake --build build/bench -j2 --target bench_local_outlier_factor
//   build/bench/bench/bench_local_outlier_factor
#include <benchmark/benchmark.h>

#include <osprey/anomaly/local_outlier_factor.hpp>
#include <osprey/core/random.hpp>

namespace {

const osprey::Matrix<double>& data(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  static osprey::Matrix<double> X;
  static std::uint64_t made = 0;
  if (X.rows() != rows || X.cols() != cols || made != seed) {
    osprey::Rng rng(seed);
    X.resize(rows, cols);
    for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = rng.normal();
    made = seed;
  }
  return X;
}

/** fit on range(0) x range(1) standard normal rows, k = 20, two threads, brute force. */
void BM_Fit(benchmark::State& state) {
  const auto& X = data(state.range(0), state.range(1), 42);
  for (auto _ : state) {
    osprey::LocalOutlierFactor<double> lof(
        {.n_neighbors = 20, .algorithm = osprey::Algorithm::brute, .n_threads = 2});
    lof.fit(X);
    benchmark::DoNotOptimize(lof.offset());
  }
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(X.rows() * state.iterations()),
                                                benchmark::Counter::kIsRate);
  state.SetComplexityN(state.range(0));
}

/** score_samples of 10,000 new rows against range(0) x 16 training rows (novelty mode). */
void BM_ScoreSamples(benchmark::State& state) {
  const osprey::Matrix<double> X = data(state.range(0), 16, 42);
  const osprey::Matrix<double> Q = data(10000, 16, 7);
  osprey::LocalOutlierFactor<double> lof({.n_neighbors = 20, .novelty = true, .n_threads = 2});
  lof.fit(X);
  for (auto _ : state) {
    auto s = lof.score_samples(Q);
    benchmark::DoNotOptimize(s.data());
  }
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(Q.rows() * state.iterations()),
                                                benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_Fit)
    ->Args({10000, 16})
    ->Args({30000, 16})
    ->Args({100000, 16})
    ->Unit(benchmark::kMillisecond)
    ->Complexity(benchmark::oNSquared);
BENCHMARK(BM_ScoreSamples)->Arg(20000)->Arg(100000)->Unit(benchmark::kMillisecond);

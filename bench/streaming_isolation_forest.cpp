// StreamingIsolationForest: samples per second of score + learn at d = 10 with the default
// parameters (100 trees, window 2048, psi 256, 5 trees regrown every 128 samples), one thread:
// the sample loop through update(), the batch score_learn(), and score() alone (no learning).
// The detector is warmed up (first forest grown, window full) before timing.
//
//   cmake --preset bench && cmake --build build/bench -j2 --target bench_streaming_isolation_forest
//   build/bench/bench/bench_streaming_isolation_forest --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <osprey/core/random.hpp>
#include <osprey/streams/streaming_isolation_forest.hpp>

namespace {

constexpr Eigen::Index kD = 10;
constexpr Eigen::Index kRows = 1 << 15;

template <class T>
osprey::RowMatrix<T> stream(Eigen::Index n, std::uint64_t seed) {
  osprey::Rng rng(seed);
  osprey::RowMatrix<T> X(n, kD);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = static_cast<T>(rng.normal());
  return X;
}

template <class T>
osprey::StreamingIsolationForest<T> warmed(int trees_per_retrain = 5) {
  osprey::StreamingIsolationForest<T> f(
      {.trees_per_retrain = trees_per_retrain, .random_state = 1, .n_threads = 1});
  (void)f.score_learn(stream<T>(4096, 2));
  return f;
}

void rate(benchmark::State& state, Eigen::Index per_iteration) {
  state.SetItemsProcessed(state.iterations() * per_iteration);
  state.counters["samples/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * per_iteration), benchmark::Counter::kIsRate);
}

template <class T>
void BM_UpdateLoop(benchmark::State& state) {
  const auto X = stream<T>(kRows, 3);
  auto f = warmed<T>();
  for (auto _ : state) {
    int alarms = 0;
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      alarms += static_cast<int>(f.update(X.row(i)).alarm);
    }
    benchmark::DoNotOptimize(alarms);
  }
  rate(state, kRows);
}

template <class T>
void BM_ScoreLearnBatch(benchmark::State& state) {
  const auto X = stream<T>(kRows, 3);
  auto f = warmed<T>();
  for (auto _ : state) {
    const osprey::Vector<T> s = f.score_learn(X);
    benchmark::DoNotOptimize(s.data());
  }
  rate(state, kRows);
}

// learn() alone: the window push and, every 128 samples, the regrowth of k trees.
void BM_LearnOnly(benchmark::State& state) {
  const auto X = stream<double>(kRows, 3);
  auto f = warmed<double>(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    for (Eigen::Index i = 0; i < X.rows(); ++i) f.learn(X.row(i));
    benchmark::DoNotOptimize(f.trees_grown());
  }
  rate(state, kRows);
}

// The sample loop at k = 1, 5 (default), 20 trees regrown every 128 samples.
void BM_UpdateReplacementRate(benchmark::State& state) {
  const auto X = stream<double>(kRows, 3);
  auto f = warmed<double>(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    int alarms = 0;
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      alarms += static_cast<int>(f.update(X.row(i)).alarm);
    }
    benchmark::DoNotOptimize(alarms);
  }
  rate(state, kRows);
}

template <class T>
void BM_ScoreOnly(benchmark::State& state) {
  const auto X = stream<T>(kRows, 3);
  const auto f = warmed<T>();
  for (auto _ : state) {
    T sum = 0;
    for (Eigen::Index i = 0; i < X.rows(); ++i) sum += f.score(X.row(i));
    benchmark::DoNotOptimize(sum);
  }
  rate(state, kRows);
}

BENCHMARK_TEMPLATE(BM_UpdateLoop, double)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_UpdateLoop, float)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_ScoreLearnBatch, double)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_ScoreLearnBatch, float)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_ScoreOnly, double)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LearnOnly)->Arg(5)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_UpdateReplacementRate)->Arg(1)->Arg(5)->Arg(20)->Unit(benchmark::kMillisecond);

}  // namespace

// HalfSpaceTrees: samples per second of score + learn (the detector's per-sample work) with the
// default parameters (25 trees, height 15, window 250) on d = 10 features, through update() one
// sample at a time and through score_learn() on a batch; and score() alone.
//
//   cmake --preset bench && cmake --build build/bench -j2 --target bench_half_space_trees
//   build/bench/bench/bench_half_space_trees --benchmark_min_time=1
//
// Streams: "normal" rows N(0.5, 0.1^2) per feature with limits [0, 1] (a stream that stays in a
// part of its ranges, the usual case), "uniform" rows filling the ranges (every region visited,
// the most nodes touched: the cache-unfriendly case). The detector is warmed on 20 windows first.
#include <benchmark/benchmark.h>

#include <osprey/core/random.hpp>
#include <osprey/streams/half_space_trees.hpp>

#include <vector>

namespace {

constexpr Eigen::Index kD = 10;
constexpr Eigen::Index kRows = Eigen::Index{1} << 16;

template <class T>
osprey::RowMatrix<T> stream(bool uniform, std::uint64_t seed) {
  osprey::Rng rng(seed);
  osprey::RowMatrix<T> X(kRows, kD);
  for (Eigen::Index i = 0; i < X.size(); ++i) {
    X.data()[i] = static_cast<T>(uniform ? rng.uniform() : rng.normal(0.5, 0.1));
  }
  return X;
}

template <class T>
osprey::HalfSpaceTrees<T> warmed(const osprey::RowMatrix<T>& X) {
  osprey::HalfSpaceTrees<T> h(
      {.limits = std::vector<osprey::FeatureRange>(static_cast<std::size_t>(kD), {0.0, 1.0})});
  (void)h.score_learn(X.topRows(20 * 250));
  return h;
}

void rate(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations() * kRows);
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(state.iterations() * kRows),
                                                   benchmark::Counter::kIsRate);
}

// update(x): score, then learn, one row at a time (what a live stream does).
template <class T>
void BM_Update(benchmark::State& state) {
  const auto X = stream<T>(state.range(0) != 0, 1);
  auto h = warmed(X);
  for (auto _ : state) {
    int alarms = 0;
    for (Eigen::Index i = 0; i < kRows; ++i) {
      alarms += static_cast<int>(h.update(X.row(i)).alarm);
    }
    benchmark::DoNotOptimize(alarms);
  }
  rate(state);
}

// score_learn(X): the same work on a batch, in order.
template <class T>
void BM_ScoreLearn(benchmark::State& state) {
  const auto X = stream<T>(state.range(0) != 0, 1);
  auto h = warmed(X);
  for (auto _ : state) {
    const auto s = h.score_learn(X);
    benchmark::DoNotOptimize(s.data());
  }
  rate(state);
}

// score(x) alone: the walks stop at the terminal nodes and nothing is written.
template <class T>
void BM_Score(benchmark::State& state) {
  const auto X = stream<T>(state.range(0) != 0, 1);
  const auto h = warmed(X);
  for (auto _ : state) {
    T sum = 0;
    for (Eigen::Index i = 0; i < kRows; ++i) sum += h.score(X.row(i));
    benchmark::DoNotOptimize(sum);
  }
  rate(state);
}

}  // namespace

// Arg 0: normal stream, 1: uniform stream.
BENCHMARK_TEMPLATE(BM_Update, double)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Update, float)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_ScoreLearn, double)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Score, double)->Arg(0)->Unit(benchmark::kMillisecond);

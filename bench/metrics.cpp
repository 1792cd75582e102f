// Google Benchmark of the ranking metrics on n scores with 1 % positives (1e5 .. 1e7), double
// and float scores, unweighted and weighted (log-normal "amounts", 10 % of them 0), plus the
// full ROC curve. Counter: samples/s.
#include <benchmark/benchmark.h>

#include <osprey/core/random.hpp>
#include <osprey/metrics/classification.hpp>
#include <osprey/metrics/ranking.hpp>

#include <cmath>
#include <map>

namespace {

template <class S>
struct Data {
  Eigen::VectorXi y;
  osprey::Vector<S> s;
};

template <class S>
const Data<S>& data(Eigen::Index n) {
  static std::map<Eigen::Index, Data<S>> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  osprey::Rng rng(7);
  Data<S> d{Eigen::VectorXi(n), osprey::Vector<S>(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    d.y(i) = rng.uniform() < 0.01 ? 1 : 0;
    d.s(i) = static_cast<S>(rng.normal() + d.y(i));
  }
  return cache.emplace(n, std::move(d)).first->second;
}

/** Log-normal weights (transaction amounts), one in ten 0, for the weighted metrics. */
const Eigen::VectorXd& weights(Eigen::Index n) {
  static std::map<Eigen::Index, Eigen::VectorXd> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  osprey::Rng rng(11);
  Eigen::VectorXd w(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    w(i) = rng.uniform() < 0.1 ? 0.0 : std::exp(rng.normal());
  }
  return cache.emplace(n, std::move(w)).first->second;
}

template <class S>
void BM_roc_auc_score(benchmark::State& state) {
  const auto& d = data<S>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(osprey::roc_auc_score(d.y, d.s));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetComplexityN(state.range(0));
}

template <class S>
void BM_average_precision_score(benchmark::State& state) {
  const auto& d = data<S>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(osprey::average_precision_score(d.y, d.s));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetComplexityN(state.range(0));
}

template <class S>
void BM_roc_auc_score_weighted(benchmark::State& state) {
  const auto& d = data<S>(state.range(0));
  const Eigen::VectorXd& w = weights(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(osprey::roc_auc_score(d.y, d.s, {}, w));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetComplexityN(state.range(0));
}

template <class S>
void BM_average_precision_score_weighted(benchmark::State& state) {
  const auto& d = data<S>(state.range(0));
  const Eigen::VectorXd& w = weights(state.range(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(osprey::average_precision_score(d.y, d.s, 1, {}, w));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetComplexityN(state.range(0));
}

void BM_roc_curve(benchmark::State& state) {
  const auto& d = data<double>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(osprey::roc_curve(d.y, d.s).fpr.size());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_f1_score(benchmark::State& state) {
  const auto& d = data<double>(state.range(0));
  const Eigen::VectorXi pred = (d.s.array() > 1.5).cast<int>();
  for (auto _ : state) benchmark::DoNotOptimize(osprey::f1_score(d.y, pred));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

}  // namespace

BENCHMARK(BM_roc_auc_score<double>)
    ->RangeMultiplier(10)
    ->Range(100'000, 10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Complexity(benchmark::oN);
BENCHMARK(BM_roc_auc_score<float>)
    ->RangeMultiplier(10)
    ->Range(100'000, 10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Complexity(benchmark::oN);
BENCHMARK(BM_average_precision_score<double>)
    ->RangeMultiplier(10)
    ->Range(100'000, 10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Complexity(benchmark::oN);
BENCHMARK(BM_average_precision_score<float>)
    ->RangeMultiplier(10)
    ->Range(100'000, 10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Complexity(benchmark::oN);
BENCHMARK(BM_roc_auc_score_weighted<double>)
    ->RangeMultiplier(10)
    ->Range(100'000, 10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Complexity(benchmark::oN);
BENCHMARK(BM_roc_auc_score_weighted<float>)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_average_precision_score_weighted<double>)
    ->RangeMultiplier(10)
    ->Range(100'000, 10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Complexity(benchmark::oN);
BENCHMARK(BM_roc_curve)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_f1_score)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->UseRealTime();

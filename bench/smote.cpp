// Google Benchmark for the imbalance samplers. The headline case is the acceptance
// workload: SMOTE on 100,000 x 20 with 5% minority, auto strategy (90,000 synthetic rows).
// Counters: rows/s = synthetic (or kept) rows made per second.
//
//   cmake --preset bench && cmake --build build/bench --target bench_smote
//   build/bench/bench/bench_smote --benchmark_filter=Smote
//
// g++ 12 at -O3 -march=native warns (-Wmaybe-uninitialized, a false positive) inside Eigen's
// AVX-512 float GEMM packing, which the Euclidean neighbour search uses.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <benchmark/benchmark.h>

#include <osprey/imbalance/adasyn.hpp>
#include <osprey/imbalance/smote.hpp>
#include <osprey/imbalance/under_sampling.hpp>

namespace {

// n x d Gaussian rows; every 20th row (5%) is class 1, shifted by 0.5.
template <class Scalar>
struct Data {
  osprey::RowMatrix<Scalar> X;
  Eigen::VectorXi y;
};

template <class Scalar>
const Data<Scalar>& data(Eigen::Index n, Eigen::Index d) {
  static Data<Scalar> cache;
  if (cache.X.rows() != n || cache.X.cols() != d) {
    osprey::Rng rng(42);
    cache.X.resize(n, d);
    cache.y = Eigen::VectorXi::Zero(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const bool minority = i % 20 == 0;
      cache.y(i) = minority ? 1 : 0;
      for (Eigen::Index j = 0; j < d; ++j) {
        cache.X(i, j) = static_cast<Scalar>(rng.normal() + (minority ? 0.5 : 0.0));
      }
    }
  }
  return cache;
}

template <class Scalar>
void BM_Smote(benchmark::State& state) {
  const auto& [X, y] = data<Scalar>(state.range(0), state.range(1));
  const auto threads = static_cast<int>(state.range(2));
  Eigen::Index made = 0;
  for (auto _ : state) {
    osprey::Smote<Scalar> smote({.random_state = 1, .n_threads = threads});
    auto out = smote.fit_resample(X, y);
    made = out.X.rows() - X.rows();
    benchmark::DoNotOptimize(out.X.data());
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(made) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK_TEMPLATE(BM_Smote, double)
    ->ArgNames({"n", "d", "threads"})
    ->Args({100'000, 20, 2})
    ->Args({100'000, 20, 1})
    ->Args({10'000, 20, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_Smote, float)
    ->ArgNames({"n", "d", "threads"})
    ->Args({100'000, 20, 2})
    ->Args({100'000, 20, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

template <class Scalar>
void BM_Adasyn(benchmark::State& state) {
  const auto& [X, y] = data<Scalar>(state.range(0), state.range(1));
  Eigen::Index made = 0;
  for (auto _ : state) {
    osprey::Adasyn<Scalar> ada({.random_state = 1, .n_threads = 2});
    auto out = ada.fit_resample(X, y);
    made = out.X.rows() - X.rows();
    benchmark::DoNotOptimize(out.X.data());
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(made) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK_TEMPLATE(BM_Adasyn, float)
    ->ArgNames({"n", "d"})
    ->Args({100'000, 20})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

template <class Scalar>
void BM_TomekLinks(benchmark::State& state) {
  const auto& [X, y] = data<Scalar>(state.range(0), state.range(1));
  for (auto _ : state) {
    osprey::TomekLinks<Scalar> tomek({.n_threads = 2});
    auto out = tomek.fit_resample(X, y);
    benchmark::DoNotOptimize(out.X.data());
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(X.rows()) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK_TEMPLATE(BM_TomekLinks, float)
    ->ArgNames({"n", "d"})
    ->Args({20'000, 20})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_RandomUnderSampler(benchmark::State& state) {
  const auto& [X, y] = data<double>(state.range(0), state.range(1));
  Eigen::Index kept = 0;
  for (auto _ : state) {
    osprey::RandomUnderSampler<double> rus({.random_state = 1});
    auto out = rus.fit_resample(X, y);
    kept = out.X.rows();
    benchmark::DoNotOptimize(out.X.data());
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(kept) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RandomUnderSampler)
    ->ArgNames({"n", "d"})
    ->Args({100'000, 20})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

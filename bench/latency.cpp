// Single-row serving latency (issue 17, part 3): p50 / p99 / mean per call, 1 thread, of the
// allocation-free single-row paths a service calls once per request.
//
//   cmake --preset bench && cmake --build build/bench -j2 --target bench_latency
//   build/bench/bench/bench_latency --benchmark_min_time=2
//
// Every call is timed alone with steady_clock inside the benchmark loop; the counters p50_us,
// p99_us and mean_us are percentiles of those times (microseconds, clock overhead ~20 ns
// included). A chart update (~2 ns) is below the clock's resolution, so those benchmarks time
// blocks of kBlock updates and report per-update figures of the blocks. bench/compare/latency.py
// runs this binary and scikit-learn's per-call latency side by side.
#include <benchmark/benchmark.h>

#include <osprey/anomaly/isolation_forest.hpp>
#include <osprey/core/random.hpp>
#include <osprey/core/threads.hpp>
#include <osprey/neighbors/kneighbors.hpp>
#include <osprey/preprocessing/scalers.hpp>
#include <osprey/streams/control_chart_bank.hpp>
#include <osprey/streams/control_charts.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "latency_data.hpp"

namespace {

using latency_data::normal;
using latency_data::two_classes;
using latency_data::uniform;

/** Runs the benchmark loop, timing `call(i)` (i = 0, 1, ...) alone per iteration, and reports
 *  the p50, p99 and mean per call divided by `per` (calls per timed sample). */
template <class Fn>
void timed_calls(benchmark::State& state, Fn&& call, double per = 1.0) {
  std::vector<double> ns;
  ns.reserve(1 << 20);
  std::int64_t i = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    call(i++);
    const auto t1 = std::chrono::steady_clock::now();
    ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / per);
  }
  if (ns.empty()) return;
  std::sort(ns.begin(), ns.end());
  const auto at = [&](double q) {
    return ns[std::min(ns.size() - 1,
                       static_cast<std::size_t>(q * static_cast<double>(ns.size())))];
  };
  double sum = 0.0;
  for (const double v : ns) sum += v;
  state.counters["p50_us"] = at(0.50) / 1e3;
  state.counters["p99_us"] = at(0.99) / 1e3;
  state.counters["mean_us"] = sum / static_cast<double>(ns.size()) / 1e3;
  state.counters["calls"] = static_cast<double>(ns.size()) * per;
}

constexpr Eigen::Index kQueries = 4096;  // distinct requests, cycled

// StandardScaler then IsolationForest (100 trees, psi 256) fitted on 100k x 10: one row.
void BM_ScalerIsolationForestOneRow(benchmark::State& state) {
  static const auto X = normal<double>(100000, 10, 1);
  static const auto Q = normal<double>(kQueries, 10, 2);
  static osprey::StandardScaler<double> scaler;
  static osprey::IsolationForest<double> forest({.n_estimators = 100, .random_state = 3});
  if (!forest.is_fitted()) forest.fit(scaler.fit(X).transform(X));
  osprey::ThreadLimit one(1);
  Eigen::RowVectorXd z(10);
  double sink = 0.0;
  timed_calls(state, [&](std::int64_t i) {
    scaler.transform_into(Q.row(i % kQueries), z);
    sink += forest.score_one(z);
  });
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_ScalerIsolationForestOneRow)->Unit(benchmark::kMicrosecond);

// KNeighborsClassifier (k = 5) predict_proba for one query, float.
template <class Data>
void knn_one(benchmark::State& state, const Data& X, const Eigen::VectorXi& y,
             osprey::Algorithm algorithm, std::uint64_t seed) {
  using Clf = osprey::KNeighborsClassifier<float>;
  static std::vector<std::unique_ptr<Clf>> fitted;  // one per (algorithm, data): kept warm
  const auto key = static_cast<std::size_t>(algorithm);
  if (fitted.size() <= key) fitted.resize(key + 1);
  if (!fitted[key]) {
    fitted[key] = std::make_unique<Clf>(Clf::Params{.n_neighbors = 5, .algorithm = algorithm});
    fitted[key]->fit(X, y);
  }
  const Clf& knn = *fitted[key];
  const auto Q = uniform<float>(kQueries, X.cols(), seed);
  osprey::ThreadLimit one(1);
  osprey::QueryWorkspace<float> ws;
  Eigen::VectorXf proba(2);
  float sink = 0;
  timed_calls(state, [&](std::int64_t i) {
    knn.predict_proba_one(Q.row(i % kQueries), ws, proba);
    sink += proba(1);
  });
  benchmark::DoNotOptimize(sink);
}

// Brute force against 100k x 64 float.
void BM_KnnBruteOneQuery(benchmark::State& state) {
  static const auto X = uniform<float>(100000, 64, 4);
  static const auto y = two_classes(100000, 5);
  knn_one(state, X, y, osprey::Algorithm::brute, 6);
}
BENCHMARK(BM_KnnBruteOneQuery)->Unit(benchmark::kMicrosecond);

// kd-tree against 1M x 3 float.
void BM_KnnKdTreeOneQuery(benchmark::State& state) {
  static const auto X = uniform<float>(1000000, 3, 7);
  static const auto y = two_classes(1000000, 8);
  knn_one(state, X, y, osprey::Algorithm::kd_tree, 9);
}
BENCHMARK(BM_KnnKdTreeOneQuery)->Unit(benchmark::kMicrosecond);

constexpr int kBlock = 64;  // chart updates per timed sample

template <class Chart>
void chart_updates(benchmark::State& state, Chart chart) {
  const auto x = normal<double>(1, 1 << 16, 10);
  int alarms = 0;
  timed_calls(
      state,
      [&](std::int64_t i) {
        const Eigen::Index base = (i * kBlock) % (x.cols() - kBlock);
        for (int b = 0; b < kBlock; ++b) {
          alarms += static_cast<int>(chart.update(x(0, base + b)).alarm);
        }
      },
      kBlock);
  benchmark::DoNotOptimize(alarms);
}

// One Ewma / Cusum update (double), per update over blocks of kBlock.
void BM_EwmaUpdate(benchmark::State& state) {
  chart_updates(state, osprey::Ewma<double>({.mean = 0.0, .sigma = 1.0}));
}
BENCHMARK(BM_EwmaUpdate)->Unit(benchmark::kNanosecond);
void BM_CusumUpdate(benchmark::State& state) {
  chart_updates(state, osprey::Cusum<double>({.mean = 0.0, .sigma = 1.0}));
}
BENCHMARK(BM_CusumUpdate)->Unit(benchmark::kNanosecond);

// One step of a bank of 1M series (double): every series takes one sample.
template <class Bank>
void bank_step(benchmark::State& state, Bank bank) {
  constexpr Eigen::Index n = 1000000;
  bank.set_baselines(Eigen::VectorXd::Zero(n), Eigen::VectorXd::Ones(n));
  const auto steps = normal<double>(8, n, 11);
  osprey::ThreadLimit one(1);
  (void)bank.update(steps.row(0).transpose());  // warm: first touch of the state
  std::int64_t alarms = 0;
  timed_calls(state, [&](std::int64_t i) {
    const auto& a = bank.update(steps.row(i % 8).transpose());
    alarms += a(0);
  });
  benchmark::DoNotOptimize(alarms);
}

void BM_EwmaBankStep1M(benchmark::State& state) {
  bank_step(state, osprey::EwmaBank<double>({.mean = 0.0, .sigma = 1.0}));
}
BENCHMARK(BM_EwmaBankStep1M)->Unit(benchmark::kMicrosecond);
void BM_CusumBankStep1M(benchmark::State& state) {
  bank_step(state, osprey::CusumBank<double>({.mean = 0.0, .sigma = 1.0}));
}
BENCHMARK(BM_CusumBankStep1M)->Unit(benchmark::kMicrosecond);

}  // namespace

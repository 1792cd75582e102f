// Streaming control charts: per-sample cost of one chart (update() and the batch detect() path)
// and of a bank of charts (one sample of every series per step).
//
//   cmake --preset bench && cmake --build build/bench -j2 --target bench_control_charts
//   build/bench/bench/bench_control_charts --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <osprey/core/random.hpp>
#include <osprey/streams/control_charts.hpp>

#include <vector>

namespace {

template <class T>
std::vector<T> series(std::size_t n, std::uint64_t seed) {
  osprey::Rng rng(seed);
  std::vector<T> x(n);
  for (auto& v : x) v = static_cast<T>(rng.normal(10.0, 2.0));
  return x;
}

constexpr std::int64_t kSamples = std::int64_t{1} << 16;  // 256 KiB of float: fits L2

// One chart fed sample by sample through update(): the recurrence's latency bound.
template <class Chart>
void update_loop(benchmark::State& state, const Chart& proto) {
  using T = typename Chart::Scalar;
  const std::vector<T> x = series<T>(static_cast<std::size_t>(kSamples), 1);
  for (auto _ : state) {
    Chart chart = proto;  // a local copy: the compiler keeps its state in registers
    int alarms = 0;
    for (const T v : x) alarms += static_cast<int>(chart.update(v).alarm);
    benchmark::DoNotOptimize(alarms);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kSamples));
  state.counters["samples/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kSamples), benchmark::Counter::kIsRate);
}

// The same chart through detect(series): the blocked recurrence.
template <class Chart>
void detect_batch(benchmark::State& state, const Chart& proto) {
  using T = typename Chart::Scalar;
  const std::vector<T> x = series<T>(static_cast<std::size_t>(kSamples), 1);
  const Eigen::Map<const osprey::Vector<T>> xs(x.data(), static_cast<Eigen::Index>(x.size()));
  Chart chart = proto;
  for (auto _ : state) {
    const Eigen::VectorXi a = chart.detect(xs);
    benchmark::DoNotOptimize(a.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kSamples));
  state.counters["samples/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kSamples), benchmark::Counter::kIsRate);
}

template <class T>
void BM_EwmaUpdate(benchmark::State& state) {
  update_loop(state, osprey::Ewma<T>({.mean = 10.0, .sigma = 2.0}));
}
template <class T>
void BM_EwmaDetect(benchmark::State& state) {
  detect_batch(state, osprey::Ewma<T>({.mean = 10.0, .sigma = 2.0}));
}
template <class T>
void BM_CusumUpdate(benchmark::State& state) {
  update_loop(state, osprey::Cusum<T>({.mean = 10.0, .sigma = 2.0}));
}
template <class T>
void BM_CusumDetect(benchmark::State& state) {
  detect_batch(state, osprey::Cusum<T>({.mean = 10.0, .sigma = 2.0}));
}

BENCHMARK_TEMPLATE(BM_EwmaUpdate, float);
BENCHMARK_TEMPLATE(BM_EwmaUpdate, double);
BENCHMARK_TEMPLATE(BM_EwmaDetect, float);
BENCHMARK_TEMPLATE(BM_EwmaDetect, double);
BENCHMARK_TEMPLATE(BM_CusumUpdate, float);
BENCHMARK_TEMPLATE(BM_CusumUpdate, double);
BENCHMARK_TEMPLATE(BM_CusumDetect, float);
BENCHMARK_TEMPLATE(BM_CusumDetect, double);

// A bank of n series, one time step per update; counters give series-updates/s and the bytes
// moved per step (state read + written, sample read, baseline read, alarm written).
template <class Bank>
void bank_bench(benchmark::State& state, Bank bank, double bytes_per_series) {
  using T = typename Bank::Scalar;
  const auto n = static_cast<Eigen::Index>(state.range(0));
  constexpr Eigen::Index kSteps = 8;  // distinct rows, so the sample read is real traffic
  osprey::RowMatrix<T> X(kSteps, n);
  osprey::Rng rng(3);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = static_cast<T>(rng.normal(10.0, 2.0));
  bank.set_baselines(osprey::Vector<T>::Constant(n, T(10)), osprey::Vector<T>::Constant(n, T(2)));
  Eigen::Index step = 0;
  for (auto _ : state) {
    const auto& a = bank.update(X.row(step));
    benchmark::DoNotOptimize(a.data());
    step = (step + 1) % kSteps;
  }
  const auto updates = static_cast<double>(state.iterations()) * static_cast<double>(n);
  state.SetItemsProcessed(static_cast<std::int64_t>(updates));
  state.SetBytesProcessed(static_cast<std::int64_t>(updates * bytes_per_series));
  state.counters["series-updates/s"] = benchmark::Counter(updates, benchmark::Counter::kIsRate);
}

template <class T>
void BM_EwmaBank(benchmark::State& state) {
  // x, z (read + write), mean, half-width: 5 T; the alarm: 1 byte.
  bank_bench(state, osprey::EwmaBank<T>(), 5.0 * sizeof(T) + 1.0);
}
template <class T>
void BM_EwmaBankReset(benchmark::State& state) {
  // + per-series t (read + write, int32).
  bank_bench(state, osprey::EwmaBank<T>({.reset_on_alarm = true}), 5.0 * sizeof(T) + 9.0);
}
template <class T>
void BM_CusumBank(benchmark::State& state) {
  // x, C+ and C- (read + write), K+, K-, H, start: 9 T; the alarm: 1 byte.
  bank_bench(state, osprey::CusumBank<T>(), 9.0 * sizeof(T) + 1.0);
}

BENCHMARK_TEMPLATE(BM_EwmaBank, float)->RangeMultiplier(32)->Range(1 << 10, 1 << 20);
BENCHMARK_TEMPLATE(BM_EwmaBank, double)->RangeMultiplier(32)->Range(1 << 10, 1 << 20);
BENCHMARK_TEMPLATE(BM_EwmaBankReset, float)->RangeMultiplier(32)->Range(1 << 10, 1 << 20);
BENCHMARK_TEMPLATE(BM_CusumBank, float)->RangeMultiplier(32)->Range(1 << 10, 1 << 20);
BENCHMARK_TEMPLATE(BM_CusumBank, double)->RangeMultiplier(32)->Range(1 << 10, 1 << 20);

}  // namespace

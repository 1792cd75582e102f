// PoissonCusum (one count per interval through update(), and a series through detect()) and
// PsiMonitor (a batch of scores binned into the window, PSI returned), in samples per second.
//
//   cmake --preset bench && cmake --build build/bench -j2 --target bench_stream_monitors
//   build/bench/bench/bench_stream_monitors --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <osprey/core/random.hpp>
#include <osprey/streams/poisson_cusum.hpp>
#include <osprey/streams/psi_monitor.hpp>

#include <cmath>
#include <vector>

namespace {

constexpr std::int64_t kSamples = std::int64_t{1} << 16;

/** Poisson(mu) counts by inversion. */
template <class T>
std::vector<T> counts(std::size_t n, double mu, std::uint64_t seed) {
  osprey::Rng rng(seed);
  std::vector<T> x(n);
  for (auto& v : x) {
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    double p = std::exp(-mu), cdf = p;
    int k = 0;
    while (u > cdf && k < 10000) {
      ++k;
      p *= mu / k;
      cdf += p;
    }
    v = static_cast<T>(k);
  }
  return x;
}

template <class T>
void poisson_cusum_update(benchmark::State& state) {
  const std::vector<T> x = counts<T>(static_cast<std::size_t>(kSamples), 4.0, 1);
  const osprey::PoissonCusum<T> proto({.mu0 = 4.0, .mu1 = 6.0, .h = 10.0, .mu1_lower = 2.0});
  for (auto _ : state) {
    osprey::PoissonCusum<T> chart = proto;
    int alarms = 0;
    for (const T v : x) alarms += static_cast<int>(chart.update(v).alarm);
    benchmark::DoNotOptimize(alarms);
  }
  state.counters["samples/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kSamples), benchmark::Counter::kIsRate);
}

template <class T>
void poisson_cusum_detect(benchmark::State& state) {
  const std::vector<T> x = counts<T>(static_cast<std::size_t>(kSamples), 4.0, 1);
  const Eigen::Map<const osprey::Vector<T>> xs(x.data(), static_cast<Eigen::Index>(x.size()));
  osprey::PoissonCusum<T> chart({.mu0 = 4.0, .mu1 = 6.0, .h = 10.0, .mu1_lower = 2.0});
  for (auto _ : state) {
    const Eigen::VectorXi a = chart.detect(xs);
    benchmark::DoNotOptimize(a.data());
  }
  state.counters["samples/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kSamples), benchmark::Counter::kIsRate);
}

// PsiMonitor::update on batches of range(0) scores, 10 bins, cumulative or a 24-batch window.
void psi_monitor_update(benchmark::State& state, int window_batches) {
  const auto batch = static_cast<Eigen::Index>(state.range(0));
  osprey::Rng rng(3);
  Eigen::VectorXd ref(10000), x(batch);
  for (Eigen::Index i = 0; i < ref.size(); ++i) ref(i) = rng.normal();
  for (Eigen::Index i = 0; i < x.size(); ++i) x(i) = rng.normal() + 0.1;
  osprey::PsiMonitor<double> m({.n_bins = 10, .window_batches = window_batches});
  m.fit(ref);
  for (auto _ : state) benchmark::DoNotOptimize(m.update(x));
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(state.iterations() * batch),
                                                   benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK_TEMPLATE(poisson_cusum_update, float);
BENCHMARK_TEMPLATE(poisson_cusum_update, double);
BENCHMARK_TEMPLATE(poisson_cusum_detect, double);
BENCHMARK_CAPTURE(psi_monitor_update, cumulative, 0)->Arg(1)->Arg(100)->Arg(10000);
BENCHMARK_CAPTURE(psi_monitor_update, window_24, 24)->Arg(1)->Arg(100)->Arg(10000);

// Google Benchmark of the threshold searches (metrics/thresholds.hpp) on 10M double scores with
// 1 % positives, against their two parts timed alone: the radix sort of the scores split by
// class (kernels::sorted_class_keys, the sort of the ranking metrics) and one merge pass over
// the sorted keys from the top (what every search does after the sort). The target of issue
// 18: a search costs under one radix sort plus one pass. One thread throughout
// (--benchmark_filter picks rows). Counter: samples/s.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <osprey/core/random.hpp>
#include <osprey/kernels/radix_sort.hpp>
#include <osprey/metrics/thresholds.hpp>

namespace {

constexpr Eigen::Index kN = 10'000'000;
const osprey::Execution one_thread{.n_threads = 1};

struct Data {
  Eigen::VectorXi y;
  Eigen::VectorXd s;
  Eigen::VectorXd w;
};

const Data& data() {
  static const Data d = [] {
    osprey::Rng rng(7);
    Data out{Eigen::VectorXi(kN), Eigen::VectorXd(kN), Eigen::VectorXd(kN)};
    for (Eigen::Index i = 0; i < kN; ++i) {
      out.y(i) = rng.uniform() < 0.01 ? 1 : 0;
      out.s(i) = rng.normal() + out.y(i);
      out.w(i) = static_cast<double>(1 + rng.bounded(4));
    }
    return out;
  }();
  return d;
}

void finish(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations() * kN);
  state.counters["n"] = static_cast<double>(kN);
}

/** The radix sort alone: the scores split by class into sorted keys. */
void BM_radix_sort_class_keys(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    auto keys = osprey::kernels::sorted_class_keys<double>(d.y, d.s, 1, 1);
    benchmark::DoNotOptimize(keys.pos.data);
  }
  finish(state);
}

/** The best (TP, FP) point by cost over every distinct score of the sorted class keys, merged
 *  from the top: the naive "one pass" after the sort. */
double merge_pass(const osprey::kernels::ClassKeys<std::uint64_t>& keys) {
  const auto& pos = keys.pos;
  const auto& neg = keys.neg;
  double best = -1.0, best_t = 0.0;
  std::size_t i = pos.size, j = neg.size;
  while (i > 0 || j > 0) {
    std::uint64_t v = 0;
    if (i > 0) v = pos[i - 1];
    if (j > 0) v = std::max(v, neg[j - 1]);
    while (i > 0 && pos[i - 1] == v) --i;
    while (j > 0 && neg[j - 1] == v) --j;
    const auto tp = static_cast<double>(pos.size - i), fp = static_cast<double>(neg.size - j);
    const double value = -(fp + 5.0 * (static_cast<double>(pos.size) - tp));
    if (value > best || best == -1.0) {
      best = value;
      best_t = osprey::kernels::key_score(v);
    }
  }
  return best_t;
}

/** One pass alone: merge_pass over keys sorted outside the timing. */
void BM_one_merge_pass(benchmark::State& state) {
  const Data& d = data();
  const auto keys = osprey::kernels::sorted_class_keys<double>(d.y, d.s, 1, 1);
  for (auto _ : state) benchmark::DoNotOptimize(merge_pass(keys));
  finish(state);
}

/** The target of issue 18 as one figure: the radix sort, then merge_pass. */
void BM_radix_sort_plus_merge_pass(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        merge_pass(osprey::kernels::sorted_class_keys<double>(d.y, d.s, 1, 1)));
  }
  finish(state);
}

/** A plain read of the scores (the floor of any pass over them). */
void BM_read_scores(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) benchmark::DoNotOptimize(d.s.sum());
  finish(state);
}

void BM_threshold_for_cost(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        osprey::threshold_for_cost(d.y, d.s, 1.0, 5.0, osprey::detail::unweighted(), one_thread));
  }
  finish(state);
}

void BM_threshold_for_precision(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        osprey::threshold_for_precision(d.y, d.s, 0.5, osprey::detail::unweighted(), one_thread));
  }
  finish(state);
}

void BM_threshold_for_recall(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        osprey::threshold_for_recall(d.y, d.s, 0.8, osprey::detail::unweighted(), one_thread));
  }
  finish(state);
}

void BM_threshold_for_fpr(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        osprey::threshold_for_fpr(d.y, d.s, 0.01, osprey::detail::unweighted(), one_thread));
  }
  finish(state);
}

void BM_threshold_for_f_beta(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        osprey::threshold_for_f_beta(d.y, d.s, 1.0, osprey::detail::unweighted(), one_thread));
  }
  finish(state);
}

void BM_threshold_for_budget(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) benchmark::DoNotOptimize(osprey::threshold_for_budget(d.s, 10'000));
  finish(state);
}

void BM_threshold_for_budget_labelled(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    benchmark::DoNotOptimize(osprey::threshold_for_budget(d.y, d.s, 10'000));
  }
  finish(state);
}

/** Weighted: a comparison sort instead of the radix sort (for scale, not the target). */
void BM_threshold_for_cost_weighted(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    benchmark::DoNotOptimize(osprey::threshold_for_cost(d.y, d.s, 1.0, 5.0, d.w, one_thread));
  }
  finish(state);
}

}  // namespace

BENCHMARK(BM_radix_sort_class_keys)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_one_merge_pass)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_radix_sort_plus_merge_pass)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_read_scores)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_threshold_for_cost)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_threshold_for_precision)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_threshold_for_recall)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_threshold_for_fpr)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_threshold_for_f_beta)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_threshold_for_budget)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_threshold_for_budget_labelled)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_threshold_for_cost_weighted)->Unit(benchmark::kMillisecond)->Iterations(2);

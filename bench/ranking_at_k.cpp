// Google Benchmark of the ranking-at-k metrics: ndcg_score on q queries x 1000 documents
// (graded relevance 0..4, continuous scores; no cut and k = 10), and precision_at_k and
// cumulative_gain_curve on n scores with 1 % positives. Counter: scores/s.
#include <benchmark/benchmark.h>

#include <map>
#include <osprey/core/random.hpp>
#include <osprey/metrics/ranking_at_k.hpp>

namespace {

struct Queries {
  osprey::RowMatrix<double> rel, s;
};

const Queries& queries(Eigen::Index q) {
  static std::map<Eigen::Index, Queries> cache;
  auto it = cache.find(q);
  if (it != cache.end()) return it->second;
  constexpr Eigen::Index d = 1000;
  osprey::Rng rng(7);
  Queries out{osprey::RowMatrix<double>(q, d), osprey::RowMatrix<double>(q, d)};
  for (Eigen::Index i = 0; i < q; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) {
      out.rel(i, j) = static_cast<double>(rng.bounded(5));
      out.s(i, j) = rng.normal() + 0.3 * out.rel(i, j);
    }
  }
  return cache.emplace(q, std::move(out)).first->second;
}

struct Labelled {
  Eigen::VectorXi y;
  Eigen::VectorXd s;
};

const Labelled& labelled(Eigen::Index n) {
  static std::map<Eigen::Index, Labelled> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  osprey::Rng rng(11);
  Labelled out{Eigen::VectorXi(n), Eigen::VectorXd(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    out.y(i) = rng.uniform() < 0.01 ? 1 : 0;
    out.s(i) = rng.normal() + out.y(i);
  }
  return cache.emplace(n, std::move(out)).first->second;
}

void BM_ndcg_score(benchmark::State& state) {
  const Queries& d = queries(state.range(0));
  const std::optional<int> k =
      state.range(1) > 0 ? std::optional<int>(static_cast<int>(state.range(1))) : std::nullopt;
  for (auto _ : state) benchmark::DoNotOptimize(osprey::ndcg_score(d.rel, d.s, k));
  state.SetItemsProcessed(state.iterations() * d.rel.size());
}

void BM_precision_at_k(benchmark::State& state) {
  const Labelled& d = labelled(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(osprey::precision_at_k(d.y, d.s, 1000));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_cumulative_gain_curve(benchmark::State& state) {
  const Labelled& d = labelled(state.range(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(osprey::cumulative_gain_curve(d.y, d.s).recall.size());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

}  // namespace

BENCHMARK(BM_ndcg_score)
    ->ArgsProduct({{100, 1000, 10000}, {0, 10}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_precision_at_k)
    ->RangeMultiplier(10)
    ->Range(100000, 10000000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_cumulative_gain_curve)
    ->RangeMultiplier(10)
    ->Range(100000, 10000000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

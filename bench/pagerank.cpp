// Google Benchmarks of the PageRank stack on R-MAT graphs (Graph500 parameters a = 0.57,
// b = 0.19, c = 0.19, edge factor 16, ids scrambled, duplicates kept as the generator makes them):
//   BM_SpmvPull        the pull SpMV kernel alone, y = A x over in-edges (unweighted, 32-bit ids),
//                      with nodes in scrambled order (order:0), by decreasing out-degree (1) and
//                      by decreasing in-degree with dangling nodes last (2, Graph's default);
//   BM_PageRankFit     PageRank<double>::fit to tol 1e-10 on a prebuilt Graph, in the three orders;
//   BM_GatherFloor     the gathers alone, x[sources[k]] summed over all edges with no rows, with
//                      and without the index prefetch of the kernels;
//   BM_GraphBuild      Graph<double>::from_edges.
// Counters: edges/s (stored in-edges processed per second, per iteration for PageRank) and GB/s
// of compulsory traffic (4 B per edge id, 4 B per offset, 8 B per x read and y written, plus for
// PageRank 8 B per node for the out-weight normaliser).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <utility>
#include <vector>

#include <osprey/graph/pagerank.hpp>
#include <osprey/kernels/spmv.hpp>

namespace {

struct Edges {
  std::int64_t n = 0;
  std::vector<std::int64_t> src, dst;
};

std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

const Edges& rmat(int scale) {
  static std::map<int, Edges> cache;
  auto it = cache.find(scale);
  if (it != cache.end()) return it->second;
  Edges e;
  e.n = std::int64_t{1} << scale;
  const std::int64_t m = 16 * e.n;
  std::uint64_t state = std::uint64_t{0x5EED0000} + static_cast<std::uint32_t>(scale);
  e.src.resize(static_cast<std::size_t>(m));
  e.dst.resize(static_cast<std::size_t>(m));
  for (std::int64_t k = 0; k < m; ++k) {
    std::int64_t s = 0, d = 0;
    for (int bit = 0; bit < scale; ++bit) {
      const double r = static_cast<double>(splitmix(state) >> 11) * 0x1.0p-53;
      const bool sb = r >= 0.76;
      const bool db = (r >= 0.57 && r < 0.76) || r >= 0.95;
      s |= static_cast<std::int64_t>(sb) << bit;
      d |= static_cast<std::int64_t>(db) << bit;
    }
    e.src[static_cast<std::size_t>(k)] = s;
    e.dst[static_cast<std::size_t>(k)] = d;
  }
  // Scramble ids as the Graph500 generator does, so the input order carries no locality.
  std::vector<std::int64_t> perm(static_cast<std::size_t>(e.n));
  std::iota(perm.begin(), perm.end(), std::int64_t{0});
  for (std::size_t i = perm.size() - 1; i > 0; --i) {
    std::swap(perm[i], perm[splitmix(state) % (i + 1)]);
  }
  for (auto& v : e.src) v = perm[static_cast<std::size_t>(v)];
  for (auto& v : e.dst) v = perm[static_cast<std::size_t>(v)];
  return cache.emplace(scale, std::move(e)).first->second;
}

// Compressed in-edges with 32-bit ids, optionally renumbered by decreasing out-degree.
struct Csc {
  std::int64_t n = 0;
  std::vector<std::uint32_t> offsets, sources;
};

Csc build_csc(const Edges& e, int order_kind) {
  const auto nz = static_cast<std::size_t>(e.n);
  std::vector<std::uint32_t> rank(nz);
  std::iota(rank.begin(), rank.end(), 0u);
  if (order_kind != 0) {
    std::vector<std::int64_t> out(nz, 0), in(nz, 0);
    for (const auto s : e.src) ++out[static_cast<std::size_t>(s)];
    for (const auto d : e.dst) ++in[static_cast<std::size_t>(d)];
    std::vector<std::uint32_t> order(nz);
    std::iota(order.begin(), order.end(), 0u);
    if (order_kind == 1) {
      std::stable_sort(order.begin(), order.end(),
                       [&](std::uint32_t a, std::uint32_t b) { return out[a] > out[b]; });
    } else {
      std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        if ((out[a] == 0) != (out[b] == 0)) return out[b] == 0;
        return in[a] > in[b];
      });
    }
    for (std::size_t i = 0; i < nz; ++i) rank[order[i]] = static_cast<std::uint32_t>(i);
  }
  Csc c;
  c.n = e.n;
  c.offsets.assign(nz + 1, 0);
  for (const auto d : e.dst) ++c.offsets[rank[static_cast<std::size_t>(d)] + 1];
  std::partial_sum(c.offsets.begin(), c.offsets.end(), c.offsets.begin());
  std::vector<std::uint32_t> fill(c.offsets.begin(), c.offsets.end() - 1);
  c.sources.resize(e.src.size());
  for (std::size_t k = 0; k < e.src.size(); ++k) {
    c.sources[fill[rank[static_cast<std::size_t>(e.dst[k])]]++] =
        rank[static_cast<std::size_t>(e.src[k])];
  }
  for (std::size_t i = 0; i < nz; ++i)
    std::sort(&c.sources[c.offsets[i]], &c.sources[c.offsets[i + 1]]);
  return c;
}

void BM_SpmvPull(benchmark::State& state) {
  const int scale = static_cast<int>(state.range(0));
  const int order_kind = static_cast<int>(state.range(1));
  const Csc c = build_csc(rmat(scale), order_kind);
  const osprey::kernels::CompressedRows<std::uint32_t, std::uint32_t, double> A{
      c.n, c.offsets.data(), c.sources.data(), nullptr};
  const auto blocks = osprey::kernels::balanced_row_blocks(
      c.offsets.data(), c.n, std::max<std::int64_t>(1, (c.n + A.nnz()) / 16384));
  std::vector<double> x(static_cast<std::size_t>(c.n), 1.0 / static_cast<double>(c.n));
  std::vector<double> y(static_cast<std::size_t>(c.n));
  for (auto _ : state) {
    osprey::kernels::spmv_pull(A, x.data(), y.data(), blocks, 0);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double bytes = 4.0 * static_cast<double>(A.nnz()) + 20.0 * static_cast<double>(c.n);
  state.counters["edges/s"] = benchmark::Counter(static_cast<double>(A.nnz()),
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GB/s"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(order_kind == 0   ? "scrambled"
                 : order_kind == 1 ? "by out-degree"
                                   : "by in-degree");
}
BENCHMARK(BM_SpmvPull)
    ->ArgsProduct({{16, 18, 20}, {0, 1, 2}})
    ->ArgNames({"scale", "order"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The floor under any pull iteration: the same gathers x[sources[k]] over every stored edge,
// summed with no row structure at all (equal contiguous edge ranges per thread, eight
// accumulators). prefetch:1 prefetches the index stream as the kernels do, and is the floor a
// row loop can approach; prefetch:0 leaves it to the hardware prefetcher, which falls behind
// (docs/benchmarks/pagerank.md compares the two with the kernel and the bandwidth bound).
void BM_GatherFloor(benchmark::State& state) {
  const int scale = static_cast<int>(state.range(0));
  const Csc c = build_csc(rmat(scale), 2);
  const auto m = static_cast<std::int64_t>(c.sources.size());
  std::vector<double> x(static_cast<std::size_t>(c.n), 1.0 / static_cast<double>(c.n));
  constexpr std::int64_t kChunks = 64;
  std::vector<double> partial(kChunks);
  const std::uint32_t* src = c.sources.data();
  const double* xs = x.data();
  // prefetch:1 prefetches the index stream as the kernels do; prefetch:0 issues no prefetch.
  const bool prefetch = state.range(1) != 0;
  for (auto _ : state) {
    osprey::detail::parallel_for(std::int64_t{0}, kChunks, 0, [&](std::int64_t b) {
      const std::int64_t lo = m * b / kChunks;
      const std::int64_t hi = m * (b + 1) / kChunks;
      double s[8] = {};
      std::int64_t k = lo;
      for (; k + 8 <= hi; k += 8) {
        if (prefetch && ((k - lo) & 15) == 0) {
          osprey::kernels::prefetch_ahead(src + k, osprey::kernels::kRowPrefetch);
        }
        for (int u = 0; u < 8; ++u) s[u] += xs[src[k + u]];
      }
      for (; k < hi; ++k) s[0] += xs[src[k]];
      partial[static_cast<std::size_t>(b)] =
          ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    });
    benchmark::DoNotOptimize(partial.data());
    benchmark::ClobberMemory();
  }
  state.counters["edges/s"] =
      benchmark::Counter(static_cast<double>(m), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel("by in-degree");
}
BENCHMARK(BM_GatherFloor)
    ->ArgsProduct({{20}, {0, 1}})
    ->ArgNames({"scale", "prefetch"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

const osprey::Graph<double>& graph(int scale, int order_kind) {
  static std::map<std::pair<int, int>, osprey::Graph<double>> cache;
  const auto key = std::make_pair(scale, order_kind);
  auto it = cache.find(key);
  if (it == cache.end()) {
    const Edges& e = rmat(scale);
    it = cache
             .emplace(key, osprey::Graph<double>::from_edges(
                               e.n, std::span<const std::int64_t>(e.src),
                               std::span<const std::int64_t>(e.dst), {},
                               {.order = order_kind == 0   ? osprey::NodeOrder::dangling_last
                                         : order_kind == 1 ? osprey::NodeOrder::by_out_degree
                                                           : osprey::NodeOrder::by_in_degree}))
             .first;
  }
  return it->second;
}

void BM_PageRankFit(benchmark::State& state) {
  const auto& g = graph(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  osprey::PageRank<double> pr({.tol = 1e-10});
  int iterations = 0;
  for (auto _ : state) {
    pr.fit(g);
    iterations = pr.iterations();
    benchmark::DoNotOptimize(pr.scores().data());
  }
  const double per_iter_bytes =
      4.0 * static_cast<double>(g.n_edges()) + 28.0 * static_cast<double>(g.n_nodes());
  state.counters["iterations"] = iterations;
  state.counters["edges/s"] = benchmark::Counter(static_cast<double>(g.n_edges()) * iterations,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GB/s"] = benchmark::Counter(per_iter_bytes * iterations * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MiB"] = static_cast<double>(g.memory_bytes()) / (1024.0 * 1024.0);
}
BENCHMARK(BM_PageRankFit)
    ->ArgsProduct({{16, 18, 20}, {0, 1, 2}})
    ->ArgNames({"scale", "order"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_GraphBuild(benchmark::State& state) {
  const Edges& e = rmat(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto g = osprey::Graph<double>::from_edges(e.n, std::span<const std::int64_t>(e.src),
                                               std::span<const std::int64_t>(e.dst));
    benchmark::DoNotOptimize(g.n_edges());
  }
  state.counters["edges/s"] = benchmark::Counter(static_cast<double>(e.src.size()),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_GraphBuild)
    ->Arg(16)
    ->Arg(18)
    ->Arg(20)
    ->ArgName("scale")
    ->Unit(benchmark::kMillisecond);

}  // namespace

// Google Benchmark for the nearest-neighbour kernels and searches (float32 unless stated).
//   bench_neighbors --benchmark_filter=Gemm     the Euclidean tile product (Eigen's and the
//                                               packed AVX-512 one), GFLOP/s
//   bench_neighbors --benchmark_filter=Panel    the register-tiled L1 / L2 kernels, distances/s
//   bench_neighbors --benchmark_filter=Scan     top-k selection over a tile, values/s
//   bench_neighbors --benchmark_filter=Search   whole searches (brute and kd-tree), queries/s
//   bench_neighbors --benchmark_filter=LeaveOne the symmetric leave-one-out search (SMOTE's),
//   rows/s
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wmaybe-uninitialized inside Eigen's AVX-512 GEMM kernels (-march=native);
// the pragma must precede the first Eigen include to cover the intrinsic headers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <benchmark/benchmark.h>

#include <osprey/osprey.hpp>

#include <random>
#include <vector>

namespace {

template <class S>
osprey::RowMatrix<S> random_rows(Eigen::Index rows, Eigen::Index cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  osprey::RowMatrix<S> m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<S>(normal(gen));
  return m;
}

// C(nb x mq) = -2 X_block Q_tile^T, the Euclidean tile of the brute-force search.
template <class S>
void BM_GemmTile(benchmark::State& state) {
  const Eigen::Index nb = state.range(0);
  const Eigen::Index mq = state.range(1);
  const Eigen::Index d = state.range(2);
  const auto X = random_rows<S>(nb, d, 1);
  const auto Q = random_rows<S>(mq, d, 2);
  osprey::Matrix<S> C(nb, mq);
  osprey::kernels::SerialGemm<S> gemm(nb, mq, d);
  for (auto _ : state) {
    gemm.run(nb, mq, d, X.data(), Q.data(), C.data(), nb, S(-2));
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * static_cast<double>(nb * mq * d) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_GemmTile<float>)
    ->Args({1024, 256, 64})
    ->Args({2048, 256, 64})
    ->Args({512, 512, 64})
    ->Args({4096, 128, 64})
    ->Args({1024, 1024, 64});
BENCHMARK(BM_GemmTile<double>)->Args({1024, 256, 64});

// The same tile through the AVX-512 packed product (kernels/packed_gemm.hpp) on training rows
// packed once, as the searches run it; one tile per thread, so Threads(2) is the two-core
// figure (items_per_second counts flops, summed over the threads, per second of wall time).
template <class S>
void BM_PackedGemmTile(benchmark::State& state) {
  const Eigen::Index nb = state.range(0);
  const Eigen::Index mq = state.range(1);
  const Eigen::Index d = state.range(2);
  if (!osprey::kernels::has_packed_gemm) {
    state.SkipWithError("no AVX-512 on this target");
    return;
  }
  const auto X = random_rows<S>(nb, d, 1);
  const auto Q = random_rows<S>(mq, d, 2);
  const auto panels = osprey::kernels::pack_gemm_panels(X.data(), nb, d);
  osprey::Matrix<S> C = osprey::Matrix<S>::Zero(nb, mq);
  for (auto _ : state) {
    osprey::kernels::gemm_packed_nt(panels.data(), 0, nb, mq, d, Q.data(), C.data(), nb, S(-2));
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(2 * nb * mq * d * static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PackedGemmTile<float>)
    ->Args({1024, 256, 64})
    ->Args({1024, 256, 20})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK(BM_PackedGemmTile<double>)->Args({1024, 256, 64})->Threads(1)->Threads(2)->UseRealTime();

// 8 queries against a block of packed panels (the Manhattan / Minkowski / Chebyshev path).
template <class Metric, class S>
void BM_PanelKernel(benchmark::State& state) {
  const Eigen::Index n = state.range(0);
  const Eigen::Index d = state.range(1);
  constexpr int NR = osprey::kernels::panel_rows<S>;
  const auto X = random_rows<S>(n, d, 3);
  const auto Q = random_rows<S>(8, d, 4);
  const auto packed = osprey::kernels::pack_panels<S>(X.data(), n, d, d);
  const Eigen::Index panels = (n + NR - 1) / NR;
  std::vector<S> out(static_cast<std::size_t>(8 * panels * NR));
  for (auto _ : state) {
    osprey::kernels::panels_block<S, Metric>(Q.data(), d, 8, packed.data(), d, 0, panels,
                                             out.data(), panels * NR);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["distances/s"] =
      benchmark::Counter(8.0 * static_cast<double>(n) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  state.counters["coord-pairs/s"] =
      benchmark::Counter(8.0 * static_cast<double>(n * d) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PanelKernel<osprey::Manhattan, float>)->Args({2048, 64});
BENCHMARK(BM_PanelKernel<osprey::Manhattan, double>)->Args({1024, 64});
BENCHMARK(BM_PanelKernel<osprey::Euclidean, float>)->Args({2048, 64});
BENCHMARK(BM_PanelKernel<osprey::Chebyshev, float>)->Args({2048, 64});

// Top-k selection over one tile column of |x|^2 - 2 q.x values.
void BM_ScanTopK(benchmark::State& state) {
  const Eigen::Index n = state.range(0);
  const int k = static_cast<int>(state.range(1));
  std::mt19937 gen(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(static_cast<std::size_t>(n));
  std::vector<float> offsets(static_cast<std::size_t>(n));
  for (auto& v : values) v = normal(gen);
  for (auto& v : offsets) v = normal(gen);
  std::vector<float> tv(static_cast<std::size_t>(k));
  std::vector<int> ti(static_cast<std::size_t>(k));
  for (auto _ : state) {
    osprey::kernels::TopK<float> top(tv.data(), ti.data(), k);
    osprey::kernels::scan_block_plus(values.data(), offsets.data(), n, 0, -1, top);
    benchmark::DoNotOptimize(tv.data());
  }
  state.counters["values/s"] =
      benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScanTopK)->Args({100000, 10})->Args({100000, 50});

template <class Metric>
void BM_SearchBrute(benchmark::State& state) {
  const Eigen::Index n = state.range(0);
  const Eigen::Index m = state.range(1);
  const Eigen::Index d = state.range(2);
  const auto X = random_rows<float>(n, d, 6);
  const auto Q = random_rows<float>(m, d, 7);
  osprey::NearestNeighbors<float, Metric> nn(
      {.algorithm = osprey::Algorithm::brute, .n_threads = static_cast<int>(state.range(3))});
  nn.fit(X);
  for (auto _ : state) {
    auto result = nn.kneighbors(Q, 10);
    benchmark::DoNotOptimize(result.indices.data());
  }
  state.counters["queries/s"] =
      benchmark::Counter(static_cast<double>(m) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * static_cast<double>(n * m * d) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_SearchBrute<osprey::Euclidean>)
    ->Args({100000, 2000, 64, 1})
    ->Args({100000, 2000, 64, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_SearchBrute<osprey::Minkowski<2>>)
    ->Args({100000, 2000, 64, 1})
    ->Args({100000, 2000, 64, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_SearchBrute<osprey::Manhattan>)
    ->Args({100000, 1000, 64, 1})
    ->Args({100000, 1000, 64, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_SearchKdTree3D(benchmark::State& state) {
  const Eigen::Index n = state.range(0);
  const Eigen::Index m = state.range(1);
  std::mt19937 gen(8);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  osprey::RowMatrix<float> X(n, 3);
  osprey::RowMatrix<float> Q(m, 3);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = uniform(gen);
  for (Eigen::Index i = 0; i < Q.size(); ++i) Q.data()[i] = uniform(gen);
  for (auto _ : state) {
    osprey::NearestNeighbors<float, osprey::Euclidean> nn(
        {.algorithm = osprey::Algorithm::kd_tree, .n_threads = static_cast<int>(state.range(2))});
    nn.fit(X);
    auto result = nn.kneighbors(Q, 10);
    benchmark::DoNotOptimize(result.indices.data());
  }
  state.counters["queries/s"] =
      benchmark::Counter(static_cast<double>(m) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SearchKdTree3D)
    ->Args({1000000, 100000, 1})
    ->Args({1000000, 100000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

// The measurement behind Algorithm::automatic: kd-tree vs brute force (build + query, 1 thread)
// on uniform data as the dimension grows. Args: n, m, d, algorithm (0 brute, 1 kd-tree).
void BM_KdVsBrute(benchmark::State& state) {
  const Eigen::Index n = state.range(0);
  const Eigen::Index m = state.range(1);
  const Eigen::Index d = state.range(2);
  std::mt19937 gen(9);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  osprey::RowMatrix<float> X(n, d);
  osprey::RowMatrix<float> Q(m, d);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = uniform(gen);
  for (Eigen::Index i = 0; i < Q.size(); ++i) Q.data()[i] = uniform(gen);
  const auto algorithm =
      state.range(3) == 0 ? osprey::Algorithm::brute : osprey::Algorithm::kd_tree;
  for (auto _ : state) {
    osprey::NearestNeighbors<float, osprey::Euclidean> nn({.algorithm = algorithm, .n_threads = 1});
    nn.fit(X);
    auto result = nn.kneighbors(Q, 10);
    benchmark::DoNotOptimize(result.indices.data());
  }
}
BENCHMARK(BM_KdVsBrute)
    ->ArgsProduct({{100000}, {5000}, {2, 4, 8, 12, 16, 24}, {0, 1}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KdVsBrute)->ArgsProduct({{1000}, {1000}, {3}, {0, 1}})->Unit(benchmark::kMillisecond);

// Tile sizes of the Euclidean brute force (BruteTiles): training rows per GEMM block x queries
// per tile, 100,000 x 64 train, 2,000 queries, k = 10, one thread.
void BM_BruteTiles(benchmark::State& state) {
  const auto X = random_rows<float>(100000, 64, 6);
  const auto Q = random_rows<float>(2000, 64, 7);
  const osprey::detail::BruteIndex<float, osprey::Euclidean> index(X);
  osprey::detail::BruteTiles tiles;
  tiles.gemm_rows = state.range(0);
  tiles.gemm_queries = state.range(1);
  std::vector<float> values(2000 * 10);
  std::vector<int> indices(2000 * 10);
  for (auto _ : state) {
    index.search(X, Q, 10, false, 1, values.data(), indices.data(), tiles);
    benchmark::DoNotOptimize(indices.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * 100000.0 * 2000.0 * 64.0 * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_BruteTiles)
    ->ArgsProduct({{512, 1024, 2048, 4096}, {128, 256, 512}})
    ->Unit(benchmark::kMillisecond);

// The leave-one-out Euclidean search over one set (each pair computed once, rows in k-d order,
// a float filter for double from 1,024 rows): SMOTE's search inside a class, here its
// 5,000 x 20 minority class with k = 5, on 1 and 2 threads.
template <class S>
void BM_LeaveOneOut(benchmark::State& state) {
  const Eigen::Index n = state.range(0);
  const auto X = random_rows<S>(n, state.range(1), 8);
  osprey::NearestNeighbors<S, osprey::Euclidean> nn(
      {.algorithm = osprey::Algorithm::brute, .n_threads = static_cast<int>(state.range(2))});
  nn.fit(X);
  for (auto _ : state) {
    auto result = nn.kneighbors(5);
    benchmark::DoNotOptimize(result.indices.data());
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LeaveOneOut<double>)
    ->ArgsProduct({{5000}, {20}, {1, 2}})
    ->ArgNames({"n", "d", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_LeaveOneOut<float>)
    ->ArgsProduct({{5000}, {20}, {1, 2}})
    ->ArgNames({"n", "d", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

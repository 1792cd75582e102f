// osprey's side of bench/compare/pagerank.py: reads a binary edge file written by the script
// (int64 n, int64 m, then m int32 sources and m int32 targets), builds the Graph, runs PageRank
// `repeats` times and prints one `key=value` line per measurement for the script to parse.
//
//   compare_pagerank EDGES.bin [--tol 1e-10] [--threads 0] [--repeats 3] [--order in|out|none]
//                    [--scores OUT.bin]
// The last line, "calls=pagerank_fit ...", gives the first and the warm fit (call_stats.hpp).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "call_stats.hpp"

#include <osprey/graph/pagerank.hpp>

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s EDGES.bin [--tol T] [--threads N] [--repeats R] "
                 "[--order in|out|none] [--scores OUT.bin]\n",
                 argv[0]);
    return 2;
  }
  double tol = 1e-10;
  int threads = 0;
  int repeats = 3;
  std::string order = "in";
  std::string scores_path;
  for (int a = 2; a + 1 < argc; a += 2) {
    const std::string key = argv[a];
    const std::string value = argv[a + 1];
    if (key == "--tol") {
      tol = std::stod(value);
    } else if (key == "--threads") {
      threads = std::stoi(value);
    } else if (key == "--repeats") {
      repeats = std::stoi(value);
    } else if (key == "--order") {
      order = value;
    } else if (key == "--scores") {
      scores_path = value;
    } else {
      std::fprintf(stderr, "unknown option %s\n", key.c_str());
      return 2;
    }
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  std::int64_t header[2];
  in.read(reinterpret_cast<char*>(header), sizeof(header));
  const std::int64_t n = header[0];
  const auto m = static_cast<std::size_t>(header[1]);
  std::vector<std::int32_t> raw(2 * m);
  in.read(reinterpret_cast<char*>(raw.data()),
          static_cast<std::streamsize>(raw.size() * sizeof(std::int32_t)));
  if (!in) {
    std::fprintf(stderr, "short read in %s\n", argv[1]);
    return 1;
  }
  std::vector<std::int64_t> src(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(m));
  std::vector<std::int64_t> dst(raw.begin() + static_cast<std::ptrdiff_t>(m), raw.end());
  raw = {};

  const auto t0 = std::chrono::steady_clock::now();
  const auto graph = osprey::Graph<double>::from_edges(
      n, std::span<const std::int64_t>(src), std::span<const std::int64_t>(dst), {},
      {.order = order == "none"  ? osprey::NodeOrder::dangling_last
                : order == "out" ? osprey::NodeOrder::by_out_degree
                                 : osprey::NodeOrder::by_in_degree});
  const double build_s = seconds_since(t0);
  src = {};
  dst = {};

  osprey::PageRank<double> pr({.tol = tol, .n_threads = threads});
  double best = 1e300;
  double best_cpu = 1e300;  // process CPU time: with 1 thread, a load-independent tuning metric
  std::vector<compare::CallStats> calls;
  for (int r = 0; r < repeats; ++r) {
    const auto u1 = compare::usage_now();
    const auto t1 = std::chrono::steady_clock::now();
    const std::clock_t c1 = std::clock();
    pr.fit(graph);
    best_cpu = std::min(best_cpu, static_cast<double>(std::clock() - c1) / CLOCKS_PER_SEC);
    const double s = seconds_since(t1);
    best = std::min(best, s);
    const auto u2 = compare::usage_now();
    calls.push_back({s, u2.ru_minflt - u1.ru_minflt, compare::peak_rss_mib()});
  }
  std::printf("nodes=%lld\nedges=%lld\ndangling=%lld\n", static_cast<long long>(graph.n_nodes()),
              static_cast<long long>(graph.n_edges()), static_cast<long long>(graph.n_dangling()));
  std::printf("memory_mib=%.1f\nbuild_s=%.4f\nfit_s=%.4f\niterations=%d\nresidual=%.3e\n",
              static_cast<double>(graph.memory_bytes()) / (1024.0 * 1024.0), build_s, best,
              pr.iterations(), pr.residual());
  std::printf("cpu_s=%.4f\ncpu_ms_per_iter=%.3f\n", best_cpu, 1e3 * best_cpu / pr.iterations());
  std::printf("ms_per_iter=%.3f\nthreads=%d\n", 1e3 * best / pr.iterations(),
              osprey::detail::resolve_threads(threads));
  if (calls.size() >= 2) compare::print_calls("pagerank_fit", calls, "calls=");
  if (!scores_path.empty()) {
    std::ofstream out(scores_path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(pr.scores().data()),
              static_cast<std::streamsize>(sizeof(double) * static_cast<std::size_t>(n)));
  }
  return 0;
}

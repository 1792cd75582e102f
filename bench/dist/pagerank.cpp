// dist::PageRank on p ranks against single-node osprey::PageRank on the same edges (the COST
// comparison, McSherry, Isard & Murray 2015), and the bytes each rank sends per iteration next to
// the communication model of docs/scaling.md.
//
//   dist_pagerank [--graph edges.txt | --nodes N --edges M] [--ranks 1,2,4] [--repeats R]
//   mpirun -n 4 dist_pagerank_mpi [same options]     (built when MPI is found)
//
// Without --graph it generates a graph with skewed degrees (sources drawn as n u^2, targets as
// n u^3, u uniform) whose node ids are then randomly permuted: the "random placement" the model
// assumes. Each rank holds a contiguous share of the edge list. Times are wall-clock medians
// over the repeats of the whole fit (edge redistribution, setup and iterations), the slowest
// rank's; the ranks run one thread each. ThreadCommunicator ranks are threads of this process:
// more ranks than cores are oversubscribed, and say so.
#include <osprey/dist/pagerank.hpp>
#include <osprey/dist/partition.hpp>
#include <osprey/dist/thread_communicator.hpp>
#include <osprey/osprey.hpp>
#ifdef OSPREY_BENCH_MPI
#include <osprey/dist/mpi.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace dist = osprey::dist;

namespace {

struct Options {
  std::string graph;
  std::int64_t nodes = 1 << 20;
  std::int64_t edges = 8 << 20;
  std::vector<int> ranks{1, 2, 4};
  int repeats = 3;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--graph") o.graph = value;
    if (key == "--nodes") o.nodes = std::stoll(value);
    if (key == "--edges") o.edges = std::stoll(value);
    if (key == "--repeats") o.repeats = std::stoi(value);
    if (key == "--ranks") {
      o.ranks.clear();
      for (std::size_t at = 0; at < value.size();) {
        const std::size_t comma = std::min(value.find(',', at), value.size());
        o.ranks.push_back(std::stoi(value.substr(at, comma - at)));
        at = comma + 1;
      }
    }
  }
  return o;
}

osprey::EdgeList<double> generate(std::int64_t n, std::int64_t m) {
  osprey::Rng rng(20260103);
  std::vector<std::int64_t> perm(static_cast<std::size_t>(n));
  std::iota(perm.begin(), perm.end(), std::int64_t{0});
  for (std::size_t i = perm.size() - 1; i > 0; --i) std::swap(perm[i], perm[rng.bounded(i + 1)]);
  osprey::EdgeList<double> g;
  g.n_nodes = n;
  const auto nd = static_cast<double>(n);
  for (std::int64_t e = 0; e < m; ++e) {
    const double u = rng.uniform(), v = rng.uniform();
    g.src.push_back(perm[static_cast<std::size_t>(std::min(nd - 1, std::floor(nd * u * u)))]);
    g.dst.push_back(perm[static_cast<std::size_t>(std::min(nd - 1, std::floor(nd * v * v * v)))]);
  }
  return g;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/** The model's ghost entries per rank under random placement: a node outside the rank is a
 *  ghost when one of its d distinct out-neighbours falls in the rank's block (probability 1/p
 *  each), averaged over the ranks: (1 - 1/p) sum_v (1 - (1 - 1/p)^d_v). */
double model_ghosts(const std::vector<std::int64_t>& distinct_out, int p) {
  const double q = 1.0 - 1.0 / p;
  double sum = 0.0;
  for (const std::int64_t d : distinct_out) sum += 1.0 - std::pow(q, static_cast<double>(d));
  return q * sum;
}

/** Distinct out-neighbours of every node. */
std::vector<std::int64_t> distinct_out_degrees(const osprey::EdgeList<double>& g) {
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs(g.src.size());
  for (std::size_t e = 0; e < pairs.size(); ++e) pairs[e] = {g.src[e], g.dst[e]};
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  std::vector<std::int64_t> d(static_cast<std::size_t>(g.n_nodes), 0);
  for (const auto& pr : pairs) ++d[static_cast<std::size_t>(pr.first)];
  return d;
}

struct RunResult {
  double seconds = 0.0;
  int iterations = 0;
  std::vector<std::uint64_t> ghosts, exchange_bytes, setup_bytes, iteration_bytes;
};

/** One fit on this rank's contiguous share of the edges; fills rank's entries of `out`. */
template <class C>
void fit_share(C& comm, const osprey::EdgeList<double>& g, RunResult& out, double& seconds) {
  const auto m = static_cast<std::uint64_t>(g.src.size());
  const dist::RowRange share = dist::contiguous_block(m, comm.rank(), comm.size());
  const auto at = static_cast<std::ptrdiff_t>(share.offset);
  const auto len = static_cast<std::size_t>(share.local);
  dist::PageRank<double> pr({.tol = 1e-10, .n_threads = 1});
  comm.barrier();
  const auto t0 = std::chrono::steady_clock::now();
  pr.fit(comm, g.n_nodes, std::span<const std::int64_t>(g.src.data() + at, len),
         std::span<const std::int64_t>(g.dst.data() + at, len));
  const double mine = seconds_since(t0);
  seconds = dist::all_reduce_value(comm, mine, dist::ReduceOp::max);
  const auto r = static_cast<std::size_t>(comm.rank());
  const dist::PageRankTraffic& t = pr.traffic();
  out.ghosts[r] = t.ghosts;
  out.exchange_bytes[r] = t.exchange_bytes_sent;
  out.setup_bytes[r] = t.setup_bytes_sent;
  out.iteration_bytes[r] = t.iteration_bytes_sent / static_cast<std::uint64_t>(pr.iterations());
  out.iterations = pr.iterations();
}

template <class C>
void run_on(C& comm, const osprey::EdgeList<double>& g, int repeats, RunResult& result,
            std::vector<double>& times) {
  for (int k = 0; k < repeats; ++k) {
    double s = 0.0;
    fit_share(comm, g, result, s);
    if (comm.rank() == 0) times.push_back(s);
  }
}

/** Single-node osprey::PageRank, Graph build + fit, on `threads` threads (0 = all): seconds. */
double single_node(const osprey::EdgeList<double>& g, int threads, int& iterations) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto graph = osprey::to_graph<double>(g);
  osprey::PageRank<double> pr({.tol = 1e-10, .n_threads = threads});
  pr.fit(graph);
  iterations = pr.iterations();
  return seconds_since(t0);
}

void print_row(int p, const char* how, const RunResult& r, double model, double single) {
  const auto n = static_cast<double>(r.ghosts.size());
  const double avg_ghosts =
      static_cast<double>(std::accumulate(r.ghosts.begin(), r.ghosts.end(), std::uint64_t{0})) / n;
  const double avg_bytes =
      static_cast<double>(
          std::accumulate(r.exchange_bytes.begin(), r.exchange_bytes.end(), std::uint64_t{0})) /
      n;
  const auto max_bytes = *std::max_element(r.exchange_bytes.begin(), r.exchange_bytes.end());
  const double avg_setup = static_cast<double>(std::accumulate(
                               r.setup_bytes.begin(), r.setup_bytes.end(), std::uint64_t{0})) /
                           n;
  const auto per_it = *std::max_element(r.iteration_bytes.begin(), r.iteration_bytes.end());
  std::printf("| %d | %s | %.3f | %.2f | %d | %.0f | %.0f | %.3f | %.0f | %llu | %llu | %.1f |\n",
              p, how, r.seconds, single / r.seconds, r.iterations, avg_ghosts, model,
              avg_ghosts / std::max(model, 1.0), avg_bytes,
              static_cast<unsigned long long>(max_bytes), static_cast<unsigned long long>(per_it),
              avg_setup / 1e6);
}

void print_header() {
  std::printf(
      "| p | ranks as | fit s (median) | single / dist | iterations | ghosts / rank | model "
      "ghosts / rank | measured / model | exchange B / iteration / rank (avg) | (max) | "
      "all bytes / iteration (max rank, measured) | setup MB / rank |\n");
  std::printf("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
}

}  // namespace

int main(int argc, char** argv) {
#ifdef OSPREY_BENCH_MPI
  dist::MpiEnvironment env(argc, argv);
  dist::MpiCommunicator world;
#endif
  const Options o = parse(argc, argv);
  const auto g = o.graph.empty() ? generate(o.nodes, o.edges)
                                 : osprey::read_edge_list<double>(o.graph, {.relabel = true});
  const std::vector<std::int64_t> out_degrees = distinct_out_degrees(g);
#ifdef OSPREY_BENCH_MPI
  return dist::run_or_abort(world, [&] {
    const int p = world.size();
    int iterations = 0;
    const double single = world.rank() == 0 ? single_node(g, 1, iterations) : 0.0;
    RunResult r;
    r.ghosts.resize(static_cast<std::size_t>(p));
    r.exchange_bytes = r.setup_bytes = r.iteration_bytes = r.ghosts;
    std::vector<double> times;
    run_on(world, g, o.repeats, r, times);
    for (auto* v : {&r.ghosts, &r.exchange_bytes, &r.setup_bytes, &r.iteration_bytes}) {
      world.all_reduce(std::span<std::uint64_t>(*v), dist::ReduceOp::sum);  // one entry per rank
    }
    if (world.rank() != 0) return;
    r.seconds = median(times);
    std::printf("single-node osprey::PageRank (Graph build + fit), 1 thread: %.3f s\n\n", single);
    print_header();
    print_row(p, "MPI processes", r, model_ghosts(out_degrees, p), single);
  });
#else
  std::printf("graph: %s, %lld nodes, %lld edges; %u hardware threads\n",
              o.graph.empty() ? "generated (skewed degrees, random placement)" : o.graph.c_str(),
              static_cast<long long>(g.n_nodes), static_cast<long long>(g.src.size()),
              std::thread::hardware_concurrency());
  std::vector<double> single_times, single_all;
  int single_iterations = 0;
  for (int k = 0; k < o.repeats; ++k) {
    single_times.push_back(single_node(g, 1, single_iterations));
    single_all.push_back(single_node(g, 0, single_iterations));
  }
  const double single = median(single_times);
  std::printf(
      "single-node osprey::PageRank (Graph build + fit): %.3f s on 1 thread, %.3f s on "
      "all threads, %d iterations\n\n",
      single, median(single_all), single_iterations);
  print_header();
  for (const int p : o.ranks) {
    RunResult r;
    r.ghosts.resize(static_cast<std::size_t>(p));
    r.exchange_bytes = r.setup_bytes = r.iteration_bytes = r.ghosts;
    std::vector<double> times;
    dist::run_ranks(
        p, [&](dist::ThreadCommunicator& comm) { run_on(comm, g, o.repeats, r, times); }, 1);
    r.seconds = median(times);
    const bool over = p > static_cast<int>(std::thread::hardware_concurrency());
    print_row(p, over ? "threads (oversubscribed)" : "threads", r, model_ghosts(out_degrees, p),
              single);
  }
  return 0;
#endif
}

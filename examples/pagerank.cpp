// PageRank of a directed graph: read a SNAP edge list (or, without one, generate a seeded voting
// graph), rank the nodes, print the top 10 with their original ids, the iterations run and the
// final L1 change, with a progress line.
//
//   pagerank [path/to/wiki-Vote.txt [damping]]
//
// SNAP's graphs (wiki-Vote: https://snap.stanford.edu/data/wiki-Vote.html) come with no licence
// that lets this repository ship them; download one and pass its path.
#include <cstdio>
#include <exception>
#include <numeric>
#include <osprey/osprey.hpp>
#include <string>
#include <vector>

namespace {

// A seeded stand-in for a voting graph: users join one by one; a fifth of them never vote
// (dangling nodes), the others vote for up to 15 earlier users, half the time for the target of
// a random earlier vote (so that popular users attract more votes, as on real voting graphs)
// and half the time for an earlier user drawn uniformly.
osprey::EdgeList<double> voting_graph(std::int64_t n, std::uint64_t seed) {
  osprey::Rng rng(seed);
  osprey::EdgeList<double> list;
  list.n_nodes = n;
  for (std::int64_t voter = 1; voter < n; ++voter) {
    if (rng.uniform() < 0.2) continue;
    const auto votes = 1 + static_cast<std::int64_t>(rng.bounded(15));
    for (std::int64_t v = 0; v < votes; ++v) {
      const bool copy = !list.dst.empty() && rng.uniform() < 0.5;
      const std::int64_t target =
          copy ? list.dst[rng.bounded(list.dst.size())]
               : static_cast<std::int64_t>(rng.bounded(static_cast<std::uint64_t>(voter)));
      list.src.push_back(voter);
      list.dst.push_back(target);
    }
  }
  return list;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    // SNAP ids are sparse: relabel them to 0..n-1 and keep the originals in list.ids.
    const std::string source = argc > 1 ? argv[1] : "generated voting graph";
    const auto list = argc > 1 ? osprey::read_edge_list<double>(argv[1], {.relabel = true})
                               : voting_graph(7000, 20260101);
    const auto graph = osprey::to_graph<double>(list);
    std::printf("%s: %lld nodes, %lld edges, %lld dangling\n", source.c_str(),
                static_cast<long long>(graph.n_nodes()), static_cast<long long>(graph.n_edges()),
                static_cast<long long>(graph.n_dangling()));

    osprey::PageRank<double> pagerank({
        .damping = argc > 2 ? std::stod(argv[2]) : 0.85,
        .tol = 1e-10,
        .progress =
            [](const osprey::Progress& p) {
              std::fprintf(stderr, "\r%s %zu  L1 change %.3e   ", std::string(p.stage).c_str(),
                           p.done, p.value);
            },
    });
    pagerank.fit(graph);
    std::fprintf(stderr, "\n");

    const auto& scores = pagerank.scores();
    std::vector<Eigen::Index> order(static_cast<std::size_t>(scores.size()));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    const std::size_t top = std::min<std::size_t>(10, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(),
                      [&](Eigen::Index a, Eigen::Index b) {
                        return scores(a) > scores(b) || (scores(a) == scores(b) && a < b);
                      });
    std::printf("rank  node id     score\n");
    for (std::size_t r = 0; r < top; ++r) {
      const Eigen::Index i = order[r];
      std::printf(
          "%4zu  %7lld  %.10f\n", r + 1,
          static_cast<long long>(list.ids.empty() ? i : list.ids[static_cast<std::size_t>(i)]),
          scores(i));
    }
    std::printf("%s after %d iterations, L1 change %.3e, scores sum to %.15f\n",
                pagerank.converged() ? "converged" : "NOT converged", pagerank.iterations(),
                pagerank.residual(), scores.sum());
    return pagerank.converged() ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

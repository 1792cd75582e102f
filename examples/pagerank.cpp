// PageRank of a real directed graph: read a SNAP edge list, rank the nodes, print the top 10
// with their original ids, the iterations run and the final L1 change, with a progress line.
//
//   pagerank path/to/wiki-Vote.txt [damping]
#include <cstdio>
#include <exception>
#include <numeric>
#include <osprey/osprey.hpp>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s EDGE_LIST [damping]\n", argv[0]);
    return 2;
  }
  try {
    // SNAP ids are sparse: relabel them to 0..n-1 and keep the originals in list.ids.
    const auto list = osprey::read_edge_list<double>(argv[1], {.relabel = true});
    const auto graph = osprey::Graph<double>::from_edges(list);
    std::printf("%s: %lld nodes, %lld edges, %lld dangling\n", argv[1],
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
      std::printf("%4zu  %7lld  %.10f\n", r + 1,
                  static_cast<long long>(list.ids[static_cast<std::size_t>(i)]), scores(i));
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

// PageRank over MPI ranks: each rank reads only its slice of a SNAP edge list, the ranks rank
// the nodes together (dist::PageRank: each owns a contiguous block of nodes and exchanges only
// the scores its in-edges need), and rank 0 prints the top 10 in the table of examples/pagerank,
// which prints the same ten for the same file.
//
//   mpirun -n 4 dist_pagerank path/to/edges.txt [damping]
//
// Build: link MPI::MPI_CXX (CMake: find_package(MPI)); osprey itself needs nothing more.
#include <osprey/dist/mpi.hpp>
#include <osprey/dist/pagerank.hpp>
#include <osprey/dist/partition.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

namespace {

struct Candidate {
  double score;
  std::int64_t node;
};

// The ten best nodes over all ranks: each rank offers its own ten, rank 0's merge keeps the
// single-node order (higher score first, ties by lower node number).
std::vector<Candidate> top_ten(osprey::dist::MpiCommunicator& comm,
                               const osprey::dist::PageRank<double>& pagerank) {
  const auto& scores = pagerank.local_scores();
  const auto offset = static_cast<std::int64_t>(pagerank.owned_range().offset);
  std::vector<Candidate> mine;
  for (Eigen::Index i = 0; i < scores.size(); ++i) mine.push_back({scores(i), offset + i});
  const auto better = [](const Candidate& a, const Candidate& b) {
    return a.score > b.score || (a.score == b.score && a.node < b.node);
  };
  const auto keep_ten = [&](std::vector<Candidate>& v) {
    const std::size_t top = std::min<std::size_t>(10, v.size());
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(top), v.end(), better);
    v.resize(top);
  };
  keep_ten(mine);
  std::vector<Candidate> all = comm.all_gatherv(std::span<const Candidate>(mine), nullptr);
  keep_ten(all);
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  osprey::dist::MpiEnvironment env(argc, argv);
  osprey::dist::MpiCommunicator comm;
  if (argc < 2) {
    if (comm.rank() == 0) std::fprintf(stderr, "usage: dist_pagerank edges.txt [damping]\n");
    return 2;
  }
  return osprey::dist::run_or_abort(comm, [&] {
    // SNAP ids are sparse: relabel them to 0..n-1; every rank gets the original ids in part.ids.
    const auto part = osprey::dist::read_edge_list_slice<double>(comm, argv[1], {.relabel = true});
    const bool root = comm.rank() == 0;
    osprey::dist::PageRank<double> pagerank({
        .damping = argc > 2 ? std::stod(argv[2]) : 0.85,
        .tol = 1e-10,
        .progress =
            [root](const osprey::Progress& p) {
              if (root) std::fprintf(stderr, "\riteration %zu  L1 change %.3e   ", p.done, p.value);
            },
    });
    pagerank.fit(comm, part);
    const std::vector<Candidate> top = top_ten(comm, pagerank);
    const double local_sum = pagerank.local_scores().sum();
    const double sum = osprey::dist::all_reduce_value(comm, local_sum, osprey::dist::ReduceOp::sum);
    const auto exchanged = osprey::dist::all_reduce_value(
        comm, pagerank.traffic().exchange_bytes_sent, osprey::dist::ReduceOp::sum);
    if (!root) return;
    std::fprintf(stderr, "\n");
    std::printf("%s: %lld nodes, %lld edges, %lld dangling\n", argv[1],
                static_cast<long long>(part.n_nodes), static_cast<long long>(pagerank.n_edges()),
                static_cast<long long>(pagerank.n_dangling()));
    std::printf("rank  node id     score\n");
    for (std::size_t r = 0; r < top.size(); ++r) {
      std::printf("%4zu  %7lld  %.10f\n", r + 1,
                  static_cast<long long>(part.ids[static_cast<std::size_t>(top[r].node)]),
                  top[r].score);
    }
    std::printf("%s after %d iterations, L1 change %.3e, scores sum to %.15f\n",
                pagerank.converged() ? "converged" : "NOT converged", pagerank.iterations(),
                pagerank.residual(), sum);
    std::printf("%d ranks; the ghost exchange moved %llu bytes per iteration in all\n", comm.size(),
                static_cast<unsigned long long>(exchanged));
  });
}

// libFuzzer target: the edge-list reader must either parse or throw osprey::InvalidArgument,
// and what it returns must be internally consistent and build a Graph (whose memory the reader's
// id cap and sparse-id rule bound by the input's size).
#include <cstddef>
#include <cstdint>
#include <osprey/graph/graph.hpp>
#include <osprey/io/edge_list.hpp>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (int variant = 0; variant < 3; ++variant) {
    std::istringstream in(text);
    osprey::EdgeListOptions options;
    if (variant == 1) options.relabel = true;
    if (variant == 2) options.n_nodes = 100;
    try {
      const auto edges = osprey::read_edge_list<double>(in, options, "fuzz");
      if (edges.src.size() != edges.dst.size() || edges.src.empty()) __builtin_trap();
      if (!edges.weights.empty() && edges.weights.size() != edges.src.size()) __builtin_trap();
      for (std::size_t e = 0; e < edges.src.size(); ++e) {
        if (edges.src[e] < 0 || edges.src[e] >= edges.n_nodes) __builtin_trap();
        if (edges.dst[e] < 0 || edges.dst[e] >= edges.n_nodes) __builtin_trap();
      }
      if (edges.n_nodes > 4 * static_cast<std::int64_t>(edges.n_edges()) + osprey::kSparseIdSlack &&
          variant != 2) {
        __builtin_trap();  // sparse ids got through
      }
      const auto graph = osprey::to_graph<double>(edges);
      if (graph.n_nodes() != edges.n_nodes) __builtin_trap();
    } catch (const osprey::InvalidArgument&) {
    }
  }
  return 0;
}

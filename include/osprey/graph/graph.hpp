/** \file
 *  `Graph<Scalar>`: a directed, optionally weighted graph stored for pull-style iteration
 *  (PageRank and friends). Built from an edge list or an Eigen sparse adjacency matrix.
 *
 *  What it stores, for `n` nodes and `m` distinct edges:
 *  - the in-edges compressed by destination (CSC of the adjacency): `n + 1` offsets and `m`
 *    source ids, each 32-bit when it fits: ids are 32-bit while `n < 2^32 - 1`, offsets while
 *    `m < 2^32 - 1` too; past 2^32 edges the offsets widen to 64 bits but the ids, the array
 *    that costs per edge, stay 32-bit (see `IndexLayout`); plus `m` weights only when
 *    weights were given and some differs from 1 (weighted duplicates are merged and summed;
 *    unweighted duplicates stay repeated entries, which is the same sum without a weight array);
 *  - the out-weight sum of every node (the PageRank normaliser);
 *  - the node order used inside (see `NodeOrder`) and its inverse.
 *  For 1M nodes and 16M unweighted edges that is about 100 MiB (`memory_bytes()`); weighted
 *  doubles add 8 bytes per edge. Out-edges (CSR) are not kept: nothing here needs them, and they
 *  would double the footprint.
 *
 *  Node ids are `0 .. n-1` at the boundary, with `n <= kMaxNodeId + 1` (2^40). Inside, nodes
 *  are renumbered (see `NodeOrder`): by default nodes with out-edges first and dangling nodes
 *  last, each group by decreasing in-degree, which makes the per-row loop predictable and keeps
 *  hot sources together. Every accessor and every result speaks original ids.
 *
 *  An edge list read by `read_edge_list` becomes a Graph with `to_graph` (io/edge_list.hpp).
 */
#pragma once

#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <utility>
#include <variant>
#include <vector>

#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../kernels/spmv.hpp"

OSPREY_NAMESPACE_BEGIN

/** The largest `n_nodes - 1` of a Graph, and so of an edge list read without
 *  `EdgeListOptions::relabel` (whose ids are used directly as node numbers): 2^40 - 1. A Graph
 *  needs at least 24 bytes per node, so a larger one could not be held anyway; the cap turns
 *  such an id into a clear error instead of an overflow of `max id + 1` or a failed huge
 *  allocation. Relabelled ids may be any non-negative 64-bit integer (hashed account ids). */
inline constexpr std::int64_t kMaxNodeId = (std::int64_t{1} << 40) - 1;

/** How a Graph numbers its nodes internally (results always use the caller's ids). Dangling nodes
 *  always go last, so the iteration finds them as one range. */
enum class NodeOrder {
  /** Nodes with out-edges first, then dangling nodes, each group by decreasing in-degree (ties by
   *  id). Rows of similar length follow each other, so the gather loop's trip count is
   *  predictable (measured in docs/benchmarks.md, PageRank section), and since in- and
   *  out-degree are correlated on real graphs the hot sources still share cache lines.
   *  The default. */
  by_in_degree,
  /** Nodes with out-edges in decreasing out-degree (the most-read gather entries together), then
   *  dangling nodes; ties by id. */
  by_out_degree,
  /** The caller's order, except that dangling nodes move (stably) to the end. */
  dangling_last,
};

/** Options of the Graph builders. */
struct GraphOptions {
  NodeOrder order = NodeOrder::by_in_degree;  ///< internal numbering, see NodeOrder
  bool narrow_indices = true;  ///< use 32-bit offsets/ids when they fit (false: always 64-bit)
};

/** Widths of the stored in-edge arrays (`Graph::index_layout()`). */
enum class IndexLayout {
  narrow,        ///< 32-bit offsets and 32-bit source ids: n and m below 2^32 - 1
  wide_offsets,  ///< 64-bit offsets, 32-bit source ids: n below 2^32 - 1, m not
  wide,          ///< 64-bit offsets and ids: n not below 2^32 - 1, or narrow_indices = false
};

namespace detail {

/** The layout a Graph of `n` nodes and `m` (pre-merge) edges uses: each array as narrow as its
 *  values allow. Offsets hold edge counts up to m, source ids node numbers below n. */
[[nodiscard]] constexpr IndexLayout choose_index_layout(std::int64_t n, std::int64_t m,
                                                        bool narrow_indices) noexcept {
  constexpr auto narrow_max = static_cast<std::int64_t>(std::numeric_limits<std::uint32_t>::max());
  if (!narrow_indices || n >= narrow_max) return IndexLayout::wide;
  return m < narrow_max ? IndexLayout::narrow : IndexLayout::wide_offsets;
}

/** In-edges grouped by destination: sources of node i are `sources[offsets[i] .. offsets[i+1])`,
 *  in increasing (internal) id order; `weights` is empty when every weight is 1. */
template <class OffsetT, class IndexT, class Scalar>
struct InEdges {
  using Offset = OffsetT;
  using Index = IndexT;
  std::vector<OffsetT> offsets;
  std::vector<IndexT> sources;
  std::vector<Scalar> weights;

  [[nodiscard]] kernels::CompressedRows<OffsetT, IndexT, Scalar> view() const noexcept {
    return {static_cast<std::int64_t>(offsets.size()) - 1, offsets.data(), sources.data(),
            weights.empty() ? nullptr : weights.data()};
  }
  [[nodiscard]] std::size_t bytes() const noexcept {
    return offsets.capacity() * sizeof(OffsetT) + sources.capacity() * sizeof(IndexT) +
           weights.capacity() * sizeof(Scalar);
  }
};

}  // namespace detail

template <class ScalarT>
class PageRank;

/** A directed graph with optional non-negative edge weights, stored by in-edges for pull-style
 *  iteration. Duplicate edges add up their weights (an unweighted duplicate
 *  counts 1 each), self-loops are kept: the matrix networkx builds from a MultiDiGraph.
 *
 *  \tparam ScalarT weight type (float or double); scores computed over the graph are in double
 *  internally whatever it is.
 *  Complexity: building is O(n + m) (two counting-sort passes) plus O(n log n) for the node
 *  order. Thread safety: immutable after construction; const methods may run concurrently.
 */
template <class ScalarT = double>
class Graph {
 public:
  using Scalar = ScalarT;                              ///< weight type
  using Edge = std::pair<std::int64_t, std::int64_t>;  ///< `(source, target)`

  /** Builds a graph from `(source, target)` pairs with ids in `[0, n_nodes)`.
   *  \param n_nodes number of nodes, >= 1 (nodes without edges are allowed: isolated nodes).
   *  \param edges directed edges; duplicates are summed, self-loops kept.
   *  \param weights empty (every edge weighs 1) or one finite, non-negative weight per edge.
   *  \throws InvalidArgument if n_nodes < 1, an id is out of range, the weight count differs
   *  from the edge count, or a weight is negative or not finite (the message names the edge). */
  [[nodiscard]] static Graph from_edges(std::int64_t n_nodes, const std::vector<Edge>& edges,
                                        const std::vector<Scalar>& weights = {},
                                        const GraphOptions& options = {}) {
    return build(
        n_nodes, static_cast<std::int64_t>(edges.size()),
        [&](std::int64_t e) { return edges[static_cast<std::size_t>(e)].first; },
        [&](std::int64_t e) { return edges[static_cast<std::size_t>(e)].second; },
        std::span<const Scalar>(weights), options);
  }

  /** Builds a graph from two index arrays, edge `e` going `sources[e] -> targets[e]`; otherwise
   *  as the pairs overload.
   *  \throws InvalidArgument also when `sources` and `targets` differ in length. */
  [[nodiscard]] static Graph from_edges(std::int64_t n_nodes, std::span<const std::int64_t> sources,
                                        std::span<const std::int64_t> targets,
                                        std::span<const Scalar> weights = {},
                                        const GraphOptions& options = {}) {
    detail::check_same_length(static_cast<Eigen::Index>(sources.size()),
                              static_cast<Eigen::Index>(targets.size()), "sources", "targets");
    return build(
        n_nodes, static_cast<std::int64_t>(sources.size()),
        [&](std::int64_t e) { return sources[static_cast<std::size_t>(e)]; },
        [&](std::int64_t e) { return targets[static_cast<std::size_t>(e)]; }, weights, options);
  }

  /** Builds a graph from a square sparse adjacency matrix, `A(i, j)` being the weight of the edge
   *  `i -> j`. Stored zeros are not edges.
   *  \throws InvalidArgument if A is not square, has no rows, or holds a negative or non-finite
   *  value (the message names its row and column). */
  template <int Options, class StorageIndex>
  [[nodiscard]] static Graph from_adjacency(
      const Eigen::SparseMatrix<Scalar, Options, StorageIndex>& A,
      const GraphOptions& options = {}) {
    if (A.rows() != A.cols()) {
      detail::fail("adjacency must be square (got ", A.rows(), " x ", A.cols(), ")");
    }
    std::vector<std::int64_t> src, dst;
    std::vector<Scalar> w;
    src.reserve(static_cast<std::size_t>(A.nonZeros()));
    dst.reserve(static_cast<std::size_t>(A.nonZeros()));
    w.reserve(static_cast<std::size_t>(A.nonZeros()));
    for (Eigen::Index outer = 0; outer < A.outerSize(); ++outer) {
      for (typename Eigen::SparseMatrix<Scalar, Options, StorageIndex>::InnerIterator it(A, outer);
           it; ++it) {
        const Scalar v = it.value();
        if (!(std::isfinite(static_cast<double>(v)) && v >= Scalar(0))) {
          detail::fail("adjacency has a negative or non-finite weight (", v, ") at row ", it.row(),
                       ", column ", it.col());
        }
        if (v == Scalar(0)) continue;
        src.push_back(static_cast<std::int64_t>(it.row()));
        dst.push_back(static_cast<std::int64_t>(it.col()));
        w.push_back(v);
      }
    }
    return from_edges(static_cast<std::int64_t>(A.rows()), std::span<const std::int64_t>(src),
                      std::span<const std::int64_t>(dst), std::span<const Scalar>(w), options);
  }

  /** Number of nodes. */
  [[nodiscard]] std::int64_t n_nodes() const noexcept { return n_nodes_; }
  /** Number of distinct directed edges (duplicates merged; self-loops count). */
  [[nodiscard]] std::int64_t n_edges() const noexcept { return n_edges_; }
  /** True when a weight array is stored: weights were given and some (summed) weight is not 1.
   *  Unweighted duplicates are kept as repeated entries instead, which needs no weights. */
  [[nodiscard]] bool is_weighted() const noexcept {
    return std::visit([](const auto& in) { return !in.weights.empty(); }, in_);
  }
  /** True when offsets and ids are stored in 32 bits. */
  [[nodiscard]] bool has_narrow_indices() const noexcept { return in_.index() == 0; }
  /** Widths of the stored offsets and source ids. */
  [[nodiscard]] IndexLayout index_layout() const noexcept {
    return static_cast<IndexLayout>(in_.index());
  }
  /** Number of dangling nodes: no out-edge of positive weight. */
  [[nodiscard]] std::int64_t n_dangling() const noexcept { return n_nodes_ - n_active_; }
  /** The dangling nodes (no out-edge of positive weight), in increasing id order. */
  [[nodiscard]] std::vector<std::int64_t> dangling_nodes() const {
    std::vector<std::int64_t> out(old_of_new_.begin() + n_active_, old_of_new_.end());
    std::sort(out.begin(), out.end());
    return out;
  }
  /** Sum of the weights of the out-edges of `node` (its out-degree when unweighted).
   *  \throws InvalidArgument if node is out of range. */
  [[nodiscard]] double out_weight(std::int64_t node) const {
    check_node(node);
    const auto i = static_cast<std::size_t>(new_of_old_[static_cast<std::size_t>(node)]);
    return static_cast<std::int64_t>(i) < n_active_ ? scale_[i] : 0.0;
  }
  /** Number of distinct in-edges of `node`. \throws InvalidArgument if out of range. */
  [[nodiscard]] std::int64_t in_degree(std::int64_t node) const {
    check_node(node);
    const auto i = static_cast<std::size_t>(new_of_old_[static_cast<std::size_t>(node)]);
    return std::visit(
        [i](const auto& in) {
          std::int64_t distinct = 0;
          const auto begin = static_cast<std::size_t>(in.offsets[i]);
          const auto end = static_cast<std::size_t>(in.offsets[i + 1]);
          for (std::size_t k = begin; k < end; ++k) {
            distinct += (k == begin || in.sources[k] != in.sources[k - 1]) ? 1 : 0;
          }
          return distinct;
        },
        in_);
  }
  /** Bytes held by the graph's arrays. */
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    return std::visit([](const auto& in) { return in.bytes(); }, in_) +
           scale_.capacity() * sizeof(double) +
           (old_of_new_.capacity() + new_of_old_.capacity()) * sizeof(std::int64_t);
  }

 private:
  template <class>
  friend class PageRank;
  friend struct detail::Serial;

  Graph() = default;

  void check_node(std::int64_t node) const {
    if (node < 0 || node >= n_nodes_) {
      detail::fail("node ", node, " is out of range for a graph of ", n_nodes_, " nodes");
    }
  }

  /** Out-weight sums and degrees of every node, from one pass over the edges. */
  struct DegreeCounts {
    std::vector<double> out_weight;
    std::vector<std::int64_t> out_degree;
    std::vector<std::int64_t> in_degree;
  };

  template <class SrcAt, class DstAt>
  static Graph build(std::int64_t n, std::int64_t m, SrcAt src_at, DstAt dst_at,
                     std::span<const Scalar> weights, const GraphOptions& options) {
    check_sizes(n, m, weights);
    const DegreeCounts degrees = count_degrees(n, m, src_at, dst_at, weights);
    Graph g;
    g.n_nodes_ = n;
    g.number_nodes(degrees, options);
    g.store_in_edges(n, m, src_at, dst_at, weights, options);
    g.normalise_by_stored_weights();
    return g;
  }

  /** Checks the node count (1 .. kMaxNodeId + 1) and that weights, when given, match the edges. */
  static void check_sizes(std::int64_t n, std::int64_t m, std::span<const Scalar> weights) {
    if (n < 1) {
      detail::fail("a graph needs at least one node (got n_nodes = ", n, ")");
    }
    if (n > kMaxNodeId + 1) {
      detail::fail("n_nodes = ", n, " is above ", kMaxNodeId + 1,
                   " (2^40), the most nodes a Graph holds; number sparse ids 0..n-1 first "
                   "(read_edge_list with EdgeListOptions::relabel = true)");
    }
    if (!weights.empty() && static_cast<std::int64_t>(weights.size()) != m) {
      detail::fail("weights has ", weights.size(), " entries but there are ", m, " edges");
    }
  }

  /** Checks every edge's ids and weight and sums the out-weights and degrees of each node. */
  template <class SrcAt, class DstAt>
  static DegreeCounts count_degrees(std::int64_t n, std::int64_t m, SrcAt src_at, DstAt dst_at,
                                    std::span<const Scalar> weights) {
    const auto nz = static_cast<std::size_t>(n);
    DegreeCounts d{std::vector<double>(nz, 0.0), std::vector<std::int64_t>(nz, 0),
                   std::vector<std::int64_t>(nz, 0)};
    for (std::int64_t e = 0; e < m; ++e) {
      const std::int64_t s = src_at(e);
      const std::int64_t t = dst_at(e);
      if (s < 0 || s >= n || t < 0 || t >= n) {
        detail::fail("edge ", e, " (", s, " -> ", t,
                     ") has a node id out of range for n_nodes = ", n);
      }
      double w = 1.0;
      if (!weights.empty()) {
        w = static_cast<double>(weights[static_cast<std::size_t>(e)]);
        if (!(std::isfinite(w) && w >= 0.0)) {
          detail::fail("weights[", e, "] must be finite and >= 0 (got ", w, ")");
        }
      }
      d.out_weight[static_cast<std::size_t>(s)] += w;
      ++d.out_degree[static_cast<std::size_t>(s)];
      ++d.in_degree[static_cast<std::size_t>(t)];
    }
    return d;
  }

  /** Sets the internal numbering (nodes with out-weight first, each group ordered by `options`)
   *  and the out-weight of each internal id (1 for dangling nodes). */
  void number_nodes(const DegreeCounts& degrees, const GraphOptions& options) {
    const auto nz = static_cast<std::size_t>(n_nodes_);
    const std::vector<double>& out_weight = degrees.out_weight;
    old_of_new_.resize(nz);
    std::iota(old_of_new_.begin(), old_of_new_.end(), std::int64_t{0});
    const auto active = [&](std::int64_t v) { return out_weight[static_cast<std::size_t>(v)] > 0; };
    const auto split = std::stable_partition(old_of_new_.begin(), old_of_new_.end(), active);
    n_active_ = split - old_of_new_.begin();
    if (options.order != NodeOrder::dangling_last) {
      const auto& key =
          options.order == NodeOrder::by_in_degree ? degrees.in_degree : degrees.out_degree;
      const auto decreasing = [&key](std::int64_t a, std::int64_t b) {
        return key[static_cast<std::size_t>(a)] > key[static_cast<std::size_t>(b)];
      };
      std::stable_sort(old_of_new_.begin(), split, decreasing);
      std::stable_sort(split, old_of_new_.end(), decreasing);
    }
    new_of_old_.resize(nz);
    scale_.resize(nz);
    for (std::size_t i = 0; i < nz; ++i) {
      const auto old = static_cast<std::size_t>(old_of_new_[i]);
      new_of_old_[old] = static_cast<std::int64_t>(i);
      const double w = static_cast<std::int64_t>(i) < n_active_ ? out_weight[old] : 1.0;
      scale_[i] = w;
    }
  }

  /** Compresses the in-edges into the narrowest layout that holds them. */
  template <class SrcAt, class DstAt>
  void store_in_edges(std::int64_t n, std::int64_t m, SrcAt src_at, DstAt dst_at,
                      std::span<const Scalar> weights, const GraphOptions& options) {
    switch (detail::choose_index_layout(n, m, options.narrow_indices)) {
      case IndexLayout::narrow:
        in_ = compress<std::uint32_t, std::uint32_t>(n, m, src_at, dst_at, weights);
        break;
      case IndexLayout::wide_offsets:
        in_ = compress<std::uint64_t, std::uint32_t>(n, m, src_at, dst_at, weights);
        break;
      case IndexLayout::wide:
        in_ = compress<std::uint64_t, std::uint64_t>(n, m, src_at, dst_at, weights);
        break;
    }
  }

  /** Normalise by the weights as stored (after rounding to Scalar), so every column of the
   *  transition matrix sums to 1 in the precision the iteration sees. */
  void normalise_by_stored_weights() {
    const auto nz = static_cast<std::size_t>(n_nodes_);
    std::visit(
        [&](const auto& in) {
          if (in.weights.empty()) return;
          std::vector<double> sum(nz, 0.0);
          for (std::size_t k = 0; k < in.sources.size(); ++k) {
            sum[static_cast<std::size_t>(in.sources[k])] += static_cast<double>(in.weights[k]);
          }
          for (std::size_t i = 0; i < static_cast<std::size_t>(n_active_); ++i) {
            scale_[i] = sum[i];
          }
        },
        in_);
  }

  /** Groups edges by internal target with sources ascending (counting sort by source, then a
   *  stable counting sort by target), then merges duplicates. */
  template <class O, class I, class SrcAt, class DstAt>
  detail::InEdges<O, I, Scalar> compress(std::int64_t n, std::int64_t m, SrcAt src_at, DstAt dst_at,
                                         std::span<const Scalar> weights) {
    const auto nz = static_cast<std::size_t>(n);
    const auto mz = static_cast<std::size_t>(m);
    const bool has_w = !weights.empty();
    const auto new_id = [&](std::int64_t old) {
      return static_cast<I>(new_of_old_[static_cast<std::size_t>(old)]);
    };
    // Pass 1: order edges by source.
    std::vector<O> by_src_start(nz + 1, 0);
    for (std::int64_t e = 0; e < m; ++e)
      ++by_src_start[static_cast<std::size_t>(new_id(src_at(e))) + 1];
    std::partial_sum(by_src_start.begin(), by_src_start.end(), by_src_start.begin());
    std::vector<I> s1(mz), t1(mz);
    std::vector<Scalar> w1(has_w ? mz : 0);
    for (std::int64_t e = 0; e < m; ++e) {
      const I s = new_id(src_at(e));
      const auto at = static_cast<std::size_t>(by_src_start[s]++);
      s1[at] = s;
      t1[at] = new_id(dst_at(e));
      if (has_w) w1[at] = weights[static_cast<std::size_t>(e)];
    }
    by_src_start = {};
    // Pass 2: stable by target.
    detail::InEdges<O, I, Scalar> in;
    in.offsets.assign(nz + 1, 0);
    for (std::size_t k = 0; k < mz; ++k) ++in.offsets[static_cast<std::size_t>(t1[k]) + 1];
    std::partial_sum(in.offsets.begin(), in.offsets.end(), in.offsets.begin());
    std::vector<O> fill(in.offsets.begin(), in.offsets.end() - 1);
    in.sources.resize(mz);
    std::vector<double> w2(has_w ? mz : 0);
    for (std::size_t k = 0; k < mz; ++k) {
      const auto at = static_cast<std::size_t>(fill[static_cast<std::size_t>(t1[k])]++);
      in.sources[at] = s1[k];
      if (has_w) w2[at] = static_cast<double>(w1[k]);
    }
    fill = {};
    s1 = {};
    t1 = {};
    w1 = {};
    if (!has_w) {
      // Unweighted: a duplicate stays a repeated entry (the gather then counts it twice, which is
      // its summed weight) so no weight array is needed; n_edges counts distinct pairs.
      std::int64_t distinct = 0;
      for (std::size_t i = 0; i < nz; ++i) {
        const auto begin = static_cast<std::size_t>(in.offsets[i]);
        const auto end = static_cast<std::size_t>(in.offsets[i + 1]);
        for (std::size_t k = begin; k < end; ++k) {
          distinct += (k == begin || in.sources[k] != in.sources[k - 1]) ? 1 : 0;
        }
      }
      n_edges_ = distinct;
      return in;
    }
    // Weighted: merge duplicates in place, summing their weights.
    std::size_t write = 0;
    bool all_ones = true;
    for (std::size_t i = 0; i < nz; ++i) {
      const auto begin = static_cast<std::size_t>(in.offsets[i]);
      const auto end = static_cast<std::size_t>(in.offsets[i + 1]);
      in.offsets[i] = static_cast<O>(write);
      for (std::size_t k = begin; k < end; ++k) {
        if (k > begin && in.sources[k] == in.sources[write - 1]) {
          w2[write - 1] += w2[k];
        } else {
          in.sources[write] = in.sources[k];
          w2[write] = w2[k];
          ++write;
        }
      }
    }
    in.offsets[nz] = static_cast<O>(write);
    in.sources.resize(write);
    in.sources.shrink_to_fit();
    for (std::size_t k = 0; k < write; ++k) all_ones = all_ones && w2[k] == 1.0;
    if (!all_ones) {
      in.weights.resize(write);
      for (std::size_t k = 0; k < write; ++k) in.weights[k] = static_cast<Scalar>(w2[k]);
    }
    n_edges_ = static_cast<std::int64_t>(write);
    return in;
  }

  std::int64_t n_nodes_ = 0;
  std::int64_t n_edges_ = 0;
  std::int64_t n_active_ = 0;  ///< nodes with out-weight > 0; internal ids [0, n_active_)
  /** Alternatives in the order of IndexLayout. */
  std::variant<detail::InEdges<std::uint32_t, std::uint32_t, Scalar>,
               detail::InEdges<std::uint64_t, std::uint32_t, Scalar>,
               detail::InEdges<std::uint64_t, std::uint64_t, Scalar>>
      in_;
  std::vector<double> scale_;  ///< out-weight sum per internal id (1 for dangling nodes)
  std::vector<std::int64_t> old_of_new_;
  std::vector<std::int64_t> new_of_old_;
};

OSPREY_NAMESPACE_END

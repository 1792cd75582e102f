/** \file
 *  The distributed graph of `dist::PageRank` (internal): sending edges to their targets' owners,
 *  merging duplicates as osprey::Graph does, numbering owned and ghost columns, the ghost
 *  exchange pattern and the out-weights (dist/pagerank.hpp describes the algorithm).
 */
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "../../config.hpp"
#include "../communicator.hpp"
#include "../partition.hpp"

OSPREY_NAMESPACE_BEGIN
namespace dist {
namespace detail {

/** The rank owning node v of n in a contiguous partition over p ranks. */
[[nodiscard]] inline int block_owner(std::uint64_t v, std::uint64_t n, int p) {
  const auto pu = static_cast<std::uint64_t>(p);
  auto r =
      static_cast<int>(std::min<std::uint64_t>(pu - 1, v / std::max<std::uint64_t>(1, n / pu)));
  while (r > 0 && contiguous_block(n, r, p).offset > v) --r;
  while (r + 1 < p && contiguous_block(n, r + 1, p).offset <= v) ++r;
  return r;
}

/** An edge in transit to its target's owner. */
struct PageRankEdge {
  std::int64_t src = 0, dst = 0;
  double weight = 1.0;
};

/** Out-weight contributions to one source: raw weights summed, and the weights as stored. */
struct OutWeight {
  double raw = 0.0, stored = 0.0;
};

/** The owned rows of the Google matrix and the exchange pattern (what fit builds once). */
struct PageRankLocal {
  RowRange owned;                         ///< nodes [offset, offset + local)
  std::vector<std::uint64_t> offsets;     ///< in-edges of owned node i: [offsets[i], offsets[i+1])
  std::vector<std::uint32_t> columns;     ///< source: < local = owned, else local + ghost index
  std::vector<double> coefs;              ///< merged weight per entry; empty = all 1
  std::vector<std::int64_t> ghosts;       ///< global ids of the ghost columns, increasing
  std::vector<std::size_t> ghost_counts;  ///< ghosts owned by each rank
  std::vector<std::uint32_t> send_index;  ///< owned node of each score sent, by destination
  std::vector<std::size_t> send_counts;   ///< scores sent to each rank
  std::vector<double> scale;              ///< out-weight of each owned node (1 when dangling)
  std::vector<char> dangling;             ///< owned node has no out-edge of positive weight
  std::int64_t n_edges = 0, n_dangling = 0;  ///< global: distinct edges, dangling nodes
};

/** Parameters and input facts every rank must agree on (one all_gather). */
struct PageRankAgreement {
  double damping = 0.0, tol = 0.0;
  std::int64_t n_nodes = 0;
  std::int32_t max_iter = 0, dangling = 0, personalized = 0, throws = 0;
  std::int32_t edge_kind = 0;  ///< 0 no edges, 1 unweighted, 2 weighted
  std::int32_t cancelled = 0;
};

/** Sorts the received edges by (target, source), keeping arrival order among duplicates (a
 *  counting sort by target over the owned block [offset, offset + L), then each row by source),
 *  and merges duplicates when `merge`: `weight` becomes their summed weight, in arrival order
 *  (as osprey::Graph sums them). Unweighted duplicates stay repeated entries, each of weight 1,
 *  which is the same row sum without a weight array (osprey::Graph does the same).
 *  \returns the number of distinct (source, target) pairs. */
inline std::int64_t sort_and_merge(std::vector<PageRankEdge>& edges, std::uint64_t offset,
                                   std::uint64_t L, bool merge) {
  std::vector<std::size_t> start(static_cast<std::size_t>(L) + 1, 0);
  for (const PageRankEdge& e : edges) {
    ++start[static_cast<std::size_t>(static_cast<std::uint64_t>(e.dst) - offset) + 1];
  }
  for (std::size_t i = 0; i < L; ++i) start[i + 1] += start[i];
  std::vector<PageRankEdge> sorted(edges.size());
  std::vector<std::size_t> fill(start.begin(), start.end() - 1);
  for (const PageRankEdge& e : edges) {
    sorted[fill[static_cast<std::size_t>(static_cast<std::uint64_t>(e.dst) - offset)]++] = e;
  }
  const auto by_source = [](const PageRankEdge& x, const PageRankEdge& y) { return x.src < y.src; };
  std::int64_t distinct = 0;
  std::size_t write = 0;
  for (std::size_t i = 0; i < L; ++i) {
    const auto first = sorted.begin() + static_cast<std::ptrdiff_t>(start[i]);
    const auto last = sorted.begin() + static_cast<std::ptrdiff_t>(start[i + 1]);
    if (last - first <= 32) {  // short rows: insertion sort, stable and allocation-free
      for (auto it = first; it != last; ++it) {
        const PageRankEdge e = *it;
        auto at = it;
        for (; at != first && e.src < (at - 1)->src; --at) *at = *(at - 1);
        *at = e;
      }
    } else {
      std::stable_sort(first, last, by_source);
    }
    for (std::size_t k = start[i]; k < start[i + 1]; ++k) {
      const bool repeat = k > start[i] && sorted[k].src == sorted[k - 1].src;
      distinct += repeat ? 0 : 1;
      if (merge && repeat) {
        sorted[write - 1].weight += sorted[k].weight;
      } else {
        sorted[write++] = sorted[k];
      }
    }
  }
  sorted.resize(write);
  edges = std::move(sorted);
  return distinct;
}

/** Sends every edge to the owner of its target (one all_to_allv). */
template <class Scalar, Communicator C>
std::vector<PageRankEdge> edges_to_owners(C& comm, std::int64_t n,
                                          std::span<const std::int64_t> src,
                                          std::span<const std::int64_t> dst,
                                          std::span<const Scalar> weights) {
  const auto p = static_cast<std::size_t>(comm.size());
  const auto nu = static_cast<std::uint64_t>(n);
  std::vector<std::size_t> counts(p, 0), fill(p, 0);
  std::vector<int> owner(src.size());
  for (std::size_t e = 0; e < src.size(); ++e) {
    owner[e] = block_owner(static_cast<std::uint64_t>(dst[e]), nu, comm.size());
    ++counts[static_cast<std::size_t>(owner[e])];
  }
  for (std::size_t r = 1; r < p; ++r) fill[r] = fill[r - 1] + counts[r - 1];
  std::vector<PageRankEdge> out(src.size());
  for (std::size_t e = 0; e < src.size(); ++e) {
    const double w = weights.empty() ? 1.0 : static_cast<double>(weights[e]);
    out[fill[static_cast<std::size_t>(owner[e])]++] = PageRankEdge{src[e], dst[e], w};
  }
  return comm.all_to_allv(std::span<const PageRankEdge>(out), std::span<const std::size_t>(counts),
                          nullptr);
}

/** Numbers the sources of the owned in-edges as columns (owned nodes first, then ghosts) and
 *  fills offsets, columns, ghosts and ghost_counts. */
template <Communicator C>
void number_columns(C& comm, const std::vector<PageRankEdge>& edges, PageRankLocal& g) {
  const std::uint64_t L = g.owned.local;
  const auto is_owned = [&](std::int64_t v) {
    const auto u = static_cast<std::uint64_t>(v);
    return u >= g.owned.offset && u < g.owned.offset + L;
  };
  for (const PageRankEdge& e : edges) {
    if (!is_owned(e.src)) g.ghosts.push_back(e.src);
  }
  std::sort(g.ghosts.begin(), g.ghosts.end());
  g.ghosts.erase(std::unique(g.ghosts.begin(), g.ghosts.end()), g.ghosts.end());
  require_all(comm, L + g.ghosts.size() < std::numeric_limits<std::uint32_t>::max(),
              "dist::PageRank: a rank's owned nodes and ghosts must be fewer than 2^32 - 1 "
              "(use more ranks)");
  g.offsets.assign(static_cast<std::size_t>(L) + 1, 0);
  g.columns.resize(edges.size());
  for (std::size_t k = 0; k < edges.size(); ++k) {
    const PageRankEdge& e = edges[k];
    ++g.offsets[static_cast<std::size_t>(static_cast<std::uint64_t>(e.dst) - g.owned.offset) + 1];
    const std::uint64_t col =
        is_owned(e.src)
            ? static_cast<std::uint64_t>(e.src) - g.owned.offset
            : L + static_cast<std::uint64_t>(
                      std::lower_bound(g.ghosts.begin(), g.ghosts.end(), e.src) - g.ghosts.begin());
    g.columns[k] = static_cast<std::uint32_t>(col);
  }
  for (std::size_t i = 0; i < L; ++i) g.offsets[i + 1] += g.offsets[i];
  g.ghost_counts.assign(static_cast<std::size_t>(comm.size()), 0);
  for (const std::int64_t v : g.ghosts) {
    ++g.ghost_counts[static_cast<std::size_t>(
        block_owner(static_cast<std::uint64_t>(v), g.owned.total, comm.size()))];
  }
}

/** Builds the owned rows, the exchange pattern and the out-weights from the merged edges.
 *  `weighted`: weights were given; then coefficients are the merged weights rounded to Scalar,
 *  unless every merged weight is 1 on every rank (osprey::Graph then stores no weights and
 *  normalises by the raw out-weights). */
template <class Scalar, Communicator C>
PageRankLocal build_local(C& comm, std::vector<PageRankEdge>& edges, std::int64_t n,
                          bool weighted) {
  PageRankLocal g;
  g.owned = contiguous_block(static_cast<std::uint64_t>(n), comm.rank(), comm.size());
  const std::int64_t distinct = sort_and_merge(edges, g.owned.offset, g.owned.local, weighted);
  number_columns(comm, edges, g);
  std::int32_t ones = 1;
  for (const PageRankEdge& e : edges) ones = ones != 0 && e.weight == 1.0 ? 1 : 0;
  const bool stored_weights = weighted && all_reduce_value(comm, ones, ReduceOp::min) == 0;
  const auto L = static_cast<std::size_t>(g.owned.local);
  std::vector<OutWeight> out(L + g.ghosts.size());
  g.coefs.resize(edges.size());
  bool unit = true;
  for (std::size_t k = 0; k < edges.size(); ++k) {
    const double w = edges[k].weight;
    const double c = stored_weights ? static_cast<double>(static_cast<Scalar>(w)) : w;
    g.coefs[k] = weighted && !stored_weights ? 1.0 : c;
    unit = unit && g.coefs[k] == 1.0;
    out[g.columns[k]].raw += w;
    out[g.columns[k]].stored += c;
  }
  if (unit) g.coefs = {};
  // The exchange pattern: each owner learns which of its nodes this rank needs, in ghost order.
  std::vector<std::int64_t> wanted =
      comm.all_to_allv(std::span<const std::int64_t>(g.ghosts),
                       std::span<const std::size_t>(g.ghost_counts), &g.send_counts);
  g.send_index.resize(wanted.size());
  for (std::size_t k = 0; k < wanted.size(); ++k) {
    g.send_index[k] =
        static_cast<std::uint32_t>(static_cast<std::uint64_t>(wanted[k]) - g.owned.offset);
  }
  // The out-weights the ghosts' owners need, in the same order.
  const std::vector<OutWeight> got =
      comm.all_to_allv(std::span<const OutWeight>(out.data() + L, g.ghosts.size()),
                       std::span<const std::size_t>(g.ghost_counts), nullptr);
  for (std::size_t k = 0; k < got.size(); ++k) {
    out[g.send_index[k]].raw += got[k].raw;
    out[g.send_index[k]].stored += got[k].stored;
  }
  g.scale.resize(L);
  g.dangling.resize(L);
  std::int64_t counts[2] = {distinct, 0};
  for (std::size_t i = 0; i < L; ++i) {
    const bool active = out[i].raw > 0;
    g.dangling[i] = active ? 0 : 1;
    g.scale[i] = !active ? 1.0 : (stored_weights ? out[i].stored : out[i].raw);
    counts[1] += active ? 0 : 1;
  }
  comm.all_reduce(std::span<std::int64_t>(counts, 2), ReduceOp::sum);
  g.n_edges = counts[0];
  g.n_dangling = counts[1];
  return g;
}

/** Copies the owned scores other ranks need into their ghost slots of `x` (one all_to_allv). */
template <Communicator C>
void exchange_ghosts(C& comm, const PageRankLocal& g, std::vector<double>& x,
                     std::vector<double>& send) {
  for (std::size_t k = 0; k < g.send_index.size(); ++k) send[k] = x[g.send_index[k]];
  const std::vector<double> got = comm.all_to_allv(
      std::span<const double>(send), std::span<const std::size_t>(g.send_counts), nullptr);
  std::copy(got.begin(), got.end(), x.begin() + static_cast<std::ptrdiff_t>(g.owned.local));
}

/** Sum over the ranks of each of `values`, added in rank order (identical on every rank). */
template <Communicator C, std::size_t K>
std::array<double, K> sum_in_rank_order(C& comm, const std::array<double, K>& values) {
  const std::vector<double> all = comm.all_gather(std::span<const double>(values));
  std::array<double, K> out{};
  for (std::size_t r = 0; r < all.size() / K; ++r) {
    for (std::size_t k = 0; k < K; ++k) out[k] += all[r * K + k];
  }
  return out;
}

}  // namespace detail

}  // namespace dist
OSPREY_NAMESPACE_END

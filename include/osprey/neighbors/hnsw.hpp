/** \file
 *  Approximate k-nearest-neighbour search: `HnswIndex<Scalar, Metric>`, a hierarchical
 *  navigable small world graph (Malkov & Yashunin, "Efficient and robust approximate nearest
 *  neighbor search using Hierarchical Navigable Small World graphs", IEEE TPAMI 42(4), 2020;
 *  arXiv 1603.09320). Rows are samples, columns features.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/parallel.hpp"
#include "../core/random.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "detail/hnsw_graph.hpp"
#include "metrics.hpp"
#include "nearest_neighbors.hpp"

OSPREY_NAMESPACE_BEGIN

/** Parameters of `HnswIndex`, written with designated initialisers:
 *  `osprey::HnswIndex<> index({.M = 32, .ef_search = 128, .random_state = 7});`. */
struct HnswParams {
  int M = 16;                 ///< links per node on layers >= 1 (2 M on layer 0); in [2, 2048]
  int ef_construction = 200;  ///< result-list size of the searches that insert a node (>= 1)
  int ef_search = 64;         ///< result-list size of kneighbors (>= 1; raised to k if smaller)
  std::uint64_t random_state = 0;  ///< seed of the level draws
  int n_threads = 0;  ///< threads of add, remove's repair and kneighbors (0 = max_threads())
};

namespace detail {

/** The supported metrics: those whose search runs on the squared L2 distance (of the rows, or of
 *  the unit rows for Cosine). */
template <class M>
inline constexpr bool hnsw_metric =
    std::is_same_v<M, Euclidean> || std::is_same_v<M, SquaredEuclidean> ||
    std::is_same_v<M, Cosine>;

}  // namespace detail

/** Approximate k-nearest-neighbour index: a hierarchical navigable small world graph
 *  (Malkov & Yashunin 2018).
 *
 *  \code
 *  osprey::HnswIndex<float> index({.M = 16, .ef_construction = 200, .random_state = 7});
 *  index.add(X);                              // ids 0 .. X.rows() - 1
 *  index.add(more);                           // ids continue
 *  auto result = index.kneighbors(Q, 10);     // ef = max(params().ef_search, 10)
 *  auto sweep = index.kneighbors(Q, 10, 200); // an explicit ef
 *  index.remove(std::vector<int>{3, 17});     // never returned again
 *  \endcode
 *
 *  Build (Algorithm 1 of the paper): node i gets the level floor(-ln(U) mL), mL = 1 / ln(M),
 *  U uniform in (0, 1] from `Rng(random_state).split(i)` (so a node's level depends on its id
 *  only); it is linked on each of its layers to at most M neighbours chosen by the paper's
 *  heuristic (Algorithm 4, without extending candidates or keeping pruned connections) among
 *  the ef_construction nearest found, and they to it; a full list (M, or M0 = 2 M on layer 0)
 *  is shrunk by the same heuristic. The search on a layer is seeded with the whole result list
 *  of the layer above.
 *
 *  Search: greedy descent from the entry point to layer 1, then a layer-0 search with a result
 *  list of ef = max(ef, k); the k best are returned with their exact `Metric::distance`
 *  (recomputed, as NearestNeighbors computes them), sorted by distance, ties by lower id. All
 *  searching uses the squared L2 distance on rows padded to 64 bytes with an AVX-512 or AVX
 *  kernel (scalar without them); Cosine normalises every row at add and every query first.
 *
 *  Determinism: with n_threads = 1 the graph is a function of the seed and the rows added, in
 *  order: adding A then B builds exactly the graph of adding A and B stacked in one call. With
 *  more threads nodes are inserted concurrently under per-node locks (the paper's parallel
 *  build) and the graph depends on scheduling. Queries, removals and the repair give the same
 *  results on any thread count for a given graph. Results depend on the SIMD kernel, i.e. on
 *  the target the program was compiled for.
 *
 *  Removal: remove(ids) marks tombstones: they are never returned but still navigated. Once
 *  the tombstones exceed a quarter of the linked nodes (or on repair()), every live node that
 *  links to one gets a new list chosen by the heuristic among its live neighbours and the live
 *  neighbours of its removed ones; removed nodes are then unlinked. Ids are never reused and a
 *  removed row's storage is kept.
 *
 *  Thread safety: const methods may run concurrently (each call has its own scratch); add,
 *  remove and repair need exclusive access.
 *
 *  Complexity: add ~O(n log n ef_construction M d) in all; a query ~O(log n ef M d);
 *  memory n (d + 2 M + 2) values plus ~M / (M - 1) upper-layer lists.
 *
 *  \tparam ScalarT float or double.
 *  \tparam Metric Euclidean, SquaredEuclidean or Cosine.
 */
template <class ScalarT = float, class Metric = Euclidean>
class HnswIndex {
  static_assert(std::is_floating_point_v<ScalarT>, "ScalarT must be float or double");
  static_assert(detail::hnsw_metric<Metric>,
                "HnswIndex supports the Euclidean, SquaredEuclidean and Cosine metrics");

 public:
  using Scalar = ScalarT;     ///< element type of stored rows and distances
  using MetricType = Metric;  ///< the distance policy
  using Params = HnswParams;  ///< the parameters (namespace-level aggregate)

  HnswIndex() = default;
  /** \throws InvalidArgument for M outside [2, 2048], ef_construction < 1, ef_search < 1 or
   *  n_threads < 0. */
  explicit HnswIndex(const Params& params) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters (validated); the index becomes empty. */
  HnswIndex& set_params(const Params& params) {
    params_ = validated(params);
    graph_.reset();
    return *this;
  }
  /** Sets params().ef_search, keeping the index. \throws InvalidArgument if ef < 1. */
  HnswIndex& set_ef_search(int ef) {
    detail::check_param(ef >= 1, "ef_search", ef, ">= 1");
    params_.ef_search = ef;
    return *this;
  }
  /** Sets params().n_threads from `execution`, keeping the index (HnswIndex has no
   *  cancellation or progress reports). \throws InvalidArgument if n_threads < 0. */
  HnswIndex& set_execution(const Execution& execution) {
    detail::check_param(execution.n_threads >= 0, "n_threads", execution.n_threads,
                        ">= 0 (0 = all cores)");
    params_.n_threads = execution.n_threads;
    return *this;
  }

  /** Adds the rows of X with ids size_ids() .. size_ids() + X.rows() - 1.
   *  \throws InvalidArgument if X is empty, has a non-finite value (naming row and column), a
   *  different number of features than earlier adds, a zero row under Cosine, or the ids would
   *  pass 2^31 - 1. The index is unchanged on a throw. */
  template <class Derived>
  HnswIndex& add(const Eigen::MatrixBase<Derived>& X) {
    detail::check_matrix_as<Scalar>(X, "X");
    if (graph_) detail::check_n_features("HnswIndex", n_features_in(), X.cols());
    detail::check_distance_range<Metric, Scalar>(X, X.cols(), "HnswIndex::add", "X");
    const std::size_t n0 = graph_ ? graph_->n() : 0;
    if (static_cast<double>(n0) + static_cast<double>(X.rows()) >
        static_cast<double>(std::numeric_limits<int>::max())) {
      detail::fail("HnswIndex::add: ", n0, " + ", X.rows(),
                   " rows pass the 2^31 - 1 ids an index holds");
    }
    RowMatrix<Scalar> Xs = X.template cast<Scalar>();
    if constexpr (detail::normalizes_rows<Metric>) {
      detail::normalize_rows(Xs, "HnswIndex::add", "X");
    }
    if (!graph_) {
      detail::HnswGraph<Scalar> g;
      g.M = params_.M;
      g.M0 = 2 * params_.M;
      g.d = static_cast<std::size_t>(Xs.cols());
      constexpr std::size_t lane = detail::hnsw_lane<Scalar>;
      g.stride = (g.d + lane - 1) / lane * lane;
      graph_ = std::move(g);
    }
    auto& g = *graph_;
    const auto m = static_cast<std::size_t>(Xs.rows());
    std::vector<std::uint8_t> new_levels(m);
    const double ml = 1.0 / std::log(static_cast<double>(params_.M));
    const Rng rng(params_.random_state);
    for (std::size_t i = 0; i < m; ++i) {
      Rng r = rng.split(n0 + i);
      const double u = 1.0 - r.uniform();  // in (0, 1]
      new_levels[i] = static_cast<std::uint8_t>(std::min(200.0, std::floor(-std::log(u) * ml)));
    }
    g.grow(new_levels);
    for (std::size_t i = 0; i < m; ++i) {
      std::copy_n(Xs.row(static_cast<Eigen::Index>(i)).data(), g.d,
                  g.data.data() + (n0 + i) * g.stride);
    }
    insert_range(g, n0, n0 + m);
    g.n_live += m;
    return *this;
  }

  /** Removes the given ids: never returned again (see the class comment for the repair).
   *  \throws InvalidArgument (the index unchanged) for an id that was never added or is
   *  already removed (or listed twice); NotFittedError before the first add. */
  HnswIndex& remove(std::span<const int> ids) {
    auto& g = mutable_graph();
    std::vector<int> sorted(ids.begin(), ids.end());
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t t = 0; t < sorted.size(); ++t) {
      const int id = sorted[t];
      if (id < 0 || static_cast<std::size_t>(id) >= g.n()) {
        detail::fail("HnswIndex::remove: id ", id, " is not in the index (ids are 0 .. ", g.n() - 1,
                     ")");
      }
      if (g.state[static_cast<std::size_t>(id)] != detail::hnsw_live ||
          (t > 0 && sorted[t - 1] == id)) {
        detail::fail("HnswIndex::remove: id ", id, " is already removed");
      }
    }
    for (const int id : sorted) g.state[static_cast<std::size_t>(id)] = detail::hnsw_tombstone;
    g.n_live -= sorted.size();
    g.n_tombstones += sorted.size();
    if (4 * g.n_tombstones > g.n_live + g.n_tombstones) repair();
    return *this;
  }
  /** remove() of the ids in an Eigen vector. */
  HnswIndex& remove(const Eigen::VectorXi& ids) {
    return remove(std::span<const int>(ids.data(), static_cast<std::size_t>(ids.size())));
  }

  /** Unlinks every removed node now, reconnecting the live nodes that linked to them (also done
   *  by remove once removed nodes exceed a quarter of the linked ones). Results do not depend on
   *  n_threads. \throws NotFittedError before the first add. */
  HnswIndex& repair() {
    detail::hnsw_repair(mutable_graph(), params_.n_threads);
    return *this;
  }

  /** The k approximate nearest live rows of every row of Q, with ef = max(params().ef_search,
   *  k). \throws NotFittedError before the first add; InvalidArgument if k < 1, k > size(), Q
   *  is empty, has a non-finite value, a different number of features, or a zero row under
   *  Cosine. */
  template <class Derived>
  [[nodiscard]] Neighbors<Scalar> kneighbors(const Eigen::MatrixBase<Derived>& Q, int k) const {
    return kneighbors(Q, k, params_.ef_search);
  }

  /** As kneighbors(Q, k) with an explicit result-list size: ef = max(ef, k) (for recall/speed
   *  sweeps). \throws as kneighbors(Q, k), and InvalidArgument if ef < 1. */
  template <class Derived>
  [[nodiscard]] Neighbors<Scalar> kneighbors(const Eigen::MatrixBase<Derived>& Q, int k,
                                             int ef) const {
    const auto& g = graph();
    detail::check_n_features("HnswIndex", static_cast<Eigen::Index>(g.d), Q.cols());
    detail::check_matrix_as<Scalar>(Q, "Q");
    detail::check_distance_range<Metric, Scalar>(Q, Q.cols(), "HnswIndex::kneighbors", "Q");
    detail::check_param(k >= 1, "n_neighbors", k, ">= 1");
    if (static_cast<std::size_t>(k) > g.n_live) {
      detail::fail("n_neighbors must be <= size() = ", g.n_live, " (got ", k, ")");
    }
    detail::check_param(ef >= 1, "ef", ef, ">= 1");
    RowMatrix<Scalar> Qs = Q.template cast<Scalar>();
    if constexpr (detail::normalizes_rows<Metric>) {
      detail::normalize_rows(Qs, "HnswIndex::kneighbors", "Q");
    }
    const Eigen::Index m = Qs.rows();
    Neighbors<Scalar> out{Eigen::MatrixXi(m, k), Matrix<Scalar>(m, k)};
    const auto efs = static_cast<std::size_t>(std::max(ef, k));
    constexpr Eigen::Index chunk = 32;
    const Eigen::Index chunks = (m + chunk - 1) / chunk;
    const int threads = detail::resolve_threads(params_.n_threads);
    std::vector<detail::HnswScratch<Scalar>> scratch(static_cast<std::size_t>(threads));
    const auto body = [&](Eigen::Index c, detail::HnswScratch<Scalar>& s) {
      for (Eigen::Index i = c * chunk; i < std::min(m, (c + 1) * chunk); ++i) {
        search_one(g, Qs, i, k, efs, s, out);
      }
    };
    if (threads == 1 || chunks == 1) {
      for (Eigen::Index c = 0; c < chunks; ++c) body(c, scratch[0]);
    } else {
      detail::parallel_for_dynamic(Eigen::Index{0}, chunks, threads, [&](Eigen::Index c) {
        body(c, scratch[static_cast<std::size_t>(detail::thread_index())]);
      });
    }
    return out;
  }

  /** Live rows (added and not removed); 0 before the first add. */
  [[nodiscard]] Eigen::Index size() const noexcept {
    return graph_ ? static_cast<Eigen::Index>(graph_->n_live) : 0;
  }
  /** Ids handed out so far (live and removed): the next add starts at this id. */
  [[nodiscard]] Eigen::Index n_ids() const noexcept {
    return graph_ ? static_cast<Eigen::Index>(graph_->n()) : 0;
  }
  /** True once a row has been added. */
  [[nodiscard]] bool is_fitted() const noexcept { return graph_.has_value(); }
  /** Number of features seen by the first add. \throws NotFittedError before it. */
  [[nodiscard]] Eigen::Index n_features_in() const { return static_cast<Eigen::Index>(graph().d); }
  /** True if `id` was removed. \throws NotFittedError before the first add; InvalidArgument
   *  for an id never added. */
  [[nodiscard]] bool is_removed(int id) const {
    const auto& g = graph();
    if (id < 0 || static_cast<std::size_t>(id) >= g.n()) {
      detail::fail("HnswIndex::is_removed: id ", id, " is not in the index");
    }
    return g.state[static_cast<std::size_t>(id)] != detail::hnsw_live;
  }
  /** The top layer of the graph (-1 when every row is removed and unlinked).
   *  \throws NotFittedError before the first add. */
  [[nodiscard]] int max_level() const { return graph().max_level; }

 private:
  friend struct detail::Serial;

  static Params validated(const Params& p) {
    detail::check_param(p.M >= 2 && p.M <= 2048, "M", p.M, "in [2, 2048]");
    detail::check_param(p.ef_construction >= 1, "ef_construction", p.ef_construction, ">= 1");
    detail::check_param(p.ef_search >= 1, "ef_search", p.ef_search, ">= 1");
    detail::check_param(p.n_threads >= 0, "n_threads", p.n_threads, ">= 0 (0 = all cores)");
    return p;
  }

  const detail::HnswGraph<Scalar>& graph() const {
    detail::check_fitted(graph_.has_value(), "HnswIndex");
    return *graph_;
  }
  detail::HnswGraph<Scalar>& mutable_graph() {
    detail::check_fitted(graph_.has_value(), "HnswIndex");
    return *graph_;
  }

  /** Inserts nodes [lo, hi): in id order on one thread, else concurrently under locks. */
  void insert_range(detail::HnswGraph<Scalar>& g, std::size_t lo, std::size_t hi) const {
    const auto ef = static_cast<std::size_t>(params_.ef_construction);
    const int threads = detail::resolve_threads(params_.n_threads);
    detail::HnswScratch<Scalar> first;
    if (threads == 1 || hi - lo < 2) {
      for (std::size_t i = lo; i < hi; ++i) {
        detail::hnsw_insert<false>(g, static_cast<std::uint32_t>(i), ef, first, nullptr, nullptr);
      }
      return;
    }
    if (g.entry < 0) {  // the first node is the entry point: insert it alone
      detail::hnsw_insert<false>(g, static_cast<std::uint32_t>(lo), ef, first, nullptr, nullptr);
      ++lo;
    }
    detail::HnswLocks locks(g.n());
    std::mutex global;
    std::vector<detail::HnswScratch<Scalar>> scratch(static_cast<std::size_t>(threads));
    detail::parallel_for_dynamic(lo, hi, threads, [&](std::size_t i) {
      auto& s = scratch[static_cast<std::size_t>(detail::thread_index())];
      detail::hnsw_insert<true>(g, static_cast<std::uint32_t>(i), ef, s, &locks, &global);
    });
  }

  /** Searches row i of Q and writes its k neighbours into out. */
  static void search_one(const detail::HnswGraph<Scalar>& g, const RowMatrix<Scalar>& Q,
                         Eigen::Index i, int k, std::size_t ef, detail::HnswScratch<Scalar>& s,
                         Neighbors<Scalar>& out) {
    s.query.assign(g.stride, Scalar(0));
    std::copy_n(Q.row(i).data(), g.d, s.query.data());
    const Scalar* q = s.query.data();
    s.sorted.clear();
    if (g.entry >= 0) {
      auto cur = static_cast<std::uint32_t>(g.entry);
      Scalar dcur = g.dist(q, g.vec(cur));
      detail::hnsw_greedy<false>(g, q, g.max_level, 0, cur, dcur, s, nullptr);
      s.res.assign(1, {dcur, cur});
      detail::hnsw_search_layer<false, true>(g, q, 0, ef, s, nullptr);
      s.sorted.assign(s.res.begin(), s.res.end());
    }
    const auto kk = static_cast<std::size_t>(k);
    if (s.sorted.size() < kk) {  // too few live nodes reached: exhaustive over the live ones
      s.sorted.clear();
      for (std::size_t e = 0; e < g.n(); ++e) {
        if (g.state[e] == detail::hnsw_live) {
          s.sorted.emplace_back(g.dist(q, g.vec(e)), static_cast<std::uint32_t>(e));
        }
      }
    }
    std::partial_sort(s.sorted.begin(), s.sorted.begin() + static_cast<std::ptrdiff_t>(kk),
                      s.sorted.end());
    s.tmp.clear();
    const auto d = static_cast<Eigen::Index>(g.d);
    for (std::size_t j = 0; j < kk; ++j) {
      const std::uint32_t e = s.sorted[j].second;
      const Eigen::Map<const Eigen::Matrix<Scalar, 1, Eigen::Dynamic>> row(g.vec(e), d);
      s.tmp.emplace_back(Metric::distance(Q.row(i), row), e);
    }
    std::sort(s.tmp.begin(), s.tmp.end());
    for (std::size_t j = 0; j < kk; ++j) {
      out.indices(i, static_cast<Eigen::Index>(j)) = static_cast<int>(s.tmp[j].second);
      out.distances(i, static_cast<Eigen::Index>(j)) = s.tmp[j].first;
    }
  }

  Params params_{};
  std::optional<detail::HnswGraph<Scalar>> graph_;
};

OSPREY_NAMESPACE_END

/** \file
 *  Exact k-nearest-neighbour search over a sharded reference set: `dist::NearestNeighbors`, the
 *  communicator-free pieces a service can fan out with over its own RPC (`shard_candidates`,
 *  `merge_topk`, `to_neighbors`), and the `Candidates` they exchange. Rows are samples.
 *
 *  The reference set is split in contiguous shards: rank r holds global rows
 *  [offset_r, offset_r + n_r) (rank 0's rows first; dist::global_rows). Each rank searches its
 *  shard with the single-node `osprey::NearestNeighbors` (the same kernels, forced to the
 *  algorithm single-node would pick for the whole set), and an exact top-k merge combines the
 *  shards' candidates. The result equals single-node `osprey::NearestNeighbors` fitted on the
 *  concatenated shards, bit for bit: the same distances and the same ids in the same order,
 *  ties included.
 *
 *  Why the merge carries a key: single-node search selects the k smallest (reduced distance,
 *  row) pairs, the reduced distance as its kernel computes it (squared L2 summed in a fixed
 *  order for Euclidean), then reports `Metric::distance` (recomputed per pair) sorted by
 *  (distance, row). Two rows with different reduced distances can share a reported distance
 *  (sqrt merges neighbouring doubles), so a merge on (distance, row) could keep a different
 *  row at the k-th place. Each candidate therefore carries its selection key, its distance and
 *  its global id; `merge_topk` selects by (key, id) and orders by (distance, id), exactly as
 *  single-node does. Every key and distance is a function of the pair alone, so a shard computes
 *  the same bits the single-node search computes.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../config.hpp"
#include "../core/detail/stop.hpp"
#include "../core/parallel.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../neighbors/nearest_neighbors.hpp"
#include "communicator.hpp"
#include "detail/rank_checks.hpp"

OSPREY_NAMESPACE_BEGIN
namespace dist {

/** One neighbour candidate of one query: its selection key (the metric's reduced distance as
 *  the single-node search computes it), its distance (`Metric::distance`) and its global row id.
 *  Trivially copyable: 24 bytes for double, 16 for float. */
template <class Scalar = double>
struct Candidate {
  Scalar key;       ///< what the search ranks by (ties by id)
  Scalar distance;  ///< what the result reports (ties by id)
  std::int64_t id;  ///< global row id
};

/** Candidates of a batch of queries: `k` per query, row-major (query i owns
 *  `entries[i * k, (i + 1) * k)`). A shard's candidates are its k nearest rows (k capped at its
 *  row count, 0 for an empty shard); a merge's are the global k nearest, ordered by
 *  (distance, id). A merge's output is itself a valid input of another merge. */
template <class Scalar = double>
struct Candidates {
  Eigen::Index n_queries = 0;              ///< queries of the batch
  int k = 0;                               ///< candidates per query
  std::vector<Candidate<Scalar>> entries;  ///< n_queries * k candidates
};

namespace detail {

/** A shard's search, with access to the single-node search's keys (a friend of
 *  osprey::NearestNeighbors). */
struct ShardSearch {
  /** The k nearest rows of `nn` to every row of `Q` as candidates with ids `offset + row`:
   *  the (key, row) selection of the single-node search, each with `Metric::distance` computed
   *  as the single-node result computes it. Caller validated Q and 1 <= k <= rows. */
  template <class S, class M>
  static Candidates<S> run(const NearestNeighbors<S, M>& nn, const RowMatrix<S>& Q, int k,
                           std::int64_t offset) {
    const auto& s = nn.state();
    const Eigen::Index m = Q.rows();
    const auto size = static_cast<std::size_t>(m) * static_cast<std::size_t>(k);
    std::vector<S> keys(size);
    std::vector<int> rows(size);
    const ::osprey::detail::Stop stop{&nn.params_.cancellation, "dist::NearestNeighbors"};
    if constexpr (::osprey::detail::normalizes_rows<M>) {
      nn.search_rows(s, ::osprey::detail::unit_rows(Q, "dist::NearestNeighbors"), k, false,
                     keys.data(), rows.data(), stop);
    } else {
      nn.search_rows(s, Q, k, false, keys.data(), rows.data(), stop);
    }
    const RowMatrix<S>& X = nn.distance_rows(s);
    Candidates<S> out{m, k, std::vector<Candidate<S>>(size)};
    ::osprey::detail::parallel_for_ranges(
        m, Eigen::Index{256}, nn.params_.n_threads, [&](Eigen::Index lo, Eigen::Index hi) {
          for (auto at = static_cast<std::size_t>(lo * k); at < static_cast<std::size_t>(hi * k);
               ++at) {
            const auto i = static_cast<Eigen::Index>(at / static_cast<std::size_t>(k));
            const int row = rows[at];
            out.entries[at] = {keys[at], M::distance(Q.row(i), X.row(row)), offset + row};
          }
        });
    return out;
  }
};

/** (key, id) order: the selection of the single-node search. */
template <class S>
bool by_key(const Candidate<S>& a, const Candidate<S>& b) noexcept {
  return a.key < b.key || (a.key == b.key && a.id < b.id);
}
/** (distance, id) order: the order of the single-node result. */
template <class S>
bool by_distance(const Candidate<S>& a, const Candidate<S>& b) noexcept {
  return a.distance < b.distance || (a.distance == b.distance && a.id < b.id);
}

/** Cuts `flat` (blocks of `counts[r]` candidates, r = 0..p-1, each `counts[r] / m` per query)
 *  into one Candidates per non-empty block. */
template <class S>
std::vector<Candidates<S>> split_blocks(const std::vector<Candidate<S>>& flat,
                                        const std::vector<std::size_t>& counts, Eigen::Index m) {
  std::vector<Candidates<S>> parts;
  std::size_t at = 0;
  for (const std::size_t c : counts) {
    if (c > 0) {
      const auto first = flat.begin() + static_cast<std::ptrdiff_t>(at);
      parts.push_back({m, static_cast<int>(c / static_cast<std::size_t>(m)),
                       std::vector<Candidate<S>>(first, first + static_cast<std::ptrdiff_t>(c))});
    }
    at += c;
  }
  return parts;
}

}  // namespace detail

/** The `k` nearest rows of one shard to every row of `Q`, as candidates for `merge_topk`: what
 *  a shard server answers when a service fans a query batch out over its own RPC. `shard` holds
 *  global rows [offset, offset + shard.n_samples_fit()); fit every shard with the algorithm the
 *  whole set would get (`Algorithm::brute`, or `kd_tree` when the whole set has d <= 8 and
 *  n >= 256 under `automatic`), so keys compare across shards as they do in one search.
 *  No communication.
 *  \param k candidates per query; capped at the shard's row count.
 *  \throws NotFittedError if shard is not fitted; InvalidArgument if k < 1 or offset < 0, Q is
 *  empty, has a non-finite value or a different number of features.
 *  Complexity: one single-node kneighbors of Q on the shard. */
template <class Scalar, class Metric, class Derived>
[[nodiscard]] Candidates<Scalar> shard_candidates(const NearestNeighbors<Scalar, Metric>& shard,
                                                  const Eigen::MatrixBase<Derived>& Q, int k,
                                                  std::int64_t offset) {
  ::osprey::detail::check_n_features("NearestNeighbors", shard.n_features_in(), Q.cols());
  ::osprey::detail::check_matrix_as<Scalar>(Q, "Q");
  ::osprey::detail::check_distance_range<Metric, Scalar>(Q, Q.cols(), "dist::shard_candidates",
                                                         "Q");
  ::osprey::detail::check_param(k >= 1, "n_neighbors", k, ">= 1");
  ::osprey::detail::check_param(offset >= 0, "offset", offset, ">= 0");
  const int kk = static_cast<int>(std::min<Eigen::Index>(k, shard.n_samples_fit()));
  const RowMatrix<Scalar> Qs = Q.template cast<Scalar>();
  return detail::ShardSearch::run(shard, Qs, kk, offset);
}

/** The exact global `k` nearest of every query from the candidates of disjoint shards (or of
 *  earlier merges): per query, the k smallest (key, id) among all candidates, ordered by
 *  (distance, id), as single-node search selects and orders them. The order of `parts` does not
 *  matter. No communication.
 *  \throws InvalidArgument if k < 1, `parts` disagree on n_queries or hold malformed entries,
 *  or they hold fewer than k candidates per query in all.
 *  Complexity: O(m K log k) for m queries and K candidates per query in all; memory O(K). */
template <class Scalar>
[[nodiscard]] Candidates<Scalar> merge_topk(std::span<const Candidates<Scalar>> parts, int k) {
  ::osprey::detail::check_param(k >= 1, "n_neighbors", k, ">= 1");
  ::osprey::detail::check_param(!parts.empty(), "parts", parts.size(), "non-empty");
  const Eigen::Index m = parts.front().n_queries;
  std::size_t total = 0;
  for (std::size_t s = 0; s < parts.size(); ++s) {
    const auto& p = parts[s];
    if (p.n_queries != m || p.k < 0 ||
        p.entries.size() != static_cast<std::size_t>(m) * static_cast<std::size_t>(p.k)) {
      ::osprey::detail::fail("merge_topk: parts[", s, "] holds ", p.entries.size(), " entries for ",
                             p.n_queries, " queries x k = ", p.k, " (parts[0] has ", m,
                             " queries)");
    }
    total += static_cast<std::size_t>(p.k);
  }
  if (total < static_cast<std::size_t>(k)) {
    ::osprey::detail::fail("n_neighbors must be <= the ", total,
                           " candidates per query the parts hold (got ", k, ")");
  }
  Candidates<Scalar> out{
      m, k,
      std::vector<Candidate<Scalar>>(static_cast<std::size_t>(m) * static_cast<std::size_t>(k))};
  std::vector<Candidate<Scalar>> row(total);
  const auto kk = static_cast<std::ptrdiff_t>(k);
  for (Eigen::Index i = 0; i < m; ++i) {
    std::size_t at = 0;
    for (const auto& p : parts) {
      const auto first = p.entries.begin() + static_cast<std::ptrdiff_t>(i * p.k);
      at = static_cast<std::size_t>(
          std::copy(first, first + p.k, row.begin() + static_cast<std::ptrdiff_t>(at)) -
          row.begin());
    }
    std::partial_sort(row.begin(), row.begin() + kk, row.end(), detail::by_key<Scalar>);
    std::sort(row.begin(), row.begin() + kk, detail::by_distance<Scalar>);
    std::copy(row.begin(), row.begin() + kk,
              out.entries.begin() + static_cast<std::ptrdiff_t>(i * k));
  }
  return out;
}

/** `merge_topk` over a vector. */
template <class Scalar>
[[nodiscard]] Candidates<Scalar> merge_topk(const std::vector<Candidates<Scalar>>& parts, int k) {
  return merge_topk(std::span<const Candidates<Scalar>>(parts), k);
}

/** Merged candidates as the single-node result type: indices and distances, m x k.
 *  \throws InvalidArgument if an id does not fit the `int` indices (2^31 - 1 rows). */
template <class Scalar>
[[nodiscard]] Neighbors<Scalar> to_neighbors(const Candidates<Scalar>& c) {
  Neighbors<Scalar> out{Eigen::MatrixXi(c.n_queries, c.k), Matrix<Scalar>(c.n_queries, c.k)};
  for (Eigen::Index i = 0; i < c.n_queries; ++i) {
    for (int j = 0; j < c.k; ++j) {
      const auto& e = c.entries[static_cast<std::size_t>(i * c.k + j)];
      if (e.id < 0 || e.id > std::numeric_limits<int>::max()) {
        ::osprey::detail::fail("to_neighbors: id ", e.id, " does not fit the int indices");
      }
      out.indices(i, j) = static_cast<int>(e.id);
      out.distances(i, j) = e.distance;
    }
  }
  return out;
}

/** Exact k-nearest-neighbour search over a reference set sharded across the ranks of a
 *  communicator; results equal single-node `osprey::NearestNeighbors` on the concatenated
 *  shards, bit for bit (see the file comment).
 *
 *  \code
 *  osprey::dist::NearestNeighbors<> nn;
 *  nn.fit(comm, X_local);                  // this rank's reference rows
 *  auto r = nn.kneighbors(comm, Q, 10);    // the same Q on every rank; global ids
 *  auto mine = nn.kneighbors_partitioned(comm, Q_local, 10);  // each rank its own queries
 *  \endcode
 *
 *  Query modes:
 *  - `kneighbors(comm, Q, k)`: replicated. Every rank passes the same batch (checked by a hash)
 *    and gets the whole answer. One all_gatherv of the candidates: each rank sends
 *    m k_r (2 sizeof(Scalar) + 8) bytes to each of the p - 1 others (k_r = min(k, its rows)),
 *    i.e. m k 24 (p - 1) bytes per rank for double, plus two small all_reduces.
 *  - `kneighbors_partitioned(comm, Q_local, k)`: each rank passes its own queries and gets
 *    their answers. One all_gatherv of the queries (m_r d sizeof(Scalar) (p - 1) bytes per
 *    rank), every rank searches its shard for all M queries, one all_to_allv routes each
 *    query's candidates to its owner ((M - m_r) k_r (2 sizeof(Scalar) + 8) bytes per rank).
 *
 *  \tparam ScalarT float or double; \tparam Metric a DistanceMetric.
 *  Complexity per batch: the shard search O(m n_r d) (brute) plus the merge O(m p k log k).
 *  Memory: the shard, plus m p k candidates. Thread safety: as osprey::NearestNeighbors; the
 *  collectives need every rank to call the same methods in the same order. `cancellation` is
 *  honoured per rank: a rank that stops fails the group (RankFailed on the others).
 */
template <class ScalarT = double, class Metric = Euclidean>
class NearestNeighbors {
 public:
  using Scalar = ScalarT;                 ///< element type of stored data and distances
  using MetricType = Metric;              ///< the distance policy
  using Params = NearestNeighborsParams;  ///< the single-node parameters
  using Local = ::osprey::NearestNeighbors<Scalar, Metric>;  ///< a shard's search

  NearestNeighbors() = default;
  /** \throws InvalidArgument as osprey::NearestNeighbors. */
  explicit NearestNeighbors(const Params& params) : params_(Local(params).params()) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters (validated); the estimator becomes unfitted. */
  NearestNeighbors& set_params(const Params& params) {
    params_ = Local(params).params();
    state_.reset();
    return *this;
  }

  /** Stores this rank's reference rows `X_local` (global rows offset .. offset + rows - 1) and
   *  builds its shard's search structure. A rank may hold no rows (0 x d or 0 x 0).
   *  Collectives: three small all_reduce / all_gather calls (O(p) bytes); no data moves.
   *  \throws InvalidArgument on every rank if any rank's X_local has a non-finite or
   *  out-of-range value (naming the rank, its local row and column), the ranks holding rows
   *  disagree on the column count, no rank holds a row, or the set exceeds 2^31 - 1 rows. */
  template <Communicator C, class Derived>
  NearestNeighbors& fit(C& comm, const Eigen::MatrixBase<Derived>& X_local) {
    const std::int64_t rows = X_local.rows();
    check_on_all_ranks(comm, [&] {
      if (rows == 0) return;
      ::osprey::detail::check_matrix_as<Scalar>(X_local, "X_local");
      ::osprey::detail::check_distance_range<Metric, Scalar>(
          X_local, X_local.cols(), "dist::NearestNeighbors::fit", "X_local");
    });
    const std::int64_t d = detail::agreed_columns(comm, rows, X_local.cols(),
                                                  "dist::NearestNeighbors::fit", "X_local");
    State s;
    s.rows = global_rows(comm, static_cast<std::uint64_t>(rows));
    ::osprey::detail::check_int_rows(static_cast<Eigen::Index>(s.rows.total),
                                     "dist::NearestNeighbors::fit");
    s.d = d;
    s.tree = ::osprey::detail::use_kd_tree(params_.algorithm,
                                           static_cast<Eigen::Index>(s.rows.total), d);
    Params local = params_;
    local.algorithm = s.tree ? Algorithm::kd_tree : Algorithm::brute;
    local.progress = {};
    s.local = Local(local);
    if (rows > 0) s.local.fit(X_local);
    state_ = std::move(s);
    return *this;
  }

  /** The `k` nearest reference rows (global ids) of every row of `Q`, the same batch on every
   *  rank; every rank gets the whole answer, equal to single-node search on the concatenated
   *  reference set. Communication: see the class comment.
   *  \throws NotFittedError before fit; InvalidArgument on every rank if k < 1 or k exceeds the
   *  global row count, Q is empty, has a non-finite value or a different number of features on
   *  some rank, or Q or k differ across ranks. */
  template <Communicator C, class Derived>
  [[nodiscard]] Neighbors<Scalar> kneighbors(C& comm, const Eigen::MatrixBase<Derived>& Q,
                                             int k) const {
    const State& s = state();
    check_queries(comm, Q, false);
    agree(comm, k, hash_of(Q), "the query batch (replicated mode: pass the same Q everywhere)");
    check_k(s, k);
    const Candidates<Scalar> mine = local_candidates(Q, k);
    std::vector<std::size_t> counts;
    const std::vector<Candidate<Scalar>> all =
        comm.all_gatherv(std::span<const Candidate<Scalar>>(mine.entries), &counts);
    return to_neighbors(merge_topk(detail::split_blocks(all, counts, Q.rows()), k));
  }

  /** `kneighbors(comm, Q, params().n_neighbors)`. */
  template <Communicator C, class Derived>
  [[nodiscard]] Neighbors<Scalar> kneighbors(C& comm, const Eigen::MatrixBase<Derived>& Q) const {
    return kneighbors(comm, Q, params_.n_neighbors);
  }

  /** The `k` nearest reference rows (global ids) of this rank's own queries `Q_local` (any
   *  number of rows per rank, 0 included): row i of the result answers row i of Q_local, equal
   *  to single-node search. Communication: see the class comment.
   *  \throws as kneighbors (Q_local may be empty; k must agree across ranks). */
  template <Communicator C, class Derived>
  [[nodiscard]] Neighbors<Scalar> kneighbors_partitioned(C& comm,
                                                         const Eigen::MatrixBase<Derived>& Q_local,
                                                         int k) const {
    const State& s = state();
    check_queries(comm, Q_local, true);
    agree(comm, k, 0, "k");
    check_k(s, k);
    const RowMatrix<Scalar> mine = Q_local.template cast<Scalar>();
    std::vector<std::size_t> q_counts;
    const std::vector<Scalar> flat = comm.all_gatherv(
        std::span<const Scalar>(mine.data(), static_cast<std::size_t>(mine.size())), &q_counts);
    const auto d = static_cast<std::size_t>(s.d);
    const Eigen::Index m_all = static_cast<Eigen::Index>(flat.size() / d);
    const auto local_k = static_cast<std::size_t>(
        std::min<std::uint64_t>(static_cast<std::uint64_t>(k), s.rows.local));
    Candidates<Scalar> cand{m_all, static_cast<int>(local_k), {}};
    if (local_k > 0 && m_all > 0) {
      const Eigen::Map<const RowMatrix<Scalar>> all(flat.data(), m_all, s.d);
      cand = detail::ShardSearch::run(s.local, RowMatrix<Scalar>(all), static_cast<int>(local_k),
                                      static_cast<std::int64_t>(s.rows.offset));
    }
    std::vector<std::size_t> send_counts(q_counts.size());
    for (std::size_t r = 0; r < q_counts.size(); ++r) send_counts[r] = q_counts[r] / d * local_k;
    std::vector<std::size_t> recv_counts;
    const std::vector<Candidate<Scalar>> got =
        comm.all_to_allv(std::span<const Candidate<Scalar>>(cand.entries),
                         std::span<const std::size_t>(send_counts), &recv_counts);
    if (Q_local.rows() == 0) return {Eigen::MatrixXi(0, k), Matrix<Scalar>(0, k)};
    return to_neighbors(merge_topk(detail::split_blocks(got, recv_counts, Q_local.rows()), k));
  }

  /** This rank's candidates for `Q` (its shard's k nearest, k capped at its row count, global
   *  ids): the input of `merge_topk`. No communication. \throws NotFittedError before fit;
   *  InvalidArgument as shard_candidates. */
  template <class Derived>
  [[nodiscard]] Candidates<Scalar> local_candidates(const Eigen::MatrixBase<Derived>& Q,
                                                    int k) const {
    const State& s = state();
    ::osprey::detail::check_param(k >= 1, "n_neighbors", k, ">= 1");
    if (s.rows.local == 0) return {Q.rows(), 0, {}};
    return shard_candidates(s.local, Q, k, static_cast<std::int64_t>(s.rows.offset));
  }

  /** True once fit has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** Reference rows on all ranks. */
  [[nodiscard]] Eigen::Index n_samples_fit() const {
    return static_cast<Eigen::Index>(state().rows.total);
  }
  /** Number of features. */
  [[nodiscard]] Eigen::Index n_features_in() const { return state().d; }
  /** Where this rank's rows sit in the global order. */
  [[nodiscard]] RowRange rows() const { return state().rows; }
  /** The algorithm every shard uses: single-node's choice for the whole set. */
  [[nodiscard]] Algorithm fitted_algorithm() const {
    return state().tree ? Algorithm::kd_tree : Algorithm::brute;
  }
  /** This rank's shard search (unfitted when the rank holds no rows). */
  [[nodiscard]] const Local& local() const { return state().local; }

 private:
  struct State {
    RowRange rows;
    Eigen::Index d = 0;
    bool tree = false;
    Local local;
  };

  const State& state() const {
    ::osprey::detail::check_fitted(state_.has_value(), "dist::NearestNeighbors");
    return *state_;
  }

  /** Validates this rank's queries, reported on every rank (an empty batch only if allowed). */
  template <Communicator C, class Derived>
  void check_queries(C& comm, const Eigen::MatrixBase<Derived>& Q, bool allow_empty) const {
    const Eigen::Index d = state().d;
    check_on_all_ranks(comm, [&] {
      if (allow_empty && Q.rows() == 0 && (Q.cols() == d || Q.cols() == 0)) return;
      ::osprey::detail::check_n_features("dist::NearestNeighbors", d, Q.cols());
      ::osprey::detail::check_matrix_as<Scalar>(Q, "Q");
      ::osprey::detail::check_distance_range<Metric, Scalar>(Q, d, "dist::NearestNeighbors", "Q");
    });
  }

  /** Throws on every rank unless k and `hash` are the same on every rank (one all_reduce). */
  template <Communicator C>
  static void agree(C& comm, int k, std::uint64_t hash, const char* what) {
    const auto uk = static_cast<std::uint64_t>(static_cast<std::int64_t>(k));
    std::uint64_t v[4] = {uk, ~uk, hash, ~hash};
    comm.all_reduce(std::span<std::uint64_t>(v, 4), ReduceOp::min);
    if (v[0] != ~v[1]) {
      ::osprey::detail::fail("dist::NearestNeighbors: n_neighbors differs across ranks (",
                             static_cast<std::int64_t>(v[0]), " and ",
                             static_cast<std::int64_t>(~v[1]), ")");
    }
    if (v[2] != ~v[3])
      ::osprey::detail::fail("dist::NearestNeighbors: ", what, " differs across ranks");
  }

  /** FNV-1a of Q's shape and values in Scalar (row-major). */
  template <class Derived>
  static std::uint64_t hash_of(const Eigen::MatrixBase<Derived>& Q) {
    const RowMatrix<Scalar> q = Q.template cast<Scalar>();
    const std::int64_t shape[2] = {q.rows(), q.cols()};
    const auto* sb = reinterpret_cast<const unsigned char*>(shape);
    const auto* qb = reinterpret_cast<const unsigned char*>(q.data());
    return detail::fnv1a({qb, static_cast<std::size_t>(q.size()) * sizeof(Scalar)},
                         detail::fnv1a({sb, sizeof(shape)}));
  }

  static void check_k(const State& s, int k) {
    ::osprey::detail::check_param(k >= 1, "n_neighbors", k, ">= 1");
    if (static_cast<std::uint64_t>(k) > s.rows.total) {
      ::osprey::detail::fail("n_neighbors must be <= n_samples_fit = ", s.rows.total, " (got ", k,
                             ")");
    }
  }

  Params params_{};
  std::optional<State> state_;
};

}  // namespace dist
OSPREY_NAMESPACE_END

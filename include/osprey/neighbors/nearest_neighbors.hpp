/** \file
 *  Exact k-nearest-neighbour search: `NearestNeighbors<Scalar, Metric>`, with scikit-learn's
 *  semantics (rows are samples; neighbours sorted by increasing distance; ties by lower index).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/detail/stop.hpp"
#include "../core/parallel.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "detail/brute_index.hpp"
#include "detail/dynamic_index.hpp"
#include "detail/kd_tree.hpp"
#include "metrics.hpp"

OSPREY_NAMESPACE_BEGIN

/** How neighbours' votes or values are weighted (scikit-learn's `weights`). */
enum class Weights {
  uniform,   ///< every neighbour counts the same
  distance,  ///< weight 1 / distance; a neighbour at distance 0 takes all the weight
};

/** Search algorithm (scikit-learn's `algorithm`). */
enum class Algorithm {
  automatic,  ///< kd_tree when d <= 8 and n >= 256 (measured, see docs/neighbors.md), else brute
  brute,      ///< tiled exhaustive search (GEMM for Euclidean), best in moderate/high dimension
  kd_tree,    ///< exact k-d tree, best in low dimension (d up to ~10)
};

/** Result of a k-neighbours query: one row per query, k columns sorted by increasing distance
 *  (ties by lower training index). */
template <class Scalar = double>
struct Neighbors {
  Eigen::MatrixXi indices;   ///< training row of each neighbour
  Matrix<Scalar> distances;  ///< its distance to the query (Metric::distance)
};

namespace detail {
template <class Derived, class S, class Metric, class State>
class KNeighborsBase;
}  // namespace detail

namespace dist::detail {
struct ShardSearch;  // dist/nearest_neighbors.hpp: a shard's candidates with their search keys
}  // namespace dist::detail

/** Reusable scratch of the one-query searches (`NearestNeighbors::kneighbors_one`,
 *  `KNeighborsClassifier::predict_proba_one`, `KNeighborsRegressor::predict_one`), and where
 *  they leave the neighbours found. Keep one per thread and reuse it: it grows at its first use
 *  with a model (and when k or the width grows), after which a query allocates nothing.
 *
 *  \code
 *  osprey::QueryWorkspace<float> ws;                 // per thread, reused
 *  nn.kneighbors_one(x, 10, ws);                     // x: one row
 *  for (int j = 0; j < 10; ++j) use(ws.indices()[j], ws.distances()[j]);
 *  \endcode
 *
 *  \tparam Scalar the estimator's Scalar. Not thread-safe: one workspace per thread. */
template <class Scalar = double>
class QueryWorkspace {
 public:
  /** The neighbours of the last query, nearest first (ties by lower training index). */
  [[nodiscard]] std::span<const int> indices() const noexcept {
    return {indices_.data(), static_cast<std::size_t>(k_)};
  }
  /** Their distances (Metric::distance), as in the `distances` of the batch search. */
  [[nodiscard]] std::span<const Scalar> distances() const noexcept {
    return {distances_.data(), static_cast<std::size_t>(k_)};
  }

 private:
  template <class, class>
  friend class NearestNeighbors;
  template <class, class, class, class>
  friend class detail::KNeighborsBase;

  /** Makes room for `classes` vote slots (growing only). */
  void reserve_votes(Eigen::Index classes) {
    if (votes_.size() < static_cast<std::size_t>(classes)) {
      votes_.resize(static_cast<std::size_t>(classes));
    }
  }
  /** Makes room for a query of d features, k neighbours and `buffer` values of search scratch
   *  (growing only). */
  void reserve(Eigen::Index d, int k, Eigen::Index buffer) {
    if (query_.cols() != d) query_.resize(1, d);
    const auto kk = static_cast<std::size_t>(k);
    if (values_.size() < kk) {
      values_.resize(kk);
      indices_.resize(kk);
      distances_.resize(kk);
      pairs_.resize(kk);
      weights_.resize(kk);
    }
    if (buffer_.size() < static_cast<std::size_t>(buffer)) {
      buffer_.resize(static_cast<std::size_t>(buffer));
    }
    k_ = k;
  }

  RowMatrix<Scalar> query_;                    // the query as Scalar, 1 x d
  std::vector<Scalar> values_;                 // reduced values of the search's k-buffer
  std::vector<int> indices_;                   // the neighbours, sorted as the batch sorts them
  std::vector<Scalar> distances_;              // their distances
  std::vector<std::pair<Scalar, int>> pairs_;  // (distance, index) being sorted
  std::vector<Scalar> buffer_;                 // block of distances (panel metrics)
  std::vector<double> weights_;                // neighbour weights
  std::vector<double> votes_;                  // class votes
  int k_ = 0;
};

/** Parameters of `NearestNeighbors`, written with designated initialisers:
 *  `osprey::NearestNeighbors<> nn({.n_neighbors = 10, .n_threads = 4});`. */
struct NearestNeighborsParams {
  int n_neighbors = 5;                         ///< default k of kneighbors()
  Algorithm algorithm = Algorithm::automatic;  ///< search structure
  int leaf_size = 32;                          ///< kd-tree leaf size (>= 1)
  int n_threads = 0;  ///< threads for the kd-tree build and the queries (0 = max_threads())
  /** Stops fit and kneighbors (they throw `Cancelled`) once cancelled; copies of the Params
   *  (and of the estimator) share the token. */
  CancellationToken cancellation{};
  /** Optional progress: stage "fit" (1 of 1) after the build; stage "kneighbors" (done / total
   *  query rows) after each batch of 4096 queries (one report for a leave-one-out query).
   *  Called from the calling thread. */
  ProgressCallback progress{};
};

namespace detail {

/** The rule behind Algorithm::automatic. */
[[nodiscard]] inline bool use_kd_tree(Algorithm algorithm, Eigen::Index n, Eigen::Index d) {
  switch (algorithm) {
    case Algorithm::kd_tree:
      return true;
    case Algorithm::brute:
      return false;
    case Algorithm::automatic:
    default:
      return d <= 8 && n >= 256;
  }
}

template <class S, class Metric>
struct NearestNeighborsState {
  RowMatrix<S> X;
  bool tree = false;
  BruteIndex<S, Metric> brute;
  KdTree<S, Metric> kd;
  /// Set by the first add or remove after fit, which move X and the index into it (X is then
  /// empty); the searches then run on its segments.
  std::optional<DynamicIndex<S, Metric>> dynamic;
};

/** Throws unless an input of `rows` x `cols` is one row (a row or column vector). */
inline void check_one_row(Eigen::Index rows, Eigen::Index cols, const char* who) {
  if (rows != 1 && cols != 1) {
    fail(who, " takes one row (got ", rows, " rows x ", cols, " columns)");
  }
}

/** Recomputes the true distances of the selected neighbours (exact, whatever the selection
 *  kernel) and sorts each row by (distance, index). */
template <class S, class Metric>
Neighbors<S> finalize_neighbors(const RowMatrix<S>& X, const RowMatrix<S>& Q, int k,
                                const std::vector<int>& raw, int n_threads) {
  const Eigen::Index m = Q.rows();
  Neighbors<S> out{Eigen::MatrixXi(m, k), Matrix<S>(m, k)};
  parallel_for_ranges(m, Eigen::Index{256}, n_threads, [&](Eigen::Index lo, Eigen::Index hi) {
    std::vector<std::pair<S, int>> row(static_cast<std::size_t>(k));  // one per range
    for (Eigen::Index i = lo; i < hi; ++i) {
      for (int j = 0; j < k; ++j) {
        const int idx = raw[static_cast<std::size_t>(i * k + j)];
        row[static_cast<std::size_t>(j)] = {Metric::distance(Q.row(i), X.row(idx)), idx};
      }
      std::sort(row.begin(), row.end());
      for (int j = 0; j < k; ++j) {
        out.distances(i, j) = row[static_cast<std::size_t>(j)].first;
        out.indices(i, j) = row[static_cast<std::size_t>(j)].second;
      }
    }
  });
  return out;
}

}  // namespace detail

/** Exact k-nearest-neighbour search under a metric policy.
 *
 *  \code
 *  osprey::NearestNeighbors<float, osprey::Manhattan> nn({.algorithm = osprey::Algorithm::brute});
 *  nn.fit(X);
 *  auto result = nn.kneighbors(Q, 10);   // result.indices, result.distances: Q.rows() x 10
 *  auto loo = nn.kneighbors(5);          // training set against itself, each point excluded
 *  \endcode
 *
 *  Brute force tiles queries and training rows so memory beyond inputs and outputs is one tile
 *  per thread; Euclidean search estimates distances with the norm expansion on centred rows (one
 *  matrix product per tile) and recomputes every candidate near the k-th directly, so the
 *  selection is exact on raw, uncentred data too. The k-d tree is exact too and gives the same
 *  neighbours (up to rounding ties).
 *
 *  \tparam Metric a `DistanceMetric` (Euclidean, SquaredEuclidean, Manhattan, Chebyshev,
 *          Minkowski<P>).
 *  \tparam ScalarT float or double; data are stored and distances computed in it.
 *  Complexity: brute O(m n d) per query batch; kd-tree build O(n log n), query ~O(log n) in low
 *  dimension. Thread safety: const methods may run concurrently; each query is processed
 *  independently, so results are identical on any thread count.
 *
 *  Adding and removing rows: `add(X)` appends rows and returns the id of the first; ids continue
 *  from the largest ever assigned (fit's rows are ids 0..n-1; ids are never reused). `remove(ids)`
 *  removes live rows by id. Afterwards kneighbors and kneighbors_one return ids as indices and
 *  equal, indices and distances, a NearestNeighbors fitted on the live rows in increasing id
 *  order with its indices mapped to ids (exact; ties by lower id); n_samples_fit() counts the
 *  live rows, live_rows() / live_ids() give them, and fit_X() throws. The leave-one-out search
 *  treats the live rows, in increasing id order, as the training set. Brute force appends in
 *  place (O(m d) per row batch, on the existing centre) and marks removed rows, compacting once
 *  more than a quarter of the stored rows are removed; the k-d tree keeps O(log n) static trees
 *  by the logarithmic method (Bentley & Saxe 1980), rebuilding one once more than half of its
 *  rows are removed (detail/dynamic_index.hpp). add and remove are writers: they must not run
 *  concurrently with any other call.
 */
template <class ScalarT = double, class Metric = Euclidean>
class NearestNeighbors {
  static_assert(DistanceMetric<Metric>, "Metric must satisfy osprey::DistanceMetric");
  static_assert(std::is_floating_point_v<ScalarT>, "ScalarT must be float or double");

 public:
  using Scalar = ScalarT;     ///< element type of stored data and distances
  using MetricType = Metric;  ///< the distance policy

  using Params = NearestNeighborsParams;  ///< the parameters (namespace-level aggregate)

  NearestNeighbors() = default;
  /** \throws InvalidArgument for n_neighbors < 1, leaf_size < 1 or n_threads < 0. */
  explicit NearestNeighbors(const Params& params) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters (validated); the estimator becomes unfitted. */
  NearestNeighbors& set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
    return *this;
  }

  /** Replaces how calls run - `n_threads`, `cancellation`, `progress` (an `Execution`) - and,
   *  unlike set_params, keeps the fit: for a loaded model (these are not saved) or to give a
   *  fitted one a new token. \returns `*this`. \throws InvalidArgument if n_threads < 0. */
  NearestNeighbors& set_execution(const Execution& execution) {
    detail::apply_execution(params_, execution);
    return *this;
  }

  /** Stores the training rows and builds the search structure.
   *  \throws InvalidArgument if X is empty or has a non-finite value (naming row and column);
   *  Cancelled once params().cancellation is cancelled (the estimator is then unchanged). */
  template <class Derived>
  NearestNeighbors& fit(const Eigen::MatrixBase<Derived>& X) {
    const detail::Stop stop{&params_.cancellation, "NearestNeighbors::fit"};
    stop.check();
    detail::check_matrix_as<Scalar>(X, "X");
    detail::check_distance_range<Metric, Scalar>(X, X.cols(), "NearestNeighbors::fit", "X");
    if (X.rows() > Eigen::Index(std::numeric_limits<int>::max())) {
      detail::fail("X has ", X.rows(), " rows; NearestNeighbors supports at most 2^31 - 1");
    }
    detail::NearestNeighborsState<Scalar, Metric> s;
    detail::assign_polled(s.X, X, stop);
    stop.check();
    s.tree = detail::use_kd_tree(params_.algorithm, s.X.rows(), s.X.cols());
    if (s.tree) {
      s.kd = detail::KdTree<Scalar, Metric>(s.X, params_.leaf_size, params_.n_threads, stop);
    } else {
      s.brute = detail::BruteIndex<Scalar, Metric>(s.X);
    }
    stop.check();
    state_ = std::move(s);
    if (params_.progress) params_.progress(Progress{"fit", 1, 1, 0.0});
    return *this;
  }

  /** Appends the rows of `X`, with ids next_id(), next_id() + 1, ...; before fit, fit(X). The
   *  new rows are searched like the others at once; see the class comment.
   *  \returns the id of the first new row (0 before fit).
   *  \throws InvalidArgument as fit, if X has another number of features than the index, or
   *  if the ids would pass 2^31 - 1; Cancelled once params().cancellation is cancelled (the
   *  estimator is then unchanged, except that a fitted index may have become dynamic). */
  template <class Derived>
  int add(const Eigen::MatrixBase<Derived>& X) {
    if (!state_) {
      fit(X);
      return 0;
    }
    const detail::Stop stop{&params_.cancellation, "NearestNeighbors::add"};
    stop.check();
    auto& s = *state_;
    detail::check_n_features("NearestNeighbors", n_features_in(), X.cols());
    detail::check_matrix_as<Scalar>(X, "X");
    detail::check_distance_range<Metric, Scalar>(X, X.cols(), "NearestNeighbors::add", "X");
    const int first = next_id();
    if (X.rows() > Eigen::Index(std::numeric_limits<int>::max()) - first) {
      detail::fail("X has ", X.rows(), " rows; NearestNeighbors ids stop at 2^31 - 1 (next id ",
                   first, ")");
    }
    RowMatrix<Scalar> Xs;
    detail::assign_polled(Xs, X, stop);
    make_dynamic(s);
    s.dynamic->add(Xs, params_.n_threads, stop);
    return first;
  }

  /** Removes the live rows with the given ids (an empty list changes nothing). Pass a
   *  `std::vector<int>` or `{v.data(), size}` of an `Eigen::VectorXi`.
   *  \returns `*this`.
   *  \throws NotFittedError before fit; InvalidArgument naming an id that was never assigned,
   *  was already removed or is listed twice (the index is then unchanged). Removing every row
   *  is allowed: kneighbors then throws (k > n_samples_fit() = 0) until rows are added. */
  NearestNeighbors& remove(std::span<const int> ids) {
    detail::check_fitted(state_.has_value(), "NearestNeighbors");
    auto& s = *state_;
    if (ids.empty()) return *this;
    if (!s.dynamic) {
      // Validate against the static index before taking it over.
      const int n = static_cast<int>(s.X.rows());
      std::vector<int> sorted(ids.begin(), ids.end());
      std::sort(sorted.begin(), sorted.end());
      for (std::size_t i = 1; i < sorted.size(); ++i) {
        if (sorted[i] == sorted[i - 1])
          detail::fail("NearestNeighbors::remove: id ", sorted[i], " is listed twice");
      }
      for (const int id : ids) {
        if (id < 0 || id >= n) {
          detail::fail("NearestNeighbors::remove: id ", id, " was never assigned (ids are 0 to ",
                       n - 1, ")");
        }
      }
    }
    make_dynamic(s);
    s.dynamic->remove(ids, params_.n_threads);
    return *this;
  }

  /** The id the next added row gets: one above the largest id ever assigned.
   *  \throws NotFittedError before fit. */
  [[nodiscard]] int next_id() const {
    const auto& s = state();
    return s.dynamic ? s.dynamic->next_id() : static_cast<int>(s.X.rows());
  }

  /** The live rows in increasing id order (the fitted rows until add or remove is called).
   *  \throws NotFittedError before fit. */
  [[nodiscard]] RowMatrix<Scalar> live_rows() const {
    const auto& s = state();
    return s.dynamic ? s.dynamic->live_rows().first : s.X;
  }

  /** The ids of live_rows(), increasing. \throws NotFittedError before fit. */
  [[nodiscard]] Eigen::VectorXi live_ids() const {
    const auto& s = state();
    if (!s.dynamic)
      return Eigen::VectorXi::LinSpaced(s.X.rows(), 0, static_cast<int>(s.X.rows()) - 1);
    const auto ids = s.dynamic->live_rows().second;
    return Eigen::Map<const Eigen::VectorXi>(ids.data(), static_cast<Eigen::Index>(ids.size()));
  }

  /** The `k` nearest training rows of every row of `Q`.
   *  \throws NotFittedError before fit; InvalidArgument if k < 1, k > n_samples_fit(), Q is
   *  empty, has a non-finite value or a different number of features; Cancelled once
   *  params().cancellation is cancelled. */
  template <class Derived>
  [[nodiscard]] Neighbors<Scalar> kneighbors(const Eigen::MatrixBase<Derived>& Q, int k) const {
    const auto& s = state();
    detail::check_n_features("NearestNeighbors", n_features_in(), Q.cols());
    detail::check_matrix_as<Scalar>(Q, "X");
    detail::check_distance_range<Metric, Scalar>(Q, Q.cols(), "NearestNeighbors::kneighbors", "X");
    check_k(k, n_samples_fit(), false);
    const RowMatrix<Scalar> Qs = Q.template cast<Scalar>();
    return search(s, Qs, k, false);
  }

  /** The `k` nearest training rows of one query `x`, into `ws` (`ws.indices()`,
   *  `ws.distances()`): the same neighbours and distances, bit for bit, as row 0 of
   *  `kneighbors(x, k)`, single-threaded and allocation-free once `ws` has grown (its first use).
   *  Brute force streams the training set once; the k-d tree descends as the batch search does.
   *  \throws as kneighbors, and InvalidArgument if x is not one row. */
  template <class Derived>
  void kneighbors_one(const Eigen::MatrixBase<Derived>& x, int k,
                      QueryWorkspace<Scalar>& ws) const {
    const auto& s = state();
    detail::check_one_row(x.rows(), x.cols(), "NearestNeighbors::kneighbors_one");
    detail::check_n_features("NearestNeighbors", n_features_in(), x.size());
    detail::check_finite_as<Scalar>(x, "x");
    detail::check_distance_range<Metric, Scalar>(x, n_features_in(),
                                                 "NearestNeighbors::kneighbors_one", "x");
    check_k(k, n_samples_fit(), false);
    const Eigen::Index d = n_features_in();
    ws.reserve(d, k, s.tree ? 0 : detail::BruteIndex<Scalar, Metric>::one_query_buffer(d));
    for (Eigen::Index j = 0; j < d; ++j) {
      ws.query_(0, j) = static_cast<Scalar>(x.rows() == 1 ? x.coeff(0, j) : x.coeff(j, 0));
    }
    const Scalar* q = ws.query_.data();
    if (s.dynamic) {
      s.dynamic->search_one(q, k, ws.values_.data(), ws.indices_.data(), ws.buffer_.data());
    } else if (s.tree) {
      s.kd.search_one(q, k, ws.values_.data(), ws.indices_.data());
    } else {
      s.brute.search_one(s.X, q, k, ws.values_.data(), ws.indices_.data(), ws.buffer_.data());
    }
    // As finalize_neighbors: exact distances, sorted by (distance, index).
    const auto kk = static_cast<std::size_t>(k);
    for (std::size_t j = 0; j < kk; ++j) {
      const int idx = ws.indices_[j];
      ws.pairs_[j] = {s.dynamic ? s.dynamic->distance_to(ws.query_.row(0), idx)
                                : Metric::distance(ws.query_.row(0), s.X.row(idx)),
                      idx};
    }
    std::sort(ws.pairs_.begin(), ws.pairs_.begin() + static_cast<std::ptrdiff_t>(kk));
    for (std::size_t j = 0; j < kk; ++j) {
      ws.distances_[j] = ws.pairs_[j].first;
      ws.indices_[j] = ws.pairs_[j].second;
    }
  }

  /** `kneighbors(Q, params().n_neighbors)`. */
  template <class Derived>
  [[nodiscard]] Neighbors<Scalar> kneighbors(const Eigen::MatrixBase<Derived>& Q) const {
    return kneighbors(Q, params_.n_neighbors);
  }

  /** Leave-one-out: the `k` nearest *other* training rows of every training row (scikit-learn's
   *  `kneighbors(X=None)`): row i never lists itself, though exact duplicates of it may appear
   *  at distance 0.
   *  \throws NotFittedError before fit; InvalidArgument if k < 1 or k > n_samples_fit() - 1. */
  [[nodiscard]] Neighbors<Scalar> kneighbors(int k) const {
    const auto& s = state();
    check_k(k, n_samples_fit(), true);
    if (s.dynamic) return leave_one_out_dynamic(*s.dynamic, k);
    return search(s, s.X, k, true);
  }

  /** Leave-one-out with `params().n_neighbors`. */
  [[nodiscard]] Neighbors<Scalar> kneighbors() const { return kneighbors(params_.n_neighbors); }

  /** True once fit has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** Number of training rows: the live rows after add or remove. */
  [[nodiscard]] Eigen::Index n_samples_fit() const {
    const auto& s = state();
    return s.dynamic ? s.dynamic->n_live() : s.X.rows();
  }
  /** Number of features seen by fit. */
  [[nodiscard]] Eigen::Index n_features_in() const {
    const auto& s = state();
    return s.dynamic ? s.dynamic->n_features() : s.X.cols();
  }
  /** The algorithm fit chose (never `automatic`). */
  [[nodiscard]] Algorithm fitted_algorithm() const {
    return state().tree ? Algorithm::kd_tree : Algorithm::brute;
  }
  /** The stored training rows (row-major copy in Scalar).
   *  \throws NotFittedError before fit; InvalidArgument after add or remove (use live_rows()
   *  and live_ids()). */
  [[nodiscard]] const RowMatrix<Scalar>& fit_X() const {
    const auto& s = state();
    if (s.dynamic) {
      detail::fail(
          "NearestNeighbors::fit_X() is not available after add() or remove(); use "
          "live_rows() and live_ids()");
    }
    return s.X;
  }

 private:
  static Params validated(const Params& p) {
    detail::check_param(p.n_neighbors >= 1, "n_neighbors", p.n_neighbors, ">= 1");
    detail::check_param(p.leaf_size >= 1, "leaf_size", p.leaf_size, ">= 1");
    detail::check_param(p.n_threads >= 0, "n_threads", p.n_threads, ">= 0 (0 = all cores)");
    const int a = static_cast<int>(p.algorithm);
    detail::check_param(a >= 0 && a <= 2, "algorithm", a, "automatic, brute or kd_tree");
    return p;
  }

  static void check_k(int k, Eigen::Index n, bool leave_one_out) {
    detail::check_param(k >= 1, "n_neighbors", k, ">= 1");
    if (leave_one_out && k > n - 1) {
      detail::fail("n_neighbors must be <= n_samples_fit - 1 = ", n - 1,
                   " when querying the training set without each point itself (got ", k, ")");
    }
    if (k > n) {
      detail::fail("n_neighbors must be <= n_samples_fit = ", n, " (got ", k, ")");
    }
  }

  /** The search, in batches of 4096 queries with a progress report after each when a callback
   *  is set (each query's result does not depend on the batches). */
  Neighbors<Scalar> search(const detail::NearestNeighborsState<Scalar, Metric>& s,
                           const RowMatrix<Scalar>& Q, int k, bool leave_one_out) const {
    const detail::Stop stop{&params_.cancellation, "NearestNeighbors::kneighbors"};
    stop.check();
    const Eigen::Index m = Q.rows();
    const auto size = static_cast<std::size_t>(m) * static_cast<std::size_t>(k);
    // The outputs of a big query take a while to fault in (96 MB for 250k queries x 32 in
    // double: 0.25 s in 4 KiB pages on a VM): hinted for huge pages and filled in polled blocks.
    std::vector<Scalar> values;
    std::vector<int> indices;
    detail::zero_fill_polled(values, size, stop);
    detail::zero_fill_polled(indices, size, stop);
    constexpr Eigen::Index batch = 4096;
    if (!params_.progress || leave_one_out || m <= batch) {
      search_rows(s, Q, k, leave_one_out, values.data(), indices.data(), stop);
      if (params_.progress) params_.progress(Progress{"kneighbors", size_of(m), size_of(m), 0.0});
    } else {
      for (Eigen::Index b0 = 0; b0 < m; b0 += batch) {
        const Eigen::Index len = std::min(batch, m - b0);
        const RowMatrix<Scalar> Qb = Q.middleRows(b0, len);
        search_rows(s, Qb, k, false, values.data() + b0 * k, indices.data() + b0 * k, stop);
        params_.progress(Progress{"kneighbors", size_of(b0 + len), size_of(m), 0.0});
      }
    }
    if (s.dynamic) {
      Neighbors<Scalar> out;
      s.dynamic->finalize(Q, k, indices, params_.n_threads, out.indices, out.distances);
      return out;
    }
    return detail::finalize_neighbors<Scalar, Metric>(s.X, Q, k, indices, params_.n_threads);
  }

  /** Hands the fitted rows and index over to a DynamicIndex (moved, not rebuilt), once. */
  void make_dynamic(detail::NearestNeighborsState<Scalar, Metric>& s) {
    if (s.dynamic) return;
    s.dynamic.emplace(std::move(s.X), s.tree, std::move(s.kd), std::move(s.brute),
                      params_.leaf_size);
    s.X = RowMatrix<Scalar>();
  }

  /** Leave-one-out over the live rows of a dynamic index: the k + 1 nearest live rows of each
   *  live row, less the row itself (or, when k + 1 exact duplicates with lower ids crowd it
   *  out, the last one) - the k nearest others by (distance, id). */
  Neighbors<Scalar> leave_one_out_dynamic(const detail::DynamicIndex<Scalar, Metric>& dyn,
                                          int k) const {
    auto [X, ids] = dyn.live_rows();
    const Neighbors<Scalar> all = search(*state_, X, k + 1, false);
    Neighbors<Scalar> out{Eigen::MatrixXi(X.rows(), k), Matrix<Scalar>(X.rows(), k)};
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      const int self = ids[static_cast<std::size_t>(i)];
      int j = 0;
      for (int c = 0; c <= k && j < k; ++c) {
        if (all.indices(i, c) == self) continue;
        out.indices(i, j) = all.indices(i, c);
        out.distances(i, j) = all.distances(i, c);
        ++j;
      }
    }
    return out;
  }

  static std::size_t size_of(Eigen::Index v) { return static_cast<std::size_t>(v); }

  void search_rows(const detail::NearestNeighborsState<Scalar, Metric>& s,
                   const RowMatrix<Scalar>& Q, int k, bool leave_one_out, Scalar* values,
                   int* indices, const detail::Stop& stop) const {
    if (s.dynamic) {
      s.dynamic->search(Q, k, params_.n_threads, values, indices, stop);
    } else if (s.tree) {
      s.kd.search(Q, k, leave_one_out, params_.n_threads, values, indices, stop);
    } else {
      s.brute.search(s.X, Q, k, leave_one_out, params_.n_threads, values, indices, {}, stop);
    }
  }

  const detail::NearestNeighborsState<Scalar, Metric>& state() const {
    detail::check_fitted(state_.has_value(), "NearestNeighbors");
    return *state_;
  }

  friend struct dist::detail::ShardSearch;
  friend struct detail::Serial;

  /** A fitted estimator over rows `X` with ids `ids` (increasing, below next_id) searched by
   *  a k-d tree (`tree`) or brute force, for load. */
  void restore(RowMatrix<Scalar>&& X, std::vector<int>&& ids, int next_id, bool tree) {
    detail::NearestNeighborsState<Scalar, Metric> s;
    s.tree = tree;
    s.dynamic.emplace(std::move(X), std::move(ids), next_id, s.tree, params_.leaf_size,
                      params_.n_threads);
    state_ = std::move(s);
  }

  Params params_{};
  std::optional<detail::NearestNeighborsState<Scalar, Metric>> state_;
};

OSPREY_NAMESPACE_END

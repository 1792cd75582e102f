/** \file
 *  Exact k-nearest-neighbour search: `NearestNeighbors<Scalar, Metric>`, with scikit-learn's
 *  semantics (rows are samples; neighbours sorted by increasing distance; ties by lower index).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
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
#include "detail/exact_search.hpp"
#include "detail/kd_tree.hpp"
#include "metrics.hpp"
#include "results.hpp"

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

namespace dist::detail {
struct ShardSearch;  // dist/nearest_neighbors.hpp: a shard's candidates with their search keys
}  // namespace dist::detail

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
    if constexpr (detail::normalizes_rows<Metric>) {
      s.raw = s.X;
      detail::normalize_rows(s.X, "NearestNeighbors::fit", "X");
    }
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
  int add(const Eigen::MatrixBase<Derived>& X) requires(!detail::normalizes_rows<Metric>) {
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
  NearestNeighbors& remove(std::span<const int> ids) requires(!detail::normalizes_rows<Metric>) {
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
    return s.dynamic ? s.dynamic->live_rows().first : distance_rows(s);
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
    if constexpr (detail::normalizes_rows<Metric>) {
      return search(s, detail::unit_rows(Qs, "NearestNeighbors::kneighbors"), k, false, Qs);
    } else {
      return search(s, Qs, k, false, Qs);
    }
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
    if constexpr (detail::normalizes_rows<Metric>) {
      const Scalar norm = detail::robust_norm(ws.query_.row(0));
      if (!(norm > Scalar(0))) {
        detail::fail(
            "NearestNeighbors::kneighbors_one: x is zero; the cosine metric needs a "
            "direction");
      }
      ws.unit_.row(0) = ws.query_.row(0) / norm;
      q = ws.unit_.data();
    }
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
                                : Metric::distance(ws.query_.row(0), distance_rows(s).row(idx)),
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
    return search(s, s.X, k, true, distance_rows(s));
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
  /** The stored training rows as given to fit (row-major copy in Scalar; for Cosine the
   *  searches run on a second, normalised copy).
   *  \throws NotFittedError before fit; InvalidArgument after add or remove (use live_rows()
   *  and live_ids()). */
  [[nodiscard]] const RowMatrix<Scalar>& fit_X() const {
    const auto& s = state();
    if (s.dynamic) {
      detail::fail(
          "NearestNeighbors::fit_X() is not available after add() or remove(); use "
          "live_rows() and live_ids()");
    }
    return distance_rows(s);
  }

  /** Every training row within distance `radius` of each row of `Q` (distance <= radius, as
   *  scikit-learn's `radius_neighbors`), sorted by distance (ties by lower index), in CSR form.
   *  Exact on raw data: a row is in the result when its distance, computed as the result reports
   *  it, is at most `radius`; the kernels only propose candidates (brute force within the norm
   *  expansion's error bound of the radius, the k-d tree by its box bounds). Results do not
   *  depend on the thread count.
   *  \throws NotFittedError before fit; InvalidArgument if radius is negative or not finite, Q
   *  is empty, has a non-finite value or a different number of features (for Cosine, a zero
   *  row); Cancelled once params().cancellation is cancelled. */
  template <class Derived>
  [[nodiscard]] RadiusNeighbors<Scalar> radius_neighbors(const Eigen::MatrixBase<Derived>& Q,
                                                         double radius) const {
    const auto& s = state();
    const RowMatrix<Scalar> Qs = radius_queries(s, Q, radius, "NearestNeighbors::radius_neighbors");
    if constexpr (detail::normalizes_rows<Metric>) {
      return radius_search(s, detail::unit_rows(Qs, "NearestNeighbors::radius_neighbors"), Qs,
                           radius);
    } else {
      return radius_search(s, Qs, Qs, radius);
    }
  }

  /** Leave-one-out: every *other* training row within `radius` of each training row
   *  (scikit-learn's `radius_neighbors(X=None)`); row i never lists itself.
   *  \throws NotFittedError before fit; InvalidArgument if radius is negative or not finite. */
  [[nodiscard]] RadiusNeighbors<Scalar> radius_neighbors(double radius) const {
    const auto& s = state();
    check_radius(radius);
    if (s.dynamic) {
      const auto [X, ids] = s.dynamic->live_rows();
      return radius_search(s, X, X, radius, ids.data());
    }
    return radius_search(s, s.X, distance_rows(s), radius, nullptr, true);
  }

  /** The number of training rows within `radius` of each row of `Q`: the sizes of
   *  radius_neighbors(Q, radius)'s rows, counted without materialising them (memory O(m)).
   *  \throws as radius_neighbors. */
  template <class Derived>
  [[nodiscard]] Eigen::Matrix<Eigen::Index, Eigen::Dynamic, 1> radius_neighbors_count(
      const Eigen::MatrixBase<Derived>& Q, double radius) const {
    const auto& s = state();
    const RowMatrix<Scalar> Qs =
        radius_queries(s, Q, radius, "NearestNeighbors::radius_neighbors_count");
    RowMatrix<Scalar> unit;
    if constexpr (detail::normalizes_rows<Metric>) {
      unit = detail::unit_rows(Qs, "NearestNeighbors::radius_neighbors_count");
    }
    const RowMatrix<Scalar>& Qsearch = detail::normalizes_rows<Metric> ? unit : Qs;
    const Eigen::Index m = Qs.rows();
    Eigen::Matrix<Eigen::Index, Eigen::Dynamic, 1> counts =
        Eigen::Matrix<Eigen::Index, Eigen::Dynamic, 1>::Zero(m);
    const auto r = static_cast<Scalar>(radius);
    radius_candidates(s, Qsearch, radius, [&](Eigen::Index i, int, const auto& x) {
      if (Metric::distance(Qs.row(i), x) <= r) ++counts(i);
    });
    if (params_.progress)
      params_.progress(Progress{"radius_neighbors", size_of(m), size_of(m), 0.0});
    return counts;
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

  /** The training rows distances are computed from: as given to fit. */
  static const RowMatrix<Scalar>& distance_rows(
      const detail::NearestNeighborsState<Scalar, Metric>& s) noexcept {
    return detail::normalizes_rows<Metric> ? s.raw : s.X;
  }

  static void check_radius(double radius) {
    detail::check_param(std::isfinite(radius) && radius >= 0.0, "radius", radius,
                        "finite and >= 0");
  }

  /** Validates a radius query's `Q` and radius; returns Q as Scalar. */
  template <class Derived>
  RowMatrix<Scalar> radius_queries(const detail::NearestNeighborsState<Scalar, Metric>&,
                                   const Eigen::MatrixBase<Derived>& Q, double radius,
                                   const char* who) const {
    detail::check_n_features("NearestNeighbors", n_features_in(), Q.cols());
    detail::check_matrix_as<Scalar>(Q, "X");
    detail::check_distance_range<Metric, Scalar>(Q, Q.cols(), who, "X");
    check_radius(radius);
    return Q.template cast<Scalar>();
  }

  /** detail::radius_candidates with this estimator's threads and cancellation. */
  template <class Visit>
  void radius_candidates(const detail::NearestNeighborsState<Scalar, Metric>& s,
                         const RowMatrix<Scalar>& Q, double radius, Visit&& visit) const {
    const detail::Stop stop{&params_.cancellation, "NearestNeighbors::radius_neighbors"};
    stop.check();
    detail::radius_candidates(s, Q, radius, params_.n_threads, stop, visit);
  }

  /** detail::radius_search with this estimator's threads, cancellation and progress. */
  RadiusNeighbors<Scalar> radius_search(const detail::NearestNeighborsState<Scalar, Metric>& s,
                                        const RowMatrix<Scalar>& Q, const RowMatrix<Scalar>& Qd,
                                        double radius, const int* self = nullptr,
                                        bool self_is_row = false) const {
    const detail::Stop stop{&params_.cancellation, "NearestNeighbors::radius_neighbors"};
    stop.check();
    auto out = detail::radius_search(s, Q, Qd, radius, params_.n_threads, stop, self, self_is_row);
    if (params_.progress) {
      params_.progress(Progress{"radius_neighbors", size_of(Q.rows()), size_of(Q.rows()), 0.0});
    }
    return out;
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
                           const RowMatrix<Scalar>& Q, int k, bool leave_one_out,
                           const RowMatrix<Scalar>& Qd) const {
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
      s.dynamic->finalize(Qd, k, indices, params_.n_threads, out.indices, out.distances);
      return out;
    }
    return detail::finalize_neighbors<Scalar, Metric>(distance_rows(s), Qd, k, indices,
                                                      params_.n_threads);
  }

  /** Hands the fitted rows and index over to a DynamicIndex (moved, not rebuilt), once. */
  void make_dynamic(detail::NearestNeighborsState<Scalar, Metric>& s) {
    if (s.dynamic) return;
    s.dynamic.emplace(std::move(s.X), s.tree, std::move(s.kd), std::move(s.brute),
                      params_.leaf_size);
    s.X = RowMatrix<Scalar>();
  }

  /** Leave-one-out over the live rows of a dynamic index (detail::drop_self). */
  Neighbors<Scalar> leave_one_out_dynamic(const detail::DynamicIndex<Scalar, Metric>& dyn,
                                          int k) const {
    auto [X, ids] = dyn.live_rows();
    return detail::drop_self(search(*state_, X, k + 1, false, X), ids, k);
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

/** \file
 *  Local Outlier Factor (Breunig, Kriegel, Ng & Sander, "LOF: Identifying Density-Based Local
 *  Outliers", SIGMOD 2000) with scikit-learn's semantics: `negative_outlier_factor()` of the
 *  training rows and `fit_predict` in outlier-detection mode (`novelty = false`), or
 *  `score_samples`, `decision_function` and `predict` on new rows in novelty mode
 *  (`novelty = true`). Rows are samples, columns are features.
 *
 *  Built on osprey's exact neighbour search (`NearestNeighbors`, brute force or kd-tree, any
 *  metric policy), so the scores are exact on raw, uncentred data and do not depend on where
 *  the data sit.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/detail/stop.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../neighbors/metrics.hpp"
#include "../neighbors/nearest_neighbors.hpp"
#include "detail/lof_steps.hpp"

OSPREY_NAMESPACE_BEGIN

/** Parameters of `LocalOutlierFactor` (any scalar type and metric), written with designated
 *  initialisers: `osprey::LocalOutlierFactor<> lof({.n_neighbors = 35, .novelty = true});` */
struct LocalOutlierFactorParams {
  /** Neighbours k (>= 1). A training set of n <= k rows uses k = n - 1, as scikit-learn does
   *  (it warns; osprey reports the k used in `n_neighbors_used()`). */
  int n_neighbors = 20;
  /** Search structure of the neighbour queries (results do not depend on it). */
  Algorithm algorithm = Algorithm::automatic;
  /** kd-tree leaf size (>= 1). */
  int leaf_size = 32;
  /** Expected fraction of outliers in (0, 0.5]; empty means auto (offset -1.5, as
   *  scikit-learn's contamination='auto'). */
  std::optional<double> contamination{};
  /** false: outlier detection on the training set (negative_outlier_factor, fit_predict);
   *  true: novelty detection on new rows (score_samples, decision_function, predict). */
  bool novelty = false;
  /** Threads for the searches and the density passes; 0 = max_threads(). */
  int n_threads = 0;
  /** Stops fit and the scoring methods (they throw `Cancelled`) once cancelled; copies of the
   *  Params (and of the estimator) share the token. */
  CancellationToken cancellation{};
  /** Optional progress of the neighbour searches (as NearestNeighborsParams::progress), called
   *  from the calling thread. */
  ProgressCallback progress{};
};

/** Local Outlier Factor anomaly detector with scikit-learn's conventions.
 *
 *  \code
 *  osprey::LocalOutlierFactor<> lof({.n_neighbors = 20});
 *  Eigen::VectorXi labels = lof.fit_predict(X);            // +1 inlier, -1 outlier
 *  osprey::Vector<double> nof = lof.negative_outlier_factor();  // about -1 for inliers
 *
 *  osprey::LocalOutlierFactor<> novel({.novelty = true});
 *  novel.fit(X_clean);
 *  auto s = novel.score_samples(Q);                        // new rows only
 *  \endcode
 *
 *  With k = `n_neighbors_used()`, `N(p)` the k nearest training rows of p (a training row
 *  never counting itself) and `kdist(o)` the distance of a training row o to its k-th nearest
 *  other row: reach(p, o) = max(d(p, o), kdist(o)); lrd(p) = 1 / (mean_{o in N(p)} reach(p, o)
 *  + 1e-10); the score is `-mean_{o in N(p)} lrd(o) / lrd(p)` (near -1 for inliers, lower for
 *  outliers). The 1e-10 is scikit-learn's: a row with k or more exact duplicates has every
 *  reachability distance 0 and a density of 1e10, so the duplicates score -1 among themselves
 *  and a row whose neighbours are such duplicates scores about -1e10 / lrd(p).
 *
 *  Ties: where the k-th and the (k+1)-th nearest rows are at the same distance, which of them
 *  is a neighbour changes the score. osprey then replays scikit-learn's brute-force selection
 *  (every training row offered in index order to a bounded heap, detail::replay_heap_selection),
 *  O(n d) for each such query, so the neighbour sets are scikit-learn's `algorithm='brute'`
 *  ones. scikit-learn's trees (its default `auto` picks kd_tree below 16 features) visit rows in
 *  another order and may break the same tie otherwise; on continuous data there are no ties.
 *
 *  `offset()` is -1.5 for contamination auto, else numpy's linear percentile of the training
 *  scores at 100 contamination; `decision_function = score_samples - offset()`, negative for
 *  outliers.
 *
 *  \tparam ScalarT float or double: data, distances and returned scores (densities and factors
 *          are computed in double).
 *  \tparam Metric a `DistanceMetric` (Euclidean, Manhattan, Chebyshev, Minkowski<P>, ...).
 *
 *  Complexity: fit is one leave-one-out k+1-neighbour search of the training set (brute force
 *  O(n^2 d), kd-tree ~O(n log n) in low dimension) plus O(n k); scoring m rows one k+1 search
 *  plus O(m k); a tied query adds O(n d). Memory O(n (d + k)).
 *  Thread safety: const methods may run concurrently; results are identical on any n_threads.
 */
template <class ScalarT = double, class Metric = Euclidean>
class LocalOutlierFactor {
  static_assert(DistanceMetric<Metric>, "Metric must satisfy osprey::DistanceMetric");
  static_assert(std::is_floating_point_v<ScalarT>, "ScalarT must be float or double");

 public:
  using Scalar = ScalarT;                   ///< type of the data, distances and scores
  using MetricType = Metric;                ///< the distance policy
  using Params = LocalOutlierFactorParams;  ///< the parameters

  /** A detector with default parameters. */
  LocalOutlierFactor() = default;
  /** \throws InvalidArgument if a parameter is out of range (message names it and its value). */
  explicit LocalOutlierFactor(const Params& params) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters; the detector becomes unfitted.
   *  \returns `*this`. \throws InvalidArgument as the constructor. */
  LocalOutlierFactor& set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
    return *this;
  }

  /** Replaces how calls run - `n_threads`, `cancellation`, `progress` (an `Execution`) - and,
   *  unlike set_params, keeps the fit: for a loaded model (these are not saved) or to give a
   *  fitted one a new token. \returns `*this`. \throws InvalidArgument if n_threads < 0. */
  LocalOutlierFactor& set_execution(const Execution& execution) {
    detail::apply_execution(params_, execution);
    if (state_) state_->nn.set_execution(execution);
    return *this;
  }

  /** Fits on X (rows are samples): the training rows' neighbours, k-distances, densities,
   *  `negative_outlier_factor()` and `offset()`, in either mode.
   *  \throws InvalidArgument if X has fewer than 2 rows or a non-finite value (naming row and
   *  column); Cancelled once params().cancellation is cancelled. On a throw the detector keeps
   *  its previous state. */
  template <class Derived>
  LocalOutlierFactor& fit(const Eigen::MatrixBase<Derived>& X) {
    const detail::Stop stop{&params_.cancellation, "LocalOutlierFactor::fit"};
    detail::check_matrix_as<Scalar>(X, "X");
    if (X.rows() < 2) {
      detail::fail("LocalOutlierFactor needs at least 2 rows in X (got ", X.rows(), ")");
    }
    State s;
    s.nn.set_params(search_params());
    detail::cancelled_as("LocalOutlierFactor", "fit", [&] { s.nn.fit(X); });
    const Eigen::Index n = s.nn.n_samples_fit();
    s.k = static_cast<int>(std::min<Eigen::Index>(params_.n_neighbors, n - 1));
    // One neighbour more than k where there is one, to see a tie at the k-th.
    const int k_query = s.k + 1 <= n - 1 ? s.k + 1 : s.k;
    Neighbors<Scalar> nb =
        detail::cancelled_as("LocalOutlierFactor", "fit", [&] { return s.nn.kneighbors(k_query); });
    const auto& X_fit = s.nn.fit_X();
    detail::resolve_tied_neighbors<Scalar, Metric>(X_fit, X_fit, s.k, true, nb, params_.n_threads,
                                                   stop);
    s.k_distance = nb.distances.col(s.k - 1);
    s.lrd = detail::reachability_density(nb, s.k, s.k_distance, params_.n_threads);
    s.nof = detail::negated_outlier_factor(nb, s.k, s.lrd, s.lrd, params_.n_threads);
    s.offset = params_.contamination
                   ? detail::numpy_percentile(std::vector<double>(s.nof.begin(), s.nof.end()),
                                              *params_.contamination)
                   : -1.5;
    state_ = std::move(s);
    return *this;
  }

  /** Outlier detection: fits on X and labels its rows, +1 inlier, -1 outlier
   *  (`negative_outlier_factor() < offset()`).
   *  \throws InvalidArgument (naming `novelty`) when params().novelty is true - novelty
   *  detection labels new rows with predict - and as fit. */
  template <class Derived>
  Eigen::VectorXi fit_predict(const Eigen::MatrixBase<Derived>& X) {
    if (params_.novelty) {
      detail::fail(
          "LocalOutlierFactor::fit_predict is only available with novelty = false (got novelty "
          "= true); in novelty mode fit on clean data, then predict new rows");
    }
    fit(X);
    const State& s = *state_;
    Eigen::VectorXi out(s.nof.size());
    for (Eigen::Index i = 0; i < out.size(); ++i) out(i) = s.nof(i) < s.offset ? -1 : 1;
    return out;
  }

  /** The negated outlier factor of every training row, in training order (scikit-learn's
   *  `negative_outlier_factor_`): about -1 for inliers, lower for outliers. Either mode.
   *  \throws NotFittedError before fit. */
  [[nodiscard]] Vector<Scalar> negative_outlier_factor() const {
    return state().nof.template cast<Scalar>();
  }

  /** Novelty detection: the negated outlier factor of each row of X against the training set
   *  (higher = more normal). A row equal to a training row is scored as a new point, its
   *  twin counting among its neighbours.
   *  \throws InvalidArgument (naming `novelty`) when params().novelty is false - outlier
   *  detection scores the training rows, negative_outlier_factor() - or when X has a
   *  non-finite value or a different number of features; NotFittedError before fit;
   *  Cancelled once params().cancellation is cancelled. Complexity: one k+1 search of X. */
  template <class Derived>
  [[nodiscard]] Vector<Scalar> score_samples(const Eigen::MatrixBase<Derived>& X) const {
    return scores(X, "score_samples").template cast<Scalar>();
  }

  /** `score_samples(X) - offset()`: negative for outliers. \throws as score_samples. */
  template <class Derived>
  [[nodiscard]] Vector<Scalar> decision_function(const Eigen::MatrixBase<Derived>& X) const {
    const Vector<double> s = scores(X, "decision_function");
    return (s.array() - state().offset).matrix().template cast<Scalar>();
  }

  /** +1 for inliers, -1 for outliers (`decision_function < 0`, in double).
   *  \throws as score_samples. */
  template <class Derived>
  [[nodiscard]] Eigen::VectorXi predict(const Eigen::MatrixBase<Derived>& X) const {
    const Vector<double> s = scores(X, "predict");
    const double offset = state().offset;
    Eigen::VectorXi out(s.size());
    for (Eigen::Index i = 0; i < s.size(); ++i) out(i) = s(i) - offset < 0.0 ? -1 : 1;
    return out;
  }

  /** True once fit (or load) has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** The threshold on the scores: -1.5 for contamination auto, else the contamination
   *  percentile of negative_outlier_factor() (numpy's linear method). */
  [[nodiscard]] double offset() const { return state().offset; }
  /** The k used: min(n_neighbors, n_samples_fit() - 1) (scikit-learn's `n_neighbors_`). */
  [[nodiscard]] int n_neighbors_used() const { return state().k; }
  /** Number of training rows. */
  [[nodiscard]] Eigen::Index n_samples_fit() const { return state().nn.n_samples_fit(); }
  /** Number of features seen by fit. */
  [[nodiscard]] Eigen::Index n_features_in() const { return state().nn.n_features_in(); }
  /** Local reachability density of every training row (scikit-learn's private `_lrd`). */
  [[nodiscard]] const Vector<double>& local_reachability_density() const { return state().lrd; }
  /** Distance of every training row to its k-th nearest other training row. */
  [[nodiscard]] const Vector<Scalar>& k_distance() const { return state().k_distance; }
  /** The search algorithm fit chose (never `automatic`). */
  [[nodiscard]] Algorithm fitted_algorithm() const { return state().nn.fitted_algorithm(); }
  /** The training rows (row-major copy in Scalar). */
  [[nodiscard]] const RowMatrix<Scalar>& fit_X() const { return state().nn.fit_X(); }

 private:
  using State = detail::LocalOutlierFactorState<Scalar, Metric>;

  static Params validated(const Params& p) {
    detail::check_param(p.n_neighbors >= 1, "n_neighbors", p.n_neighbors, ">= 1");
    const int a = static_cast<int>(p.algorithm);
    detail::check_param(a >= 0 && a <= 2, "algorithm", a, "automatic, brute or kd_tree");
    detail::check_param(p.leaf_size >= 1, "leaf_size", p.leaf_size, ">= 1");
    if (p.contamination) {
      const double c = *p.contamination;
      detail::check_param(c > 0.0 && c <= 0.5, "contamination", c,
                          "in (0, 0.5] (or empty for auto)");
    }
    detail::check_param(p.n_threads >= 0, "n_threads", p.n_threads, ">= 0 (0 = all)");
    return p;
  }

  /** The search's parameters, from ours. */
  [[nodiscard]] NearestNeighborsParams search_params() const {
    return {.n_neighbors = params_.n_neighbors,
            .algorithm = params_.algorithm,
            .leaf_size = params_.leaf_size,
            .n_threads = params_.n_threads,
            .cancellation = params_.cancellation,
            .progress = params_.progress};
  }

  /** The scores of new rows (novelty mode), in double. */
  template <class Derived>
  [[nodiscard]] Vector<double> scores(const Eigen::MatrixBase<Derived>& X,
                                      const char* method) const {
    if (!params_.novelty) {
      detail::fail("LocalOutlierFactor::", method,
                   " is only available with novelty = true (got novelty = false); in outlier "
                   "detection mode use fit_predict or negative_outlier_factor()");
    }
    const State& s = state();
    detail::check_n_features("LocalOutlierFactor", s.nn.n_features_in(), X.cols());
    detail::check_matrix_as<Scalar>(X, "X");
    const detail::Stop stop{&params_.cancellation, "LocalOutlierFactor::score_samples"};
    const Eigen::Index n = s.nn.n_samples_fit();
    const int k_query = static_cast<int>(std::min<Eigen::Index>(s.k + 1, n));
    const RowMatrix<Scalar> Q = X.template cast<Scalar>();
    Neighbors<Scalar> nb = detail::cancelled_as("LocalOutlierFactor", method,
                                                [&] { return s.nn.kneighbors(Q, k_query); });
    detail::cancelled_as("LocalOutlierFactor", method, [&] {
      detail::resolve_tied_neighbors<Scalar, Metric>(s.nn.fit_X(), Q, s.k, false, nb,
                                                     params_.n_threads, stop);
    });
    const Vector<double> lrd =
        detail::reachability_density(nb, s.k, s.k_distance, params_.n_threads);
    return detail::negated_outlier_factor(nb, s.k, s.lrd, lrd, params_.n_threads);
  }

  const State& state() const {
    detail::check_fitted(state_.has_value(), "LocalOutlierFactor");
    return *state_;
  }

  friend struct detail::Serial;

  Params params_{};
  std::optional<State> state_;
};

OSPREY_NAMESPACE_END

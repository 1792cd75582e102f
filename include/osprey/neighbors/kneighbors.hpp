/** \file
 *  k-nearest-neighbour estimators with scikit-learn's semantics: `KNeighborsClassifier` (vote of
 *  the k nearest training labels) and `KNeighborsRegressor` (mean of their targets), both over
 *  `NearestNeighbors` and any metric policy.
 *
 *  Weights: `uniform` counts each neighbour once; `distance` weighs neighbour j by 1 / d_j, and
 *  when some neighbours are at distance exactly 0 they share all the weight equally (scikit-learn's
 *  rule, which avoids dividing by zero). Optional sample weights (fit's last argument) multiply
 *  each neighbour's vote; rows of weight 0 are dropped at fit. Reference: Cover & Hart, "Nearest
 * neighbor pattern classification", IEEE Trans. Inf. Theory 13 (1967).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/detail/stop.hpp"
#include "../core/parallel.hpp"
#include "../core/sample_weight.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "nearest_neighbors.hpp"

OSPREY_NAMESPACE_BEGIN

/** Parameters of `KNeighborsClassifier` and `KNeighborsRegressor`, written with designated
 *  initialisers: `osprey::KNeighborsClassifier<> knn({.n_neighbors = 7});`. */
struct KNeighborsParams {
  int n_neighbors = 5;                         ///< k
  Weights weights = Weights::uniform;          ///< vote or averaging weights
  Algorithm algorithm = Algorithm::automatic;  ///< search structure
  int leaf_size = 32;                          ///< kd-tree leaf size
  int n_threads = 0;                           ///< threads (0 = max_threads())
  /** Stops fit, predict, predict_proba and kneighbors (they throw `Cancelled`) once
   *  cancelled; copies of the Params (and of the estimator) share the token. */
  CancellationToken cancellation{};
  /** Optional progress of the neighbour search (as NearestNeighborsParams::progress), called
   *  from the calling thread. */
  ProgressCallback progress{};
};

namespace detail {

/** Weights of one query's k neighbours (row `i` of `distances`) into `w` (size k). */
template <class S>
void neighbor_weights(Weights weights, const Matrix<S>& distances, Eigen::Index i,
                      std::vector<double>& w) {
  const Eigen::Index k = distances.cols();
  w.assign(static_cast<std::size_t>(k), 1.0);
  if (weights == Weights::uniform) return;
  bool any_zero = false;
  for (Eigen::Index j = 0; j < k; ++j) any_zero = any_zero || distances(i, j) == S(0);
  for (Eigen::Index j = 0; j < k; ++j) {
    const double d = static_cast<double>(distances(i, j));
    w[static_cast<std::size_t>(j)] = any_zero ? (d == 0.0 ? 1.0 : 0.0) : 1.0 / d;
  }
}

inline void check_knn_params(int n_neighbors, Weights weights, Algorithm algorithm, int leaf_size,
                             int n_threads) {
  check_param(n_neighbors >= 1, "n_neighbors", n_neighbors, ">= 1");
  const int w = static_cast<int>(weights);
  check_param(w == 0 || w == 1, "weights", w, "uniform or distance");
  const int a = static_cast<int>(algorithm);
  check_param(a >= 0 && a <= 2, "algorithm", a, "automatic, brute or kd_tree");
  check_param(leaf_size >= 1, "leaf_size", leaf_size, ">= 1");
  check_param(n_threads >= 0, "n_threads", n_threads, ">= 0 (0 = all cores)");
}

inline void check_k_fit(int n_neighbors, Eigen::Index n) {
  if (n_neighbors > n) {
    fail("n_neighbors must be <= n_samples = ", n, " (got ", n_neighbors, ")");
  }
}

template <class S, class Metric>
struct KNeighborsClassifierState {
  NearestNeighbors<S, Metric> nn;
  Eigen::VectorXi classes;       // sorted distinct labels
  Eigen::VectorXi encoded;       // label of each training row as an index into classes
  Vector<double> sample_weight;  // weight of each stored row (all > 0); empty = unweighted
};

template <class S, class Metric>
struct KNeighborsRegressorState {
  NearestNeighbors<S, Metric> nn;
  Vector<S> y;
  Vector<double> sample_weight;  // weight of each stored row (all > 0); empty = unweighted
};

/** The rows of positive weight, ascending. \throws InvalidArgument naming sample_weight when
 *  there is none. */
[[nodiscard]] inline std::vector<Eigen::Index> positive_rows(const SampleWeight& w) {
  std::vector<Eigen::Index> keep;
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    if (w(i) > 0.0) keep.push_back(i);
  }
  if (keep.empty()) fail("sample_weight must have a positive entry (every row weighs 0)");
  return keep;
}

/** The rows `keep` of X (or of a vector), copied. */
template <class D>
[[nodiscard]] Eigen::Matrix<typename D::Scalar, Eigen::Dynamic, D::ColsAtCompileTime> take_rows(
    const Eigen::MatrixBase<D>& X, const std::vector<Eigen::Index>& keep) {
  Eigen::Matrix<typename D::Scalar, Eigen::Dynamic, D::ColsAtCompileTime> out(
      static_cast<Eigen::Index>(keep.size()), X.cols());
  // Element-wise: X may be an expression without direct access (an indexed view of rows).
  for (std::size_t r = 0; r < keep.size(); ++r) {
    for (Eigen::Index j = 0; j < X.cols(); ++j) {
      out(static_cast<Eigen::Index>(r), j) = X.derived().coeff(keep[r], j);
    }
  }
  return out;
}

/** What KNeighborsClassifier and KNeighborsRegressor share: the parameters and their
 *  validation, the fitted state (a `State` holding the search `nn`), the checks of the training
 *  set, the set-up of the search and `kneighbors`. `Derived` supplies its targets and its
 *  predictions, and its name for error messages (`Derived::estimator_name`). */
template <class Derived, class S, class Metric, class State>
class KNeighborsBase {
 public:
  using Params = KNeighborsParams;  ///< the parameters (namespace-level aggregate)

  KNeighborsBase() = default;
  /** \throws InvalidArgument naming the first bad parameter. */
  explicit KNeighborsBase(const Params& params) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters (validated); the estimator becomes unfitted. */
  Derived& set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
    return static_cast<Derived&>(*this);
  }

  /** Replaces how calls run - `n_threads`, `cancellation`, `progress` (an `Execution`) - and,
   *  unlike set_params, keeps the fit: for a loaded model (these are not saved) or to give a
   *  fitted one a new token. \returns `*this`. \throws InvalidArgument if n_threads < 0. */
  Derived& set_execution(const Execution& execution) {
    detail::apply_execution(params_, execution);
    if (state_) state_->nn.set_execution(execution);
    return static_cast<Derived&>(*this);
  }

  /** The k nearest training rows of every row of Q (see NearestNeighbors::kneighbors). */
  template <class D>
  [[nodiscard]] Neighbors<S> kneighbors(const Eigen::MatrixBase<D>& Q, int k) const {
    return cancelled_as(Derived::estimator_name, "kneighbors",
                        [&] { return state().nn.kneighbors(Q, k); });
  }

  /** True once fit has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** Number of features seen by fit. */
  [[nodiscard]] Eigen::Index n_features_in() const { return state().nn.n_features_in(); }

 protected:
  /** X is a non-empty finite matrix (in S) with one row per target. */
  template <class D>
  static void check_training(const Eigen::MatrixBase<D>& X, Eigen::Index n_targets) {
    check_matrix_as<S>(X, "X");
    check_same_length(X.rows(), n_targets);
  }

  /** n_neighbors is at most the number of training rows. */
  void check_k(Eigen::Index n) const { check_k_fit(params_.n_neighbors, n); }

  /** Fits `s.nn` on X with the parameters' search settings, then makes `s` the fitted state. */
  template <class D>
  Derived& fit_search(State&& s, const Eigen::MatrixBase<D>& X) {
    s.nn.set_params({.n_neighbors = params_.n_neighbors,
                     .algorithm = params_.algorithm,
                     .leaf_size = params_.leaf_size,
                     .n_threads = params_.n_threads,
                     .cancellation = params_.cancellation,
                     .progress = params_.progress});
    cancelled_as(Derived::estimator_name, "fit", [&] { s.nn.fit(X); });
    state_ = std::move(s);
    return static_cast<Derived&>(*this);
  }

  /** The params().n_neighbors nearest training rows of Q, after checking Q's feature count;
   *  a cancelled search throws `Cancelled("<estimator>::<method>: cancelled")`. */
  template <class D>
  [[nodiscard]] Neighbors<S> neighbors_of(const Eigen::MatrixBase<D>& Q,
                                          std::string_view method) const {
    const auto& s = state();
    check_n_features(Derived::estimator_name, s.nn.n_features_in(), Q.cols());
    return cancelled_as(Derived::estimator_name, method,
                        [&] { return s.nn.kneighbors(Q, params_.n_neighbors); });
  }

  /** The params().n_neighbors nearest training rows of one query x into `ws`, and their
   *  weights into its weights_ (the arithmetic of neighbor_weights), with room for `classes`
   *  votes. Returns k. */
  template <class D>
  int neighbors_one(const Eigen::MatrixBase<D>& x, QueryWorkspace<S>& ws,
                    Eigen::Index classes) const {
    const auto& s = state();
    check_one_row(x.rows(), x.cols(), Derived::estimator_name);
    check_n_features(Derived::estimator_name, s.nn.n_features_in(), x.size());
    s.nn.kneighbors_one(x, params_.n_neighbors, ws);
    ws.reserve_votes(classes);
    const auto k = static_cast<std::size_t>(params_.n_neighbors);
    bool any_zero = false;
    for (std::size_t j = 0; j < k; ++j) any_zero = any_zero || ws.distances_[j] == S(0);
    for (std::size_t j = 0; j < k; ++j) {
      const double d = static_cast<double>(ws.distances_[j]);
      ws.weights_[j] = params_.weights == Weights::uniform ? 1.0
                       : any_zero                          ? (d == 0.0 ? 1.0 : 0.0)
                                                           : 1.0 / d;
      if (s.sample_weight.size() != 0) ws.weights_[j] *= s.sample_weight(ws.indices_[j]);
    }
    return params_.n_neighbors;
  }
  /** Multiplies the neighbour weights `w` of query i by the neighbours' sample weights (no-op
   *  when fitted unweighted). */
  void apply_sample_weights(const Neighbors<S>& nb, Eigen::Index i, std::vector<double>& w) const {
    const Vector<double>& sw = state().sample_weight;
    if (sw.size() == 0) return;
    for (Eigen::Index j = 0; j < nb.indices.cols(); ++j) {
      w[static_cast<std::size_t>(j)] *= sw(nb.indices(i, j));
    }
  }

  /** The scratch of `ws`: neighbour indices, weights and vote slots. */
  static const int* ws_indices(const QueryWorkspace<S>& ws) { return ws.indices_.data(); }
  static const double* ws_weights(const QueryWorkspace<S>& ws) { return ws.weights_.data(); }
  static double* ws_votes(QueryWorkspace<S>& ws) { return ws.votes_.data(); }

  /** The fitted state. \throws NotFittedError before fit. */
  const State& state() const {
    check_fitted(state_.has_value(), Derived::estimator_name);
    return *state_;
  }

  Params params_{};
  std::optional<State> state_;

 private:
  static Params validated(const Params& p) {
    check_knn_params(p.n_neighbors, p.weights, p.algorithm, p.leaf_size, p.n_threads);
    return p;
  }
};

}  // namespace detail

/** k-nearest-neighbour classifier (scikit-learn's KNeighborsClassifier).
 *
 *  \code
 *  osprey::KNeighborsClassifier<float, osprey::Euclidean> knn(
 *      {.n_neighbors = 7, .weights = osprey::Weights::distance});
 *  knn.fit(X, y);
 *  Eigen::VectorXi labels = knn.predict(Q);
 *  osprey::Matrix<float> proba = knn.predict_proba(Q);  // columns follow knn.classes()
 *  \endcode
 *
 *  Labels are any ints. predict_proba(Q)(i, c) is the weighted share of the neighbours of query
 *  i whose label is classes()(c); predict takes the largest share, ties going to the smallest
 *  label (scikit-learn's rule).
 *
 *  \tparam ScalarT float or double. \tparam Metric a DistanceMetric.
 *  Complexity: fit as NearestNeighbors::fit; predict is one k-neighbours search plus O(m k).
 *  Thread safety: const methods may run concurrently; results are identical on any n_threads.
 */
template <class ScalarT = double, class Metric = Euclidean>
class KNeighborsClassifier
    : public detail::KNeighborsBase<KNeighborsClassifier<ScalarT, Metric>, ScalarT, Metric,
                                    detail::KNeighborsClassifierState<ScalarT, Metric>> {
  using Base = detail::KNeighborsBase<KNeighborsClassifier<ScalarT, Metric>, ScalarT, Metric,
                                      detail::KNeighborsClassifierState<ScalarT, Metric>>;
  friend Base;
  friend struct detail::Serial;

 public:
  using Scalar = ScalarT;           ///< element type of stored data, distances and probabilities
  using Params = KNeighborsParams;  ///< the parameters (namespace-level aggregate)

  KNeighborsClassifier() = default;
  /** \throws InvalidArgument naming the first bad parameter. */
  explicit KNeighborsClassifier(const Params& params) : Base(params) {}

  /** Stores the training set and its labels.
   *  \param sample_weight optional per-row weights (empty = unweighted): each neighbour's
   *  vote (1, or 1 / distance with Weights::distance) is multiplied by its sample weight, in
   *  predict_proba and predict. Rows of weight 0 are dropped from the index (exactly as if
   *  left out: kneighbors then indexes the rows of positive weight, in their order), so every
   *  neighbourhood has a positive total vote. Integer weights are NOT repeated rows here: w
   *  copies of a row would fill w of the k neighbour slots, a weight multiplies one slot's
   *  vote. Equal weights give the unweighted probabilities (up to rounding).
   *  \throws InvalidArgument if X is empty or non-finite, y's length differs from X's rows,
   *  n_neighbors exceeds the number of rows (of positive weight), or sample_weight has the
   *  wrong length, a negative or non-finite entry or no positive one. */
  template <class Derived>
  KNeighborsClassifier& fit(const Eigen::MatrixBase<Derived>& X,
                            const Eigen::Ref<const Eigen::VectorXi>& y,
                            const SampleWeight& sample_weight = detail::unweighted()) {
    this->check_training(X, y.size());
    detail::check_sample_weight(sample_weight, X.rows());
    if (!detail::is_weighted(sample_weight)) return fit_rows(X, y, Vector<double>());
    const std::vector<Eigen::Index> keep = detail::positive_rows(sample_weight);
    if (static_cast<Eigen::Index>(keep.size()) == X.rows()) return fit_rows(X, y, sample_weight);
    const Eigen::VectorXi y_kept = detail::take_rows(y, keep);
    return fit_rows(detail::take_rows(X, keep), y_kept, detail::take_rows(sample_weight, keep));
  }

  /** Class probabilities, one row per query, columns in classes() order.
   *  \throws NotFittedError before fit; InvalidArgument on a feature-count mismatch, an empty
   *  or non-finite Q; Cancelled once params().cancellation is cancelled. */
  template <class Derived>
  [[nodiscard]] Matrix<Scalar> predict_proba(const Eigen::MatrixBase<Derived>& Q) const {
    const auto& s = this->state();
    const Neighbors<Scalar> nb = this->neighbors_of(Q, "predict_proba");
    const Eigen::Index m = Q.rows();
    const Eigen::Index c = s.classes.size();
    Matrix<Scalar> proba(m, c);
    detail::parallel_for<Eigen::Index>(0, m, this->params_.n_threads, [&](Eigen::Index i) {
      std::vector<double> w, votes;
      const double total = class_votes(nb, i, w, votes);
      for (Eigen::Index l = 0; l < c; ++l) {
        proba(i, l) = static_cast<Scalar>(votes[static_cast<std::size_t>(l)] / total);
      }
    });
    return proba;
  }

  /** Predicted label of every row of Q: the class with the largest weighted vote, ties to the
   *  smallest label. The votes are compared as double sums, before any rounding to Scalar, so
   *  two float probabilities that round equal do not turn a clear majority into a tie.
   *  \throws as predict_proba. */
  template <class Derived>
  [[nodiscard]] Eigen::VectorXi predict(const Eigen::MatrixBase<Derived>& Q) const {
    const auto& s = this->state();
    const Neighbors<Scalar> nb = this->neighbors_of(Q, "predict");
    Eigen::VectorXi out(Q.rows());
    detail::parallel_for<Eigen::Index>(0, Q.rows(), this->params_.n_threads, [&](Eigen::Index i) {
      std::vector<double> w, votes;
      (void)class_votes(nb, i, w, votes);
      std::size_t best = 0;
      for (std::size_t l = 1; l < votes.size(); ++l) {
        if (votes[l] > votes[best]) best = l;
      }
      out(i) = s.classes(static_cast<Eigen::Index>(best));
    });
    return out;
  }

  /** Class probabilities of one query `x` into `out` (classes().size() values): row 0 of
   *  `predict_proba(x)` bit for bit, single-threaded and allocation-free once `ws` has grown.
   *
   *  \code
   *  osprey::QueryWorkspace<float> ws;                   // per thread, reused
   *  Eigen::VectorXf proba(knn.classes().size());
   *  knn.predict_proba_one(x, ws, proba);                // x: one row
   *  \endcode
   *  \param out a vector, or a row or column of a matrix, of classes().size() values.
   *  \throws as predict_proba, and InvalidArgument if x is not one row or out has another
   *  size. */
  template <class Derived>
  void predict_proba_one(const Eigen::MatrixBase<Derived>& x, QueryWorkspace<Scalar>& ws,
                         Eigen::Ref<Vector<Scalar>, 0, Eigen::InnerStride<>> out) const {
    const Eigen::Index c = this->state().classes.size();
    if (out.size() != c) {
      detail::fail("KNeighborsClassifier::predict_proba_one: out must hold ", c,
                   " values, one per class (got ", out.size(), ")");
    }
    const double total = votes_one(x, ws);
    const double* votes = Base::ws_votes(ws);
    for (Eigen::Index l = 0; l < c; ++l) out(l) = static_cast<Scalar>(votes[l] / total);
  }

  /** Predicted label of one query `x`: `predict(x)(0)`, allocation-free once `ws` has grown.
   *  \throws as predict_proba_one. */
  template <class Derived>
  [[nodiscard]] int predict_one(const Eigen::MatrixBase<Derived>& x,
                                QueryWorkspace<Scalar>& ws) const {
    (void)votes_one(x, ws);
    const double* votes = Base::ws_votes(ws);
    const Eigen::Index c = this->state().classes.size();
    Eigen::Index best = 0;
    for (Eigen::Index l = 1; l < c; ++l) {
      if (votes[l] > votes[best]) best = l;
    }
    return this->state().classes(best);
  }

  /** Distinct training labels, ascending: the column order of predict_proba. */
  [[nodiscard]] const Eigen::VectorXi& classes() const { return this->state().classes; }

 private:
  static constexpr const char* estimator_name = "KNeighborsClassifier";

  /** fit on checked rows whose weights `w` are all positive (or empty). */
  template <class Derived>
  KNeighborsClassifier& fit_rows(const Eigen::MatrixBase<Derived>& X,
                                 const Eigen::Ref<const Eigen::VectorXi>& y,
                                 const SampleWeight& w) {
    this->check_k(X.rows());
    detail::KNeighborsClassifierState<Scalar, Metric> s;
    std::vector<int> labels(y.data(), y.data() + y.size());
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    s.classes =
        Eigen::Map<const Eigen::VectorXi>(labels.data(), static_cast<Eigen::Index>(labels.size()));
    s.encoded.resize(y.size());
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      s.encoded(i) =
          static_cast<int>(std::lower_bound(labels.begin(), labels.end(), y(i)) - labels.begin());
    }
    s.sample_weight = w;
    return this->fit_search(std::move(s), X);
  }

  /** The weighted votes of one query x into the workspace's vote slots, summed as
   *  class_votes sums them; returns the total weight. */
  template <class Derived>
  double votes_one(const Eigen::MatrixBase<Derived>& x, QueryWorkspace<Scalar>& ws) const {
    const auto& s = this->state();
    const int k = this->neighbors_one(x, ws, s.classes.size());
    const int* idx = Base::ws_indices(ws);
    const double* w = Base::ws_weights(ws);
    double* votes = Base::ws_votes(ws);
    std::fill(votes, votes + s.classes.size(), 0.0);
    double total = 0.0;
    for (int j = 0; j < k; ++j) {
      votes[s.encoded(idx[j])] += w[j];
      total += w[j];
    }
    return total;
  }

  /** The weighted vote of every class for query i, summed in double (`w` is scratch); returns
   *  the total weight. */
  double class_votes(const Neighbors<Scalar>& nb, Eigen::Index i, std::vector<double>& w,
                     std::vector<double>& votes) const {
    const auto& s = this->state();
    detail::neighbor_weights(this->params_.weights, nb.distances, i, w);
    this->apply_sample_weights(nb, i, w);
    votes.assign(static_cast<std::size_t>(s.classes.size()), 0.0);
    double total = 0.0;
    for (Eigen::Index j = 0; j < nb.indices.cols(); ++j) {
      votes[static_cast<std::size_t>(s.encoded(nb.indices(i, j)))] +=
          w[static_cast<std::size_t>(j)];
      total += w[static_cast<std::size_t>(j)];
    }
    return total;
  }
};

/** k-nearest-neighbour regressor (scikit-learn's KNeighborsRegressor): the (weighted) mean of
 *  the k nearest training targets.
 *
 *  \code
 *  osprey::KNeighborsRegressor<> knn({.n_neighbors = 10, .weights = osprey::Weights::distance});
 *  osprey::Vector<double> yhat = knn.fit(X, y).predict(Q);
 *  \endcode
 *
 *  Targets are double or float vectors (any Eigen expression of either), stored in Scalar.
 *
 *  \tparam ScalarT float or double. \tparam Metric a DistanceMetric.
 *  Complexity: as KNeighborsClassifier. Thread safety: const methods may run concurrently.
 */
template <class ScalarT = double, class Metric = Euclidean>
class KNeighborsRegressor
    : public detail::KNeighborsBase<KNeighborsRegressor<ScalarT, Metric>, ScalarT, Metric,
                                    detail::KNeighborsRegressorState<ScalarT, Metric>> {
  using Base = detail::KNeighborsBase<KNeighborsRegressor<ScalarT, Metric>, ScalarT, Metric,
                                      detail::KNeighborsRegressorState<ScalarT, Metric>>;
  friend Base;
  friend struct detail::Serial;

 public:
  using Scalar = ScalarT;           ///< element type of data, distances and predictions
  using Params = KNeighborsParams;  ///< the parameters (namespace-level aggregate)

  KNeighborsRegressor() = default;
  /** \throws InvalidArgument naming the first bad parameter. */
  explicit KNeighborsRegressor(const Params& params) : Base(params) {}

  /** Stores the training set and its real targets (converted to Scalar).
   *  \param sample_weight optional per-row weights (empty = unweighted): the prediction is the
   *  mean of the k nearest targets weighted by (1, or 1 / distance) times their sample weight.
   *  Rows of weight 0 are dropped from the index, as KNeighborsClassifier::fit describes, and
   *  integer weights are likewise not repeated rows.
   *  \throws InvalidArgument if X or y is empty or non-finite (also after narrowing to float),
   *  their lengths differ, n_neighbors exceeds the number of rows (of positive weight), or
   *  sample_weight has the wrong length, a negative or non-finite entry or no positive one. */
  template <class Derived>
  KNeighborsRegressor& fit(const Eigen::MatrixBase<Derived>& X,
                           const Eigen::Ref<const Eigen::VectorXd>& y,
                           const SampleWeight& sample_weight = detail::unweighted()) {
    return fit_targets(X, y, sample_weight);
  }

  /** Stores the training set and its float targets; as fit above. */
  template <class Derived>
  KNeighborsRegressor& fit(const Eigen::MatrixBase<Derived>& X,
                           const Eigen::Ref<const Eigen::VectorXf>& y,
                           const SampleWeight& sample_weight = detail::unweighted()) {
    return fit_targets(X, y, sample_weight);
  }

  /** Predicted target of every row of Q.
   *  \throws NotFittedError before fit; InvalidArgument on a feature-count mismatch, an empty
   *  or non-finite Q; Cancelled once params().cancellation is cancelled. */
  template <class Derived>
  [[nodiscard]] Vector<Scalar> predict(const Eigen::MatrixBase<Derived>& Q) const {
    const auto& s = this->state();
    const Neighbors<Scalar> nb = this->neighbors_of(Q, "predict");
    Vector<Scalar> out(Q.rows());
    detail::parallel_for<Eigen::Index>(0, Q.rows(), this->params_.n_threads, [&](Eigen::Index i) {
      std::vector<double> w;
      detail::neighbor_weights(this->params_.weights, nb.distances, i, w);
      this->apply_sample_weights(nb, i, w);
      double num = 0.0;
      double den = 0.0;
      for (Eigen::Index j = 0; j < nb.indices.cols(); ++j) {
        num += w[static_cast<std::size_t>(j)] * static_cast<double>(s.y(nb.indices(i, j)));
        den += w[static_cast<std::size_t>(j)];
      }
      out(i) = static_cast<Scalar>(num / den);
    });
    return out;
  }

  /** Predicted target of one query `x`: `predict(x)(0)` bit for bit, single-threaded and
   *  allocation-free once `ws` (one per thread, see QueryWorkspace) has grown.
   *  \throws as predict, and InvalidArgument if x is not one row. */
  template <class Derived>
  [[nodiscard]] Scalar predict_one(const Eigen::MatrixBase<Derived>& x,
                                   QueryWorkspace<Scalar>& ws) const {
    const auto& s = this->state();
    const int k = this->neighbors_one(x, ws, 0);
    const int* idx = Base::ws_indices(ws);
    const double* w = Base::ws_weights(ws);
    double num = 0.0;
    double den = 0.0;
    for (int j = 0; j < k; ++j) {
      num += w[j] * static_cast<double>(s.y(idx[j]));
      den += w[j];
    }
    return static_cast<Scalar>(num / den);
  }

 private:
  static constexpr const char* estimator_name = "KNeighborsRegressor";

  template <class Derived, class Targets>
  KNeighborsRegressor& fit_targets(const Eigen::MatrixBase<Derived>& X, const Targets& y,
                                   const SampleWeight& sample_weight) {
    this->check_training(X, y.size());
    detail::check_finite_as<Scalar>(y, "y");
    detail::check_sample_weight(sample_weight, X.rows());
    if (!detail::is_weighted(sample_weight)) return fit_rows(X, y, Vector<double>());
    const std::vector<Eigen::Index> keep = detail::positive_rows(sample_weight);
    if (static_cast<Eigen::Index>(keep.size()) == X.rows()) return fit_rows(X, y, sample_weight);
    return fit_rows(detail::take_rows(X, keep), detail::take_rows(y, keep),
                    detail::take_rows(sample_weight, keep));
  }

  /** fit on checked rows whose weights `w` are all positive (or empty). */
  template <class Derived, class Targets>
  KNeighborsRegressor& fit_rows(const Eigen::MatrixBase<Derived>& X, const Targets& y,
                                const SampleWeight& w) {
    this->check_k(X.rows());
    detail::KNeighborsRegressorState<Scalar, Metric> s;
    s.y = y.template cast<Scalar>();
    s.sample_weight = w;
    return this->fit_search(std::move(s), X);
  }
};

OSPREY_NAMESPACE_END

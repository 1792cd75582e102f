/** \file
 *  Feature scaling with scikit-learn's definitions: `StandardScaler` (zero mean, unit population
 *  variance) and `MinMaxScaler` (to a feature range). Rows are samples, columns are features.
 */
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>

#include "../core/sample_weight.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN

/** Parameters of StandardScaler, written with designated initialisers. */
struct StandardScalerParams {
  bool with_mean = true;  ///< subtract the mean (centre)
  bool with_std = true;   ///< divide by the standard deviation
};

/** Parameters of MinMaxScaler, written with designated initialisers. */
struct MinMaxScalerParams {
  double feature_min = 0.0;  ///< lower end of the target range
  double feature_max = 1.0;  ///< upper end of the target range (must exceed feature_min)
  bool clip = false;         ///< clip transformed values to the target range
};

namespace detail {
struct StandardScalerState {
  Vector<double> mean;
  Vector<double> mean_lo;  // the running mean is mean + mean_lo (a double-double; see add_mean_var)
  Vector<double> var;
  Vector<double> scale;
  double n_samples_seen = 0.0;  // rows, or the sum of their weights
};

struct MinMaxScalerState {
  Vector<double> data_min;
  Vector<double> data_max;
  Vector<double> scale;
  Vector<double> min;
  double n_samples_seen = 0.0;  // rows, or the sum of their weights
};

/** Checks one fit/partial_fit batch: X a non-empty finite matrix, sample_weight as
 *  check_sample_weight, with a positive sum when given. \returns the batch's weight: its rows,
 *  or the sum of its weights. */
template <class D>
double checked_batch(const Eigen::MatrixBase<D>& X, const SampleWeight& w) {
  check_matrix(X, "X");
  check_sample_weight(w, X.rows());
  if (!is_weighted(w)) return static_cast<double>(X.rows());
  const double total = w.sum();
  if (!(total > 0.0)) fail("sample_weight must have a positive entry (every row weighs 0)");
  return total;
}

/** scikit-learn's rule for a constant feature (`_is_constant_feature`): its variance is within
 *  rounding of zero, `var <= n eps var + (n mean eps)^2`. */
[[nodiscard]] inline bool is_constant_feature(double var, double mean, double n) noexcept {
  const double eps = std::numeric_limits<double>::epsilon();
  const double upper = n * eps * var + (n * mean * eps) * (n * mean * eps);
  return var <= upper;
}

/** Adds a batch to the running (weighted) mean and population variance of `s` by Chan, Golub &
 *  LeVeque's (1979) pairwise update, as scikit-learn's `_incremental_mean_and_var`, but in
 *  coordinates centred on the running mean, which is kept as a double-double (mean + mean_lo):
 *  the batch's deviations d = (x - mean) - mean_lo are small, so neither their sum nor the merge
 *  term `n_a n_b / n (mean_b - mean_a)^2` cancels catastrophically, and the mean's rounding
 *  does not random-walk. Data far from zero (an offset of 1e6 with unit spread) then match a
 *  one-shot fit to about 1e-15 instead of 1e-10, also when batches are single rows. */
template <class D>
void add_mean_var(StandardScalerState& s, const Eigen::MatrixBase<D>& X, const SampleWeight& w,
                  double batch_weight) {
  const double last_n = s.n_samples_seen;
  const double n = last_n + batch_weight;
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    double centre = s.mean(j);
    double lo = s.mean_lo(j);
    if (last_n == 0.0) {  // the first batch: centre on its plain mean
      double sum = 0.0;
      for (Eigen::Index i = 0; i < X.rows(); ++i) {
        sum += weight_at(w, i) * static_cast<double>(X(i, j));
      }
      centre = sum / batch_weight;
      lo = 0.0;
    }
    double dsum = 0.0;  // the batch's weighted deviations from the running mean
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      dsum += weight_at(w, i) * ((static_cast<double>(X(i, j)) - centre) - lo);
    }
    const double t = dsum / batch_weight;  // batch mean - running mean
    double correction = 0.0;
    double squares = 0.0;
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      const double dev = ((static_cast<double>(X(i, j)) - centre) - lo) - t;
      correction += weight_at(w, i) * dev;
      squares += weight_at(w, i) * (dev * dev);
    }
    double unnormalised = squares - correction * correction / batch_weight;
    if (last_n != 0.0) unnormalised += s.var(j) * last_n + last_n * batch_weight / n * (t * t);
    // New mean = centre + (lo + step), summed exactly into a double-double (Knuth's TwoSum).
    const double step = lo + (t + correction / batch_weight) * (batch_weight / n);
    const double hi = centre + step;
    const double back = hi - centre;
    s.mean(j) = hi;
    s.mean_lo(j) = (centre - (hi - back)) + (step - back);
    s.var(j) = unnormalised / n;
  }
  s.n_samples_seen = n;
}

/** The skeleton both scalers share (CRTP): params plumbing, the fitted-state checks and the
 *  column-by-column map of transform and inverse_transform. `Derived` provides `fit` and a
 *  static `Params validated(const Params&)`; `State` has a per-feature `scale`. */
template <class Derived, class ScalarT, class ParamsT, class State>
class Scaler {
 public:
  using Scalar = ScalarT;  ///< element type of transformed output
  using Params = ParamsT;  ///< the scaler's parameters (independent of Scalar)
  /** Strides of the destinations transform_into accepts (any). */
  using AnyStride = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters; the scaler becomes unfitted. */
  Derived& set_params(const Params& params) {
    params_ = Derived::validated(params);
    state_.reset();
    return static_cast<Derived&>(*this);
  }

  /** `fit(X)` then `transform(X)`. */
  template <class D>
  [[nodiscard]] Matrix<Scalar> fit_transform(const Eigen::MatrixBase<D>& X) {
    return static_cast<Derived&>(*this).fit(X).transform(X);
  }

  /** True once fit has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** Number of features seen by fit. */
  [[nodiscard]] Eigen::Index n_features_in() const { return state().scale.size(); }

  /** `transform(X)` written into the caller's `out` instead of a new matrix: the serving path
   *  for one row or a small batch, bit-identical to `transform` and allocation-free.
   *
   *  \code
   *  Eigen::RowVectorXd z(scaler.n_features_in());   // once, per thread
   *  scaler.transform_into(x, z);                     // x: one row, per request
   *  \endcode
   *
   *  \param X rows to transform (a row vector for one row), any Eigen expression.
   *  \param out the destination, of X's shape: a matrix, a row vector, a row or block of a
   *  matrix, a Map over the caller's memory (any strides).
   *  \throws NotFittedError before fit; InvalidArgument on a feature-count mismatch, a
   *  non-finite value or an `out` of another shape. Complexity O(rows d). */
  template <class D>
  void transform_into(const Eigen::MatrixBase<D>& X,
                      Eigen::Ref<Matrix<Scalar>, 0, AnyStride> out) const {
    static_cast<const Derived&>(*this).map_into(X, out);
  }

 protected:
  Scaler() = default;
  explicit Scaler(const Params& params) : params_(Derived::validated(params)) {}

  const State& state() const {
    check_fitted(state_.has_value(), Derived::name);
    return *state_;
  }

  // Checks X against the fitted state, then writes column j of the output as
  // `column(s, j, X.col(j) as a double array)` cast to Scalar.
  template <class D, class F>
  [[nodiscard]] Matrix<Scalar> map_columns(const Eigen::MatrixBase<D>& X, F column) const {
    Matrix<Scalar> out(X.rows(), X.cols());
    map_columns_into(X, out, column);
    return out;
  }

  // map_columns into the caller's `out` (same shape as X), allocating nothing: the batch and
  // the single-row paths run this same code, so their values are bit-identical.
  template <class D, class F>
  void map_columns_into(const Eigen::MatrixBase<D>& X, Eigen::Ref<Matrix<Scalar>, 0, AnyStride> out,
                        F column) const {
    const auto& s = state();
    check_n_features(Derived::name, s.scale.size(), X.cols());
    check_finite(X, "X");
    if (out.rows() != X.rows() || out.cols() != X.cols()) {
      fail(Derived::name, "::transform_into: out must be ", X.rows(), " x ", X.cols(),
           " like X (got ", out.rows(), " x ", out.cols(), ")");
    }
    for (Eigen::Index j = 0; j < X.cols(); ++j) {
      out.col(j) = column(s, j, X.col(j).template cast<double>().array()).template cast<Scalar>();
    }
  }

  Params params_{};
  std::optional<State> state_;
};
}  // namespace detail

/** Standardises features: `z = (x - mean) / scale`, with `scale` the population standard
 *  deviation (ddof = 0) as scikit-learn's StandardScaler.
 *
 *  A feature is constant when its variance is within rounding of zero (scikit-learn's rule:
 *  `var <= n eps var + (n mean eps)^2`); its scale is then 1, so it maps to zero instead of NaN.
 *  Statistics are accumulated in double whatever `Scalar` is (two passes, for accuracy).
 *  `fit` and `partial_fit` take optional sample weights (scikit-learn's semantics).
 *
 *  \tparam ScalarT float or double.
 *  Complexity: O(n d) for fit and transform. Thread safety: const methods may run concurrently.
 */
template <class ScalarT = double>
class StandardScaler : public detail::Scaler<StandardScaler<ScalarT>, ScalarT, StandardScalerParams,
                                             detail::StandardScalerState> {
  using Base = detail::Scaler<StandardScaler<ScalarT>, ScalarT, StandardScalerParams,
                              detail::StandardScalerState>;
  friend Base;
  friend struct detail::Serial;

 public:
  using Scalar = ScalarT;  ///< element type of transformed output

  using Params = StandardScalerParams;  ///< parameters, see StandardScalerParams

  /** A scaler with default parameters. */
  StandardScaler() = default;
  /** A scaler with the given parameters. */
  explicit StandardScaler(const Params& params) : Base(params) {}

  /** Learns the per-feature mean and standard deviation of `X` (rows are samples).
   *  \param sample_weight optional per-row weights (empty = unweighted): the weighted mean and
   *  population variance, `n_samples_seen()` the sum of the weights, as scikit-learn's
   *  `fit(X, sample_weight)` (a weighted fit is `partial_fit` from scratch; the unweighted one
   *  keeps its plain two-pass sums). Weight 0 drops a row; integer weights equal repeated rows
   *  up to rounding.
   *  \throws InvalidArgument if X is empty or has a non-finite value, or sample_weight has the
   *  wrong length, a negative or non-finite entry or no positive one. Complexity O(n d). */
  template <class Derived>
  StandardScaler& fit(const Eigen::MatrixBase<Derived>& X,
                      const SampleWeight& sample_weight = detail::unweighted()) {
    const double batch = detail::checked_batch(X, sample_weight);
    if (detail::is_weighted(sample_weight)) {
      std::optional<detail::StandardScalerState> fresh;
      state_.swap(fresh);
      try {
        return partial_fit(X, sample_weight);
      } catch (...) {
        state_.swap(fresh);
        throw;
      }
    }
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    detail::StandardScalerState s;
    s.n_samples_seen = batch;
    s.mean = X.template cast<double>().colwise().mean().transpose();
    s.var.resize(d);
    s.mean_lo.resize(d);
    s.scale = Vector<double>::Ones(d);
    for (Eigen::Index j = 0; j < d; ++j) {
      const auto dev = X.col(j).template cast<double>().array() - s.mean(j);
      s.mean_lo(j) = dev.sum() / static_cast<double>(n);  // the mean's rounding, for partial_fit
      const double var = dev.square().sum() / static_cast<double>(n);
      s.var(j) = var;
      if (params_.with_std && !detail::is_constant_feature(var, s.mean(j), batch)) {
        s.scale(j) = std::sqrt(var);
      }
    }
    state_ = std::move(s);
    return *this;
  }

  /** Updates the statistics with one more batch of rows, as scikit-learn's
   *  `StandardScaler.partial_fit`: the running weighted mean and population variance are
   *  merged with the batch's (Chan, Golub & LeVeque 1979, as `_incremental_mean_and_var`),
   *  `n_samples_seen()` grows by the batch's rows or weight sum, and the scale is recomputed
   *  (constant features keep scale 1). The first call on an unfitted scaler starts from zero.
   *  Mean and variance are tracked whatever with_mean and with_std say.
   *  \param sample_weight optional per-row weights of this batch, as in fit.
   *  \throws InvalidArgument as fit, or if X's feature count differs from the fitted one. The
   * scaler is unchanged on a throw. Complexity O(n d). */
  template <class Derived>
  StandardScaler& partial_fit(const Eigen::MatrixBase<Derived>& X,
                              const SampleWeight& sample_weight = detail::unweighted()) {
    const double batch = detail::checked_batch(X, sample_weight);
    const Eigen::Index d = X.cols();
    detail::StandardScalerState s;
    if (state_) {
      detail::check_n_features(name, state_->mean.size(), d);
      s = *state_;
    } else {
      s.mean = Vector<double>::Zero(d);
      s.mean_lo = Vector<double>::Zero(d);
      s.var = Vector<double>::Zero(d);
    }
    detail::add_mean_var(s, X, sample_weight, batch);
    s.scale = Vector<double>::Ones(d);
    for (Eigen::Index j = 0; j < d; ++j) {
      if (params_.with_std && !detail::is_constant_feature(s.var(j), s.mean(j), s.n_samples_seen)) {
        s.scale(j) = std::sqrt(s.var(j));
      }
    }
    state_ = std::move(s);
    return *this;
  }

  /** Standardises `X` with the fitted statistics.
   *  \throws NotFittedError before fit; InvalidArgument on a feature-count mismatch or a
   *  non-finite value. */
  template <class Derived>
  [[nodiscard]] Matrix<Scalar> transform(const Eigen::MatrixBase<Derived>& X) const {
    return this->map_columns(X, column_map());
  }

  /** Maps standardised values back to the original units. */
  template <class Derived>
  [[nodiscard]] Matrix<Scalar> inverse_transform(const Eigen::MatrixBase<Derived>& Z) const {
    return this->map_columns(Z, [&](const auto& s, Eigen::Index j, const auto& z) {
      const double m = params_.with_mean ? s.mean(j) : 0.0;
      return z * s.scale(j) + m;
    });
  }

  /** Per-feature mean seen by fit. */
  [[nodiscard]] const Vector<double>& mean() const { return state().mean; }
  /** Per-feature population variance seen by fit. */
  [[nodiscard]] const Vector<double>& var() const { return state().var; }
  /** Per-feature divisor (standard deviation, or 1 for constant features or with_std = false). */
  [[nodiscard]] const Vector<double>& scale() const { return state().scale; }
  /** Rows seen by fit and partial_fit, or the sum of their weights (scikit-learn's
   *  `n_samples_seen_`). */
  [[nodiscard]] double n_samples_seen() const { return state().n_samples_seen; }

 private:
  using Base::params_;
  using Base::state;
  using Base::state_;
  static constexpr std::string_view name = "StandardScaler";
  static Params validated(const Params& p) { return p; }

  /** The per-column map of transform: `(x - mean) / scale`. */
  auto column_map() const {
    return [this](const auto& s, Eigen::Index j, const auto& x) {
      const double m = params_.with_mean ? s.mean(j) : 0.0;
      const double inv = 1.0 / s.scale(j);
      return (x - m) * inv;
    };
  }
  /** transform into `out` (Base::transform_into). */
  template <class D, class Out>
  void map_into(const Eigen::MatrixBase<D>& X, Out& out) const {
    this->map_columns_into(X, out, column_map());
  }
};

/** Scales each feature to `[feature_min, feature_max]` using the range seen by fit, as
 *  scikit-learn's MinMaxScaler: `x' = x * scale + min` with
 *  `scale = (feature_max - feature_min) / (data_max - data_min)`. A constant feature (range below
 *  10 eps) gets range 1, so it maps to `feature_min` shifted by nothing odd. Values outside the
 *  fitted range map outside the feature range unless `clip` is set.
 *
 *  \tparam ScalarT float or double.
 *  Complexity: O(n d). Thread safety: const methods may run concurrently.
 */
template <class ScalarT = double>
class MinMaxScaler : public detail::Scaler<MinMaxScaler<ScalarT>, ScalarT, MinMaxScalerParams,
                                           detail::MinMaxScalerState> {
  using Base =
      detail::Scaler<MinMaxScaler<ScalarT>, ScalarT, MinMaxScalerParams, detail::MinMaxScalerState>;
  friend Base;
  friend struct detail::Serial;

 public:
  using Scalar = ScalarT;  ///< element type of transformed output

  using Params = MinMaxScalerParams;  ///< parameters, see MinMaxScalerParams

  /** A scaler to [0, 1]. */
  MinMaxScaler() = default;
  /** A scaler with the given parameters.
   *  \throws InvalidArgument unless feature_min < feature_max (both finite). */
  explicit MinMaxScaler(const Params& params) : Base(params) {}

  /** Learns the per-feature minimum and maximum of `X`.
   *  \param sample_weight optional per-row weights (empty = unweighted): rows of weight 0 are
   *  ignored (exactly as if dropped); any positive weight leaves a minimum or maximum as it is,
   *  so only `n_samples_seen()`, the sum of the weights, depends on the values. (scikit-learn's
   *  MinMaxScaler takes no weights; this is its fit on the rows of positive weight.)
   *  \throws InvalidArgument if X is empty or has a non-finite value, or sample_weight has the
   *  wrong length, a negative or non-finite entry or no positive one. Complexity O(n d). */
  template <class Derived>
  MinMaxScaler& fit(const Eigen::MatrixBase<Derived>& X,
                    const SampleWeight& sample_weight = detail::unweighted()) {
    std::optional<detail::MinMaxScalerState> fresh;
    state_.swap(fresh);
    try {
      return partial_fit(X, sample_weight);
    } catch (...) {
      state_.swap(fresh);
      throw;
    }
  }

  /** Widens the fitted range with one more batch (scikit-learn's `MinMaxScaler.partial_fit`):
   *  `data_min = min(data_min, batch min)`, likewise the maximum, over the rows of positive
   *  weight; `n_samples_seen()` grows by the batch's rows or weight sum; scale and min are
   *  recomputed. The first call on an unfitted scaler is fit.
   *  \throws InvalidArgument as fit, or if X's feature count differs from the fitted one. The
   *  scaler is unchanged on a throw. Complexity O(n d). */
  template <class Derived>
  MinMaxScaler& partial_fit(const Eigen::MatrixBase<Derived>& X,
                            const SampleWeight& sample_weight = detail::unweighted()) {
    const double batch = detail::checked_batch(X, sample_weight);
    const Eigen::Index d = X.cols();
    constexpr double inf = std::numeric_limits<double>::infinity();
    detail::MinMaxScalerState s;
    if (state_) {
      detail::check_n_features(name, state_->data_min.size(), d);
      s = *state_;
    } else {
      s.data_min = Vector<double>::Constant(d, inf);
      s.data_max = Vector<double>::Constant(d, -inf);
    }
    s.n_samples_seen += batch;
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      if (detail::weight_at(sample_weight, i) == 0.0) continue;
      for (Eigen::Index j = 0; j < d; ++j) {
        const auto v = static_cast<double>(X(i, j));
        s.data_min(j) = std::min(s.data_min(j), v);
        s.data_max(j) = std::max(s.data_max(j), v);
      }
    }
    s.scale.resize(d);
    s.min.resize(d);
    const double eps = std::numeric_limits<double>::epsilon();
    for (Eigen::Index j = 0; j < d; ++j) {
      double range = s.data_max(j) - s.data_min(j);
      if (range < 10.0 * eps) range = 1.0;
      s.scale(j) = (params_.feature_max - params_.feature_min) / range;
      s.min(j) = params_.feature_min - s.data_min(j) * s.scale(j);
    }
    state_ = std::move(s);
    return *this;
  }

  /** Scales `X` with the fitted range. */
  template <class Derived>
  [[nodiscard]] Matrix<Scalar> transform(const Eigen::MatrixBase<Derived>& X) const {
    return this->map_columns(X, column_map());
  }

  /** Maps scaled values back to the original units. */
  template <class Derived>
  [[nodiscard]] Matrix<Scalar> inverse_transform(const Eigen::MatrixBase<Derived>& Z) const {
    return this->map_columns(Z, [&](const auto& s, Eigen::Index j, const auto& z) {
      return (z - s.min(j)) / s.scale(j);
    });
  }

  /** Per-feature minimum seen by fit. */
  [[nodiscard]] const Vector<double>& data_min() const { return state().data_min; }
  /** Per-feature maximum seen by fit. */
  [[nodiscard]] const Vector<double>& data_max() const { return state().data_max; }
  /** Per-feature multiplier. */
  [[nodiscard]] const Vector<double>& scale() const { return state().scale; }
  /** Per-feature offset added after scaling. */
  [[nodiscard]] const Vector<double>& min() const { return state().min; }
  /** Rows seen by fit and partial_fit, or the sum of their weights (scikit-learn's
   *  `n_samples_seen_`). */
  [[nodiscard]] double n_samples_seen() const { return state().n_samples_seen; }

 private:
  using Base::params_;
  using Base::state;
  using Base::state_;
  static constexpr std::string_view name = "MinMaxScaler";

  /** The per-column map of transform: `x * scale + min`, clipped to the feature range when
   *  asked (else to +-inf, which changes no value), as one expression that allocates nothing. */
  auto column_map() const {
    return [this](const auto& s, Eigen::Index j, const auto& x) {
      constexpr double inf = std::numeric_limits<double>::infinity();
      const double lo = params_.clip ? params_.feature_min : -inf;
      const double hi = params_.clip ? params_.feature_max : inf;
      return (x * s.scale(j) + s.min(j)).max(lo).min(hi);
    };
  }
  /** transform into `out` (Base::transform_into). */
  template <class D, class Out>
  void map_into(const Eigen::MatrixBase<D>& X, Out& out) const {
    this->map_columns_into(X, out, column_map());
  }

  static Params validated(const Params& p) {
    if (!std::isfinite(p.feature_min) || !std::isfinite(p.feature_max) ||
        !(p.feature_min < p.feature_max)) {
      detail::fail("MinMaxScaler: feature_min must be < feature_max, both finite (got [",
                   p.feature_min, ", ", p.feature_max, "])");
    }
    return p;
  }
};

OSPREY_NAMESPACE_END

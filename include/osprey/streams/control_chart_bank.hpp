/** \file
 *  Banks of independent control charts that advance together: `EwmaBank` and `CusumBank` watch
 *  n series at once, one chart per series, and take one sample of every series per `update`.
 *
 *  The state is a structure of arrays (one contiguous array per quantity), so an update is a
 *  single pass of SIMD-friendly element-wise arithmetic whose speed is set by memory bandwidth
 *  once the bank outgrows the caches. Each chart behaves exactly as the single-stream `Ewma` /
 *  `Cusum` with the same Params and baseline (the tests check this): a bank shares the single
 *  chart's statistic policy, and `ChartBank` is the skeleton both banks are built on.
 *
 *  Layout: a matrix of samples has one row per time step and one column per series (rows are
 *  samples, as everywhere in osprey); a row-major matrix keeps each time step contiguous.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "chart_params.hpp"
#include "control_chart.hpp"
#include "detail/cusum_statistic.hpp"
#include "detail/ewma_statistic.hpp"

OSPREY_NAMESPACE_BEGIN

/** Alarms of a bank for one time step: 0, +1 or -1 per series. */
using AlarmVector = Eigen::Matrix<std::int8_t, Eigen::Dynamic, 1>;
/** Alarms of a bank over time: one row per time step, one column per series. */
using AlarmMatrix = Eigen::Matrix<std::int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace detail {

/** Per-series baselines of a bank from an in-control matrix (rows time, columns series), which
 *  must be finite also once converted to the bank's `Scalar` (row and column named). */
template <class Scalar, class Derived>
void fit_bank_baselines(const Eigen::MatrixBase<Derived>& X, const std::optional<double>& mean,
                        const std::optional<double>& sigma, SigmaEstimator estimator,
                        std::string_view bank, Vector<double>& means, Vector<double>& sigmas) {
  check_non_empty(X, "in_control");
  if (X.rows() < 2) fail(bank, ": in_control needs at least 2 samples (rows) (got ", X.rows(), ")");
  check_finite_as<Scalar>(X, "in_control");
  means.resize(X.cols());
  sigmas.resize(X.cols());
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    const auto est = estimate_location_scale(X.col(j), estimator);
    means(j) = given_or(mean, est.mean);
    sigmas(j) = given_or(sigma, est.sigma);
    if (!(sigmas(j) > 0.0)) {
      fail(bank, ": in_control column ", j, " has no spread (sigma estimate ", sigmas(j),
           "); give sigma in Params");
    }
  }
}

/** Validates user-given per-series baselines (finite in the bank's `Scalar` too). */
template <class Scalar, class D1, class D2>
void check_baselines(const Eigen::MatrixBase<D1>& mean, const Eigen::MatrixBase<D2>& sigma,
                     std::string_view bank) {
  if (mean.size() == 0) fail(bank, ": mean is empty");
  check_same_length(mean.size(), sigma.size(), "mean", "sigma");
  check_finite_as<Scalar>(mean.derived().reshaped(), "mean");
  for (Eigen::Index j = 0; j < sigma.size(); ++j) {
    const double s = static_cast<double>(sigma.derived().reshaped()(j));
    if (!(s > 0.0) || !std::isfinite(s))
      fail(bank, ": sigma must be > 0 (got ", s, " at index ", j, ")");
    if (!is_finite_as<Scalar>(s)) {
      fail(bank, ": sigma (", s, ") at index ", j, " is out of range for ", scalar_name<Scalar>(),
           " (largest finite value ", std::numeric_limits<Scalar>::max(), ")");
    }
  }
}

/** Pointer to the n contiguous samples of `x` (a vector), copying into `scratch` if needed;
 *  throws if x has the wrong size, a non-finite value or one out of Scalar's range (a double
 *  above FLT_MAX for float), naming the series, before any state changes. */
template <class Scalar, class Derived>
const Scalar* bank_input(const Eigen::MatrixBase<Derived>& x, Eigen::Index n,
                         Vector<Scalar>& scratch, std::string_view bank) {
  if (x.size() != n || (x.rows() != 1 && x.cols() != 1)) {
    fail(bank, " has ", n, " series but x has ", x.rows(), " x ", x.cols(), " samples");
  }
  if (!all_finite_as<Scalar>(x)) {
    for (Eigen::Index j = 0; j < n; ++j) {
      const auto v = x.derived().reshaped()(j);
      if (!std::isfinite(static_cast<double>(v))) {
        fail(bank, ": x contains a non-finite value (", v, ") at series ", j);
      }
      if (!is_finite_as<Scalar>(v)) {
        fail(bank, ": x has a value (", v, ") at series ", j, " that is out of range for ",
             scalar_name<Scalar>(), " (largest finite value ", std::numeric_limits<Scalar>::max(),
             ")");
      }
    }
  }
  if constexpr (std::is_same_v<typename Derived::Scalar, Scalar> &&
                (int(Eigen::internal::traits<Derived>::Flags) & Eigen::DirectAccessBit) != 0) {
    if (x.innerStride() == 1) return x.derived().data();
  }
  scratch = x.derived().reshaped().template cast<Scalar>();
  return scratch.data();
}

}  // namespace detail

/** The skeleton of a bank of n independent control charts advanced together: parameters,
 *  per-series baselines (fit, set_baselines), update, detect and reset. `EwmaBank` and
 *  `CusumBank` derive from it; the structure-of-arrays state and the step of one time step live
 *  in the statistic policy (`Statistic::Bank<Scalar>`), whose arithmetic is the single chart's.
 *
 *  A bank is a `StreamDetector` whose sample (`Sample`) is a vector of one value per series.
 *
 *  \tparam Statistic the statistic policy (detail::EwmaStatistic, detail::CusumStatistic).
 *  \tparam ScalarT float or double: the type of samples and statistics.
 *  \tparam Derived the derived bank (what `fit`, `set_baselines` and `set_params` return).
 *  Thread safety: one thread per bank for `update`/`detect`/`reset`; const accessors may be
 *  called concurrently.
 */
template <class Statistic, class ScalarT, class Derived>
class ChartBank {
  using State = typename Statistic::template Bank<ScalarT>;

 public:
  using Scalar = ScalarT;                     ///< type of samples and statistics
  using Params = typename Statistic::Params;  ///< the single chart's parameters
  using Sample = Vector<ScalarT>;             ///< one time step: a value per series

  /** An unfitted bank. \throws InvalidArgument for a bad parameter (the single chart's
   *  message). */
  explicit ChartBank(const Params& params = Params{}) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters after validating them; the bank must then be fitted again (or
   *  given its baselines). \throws InvalidArgument for a bad parameter (the bank is then
   *  unchanged). */
  Derived& set_params(const Params& params) {
    params_ = validated(params);
    n_ = 0;
    return derived();
  }

  /** Per-series baselines from an in-control matrix (rows time, columns series); restarts.
   *  \throws InvalidArgument for fewer than two rows, a non-finite value or a flat column. */
  template <class D>
  Derived& fit(const Eigen::MatrixBase<D>& in_control) {
    Vector<double> m, s;
    detail::fit_bank_baselines<Scalar>(in_control, params_.mean, params_.sigma,
                                       params_.sigma_estimator, Statistic::bank_name, m, s);
    build(m, s);
    return derived();
  }

  /** Gives the per-series baselines directly; restarts. */
  template <class D1, class D2>
  Derived& set_baselines(const Eigen::MatrixBase<D1>& mean, const Eigen::MatrixBase<D2>& sigma) {
    detail::check_baselines<Scalar>(mean, sigma, Statistic::bank_name);
    build(mean.derived().reshaped().template cast<double>(),
          sigma.derived().reshaped().template cast<double>());
    return derived();
  }

  /** True once baselines are known. */
  [[nodiscard]] bool is_fitted() const noexcept { return n_ > 0; }
  /** Number of series. */
  [[nodiscard]] Eigen::Index n_series() const noexcept { return n_; }

  /** One sample of every series (a vector of n_series()). \returns the alarms of this step
   *  (a reference to the bank's buffer, valid until the next update).
   *  \throws NotFittedError before fit; InvalidArgument for a wrong size or a non-finite value
   *  (series named), before any state changes. */
  template <class D>
  const AlarmVector& update(const Eigen::MatrixBase<D>& x) {
    detail::check_fitted(is_fitted(), Statistic::bank_name);
    const Scalar* xs = detail::bank_input<Scalar>(x, n_, scratch_, Statistic::bank_name);
    state_.step(params_, n_, xs, alarms_.data());
    return alarms_;
  }

  /** Feeds a matrix (rows time, columns series) and returns every alarm. */
  template <class D>
  AlarmMatrix detect(const Eigen::MatrixBase<D>& X) {
    detail::check_fitted(is_fitted(), Statistic::bank_name);
    if (X.cols() != n_) {
      detail::fail(Statistic::bank_name, " has ", n_, " series but X has ", X.cols(), " columns");
    }
    detail::check_finite_as<Scalar>(X, "X");
    AlarmMatrix out(X.rows(), n_);
    for (Eigen::Index t = 0; t < X.rows(); ++t) out.row(t) = update(X.row(t)).transpose();
    return out;
  }

  /** Restarts every chart (the statistic at its start value); the baselines are kept. */
  void reset() noexcept { state_.reset(); }

  /** The current statistic of every series (as the single chart's `statistic()`). */
  [[nodiscard]] decltype(auto) statistic() const { return state_.statistic(); }

 protected:
  /** The policy's state, for the derived bank's own accessors. */
  [[nodiscard]] const State& state() const noexcept { return state_; }

 private:
  static Params validated(const Params& p) {
    Statistic::validate(p);
    return p;
  }

  Derived& derived() noexcept { return static_cast<Derived&>(*this); }

  template <class D1, class D2>
  void build(const Eigen::MatrixBase<D1>& mean, const Eigen::MatrixBase<D2>& sigma) {
    n_ = mean.size();
    state_.build(params_, mean, sigma);
    alarms_ = AlarmVector::Zero(n_);
  }

  friend struct detail::Serial;
  Params params_;
  Eigen::Index n_ = 0;
  State state_;
  Vector<Scalar> scratch_;
  AlarmVector alarms_;
};

/** n independent EWMA charts (see `Ewma`) advanced together, in structure-of-arrays form.
 *
 *  Params are `Ewma`'s and shared by every series; a mean or sigma given in Params applies to
 *  every series, the rest is estimated per column by `fit` or given by `set_baselines`. Each
 *  series' statistic, limits and alarms are bit-identical to a single `Ewma` with the same
 *  Params and baseline, at every t: both take the half-width from the same
 *  `detail::ewma_asymptotic_half_width` and `detail::EwmaLimitFactors` (with the same cap).
 *  `statistic()` is z_t of every series.
 *
 *  \tparam ScalarT float or double.
 *  Complexity: O(n) per update, about 6 flops and 17 (float) bytes of traffic per series.
 *  Thread safety: one thread per bank for `update`/`detect`/`reset`.
 */
template <class ScalarT = double>
class EwmaBank : public ChartBank<detail::EwmaStatistic, ScalarT, EwmaBank<ScalarT>> {
  using Base = ChartBank<detail::EwmaStatistic, ScalarT, EwmaBank<ScalarT>>;

 public:
  using Base::Base;
};

/** n independent two-sided CUSUM charts (see `Cusum`) advanced together, in
 *  structure-of-arrays form. Params are `Cusum`'s, shared by every series. `statistic()` is the
 *  signed larger sum of every series (as `Cusum::statistic()`, computed into a new vector);
 *  `upper_sum()` and `lower_sum()` give both sums.
 *
 *  \tparam ScalarT float or double.
 *  Complexity: O(n) per update, about 10 flops and 21 (float) bytes of traffic per series.
 *  Thread safety: one thread per bank for `update`/`detect`/`reset`.
 */
template <class ScalarT = double>
class CusumBank : public ChartBank<detail::CusumStatistic, ScalarT, CusumBank<ScalarT>> {
  using Base = ChartBank<detail::CusumStatistic, ScalarT, CusumBank<ScalarT>>;

 public:
  using Base::Base;

  /** The current upper sums C+. */
  [[nodiscard]] const Vector<ScalarT>& upper_sum() const noexcept {
    return this->state().upper_sum();
  }
  /** The current lower sums C- (>= 0). */
  [[nodiscard]] const Vector<ScalarT>& lower_sum() const noexcept {
    return this->state().lower_sum();
  }
};

OSPREY_NAMESPACE_END

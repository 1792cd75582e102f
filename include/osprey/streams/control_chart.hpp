/** \file
 *  Vocabulary shared by the streaming control charts (`Ewma`, `Cusum` and their banks): the
 *  `Alarm` and `Signal` an `update` returns, the `Trace` of a whole series, the choice of sigma
 *  estimator, the estimators of an in-control series' location and scale, and `ControlChart`,
 *  the skeleton every single-stream chart is built on.
 *
 *  A control chart watches a univariate series one sample at a time; "in control" means the
 *  samples are independent draws around `mean` with standard deviation `sigma`. Montgomery,
 *  *Introduction to Statistical Quality Control*, ch. 6 (individuals charts) and ch. 9 (CUSUM and
 *  EWMA) are the reference for every definition here.
 */
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../core/detail/huge_pages.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../kernels/simd.hpp"

OSPREY_NAMESPACE_BEGIN

/** What a control chart concluded about one sample. The integer values are those `detect`
 *  returns: 0 none, +1 the upper limit was crossed (the mean moved up), -1 the lower one. */
enum class Alarm : std::int8_t {
  none = 0,    ///< in control
  upper = 1,   ///< the upper statistic exceeded the upper limit
  lower = -1,  ///< the lower statistic fell below the lower limit
};

/** One step of a control chart, as returned by `update(x)`.
 *
 *  The alarm rule is the same for every chart: `upper` when `upper_statistic > upper_limit`,
 *  `lower` when `lower_statistic < lower_limit`, otherwise `none`.
 *  - `Ewma`: both statistics are the EWMA z_t; the limits are its control limits in the units of
 *    the data (time-varying when `exact_limits`).
 *  - `Cusum`: `upper_statistic` is C+_t >= 0 and `lower_statistic` is -C-_t <= 0 (the lower sum
 *    drawn below zero, as CUSUM status charts plot it); the limits are +H and -H, H = h sigma.
 *  Statistics are the values that were compared, before any reset an alarm triggers.
 */
template <class Scalar>
struct Signal {
  Scalar upper_statistic{};   ///< EWMA z_t, or CUSUM C+_t
  Scalar lower_statistic{};   ///< EWMA z_t, or CUSUM -C-_t
  Scalar upper_limit{};       ///< EWMA UCL_t, or CUSUM +H
  Scalar lower_limit{};       ///< EWMA LCL_t, or CUSUM -H
  Alarm alarm = Alarm::none;  ///< the decision for this sample
};

/** Every `Signal` of a series, one entry per sample (what plots need). */
template <class Scalar>
struct Trace {
  Vector<Scalar> upper_statistic;  ///< see Signal
  Vector<Scalar> lower_statistic;  ///< see Signal
  Vector<Scalar> upper_limit;      ///< see Signal
  Vector<Scalar> lower_limit;      ///< see Signal
  Eigen::VectorXi alarms;          ///< 0, +1 or -1 per sample, as `detect`
};

/** How `fit` estimates sigma from an in-control series x_1..x_n.
 *  - `moving_range` (the default): MR-bar / d2 with MR_i = |x_i - x_{i-1}| and d2 = 1.128, the
 *    individuals-chart estimator (Montgomery section 6.4). It measures short-term, sample-to-sample
 *    noise and is barely moved by a slow drift or a level shift inside the fitting window, which is
 *    what a chart that should catch such shifts wants.
 *  - `sample_std`: the sample standard deviation (divisor n - 1). Efficient for truly i.i.d.
 *    data, but inflated by any drift or shift in the fitting window. */
enum class SigmaEstimator : std::uint8_t { moving_range, sample_std };

namespace detail {

/** d2 for subgroups of two, the constant of the moving-range estimator. */
inline constexpr double kD2 = 1.128;

/** Location and scale of an in-control series. */
struct LocationScale {
  double mean = 0.0;
  double sigma = 0.0;
};

/** Checks a control chart's input series: a vector (one column or one row), at least
 *  `min_size` samples, all finite and still finite once converted to the chart's `Scalar` (a
 *  double above FLT_MAX would become inf in float). Names the chart and the offending index. */
template <class Scalar, class Derived>
void check_series(const Eigen::MatrixBase<Derived>& x, std::string_view chart,
                  std::string_view what, Eigen::Index min_size) {
  if (x.rows() != 1 && x.cols() != 1 && x.size() != 0) {
    fail(chart, ": ", what, " must be a vector (one column), got ", x.rows(), " x ", x.cols());
  }
  if (x.size() < min_size) {
    fail(chart, ": ", what, " needs at least ", min_size, " samples (got ", x.size(), ")");
  }
  if (!all_finite_as<Scalar>(x)) {
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      const auto v = x.derived().reshaped()(i);
      if (!std::isfinite(static_cast<double>(v))) {
        fail(chart, ": ", what, " contains a non-finite value (", v, ") at index ", i);
      }
      if (!is_finite_as<Scalar>(v)) {
        fail(chart, ": ", what, " has a value (", v, ") at index ", i, " that is out of range for ",
             scalar_name<Scalar>(), " (largest finite value ", std::numeric_limits<Scalar>::max(),
             ")");
      }
    }
  }
}

/** Mean and sigma of an in-control series, in double whatever the series' scalar.
 *  \pre x has at least two finite samples (check_series). */
template <class Derived>
LocationScale estimate_location_scale(const Eigen::MatrixBase<Derived>& x,
                                      SigmaEstimator estimator) {
  const auto v = x.derived().reshaped().template cast<double>();
  const Eigen::Index n = v.size();
  LocationScale out;
  out.mean = v.mean();
  if (estimator == SigmaEstimator::moving_range) {
    double sum = 0.0;
    for (Eigen::Index i = 1; i < n; ++i) sum += std::abs(v(i) - v(i - 1));
    out.sigma = sum / static_cast<double>(n - 1) / kD2;
  } else {
    out.sigma = std::sqrt((v.array() - out.mean).square().sum() / static_cast<double>(n - 1));
  }
  return out;
}

/** The given value or the estimate. g++ 12 reports a false -Wmaybe-uninitialized here (and on
 *  std::optional::value_or) for a disengaged optional<double> copied through Params, whose
 *  payload is never read; the diagnostic is silenced for these lines only. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
inline double given_or(const std::optional<double>& given, double estimate) {
  return given.has_value() ? *given : estimate;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/** The in-control (mean, sigma) a chart's `fit` settles on: each value given in Params wins,
 *  the other is estimated from `in_control` (at least two finite samples).
 *  \throws InvalidArgument naming `chart` when the series is too short, holds a non-finite value
 *  or one out of `Scalar`'s range, or has no spread while sigma must be estimated. */
template <class Scalar, class Derived>
LocationScale fit_baseline(const Eigen::MatrixBase<Derived>& in_control,
                           const std::optional<double>& mean, const std::optional<double>& sigma,
                           SigmaEstimator estimator, std::string_view chart) {
  check_series<Scalar>(in_control, chart, "in_control", 2);
  const auto est = estimate_location_scale(in_control, estimator);
  LocationScale out;
  out.mean = given_or(mean, est.mean);
  out.sigma = given_or(sigma, est.sigma);
  if (!(out.sigma > 0.0) || !std::isfinite(out.sigma)) {
    fail(chart, ": the in-control series has no spread (sigma estimate ", out.sigma,
         "); give sigma in Params");
  }
  return out;
}

/** Validates an optional user-given sigma. */
inline void check_sigma(const std::optional<double>& sigma) {
  if (sigma) check_param(std::isfinite(*sigma) && *sigma > 0.0, "sigma", *sigma, "> 0 and finite");
}

/** Validates an optional user-given mean. */
inline void check_mean(const std::optional<double>& mean) {
  if (mean) check_param(std::isfinite(*mean), "mean", *mean, "finite");
}

/** Throws the message every chart uses for a non-finite sample. */
[[noreturn]] inline void fail_non_finite_sample(std::string_view chart, double x) {
  fail(chart, ": sample x is not finite (got ", x, "); the detector's state is unchanged");
}

}  // namespace detail

/** The skeleton of a single-stream control chart: parameters, baseline (fit), update, detect,
 *  trace, reset and the accessors every chart shares. `Ewma` and `Cusum` derive from it; what
 *  differs between them lives in their statistic policy.
 *
 *  The policy `Statistic` names the parameters (`Statistic::Params`, with `mean`, `sigma`,
 *  `sigma_estimator` and `reset_on_alarm`), validates them, and gives, in
 *  `Statistic::Stream<Scalar>`, the constants derived from a baseline (`State`), the running
 *  statistic, the one-sample step, the limits and the blocked kernel of `detect`. Both `update`
 *  and `detect` run the policy's arithmetic, so they agree to the last bit.
 *
 *  \tparam Statistic the statistic policy (detail::EwmaStatistic, detail::CusumStatistic).
 *  \tparam ScalarT float or double: the type of samples, statistics and limits.
 *  \tparam Chart the derived chart (what `fit` and `set_params` return).
 *  Thread safety: `fit`, `set_params`, `update`, `detect`, `trace` and `reset` mutate the chart
 *  (one thread per chart); const accessors may be called concurrently.
 */
template <class Statistic, class ScalarT, class Chart>
class ControlChart {
  using Stream = typename Statistic::template Stream<ScalarT>;
  using State = typename Stream::State;

 public:
  using Scalar = ScalarT;                     ///< type of samples, statistics and limits
  using Params = typename Statistic::Params;  ///< the same type for every ScalarT

  /** A chart with default parameters; it needs `fit` (no mean or sigma given). */
  ControlChart() : ControlChart(Params{}) {}
  /** \throws InvalidArgument if a parameter is out of range (message names it). */
  explicit ControlChart(const Params& params) : params_(validated(params)) { init_from_params(); }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters after validating them. The chart is ready at once when both mean
   *  and sigma are given, otherwise it must be fitted again. The running state restarts.
   *  \throws InvalidArgument if a parameter is out of range (the chart is then unchanged). */
  Chart& set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
    init_from_params();
    return chart();
  }

  /** Estimates the missing parts of the baseline (mean: sample mean; sigma: per
   *  `sigma_estimator`) from an in-control series and restarts the running state.
   *  \param in_control vector of at least two finite samples.
   *  \throws InvalidArgument for fewer than two samples, a non-finite value (index named), or a
   *  series with no spread when sigma must be estimated. */
  template <class Derived>
  Chart& fit(const Eigen::MatrixBase<Derived>& in_control) {
    const auto base = detail::fit_baseline<Scalar>(in_control, params_.mean, params_.sigma,
                                                   params_.sigma_estimator, Statistic::name);
    state_ = Stream::make_state(params_, base.mean, base.sigma);
    reset();
    return chart();
  }

  /** True when the baseline is known (given in Params or fitted). */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }

  /** Feeds one sample. \returns the statistics, the limits at t and the alarm (see Signal).
   *  \throws NotFittedError before fit; InvalidArgument for a non-finite sample, leaving the
   *  state as it was (the stream can go on). */
  OSPREY_ALWAYS_INLINE Signal<Scalar> update(Scalar x) {
    const auto& s = checked_state();
    if (!std::isfinite(x)) detail::fail_non_finite_sample(Statistic::name, static_cast<double>(x));
    return stream_.step(s, x, t_, params_.reset_on_alarm);
  }

  /** Feeds a series (a vector) and returns its alarms, 0 / +1 / -1 per sample; the chart goes
   *  on from its current state and keeps the state after the last sample, exactly as a loop of
   *  `update`, to the last bit. The whole series is checked first, so a non-finite value, or one
   *  that overflows Scalar (a double above FLT_MAX for float), throws naming its index without
   *  changing the state. */
  template <class Derived>
  Eigen::VectorXi detect(const Eigen::MatrixBase<Derived>& series) {
    Eigen::VectorXi out;
    detect_impl(series, nullptr, out);
    return out;
  }

  /** `detect` into a caller's buffer (resized only when its length differs), so a stream of
   *  batches allocates nothing: the steady-state form for large series. */
  template <class Derived>
  void detect_into(const Eigen::MatrixBase<Derived>& series, Eigen::VectorXi& alarms) {
    detect_impl(series, nullptr, alarms);
  }

  /** `detect` that also writes the chart's statistic of every sample (what `statistic()` would
   *  have read just before the sample's alarm handling) into `statistic`, resized to the series'
   *  length. */
  template <class Derived>
  Eigen::VectorXi detect(const Eigen::MatrixBase<Derived>& series, Vector<Scalar>& statistic) {
    if (statistic.size() != series.size()) {
      statistic.resize(series.size());
      detail::hint_huge_pages(statistic.data(),
                              static_cast<std::size_t>(statistic.size()) * sizeof(Scalar));
    }
    Eigen::VectorXi out;
    detect_impl(series, statistic.data(), out);
    return out;
  }

  /** Like `detect`, but returns every Signal's fields (for plots and audits), through `update`'s
   *  per-sample path. */
  template <class Derived>
  Trace<Scalar> trace(const Eigen::MatrixBase<Derived>& series) {
    const auto& s = checked_state();
    detail::check_series<Scalar>(series, Statistic::name, "series", 0);
    const Vector<Scalar> x = series.derived().reshaped().template cast<Scalar>();
    const Eigen::Index n = x.size();
    Trace<Scalar> tr{Vector<Scalar>(n), Vector<Scalar>(n), Vector<Scalar>(n), Vector<Scalar>(n),
                     Eigen::VectorXi(n)};
    for (Eigen::Index i = 0; i < n; ++i) {
      const Signal<Scalar> sig = stream_.step(s, x(i), t_, params_.reset_on_alarm);
      tr.upper_statistic(i) = sig.upper_statistic;
      tr.lower_statistic(i) = sig.lower_statistic;
      tr.upper_limit(i) = sig.upper_limit;
      tr.lower_limit(i) = sig.lower_limit;
      tr.alarms(i) = static_cast<int>(sig.alarm);
    }
    return tr;
  }

  /** Restarts the running state (the statistic at its start value, t = 0). The baseline is
   *  kept. */
  void reset() noexcept {
    t_ = 0;
    stream_.reset(state_ ? &*state_ : nullptr);
  }

  /** The current statistic (its start value right after fit or reset).
   *  \throws NotFittedError before fit. */
  [[nodiscard]] Scalar statistic() const {
    (void)checked_state();
    return stream_.current();
  }
  /** Samples since the start, the last `reset()` or the last restart after an alarm (with
   *  reset_on_alarm). */
  [[nodiscard]] std::int64_t n_updates() const noexcept { return t_; }
  /** The in-control mean in use. \throws NotFittedError before fit. */
  [[nodiscard]] double mean() const { return checked_state().mean; }
  /** The in-control sigma in use. \throws NotFittedError before fit. */
  [[nodiscard]] double sigma() const { return checked_state().sigma; }
  /** Half-width of the limits after t samples, the value `update` uses.
   *  \throws NotFittedError before fit. */
  [[nodiscard]] double half_width(std::int64_t t) const {
    return stream_.half_width(checked_state(), params_, t);
  }

 protected:
  /** The running statistic's policy object, for the derived chart's own accessors. */
  [[nodiscard]] const Stream& stream() const {
    (void)checked_state();
    return stream_;
  }

 private:
  static Params validated(const Params& p) {
    Statistic::validate(p);
    return p;
  }

  Chart& chart() noexcept { return static_cast<Chart&>(*this); }

  void init_from_params() {
    stream_ = Stream(params_);
    if (params_.mean && params_.sigma) {
      state_ = Stream::make_state(params_, *params_.mean, *params_.sigma);
    }
    reset();
  }

  const State& checked_state() const {
    detail::check_fitted(state_.has_value(), Statistic::name);
    return *state_;
  }

  template <class Derived>
  void detect_impl(const Eigen::MatrixBase<Derived>& series, Scalar* statistic,
                   Eigen::VectorXi& out) {
    const auto& s = checked_state();
    detail::check_series<Scalar>(series, Statistic::name, "series", 0);
    if (out.size() != series.size()) {
      // A fresh buffer: hinted before its first write (a 40 MB alarm vector of 10M samples
      // faulted in 4 KiB pages cost 0.1 s, seven times the recurrence itself).
      out.resize(series.size());
      detail::hint_huge_pages(out.data(), static_cast<std::size_t>(out.size()) * sizeof(int));
    }
    const bool reset_on_alarm = params_.reset_on_alarm;
    if constexpr (Derived::ColsAtCompileTime == 1 &&
                  std::is_same_v<typename Derived::Scalar, Scalar>) {
      const Eigen::Ref<const Vector<Scalar>> x(series.derived());
      stream_.detect(s, x.data(), x.size(), out.data(), statistic, t_, reset_on_alarm);
    } else {
      const Vector<Scalar> x = series.derived().reshaped().template cast<Scalar>();
      stream_.detect(s, x.data(), x.size(), out.data(), statistic, t_, reset_on_alarm);
    }
  }

  friend struct detail::Serial;
  Params params_;
  std::optional<State> state_;
  Stream stream_;
  std::int64_t t_ = 0;
};

OSPREY_NAMESPACE_END

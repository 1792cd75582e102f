/** \file
 *  Vocabulary shared by the streaming control charts (`Ewma`, `Cusum` and their banks): the
 *  `Alarm` and `Signal` an `update` returns, the `Trace` of a whole series, the choice of sigma
 *  estimator, and the estimators of an in-control series' location and scale.
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

OSPREY_NAMESPACE_END

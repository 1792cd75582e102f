/** \file
 *  `Ewma`: the exponentially weighted moving average control chart for one stream (Roberts
 *  1959; Montgomery, *Introduction to Statistical Quality Control*, section 9.2).
 *
 *  z_t = lambda x_t + (1 - lambda) z_{t-1}, z_0 = mean, and the chart signals when z_t leaves
 *  mean +/- L sigma sqrt(lambda / (2 - lambda) (1 - (1 - lambda)^(2t))) (the exact, time-varying
 *  limits) or mean +/- L sigma sqrt(lambda / (2 - lambda)) (the asymptotic ones).
 *  Samples are scalars fed one at a time (`update`) or as a series (`detect`, `trace`).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "control_chart.hpp"

OSPREY_NAMESPACE_BEGIN

namespace detail {

/** The fitted (or given) baseline of an Ewma and the constants derived from it. */
template <class Scalar>
struct EwmaState {
  double mean = 0.0;             ///< in-control mean, as fitted or given
  double sigma = 0.0;            ///< in-control standard deviation of one sample
  Scalar m{};                    ///< mean in Scalar
  Scalar lam{};                  ///< lambda
  Scalar oml{};                  ///< 1 - lambda
  Scalar asym_hw{};              ///< L sigma sqrt(lambda / (2 - lambda)): asymptotic half-width
  std::int64_t exact_until = 0;  ///< for t <= exact_until the half-width is the exact one
  double q_step = 0.0;           ///< (1 - lambda)^2, the factor of q_t = (1 - lambda)^(2t)
  double hw2 = 0.0;              ///< (L sigma)^2 lambda / (2 - lambda): asymptotic half-width^2
};

/** Half-width of the exact EWMA limits after t samples, in double. */
inline double ewma_half_width(double lambda, double L, double sigma, std::int64_t t) {
  const double q = std::pow(1.0 - lambda, 2.0 * static_cast<double>(t));
  return L * sigma * std::sqrt(lambda / (2.0 - lambda) * (1.0 - q));
}

}  // namespace detail

/** Parameters of `Ewma` and `EwmaBank`, written with designated initialisers. */
struct EwmaParams {
  double lambda = 0.2;            ///< smoothing weight of the newest sample, in (0, 1]
  double L = 3.0;                 ///< width of the limits in sigmas of z_t, > 0
  std::optional<double> mean{};   ///< in-control mean; estimated by fit when empty
  std::optional<double> sigma{};  ///< in-control sigma of one sample, > 0; fit when empty
  bool exact_limits = true;       ///< time-varying limits (false: asymptotic from t = 1)
  bool reset_on_alarm = false;    ///< restart z at the mean (and t at 0) after an alarm
  SigmaEstimator sigma_estimator = SigmaEstimator::moving_range;  ///< how fit estimates sigma
};

/** EWMA control chart for one stream: a `StreamDetector`.
 *
 *  The baseline (mean, sigma) is given in Params or estimated by `fit` on an in-control series
 *  (whichever of the two is not given). A chart whose Params give both is ready at construction.
 *  Each `update(x)` advances z_t and returns a `Signal` (z_t, the limits at t, the alarm);
 *  `detect(series)` does the same for a whole series and returns only the alarms, through a
 *  blocked form of the recurrence (z_{t+j} = (1-lambda)^j z_t + a partial sum of the block)
 *  whose dependency chain is one fused multiply-add per block instead of one per sample; its
 *  statistics equal `update`'s up to rounding.
 *
 *  Defaults lambda = 0.2, L = 3 give an in-control average run length of about 562 samples
 *  (Markov-chain value, asymptotic limits; see `ewma_arl` in arl.hpp), i.e. about 1.8 false
 *  alarms per 1,000 in-control points; the exact limits are narrower at start-up and add a few
 *  early alarms. A shift of one sigma is detected after about 10 samples.
 *
 *  \tparam ScalarT float or double: the type of samples, statistics and limits.
 *  Complexity: O(1) time and memory per sample (a square root per sample only while the exact
 *  limits still differ from the asymptotic ones in Scalar's precision).
 *  Thread safety: `update`, `detect`, `trace` and `reset` mutate the running state (one thread per
 *  detector); const accessors may be called concurrently.
 */
template <class ScalarT = double>
class Ewma {
 public:
  using Scalar = ScalarT;  ///< type of samples, statistics and limits

  /** Parameters (the same type for every ScalarT), see EwmaParams. */
  using Params = EwmaParams;

  /** A chart with default parameters; it needs `fit` (no mean or sigma given). */
  Ewma() : Ewma(Params{}) {}
  /** \throws InvalidArgument if a parameter is out of range (message names it). */
  explicit Ewma(const Params& params) : params_(validated(params)) { init_from_params(); }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters after validating them. The chart is ready at once when both mean
   *  and sigma are given, otherwise it must be fitted again. The running state restarts. */
  void set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
    init_from_params();
  }

  /** Estimates the missing parts of the baseline (mean: sample mean; sigma: per
   *  `sigma_estimator`) from an in-control series and restarts the running state.
   *  \param in_control vector of at least two finite samples.
   *  \throws InvalidArgument for fewer than two samples, a non-finite value (index named), or a
   *  series with no spread when sigma must be estimated. */
  template <class Derived>
  Ewma& fit(const Eigen::MatrixBase<Derived>& in_control) {
    const auto base = detail::fit_baseline(in_control, params_.mean, params_.sigma,
                                           params_.sigma_estimator, "Ewma");
    state_ = make_state(base.mean, base.sigma);
    reset();
    return *this;
  }

  /** True when the baseline is known (given in Params or fitted). */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }

  /** Feeds one sample. \returns z_t, the limits at t and the alarm.
   *  \throws NotFittedError before fit; InvalidArgument for a non-finite sample, leaving the
   *  state as it was (the stream can go on). */
  OSPREY_ALWAYS_INLINE Signal<Scalar> update(Scalar x) {
    const auto& s = checked_state();
    if (!std::isfinite(x)) detail::fail_non_finite_sample("Ewma", static_cast<double>(x));
    return step(s, x);
  }

  /** Feeds a series (a vector) and returns its alarms, 0 / +1 / -1 per sample; the chart goes
   *  on from its current state and keeps the state after the last sample, exactly as a loop of
   *  `update` (statistics equal up to rounding). The whole series is checked first, so a
   *  non-finite value throws (naming its index) without changing the state. */
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

  /** `detect` that also writes z_t of every sample into `statistic` (resized to the series'
   *  length): the batch form of what pandas' `ewm(alpha=lambda, adjust=False).mean()` computes,
   *  plus the alarms. */
  template <class Derived>
  Eigen::VectorXi detect(const Eigen::MatrixBase<Derived>& series, Vector<Scalar>& statistic) {
    statistic.resize(series.size());
    Eigen::VectorXi out;
    detect_impl(series, statistic.data(), out);
    return out;
  }

  /** Like `detect`, but returns every Signal's fields (for plots and audits), through `update`'s
   *  per-sample path. */
  template <class Derived>
  Trace<Scalar> trace(const Eigen::MatrixBase<Derived>& series) {
    const auto& s = checked_state();
    detail::check_series(series, "Ewma", "series", 0);
    const Vector<Scalar> x = series.derived().reshaped().template cast<Scalar>();
    return detail_trace(s, x);
  }

  /** Restarts the running state: z = mean, t = 0. The baseline is kept. */
  void reset() noexcept {
    t_ = 0;
    q_ = 1.0;
    z_ = state_ ? state_->m : Scalar(0);
  }

  /** The current statistic z_t (the mean right after fit or reset). */
  [[nodiscard]] Scalar statistic() const {
    (void)checked_state();
    return z_;
  }
  /** Samples since the start or the last reset (the t of the exact limits). */
  [[nodiscard]] std::int64_t n_updates() const noexcept { return t_; }
  /** The in-control mean in use. \throws NotFittedError before fit. */
  [[nodiscard]] double mean() const { return checked_state().mean; }
  /** The in-control sigma in use. \throws NotFittedError before fit. */
  [[nodiscard]] double sigma() const { return checked_state().sigma; }
  /** Half-width of the limits after t samples (asymptotic when exact_limits is false). */
  [[nodiscard]] double half_width(std::int64_t t) const {
    const auto& s = checked_state();
    if (!params_.exact_limits) return static_cast<double>(s.asym_hw);
    return detail::ewma_half_width(params_.lambda, params_.L, s.sigma, t);
  }

 private:
  static constexpr int kBlock = 8;

  static Params validated(const Params& p) {
    detail::check_param(p.lambda > 0.0 && p.lambda <= 1.0, "lambda", p.lambda, "in (0, 1]");
    detail::check_param(p.L > 0.0 && std::isfinite(p.L), "L", p.L, "> 0 and finite");
    detail::check_mean(p.mean);
    detail::check_sigma(p.sigma);
    return p;
  }

  void init_from_params() {
    if (params_.mean && params_.sigma) state_ = make_state(*params_.mean, *params_.sigma);
    reset();
  }

  detail::EwmaState<Scalar> make_state(double mean, double sigma) const {
    detail::EwmaState<Scalar> s;
    const double lam = params_.lambda;
    s.mean = mean;
    s.sigma = sigma;
    s.m = static_cast<Scalar>(mean);
    s.lam = static_cast<Scalar>(lam);
    s.oml = static_cast<Scalar>(1.0 - lam);
    const double asym = params_.L * sigma * std::sqrt(lam / (2.0 - lam));
    s.asym_hw = static_cast<Scalar>(asym);
    s.q_step = (1.0 - lam) * (1.0 - lam);
    s.hw2 = asym * asym;
    if (params_.exact_limits && lam < 1.0) {
      // Beyond T the factor (1 - (1 - lambda)^(2t)) is 1 to within Scalar's precision.
      const double eps = static_cast<double>(std::numeric_limits<Scalar>::epsilon()) / 4.0;
      const double T = std::ceil(std::log(eps) / (2.0 * std::log1p(-lam)));
      s.exact_until = static_cast<std::int64_t>(std::min(T, 1e18));
    }
    return s;
  }

  const detail::EwmaState<Scalar>& checked_state() const {
    detail::check_fitted(state_.has_value(), "Ewma");
    return *state_;
  }

  OSPREY_ALWAYS_INLINE Signal<Scalar> step(const detail::EwmaState<Scalar>& s, Scalar x) {
    const Scalar z = detail::mul_add(s.oml, z_, s.lam * x);
    const std::int64_t t = t_ + 1;
    Scalar hw = s.asym_hw;
    if (t <= s.exact_until) {
      // Exact limits: q_t = (1 - lambda)^(2t) by one product per step (no table, no pow), so
      // the chart is a handful of scalars the compiler can keep in registers.
      q_ *= s.q_step;
      hw = static_cast<Scalar>(std::sqrt(s.hw2 * (1.0 - q_)));
    }
    Signal<Scalar> out{z, z, s.m + hw, s.m - hw, Alarm::none};
    if (z > out.upper_limit) {
      out.alarm = Alarm::upper;
    } else if (z < out.lower_limit) {
      out.alarm = Alarm::lower;
    }
    if (params_.reset_on_alarm && out.alarm != Alarm::none) {
      z_ = s.m;
      t_ = 0;
      q_ = 1.0;
    } else {
      z_ = z;
      t_ = t;
    }
    return out;
  }

  template <class Derived>
  void detect_impl(const Eigen::MatrixBase<Derived>& series, Scalar* statistic,
                   Eigen::VectorXi& out) {
    const auto& s = checked_state();
    detail::check_series(series, "Ewma", "series", 0);
    out.resize(series.size());
    if constexpr (Derived::ColsAtCompileTime == 1 &&
                  std::is_same_v<typename Derived::Scalar, Scalar>) {
      const Eigen::Ref<const Vector<Scalar>> x(series.derived());
      detect_kernel(s, x.data(), x.size(), out.data(), statistic);
    } else {
      const Vector<Scalar> x = series.derived().reshaped().template cast<Scalar>();
      detect_kernel(s, x.data(), x.size(), out.data(), statistic);
    }
  }

  void detect_kernel(const detail::EwmaState<Scalar>& s, const Scalar* OSPREY_RESTRICT x,
                     Eigen::Index n, int* OSPREY_RESTRICT out, Scalar* OSPREY_RESTRICT stat) {
    // z_{t+j} = (1 - lambda)^(j + 1) z_t + w_j with w_j = sum_{k <= j} lambda (1 - lambda)^k
    // x_{t+j-k}: w is a small triangular convolution of the block, written as kBlock shifted
    // multiply-adds of whole blocks (coef[k]_j = 0 for k > j) in Eigen's fixed-size arrays, so it
    // runs in SIMD registers, and the carried dependency is one FMA per block, not per sample.
    using Block = Eigen::Array<Scalar, kBlock, 1>;
    using IntBlock = Eigen::Array<int, kBlock, 1>;
    Block coef[kBlock];
    Block pw;
    Scalar p = Scalar(1);
    for (int k = 0; k < kBlock; ++k) {
      for (int j = 0; j < kBlock; ++j) coef[k](j) = k <= j ? s.lam * p : Scalar(0);
      p *= s.oml;
      pw(k) = p;
    }
    const Scalar ucl = s.m + s.asym_hw;
    const Scalar lcl = s.m - s.asym_hw;
    const bool reset_on_alarm = params_.reset_on_alarm;
    Eigen::Index i = 0;
    while (i < n) {
      // Sample by sample while the exact limits still move, for the first kBlock - 1 samples
      // (the shifted loads reach back that far) and for the tail.
      while (i < n && (t_ < s.exact_until || i < kBlock - 1 || n - i < kBlock)) {
        const Signal<Scalar> sig = step(s, x[i]);
        out[i] = static_cast<int>(sig.alarm);
        if (stat != nullptr) stat[i] = sig.upper_statistic;
        ++i;
      }
      // Blocks with the asymptotic limits; the running state lives in locals here.
      Scalar z = z_;
      std::int64_t t = t_;
      while (n - i >= kBlock) {
        Block w = coef[0] * Eigen::Map<const Block>(x + i);
        for (int k = 1; k < kBlock; ++k) w += coef[k] * Eigen::Map<const Block>(x + i - k);
        const Block zz = pw * z + w;
        if (stat != nullptr) Eigen::Map<Block>(stat + i) = zz;
        const IntBlock a = (zz > ucl).template cast<int>() - (zz < lcl).template cast<int>();
        if (reset_on_alarm && (a != 0).any()) {
          // Keep the samples up to the first alarm; the chart restarts after it.
          int j = 0;
          while (a(j) == 0) out[i + j++] = 0;
          out[i + j] = a(j);
          z = s.m;
          t = 0;
          q_ = 1.0;
          i += j + 1;
          break;
        }
        Eigen::Map<IntBlock>(out + i) = a;
        z = zz(kBlock - 1);
        t += kBlock;
        i += kBlock;
      }
      z_ = z;
      t_ = t;
    }
  }

  Trace<Scalar> detail_trace(const detail::EwmaState<Scalar>& s, const Vector<Scalar>& x) {
    const Eigen::Index n = x.size();
    Trace<Scalar> tr{Vector<Scalar>(n), Vector<Scalar>(n), Vector<Scalar>(n), Vector<Scalar>(n),
                     Eigen::VectorXi(n)};
    for (Eigen::Index i = 0; i < n; ++i) {
      const Signal<Scalar> sig = step(s, x(i));
      tr.upper_statistic(i) = sig.upper_statistic;
      tr.lower_statistic(i) = sig.lower_statistic;
      tr.upper_limit(i) = sig.upper_limit;
      tr.lower_limit(i) = sig.lower_limit;
      tr.alarms(i) = static_cast<int>(sig.alarm);
    }
    return tr;
  }

  Params params_;
  std::optional<detail::EwmaState<Scalar>> state_;
  Scalar z_{};
  std::int64_t t_ = 0;
  double q_ = 1.0;  // (1 - lambda)^(2 t_) while the exact limits are in use
};

OSPREY_NAMESPACE_END

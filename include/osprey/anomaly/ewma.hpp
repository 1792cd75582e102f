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
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "control_chart.hpp"

OSPREY_NAMESPACE_BEGIN

namespace detail {

/** The most samples since the start (or a restart) for which EWMA limits are time-varying:
 *  beyond it they are the asymptotic ones even where (1 - lambda)^(2t) has not vanished in
 *  Scalar's precision (lambda below about 1e-8). It lets `EwmaBank` count samples in 32 bits;
 *  `Ewma` uses the same cap, so the two agree at every t. */
inline constexpr std::int64_t kEwmaMaxExactSteps = std::numeric_limits<std::int32_t>::max() - 2;

/** Asymptotic half-width of EWMA limits, L sigma sqrt(lambda / (2 - lambda)), rounded once to
 *  Scalar: the one expression `Ewma` and `EwmaBank` both use. */
template <class Scalar>
[[nodiscard]] inline Scalar ewma_asymptotic_half_width(double lambda, double L, double sigma) {
  return static_cast<Scalar>(L * sigma * std::sqrt(lambda / (2.0 - lambda)));
}

/** The factors f_t = sqrt(1 - (1 - lambda)^(2t)) of the exact EWMA limits, in Scalar: the
 *  half-width after t samples is `asymptotic_half_width * f_t` (one rounding in Scalar), the same
 *  in `Ewma` and `EwmaBank`. f_t is computed as sqrt(-expm1(2t log1p(-lambda))) in double and
 *  rounded once, which does not depend on how t was reached. For t > exact_until() f_t is 1: the
 *  exact factor rounds to 1 in Scalar from t = ceil(log(eps / 4) / (2 log(1 - lambda))) on, and
 *  exact_until() is that t, capped at kEwmaMaxExactSteps. The first min(exact_until(), kTable)
 *  factors are tabulated (shared between copies); later ones are computed when asked for. */
template <class Scalar>
class EwmaLimitFactors {
 public:
  /** Factors past this many samples are computed on the fly instead of tabulated. */
  static constexpr std::int64_t kTable = 65536;

  /** No exact limits: every factor is 1. */
  EwmaLimitFactors() : table_(std::make_shared<const std::vector<Scalar>>(1, Scalar(1))) {}

  /** Factors of a chart with this lambda; all 1 unless `exact` (and lambda < 1). */
  EwmaLimitFactors(double lambda, bool exact) {
    std::vector<Scalar> table;
    if (exact && lambda < 1.0) {
      log_q_ = 2.0 * std::log1p(-lambda);
      const double eps = static_cast<double>(std::numeric_limits<Scalar>::epsilon()) / 4.0;
      const double T = std::ceil(std::log(eps) / log_q_);
      exact_until_ =
          static_cast<std::int64_t>(std::min(T, static_cast<double>(kEwmaMaxExactSteps)));
      const std::int64_t k = std::min(exact_until_, kTable);
      table.reserve(static_cast<std::size_t>(k) + 1);
      for (std::int64_t t = 1; t <= k; ++t) table.push_back(compute(t));
    }
    table.push_back(Scalar(1));  // f for every t > exact_until() when the table covers them all
    table_ = std::make_shared<const std::vector<Scalar>>(std::move(table));
  }

  /** The last t whose factor may differ from 1 (0 without exact limits). */
  [[nodiscard]] std::int64_t exact_until() const noexcept { return exact_until_; }
  /** Number of tabulated factors f_1..f_K; `data()[K]` is 1. */
  [[nodiscard]] std::int64_t n_table() const noexcept {
    return static_cast<std::int64_t>(table_->size()) - 1;
  }
  /** f_1..f_K, then a 1. */
  [[nodiscard]] const Scalar* data() const noexcept { return table_->data(); }

  /** f_t for t >= 1. */
  [[nodiscard]] OSPREY_ALWAYS_INLINE Scalar operator()(std::int64_t t) const {
    if (t > exact_until_) return Scalar(1);
    if (t <= n_table()) return (*table_)[static_cast<std::size_t>(t - 1)];
    return compute(t);
  }

 private:
  [[nodiscard]] Scalar compute(std::int64_t t) const {
    return static_cast<Scalar>(std::sqrt(-std::expm1(static_cast<double>(t) * log_q_)));
  }

  std::shared_ptr<const std::vector<Scalar>> table_;
  std::int64_t exact_until_ = 0;
  double log_q_ = 0.0;  // 2 log(1 - lambda)
};

/** The fitted (or given) baseline of an Ewma and the constants derived from it. Trivially
 *  copyable: g++ 12 warns falsely (-Wmaybe-uninitialized) on copies of an optional with a
 *  non-trivial payload, so the chart keeps its EwmaLimitFactors beside it. */
template <class Scalar>
struct EwmaState {
  double mean = 0.0;   ///< in-control mean, as fitted or given
  double sigma = 0.0;  ///< in-control standard deviation of one sample
  Scalar m{};          ///< mean in Scalar
  Scalar lam{};        ///< lambda
  Scalar oml{};        ///< 1 - lambda
  Scalar asym_hw{};    ///< L sigma sqrt(lambda / (2 - lambda)): asymptotic half-width
};

/** z_t from z_{t-1}: the one expression of the EWMA recurrence (Ewma's update, detect and
 *  trace, and EwmaBank), fused where the target has an FMA. */
template <class Scalar>
[[nodiscard]] OSPREY_ALWAYS_INLINE Scalar ewma_next(Scalar oml, Scalar z, Scalar lam,
                                                    Scalar x) noexcept {
  return kernels::mul_add(oml, z, lam * x);
}

/** z_1..z_len of the recurrence from z into zs; returns z_len. A free function with restrict
 *  parameters and the constants by value, so g++ keeps z in a register (the loop is then bound
 *  by the multiply-add latency alone). */
template <class Scalar>
[[nodiscard]] OSPREY_NOINLINE Scalar ewma_run(const Scalar* OSPREY_RESTRICT x,
                                              Scalar* OSPREY_RESTRICT zs, Eigen::Index len,
                                              Scalar oml, Scalar lam, Scalar z) noexcept {
  for (Eigen::Index j = 0; j < len; ++j) {
    z = ewma_next(oml, z, lam, x[j]);
    zs[j] = z;
  }
  return z;
}

/** Alarms (+1 above ucl, -1 below lcl) of zs into a; returns nonzero if any. */
template <class Scalar>
int limit_alarms(const Scalar* OSPREY_RESTRICT zs, int* OSPREY_RESTRICT a, Eigen::Index len,
                 Scalar ucl, Scalar lcl) noexcept {
  int any = 0;
  for (Eigen::Index j = 0; j < len; ++j) {
    const int aj = static_cast<int>(zs[j] > ucl) - static_cast<int>(zs[j] < lcl);
    a[j] = aj;
    any |= aj;
  }
  return any;
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
 *  `detect(series)` does the same for a whole series and returns only the alarms. Both run the
 *  same arithmetic (z_t = fma(1 - lambda, z_{t-1}, lambda x_t) where the target has an FMA, the
 *  half-width asymptotic * f_t of `detail::EwmaLimitFactors`), so their statistics and alarms
 *  are bit-identical, also within one ulp of a limit; `EwmaBank` shares that arithmetic too.
 *  The recurrence is latency-bound (one multiply-add per sample); `detect` gains over an
 *  `update` loop only by keeping the state in registers and checking the whole series once.
 *
 *  Defaults lambda = 0.2, L = 3 give an in-control average run length of about 562 samples
 *  (Markov-chain value, asymptotic limits; see `ewma_arl` in arl.hpp), i.e. about 1.8 false
 *  alarms per 1,000 in-control points; the exact limits are narrower at start-up and add a few
 *  early alarms. A shift of one sigma is detected after about 10 samples.
 *
 *  \tparam ScalarT float or double: the type of samples, statistics and limits.
 *  Complexity: O(1) time per sample; the exact-limit factors of the first min(T, 65,536) samples
 *  are tabulated at fit (T, the samples until they round to 1, is about 84 for the defaults in
 *  double), later ones cost an expm1 and a square root per sample until T.
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
    const auto base = detail::fit_baseline<Scalar>(in_control, params_.mean, params_.sigma,
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
    detail::check_series<Scalar>(series, "Ewma", "series", 0);
    const Vector<Scalar> x = series.derived().reshaped().template cast<Scalar>();
    return detail_trace(s, x);
  }

  /** Restarts the running state: z = mean, t = 0. The baseline is kept. */
  void reset() noexcept {
    t_ = 0;
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
  /** Half-width of the limits after t samples, the value `update` uses (asymptotic when
   *  exact_limits is false; 0 for t < 1 with exact limits). */
  [[nodiscard]] double half_width(std::int64_t t) const {
    const auto& s = checked_state();
    if (!params_.exact_limits) return static_cast<double>(s.asym_hw);
    if (t < 1) return 0.0;
    return static_cast<double>(half_width_at(s, t));
  }

 private:
  static Params validated(const Params& p) {
    detail::check_param(p.lambda > 0.0 && p.lambda <= 1.0, "lambda", p.lambda, "in (0, 1]");
    detail::check_param(p.L > 0.0 && std::isfinite(p.L), "L", p.L, "> 0 and finite");
    detail::check_mean(p.mean);
    detail::check_sigma(p.sigma);
    return p;
  }

  void init_from_params() {
    factors_ = detail::EwmaLimitFactors<Scalar>(params_.lambda, params_.exact_limits);
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
    s.asym_hw = detail::ewma_asymptotic_half_width<Scalar>(lam, params_.L, sigma);
    return s;
  }

  const detail::EwmaState<Scalar>& checked_state() const {
    detail::check_fitted(state_.has_value(), "Ewma");
    return *state_;
  }

  /** The half-width after t >= 1 samples: asym_hw * f_t, as EwmaBank computes it. */
  OSPREY_ALWAYS_INLINE Scalar half_width_at(const detail::EwmaState<Scalar>& s,
                                            std::int64_t t) const {
    return s.asym_hw * factors_(t);
  }

  /** z_t from z_{t-1}: the one expression of the recurrence (update, detect, trace). */
  static OSPREY_ALWAYS_INLINE Scalar next_z(const detail::EwmaState<Scalar>& s, Scalar z,
                                            Scalar x) {
    return detail::ewma_next(s.oml, z, s.lam, x);
  }

  OSPREY_ALWAYS_INLINE Signal<Scalar> step(const detail::EwmaState<Scalar>& s, Scalar x) {
    const Scalar z = next_z(s, z_, x);
    const std::int64_t t = t_ + 1;
    const Scalar f = t <= factors_.exact_until() ? factors_(t) : Scalar(1);
    // The limits as one explicit multiply-add each (m +- asym_hw f), as EwmaBank computes them:
    // left to the compiler, `m + asym_hw * f` is fused in some loops and not in others.
    Signal<Scalar> out{z, z, kernels::mul_add(s.asym_hw, f, s.m),
                       kernels::mul_add(-s.asym_hw, f, s.m), Alarm::none};
    if (z > out.upper_limit) {
      out.alarm = Alarm::upper;
    } else if (z < out.lower_limit) {
      out.alarm = Alarm::lower;
    }
    if (params_.reset_on_alarm && out.alarm != Alarm::none) {
      z_ = s.m;
      t_ = 0;
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
    detail::check_series<Scalar>(series, "Ewma", "series", 0);
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
    // The same recurrence as step(), sample by sample: a blocked or reassociated form would be
    // faster but rounds differently, and an alarm within an ulp of the limit would then depend
    // on which path ran. While the exact limits move, step() itself runs. After that the limits
    // are constant and the series goes in chunks: a tight loop of the recurrence alone (its
    // multiply-add latency is the bound), then the alarms of the chunk in SIMD; after an alarm
    // with reset_on_alarm the rest of the chunk is redone from the restart, and the next chunk is
    // sized to twice the run before that alarm (so frequent alarms waste at most as much work as
    // they keep).
    constexpr Eigen::Index kChunk = 256;
    Eigen::Index chunk = kChunk;
    Scalar buffer[kChunk];
    const Scalar ucl = kernels::mul_add(s.asym_hw, Scalar(1), s.m);  // step()'s limits at f = 1
    const Scalar lcl = kernels::mul_add(-s.asym_hw, Scalar(1), s.m);
    const std::int64_t exact_until = factors_.exact_until();
    const bool reset_on_alarm = params_.reset_on_alarm;
    Eigen::Index i = 0;
    while (i < n) {
      for (; i < n && t_ < exact_until; ++i) {
        const Signal<Scalar> sig = step(s, x[i]);
        out[i] = static_cast<int>(sig.alarm);
        if (stat != nullptr) stat[i] = sig.upper_statistic;
      }
      if (i == n) break;
      const Eigen::Index len = std::min(n - i, chunk);
      Scalar* zs = stat != nullptr ? stat + i : buffer;
      int* as = out + i;
      const Scalar z = detail::ewma_run(x + i, zs, len, s.oml, s.lam, z_);
      const int any = detail::limit_alarms(zs, as, len, ucl, lcl);
      if (reset_on_alarm && any != 0) {  // restart after the first alarm: z = mean, t = 0
        Eigen::Index j = 0;
        while (as[j] == 0) ++j;
        z_ = s.m;
        t_ = 0;
        i += j + 1;
        chunk = std::clamp<Eigen::Index>(2 * (j + 1), 16, kChunk);
        continue;
      }
      chunk = std::min(kChunk, 2 * chunk);
      z_ = z;
      t_ += len;
      i += len;
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
  detail::EwmaLimitFactors<Scalar> factors_;  // f_t: the half-width after t samples is asym_hw f_t
  Scalar z_{};
  std::int64_t t_ = 0;
};

OSPREY_NAMESPACE_END

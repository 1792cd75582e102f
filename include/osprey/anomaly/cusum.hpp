/** \file
 *  `Cusum`: the tabular two-sided cumulative-sum control chart for one stream (Page 1954;
 *  Montgomery, *Introduction to Statistical Quality Control*, section 9.1).
 *
 *  C+_t = max(0, x_t - (mean + k sigma) + C+_{t-1}), C-_t = max(0, (mean - k sigma) - x_t +
 *  C-_{t-1}), and the chart signals when either sum exceeds H = h sigma. A fast initial response
 *  (Lucas & Crosier 1982) starts both sums at `fir_headstart` * H instead of zero.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "control_chart.hpp"

OSPREY_NAMESPACE_BEGIN

namespace detail {

/** The fitted (or given) baseline of a Cusum and the constants derived from it. */
template <class Scalar>
struct CusumState {
  double mean = 0.0;   ///< in-control mean, as fitted or given
  double sigma = 0.0;  ///< in-control standard deviation of one sample
  Scalar k_up{};       ///< mean + k sigma: the upper reference value
  Scalar k_down{};     ///< mean - k sigma: the lower reference value
  Scalar H{};          ///< h sigma: the decision interval
  Scalar start{};      ///< fir_headstart * H: where the sums start and restart
};

/** C+_t from C+_{t-1} (k_up = mean + k sigma): the one expression of the upper sum. */
template <class Scalar>
[[nodiscard]] OSPREY_ALWAYS_INLINE Scalar cusum_next_up(Scalar c, Scalar x, Scalar k_up) noexcept {
  return kernels::max_branchless(Scalar(0), c + (x - k_up));
}
/** C-_t from C-_{t-1} (k_down = mean - k sigma): the one expression of the lower sum. */
template <class Scalar>
[[nodiscard]] OSPREY_ALWAYS_INLINE Scalar cusum_next_down(Scalar c, Scalar x,
                                                          Scalar k_down) noexcept {
  return kernels::max_branchless(Scalar(0), c + (k_down - x));
}

/** The alarm of sums (up, down) against H: the larger one wins when both exceed H, upper on a
 *  tie; 0 / +1 / -1. */
template <class Scalar>
[[nodiscard]] OSPREY_ALWAYS_INLINE int cusum_alarm(Scalar up, Scalar down, Scalar H) noexcept {
  const int a_up = static_cast<int>(up > H);
  const int a_down = static_cast<int>(down > H);
  const int upper = a_up & ((a_down ^ 1) | static_cast<int>(up >= down));
  return upper - (a_down & (upper ^ 1));
}

/** The alarms (0 / +1 / -1, see cusum_alarm) of up to len samples into a, from the sums
 *  (cu, cd), which are updated; with `stop_at_alarm` it stops after the first alarm (the caller
 *  restarts the sums there). Returns the number of samples done. A free function with restrict
 *  parameters and the constants by value, so g++ keeps both sums in registers (the loop is then
 *  bound by the add-max latency alone). */
template <class Scalar>
OSPREY_NOINLINE Eigen::Index cusum_run(const Scalar* OSPREY_RESTRICT x, int* OSPREY_RESTRICT a,
                                       Eigen::Index len, Scalar k_up, Scalar k_down, Scalar H,
                                       Scalar& cu_io, Scalar& cd_io, bool stop_at_alarm) noexcept {
  Scalar cu = cu_io;
  Scalar cd = cd_io;
  Eigen::Index j = 0;
  while (j < len) {
    cu = cusum_next_up(cu, x[j], k_up);
    cd = cusum_next_down(cd, x[j], k_down);
    const int aj = cusum_alarm(cu, cd, H);
    a[j++] = aj;
    if (aj != 0 && stop_at_alarm) break;
  }
  cu_io = cu;
  cd_io = cd;
  return j;
}

}  // namespace detail

/** Parameters of `Cusum` and `CusumBank`, written with designated initialisers. */
struct CusumParams {
  double k = 0.5;  ///< reference value (allowance) in sigmas, >= 0: half the shift to detect
  double h = 5.0;  ///< decision interval in sigmas, > 0
  std::optional<double> mean{};   ///< in-control mean; estimated by fit when empty
  std::optional<double> sigma{};  ///< in-control sigma of one sample, > 0; fit when empty
  double fir_headstart = 0.0;     ///< start (and restart) both sums at this fraction of H, [0, 1)
  bool reset_on_alarm = true;     ///< restart both sums at the headstart after an alarm
  SigmaEstimator sigma_estimator = SigmaEstimator::moving_range;  ///< how fit estimates sigma
};

/** Tabular two-sided CUSUM chart for one stream: a `StreamDetector`.
 *
 *  The baseline (mean, sigma) is given in Params or estimated by `fit` on an in-control series
 *  (whichever is not given); a chart whose Params give both is ready at construction. `update(x)`
 *  returns a `Signal` with C+_t, -C-_t and the limits +H, -H. With `reset_on_alarm` (the
 *  default, Montgomery's practice) both sums restart at the headstart after an alarm.
 *  `detect(series)` returns only the alarms, through the same arithmetic as `update` (the sums
 *  and the tie rule), so the two agree to the last bit, also when a sum lands within one ulp of
 *  H. The recursion is latency-bound (one add and one max per sample); `detect` gains over an
 *  `update` loop by keeping the sums in registers and checking the whole series once.
 *
 *  Defaults k = 0.5, h = 5 give a two-sided in-control average run length of about 465 samples
 *  (Montgomery Table 9.3), i.e. about 2.2 false alarms per 1,000 in-control points, and detect a
 *  one-sigma shift after about 10.4 samples.
 *
 *  \tparam ScalarT float or double: the type of samples, statistics and limits.
 *  Complexity: O(1) time and memory per sample.
 *  Thread safety: `update`, `detect`, `trace` and `reset` mutate the running state (one thread per
 *  detector); const accessors may be called concurrently.
 */
template <class ScalarT = double>
class Cusum {
 public:
  using Scalar = ScalarT;  ///< type of samples, statistics and limits

  /** Parameters (the same type for every ScalarT), see CusumParams. */
  using Params = CusumParams;

  /** A chart with default parameters; it needs `fit` (no mean or sigma given). */
  Cusum() : Cusum(Params{}) {}
  /** \throws InvalidArgument if a parameter is out of range (message names it). */
  explicit Cusum(const Params& params) : params_(validated(params)) { init_from_params(); }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters after validating them; see Ewma::set_params. */
  void set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
    init_from_params();
  }

  /** Estimates the missing parts of the baseline from an in-control series and restarts the
   *  sums. \param in_control vector of at least two finite samples.
   *  \throws InvalidArgument for fewer than two samples, a non-finite value (index named), or a
   *  series with no spread when sigma must be estimated. */
  template <class Derived>
  Cusum& fit(const Eigen::MatrixBase<Derived>& in_control) {
    const auto base = detail::fit_baseline<Scalar>(in_control, params_.mean, params_.sigma,
                                                   params_.sigma_estimator, "Cusum");
    state_ = make_state(base.mean, base.sigma);
    reset();
    return *this;
  }

  /** True when the baseline is known (given in Params or fitted). */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }

  /** Feeds one sample. \returns C+_t, -C-_t, +H, -H and the alarm.
   *  \throws NotFittedError before fit; InvalidArgument for a non-finite sample, leaving the
   *  state as it was. */
  OSPREY_ALWAYS_INLINE Signal<Scalar> update(Scalar x) {
    const auto& s = checked_state();
    if (!std::isfinite(x)) detail::fail_non_finite_sample("Cusum", static_cast<double>(x));
    return step(s, x);
  }

  /** Feeds a series and returns its alarms (0 / +1 / -1 per sample), going on from the current
   *  state exactly as a loop of `update` (bit for bit). The series is checked first: a
   *  non-finite value, or one that overflows Scalar (a double above FLT_MAX for float), throws
   *  naming its index without changing the state. */
  template <class Derived>
  Eigen::VectorXi detect(const Eigen::MatrixBase<Derived>& series) {
    Eigen::VectorXi out;
    detect_into(series, out);
    return out;
  }

  /** `detect` into a caller's buffer (resized only when its length differs), so a stream of
   *  batches allocates nothing: the steady-state form for large series. */
  template <class Derived>
  void detect_into(const Eigen::MatrixBase<Derived>& series, Eigen::VectorXi& out) {
    const auto& s = checked_state();
    detail::check_series<Scalar>(series, "Cusum", "series", 0);
    out.resize(series.size());
    if constexpr (Derived::ColsAtCompileTime == 1 &&
                  std::is_same_v<typename Derived::Scalar, Scalar>) {
      const Eigen::Ref<const Vector<Scalar>> x(series.derived());
      detect_kernel(s, x.data(), x.size(), out.data());
    } else {
      const Vector<Scalar> x = series.derived().reshaped().template cast<Scalar>();
      detect_kernel(s, x.data(), x.size(), out.data());
    }
  }

  /** Like `detect`, but returns every Signal's fields (for plots and audits). */
  template <class Derived>
  Trace<Scalar> trace(const Eigen::MatrixBase<Derived>& series) {
    const auto& s = checked_state();
    detail::check_series<Scalar>(series, "Cusum", "series", 0);
    const Vector<Scalar> x = series.derived().reshaped().template cast<Scalar>();
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

  /** Restarts both sums at the headstart (zero by default). The baseline is kept. */
  void reset() noexcept {
    const Scalar start = state_ ? state_->start : Scalar(0);
    c_up_ = start;
    c_down_ = start;
  }

  /** The current upper sum C+_t. \throws NotFittedError before fit. */
  [[nodiscard]] Scalar upper_sum() const {
    (void)checked_state();
    return c_up_;
  }
  /** The current lower sum C-_t (>= 0). \throws NotFittedError before fit. */
  [[nodiscard]] Scalar lower_sum() const {
    (void)checked_state();
    return c_down_;
  }
  /** The in-control mean in use. \throws NotFittedError before fit. */
  [[nodiscard]] double mean() const { return checked_state().mean; }
  /** The in-control sigma in use. \throws NotFittedError before fit. */
  [[nodiscard]] double sigma() const { return checked_state().sigma; }

 private:
  static Params validated(const Params& p) {
    detail::check_param(p.k >= 0.0 && std::isfinite(p.k), "k", p.k, ">= 0 and finite");
    detail::check_param(p.h > 0.0 && std::isfinite(p.h), "h", p.h, "> 0 and finite");
    detail::check_param(p.fir_headstart >= 0.0 && p.fir_headstart < 1.0, "fir_headstart",
                        p.fir_headstart, "in [0, 1)");
    detail::check_mean(p.mean);
    detail::check_sigma(p.sigma);
    return p;
  }

  void init_from_params() {
    if (params_.mean && params_.sigma) state_ = make_state(*params_.mean, *params_.sigma);
    reset();
  }

  detail::CusumState<Scalar> make_state(double mean, double sigma) const {
    detail::CusumState<Scalar> s;
    s.mean = mean;
    s.sigma = sigma;
    s.k_up = static_cast<Scalar>(mean + params_.k * sigma);
    s.k_down = static_cast<Scalar>(mean - params_.k * sigma);
    s.H = static_cast<Scalar>(params_.h * sigma);
    s.start = static_cast<Scalar>(params_.fir_headstart * params_.h * sigma);
    return s;
  }

  const detail::CusumState<Scalar>& checked_state() const {
    detail::check_fitted(state_.has_value(), "Cusum");
    return *state_;
  }

  OSPREY_ALWAYS_INLINE Signal<Scalar> step(const detail::CusumState<Scalar>& s, Scalar x) {
    const Scalar up = detail::cusum_next_up(c_up_, x, s.k_up);
    const Scalar down = detail::cusum_next_down(c_down_, x, s.k_down);
    Signal<Scalar> out{up, -down, s.H, -s.H, Alarm::none};
    // cusum_alarm's rule, with a branch: alarms are rare, and the branch keeps the bitwise
    // logic out of update()'s critical path.
    const bool a_up = up > s.H;
    const bool a_down = down > s.H;
    if (a_up || a_down) out.alarm = (a_up && (!a_down || up >= down)) ? Alarm::upper : Alarm::lower;
    if (params_.reset_on_alarm && out.alarm != Alarm::none) {
      c_up_ = s.start;
      c_down_ = s.start;
    } else {
      c_up_ = up;
      c_down_ = down;
    }
    return out;
  }

  void detect_kernel(const detail::CusumState<Scalar>& s, const Scalar* OSPREY_RESTRICT x,
                     Eigen::Index n, int* OSPREY_RESTRICT out) {
    // step()'s arithmetic sample by sample (Lindley's identity would shorten the dependency chain
    // per block, but it rounds differently, so an alarm within an ulp of H would depend on the
    // path). In chunks through a kernel that keeps the sums in registers; after an alarm with
    // reset_on_alarm the kernel stops at the alarm and the sums restart there.
    constexpr Eigen::Index kChunk = 256;
    const bool reset_on_alarm = params_.reset_on_alarm;
    Eigen::Index i = 0;
    while (i < n) {
      const Eigen::Index len = std::min(n - i, kChunk);
      Scalar cu = c_up_;
      Scalar cd = c_down_;
      const Eigen::Index done =
          detail::cusum_run(x + i, out + i, len, s.k_up, s.k_down, s.H, cu, cd, reset_on_alarm);
      if (reset_on_alarm && out[i + done - 1] != 0) {  // restart both sums after the alarm
        cu = s.start;
        cd = s.start;
      }
      c_up_ = cu;
      c_down_ = cd;
      i += done;
    }
  }

  Params params_;
  std::optional<detail::CusumState<Scalar>> state_;
  Scalar c_up_{};
  Scalar c_down_{};
};

OSPREY_NAMESPACE_END

/** \file
 *  The CUSUM statistic policy of `Cusum` and `CusumBank` (detail::CusumStatistic): the
 *  constants derived from a baseline, the running sums, the one-sample step against +/-H, the
 *  blocked kernel of `detect`, and the structure-of-arrays state of a bank.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>

#include "../../core/types.hpp"
#include "../../core/validation.hpp"
#include "../../kernels/chart_step.hpp"
#include "../chart_params.hpp"
#include "../control_chart.hpp"

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

/** The tabular two-sided CUSUM statistic policy of `ControlChart` and `ChartBank` (Page 1954;
 *  Montgomery, section 9.1). The single statistic of a chart is the larger sum, signed: C+_t
 *  when C+_t >= C-_t, else -C-_t; it alarms when it leaves [-H, H]. */
struct CusumStatistic {
  using Params = CusumParams;                                 ///< the parameters
  static constexpr std::string_view name = "Cusum";           ///< in error messages
  static constexpr std::string_view bank_name = "CusumBank";  ///< in error messages of banks

  /** \throws InvalidArgument for a parameter out of range (message names it). */
  static void validate(const Params& p) {
    check_param(p.k >= 0.0 && std::isfinite(p.k), "k", p.k, ">= 0 and finite");
    check_param(p.h > 0.0 && std::isfinite(p.h), "h", p.h, "> 0 and finite");
    check_param(p.fir_headstart >= 0.0 && p.fir_headstart < 1.0, "fir_headstart", p.fir_headstart,
                "in [0, 1)");
    check_mean(p.mean);
    check_sigma(p.sigma);
  }

  /** The signed larger sum of (up, down): up when up >= down (the alarm's tie rule), else
   *  -down. */
  template <class Scalar>
  [[nodiscard]] static Scalar signed_sum(Scalar up, Scalar down) noexcept {
    return up >= down ? up : -down;
  }

  template <class Scalar>
  class Stream;
  template <class Scalar>
  class Bank;
};

/** One CUSUM stream: the running sums C+ and C- (the sample count is the chart's). */
template <class Scalar>
class CusumStatistic::Stream {
 public:
  using State = CusumState<Scalar>;  ///< the constants derived from a baseline

  Stream() = default;
  explicit Stream(const Params& /*p*/) {}

  /** The constants of the baseline (mean, sigma) under `p`. */
  static State make_state(const Params& p, double mean, double sigma) {
    State s;
    s.mean = mean;
    s.sigma = sigma;
    s.k_up = static_cast<Scalar>(mean + p.k * sigma);
    s.k_down = static_cast<Scalar>(mean - p.k * sigma);
    s.H = static_cast<Scalar>(p.h * sigma);
    s.start = static_cast<Scalar>(p.fir_headstart * p.h * sigma);
    return s;
  }

  /** Both sums at the headstart (0 without a baseline). */
  void reset(const State* s) noexcept {
    const Scalar start = s != nullptr ? s->start : Scalar(0);
    c_up_ = start;
    c_down_ = start;
  }
  /** The signed larger sum (see CusumStatistic). */
  [[nodiscard]] Scalar current() const noexcept { return signed_sum(c_up_, c_down_); }
  /** C+_t. */
  [[nodiscard]] Scalar upper_sum() const noexcept { return c_up_; }
  /** C-_t (>= 0). */
  [[nodiscard]] Scalar lower_sum() const noexcept { return c_down_; }

  /** The decision interval H = h sigma, for every t. */
  [[nodiscard]] double half_width(const State& s, const Params& /*p*/, std::int64_t /*t*/) const {
    return static_cast<double>(s.H);
  }

  /** One sample: C+_t, -C-_t, +H, -H and the alarm; t counts the samples since a restart. */
  OSPREY_ALWAYS_INLINE Signal<Scalar> step(const State& s, Scalar x, std::int64_t& t,
                                           bool reset_on_alarm) {
    const Scalar up = kernels::cusum_next_up(c_up_, x, s.k_up);
    const Scalar down = kernels::cusum_next_down(c_down_, x, s.k_down);
    Signal<Scalar> out{up, -down, s.H, -s.H, Alarm::none};
    // cusum_alarm's rule, with a branch: alarms are rare, and the branch keeps the bitwise
    // logic out of update()'s critical path.
    const bool a_up = up > s.H;
    const bool a_down = down > s.H;
    if (a_up || a_down) out.alarm = (a_up && (!a_down || up >= down)) ? Alarm::upper : Alarm::lower;
    if (reset_on_alarm && out.alarm != Alarm::none) {
      c_up_ = s.start;
      c_down_ = s.start;
      t = 0;
    } else {
      c_up_ = up;
      c_down_ = down;
      ++t;
    }
    return out;
  }

  /** The alarms of n samples into out (and the signed sum into stat unless null), as n calls
   *  of step. */
  void detect(const State& s, const Scalar* OSPREY_RESTRICT x, Eigen::Index n,
              int* OSPREY_RESTRICT out, Scalar* OSPREY_RESTRICT stat, std::int64_t& t,
              bool reset_on_alarm) {
    if (stat != nullptr) {  // the statistic through step() itself
      for (Eigen::Index i = 0; i < n; ++i) {
        const Signal<Scalar> sig = step(s, x[i], t, reset_on_alarm);
        out[i] = static_cast<int>(sig.alarm);
        stat[i] = signed_sum(sig.upper_statistic, -sig.lower_statistic);
      }
      return;
    }
    // step()'s arithmetic sample by sample (Lindley's identity would shorten the dependency chain
    // per block, but it rounds differently, so an alarm within an ulp of H would depend on the
    // path). In chunks through a kernel that keeps the sums in registers; after an alarm with
    // reset_on_alarm the kernel stops at the alarm and the sums restart there.
    constexpr Eigen::Index kChunk = 256;
    Eigen::Index i = 0;
    while (i < n) {
      const Eigen::Index len = std::min(n - i, kChunk);
      Scalar cu = c_up_;
      Scalar cd = c_down_;
      const Eigen::Index done =
          kernels::cusum_run(x + i, out + i, len, s.k_up, s.k_down, s.H, cu, cd, reset_on_alarm);
      if (reset_on_alarm && out[i + done - 1] != 0) {  // restart both sums after the alarm
        cu = s.start;
        cd = s.start;
        t = 0;
      } else {
        t += done;
      }
      c_up_ = cu;
      c_down_ = cd;
      i += done;
    }
  }

 private:
  friend struct Serial;
  Scalar c_up_{};
  Scalar c_down_{};
};

/** n CUSUM streams in structure-of-arrays form: reference values, decision intervals,
 *  headstarts and both sums. */
template <class Scalar>
class CusumStatistic::Bank {
 public:
  /** Baselines of every series (one entry each); restarts. */
  template <class D1, class D2>
  void build(const Params& p, const Eigen::MatrixBase<D1>& mean,
             const Eigen::MatrixBase<D2>& sigma) {
    kup_ = (mean.array() + p.k * sigma.array()).matrix().template cast<Scalar>();
    kdn_ = (mean.array() - p.k * sigma.array()).matrix().template cast<Scalar>();
    H_ = (p.h * sigma.array()).matrix().template cast<Scalar>();
    start_ = (p.fir_headstart * p.h * sigma.array()).matrix().template cast<Scalar>();
    reset();
  }

  /** One sample x[0..n) of every series; the alarms into a. */
  void step(const Params& p, Eigen::Index n, const Scalar* x, std::int8_t* a) {
    kernels::cusum_bank_step(n, x, cu_.data(), cd_.data(), kup_.data(), kdn_.data(), H_.data(),
                             start_.data(), a, p.reset_on_alarm ? 1 : 0);
  }

  /** Both sums of every series at the headstart. */
  void reset() noexcept {
    cu_ = start_;
    cd_ = start_;
  }

  /** The signed larger sum of every series (see CusumStatistic), computed. */
  [[nodiscard]] Vector<Scalar> statistic() const {
    return cu_.binaryExpr(cd_, [](Scalar u, Scalar d) { return signed_sum(u, d); });
  }
  /** C+ of every series. */
  [[nodiscard]] const Vector<Scalar>& upper_sum() const noexcept { return cu_; }
  /** C- of every series (>= 0). */
  [[nodiscard]] const Vector<Scalar>& lower_sum() const noexcept { return cd_; }

 private:
  friend struct Serial;
  Vector<Scalar> cu_, cd_, kup_, kdn_, H_, start_;
};

}  // namespace detail

OSPREY_NAMESPACE_END

/** \file
 *  The EWMA statistic policy of `Ewma` and `EwmaBank` (detail::EwmaStatistic): the constants
 *  derived from a baseline, the running z_t, the one-sample step with its (exact or asymptotic)
 *  limits, the blocked kernel of `detect`, and the structure-of-arrays state of a bank.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "../../core/types.hpp"
#include "../../core/validation.hpp"
#include "../../kernels/chart_step.hpp"
#include "../chart_params.hpp"
#include "../control_chart.hpp"

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

/** The EWMA statistic policy of `ControlChart` and `ChartBank` (Roberts 1959; Montgomery,
 *  section 9.2): z_t = lambda x_t + (1 - lambda) z_{t-1}, z_0 = mean, limits mean +/- half-width
 *  with the half-width asymptotic * f_t of `EwmaLimitFactors`. */
struct EwmaStatistic {
  using Params = EwmaParams;                                 ///< the parameters
  static constexpr std::string_view name = "Ewma";           ///< in error messages
  static constexpr std::string_view bank_name = "EwmaBank";  ///< in error messages of banks

  /** \throws InvalidArgument for a parameter out of range (message names it). */
  static void validate(const Params& p) {
    check_param(p.lambda > 0.0 && p.lambda <= 1.0, "lambda", p.lambda, "in (0, 1]");
    check_param(p.L > 0.0 && std::isfinite(p.L), "L", p.L, "> 0 and finite");
    check_mean(p.mean);
    check_sigma(p.sigma);
  }

  template <class Scalar>
  class Stream;
  template <class Scalar>
  class Bank;
};

/** One EWMA stream: the limit factors of the parameters and the running z_t; the sample count t
 *  is the chart's. */
template <class Scalar>
class EwmaStatistic::Stream {
 public:
  using State = EwmaState<Scalar>;  ///< the constants derived from a baseline

  Stream() = default;
  explicit Stream(const Params& p) : factors_(p.lambda, p.exact_limits) {}

  /** The constants of the baseline (mean, sigma) under `p`. */
  static State make_state(const Params& p, double mean, double sigma) {
    State s;
    const double lam = p.lambda;
    s.mean = mean;
    s.sigma = sigma;
    s.m = static_cast<Scalar>(mean);
    s.lam = static_cast<Scalar>(lam);
    s.oml = static_cast<Scalar>(1.0 - lam);
    s.asym_hw = ewma_asymptotic_half_width<Scalar>(lam, p.L, sigma);
    return s;
  }

  /** z = mean (0 without a baseline). */
  void reset(const State* s) noexcept { z_ = s != nullptr ? s->m : Scalar(0); }
  /** The current z_t. */
  [[nodiscard]] Scalar current() const noexcept { return z_; }

  /** Half-width after t samples: asymptotic without exact limits, 0 for t < 1 with them. */
  [[nodiscard]] double half_width(const State& s, const Params& p, std::int64_t t) const {
    if (!p.exact_limits) return static_cast<double>(s.asym_hw);
    if (t < 1) return 0.0;
    return static_cast<double>(s.asym_hw * factors_(t));
  }

  /** One sample: z_t, the limits m +/- asym_hw f_t and the alarm; t counts the samples. */
  OSPREY_ALWAYS_INLINE Signal<Scalar> step(const State& s, Scalar x, std::int64_t& t_io,
                                           bool reset_on_alarm) {
    const Scalar z = kernels::ewma_next(s.oml, z_, s.lam, x);
    const std::int64_t t = t_io + 1;
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
    if (reset_on_alarm && out.alarm != Alarm::none) {
      z_ = s.m;
      t_io = 0;
    } else {
      z_ = z;
      t_io = t;
    }
    return out;
  }

  /** The alarms of n samples into out (and z_t into stat unless null), as n calls of step. */
  void detect(const State& s, const Scalar* OSPREY_RESTRICT x, Eigen::Index n,
              int* OSPREY_RESTRICT out, Scalar* OSPREY_RESTRICT stat, std::int64_t& t,
              bool reset_on_alarm) {
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
    Eigen::Index i = 0;
    while (i < n) {
      for (; i < n && t < exact_until; ++i) {
        const Signal<Scalar> sig = step(s, x[i], t, reset_on_alarm);
        out[i] = static_cast<int>(sig.alarm);
        if (stat != nullptr) stat[i] = sig.upper_statistic;
      }
      if (i == n) break;
      const Eigen::Index len = std::min(n - i, chunk);
      Scalar* zs = stat != nullptr ? stat + i : buffer;
      int* as = out + i;
      const Scalar z = kernels::ewma_run(x + i, zs, len, s.oml, s.lam, z_);
      const int any = kernels::limit_alarms(zs, as, len, ucl, lcl);
      if (reset_on_alarm && any != 0) {  // restart after the first alarm: z = mean, t = 0
        Eigen::Index j = 0;
        while (as[j] == 0) ++j;
        z_ = s.m;
        t = 0;
        i += j + 1;
        chunk = std::clamp<Eigen::Index>(2 * (j + 1), 16, kChunk);
        continue;
      }
      chunk = std::min(kChunk, 2 * chunk);
      z_ = z;
      t += len;
      i += len;
    }
  }

 private:
  friend struct Serial;
  EwmaLimitFactors<Scalar> factors_;  // f_t: the half-width after t samples is asym_hw f_t
  Scalar z_{};
};

/** n EWMA streams in structure-of-arrays form: means, asymptotic half-widths, z and per-series
 *  sample counts (which differ only with reset_on_alarm). */
template <class Scalar>
class EwmaStatistic::Bank {
 public:
  /** Baselines of every series (one entry each); restarts. */
  template <class D1, class D2>
  void build(const Params& p, const Eigen::MatrixBase<D1>& mean,
             const Eigen::MatrixBase<D2>& sigma) {
    const Eigen::Index n = mean.size();
    const double lam = p.lambda;
    m_ = mean.template cast<Scalar>();
    hw_.resize(n);
    for (Eigen::Index j = 0; j < n; ++j) {
      hw_[j] = ewma_asymptotic_half_width<Scalar>(lam, p.L, sigma(j));
    }
    z_ = m_;
    t_.assign(static_cast<std::size_t>(n), 0);
    t_max_ = 0;
    // Exact limits: half-width = asymptotic * f_t, as in Ewma.
    factors_ = EwmaLimitFactors<Scalar>(lam, p.exact_limits);
  }

  /** One sample x[0..n) of every series; the alarms into a. */
  void step(const Params& p, Eigen::Index n, const Scalar* OSPREY_RESTRICT x,
            std::int8_t* OSPREY_RESTRICT a) {
    const Scalar lam = static_cast<Scalar>(p.lambda);
    const Scalar oml = static_cast<Scalar>(1.0 - p.lambda);
    Scalar* OSPREY_RESTRICT z = z_.data();
    const Scalar* OSPREY_RESTRICT m = m_.data();
    const Scalar* OSPREY_RESTRICT hw = hw_.data();
    // Counts stop at exact_until + 1 (< 2^31 - 1), past which every factor is 1.
    const auto t_cap = static_cast<std::int32_t>(factors_.exact_until() + 1);
    // Without resets every chart has seen t_max_ samples; with them, t_max_ bounds the counts.
    t_max_ = std::min(t_max_ + 1, t_cap);
    if (!p.reset_on_alarm) {  // one limit factor for the step
      kernels::ewma_bank_step(n, x, z, m, hw, factors_(t_max_), lam, oml, a);
      return;
    }
    const auto n_table = static_cast<std::int32_t>(factors_.n_table());
    if (t_max_ <= n_table || t_cap <= n_table + 1) {
      kernels::ewma_bank_reset_step(n, x, z, m, hw, t_.data(), factors_.data(), n_table, t_cap, lam,
                                    oml, a);
    } else {  // some count may be past the table (lambda below ~3e-4): factors one by one
      kernels::ewma_bank_reset_step_long(n, x, z, m, hw, t_.data(), factors_, t_cap, lam, oml, a);
    }
  }

  /** z = mean, t = 0 for every series. */
  void reset() noexcept {
    for (Eigen::Index j = 0; j < z_.size(); ++j) z_[j] = m_[j];
    std::fill(t_.begin(), t_.end(), 0);
    t_max_ = 0;
  }

  /** The current z_t of every series. */
  [[nodiscard]] const Vector<Scalar>& statistic() const noexcept { return z_; }

 private:
  friend struct Serial;
  Vector<Scalar> z_, m_, hw_;
  std::vector<std::int32_t> t_;
  EwmaLimitFactors<Scalar> factors_;
  std::int32_t t_max_ = 0;
};

}  // namespace detail

OSPREY_NAMESPACE_END

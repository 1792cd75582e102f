/** \file
 *  `PoissonCusum`: the CUSUM for counts per interval of Lucas (1985), "Counted data CUSUMs",
 *  Technometrics 27(2), 129-144, and `poisson_cusum_arl`, its exact average run length by the
 *  Markov chain of Brook & Evans (1972) on Lucas's integer-scaled grid.
 *
 *  Upper sum (increase of the rate): S+_t = max(0, S+_{t-1} + x_t - k), alarm when S+_t >= h.
 *  Lower sum (decrease): S-_t = max(0, S-_{t-1} + k_l - x_t), alarm when S-_t >= h_l. The
 *  reference value for an in-control mean mu0 and a mean to detect mu1 is Lucas's
 *  k = (mu1 - mu0) / (ln mu1 - ln mu0), the value that makes the CUSUM the sequential
 *  probability ratio test of Poisson(mu1) against Poisson(mu0). Lucas's alarm rule is
 *  "greater than or equal to h", which matters on the lattice the counts live on.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "arl.hpp"
#include "control_chart.hpp"

OSPREY_NAMESPACE_BEGIN

/** Parameters of `PoissonCusum`, written with designated initialisers. At least one of the two
 *  sums must be on (mu1 or mu1_lower given). */
struct PoissonCusumParams {
  double mu0 = 1.0;                   ///< in-control mean count per interval, > 0
  std::optional<double> mu1 = 2.0;    ///< upper sum: the mean to detect, > mu0; empty: off
  double h = 5.0;                     ///< upper decision interval (alarm at S+ >= h), > 0
  std::optional<double> mu1_lower{};  ///< lower sum: the mean to detect, in (0, mu0); empty: off
  std::optional<double> h_lower{};    ///< lower decision interval, > 0 (default h)
  /** Upper reference value; empty: Lucas's (mu1 - mu0) / (ln mu1 - ln mu0). Lucas rounds it to
   *  a simple fraction (e.g. k = 1.5) so that poisson_cusum_arl is exact for the chart. */
  std::optional<double> k{};
  std::optional<double> k_lower{};  ///< lower reference value; empty: Lucas's, as k
  double fir_headstart = 0.0;       ///< start (and restart) each sum at this fraction of its h
  bool reset_on_alarm = true;       ///< restart both sums at the headstart after an alarm
};

/** Lucas's reference value (mu1 - mu0) / (ln mu1 - ln mu0) for means mu0 != mu1, both > 0: the
 *  k of the CUSUM that is the SPRT of Poisson(mu1) against Poisson(mu0) (Lucas 1985, eq. 2).
 *  \throws InvalidArgument if a mean is not positive and finite, or mu0 == mu1. */
inline double poisson_cusum_k(double mu0, double mu1) {
  detail::check_param(mu0 > 0.0 && std::isfinite(mu0), "mu0", mu0, "> 0 and finite");
  detail::check_param(mu1 > 0.0 && std::isfinite(mu1), "mu1", mu1, "> 0, finite and != mu0");
  detail::check_param(mu1 != mu0, "mu1", mu1, "!= mu0");
  return (mu1 - mu0) / (std::log(mu1) - std::log(mu0));
}

/** Which sum of a Poisson CUSUM `poisson_cusum_arl` describes. */
enum class CusumSide : std::uint8_t {
  upper,  ///< S+ = max(0, S+ + x - k): detects an increase
  lower,  ///< S- = max(0, S- + k - x): detects a decrease
};

namespace detail {

/** The smallest m in [1, 1000] with k m and h m whole (to 1e-9 relative), h m <= max_states. */
inline int lattice_denominator(double k, double h) {
  auto whole = [](double v) { return std::abs(v - std::round(v)) <= 1e-9 * std::max(1.0, v); };
  for (int m = 1; m <= 1000; ++m) {
    const double hm = h * m;
    if (hm > arl_max_states + 0.5) break;
    if (whole(k * m) && whole(hm)) return m;
  }
  fail("poisson_cusum_arl: k (", k, ") and h (", h,
       ") are not multiples of one 1/m with h m <= 2001; give `denominator` to round them");
}

/** Poisson(mu) probabilities of 0..n, by logs (no underflow of exp(-mu) for large mu). */
inline std::vector<double> poisson_pmf(double mu, std::int64_t n) {
  std::vector<double> p(static_cast<std::size_t>(n + 1));
  const double lmu = std::log(mu);
  for (std::int64_t x = 0; x <= n; ++x) {
    const auto xd = static_cast<double>(x);
    p[static_cast<std::size_t>(x)] = std::exp(xd * lmu - mu - std::lgamma(xd + 1.0));
  }
  return p;
}

/** The transient transition matrix of a one-sided Poisson CUSUM on the lattice 1/m: states
 *  i = 0..H-1 hold S = i / m; the sum moves to max(0, i + m x - K) (upper) or
 *  max(0, i + K - m x) (lower), and states >= H (S >= h) absorb. */
inline std::vector<double> poisson_cusum_chain(double mu, std::int64_t K, std::int64_t H,
                                               std::int64_t m, CusumSide side) {
  const auto n = static_cast<std::size_t>(H);
  std::vector<double> P(n * n, 0.0);
  const std::int64_t x_max = (H + K) / m + 2;  // no larger count keeps the sum below h
  const std::vector<double> pmf = poisson_pmf(mu, x_max);
  for (std::int64_t i = 0; i < H; ++i) {
    double* row = &P[static_cast<std::size_t>(i) * n];
    for (std::int64_t x = 0; x <= x_max; ++x) {
      const std::int64_t j = side == CusumSide::upper ? std::max<std::int64_t>(0, i + m * x - K)
                                                      : std::max<std::int64_t>(0, i + K - m * x);
      if (j < H) row[j] += pmf[static_cast<std::size_t>(x)];
    }
    if (side == CusumSide::lower) {  // counts above x_max all reset the lower sum to 0
      double tail = 1.0;
      for (const double p : pmf) tail -= p;
      row[0] += std::max(tail, 0.0);
    }
  }
  return P;
}

}  // namespace detail

/** Zero-state (or headstart) average run length of one sum of a Poisson CUSUM when the counts
 *  are Poisson(mu): the expected number of intervals up to and including the first alarm
 *  (S >= h, Lucas's rule). Exact, by Brook & Evans's Markov chain on the lattice of multiples
 *  of 1/m on which k and h lie (Lucas 1985 scales k and h to integers the same way): with
 *  whole counts the sum never leaves the lattice, so the chain is the chart itself.
 *
 *  \param mu the true mean count per interval, > 0.
 *  \param k the reference value, >= 0; h the decision interval, > 0.
 *  \param side CusumSide::upper (S+) or CusumSide::lower (S-).
 *  \param headstart start of the sum as a fraction of h, in [0, 1) (Lucas's FIR uses 0.5),
 *  rounded to the lattice.
 *  \param denominator m of the lattice; 0 (the default) finds the smallest m <= 1000 with k m
 *  and h m whole. A given m rounds k m and h m to whole numbers (an approximation when they
 *  are not).
 *  For a two-sided chart, 1 / ARL is about 1 / ARL+ + 1 / ARL- (Lucas 1985, as Kemp 1971).
 *  \throws InvalidArgument for a bad argument, when no lattice is found, or when h m exceeds
 *  2001 states (the solve is O((h m)^3)).
 *  Complexity O((h m)^3). Thread safety: pure function. */
inline double poisson_cusum_arl(double mu, double k, double h, CusumSide side = CusumSide::upper,
                                double headstart = 0.0, int denominator = 0) {
  detail::check_param(mu > 0.0 && std::isfinite(mu), "mu", mu, "> 0 and finite");
  detail::check_param(k >= 0.0 && std::isfinite(k), "k", k, ">= 0 and finite");
  detail::check_param(h > 0.0 && std::isfinite(h), "h", h, "> 0 and finite");
  detail::check_param(headstart >= 0.0 && headstart < 1.0, "headstart", headstart, "in [0, 1)");
  detail::check_param(denominator >= 0 && denominator <= 1000, "denominator", denominator,
                      "in [0, 1000] (0: found from k and h)");
  const int m = denominator > 0 ? denominator : detail::lattice_denominator(k, h);
  const auto K = static_cast<std::int64_t>(std::llround(k * m));
  const auto H = static_cast<std::int64_t>(std::llround(h * m));
  detail::check_param(H >= 1 && H <= detail::arl_max_states, "h", h,
                      "such that h m is in [1, 2001] (the chain's states)");
  const auto n = static_cast<std::size_t>(H);
  const std::vector<double> a =
      detail::absorption_times(detail::poisson_cusum_chain(mu, K, H, m, side), n);
  const auto start = static_cast<std::size_t>(std::llround(headstart * static_cast<double>(H)));
  return a[std::min(start, n - 1)];
}

namespace detail {
/** The constants of a PoissonCusum's parameters: each sum's k, h, start and whether it runs. */
struct PoissonCusumConstants {
  bool upper = false, lower = false;
  double k = 0.0, h = 0.0, start = 0.0;        // upper sum
  double k_l = 0.0, h_l = 0.0, start_l = 0.0;  // lower sum
};
}  // namespace detail

/** Lucas's (1985) CUSUM for counts per interval (alerts per minute, chargebacks per hour): a
 *  `StreamDetector`, ready at construction from its parameters.
 *
 *  `update(x)` takes one interval's count (a whole number >= 0) and returns a `Signal` with
 *  `upper_statistic` = S+_t, `lower_statistic` = -S-_t and the limits +h, -h_lower (a sum that
 *  is off stays 0 and its limit is +/-infinity). The alarm is `upper` when S+_t >= h, `lower`
 *  when S-_t >= h_lower (Lucas's rule "greater than or equal", unlike Cusum's "exceeds"); when
 *  both sums alarm at once the larger sum relative to its h wins. With `reset_on_alarm` both
 *  sums restart at the headstart after an alarm.
 *
 *  Design: pick mu1 (the rate to catch fast), take Lucas's k (or a nearby simple fraction) and
 *  choose h for the in-control ARL wanted with `poisson_cusum_arl(mu0, k, h)`; the ARL at mu1
 *  is then the detection delay. Example: mu0 = 4, mu1 = 6, k = 5 (Lucas's 4.93 rounded) and
 *  h = 10 give ARL0 = 421.7 intervals and ARL1 = 9.73 (docs/stream_detectors.md).
 *
 *  \tparam ScalarT float or double: the type of counts and sums.
 *  Complexity O(1) per interval. Thread safety: update, detect and reset mutate (one thread
 *  per chart); const accessors may run concurrently.
 */
template <class ScalarT = double>
class PoissonCusum {
 public:
  using Scalar = ScalarT;             ///< type of counts and sums
  using Params = PoissonCusumParams;  ///< the same type for every ScalarT

  /** A chart with the default parameters (mu0 = 1, mu1 = 2, h = 5, upper sum). */
  PoissonCusum() : PoissonCusum(Params{}) {}
  /** \throws InvalidArgument if a parameter is out of range (the message names it). */
  explicit PoissonCusum(const Params& params) : params_(params), c_(constants(params)) { reset(); }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters and restarts the sums.
   *  \throws InvalidArgument as the constructor (the chart is then unchanged). */
  PoissonCusum& set_params(const Params& params) {
    c_ = constants(params);
    params_ = params;
    reset();
    return *this;
  }

  /** Feeds one interval's count. \returns the sums, limits and alarm (see the class comment).
   *  \throws InvalidArgument if x is negative, not whole or not finite; the state is then
   *  unchanged. */
  Signal<Scalar> update(Scalar x) {
    check_count(x, -1);
    return step(x);
  }

  /** Feeds a series of counts (a vector) and returns its alarms, 0 / +1 / -1 per interval, as a
   *  loop of `update`. The whole series is checked first: a bad count throws naming its index
   *  and leaves the state unchanged. */
  template <class Derived>
  Eigen::VectorXi detect(const Eigen::MatrixBase<Derived>& series) {
    detail::check_series<Scalar>(series, name, "series", 0);
    const Vector<Scalar> x = series.derived().reshaped().template cast<Scalar>();
    for (Eigen::Index i = 0; i < x.size(); ++i) check_count(x(i), i);
    Eigen::VectorXi out(x.size());
    for (Eigen::Index i = 0; i < x.size(); ++i) out(i) = static_cast<int>(step(x(i)).alarm);
    return out;
  }

  /** Restarts both sums at the headstart (t = 0). */
  void reset() noexcept {
    up_ = static_cast<Scalar>(c_.start);
    down_ = static_cast<Scalar>(c_.start_l);
    t_ = 0;
  }

  /** S+_t (0 when the upper sum is off). */
  [[nodiscard]] Scalar upper_sum() const noexcept { return up_; }
  /** S-_t >= 0 (0 when the lower sum is off). */
  [[nodiscard]] Scalar lower_sum() const noexcept { return down_; }
  /** The upper reference value in use (Lucas's unless given). */
  [[nodiscard]] double k() const noexcept { return c_.k; }
  /** The lower reference value in use. */
  [[nodiscard]] double k_lower() const noexcept { return c_.k_l; }
  /** Intervals since the start, the last reset() or the last restart after an alarm. */
  [[nodiscard]] std::int64_t n_updates() const noexcept { return t_; }

 private:
  static constexpr std::string_view name = "PoissonCusum";

  static detail::PoissonCusumConstants constants(const Params& p) {
    detail::check_param(p.mu0 > 0.0 && std::isfinite(p.mu0), "mu0", p.mu0, "> 0 and finite");
    if (!p.mu1 && !p.mu1_lower) detail::fail("PoissonCusum: give mu1, mu1_lower or both");
    detail::check_param(
        std::isfinite(p.fir_headstart) && p.fir_headstart >= 0.0 && p.fir_headstart < 1.0,
        "fir_headstart", p.fir_headstart, "in [0, 1)");
    detail::PoissonCusumConstants c;
    if (p.mu1) {
      detail::check_param(*p.mu1 > p.mu0 && std::isfinite(*p.mu1), "mu1", *p.mu1,
                          "> mu0 and finite");
      detail::check_param(p.h > 0.0 && std::isfinite(p.h), "h", p.h, "> 0 and finite");
      c.upper = true;
      c.k = p.k ? *p.k : poisson_cusum_k(p.mu0, *p.mu1);
      detail::check_param(c.k >= 0.0 && std::isfinite(c.k), "k", c.k, ">= 0 and finite");
      c.h = p.h;
      c.start = p.fir_headstart * p.h;
    }
    if (p.mu1_lower) {
      detail::check_param(*p.mu1_lower > 0.0 && *p.mu1_lower < p.mu0, "mu1_lower", *p.mu1_lower,
                          "in (0, mu0)");
      const double hl = p.h_lower ? *p.h_lower : p.h;
      detail::check_param(hl > 0.0 && std::isfinite(hl), "h_lower", hl, "> 0 and finite");
      c.lower = true;
      c.k_l = p.k_lower ? *p.k_lower : poisson_cusum_k(p.mu0, *p.mu1_lower);
      detail::check_param(c.k_l >= 0.0 && std::isfinite(c.k_l), "k_lower", c.k_l,
                          ">= 0 and finite");
      c.h_l = hl;
      c.start_l = p.fir_headstart * hl;
    }
    return c;
  }

  static void check_count(Scalar x, Eigen::Index index) {
    if (!(std::isfinite(x) && x >= Scalar(0) && std::floor(x) == x)) {
      if (index < 0) {
        detail::fail(name, ": count x must be a whole number >= 0 (got ", x,
                     "); the detector's state is unchanged");
      }
      detail::fail(name, ": series has a count (", x, ") at index ", index,
                   " that is not a whole number >= 0");
    }
  }

  Signal<Scalar> step(Scalar x) {
    constexpr Scalar inf = std::numeric_limits<Scalar>::infinity();
    Signal<Scalar> out{Scalar(0), Scalar(0), c_.upper ? static_cast<Scalar>(c_.h) : inf,
                       c_.lower ? static_cast<Scalar>(-c_.h_l) : -inf, Alarm::none};
    Scalar up = Scalar(0), down = Scalar(0);
    if (c_.upper) up = std::max(Scalar(0), up_ + (x - static_cast<Scalar>(c_.k)));
    if (c_.lower) down = std::max(Scalar(0), down_ + (static_cast<Scalar>(c_.k_l) - x));
    out.upper_statistic = up;
    out.lower_statistic = -down;
    const bool a_up = c_.upper && up >= out.upper_limit;
    const bool a_down = c_.lower && down >= -out.lower_limit;
    if (a_up || a_down) {
      const bool upper_wins =
          a_up && (!a_down || static_cast<double>(up) / c_.h >= static_cast<double>(down) / c_.h_l);
      out.alarm = upper_wins ? Alarm::upper : Alarm::lower;
    }
    if (reset_on_alarm() && out.alarm != Alarm::none) {
      reset();
    } else {
      up_ = up;
      down_ = down;
      ++t_;
    }
    return out;
  }

  [[nodiscard]] bool reset_on_alarm() const noexcept { return params_.reset_on_alarm; }

  friend struct detail::Serial;
  Params params_;
  detail::PoissonCusumConstants c_;
  Scalar up_{};
  Scalar down_{};
  std::int64_t t_ = 0;
};

OSPREY_NAMESPACE_END

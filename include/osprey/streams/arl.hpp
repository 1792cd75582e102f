/** \file
 *  Design helpers for the control charts: average run lengths (ARL) of a CUSUM (k, h) or an
 *  EWMA (lambda, L) chart by the Markov-chain approximation of Brook & Evans (Biometrika 59,
 *  1972), and the inverse problems, the h or L that give a target in-control ARL.
 *
 *  All values assume i.i.d. normal samples with the chart's sigma known, a mean shifted by
 *  `shift` sigmas from the start (zero-state ARL), the chart started at its reset value. The
 *  ARL is the expected number of samples up to and including the first alarm; the false-alarm
 *  rate of an in-control chart is about 1 / ARL0 per sample (so 1000 / ARL0 per 1,000 points).
 *
 *  Accuracy: the chain's state count `n_states` trades time (O(n_states^3)) for accuracy; the
 *  defaults reproduce Montgomery's Table 9.3 (CUSUM) and Lucas & Saccucci's (1990) EWMA table to
 *  about 0.5%.
 */
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN

namespace detail {

/** Standard normal CDF. */
inline double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

/** Solves (I - P) a = 1 for the absorbing chain with transient transition matrix P (row-major,
 *  m x m) and returns a, the expected steps to absorption from each state. Gaussian elimination
 *  with partial pivoting, in plain loops (fast even in unoptimised builds). */
inline std::vector<double> absorption_times(std::vector<double> P, std::size_t m) {
  // A = I - P, augmented with the right-hand side b = 1.
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < m; ++j) P[i * m + j] = (i == j ? 1.0 : 0.0) - P[i * m + j];
  }
  std::vector<double> b(m, 1.0);
  for (std::size_t c = 0; c < m; ++c) {
    std::size_t piv = c;
    for (std::size_t r = c + 1; r < m; ++r) {
      if (std::abs(P[r * m + c]) > std::abs(P[piv * m + c])) piv = r;
    }
    if (piv != c) {
      for (std::size_t j = 0; j < m; ++j) std::swap(P[c * m + j], P[piv * m + j]);
      std::swap(b[c], b[piv]);
    }
    const double d = P[c * m + c];
    for (std::size_t r = c + 1; r < m; ++r) {
      const double f = P[r * m + c] / d;
      if (f == 0.0) continue;
      double* OSPREY_RESTRICT row = &P[r * m];
      const double* OSPREY_RESTRICT prow = &P[c * m];
      for (std::size_t j = c; j < m; ++j) row[j] -= f * prow[j];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> a(m);
  for (std::size_t i = m; i-- > 0;) {
    double s = b[i];
    for (std::size_t j = i + 1; j < m; ++j) s -= P[i * m + j] * a[j];
    a[i] = s / P[i * m + i];
  }
  return a;
}

/** One-sided (upper) CUSUM ARL by Brook & Evans: state 0 holds C = 0 (and [0, w/2)), state i
 *  the interval [(i - 1/2) w, (i + 1/2) w), w = 2h / (2m - 1), absorption above h. */
inline double cusum_arl_upper(double k, double h, double shift, double headstart, std::size_t m) {
  const double w = 2.0 * h / (2.0 * static_cast<double>(m) - 1.0);
  std::vector<double> P(m * m);
  for (std::size_t i = 0; i < m; ++i) {
    const double ci = static_cast<double>(i) * w;
    // C_next = max(0, c_i + x - k) with x ~ N(shift, 1).
    double prev = normal_cdf(0.5 * w - ci + k - shift);
    P[i * m] = prev;
    for (std::size_t j = 1; j < m; ++j) {
      const double cur = normal_cdf((static_cast<double>(j) + 0.5) * w - ci + k - shift);
      P[i * m + j] = cur - prev;
      prev = cur;
    }
  }
  const std::vector<double> a = absorption_times(std::move(P), m);
  const auto s = static_cast<std::size_t>(std::lround(headstart * h / w));
  return a[std::min(s, m - 1)];
}

/** EWMA ARL by the chain of Lucas & Saccucci (1990): (-UCL, UCL), UCL = L sqrt(lambda /
 *  (2 - lambda)) in sigma units, cut into m (odd) equal intervals; start at the centre. */
inline double ewma_arl_chain(double lambda, double L, double shift, std::size_t m) {
  const double ucl = L * std::sqrt(lambda / (2.0 - lambda));
  const double w = 2.0 * ucl / static_cast<double>(m);
  std::vector<double> P(m * m);
  for (std::size_t i = 0; i < m; ++i) {
    const double ci = -ucl + (static_cast<double>(i) + 0.5) * w;
    // z_next = (1 - lambda) c_i + lambda x: in interval j iff x in [(lo_j - (1-l) c_i) / l, ...).
    double prev = normal_cdf((-ucl - (1.0 - lambda) * ci) / lambda - shift);
    for (std::size_t j = 0; j < m; ++j) {
      const double hi = -ucl + static_cast<double>(j + 1) * w;
      const double cur = normal_cdf((hi - (1.0 - lambda) * ci) / lambda - shift);
      P[i * m + j] = cur - prev;
      prev = cur;
    }
  }
  const std::vector<double> a = absorption_times(std::move(P), m);
  return a[m / 2];
}

/** The most states an ARL chain may have: the solve is a dense n x n system, O(n^3) time and
 *  8 n^2 bytes (2001 states: about 32 MB and a few seconds), and the 1/n^2 accuracy is far below
 *  any design need long before this. */
inline constexpr int arl_max_states = 2001;

}  // namespace detail

/** Zero-state average run length of a two-sided tabular CUSUM (reference value k, decision
 *  interval h, both in sigmas) when the mean is shifted by `shift` sigmas; the two one-sided
 *  chains are combined by 1/ARL = 1/ARL+ + 1/ARL- (Kemp 1971; exact enough for k >= 0.25).
 *  \param headstart FIR headstart as a fraction of h, in [0, 1).
 *  \param n_states  states of each one-sided chain, in [10, 2001]; accuracy improves as 1 / n^2.
 *  \throws InvalidArgument if k < 0, h <= 0, headstart outside [0, 1) or n_states outside
 *          [10, 2001] (the cap bounds the O(n^3) solve and its 8 n^2 bytes).
 *  Complexity: O(n_states^3). Thread safety: pure function. */
inline double cusum_arl(double k, double h, double shift = 0.0, double headstart = 0.0,
                        int n_states = 150) {
  detail::check_param(k >= 0.0 && std::isfinite(k), "k", k, ">= 0 and finite");
  detail::check_param(h > 0.0 && std::isfinite(h), "h", h, "> 0 and finite");
  detail::check_param(headstart >= 0.0 && headstart < 1.0, "headstart", headstart, "in [0, 1)");
  detail::check_param(std::isfinite(shift), "shift", shift, "finite");
  detail::check_param(
      n_states >= 10 && n_states <= detail::arl_max_states, "n_states", n_states,
      "in [10, 2001] (the chain's solve is O(n_states^3) time, 8 n_states^2 bytes)");
  const auto m = static_cast<std::size_t>(n_states);
  const double up = detail::cusum_arl_upper(k, h, shift, headstart, m);
  const double down = detail::cusum_arl_upper(k, h, -shift, headstart, m);
  return 1.0 / (1.0 / up + 1.0 / down);
}

/** Zero-state average run length of an EWMA chart (lambda, L) with asymptotic limits when the
 *  mean is shifted by `shift` sigmas (the setting of Lucas & Saccucci's tables).
 *  \param n_states states of the chain (made odd), in [11, 2001].
 *  \throws InvalidArgument if lambda is outside (0, 1], L <= 0 or n_states outside [11, 2001]
 *          (the cap bounds the O(n^3) solve and its 8 n^2 bytes).
 *  Complexity: O(n_states^3). Thread safety: pure function. */
inline double ewma_arl(double lambda, double L, double shift = 0.0, int n_states = 201) {
  detail::check_param(lambda > 0.0 && lambda <= 1.0, "lambda", lambda, "in (0, 1]");
  detail::check_param(L > 0.0 && std::isfinite(L), "L", L, "> 0 and finite");
  detail::check_param(std::isfinite(shift), "shift", shift, "finite");
  detail::check_param(
      n_states >= 11 && n_states <= detail::arl_max_states, "n_states", n_states,
      "in [11, 2001] (the chain's solve is O(n_states^3) time, 8 n_states^2 bytes)");
  const auto m = static_cast<std::size_t>(n_states | 1);
  return detail::ewma_arl_chain(lambda, L, shift, m);
}

namespace detail {
/** Bisection for the x in [lo, hi] with f(x) = target, f increasing. */
template <class F>
double solve_increasing(F&& f, double target, double lo, double hi, const char* name) {
  double f_hi = f(hi);
  for (int i = 0; i < 40 && f_hi < target; ++i) {
    lo = hi;
    hi *= 2.0;
    f_hi = f(hi);
  }
  if (f_hi < target) fail(name, ": no value reaches the target ARL ", target);
  for (int it = 0; it < 100 && hi - lo > 1e-7 * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (f(mid) < target) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return 0.5 * (lo + hi);
}
}  // namespace detail

/** The decision interval h (sigmas) at which a two-sided CUSUM with reference value k has the
 *  in-control ARL `target_arl0`, by bisection on `cusum_arl` (to a relative 1e-7 in h).
 *  \throws InvalidArgument if k < 0, target_arl0 <= 1 or n_states outside [10, 2001]. */
inline double cusum_h_for_arl(double k, double target_arl0, int n_states = 150) {
  detail::check_param(k >= 0.0 && std::isfinite(k), "k", k, ">= 0 and finite");
  detail::check_param(target_arl0 > 1.0 && std::isfinite(target_arl0), "target_arl0", target_arl0,
                      "> 1 and finite");
  return detail::solve_increasing([&](double h) { return cusum_arl(k, h, 0.0, 0.0, n_states); },
                                  target_arl0, 1e-3, 1.0, "cusum_h_for_arl");
}

/** The limit width L at which an EWMA chart with weight lambda (asymptotic limits) has the
 *  in-control ARL `target_arl0`, by bisection on `ewma_arl`.
 *  \throws InvalidArgument if lambda is outside (0, 1], target_arl0 <= 1 or n_states outside [11,
 * 2001]. */
inline double ewma_L_for_arl(double lambda, double target_arl0, int n_states = 201) {
  detail::check_param(lambda > 0.0 && lambda <= 1.0, "lambda", lambda, "in (0, 1]");
  detail::check_param(target_arl0 > 1.0 && std::isfinite(target_arl0), "target_arl0", target_arl0,
                      "> 1 and finite");
  return detail::solve_increasing([&](double L) { return ewma_arl(lambda, L, 0.0, n_states); },
                                  target_arl0, 1e-3, 1.0, "ewma_L_for_arl");
}

OSPREY_NAMESPACE_END

/** \file
 *  Step kernels of the streaming control charts (EWMA and two-sided tabular CUSUM), for one
 *  stream run over a series and for a bank of n independent streams advanced by one time step.
 *
 *  - EWMA: z_t = (1 - lambda) z_{t-1} + lambda x_t as one multiply-add (`ewma_next`), alarms
 *    against limits m +/- hw f_t computed as explicit multiply-adds.
 *  - CUSUM: C+_t = max(0, C+_{t-1} + (x_t - k_up)), C-_t = max(0, C-_{t-1} + (k_down - x_t)),
 *    alarms when a sum exceeds H (the larger sum wins, upper on a tie).
 *
 *  Every kernel computes each sample with the same expressions as the per-sample `update` of
 *  the charts, so a series run here and a loop of `update` agree to the last bit.
 *
 *  Cost: O(len) for a series (latency-bound: one multiply-add, or one add and one max, on the
 *  loop-carried chain per sample; one read of x and one write of the alarms and statistics);
 *  O(n) for a bank step (one pass over the bank's arrays, vectorised, bound by memory bandwidth
 *  once the arrays outgrow the caches).
 *
 *  Thread-safety: stateless free functions; they write only through their output pointers, so
 *  calls on disjoint outputs may run concurrently.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>

#include "../config.hpp"
#include "simd.hpp"

OSPREY_NAMESPACE_BEGIN
namespace kernels {

/** z_t from z_{t-1}: the one expression of the EWMA recurrence (a single chart's update,
 *  detect and trace, and the bank), fused where the target has an FMA. */
template <class Scalar>
[[nodiscard]] OSPREY_ALWAYS_INLINE Scalar ewma_next(Scalar oml, Scalar z, Scalar lam,
                                                    Scalar x) noexcept {
  return mul_add(oml, z, lam * x);
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

/** C+_t from C+_{t-1} (k_up = mean + k sigma): the one expression of the upper sum. */
template <class Scalar>
[[nodiscard]] OSPREY_ALWAYS_INLINE Scalar cusum_next_up(Scalar c, Scalar x, Scalar k_up) noexcept {
  return max_branchless(Scalar(0), c + (x - k_up));
}
/** C-_t from C-_{t-1} (k_down = mean - k sigma): the one expression of the lower sum. */
template <class Scalar>
[[nodiscard]] OSPREY_ALWAYS_INLINE Scalar cusum_next_down(Scalar c, Scalar x,
                                                          Scalar k_down) noexcept {
  return max_branchless(Scalar(0), c + (k_down - x));
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
    // One max and one compare find the rare sample with an alarm (either sum above H); only
    // that one pays for cusum_alarm's tie rule: 8.4 cycles per sample with the rule on every
    // sample (bound by instruction throughput), 7.5 this way (double, AMD EPYC, 3.58 GHz).
    if (max_branchless(cu, cd) > H) {
      a[j++] = cusum_alarm(cu, cd, H);
      if (stop_at_alarm) break;
    } else {
      a[j++] = 0;
    }
  }
  cu_io = cu;
  cd_io = cd;
  return j;
}

/** One CUSUM step of n independent charts: sums (cu, cd) against per-chart reference values
 *  (kup, kdn) and decision intervals H; with `reset` (0 or 1) a chart that alarms restarts both
 *  sums at its headstart st. A free function with restrict parameters (g++ honours restrict on
 *  parameters, and eight pointers exceed its runtime alias checks), in bitwise logic with
 *  unconditional loads, so it vectorises. */
template <class Scalar>
void cusum_bank_step(Eigen::Index n, const Scalar* OSPREY_RESTRICT x, Scalar* OSPREY_RESTRICT cu,
                     Scalar* OSPREY_RESTRICT cd, const Scalar* OSPREY_RESTRICT kup,
                     const Scalar* OSPREY_RESTRICT kdn, const Scalar* OSPREY_RESTRICT H,
                     const Scalar* OSPREY_RESTRICT st, std::int8_t* OSPREY_RESTRICT a, int reset) {
  const Scalar zero(0);
  for (Eigen::Index j = 0; j < n; ++j) {
    const Scalar up0 = cu[j] + (x[j] - kup[j]);
    const Scalar dn0 = cd[j] + (kdn[j] - x[j]);
    const Scalar up = up0 > zero ? up0 : zero;
    const Scalar dn = dn0 > zero ? dn0 : zero;
    const int au = static_cast<int>(up > H[j]);
    const int ad = static_cast<int>(dn > H[j]);
    const int upper = au & ((ad ^ 1) | static_cast<int>(up >= dn));
    const int lower = ad & (upper ^ 1);
    const int restart = reset & (upper | lower);
    const Scalar s0 = st[j];
    cu[j] = restart != 0 ? s0 : up;
    cd[j] = restart != 0 ? s0 : dn;
    a[j] = static_cast<std::int8_t>(upper - lower);
  }
}

/** One EWMA step of n charts that all share the limit factor f (no restarts, so every chart has
 *  seen the same number of samples): z = ewma_next(...), alarm against m +/- hw f as explicit
 *  multiply-adds. */
template <class Scalar>
void ewma_bank_step(Eigen::Index n, const Scalar* OSPREY_RESTRICT x, Scalar* OSPREY_RESTRICT z,
                    const Scalar* OSPREY_RESTRICT m, const Scalar* OSPREY_RESTRICT hw, Scalar f,
                    Scalar lam, Scalar oml, std::int8_t* OSPREY_RESTRICT a) {
  for (Eigen::Index j = 0; j < n; ++j) {
    const Scalar zj = mul_add(oml, z[j], lam * x[j]);
    z[j] = zj;
    a[j] = static_cast<std::int8_t>(static_cast<int>(zj > mul_add(hw[j], f, m[j])) -
                                    static_cast<int>(zj < mul_add(-hw[j], f, m[j])));
  }
}

/** Lane j of an EWMA bank step with restarts, from z_t = `zj`, the limit factor `f` and the
 *  count `t`: the alarm against mj +/- hwj f as explicit multiply-adds (0 / +1 / -1, into `a`);
 *  an alarming chart restarts at its mean with count 0, else keeps (zj, t). */
template <class Scalar>
OSPREY_ALWAYS_INLINE void ewma_reset_lane(Scalar zj, Scalar f, Scalar mj, Scalar hwj,
                                          std::int32_t t, Scalar& z, std::int32_t& ts,
                                          std::int8_t& a) noexcept {
  const int aj =
      static_cast<int>(zj > mul_add(hwj, f, mj)) - static_cast<int>(zj < mul_add(-hwj, f, mj));
  z = aj != 0 ? mj : zj;
  ts = aj != 0 ? 0 : t;
  a = static_cast<std::int8_t>(aj);
}

/** One EWMA step of n charts with per-chart sample counts ts that restart at an alarm (the
 *  chart restarts at its mean); see cusum_bank_step. The counts saturate at t_cap; fac holds
 *  the tabulated exact-limit factors f_1..f_K (K = n_factor) and a final 1.
 *  \pre every count stays <= K, or the table covers every exact factor (t_cap <= K + 1). */
template <class Scalar>
void ewma_bank_reset_step(Eigen::Index n, const Scalar* OSPREY_RESTRICT x,
                          Scalar* OSPREY_RESTRICT z, const Scalar* OSPREY_RESTRICT m,
                          const Scalar* OSPREY_RESTRICT hw, std::int32_t* OSPREY_RESTRICT ts,
                          const Scalar* OSPREY_RESTRICT fac, std::int32_t n_factor,
                          std::int32_t t_cap, Scalar lam, Scalar oml,
                          std::int8_t* OSPREY_RESTRICT a) {
  for (Eigen::Index j = 0; j < n; ++j) {
    const Scalar zj = mul_add(oml, z[j], lam * x[j]);
    const std::int32_t t1 = ts[j] + 1;
    const std::int32_t t = t1 < t_cap ? t1 : t_cap;
    const std::int32_t k = t < n_factor + 1 ? t : n_factor + 1;  // fac[k - 1] valid
    const Scalar f = fac[k - 1];
    ewma_reset_lane(zj, f, m[j], hw[j], t, z[j], ts[j], a[j]);
  }
}

/** ewma_bank_reset_step for counts beyond the table: the factor of count t is `factor_at(t)`
 *  (any callable std::int32_t -> Scalar). */
template <class Scalar, class FactorAt>
void ewma_bank_reset_step_long(Eigen::Index n, const Scalar* x, Scalar* z, const Scalar* m,
                               const Scalar* hw, std::int32_t* ts, const FactorAt& factor_at,
                               std::int32_t t_cap, Scalar lam, Scalar oml, std::int8_t* a) {
  for (Eigen::Index j = 0; j < n; ++j) {
    const Scalar zj = mul_add(oml, z[j], lam * x[j]);
    const std::int32_t t = std::min(ts[j] + 1, t_cap);
    const Scalar f = factor_at(t);
    ewma_reset_lane(zj, f, m[j], hw[j], t, z[j], ts[j], a[j]);
  }
}

}  // namespace kernels
OSPREY_NAMESPACE_END

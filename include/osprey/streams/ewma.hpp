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

#include "chart_params.hpp"
#include "control_chart.hpp"
#include "detail/ewma_statistic.hpp"

OSPREY_NAMESPACE_BEGIN

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
 *  The statistic (`statistic()`, and what `detect(series, statistic)` writes) is z_t;
 *  `half_width(t)` is the half-width of the limits after t samples (asymptotic when
 *  exact_limits is false; 0 for t < 1 with exact limits).
 *
 *  z_t follows the recurrence of pandas' `ewm(alpha=lambda, adjust=False).mean()`, but starts
 *  from z_0 = mean where pandas starts from its first sample (y_0 = x_0). With mean = x_0 the
 *  two series agree up to rounding, not bit for bit: pandas computes
 *  ((1 - alpha) y + alpha x) / ((1 - alpha) + alpha) without a fused multiply-add.
 *
 *  Defaults lambda = 0.2, L = 3 give an in-control average run length of about 562 samples
 *  (Markov-chain value, asymptotic limits; see `ewma_arl` in arl.hpp), i.e. about 1.8 false
 *  alarms per 1,000 in-control points; the exact limits are narrower at start-up and add a few
 *  early alarms. A shift of one sigma is detected after about 10 samples.
 *
 *  \tparam ScalarT float or double: the type of samples, statistics and limits.
 *  Complexity: O(1) time per sample; the exact-limit factors of the first min(T, 65,536) samples
 *  are tabulated at construction (T, the samples until they round to 1, is about 84 for the
 *  defaults in double), later ones cost an expm1 and a square root per sample until T.
 *  Thread safety: `update`, `detect`, `trace` and `reset` mutate the running state (one thread per
 *  detector); const accessors may be called concurrently.
 */
template <class ScalarT = double>
class Ewma : public ControlChart<detail::EwmaStatistic, ScalarT, Ewma<ScalarT>> {
  using Base = ControlChart<detail::EwmaStatistic, ScalarT, Ewma<ScalarT>>;

 public:
  using Base::Base;
};

OSPREY_NAMESPACE_END

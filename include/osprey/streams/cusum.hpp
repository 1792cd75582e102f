/** \file
 *  `Cusum`: the tabular two-sided cumulative-sum control chart for one stream (Page 1954;
 *  Montgomery, *Introduction to Statistical Quality Control*, section 9.1).
 *
 *  C+_t = max(0, x_t - (mean + k sigma) + C+_{t-1}), C-_t = max(0, (mean - k sigma) - x_t +
 *  C-_{t-1}), and the chart signals when either sum exceeds H = h sigma. A fast initial response
 *  (Lucas & Crosier 1982) starts both sums at `fir_headstart` * H instead of zero.
 */
#pragma once

#include "chart_params.hpp"
#include "control_chart.hpp"
#include "detail/cusum_statistic.hpp"

OSPREY_NAMESPACE_BEGIN

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
 *  The statistic (`statistic()`, and what `detect(series, statistic)` writes) is the larger sum,
 *  signed: C+_t when C+_t >= C-_t, else -C-_t; the chart alarms when it leaves [-H, H], and
 *  `half_width(t)` is the decision interval H = h sigma for every t. `upper_sum()` and
 *  `lower_sum()` give both sums.
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
class Cusum : public ControlChart<detail::CusumStatistic, ScalarT, Cusum<ScalarT>> {
  using Base = ControlChart<detail::CusumStatistic, ScalarT, Cusum<ScalarT>>;

 public:
  using Base::Base;

  /** The current upper sum C+_t. \throws NotFittedError before fit. */
  [[nodiscard]] ScalarT upper_sum() const { return this->stream().upper_sum(); }
  /** The current lower sum C-_t (>= 0). \throws NotFittedError before fit. */
  [[nodiscard]] ScalarT lower_sum() const { return this->stream().lower_sum(); }
};

OSPREY_NAMESPACE_END

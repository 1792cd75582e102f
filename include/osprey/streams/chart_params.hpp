/** \file
 *  The parameters of the control charts: `EwmaParams` (of `Ewma` and `EwmaBank`) and
 *  `CusumParams` (of `Cusum` and `CusumBank`), aggregates written with designated initialisers
 *  and the same for every Scalar.
 */
#pragma once

#include <optional>

#include "control_chart.hpp"

OSPREY_NAMESPACE_BEGIN

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

OSPREY_NAMESPACE_END

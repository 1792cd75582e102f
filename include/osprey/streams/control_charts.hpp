/** \file
 *  The streaming control charts in one include: `Ewma`, `Cusum`, their banks (`EwmaBank`,
 *  `CusumBank`) and the average-run-length design helpers (`cusum_arl`, `ewma_arl`,
 *  `cusum_h_for_arl`, `ewma_L_for_arl`), built on the skeletons `ControlChart` and `ChartBank`.
 */
#pragma once

#include "arl.hpp"
#include "chart_params.hpp"
#include "control_chart.hpp"
#include "control_chart_bank.hpp"
#include "cusum.hpp"
#include "ewma.hpp"

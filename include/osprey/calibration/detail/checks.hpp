/** \file
 *  Input checks and small numerics shared by the calibrators. Not API.
 */
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <string_view>

#include "../../core/sample_weight.hpp"
#include "../../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** The checks of a calibrator's `fit(s, y, sample_weight)`: s non-empty and finite, y of the same
 *  length with every label 0 or 1 (naming the first other row), sample_weight as
 *  check_sample_weight. `who` prefixes the messages ("SigmoidCalibrator::fit"). */
template <class S>
void check_calibration_input(const Eigen::Ref<const Eigen::Matrix<S, Eigen::Dynamic, 1>>& s,
                             const Eigen::Ref<const Eigen::VectorXi>& y, const SampleWeight& w,
                             std::string_view who) {
  if (s.size() == 0) fail(who, ": the scores are empty");
  check_same_length(s.size(), y.size(), "scores", "y");
  check_finite(s, "scores");
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    if (y(i) != 0 && y(i) != 1) {
      fail(who, ": y must hold binary labels 0 or 1 (row ", i, " is ", y(i), ")");
    }
  }
  check_sample_weight(w, s.size());
}

/** log(1 + exp(z)) without overflow or loss for large |z|. */
[[nodiscard]] inline double softplus(double z) noexcept {
  return (z > 0.0 ? z : 0.0) + std::log1p(std::exp(-std::abs(z)));
}

/** 1 / (1 + exp(z)), i.e. expit(-z), without overflow. */
[[nodiscard]] inline double expit_neg(double z) noexcept {
  if (z >= 0.0) {
    const double e = std::exp(-z);
    return e / (1.0 + e);
  }
  return 1.0 / (1.0 + std::exp(z));
}

}  // namespace detail
OSPREY_NAMESPACE_END

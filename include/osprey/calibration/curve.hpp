/** \file
 *  Reliability-diagram data: `calibration_curve` bins predicted probabilities and returns, per
 *  non-empty bin, the observed share of positives and the mean prediction (scikit-learn's
 *  `sklearn.calibration.calibration_curve`).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <vector>

#include "../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN

/** How calibration_curve places its bin edges. */
enum class BinStrategy {
  uniform,  ///< n_bins equal-width bins over [0, 1]
  quantile  ///< edges at the quantiles of y_prob: bins of (nearly) equal counts
};

/** One reliability diagram: x = prob_pred, y = prob_true, one entry per non-empty bin in
 *  increasing bin order. A calibrated model lies on the diagonal. */
struct CalibrationCurve {
  Eigen::VectorXd prob_true;  ///< share of positives in each non-empty bin
  Eigen::VectorXd prob_pred;  ///< mean predicted probability in each non-empty bin
};

namespace detail {

/** The n_bins + 1 edges of calibration_curve, computed as numpy does: linspace(0, 1, n + 1)
 *  (i * (1 / n), last exactly 1) for uniform; for quantile, np.percentile (linear method) of
 *  the sorted probabilities at linspace(0, 1, n + 1) * 100, with numpy's two-sided lerp. */
[[nodiscard]] inline std::vector<double> calibration_bins(const std::vector<double>& sorted,
                                                          int n_bins, BinStrategy strategy) {
  std::vector<double> edges(static_cast<std::size_t>(n_bins) + 1);
  const double step = 1.0 / static_cast<double>(n_bins);
  for (int i = 0; i <= n_bins; ++i) {
    edges[static_cast<std::size_t>(i)] = i == n_bins ? 1.0 : static_cast<double>(i) * step;
  }
  if (strategy == BinStrategy::uniform) return edges;
  const auto n = static_cast<double>(sorted.size());
  for (double& e : edges) {
    const double q = (e * 100.0) / 100.0;
    const double virtual_index = (n - 1.0) * q;
    std::size_t lo = 0, hi = 0;
    if (virtual_index >= n - 1.0) {
      lo = hi = sorted.size() - 1;
    } else {
      lo = static_cast<std::size_t>(std::floor(virtual_index));
      hi = lo + 1;
    }
    const double t = virtual_index - std::floor(virtual_index);
    const double a = sorted[lo], b = sorted[hi], diff = b - a;
    e = t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
  }
  return edges;
}

}  // namespace detail

/** Reliability-diagram data (scikit-learn's `calibration_curve`): the probabilities are cut into
 *  `n_bins` bins; a probability equal to an inner edge falls in the lower bin (numpy's
 *  searchsorted); empty bins are dropped.
 *
 *  \code
 *  auto curve = osprey::calibration_curve(y_test, proba.col(1), 10);
 *  // plot curve.prob_pred (x) against curve.prob_true (y), with the diagonal for reference
 *  \endcode
 *  \param y_true binary labels: the positive class is 1, the other -1 or 0 (scikit-learn's
 *         accepted sets {0, 1}, {-1, 1}, {0}, {1}, {-1}).
 *  \param y_prob predicted probabilities of the positive class, each in [0, 1].
 *  \param n_bins number of bins, >= 1. \param strategy uniform widths or quantile edges.
 *  \returns prob_true and prob_pred, one entry per non-empty bin.
 *  \throws InvalidArgument if the inputs are empty or of different lengths, a probability is
 *  NaN or outside [0, 1] (naming the index), y_true holds another label set, or n_bins < 1.
 *  Complexity O(n log n) for quantile (a sort), O(n log n_bins) for uniform.
 *  Thread safety: pure function. */
[[nodiscard]] inline CalibrationCurve calibration_curve(
    const Eigen::Ref<const Eigen::VectorXi>& y_true,
    const Eigen::Ref<const Eigen::VectorXd>& y_prob, int n_bins = 5,
    BinStrategy strategy = BinStrategy::uniform) {
  detail::check_param(n_bins >= 1, "n_bins", n_bins, ">= 1");
  const int s = static_cast<int>(strategy);
  detail::check_param(s == 0 || s == 1, "strategy", s, "uniform or quantile");
  if (y_prob.size() == 0) detail::fail("calibration_curve: y_prob is empty");
  detail::check_same_length(y_true.size(), y_prob.size(), "y_true", "y_prob");
  bool has_neg1 = false, has_zero = false;
  for (Eigen::Index i = 0; i < y_true.size(); ++i) {
    const int v = y_true(i);
    if (v != -1 && v != 0 && v != 1) {
      detail::fail("calibration_curve: y_true must be binary with labels {0, 1} or {-1, 1} (index ",
                   i, " is ", v, ")");
    }
    has_neg1 = has_neg1 || v == -1;
    has_zero = has_zero || v == 0;
  }
  if (has_neg1 && has_zero) {
    detail::fail("calibration_curve: y_true mixes the labels -1 and 0; use {0, 1} or {-1, 1}");
  }
  for (Eigen::Index i = 0; i < y_prob.size(); ++i) {
    if (!(y_prob(i) >= 0.0 && y_prob(i) <= 1.0)) {
      detail::fail("calibration_curve: y_prob must lie in [0, 1] (index ", i, " is ", y_prob(i),
                   ")");
    }
  }
  std::vector<double> sorted(y_prob.data(), y_prob.data() + y_prob.size());
  if (strategy == BinStrategy::quantile) std::sort(sorted.begin(), sorted.end());
  const std::vector<double> edges = detail::calibration_bins(sorted, n_bins, strategy);
  const auto nb = static_cast<std::size_t>(n_bins);
  std::vector<double> sums(nb, 0.0), trues(nb, 0.0), totals(nb, 0.0);
  for (Eigen::Index i = 0; i < y_prob.size(); ++i) {
    const double p = y_prob(i);
    // inner edges are edges[1 .. n_bins - 1]; the bin is the count of inner edges < p
    const auto bin = static_cast<std::size_t>(
        std::lower_bound(edges.begin() + 1, edges.end() - 1, p) - (edges.begin() + 1));
    sums[bin] += p;
    trues[bin] += y_true(i) == 1 ? 1.0 : 0.0;
    totals[bin] += 1.0;
  }
  std::vector<double> pt, pp;
  for (std::size_t b = 0; b < nb; ++b) {
    if (totals[b] == 0.0) continue;
    pt.push_back(trues[b] / totals[b]);
    pp.push_back(sums[b] / totals[b]);
  }
  const auto k = static_cast<Eigen::Index>(pt.size());
  return {Eigen::Map<const Eigen::VectorXd>(pt.data(), k),
          Eigen::Map<const Eigen::VectorXd>(pp.data(), k)};
}

OSPREY_NAMESPACE_END

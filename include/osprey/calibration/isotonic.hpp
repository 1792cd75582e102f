/** \file
 *  Isotonic calibration: `IsotonicCalibrator` fits the non-decreasing step function of the
 *  scores closest to the labels in weighted least squares (pool-adjacent-violators) and predicts
 *  by linear interpolation between its points, clipped outside the fitted range: scikit-learn's
 *  `IsotonicRegression(increasing=True, out_of_bounds="clip")`.
 *
 *  Reference: M. Ayer et al., "An empirical distribution function for sampling with incomplete
 *  information", Ann. Math. Statist. 26 (1955); B. Zadrozny, C. Elkan, "Transforming classifier
 *  scores into accurate multiclass probability estimates", KDD 2002.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <numeric>
#include <optional>
#include <type_traits>
#include <vector>

#include "../core/sample_weight.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "detail/checks.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** The fitted function: points (x, y) with x strictly increasing and y non-decreasing, interior
 *  points of flat runs removed; predictions clip to [x_min, x_max]. */
struct IsotonicState {
  std::vector<double> x, y;
  double x_min = 0.0, x_max = 0.0;
};

/** Distinct scores closer than this are one tie group (numpy's `finfo(Scalar).resolution`, which
 *  scikit-learn's `_make_unique` uses: 1e-15 for double, 1e-6 for float). */
template <class S>
inline constexpr double isotonic_tie_eps = std::is_same_v<S, float> ? 1e-6 : 1e-15;

/** Pool-adjacent-violators, in place: y becomes the weighted least-squares non-decreasing fit of
 *  y with weights w (all > 0). One pass with a stack of blocks, each merge O(1): O(n). */
inline void pool_adjacent_violators(std::vector<double>& y, const std::vector<double>& w) {
  struct Block {
    double sum_wy, sum_w, mean;
    std::size_t end;  // one past the block's last index
  };
  std::vector<Block> blocks;
  blocks.reserve(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    blocks.push_back({w[i] * y[i], w[i], y[i], i + 1});
    // scikit-learn pools equal neighbours too; the means are then the same.
    while (blocks.size() > 1 && blocks[blocks.size() - 2].mean >= blocks.back().mean) {
      const Block last = blocks.back();
      blocks.pop_back();
      Block& b = blocks.back();
      b.sum_wy += last.sum_wy;
      b.sum_w += last.sum_w;
      b.mean = b.sum_wy / b.sum_w;
      b.end = last.end;
    }
  }
  std::size_t start = 0;
  for (const Block& b : blocks) {
    std::fill(y.begin() + static_cast<std::ptrdiff_t>(start),
              y.begin() + static_cast<std::ptrdiff_t>(b.end), b.mean);
    start = b.end;
  }
}

/** Fits the isotonic function (inputs checked): drops rows of weight 0, sorts by (score, label),
 *  pools each tie group into one point (weighted mean label, summed weight), runs PAV and
 *  removes the interior points of flat runs. \throws InvalidArgument if every weight is 0. */
template <class S>
[[nodiscard]] IsotonicState fit_isotonic(
    const Eigen::Ref<const Eigen::Matrix<S, Eigen::Dynamic, 1>>& s,
    const Eigen::Ref<const Eigen::VectorXi>& label, const SampleWeight& w) {
  std::vector<Eigen::Index> order;
  order.reserve(static_cast<std::size_t>(s.size()));
  for (Eigen::Index i = 0; i < s.size(); ++i) {
    if (weight_at(w, i) > 0.0) order.push_back(i);
  }
  if (order.empty()) fail("IsotonicCalibrator::fit: every sample_weight is zero");
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) {
    return s(a) < s(b) || (s(a) == s(b) && label(a) < label(b));
  });
  std::vector<double> ux, uy, uw;  // tie groups
  double cx = static_cast<double>(s(order[0])), cwy = 0.0, cw = 0.0;
  for (const Eigen::Index i : order) {
    const auto xi = static_cast<double>(s(i));
    const double wi = weight_at(w, i);
    if (xi - cx >= isotonic_tie_eps<S>) {
      ux.push_back(cx);
      uy.push_back(cwy / cw);
      uw.push_back(cw);
      cx = xi;
      cwy = 0.0;
      cw = 0.0;
    }
    cwy += static_cast<double>(label(i)) * wi;
    cw += wi;
  }
  ux.push_back(cx);
  uy.push_back(cwy / cw);
  uw.push_back(cw);
  pool_adjacent_violators(uy, uw);
  IsotonicState st;
  st.x_min = ux.front();
  st.x_max = ux.back();
  for (std::size_t j = 0; j < ux.size(); ++j) {
    const bool interior_of_flat =
        j > 0 && j + 1 < ux.size() && uy[j] == uy[j - 1] && uy[j] == uy[j + 1];
    if (interior_of_flat) continue;
    st.x.push_back(ux[j]);
    st.y.push_back(uy[j]);
  }
  return st;
}

/** The fitted function at v: clipped to [x_min, x_max], then linear between the two points
 *  around it, computed as scipy's interp1d does (the segment whose right end is the first
 *  x >= v, value slope (v - x_lo) + y_lo). */
[[nodiscard]] inline double isotonic_at(const IsotonicState& st, double v) {
  v = std::clamp(v, st.x_min, st.x_max);
  if (st.x.size() == 1) return st.y.front();
  auto hi = static_cast<std::size_t>(std::lower_bound(st.x.begin(), st.x.end(), v) - st.x.begin());
  hi = std::clamp<std::size_t>(hi, 1, st.x.size() - 1);
  const std::size_t lo = hi - 1;
  const double slope = (st.y[hi] - st.y[lo]) / (st.x[hi] - st.x[lo]);
  return slope * (v - st.x[lo]) + st.y[lo];
}

}  // namespace detail

/** Isotonic calibration of a binary score (scikit-learn's
 *  `IsotonicRegression(increasing=True, out_of_bounds="clip")`, the "isotonic" method of
 *  CalibratedClassifierCV): the non-decreasing function of the score that minimises the weighted
 *  squared error to the labels, found by pool-adjacent-violators.
 *
 *  \code
 *  osprey::IsotonicCalibrator<> iso;
 *  iso.fit(scores_valid, y_valid);               // y in {0, 1}
 *  Eigen::VectorXd p = iso.predict(scores_new);  // non-decreasing in the score
 *  \endcode
 *
 *  As scikit-learn: rows of weight 0 are dropped; rows whose scores differ by less than
 *  numpy's resolution of Scalar (1e-15 for double, 1e-6 for float) form one tie group, replaced
 *  by one point at the group's smallest score with the weighted mean label and the summed
 *  weight; predict interpolates linearly between the fitted points and returns the end values
 *  outside [x_min, x_max]. A fit on one distinct score predicts that score's weighted share of
 *  positives everywhere.
 *
 *  \tparam ScalarT float or double: the type of the scores and of the probabilities returned;
 *          the fit runs in double.
 *  Complexity: fit O(n log n) for the sort, then O(n); predict O(m log k) for k fitted points.
 *  Thread safety: const methods may run concurrently.
 */
template <class ScalarT = double>
class IsotonicCalibrator {
  friend struct detail::Serial;

 public:
  using Scalar = ScalarT;  ///< type of scores and returned probabilities

  /** Fits on scores `s`, labels `y` (0 or 1) and optional per-row weights. \returns `*this`.
   *  \throws InvalidArgument if s is empty or non-finite, y's length differs or a label is not 0
   *  or 1 (naming the row), a weight is negative or non-finite, or every weight is zero. */
  IsotonicCalibrator& fit(const Eigen::Ref<const Vector<Scalar>>& s,
                          const Eigen::Ref<const Eigen::VectorXi>& y,
                          const SampleWeight& sample_weight = detail::unweighted()) {
    detail::check_calibration_input<Scalar>(s, y, sample_weight, "IsotonicCalibrator::fit");
    state_ = detail::fit_isotonic<Scalar>(s, y, sample_weight);
    return *this;
  }

  /** Calibrated probabilities, one per score, in [0, 1] and non-decreasing in the score.
   *  \throws NotFittedError before fit; InvalidArgument if a score is NaN or infinite. */
  [[nodiscard]] Vector<Scalar> predict(const Eigen::Ref<const Vector<Scalar>>& s) const {
    const auto& st = state();
    detail::check_finite(s, "scores");
    Vector<Scalar> p(s.size());
    for (Eigen::Index i = 0; i < s.size(); ++i) {
      p(i) = static_cast<Scalar>(detail::isotonic_at(st, static_cast<double>(s(i))));
    }
    return p;
  }

  /** The fitted points' scores, strictly increasing (scikit-learn's `X_thresholds_`). */
  [[nodiscard]] Eigen::VectorXd x_thresholds() const {
    const auto& x = state().x;
    return Eigen::Map<const Eigen::VectorXd>(x.data(), static_cast<Eigen::Index>(x.size()));
  }
  /** The fitted points' values, non-decreasing (scikit-learn's `y_thresholds_`). */
  [[nodiscard]] Eigen::VectorXd y_thresholds() const {
    const auto& y = state().y;
    return Eigen::Map<const Eigen::VectorXd>(y.data(), static_cast<Eigen::Index>(y.size()));
  }
  /** Smallest fitted score (scikit-learn's `X_min_`). \throws NotFittedError. */
  [[nodiscard]] double x_min() const { return state().x_min; }
  /** Largest fitted score (scikit-learn's `X_max_`). \throws NotFittedError. */
  [[nodiscard]] double x_max() const { return state().x_max; }
  /** True once fit has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }

 private:
  const detail::IsotonicState& state() const {
    detail::check_fitted(state_.has_value(), "IsotonicCalibrator");
    return *state_;
  }
  std::optional<detail::IsotonicState> state_;
};

OSPREY_NAMESPACE_END

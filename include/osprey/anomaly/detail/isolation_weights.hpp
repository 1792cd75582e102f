/** \file
 *  Sample weights of `IsolationForest::fit` (anomaly/isolation_forest.hpp): the weighted data
 *  set as a virtual repeated one, the map from a drawn position to its row, and the weighted
 *  contamination quantile. Not API.
 *
 *  Row i of weight w_i occupies the interval [C_{i-1}, C_i) of the cumulative weights
 *  C_i = w_0 + ... + w_i, of total W = C_{n-1}. A tree draws its psi positions as it would draw
 *  rows from a data set of M = ceil(W) rows (Floyd's algorithm, or independent draws with
 *  bootstrap) and maps position p to the row whose interval holds the point (p + u) W / M:
 *  - integer weights (every w_i an integer, W <= 2^53): M = W, slot p lies inside one row's
 *    interval, u is not drawn (it could not change the row) and position p is exactly row p of
 *    the data set with row i repeated w_i times consecutively - the same draws, the same trees;
 *  - other weights: u is drawn uniformly in [0, 1) per position (after the positions), so each
 *    drawn slot picks a row with probability proportional to the weight the row has in it;
 *    row i is drawn w_i psi / W times on average.
 *  A row of weight 0 has an empty interval and is never drawn.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "../../core/detail/rounded.hpp"
#include "../../core/random.hpp"
#include "../../core/sample_weight.hpp"
#include "../../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** The weighted training set of an IsolationForest as a virtual repeated data set. */
struct IsolationRowWeights {
  std::vector<double> cumulative;  ///< C_i = w_0 + ... + w_i
  double total = 0.0;              ///< W
  std::uint64_t slots = 0;         ///< M: W for integer weights, else ceil(W)
  bool integral = true;            ///< every weight an integer and W <= 2^53

  /** From checked weights (detail::check_sample_weight). \throws InvalidArgument naming
   *  sample_weight when every weight is 0. */
  static IsolationRowWeights from(const SampleWeight& w) {
    IsolationRowWeights r;
    r.cumulative.resize(static_cast<std::size_t>(w.size()));
    double sum = 0.0;
    for (Eigen::Index i = 0; i < w.size(); ++i) {
      sum += w(i);
      r.cumulative[static_cast<std::size_t>(i)] = sum;
      r.integral = r.integral && w(i) == std::floor(w(i));
    }
    if (!(sum > 0.0)) fail("sample_weight must have a positive entry (every row weighs 0)");
    r.total = sum;
    r.integral = r.integral && sum <= 9007199254740992.0;  // 2^53: every partial sum exact
    const double m = std::ceil(sum);
    if (m > 4.0e18) fail("sample_weight sums to ", sum, ", beyond the 4e18 rows supported");
    r.slots = static_cast<std::uint64_t>(m);
    return r;
  }

  /** The row whose interval [C_{i-1}, C_i) holds `point` (the last row of positive weight
   *  when rounding puts the point at or beyond W). */
  [[nodiscard]] Eigen::Index row_at(double point) const {
    auto it = std::upper_bound(cumulative.begin(), cumulative.end(), point);
    if (it == cumulative.end()) {
      it = std::lower_bound(cumulative.begin(), cumulative.end(), total);
    }
    return static_cast<Eigen::Index>(it - cumulative.begin());
  }

  /** Maps drawn positions of [0, slots) to rows in place; draws one uniform per position from
   *  `rng` unless the weights are integers. */
  void map_positions(std::vector<Eigen::Index>& rows, Rng& rng) const {
    const double stretch = total / static_cast<double>(slots);
    for (Eigen::Index& p : rows) {
      const auto pos = static_cast<double>(p);
      p = integral ? row_at(pos) : row_at((pos + rng.uniform()) * stretch);
    }
  }
};

/** numpy.percentile(values, 100 q) with linear interpolation (the unweighted contamination
 *  offset). */
[[nodiscard]] inline double linear_percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return v[lo] + frac * (v[hi] - v[lo]);
}

/** numpy.percentile(values, 100 q) with linear interpolation over the data set in which value
 *  i is repeated w_i times, generalised to real weights: with the values sorted and W their
 *  total weight, the value of rank r (0-based, real) is the first one whose cumulative weight
 *  exceeds r, and the result interpolates linearly between the ranks floor(q (W - 1)) and the
 *  next (ranks at or beyond W - 1 take the largest value). Zero weights drop their values; for
 *  integer weights this is numpy's result on the repeated values, bit for bit. */
[[nodiscard]] inline double weighted_percentile(const std::vector<double>& v, const SampleWeight& w,
                                                double q) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> cum(v.size());
  std::vector<double> sorted(v.size());
  double sum = 0.0;
  for (std::size_t k = 0; k < v.size(); ++k) {
    sum += w(static_cast<Eigen::Index>(order[k]));
    cum[k] = sum;
    sorted[k] = v[order[k]];
  }
  const auto value_at = [&](double rank) {
    auto it = std::upper_bound(cum.begin(), cum.end(), rank);
    if (it == cum.end()) it = std::lower_bound(cum.begin(), cum.end(), sum);
    return sorted[static_cast<std::size_t>(it - cum.begin())];
  };
  const double pos = detail::rounded_product(q, std::max(sum - 1.0, 0.0));
  const double lo = std::floor(pos);
  const double frac = pos - lo;
  const double a = value_at(lo);
  const double b = value_at(lo + 1.0);
  return a + detail::rounded_product(frac, b - a);  // the same rounding with or without FMA
}

}  // namespace detail
OSPREY_NAMESPACE_END

/** \file
 *  Distribution drift: the population stability index (PSI) of a feature or score between a
 *  reference ("expected") sample and a new ("actual") sample, and the Kullback-Leibler
 *  divergence of two discrete distributions.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN

/** The default floor of an empty bin's proportion in population_stability_index. */
inline constexpr double psi_default_epsilon = 1e-4;

namespace detail {

/** Validates PSI's n_bins (>= 2) and epsilon (in (0, 1)). */
inline void check_psi_params(int n_bins, double epsilon) {
  check_param(n_bins >= 2, "n_bins", n_bins, ">= 2");
  check_param(epsilon > 0.0 && epsilon < 1.0, "epsilon", epsilon, "in (0, 1)");
}

/** The values of a vector expression as doubles, sorted ascending. */
template <class D>
[[nodiscard]] std::vector<double> sorted_as_double(const Eigen::MatrixBase<D>& x) {
  std::vector<double> e(static_cast<std::size_t>(x.size()));
  std::size_t i = 0;
  for (const auto v : x.reshaped()) e[i++] = static_cast<double>(v);
  std::sort(e.begin(), e.end());
  return e;
}

/** The n_bins - 1 interior bin edges of population_stability_index: the quantiles of the sorted
 *  non-empty sample `e` at k / n_bins, computed exactly as numpy's default `np.quantile` (virtual
 *  index n q + (1 - q) - 1, lerp from the nearer end), so they are bit-identical to its. */
[[nodiscard]] inline std::vector<double> psi_edges(const std::vector<double>& e, int n_bins) {
  const auto ne = static_cast<double>(e.size());
  auto quantile = [&](double q) {
    const double pos = ne * q + (1.0 - q) - 1.0;
    const double below = std::floor(pos);
    const auto lo = static_cast<std::size_t>(std::max(below, 0.0));
    const std::size_t hi = std::min(lo + 1, e.size() - 1);
    const double t = pos - below;
    const double diff = e[hi] - e[lo];
    return t >= 0.5 ? e[hi] - diff * (1.0 - t) : e[lo] + diff * t;
  };
  std::vector<double> edges(static_cast<std::size_t>(n_bins - 1));
  for (int k = 1; k < n_bins; ++k) {
    edges[static_cast<std::size_t>(k - 1)] = quantile(static_cast<double>(k) / n_bins);
  }
  return edges;
}

/** The bin of x: the number of edges strictly below it (bins closed on the right). */
[[nodiscard]] inline std::size_t psi_bin_of(const std::vector<double>& edges, double x) {
  return static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), x) - edges.begin());
}

/** PSI of bin counts: `sum_b (a_b - e_b) ln(a_b / e_b)` with the proportions c / n floored at
 *  epsilon, summed in bin order. */
template <class CE, class CA>
[[nodiscard]] double psi_from_counts(const CE& ce, double ne, const CA& ca, double na,
                                     double epsilon) {
  double psi = 0.0;
  for (std::size_t b = 0; b < ce.size(); ++b) {
    const double pe = std::max(static_cast<double>(ce[b]) / ne, epsilon);
    const double pa = std::max(static_cast<double>(ca[b]) / na, epsilon);
    psi += (pa - pe) * std::log(pa / pe);
  }
  return psi;
}

}  // namespace detail

/** Population stability index `PSI = sum_b (a_b - e_b) ln(a_b / e_b)` of `actual` against
 *  `expected`, where e_b and a_b are the proportions of each sample in bin b (Siddiqi 2006,
 *  *Credit Risk Scorecards*; rules of thumb: < 0.1 stable, 0.1-0.25 some shift, > 0.25 shift).
 *
 *  Bins are quantile bins of the expected sample: the interior edges are its quantiles at
 *  k / n_bins, k = 1..n_bins-1, with linear interpolation (numpy's default `np.quantile`); the
 *  outer bins are open, so every actual value lands in a bin. A value x goes to the bin of the
 *  number of edges strictly below it (bins are closed on the right: (e_{k-1}, e_k]). Tied
 *  quantiles make empty bins, which is harmless.
 *
 *  Empty bins: a proportion of 0 would make the log infinite, so every proportion is floored at
 *  `epsilon` (default psi_default_epsilon = 1e-4, i.e. 0.01 %) before the sum; proportions are
 *  not renormalised after flooring. A bin empty in both samples contributes 0.
 *
 *  \param expected the reference sample (any Eigen vector), non-empty and finite.
 *  \param actual the new sample, non-empty and finite.
 *  \param n_bins number of bins, >= 2.
 *  \param epsilon floor of a bin proportion, in (0, 1).
 *  \throws InvalidArgument on empty input, non-finite values, n_bins < 2 or a bad epsilon.
 *  Complexity O(n_e log n_e + n_a log n_bins). Thread safety: pure function. */
template <class DE, class DA>
double population_stability_index(const Eigen::MatrixBase<DE>& expected,
                                  const Eigen::MatrixBase<DA>& actual, int n_bins = 10,
                                  double epsilon = psi_default_epsilon) {
  detail::check_psi_params(n_bins, epsilon);
  if (expected.size() == 0) detail::fail("population_stability_index: expected is empty");
  if (actual.size() == 0) detail::fail("population_stability_index: actual is empty");
  detail::check_finite(expected.reshaped(), "expected");
  detail::check_finite(actual.reshaped(), "actual");
  std::vector<double> e = detail::sorted_as_double(expected);
  const std::vector<double> edges = detail::psi_edges(e, n_bins);
  std::vector<double> ce(static_cast<std::size_t>(n_bins), 0.0);
  std::vector<double> ca(static_cast<std::size_t>(n_bins), 0.0);
  for (const double v : e) ce[detail::psi_bin_of(edges, v)] += 1.0;
  for (const auto v : actual.reshaped())
    ca[detail::psi_bin_of(edges, static_cast<double>(v))] += 1.0;
  return detail::psi_from_counts(ce, static_cast<double>(e.size()), ca,
                                 static_cast<double>(actual.size()), epsilon);
}

/** Kullback-Leibler divergence `KL(p || q) = sum_i p_i ln(p_i / q_i)` in nats, of two discrete
 *  distributions given as non-negative weights; both are normalised to sum to 1 first (as
 *  `scipy.stats.entropy(p, q)`). Terms with p_i = 0 are 0; a q_i = 0 where p_i > 0 gives +inf.
 *  \throws InvalidArgument on a length mismatch, empty input, a negative or non-finite weight,
 *          or weights that sum to 0.
 *  Complexity O(n). Thread safety: pure function. */
template <class DP, class DQ>
double kl_divergence(const Eigen::MatrixBase<DP>& p, const Eigen::MatrixBase<DQ>& q) {
  detail::check_same_length(p.size(), q.size(), "p", "q");
  if (p.size() == 0) detail::fail("kl_divergence: p and q are empty");
  detail::check_finite(p.reshaped(), "p");
  detail::check_finite(q.reshaped(), "q");
  const Eigen::VectorXd pp = p.reshaped().template cast<double>();
  const Eigen::VectorXd qq = q.reshaped().template cast<double>();
  for (Eigen::Index i = 0; i < pp.size(); ++i) {
    if (pp(i) < 0.0)
      detail::fail("kl_divergence: p has a negative weight (", pp(i), ") at index ", i);
    if (qq(i) < 0.0)
      detail::fail("kl_divergence: q has a negative weight (", qq(i), ") at index ", i);
  }
  double sp = 0.0, sq = 0.0;  // plain loops: GCC 12 warns falsely in Eigen's AVX-512 sums
  for (Eigen::Index i = 0; i < pp.size(); ++i) {
    sp += pp(i);
    sq += qq(i);
  }
  if (!(sp > 0.0)) detail::fail("kl_divergence: the weights of p sum to 0");
  if (!(sq > 0.0)) detail::fail("kl_divergence: the weights of q sum to 0");
  double kl = 0.0;
  for (Eigen::Index i = 0; i < pp.size(); ++i) {
    const double a = pp(i) / sp;
    if (a == 0.0) continue;
    const double b = qq(i) / sq;
    if (b == 0.0) return std::numeric_limits<double>::infinity();
    kl += a * std::log(a / b);
  }
  return kl;
}

OSPREY_NAMESPACE_END

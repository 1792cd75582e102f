/** \file
 *  dist::IsolationForest on every rank count: the forest is bit-identical to single-node (the
 *  osprey::save bytes), and so are the scores and the offset, with and without contamination,
 *  with bootstrap, with max_features < d, with n < max_samples and with n < p (empty ranks);
 *  and dist::quantile equals numpy's linear percentile on one machine.
 */
#pragma once

#include <osprey/core/random.hpp>
#include <osprey/dist/isolation_forest.hpp>
#include <osprey/dist/quantile.hpp>
#include <osprey/io/serialize.hpp>

#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace osprey_dist_test {

/** n rows of d features: a Gaussian blob, a few far outliers, and duplicated rows. */
inline Eigen::MatrixXd forest_data(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
  osprey::Rng rng(seed);
  Eigen::MatrixXd X(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) X(i, j) = rng.normal() * (i % 17 == 0 ? 6.0 : 1.0);
  }
  for (Eigen::Index i = 3; i < n; i += 11) X.row(i) = X.row(i - 3);
  return X;
}

template <class S>
std::string saved_bytes(const osprey::IsolationForest<S>& f) {
  std::ostringstream out;
  osprey::save(f, out);
  return out.str();
}

template <class V>
bool same_bits(const V& a, const V& b) {
  if (a.size() != b.size()) return false;
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    if (a(i) != b(i) &&
        !(std::isnan(static_cast<double>(a(i))) && std::isnan(static_cast<double>(b(i)))))
      return false;
  }
  return true;
}

template <class S, class C>
void forest_compare(C& comm, const Eigen::MatrixXd& X, const osprey::IsolationForestParams& params,
                    const char* label) {
  osprey::IsolationForest<S> single(params);
  single.fit(X);
  const auto [r0, r1] = uneven_slice(X.rows(), comm.rank(), comm.size());
  const Eigen::MatrixXd mine = X.middleRows(r0, r1 - r0);
  osprey::dist::IsolationForest<S> forest(params);
  forest.fit(comm, mine);
  OSPREY_DIST_CHECK(saved_bytes(forest.forest()) == saved_bytes(single), label, ": forest bytes");
  OSPREY_DIST_CHECK(std::bit_cast<std::uint64_t>(forest.offset()) ==
                        std::bit_cast<std::uint64_t>(single.offset()),
                    label, ": offset ", forest.offset(), " vs ", single.offset());
  if (mine.rows() > 0) {
    OSPREY_DIST_CHECK(same_bits(forest.score_samples(mine), single.score_samples(mine)), label);
    OSPREY_DIST_CHECK(forest.predict(mine) == single.predict(mine), label);
  }
}

template <class C>
void case_isolation_forest(C& comm) {
  const Eigen::MatrixXd X = forest_data(301, 5, 41);
  using P = osprey::IsolationForestParams;
  forest_compare<double>(comm, X, P{.n_estimators = 23, .max_samples = 64, .random_state = 7},
                         "default");
  forest_compare<double>(
      comm, X, P{.n_estimators = 17, .max_samples = 100, .contamination = 0.1, .random_state = 8},
      "contamination");
  forest_compare<double>(comm, X,
                         P{.n_estimators = 19,
                           .max_samples = 80,
                           .contamination = 0.05,
                           .bootstrap = true,
                           .random_state = 9},
                         "bootstrap");
  forest_compare<double>(
      comm, X, P{.n_estimators = 13, .max_samples = 50, .max_features = 0.5, .random_state = 10},
      "max_features 0.5");
  forest_compare<double>(comm, X,
                         P{.n_estimators = 11,
                           .contamination = 0.2,
                           .max_features = 2,
                           .bootstrap = true,
                           .random_state = 11},
                         "max_features 2, n < max_samples");
  forest_compare<float>(
      comm, X, P{.n_estimators = 9, .max_samples = 40, .contamination = 0.3, .random_state = 12},
      "float");
  // n < p: some ranks hold no rows; fewer trees than ranks too
  forest_compare<double>(comm, X.topRows(3),
                         P{.n_estimators = 3, .contamination = 0.5, .random_state = 13}, "n = 3");
  forest_compare<double>(comm, X.topRows(1), P{.n_estimators = 2, .random_state = 14}, "n = 1");
}

template <class C>
void case_quantile(C& comm) {
  // ties, negatives, +-0 never mixed with equal neighbours, wide exponents
  osprey::Rng rng(5);
  std::vector<double> all(157);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const double u = rng.uniform();
    all[i] =
        i % 5 == 0 ? std::floor(u * 4.0) - 2.0 : (u - 0.4) * std::exp2(rng.uniform() * 80 - 40);
  }
  const auto [r0, r1] =
      uneven_slice(static_cast<std::int64_t>(all.size()), comm.rank(), comm.size());
  const std::span<const double> mine(all.data() + r0, static_cast<std::size_t>(r1 - r0));
  std::vector<double> sorted = all;
  std::sort(sorted.begin(), sorted.end());
  for (const double q : {0.0, 0.013, 0.1, 0.25, 0.5, 0.77, 0.999, 1.0}) {
    const double pos = q * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    const double want = sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
    const double got = osprey::dist::quantile(comm, mine, q);
    OSPREY_DIST_CHECK(std::bit_cast<std::uint64_t>(got) == std::bit_cast<std::uint64_t>(want),
                      "q = ", q, ": ", got, " vs ", want);
  }
  const std::uint64_t every[3] = {0, 77, 156};
  const auto picked = osprey::dist::select_ranks(comm, mine, std::span<const std::uint64_t>(every));
  OSPREY_DIST_CHECK(picked[0] == sorted[0] && picked[1] == sorted[77] && picked[2] == sorted[156]);
}

}  // namespace osprey_dist_test

// Translation invariance, the conformance check of every neighbour-based estimator: a result
// must depend on the geometry of the data, not on where the data sit. The rows are seeded
// Gaussian noise on a grid fine enough to be noise and coarse enough that x + offset is exact in
// the scalar type, so fitting on X + c must give bit-identical neighbours, distances,
// predictions and resamples (minus c) as fitting on X. The offsets are those of raw features: an
// amount in cents, a Unix timestamp.
//
//   osprey::testing::check_translation_invariance<S>("name", apply);
//
// where `apply(X, Q, offset)` fits on X (rows are samples) and returns the output on Q as a
// double matrix, with `offset` subtracted from anything that is a row of data.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <type_traits>
#include <vector>

#include <osprey/core/types.hpp>
#include "prelude.hpp"

namespace osprey::testing {

/** The offsets a Scalar must be invariant to: float 1e2, 1e3, 1e4; double 1e6, 1e9. */
template <class S>
std::vector<double> translation_offsets() {
  if constexpr (std::is_same_v<S, float>) {
    return {1e2, 1e3, 1e4};
  } else {
    return {1e6, 1e9};
  }
}

/** n x d rows of N(0, 1) noise clamped to [-8, 8] and rounded to multiples of 2^-p, with p the
 *  largest for which x + offset is exact in S for every x. */
template <class S>
Matrix<S> grid_rows(Eigen::Index n, Eigen::Index d, double offset, std::uint64_t seed) {
  const int digits = std::numeric_limits<S>::digits;
  const int p = digits - static_cast<int>(std::ceil(std::log2(offset + 8.0))) - 1;
  const double step = std::ldexp(1.0, -p);
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Matrix<S> X(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) {
      const double v = std::clamp(normal(gen), -8.0, 8.0);
      X(i, j) = static_cast<S>(std::round(v / step) * step);
    }
  }
  return X;
}

/** X + offset, required to be exact (so the shifted problem has the same geometry). */
template <class S>
Matrix<S> shifted(const Matrix<S>& X, double offset) {
  const Matrix<S> Xs = (X.array() + static_cast<S>(offset)).matrix();
  REQUIRE(((Xs.array() - static_cast<S>(offset)) == X.array()).all());
  return Xs;
}

/** For every dimension 4, 16, 64 and every offset of S: `apply` on the shifted rows equals
 *  `apply` on the rows themselves, bit for bit. */
template <class S, class Apply>
void check_translation_invariance(const char* name, Apply&& apply, Eigen::Index n = 1200,
                                  Eigen::Index m = 300) {
  INFO("translation invariance of " << name << " in " << (sizeof(S) == 4 ? "float" : "double"));
  for (const Eigen::Index d : {Eigen::Index{4}, Eigen::Index{16}, Eigen::Index{64}}) {
    for (const double offset : translation_offsets<S>()) {
      INFO("d = " << d << ", offset = " << offset);
      const auto seed = static_cast<std::uint64_t>(d) * 1000 + 17;
      const Matrix<S> X = grid_rows<S>(n, d, offset, seed);
      const Matrix<S> Q = grid_rows<S>(m, d, offset, seed + 1);
      const Matrix<double> at_origin = apply(X, Q, 0.0);
      const Matrix<double> moved = apply(shifted(X, offset), shifted(Q, offset), offset);
      REQUIRE(moved.rows() == at_origin.rows());
      REQUIRE(moved.cols() == at_origin.cols());
      const Eigen::Index differ = (moved.array() != at_origin.array()).count();
      INFO(differ << " of " << moved.size() << " outputs differ");
      CHECK(differ == 0);
    }
  }
}

}  // namespace osprey::testing

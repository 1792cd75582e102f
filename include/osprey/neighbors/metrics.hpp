/** \file
 *  Distance metrics as policy types: `Euclidean`, `SquaredEuclidean`, `Manhattan`, `Chebyshev`
 *  and `Minkowski<P>`, the `DistanceMetric` concept a user metric satisfies, and the internal
 *  `detail::uses_norm_expansion` trait; `Cosine` (1 - cos) for embeddings.
 *
 *  A metric is a small default-constructible type checked by the `DistanceMetric` concept. It
 *  defines a cheap *reduced* distance that orders points exactly as the true distance does
 *  (squared L2 for Euclidean, the sum of |d|^P for Minkowski<P>), built coordinate by coordinate
 *  with `accumulate`, and `from_reduced` / `to_reduced` to move between the two forms:
 *
 *  | metric            | accumulate(a, d)   | from_reduced(r) | norm expansion (GEMM) |
 *  | ----------------- | ------------------ | --------------- | --------------------- |
 *  | Euclidean         | a + d^2            | sqrt(r)         | yes                   |
 *  | SquaredEuclidean  | a + d^2            | r               | yes                   |
 *  | Manhattan         | a + abs(d)         | r               | no                    |
 *  | Chebyshev         | max(a, abs(d))     | r               | no                    |
 *  | Minkowski<P>      | a + abs(d)^P       | r^(1/P)         | no (P = 2 still exact) |
 *  | Cosine            | a + d^2 (unit rows) | r / 2          | yes (on unit rows)    |
 *
 *  The blocked kernels that evaluate them over many rows are in kernels/distance.hpp.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <concepts>
#include <limits>

#include "../config.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../kernels/simd.hpp"

OSPREY_NAMESPACE_BEGIN

namespace detail {

/** The vector distance of a built-in metric `M` (CRTP), from its reduced form:
 *  `distance(a, b) = M::from_reduced(M::reduced(a, b))`. */
template <class M>
struct MetricDistance {
  /** True distance between two vectors (any Eigen expressions of equal length). */
  template <class A, class B>
  static typename A::Scalar distance(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return M::from_reduced(M::reduced(a, b));
  }
};

/** MetricDistance for a metric whose reduced form is the distance itself (SquaredEuclidean,
 *  Manhattan, Chebyshev): `from_reduced` and `to_reduced` are the identity. */
template <class M>
struct IdentityReduced : MetricDistance<M> {
  /** Identity: the reduced form is the distance. */
  template <class S>
  static S from_reduced(S r) noexcept {
    return r;
  }
  /** Identity. */
  template <class S>
  static S to_reduced(S d) noexcept {
    return d;
  }
};

}  // namespace detail

/** Straight-line (L2) distance. Reduced form: the squared distance. Brute-force search uses the
 *  norm expansion with a matrix product, then recomputes the selected distances exactly. */
struct Euclidean : detail::MetricDistance<Euclidean> {
  static constexpr const char* name = "euclidean";  ///< scikit-learn's metric name
  /** One coordinate's contribution added to the running reduced distance. */
  template <class S>
  static S accumulate(S acc, S diff) noexcept {
    return acc + diff * diff;
  }
  /** True distance from the reduced one. */
  template <class S>
  static S from_reduced(S r) noexcept {
    return std::sqrt(r);
  }
  /** Reduced distance from the true one (for search radii and bounds). */
  template <class S>
  static S to_reduced(S d) noexcept {
    return d * d;
  }
  /** Reduced distance between two vectors (any Eigen expressions of equal length). */
  template <class A, class B>
  static typename A::Scalar reduced(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return (a.derived() - b.derived()).squaredNorm();
  }
};

/** Squared L2 distance (not a metric, but orders points as Euclidean does). */
struct SquaredEuclidean : detail::IdentityReduced<SquaredEuclidean> {
  static constexpr const char* name = "sqeuclidean";  ///< scikit-learn's metric name
  /** One coordinate's contribution. */
  template <class S>
  static S accumulate(S acc, S diff) noexcept {
    return acc + diff * diff;
  }
  /** Squared distance between two vectors. */
  template <class A, class B>
  static typename A::Scalar reduced(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return (a.derived() - b.derived()).squaredNorm();
  }
};

/** City-block (L1) distance: the sum of absolute coordinate differences. */
struct Manhattan : detail::IdentityReduced<Manhattan> {
  static constexpr const char* name = "manhattan";  ///< scikit-learn's metric name
  /** One coordinate's contribution. */
  template <class S>
  static S accumulate(S acc, S diff) noexcept {
    return acc + kernels::abs_value(diff);
  }
  /** L1 distance between two vectors. */
  template <class A, class B>
  static typename A::Scalar reduced(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return (a.derived() - b.derived()).cwiseAbs().sum();
  }
};

/** Chebyshev (L-infinity) distance: the largest absolute coordinate difference. */
struct Chebyshev : detail::IdentityReduced<Chebyshev> {
  static constexpr const char* name = "chebyshev";  ///< scikit-learn's metric name
  /** One coordinate's contribution (a running maximum). `S` may be a SIMD vector type. */
  template <class S>
  static S accumulate(S acc, S diff) noexcept {
    return kernels::max_value(kernels::abs_value(diff), acc);
  }
  /** L-infinity distance between two vectors. */
  template <class A, class B>
  static typename A::Scalar reduced(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return (a.derived() - b.derived()).cwiseAbs().maxCoeff();
  }
};

/** Minkowski distance of integer order P >= 1: (sum |d|^P)^(1/P). Reduced form: sum |d|^P.
 *  Minkowski<1> orders as Manhattan and Minkowski<2> as Euclidean (through the tiled kernel, not
 *  the norm expansion). */
template <int P>
struct Minkowski : detail::MetricDistance<Minkowski<P>> {
  static_assert(P >= 1, "Minkowski<P> needs an integer order P >= 1");
  static constexpr const char* name = "minkowski";  ///< scikit-learn's metric name (with p = P)
  static constexpr int p = P;                       ///< the order
  /** |d|^P by repeated multiplication (P is a compile-time constant). */
  template <class S>
  static S power(S a) noexcept {
    S r = a;
    for (int i = 1; i < P; ++i) r *= a;
    return r;
  }
  /** One coordinate's contribution. */
  template <class S>
  static S accumulate(S acc, S diff) noexcept {
    return acc + power(kernels::abs_value(diff));
  }
  /** (r)^(1/P). */
  template <class S>
  static S from_reduced(S r) noexcept {
    if constexpr (P == 1) {
      return r;
    } else if constexpr (P == 2) {
      return std::sqrt(r);
    } else {
      return std::pow(r, S(1) / S(P));
    }
  }
  /** d^P. */
  template <class S>
  static S to_reduced(S d) noexcept {
    return power(d);
  }
  /** Sum of |d|^P between two vectors. */
  template <class A, class B>
  static typename A::Scalar reduced(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    using S = typename A::Scalar;
    S acc(0);
    for (Eigen::Index j = 0; j < a.size(); ++j) acc = accumulate<S>(acc, S(a(j) - b(j)));
    return acc;
  }
};

namespace detail {

/** The L2 norm of `v`: sqrt of the plain sum of squares when that neither overflows nor
 *  underflows, else Eigen's (slower, scaled) stableNorm. */
template <class Derived>
[[nodiscard]] typename Derived::Scalar robust_norm(const Eigen::MatrixBase<Derived>& v) {
  using S = typename Derived::Scalar;
  const S sq = v.squaredNorm();
  if (sq >= std::numeric_limits<S>::min() && sq <= std::numeric_limits<S>::max()) {
    return std::sqrt(sq);
  }
  return v.stableNorm();
}

}  // namespace detail

/** Cosine distance, 1 - cos(a, b) = 1 - a.b / (|a| |b|), in [0, 2], for embeddings (scikit-learn's
 *  `metric="cosine"`). The searches normalise every row to unit length once - training rows at
 *  fit or add, each query as it arrives - after which 1 - cos = |a - b|^2 / 2: the reduced form is
 *  the squared L2 distance between unit rows, so brute force runs on the matrix-product path and
 *  the k-d tree's box bounds hold. A zero row has no direction: the searches reject it
 *  (InvalidArgument naming the row); `distance` of a zero vector is 1, as in scikit-learn. */
struct Cosine {
  static constexpr const char* name = "cosine";  ///< scikit-learn's metric name
  /** One coordinate's contribution between unit rows. */
  template <class S>
  static S accumulate(S acc, S diff) noexcept {
    return acc + diff * diff;
  }
  /** 1 - cos from the squared distance between the unit rows. */
  template <class S>
  static S from_reduced(S r) noexcept {
    return r * S(0.5);
  }
  /** Squared distance between unit rows from 1 - cos. */
  template <class S>
  static S to_reduced(S d) noexcept {
    return d + d;
  }
  /** |a/|a| - b/|b||^2 between two vectors (any Eigen expressions of equal length); 2 (a
   *  distance of 1) when either is zero. */
  template <class A, class B>
  static typename A::Scalar reduced(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    using S = typename A::Scalar;
    const S na = detail::robust_norm(a);
    const S nb = static_cast<S>(detail::robust_norm(b));
    if (!(na > S(0)) || !(nb > S(0))) return S(2);
    S acc(0);
    for (Eigen::Index j = 0; j < a.size(); ++j) {
      const S diff = a.coeff(j) / na - static_cast<S>(b.coeff(j)) / nb;
      acc += diff * diff;
    }
    return acc;
  }
  /** 1 - cos(a, b). */
  template <class A, class B>
  static typename A::Scalar distance(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return from_reduced(reduced(a, b));
  }
};

/** A distance policy usable by the searches: default constructible, with a coordinate-wise
 *  `accumulate`, the monotone maps `from_reduced`/`to_reduced`, vector forms `reduced` and
 *  `distance` and a `name`. Whether brute-force search may use the norm expansion
 *  (|q|^2 + |x|^2 - 2 q.x through a matrix product) is osprey's own decision
 *  (detail::uses_norm_expansion), never a member a user metric could set. */
template <class M>
concept DistanceMetric = std::default_initializable<M> && requires(float f, double d) {
  { M::name } -> std::convertible_to<const char*>;
  { M::template accumulate<float>(f, f) } -> std::same_as<float>;
  { M::template accumulate<double>(d, d) } -> std::same_as<double>;
  { M::template from_reduced<float>(f) } -> std::same_as<float>;
  { M::template from_reduced<double>(d) } -> std::same_as<double>;
  { M::template to_reduced<double>(d) } -> std::same_as<double>;
  { M::reduced(Eigen::VectorXd::Zero(2), Eigen::VectorXd::Zero(2)) } -> std::convertible_to<double>;
  { M::distance(Eigen::VectorXf::Zero(2), Eigen::VectorXf::Zero(2)) } -> std::convertible_to<float>;
};

static_assert(DistanceMetric<Euclidean>);
static_assert(DistanceMetric<SquaredEuclidean>);
static_assert(DistanceMetric<Manhattan>);
static_assert(DistanceMetric<Chebyshev>);
static_assert(DistanceMetric<Minkowski<3>>);
static_assert(DistanceMetric<Cosine>);

namespace detail {

/** True for the metrics whose brute-force search may use the norm expansion
 *  |q|^2 + |x|^2 - 2 q.x with a matrix product (then recompute the selected distances exactly):
 *  osprey's Euclidean and SquaredEuclidean only. Internal: a user metric cannot opt in (a member
 *  named `norm_expansion` on it is ignored), since the expansion computes the L2 distance, not
 *  the user's. */
template <class M>
inline constexpr bool uses_norm_expansion = false;
template <>
inline constexpr bool uses_norm_expansion<Euclidean> = true;
template <>
inline constexpr bool uses_norm_expansion<SquaredEuclidean> = true;
template <>
inline constexpr bool uses_norm_expansion<Cosine> = true;

/** True for the metrics whose searches run on rows normalised to unit length (Cosine): fit and
 *  every query pass their rows through normalize_rows first. */
template <class M>
inline constexpr bool normalizes_rows = false;
template <>
inline constexpr bool normalizes_rows<Cosine> = true;

/** Divides every row of `X` by its L2 norm (robust_norm, so neither huge nor tiny coordinates
 *  overflow or underflow). \throws InvalidArgument, naming `who`, `what` and the
 *  row, for a zero row (it has no direction, so no cosine). */
template <class S>
void normalize_rows(RowMatrix<S>& X, const char* who, const char* what) {
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const S norm = robust_norm(X.row(i));
    if (!(norm > S(0))) {
      fail(who, ": ", what, " row ", i, " is zero; the cosine metric needs a direction");
    }
    X.row(i) /= norm;
  }
}

/** A copy of the queries `Q` with their rows normalised (normalize_rows; `who` names the caller
 *  in the error for a zero row). */
template <class S>
[[nodiscard]] RowMatrix<S> unit_rows(const RowMatrix<S>& Q, const char* who) {
  RowMatrix<S> unit = Q;
  normalize_rows(unit, who, "X");
  return unit;
}

}  // namespace detail

namespace detail {

/** How fast a metric's arithmetic grows with the coordinates: its intermediate sums reach
 *  about d (2M)^g for coordinates of magnitude up to M. Euclidean (through the norm expansion),
 *  SquaredEuclidean and any metric osprey does not know: 2; Manhattan and Chebyshev: 1;
 *  Minkowski<P>: P. */
template <class Metric>
inline constexpr int distance_growth_v = 2;
/// \cond OSPREY_INTERNAL
template <>
inline constexpr int distance_growth_v<Manhattan> = 1;
template <>
inline constexpr int distance_growth_v<Chebyshev> = 1;
template <int P>
inline constexpr int distance_growth_v<Minkowski<P>> = P;
/// \endcond

/** The largest coordinate magnitude M for which every distance of Metric between two vectors of
 *  `d` coordinates, both within [-M, M], is finite in Scalar, with a margin of 4:
 *  d (2M)^g <= max / 4 (g = distance_growth_v). */
template <class Metric, class Scalar>
[[nodiscard]] double max_safe_coordinate(Eigen::Index d) {
  const double limit = static_cast<double>(std::numeric_limits<Scalar>::max()) /
                       (4.0 * static_cast<double>(std::max<Eigen::Index>(d, 1)));
  return 0.5 * std::pow(limit, 1.0 / static_cast<double>(distance_growth_v<Metric>));
}

/** Throws InvalidArgument, naming `who`, the row and the column, if a coordinate of X is too
 *  large for Metric's distances to stay finite in Scalar (max_safe_coordinate): an infinite
 *  distance cannot be ranked, so the search would have no answer. */
template <class Metric, class Scalar, class Derived>
void check_distance_range(const Eigen::MatrixBase<Derived>& X, Eigen::Index d, const char* who,
                          const char* what) {
  if constexpr (normalizes_rows<Metric>) {
    return;  // unit rows: every distance is within [0, 4] whatever the coordinates
  }
  const double bound = max_safe_coordinate<Metric, Scalar>(d);
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      const double v = static_cast<double>(X.coeff(i, j));
      if (!(std::abs(v) <= bound)) {
        fail(who, ": ", what, " holds ", v, " at row ", i, ", column ", j, "; with the ",
             Metric::name, " metric on ", d, " features, distances in ", scalar_name<Scalar>(),
             " overflow for coordinates beyond +-", bound, " (rescale the data or use double)");
      }
    }
  }
}

}  // namespace detail

OSPREY_NAMESPACE_END

/** \file
 *  Distance metrics as policy types, and the blocked many-to-many kernels the searches use.
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
 *
 *  Kernels (in `osprey::kernels`):
 *  - `pack_panels`: training rows packed in panels of `NR` rows stored feature-major, so a
 *    micro-kernel reads `NR` consecutive values per feature;
 *  - `panel_kernel`: `MR` queries against one panel, `MR x NR` accumulators kept in registers;
 *    the inner loop over the panel's `NR` lanes is what the compiler vectorises (checked with
 *    `-fopt-info-vec` for float and double, see docs/benchmarks/neighbors.md);
 *  - `squared_norms`: the |x|^2 of the norm expansion |q|^2 + |x|^2 - 2 q.x used by the
 *    Euclidean metrics, whose q.x part is one Eigen matrix product per tile (GEMM).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <vector>

#include "../config.hpp"
#include "simd.hpp"

OSPREY_NAMESPACE_BEGIN

/** Straight-line (L2) distance. Reduced form: the squared distance. Brute-force search uses the
 *  norm expansion with a matrix product, then recomputes the selected distances exactly. */
struct Euclidean {
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
  /** True distance between two vectors. */
  template <class A, class B>
  static typename A::Scalar distance(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return from_reduced(reduced(a, b));
  }
};

/** Squared L2 distance (not a metric, but orders points as Euclidean does). */
struct SquaredEuclidean {
  static constexpr const char* name = "sqeuclidean";  ///< scikit-learn's metric name
  /** One coordinate's contribution. */
  template <class S>
  static S accumulate(S acc, S diff) noexcept {
    return acc + diff * diff;
  }
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
  /** Squared distance between two vectors. */
  template <class A, class B>
  static typename A::Scalar reduced(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return (a.derived() - b.derived()).squaredNorm();
  }
  /** Squared distance between two vectors. */
  template <class A, class B>
  static typename A::Scalar distance(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return reduced(a, b);
  }
};

/** City-block (L1) distance: the sum of absolute coordinate differences. */
struct Manhattan {
  static constexpr const char* name = "manhattan";  ///< scikit-learn's metric name
  /** One coordinate's contribution. */
  template <class S>
  static S accumulate(S acc, S diff) noexcept {
    return acc + kernels::abs_value(diff);
  }
  /** Identity. */
  template <class S>
  static S from_reduced(S r) noexcept {
    return r;
  }
  /** Identity. */
  template <class S>
  static S to_reduced(S d) noexcept {
    return d;
  }
  /** L1 distance between two vectors. */
  template <class A, class B>
  static typename A::Scalar reduced(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return (a.derived() - b.derived()).cwiseAbs().sum();
  }
  /** L1 distance between two vectors. */
  template <class A, class B>
  static typename A::Scalar distance(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return reduced(a, b);
  }
};

/** Chebyshev (L-infinity) distance: the largest absolute coordinate difference. */
struct Chebyshev {
  static constexpr const char* name = "chebyshev";  ///< scikit-learn's metric name
  /** One coordinate's contribution (a running maximum). `S` may be a SIMD vector type. */
  template <class S>
  static S accumulate(S acc, S diff) noexcept {
    return kernels::max_value(kernels::abs_value(diff), acc);
  }
  /** Identity. */
  template <class S>
  static S from_reduced(S r) noexcept {
    return r;
  }
  /** Identity. */
  template <class S>
  static S to_reduced(S d) noexcept {
    return d;
  }
  /** L-infinity distance between two vectors. */
  template <class A, class B>
  static typename A::Scalar reduced(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return (a.derived() - b.derived()).cwiseAbs().maxCoeff();
  }
  /** L-infinity distance between two vectors. */
  template <class A, class B>
  static typename A::Scalar distance(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return reduced(a, b);
  }
};

/** Minkowski distance of integer order P >= 1: (sum |d|^P)^(1/P). Reduced form: sum |d|^P.
 *  Minkowski<1> orders as Manhattan and Minkowski<2> as Euclidean (through the tiled kernel, not
 *  the norm expansion). */
template <int P>
struct Minkowski {
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
  /** Minkowski distance between two vectors. */
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

}  // namespace detail

namespace kernels {

/** Panel width of the tiled kernel: 64 bytes of training values per feature (16 floats or 8
 *  doubles), two AVX2 vectors or one AVX-512 vector. */
template <class S>
inline constexpr int panel_rows = static_cast<int>(64 / sizeof(S));

/** Queries per micro-kernel call: MR x NR accumulators stay in registers. */
inline constexpr int micro_queries = 8;

/** Packs rows [0, n) of the row-major `X` (n x d, leading dimension `ld`) into panels of `NR`
 *  rows, each stored feature-major: value (row p*NR + r, feature j) at `(p*d + j)*NR + r`. The
 *  last panel is padded with copies of its last row, so padded lanes hold finite values. */
template <class S, int NR = panel_rows<S>>
std::vector<S> pack_panels(const S* X, Eigen::Index n, Eigen::Index d, Eigen::Index ld) {
  const Eigen::Index panels = (n + NR - 1) / NR;
  std::vector<S> packed(static_cast<std::size_t>(panels * d * NR));
  for (Eigen::Index p = 0; p < panels; ++p) {
    S* dst = packed.data() + p * d * NR;
    for (Eigen::Index r = 0; r < NR; ++r) {
      const Eigen::Index row = std::min<Eigen::Index>(p * NR + r, n - 1);
      const S* src = X + row * ld;
      for (Eigen::Index j = 0; j < d; ++j) dst[j * NR + r] = src[j];
    }
  }
  return packed;
}

/** `MR` queries (rows of a row-major block, leading dimension `ldq`) against one packed panel of
 *  `NR` training rows over `d` features. Writes the reduced distances to `out[r * ldo + c]`.
 *  The `MR x NR` accumulators are SIMD vectors kept in registers; per feature the kernel loads
 *  the panel's NR values once and broadcasts each query's value. */
template <class Metric, class S, int MR, int NR = panel_rows<S>>
OSPREY_ALWAYS_INLINE void panel_kernel(const S* OSPREY_RESTRICT q, Eigen::Index ldq,
                                       const S* OSPREY_RESTRICT panel, Eigen::Index d,
                                       S* OSPREY_RESTRICT out, Eigen::Index ldo) noexcept {
  using V = simd_t<S>;
  constexpr int L = static_cast<int>(sizeof(V) / sizeof(S));
  static_assert(NR % L == 0, "panel width must be a multiple of the SIMD width");
  constexpr int W = NR / L;
  constexpr auto mr = static_cast<std::size_t>(MR);
  constexpr auto w_count = static_cast<std::size_t>(W);
  V acc[mr][w_count];
  for (std::size_t r = 0; r < mr; ++r) {
    for (std::size_t w = 0; w < w_count; ++w) acc[r][w] = V{};
  }
  for (Eigen::Index j = 0; j < d; ++j) {
    V x[w_count];
    for (std::size_t w = 0; w < w_count; ++w) {
      std::memcpy(&x[w], panel + j * NR + static_cast<Eigen::Index>(w) * L, sizeof(V));
    }
    for (std::size_t r = 0; r < mr; ++r) {
      const S qv = q[static_cast<Eigen::Index>(r) * ldq + j];
      for (std::size_t w = 0; w < w_count; ++w) {
        acc[r][w] = Metric::template accumulate<V>(acc[r][w], qv - x[w]);
      }
    }
  }
  for (std::size_t r = 0; r < mr; ++r) {
    for (std::size_t w = 0; w < w_count; ++w) {
      std::memcpy(out + static_cast<Eigen::Index>(r) * ldo + static_cast<Eigen::Index>(w) * L,
                  &acc[r][w], sizeof(V));
    }
  }
}

/** Reduced distances of `m` queries (m <= micro_queries) against panels [p0, p1) of a packed
 *  training set, written row by row into `out` (leading dimension `ldo`, column 0 = panel p0's
 *  first row). Dispatches to the full-width micro-kernel or a narrower one for the tail. */
template <class Metric, class S>
void panels_block(const S* q, Eigen::Index ldq, Eigen::Index m, const S* packed, Eigen::Index d,
                  Eigen::Index p0, Eigen::Index p1, S* out, Eigen::Index ldo) noexcept {
  constexpr int NR = panel_rows<S>;
  for (Eigen::Index p = p0; p < p1; ++p) {
    const S* panel = packed + p * d * NR;
    S* o = out + (p - p0) * NR;
    switch (m) {
      case 8:
        panel_kernel<Metric, S, 8>(q, ldq, panel, d, o, ldo);
        break;
      case 7:
        panel_kernel<Metric, S, 7>(q, ldq, panel, d, o, ldo);
        break;
      case 6:
        panel_kernel<Metric, S, 6>(q, ldq, panel, d, o, ldo);
        break;
      case 5:
        panel_kernel<Metric, S, 5>(q, ldq, panel, d, o, ldo);
        break;
      case 4:
        panel_kernel<Metric, S, 4>(q, ldq, panel, d, o, ldo);
        break;
      case 3:
        panel_kernel<Metric, S, 3>(q, ldq, panel, d, o, ldo);
        break;
      case 2:
        panel_kernel<Metric, S, 2>(q, ldq, panel, d, o, ldo);
        break;
      default:
        panel_kernel<Metric, S, 1>(q, ldq, panel, d, o, ldo);
        break;
    }
  }
}

/** Squared L2 norm of every row of a row-major matrix. */
template <class S>
Eigen::Matrix<S, Eigen::Dynamic, 1> squared_norms(
    const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>& X) {
  return X.rowwise().squaredNorm();
}

}  // namespace kernels
OSPREY_NAMESPACE_END

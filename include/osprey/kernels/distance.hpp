/** \file
 *  The blocked many-to-many distance kernels of the neighbour searches, and the exact
 *  arithmetic behind the Euclidean norm expansion's rechecks. Every kernel is a template over a
 *  metric policy (osprey::Euclidean and the others, neighbors/metrics.hpp), which supplies the
 *  coordinate-wise `accumulate` of its reduced distance.
 *
 *  - `pack_panels`: training rows packed in panels of `NR` rows stored feature-major, so a
 *    micro-kernel reads `NR` consecutive values per feature; O(n d), one copy of the rows;
 *  - `panel_kernel`: `MR` queries against one panel, `MR x NR` accumulators kept in registers;
 *    the inner loop over the panel's `NR` lanes is what the compiler vectorises (checked with
 *    `-fopt-info-vec` for float and double, see docs/benchmarks/neighbors.md); O(MR NR d) per
 *    call, reading the panel once;
 *  - `squared_norms`: the |x|^2 of the norm expansion |q|^2 + |x|^2 - 2 q.x used by the
 *    Euclidean metrics, whose q.x part is one matrix product per tile (kernels/gemm.hpp);
 *  - `expansion_margin`, `fixed_order_sq_dist`, `exact_center`, `shifts_exactly`: the bound on
 *    the expansion's error, the direct squared distance summed in a fixed order (O(d)), and the
 *    exact centring of the rows (O(n d)), which make the Euclidean selection exact on raw data.
 *
 *  Thread-safety: pure functions of their arguments (outputs are caller buffers or returned
 *  values), safe from any thread.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "../core/types.hpp"
#include "simd.hpp"

OSPREY_NAMESPACE_BEGIN
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
template <class S, class Metric, int MR, int NR = panel_rows<S>>
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

/** panel_kernel with MR = m for m in [2, micro_queries] (one of the widths `MR... + 2`), else
 *  with MR = 1: a runtime query count turned into the compile-time one. */
template <class S, class Metric, int... MR>
OSPREY_ALWAYS_INLINE void panel_kernel_for(std::integer_sequence<int, MR...>, Eigen::Index m,
                                           const S* q, Eigen::Index ldq, const S* panel,
                                           Eigen::Index d, S* o, Eigen::Index ldo) noexcept {
  const bool wide =
      ((m == MR + 2 && (panel_kernel<S, Metric, MR + 2>(q, ldq, panel, d, o, ldo), true)) || ...);
  if (!wide) panel_kernel<S, Metric, 1>(q, ldq, panel, d, o, ldo);
}

/** Reduced distances of `m` queries (m <= micro_queries) against panels [p0, p1) of a packed
 *  training set, written row by row into `out` (leading dimension `ldo`, column 0 = panel p0's
 *  first row). Dispatches to the full-width micro-kernel or a narrower one for the tail. */
template <class S, class Metric>
void panels_block(const S* q, Eigen::Index ldq, Eigen::Index m, const S* packed, Eigen::Index d,
                  Eigen::Index p0, Eigen::Index p1, S* out, Eigen::Index ldo) noexcept {
  constexpr int NR = panel_rows<S>;
  for (Eigen::Index p = p0; p < p1; ++p) {
    panel_kernel_for<S, Metric>(std::make_integer_sequence<int, micro_queries - 1>{}, m, q, ldq,
                                packed + p * d * NR, d, out + (p - p0) * NR, ldo);
  }
}

/** Squared L2 norm of every row of a row-major matrix. */
template <class S>
Vector<S> squared_norms(const RowMatrix<S>& X) {
  return X.rowwise().squaredNorm();
}

/** A bound on how far the norm-expansion estimate `|x|^2 + |y|^2 - 2 x.y` of a squared distance,
 *  computed in a type of unit roundoff `u` from rows centred on the training mean, can be from
 *  the directly summed `sum_j (x_j - y_j)^2` of the same rows as stored, when rows have d
 *  features and `norm_sum` bounds |x|^2 + |y|^2 (centred). To first order: rounding a row to the
 *  working type and centring it, (d + 4) u (|x|^2 + |y|^2) for the norms, the dot product and the
 *  two additions, and (d + 1) u |x - y|^2 <= 2 (d + 1) u (|x|^2 + |y|^2) for the direct sum; the
 *  bound takes (4d + 32) u for the second-order slack. Centring is what keeps it small on raw
 *  data: the bound grows with the data's spread, not with its distance from the origin. */
[[nodiscard]] inline double expansion_margin(Eigen::Index d, double norm_sum, double u) noexcept {
  return static_cast<double>(4 * d + 32) * u * norm_sum;
}

/** The unit roundoff of T (half its epsilon). */
template <class T>
inline constexpr double unit_roundoff = static_cast<double>(std::numeric_limits<T>::epsilon()) / 2;

/** `sum_j (a_j - b_j)^2` over d values in a fixed order (SIMD-width partial sums combined as a
 *  tree, plus the tail): the same value for (a, b) and (b, a), on any thread, and exact to
 *  rounding wherever the rows sit (differences of nearby values lose nothing). */
template <class S>
[[nodiscard]] S fixed_order_sq_dist(const S* OSPREY_RESTRICT a, const S* OSPREY_RESTRICT b,
                                    Eigen::Index d) noexcept {
  using V = simd_t<S>;
  constexpr auto L = static_cast<Eigen::Index>(sizeof(V) / sizeof(S));
  Eigen::Index f = 0;
  S sum = 0;
  if constexpr (L > 1) {
    V acc{};
    for (; f + L <= d; f += L) {
      V x;
      V y;
      std::memcpy(&x, a + f, sizeof(V));
      std::memcpy(&y, b + f, sizeof(V));
      const V diff = x - y;
      acc += diff * diff;
    }
    // Lanes summed as a balanced tree, lane l with lane l + w for w = L/2, L/4, ..., 1 (a fixed
    // order), folding register halves instead of going through memory.
#if defined(__GNUC__) || defined(__clang__)
    sum = fold_halves<S, sizeof(V)>(acc);
#else
    S lanes[static_cast<std::size_t>(L)];
    std::memcpy(lanes, &acc, sizeof(V));
    for (Eigen::Index w = L / 2; w >= 1; w /= 2) {
      for (Eigen::Index l = 0; l < w; ++l) lanes[l] += lanes[l + w];
    }
    sum = lanes[0];
#endif
  }
  S tail = 0;
  for (; f < d; ++f) {
    const S diff = a[f] - b[f];
    tail += diff * diff;
  }
  return sum + tail;
}

/** The point the rows are centred on, chosen so that centring is exact: per column, the
 *  mean when every value lies within a factor 2 of it (a column far from the origin relative
 *  to its spread; x - mean is then exact by Sterbenz's lemma), else 0 (the column's values
 *  are then at most twice its range from the origin, so centring would gain little). Direct
 *  differences of centred rows are therefore bit-identical to those of the rows as given. */
template <class S>
[[nodiscard]] Eigen::Matrix<S, 1, Eigen::Dynamic> exact_center(const RowMatrix<S>& X) {
  const Eigen::Index n = X.rows();
  const Eigen::Index d = X.cols();
  Eigen::Matrix<S, 1, Eigen::Dynamic> center = Eigen::Matrix<S, 1, Eigen::Dynamic>::Zero(d);
  if (n == 0) return center;
  std::vector<double> sum(static_cast<std::size_t>(d), 0.0);
  Eigen::Matrix<S, 1, Eigen::Dynamic> lo = X.row(0);
  Eigen::Matrix<S, 1, Eigen::Dynamic> hi = X.row(0);
  for (Eigen::Index i = 0; i < n; ++i) {
    const S* row = X.data() + i * d;
    for (Eigen::Index j = 0; j < d; ++j) {
      sum[static_cast<std::size_t>(j)] += static_cast<double>(row[j]);
      lo(j) = std::min(lo(j), row[j]);
      hi(j) = std::max(hi(j), row[j]);
    }
  }
  for (Eigen::Index j = 0; j < d; ++j) {
    const bool narrow = (lo(j) > S(0) && hi(j) < 2 * lo(j)) || (hi(j) < S(0) && lo(j) > 2 * hi(j));
    if (!narrow) continue;
    const auto mean = static_cast<S>(sum[static_cast<std::size_t>(j)] / static_cast<double>(n));
    center(j) = std::clamp(mean, lo(j), hi(j));
  }
  return center;
}

/** True when `v - c` is exact for every coordinate (c = 0, or v within a factor 2 of c). */
template <class S>
[[nodiscard]] bool shifts_exactly(const S* v, const S* c, Eigen::Index d) noexcept {
  bool exact = true;
  for (Eigen::Index j = 0; j < d; ++j) {
    const S x = v[j];
    const S m = c[j];
    exact &= m == S(0) || (m > S(0) ? (2 * x >= m && x <= 2 * m) : (2 * x <= m && x >= 2 * m));
  }
  return exact;
}

}  // namespace kernels
OSPREY_NAMESPACE_END

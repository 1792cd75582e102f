/** \file
 *  Scoring walks of an isolation forest: the sum over trees of the path length h_t(x) of each
 *  row x. The trees are read through `IsolationTrees`, a view of flat arrays in a
 *  complete-binary-tree layout (children of slot p are 2p+1 and 2p+2), so a row goes through a
 *  tree in exactly `height` branch-free steps.
 *
 *  Two walks give bit-identical sums (each row's sum runs over the trees in order):
 *  - rows per tree (`isolation_block_rows_per_tree`): a block of `kIsolationBlock` rows, copied
 *    column-major, goes through one tree level by level, then the next tree; where
 *    `kIsolationSelectLevels` the first four levels are resolved by selects;
 *  - trees per row (`isolation_row_all_trees`): one row goes through every tree, four trees
 *    interleaved.
 *  bench/isolation_forest.cpp compares them; the figures are in
 * docs/benchmarks/isolation_forest.md.
 *
 *  Cost: O(n T height) comparisons for n rows and T trees; memory traffic per row block is the
 *  block's features (kept in L1/L2) plus, per tree, the `height` visited levels of its
 *  thresholds and features and one leaf value. The driver allocates one block (or one row) of
 *  scratch per parallel chunk.
 *
 *  Thread safety: the functions are stateless and only read the trees and X; the driver writes
 *  each row's sum from exactly one thread, so results do not depend on the thread count.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../config.hpp"
#include "../core/detail/stop.hpp"
#include "../core/parallel.hpp"
#include "../core/types.hpp"

OSPREY_NAMESPACE_BEGIN
namespace kernels {

/** A read-only view of a fitted isolation forest's trees. Tree `t` owns slice `t` of each array:
 *  `thresholds` and `features` hold `n_internal() = 2^height - 1` split slots (a row goes left
 *  when `x[feature] <= threshold`), `leaf_values` holds `n_leaves() = 2^height` path lengths. */
template <class Scalar>
struct IsolationTrees {
  const Scalar* thresholds = nullptr;       ///< n_estimators x n_internal() split thresholds
  const std::uint32_t* features = nullptr;  ///< n_estimators x n_internal() split features
  const Scalar* leaf_values = nullptr;      ///< n_estimators x n_leaves() path lengths
  Eigen::Index n_estimators = 0;            ///< number of trees
  int height = 1;                           ///< levels of splits in every tree

  /** Split slots per tree, `2^height - 1`. */
  [[nodiscard]] std::size_t n_internal() const noexcept {
    return (std::size_t{1} << static_cast<unsigned>(height)) - 1;
  }
  /** Leaf slots per tree, `2^height`. */
  [[nodiscard]] std::size_t n_leaves() const noexcept {
    return std::size_t{1} << static_cast<unsigned>(height);
  }
};

/** How scoring walks the forest (all give bit-identical sums; bench/isolation_forest.cpp
 *  compares them). */
enum class IsolationScoring {
  rows_per_tree,          ///< a block of rows goes through one tree level by level, then the
                          ///< next tree; first levels by selects where kIsolationSelectLevels
  trees_per_row,          ///< one row goes through every tree, then the next row
  rows_per_tree_plain,    ///< rows_per_tree, every level by indexed loads (for tests/benchmarks)
  rows_per_tree_selects,  ///< rows_per_tree, first four levels by selects (for tests/benchmarks)
};

/** Whether the rows-per-tree walk resolves the first four levels with selects: only where the
 *  compiler can turn them into vector blends (AVX2 or later). Without, the selects compile to
 *  branches and the plain level loop is faster (see docs/benchmarks/isolation_forest.md). */
inline constexpr bool kIsolationSelectLevels =
#if defined(__AVX2__)
    true;
#else
    false;
#endif

/** Rows per block of the rows-per-tree walk (a block's features stay in L1/L2). */
inline constexpr Eigen::Index kIsolationBlock = 64;
/** Rows per parallel work item while scoring. */
inline constexpr Eigen::Index kIsolationChunk = 2048;

/** Calls `fn` with an expression of X whose coefficients are cheap to read: X itself when it has
 *  direct storage access, else X evaluated into a plain matrix. */
template <class Derived, class Fn>
decltype(auto) with_readable(const Eigen::MatrixBase<Derived>& X, Fn&& fn) {
  if constexpr ((static_cast<unsigned>(Derived::Flags) & Eigen::DirectAccessBit) != 0U) {
    return fn(X.derived());
  } else {
    const Matrix<typename Derived::Scalar> plain = X;
    return fn(plain);
  }
}

/** One level of the rows-per-tree walk for every row of a block, kept scalar on purpose: the
 *  64 independent walks already fill the core, and AVX-512 gathers are slower than scalar loads
 *  here (deeper levels have up to 2^level distinct nodes, so no select trick applies). */
template <class Scalar>
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-vectorize")))
#endif
inline void
isolation_level_scalar(const Scalar* OSPREY_RESTRICT thr, const std::uint32_t* OSPREY_RESTRICT feat,
                       const Scalar* OSPREY_RESTRICT xb, int rows,
                       std::int32_t* OSPREY_RESTRICT idx) {
  constexpr int stride = static_cast<int>(kIsolationBlock);
#if defined(__clang__)
#pragma clang loop vectorize(disable)
#endif
  for (int r = 0; r < rows; ++r) {
    const std::int32_t node = idx[r];
    const Scalar x = xb[static_cast<std::int32_t>(feat[node]) * stride + r];
    idx[r] = 2 * node + 1 + static_cast<std::int32_t>(x > thr[node]);
  }
}

/** The first four levels of the rows-per-tree walk for every row of a block: they hold 1, 2, 4
 *  and 8 nodes, so a row's feature value and threshold are picked among them with selects over
 *  contiguous loads instead of gathers (this vectorises to blends). Sets `idx[r]` to the slot
 *  (15..30) each row reaches at level 4. */
template <class Scalar>
inline void isolation_select_levels(const Scalar* OSPREY_RESTRICT thr,
                                    const std::uint32_t* OSPREY_RESTRICT feat,
                                    const Scalar* OSPREY_RESTRICT xb, int rows,
                                    std::int32_t* OSPREY_RESTRICT idx) {
  constexpr int stride = static_cast<int>(kIsolationBlock);
  const Scalar* OSPREY_RESTRICT xs[15];
  Scalar ts[15];
  for (int k = 0; k < 15; ++k) {
    xs[k] = xb + static_cast<std::ptrdiff_t>(feat[k]) * stride;
    ts[k] = thr[k];
  }
#if defined(OSPREY_USE_OPENMP) && defined(__GNUC__) && !defined(__clang__)
#pragma omp simd  // GCC at -O2 vectorises this only when asked; clang warns if it cannot
#endif
  for (int r = 0; r < rows; ++r) {
    const bool r0 = xs[0][r] > ts[0];
    const Scalar x1 = r0 ? xs[2][r] : xs[1][r];
    const Scalar t1 = r0 ? ts[2] : ts[1];
    const bool r1 = x1 > t1;
    const Scalar x2l = r1 ? xs[4][r] : xs[3][r];
    const Scalar x2r = r1 ? xs[6][r] : xs[5][r];
    const Scalar t2l = r1 ? ts[4] : ts[3];
    const Scalar t2r = r1 ? ts[6] : ts[5];
    const Scalar x2 = r0 ? x2r : x2l;
    const Scalar t2 = r0 ? t2r : t2l;
    const bool r2 = x2 > t2;
    const Scalar xa = r2 ? xs[8][r] : xs[7][r];
    const Scalar xb2 = r2 ? xs[10][r] : xs[9][r];
    const Scalar xc = r2 ? xs[12][r] : xs[11][r];
    const Scalar xd = r2 ? xs[14][r] : xs[13][r];
    const Scalar ta = r2 ? ts[8] : ts[7];
    const Scalar tb = r2 ? ts[10] : ts[9];
    const Scalar tc = r2 ? ts[12] : ts[11];
    const Scalar td = r2 ? ts[14] : ts[13];
    const Scalar xab = r1 ? xb2 : xa;
    const Scalar xcd = r1 ? xd : xc;
    const Scalar tab = r1 ? tb : ta;
    const Scalar tcd = r1 ? td : tc;
    const Scalar x3 = r0 ? xcd : xab;
    const Scalar t3 = r0 ? tcd : tab;
    const bool r3 = x3 > t3;
    idx[r] = 15 + 8 * static_cast<std::int32_t>(r0) + 4 * static_cast<std::int32_t>(r1) +
             2 * static_cast<std::int32_t>(r2) + static_cast<std::int32_t>(r3);
  }
}

/** Sum over trees of the path length of rows [row0, row0 + B) held column-major in `xb` with
 *  column stride kIsolationBlock: the rows-per-tree walk. Adds into `acc`. */
template <class Scalar>
void isolation_block_rows_per_tree(const IsolationTrees<Scalar>& s,
                                   const Scalar* OSPREY_RESTRICT xb, Eigen::Index B,
                                   double* OSPREY_RESTRICT acc,
                                   bool select_levels = kIsolationSelectLevels) {
  const std::size_t n_int = s.n_internal();
  const std::size_t n_leaf = s.n_leaves();
  const int height = s.height;
  // 32-bit signed indices let the compiler use dword-index gathers when it vectorises the
  // level loop over rows (AVX2 / AVX-512).
  std::int32_t idx[kIsolationBlock];
  const int rows = static_cast<int>(B);
  for (Eigen::Index t = 0; t < s.n_estimators; ++t) {
    const Scalar* OSPREY_RESTRICT thr = s.thresholds + static_cast<std::size_t>(t) * n_int;
    const std::uint32_t* OSPREY_RESTRICT feat = s.features + static_cast<std::size_t>(t) * n_int;
    const Scalar* OSPREY_RESTRICT leaf =
        s.leaf_values + static_cast<std::size_t>(t) * n_leaf - n_int;
    int level = 0;
    if (select_levels && height >= 4) {
      isolation_select_levels(thr, feat, xb, rows, idx);
      level = 4;
    } else {
      for (int r = 0; r < rows; ++r) idx[r] = 0;
    }
    for (; level < height; ++level) isolation_level_scalar(thr, feat, xb, rows, idx);
    for (int r = 0; r < rows; ++r) acc[r] += static_cast<double>(leaf[idx[r]]);
  }
}

/** Sum over trees of the path length of one row whose feature f is `x[f]` (`x` a pointer to
 *  contiguous features, or any callable/indexable `x[f]` giving a Scalar): trees-per-row walk,
 *  four trees interleaved. It allocates nothing; the sum runs over the trees in order, so it
 *  equals the rows-per-tree walk's sum bit for bit. */
template <class Scalar, class Row>
[[nodiscard]] double isolation_row_all_trees(const IsolationTrees<Scalar>& s, const Row& x) {
  const std::size_t n_int = s.n_internal();
  const std::size_t n_leaf = s.n_leaves();
  const auto T = static_cast<std::size_t>(s.n_estimators);
  const Scalar* thr = s.thresholds;
  const std::uint32_t* feat = s.features;
  const Scalar* leaf = s.leaf_values;
  double sum = 0.0;
  std::size_t t = 0;
  for (; t + 4 <= T; t += 4) {
    std::size_t n0 = 0, n1 = 0, n2 = 0, n3 = 0;
    const std::size_t b0 = t * n_int, b1 = b0 + n_int, b2 = b1 + n_int, b3 = b2 + n_int;
    for (int level = 0; level < s.height; ++level) {
      n0 = 2 * n0 + 1 + static_cast<std::size_t>(x[feat[b0 + n0]] > thr[b0 + n0]);
      n1 = 2 * n1 + 1 + static_cast<std::size_t>(x[feat[b1 + n1]] > thr[b1 + n1]);
      n2 = 2 * n2 + 1 + static_cast<std::size_t>(x[feat[b2 + n2]] > thr[b2 + n2]);
      n3 = 2 * n3 + 1 + static_cast<std::size_t>(x[feat[b3 + n3]] > thr[b3 + n3]);
    }
    sum += static_cast<double>(leaf[t * n_leaf + n0 - n_int]);
    sum += static_cast<double>(leaf[(t + 1) * n_leaf + n1 - n_int]);
    sum += static_cast<double>(leaf[(t + 2) * n_leaf + n2 - n_int]);
    sum += static_cast<double>(leaf[(t + 3) * n_leaf + n3 - n_int]);
  }
  for (; t < T; ++t) {
    std::size_t n = 0;
    const std::size_t b = t * n_int;
    for (int level = 0; level < s.height; ++level) {
      n = 2 * n + 1 + static_cast<std::size_t>(x[feat[b + n]] > thr[b + n]);
    }
    sum += static_cast<double>(leaf[t * n_leaf + n - n_int]);
  }
  return sum;
}

/** A row's features read through Eigen's coefficient access, converted to Scalar: the
 *  indexable form isolation_row_all_trees takes for a row of any Eigen expression (a row of a
 *  column-major matrix, a vector, a Map) without copying it. */
template <class Scalar, class Derived>
struct IsolationRowView {
  const Eigen::MatrixBase<Derived>& x;  ///< one row or column of features
  /** Feature f as Scalar. */
  OSPREY_ALWAYS_INLINE Scalar operator[](std::uint32_t f) const {
    const auto i = static_cast<Eigen::Index>(f);
    return static_cast<Scalar>(x.rows() == 1 ? x.coeff(0, i) : x.coeff(i, 0));
  }
};

/** Sum over trees of the path length h_t(x) of every row of X (validated by the caller).
 *  Parallel over fixed chunks of rows, handed out dynamically (a preempted thread on a busy
 *  machine does not hold the others back); each row's sum runs over trees in order and no chunk
 *  depends on another, so the result is bit-identical on any thread count and with either walk.
 *  `stop` is polled before each chunk (it throws `Cancelled`). */
template <class Scalar, class Derived>
[[nodiscard]] std::vector<double> isolation_path_sums(
    const IsolationTrees<Scalar>& s, const Eigen::MatrixBase<Derived>& X, int n_threads,
    IsolationScoring order = IsolationScoring::rows_per_tree, const detail::Stop& stop = {}) {
  const Eigen::Index n = X.rows();
  const Eigen::Index d = X.cols();
  std::vector<double> sums(static_cast<std::size_t>(n), 0.0);
  const Eigen::Index n_chunks = (n + kIsolationChunk - 1) / kIsolationChunk;
  with_readable(X, [&](const auto& Xr) {
    detail::parallel_for_dynamic(Eigen::Index{0}, n_chunks, n_threads, [&](Eigen::Index chunk) {
      stop.check();
      const Eigen::Index begin = chunk * kIsolationChunk;
      const Eigen::Index end = std::min(n, begin + kIsolationChunk);
      if (order != IsolationScoring::trees_per_row) {
        const bool selects = order == IsolationScoring::rows_per_tree_selects ||
                             (order == IsolationScoring::rows_per_tree && kIsolationSelectLevels);
        std::vector<Scalar> xb(static_cast<std::size_t>(kIsolationBlock * d));
        for (Eigen::Index b0 = begin; b0 < end; b0 += kIsolationBlock) {
          const Eigen::Index B = std::min(kIsolationBlock, end - b0);
          for (Eigen::Index j = 0; j < d; ++j) {
            Scalar* col = xb.data() + j * kIsolationBlock;
            for (Eigen::Index r = 0; r < B; ++r) col[r] = static_cast<Scalar>(Xr.coeff(b0 + r, j));
          }
          isolation_block_rows_per_tree(s, xb.data(), B, sums.data() + static_cast<std::size_t>(b0),
                                        selects);
        }
      } else {
        std::vector<Scalar> row(static_cast<std::size_t>(d));
        for (Eigen::Index i = begin; i < end; ++i) {
          for (Eigen::Index j = 0; j < d; ++j) {
            row[static_cast<std::size_t>(j)] = static_cast<Scalar>(Xr.coeff(i, j));
          }
          sums[static_cast<std::size_t>(i)] = isolation_row_all_trees(s, row.data());
        }
      }
    });
    return 0;
  });
  return sums;
}

}  // namespace kernels
OSPREY_NAMESPACE_END

/** \file
 *  Exact brute-force k-nearest-neighbour search over tiles (internal; used by NearestNeighbors).
 *
 *  Queries are cut into fixed tiles (independent of the thread count, so results never depend
 *  on it); each tile walks the training set block by block, computes one block of reduced
 *  distances and feeds it to the tile's per-query `TopK`. Extra memory is one tile of distances
 *  per thread plus k candidates per query; the Euclidean index keeps a centred copy of the
 *  training rows, and the leave-one-out path adds one reordered copy of the rows and four
 *  thresholds per row (never rows x threads): the full query x train matrix never exists.
 *
 *  - Euclidean / SquaredEuclidean: the training rows are centred on their mean once; for a
 *    tile, `C = X_block * Q_tile^T` on centred rows is one Eigen matrix product (GEMM), and
 *    |x|^2 + |q|^2 - 2 q.x estimates each squared distance within a computed bound E
 *    (expansion_margin), which grows with the data's spread, never with its offset from the
 *    origin. Any row whose estimate is within E of the query's k-th value is recomputed directly,
 *    sum (x_j - q_j)^2 on the rows as given, and only exact values enter the k-buffer: the
 *    selected set is the exact k nearest on raw data too (timestamps, amounts in cents).
 *  - Euclidean / SquaredEuclidean, leave-one-out (the training set against itself, as SMOTE's
 *    neighbour search): the symmetric path computes each unordered pair once, one GEMM per
 *    block pair (I <= J), and offers the pair's exact value (rechecked as above) to both rows'
 *    k-buffers; rows are first reordered into k-d cells, and each row's one k-buffer belongs to
 *    one thread (the others queue its candidates).
 *  - Other metrics: the register-tiled panel kernel of kernels/distance.hpp.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "../core/parallel.hpp"
#include "../core/types.hpp"
#include "../kernels/distance.hpp"
#include "../kernels/topk.hpp"

#if EIGEN_VERSION_AT_LEAST(3, 4, 0) && !EIGEN_VERSION_AT_LEAST(3, 4, 90)
/// 1 when the Euclidean tiles call Eigen 3.4's single-threaded GEMM kernel directly (known
/// internal API), 0 to fall back to Eigen's public matrix product.
#define OSPREY_EIGEN_INTERNAL_GEMM 1
#else
/// 1 when the Euclidean tiles call Eigen 3.4's single-threaded GEMM kernel directly (known
/// internal API), 0 to fall back to Eigen's public matrix product.
#define OSPREY_EIGEN_INTERNAL_GEMM 0
#endif

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Tile sizes of the brute-force search (tuned with bench/neighbors.cpp, see
 *  docs/benchmarks/neighbors.md). */
struct BruteTiles {
  Eigen::Index gemm_queries = 256;     ///< queries per tile, Euclidean path
  Eigen::Index gemm_rows = 1024;       ///< training rows per GEMM block
  Eigen::Index panel_queries = 256;    ///< queries per tile, tiled-kernel path
  Eigen::Index panel_bytes = 1 << 18;  ///< packed training bytes per block (L2-resident)
  Eigen::Index sym_block = 256;        ///< rows per block, symmetric leave-one-out path
  /// Double symmetric searches with at least this many rows filter the pairs in float (GEMM
  /// and scan at twice the SIMD width) and recompute every candidate exactly in double.
  Eigen::Index float_filter_rows = 1024;
};

/** Inserts (value, index) into the sorted k-buffer `vals`/`idx` when it is lexicographically
 *  below the k-th held pair (the TopK rule, on a buffer that is already initialised). */
template <class S>
OSPREY_ALWAYS_INLINE void topk_insert(S* vals, int* idx, int k, S value, int index) noexcept {
  if (value > vals[k - 1] || (value == vals[k - 1] && index >= idx[k - 1])) return;
  int pos = k - 1;
  while (pos > 0 && (vals[pos - 1] > value || (vals[pos - 1] == value && idx[pos - 1] > index))) {
    vals[pos] = vals[pos - 1];
    idx[pos] = idx[pos - 1];
    --pos;
  }
  vals[pos] = value;
  idx[pos] = index;
}

/** Single-threaded `C = alpha * A * B^T` for row-major A (rows x depth) and row-major B
 *  (cols x depth) into column-major C (leading dimension ldc). With Eigen 3.4 it calls Eigen's
 *  own GEMM kernel directly with packing buffers allocated once, so Eigen never tries to start
 *  its own OpenMP team (the searches parallelise over query tiles instead); other Eigen versions
 *  use the public product. */
template <class S>
class SerialGemm {
 public:
  SerialGemm(Eigen::Index max_rows, Eigen::Index max_cols, Eigen::Index depth)
#if OSPREY_EIGEN_INTERNAL_GEMM
      : blocking_(max_rows, max_cols, depth, 1, true) {
    blocking_.allocateAll();
  }
#else
  {
    (void)max_rows;
    (void)max_cols;
    (void)depth;
  }
#endif

  /** C = alpha A B^T, or C += alpha A B^T when `accumulate`. */
  void run(Eigen::Index rows, Eigen::Index cols, Eigen::Index depth, const S* A, const S* B, S* C,
           Eigen::Index ldc, S alpha, bool accumulate = false) {
#if OSPREY_EIGEN_INTERNAL_GEMM
    if (!accumulate) {
      for (Eigen::Index j = 0; j < cols; ++j) {
        std::fill(C + j * ldc, C + j * ldc + rows, S(0));
      }
    }
    Eigen::internal::general_matrix_matrix_product<Eigen::Index, S, Eigen::RowMajor, false, S,
                                                   Eigen::ColMajor, false, Eigen::ColMajor,
                                                   1>::run(rows, cols, depth, A, depth, B, depth, C,
                                                           1, ldc, alpha, blocking_, nullptr);
#else
    using RowMap = Eigen::Map<const RowMatrix<S>>;
    Eigen::Map<Matrix<S>, 0, Eigen::OuterStride<>> out(C, rows, cols, Eigen::OuterStride<>(ldc));
    if (accumulate) {
      out.noalias() += alpha * RowMap(A, rows, depth) * RowMap(B, cols, depth).transpose();
    } else {
      out.noalias() = alpha * RowMap(A, rows, depth) * RowMap(B, cols, depth).transpose();
    }
#endif
  }

 private:
#if OSPREY_EIGEN_INTERNAL_GEMM
  Eigen::internal::gemm_blocking_space<Eigen::ColMajor, S, S, Eigen::Dynamic, Eigen::Dynamic,
                                       Eigen::Dynamic, 1, false>
      blocking_;
#endif
};

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

#if defined(__GNUC__) || defined(__clang__)
/** The sum of the lanes of `v` (`Bytes` bytes of T) as a balanced tree: the high half is added to
 *  the low half until one lane is left. */
template <class T, std::size_t Bytes, class W>
OSPREY_ALWAYS_INLINE T fold_halves(const W& v) noexcept {
  if constexpr (Bytes == sizeof(T)) {
    T x;
    std::memcpy(&x, &v, sizeof(T));
    return x;
  } else {
    typedef T Half __attribute__((vector_size(Bytes / 2)));  // NOLINT
    Half lo;
    Half hi;
    std::memcpy(&lo, &v, Bytes / 2);
    std::memcpy(&hi, reinterpret_cast<const char*>(&v) + Bytes / 2, Bytes / 2);
    return fold_halves<T, Bytes / 2>(lo + hi);
  }
}
#endif

/** `sum_j (a_j - b_j)^2` over d values in a fixed order (SIMD-width partial sums combined as a
 *  tree, plus the tail): the same value for (a, b) and (b, a), on any thread, and exact to
 *  rounding wherever the rows sit (differences of nearby values lose nothing). */
template <class S>
[[nodiscard]] S fixed_order_sq_dist(const S* OSPREY_RESTRICT a, const S* OSPREY_RESTRICT b,
                                    Eigen::Index d) noexcept {
  using V = kernels::simd_t<S>;
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

/** A permutation of the rows of `X` (position -> row) whose consecutive runs of `block` rows
 *  are the cells of a k-d split: a run of whole blocks is cut at a block boundary near its middle
 *  by the median order of the coordinate of largest variance (over a strided sample of at most
 *  256 rows), down to single blocks. Rows in one block are then close together, which is what
 *  makes the symmetric search's early thresholds tight. Ties in a coordinate go by row index, so
 *  the order depends on X alone (the runs of one level are cut in parallel, each on its own
 *  rows). O(n d + n log(n / block)). */
template <class S>
[[nodiscard]] std::vector<int> block_order(const RowMatrix<S>& X, Eigen::Index block,
                                           int n_threads) {
  const Eigen::Index n = X.rows();
  const Eigen::Index d = X.cols();
  std::vector<int> perm(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) perm[static_cast<std::size_t>(i)] = static_cast<int>(i);
  if (block <= 0 || n <= block) return perm;
  struct Run {
    Eigen::Index begin;
    Eigen::Index blocks;
  };
  const auto cut = [&](const Run& run) {
    const Eigen::Index end = std::min(n, run.begin + run.blocks * block);
    const Eigen::Index stride = std::max<Eigen::Index>(1, (end - run.begin) / 256);
    // Variance per coordinate over the sample, shifted by the run's first row for accuracy.
    const S* first = X.data() + perm[static_cast<std::size_t>(run.begin)] * d;
    std::vector<S> sum(static_cast<std::size_t>(d), S(0));
    std::vector<S> sq(static_cast<std::size_t>(d), S(0));
    Eigen::Index count = 0;
    for (Eigen::Index i = run.begin; i < end; i += stride, ++count) {
      const S* row = X.data() + perm[static_cast<std::size_t>(i)] * d;
      for (Eigen::Index j = 0; j < d; ++j) {
        const auto jz = static_cast<std::size_t>(j);
        const S v = row[j] - first[j];
        sum[jz] += v;
        sq[jz] += v * v;
      }
    }
    Eigen::Index dim = 0;
    S best = -1;
    for (Eigen::Index j = 0; j < d; ++j) {
      const auto jz = static_cast<std::size_t>(j);
      const S var = sq[jz] - sum[jz] * sum[jz] / static_cast<S>(count);
      if (var > best) {
        best = var;
        dim = j;
      }
    }
    std::vector<std::pair<S, int>> keys;
    keys.reserve(static_cast<std::size_t>(end - run.begin));
    for (Eigen::Index i = run.begin; i < end; ++i) {
      const int r = perm[static_cast<std::size_t>(i)];
      keys.emplace_back(X(r, dim), r);
    }
    const Eigen::Index half = run.blocks / 2;
    std::nth_element(keys.begin(), keys.begin() + half * block, keys.end());
    for (Eigen::Index i = run.begin; i < end; ++i) {
      perm[static_cast<std::size_t>(i)] = keys[static_cast<std::size_t>(i - run.begin)].second;
    }
  };
  std::vector<Run> level{{0, (n + block - 1) / block}};
  while (!level.empty()) {
    parallel_for(std::size_t{0}, level.size(), n_threads, [&](std::size_t q) { cut(level[q]); });
    std::vector<Run> next;
    for (const Run& run : level) {
      const Eigen::Index half = run.blocks / 2;
      if (half >= 2) next.push_back({run.begin, half});
      if (run.blocks - half >= 2) next.push_back({run.begin + half * block, run.blocks - half});
    }
    level = std::move(next);
  }
  return perm;
}

/** Candidates a thread of the symmetric search may queue for other threads' rows before the
 *  phase pauses for their owners to take them (BruteIndex::run_symmetric): 1 MiB or so. */
inline constexpr std::size_t outbox_cap = std::size_t{1} << 16;

/** Rows per segment of the symmetric scan (scan_pair_column): the most hits one call lists. */
inline constexpr Eigen::Index scan_segment_rows = 512;

/** A training set prepared for brute-force search with `Metric`. */
template <class Metric, class S>
class BruteIndex {
 public:
  BruteIndex() = default;

  /** Precomputes the rows centred on their mean and their squared norms (Euclidean) or the
   *  packed panels (other metrics) of `X`. */
  explicit BruteIndex(const RowMatrix<S>& X) {
    if constexpr (detail::uses_norm_expansion<Metric>) {
      // The norm expansion's rounding grows with |x|^2: on centred rows it grows with the
      // data's spread, not with where the data sit (timestamps, amounts in cents).
      center_ = exact_center(X);
      centred_ = X.rowwise() - center_;
      norms_ = centred_.rowwise().squaredNorm();
    } else {
      packed_ = kernels::pack_panels<S>(X.data(), X.rows(), X.cols(), X.cols());
    }
  }

  /** The point the rows are centred on, chosen so that centring is exact: per column, the
   *  mean when every value lies within a factor 2 of it (a column far from the origin relative
   *  to its spread; x - mean is then exact by Sterbenz's lemma), else 0 (the column's values
   *  are then at most twice its range from the origin, so centring would gain little). Direct
   *  differences of centred rows are therefore bit-identical to those of the rows as given. */
  [[nodiscard]] static Eigen::Matrix<S, 1, Eigen::Dynamic> exact_center(const RowMatrix<S>& X) {
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
      const bool narrow =
          (lo(j) > S(0) && hi(j) < 2 * lo(j)) || (hi(j) < S(0) && lo(j) > 2 * hi(j));
      if (!narrow) continue;
      const auto mean = static_cast<S>(sum[static_cast<std::size_t>(j)] / static_cast<double>(n));
      center(j) = std::clamp(mean, lo(j), hi(j));
    }
    return center;
  }

  /** True when `v - c` is exact for every coordinate (c = 0, or v within a factor 2 of c). */
  [[nodiscard]] static bool shifts_exactly(const S* v, const S* c, Eigen::Index d) noexcept {
    bool exact = true;
    for (Eigen::Index j = 0; j < d; ++j) {
      const S x = v[j];
      const S m = c[j];
      exact &= m == S(0) || (m > S(0) ? (2 * x >= m && x <= 2 * m) : (2 * x <= m && x >= 2 * m));
    }
    return exact;
  }

  /** For every row i of `Q`: the k smallest (reduced value, index) pairs among the rows of the
   *  training set `X` this index was built from, lexicographically sorted, into row i of
   *  `values`/`indices` (m x k, row-major storage). When `leave_one_out`, Q is the training set
   *  and query i never returns index i. */
  void search(const RowMatrix<S>& X, const RowMatrix<S>& Q, int k, bool leave_one_out,
              int n_threads, S* values, int* indices, const BruteTiles& tiles = {}) const {
    const Eigen::Index m = Q.rows();
    if constexpr (detail::uses_norm_expansion<Metric>) {
      if (leave_one_out) {
        search_symmetric(X, k, n_threads, values, indices, tiles);
        return;
      }
    }
    const Eigen::Index tile =
        detail::uses_norm_expansion<Metric> ? tiles.gemm_queries : tiles.panel_queries;
    const Eigen::Index n_tiles = (m + tile - 1) / tile;
    parallel_for<Eigen::Index>(0, n_tiles, n_threads, [&](Eigen::Index t) {
      const Eigen::Index q0 = t * tile;
      const Eigen::Index mq = std::min(tile, m - q0);
      std::vector<kernels::TopK<S>> tops;
      tops.reserve(static_cast<std::size_t>(mq));
      for (Eigen::Index i = 0; i < mq; ++i) {
        tops.emplace_back(values + (q0 + i) * k, indices + (q0 + i) * k, k);
      }
      if constexpr (detail::uses_norm_expansion<Metric>) {
        search_gemm(X, Q, q0, mq, leave_one_out, tops, tiles);
      } else {
        search_panels(X, Q, q0, mq, leave_one_out, tops, tiles);
      }
    });
  }

 private:
  /** Leave-one-out Euclidean search that computes each pair once. The centred rows, reordered
   *  into k-d cells (block_order), are cut into blocks of `tiles.sym_block`; tile (I, J), I <= J,
   *  is one GEMM `-2 X_I X_J^T` onto the norm sums, whose values `|x_i|^2 + |x_j|^2 - 2 x_i.x_j`
   *  estimate the pairs' squared distances within a bound E (expansion_margin). A pair whose
   *  estimate is within E of row i's or row j's current k-th value is recomputed directly,
   *  `sum (x_i - x_j)^2` on the rows as given, and that exact value is offered to both rows'
   *  k-buffers (a diagonal tile uses its upper triangle). Each row has one k-buffer, owned by the
   *  thread of its block; threads take the next free tile and queue candidates for rows they do
   *  not own until the phase ends. A k-buffer holds the k lexicographically smallest (value,
   *  index) pairs of what it was offered, whatever the order, and every pair's value depends only
   *  on the pair, so the result is the exact k nearest and does not depend on the thread count.
   *
   *  Double searches of at least `tiles.float_filter_rows` rows whose centred squared norms lie
   *  in [1e-20, 1e30] compute the tiles and the scan in float (E then bounds the float error):
   *  the same neighbours as an all-double search, at about the cost of a float one. */
  void search_symmetric(const RowMatrix<S>& X, int k, int n_threads, S* values, int* indices,
                        const BruteTiles& tiles) const {
    // The search runs on the rows reordered so that each block is one cell of a k-d split
    // (block_order); the k-buffers hold the original indices, so ties still go to the lower
    // input index and the order changes only how soon the thresholds tighten.
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    const std::vector<int> perm = block_order(X, std::min(tiles.sym_block, n), n_threads);
    // Double searches of enough rows with centred squared norms in [1e-20, 1e30] (so float
    // neither overflows nor underflows) filter in float.
    const double max_norm = n > 0 ? static_cast<double>(norms_.maxCoeff()) : 0.0;
    const bool filter = std::is_same_v<S, double> && n >= tiles.float_filter_rows && n > 0 &&
                        max_norm >= 1e-20 && max_norm <= 1e30;
    // The centred rows the tiles are computed from, in k-d order: in float for a filtered double
    // search, else in S (the exact rechecks read X itself). One copy of the data either way.
    RowMatrix<S> XP(filter ? 0 : n, d);
    Vector<S> np(filter ? 0 : n);
    RowMatrix<float> Xf(filter ? n : 0, d);
    Eigen::VectorXf nf(filter ? n : 0);
    parallel_for_ranges(n, Eigen::Index{512}, n_threads, [&](Eigen::Index lo, Eigen::Index hi) {
      for (Eigen::Index i = lo; i < hi; ++i) {
        const Eigen::Index from = perm[static_cast<std::size_t>(i)];
        const S* src = centred_.data() + from * d;
        if (filter) {
          float* dst = Xf.data() + i * d;
          float sq = 0;
          for (Eigen::Index j = 0; j < d; ++j) {
            dst[j] = static_cast<float>(src[j]);
            sq += dst[j] * dst[j];
          }
          nf(i) = sq;
        } else {
          std::copy(src, src + d, XP.data() + i * d);
          np(i) = norms_(from);
        }
      }
    });
    // Each tile value estimates a pair's squared distance within E of its direct sum.
    if constexpr (std::is_same_v<S, double>) {
      if (filter) {
        const double E = expansion_margin(d, 2 * max_norm, unit_roundoff<float>);
        run_symmetric<float>(X, perm, Xf, nf.data(), E, k, n_threads, values, indices, tiles);
        return;
      }
    }
    const double E = expansion_margin(d, 2 * max_norm, unit_roundoff<S>);
    run_symmetric<S>(X, perm, XP, np.data(), E, k, n_threads, values, indices, tiles);
  }

  /** The symmetric search over the rows of `X` taken in the order `perm` (position i is input
   *  row perm[i]), with tiles computed and scanned in `F` (S itself, or float for a double
   *  search, see search_symmetric) from `XF` (the centred rows in that order, in F) and their
   *  squared norms `nrm_f`; `E` bounds an F estimate's distance from the pair's direct value,
   *  which the rechecks compute from X through perm. Results go to the input rows' places in
   *  values/indices.
   *
   *  Memory beyond X, XF and the k-buffers: four thresholds per row and, per thread, one tile,
   *  one GEMM packing space and at most `outbox_cap` queued candidates. */
  template <class F>
  void run_symmetric(const RowMatrix<S>& X, const std::vector<int>& perm, const RowMatrix<F>& XF,
                     const F* nrm_f, double E, int k, int n_threads, S* values, int* indices,
                     const BruteTiles& tiles) const {
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    const Eigen::Index B = std::min(tiles.sym_block, n);
    const Eigen::Index nblocks = (n + B - 1) / B;
    const Eigen::Index n_tiles = nblocks * (nblocks + 1) / 2;
    std::vector<std::pair<Eigen::Index, Eigen::Index>> order;
    order.reserve(static_cast<std::size_t>(n_tiles));
    // Diagonal tiles first: they give every row block-many candidates, so its threshold is
    // already tight when the off-diagonal tiles (the bulk of the work) are scanned. Then the
    // block pairs by increasing distance J - I in the k-d order, nearby cells first.
    for (Eigen::Index gap = 0; gap < nblocks; ++gap) {
      for (Eigen::Index I = 0; I + gap < nblocks; ++I) order.emplace_back(I, I + gap);
    }
    const int T = static_cast<int>(std::clamp<Eigen::Index>(
        static_cast<Eigen::Index>(resolve_threads(n_threads)), 1, n_tiles));
    const auto per = static_cast<std::size_t>(n) * static_cast<std::size_t>(k);
    const auto nz = static_cast<std::size_t>(n);
    const auto Tz = static_cast<std::size_t>(T);
    // One k-buffer per row, owned by one thread: the rows of block I belong to thread I mod T.
    // A thread inserts into the rows it owns at once and queues its candidates for the other
    // rows (outbox[t * T + owner]); the owners take them at the end of each phase. Every pair a
    // row's k nearest need reaches its one buffer, which keeps the k lexicographically smallest
    // of what it is offered whatever the order, so the result does not depend on the schedule
    // or the thread count; and no row is filled twice (once per thread) as private buffers were.
    std::vector<S> hv(per, std::numeric_limits<S>::infinity());
    std::vector<int> hi(per, std::numeric_limits<int>::max());
    struct Pending {
      int row;    // position of the receiving row
      int other;  // position of the other row of the pair
      S value;
    };
    std::vector<std::vector<Pending>> outbox(Tz * Tz);
    const auto owner = [B, T](Eigen::Index row) { return static_cast<int>((row / B) % T); };
    // Thresholds: a pair whose exact value is above a row's bound cannot be among its k nearest
    // (the buffer already holds k pairs at or below it). `live` is the k-th value of the row's
    // buffer (or a seeded bound above it), written and read by the row's owner alone; `snap` is
    // its value at the last phase boundary, which the other threads read. The F forms hold the
    // bound + E rounded up to F, the bound the estimates are tested against. One array of each
    // for all threads: memory grows with the rows, not with rows x threads.
    constexpr S inf = std::numeric_limits<S>::infinity();
    std::vector<S> live(nz, inf);
    std::vector<S> snap(nz, inf);
    std::vector<F> live_f(nz, std::numeric_limits<F>::infinity());
    std::vector<F> snap_f(nz, std::numeric_limits<F>::infinity());
    const auto widen = [E](S t) -> F { return kernels::round_up<F>(static_cast<double>(t) + E); };
    std::vector<Matrix<F>> tile_buf(Tz, Matrix<F>(B, B));
    std::deque<SerialGemm<F>> gemms;  // one per thread, packing buffers allocated once
    for (std::size_t t = 0; t < Tz; ++t) gemms.emplace_back(B, B, d);
    // Phases: the diagonal tiles, then the off-diagonal ones in four parts; the thresholds are
    // shared at each phase boundary (the first share gives every row its diagonal block's
    // candidates in every thread).
    std::vector<Eigen::Index> phase{0, nblocks};
    for (Eigen::Index q = 1; q <= 4; ++q) {
      const Eigen::Index at = nblocks + (n_tiles - nblocks) * q / 4;
      if (at > phase.back()) phase.push_back(at);
    }
    const S* xs = X.data();
    const int* pm = perm.data();
    S* vals = hv.data();
    int* idx = hi.data();
    // Row's bound lowered to `bound` by its owner.
    const auto lower = [&](Eigen::Index row, S bound) {
      const auto rz = static_cast<std::size_t>(row);
      if (bound < live[rz]) {
        live[rz] = bound;
        live_f[rz] = widen(bound);
      }
    };
    // Pair (row, other) with exact value v into row's k-buffer, by the thread that owns row,
    // which then lowers its bound on row to the buffer's k-th value.
    const auto insert = [&](Eigen::Index row, S v, Eigen::Index other) {
      S* rv = vals + row * k;
      topk_insert(rv, idx + row * k, k, v, pm[other]);
      lower(row, rv[k - 1]);
    };
    for (std::size_t ph = 0; ph + 1 < phase.size(); ++ph) {
      // Diagonal tiles go to their rows' owner (they seed its thresholds); the others are handed
      // out dynamically: which thread takes a tile changes only which rows wait in an outbox.
      std::atomic<Eigen::Index> next{phase[ph]};
      const bool diagonal_phase = ph == 0;  // its tiles go to their owner: nothing is queued
      // A phase runs in rounds: once a thread has queued more than `outbox_cap` candidates (data
      // with many tied pairs), every thread stops taking tiles, the owners take what is queued,
      // and the next round resumes at the next tile. The outboxes stay bounded whatever X is.
      do {
        std::atomic<bool> full{false};
        parallel_for<int>(0, T, T, [&](int t) {
          const auto tz = static_cast<std::size_t>(t);
          Matrix<F>& C = tile_buf[tz];
          SerialGemm<F>& gemm = gemms[tz];
          // The bounds this thread sees for the rows of a block: live for its own, else the
          // snapshot.
          const auto bounds_of = [&](Eigen::Index block) {
            const bool mine = static_cast<int>(block % T) == t;
            return std::pair<const S*, const F*>{mine ? live.data() : snap.data(),
                                                 mine ? live_f.data() : snap_f.data()};
          };
          const auto offer = [&](Eigen::Index row, S v, Eigen::Index other) {
            const int own = owner(row);
            if (own != t) {
              outbox[tz * Tz + static_cast<std::size_t>(own)].push_back(
                  {static_cast<int>(row), static_cast<int>(other), v});
              return;
            }
            insert(row, v, other);
          };
          // The direct value of the pair at positions (a, b): from the centred rows the tile
          // was computed from (exact centring: the same value as the rows as given, and in
          // cache) when F is S, else from X.
          const auto exact_value = [&](Eigen::Index a, Eigen::Index b) -> S {
            if constexpr (std::is_same_v<F, S>) {
              return fixed_order_sq_dist(XF.data() + a * d, XF.data() + b * d, d);
            } else {
              return fixed_order_sq_dist(xs + pm[a] * d, xs + pm[b] * d, d);
            }
          };
          // Candidates of one column segment: rows (tile offsets) that passed the F test.
          Eigen::Index keep_row[scan_segment_rows];
          S keep_value[scan_segment_rows];
          const auto take = [&]() -> Eigen::Index {
            std::size_t queued = 0;
            for (std::size_t u = 0; u < Tz; ++u) queued += outbox[tz * Tz + u].size();
            if (queued > outbox_cap) full.store(true, std::memory_order_relaxed);
            return full.load(std::memory_order_relaxed) ? phase[ph + 1] : next++;
          };
          for (Eigen::Index p = diagonal_phase ? t : take(); p < phase[ph + 1];
               p = diagonal_phase ? p + T : take()) {
            const auto [I, J] = order[static_cast<std::size_t>(p)];
            const Eigen::Index i0 = I * B;
            const Eigen::Index j0 = J * B;
            const Eigen::Index ri = std::min(B, n - i0);
            const Eigen::Index cj = std::min(B, n - j0);
            // (Plain variables, not a structured binding: clang 14 cannot capture those.)
            const S* const row_th = bounds_of(I).first;
            const F* const row_thf = bounds_of(I).second;
            const S* const col_th = bounds_of(J).first;
            const F* const col_thf = bounds_of(J).second;
            // The tile starts as |x_r|^2 + |x_c|^2 and the GEMM adds -2 x_r.x_c, so it holds the
            // estimates (in place of the zero fill the GEMM would need anyway).
            for (Eigen::Index c = 0; c < cj; ++c) {
              F* OSPREY_RESTRICT col = C.data() + c * B;
              const F* OSPREY_RESTRICT rn = nrm_f + i0;
              const F cn = nrm_f[j0 + c];
              for (Eigen::Index r = 0; r < ri; ++r) col[r] = rn[r] + cn;
            }
            gemm.run(ri, cj, d, XF.data() + i0 * d, XF.data() + j0 * d, C.data(), B, F(-2), true);
            if (I == J) {
              // k estimates at or below tau: k exact values at or below tau + E.
              seed_thresholds(C.data(), B, ri, k, [&](Eigen::Index c, F tau) {
                lower(i0 + c, kernels::round_up<S>(static_cast<double>(tau) + E));
              });
            }
            for (Eigen::Index c = 0; c < cj; ++c) {
              const F* col = C.data() + c * B;
              const Eigen::Index b = j0 + c;
              scan_pair_column(
                  // A diagonal tile keeps its upper triangle r < c: each pair once.
                  col, row_thf + i0, I == J ? c : ri,
                  [&](const Eigen::Index* hits, Eigen::Index count) {
                    // First the exact values of the hits still below a threshold (thresholds may
                    // have fallen since the segment was tested): independent computations that
                    // overlap; then each goes to the k-buffers that can still take it.
                    Eigen::Index m = 0;
                    for (Eigen::Index q = 0; q < count; ++q) {
                      const Eigen::Index a = i0 + hits[q];
                      const F vf = col[hits[q]];
                      if (vf <= col_thf[b] || vf <= row_thf[a]) {
                        keep_row[m] = a;
                        keep_value[m++] = exact_value(a, b);
                      }
                    }
                    for (Eigen::Index q = 0; q < m; ++q) {
                      const Eigen::Index a = keep_row[q];
                      const S v = keep_value[q];
                      if (v <= col_th[b]) offer(b, v, a);
                      if (v <= row_th[a]) offer(a, v, b);
                    }
                  },
                  col_thf + b);
            }
          }
        });
        if (T > 1) {
          // Each owner takes the candidates queued for its rows.
          parallel_for<int>(0, T, T, [&](int u) {
            const auto uz = static_cast<std::size_t>(u);
            for (std::size_t from = 0; from < Tz; ++from) {
              std::vector<Pending>& box = outbox[from * Tz + uz];
              for (const Pending& e : box) {
                if (e.value <= live[static_cast<std::size_t>(e.row)]) {
                  insert(e.row, e.value, e.other);
                }
              }
              box.clear();
            }
          });
        }
      } while (!diagonal_phase && next.load() < phase[ph + 1]);
      if (T > 1 && ph + 2 < phase.size()) {
        // The thresholds are shared: every thread sees the owners' bounds.
        snap = live;
        snap_f = live_f;
      }
    }
    // Each row's buffer is its result, sorted (value, index): copy it to the input row's place.
    parallel_for<Eigen::Index>(0, n, n_threads, [&](Eigen::Index i) {
      const Eigen::Index to = pm[i];
      std::copy(vals + i * k, vals + (i + 1) * k, values + to * k);
      std::copy(idx + i * k, idx + (i + 1) * k, indices + to * k);
    });
  }

  /** Before a diagonal tile is scanned, calls `lower(c, tau)` for each of its rows c with an
   *  upper bound tau of the row's k-th smallest value in the tile: column c of the tile holds
   *  row c's values, whose per-lane minima over SIMD-width strides are values of distinct rows,
   *  so the k-th smallest lane minimum bounds the k-th smallest value from above. The scan then
   *  inserts only values at or below that bound (about half as many insertions as a k-buffer
   *  filling up from infinity), and nothing the exact rule would keep is dropped. Does nothing
   *  when k exceeds the lane count or the tile has too few rows. */
  template <class F, class Lower>
  static void seed_thresholds(F* C, Eigen::Index ldc, Eigen::Index rows, int k, Lower&& lower) {
    using V = kernels::simd_t<F>;
    constexpr int L = static_cast<int>(sizeof(V) / sizeof(F));
    if (k > L || rows <= static_cast<Eigen::Index>(L) * 2) return;
    for (Eigen::Index c = 0; c < rows; ++c) {
      F* col = C + c * ldc;
      // The row's value against itself is not a candidate; the scan never reads the diagonal.
      col[c] = std::numeric_limits<F>::infinity();
      V m = V{} + std::numeric_limits<F>::infinity();
      Eigen::Index r = 0;
      for (; r + L <= rows; r += L) {
        V v;
        std::memcpy(&v, col + r, sizeof(V));
        m = v < m ? v : m;
      }
      F lane_min[static_cast<std::size_t>(L)];
      std::memcpy(lane_min, &m, sizeof(V));
      for (; r < rows; ++r) {
        const auto l = static_cast<std::size_t>(r % L);
        if (col[r] < lane_min[l]) lane_min[l] = col[r];
      }
      // The k-th smallest lane minimum: the smallest lane value with at least k lane values at
      // or below it. The counts of all lanes at once, one broadcast comparison per lane,
      // without branches (a selection call here cost more than the rest of the seed).
      F kth = std::numeric_limits<F>::infinity();
      if constexpr (L > 1) {
        std::memcpy(&m, lane_min, sizeof(V));
        using Counts = decltype(m <= m);  // lanes: 0 or -1
        Counts below{};
        // (x - V{} is x in every lane.)
        for (int l = 0; l < L; ++l) below -= (lane_min[l] - V{}) <= m;
        const V inf = std::numeric_limits<F>::infinity() - V{};
        const V pick = below >= k ? m : inf;
        F lanes[static_cast<std::size_t>(L)];
        std::memcpy(lanes, &pick, sizeof(V));
        for (int l = 0; l < L; ++l) kth = std::min(kth, lanes[l]);
      } else {
        kth = lane_min[0];  // k == 1 == L
      }
      lower(c, kth);
    }
  }

  /** Calls `hits(rows, count)` with the r in [0, rows) where `col[r]` was <= the column
   *  threshold `*col_thr` or <= the row threshold `row_thr[r]` when the segment holding r was
   *  tested (a superset of the candidates either k-buffer can accept, as thresholds only fall;
   *  the callback applies the exact rule), at most `scan_segment_rows` per call. Each segment
   *  is tested in one tight vector loop that only records lane masks, then its hits are listed
   *  (bit scan), so the hot loop keeps everything in registers. */
  template <class F, class Hits>
  static OSPREY_ALWAYS_INLINE void scan_pair_column(const F* col, const F* row_thr,
                                                    Eigen::Index rows, Hits&& hits_fn,
                                                    const F* col_thr) noexcept {
    using V = kernels::simd_t<F>;
    constexpr auto L = static_cast<Eigen::Index>(sizeof(V) / sizeof(F));
    Eigen::Index list[scan_segment_rows];
    Eigen::Index r = 0;
    if constexpr (L > 1 && 2 * L <= 64) {
      const auto load = [](const F* p) {
        V x;
        std::memcpy(&x, p, sizeof(V));
        return x;
      };
      constexpr Eigen::Index seg = scan_segment_rows / 32;  // chunks of 2 vectors per segment
      while (r + 2 * L <= rows) {
        const Eigen::Index chunks = std::min(seg, (rows - r) / (2 * L));
        std::uint64_t masks[seg];
        std::uint64_t any = 0;
        const V tc = V{} + *col_thr;
        for (Eigen::Index ch = 0; ch < chunks; ++ch) {
          const Eigen::Index at = r + ch * 2 * L;
          // v <= tc or v <= row threshold: one comparison against the larger of the two.
          const V t0 = load(row_thr + at);
          const V t1 = load(row_thr + at + L);
          const std::uint64_t h0 = kernels::le_bits(load(col + at), t0 > tc ? t0 : tc);
          const std::uint64_t h1 = kernels::le_bits(load(col + at + L), t1 > tc ? t1 : tc);
          masks[ch] = h0 | (h1 << L);
          any |= masks[ch];
        }
        if (any != 0) {
          Eigen::Index count = 0;
          for (Eigen::Index ch = 0; ch < chunks; ++ch) {
            for (std::uint64_t bits = masks[ch]; bits != 0; bits &= bits - 1) {
              list[count++] = r + ch * 2 * L + std::countr_zero(bits);
            }
          }
          hits_fn(static_cast<const Eigen::Index*>(list), count);
        }
        r += chunks * 2 * L;
      }
    }
    while (r < rows) {
      Eigen::Index count = 0;
      for (; r < rows && count < scan_segment_rows; ++r) {
        if (col[r] <= *col_thr || col[r] <= row_thr[r]) list[count++] = r;
      }
      if (count > 0) hits_fn(static_cast<const Eigen::Index*>(list), count);
    }
  }

  /** Queries [q0, q0 + mq) against every training row: the tile of estimates
   *  |x|^2 + |q|^2 - 2 x.q on centred rows is one GEMM per block of training rows, and a row
   *  whose estimate is within E of the query's current k-th value is recomputed directly, so the
   *  k-buffers hold exact values. The recheck reads the centred rows (the block the GEMM just
   *  read, in cache) when the query centres exactly too, which gives the same value as the rows
   *  as given; else it reads the rows as given. */
  void search_gemm(const RowMatrix<S>& X, const RowMatrix<S>& Q, Eigen::Index q0, Eigen::Index mq,
                   bool loo, std::vector<kernels::TopK<S>>& tops, const BruteTiles& tiles) const {
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    const Eigen::Index nb = std::min(tiles.gemm_rows, n);
    const RowMatrix<S> Qc = Q.middleRows(q0, mq).rowwise() - center_;
    const Vector<S> qn = Qc.rowwise().squaredNorm();
    // Per query: the rows its rechecks read (centred when the query centres exactly).
    std::vector<const S*> recheck_rows(static_cast<std::size_t>(mq));
    std::vector<const S*> recheck_query(static_cast<std::size_t>(mq));
    for (Eigen::Index c = 0; c < mq; ++c) {
      const S* q = Q.data() + (q0 + c) * d;
      const bool centred = shifts_exactly(q, center_.data(), d);
      recheck_rows[static_cast<std::size_t>(c)] = centred ? centred_.data() : X.data();
      recheck_query[static_cast<std::size_t>(c)] = centred ? Qc.data() + c * d : q;
    }
    Matrix<S> C(nb, mq);
    SerialGemm<S> gemm(nb, mq, d);
    for (Eigen::Index b0 = 0; b0 < n; b0 += nb) {
      const Eigen::Index rows = std::min(nb, n - b0);
      const auto block_norms = norms_.segment(b0, rows);
      const double block_max = static_cast<double>(block_norms.maxCoeff());
      // C(0:rows, :) = |x|^2 + |q|^2 - 2 * X(b0:b0+rows, :) * Q(q0:q0+mq, :)^T: the norms
      // initialise C (instead of zeros) and the GEMM accumulates onto them.
      for (Eigen::Index c = 0; c < mq; ++c) C.col(c).head(rows) = block_norms.array() + qn(c);
      gemm.run(rows, mq, d, centred_.data() + b0 * d, Qc.data(), C.data(), nb, S(-2), true);
      for (Eigen::Index c = 0; c < mq; ++c) {
        const int skip = loo ? static_cast<int>(q0 + c) : -1;
        const S* rows_from = recheck_rows[static_cast<std::size_t>(c)];
        const S* query = recheck_query[static_cast<std::size_t>(c)];
        const double E =
            expansion_margin(d, block_max + static_cast<double>(qn(c)), unit_roundoff<S>);
        kernels::scan_block_checked(C.data() + c * nb, rows, static_cast<int>(b0), skip, E,
                                    tops[static_cast<std::size_t>(c)], [&](int row) {
                                      return fixed_order_sq_dist(rows_from + row * d, query, d);
                                    });
      }
    }
  }

  void search_panels(const RowMatrix<S>& X, const RowMatrix<S>& Q, Eigen::Index q0, Eigen::Index mq,
                     bool loo, std::vector<kernels::TopK<S>>& tops, const BruteTiles& tiles) const {
    constexpr int NR = kernels::panel_rows<S>;
    constexpr int MR = kernels::micro_queries;
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    const Eigen::Index n_panels = (n + NR - 1) / NR;
    const Eigen::Index bytes_per_panel = d * NR * static_cast<Eigen::Index>(sizeof(S));
    const Eigen::Index block_panels =
        std::clamp<Eigen::Index>(tiles.panel_bytes / bytes_per_panel, 1, n_panels);
    const Eigen::Index ldo = block_panels * NR;
    std::vector<S> buf(static_cast<std::size_t>(MR * ldo));
    for (Eigen::Index p0 = 0; p0 < n_panels; p0 += block_panels) {
      const Eigen::Index p1 = std::min(n_panels, p0 + block_panels);
      const Eigen::Index row0 = p0 * NR;
      const Eigen::Index rows = std::min(p1 * NR, n) - row0;
      for (Eigen::Index m0 = 0; m0 < mq; m0 += MR) {
        const Eigen::Index mm = std::min<Eigen::Index>(MR, mq - m0);
        kernels::panels_block<Metric, S>(Q.row(q0 + m0).data(), d, mm, packed_.data(), d, p0, p1,
                                         buf.data(), ldo);
        for (Eigen::Index r = 0; r < mm; ++r) {
          const int skip = loo ? static_cast<int>(q0 + m0 + r) : -1;
          kernels::scan_block(buf.data() + r * ldo, rows, static_cast<int>(row0), skip,
                              tops[static_cast<std::size_t>(m0 + r)]);
        }
      }
    }
  }

  Eigen::Matrix<S, 1, Eigen::Dynamic> center_;  ///< the training mean (Euclidean)
  RowMatrix<S> centred_;                        ///< the training rows minus center_ (Euclidean)
  Vector<S> norms_;                             ///< squared norms of the centred rows (Euclidean)
  std::vector<S> packed_;
};

}  // namespace detail
OSPREY_NAMESPACE_END

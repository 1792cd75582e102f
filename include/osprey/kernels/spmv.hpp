/** \file
 *  Pull-style sparse matrix-vector products over a compressed-rows layout: row `i` gathers
 *  `sum_k values[k] * x[indices[k]]` over `k` in `[offsets[i], offsets[i + 1])`. For a graph
 *  stored by in-edges (CSC of the adjacency, which is CSR of its transpose) a row is a node and
 *  the gather reads its in-neighbours, so each output is written by exactly one thread and no
 *  atomics are needed.
 *
 *  The kernels are stateless and do no validation beyond `OSPREY_ASSERT`: estimators check their
 *  input and call them. Index and offset types are template parameters so callers can use 32-bit
 *  indices when they fit (half the bytes per edge). Each row is summed in a fixed order with four
 *  independent accumulators (more memory-level parallelism for the gathers), so results do not
 *  depend on the thread count.
 *
 *  A second, sliced layout (`SlicedRows`, SELL-C-sigma of Kreutzer, Hager, Wellein, Fehske &
 *  Bishop, SIAM J. Sci. Comput. 36(5), 2014, with C = 16) stores 16 consecutive rows together,
 *  column by column, each row padded to the longest of its slice. One vector load then gives
 *  the next entry of 16 rows, one hardware gather (two of eight doubles) fetches their `x`, and
 *  no per-row loop, row offset or branch is left; when rows are sorted by length (graphs numbered
 *  by in-degree) the padding is a few percent. With AVX-512 the gathers are `vgatherdpd`;
 *  otherwise the same sums are computed lane by lane in the same order.
 */
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "../config.hpp"
#include "../core/parallel.hpp"

OSPREY_NAMESPACE_BEGIN
namespace kernels {

/** A read-only view of compressed rows: `offsets` has `n_rows + 1` entries, `indices` and (when
 *  not null) `values` have `offsets[n_rows]` entries. A null `values` means every entry is 1. */
template <class Offset, class Index, class Value>
struct CompressedRows {
  std::int64_t n_rows = 0;          ///< number of rows
  const Offset* offsets = nullptr;  ///< row starts, `n_rows + 1` entries
  const Index* indices = nullptr;   ///< column of each stored entry
  const Value* values = nullptr;    ///< value of each stored entry, or null for all ones
  /** Number of stored entries. */
  [[nodiscard]] std::int64_t nnz() const noexcept {
    return n_rows == 0 ? 0 : static_cast<std::int64_t>(offsets[n_rows]);
  }
};

/** How far ahead, in entries, `gather_slice` prefetches the index (and value) stream: 4 KiB of
 *  32-bit indices. The hardware prefetcher alone falls behind while the gathers' misses fill the
 *  miss buffers; on R-MAT scale 20 this prefetch takes the sliced SpMV from 4.6 to 3.3 ms on two
 *  cores (docs/benchmarks/pagerank.md). */
inline constexpr std::int64_t kSlicePrefetch = 1024;

/** Prefetches the cache line `ahead` elements past `p` into L1. The address is formed as an
 *  integer, so prefetching past the end of an array (which never faults) is not pointer
 *  arithmetic out of bounds. */
template <class T>
OSPREY_ALWAYS_INLINE void prefetch_ahead(const T* p, std::int64_t ahead) {
#if defined(__GNUC__) || defined(__clang__)
  const auto at =
      reinterpret_cast<std::uintptr_t>(p) + static_cast<std::uintptr_t>(ahead) * sizeof(T);
  __builtin_prefetch(reinterpret_cast<const void*>(at));
#else
  (void)p;
  (void)ahead;
#endif
}

/** How far ahead, in entries, the compressed-rows gathers prefetch their index stream. */
inline constexpr std::int64_t kRowPrefetch = 1024;

/** Sum of `x[indices[k]]` over row `i` of an unweighted pattern, accumulated in `Acc`.
 *  Four accumulators are combined as `(s0 + s1) + (s2 + s3)` then the tail, a fixed order. */
template <class Acc, class Offset, class Index, class X>
[[nodiscard]] OSPREY_ALWAYS_INLINE Acc gather_row(const Offset* OSPREY_RESTRICT offsets,
                                                  const Index* OSPREY_RESTRICT indices,
                                                  const X* OSPREY_RESTRICT x, std::int64_t i) {
  const auto begin = static_cast<std::int64_t>(offsets[i]);
  const auto end = static_cast<std::int64_t>(offsets[i + 1]);
  Acc s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::int64_t k = begin;
  prefetch_ahead(indices + k, kRowPrefetch);
  for (; k + 4 <= end; k += 4) {
    if ((k & 15) == 0) prefetch_ahead(indices + k, kRowPrefetch + 16);
    s0 += static_cast<Acc>(x[indices[k]]);
    s1 += static_cast<Acc>(x[indices[k + 1]]);
    s2 += static_cast<Acc>(x[indices[k + 2]]);
    s3 += static_cast<Acc>(x[indices[k + 3]]);
  }
  Acc s = (s0 + s1) + (s2 + s3);
  for (; k < end; ++k) s += static_cast<Acc>(x[indices[k]]);
  return s;
}

/** Sum of `values[k] * x[indices[k]]` over row `i`, accumulated in `Acc`, in the same fixed order
 *  as `gather_row`. */
template <class Acc, class Offset, class Index, class Value, class X>
[[nodiscard]] OSPREY_ALWAYS_INLINE Acc gather_row_weighted(const Offset* OSPREY_RESTRICT offsets,
                                                           const Index* OSPREY_RESTRICT indices,
                                                           const Value* OSPREY_RESTRICT values,
                                                           const X* OSPREY_RESTRICT x,
                                                           std::int64_t i) {
  const auto begin = static_cast<std::int64_t>(offsets[i]);
  const auto end = static_cast<std::int64_t>(offsets[i + 1]);
  Acc s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::int64_t k = begin;
  for (; k + 4 <= end; k += 4) {
    s0 += static_cast<Acc>(values[k]) * static_cast<Acc>(x[indices[k]]);
    s1 += static_cast<Acc>(values[k + 1]) * static_cast<Acc>(x[indices[k + 1]]);
    s2 += static_cast<Acc>(values[k + 2]) * static_cast<Acc>(x[indices[k + 2]]);
    s3 += static_cast<Acc>(values[k + 3]) * static_cast<Acc>(x[indices[k + 3]]);
  }
  Acc s = (s0 + s1) + (s2 + s3);
  for (; k < end; ++k) s += static_cast<Acc>(values[k]) * static_cast<Acc>(x[indices[k]]);
  return s;
}

/** Computes every row sum of rows `[begin, end)` and hands it to `epilogue(i, sum)`, which
 *  decides what to store (a plain product writes `y[i] = sum`; PageRank fuses its update there).
 *  Complexity: O(rows + nnz in the range). Thread safety: reads only; `epilogue` must be safe for
 *  the caller's concurrency. */
template <class Acc, class Offset, class Index, class Value, class X, class Epilogue>
OSPREY_ALWAYS_INLINE void spmv_pull_rows(const CompressedRows<Offset, Index, Value>& A,
                                         const X* OSPREY_RESTRICT x, std::int64_t begin,
                                         std::int64_t end, Epilogue&& epilogue) {
  OSPREY_ASSERT(begin >= 0 && begin <= end && end <= A.n_rows, "row range out of bounds");
  if (A.values == nullptr) {
    for (std::int64_t i = begin; i < end; ++i) {
      epilogue(i, gather_row<Acc>(A.offsets, A.indices, x, i));
    }
  } else {
    for (std::int64_t i = begin; i < end; ++i) {
      epilogue(i, gather_row_weighted<Acc>(A.offsets, A.indices, A.values, x, i));
    }
  }
}

/** Splits rows `[0, n_rows)` into at most `n_blocks` contiguous ranges of about equal work
 *  (`row_cost * rows + nnz`), returned as `n + 1` boundaries. The split depends only on the matrix
 *  and `n_blocks`, never on the thread count, so per-block partial sums reduce
 *  deterministically. For a `SlicedRows` pass its slice offsets, slice count and
 *  `row_cost = kSliceRows`. Complexity: O(n_blocks log n_rows). */
template <class Offset>
[[nodiscard]] std::vector<std::int64_t> balanced_row_blocks(const Offset* offsets,
                                                            std::int64_t n_rows,
                                                            std::int64_t n_blocks,
                                                            std::int64_t row_cost = 1) {
  n_blocks = std::max<std::int64_t>(1, std::min(n_blocks, std::max<std::int64_t>(1, n_rows)));
  const auto nnz = static_cast<std::int64_t>(offsets[n_rows]);
  const std::int64_t total = row_cost * n_rows + nnz;
  std::vector<std::int64_t> bounds{0};
  for (std::int64_t b = 1; b < n_blocks; ++b) {
    const std::int64_t target = total * b / n_blocks;
    // First row r with row_cost * r + offsets[r] >= target (work before row r).
    std::int64_t lo = bounds.back(), hi = n_rows;
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (row_cost * mid + static_cast<std::int64_t>(offsets[mid]) < target) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo > bounds.back() && lo < n_rows) bounds.push_back(lo);
  }
  bounds.push_back(n_rows);
  return bounds;
}

/** `y = A x` with rows computed in parallel (pull-based, no atomics): OpenMP over the blocks of
 *  `blocks` (from `balanced_row_blocks`), dynamically scheduled because row lengths are skewed.
 *  \param n_threads threads to use, 0 for all. Complexity: O(rows + nnz); memory traffic is one
 *  pass over the offsets, indices and values, a gather of x and a write of y.
 *  Thread safety: `y` must not alias `x`. */
template <class Offset, class Index, class Value, class X, class Y>
void spmv_pull(const CompressedRows<Offset, Index, Value>& A, const X* x, Y* y,
               const std::vector<std::int64_t>& blocks, int n_threads = 0) {
  OSPREY_ASSERT(blocks.size() >= 2 && blocks.back() == A.n_rows, "blocks must cover the rows");
  const auto n_blocks = static_cast<std::int64_t>(blocks.size()) - 1;
  detail::parallel_for_dynamic(std::int64_t{0}, n_blocks, n_threads, [&](std::int64_t b) {
    spmv_pull_rows<Y>(A, x, blocks[static_cast<std::size_t>(b)],
                      blocks[static_cast<std::size_t>(b) + 1],
                      [y](std::int64_t i, Y sum) { y[i] = sum; });
  });
}

/** Rows per slice of the sliced layout (`SlicedRows`): two AVX-512 vectors of doubles. */
inline constexpr std::int64_t kSliceRows = 16;

/** A read-only view of rows in the sliced layout (SELL-16): rows `16 q .. 16 q + 15` form slice
 *  `q`, whose entries are `[offsets[q], offsets[q + 1])`, a multiple of 16: entry `e` of the
 *  slice's row `16 q + j` is at `offsets[q] + 16 e + j`. Rows shorter than the slice's longest
 *  are padded with index `n_cols` (and value 0), so the vector gathered must hold `n_cols + 1`
 *  entries with `x[n_cols] == 0`. Rows past `n_rows` in the last slice are padding throughout.
 *  A null `values` means every stored entry is 1. */
template <class Offset, class Index, class Value>
struct SlicedRows {
  std::int64_t n_rows = 0;          ///< number of rows
  std::int64_t n_cols = 0;          ///< number of columns; also the padding index
  const Offset* offsets = nullptr;  ///< slice starts, `n_slices() + 1` entries
  const Index* indices = nullptr;   ///< column of each entry, slice by slice, column-major
  const Value* values = nullptr;    ///< value of each entry, or null for all ones
  /** Number of slices, `ceil(n_rows / 16)`. */
  [[nodiscard]] std::int64_t n_slices() const noexcept {
    return (n_rows + kSliceRows - 1) / kSliceRows;
  }
};

/** Entries the sliced layout of `A` needs: for every slice, 16 times its longest row.
 *  Complexity: O(n_rows). */
template <class Offset, class Index, class Value>
[[nodiscard]] std::int64_t sliced_size(const CompressedRows<Offset, Index, Value>& A) {
  std::int64_t total = 0;
  for (std::int64_t r0 = 0; r0 < A.n_rows; r0 += kSliceRows) {
    std::int64_t width = 0;
    for (std::int64_t i = r0; i < std::min(r0 + kSliceRows, A.n_rows); ++i) {
      width = std::max(width, static_cast<std::int64_t>(A.offsets[i + 1] - A.offsets[i]));
    }
    total += kSliceRows * width;
  }
  return total;
}

/** Copies compressed rows into the sliced layout: `offsets` gets `n_slices + 1` slice starts,
 *  `indices` (and `values` when `A.values` is not null) the padded entries, padding index
 *  `n_cols`. \pre `sliced_size(A)` and `n_cols` fit in `Offset` and `Index`. Complexity:
 *  O(n_rows + sliced_size(A)). */
template <class Offset, class Index, class Value>
void slice_rows(const CompressedRows<Offset, Index, Value>& A, std::int64_t n_cols,
                std::vector<Offset>& offsets, std::vector<Index>& indices,
                std::vector<Value>& values) {
  const std::int64_t total = sliced_size(A);
  OSPREY_ASSERT(static_cast<std::uint64_t>(total) <= std::numeric_limits<Offset>::max() &&
                    static_cast<std::uint64_t>(n_cols) <= std::numeric_limits<Index>::max(),
                "sliced layout does not fit the index type");
  const std::int64_t n_slices = (A.n_rows + kSliceRows - 1) / kSliceRows;
  offsets.assign(static_cast<std::size_t>(n_slices) + 1, Offset{0});
  indices.assign(static_cast<std::size_t>(total), static_cast<Index>(n_cols));
  values.assign(A.values != nullptr ? static_cast<std::size_t>(total) : 0, Value{0});
  std::int64_t at = 0;
  for (std::int64_t q = 0; q < n_slices; ++q) {
    const std::int64_t r0 = q * kSliceRows;
    std::int64_t width = 0;
    for (std::int64_t j = 0; j < kSliceRows && r0 + j < A.n_rows; ++j) {
      const std::int64_t i = r0 + j;
      const auto begin = static_cast<std::int64_t>(A.offsets[i]);
      const auto len = static_cast<std::int64_t>(A.offsets[i + 1]) - begin;
      width = std::max(width, len);
      for (std::int64_t e = 0; e < len; ++e) {
        const auto to = static_cast<std::size_t>(at + kSliceRows * e + j);
        indices[to] = A.indices[begin + e];
        if (A.values != nullptr) values[to] = A.values[begin + e];
      }
    }
    at += kSliceRows * width;
    offsets[static_cast<std::size_t>(q) + 1] = static_cast<Offset>(at);
  }
}

/** The 16 row sums of slice `q`: `sums[j] = sum_e values * x[indices]` over row `16 q + j`,
 *  each row accumulated in entry order in one double (an unweighted sum gives the same bits on
 *  every code path; a weighted one may differ in the last bit where the compiler forms FMAs).
 *  Padding contributes `x[n_cols] * 0` or `x[n_cols]`, i.e. 0. */
template <class Offset, class Index, class Value>
OSPREY_ALWAYS_INLINE void gather_slice(const SlicedRows<Offset, Index, Value>& A,
                                       const double* OSPREY_RESTRICT x, std::int64_t q,
                                       double* OSPREY_RESTRICT sums) {
  const auto begin = static_cast<std::int64_t>(A.offsets[q]);
  const auto end = static_cast<std::int64_t>(A.offsets[q + 1]);
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<Index, std::uint32_t> &&
                (std::is_same_v<Value, double> || std::is_same_v<Value, float>)) {
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    for (std::int64_t k = begin; k < end; k += kSliceRows) {
      prefetch_ahead(A.indices + k, kSlicePrefetch);
      const __m512i idx = _mm512_loadu_si512(A.indices + k);
      const __m512d g_lo = _mm512_i32gather_pd(_mm512_castsi512_si256(idx), x, 8);
      const __m512d g_hi = _mm512_i32gather_pd(_mm512_extracti64x4_epi64(idx, 1), x, 8);
      if (A.values == nullptr) {
        lo = _mm512_add_pd(lo, g_lo);
        hi = _mm512_add_pd(hi, g_hi);
      } else {
        __m512d w_lo, w_hi;
        prefetch_ahead(A.values + k, kSlicePrefetch);
        if constexpr (std::is_same_v<Value, double>) {
          w_lo = _mm512_loadu_pd(A.values + k);
          w_hi = _mm512_loadu_pd(A.values + k + 8);
          prefetch_ahead(A.values + k + 8, kSlicePrefetch);
        } else {
          w_lo = _mm512_cvtps_pd(_mm256_loadu_ps(A.values + k));
          w_hi = _mm512_cvtps_pd(_mm256_loadu_ps(A.values + k + 8));
        }
        lo = _mm512_fmadd_pd(w_lo, g_lo, lo);
        hi = _mm512_fmadd_pd(w_hi, g_hi, hi);
      }
    }
    _mm512_storeu_pd(sums, lo);
    _mm512_storeu_pd(sums + 8, hi);
    return;
  }
#endif
  double acc[kSliceRows] = {};
  for (std::int64_t k = begin; k < end; k += kSliceRows) {
    prefetch_ahead(A.indices + k, kSlicePrefetch);
    if (A.values != nullptr) {
      for (std::int64_t j = 0; j < kSliceRows; j += 64 / static_cast<std::int64_t>(sizeof(Value))) {
        prefetch_ahead(A.values + k + j, kSlicePrefetch);
      }
    }
    for (std::int64_t j = 0; j < kSliceRows; ++j) {
      const double v = x[A.indices[k + j]];
      acc[j] += A.values == nullptr ? v : static_cast<double>(A.values[k + j]) * v;
    }
  }
  for (std::int64_t j = 0; j < kSliceRows; ++j) sums[j] = acc[j];
}

/** `y = A x` over a sliced layout, slices computed in parallel as in `spmv_pull` (`blocks` from
 *  `balanced_row_blocks(A.offsets, A.n_slices(), n, kSliceRows)`, in slices). `x` has
 *  `A.n_cols + 1` entries, the last 0; `y` has `A.n_rows`. Complexity: O(sliced entries + rows).
 *  Thread safety: `y` must not alias `x`. */
template <class Offset, class Index, class Value, class Y>
void spmv_pull_sliced(const SlicedRows<Offset, Index, Value>& A, const double* x, Y* y,
                      const std::vector<std::int64_t>& blocks, int n_threads = 0) {
  OSPREY_ASSERT(blocks.size() >= 2 && blocks.back() == A.n_slices(),
                "blocks must cover the slices");
  OSPREY_ASSERT(x[A.n_cols] == 0.0, "the padding entry x[n_cols] must be 0");
  const auto n_blocks = static_cast<std::int64_t>(blocks.size()) - 1;
  detail::parallel_for_dynamic(std::int64_t{0}, n_blocks, n_threads, [&](std::int64_t b) {
    const auto bz = static_cast<std::size_t>(b);
    for (std::int64_t q = blocks[bz]; q < blocks[bz + 1]; ++q) {
      double sums[kSliceRows];
      gather_slice(A, x, q, sums);
      const std::int64_t r0 = q * kSliceRows;
      const std::int64_t rows = std::min(kSliceRows, A.n_rows - r0);
      for (std::int64_t j = 0; j < rows; ++j) y[r0 + j] = static_cast<Y>(sums[j]);
    }
  });
}

}  // namespace kernels
OSPREY_NAMESPACE_END

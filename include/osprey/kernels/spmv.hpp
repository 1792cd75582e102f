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
 *  The gathers prefetch their stream of indices (and values) `kRowPrefetch` entries ahead:
 *  while the scattered reads of `x` keep the core's miss buffers full, the hardware prefetcher
 *  falls behind on that sequential stream and every row then waits on memory for its indices.
 *
 *  Cost: O(nnz + n) per product, one pass over offsets, indices and values plus one gather of
 *  `x` per stored entry (memory-bound: about 8-12 bytes per edge). Thread-safety: the kernels
 *  write only their output rows, each row by one thread; concurrent calls on distinct outputs
 *  are safe.
 */
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "../config.hpp"
#include "../core/parallel.hpp"
#include "prefetch.hpp"

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

/** How far ahead, in entries, the gathers prefetch their index and value streams: 4 KiB of
 *  32-bit indices. A machine-specific constant; its measured sensitivity (PageRank on R-MAT
 *  scale 20, docs/benchmarks/pagerank.md): on a second 2-core VM, one thread, 256 / 512 / 1024
 *  / 2048 / 4096 entries all ran within 10% of each other; two threads, 512 and 2048 (halved and
 *  doubled) within 4% of 1024. Earlier two-thread runs on the first VM put 512 or 2048 at
 *  +5-30%, 128 at +50-60% and no prefetch at +45-95%: too long costs less than too short, so
 *  the distance sits on the long side. */
inline constexpr std::int64_t kRowPrefetch = 1024;

/** Prefetches the 16 entries `kRowPrefetch` past `k` in `data`. */
template <class T>
OSPREY_ALWAYS_INLINE void prefetch_stream(const T* data, std::int64_t k) {
  prefetch_range(data + k, 16, kRowPrefetch);
}

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
  prefetch_stream(indices, k);  // a short row needs no more; a long one every 16 entries
  for (; k + 4 <= end; k += 4) {
    if (((k - begin) & 15) == 12) prefetch_stream(indices, k + 4);
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
  prefetch_stream(indices, k);
  prefetch_stream(values, k);
  for (; k + 4 <= end; k += 4) {
    if (((k - begin) & 15) == 12) {
      prefetch_stream(indices, k + 4);
      prefetch_stream(values, k + 4);
    }
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
 *  (`rows + nnz`), returned as `n + 1` boundaries. The split depends only on the matrix and
 *  `n_blocks`, never on the thread count, so per-block partial sums reduce deterministically.
 *  Complexity: O(n_blocks log n_rows). */
template <class Offset>
[[nodiscard]] std::vector<std::int64_t> balanced_row_blocks(const Offset* offsets,
                                                            std::int64_t n_rows,
                                                            std::int64_t n_blocks) {
  n_blocks = std::max<std::int64_t>(1, std::min(n_blocks, std::max<std::int64_t>(1, n_rows)));
  const auto nnz = static_cast<std::int64_t>(offsets[n_rows]);
  const std::int64_t total = n_rows + nnz;
  std::vector<std::int64_t> bounds{0};
  for (std::int64_t b = 1; b < n_blocks; ++b) {
    const std::int64_t target = total * b / n_blocks;
    // First row r with r + offsets[r] >= target (work before row r).
    std::int64_t lo = bounds.back(), hi = n_rows;
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (mid + static_cast<std::int64_t>(offsets[mid]) < target) {
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

}  // namespace kernels
OSPREY_NAMESPACE_END

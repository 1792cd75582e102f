/** \file
 *  Software prefetch (internal): one place for the compiler builtin, so kernels need no `#if`.
 *
 *  Used where the hardware prefetcher cannot help or falls behind: rows read in random order
 *  (the SMOTE synthesis) and a sequential stream consumed while scattered reads keep the miss
 *  buffers full (the SpMV gathers; docs/benchmarks/pagerank.md). Without the builtin the
 *  functions do nothing.
 *
 *  Cost: one prefetch instruction per call (per cache line for a range); no memory is read
 *  architecturally. Thread-safety: no state, safe from any thread.
 */
#pragma once

#include <cstddef>
#include <cstdint>

#include "../config.hpp"

OSPREY_NAMESPACE_BEGIN
namespace kernels {

/** Bytes in a cache line, the prefetch granularity. */
inline constexpr std::size_t cache_line_bytes = 64;

/** Prefetches the cache line `ahead` elements past `p` into L1. The address is formed as an
 *  integer, so prefetching past the end of an array (which never faults) is not pointer
 *  arithmetic out of bounds. */
template <class T>
OSPREY_ALWAYS_INLINE void prefetch_ahead(const T* p, std::int64_t ahead = 0) {
#if defined(__GNUC__) || defined(__clang__)
  const auto at =
      reinterpret_cast<std::uintptr_t>(p) + static_cast<std::uintptr_t>(ahead) * sizeof(T);
  __builtin_prefetch(reinterpret_cast<const void*>(at));
#else
  (void)p;
  (void)ahead;
#endif
}

/** Prefetches every cache line of `p[ahead .. ahead + count)` (past the end is allowed, as in
 *  `prefetch_ahead`). */
template <class T>
OSPREY_ALWAYS_INLINE void prefetch_range(const T* p, std::int64_t count, std::int64_t ahead = 0) {
  constexpr auto step = static_cast<std::int64_t>(cache_line_bytes / sizeof(T));
  for (std::int64_t j = 0; j < count; j += step) prefetch_ahead(p, ahead + j);
}

}  // namespace kernels
OSPREY_NAMESPACE_END

/** \file
 *  Streaming (non-temporal) stores for outputs much larger than the caches (internal).
 *
 *  A normal store to a line that is not cached first reads the line from memory (write
 *  allocate), so writing a fresh 30 MB output moves 60 MB. A streaming store writes the line
 *  without reading it, and does not evict useful data on the way. The writer calls
 *  `stream_fence()` before another thread may read what it streamed.
 *
 *  x86 with SSE2 / AVX / AVX-512 streams one SIMD register at a time; elsewhere (and for
 *  other element types) the functions are plain stores, so callers need no second path.
 *
 *  Cost: one store per SIMD register written, no read of the destination. Thread-safety: no
 *  state; writers to disjoint ranges may run concurrently, and each fences before publishing.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "../config.hpp"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

OSPREY_NAMESPACE_BEGIN
namespace kernels {

/** Bytes per streaming store (0 when the target has none). */
#if defined(__AVX512F__)
inline constexpr std::size_t stream_bytes = 64;
#elif defined(__AVX__)
inline constexpr std::size_t stream_bytes = 32;
#elif defined(__SSE2__)
inline constexpr std::size_t stream_bytes = 16;
#else
inline constexpr std::size_t stream_bytes = 0;
#endif

/** Values of T per streaming store (1 when T cannot be streamed). */
template <class T>
inline constexpr std::size_t stream_width = (stream_bytes > 0 && (std::is_same_v<T, float> ||
                                                                  std::is_same_v<T, double>))
                                                ? stream_bytes / sizeof(T)
                                                : 1;

/** Stores `values[0 .. stream_width<T>)` at `dst`, which must be `stream_bytes`-aligned, bypassing
 *  the caches (a plain store when stream_width<T> is 1). */
template <class T>
OSPREY_ALWAYS_INLINE void stream_store(T* dst, const T* values) noexcept {
  if constexpr (stream_width<T> == 1) {
    *dst = *values;
  } else {
    constexpr bool pd = std::is_same_v<T, double>;
#if defined(__AVX512F__)
    if constexpr (pd)
      _mm512_stream_pd(dst, _mm512_loadu_pd(values));
    else
      _mm512_stream_ps(dst, _mm512_loadu_ps(values));
#elif defined(__AVX__)
    if constexpr (pd)
      _mm256_stream_pd(dst, _mm256_loadu_pd(values));
    else
      _mm256_stream_ps(dst, _mm256_loadu_ps(values));
#elif defined(__SSE2__)
    if constexpr (pd)
      _mm_stream_pd(dst, _mm_loadu_pd(values));
    else
      _mm_stream_ps(dst, _mm_loadu_ps(values));
#endif
  }
}

/** Orders this thread's streaming stores before its later stores (call before other threads
 *  may read the streamed data). */
OSPREY_ALWAYS_INLINE void stream_fence() noexcept {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

/** True when `p` is aligned for a streaming store. */
template <class T>
[[nodiscard]] OSPREY_ALWAYS_INLINE bool stream_aligned(const T* p) noexcept {
  if constexpr (stream_bytes == 0) {
    return true;
  } else {
    return reinterpret_cast<std::uintptr_t>(p) % stream_bytes == 0;
  }
}

}  // namespace kernels
OSPREY_NAMESPACE_END

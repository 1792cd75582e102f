/** \file
 *  OpenMP helpers that honour an estimator's `n_threads` (0 = all) and compile to serial loops
 *  when OpenMP is off. Work is split statically into fixed chunks so that, combined with
 *  `Rng::split`, results are identical on any thread count.
 */
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>

#include "../config.hpp"

#if defined(OSPREY_USE_OPENMP)
#include <omp.h>
#endif

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** True when osprey was compiled with OpenMP. */
inline constexpr bool has_openmp =
#if defined(OSPREY_USE_OPENMP)
    true;
#else
    false;
#endif

/** The number of threads a loop will use for a requested `n_threads` (0 = all available). */
[[nodiscard]] inline int resolve_threads(int n_threads) noexcept {
#if defined(OSPREY_USE_OPENMP)
  if (n_threads <= 0) return std::max(1, omp_get_max_threads());
  return n_threads;
#else
  (void)n_threads;
  return 1;
#endif
}

/** Calls `body(i)` for every i in [begin, end) on up to `n_threads` threads (static schedule,
 *  so iteration i always lands in the same contiguous chunk for a given thread count). An
 *  exception thrown by `body` is caught inside the region and the first one is rethrown after
 *  the loop; validate before the loop where possible. */
template <class Index, class Body>
void parallel_for(Index begin, Index end, int n_threads, Body&& body) {
  if (end <= begin) return;
#if defined(OSPREY_USE_OPENMP)
  const int threads = resolve_threads(n_threads);
  if (threads > 1 && end - begin > 1) {
    const auto n = static_cast<std::int64_t>(end - begin);
    std::exception_ptr error;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (std::int64_t i = 0; i < n; ++i) {
      try {
        body(static_cast<Index>(begin + static_cast<Index>(i)));
      } catch (...) {
#pragma omp critical(osprey_parallel_error)
        if (!error) error = std::current_exception();
      }
    }
    if (error) std::rethrow_exception(error);
    return;
  }
#else
  (void)n_threads;
#endif
  for (Index i = begin; i < end; ++i) body(i);
}

/** Calls `body(lo, hi)` for consecutive ranges of `chunk` indices (the last one shorter)
 *  covering [0, n), in parallel as `parallel_for`: for loops whose iterations are too cheap to
 *  schedule one by one, or that set up a buffer once per range. */
template <class Index, class Body>
void parallel_for_ranges(Index n, Index chunk, int n_threads, Body&& body) {
  parallel_for(Index{0}, (n + chunk - 1) / chunk, n_threads,
               [&](Index c) { body(c * chunk, std::min(n, (c + 1) * chunk)); });
}

/** Like `parallel_for` with a dynamic schedule, for iterations of uneven cost. Results must not
 *  depend on which thread runs an iteration. */
template <class Index, class Body>
void parallel_for_dynamic(Index begin, Index end, int n_threads, Body&& body) {
  if (end <= begin) return;
#if defined(OSPREY_USE_OPENMP)
  const int threads = resolve_threads(n_threads);
  if (threads > 1 && end - begin > 1) {
    const auto n = static_cast<std::int64_t>(end - begin);
    std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::int64_t i = 0; i < n; ++i) {
      try {
        body(static_cast<Index>(begin + static_cast<Index>(i)));
      } catch (...) {
#pragma omp critical(osprey_parallel_error)
        if (!error) error = std::current_exception();
      }
    }
    if (error) std::rethrow_exception(error);
    return;
  }
#else
  (void)n_threads;
#endif
  for (Index i = begin; i < end; ++i) body(i);
}

/** The index of the calling thread inside a parallel loop (0 outside one). */
[[nodiscard]] inline int thread_index() noexcept {
#if defined(OSPREY_USE_OPENMP)
  return omp_get_thread_num();
#else
  return 0;
#endif
}

}  // namespace detail
OSPREY_NAMESPACE_END

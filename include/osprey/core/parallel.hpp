/** \file
 *  OpenMP helpers that honour an estimator's `n_threads` (0 = `max_threads()`, capped by a
 *  `ThreadLimit`: core/threads.hpp) and compile to serial loops when OpenMP is off. Work is split
 * statically into fixed chunks so that, combined with `Rng::split`, results are identical on any
 * thread count.
 */
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>

#include "../config.hpp"
#include "threads.hpp"

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

/** Runs `f()` and returns the exception it threw (null if none): an exception must not leave an
 *  OpenMP structured block or task (the program would terminate), so parallel code captures it
 *  with this and rethrows after the region (see parallel_for, fork_join). */
template <class F>
[[nodiscard]] std::exception_ptr capture_exception(F&& f) noexcept {
  try {
    f();
    return nullptr;
  } catch (...) {
    return std::current_exception();
  }
}

/** Runs `left()` as an OpenMP task (when called inside task_region with OpenMP on, else
 *  inline) and `right()` on this thread, waits for both, then rethrows the first exception of
 *  either (left's first). Neither returns while the other still runs, so both may refer to
 *  this frame's locals. */
template <class Left, class Right>
void fork_join(Left&& left, Right&& right) {
  std::exception_ptr left_error;
#if defined(OSPREY_USE_OPENMP)
#pragma omp task default(shared)
#endif
  left_error = capture_exception(left);
  const std::exception_ptr right_error = capture_exception(right);
#if defined(OSPREY_USE_OPENMP)
#pragma omp taskwait
#endif
  if (left_error) std::rethrow_exception(left_error);
  if (right_error) std::rethrow_exception(right_error);
}

/** Runs `f()` on one thread of a team of `threads` (OpenMP `parallel` + `single`), so the
 *  fork_join calls under it run as tasks; an exception from `f` (or a task) is rethrown here,
 *  after the region. Without OpenMP, calls `f()`. */
template <class F>
void task_region(int threads, F&& f) {
#if defined(OSPREY_USE_OPENMP)
  std::exception_ptr error;
  int team = 1;
#pragma omp parallel num_threads(threads)
#pragma omp single
  {
    team = omp_get_num_threads();
    error = capture_exception(f);
  }
  note_team(team);
  if (error) std::rethrow_exception(error);
#else
  (void)threads;
  f();
#endif
}

/** Calls `body(i)` for every i in [begin, end) on up to `n_threads` threads, with OpenMP's
 *  dynamic schedule (one iteration at a time) when `Dynamic`, else its static one. An exception
 *  thrown by `body` is caught inside the region, the iterations not yet started are skipped
 *  (a cancelled loop does not throw once per iteration) and the first one is rethrown after the
 *  loop. */
template <bool Dynamic, class Index, class Body>
void parallel_loop(Index begin, Index end, int n_threads, Body&& body) {
  if (end <= begin) return;
#if defined(OSPREY_USE_OPENMP)
  const int threads = resolve_threads(n_threads);
  if (threads > 1 && end - begin > 1) {
    const auto n = static_cast<std::int64_t>(end - begin);
    std::exception_ptr error;
    std::atomic<bool> failed{false};
    int team = 1;
    const auto run = [&](std::int64_t i) {
      if (i == 0) team = omp_get_num_threads();
      if (failed.load(std::memory_order_relaxed)) return;
      try {
        body(static_cast<Index>(begin + static_cast<Index>(i)));
      } catch (...) {
        failed.store(true, std::memory_order_relaxed);
#pragma omp critical(osprey_parallel_error)
        if (!error) error = std::current_exception();
      }
    };
    if constexpr (Dynamic) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
      for (std::int64_t i = 0; i < n; ++i) run(i);
    } else {
#pragma omp parallel for schedule(static) num_threads(threads)
      for (std::int64_t i = 0; i < n; ++i) run(i);
    }
    note_team(team);
    if (error) std::rethrow_exception(error);
    return;
  }
#else
  (void)n_threads;
#endif
  for (Index i = begin; i < end; ++i) body(i);
}

/** Calls `body(i)` for every i in [begin, end) on up to `n_threads` threads (static schedule,
 *  so iteration i always lands in the same contiguous chunk for a given thread count). An
 *  exception thrown by `body` is caught inside the region and the first one is rethrown after
 *  the loop; validate before the loop where possible. */
template <class Index, class Body>
void parallel_for(Index begin, Index end, int n_threads, Body&& body) {
  parallel_loop<false>(begin, end, n_threads, body);
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
  parallel_loop<true>(begin, end, n_threads, body);
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

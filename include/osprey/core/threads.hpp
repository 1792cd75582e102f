/** \file
 *  Thread control for osprey inside a service: the process-wide default behind `n_threads = 0`
 *  and an RAII cap for the calls made by one thread in a scope.
 *
 *  Every parallel path of osprey goes through core/parallel.hpp, which asks
 *  `detail::resolve_threads` for its team size: an estimator's `n_threads` when positive, else
 *  `max_threads()`, and in both cases at most the innermost `ThreadLimit` of the calling thread.
 *  Without OpenMP every call runs on the calling thread and these settings have no effect.
 *
 *  Thread-safety: `max_threads` and `set_max_threads` may be called from any thread at any time
 *  (an atomic); a call already running keeps the team size it started with. `ThreadLimit` acts
 *  on the thread that constructs it only.
 */
#pragma once

#include <algorithm>
#include <atomic>

#include "../config.hpp"
#include "error.hpp"

#if defined(OSPREY_USE_OPENMP)
#include <omp.h>
#endif

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** 0 = not set: the OpenMP default (`omp_get_max_threads()` of the calling thread). */
inline std::atomic<int> process_max_threads{0};
/** The innermost ThreadLimit of this thread (0 = none). */
inline thread_local int thread_cap = 0;

}  // namespace detail

/** The number of threads a call with `n_threads = 0` uses: the value last passed to
 *  `set_max_threads`, else OpenMP's default (`OMP_NUM_THREADS`, or the number of cores). Always
 *  1 when osprey is built without OpenMP. */
[[nodiscard]] inline int max_threads() noexcept {
#if defined(OSPREY_USE_OPENMP)
  const int set = detail::process_max_threads.load(std::memory_order_relaxed);
  return set > 0 ? set : std::max(1, omp_get_max_threads());
#else
  return 1;
#endif
}

/** Sets the process-wide default behind `n_threads = 0`; `n = 0` restores OpenMP's default.
 *  \throws InvalidArgument if `n < 0`. */
inline void set_max_threads(int n) {
  if (n < 0) throw InvalidArgument("set_max_threads: n must be >= 0 (0 = OpenMP's default)");
  detail::process_max_threads.store(n, std::memory_order_relaxed);
}

/** Caps the threads of every osprey call made by this thread while the object lives, whatever
 *  the call's `n_threads` or `max_threads()` say. Limits nest: the innermost one applies, and a
 *  limit can lower the cap of an enclosing one but never raise it.
 *  \code
 *  { osprey::ThreadLimit one(1); model.predict(X); }   // runs on the calling thread only
 *  \endcode */
class ThreadLimit {
 public:
  /** \throws InvalidArgument if `n < 1`. */
  explicit ThreadLimit(int n) : previous_(detail::thread_cap) {
    if (n < 1) throw InvalidArgument("ThreadLimit: n must be >= 1");
    detail::thread_cap = previous_ > 0 ? std::min(previous_, n) : n;
  }
  ~ThreadLimit() { detail::thread_cap = previous_; }
  ThreadLimit(const ThreadLimit&) = delete;
  ThreadLimit& operator=(const ThreadLimit&) = delete;

 private:
  int previous_;
};

namespace detail {

/** The team size of a parallel section for a requested `n_threads` (0 = `max_threads()`),
 *  capped by the calling thread's ThreadLimit; 1 without OpenMP. */
[[nodiscard]] inline int resolve_threads(int n_threads) noexcept {
#if defined(OSPREY_USE_OPENMP)
  int threads = n_threads > 0 ? n_threads : max_threads();
  if (thread_cap > 0) threads = std::min(threads, thread_cap);
  return std::max(1, threads);
#else
  (void)n_threads;
  return 1;
#endif
}

/** The largest team a parallel section started by this thread has run with since the last
 *  `reset_team_peak()`: what the tests use to check that thread settings are honoured. */
inline thread_local int team_peak = 0;

/** Forgets the recorded team size (see team_peak). */
inline void reset_team_peak() noexcept { team_peak = 0; }

/** Records that a parallel section started by this thread ran with `team` threads. */
inline void note_team(int team) noexcept { team_peak = std::max(team_peak, team); }

}  // namespace detail
OSPREY_NAMESPACE_END

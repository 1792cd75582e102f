/** \file
 *  Cooperative cancellation of long calls.
 *
 *  A `CancellationToken` is a handle: copies share one flag, so a service keeps one copy and
 *  puts another into an estimator's Params (`params.cancellation`) or a metric's `Execution`.
 *  Calling `cancel()` from any thread makes the running call throw `osprey::Cancelled` at its
 *  next check; the long loops check at least every few milliseconds of work, so a call stops
 *  within ~100 ms. A cancelled token stays cancelled until `reset()`, which re-arms it (and
 *  every copy) for the next call, so a model whose Params hold the token need not be refitted.
 *
 *  Thread-safety: `cancel` and `cancelled` may be called concurrently from any threads.
 */
#pragma once

#include <atomic>
#include <memory>

#include "../config.hpp"
#include "error.hpp"
#include "validation.hpp"

OSPREY_NAMESPACE_BEGIN

/** A shared flag that asks running osprey calls to stop (see the file comment). */
class CancellationToken {
 public:
  CancellationToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}

  /** Asks every call holding a copy of this token to stop. */
  void cancel() noexcept { flag_->store(true, std::memory_order_relaxed); }

  /** Clears the flag of this token and every copy, for the next call. Call it only when no
   *  call holding the token is running (a running call may or may not have seen the cancel). */
  void reset() noexcept { flag_->store(false, std::memory_order_relaxed); }

  /** True once `cancel()` was called on this token or a copy. */
  [[nodiscard]] bool cancelled() const noexcept { return flag_->load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

namespace detail {

/** Throws `Cancelled("<where>: cancelled")` if `token` was cancelled. */
inline void throw_if_cancelled(const CancellationToken& token, const char* where) {
  if (token.cancelled()) throw Cancelled(concat(where, ": cancelled"));
}

}  // namespace detail
OSPREY_NAMESPACE_END

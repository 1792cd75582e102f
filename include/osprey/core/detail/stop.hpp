/** \file
 *  How the long internal loops poll a `CancellationToken` (internal): `detail::Stop` carries
 *  the caller's token and the name of the public call, so a kernel deep inside a search can
 *  throw `Cancelled("<Class>::<method>: cancelled")` between two blocks of work. A default
 *  `Stop` never stops. Polling is one relaxed atomic load.
 */
#pragma once

#include <exception>
#include <string_view>
#include <utility>

#include "../../config.hpp"
#include "../cancel.hpp"
#include "../error.hpp"
#include "../validation.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** A token to poll and the name of the call it stops (see the file comment). */
struct Stop {
  const CancellationToken* token = nullptr;  ///< null: never stops
  const char* where = "osprey";              ///< "<Class>::<method>" for the message

  /** True once the token was cancelled. */
  [[nodiscard]] bool requested() const noexcept { return token != nullptr && token->cancelled(); }

  /** Throws `Cancelled("<where>: cancelled")` once the token was cancelled. */
  void check() const {
    if (token != nullptr) throw_if_cancelled(*token, where);
  }
};

/** Runs `f()` and returns what it returns; a `Cancelled` thrown by an inner call (a search
 *  run on behalf of `owner::method`) is rethrown as `Cancelled("<owner>::<method>:
 *  cancelled")`, so the message names the call the user made. */
template <class F>
decltype(auto) cancelled_as(std::string_view owner, std::string_view method, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (const Cancelled&) {
    throw Cancelled(concat(owner, "::", method, ": cancelled"));
  }
}

}  // namespace detail
OSPREY_NAMESPACE_END

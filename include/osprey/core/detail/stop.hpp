/** \file
 *  How the long internal loops poll a `CancellationToken` (internal): `detail::Stop` carries
 *  the caller's token and the name of the public call, so a kernel deep inside a search can
 *  throw `Cancelled("<Class>::<method>: cancelled")` between two blocks of work. A default
 *  `Stop` never stops. Polling is one relaxed atomic load.
 */
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <string_view>
#include <type_traits>
#include <vector>

#include <Eigen/Core>
#include <utility>

#include "../../config.hpp"
#include "../cancel.hpp"
#include "../error.hpp"
#include "../validation.hpp"
#include "huge_pages.hpp"

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

/** Rows (or elements) per poll in the polled copies below: large copies write fresh memory,
 *  whose page faults cost microseconds each on some virtual machines, so a copy of millions of
 *  rows must not run long between two polls. */
inline constexpr Eigen::Index kRowsPerPoll = Eigen::Index{1} << 16;

/** `dst = src.cast<Scalar>()` in blocks of rows (for a plain matrix; other expressions in one
 * copy), polling `stop` between blocks; a large dst is hinted for huge pages first. */
template <class Dst, class Src>
void assign_polled(Dst& dst, const Eigen::MatrixBase<Src>& src, const Stop& stop) {
  using Scalar = typename Dst::Scalar;
  if constexpr (!std::is_base_of_v<Eigen::PlainObjectBase<Src>, Src>) {  // one copy
    stop.check();
    dst = src.template cast<Scalar>();
  } else {
    dst.resize(src.rows(), src.cols());
    hint_huge_pages(dst.data(), static_cast<std::size_t>(dst.size()) * sizeof(Scalar));
    for (Eigen::Index b = 0; b < src.rows(); b += kRowsPerPoll) {
      stop.check();
      const Eigen::Index len = std::min(kRowsPerPoll, src.rows() - b);
      dst.middleRows(b, len) = src.middleRows(b, len).template cast<Scalar>();
    }
  }
}

/** `v.assign(count, T{})` in blocks, polling `stop` between blocks (one allocation). */
template <class T>
void zero_fill_polled(std::vector<T>& v, std::size_t count, const Stop& stop) {
  v.clear();
  v.reserve(count);
  hint_huge_pages(v.data(), count * sizeof(T));
  const auto step = static_cast<std::size_t>(kRowsPerPoll);
  for (std::size_t b = 0; b < count; b += step) {
    stop.check();
    v.resize(std::min(count, b + step));
  }
}

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

/** \file
 *  Validation shared by the distributed estimators (internal): the agreement of a per-rank
 *  width (the column count) across the ranks that hold rows, and a hash to compare inputs that
 *  must agree across ranks. (A local check turned into one InvalidArgument on every rank is
 *  the public `dist::check_on_all_ranks`, dist/communicator.hpp.)
 */
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>

#include "../../config.hpp"
#include "../../core/error.hpp"
#include "../communicator.hpp"

OSPREY_NAMESPACE_BEGIN
namespace dist::detail {

/** The common column count of the ranks that hold rows (`rows > 0`); ranks without rows take
 *  it whatever they passed. One all_reduce of two words.
 *  \throws InvalidArgument on every rank if no rank holds a row or two ranks disagree. */
template <Communicator C>
[[nodiscard]] std::int64_t agreed_columns(C& comm, std::int64_t rows, std::int64_t cols,
                                          const std::string& who, const std::string& what) {
  constexpr std::uint64_t none = std::numeric_limits<std::uint64_t>::max();
  const auto c = static_cast<std::uint64_t>(cols);
  std::uint64_t v[2] = {rows > 0 ? c : none, rows > 0 ? ~c : none};  // min, then ~max
  comm.all_reduce(std::span<std::uint64_t>(v, 2), ReduceOp::min);
  if (v[0] == none) throw InvalidArgument(who + ": " + what + " holds no rows on any rank");
  const std::uint64_t lo = v[0];
  const std::uint64_t hi = ~v[1];
  if (lo != hi) {
    throw InvalidArgument(who + ": " + what + " has " + std::to_string(lo) +
                          " columns on some ranks and " + std::to_string(hi) + " on others");
  }
  return static_cast<std::int64_t>(lo);
}

/** 64-bit FNV-1a of `bytes`, continuing from `h` (to compare inputs that must agree across
 *  ranks without sending them). */
[[nodiscard]] inline std::uint64_t fnv1a(std::span<const unsigned char> bytes,
                                         std::uint64_t h = 0xcbf29ce484222325ULL) noexcept {
  for (const unsigned char b : bytes) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace dist::detail
OSPREY_NAMESPACE_END

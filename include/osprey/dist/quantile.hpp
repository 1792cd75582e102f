/** \file
 *  Exact order statistics and quantiles of values spread over the ranks, without gathering
 *  them: `dist::select_ranks` finds the values of given global ranks by a radix selection on
 *  the order-preserving 64-bit image of the doubles (8 rounds, one byte each, an all_reduce of
 *  256 integer counts per wanted rank per round), and `dist::quantile` is numpy's
 *  `percentile(values, 100 q)` with linear interpolation on top of it.
 *
 *  Integer counts only cross the network, so the result is exact and the same bits on every
 *  rank and every rank count. Memory O(n_local) (the keys); traffic 8 rounds x w x 2 KiB per
 *  rank to each other rank for w wanted ranks (32 KiB x (p - 1) for a quantile), independent
 *  of n; time O(8 w n_local) plus 8 all_reduce latencies.
 */
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "../config.hpp"
#include "../core/validation.hpp"
#include "communicator.hpp"
#include "detail/rank_checks.hpp"

OSPREY_NAMESPACE_BEGIN
namespace dist {
namespace detail {

/** Order-preserving image of a double in uint64: a < b (as doubles, -0 below +0) iff
 *  key(a) < key(b). */
[[nodiscard]] inline std::uint64_t order_key(double v) noexcept {
  const auto b = std::bit_cast<std::uint64_t>(v);
  return (b >> 63U) != 0 ? ~b : (b | (std::uint64_t{1} << 63U));
}

/** The double whose order_key is `k`. */
[[nodiscard]] inline double from_order_key(std::uint64_t k) noexcept {
  const std::uint64_t b = (k >> 63U) != 0 ? (k & ~(std::uint64_t{1} << 63U)) : ~k;
  return std::bit_cast<double>(b);
}

}  // namespace detail

/** The values of the global order statistics `ranks` (0-based positions in the ascending
 *  order of all ranks' `local` values together), the same on every rank. Collective: every
 *  rank passes the same `ranks`. No value may be NaN (checked on every rank).
 *  \throws InvalidArgument on every rank if a value is NaN on some rank or a wanted rank is
 *  not below the global count. Cost: see the file comment. */
template <Communicator C>
[[nodiscard]] std::vector<double> select_ranks(C& comm, std::span<const double> local,
                                               std::span<const std::uint64_t> ranks) {
  std::vector<std::uint64_t> keys(local.size());
  bool finite_order = true;
  for (std::size_t i = 0; i < local.size(); ++i) {
    finite_order = finite_order && !std::isnan(local[i]);
    keys[i] = detail::order_key(local[i]);
  }
  require_all(comm, finite_order, "select_ranks: a value is NaN");
  const std::uint64_t n = all_reduce_value(comm, std::uint64_t{local.size()}, ReduceOp::sum);
  for (const std::uint64_t r : ranks) {
    if (r >= n) ::osprey::detail::fail("select_ranks: rank ", r, " is not below the count ", n);
  }
  const std::size_t w = ranks.size();
  std::vector<std::uint64_t> prefix(w, 0);  // decided high bits of each wanted key
  std::vector<std::uint64_t> left(ranks.begin(), ranks.end());  // rank within the prefix
  std::vector<std::uint64_t> hist(w * 256);
  for (int round = 0; round < 8; ++round) {
    const auto shift = static_cast<unsigned>(56 - 8 * round);
    const std::uint64_t high = round == 0 ? 0 : ~std::uint64_t{0} << (shift + 8U);
    std::fill(hist.begin(), hist.end(), 0);
    for (std::size_t j = 0; j < w; ++j) {
      std::uint64_t* h = hist.data() + j * 256;
      for (const std::uint64_t key : keys) {
        if ((key & high) == prefix[j]) ++h[(key >> shift) & 0xffU];
      }
    }
    comm.all_reduce(std::span<std::uint64_t>(hist), ReduceOp::sum);
    for (std::size_t j = 0; j < w; ++j) {
      const std::uint64_t* h = hist.data() + j * 256;
      std::uint64_t byte = 0;
      while (left[j] >= h[byte]) left[j] -= h[byte++];
      prefix[j] |= byte << shift;
    }
  }
  std::vector<double> out(w);
  for (std::size_t j = 0; j < w; ++j) out[j] = detail::from_order_key(prefix[j]);
  return out;
}

/** numpy's `percentile(values, 100 q)` (linear interpolation) of all ranks' `local` values
 *  together, exactly: with v the N values sorted, pos = q (N - 1), lo = floor(pos),
 *  hi = min(lo + 1, N - 1), the result is v[lo] + (pos - lo) (v[hi] - v[lo]), the same bits as
 *  that expression on one machine and on every rank. Collective.
 *  \throws InvalidArgument on every rank if q is outside [0, 1], no rank holds a value, or a
 *  value is NaN. Cost: see the file comment. */
template <Communicator C>
[[nodiscard]] double quantile(C& comm, std::span<const double> local, double q) {
  ::osprey::detail::check_param(q >= 0.0 && q <= 1.0, "q", q, "in [0, 1]");
  const std::uint64_t n = all_reduce_value(comm, std::uint64_t{local.size()}, ReduceOp::sum);
  if (n == 0) ::osprey::detail::fail("quantile: no rank holds a value");
  const double pos = q * static_cast<double>(n - 1);
  const auto lo = static_cast<std::uint64_t>(std::floor(pos));
  const std::uint64_t hi = std::min(lo + 1, n - 1);
  const std::uint64_t wanted[2] = {lo, hi};
  const std::vector<double> v = select_ranks(comm, local, std::span<const std::uint64_t>(wanted));
  const double frac = pos - static_cast<double>(lo);
  return v[0] + frac * (v[1] - v[0]);
}

}  // namespace dist
OSPREY_NAMESPACE_END

/** \file
 *  Exact order statistics and quantiles of values spread over the ranks, without gathering
 *  them. `dist::detail::select_keys` is the one selection every distributed algorithm uses:
 *  the keys of given global ranks among sorted 64-bit keys spread over the ranks, by a radix
 *  selection one byte per round (8 rounds, an all_reduce of 256 integer counts per wanted rank
 *  per round; each rank counts a bucket by two binary searches in its sorted keys).
 *  `dist::select_ranks` applies it to doubles through their order-preserving image
 *  (`kernels::score_key`, where -0 and +0 are one value), and `dist::quantile` is numpy's
 *  `percentile(values, 100 q)` with linear interpolation on top of it.
 *
 *  Integer counts only cross the network, so the result is exact and the same bits on every
 *  rank and every rank count. Memory O(n_local) (the keys); traffic 8 rounds x w x 2 KiB per
 *  rank to each other rank for w wanted ranks (32 KiB x (p - 1) for a quantile), independent
 *  of n; time O(n_local log n_local) for the sort plus O(8 w 256 log n_local) for the counts,
 *  and 8 all_reduce latencies.
 */
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "../config.hpp"
#include "../core/validation.hpp"
#include "../kernels/radix_sort.hpp"
#include "communicator.hpp"
#include "detail/rank_checks.hpp"

OSPREY_NAMESPACE_BEGIN
namespace dist {
namespace detail {

/** Local keys <= v over sorted parts. */
inline std::uint64_t count_le(std::span<const std::span<const std::uint64_t>> parts,
                              std::uint64_t v) {
  std::uint64_t c = 0;
  for (const auto part : parts) {
    c += static_cast<std::uint64_t>(std::upper_bound(part.begin(), part.end(), v) - part.begin());
  }
  return c;
}

/** The keys at the 0-based global positions `ranks` of the ascending order of all ranks' keys
 *  together, the same on every rank. `parts` are this rank's keys, each part sorted ascending
 *  (a rank may hold several sorted runs, e.g. one per class). Collective: every rank passes the
 *  same `ranks`, each below the global key count (the caller checks). */
template <Communicator C>
[[nodiscard]] std::vector<std::uint64_t> select_keys(
    C& comm, std::span<const std::span<const std::uint64_t>> parts,
    std::span<const std::uint64_t> ranks) {
  const std::size_t w = ranks.size();
  std::vector<std::uint64_t> prefix(w, 0);  // decided high bytes of each wanted key
  std::vector<std::uint64_t> left(ranks.begin(), ranks.end());  // position within the prefix
  std::vector<std::uint64_t> hist(w * 256);
  for (int round = 0; round < 8; ++round) {
    const auto shift = static_cast<unsigned>(56 - 8 * round);
    const std::uint64_t width = (std::uint64_t{1} << shift) - 1U;  // a bucket spans width + 1
    for (std::size_t j = 0; j < w; ++j) {
      // bucket b of prefix P holds the keys in [P + b 2^shift, P + b 2^shift + width]
      std::uint64_t* h = hist.data() + j * 256;
      std::uint64_t before = prefix[j] == 0 ? 0 : count_le(parts, prefix[j] - 1U);
      for (std::uint64_t b = 0; b < 256; ++b) {
        const std::uint64_t upto = count_le(parts, prefix[j] + (b << shift) + width);
        h[b] = upto - before;
        before = upto;
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
  return prefix;
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
    keys[i] = kernels::score_key(local[i]);
  }
  require_all(comm, finite_order, "select_ranks: a value is NaN");
  const std::uint64_t n = all_reduce_value(comm, std::uint64_t{local.size()}, ReduceOp::sum);
  for (const std::uint64_t r : ranks) {
    if (r >= n) ::osprey::detail::fail("select_ranks: rank ", r, " is not below the count ", n);
  }
  std::sort(keys.begin(), keys.end());
  const std::span<const std::uint64_t> part(keys);
  const std::vector<std::uint64_t> picked =
      detail::select_keys(comm, std::span<const std::span<const std::uint64_t>>(&part, 1), ranks);
  std::vector<double> out(picked.size());
  for (std::size_t j = 0; j < picked.size(); ++j) out[j] = kernels::key_score(picked[j]);
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

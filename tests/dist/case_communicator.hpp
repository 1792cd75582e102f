/** \file
 *  The collectives themselves, on every rank count: the values each one delivers, the traffic
 *  each one counts, and require_all's message. */
#pragma once

#include <osprey/dist/communicator.hpp>

#include <cstdint>
#include <span>
#include <vector>

#include "harness.hpp"

namespace osprey_dist_test {

template <class C>
void case_communicator(C& comm) {
  namespace dist = osprey::dist;
  const int p = comm.size();
  const int me = comm.rank();
  const auto up = static_cast<std::uint64_t>(p);
  const dist::CommStats start = comm.stats();

  // broadcast from the last rank
  std::vector<double> b{-1.0, -1.0};
  if (me == p - 1) b = {2.5, static_cast<double>(me)};
  comm.broadcast(std::span<double>(b), p - 1);
  OSPREY_DIST_CHECK(b[0] == 2.5 && b[1] == p - 1, "broadcast got ", b[0], ", ", b[1]);

  // all_reduce sum / min / max over rank-dependent values
  std::vector<std::int64_t> v{me + 1, -me, 7};
  comm.all_reduce(std::span<std::int64_t>(v), dist::ReduceOp::sum);
  OSPREY_DIST_CHECK(v[0] == p * (p + 1) / 2 && v[1] == -(p * (p - 1) / 2) && v[2] == 7 * p);
  std::vector<double> lo{static_cast<double>(me) - 0.5}, hi = lo;
  comm.all_reduce(std::span<double>(lo), dist::ReduceOp::min);
  comm.all_reduce(std::span<double>(hi), dist::ReduceOp::max);
  OSPREY_DIST_CHECK(lo[0] == -0.5 && hi[0] == p - 1.5);

  // all_gather: two values per rank, in rank order
  const std::vector<int> two{me, 10 * me};
  const std::vector<int> g = comm.all_gather(std::span<const int>(two));
  OSPREY_DIST_CHECK(g.size() == 2 * static_cast<std::size_t>(p));
  for (std::size_t r = 0; r < g.size() / 2; ++r) {
    OSPREY_DIST_CHECK(g[2 * r] == static_cast<int>(r) && g[2 * r + 1] == 10 * static_cast<int>(r));
  }

  // all_gatherv: rank r sends r copies of r (rank 0 sends nothing)
  const std::vector<std::uint16_t> mine(static_cast<std::size_t>(me),
                                        static_cast<std::uint16_t>(me));
  std::vector<std::size_t> counts;
  const auto gv = comm.all_gatherv(std::span<const std::uint16_t>(mine), &counts);
  std::size_t at = 0;
  for (int r = 0; r < p; ++r) {
    OSPREY_DIST_CHECK(counts[static_cast<std::size_t>(r)] == static_cast<std::size_t>(r));
    for (int k = 0; k < r; ++k) OSPREY_DIST_CHECK(gv[at++] == r);
  }
  OSPREY_DIST_CHECK(at == gv.size());

  // all_to_all: element r of rank s is 100 s + r; rank r receives 100 s + r from each s
  std::vector<std::int32_t> send(static_cast<std::size_t>(p));
  for (int r = 0; r < p; ++r) send[static_cast<std::size_t>(r)] = 100 * me + r;
  const auto a = comm.all_to_all(std::span<const std::int32_t>(send));
  for (int s = 0; s < p; ++s) OSPREY_DIST_CHECK(a[static_cast<std::size_t>(s)] == 100 * s + me);

  // all_to_allv: rank s sends (s + r) % 3 copies of the pair (s, r) to rank r, a struct type
  struct Pair {
    std::int32_t from, to;
  };
  std::vector<Pair> out;
  std::vector<std::size_t> scounts(static_cast<std::size_t>(p));
  for (int r = 0; r < p; ++r) {
    scounts[static_cast<std::size_t>(r)] = static_cast<std::size_t>((me + r) % 3);
    for (int k = 0; k < (me + r) % 3; ++k) out.push_back({me, r});
  }
  std::vector<std::size_t> rcounts;
  const auto got =
      comm.all_to_allv(std::span<const Pair>(out), std::span<const std::size_t>(scounts), &rcounts);
  at = 0;
  for (int s = 0; s < p; ++s) {
    OSPREY_DIST_CHECK(rcounts[static_cast<std::size_t>(s)] ==
                      static_cast<std::size_t>((s + me) % 3));
    for (int k = 0; k < (s + me) % 3; ++k, ++at)
      OSPREY_DIST_CHECK(got[at].from == s && got[at].to == me);
  }

  // traffic: what this rank delivered to the others, by the documented definition
  std::uint64_t expect = (me == p - 1 ? 16 * (up - 1) : 0)   // broadcast
                         + 24 * (up - 1) + 8 * (up - 1) * 2  // three all_reduce
                         + 8 * (up - 1) + 2 * static_cast<std::uint64_t>(me) * (up - 1)  // gathers
                         + 4 * (up - 1);  // all_to_all
  for (int r = 0; r < p; ++r) {
    if (r != me) expect += sizeof(Pair) * static_cast<std::uint64_t>((me + r) % 3);
  }
  const std::uint64_t sent = comm.stats().bytes_sent - start.bytes_sent;
  OSPREY_DIST_CHECK(sent == expect, "bytes_sent ", sent, " expected ", expect);

  // global_rows: rank r holds r + 1 rows
  const dist::RowRange rows = dist::global_rows(comm, static_cast<std::uint64_t>(me + 1));
  OSPREY_DIST_CHECK(rows.total == up * (up + 1) / 2 &&
                    rows.offset ==
                        static_cast<std::uint64_t>(me) * static_cast<std::uint64_t>(me + 1) / 2);

  // require_all: every rank throws InvalidArgument naming the lowest failing rank and its text
  bool threw = false;
  try {
    dist::require_all(comm, me != p - 1 && me != p - 2, "row " + std::to_string(me) + " is bad");
  } catch (const osprey::InvalidArgument& e) {
    const int first = std::max(0, p - 2);
    threw = std::string(e.what()) ==
            "rank " + std::to_string(first) + ": row " + std::to_string(first) + " is bad";
  }
  OSPREY_DIST_CHECK(threw, "require_all did not throw the lowest failing rank's message");
  dist::require_all(comm, true, "never shown");
}

}  // namespace osprey_dist_test

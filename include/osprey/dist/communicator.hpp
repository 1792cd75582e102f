/** \file
 *  The `Communicator` concept every distributed osprey algorithm is written against, and the
 *  few helpers built on it (a global prefix of local row counts, broadcasting a vector).
 *
 *  A communicator is a group of `size()` ranks numbered 0..size()-1. Every operation here is a
 *  collective: every rank of the group calls it, in the same order, with arguments that agree
 *  (the same element type, the same root, the same length where a length must agree). Two
 *  implementations ship: `ThreadCommunicator` (p ranks as threads of one process,
 *  dist/thread_communicator.hpp) and `MpiCommunicator` (one rank per MPI process,
 *  <osprey/dist/mpi.hpp>, the only header that needs MPI).
 *
 *  Element types: `broadcast`, `all_gather(v)` and `all_to_all(v)` move any trivially copyable
 *  type; `all_reduce` combines arithmetic types element-wise. Results are concatenated in rank
 *  order. Reductions of floating-point values are not required to add in a fixed order across
 *  implementations; osprey's distributed algorithms that promise bitwise results use gathers,
 *  never floating-point reductions.
 *
 *  Failure: a rank that throws makes every other rank's next (or current) collective throw
 *  `dist::RankFailed` naming the failed rank and its message (ThreadCommunicator), or ends the
 *  whole job with that message (`dist::run_or_abort` with MpiCommunicator). No rank hangs.
 *
 *  Traffic accounting: both implementations count, per rank, the bytes of payload it delivers
 *  to other ranks (`stats()`), with the direct-exchange definition of docs/scaling.md:
 *  broadcast = bytes x (p-1) at the root, all_gather(v) = local bytes x (p-1), all_to_all(v) =
 *  the bytes addressed to other ranks, all_reduce = bytes x (p-1).
 */
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../config.hpp"
#include "../core/error.hpp"

OSPREY_NAMESPACE_BEGIN
namespace dist {

/** The element-wise combination of `all_reduce`. */
enum class ReduceOp { sum, min, max };

/** Payload counters of one rank (see the file comment for what counts as sent). */
struct CommStats {
  std::uint64_t bytes_sent = 0;      ///< payload this rank delivered to other ranks
  std::uint64_t bytes_received = 0;  ///< payload other ranks delivered to this rank
  std::uint64_t collectives = 0;     ///< collective calls made
};

/** Thrown on the surviving ranks of a ThreadCommunicator group when another rank threw: the
 *  message is "rank <r> failed: <its message>". */
struct RankFailed : Error {
  using Error::Error;
};

/** A group of ranks with the collectives osprey's distributed algorithms use. `C` must provide
 *  (T trivially copyable; arithmetic for all_reduce):
 *  - `int rank() const`, `int size() const`, `void barrier()`;
 *  - `void broadcast(std::span<T> data, int root)`: every rank passes a span of the same length;
 *    afterwards it holds the root's values;
 *  - `void all_reduce(std::span<T> data, ReduceOp op)`: in place, element-wise over the ranks;
 *  - `std::vector<T> all_gather(std::span<const T> local)`: equal lengths on every rank; the
 *    result is the p blocks in rank order;
 *  - `std::vector<T> all_gatherv(std::span<const T> local, std::vector<std::size_t>* counts)`:
 *    any lengths; `counts` (may be null) receives each rank's length;
 *  - `std::vector<T> all_to_all(std::span<const T> send)`: `send` holds p equal blocks, block r
 *    for rank r; the result holds p blocks, block s from rank s;
 *  - `std::vector<T> all_to_allv(std::span<const T> send, std::span<const std::size_t>
 *    send_counts, std::vector<std::size_t>* recv_counts)`: `send` is grouped by destination
 *    with `send_counts[r]` elements for rank r; the result is grouped by source rank and
 *    `recv_counts` (may be null) receives the group sizes;
 *  - `CommStats stats() const`. */
template <class C>
concept Communicator = requires(C& c, const C& cc, std::span<double> d, std::span<const double> cd,
                                std::span<std::uint64_t> u, std::span<const std::size_t> counts,
                                std::vector<std::size_t>* out_counts) {
  { cc.rank() } -> std::same_as<int>;
  { cc.size() } -> std::same_as<int>;
  { cc.stats() } -> std::same_as<CommStats>;
  c.barrier();
  c.broadcast(d, 0);
  c.all_reduce(d, ReduceOp::sum);
  c.all_reduce(u, ReduceOp::max);
  { c.all_gather(cd) } -> std::same_as<std::vector<double>>;
  { c.all_gatherv(cd, out_counts) } -> std::same_as<std::vector<double>>;
  { c.all_to_all(cd) } -> std::same_as<std::vector<double>>;
  { c.all_to_allv(cd, counts, out_counts) } -> std::same_as<std::vector<double>>;
};

/** A value reduced over the ranks. */
template <class T, Communicator C>
[[nodiscard]] T all_reduce_value(C& comm, T value, ReduceOp op) {
  comm.all_reduce(std::span<T>(&value, 1), op);
  return value;
}

/** Where this rank's local rows sit in the global row order (rank 0's rows first, then rank
 *  1's, ...): `offset` is the global index of its first row, `total` the global row count. */
struct RowRange {
  std::uint64_t offset = 0;  ///< global index of this rank's first row
  std::uint64_t local = 0;   ///< rows on this rank
  std::uint64_t total = 0;   ///< rows on all ranks
};

/** The global position of `local_rows` rows on this rank (one all_gather). */
template <Communicator C>
[[nodiscard]] RowRange global_rows(C& comm, std::uint64_t local_rows) {
  const std::vector<std::uint64_t> all =
      comm.all_gather(std::span<const std::uint64_t>(&local_rows, 1));
  RowRange r;
  r.local = local_rows;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (static_cast<int>(i) < comm.rank()) r.offset += all[i];
    r.total += all[i];
  }
  return r;
}

/** Replaces `v` on every rank with the root's vector (two broadcasts: the length, the data). */
template <class T, Communicator C>
void broadcast_vector(C& comm, std::vector<T>& v, int root) {
  std::uint64_t n = v.size();
  comm.broadcast(std::span<std::uint64_t>(&n, 1), root);
  v.resize(static_cast<std::size_t>(n));
  comm.broadcast(std::span<T>(v), root);
}

/** Throws InvalidArgument on every rank unless `ok` holds on every rank. The message is the
 *  `what` of the lowest rank where `ok` failed, prefixed with that rank. Use it to validate
 *  local inputs, so that a bad input on one rank is reported on all of them instead of leaving
 *  the others waiting in the next collective. */
template <Communicator C>
void require_all(C& comm, bool ok, const std::string& what) {
  constexpr std::uint64_t none = 0xffffffffu;
  const std::uint64_t mine = ok ? none : static_cast<std::uint64_t>(comm.rank());
  const std::uint64_t first = all_reduce_value(comm, mine, ReduceOp::min);
  if (first == none) return;
  std::vector<char> text(what.begin(), what.end());
  broadcast_vector(comm, text, static_cast<int>(first));
  throw InvalidArgument("rank " + std::to_string(first) + ": " +
                        std::string(text.begin(), text.end()));
}

/** Runs `check()`, local validation that may throw InvalidArgument on this rank only, and
 *  turns a failure on any rank into the same InvalidArgument on every rank: the message of the
 *  lowest failing rank r, prefixed "rank r: " (require_all). One all_reduce when all pass. */
template <Communicator C, class Check>
void check_on_all_ranks(C& comm, Check&& check) {
  std::string message;
  bool ok = true;
  try {
    check();
  } catch (const InvalidArgument& e) {
    ok = false;
    message = e.what();
  }
  require_all(comm, ok, message);
}

}  // namespace dist
OSPREY_NAMESPACE_END

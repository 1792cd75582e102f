/** \file
 *  `ThreadCommunicator`: p ranks as threads of one process, sharing nothing but the buffers a
 *  collective exchanges. It tests every distributed algorithm without MPI, and runs them on one
 *  large machine. `run_ranks(p, fn)` starts the group and calls `fn(comm)` on every rank.
 *
 *  Each collective is two phases around a group barrier: every rank publishes a pointer to its
 *  input, waits, copies what it needs from the others into its own result, and waits again so
 *  no input is released while another rank still reads it. Reductions combine the ranks in rank
 *  order, so every rank gets the same bits.
 *
 *  A rank whose `fn` throws marks the group failed; every other rank's current or next
 *  collective throws `dist::RankFailed("rank r failed: <message>")`, and `run_ranks` rethrows
 *  the failed rank's own exception after joining every thread.
 */
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "../config.hpp"
#include "../core/error.hpp"
#include "../core/threads.hpp"
#include "communicator.hpp"

OSPREY_NAMESPACE_BEGIN
namespace dist {
namespace detail {

/** What the ranks of one ThreadCommunicator group share. */
struct ThreadGroup {
  explicit ThreadGroup(int p)
      : size(p),
        data(static_cast<std::size_t>(p)),
        bytes(static_cast<std::size_t>(p)),
        counts(static_cast<std::size_t>(p)) {}

  const int size;
  std::vector<const void*> data;           // each rank's published input
  std::vector<std::size_t> bytes;          // its length in bytes
  std::vector<const std::size_t*> counts;  // its all_to_allv send counts

  /** Blocks until every rank arrived; throws RankFailed once any rank failed. */
  void wait() {
    std::unique_lock lock(mutex_);
    throw_if_failed();
    const std::uint64_t gen = generation_;
    if (++arrived_ == size) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return generation_ != gen || failed_; });
    // A barrier every rank reached completes, even if a rank failed right after it: the ranks
    // that left it may throw their own errors (require_all), which must not turn into
    // RankFailed on the ranks that were slower to wake up.
    if (generation_ != gen) return;
    throw_if_failed();
  }

  /** Marks the group failed by `rank` (the first failure wins) and wakes every waiter. */
  void fail(int rank, const std::string& message) {
    const std::lock_guard lock(mutex_);
    if (!failed_) {
      failed_ = true;
      failure_ = "rank " + std::to_string(rank) + " failed: " + message;
    }
    cv_.notify_all();
  }

 private:
  void throw_if_failed() const {
    if (failed_) throw RankFailed(failure_);
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  int arrived_ = 0;
  std::uint64_t generation_ = 0;
  bool failed_ = false;
  std::string failure_;
};

}  // namespace detail

/** One rank of an in-process group; made by `run_ranks`, used through the `Communicator`
 *  operations (see dist/communicator.hpp for their contracts). Not copyable; each rank's object
 *  belongs to its thread. */
class ThreadCommunicator {
 public:
  /** Rank `rank` of `group`; `run_ranks` makes these. */
  ThreadCommunicator(std::shared_ptr<detail::ThreadGroup> group, int rank)
      : group_(std::move(group)), rank_(rank) {}
  ThreadCommunicator(const ThreadCommunicator&) = delete;
  ThreadCommunicator& operator=(const ThreadCommunicator&) = delete;

  /** The number of this rank, 0..size()-1. */
  [[nodiscard]] int rank() const noexcept { return rank_; }
  /** The number of ranks in the group. */
  [[nodiscard]] int size() const noexcept { return group_->size; }
  /** The payload this rank has sent and received so far (dist/communicator.hpp). */
  [[nodiscard]] CommStats stats() const noexcept { return stats_; }

  /** Returns once every rank has called it. \throws RankFailed if another rank failed. */
  void barrier() {
    ++stats_.collectives;
    group_->wait();
  }

  /** The root's `data` into every rank's `data` (equal lengths on every rank).
   *  \throws InvalidArgument for a root outside the group; RankFailed if a rank failed. */
  template <class T>
  requires std::is_trivially_copyable_v<T>
  void broadcast(std::span<T> data, int root) {
    check_root(root, "broadcast");
    const std::size_t bytes = data.size_bytes();
    publish(data.data(), bytes);
    if (rank_ != root) {
      check_length(group_->bytes[static_cast<std::size_t>(root)], bytes, "broadcast");
      if (bytes > 0) std::memcpy(data.data(), group_->data[static_cast<std::size_t>(root)], bytes);
      stats_.bytes_received += bytes;
    } else {
      stats_.bytes_sent += bytes * others();
    }
    group_->wait();
  }

  /** Element-wise sum, min or max over the ranks, in place, combined in rank order so every
   *  rank holds the same bits. \throws RankFailed if a rank failed or lengths disagree. */
  template <class T>
  requires std::is_arithmetic_v<T>
  void all_reduce(std::span<T> data, ReduceOp op) {
    publish(data.data(), data.size_bytes());
    std::vector<T> out(data.size());
    for (int r = 0; r < size(); ++r) {
      check_length(group_->bytes[static_cast<std::size_t>(r)], data.size_bytes(), "all_reduce");
      const T* in = static_cast<const T*>(group_->data[static_cast<std::size_t>(r)]);
      for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = r == 0 ? in[i] : combine(out[i], in[i], op);
      }
    }
    stats_.bytes_sent += data.size_bytes() * others();
    stats_.bytes_received += data.size_bytes() * others();
    group_->wait();
    std::copy(out.begin(), out.end(), data.begin());
  }

  /** Every rank's `local` (equal lengths), concatenated in rank order.
   *  \throws RankFailed if a rank failed or lengths disagree. */
  template <class T>
  requires std::is_trivially_copyable_v<T> std::vector<T> all_gather(std::span<const T> local) {
    std::vector<std::size_t> counts;
    std::vector<T> out = gather(local, counts);
    for (const std::size_t c : counts) check_length(c, local.size(), "all_gather");
    group_->wait();
    return out;
  }

  /** Every rank's `local` (any lengths), concatenated in rank order; `counts`, when not null,
   *  receives each rank's length. \throws RankFailed if a rank failed. */
  template <class T>
  requires std::is_trivially_copyable_v<T> std::vector<T> all_gatherv(
      std::span<const T> local, std::vector<std::size_t>* counts = nullptr) {
    std::vector<std::size_t> c;
    std::vector<T> out = gather(local, c);
    group_->wait();
    if (counts != nullptr) *counts = std::move(c);
    return out;
  }

  /** Block r of `send` (p equal blocks) to rank r; the result holds block s from rank s.
   *  \throws InvalidArgument unless the length is a multiple of p; RankFailed. */
  template <class T>
  requires std::is_trivially_copyable_v<T> std::vector<T> all_to_all(std::span<const T> send) {
    const auto p = static_cast<std::size_t>(size());
    if (send.size() % p != 0) {
      throw InvalidArgument("ThreadCommunicator::all_to_all: send length " +
                            std::to_string(send.size()) + " is not a multiple of the group size " +
                            std::to_string(p));
    }
    const std::vector<std::size_t> counts(p, send.size() / p);
    return all_to_allv(send, std::span<const std::size_t>(counts));
  }

  /** `send_counts[r]` elements of `send` (grouped by destination) to rank r; the result is
   *  grouped by source rank, `recv_counts` (when not null) receiving the group sizes.
   *  \throws InvalidArgument unless the counts have p entries summing to the send length. */
  template <class T>
  requires std::is_trivially_copyable_v<T> std::vector<T> all_to_allv(
      std::span<const T> send, std::span<const std::size_t> send_counts,
      std::vector<std::size_t>* recv_counts = nullptr) {
    check_counts(send.size(), send_counts);
    group_->counts[static_cast<std::size_t>(rank_)] = send_counts.data();
    publish(send.data(), send.size_bytes());
    const auto me = static_cast<std::size_t>(rank_);
    std::vector<std::size_t> got(static_cast<std::size_t>(size()));
    std::size_t total = 0;
    for (std::size_t s = 0; s < got.size(); ++s) total += got[s] = group_->counts[s][me];
    std::vector<T> out(total);
    std::size_t at = 0;
    for (std::size_t s = 0; s < got.size(); ++s) {
      std::size_t from = 0;
      for (std::size_t r = 0; r < me; ++r) from += group_->counts[s][r];
      const T* in = static_cast<const T*>(group_->data[s]);
      if (got[s] > 0) std::memcpy(out.data() + at, in + from, got[s] * sizeof(T));
      at += got[s];
      if (s != me) {
        stats_.bytes_received += got[s] * sizeof(T);
        stats_.bytes_sent += send_counts[s] * sizeof(T);
      }
    }
    group_->wait();
    if (recv_counts != nullptr) *recv_counts = std::move(got);
    return out;
  }

 private:
  [[nodiscard]] std::size_t others() const noexcept { return static_cast<std::size_t>(size() - 1); }

  /** Publishes this rank's input and waits for every rank's. */
  void publish(const void* data, std::size_t bytes) {
    ++stats_.collectives;
    group_->data[static_cast<std::size_t>(rank_)] = data;
    group_->bytes[static_cast<std::size_t>(rank_)] = bytes;
    group_->wait();
  }

  /** Phase one of all_gather(v): every rank's block, concatenated, and each block's length. */
  template <class T>
  std::vector<T> gather(std::span<const T> local, std::vector<std::size_t>& counts) {
    publish(local.data(), local.size_bytes());
    counts.resize(static_cast<std::size_t>(size()));
    std::size_t total = 0;
    for (std::size_t r = 0; r < counts.size(); ++r)
      total += counts[r] = group_->bytes[r] / sizeof(T);
    std::vector<T> out(total);
    std::size_t at = 0;
    for (std::size_t r = 0; r < counts.size(); ++r) {
      if (counts[r] > 0) std::memcpy(out.data() + at, group_->data[r], counts[r] * sizeof(T));
      at += counts[r];
    }
    stats_.bytes_sent += local.size_bytes() * others();
    stats_.bytes_received += (total - local.size()) * sizeof(T);
    return out;
  }

  template <class T>
  static T combine(T a, T b, ReduceOp op) noexcept {
    switch (op) {
      case ReduceOp::sum:
        return static_cast<T>(a + b);
      case ReduceOp::min:
        return std::min(a, b);
      case ReduceOp::max:
        return std::max(a, b);
    }
    return a;
  }

  void check_root(int root, const char* who) const {
    if (root < 0 || root >= size()) {
      throw InvalidArgument(std::string("ThreadCommunicator::") + who + ": root " +
                            std::to_string(root) + " is not a rank of a group of " +
                            std::to_string(size()));
    }
  }
  /** Lengths that must agree across ranks but do not fail the whole group: a caller bug. */
  void check_length(std::size_t got, std::size_t want, const char* who) {
    if (got != want) {
      group_->fail(rank_, std::string("ThreadCommunicator::") + who + ": ranks passed " +
                              std::to_string(got) + " and " + std::to_string(want) +
                              " elements (bytes); every rank must pass the same length");
      throw RankFailed(std::string("ThreadCommunicator::") + who + ": length mismatch");
    }
  }
  void check_counts(std::size_t n, std::span<const std::size_t> counts) const {
    std::size_t sum = 0;
    for (const std::size_t c : counts) sum += c;
    if (counts.size() != static_cast<std::size_t>(size()) || sum != n) {
      throw InvalidArgument(
          "ThreadCommunicator::all_to_allv: send_counts must have one entry per "
          "rank (" +
          std::to_string(size()) + ") summing to the send length " + std::to_string(n));
    }
  }

  std::shared_ptr<detail::ThreadGroup> group_;
  int rank_;
  CommStats stats_{};
};

/** Runs `fn(comm)` on p ranks, rank 0 on the calling thread and the others on new threads, and
 *  returns when all have finished. Each rank's osprey calls are capped (`ThreadLimit`) at
 *  `threads_per_rank` threads; 0 means max(1, max_threads() / p), so the ranks together do not
 *  oversubscribe the machine.
 *  \throws InvalidArgument if p < 1; otherwise rethrows the exception of the rank that failed
 *  first (the others' RankFailed are consequences and are dropped). */
template <class Fn>
void run_ranks(int p, Fn&& fn, int threads_per_rank = 0) {
  if (p < 1) throw InvalidArgument("run_ranks: p must be >= 1 (got " + std::to_string(p) + ")");
  const int cap = threads_per_rank > 0 ? threads_per_rank : std::max(1, max_threads() / p);
  auto group = std::make_shared<detail::ThreadGroup>(p);
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(p));
  std::vector<int> primary(static_cast<std::size_t>(p), 0);
  auto body = [&](int r) {
    ThreadCommunicator comm(group, r);
    try {
      const ThreadLimit limit(cap);
      fn(comm);
    } catch (const RankFailed&) {
      errors[static_cast<std::size_t>(r)] = std::current_exception();
    } catch (const std::exception& e) {
      errors[static_cast<std::size_t>(r)] = std::current_exception();
      primary[static_cast<std::size_t>(r)] = 1;
      group->fail(r, e.what());
    } catch (...) {
      errors[static_cast<std::size_t>(r)] = std::current_exception();
      primary[static_cast<std::size_t>(r)] = 1;
      group->fail(r, "unknown exception");
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(p - 1));
  for (int r = 1; r < p; ++r) threads.emplace_back(body, r);
  body(0);
  for (auto& t : threads) t.join();
  for (std::size_t r = 0; r < errors.size(); ++r) {
    if (primary[r] != 0) std::rethrow_exception(errors[r]);
  }
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace dist
OSPREY_NAMESPACE_END

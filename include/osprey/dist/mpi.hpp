/** \file
 *  `MpiCommunicator`: the `Communicator` concept over an MPI communicator, one rank per MPI
 *  process. This is the only osprey header that needs MPI: the umbrella header does not include
 *  it, and a program that includes it links `MPI::MPI_CXX` (CMake: `find_package(MPI)`).
 *
 *  \code
 *  #include <osprey/dist/mpi.hpp>
 *  #include <osprey/osprey.hpp>
 *  int main(int argc, char** argv) {
 *    osprey::dist::MpiEnvironment env(argc, argv);
 *    osprey::dist::MpiCommunicator comm;  // a duplicate of MPI_COMM_WORLD
 *    return osprey::dist::run_or_abort(comm, [&] { ... });
 *  }
 *  \endcode
 *
 *  Failure: MPI cannot interrupt the other ranks' collectives, so a rank that throws must end
 *  the job. `run_or_abort` prints "osprey: rank r failed: <message>" on stderr and calls
 *  `MPI_Abort`, which stops every rank with a non-zero exit status instead of leaving them
 *  waiting. An MPI call that fails throws `osprey::Error` naming the call.
 *
 *  Limits: MPI counts and displacements are `int`. A collective whose element count or whose
 *  concatenated result exceeds INT_MAX elements throws `osprey::InvalidArgument` before any
 *  communication; split such exchanges into rounds.
 */
#pragma once

// osprey uses MPI's C API only; skip the deprecated C++ bindings (and their warnings).
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1  ///< Open MPI: no C++ bindings
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1  ///< MPICH: no C++ bindings
#endif
#include <mpi.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../config.hpp"
#include "../core/error.hpp"
#include "communicator.hpp"

OSPREY_NAMESPACE_BEGIN
namespace dist {
namespace detail {

/** Throws osprey::Error naming the MPI call unless it returned MPI_SUCCESS. */
inline void mpi_check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(std::string(call) +
              " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

/** The MPI datatype of an arithmetic T (MPI_BYTE for anything else, counted in bytes). */
template <class T>
MPI_Datatype mpi_type() {
  if constexpr (std::is_same_v<T, double>)
    return MPI_DOUBLE;
  else if constexpr (std::is_same_v<T, float>)
    return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, char>)
    return MPI_CHAR;
  else if constexpr (std::is_integral_v<T> && std::is_signed_v<T> && sizeof(T) == 8)
    return MPI_INT64_T;
  else if constexpr (std::is_integral_v<T> && std::is_signed_v<T> && sizeof(T) == 4)
    return MPI_INT32_T;
  else if constexpr (std::is_integral_v<T> && std::is_signed_v<T> && sizeof(T) == 2)
    return MPI_INT16_T;
  else if constexpr (std::is_integral_v<T> && std::is_signed_v<T> && sizeof(T) == 1)
    return MPI_INT8_T;
  else if constexpr (std::is_integral_v<T> && sizeof(T) == 8)
    return MPI_UINT64_T;
  else if constexpr (std::is_integral_v<T> && sizeof(T) == 4)
    return MPI_UINT32_T;
  else if constexpr (std::is_integral_v<T> && sizeof(T) == 2)
    return MPI_UINT16_T;
  else if constexpr (std::is_integral_v<T> && sizeof(T) == 1)
    return MPI_UINT8_T;
  else
    return MPI_BYTE;
}

/** Elements of T in one MPI count unit: 1 for typed transfers, sizeof(T) bytes otherwise. */
template <class T>
constexpr std::size_t mpi_units() {
  return std::is_arithmetic_v<T> ? 1 : sizeof(T);
}

/** `n` elements of T as an MPI int count; throws past INT_MAX. */
template <class T>
int mpi_count(std::size_t n, const char* who) {
  const std::size_t units = n * mpi_units<T>();
  if (units > static_cast<std::size_t>(INT_MAX)) {
    throw InvalidArgument(std::string("MpiCommunicator::") + who + ": " + std::to_string(n) +
                          " elements exceed MPI's int counts; exchange them in rounds");
  }
  return static_cast<int>(units);
}

}  // namespace detail

/** RAII for MPI_Init_thread / MPI_Finalize, requesting MPI_THREAD_FUNNELED (osprey's OpenMP
 *  threads never call MPI). Does nothing if MPI is already initialised. */
class MpiEnvironment {
 public:
  /** Initialises MPI with main's arguments unless it already is.
   *  \throws Error if MPI_Init_thread fails. */
  MpiEnvironment(int& argc, char**& argv) {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (initialised == 0) {
      int provided = 0;
      detail::mpi_check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided),
                        "MPI_Init_thread");
      owns_ = true;
    }
  }
  ~MpiEnvironment() {
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (owns_ && finalised == 0) MPI_Finalize();
  }
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;

 private:
  bool owns_ = false;
};

/** One rank of an MPI communicator (see the file comment). It works on a duplicate of the
 *  communicator it is given, so osprey's messages never mix with the application's, and frees
 *  the duplicate when destroyed (before MPI_Finalize). Movable, not copyable. */
class MpiCommunicator {
 public:
  /** A duplicate of `comm`. \throws Error if an MPI call fails. */
  explicit MpiCommunicator(MPI_Comm comm = MPI_COMM_WORLD) {
    detail::mpi_check(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup");
    detail::mpi_check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    detail::mpi_check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  ~MpiCommunicator() {
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (comm_ != MPI_COMM_NULL && finalised == 0) MPI_Comm_free(&comm_);
  }
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;
  /** Takes over the communicator of `o`, which is left without one. */
  MpiCommunicator(MpiCommunicator&& o) noexcept
      : comm_(o.comm_), rank_(o.rank_), size_(o.size_), stats_(o.stats_) {
    o.comm_ = MPI_COMM_NULL;
  }
  MpiCommunicator& operator=(MpiCommunicator&&) = delete;

  /** The number of this rank, 0..size()-1. */
  [[nodiscard]] int rank() const noexcept { return rank_; }
  /** The number of ranks. */
  [[nodiscard]] int size() const noexcept { return size_; }
  /** The payload this rank has sent and received so far (dist/communicator.hpp). */
  [[nodiscard]] CommStats stats() const noexcept { return stats_; }
  /** The duplicated communicator, for the application's own MPI calls. */
  [[nodiscard]] MPI_Comm native() const noexcept { return comm_; }

  /** MPI_Barrier. \throws Error if it fails. */
  void barrier() {
    ++stats_.collectives;
    detail::mpi_check(MPI_Barrier(comm_), "MPI_Barrier");
  }

  /** MPI_Bcast of `data` from `root`. \throws Error if it fails; InvalidArgument past int
   *  counts. */
  template <class T>
  requires std::is_trivially_copyable_v<T>
  void broadcast(std::span<T> data, int root) {
    ++stats_.collectives;
    if (rank_ == root)
      stats_.bytes_sent += data.size_bytes() * others();
    else
      stats_.bytes_received += data.size_bytes();
    detail::mpi_check(MPI_Bcast(data.data(), detail::mpi_count<T>(data.size(), "broadcast"),
                                detail::mpi_type<T>(), root, comm_),
                      "MPI_Bcast");
  }

  /** MPI_Allreduce in place (MPI_SUM, MPI_MIN or MPI_MAX). \throws Error if it fails. */
  template <class T>
  requires std::is_arithmetic_v<T>
  void all_reduce(std::span<T> data, ReduceOp op) {
    ++stats_.collectives;
    stats_.bytes_sent += data.size_bytes() * others();
    stats_.bytes_received += data.size_bytes() * others();
    const MPI_Op mop = op == ReduceOp::sum ? MPI_SUM : op == ReduceOp::min ? MPI_MIN : MPI_MAX;
    detail::mpi_check(
        MPI_Allreduce(MPI_IN_PLACE, data.data(), detail::mpi_count<T>(data.size(), "all_reduce"),
                      detail::mpi_type<T>(), mop, comm_),
        "MPI_Allreduce");
  }

  /** MPI_Allgather: every rank's `local` (equal lengths) in rank order. \throws Error. */
  template <class T>
  requires std::is_trivially_copyable_v<T> std::vector<T> all_gather(std::span<const T> local) {
    ++stats_.collectives;
    std::vector<T> out(local.size() * static_cast<std::size_t>(size_));
    const int n = detail::mpi_count<T>(local.size(), "all_gather");
    (void)detail::mpi_count<T>(out.size(), "all_gather");
    account(local.size_bytes() * others(), local.size_bytes() * others());
    detail::mpi_check(MPI_Allgather(local.data(), n, detail::mpi_type<T>(), out.data(), n,
                                    detail::mpi_type<T>(), comm_),
                      "MPI_Allgather");
    return out;
  }

  /** MPI_Allgatherv after exchanging the lengths; `counts` (when not null) receives them.
   *  \throws Error; InvalidArgument past int counts. */
  template <class T>
  requires std::is_trivially_copyable_v<T> std::vector<T> all_gatherv(
      std::span<const T> local, std::vector<std::size_t>* counts = nullptr) {
    const std::uint64_t mine = local.size();
    const CommStats before = stats_;  // the length exchange is bookkeeping, not payload
    const std::vector<std::uint64_t> sizes = all_gather(std::span<const std::uint64_t>(&mine, 1));
    stats_ = before;
    std::vector<int> recv(sizes.size());
    std::vector<int> displs(sizes.size());
    std::size_t total = 0;
    for (std::size_t r = 0; r < sizes.size(); ++r) {
      displs[r] = detail::mpi_count<T>(total, "all_gatherv");
      recv[r] = detail::mpi_count<T>(static_cast<std::size_t>(sizes[r]), "all_gatherv");
      total += static_cast<std::size_t>(sizes[r]);
    }
    (void)detail::mpi_count<T>(total, "all_gatherv");
    std::vector<T> out(total);
    account(local.size_bytes() * others(), (total - local.size()) * sizeof(T));
    detail::mpi_check(
        MPI_Allgatherv(local.data(), recv[static_cast<std::size_t>(rank_)], detail::mpi_type<T>(),
                       out.data(), recv.data(), displs.data(), detail::mpi_type<T>(), comm_),
        "MPI_Allgatherv");
    if (counts != nullptr) counts->assign(sizes.begin(), sizes.end());
    return out;
  }

  /** MPI_Alltoall of p equal blocks. \throws InvalidArgument unless the length is a
   *  multiple of p; Error if MPI fails. */
  template <class T>
  requires std::is_trivially_copyable_v<T> std::vector<T> all_to_all(std::span<const T> send) {
    const auto p = static_cast<std::size_t>(size_);
    if (send.size() % p != 0) {
      throw InvalidArgument("MpiCommunicator::all_to_all: send length " +
                            std::to_string(send.size()) + " is not a multiple of the group size " +
                            std::to_string(p));
    }
    ++stats_.collectives;
    const std::size_t block = send.size() / p;
    std::vector<T> out(send.size());
    const int n = detail::mpi_count<T>(block, "all_to_all");
    (void)detail::mpi_count<T>(send.size(), "all_to_all");
    account(block * sizeof(T) * others(), block * sizeof(T) * others());
    detail::mpi_check(MPI_Alltoall(send.data(), n, detail::mpi_type<T>(), out.data(), n,
                                   detail::mpi_type<T>(), comm_),
                      "MPI_Alltoall");
    return out;
  }

  /** MPI_Alltoallv after exchanging the counts; see dist/communicator.hpp.
   *  \throws InvalidArgument for bad counts or past int counts; Error if MPI fails. */
  template <class T>
  requires std::is_trivially_copyable_v<T> std::vector<T> all_to_allv(
      std::span<const T> send, std::span<const std::size_t> send_counts,
      std::vector<std::size_t>* recv_counts = nullptr) {
    const auto p = static_cast<std::size_t>(size_);
    std::size_t sum = 0;
    for (const std::size_t c : send_counts) sum += c;
    if (send_counts.size() != p || sum != send.size()) {
      throw InvalidArgument(
          "MpiCommunicator::all_to_allv: send_counts must have one entry per "
          "rank (" +
          std::to_string(p) + ") summing to the send length " + std::to_string(send.size()));
    }
    std::vector<std::uint64_t> mine(send_counts.begin(), send_counts.end());
    const CommStats before = stats_;  // the count exchange is bookkeeping, not payload
    const std::vector<std::uint64_t> theirs = all_to_all(std::span<const std::uint64_t>(mine));
    stats_ = before;
    std::vector<int> scounts(p), sdispls(p), rcounts(p), rdispls(p);
    std::size_t s_at = 0, r_at = 0, s_bytes = 0, r_bytes = 0;
    for (std::size_t r = 0; r < p; ++r) {
      scounts[r] = detail::mpi_count<T>(send_counts[r], "all_to_allv");
      sdispls[r] = detail::mpi_count<T>(s_at, "all_to_allv");
      rcounts[r] = detail::mpi_count<T>(static_cast<std::size_t>(theirs[r]), "all_to_allv");
      rdispls[r] = detail::mpi_count<T>(r_at, "all_to_allv");
      s_at += send_counts[r];
      r_at += static_cast<std::size_t>(theirs[r]);
      if (r != static_cast<std::size_t>(rank_)) {
        s_bytes += send_counts[r] * sizeof(T);
        r_bytes += static_cast<std::size_t>(theirs[r]) * sizeof(T);
      }
    }
    (void)detail::mpi_count<T>(r_at, "all_to_allv");
    std::vector<T> out(r_at);
    ++stats_.collectives;
    account(s_bytes, r_bytes);
    detail::mpi_check(
        MPI_Alltoallv(send.data(), scounts.data(), sdispls.data(), detail::mpi_type<T>(),
                      out.data(), rcounts.data(), rdispls.data(), detail::mpi_type<T>(), comm_),
        "MPI_Alltoallv");
    if (recv_counts != nullptr) recv_counts->assign(theirs.begin(), theirs.end());
    return out;
  }

 private:
  [[nodiscard]] std::size_t others() const noexcept { return static_cast<std::size_t>(size_ - 1); }
  void account(std::size_t sent, std::size_t received) noexcept {
    stats_.bytes_sent += sent;
    stats_.bytes_received += received;
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  CommStats stats_{};
};

/** Calls `fn()` and returns 0. If it throws, prints "osprey: rank r failed: <message>" on
 *  stderr and calls MPI_Abort on `comm` with exit code 1, which ends every rank of the job
 *  (MPI offers no way to interrupt the other ranks' collectives, and waiting would hang). */
template <class Fn>
int run_or_abort(const MpiCommunicator& comm, Fn&& fn) {
  try {
    fn();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "osprey: rank %d failed: %s\n", comm.rank(), e.what());
  } catch (...) {
    std::fprintf(stderr, "osprey: rank %d failed: unknown exception\n", comm.rank());
  }
  std::fflush(stderr);
  MPI_Abort(comm.native(), 1);
  return 1;
}

static_assert(Communicator<MpiCommunicator>);

}  // namespace dist
OSPREY_NAMESPACE_END

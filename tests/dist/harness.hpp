/** \file
 *  The harness of the distributed tests. Each case is a function template
 *  `template <class C> void case_<name>(C& comm)` in a tests/dist/case_<area>.hpp, listed in
 *  tests/dist/cases.hpp. Every rank calls it with its communicator; it computes the single-node
 *  answer itself, runs the distributed form on its share of the data, and throws
 *  `DistCheckFailed` (OSPREY_DIST_CHECK) when they differ. The same case runs under
 *  ThreadCommunicator for p = 1..4 (tests/test_dist.cpp, inside osprey_tests) and, when MPI is
 *  found, under mpirun -n 2 and 3 (tests/dist/mpi_main.cpp). Catch's assertions are not
 *  thread-safe, so the cases throw instead of using REQUIRE.
 */
#pragma once

#include <osprey/dist/communicator.hpp>

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace osprey_dist_test {

/** A distributed result differed from the single-node one. */
struct DistCheckFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class... Args>
[[noreturn]] void check_failed(const char* file, int line, const char* expr, Args&&... args) {
  std::ostringstream os;
  os << file << ":" << line << ": check failed: " << expr;
  if constexpr (sizeof...(Args) > 0) {
    os << " (";
    (os << ... << std::forward<Args>(args));
    os << ")";
  }
  throw DistCheckFailed(os.str());
}

/** The rows [first, last) of n rows that rank r of p holds: contiguous, uneven on purpose (rank
 *  r gets a share proportional to r + 1), so that every split point and an empty rank (n < p)
 *  are exercised. */
inline std::pair<std::int64_t, std::int64_t> uneven_slice(std::int64_t n, int r, int p) {
  const std::int64_t weight_total = static_cast<std::int64_t>(p) * (p + 1) / 2;
  auto edge = [&](int k) {  // rows before rank k
    const std::int64_t w = static_cast<std::int64_t>(k) * (k + 1) / 2;
    return n * w / weight_total;
  };
  return {edge(r), edge(r + 1)};
}

}  // namespace osprey_dist_test

/** Throws DistCheckFailed with the file, line, expression and the extra values streamed. */
#define OSPREY_DIST_CHECK(cond, ...)                                                          \
  do {                                                                                        \
    if (!(cond))                                                                              \
      ::osprey_dist_test::check_failed(__FILE__, __LINE__, #cond __VA_OPT__(, ) __VA_ARGS__); \
  } while (false)

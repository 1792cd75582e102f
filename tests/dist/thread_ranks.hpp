/** \file
 *  Bad-input checks on thread ranks, shared by the tests/test_dist_*.cpp files. */
#pragma once

#include <osprey/dist/thread_communicator.hpp>

#include <atomic>
#include <string>

namespace osprey_dist_test {

/** Runs fn on p thread ranks; returns how many ranks threw InvalidArgument whose message
 *  contains `needle` (caught on the rank, so that no rank fails the group while another still
 *  finishes the collective that reported the error). */
template <class Fn>
int ranks_rejecting(int p, const std::string& needle, Fn fn) {
  std::atomic<int> count{0};
  osprey::dist::run_ranks(p, [&](osprey::dist::ThreadCommunicator& comm) {
    try {
      fn(comm);
    } catch (const osprey::InvalidArgument& e) {
      if (std::string(e.what()).find(needle) != std::string::npos) ++count;
    }
  });
  return count;
}

}  // namespace osprey_dist_test

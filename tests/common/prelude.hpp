// Included first by every test file (and precompiled): osprey's own invariants throw in tests
// instead of aborting, so a broken invariant shows up as a failed test case.
#pragma once

#include <stdexcept>
#include <string>

#define OSPREY_ASSERT(cond, msg)                                                         \
  do {                                                                                   \
    if (!(cond)) throw std::logic_error(std::string("osprey assertion failed: ") + msg); \
  } while (false)

#include <Eigen/Core>
#include <catch2/catch.hpp>

/** \file
 *  Every compile-time option of osprey, in one place.
 *
 *  - `OSPREY_USE_OPENMP`: defined by the CMake target when `OSPREY_OPENMP` is ON and OpenMP
 *    was found. Without it every parallel loop runs serially; results do not change.
 *  - `OSPREY_ASSERT(cond, msg)`: checks osprey's own invariants (never user input). Compiled
 *    out under `NDEBUG` unless `OSPREY_ENABLE_ASSERTS` is defined; define it yourself before
 *    including osprey to route failures elsewhere (the tests make it throw).
 *  - `OSPREY_HAS_INT128`: 1 when the compiler has `unsigned __int128` (GCC and Clang on 64-bit
 *    targets), else 0 (MSVC, 32-bit targets). Detected; define it to 0 yourself to force the
 *    portable 64x64->128 multiply (the results are identical either way).
 */
#pragma once

#include <cstdio>
#include <cstdlib>

#include "version.hpp"

/// Opens osprey's public namespace with a versioned inline namespace, so two header
/// versions in one program fail to link instead of silently violating the ODR.
#define OSPREY_NAMESPACE_BEGIN \
  namespace osprey {           \
  inline namespace v0 {
/// Closes what OSPREY_NAMESPACE_BEGIN opened.
#define OSPREY_NAMESPACE_END \
  }                          \
  }

#if defined(_OPENMP) && !defined(OSPREY_USE_OPENMP)
// OpenMP enabled by the consumer's flags but not through the CMake option: use it.
#define OSPREY_USE_OPENMP 1
#endif

#ifndef OSPREY_ASSERT
#if !defined(NDEBUG) || defined(OSPREY_ENABLE_ASSERTS)
/// Checks one of osprey's own invariants; prints and aborts when it fails (see the file comment).
#define OSPREY_ASSERT(cond, msg)                                                                \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "osprey assertion failed: %s (%s) at %s:%d\n", msg, #cond, __FILE__, \
                   __LINE__);                                                                   \
      std::abort();                                                                             \
    }                                                                                           \
  } while (false)
#else
#define OSPREY_ASSERT(cond, msg) ((void)0)
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
/// Promises the compiler that a pointer does not alias another (hot kernels only).
#define OSPREY_RESTRICT __restrict__
/// Forces inlining of a tiny hot function.
#define OSPREY_ALWAYS_INLINE inline __attribute__((always_inline))
/// Keeps a hot loop out of its caller, so the register allocator sees it alone.
#define OSPREY_NOINLINE __attribute__((noinline))
#else
/// Promises the compiler that a pointer does not alias another (a no-op on this compiler).
#define OSPREY_RESTRICT
/// Forces inlining of a tiny hot function (plain inline on this compiler).
#define OSPREY_ALWAYS_INLINE inline
/// Keeps a hot loop out of its caller (a no-op on this compiler).
#define OSPREY_NOINLINE
#endif

#ifndef OSPREY_HAS_INT128
#if defined(__SIZEOF_INT128__)
/// 1 when `unsigned __int128` is available (see the file comment).
#define OSPREY_HAS_INT128 1
#else
#define OSPREY_HAS_INT128 0
#endif
#endif

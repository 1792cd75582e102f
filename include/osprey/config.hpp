/** \file
 *  Every compile-time option of osprey, in one place.
 *
 *  - `OSPREY_USE_OPENMP`: defined by the CMake target when `OSPREY_OPENMP` is ON and OpenMP
 *    was found (or when the consumer compiles with OpenMP). Without it every parallel loop runs
 *    serially; results do not change.
 *  - `OSPREY_ABI_TAG`: the inline namespace's name (read only), derived from OpenMP and the SIMD
 *    macros the kernels branch on (`__AVX512F__`, `__AVX2__`, `__AVX__`, `__SSE2__`,
 *    `__ARM_NEON`).
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

#if defined(_OPENMP) && !defined(OSPREY_USE_OPENMP)
// OpenMP enabled by the consumer's flags but not through the CMake option: use it.
#define OSPREY_USE_OPENMP 1
#endif

// ABI tag. The kernels choose their code by OpenMP and by the widest SIMD instruction set the
// compiler may use, so two translation units built with different settings would give the same
// mangled name two different bodies (an ODR violation: the linker keeps one, and an AVX-512 body
// kept in a program that also runs on an older host dies with SIGILL). The inline namespace
// names these settings, e.g. `osprey::v0_omp_avx512`, so each setting gets its own symbols.
/** \def OSPREY_ABI_THREADS
 *  Threading part of the ABI tag: `omp` when OpenMP is used, `seq` otherwise. */
/** \def OSPREY_ABI_SIMD
 *  SIMD part of the ABI tag: the widest instruction set the kernels branch on, one of `avx512`,
 *  `avx2`, `avx`, `sse2`, `neon` or `scalar`. */
#if defined(OSPREY_USE_OPENMP)
#define OSPREY_ABI_THREADS omp
#else
#define OSPREY_ABI_THREADS seq
#endif
#if defined(__AVX512F__)
#define OSPREY_ABI_SIMD avx512
#elif defined(__AVX2__)
#define OSPREY_ABI_SIMD avx2
#elif defined(__AVX__)
#define OSPREY_ABI_SIMD avx
#elif defined(__SSE2__) || defined(_M_X64)
#define OSPREY_ABI_SIMD sse2
#elif defined(__ARM_NEON)
#define OSPREY_ABI_SIMD neon
#else
#define OSPREY_ABI_SIMD scalar
#endif
/// \cond OSPREY_INTERNAL
#define OSPREY_DETAIL_ABI_PASTE(v, t, s) v##_##t##_##s
#define OSPREY_DETAIL_ABI_NAME(v, t, s) OSPREY_DETAIL_ABI_PASTE(v, t, s)
#define OSPREY_DETAIL_STRINGIFY_(x) #x
#define OSPREY_DETAIL_STRINGIFY(x) OSPREY_DETAIL_STRINGIFY_(x)
/// \endcond
/// Name of the inline namespace: version, threads and SIMD, e.g. `v0_omp_avx2`.
#define OSPREY_ABI_NAMESPACE OSPREY_DETAIL_ABI_NAME(v0, OSPREY_ABI_THREADS, OSPREY_ABI_SIMD)
/// The same name as a string literal, e.g. `"v0_omp_avx2"`.
#define OSPREY_ABI_TAG OSPREY_DETAIL_STRINGIFY(OSPREY_ABI_NAMESPACE)

/// Opens osprey's public namespace with an inline namespace named by the version and the ABI
/// tag, so two header versions, or two builds with different OpenMP or SIMD settings, in one
/// program get different symbols instead of silently violating the ODR.
#define OSPREY_NAMESPACE_BEGIN \
  namespace osprey {           \
  inline namespace OSPREY_ABI_NAMESPACE {
/// Closes what OSPREY_NAMESPACE_BEGIN opened.
#define OSPREY_NAMESPACE_END \
  }                          \
  }

/// Opens osprey's namespace for types whose code no setting changes (the exceptions): they carry
/// the version only, so an error thrown by code built one way is caught by code built another.
#define OSPREY_STABLE_NAMESPACE_BEGIN \
  namespace osprey {                  \
  inline namespace v0 {
/// Closes what OSPREY_STABLE_NAMESPACE_BEGIN opened.
#define OSPREY_STABLE_NAMESPACE_END \
  }                                 \
  }

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
/// 0: the compiler has no `unsigned __int128`; the portable 64 x 64 -> 128 multiply is used.
#define OSPREY_HAS_INT128 0
#endif
#endif

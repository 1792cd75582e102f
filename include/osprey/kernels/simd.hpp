/** \file
 *  SIMD lane helpers shared by every kernel: the vector type of the target's native width and
 *  branch-free lane-wise abs/min/max, the fixed-order tree sum of a vector's lanes
 *  (fold_halves), plus the scalar helpers the streaming charts need (a fused multiply-add where
 *  the target has one, a one-instruction max).
 *
 *  Cost: each helper is a handful of instructions, inlined. Thread-safety: pure functions of
 *  their arguments, safe from any thread.
 */
#pragma once

#include <cmath>
#include <cstddef>
#include <cstring>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../config.hpp"

/// Width in bytes of the SIMD vectors of the tiled kernel: the target's native width, so no
/// vector crosses a function boundary wider than the ABI allows.
#if defined(__AVX512F__)
#define OSPREY_SIMD_BYTES 64
#elif defined(__AVX__)
#define OSPREY_SIMD_BYTES 32
#else
#define OSPREY_SIMD_BYTES 16
#endif

OSPREY_NAMESPACE_BEGIN
namespace kernels {

/** GCC/Clang vector-extension type of `OSPREY_SIMD_BYTES` bytes (plain scalar fallback). */
template <class S>
struct SimdOf;
#if defined(__GNUC__) || defined(__clang__)
/// The float vector.
template <>
struct SimdOf<float> {
  /// OSPREY_SIMD_BYTES / 4 floats
  typedef float type __attribute__((vector_size(OSPREY_SIMD_BYTES)));  // NOLINT
};
/// The double vector.
template <>
struct SimdOf<double> {
  /// OSPREY_SIMD_BYTES / 8 doubles
  typedef double type __attribute__((vector_size(OSPREY_SIMD_BYTES)));  // NOLINT
};
/// True when the compiler has vector extensions (simd_t is a vector, not a scalar).
inline constexpr bool has_simd = true;
#else
/// The float vector.
template <>
struct SimdOf<float> {
  using type = float;  ///< no vector extensions: one lane
};
/// The double vector.
template <>
struct SimdOf<double> {
  using type = double;  ///< no vector extensions: one lane
};
/// True when the compiler has vector extensions (simd_t is a vector, not a scalar).
inline constexpr bool has_simd = false;
#endif
/// The SIMD vector of `S` of the target's native width.
template <class S>
using simd_t = typename SimdOf<S>::type;

/** |v| for a scalar or a SIMD vector (clears the sign bits). */
template <class V>
OSPREY_ALWAYS_INLINE V abs_value(V v) noexcept {
  if constexpr (std::is_floating_point_v<V>) {
    return std::abs(v);
  } else {
    using I = decltype(v < v);
    const I sign = (I)(-(V{}));  // -0.0 in every lane: only the sign bit set
    return (V)((I)v & ~sign);
  }
}

/** max(a, b) for scalars or SIMD vectors (a when a > b, else b). */
template <class V>
OSPREY_ALWAYS_INLINE V max_value(V a, V b) noexcept {
  if constexpr (std::is_floating_point_v<V>) {
    return a > b ? a : b;
  } else {
    using I = decltype(a < b);
    const I m = a > b;
    return (V)(((I)a & m) | ((I)b & ~m));
  }
}

/** min(a, b) for scalars or SIMD vectors (a when a < b, else b). */
template <class V>
OSPREY_ALWAYS_INLINE V min_value(V a, V b) noexcept {
  if constexpr (std::is_floating_point_v<V>) {
    return a < b ? a : b;
  } else {
    using I = decltype(a < b);
    const I m = a < b;
    return (V)(((I)a & m) | ((I)b & ~m));
  }
}

#if defined(__GNUC__) || defined(__clang__)
/** The sum of the lanes of `v` (`Bytes` bytes of T) as a balanced tree: the high half is added to
 *  the low half until one lane is left. */
template <class T, std::size_t Bytes, class W>
OSPREY_ALWAYS_INLINE T fold_halves(const W& v) noexcept {
  if constexpr (Bytes == sizeof(T)) {
    T x;
    std::memcpy(&x, &v, sizeof(T));
    return x;
  } else {
    typedef T Half __attribute__((vector_size(Bytes / 2)));  // NOLINT
    Half lo;
    Half hi;
    std::memcpy(&lo, &v, Bytes / 2);
    std::memcpy(&hi, reinterpret_cast<const char*>(&v) + Bytes / 2, Bytes / 2);
    return fold_halves<T, Bytes / 2>(lo + hi);
  }
}
#endif

/** a * b + c, fused where the target has an FMA unit (std::fma is a slow library call
 *  otherwise). */
template <class T>
OSPREY_ALWAYS_INLINE T mul_add(T a, T b, T c) noexcept {
#if defined(__FMA__)
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

/** max(a, b) as one max instruction, a > b ? a : b (the SSE rule: b on a tie or a NaN).
 *  std::max on the CUSUM's max(0, .) lets g++ thread the comparison into the alarm tests and
 *  emit a branch on the sign of the sum, which the CPU mispredicts on in-control data (see
 *  docs/benchmarks.md, "EWMA and CUSUM"). The intrinsic `_mm_max_sd(_mm_set_sd(a), ...)` keeps
 *  the max but g++ adds a move that zeroes the upper lane on the loop-carried chain, and a
 *  merge move at the loop's join: a CUSUM update took 9.8 cycles per sample in double and 8.2
 *  in float that way, 7.6 and 6.5 with the one instruction written out as here (AMD EPYC at
 *  3.58 GHz, g++ 12). Elsewhere the plain expression, which compilers map to a max. */
template <class T>
OSPREY_ALWAYS_INLINE T max_branchless(T a, T b) noexcept {
#if (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__x86_64__) || (defined(__i386__) && defined(__SSE2__)))
  if constexpr (std::is_same_v<T, float>) {
#if defined(__AVX__)
    float r;
    asm("vmaxss %2, %1, %0" : "=x"(r) : "x"(a), "x"(b));
    return r;
#else
    asm("maxss %1, %0" : "+x"(a) : "x"(b));
    return a;
#endif
  } else if constexpr (std::is_same_v<T, double>) {
#if defined(__AVX__)
    double r;
    asm("vmaxsd %2, %1, %0" : "=x"(r) : "x"(a), "x"(b));
    return r;
#else
    asm("maxsd %1, %0" : "+x"(a) : "x"(b));
    return a;
#endif
  } else {
    return a > b ? a : b;
  }
#else
  return a > b ? a : b;
#endif
}

}  // namespace kernels
OSPREY_NAMESPACE_END

/** \file
 *  Portable, splittable random numbers. The standard distributions differ between standard
 *  libraries, so osprey writes the few draws it needs itself: a seed gives the same stream on
 *  every platform. `Rng::split(k)` derives an independent stream for tree, block or row `k`,
 *  so results never depend on how work is spread over threads.
 *
 *  Generator: xoshiro256** (Blackman & Vigna 2018), seeded through SplitMix64 (Steele, Lea &
 *  Flood 2014) as its authors recommend.
 */
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>

#include "../config.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** One step of SplitMix64: advances `state` and returns a well-mixed 64-bit value. */
[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31U);
}

/** The 128-bit product of two 64-bit words, as its high and low halves. */
struct Product128 {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  friend constexpr bool operator==(const Product128&, const Product128&) = default;
};

/** 64x64->128 multiply from 32-bit halves: standard C++ for compilers without a 128-bit type
 *  (MSVC, 32-bit targets). Exact; always defined so the tests can compare it with the native
 *  one. */
[[nodiscard]] constexpr Product128 mul_64x64_128_portable(std::uint64_t a,
                                                          std::uint64_t b) noexcept {
  constexpr std::uint64_t mask = 0xFFFFFFFFULL;
  const std::uint64_t a_lo = a & mask, a_hi = a >> 32U;
  const std::uint64_t b_lo = b & mask, b_hi = b >> 32U;
  const std::uint64_t ll = a_lo * b_lo;
  const std::uint64_t lh = a_lo * b_hi;
  const std::uint64_t hl = a_hi * b_lo;
  const std::uint64_t hh = a_hi * b_hi;
  // middle column: at most 3 (2^32 - 1), no overflow in 64 bits
  const std::uint64_t mid = (ll >> 32U) + (lh & mask) + (hl & mask);
  return {hh + (lh >> 32U) + (hl >> 32U) + (mid >> 32U), (mid << 32U) | (ll & mask)};
}

/** 64x64->128 multiply: the compiler's `unsigned __int128` where it has one
 *  (`OSPREY_HAS_INT128`), else mul_64x64_128_portable; both give the same result. */
[[nodiscard]] constexpr Product128 mul_64x64_128(std::uint64_t a, std::uint64_t b) noexcept {
#if OSPREY_HAS_INT128
  __extension__ using uint128 = unsigned __int128;
  const uint128 m = static_cast<uint128>(a) * b;
  return {static_cast<std::uint64_t>(m >> 64U), static_cast<std::uint64_t>(m)};
#else
  return mul_64x64_128_portable(a, b);
#endif
}

}  // namespace detail

/** The library's random number generator, public so user code can draw the same portable
 *  streams the estimators draw: xoshiro256** with portable draws. Cheap to copy; not
 *  thread-safe (give each thread its own, made with `split`). */
class Rng {
 public:
  using result_type = std::uint64_t;  ///< the raw draw's type (a UniformRandomBitGenerator)

  /** The generator seeded with `seed`: its four state words come from SplitMix64(seed). */
  explicit constexpr Rng(std::uint64_t seed = 0) noexcept : seed_(seed) {
    std::uint64_t sm = seed;
    for (auto& word : s_) word = detail::splitmix64(sm);
  }

  /** An independent generator for sub-task `stream` (a tree, a row block, a class). Depends
   *  only on the seed this generator was built from and `stream`, not on draws made so far. */
  [[nodiscard]] constexpr Rng split(std::uint64_t stream) const noexcept {
    std::uint64_t sm = seed_ ^ (0xD1B54A32D192ED03ULL * (stream + 1));
    return Rng(detail::splitmix64(sm));
  }

  /** Smallest raw draw. */
  static constexpr result_type min() noexcept { return 0; }
  /** Largest raw draw. */
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  /** Next raw 64-bit value. */
  constexpr result_type operator()() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17U;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  double uniform() noexcept { return static_cast<double>((*this)() >> 11U) * 0x1.0p-53; }

  /** Uniform double in [lo, hi). */
  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }

  /** Uniform integer in [0, n) for n >= 1, without modulo bias (Lemire 2019). */
  std::uint64_t bounded(std::uint64_t n) noexcept {
    if (n <= 1) return 0;
    detail::Product128 m = detail::mul_64x64_128((*this)(), n);
    if (m.lo < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (m.lo < threshold) m = detail::mul_64x64_128((*this)(), n);
    }
    return m.hi;
  }

  /** Standard normal draw (Box-Muller; one value per call, the pair's second is discarded so the
   *  stream has no hidden state). */
  double normal() noexcept {
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

  /** Normal draw with the given mean and standard deviation. */
  double normal(double mean, double sd) noexcept { return mean + sd * normal(); }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }

  std::uint64_t seed_;
  std::uint64_t s_[4]{};
};

namespace detail {

/** Fisher-Yates shuffle of a random-access range with `rng` (portable, unlike std::shuffle). */
template <class It>
void shuffle(It first, It last, Rng& rng) {
  const auto n = last - first;
  for (auto i = n - 1; i > 0; --i) {
    const auto j = static_cast<decltype(i)>(rng.bounded(static_cast<std::uint64_t>(i) + 1));
    using std::swap;
    swap(first[i], first[j]);
  }
}

}  // namespace detail
OSPREY_NAMESPACE_END

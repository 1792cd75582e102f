/** \file
 *  Per-query k-smallest selection for the neighbour searches.
 *
 *  `TopK` keeps the k best (value, index) pairs seen so far in a small sorted buffer and exposes
 *  the current k-th value as a running threshold: a candidate that does not beat it costs one
 *  comparison, a candidate that does is inserted by shifting (k is small, typically 5-50).
 *  Order is lexicographic on (value, index), so ties go to the lower training index whatever
 *  order candidates arrive in. `scan_block` feeds a contiguous block of values, testing chunks
 *  of 16 against the threshold with one vectorised minimum before looking at single values.
 *
 *  `scan_block_checked` is the form for estimates (the Euclidean norm expansion): a value within
 *  a bound E of the held k-th is recomputed exactly before it is offered, so the k-buffer holds
 *  exact values and the selection is exact whatever the estimates' rounding.
 *
 *  The symmetric leave-one-out search offers each pair to two rows' k-buffers: `topk_insert` is
 *  the TopK rule on a raw buffer, `seed_thresholds` bounds each row's k-th value in a diagonal
 *  tile from its SIMD lane minima before the tile is scanned, and `scan_pair_column` lists the
 *  rows of a tile column below either threshold (one vector loop recording lane masks, then a
 *  bit scan).
 *
 *  Cost: a scan is O(n) comparisons plus O(k) per accepted candidate; seed_thresholds is
 *  O(rows^2) per diagonal tile. Memory: O(k) per query; the searches never hold more than one
 *  tile of distances. Thread-safety: each function touches only its arguments; a TopK or
 *  k-buffer must be used by one thread at a time.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "../config.hpp"
#include "simd.hpp"

OSPREY_NAMESPACE_BEGIN
namespace kernels {

/** The k smallest (value, index) pairs of a stream, sorted, in caller-provided storage. */
template <class S>
class TopK {
 public:
  /** Uses `values[0..k)` and `indices[0..k)` as the buffer; starts empty. */
  TopK(S* values, int* indices, int k) noexcept : values_(values), indices_(indices), k_(k) {
    reset();
  }

  /** Forgets every candidate. */
  void reset() noexcept {
    for (int i = 0; i < k_; ++i) {
      values_[i] = std::numeric_limits<S>::infinity();
      indices_[i] = std::numeric_limits<int>::max();
    }
    count_ = 0;
  }

  /** The k-th smallest value so far (+inf until k candidates were seen). */
  [[nodiscard]] S threshold() const noexcept { return values_[k_ - 1]; }
  /** Number of candidates held (at most k). */
  [[nodiscard]] int size() const noexcept { return count_; }

  /** Offers one candidate; kept if (value, index) is lexicographically below the k-th. */
  OSPREY_ALWAYS_INLINE void push(S value, int index) noexcept {
    const S t = values_[k_ - 1];
    if (value > t || (value == t && index >= indices_[k_ - 1])) return;
    int pos = k_ - 1;
    while (pos > 0 &&
           (values_[pos - 1] > value || (values_[pos - 1] == value && indices_[pos - 1] > index))) {
      values_[pos] = values_[pos - 1];
      indices_[pos] = indices_[pos - 1];
      --pos;
    }
    values_[pos] = value;
    indices_[pos] = index;
    if (count_ < k_) ++count_;
  }

 private:
  S* values_;
  int* indices_;
  int k_;
  int count_ = 0;
};

/** Inserts (value, index) into the sorted k-buffer `vals`/`idx` when it is lexicographically
 *  below the k-th held pair (the TopK rule, on a buffer that is already initialised). */
template <class S>
OSPREY_ALWAYS_INLINE void topk_insert(S* vals, int* idx, int k, S value, int index) noexcept {
  if (value > vals[k - 1] || (value == vals[k - 1] && index >= idx[k - 1])) return;
  int pos = k - 1;
  while (pos > 0 && (vals[pos - 1] > value || (vals[pos - 1] == value && idx[pos - 1] > index))) {
    vals[pos] = vals[pos - 1];
    idx[pos] = idx[pos - 1];
    --pos;
  }
  vals[pos] = value;
  idx[pos] = index;
}

/** The lane mask of a SIMD comparison result `m` as bits (bit l set when lane l is true); with
 *  narrower vectors the compiler builds it from the lane comparisons. */
template <class M>
OSPREY_ALWAYS_INLINE std::uint64_t lane_bits(const M& m) noexcept {
  constexpr int lanes = static_cast<int>(sizeof(M) / sizeof(m[0]));
  static_assert(lanes <= 64);
  std::uint64_t bits = 0;
  for (int l = 0; l < lanes; ++l) bits |= static_cast<std::uint64_t>(m[l] != 0) << l;
  return bits;
}

/** Bit l set when lane l of `a` is <= lane l of `b` (false for NaN): one compare into a mask
 *  register with AVX-512, the generic `lane_bits` otherwise. */
template <class V>
OSPREY_ALWAYS_INLINE std::uint64_t le_bits(const V& a, const V& b) noexcept {
#if defined(__AVX512F__)
  if constexpr (sizeof(V) == 64 && sizeof(a[0]) == 8) {
    return _mm512_cmp_pd_mask(reinterpret_cast<const __m512d&>(a),
                              reinterpret_cast<const __m512d&>(b), _CMP_LE_OQ);
  } else if constexpr (sizeof(V) == 64 && sizeof(a[0]) == 4) {
    return _mm512_cmp_ps_mask(reinterpret_cast<const __m512&>(a),
                              reinterpret_cast<const __m512&>(b), _CMP_LE_OQ);
  } else {
    return lane_bits(a <= b);
  }
#else
  return lane_bits(a <= b);
#endif
}

/** The lane mask with every lane of V set. */
template <class V>
[[nodiscard]] constexpr std::uint64_t full_mask() noexcept {
  constexpr int lanes = static_cast<int>(sizeof(V) / sizeof(V{}[0]));
  return lanes == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << lanes) - 1;
}

/** `w` as a T no smaller than w (w itself when T is double). */
template <class T>
[[nodiscard]] T round_up(double w) noexcept {
  auto t = static_cast<T>(w);
  if (!(static_cast<double>(t) < w)) return t;
  // The next T above t, by its bit pattern (this runs on every threshold update, where a libm
  // nextafter call would cost more than the rest of the update).
  using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  const auto bits = std::bit_cast<Bits>(t);
  if (t == T(0)) return std::numeric_limits<T>::denorm_min();  // from +0 or -0
  return std::bit_cast<T>(t > T(0) ? static_cast<Bits>(bits + 1) : static_cast<Bits>(bits - 1));
}

/** Smallest of `values[i] (+ offsets[i])` over a chunk of 4 SIMD vectors, as a vector whose
 *  lanes hold partial minima (vertical reduction only; the caller tests the lanes). */
template <class S, bool Offsets>
OSPREY_ALWAYS_INLINE simd_t<S> chunk_min(const S* values, const S* offsets) noexcept {
  using V = simd_t<S>;
  constexpr std::size_t L = sizeof(V) / sizeof(S);
  V m;
  std::memcpy(&m, values, sizeof(V));
  if constexpr (Offsets) {
    V o;
    std::memcpy(&o, offsets, sizeof(V));
    m += o;
  }
  for (std::size_t w = 1; w < 4; ++w) {
    V v;
    std::memcpy(&v, values + w * L, sizeof(V));
    if constexpr (Offsets) {
      V o;
      std::memcpy(&o, offsets + w * L, sizeof(V));
      v += o;
    }
    m = min_value(v, m);
  }
  return m;
}

/** True when `dead` (a removed-row mask; nullptr: none) marks index `idx`. */
[[nodiscard]] OSPREY_ALWAYS_INLINE bool is_dead(const std::uint8_t* dead, int idx) noexcept {
  return dead != nullptr && dead[idx] != 0;
}

/** Offers `values[i] (+ offsets[i])` for i in [0, n) with indices `base + i` (increasing),
 *  skipping index `skip` (-1: none). A chunk of 4 SIMD vectors is first reduced to its minimum
 *  and rejected at once unless it beats the threshold; since indices increase, an equal value
 *  never displaces a held one, so `<` is exact. Indices marked in `dead` (nullptr: none) are
 *  skipped too; the mask is read only for values that beat the threshold, so it costs nothing
 *  in the hot loop. */
template <class S, bool Offsets>
void scan_values(const S* values, const S* offsets, Eigen::Index n, int base, int skip,
                 TopK<S>& top, const std::uint8_t* dead = nullptr) noexcept {
  using V = simd_t<S>;
  constexpr auto L = static_cast<Eigen::Index>(sizeof(V) / sizeof(S));
  constexpr Eigen::Index chunk = 4 * L;
  Eigen::Index i = 0;
  for (; i + chunk <= n; i += chunk) {
    const V m = chunk_min<S, Offsets>(values + i, Offsets ? offsets + i : nullptr);
    // Any lane below the threshold (for < on floats: not >=; values are never NaN).
    if (le_bits(V{} + top.threshold(), m) == full_mask<V>()) continue;
    for (Eigen::Index j = i; j < i + chunk; ++j) {
      const int idx = base + static_cast<int>(j);
      const S value = Offsets ? values[j] + offsets[j] : values[j];
      if (value < top.threshold() && idx != skip && !is_dead(dead, idx)) top.push(value, idx);
    }
  }
  for (; i < n; ++i) {
    const int idx = base + static_cast<int>(i);
    const S value = Offsets ? values[i] + offsets[i] : values[i];
    if (value < top.threshold() && idx != skip && !is_dead(dead, idx)) top.push(value, idx);
  }
}

/** Offers `values[0..n)` with indices `base + i`; see scan_values. */
template <class S>
void scan_block(const S* values, Eigen::Index n, int base, int skip, TopK<S>& top,
                const std::uint8_t* dead = nullptr) noexcept {
  scan_values<S, false>(values, nullptr, n, base, skip, top, dead);
}

/** Offers `values[i] + offsets[i]` (the |x|^2 term of the Euclidean norm expansion, summed on
 *  the fly so the tile is read once); see scan_values. */
template <class S>
void scan_block_plus(const S* values, const S* offsets, Eigen::Index n, int base, int skip,
                     TopK<S>& top) noexcept {
  scan_values<S, true>(values, offsets, n, base, skip, top);
}

/** Offers the rows [0, n) with indices `base + i`, skipping index `skip` (-1: none), where
 *  `values[i]` is an estimate within `E` of row i's exact value `exact(base + i)`: a row is
 *  recomputed with `exact` and offered only when its estimate is <= the k-th held value + E, so
 *  every row the exact rule keeps is offered, with its exact value. Chunks of 4 SIMD vectors are
 *  rejected at once when their minimum is above the bound. Indices marked in `dead` (nullptr:
 *  none) are skipped as `skip` is. */
template <class S, class Exact>
void scan_block_checked(const S* values, Eigen::Index n, int base, int skip, double E, TopK<S>& top,
                        Exact&& exact, const std::uint8_t* dead = nullptr) {
  using V = simd_t<S>;
  constexpr auto L = static_cast<Eigen::Index>(sizeof(V) / sizeof(S));
  constexpr Eigen::Index chunk = 4 * L;
  S bound = round_up<S>(static_cast<double>(top.threshold()) + E);
  const auto offer = [&](Eigen::Index j) {
    const int idx = base + static_cast<int>(j);
    if (values[j] <= bound && idx != skip && !is_dead(dead, idx)) {
      top.push(exact(idx), idx);
      bound = round_up<S>(static_cast<double>(top.threshold()) + E);
    }
  };
  Eigen::Index i = 0;
  for (; i + chunk <= n; i += chunk) {
    const V m = chunk_min<S, false>(values + i, nullptr);
    if (le_bits(m, V{} + bound) == 0) continue;
    for (Eigen::Index j = i; j < i + chunk; ++j) offer(j);
  }
  for (; i < n; ++i) offer(i);
}

/** The bound scan_block_checked tests estimates against: the held k-th value plus E, rounded
 *  up to S. */
template <class S>
[[nodiscard]] OSPREY_ALWAYS_INLINE S checked_bound(const TopK<S>& top, double E) noexcept {
  return round_up<S>(static_cast<double>(top.threshold()) + E);
}

/** scan_block_checked over estimates formed here from a tile of dot products: value r is
 *  (norms[r] + qn) + alpha * dots[r], for r < n, offered in ascending r (the Euclidean search's
 *  |x|^2 + |q|^2 - 2 x.q with alpha = -2, straight from the packed product's register tile, so
 *  no tile of estimates is written and read back). `bound` is checked_bound(top, E), kept by
 *  the caller across calls and updated here after each insertion. A SIMD vector of estimates
 *  is tested against the bound at once; values in a vector that passes are then decided one by
 *  one on the stored values, as scan_block_checked decides them (skipping `dead` indices too). */
template <class S, class Exact>
OSPREY_ALWAYS_INLINE void scan_estimates_checked(const S* dots, const S* norms, S qn, S alpha,
                                                 Eigen::Index n, int base, int skip, double E,
                                                 S& bound, TopK<S>& top, Exact&& exact,
                                                 const std::uint8_t* dead = nullptr) {
  using V = simd_t<S>;
  constexpr auto L = static_cast<Eigen::Index>(sizeof(V) / sizeof(S));
  alignas(sizeof(V)) S est[static_cast<std::size_t>(L)];
  for (Eigen::Index i = 0; i < n; i += L) {
    const Eigen::Index m = std::min(L, n - i);
    if (m == L) {
      V d;
      V x;
      std::memcpy(&d, dots + i, sizeof(V));
      std::memcpy(&x, norms + i, sizeof(V));
      const V e = (x + qn) + alpha * d;
      if (le_bits(e, V{} + bound) == 0) continue;
      std::memcpy(est, &e, sizeof(V));
    } else {
      for (Eigen::Index r = 0; r < m; ++r) est[r] = (norms[i + r] + qn) + alpha * dots[i + r];
    }
    for (Eigen::Index r = 0; r < m; ++r) {
      const int idx = base + static_cast<int>(i + r);
      if (est[r] <= bound && idx != skip && !is_dead(dead, idx)) {
        top.push(exact(idx), idx);
        bound = checked_bound(top, E);
      }
    }
  }
}

/** Rows per segment of the symmetric scan (scan_pair_column): the most hits one call lists. */
inline constexpr Eigen::Index scan_segment_rows = 512;

/** Before a diagonal tile is scanned, calls `lower(c, tau)` for each of its rows c with an
 *  upper bound tau of the row's k-th smallest value in the tile: column c of the tile holds
 *  row c's values, whose per-lane minima over SIMD-width strides are values of distinct rows,
 *  so the k-th smallest lane minimum bounds the k-th smallest value from above. The scan then
 *  inserts only values at or below that bound (about half as many insertions as a k-buffer
 *  filling up from infinity), and nothing the exact rule would keep is dropped. Does nothing
 *  when k exceeds the lane count or the tile has too few rows. */
template <class F, class Lower>
void seed_thresholds(F* C, Eigen::Index ldc, Eigen::Index rows, int k, Lower&& lower) {
  using V = simd_t<F>;
  constexpr int L = static_cast<int>(sizeof(V) / sizeof(F));
  if (k > L || rows <= static_cast<Eigen::Index>(L) * 2) return;
  for (Eigen::Index c = 0; c < rows; ++c) {
    F* col = C + c * ldc;
    // The row's value against itself is not a candidate; the scan never reads the diagonal.
    col[c] = std::numeric_limits<F>::infinity();
    V m = V{} + std::numeric_limits<F>::infinity();
    Eigen::Index r = 0;
    for (; r + L <= rows; r += L) {
      V v;
      std::memcpy(&v, col + r, sizeof(V));
      m = v < m ? v : m;
    }
    F lane_min[static_cast<std::size_t>(L)];
    std::memcpy(lane_min, &m, sizeof(V));
    for (; r < rows; ++r) {
      const auto l = static_cast<std::size_t>(r % L);
      if (col[r] < lane_min[l]) lane_min[l] = col[r];
    }
    // The k-th smallest lane minimum: the smallest lane value with at least k lane values at
    // or below it. The counts of all lanes at once, one broadcast comparison per lane,
    // without branches (a selection call here cost more than the rest of the seed).
    F kth = std::numeric_limits<F>::infinity();
    if constexpr (L > 1) {
      std::memcpy(&m, lane_min, sizeof(V));
      using Counts = decltype(m <= m);  // lanes: 0 or -1
      Counts below{};
      // (x - V{} is x in every lane.)
      for (int l = 0; l < L; ++l) below -= (lane_min[l] - V{}) <= m;
      const V inf = std::numeric_limits<F>::infinity() - V{};
      const V pick = below >= k ? m : inf;
      F lanes[static_cast<std::size_t>(L)];
      std::memcpy(lanes, &pick, sizeof(V));
      for (int l = 0; l < L; ++l) kth = std::min(kth, lanes[l]);
    } else {
      kth = lane_min[0];  // k == 1 == L
    }
    lower(c, kth);
  }
}

/** Calls `hits(rows, count)` with the r in [0, rows) where `col[r]` was <= the column
 *  threshold `*col_thr` or <= the row threshold `row_thr[r]` when the segment holding r was
 *  tested (a superset of the candidates either k-buffer can accept, as thresholds only fall;
 *  the callback applies the exact rule), at most `scan_segment_rows` per call. Each segment
 *  is tested in one tight vector loop that only records lane masks, then its hits are listed
 *  (bit scan), so the hot loop keeps everything in registers. */
template <class F, class Hits>
OSPREY_ALWAYS_INLINE void scan_pair_column(const F* col, const F* row_thr, Eigen::Index rows,
                                           Hits&& hits_fn, const F* col_thr) noexcept {
  using V = simd_t<F>;
  constexpr auto L = static_cast<Eigen::Index>(sizeof(V) / sizeof(F));
  Eigen::Index list[scan_segment_rows];
  Eigen::Index r = 0;
  if constexpr (L > 1 && 2 * L <= 64) {
    const auto load = [](const F* p) {
      V x;
      std::memcpy(&x, p, sizeof(V));
      return x;
    };
    constexpr Eigen::Index seg = scan_segment_rows / 32;  // chunks of 2 vectors per segment
    while (r + 2 * L <= rows) {
      const Eigen::Index chunks = std::min(seg, (rows - r) / (2 * L));
      std::uint64_t masks[seg];
      std::uint64_t any = 0;
      const V tc = V{} + *col_thr;
      for (Eigen::Index ch = 0; ch < chunks; ++ch) {
        const Eigen::Index at = r + ch * 2 * L;
        // v <= tc or v <= row threshold: one comparison against the larger of the two.
        const V t0 = load(row_thr + at);
        const V t1 = load(row_thr + at + L);
        const std::uint64_t h0 = le_bits(load(col + at), t0 > tc ? t0 : tc);
        const std::uint64_t h1 = le_bits(load(col + at + L), t1 > tc ? t1 : tc);
        masks[ch] = h0 | (h1 << L);
        any |= masks[ch];
      }
      if (any != 0) {
        Eigen::Index count = 0;
        for (Eigen::Index ch = 0; ch < chunks; ++ch) {
          for (std::uint64_t bits = masks[ch]; bits != 0; bits &= bits - 1) {
            list[count++] = r + ch * 2 * L + std::countr_zero(bits);
          }
        }
        hits_fn(static_cast<const Eigen::Index*>(list), count);
      }
      r += chunks * 2 * L;
    }
  }
  while (r < rows) {
    Eigen::Index count = 0;
    for (; r < rows && count < scan_segment_rows; ++r) {
      if (col[r] <= *col_thr || col[r] <= row_thr[r]) list[count++] = r;
    }
    if (count > 0) hits_fn(static_cast<const Eigen::Index*>(list), count);
  }
}

}  // namespace kernels
OSPREY_NAMESPACE_END

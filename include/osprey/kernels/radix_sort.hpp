/** \file
 *  Radix sort of order-preserving unsigned keys, and the split of a labelled score vector into
 *  the sorted keys of each class (the sort behind every ranking metric).
 *
 *  Scores become order-preserving unsigned keys (`score_key`: IEEE-754 bits with the sign
 *  handled; -0.0 and +0.0 share a key; float gives 32-bit keys, double 64-bit). `radix_sort`
 *  makes one most-significant-digit pass over memory into 65536 buckets (16 bits below the
 *  highest bit where keys differ), then sorts each cache-sized bucket by least-significant-digit
 *  passes of at most 12 bits; `sorted_class_keys` fuses the key computation, the class split and
 *  the MSD pass, reading the scores three times. `sorted_class_pairs` does the same for the
 *  weighted metrics with (key, weight) items (`KeyWeight`), leaving out rows of weight 0; the
 *  sorts take any item whose key `key_of` gives and are stable (equal keys keep their input
 *  order), which the weighted metrics rely on to sum weights in scikit-learn's order.
 *
 *  Cost: O(n * passes) time, where passes is 1 MSD pass plus ceil(remaining bits / 12) LSD
 *  passes over each in-cache bucket (passes whose digit is constant are skipped); memory traffic
 *  is about two reads and one write of the keys over main memory, the LSD passes run in cache.
 *  Memory: `radix_sort` n keys of scratch beside the n keys; `sorted_class_keys` n keys (its
 *  buckets are sorted where they lie, with a cache-sized scratch per task), in 2 MiB-aligned
 *  memory hinted for transparent huge pages; plus 65536 counters per thread.
 *
 *  Threads: OpenMP (when enabled) over contiguous chunks and bucket groups at or above
 *  `radix_parallel_threshold` keys, on the caller's `n_threads` (0 = max_threads(), capped by a
 *  ThreadLimit); chunks write at precomputed offsets, so the result does not depend on the
 *  thread count. Cancellation: the passes poll a `detail::Stop` every `poll_keys` keys and
 *  before each bucket. Thread safety: stateless functions; concurrent calls on
 *  distinct buffers are safe.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "../core/detail/huge_pages.hpp"
#include "../core/detail/stop.hpp"
#include "../core/parallel.hpp"
#include "../core/types.hpp"

OSPREY_NAMESPACE_BEGIN
namespace kernels {

/** The unsigned key type whose order equals the order of the scores. */
template <class S>
using ScoreKey = std::conditional_t<std::is_same_v<S, float>, std::uint32_t, std::uint64_t>;

/** Maps a finite float/double to an unsigned integer with the same order: flip all bits of a
 *  negative number, set the sign bit of a positive one. `-0.0` is first turned into `+0.0` so
 *  the two zeros, equal as numbers, get one key. */
[[nodiscard]] OSPREY_ALWAYS_INLINE std::uint64_t score_key(double x) noexcept {
  const auto b = std::bit_cast<std::uint64_t>(x + 0.0);
  constexpr std::uint64_t sign = std::uint64_t{1} << 63U;
  return (b & sign) != 0 ? ~b : (b | sign);
}
/** score_key of a float: a 32-bit key. */
[[nodiscard]] OSPREY_ALWAYS_INLINE std::uint32_t score_key(float x) noexcept {
  const auto b = std::bit_cast<std::uint32_t>(x + 0.0F);
  constexpr std::uint32_t sign = std::uint32_t{1} << 31U;
  return (b & sign) != 0 ? ~b : (b | sign);
}
/** Inverse of score_key. */
[[nodiscard]] inline double key_score(std::uint64_t k) noexcept {
  constexpr std::uint64_t sign = std::uint64_t{1} << 63U;
  return std::bit_cast<double>((k & sign) != 0 ? (k & ~sign) : ~k);
}
/** Inverse of score_key for a 32-bit key (the float, converted exactly to double). */
[[nodiscard]] inline double key_score(std::uint32_t k) noexcept {
  constexpr std::uint32_t sign = std::uint32_t{1} << 31U;
  return static_cast<double>(std::bit_cast<float>((k & sign) != 0 ? (k & ~sign) : ~k));
}

/** Below this many keys the sorts and splits stay on one thread. */
inline constexpr std::size_t radix_parallel_threshold = std::size_t{1} << 17;

/** Splits [0, n) into `chunks` contiguous pieces and returns piece `c`. */
inline std::pair<std::size_t, std::size_t> chunk_range(std::size_t n, int chunks, int c) {
  const auto k = static_cast<std::size_t>(chunks);
  const auto i = static_cast<std::size_t>(c);
  return {n * i / k, n * (i + 1) / k};
}

/** A run of keys (or keyed items) inside a ClassKeys' buffer: the view the metrics walk. */
template <class K>
struct KeyArray {
  K* data = nullptr;                                                     ///< the first key
  std::size_t size = 0;                                                  ///< number of keys
  K* begin() noexcept { return data; }                                   ///< first key
  K* end() noexcept { return data + size; }                              ///< past the last key
  const K* begin() const noexcept { return data; }                       ///< first key
  const K* end() const noexcept { return data + size; }                  ///< past the last key
  K& operator[](std::size_t i) noexcept { return data[i]; }              ///< key i
  const K& operator[](std::size_t i) const noexcept { return data[i]; }  ///< key i
};

/** A score key with the sample weight it carries through the sort (the weighted metrics). */
template <class K>
struct KeyWeight {
  K key;          ///< order-preserving key of the score
  double weight;  ///< the sample's weight (> 0: zero weights are left out before sorting)
};

/** The sort key of an item: a bare key is its own key. */
template <class K>
[[nodiscard]] OSPREY_ALWAYS_INLINE K key_of(K k) noexcept {
  return k;
}
/** The sort key of a keyed item: its `key`. */
template <class K>
[[nodiscard]] OSPREY_ALWAYS_INLINE K key_of(const KeyWeight<K>& item) noexcept {
  return item.key;
}

/** The key type of an item type: `K` for `K` and for `KeyWeight<K>`. */
template <class T>
struct ItemKey {
  using type = T;  ///< a bare key
};
/** The key type of `KeyWeight<K>`. */
template <class K>
struct ItemKey<KeyWeight<K>> {
  using type = K;  ///< the key carried
};
/** The key type of items `T`. */
template <class T>
using ItemKeyT = typename ItemKey<T>::type;

/** Sorts a small run of items by key. Bare keys (equal keys are indistinguishable) use
 *  std::sort; keyed items use a stable sort, so that every radix sort here is stable and equal
 *  scores keep the order of their rows. */
template <class T>
void small_sort(T* first, T* last) {
  if constexpr (std::is_integral_v<T>) {
    std::sort(first, last);
  } else {
    std::stable_sort(first, last, [](const T& a, const T& b) { return key_of(a) < key_of(b); });
  }
}

/** Least-significant-digit radix sort of `keys[0, n)` on bits [0, bits) only (all higher bits
 *  must be equal), using `scratch[0, n)`: `passes` digits of equal width (<= 12 bits, so the
 *  counters stay in L1), all digit counts taken in one read, passes whose digit is constant
 *  skipped. The sorted keys end in `keys`. Meant for cache-sized pieces. */
template <class T>
void lsd_radix_sort(T* keys, T* scratch, std::size_t n, unsigned bits) {
  using K = ItemKeyT<T>;
  if (n < 64) {
    small_sort(keys, keys + n);
    return;
  }
  if (bits == 0) return;
  const unsigned passes = (bits + 11) / 12;
  const unsigned width = (bits + passes - 1) / passes;
  const std::size_t radix = std::size_t{1} << width;
  const K mask = static_cast<K>(radix - 1);
  std::vector<std::uint32_t> count(static_cast<std::size_t>(passes) * radix, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const K k = key_of(keys[i]);
    for (unsigned p = 0; p < passes; ++p) {
      ++count[p * radix + static_cast<std::size_t>((k >> (p * width)) & mask)];
    }
  }
  T* from = keys;
  T* to = scratch;
  std::vector<std::size_t> offset(radix);
  for (unsigned p = 0; p < passes; ++p) {
    const unsigned shift = p * width;
    const std::uint32_t* h = count.data() + p * radix;
    if (h[static_cast<std::size_t>((key_of(from[0]) >> shift) & mask)] == n) continue;
    std::size_t sum = 0;
    for (std::size_t d = 0; d < radix; ++d) {
      offset[d] = sum;
      sum += h[d];
    }
    for (std::size_t i = 0; i < n; ++i) {
      const T& k = from[i];
      to[offset[static_cast<std::size_t>((key_of(k) >> shift) & mask)]++] = k;
    }
    std::swap(from, to);
  }
  if (from != keys) std::copy(from, from + n, keys);
}

/** The most-significant digit used by radix_sort: 16 bits, so one pass over memory leaves
 *  buckets that fit in cache for typical data (the exponent and top mantissa bits of scores). */
inline constexpr unsigned msd_bits = 16;
inline constexpr std::size_t msd_radix = std::size_t{1} << msd_bits;  ///< MSD buckets

/** The MSD shift for keys whose varying bits are those of `spread`. */
template <class K>
[[nodiscard]] unsigned msd_shift(K spread) noexcept {
  const auto top = static_cast<unsigned>(std::bit_width(spread));  // bits [0, top) vary
  return top > msd_bits ? top - msd_bits : 0;
}

/** Keys a pass reads between two polls of its `detail::Stop` (a fraction of a millisecond). */
inline constexpr std::size_t poll_keys = std::size_t{1} << 18;

/** Calls `f(i)` for i in [begin, end), polling `stop` every `poll_keys` indices. */
template <class F>
OSPREY_ALWAYS_INLINE void polled_range(std::size_t begin, std::size_t end, const detail::Stop& stop,
                                       F&& f) {
  for (std::size_t b = begin; b < end; b += poll_keys) {
    stop.check();
    const std::size_t e = std::min(end, b + poll_keys);
    for (std::size_t i = b; i < e; ++i) f(i);
  }
}

template <class T>
void radix_sort(T* keys, T* scratch, std::size_t n, ItemKeyT<T> spread, int threads,
                const detail::Stop& stop = {});

/** The tasks of sort_buckets: about 8 groups of buckets per thread with similar key counts, so
 *  a task costs far more than handing it out; task g is buckets [result[g], result[g + 1]).
 *  One task on one thread. */
inline std::vector<std::size_t> bucket_groups(const std::vector<std::size_t>& bucket_start,
                                              std::size_t n, int threads) {
  const std::size_t tasks = threads > 1 ? 8 * static_cast<std::size_t>(threads) : 1;
  std::vector<std::size_t> first_bucket(tasks + 1, msd_radix);
  first_bucket[0] = 0;
  for (std::size_t g = 1; g < tasks; ++g) {
    const std::size_t target = n * g / tasks;
    first_bucket[g] = static_cast<std::size_t>(
        std::upper_bound(bucket_start.begin(), bucket_start.begin() + msd_radix, target) -
        bucket_start.begin() - 1);
    first_bucket[g] = std::max(first_bucket[g], first_bucket[g - 1]);
  }
  return first_bucket;
}

/** Sorts one MSD bucket `keys[0, m)` on its low `shift` bits, in place, with `scratch[0, m)`:
 *  LSD passes while it fits in cache, otherwise split again by another MSD pass. */
template <class T>
void sort_bucket_keys(T* keys, T* scratch, std::size_t m, unsigned shift,
                      const detail::Stop& stop) {
  constexpr std::size_t cache_keys = std::size_t{1} << 17;  // 1 MiB of 64-bit keys
  if (m > cache_keys && shift > msd_bits) {
    using K = ItemKeyT<T>;
    const K first = key_of(keys[0]);
    K sub = 0;
    for (std::size_t i = 1; i < m; ++i) sub |= static_cast<K>(key_of(keys[i]) ^ first);
    radix_sort(keys, scratch, m, sub, 1, stop);
  } else {
    lsd_radix_sort(keys, scratch, m, shift);
  }
}

/** Second half of the radix sort: `bucketed[0, n)` holds keys partitioned by their MSD digit
 *  (bucket d at [bucket_start[d], bucket_start[d + 1])); each bucket is sorted on its low
 *  `shift` bits while it is in cache (splitting a bucket too big for the cache again) and
 *  written sorted to `out` (which also serves as scratch). Buckets are handed out in about
 *  8 groups per thread of similar size, so a task costs far more than handing it out. `stop` is
 *  polled before each bucket. */
template <class T>
void sort_buckets(T* out, T* bucketed, const std::vector<std::size_t>& bucket_start, std::size_t n,
                  unsigned shift, int threads, const detail::Stop& stop = {}) {
  auto sort_bucket = [&](std::size_t d) {
    const std::size_t b = bucket_start[d];
    const std::size_t m = bucket_start[d + 1] - b;
    if (m == 0) return;
    stop.check();
    sort_bucket_keys(bucketed + b, out + b, m, shift, stop);
    std::copy(bucketed + b, bucketed + b + m, out + b);
  };
  const std::vector<std::size_t> first_bucket = bucket_groups(bucket_start, n, threads);
  const std::size_t tasks = first_bucket.size() - 1;
  detail::parallel_for_dynamic(std::size_t{0}, tasks, threads, [&](std::size_t g) {
    for (std::size_t d = first_bucket[g]; d < first_bucket[g + 1]; ++d) sort_bucket(d);
  });
}

/** sort_buckets without an output array: each bucket of `bucketed` is sorted where it lies, in
 *  a scratch region per task as large as the task's largest bucket (one allocation for the call,
 *  cache-sized per task for typical data), so a sort touches n items of fresh memory instead of
 *  2n. Stable, thread-count independent, and polled as sort_buckets. */
template <class T>
void sort_buckets_in_place(T* bucketed, const std::vector<std::size_t>& bucket_start, std::size_t n,
                           unsigned shift, int threads, const detail::Stop& stop = {}) {
  const std::vector<std::size_t> first_bucket = bucket_groups(bucket_start, n, threads);
  const std::size_t tasks = first_bucket.size() - 1;
  // scratch_at[g]: where task g's scratch starts (its largest bucket's size, summed)
  std::vector<std::size_t> scratch_at(tasks + 1, 0);
  for (std::size_t g = 0; g < tasks; ++g) {
    std::size_t largest = 0;
    for (std::size_t d = first_bucket[g]; d < first_bucket[g + 1]; ++d) {
      largest = std::max(largest, bucket_start[d + 1] - bucket_start[d]);
    }
    scratch_at[g + 1] = scratch_at[g] + largest;
  }
  detail::UninitBuffer<T> scratch(scratch_at[tasks]);
  detail::parallel_for_dynamic(std::size_t{0}, tasks, threads, [&](std::size_t g) {
    T* work = scratch.data() + scratch_at[g];
    for (std::size_t d = first_bucket[g]; d < first_bucket[g + 1]; ++d) {
      const std::size_t b = bucket_start[d];
      const std::size_t m = bucket_start[d + 1] - b;
      if (m < 2) continue;
      stop.check();
      sort_bucket_keys(bucketed + b, work, m, shift, stop);
    }
  });
}

/** Radix sort of unsigned keys, O(n): one most-significant-digit pass on the 16 bits below the
 *  highest bit where keys differ (`spread` = OR of all `key ^ keys[0]`) splits the keys into
 *  up to 65536 buckets, in parallel over contiguous chunks (stable, thread-count independent);
 *  then sort_buckets sorts each bucket in cache. One pass over main memory instead of one per
 *  digit. `threads` is the team size already resolved; `stop` is polled as the file says. */
template <class T>
void radix_sort(T* keys, T* scratch, std::size_t n, ItemKeyT<T> spread, int threads,
                const detail::Stop& stop) {
  using K = ItemKeyT<T>;
  if (n < 4096 || spread == 0) {
    if (spread != 0) small_sort(keys, keys + n);
    return;
  }
  const unsigned shift = msd_shift(spread);
  constexpr K mask = static_cast<K>(msd_radix - 1);
  auto digit = [shift](K k) { return static_cast<std::size_t>((k >> shift) & mask); };
  if (n < radix_parallel_threshold) threads = 1;
  const auto nt = static_cast<std::size_t>(threads);
  std::vector<std::size_t> count(nt * msd_radix);
  detail::parallel_for(0, threads, threads, [&](int t) {
    std::size_t* h = count.data() + static_cast<std::size_t>(t) * msd_radix;
    std::fill(h, h + msd_radix, std::size_t{0});
    const auto [begin, end] = chunk_range(n, threads, t);
    polled_range(begin, end, stop, [&](std::size_t i) { ++h[digit(key_of(keys[i]))]; });
  });
  std::vector<std::size_t> bucket_start(msd_radix + 1, 0);
  std::size_t sum = 0;
  for (std::size_t d = 0; d < msd_radix; ++d) {
    bucket_start[d] = sum;
    for (std::size_t t = 0; t < nt; ++t) {
      const std::size_t c = count[t * msd_radix + d];
      count[t * msd_radix + d] = sum;
      sum += c;
    }
  }
  bucket_start[msd_radix] = n;
  detail::parallel_for(0, threads, threads, [&](int t) {
    std::size_t* offset = count.data() + static_cast<std::size_t>(t) * msd_radix;
    const auto [begin, end] = chunk_range(n, threads, t);
    polled_range(begin, end, stop, [&](std::size_t i) {
      const T& k = keys[i];
      scratch[offset[digit(key_of(k))]++] = k;
    });
  });
  sort_buckets(keys, scratch, bucket_start, n, shift, threads, stop);
}

/** The scores of each class as sorted (ascending) order-preserving keys, or keyed items: two
 *  runs of one buffer, the positives first. */
template <class K>
struct ClassKeys {
  detail::UninitBuffer<K> storage;  ///< both runs
  KeyArray<K> pos;                  ///< keys (items) of the positive class, ascending
  KeyArray<K> neg;                  ///< keys (items) of every other sample, ascending
};

/** The core of sorted_class_keys and sorted_class_pairs, over rows [0, n) of labels `y`:
 *  `key(i)` is row i's key, `keep(i)` whether row i takes part, `item(i, k)` the item stored for
 *  it. The min/max pass fixes the MSD digit up front (every key lies between the smallest and
 *  largest); pass 1 counts each chunk's digits per class, pass 2 computes the keys again and
 *  scatters the items straight into their buckets; then sort_buckets finishes each class in
 *  cache. Chunks are contiguous and write at precomputed offsets, so the result is stable (rows
 *  of equal key keep their order) and independent of the thread count. O(n). */
template <class T, class KeyAt, class Keep, class MakeItem>
ClassKeys<T> sorted_class_items(std::size_t n, const int* yy, int pos_label, KeyAt key, Keep keep,
                                MakeItem item, int n_threads, const detail::Stop& stop) {
  using K = ItemKeyT<T>;
  if (n == 0) return {};
  const int threads = n >= radix_parallel_threshold ? detail::resolve_threads(n_threads) : 1;
  const auto nt = static_cast<std::size_t>(threads);
  std::vector<K> lo(nt, std::numeric_limits<K>::max()), hi(nt, 0);
  detail::parallel_for(0, threads, threads, [&](int t) {
    const auto [begin, end] = chunk_range(n, threads, t);
    K a = std::numeric_limits<K>::max(), b = 0;
    polled_range(begin, end, stop, [&](std::size_t i) {
      const K k = key(i);
      a = std::min(a, k);
      b = std::max(b, k);
    });
    lo[static_cast<std::size_t>(t)] = a;
    hi[static_cast<std::size_t>(t)] = b;
  });
  const K spread = static_cast<K>(*std::min_element(lo.begin(), lo.end()) ^
                                  *std::max_element(hi.begin(), hi.end()));
  const unsigned shift = msd_shift(spread);
  constexpr K mask = static_cast<K>(msd_radix - 1);
  auto digit = [shift](K k) { return static_cast<std::size_t>((k >> shift) & mask); };
  // count[(c * nt + t) * radix + d]: kept rows of class c (0 = positive) in chunk t, digit d
  std::vector<std::size_t> count(2 * nt * msd_radix);
  detail::parallel_for(0, threads, threads, [&](int t) {
    const auto tt = static_cast<std::size_t>(t);
    std::size_t* hp = count.data() + tt * msd_radix;
    std::size_t* hn = count.data() + (nt + tt) * msd_radix;
    std::fill(hp, hp + msd_radix, std::size_t{0});
    std::fill(hn, hn + msd_radix, std::size_t{0});
    const auto [begin, end] = chunk_range(n, threads, t);
    polled_range(begin, end, stop, [&](std::size_t i) {
      if (keep(i)) ++(yy[i] == pos_label ? hp : hn)[digit(key(i))];
    });
  });
  // Offsets: class-major (positives first), then digit, then chunk.
  std::vector<std::size_t> start_pos(msd_radix + 1), start_neg(msd_radix + 1);
  std::size_t sum = 0;
  for (std::size_t c = 0; c < 2; ++c) {
    std::vector<std::size_t>& start = c == 0 ? start_pos : start_neg;
    const std::size_t base = sum;
    for (std::size_t d = 0; d < msd_radix; ++d) {
      start[d] = sum - base;
      for (std::size_t t = 0; t < nt; ++t) {
        std::size_t& v = count[(c * nt + t) * msd_radix + d];
        const std::size_t here = v;
        v = sum;
        sum += here;
      }
    }
    start[msd_radix] = sum - base;
  }
  const std::size_t n_pos = start_pos[msd_radix];
  const std::size_t n_neg = start_neg[msd_radix];
  ClassKeys<T> out;
  out.storage = detail::UninitBuffer<T>(n_pos + n_neg);
  out.pos = {out.storage.data(), n_pos};
  out.neg = {out.storage.data() + n_pos, n_neg};
  detail::parallel_for(0, threads, threads, [&](int t) {
    const auto tt = static_cast<std::size_t>(t);
    std::size_t* op = count.data() + tt * msd_radix;
    std::size_t* on = count.data() + (nt + tt) * msd_radix;
    T* to = out.storage.data();
    const auto [begin, end] = chunk_range(n, threads, t);
    polled_range(begin, end, stop, [&](std::size_t i) {
      if (!keep(i)) return;
      const K k = key(i);
      to[(yy[i] == pos_label ? op : on)[digit(k)]++] = item(i, k);
    });
  });
  sort_buckets_in_place(out.pos.begin(), start_pos, n_pos, shift,
                        n_pos >= radix_parallel_threshold ? threads : 1, stop);
  sort_buckets_in_place(out.neg.begin(), start_neg, n_neg, shift,
                        n_neg >= radix_parallel_threshold ? threads : 1, stop);
  return out;
}

/** Splits the scores by class into sorted order-preserving keys (sorted_class_items with every
 *  row kept), reading the scores three times. O(n). Runs on `n_threads` (0 = max_threads(),
 *  capped by a ThreadLimit) from `radix_parallel_threshold` keys on, and polls `stop` every
 *  `poll_keys` keys of each pass and before each bucket. */
template <class S>
ClassKeys<ScoreKey<S>> sorted_class_keys(const Eigen::Ref<const Eigen::VectorXi>& y,
                                         const Eigen::Ref<const Vector<S>>& s, int pos_label,
                                         int n_threads = 0, const detail::Stop& stop = {}) {
  using K = ScoreKey<S>;
  const S* ss = s.data();
  return sorted_class_items<K>(
      static_cast<std::size_t>(y.size()), y.data(), pos_label,
      [ss](std::size_t i) { return score_key(ss[i]); }, [](std::size_t) { return true; },
      [](std::size_t, K k) { return k; }, n_threads, stop);
}

/** The weighted form of sorted_class_keys: each class as (key, weight) items sorted by key,
 *  stably (rows of equal score keep their order), rows of weight 0 left out (as scikit-learn's
 *  `_binary_clf_curve` drops them). `w` must hold y.size() finite non-negative weights.
 *  O(n); threads, cancellation as sorted_class_keys. Memory: n items of 16 bytes and a
 *  cache-sized scratch per task. */
template <class S>
ClassKeys<KeyWeight<ScoreKey<S>>> sorted_class_pairs(const Eigen::Ref<const Eigen::VectorXi>& y,
                                                     const Eigen::Ref<const Vector<S>>& s,
                                                     const Eigen::Ref<const Eigen::VectorXd>& w,
                                                     int pos_label, int n_threads = 0,
                                                     const detail::Stop& stop = {}) {
  using K = ScoreKey<S>;
  const S* ss = s.data();
  const double* ww = w.data();
  return sorted_class_items<KeyWeight<K>>(
      static_cast<std::size_t>(y.size()), y.data(), pos_label,
      [ss](std::size_t i) { return score_key(ss[i]); },
      [ww](std::size_t i) { return ww[i] != 0.0; },
      [ww](std::size_t i, K k) {
        return KeyWeight<K>{k, ww[i]};
      },
      n_threads, stop);
}

}  // namespace kernels
OSPREY_NAMESPACE_END

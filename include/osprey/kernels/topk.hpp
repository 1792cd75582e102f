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
 *  Memory: O(k) per query; the searches never hold more than one tile of distances.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <limits>

#include "../config.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

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

/** Offers `values[0..n)` with indices `base + i` (increasing), skipping index `skip` (pass -1
 *  to skip none). Chunks of 16 whose minimum does not beat the threshold are rejected at once;
 *  since indices increase, an equal value never displaces a held one, so `<` is exact. */
template <class S>
void scan_block(const S* values, Eigen::Index n, int base, int skip, TopK<S>& top) noexcept {
  constexpr Eigen::Index chunk = 16;
  Eigen::Index i = 0;
  for (; i + chunk <= n; i += chunk) {
    const Eigen::Map<const Eigen::Array<S, chunk, 1>> v(values + i);
    if (!(v.minCoeff() < top.threshold())) continue;
    for (Eigen::Index j = i; j < i + chunk; ++j) {
      const int idx = base + static_cast<int>(j);
      if (values[j] < top.threshold() && idx != skip) top.push(values[j], idx);
    }
  }
  for (; i < n; ++i) {
    const int idx = base + static_cast<int>(i);
    if (values[i] < top.threshold() && idx != skip) top.push(values[i], idx);
  }
}

}  // namespace detail
OSPREY_NAMESPACE_END

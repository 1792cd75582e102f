/** \file
 *  Discounted cumulative gain of one query (the kernel behind `dcg_score` and `ndcg_score`):
 *  the tie-averaged DCG of a ranking by scores and the ideal DCG of the relevance itself.
 *
 *  Definitions (Jarvelin & Kekalainen 2002; ties as McSherry & Najork, ECIR 2008, and as
 *  scikit-learn's `_tie_averaged_dcg`): the document at rank r (0-based) is discounted by
 *  `1 / log2(r + 2)`, and by 0 from rank k on. Documents with equal scores form one group; the
 *  group covering ranks [a, b) contributes the mean relevance of its members times the sum of
 *  the discounts of ranks [a, b), which is the DCG averaged over every order of the tied
 *  documents. The ideal DCG is the DCG of the relevance sorted in decreasing order.
 *
 *  Cost per query of d documents: O(d) for scores spread evenly (a bucket sort of the top
 *  buckets), O(d log d) at worst. Stateless; no validation beyond OSPREY_ASSERT. Thread
 *  safety: concurrent calls on distinct buffers are safe.
 */
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "../config.hpp"

OSPREY_NAMESPACE_BEGIN
namespace kernels {

/** One document of a query: its score (a float score converted exactly) and its relevance. */
struct DcgItem {
  double score;  ///< predicted score, finite
  double rel;    ///< relevance (gain) of the document
};

/** The discounts of ranks [0, d), zero from rank `k` on: `disc[r] = 1 / (ln(r + 2) / ln 2)`,
 *  and their running sums `csum[r] = disc[0] + ... + disc[r]`. O(d). */
struct DcgDiscounts {
  std::vector<double> disc;  ///< discount of each rank
  std::vector<double> csum;  ///< cumulative sum of `disc`

  /** The discounts of `d` ranks cut at `k` (k >= d: no cut). */
  DcgDiscounts(std::size_t d, std::size_t k) : disc(d), csum(d) {
    const double ln2 = std::log(2.0);
    double acc = 0.0;
    for (std::size_t r = 0; r < d; ++r) {
      disc[r] = r < k ? 1.0 / (std::log(static_cast<double>(r) + 2.0) / ln2) : 0.0;
      acc += disc[r];
      csum[r] = acc;
    }
  }
};

/** Reusable buffers of bucket_sort_desc. */
template <class T>
struct BucketBuffers {
  std::vector<T> out;                 ///< the sorted prefix (and the unsorted rest)
  std::vector<std::uint32_t> bounds;  ///< bucket ends after the scatter
  std::vector<std::uint32_t> ids;     ///< the bucket of each item
};

/** Sorts the top of `items[0, d)` in decreasing `value` order into `buf.out`: returns m >= min(
 *  need, d) such that out[0, m) is sorted and every item left in out[m, d) is strictly below
 *  out[m - 1], so no group of equal values is split. A bucket sort on the values: bucket
 *  `floor((v - min) * d / (max - min))` is monotone in v (every step rounds monotonically), the
 *  items are scattered by bucket from the top, and only the buckets covering the first `need`
 *  items are sorted (insertion sort when small). O(d) for values spread evenly, O(d log d) at
 *  worst (one crowded bucket); a constant row is one group and costs one pass. */
template <class T, class Value>
std::size_t bucket_sort_desc(const T* items, std::size_t d, std::size_t need, Value value,
                             BucketBuffers<T>& buf) {
  buf.out.resize(d);
  if (d == 0) return 0;
  double lo = value(items[0]), hi = lo;
  for (std::size_t i = 1; i < d; ++i) {
    lo = std::min(lo, value(items[i]));
    hi = std::max(hi, value(items[i]));
  }
  const auto greater = [&value](const T& a, const T& b) { return value(a) > value(b); };
  const double scale = static_cast<double>(d) / (hi - lo);
  if (hi == lo || !std::isfinite(scale) || !std::isfinite(hi - lo)) {
    std::copy(items, items + d, buf.out.begin());
    if (hi != lo) std::sort(buf.out.begin(), buf.out.end(), greater);
    return d;
  }
  const auto bucket = [&](const T& t) {  // bucket 0 holds the highest values
    const auto b = static_cast<std::size_t>((value(t) - lo) * scale);
    return d - 1 - std::min(b, d - 1);
  };
  std::vector<std::uint32_t>& end = buf.bounds;
  std::vector<std::uint32_t>& id = buf.ids;
  end.assign(d, 0);
  id.resize(d);
  for (std::size_t i = 0; i < d; ++i) {
    id[i] = static_cast<std::uint32_t>(bucket(items[i]));
    ++end[id[i]];
  }
  std::uint32_t sum = 0;
  for (std::size_t b = 0; b < d; ++b) {  // end[b] becomes the start of bucket b
    const std::uint32_t c = end[b];
    end[b] = sum;
    sum += c;
  }
  for (std::size_t i = 0; i < d; ++i) buf.out[end[id[i]]++] = items[i];
  std::size_t m = 0;  // end[b] is now the end of bucket b
  for (std::size_t b = 0; b < d && m < need; ++b) {
    T* first = buf.out.data() + m;
    T* last = buf.out.data() + end[b];
    if (last - first > 16) {
      const double v0 = value(*first);  // a bucket of one value (graded relevance) is sorted
      if (std::any_of(first + 1, last, [&](const T& x) { return value(x) != v0; })) {
        std::sort(first, last, greater);
      }
    } else {
      for (T* i = first + 1; i < last; ++i) {  // insertion sort
        const T x = *i;
        T* j = i;
        for (; j > first && value(*(j - 1)) < value(x); --j) *j = *(j - 1);
        *j = x;
      }
    }
    m = end[b];
  }
  return m;
}

/** Tie-averaged DCG cut at `k` of the documents `sorted[0, m)`, in decreasing score order with
 *  no tie group split at m and m >= min(k, d) (bucket_sort_desc's output), with the discount
 *  sums `csum` of DcgDiscounts(d, k). The group straddling rank k keeps all its members: their
 *  relevance makes the group's mean while its discount sum stops at rank k - 1 (the discounts
 *  are 0 from k on). O(m). */
inline double tie_averaged_dcg(const DcgItem* sorted, std::size_t m, std::size_t k,
                               const double* csum) {
  double total = 0.0;
  double before = 0.0;  // csum of the rank before the group
  for (std::size_t a = 0; a < m && a < k;) {
    double sum = sorted[a].rel;
    std::size_t b = a + 1;
    while (b < m && sorted[b].score == sorted[a].score) sum += sorted[b++].rel;
    const double after = csum[b - 1];
    total += sum / static_cast<double>(b - a) * (after - before);
    before = after;
    a = b;
  }
  return total;
}

/** Ideal DCG: the relevance sorted in decreasing order, `sorted[0, m)` with m >= min(k, d)
 *  (bucket_sort_desc's output), times the discounts `disc` of DcgDiscounts(d, k) over the top
 *  min(k, m) ranks. O(k). */
inline double ideal_dcg(const double* sorted, std::size_t m, std::size_t k, const double* disc) {
  double s = 0.0;
  for (std::size_t r = 0; r < std::min(k, m); ++r) s += disc[r] * sorted[r];
  return s;
}

}  // namespace kernels
OSPREY_NAMESPACE_END

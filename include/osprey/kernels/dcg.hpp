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
 *  Cost per query of d documents: O(d log d) for k >= d (a sort), O(d + k log k) for k < d
 *  (a selection of the top k, then a sort of those k). Stateless; no validation beyond
 *  OSPREY_ASSERT. Thread safety: concurrent calls on distinct buffers are safe.
 */
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <vector>

#include "../config.hpp"

OSPREY_NAMESPACE_BEGIN
namespace kernels {

/** One document of a query: the order-preserving key of its score and its relevance. */
template <class K>
struct DcgItem {
  K key;       ///< order-preserving key of the score (kernels::score_key)
  double rel;  ///< relevance (gain) of the document
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

/** Tie-averaged DCG of the documents `items[0, d)` ranked by decreasing key, cut at `k`
 *  (1 <= k; k >= d means no cut), with the discount sums `csum` of DcgDiscounts(d, k).
 *  Reorders `items`. Only the tie group that straddles rank k needs its members beyond k: their
 *  relevance joins the group's mean while its discount sum stops at rank k - 1 (the discounts
 *  are 0 from k on). O(d log d), or O(d + k log k) when k < d. */
template <class K>
double tie_averaged_dcg(DcgItem<K>* items, std::size_t d, std::size_t k, const double* csum) {
  if (d == 0) return 0.0;
  const auto desc = [](const DcgItem<K>& a, const DcgItem<K>& b) { return a.key > b.key; };
  std::size_t m = d;  // items[0, m) are the ones ranked above the cut, sorted below
  double extra_sum = 0.0;
  std::size_t extra_n = 0;
  if (k < d) {
    std::nth_element(items, items + (k - 1), items + d, desc);
    const K v = items[k - 1].key;
    for (std::size_t i = k; i < d; ++i) {
      if (items[i].key == v) {
        extra_sum += items[i].rel;
        ++extra_n;
      }
    }
    m = k;
  }
  std::sort(items, items + m, desc);
  double total = 0.0;
  double before = 0.0;  // csum of the rank before the group
  for (std::size_t a = 0; a < m;) {
    double sum = items[a].rel;
    std::size_t b = a + 1;
    while (b < m && items[b].key == items[a].key) sum += items[b++].rel;
    std::size_t count = b - a;
    if (b == m) {  // the last group takes its tied members ranked past the cut
      sum += extra_sum;
      count += extra_n;
    }
    const double after = csum[a + count - 1];
    total += sum / static_cast<double>(count) * (after - before);
    before = after;
    a = b;
  }
  return total;
}

/** Ideal DCG: the relevance `rel[0, d)` sorted in decreasing order, times the discounts `disc`
 *  of DcgDiscounts(d, k), over the top min(k, d) ranks. Reorders `rel`. O(d log d), or
 *  O(d + k log k) when k < d. */
inline double ideal_dcg(double* rel, std::size_t d, std::size_t k, const double* disc) {
  const std::size_t m = std::min(k, d);
  if (m == 0) return 0.0;
  if (m < d) std::nth_element(rel, rel + (m - 1), rel + d, std::greater<>{});
  std::sort(rel, rel + m, std::greater<>{});
  double s = 0.0;
  for (std::size_t r = 0; r < m; ++r) s += disc[r] * rel[r];
  return s;
}

}  // namespace kernels
OSPREY_NAMESPACE_END

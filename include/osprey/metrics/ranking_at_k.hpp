/** \file
 *  Ranking and operations metrics: what an alert queue or a search result list is judged by.
 *
 *  - `precision_at_k`, `recall_at_k`: the share of the top k that is positive, and the share of
 *    the positives that lands in the top k, for binary labels (positive class 1).
 *  - `dcg_score`, `ndcg_score`: (normalised) discounted cumulative gain with graded relevance,
 *    one query per row, scikit-learn 1.2's definitions (kernels/dcg.hpp has the formulas).
 *  - `cumulative_gain_curve`: the gain chart of an alert queue, fraction of the population
 *    reviewed -> fraction of the positives found, with its lift and cumulative precision.
 *
 *  Ties. A score shared by several samples gives no order among them, so every function here
 *  takes the expected value over all orders of the tied samples (ties averaged, as scikit-learn's
 *  ndcg with `ignore_ties=False`): the tie group straddling rank k counts with the share of it
 *  that fits in the top k, and the gain curve makes one step per distinct score.
 *
 *  Labels are `Eigen::Ref<const Eigen::VectorXi>` taking values in {0, 1} or {-1, 1}; the
 *  positive class is 1 (the module's default pos_label). Scores may be any Eigen dense vector
 *  (higher = more positive); float scores are ranked as float, every other type as double.
 *  Sample weights follow core/sample_weight.hpp (a weight of 0 = the row dropped, an integer
 *  weight = the row repeated); dcg_score and ndcg_score weigh queries, as scikit-learn does.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../core/detail/stop.hpp"
#include "../core/parallel.hpp"
#include "../core/sample_weight.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../kernels/dcg.hpp"
#include "../kernels/radix_sort.hpp"
#include "ranking.hpp"

OSPREY_NAMESPACE_BEGIN

/** A cumulative gain (gain chart) curve: a `Curve` whose `recall`, `precision` and `thresholds`
 *  are filled (`fpr` and `tpr` stay empty), plus the fraction of the population reviewed and the
 *  lift. Point t reviews every sample scoring >= thresholds(t); point 0 reviews nothing
 *  (threshold +inf). Converts to `Curve` by slicing where only those members are wanted. */
struct GainCurve : Curve {
  Eigen::VectorXd population;  ///< fraction of the (weighted) population reviewed, 0 .. 1
  Eigen::VectorXd lift;        ///< recall / population: how much better than random review
};

namespace detail::at_k {

/** The working scalar of a score type: float stays float, everything else becomes double. */
template <class S>
using Scalar = std::conditional_t<std::is_same_v<S, float>, float, double>;

/** Checks binary labels and their scores: one score column, same length, non-empty, finite
 *  scores, labels in {0, 1} or {-1, 1}, and the sample weights. */
template <class D>
void check_binary(const Eigen::Ref<const Eigen::VectorXi>& y, const Eigen::MatrixBase<D>& scores,
                  const SampleWeight& w, std::string_view metric) {
  if (scores.cols() != 1) {
    fail(metric, ": scores must be a single column (got ", scores.rows(), " x ", scores.cols(),
         ")");
  }
  check_same_length(y.size(), scores.rows(), "y_true", "scores");
  if (y.size() == 0) fail(metric, ": y_true and scores are empty (0 samples)");
  check_finite(scores, "scores");
  const int lo = y.minCoeff();
  const int hi = y.maxCoeff();
  const bool ok = lo >= -1 && hi <= 1 && !(lo == -1 && (y.array() == 0).any());
  if (!ok) {
    fail(metric, ": y_true must take values in {0, 1} or {-1, 1} with 1 the positive class (got ",
         "labels from ", lo, " to ", hi, "); binarise it, e.g. (y.array() == k).cast<int>()");
  }
  check_sample_weight(w, y.size());
}

/** The scores as a contiguous vector of the working scalar. */
template <class D>
Vector<Scalar<typename D::Scalar>> score_copy(const Eigen::MatrixBase<D>& scores) {
  return scores.derived().col(0).template cast<Scalar<typename D::Scalar>>();
}

/** The samples of one distinct score: total weight and positive weight. */
struct Group {
  double score;  ///< the score shared by the group
  double w;      ///< total weight of the group
  double wpos;   ///< weight of its positives
};

/** The distinct scores in decreasing order with the weight and positive weight of each; groups
 *  of zero weight are left out (their rows count as dropped). O(n log n). */
template <class S>
std::vector<Group> weighted_groups(const Eigen::Ref<const Eigen::VectorXi>& y, const Vector<S>& s,
                                   const SampleWeight& w) {
  using K = kernels::ScoreKey<S>;
  const auto n = static_cast<std::size_t>(y.size());
  std::vector<std::pair<K, std::size_t>> order(n);  // (key, row)
  for (std::size_t i = 0; i < n; ++i)
    order[i] = {kernels::score_key(s(static_cast<Eigen::Index>(i))), i};
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<Group> out;
  for (std::size_t a = 0; a < n;) {
    double gw = 0.0, gp = 0.0;
    std::size_t b = a;
    for (; b < n && order[b].first == order[a].first; ++b) {
      const auto i = static_cast<Eigen::Index>(order[b].second);
      const double wi = weight_at(w, i);
      gw += wi;
      if (y(i) == 1) gp += wi;
    }
    if (gw > 0.0) out.push_back({kernels::key_score(order[a].first), gw, gp});
    a = b;
  }
  return out;
}

/** The expected (over orders of tied scores) positive weight in the top k, the size k_eff of
 *  the top (k capped at the total weight) and the total positive weight. */
struct TopK {
  double pos = 0.0;        ///< expected positive weight among the top k_eff
  double k_eff = 0.0;      ///< min(k, total weight)
  double total_pos = 0.0;  ///< positive weight in all
};

/** TopK of unweighted samples in O(n): selects the k-th highest key, then counts the positives
 *  above it and the positives and samples tied with it. */
template <class S>
TopK top_k_unweighted(const Eigen::Ref<const Eigen::VectorXi>& y, const Vector<S>& s,
                      Eigen::Index k) {
  using K = kernels::ScoreKey<S>;
  const Eigen::Index n = y.size();
  TopK t;
  t.total_pos = static_cast<double>((y.array() == 1).count());
  if (k >= n) {
    t.k_eff = static_cast<double>(n);
    t.pos = t.total_pos;
    return t;
  }
  std::vector<K> keys(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) keys[static_cast<std::size_t>(i)] = kernels::score_key(s(i));
  const auto nth = keys.begin() + (n - k);  // ascending: the k-th highest sits at n - k
  std::nth_element(keys.begin(), nth, keys.end());
  const K v = *nth;
  std::int64_t above = 0, pos_above = 0, tied = 0, pos_tied = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const K key = kernels::score_key(s(i));
    const bool pos = y(i) == 1;
    if (key > v) {
      ++above;
      pos_above += pos ? 1 : 0;
    } else if (key == v) {
      ++tied;
      pos_tied += pos ? 1 : 0;
    }
  }
  const auto taken = static_cast<double>(k - above);  // 1 .. tied samples of the tie group
  t.k_eff = static_cast<double>(k);
  t.pos = static_cast<double>(pos_above) +
          taken * static_cast<double>(pos_tied) / static_cast<double>(tied);
  return t;
}

/** TopK of weighted samples in O(n log n): k counts weight (an integer weight = repeated rows);
 *  the tie group straddling k counts with the fraction of its weight that fits. */
template <class S>
TopK top_k_weighted(const Eigen::Ref<const Eigen::VectorXi>& y, const Vector<S>& s, Eigen::Index k,
                    const SampleWeight& w, std::string_view metric) {
  const std::vector<Group> groups = weighted_groups<S>(y, s, w);
  TopK t;
  double total = 0.0;
  for (const Group& g : groups) {
    total += g.w;
    t.total_pos += g.wpos;
  }
  if (total == 0.0) fail(metric, ": sample_weight is zero for every sample");
  t.k_eff = std::min(static_cast<double>(k), total);
  double mass = 0.0;
  for (const Group& g : groups) {
    if (mass + g.w >= t.k_eff) {
      t.pos += (t.k_eff - mass) / g.w * g.wpos;
      break;
    }
    mass += g.w;
    t.pos += g.wpos;
  }
  return t;
}

/** Validates and computes TopK for precision_at_k / recall_at_k. */
template <class D>
TopK top_k(const Eigen::Ref<const Eigen::VectorXi>& y, const Eigen::MatrixBase<D>& scores,
           Eigen::Index k, const SampleWeight& w, std::string_view metric) {
  check_binary(y, scores, w, metric);
  if (k <= 0) fail(metric, ": k must be >= 1 (got ", k, ")");
  using S = Scalar<typename D::Scalar>;
  const Vector<S> s = score_copy(scores);
  return is_weighted(w) ? top_k_weighted<S>(y, s, k, w, metric) : top_k_unweighted<S>(y, s, k);
}

}  // namespace detail::at_k

/** Precision at k: the expected share of positives among the k highest-scoring samples,
 *  `E[positives in the top k] / k`, for an alert queue that reviews k samples.
 *
 *  Ties: when the k-th highest score is shared by g samples of which m fit in the top k and p
 *  are positive, the group counts m * p / g positives, the expected value over a random order
 *  of the tied samples (as scikit-learn averages ties in ndcg). Precision at k is then the
 *  same for any tie-breaking a user could pick on average, and does not depend on row order.
 *
 *  k larger than the population: the queue holds everyone, so k is capped at n (precision =
 *  prevalence). No positive sample: precision 0. With `sample_weight`, k counts weight (an
 *  integer weight w is w samples, so the invariants "weight 0 = dropped row" and "integer
 *  weight = repeated row" hold): the top k is the highest-scoring weight mass k, cut through
 *  the straddling tie group in proportion to weight, and precision is positive weight over k
 *  (k capped at the total weight). To judge a money-weighted queue of k alerts instead, compare
 *  the amounts of the alerts themselves (see docs/decisions).
 *
 *  \param y_true labels in {0, 1} or {-1, 1}; 1 is the positive class.
 *  \param scores one score per sample, higher = more positive (float or double).
 *  \param k number of samples (with weights: weight) reviewed, >= 1.
 *  \param sample_weight optional non-negative weights, one per sample.
 *  \throws InvalidArgument on k < 1, labels outside {0, 1}/{-1, 1}, a length mismatch, empty
 *          input, more than one score column, a non-finite score (naming its index), bad
 *          weights (naming the row) or weights that are all 0.
 *  Complexity O(n) unweighted (a selection), O(n log n) weighted. Thread safety: pure. */
template <class D>
double precision_at_k(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                      const Eigen::MatrixBase<D>& scores, Eigen::Index k,
                      const SampleWeight& sample_weight = detail::unweighted()) {
  const detail::at_k::TopK t =
      detail::at_k::top_k(y_true, scores, k, sample_weight, "precision_at_k");
  return t.pos / t.k_eff;
}

/** Recall at k: the expected share of the positives found in the top k,
 *  `E[positives in the top k] / positives`. Ties, k > n, and weights as in precision_at_k.
 *
 *  \param y_true labels in {0, 1} or {-1, 1}; 1 is the positive class.
 *  \param scores one score per sample, higher = more positive (float or double).
 *  \param k number of samples (with weights: weight) reviewed, >= 1.
 *  \param sample_weight optional non-negative weights, one per sample.
 *  \throws InvalidArgument as precision_at_k, and when there is no positive sample (or every
 *          positive weighs 0): recall is undefined then (scikit-learn's recall warns and
 *          returns 0; osprey throws, as its curves do).
 *  Complexity O(n) unweighted, O(n log n) weighted. Thread safety: pure. */
template <class D>
double recall_at_k(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                   const Eigen::MatrixBase<D>& scores, Eigen::Index k,
                   const SampleWeight& sample_weight = detail::unweighted()) {
  const detail::at_k::TopK t = detail::at_k::top_k(y_true, scores, k, sample_weight, "recall_at_k");
  if (!(t.total_pos > 0.0)) {
    detail::fail("recall_at_k: y_true has no positive sample",
                 detail::is_weighted(sample_weight) ? " of non-zero weight" : "",
                 "; recall is undefined");
  }
  return t.pos / t.total_pos;
}

namespace detail::at_k {

/** Fills a GainCurve from the distinct-score groups in decreasing order (all of weight > 0). */
inline GainCurve gain_from_groups(const std::vector<Group>& groups) {
  double total = 0.0, total_pos = 0.0;
  for (const Group& g : groups) {
    total += g.w;
    total_pos += g.wpos;
  }
  if (total == 0.0) fail("cumulative_gain_curve: sample_weight is zero for every sample");
  if (total_pos == 0.0) {
    fail(
        "cumulative_gain_curve: y_true has no positive sample (of non-zero weight); the share "
        "of positives found is undefined");
  }
  const auto t = static_cast<Eigen::Index>(groups.size()) + 1;
  GainCurve c;
  c.population.resize(t);
  c.recall.resize(t);
  c.precision.resize(t);
  c.lift.resize(t);
  c.thresholds.resize(t);
  c.population(0) = 0.0;
  c.recall(0) = 0.0;
  c.thresholds(0) = std::numeric_limits<double>::infinity();
  double w = 0.0, wpos = 0.0;
  for (Eigen::Index j = 1; j < t; ++j) {
    const Group& g = groups[static_cast<std::size_t>(j - 1)];
    w += g.w;
    wpos += g.wpos;
    c.population(j) = w / total;
    c.recall(j) = wpos / total_pos;
    c.precision(j) = wpos / w;
    c.lift(j) = c.recall(j) / c.population(j);
    c.thresholds(j) = g.score;
  }
  // Reviewing a sliver of the first (randomly ordered) group: its positive rate on average.
  c.precision(0) = c.precision(1);
  c.lift(0) = c.lift(1);
  return c;
}

/** The distinct-score groups of unweighted samples, from the radix-sorted keys of each class:
 *  one merge from the top. O(n). */
template <class S>
std::vector<Group> unweighted_groups(const Eigen::Ref<const Eigen::VectorXi>& y,
                                     const Vector<S>& s) {
  using K = kernels::ScoreKey<S>;
  const kernels::ClassKeys<K> keys = kernels::sorted_class_keys<S>(y, s, 1, 1);
  std::vector<Group> out;
  std::size_t i = keys.pos.size, j = keys.neg.size;  // pos[i..), neg[j..) already taken
  while (i > 0 || j > 0) {
    K v = 0;
    if (i > 0) v = keys.pos[i - 1];
    if (j > 0) v = std::max(v, keys.neg[j - 1]);
    const std::size_t i0 = i, j0 = j;
    while (i > 0 && keys.pos[i - 1] == v) --i;
    while (j > 0 && keys.neg[j - 1] == v) --j;
    const auto np = static_cast<double>(i0 - i);
    out.push_back({kernels::key_score(v), np + static_cast<double>(j0 - j), np});
  }
  return out;
}

}  // namespace detail::at_k

/** The cumulative gain curve (gain chart) of an alert queue reviewed in decreasing score order:
 *  for each distinct score t, the fraction of the population scoring >= t (`population`) against
 *  the fraction of the positives among them (`recall`), with the cumulative `precision` and the
 *  `lift` = recall / population (= precision / prevalence; 1 is random review).
 *
 *  Points: one per distinct score, in decreasing score order, preceded by (0, 0) at threshold
 *  +inf; the last point is (1, 1). Tied scores form one step, and the straight segment between
 *  two points is the expected curve over random orders of the tied samples. At point 0 (nothing
 *  reviewed) precision and lift are those of the first group, their limit as review starts.
 *  With `sample_weight`, fractions are of weight; a score whose samples all weigh 0 gives no
 *  point (as if dropped). The lift view is the `lift` member, against `population`.
 *
 *  \param y_true labels in {0, 1} or {-1, 1}; 1 is the positive class.
 *  \param scores one score per sample, higher = more positive (float or double).
 *  \param sample_weight optional non-negative weights, one per sample.
 *  \returns a GainCurve (a Curve with `recall`, `precision`, `thresholds` filled, plus
 *           `population` and `lift`), all of length (distinct scores of non-zero weight) + 1.
 *  \throws InvalidArgument on labels outside {0, 1}/{-1, 1}, no positive sample (of non-zero
 *          weight), a length mismatch, empty input, more than one score column, a non-finite
 *          score, bad weights or weights that are all 0.
 *  Complexity O(n) unweighted (radix sort), O(n log n) weighted. Thread safety: pure. */
template <class D>
GainCurve cumulative_gain_curve(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                const Eigen::MatrixBase<D>& scores,
                                const SampleWeight& sample_weight = detail::unweighted()) {
  detail::at_k::check_binary(y_true, scores, sample_weight, "cumulative_gain_curve");
  using S = detail::at_k::Scalar<typename D::Scalar>;
  const Vector<S> s = detail::at_k::score_copy(scores);
  return detail::at_k::gain_from_groups(
      detail::is_weighted(sample_weight)
          ? detail::at_k::weighted_groups<S>(y_true, s, sample_weight)
          : detail::at_k::unweighted_groups<S>(y_true, s));
}

namespace detail::at_k {

/** The O(q) checks of dcg_score and ndcg_score (rows = queries): shapes, k and the query
 *  weights; the entries are checked by the main loop (check_entries). */
template <class DR, class DS>
void check_queries(const DR& rel, const DS& s, std::optional<int> k, const SampleWeight& w,
                   std::string_view metric) {
  if (rel.rows() != s.rows() || rel.cols() != s.cols()) {
    fail(metric, ": relevance is ", rel.rows(), " x ", rel.cols(), " but scores are ", s.rows(),
         " x ", s.cols(), "; both need one row per query and one column per document");
  }
  if (rel.rows() == 0) fail(metric, ": relevance and scores are empty (0 queries)");
  if (rel.cols() < 2) {
    fail(metric, ": each query needs at least 2 documents (columns), got ", rel.cols(),
         " (scikit-learn rejects a single column as a binary target)");
  }
  if (rel.cols() > Eigen::Index{std::numeric_limits<std::uint32_t>::max()}) {
    fail(metric, ": ", rel.cols(), " documents per query is more than the 2^32 - 1 supported");
  }
  if (k && *k < 1) fail(metric, ": k must be >= 1 or left out (got ", *k, ")");
  check_sample_weight(w, rel.rows());
  if (is_weighted(w) && !(w.sum() > 0.0))
    fail(metric, ": sample_weight sums to 0 over the queries");
}

/** The O(q d) checks of the entries, run only once the main loop has seen a bad entry, so the
 *  message names the first one in row-major order: a non-finite relevance or score, or (for
 *  NDCG) a negative relevance. */
template <class DR, class DS>
void check_entries(const DR& rel, const DS& s, bool normalize, std::string_view metric) {
  check_finite_as<double>(rel, "relevance");
  check_finite_as<Scalar<typename DS::Scalar>>(s, "scores");
  for (Eigen::Index i = 0; normalize && i < rel.rows(); ++i) {
    for (Eigen::Index j = 0; j < rel.cols(); ++j) {
      if (rel(i, j) < 0) {
        fail(metric, ": relevance must be non-negative (row ", i, ", column ", j, " is ", rel(i, j),
             "); NDCG of negative gains is not bounded by 1");
      }
    }
  }
}

/** Per-query DCG (or NDCG when `normalize`) of validated inputs, in parallel over blocks of
 *  queries (each query is independent, so the values do not depend on the thread count). */
template <class DR, class DS>
Eigen::VectorXd query_gains(const DR& rel, const DS& s, std::optional<int> k, bool normalize,
                            const Execution& exec, const char* metric) {
  using S = Scalar<typename DS::Scalar>;
  const Eigen::Index q = rel.rows();
  const auto d = static_cast<std::size_t>(rel.cols());
  const std::size_t cut = k ? std::min(static_cast<std::size_t>(*k), d) : d;
  const kernels::DcgDiscounts disc(d, cut);
  Eigen::VectorXd out(q);
  const Stop stop{&exec.cancellation, metric};
  const int threads =
      static_cast<std::size_t>(q) * d >= kernels::radix_parallel_threshold ? exec.n_threads : 1;
  constexpr Eigen::Index block = 64;
  std::atomic<bool> bad{false};
  parallel_for_ranges(q, block, threads, [&](Eigen::Index lo, Eigen::Index hi) {
    stop.check();
    std::vector<kernels::DcgItem> items(d);
    std::vector<double> gains(d);
    kernels::BucketBuffers<kernels::DcgItem> by_score;
    kernels::BucketBuffers<double> by_gain;
    for (Eigen::Index i = lo; i < hi; ++i) {
      bool fine = true;
      for (std::size_t j = 0; j < d; ++j) {
        const auto c = static_cast<Eigen::Index>(j);
        const auto r = static_cast<double>(rel(i, c));
        const auto v = static_cast<double>(static_cast<S>(s(i, c)));
        items[j] = {v, r};
        gains[j] = r;
        fine = fine && std::isfinite(r) && std::isfinite(v) && (r >= 0.0 || !normalize);
      }
      if (!fine) {
        bad.store(true, std::memory_order_relaxed);
        return;  // the entries are checked again after the loop, and the first bad one named
      }
      const std::size_t m = kernels::bucket_sort_desc(
          items.data(), d, cut, [](const kernels::DcgItem& t) { return t.score; }, by_score);
      const double g = kernels::tie_averaged_dcg(by_score.out.data(), m, cut, disc.csum.data());
      if (!normalize) {
        out(i) = g;
        continue;
      }
      const std::size_t mg = kernels::bucket_sort_desc(
          gains.data(), d, cut, [](double v) { return v; }, by_gain);
      const double best = kernels::ideal_dcg(by_gain.out.data(), mg, cut, disc.disc.data());
      out(i) = best == 0.0 ? 0.0 : g / best;  // all-zero relevance: 0, as scikit-learn
    }
  });
  if (bad.load()) {
    check_entries(rel, s, normalize, metric);
    fail(metric, ": relevance or scores hold a bad entry");  // not reached: check_entries threw
  }
  if (exec.progress)
    exec.progress(
        Progress{"queries", static_cast<std::size_t>(q), static_cast<std::size_t>(q), 0.0});
  return out;
}

/** The (weighted) mean over queries of dcg_score / ndcg_score, vectors taken as one query. */
template <class DR, class DS>
double mean_gain(const Eigen::MatrixBase<DR>& relevance, const Eigen::MatrixBase<DS>& scores,
                 std::optional<int> k, const SampleWeight& w, bool normalize, const Execution& exec,
                 const char* metric) {
  Stop{&exec.cancellation, metric}.check();
  Eigen::VectorXd g;
  if constexpr (DR::ColsAtCompileTime == 1 && DS::ColsAtCompileTime == 1) {
    const auto rel = relevance.derived().transpose();
    const auto s = scores.derived().transpose();
    check_queries(rel, s, k, w, metric);
    g = query_gains(rel, s, k, normalize, exec, metric);
  } else {
    check_queries(relevance.derived(), scores.derived(), k, w, metric);
    g = query_gains(relevance.derived(), scores.derived(), k, normalize, exec, metric);
  }
  if (!is_weighted(w)) return g.sum() / static_cast<double>(g.size());
  double num = 0.0, den = 0.0;
  for (Eigen::Index i = 0; i < g.size(); ++i) {
    num += w(i) * g(i);
    den += w(i);
  }
  return num / den;
}

}  // namespace detail::at_k

/** Discounted cumulative gain (scikit-learn 1.2's `dcg_score`, `log_base=2`,
 *  `ignore_ties=False`): for each query (row), the relevance of its documents (columns) ranked
 *  by decreasing score, each discounted by `1 / log2(rank + 1)` (rank from 1) and by 0 past
 *  rank k, tied scores averaged (kernels/dcg.hpp); then the mean over queries, weighted by
 *  `sample_weight` when given (`sum w_q DCG_q / sum w_q`, numpy's average).
 *
 *  A pair of column vectors (known as vectors at compile time, e.g. `Eigen::VectorXd`) is one
 *  query. Relevance may be negative here, as in scikit-learn. k >= the number of documents is
 *  the same as no k.
 *
 *  \param relevance true relevance (gain) of each document, queries x documents, any scalar.
 *  \param scores predicted scores, same shape, higher = ranked first (float or double).
 *  \param k only the top k ranks count; left out = all ranks.
 *  \param sample_weight optional non-negative weight of each query (not of each document).
 *  \param exec threads over queries (`n_threads`, 0 = max_threads(), from 131072 entries on)
 *         and cancellation (polled every 64 queries); progress gets stage "queries" at the end.
 *  \throws InvalidArgument on shapes that differ, no query, fewer than 2 documents per query
 *          (scikit-learn needs a multi-output target), k < 1 (scikit-learn 1.2 returns 0 for
 *          k = 0 and mis-cuts a negative k), a non-finite entry (naming row and column), bad
 *          weights or weights summing to 0 (numpy raises ZeroDivisionError); Cancelled once
 *          exec.cancellation is cancelled.
 *  Complexity O(q d log d), or O(q (d + k log k)) with k < d; O(d) memory per thread.
 *  Thread safety: pure function. */
template <class DR, class DS>
double dcg_score(const Eigen::MatrixBase<DR>& relevance, const Eigen::MatrixBase<DS>& scores,
                 std::optional<int> k = std::nullopt,
                 const SampleWeight& sample_weight = detail::unweighted(),
                 const Execution& exec = {}) {
  return detail::at_k::mean_gain(relevance, scores, k, sample_weight, false, exec, "dcg_score");
}

/** Normalised discounted cumulative gain (scikit-learn 1.2's `ndcg_score`, `ignore_ties=False`):
 *  each query's tie-averaged DCG at k divided by its ideal DCG at k (the DCG of its relevance
 *  sorted in decreasing order), in [0, 1]; a query whose relevance is all 0 scores 0, as in
 *  scikit-learn. Then the mean over queries, weighted by `sample_weight` when given.
 *
 *  Negative relevance: scikit-learn 1.2 warns (FutureWarning) and 1.4 raises ValueError, since
 *  NDCG is then not bounded by 1; osprey raises, as 1.4 does. Everything else as dcg_score.
 *
 *  \param relevance true relevance of each document, queries x documents, non-negative.
 *  \param scores predicted scores, same shape, higher = ranked first (float or double).
 *  \param k only the top k ranks count, in the DCG and in the ideal DCG; left out = all ranks.
 *  \param sample_weight optional non-negative weight of each query.
 *  \param exec threads, cancellation and progress, as dcg_score.
 *  \throws InvalidArgument as dcg_score, and on a negative relevance (naming row and column);
 *          Cancelled once exec.cancellation is cancelled.
 *  Complexity O(q d log d), or O(q (d + k log k)) with k < d. Thread safety: pure function. */
template <class DR, class DS>
double ndcg_score(const Eigen::MatrixBase<DR>& relevance, const Eigen::MatrixBase<DS>& scores,
                  std::optional<int> k = std::nullopt,
                  const SampleWeight& sample_weight = detail::unweighted(),
                  const Execution& exec = {}) {
  return detail::at_k::mean_gain(relevance, scores, k, sample_weight, true, exec, "ndcg_score");
}

OSPREY_NAMESPACE_END

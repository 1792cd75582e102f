/** \file
 *  The sorted passes behind the ranking metrics of metrics/ranking.hpp (internal).
 *
 *  Unweighted, each class is radix-sorted to bare keys (kernels::sorted_class_keys) and the
 *  passes count with integers, so they are exact with any amount of ties.
 *
 *  Weighted, each class is radix-sorted as (key, weight) items (kernels::sorted_class_pairs),
 * stably and without the rows of weight 0, which scikit-learn's `_binary_clf_curve` drops. Walking
 * both classes from the top score down, with equal scores in reverse row order, adds the weights in
 *  exactly the order of scikit-learn's `stable_cumsum` over its descending stable argsort, so
 *  the cumulative weights `tps` and `fps` at each threshold are bit-identical to scikit-learn's
 *  and so are the curves; the areas differ from its numpy sums only by rounding.
 *
 *  Also the one-vs-rest machinery of the multi-class ROC AUC and average precision
 *  (scikit-learn's `_average_binary_score` over `label_binarize(y_true, classes)`).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "../../core/detail/stop.hpp"
#include "../../core/sample_weight.hpp"
#include "../../core/types.hpp"
#include "../../core/validation.hpp"
#include "../../kernels/radix_sort.hpp"
#include "../classification.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Sorts the scores of each class for a ranking metric run by `exec` on behalf of `where`,
 *  then reports stage "sort" to exec.progress. */
template <class S>
kernels::ClassKeys<kernels::ScoreKey<S>> ranked_keys(const Eigen::Ref<const Eigen::VectorXi>& y,
                                                     const Eigen::Ref<const Vector<S>>& s,
                                                     int pos_label, const Execution& exec,
                                                     const char* where) {
  const Stop stop{&exec.cancellation, where};
  stop.check();
  auto keys = kernels::sorted_class_keys<S>(y, s, pos_label, exec.n_threads, stop);
  stop.check();
  if (exec.progress) exec.progress(Progress{"sort", 1, 1, 0.0});
  return keys;
}

/** The walks over the sorted keys poll their Stop once per this many + 1 distinct scores (a
 *  fraction of a millisecond). */
inline constexpr std::size_t kWalkPollMask = (std::size_t{1} << 16) - 1;

/** The working scalar of a score type: float stays float, everything else becomes double. */
template <class S>
using ScoreScalar = std::conditional_t<std::is_same_v<S, float>, float, double>;

/** Distinct-threshold counts of a binary problem, thresholds decreasing: at `thresholds[t]`,
 *  `tps[t]` positives and `fps[t]` negatives (or their total weights) score >= the threshold
 *  (scikit-learn's `_binary_clf_curve`). */
struct ClfCurve {
  std::vector<double> fps;         ///< negatives (weight) at or above each threshold
  std::vector<double> tps;         ///< positives (weight) at or above each threshold
  std::vector<double> thresholds;  ///< the distinct scores, decreasing
};

/** Builds the distinct-threshold counts by merging the sorted keys of both classes from the
 *  top. O(n) after the O(n) sort. */
template <class S>
ClfCurve binary_clf_curve(const Eigen::Ref<const Eigen::VectorXi>& y,
                          const Eigen::Ref<const Vector<S>>& s, int pos_label,
                          const Execution& exec, const char* where) {
  using K = kernels::ScoreKey<S>;
  const kernels::ClassKeys<K> keys = ranked_keys<S>(y, s, pos_label, exec, where);
  const kernels::KeyArray<K>& pos = keys.pos;
  const kernels::KeyArray<K>& neg = keys.neg;
  ClfCurve c;
  std::size_t i = pos.size, j = neg.size;  // pos[i..), neg[j..) are above the threshold
  while (i > 0 || j > 0) {
    K v = 0;
    if (i > 0) v = pos[i - 1];
    if (j > 0) v = std::max(v, neg[j - 1]);
    while (i > 0 && pos[i - 1] == v) --i;
    while (j > 0 && neg[j - 1] == v) --j;
    c.fps.push_back(static_cast<double>(neg.size - j));
    c.tps.push_back(static_cast<double>(pos.size - i));
    c.thresholds.push_back(kernels::key_score(v));
  }
  return c;
}

/** Exact trapezoidal ROC AUC (= the Mann-Whitney statistic with ties counted half) of the
 *  samples with label `pos_label` against all others: sorts both classes, then counts for each
 *  distinct positive score the negatives below it and tied with it. Needs both classes. */
template <class S>
double fast_roc_auc(const Eigen::Ref<const Eigen::VectorXi>& y,
                    const Eigen::Ref<const Vector<S>>& s, int pos_label, const Execution& exec) {
  using K = kernels::ScoreKey<S>;
  const kernels::ClassKeys<K> keys = ranked_keys<S>(y, s, pos_label, exec, "roc_auc_score");
  const kernels::KeyArray<K>& pos = keys.pos;
  const kernels::KeyArray<K>& neg = keys.neg;
  // twice the number of (positive, negative) pairs ordered correctly, ties counting one
  const Stop stop{&exec.cancellation, "roc_auc_score"};
  std::uint64_t twice = 0;
  std::size_t j = 0;
  std::size_t steps = 0;
  for (std::size_t a = 0; a < pos.size;) {
    if ((++steps & kWalkPollMask) == 0) stop.check();
    const K v = pos[a];
    std::size_t b = a + 1;
    while (b < pos.size && pos[b] == v) ++b;
    while (j < neg.size && neg[j] < v) ++j;
    std::size_t k = j;
    while (k < neg.size && neg[k] == v) ++k;
    twice += static_cast<std::uint64_t>(b - a) * (2 * static_cast<std::uint64_t>(j) + (k - j));
    j = k;
    a = b;
  }
  return static_cast<double>(twice) /
         (2.0 * static_cast<double>(pos.size) * static_cast<double>(neg.size));
}

/** Average precision, scikit-learn's step-wise sum, from the sorted keys of both classes:
 *  walking the distinct positive scores v from the top, tps = #positives >= v and
 *  fps = #negatives >= v; only thresholds where recall changes add a term. Needs a positive. */
template <class S>
double fast_average_precision(const Eigen::Ref<const Eigen::VectorXi>& y,
                              const Eigen::Ref<const Vector<S>>& s, int pos_label,
                              const Execution& exec) {
  using K = kernels::ScoreKey<S>;
  const kernels::ClassKeys<K> keys =
      ranked_keys<S>(y, s, pos_label, exec, "average_precision_score");
  const kernels::KeyArray<K>& pos = keys.pos;
  const kernels::KeyArray<K>& neg = keys.neg;
  const auto total = static_cast<double>(pos.size);
  double ap = 0.0;
  double prev_recall = 0.0;
  std::size_t j = neg.size;
  std::size_t b = pos.size;
  const Stop stop{&exec.cancellation, "average_precision_score"};
  std::size_t steps = 0;
  while (b > 0) {
    if ((++steps & kWalkPollMask) == 0) stop.check();
    const K v = pos[b - 1];
    std::size_t a = b - 1;
    while (a > 0 && pos[a - 1] == v) --a;
    while (j > 0 && neg[j - 1] >= v) --j;
    const auto tps = static_cast<double>(pos.size - a);
    const auto fps = static_cast<double>(neg.size - j);
    const double recall = tps / total;
    ap += (recall - prev_recall) * (tps / (tps + fps));
    prev_recall = recall;
    b = a;
  }
  return ap;
}

/** Sorts the (score, weight) items of each class for a weighted ranking metric run by `exec` on
 *  behalf of `where`, then reports stage "sort" to exec.progress. */
template <class S>
kernels::ClassKeys<kernels::KeyWeight<kernels::ScoreKey<S>>> ranked_pairs(
    const Eigen::Ref<const Eigen::VectorXi>& y, const Eigen::Ref<const Vector<S>>& s,
    const SampleWeight& w, int pos_label, const Execution& exec, const char* where) {
  const Stop stop{&exec.cancellation, where};
  stop.check();
  auto items = kernels::sorted_class_pairs<S>(y, s, w, pos_label, exec.n_threads, stop);
  stop.check();
  if (exec.progress) exec.progress(Progress{"sort", 1, 1, 0.0});
  return items;
}

/** One step of a walk down a class's sorted items: adds to `sum` the weights of the items at
 *  key `v` just below position `i` (in reverse row order) and moves `i` below them. */
template <class K>
void take_key(const kernels::KeyArray<kernels::KeyWeight<K>>& a, std::size_t& i, K v, double& sum) {
  while (i > 0 && a[i - 1].key == v) {
    sum += a[i - 1].weight;
    --i;
  }
}

/** The weighted `_binary_clf_curve`: cumulative weights of each class at each distinct score
 *  of non-zero weight, thresholds decreasing. O(n) after the O(n) sort. */
template <class S>
ClfCurve weighted_clf_curve(const Eigen::Ref<const Eigen::VectorXi>& y,
                            const Eigen::Ref<const Vector<S>>& s, const SampleWeight& w,
                            int pos_label, const Execution& exec, const char* where) {
  using K = kernels::ScoreKey<S>;
  const auto keys = ranked_pairs<S>(y, s, w, pos_label, exec, where);
  ClfCurve c;
  double tp = 0.0, fp = 0.0;
  std::size_t i = keys.pos.size, j = keys.neg.size;  // pos[i..), neg[j..) are above
  while (i > 0 || j > 0) {
    K v = 0;
    if (i > 0) v = keys.pos[i - 1].key;
    if (j > 0) v = std::max(v, keys.neg[j - 1].key);
    take_key(keys.pos, i, v, tp);
    take_key(keys.neg, j, v, fp);
    c.fps.push_back(fp);
    c.tps.push_back(tp);
    c.thresholds.push_back(kernels::key_score(v));
  }
  return c;
}

/** Weighted trapezoidal ROC AUC of class `pos_label` against the rest: over the distinct
 *  scores from the top, `sum (fps_t - fps_{t-1}) (tps_t + tps_{t-1}) / (2 tps_T fps_T)`, the
 *  area scikit-learn's `auc(roc_curve(...))` integrates. Throws InvalidArgument naming `metric`
 *  when either class has zero total weight (scikit-learn warns and returns NaN). O(n). */
template <class S>
double weighted_roc_auc(const Eigen::Ref<const Eigen::VectorXi>& y,
                        const Eigen::Ref<const Vector<S>>& s, const SampleWeight& w, int pos_label,
                        const Execution& exec, const char* metric) {
  using K = kernels::ScoreKey<S>;
  const auto keys = ranked_pairs<S>(y, s, w, pos_label, exec, metric);
  if (keys.pos.size == 0 || keys.neg.size == 0) {
    fail(metric, ": the ", keys.pos.size == 0 ? "positive" : "negative", " samples (label ",
         keys.pos.size == 0 ? "== " : "!= ", pos_label,
         ") have zero total sample_weight; ROC AUC is not defined in that case");
  }
  double tp = 0.0, fp = 0.0, area = 0.0;
  std::size_t i = keys.pos.size, j = keys.neg.size;
  while (i > 0 || j > 0) {
    K v = 0;
    if (i > 0) v = keys.pos[i - 1].key;
    if (j > 0) v = std::max(v, keys.neg[j - 1].key);
    const double tp0 = tp, fp0 = fp;
    take_key(keys.pos, i, v, tp);
    take_key(keys.neg, j, v, fp);
    area += (fp - fp0) * (tp + tp0);
  }
  return area / (2.0 * tp * fp);
}

/** Weighted average precision, scikit-learn's step-wise sum `sum_t (R_t - R_{t-1}) P_t` over
 *  the distinct positive scores from the top, with `R_t = tps_t / tps_T` and
 *  `P_t = tps_t / (tps_t + fps_t)` in cumulative weights (thresholds where no positive weight
 *  is added add an exact 0 term and are skipped). Throws InvalidArgument naming `metric` when
 *  the positive class has zero total weight (scikit-learn warns and returns 0). O(n). */
template <class S>
double weighted_average_precision(const Eigen::Ref<const Eigen::VectorXi>& y,
                                  const Eigen::Ref<const Vector<S>>& s, const SampleWeight& w,
                                  int pos_label, const Execution& exec, const char* metric) {
  using K = kernels::ScoreKey<S>;
  const auto keys = ranked_pairs<S>(y, s, w, pos_label, exec, metric);
  const auto& pos = keys.pos;
  const auto& neg = keys.neg;
  if (pos.size == 0) {
    fail(metric, ": the positive class (", pos_label,
         ") has zero total sample_weight; average precision is not defined in that case");
  }
  double total = 0.0;  // tps_T, summed in the walk's order so recall reaches exactly 1
  for (std::size_t i = pos.size; i > 0; --i) total += pos[i - 1].weight;
  double tp = 0.0, fp = 0.0, ap = 0.0, prev_recall = 0.0;
  std::size_t i = pos.size, j = neg.size;
  while (i > 0) {
    const K v = pos[i - 1].key;
    take_key(pos, i, v, tp);
    while (j > 0 && neg[j - 1].key >= v) {
      fp += neg[j - 1].weight;
      --j;
    }
    const double recall = tp / total;
    ap += (recall - prev_recall) * (tp / (tp + fp));
    prev_recall = recall;
  }
  return ap;
}

/** The classes of a one-vs-rest problem: the sorted labels of y_true (one score column each)
 *  and each class's support (its number of samples, or its total weight). */
struct OvrClasses {
  std::vector<int> labels;      ///< sorted distinct labels of y_true
  std::vector<double> support;  ///< count or total weight of each class
};

/** Checks a one-vs-rest score matrix against y_true (k >= 3 classes, k columns) and counts or
 *  weighs each class, summing the weights in row order. O(n + k log k). */
template <class D>
OvrClasses ovr_classes(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                       const Eigen::MatrixBase<D>& scores, const SampleWeight& w,
                       const char* metric) {
  OvrClasses cls{unique_labels(y_true), {}};
  const auto k = static_cast<Eigen::Index>(cls.labels.size());
  if (k < 3) {
    fail(metric, ": y_true holds ", k, " classes but scores have ", scores.cols(),
         " columns; a binary problem takes one column of scores for the greater label");
  }
  if (scores.cols() != k) {
    fail(metric, ": scores have ", scores.cols(), " columns but y_true holds ", k,
         " classes; one column per class (in sorted label order) is needed");
  }
  cls.support.assign(cls.labels.size(), 0.0);
  for (Eigen::Index i = 0; i < y_true.size(); ++i) {
    const auto c = static_cast<std::size_t>(
        std::lower_bound(cls.labels.begin(), cls.labels.end(), y_true(i)) - cls.labels.begin());
    cls.support[c] += weight_at(w, i);
  }
  return cls;
}

/** The one-vs-rest score of each class: `binary(column, label)` on the score column of each
 *  class, in working scalar `S`, reporting stage "class" to exec.progress after each. A class
 *  of zero total weight scores 0 when `skip_empty` (scikit-learn's weighted average gives it
 *  weight 0) and otherwise throws InvalidArgument naming it (scikit-learn: NaN or 0 with a
 *  warning). */
template <class S, class D, class Binary>
Eigen::VectorXd ovr_per_class(const Eigen::MatrixBase<D>& scores, const OvrClasses& cls,
                              bool skip_empty, const Execution& exec, const char* metric,
                              Binary binary) {
  const auto k = static_cast<Eigen::Index>(cls.labels.size());
  Eigen::VectorXd out(k);
  for (Eigen::Index c = 0; c < k; ++c) {
    const auto cc = static_cast<std::size_t>(c);
    if (cls.support[cc] == 0.0) {
      if (!skip_empty) {
        fail(metric, ": class ", cls.labels[cc],
             " has zero total sample_weight; its one-vs-rest score is not defined (use "
             "Average::weighted, which gives such a class weight 0)");
      }
      out(c) = 0.0;
      continue;
    }
    const Vector<S> col = scores.col(c).template cast<S>();
    out(c) = binary(col, cls.labels[cc]);
    if (exec.progress) {
      exec.progress(Progress{"class", cc + 1, static_cast<std::size_t>(k), out(c)});
    }
  }
  return out;
}

/** Combines per-class scores: the plain mean (`weighted` false) or the mean weighted by each
 *  class's support, as numpy's `average`. */
inline double ovr_average(const Eigen::VectorXd& score, const OvrClasses& cls, bool weighted) {
  double num = 0.0;
  double den = 0.0;
  for (Eigen::Index c = 0; c < score.size(); ++c) {
    const double wc = weighted ? cls.support[static_cast<std::size_t>(c)] : 1.0;
    num += wc * score(c);
    den += wc;
  }
  return num / den;
}

/** Checks a score matrix against y_true for `metric`: same number of rows, non-empty, finite
 *  (polling `stop` between blocks of rows). */
template <class D>
void check_score_rows(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                      const Eigen::MatrixBase<D>& scores, const Stop& stop, const char* metric) {
  check_same_length(y_true.size(), scores.rows(), "y_true", "scores");
  if (y_true.size() == 0) fail(metric, ": y_true and scores are empty (0 samples)");
  constexpr Eigen::Index poll_rows = 1 << 16;  // scanned between two polls of the token
  for (Eigen::Index r0 = 0; r0 < scores.rows(); r0 += poll_rows) {
    stop.check();
    const Eigen::Index len = std::min(poll_rows, scores.rows() - r0);
    if (!scores.middleRows(r0, len).allFinite()) check_finite(scores, "scores");
  }
}

/** check_sample_weight, and a weighted call must weigh some sample. */
inline void check_ranking_weight(const SampleWeight& w, Eigen::Index n, const char* metric) {
  check_sample_weight(w, n);
  if (is_weighted(w) && !(w.array() != 0.0).any()) {
    fail(metric, ": sample_weight is 0 for every sample");
  }
}

/** Throws unless every row of a one-vs-rest probability matrix sums to 1 (numpy's allclose). */
template <class D>
void check_rows_sum_to_one(const Eigen::MatrixBase<D>& scores, const Stop& stop) {
  constexpr Eigen::Index poll_rows = 1 << 16;
  for (Eigen::Index i = 0; i < scores.rows(); ++i) {
    if (i % poll_rows == 0) stop.check();
    double sum = 0.0;  // a plain loop: GCC 12 warns falsely in Eigen's AVX-512 sums
    for (Eigen::Index j = 0; j < scores.cols(); ++j) sum += static_cast<double>(scores(i, j));
    if (!(std::abs(sum - 1.0) <= 1e-8 + 1e-5)) {
      fail("roc_auc_score: scores of row ", i, " sum to ", sum,
           "; one-vs-rest AUC needs class probabilities that sum to 1");
    }
  }
}

/** The micro-averaged AP of a one-vs-rest problem: the binary AP of the n k (sample, class)
 *  pairs in row-major order (scikit-learn's `ravel`), each weighing its sample's weight. */
template <class S, class D>
double micro_average_precision(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                               const Eigen::MatrixBase<D>& scores, const OvrClasses& cls,
                               const Execution& exec, const SampleWeight& w) {
  const Eigen::Index n = scores.rows(), k = scores.cols();
  Eigen::VectorXi y(n * k);
  Vector<S> s(n * k);
  Eigen::VectorXd wf(is_weighted(w) ? n * k : 0);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index c = 0; c < k; ++c) {
      y(i * k + c) = y_true(i) == cls.labels[static_cast<std::size_t>(c)] ? 1 : 0;
      s(i * k + c) = static_cast<S>(scores(i, c));
      if (is_weighted(w)) wf(i * k + c) = w(i);
    }
  }
  if (is_weighted(w)) {
    return weighted_average_precision<S>(y, s, wf, 1, exec, "average_precision_score");
  }
  return fast_average_precision<S>(y, s, 1, exec);
}

/** One-vs-rest AP: each class's AP (`average` empty) or their `average` as one entry. */
template <class D>
Eigen::VectorXd ovr_average_precision(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                      const Eigen::MatrixBase<D>& scores,
                                      std::optional<Average> average, const Execution& exec,
                                      const SampleWeight& w) {
  constexpr const char* metric = "average_precision_score";
  const Stop stop{&exec.cancellation, metric};
  stop.check();
  using S = ScoreScalar<typename D::Scalar>;
  check_score_rows(y_true, scores, stop, metric);
  check_ranking_weight(w, y_true.size(), metric);
  const OvrClasses cls = ovr_classes(y_true, scores, w, metric);
  if (average == Average::micro) {
    return Eigen::VectorXd::Constant(1, micro_average_precision<S>(y_true, scores, cls, exec, w));
  }
  const bool by_support = average == Average::weighted;
  const Eigen::VectorXd ap =
      ovr_per_class<S>(scores, cls, by_support, exec, metric, [&](const Vector<S>& col, int c) {
        return is_weighted(w) ? weighted_average_precision<S>(y_true, col, w, c, exec, metric)
                              : fast_average_precision<S>(y_true, col, c, exec);
      });
  if (!average) return ap;
  return Eigen::VectorXd::Constant(1, ovr_average(ap, cls, by_support));
}

}  // namespace detail
OSPREY_NAMESPACE_END

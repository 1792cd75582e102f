/** \file
 *  Metrics of real-valued scores (higher = more positive), with scikit-learn's exact semantics:
 *  ROC and precision-recall curves over the distinct score values (tied scores form one
 *  threshold), the trapezoidal ROC AUC, and average precision as scikit-learn's step-wise sum
 *  `AP = sum_n (R_n - R_{n-1}) P_n` (not a trapezoid).
 *
 *  Scores may be any Eigen dense vector; `float` scores are handled as float (exactly), every
 *  other scalar type as double. Labels are `Eigen::Ref<const Eigen::VectorXi>`.
 *
 *  Sample weights: every function takes an optional `sample_weight` last (core/sample_weight.hpp;
 *  empty = unweighted), with scikit-learn's results: rows of weight 0 are left out before
 *  anything else (their scores form no threshold, their labels do not count as present), and
 *  the curves' `tps`/`fps` become cumulative weights. Weighted, the sort carries each weight
 *  with its key (kernels::sorted_class_pairs, stable), and the cumulative weights are summed in
 *  scikit-learn's order, so the curves equal scikit-learn's bit for bit; the areas differ only
 *  by rounding. Where a class needed by a metric has zero total weight, scikit-learn warns and
 *  returns NaN (or 0); osprey throws InvalidArgument naming it.
 *
 *  Speed: every function here sorts in O(n). Scores become order-preserving unsigned keys,
 *  split by class and radix-sorted (kernels/radix_sort.hpp). ROC AUC and average precision are
 *  then one merge of the two sorted classes with integer counts, so they are exact with any
 *  amount of ties.
 *
 *  Threads, cancellation, progress: each function takes a trailing `const Execution& exec`
 *  (core/types.hpp; defaults to all of `max_threads()`, no cancellation, no progress). The sort
 *  runs on `exec.n_threads` (0 = max_threads(), capped by a ThreadLimit) from
 *  `kernels::radix_parallel_threshold` scores on; `exec.cancellation` is polled every
 *  `kernels::poll_keys` keys of each pass and before each bucket (the call throws
 *  `Cancelled("<function>: cancelled")`); `exec.progress` gets stage "sort" (1 of 1) once the
 *  scores are sorted, and for a one-vs-rest AUC stage "class" (done / total classes).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "../core/detail/stop.hpp"
#include "../core/parallel.hpp"
#include "../core/sample_weight.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../kernels/radix_sort.hpp"
#include "classification.hpp"
#include "detail/ranking_passes.hpp"

OSPREY_NAMESPACE_BEGIN

/** A ROC or precision-recall curve. `roc_curve` fills `fpr`, `tpr` and `thresholds`;
 *  `precision_recall_curve` fills `precision`, `recall` and `thresholds`; the other two members
 *  stay empty. All are double (float scores are converted exactly). */
struct Curve {
  Eigen::VectorXd fpr;         ///< false positive rate at each threshold (ROC)
  Eigen::VectorXd tpr;         ///< true positive rate at each threshold (ROC)
  Eigen::VectorXd precision;   ///< precision at each threshold, then a final 1 (PR)
  Eigen::VectorXd recall;      ///< recall at each threshold, then a final 0 (PR)
  Eigen::VectorXd thresholds;  ///< ROC: decreasing, first +inf; PR: increasing distinct scores
};

namespace detail {

/** Checks a score vector against its labels: one column, same length, non-empty, finite. */
template <class D>
void check_scores(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                  const Eigen::MatrixBase<D>& scores, const char* metric, const Stop& stop = {}) {
  if (scores.cols() != 1) {
    fail(metric, ": scores must be a single column (got ", scores.rows(), " x ", scores.cols(),
         ")");
  }
  check_score_rows(y_true, scores, stop, metric);
}

/** The labels of y_true in one pass, polling `stop` per block: `lo` and `hi` (equal when y_true
 *  holds one label), and whether a third label occurs. \pre y_true is not empty. */
struct LabelPair {
  int lo = 0;         ///< the smaller label
  int hi = 0;         ///< the larger label
  bool more = false;  ///< a third label occurs
};
[[nodiscard]] inline LabelPair label_pair(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                          const Stop& stop = {}) {
  const int first = y_true(0);
  int other = first;
  for (Eigen::Index r0 = 0; r0 < y_true.size(); r0 += kRowsPerPoll) {
    stop.check();
    const Eigen::Index end = std::min(y_true.size(), r0 + kRowsPerPoll);
    for (Eigen::Index i = r0; i < end; ++i) {
      const int v = y_true(i);
      if (v == first || v == other) continue;
      if (other != first) return {std::min(first, other), std::max(first, other), true};
      other = v;
    }
  }
  return {std::min(first, other), std::max(first, other), false};
}

/** Which curve a pos_label is resolved for: a ROC curve also needs a negative sample. */
enum class CurveKind { roc, precision_recall };

/** The positive class of a binary curve, by scikit-learn's `_check_pos_label_consistency`:
 *  - y_true may hold at most two distinct labels ("multiclass format is not supported");
 *  - without a pos_label, the labels must be one of {0, 1}, {-1, 1}, {0}, {1}, {-1}, and the
 *    positive class is 1;
 *  - the positive class must occur in y_true (scikit-learn warns and returns NaN or a recall of
 *    1; osprey throws), and for a ROC curve so must a negative sample (scikit-learn: NaN fpr).
 *  O(n). */
[[nodiscard]] inline int resolve_pos_label(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                           std::optional<int> pos_label, CurveKind kind,
                                           std::string_view metric,
                                           const SampleWeight& sample_weight = unweighted(),
                                           const Stop& stop = {}) {
  if (y_true.size() == 0) fail(metric, ": y_true is empty (0 samples)");
  const LabelPair labels = label_pair(y_true, stop);
  int lo = labels.lo;
  int hi = labels.hi;
  if (labels.more) {
    fail(metric,
         ": y_true holds more than two classes (multiclass format is not supported); pass "
         "binary labels, e.g. (y_true.array() == k).cast<int>() for class k against the rest");
  }
  if (is_weighted(sample_weight)) {  // as scikit-learn, the rest sees the rows of weight > 0
    const auto kept = sample_weight.array() != 0.0;
    if (!kept.any()) fail(metric, ": sample_weight is 0 for every sample");
    const bool has_lo = (kept && y_true.array() == lo).any();
    const bool has_hi = (kept && y_true.array() == hi).any();
    lo = has_lo ? lo : hi;
    hi = has_hi ? hi : lo;
  }
  const char* among = is_weighted(sample_weight) ? " (rows of non-zero sample_weight)" : "";
  if (!pos_label) {
    const bool standard = lo == hi ? (lo >= -1 && lo <= 1) : (hi == 1 && (lo == 0 || lo == -1));
    if (!standard) {
      fail(metric, ": y_true", among, " takes values in {", lo, lo == hi ? "" : ", ",
           lo == hi ? std::string() : std::to_string(hi),
           "} and pos_label is not given; pass pos_label explicitly or make y_true take values "
           "in {0, 1} or {-1, 1}");
    }
    pos_label = 1;
  }
  const int pos = *pos_label;
  if (pos != lo && pos != hi) {
    fail(metric, ": pos_label=", pos, " is not present in y_true", among, " (labels ", lo,
         lo == hi ? std::string() : " and " + std::to_string(hi),
         "); the curve is undefined without positive samples");
  }
  if (kind == CurveKind::roc && lo == hi) {
    fail(metric, ": y_true", among, " holds only the positive class (", pos,
         "); the ROC curve is undefined without negative samples");
  }
  return pos;
}

/** The scores as a contiguous vector of the working scalar (no copy when they already are). */
template <class D>
using ScoreRef = Eigen::Ref<const Vector<ScoreScalar<typename D::Scalar>>>;

template <class D>
[[nodiscard]] auto score_vector(const Eigen::MatrixBase<D>& scores) {
  using S = ScoreScalar<typename D::Scalar>;
  if constexpr (std::is_same_v<typename D::Scalar, S>) {
    return ScoreRef<D>(scores.derived());
  } else {
    return Vector<S>(scores.derived().template cast<S>());
  }
}

}  // namespace detail

/** The ROC curve of a binary problem (scikit-learn's `roc_curve`).
 *
 *  Thresholds are the distinct scores in decreasing order, preceded by +inf (scikit-learn >= 1.3;
 *  scikit-learn 1.2 puts `max score + 1` there); the curve starts at (0, 0). A sample is
 *  predicted positive at threshold t when its score is >= t. With `drop_intermediate`, points
 *  collinear with their neighbours are dropped by scikit-learn's rule (a point is kept when the
 *  second difference of fps or of tps is non-zero there, computed as numpy's `diff(a, 2)`),
 *  which leaves the area unchanged.
 *
 *  The positive class follows scikit-learn's rules (`_check_pos_label_consistency`). Left out
 *  (`std::nullopt`, the default) it is 1, and y_true must take values in {0, 1} or {-1, 1} (or
 *  one of their labels alone): with labels {1, 2} scikit-learn and osprey refuse to guess,
 *  where roc_auc_score would take the greater label. y_true may hold at most two labels.
 *  Where scikit-learn warns and returns NaN rates (no positive sample, which includes a
 *  pos_label absent from y_true, or no negative sample), osprey throws, as roc_auc_score does.
 *  One deliberate difference: scikit-learn 1.2 accepts more than two labels with an explicit
 *  pos_label (one class against the rest); osprey throws there too, as scikit-learn's
 *  average_precision_score and roc_auc_score do, so a multi-class y_true is never binarised
 *  silently.
 *
 *  \param y_true labels; `pos_label` is the positive class, the other label negative.
 *  \param scores one score per sample, higher = more positive (float or double).
 *  \param pos_label the positive class; `std::nullopt` (not given) means 1 with labels in
 *         {0, 1} or {-1, 1}. An `int` converts implicitly, so `roc_curve(y, s, 2, false)` works.
 *  \param drop_intermediate drop collinear points.
 *  \param exec threads, cancellation and progress (see the file comment).
 *  \param sample_weight one finite non-negative weight per sample, or empty (unweighted). The
 *         rates become `fps / fps[-1]` and `tps / tps[-1]` in cumulative weights; rows of weight
 *         0 are left out first, so the label checks above see only rows of non-zero weight.
 *  \throws InvalidArgument on more than two labels in y_true, labels outside {0, 1}/{-1, 1}
 *          without a pos_label, no sample of the positive class, no negative sample (weighted:
 *          none of non-zero weight), a length mismatch, empty input, more than one score column
 *          or a non-finite score (naming its index), a sample_weight of the wrong length, with a
 *          negative or non-finite entry (naming its row) or zero everywhere; Cancelled once
 *          exec.cancellation is cancelled.
 *  Complexity O(n) (radix sort; weighted, the items are 16 bytes instead of 4 or 8).
 *  Thread safety: pure function. */
template <class D>
Curve roc_curve(const Eigen::Ref<const Eigen::VectorXi>& y_true, const Eigen::MatrixBase<D>& scores,
                std::optional<int> pos_label = std::nullopt, bool drop_intermediate = true,
                const Execution& exec = {},
                const SampleWeight& sample_weight = detail::unweighted()) {
  detail::Stop{&exec.cancellation, "roc_curve"}.check();  // before the O(n) checks
  detail::check_scores(y_true, scores, "roc_curve");
  detail::check_sample_weight(sample_weight, y_true.size());
  const int pos = detail::resolve_pos_label(y_true, pos_label, detail::CurveKind::roc, "roc_curve",
                                            sample_weight);
  using S = detail::ScoreScalar<typename D::Scalar>;
  const auto s = detail::score_vector(scores);
  const detail::ClfCurve c =
      detail::is_weighted(sample_weight)
          ? detail::weighted_clf_curve<S>(y_true, s, sample_weight, pos, exec, "roc_curve")
          : detail::binary_clf_curve<S>(y_true, s, pos, exec, "roc_curve");
  const std::size_t t = c.fps.size();
  std::vector<std::size_t> keep;
  keep.reserve(t);
  for (std::size_t i = 0; i < t; ++i) {
    if (!drop_intermediate || t <= 2 || i == 0 || i + 1 == t) {
      keep.push_back(i);
      continue;
    }
    // numpy's diff(a, 2), to drop the same points with non-integer weights
    const double d2f = (c.fps[i + 1] - c.fps[i]) - (c.fps[i] - c.fps[i - 1]);
    const double d2t = (c.tps[i + 1] - c.tps[i]) - (c.tps[i] - c.tps[i - 1]);
    if (d2f != 0.0 || d2t != 0.0) keep.push_back(i);
  }
  const auto k = static_cast<Eigen::Index>(keep.size()) + 1;
  Curve out;
  out.fpr.resize(k);
  out.tpr.resize(k);
  out.thresholds.resize(k);
  out.fpr(0) = 0.0;
  out.tpr(0) = 0.0;
  out.thresholds(0) = std::numeric_limits<double>::infinity();
  const double total_neg = c.fps.back();  // both > 0: resolve_pos_label checked
  const double total_pos = c.tps.back();
  for (Eigen::Index j = 1; j < k; ++j) {
    const std::size_t i = keep[static_cast<std::size_t>(j - 1)];
    out.fpr(j) = c.fps[i] / total_neg;
    out.tpr(j) = c.tps[i] / total_pos;
    out.thresholds(j) = c.thresholds[i];
  }
  return out;
}

/** Area under the ROC curve of a binary problem (scikit-learn's `roc_auc_score`): the
 *  trapezoidal area of roc_curve, which equals the probability that a random positive scores
 *  above a random negative, ties counting one half (weighted: the same with each pair weighing
 *  the product of its weights). As in scikit-learn the positive class is the greater of the
 *  two labels in y_true.
 *
 *  With a score matrix of k > 2 columns (one per class, in sorted label order, rows summing to
 *  1), computes the one-vs-rest macro average instead; see the overload with `Average`.
 *
 *  \param exec threads, cancellation and progress (see the file comment).
 *  \param sample_weight one finite non-negative weight per sample, or empty (unweighted).
 *  \throws InvalidArgument when y_true holds one class only ("ROC AUC is not defined"), when
 *          either class has zero total sample_weight (scikit-learn warns and returns NaN), on a
 *          length mismatch, empty input, non-finite score, or a bad sample_weight (wrong
 *          length, a negative or non-finite entry naming its row, zero everywhere); Cancelled
 *          once exec.cancellation is cancelled.
 *  Complexity: O(n) (radix sort), parallel with OpenMP; n extra keys of memory (weighted: 2n
 *  16-byte items). Thread safety: pure function. */
template <class D>
double roc_auc_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                     const Eigen::MatrixBase<D>& scores, const Execution& exec = {},
                     const SampleWeight& sample_weight = detail::unweighted());

/** ROC AUC with an explicit average: for a single score column (binary problem) `average` is
 *  ignored; for a score matrix with one column per class (sorted label order, rows summing to 1
 *  as scikit-learn requires) it is the one-vs-rest AUC of each class, combined with
 *  `Average::macro` (unweighted mean, scikit-learn's default) or `Average::weighted` (weighted
 *  by class prevalence in y_true: each class's total sample_weight when weighted).
 *
 *  Weighted, as scikit-learn's `_average_binary_score`: each class's AUC uses the weights, and
 *  a class of zero total weight gets weight 0 in `Average::weighted` (it is left out) while
 *  `Average::macro` throws, naming it (scikit-learn returns NaN).
 *  scikit-learn 1.2 also offers `average="micro"` for one-vs-rest; osprey does not (yet).
 *  \throws InvalidArgument as above, when the number of columns is not the number of classes,
 *          when a row does not sum to 1 (`|sum - 1| <= 1e-8 + 1e-5`, numpy's allclose), for
 *          `Average::micro`/`Average::binary` with a multi-class matrix, or as said for a class
 *          of zero total weight; Cancelled once exec.cancellation is cancelled (polled in each
 *          class's sort too). */
template <class D>
double roc_auc_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                     const Eigen::MatrixBase<D>& scores, Average average,
                     const Execution& exec = {},
                     const SampleWeight& sample_weight = detail::unweighted()) {
  const detail::Stop stop{&exec.cancellation, "roc_auc_score"};
  stop.check();  // before the O(n k) checks
  using S = detail::ScoreScalar<typename D::Scalar>;
  detail::check_score_rows(y_true, scores, stop, "roc_auc_score");
  detail::check_ranking_weight(sample_weight, y_true.size(), "roc_auc_score");
  const bool weighted = detail::is_weighted(sample_weight);
  if (scores.cols() == 1) {
    const detail::LabelPair labels = detail::label_pair(y_true, stop);
    const int lo = labels.lo;
    const int hi = labels.hi;
    if (lo == hi) {
      detail::fail("roc_auc_score: only one class (", lo,
                   ") is present in y_true; ROC AUC is not defined in that case");
    }
    if (labels.more) {
      detail::fail(
          "roc_auc_score: y_true holds more than two classes; pass a score matrix with "
          "one column per class for one-vs-rest AUC");
    }
    const auto s = detail::score_vector(scores.col(0));
    return weighted
               ? detail::weighted_roc_auc<S>(y_true, s, sample_weight, hi, exec, "roc_auc_score")
               : detail::fast_roc_auc<S>(y_true, s, hi, exec);
  }
  const detail::OvrClasses cls =
      detail::ovr_classes(y_true, scores, sample_weight, "roc_auc_score");
  if (average != Average::macro && average != Average::weighted) {
    detail::fail("roc_auc_score: one-vs-rest AUC supports Average::macro or Average::weighted");
  }
  detail::check_rows_sum_to_one(scores, stop);
  const Eigen::VectorXd auc = detail::ovr_per_class<S>(
      scores, cls, average == Average::weighted, exec, "roc_auc_score",
      [&](const Vector<S>& col, int label) {
        return weighted ? detail::weighted_roc_auc<S>(y_true, col, sample_weight, label, exec,
                                                      "roc_auc_score")
                        : detail::fast_roc_auc<S>(y_true, col, label, exec);
      });
  return detail::ovr_average(auc, cls, average == Average::weighted);
}

template <class D>
double roc_auc_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                     const Eigen::MatrixBase<D>& scores, const Execution& exec,
                     const SampleWeight& sample_weight) {
  return roc_auc_score(y_true, scores, Average::macro, exec, sample_weight);
}

/** The precision-recall curve (scikit-learn's `precision_recall_curve`): for every distinct
 *  score t in increasing order, the precision and recall of "score >= t", then the point
 *  (precision 1, recall 0) with no threshold.
 *
 *  pos_label follows roc_curve's rules: left out (`std::nullopt`) it is 1 and y_true must take
 *  values in {0, 1} or {-1, 1}; y_true may hold at most two labels; a y_true with no sample of
 *  the positive class throws (scikit-learn warns and sets recall to 1). A y_true with only
 *  positives is fine (precision 1 everywhere), as in scikit-learn.
 *  \param exec threads, cancellation and progress (see the file comment).
 *  \param sample_weight one finite non-negative weight per sample, or empty (unweighted):
 *         precision `tps / (tps + fps)` and recall `tps / tps[-1]` in cumulative weights; rows
 *         of weight 0 are left out first (their scores give no threshold).
 *  \throws InvalidArgument as roc_curve, except that no negative sample is allowed; Cancelled
 *          once exec.cancellation is cancelled.
 *  Complexity O(n) (radix sort). Thread safety: pure function. */
template <class D>
Curve precision_recall_curve(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                             const Eigen::MatrixBase<D>& scores,
                             std::optional<int> pos_label = std::nullopt,
                             const Execution& exec = {},
                             const SampleWeight& sample_weight = detail::unweighted()) {
  constexpr const char* metric = "precision_recall_curve";
  detail::Stop{&exec.cancellation, metric}.check();  // before the O(n) checks
  detail::check_scores(y_true, scores, metric);
  detail::check_sample_weight(sample_weight, y_true.size());
  const int pos = detail::resolve_pos_label(y_true, pos_label, detail::CurveKind::precision_recall,
                                            metric, sample_weight);
  using S = detail::ScoreScalar<typename D::Scalar>;
  const auto s = detail::score_vector(scores);
  const detail::ClfCurve c =
      detail::is_weighted(sample_weight)
          ? detail::weighted_clf_curve<S>(y_true, s, sample_weight, pos, exec, metric)
          : detail::binary_clf_curve<S>(y_true, s, pos, exec, metric);
  const auto t = static_cast<Eigen::Index>(c.fps.size());
  Curve out;
  out.precision.resize(t + 1);
  out.recall.resize(t + 1);
  out.thresholds.resize(t);
  const double total_pos = c.tps.back();
  for (Eigen::Index j = 0; j < t; ++j) {
    const auto i = static_cast<std::size_t>(t - 1 - j);  // reversed: increasing thresholds
    const double ps = c.tps[i] + c.fps[i];
    out.precision(j) = ps != 0.0 ? c.tps[i] / ps : 0.0;
    out.recall(j) = c.tps[i] / total_pos;  // total_pos > 0: resolve_pos_label checked
    out.thresholds(j) = c.thresholds[i];
  }
  out.precision(t) = 1.0;
  out.recall(t) = 0.0;
  return out;
}

/** Average precision (scikit-learn's `average_precision_score`, binary):
 *  `AP = sum_n (R_n - R_{n-1}) P_n` over the distinct thresholds in decreasing order, the
 *  step-wise area under the precision-recall curve without interpolation.
 *
 *  pos_label defaults to 1 as in scikit-learn (whose average_precision_score, unlike the curves,
 *  has no "not given" state). y_true may hold at most two labels, and pos_label must occur in
 *  it: with no positive sample AP is undefined (scikit-learn warns and returns 0; osprey throws,
 *  as precision_recall_curve and roc_auc_score do). For a score matrix (one column per class)
 *  see the overload with `Average`.
 *  \param pos_label the positive class.
 *  \param exec threads, cancellation and progress (see the file comment).
 *  \param sample_weight one finite non-negative weight per sample, or empty (unweighted); P and
 *         R in cumulative weights, rows of weight 0 left out first.
 *  \throws InvalidArgument on more than two classes in y_true, a pos_label absent from y_true
 *          (weighted: from its rows of non-zero weight), a length mismatch, empty input,
 *          non-finite score, more than one score column, or a bad sample_weight (wrong length,
 *          negative or non-finite entry naming its row, zero everywhere); Cancelled once
 *          exec.cancellation is cancelled.
 *  Complexity: O(n) (radix sort), parallel with OpenMP. Thread safety: pure function. */
template <class D>
double average_precision_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                               const Eigen::MatrixBase<D>& scores, int pos_label = 1,
                               const Execution& exec = {},
                               const SampleWeight& sample_weight = detail::unweighted()) {
  constexpr const char* metric = "average_precision_score";
  const detail::Stop stop{&exec.cancellation, metric};
  stop.check();  // before each of the O(n) checks: together they read the input four times
  if (scores.cols() > 1) {
    detail::fail(metric, ": scores have ", scores.cols(),
                 " columns; pass an Average (macro, weighted or micro) for one-vs-rest AP of a "
                 "score matrix, or average_precision_per_class");
  }
  detail::check_scores(y_true, scores, metric, stop);
  detail::check_sample_weight(sample_weight, y_true.size());
  stop.check();
  using S = detail::ScoreScalar<typename D::Scalar>;
  const int pos = detail::resolve_pos_label(y_true, pos_label, detail::CurveKind::precision_recall,
                                            metric, sample_weight, stop);
  stop.check();
  const auto s = detail::score_vector(scores);
  if (detail::is_weighted(sample_weight)) {
    return detail::weighted_average_precision<S>(y_true, s, sample_weight, pos, exec, metric);
  }
  return detail::fast_average_precision<S>(y_true, s, pos, exec);
}

/** One-vs-rest average precision of each class of a multi-class problem: entry c is the binary
 *  AP of class `c` (the c-th smallest label of y_true) against the rest, scored by column c, as
 *  scikit-learn 1.2's `average_precision_score(label_binarize(y_true, classes), scores,
 *  average=None, sample_weight=...)`.
 *  \param y_true labels, k >= 3 distinct values.
 *  \param scores n x k, one column per class in sorted label order (any real scores: the rows
 *         need not sum to 1).
 *  \param exec threads, cancellation and progress (stage "class" after each class).
 *  \param sample_weight one finite non-negative weight per sample, or empty (unweighted).
 *  \throws InvalidArgument when y_true holds fewer than 3 classes or scores do not have one
 *          column per class, on a length mismatch, empty input or non-finite score, on a bad
 *          sample_weight, and when a class has zero total weight (naming it; scikit-learn warns
 *          and gives that class 0); Cancelled once exec.cancellation is cancelled.
 *  Complexity: O(n k) (one radix sort per class). Thread safety: pure function. */
template <class D>
Eigen::VectorXd average_precision_per_class(
    const Eigen::Ref<const Eigen::VectorXi>& y_true, const Eigen::MatrixBase<D>& scores,
    const Execution& exec = {}, const SampleWeight& sample_weight = detail::unweighted()) {
  return detail::ovr_average_precision(y_true, scores, std::nullopt, exec, sample_weight);
}

/** Average precision of a score matrix, one-vs-rest (scikit-learn 1.2's
 *  `average_precision_score(label_binarize(y_true, classes), scores, average=...)`; for one
 *  score column, the binary AP with pos_label 1, as scikit-learn's default):
 *  - `Average::macro`: the mean of average_precision_per_class;
 *  - `Average::weighted`: its mean weighted by each class's support (count, or total weight);
 *    a class of zero total weight gets weight 0 and is left out, as in scikit-learn;
 *  - `Average::micro`: the binary AP of all n k (sample, class) pairs at once, the pair
 *    (i, c) positive when y_true(i) is class c, scored scores(i, c), weighing sample_weight(i).
 *  \param average macro, weighted or micro (`Average::binary` throws).
 *  \param exec threads, cancellation and progress.
 *  \param sample_weight one finite non-negative weight per sample, or empty (unweighted).
 *  \throws InvalidArgument as average_precision_per_class (for `Average::macro`), on
 *          `Average::binary` with several columns, or as the binary overload for one column;
 *          Cancelled once exec.cancellation is cancelled.
 *  Complexity: O(n k) (radix sorts). Thread safety: pure function. */
template <class D>
double average_precision_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                               const Eigen::MatrixBase<D>& scores, Average average,
                               const Execution& exec = {},
                               const SampleWeight& sample_weight = detail::unweighted()) {
  if (scores.cols() == 1) return average_precision_score(y_true, scores, 1, exec, sample_weight);
  if (average == Average::binary) {
    detail::fail(
        "average_precision_score: Average::binary takes one score column; a score "
        "matrix takes Average::macro, weighted or micro");
  }
  const Eigen::VectorXd ap = detail::ovr_average_precision(
      y_true, scores, std::optional<Average>(average), exec, sample_weight);
  return ap(0);
}

OSPREY_NAMESPACE_END

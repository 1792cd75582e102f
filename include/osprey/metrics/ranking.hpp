/** \file
 *  Metrics of real-valued scores (higher = more positive), with scikit-learn's exact semantics:
 *  ROC and precision-recall curves over the distinct score values (tied scores form one
 *  threshold), the trapezoidal ROC AUC, and average precision as scikit-learn's step-wise sum
 *  `AP = sum_n (R_n - R_{n-1}) P_n` (not a trapezoid).
 *
 *  Scores may be any Eigen dense vector; `float` scores are handled as float (exactly), every
 *  other scalar type as double. Labels are `Eigen::Ref<const Eigen::VectorXi>`.
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
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../kernels/radix_sort.hpp"
#include "classification.hpp"

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

/** The working scalar of a score type: float stays float, everything else becomes double. */
template <class S>
using ScoreScalar = std::conditional_t<std::is_same_v<S, float>, float, double>;

/** Checks a score vector against its labels: one column, same length, non-empty, finite. */
template <class D>
void check_scores(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                  const Eigen::MatrixBase<D>& scores, std::string_view metric) {
  if (scores.cols() != 1) {
    fail(metric, ": scores must be a single column (got ", scores.rows(), " x ", scores.cols(),
         ")");
  }
  detail::check_same_length(y_true.size(), scores.rows(), "y_true", "scores");
  if (y_true.size() == 0) fail(metric, ": y_true and scores are empty (0 samples)");
  check_finite(scores, "scores");
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
                                           std::string_view metric) {
  const int lo = y_true.minCoeff();
  const int hi = y_true.maxCoeff();
  if (lo != hi && ((y_true.array() == lo) || (y_true.array() == hi)).count() != y_true.size()) {
    fail(metric,
         ": y_true holds more than two classes (multiclass format is not supported); pass "
         "binary labels, e.g. (y_true.array() == k).cast<int>() for class k against the rest");
  }
  if (!pos_label) {
    const bool standard = lo == hi ? (lo >= -1 && lo <= 1) : (hi == 1 && (lo == 0 || lo == -1));
    if (!standard) {
      fail(metric, ": y_true takes values in {", lo, lo == hi ? "" : ", ",
           lo == hi ? std::string() : std::to_string(hi),
           "} and pos_label is not given; pass pos_label explicitly or make y_true take values "
           "in {0, 1} or {-1, 1}");
    }
    pos_label = 1;
  }
  const int pos = *pos_label;
  if (pos != lo && pos != hi) {
    fail(metric, ": pos_label=", pos, " is not present in y_true (labels ", lo,
         lo == hi ? std::string() : " and " + std::to_string(hi),
         "); the curve is undefined without positive samples");
  }
  if (kind == CurveKind::roc && lo == hi) {
    fail(metric, ": y_true holds only the positive class (", pos,
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

/** Distinct-threshold counts of a binary problem, thresholds decreasing: at `thresholds[t]`,
 *  `tps[t]` positives and `fps[t]` negatives score >= the threshold (scikit-learn's
 *  `_binary_clf_curve`). */
struct ClfCurve {
  std::vector<double> fps, tps, thresholds;
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
  std::uint64_t twice = 0;
  std::size_t j = 0;
  for (std::size_t a = 0; a < pos.size;) {
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
  while (b > 0) {
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
}  // namespace detail

/** The ROC curve of a binary problem (scikit-learn's `roc_curve`).
 *
 *  Thresholds are the distinct scores in decreasing order, preceded by +inf (scikit-learn >= 1.3;
 *  scikit-learn 1.2 puts `max score + 1` there); the curve starts at (0, 0). A sample is
 *  predicted positive at threshold t when its score is >= t. With `drop_intermediate`, points
 *  collinear with their neighbours are dropped by scikit-learn's rule (a point is kept when the
 *  second difference of fps or of tps is non-zero there), which leaves the area unchanged.
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
 *  \throws InvalidArgument on more than two labels in y_true, labels outside {0, 1}/{-1, 1}
 *          without a pos_label, no sample of the positive class, no negative sample, a length
 *          mismatch, empty input, more than one score column or a non-finite score (naming its
 *          index); Cancelled once exec.cancellation is cancelled.
 *  Complexity O(n) (radix sort). Thread safety: pure function. */
template <class D>
Curve roc_curve(const Eigen::Ref<const Eigen::VectorXi>& y_true, const Eigen::MatrixBase<D>& scores,
                std::optional<int> pos_label = std::nullopt, bool drop_intermediate = true,
                const Execution& exec = {}) {
  detail::Stop{&exec.cancellation, "roc_curve"}.check();  // before the O(n) checks
  detail::check_scores(y_true, scores, "roc_curve");
  const int pos = detail::resolve_pos_label(y_true, pos_label, detail::CurveKind::roc, "roc_curve");
  using S = detail::ScoreScalar<typename D::Scalar>;
  const auto s = detail::score_vector(scores);
  const detail::ClfCurve c = detail::binary_clf_curve<S>(y_true, s, pos, exec, "roc_curve");
  const std::size_t t = c.fps.size();
  std::vector<std::size_t> keep;
  keep.reserve(t);
  for (std::size_t i = 0; i < t; ++i) {
    if (!drop_intermediate || t <= 2 || i == 0 || i + 1 == t) {
      keep.push_back(i);
      continue;
    }
    const double d2f = c.fps[i + 1] - 2.0 * c.fps[i] + c.fps[i - 1];
    const double d2t = c.tps[i + 1] - 2.0 * c.tps[i] + c.tps[i - 1];
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
 *  above a random negative, ties counting one half. As in scikit-learn the positive class is
 *  the greater of the two labels in y_true.
 *
 *  With a score matrix of k > 2 columns (one per class, in sorted label order, rows summing to
 *  1), computes the one-vs-rest macro average instead; see the overload with `Average`.
 *
 *  \param exec threads, cancellation and progress (see the file comment).
 *  \throws InvalidArgument when y_true holds one class only ("ROC AUC is not defined"), on a
 *          length mismatch, empty input or non-finite score; Cancelled once exec.cancellation
 *          is cancelled.
 *  Complexity: O(n) (radix sort), parallel with OpenMP; n extra keys of memory.
 *  Thread safety: pure function. */
template <class D>
double roc_auc_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                     const Eigen::MatrixBase<D>& scores, const Execution& exec = {});

/** ROC AUC with an explicit average: for a single score column (binary problem) `average` is
 *  ignored; for a score matrix with one column per class (sorted label order, rows summing to 1
 *  as scikit-learn requires) it is the one-vs-rest AUC of each class, combined with
 *  `Average::macro` (unweighted mean, scikit-learn's default) or `Average::weighted` (weighted
 *  by class prevalence in y_true).
 *  \throws InvalidArgument as above, when the number of columns is not the number of classes,
 *          when a row does not sum to 1 (`|sum - 1| <= 1e-8 + 1e-5`, numpy's allclose), or for
 *          `Average::micro`/`Average::binary` with a multi-class matrix; Cancelled once
 *          exec.cancellation is cancelled (polled in each class's sort too). */
template <class D>
double roc_auc_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                     const Eigen::MatrixBase<D>& scores, Average average,
                     const Execution& exec = {}) {
  const detail::Stop stop{&exec.cancellation, "roc_auc_score"};
  stop.check();  // before the O(n k) checks
  using S = detail::ScoreScalar<typename D::Scalar>;
  detail::check_same_length(y_true.size(), scores.rows(), "y_true", "scores");
  if (y_true.size() == 0) detail::fail("roc_auc_score: y_true and scores are empty (0 samples)");
  constexpr Eigen::Index poll_rows = 1 << 16;  // scanned between two polls of the token
  for (Eigen::Index r0 = 0; r0 < scores.rows(); r0 += poll_rows) {
    stop.check();
    const Eigen::Index len = std::min(poll_rows, scores.rows() - r0);
    if (!scores.middleRows(r0, len).allFinite()) detail::check_finite(scores, "scores");
  }
  if (scores.cols() == 1) {
    const int lo = y_true.minCoeff();
    const int hi = y_true.maxCoeff();
    if (lo == hi) {
      detail::fail("roc_auc_score: only one class (", lo,
                   ") is present in y_true; ROC AUC is not defined in that case");
    }
    const auto both = ((y_true.array() == lo) || (y_true.array() == hi)).count();
    if (both != y_true.size()) {
      detail::fail(
          "roc_auc_score: y_true holds more than two classes; pass a score matrix with "
          "one column per class for one-vs-rest AUC");
    }
    const auto s = detail::score_vector(scores.col(0));
    return detail::fast_roc_auc<S>(y_true, s, hi, exec);
  }
  const std::vector<int> classes = detail::unique_labels(y_true);
  const auto k = static_cast<Eigen::Index>(classes.size());
  if (k < 3) {
    detail::fail("roc_auc_score: y_true holds ", k, " classes but scores have ", scores.cols(),
                 " columns; a binary problem takes one column of scores for the greater label");
  }
  if (scores.cols() != k) {
    detail::fail("roc_auc_score: scores have ", scores.cols(), " columns but y_true holds ", k,
                 " classes; one column per class (in sorted label order) is needed");
  }
  if (average != Average::macro && average != Average::weighted) {
    detail::fail("roc_auc_score: one-vs-rest AUC supports Average::macro or Average::weighted");
  }
  for (Eigen::Index i = 0; i < scores.rows(); ++i) {
    if (i % poll_rows == 0) stop.check();
    double sum = 0.0;  // a plain loop: GCC 12 warns falsely in Eigen's AVX-512 sums
    for (Eigen::Index j = 0; j < scores.cols(); ++j) sum += static_cast<double>(scores(i, j));
    if (!(std::abs(sum - 1.0) <= 1e-8 + 1e-5)) {
      detail::fail("roc_auc_score: scores of row ", i, " sum to ", sum,
                   "; one-vs-rest AUC needs class probabilities that sum to 1");
    }
  }
  double num = 0.0;
  double den = 0.0;
  for (Eigen::Index c = 0; c < k; ++c) {
    const int label = classes[static_cast<std::size_t>(c)];
    const Vector<S> col = scores.col(c).template cast<S>();
    const double auc = detail::fast_roc_auc<S>(y_true, col, label, exec);
    if (exec.progress) {
      exec.progress(
          Progress{"class", static_cast<std::size_t>(c + 1), static_cast<std::size_t>(k), auc});
    }
    const double w =
        average == Average::weighted ? static_cast<double>((y_true.array() == label).count()) : 1.0;
    num += w * auc;
    den += w;
  }
  return num / den;
}

template <class D>
double roc_auc_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                     const Eigen::MatrixBase<D>& scores, const Execution& exec) {
  return roc_auc_score(y_true, scores, Average::macro, exec);
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
 *  \throws InvalidArgument as roc_curve, except that no negative sample is allowed; Cancelled
 *          once exec.cancellation is cancelled.
 *  Complexity O(n) (radix sort). Thread safety: pure function. */
template <class D>
Curve precision_recall_curve(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                             const Eigen::MatrixBase<D>& scores,
                             std::optional<int> pos_label = std::nullopt,
                             const Execution& exec = {}) {
  detail::Stop{&exec.cancellation, "precision_recall_curve"}.check();  // before the O(n) checks
  detail::check_scores(y_true, scores, "precision_recall_curve");
  const int pos = detail::resolve_pos_label(y_true, pos_label, detail::CurveKind::precision_recall,
                                            "precision_recall_curve");
  using S = detail::ScoreScalar<typename D::Scalar>;
  const auto s = detail::score_vector(scores);
  const detail::ClfCurve c =
      detail::binary_clf_curve<S>(y_true, s, pos, exec, "precision_recall_curve");
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
 *  as precision_recall_curve and roc_auc_score do).
 *  \param pos_label the positive class.
 *  \param exec threads, cancellation and progress (see the file comment).
 *  \throws InvalidArgument on more than two classes in y_true, a pos_label absent from y_true,
 *          a length mismatch, empty input or non-finite score; Cancelled once
 *          exec.cancellation is cancelled.
 *  Complexity: O(n) (radix sort), parallel with OpenMP. Thread safety: pure function. */
template <class D>
double average_precision_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                               const Eigen::MatrixBase<D>& scores, int pos_label = 1,
                               const Execution& exec = {}) {
  detail::Stop{&exec.cancellation, "average_precision_score"}.check();  // before the O(n) checks
  detail::check_scores(y_true, scores, "average_precision_score");
  using S = detail::ScoreScalar<typename D::Scalar>;
  const int pos = detail::resolve_pos_label(y_true, pos_label, detail::CurveKind::precision_recall,
                                            "average_precision_score");
  const auto s = detail::score_vector(scores);
  return detail::fast_average_precision<S>(y_true, s, pos, exec);
}

OSPREY_NAMESPACE_END

/** \file
 *  Metrics of hard predictions (labels), with scikit-learn's and imbalanced-learn's definitions
 *  and defaults: confusion matrix, accuracy, precision, recall, F-beta, balanced accuracy,
 *  Matthews correlation, specificity and geometric mean.
 *
 *  Labels are `Eigen::VectorXi`; any integer values may be used as class labels. Unless a
 *  function says otherwise the label set is the sorted union of the labels in `y_true` and
 *  `y_pred` (scikit-learn's `unique_labels`).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string_view>
#include <vector>

#include "../core/detail/rounded.hpp"
#include "../core/sample_weight.hpp"
#include "../core/validation.hpp"
#include "label_counts.hpp"

OSPREY_NAMESPACE_BEGIN

/** Integer counts type of a confusion matrix. */
using CountMatrix = Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>;

/** A confusion matrix: `counts(i, j)` is the number of samples whose true label is `labels(i)`
 *  and whose predicted label is `labels(j)` (rows = true, columns = predicted);
 *  `weighted_counts(i, j)` is the sum of their sample weights. */
struct ConfusionMatrix {
  Eigen::VectorXi labels;  ///< the label of each row and column, in order
  /** Number of samples per cell, rows = true label, columns = predicted label; the rows are
   *  counted whatever their weights (a row of weight 0 counts 1 here). */
  CountMatrix counts;
  /** Sum of the sample weights per cell (scikit-learn's `confusion_matrix` with
   *  `sample_weight`); equal to `counts` when the matrix was computed without weights. */
  Eigen::MatrixXd weighted_counts;

  /** The count at (true `i`, predicted `j`): a number of samples, not of weights. */
  [[nodiscard]] std::int64_t operator()(Eigen::Index i, Eigen::Index j) const {
    return counts(i, j);
  }
  /** The number of labels (rows and columns). */
  [[nodiscard]] Eigen::Index size() const noexcept { return labels.size(); }
  /** The total number of samples counted. */
  [[nodiscard]] std::int64_t total() const { return counts.sum(); }
  /** The total weight counted (`total()` when unweighted). */
  [[nodiscard]] double weighted_total() const { return weighted_counts.sum(); }
};

/** Prints the labels and the matrix of counts, one row per true label; when the weighted counts
 *  differ from the counts, they follow under a "weighted:" line. */
inline std::ostream& operator<<(std::ostream& out, const ConfusionMatrix& cm) {
  out << "labels: " << cm.labels.transpose() << "\n" << cm.counts;
  if (cm.weighted_counts.size() == cm.counts.size() &&
      cm.weighted_counts != cm.counts.cast<double>()) {
    out << "\nweighted:\n" << cm.weighted_counts;
  }
  return out;
}

/** The confusion matrix of `y_pred` against `y_true` (scikit-learn's `confusion_matrix`).
 *
 *  \param y_true true labels.
 *  \param y_pred predicted labels, same length.
 *  \param labels optional label order of the rows and columns; samples whose true or predicted
 *         label is not listed are left out. Default: the sorted union of both label sets.
 *  \param sample_weight optional per-sample weights (empty = unweighted): `weighted_counts`
 *         holds their sums per cell, `counts` still counts samples.
 *  \throws InvalidArgument on a length mismatch, empty input, empty or duplicated `labels`,
 *          when none of `labels` occurs in `y_true`, or on bad `sample_weight` (wrong length,
 *          NaN, infinite or negative entries, a zero sum).
 *  Complexity: O(n + k^2) for k labels (O(n log k) when labels span a huge range).
 *  Thread safety: pure function. */
inline ConfusionMatrix confusion_matrix(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                        const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                                        const std::optional<Eigen::VectorXi>& labels = {},
                                        const SampleWeight& sample_weight = detail::unweighted()) {
  detail::check_labels(y_true, y_pred, sample_weight, "confusion_matrix");
  ConfusionMatrix cm;
  std::vector<int> order;
  if (labels) {
    if (labels->size() == 0) detail::fail("confusion_matrix: labels must hold at least one label");
    order.assign(labels->data(), labels->data() + labels->size());
    std::vector<int> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      detail::fail("confusion_matrix: labels must not repeat a label");
    }
    bool any = false;
    for (Eigen::Index i = 0; i < y_true.size() && !any; ++i) {
      any = std::binary_search(sorted.begin(), sorted.end(), y_true(i));
    }
    if (!any) detail::fail("confusion_matrix: none of the given labels occurs in y_true");
  } else {
    order = detail::unique_labels(y_true, &y_pred);
  }
  const auto k = static_cast<Eigen::Index>(order.size());
  cm.labels = Eigen::Map<const Eigen::VectorXi>(order.data(), k);
  cm.counts = CountMatrix::Zero(k, k);
  cm.weighted_counts = Eigen::MatrixXd::Zero(k, k);
  // Sorted (label, position) pairs map a label to its row.
  std::vector<std::pair<int, Eigen::Index>> lookup;
  lookup.reserve(order.size());
  for (Eigen::Index i = 0; i < k; ++i) lookup.emplace_back(order[static_cast<std::size_t>(i)], i);
  std::sort(lookup.begin(), lookup.end());
  auto find = [&](int v) -> Eigen::Index {
    const auto it =
        std::lower_bound(lookup.begin(), lookup.end(), std::make_pair(v, Eigen::Index{0}));
    if (it == lookup.end() || it->first != v) return -1;
    return it->second;
  };
  const bool weighted = detail::is_weighted(sample_weight);
  for (Eigen::Index i = 0; i < y_true.size(); ++i) {
    const Eigen::Index t = find(y_true(i));
    const Eigen::Index p = find(y_pred(i));
    if (t < 0 || p < 0) continue;
    ++cm.counts(t, p);
    if (weighted) cm.weighted_counts(t, p) += sample_weight(i);
  }
  if (!weighted) cm.weighted_counts = cm.counts.cast<double>();
  return cm;
}

/** Fraction of samples whose predicted label equals the true label; weighted, the fraction of
 *  the total weight on correctly predicted samples (scikit-learn's `accuracy_score`).
 *  \param sample_weight optional per-sample weights (empty = unweighted).
 *  \throws InvalidArgument on a length mismatch, empty input or bad `sample_weight` (wrong
 *          length, NaN, infinite or negative entries, a zero sum). Complexity O(n). */
inline double accuracy_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                             const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                             const SampleWeight& sample_weight = detail::unweighted()) {
  detail::check_labels(y_true, y_pred, sample_weight, "accuracy_score");
  if (detail::is_weighted(sample_weight)) {
    double correct = 0.0;
    double total = 0.0;
    for (Eigen::Index i = 0; i < y_true.size(); ++i) {
      if (y_true(i) == y_pred(i)) correct += sample_weight(i);
      total += sample_weight(i);
    }
    return correct / total;
  }
  const auto correct = (y_true.array() == y_pred.array()).count();
  return static_cast<double>(correct) / static_cast<double>(y_true.size());
}

/** Precision `tp / (tp + fp)`, as scikit-learn's `precision_score`.
 *
 *  \param y_true true labels. \param y_pred predicted labels, same length.
 *  \param average how per-label precisions are combined (see Average).
 *  \param pos_label the positive class when `average == Average::binary` (ignored otherwise).
 *  \param zero_division the value when no sample (or only weight 0) is predicted as the label.
 *  \param sample_weight optional per-sample weights (empty = unweighted): tp and fp become
 *         sums of weights, and Average::weighted weighs a label by its weighted support.
 *  \throws InvalidArgument on a length mismatch, empty input, more than two labels with
 *          `Average::binary`, a `pos_label` absent from a two-label problem, or bad
 *          `sample_weight` (wrong length, NaN, infinite or negative entries, a zero sum).
 *  Complexity O(n). Thread safety: pure function. */
inline double precision_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                              const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                              Average average = Average::binary, int pos_label = 1,
                              ZeroDivision zero_division = ZeroDivision::zero,
                              const SampleWeight& sample_weight = detail::unweighted()) {
  return detail::prf_score(y_true, y_pred, 1.0, average, pos_label, zero_division,
                           detail::PrfPart::precision, "precision_score", sample_weight);
}

/** Recall (sensitivity, true positive rate) `tp / (tp + fn)`, as scikit-learn's `recall_score`;
 *  parameters and errors as precision_score. */
inline double recall_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                           const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                           Average average = Average::binary, int pos_label = 1,
                           ZeroDivision zero_division = ZeroDivision::zero,
                           const SampleWeight& sample_weight = detail::unweighted()) {
  return detail::prf_score(y_true, y_pred, 1.0, average, pos_label, zero_division,
                           detail::PrfPart::recall, "recall_score", sample_weight);
}

/** F-beta: `(1 + b^2) P R / (b^2 P + R)` from precision P and recall R (0 when both are 0), as
 *  scikit-learn 1.2's `fbeta_score`; `beta = +inf` gives recall.
 *  \param beta weight of recall against precision, >= 0.
 *  \throws InvalidArgument as precision_score, and when beta < 0 or NaN. */
inline double fbeta_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                          const Eigen::Ref<const Eigen::VectorXi>& y_pred, double beta,
                          Average average = Average::binary, int pos_label = 1,
                          ZeroDivision zero_division = ZeroDivision::zero,
                          const SampleWeight& sample_weight = detail::unweighted()) {
  return detail::prf_score(y_true, y_pred, beta, average, pos_label, zero_division,
                           detail::PrfPart::f, "fbeta_score", sample_weight);
}

/** F1, the harmonic mean of precision and recall (fbeta_score with beta = 1). */
inline double f1_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                       const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                       Average average = Average::binary, int pos_label = 1,
                       ZeroDivision zero_division = ZeroDivision::zero,
                       const SampleWeight& sample_weight = detail::unweighted()) {
  return detail::prf_score(y_true, y_pred, 1.0, average, pos_label, zero_division,
                           detail::PrfPart::f, "f1_score", sample_weight);
}

/** Balanced accuracy: the mean recall over the classes present in `y_true` (labels that only
 *  occur in `y_pred`, or whose true samples all weigh 0, are skipped, as scikit-learn does).
 *  With `adjusted`, rescaled so chance scores 0 and perfect scores 1: `(score - 1/k) / (1 - 1/k)`.
 *  \param sample_weight optional per-sample weights (empty = unweighted): recalls of weights.
 *  \throws InvalidArgument on a length mismatch, empty input or bad `sample_weight` (wrong
 *          length, NaN, infinite or negative entries, a zero sum). Complexity O(n). */
inline double balanced_accuracy_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                      const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                                      bool adjusted = false,
                                      const SampleWeight& sample_weight = detail::unweighted()) {
  detail::check_labels(y_true, y_pred, sample_weight, "balanced_accuracy_score");
  const detail::LabelCounts c = detail::label_counts(y_true, y_pred, sample_weight);
  double sum = 0.0;
  int classes = 0;
  for (std::size_t i = 0; i < c.labels.size(); ++i) {
    const double support = c.tp[i] + c.fn[i];
    if (support == 0.0) continue;
    sum += c.tp[i] / support;
    ++classes;
  }
  double score = sum / classes;
  if (adjusted) {
    const double chance = 1.0 / classes;
    score -= chance;
    score /= 1.0 - chance;
  }
  return score;
}

/** Matthews correlation coefficient in its multi-class form (Gorodkin 2004), as scikit-learn:
 *  `(c s - t.p) / sqrt((s^2 - p.p)(s^2 - t.t))` with c correct predictions, s samples, t and p
 *  the per-class true and predicted counts (sums of weights when weighted); 0 when a
 *  denominator factor is 0.
 *  \param sample_weight optional per-sample weights (empty = unweighted).
 *  \throws InvalidArgument on a length mismatch, empty input or bad `sample_weight` (wrong
 *          length, NaN, infinite or negative entries, a zero sum). Complexity O(n). */
inline double matthews_corrcoef(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                                const SampleWeight& sample_weight = detail::unweighted()) {
  detail::check_labels(y_true, y_pred, sample_weight, "matthews_corrcoef");
  const detail::LabelCounts c = detail::label_counts(y_true, y_pred, sample_weight);
  double correct = 0.0, tt = 0.0, pp = 0.0, tp_dot = 0.0;
  for (std::size_t i = 0; i < c.labels.size(); ++i) {
    const double t = c.tp[i] + c.fn[i];
    const double p = c.tp[i] + c.fp[i];
    correct += c.tp[i];
    // Products rounded on their own (no FMA contraction): with weights the covariances must
    // cancel to exactly 0 where numpy's do, or a degenerate MCC comes out as noise, not 0.
    tt += detail::rounded_product(t, t);
    pp += detail::rounded_product(p, p);
    tp_dot += detail::rounded_product(t, p);
  }
  const double s = c.n;
  const double cov_ytyp = detail::rounded_product(correct, s) - tp_dot;
  const double cov_ypyp = detail::rounded_product(s, s) - pp;
  const double cov_ytyt = detail::rounded_product(s, s) - tt;
  if (cov_ypyp * cov_ytyt == 0.0) return 0.0;
  return cov_ytyp / std::sqrt(cov_ytyt * cov_ypyp);
}

/** Specificity (true negative rate) `tn / (tn + fp)`, as imbalanced-learn's
 *  `specificity_score`. With `Average::binary` and a `pos_label` absent from a one-label
 *  problem it returns 0, as imbalanced-learn does. Weighted, tn is the total weight less the
 *  label's tp, fp and fn (so integer weights equal repeated rows); imbalanced-learn 0.10 takes
 *  the row count instead of the total weight there, a bug (its issue #1180) not reproduced.
 *  Parameters and errors as precision_score. */
inline double specificity_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                                Average average = Average::binary, int pos_label = 1,
                                ZeroDivision zero_division = ZeroDivision::zero,
                                const SampleWeight& sample_weight = detail::unweighted()) {
  return detail::sensitivity_specificity(y_true, y_pred, average, pos_label, zero_division,
                                         "specificity_score", sample_weight)
      .specificity;
}

/** Geometric mean score, as imbalanced-learn's `geometric_mean_score`.
 *
 *  - `average` empty (the default, imbalanced-learn's `average='multiclass'`): the geometric
 *    mean of the per-class recalls over the sorted union of the labels; a label with no true
 *    sample (or only weight 0) has recall `zero_division`, so by default any such label, or any
 *    class never predicted right, makes the score 0 (imbalanced-learn with `correction=0`).
 *    For two labels this is `sqrt(recall_0 * recall_1)`, the binary average's value.
 *  - `Average` binary, micro, macro or weighted: `sqrt(sensitivity * specificity)` after
 *    averaging each (Kubat & Matwin 1997), with specificity as specificity_score.
 *
 *  \param pos_label the positive class with `Average::binary` (ignored otherwise).
 *  \param sample_weight optional per-sample weights (empty = unweighted).
 *  \throws InvalidArgument as precision_score. Complexity O(n). Thread safety: pure function. */
inline double geometric_mean_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                   const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                                   std::optional<Average> average = std::nullopt, int pos_label = 1,
                                   ZeroDivision zero_division = ZeroDivision::zero,
                                   const SampleWeight& sample_weight = detail::unweighted()) {
  if (!average) {
    detail::check_labels(y_true, y_pred, sample_weight, "geometric_mean_score");
    return detail::multiclass_gmean(detail::label_counts(y_true, y_pred, sample_weight),
                                    zero_division);
  }
  const detail::SenSpe s = detail::sensitivity_specificity(
      y_true, y_pred, *average, pos_label, zero_division, "geometric_mean_score", sample_weight);
  return std::sqrt(s.sensitivity * s.specificity);
}

OSPREY_NAMESPACE_END

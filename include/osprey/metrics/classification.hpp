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

#include "../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN

/** How per-label scores are combined into one number (scikit-learn's `average`).
 *  - `binary`: only the score of `pos_label`; the labels must hold at most two classes.
 *  - `micro`: counts (tp, fp, fn) summed over all labels, then one score.
 *  - `macro`: unweighted mean of the per-label scores.
 *  - `weighted`: mean of the per-label scores weighted by each label's support in `y_true`. */
enum class Average { binary, micro, macro, weighted };

/** What a ratio is when its denominator is zero (scikit-learn's `zero_division`):
 *  `zero` (scikit-learn's default, without the warning), `one`, or `nan`. With `nan`, macro and
 *  weighted averages skip the NaN entries, as scikit-learn >= 1.3 does. */
enum class ZeroDivision { zero, one, nan };

/** Integer counts type of a confusion matrix. */
using CountMatrix = Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>;

/** A confusion matrix: `counts(i, j)` is the number of samples whose true label is `labels(i)`
 *  and whose predicted label is `labels(j)` (rows = true, columns = predicted). */
struct ConfusionMatrix {
  Eigen::VectorXi labels;  ///< the label of each row and column, in order
  CountMatrix counts;      ///< counts, rows = true label, columns = predicted label

  /** The count at (true `i`, predicted `j`). */
  [[nodiscard]] std::int64_t operator()(Eigen::Index i, Eigen::Index j) const {
    return counts(i, j);
  }
  /** The number of labels (rows and columns). */
  [[nodiscard]] Eigen::Index size() const noexcept { return labels.size(); }
  /** The total number of samples counted. */
  [[nodiscard]] std::int64_t total() const { return counts.sum(); }
};

/** Prints the labels and the matrix, one row per true label. */
inline std::ostream& operator<<(std::ostream& out, const ConfusionMatrix& cm) {
  out << "labels: " << cm.labels.transpose() << "\n" << cm.counts;
  return out;
}

namespace detail {

/** The sorted distinct values of `a` (and of `b` when given). Uses a bitmap when the labels span
 *  a small range (the usual case), sorting otherwise. */
inline std::vector<int> unique_labels(const Eigen::Ref<const Eigen::VectorXi>& a,
                                      const Eigen::Ref<const Eigen::VectorXi>* b = nullptr) {
  std::vector<int> out;
  if (a.size() == 0 && (b == nullptr || b->size() == 0)) return out;
  std::int64_t lo = std::numeric_limits<std::int64_t>::max();
  std::int64_t hi = std::numeric_limits<std::int64_t>::min();
  if (a.size() > 0) {
    lo = a.minCoeff();
    hi = a.maxCoeff();
  }
  if (b != nullptr && b->size() > 0) {
    lo = std::min<std::int64_t>(lo, b->minCoeff());
    hi = std::max<std::int64_t>(hi, b->maxCoeff());
  }
  const std::int64_t span = hi - lo + 1;
  if (span <= (std::int64_t{1} << 20)) {
    std::vector<unsigned char> seen(static_cast<std::size_t>(span), 0);
    for (Eigen::Index i = 0; i < a.size(); ++i) seen[static_cast<std::size_t>(a(i) - lo)] = 1;
    if (b != nullptr) {
      for (Eigen::Index i = 0; i < b->size(); ++i) {
        seen[static_cast<std::size_t>((*b)(i)-lo)] = 1;
      }
    }
    for (std::int64_t v = 0; v < span; ++v) {
      if (seen[static_cast<std::size_t>(v)] != 0) out.push_back(static_cast<int>(v + lo));
    }
    return out;
  }
  out.assign(a.data(), a.data() + a.size());
  if (b != nullptr) out.insert(out.end(), b->data(), b->data() + b->size());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

/** Position of `label` in the sorted `labels`, or -1. */
[[nodiscard]] inline Eigen::Index label_index(const std::vector<int>& labels, int label) {
  const auto it = std::lower_bound(labels.begin(), labels.end(), label);
  if (it == labels.end() || *it != label) return -1;
  return static_cast<Eigen::Index>(it - labels.begin());
}

/** Checks two label vectors: non-empty and of equal length. */
inline void check_label_pair(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                             const Eigen::Ref<const Eigen::VectorXi>& y_pred) {
  check_same_length(y_true.size(), y_pred.size(), "y_true", "y_pred");
  if (y_true.size() == 0) fail("y_true and y_pred are empty (0 samples)");
}

/** Per-label counts of a one-vs-rest confusion: tp, fp, fn, tn and support for every label. */
struct LabelCounts {
  std::vector<int> labels;
  std::vector<std::int64_t> tp, fp, fn, tn;
  std::int64_t n = 0;
};

/** Counts for every label in the sorted union of y_true and y_pred. */
inline LabelCounts label_counts(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                const Eigen::Ref<const Eigen::VectorXi>& y_pred) {
  LabelCounts c;
  c.labels = unique_labels(y_true, &y_pred);
  const std::size_t k = c.labels.size();
  c.tp.assign(k, 0);
  c.fp.assign(k, 0);
  c.fn.assign(k, 0);
  c.tn.assign(k, 0);
  c.n = y_true.size();
  const int lo = c.labels.front();
  const std::int64_t span = static_cast<std::int64_t>(c.labels.back()) - lo + 1;
  std::vector<std::int64_t> index;
  if (span <= (std::int64_t{1} << 20)) {
    index.assign(static_cast<std::size_t>(span), -1);
    for (std::size_t i = 0; i < k; ++i) {
      index[static_cast<std::size_t>(c.labels[i] - lo)] = static_cast<std::int64_t>(i);
    }
  }
  auto find = [&](int label) -> std::size_t {
    if (!index.empty())
      return static_cast<std::size_t>(index[static_cast<std::size_t>(label - lo)]);
    return static_cast<std::size_t>(label_index(c.labels, label));
  };
  std::vector<std::int64_t> true_sum(k, 0), pred_sum(k, 0);
  for (Eigen::Index i = 0; i < y_true.size(); ++i) {
    const std::size_t t = find(y_true(i));
    const std::size_t p = find(y_pred(i));
    ++true_sum[t];
    ++pred_sum[p];
    if (t == p) ++c.tp[t];
  }
  for (std::size_t i = 0; i < k; ++i) {
    c.fp[i] = pred_sum[i] - c.tp[i];
    c.fn[i] = true_sum[i] - c.tp[i];
    c.tn[i] = c.n - c.tp[i] - c.fp[i] - c.fn[i];
  }
  return c;
}

/** `num / den`, or the zero-division value when `den == 0`. */
[[nodiscard]] inline double safe_divide(double num, double den, ZeroDivision zd) {
  if (den != 0.0) return num / den;
  switch (zd) {
    case ZeroDivision::one:
      return 1.0;
    case ZeroDivision::nan:
      return std::numeric_limits<double>::quiet_NaN();
    case ZeroDivision::zero:
      break;
  }
  return 0.0;
}

/** Mean of `values` weighted by `weights` (all ones when empty), skipping NaN entries; NaN when
 *  nothing is left (scikit-learn >= 1.3's `_nanaverage`, equal to `np.average` without NaN). */
[[nodiscard]] inline double nan_average(const std::vector<double>& values,
                                        const std::vector<double>& weights) {
  double num = 0.0;
  double den = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) continue;
    const double w = weights.empty() ? 1.0 : weights[i];
    num += w * values[i];
    den += w;
  }
  if (den == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return num / den;
}

/** Which labels a binary-average score looks at: checks scikit-learn's rules for
 *  `average = binary` (at most two labels; `pos_label` present unless only one label is) and
 *  returns the index of `pos_label` in `counts.labels`, or nullopt when it is absent. */
inline std::optional<std::size_t> binary_label(const LabelCounts& counts, int pos_label,
                                               std::string_view metric) {
  if (counts.labels.size() > 2) {
    fail(metric, ": the labels hold ", counts.labels.size(),
         " classes but average is binary; choose Average::micro, macro or weighted");
  }
  const Eigen::Index at = label_index(counts.labels, pos_label);
  if (at < 0) {
    if (counts.labels.size() >= 2) {
      fail(metric, ": pos_label=", pos_label, " is not a valid label; the labels are ",
           counts.labels.front(), " and ", counts.labels.back());
    }
    return std::nullopt;
  }
  return static_cast<std::size_t>(at);
}

/** Precision, recall and F-beta for one set of counts, with scikit-learn 1.2's rules: precision
 *  and recall take the zero-division value, F is computed from them with a zero denominator
 *  replaced by one (so F = 0 when precision = recall = 0). */
struct Prf {
  double precision = 0.0;
  double recall = 0.0;
  double f = 0.0;
};

[[nodiscard]] inline Prf prf(double tp, double fp, double fn, double beta, ZeroDivision zd) {
  Prf r;
  r.precision = safe_divide(tp, tp + fp, zd);
  r.recall = safe_divide(tp, tp + fn, zd);
  if (std::isinf(beta)) {
    r.f = r.recall;
  } else {
    const double b2 = beta * beta;
    double denom = b2 * r.precision + r.recall;
    if (denom == 0.0) denom = 1.0;
    r.f = (1.0 + b2) * r.precision * r.recall / denom;
  }
  return r;
}

enum class PrfPart { precision, recall, f };

[[nodiscard]] inline double pick(const Prf& p, PrfPart part) {
  switch (part) {
    case PrfPart::precision:
      return p.precision;
    case PrfPart::recall:
      return p.recall;
    case PrfPart::f:
      break;
  }
  return p.f;
}

inline double prf_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                        const Eigen::Ref<const Eigen::VectorXi>& y_pred, double beta,
                        Average average, int pos_label, ZeroDivision zd, PrfPart part,
                        std::string_view metric) {
  check_label_pair(y_true, y_pred);
  if (!(beta >= 0.0)) fail(metric, ": beta must be >= 0 (got ", beta, ")");
  const LabelCounts c = label_counts(y_true, y_pred);
  const std::size_t k = c.labels.size();
  switch (average) {
    case Average::binary: {
      const auto at = binary_label(c, pos_label, metric);
      // pos_label absent from a one-label problem: tp = fp = fn = 0 (scikit-learn's labels=[pos]).
      if (!at) return pick(prf(0.0, 0.0, 0.0, beta, zd), part);
      return pick(prf(static_cast<double>(c.tp[*at]), static_cast<double>(c.fp[*at]),
                      static_cast<double>(c.fn[*at]), beta, zd),
                  part);
    }
    case Average::micro: {
      double tp = 0.0, fp = 0.0, fn = 0.0;
      for (std::size_t i = 0; i < k; ++i) {
        tp += static_cast<double>(c.tp[i]);
        fp += static_cast<double>(c.fp[i]);
        fn += static_cast<double>(c.fn[i]);
      }
      return pick(prf(tp, fp, fn, beta, zd), part);
    }
    case Average::macro:
    case Average::weighted: {
      std::vector<double> values(k), weights;
      if (average == Average::weighted) weights.resize(k);
      for (std::size_t i = 0; i < k; ++i) {
        values[i] = pick(prf(static_cast<double>(c.tp[i]), static_cast<double>(c.fp[i]),
                             static_cast<double>(c.fn[i]), beta, zd),
                         part);
        if (!weights.empty()) weights[i] = static_cast<double>(c.tp[i] + c.fn[i]);
      }
      return nan_average(values, weights);
    }
  }
  return 0.0;
}

/** Sensitivity and specificity with imbalanced-learn's definitions, averaged. */
struct SenSpe {
  double sensitivity = 0.0;
  double specificity = 0.0;
};

inline SenSpe sensitivity_specificity(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                      const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                                      Average average, int pos_label, ZeroDivision zd,
                                      std::string_view metric) {
  check_label_pair(y_true, y_pred);
  const LabelCounts c = label_counts(y_true, y_pred);
  const std::size_t k = c.labels.size();
  auto one = [&](double tp, double fp, double fn, double tn) {
    return SenSpe{safe_divide(tp, tp + fn, zd), safe_divide(tn, tn + fp, zd)};
  };
  auto d = [](std::int64_t v) { return static_cast<double>(v); };
  switch (average) {
    case Average::binary: {
      const auto at = binary_label(c, pos_label, metric);
      if (!at) return SenSpe{0.0, 0.0};  // imbalanced-learn: only negative labels -> (0, 0)
      return one(d(c.tp[*at]), d(c.fp[*at]), d(c.fn[*at]), d(c.tn[*at]));
    }
    case Average::micro: {
      double tp = 0.0, fp = 0.0, fn = 0.0, tn = 0.0;
      for (std::size_t i = 0; i < k; ++i) {
        tp += d(c.tp[i]);
        fp += d(c.fp[i]);
        fn += d(c.fn[i]);
        tn += d(c.tn[i]);
      }
      return one(tp, fp, fn, tn);
    }
    case Average::macro:
    case Average::weighted: {
      std::vector<double> sen(k), spe(k), weights;
      if (average == Average::weighted) weights.resize(k);
      for (std::size_t i = 0; i < k; ++i) {
        const SenSpe s = one(d(c.tp[i]), d(c.fp[i]), d(c.fn[i]), d(c.tn[i]));
        sen[i] = s.sensitivity;
        spe[i] = s.specificity;
        if (!weights.empty()) weights[i] = d(c.tp[i] + c.fn[i]);
      }
      return SenSpe{nan_average(sen, weights), nan_average(spe, weights)};
    }
  }
  return {};
}

}  // namespace detail

/** The confusion matrix of `y_pred` against `y_true` (scikit-learn's `confusion_matrix`).
 *
 *  \param y_true true labels.
 *  \param y_pred predicted labels, same length.
 *  \param labels optional label order of the rows and columns; samples whose true or predicted
 *         label is not listed are left out. Default: the sorted union of both label sets.
 *  \throws InvalidArgument on a length mismatch, empty input, empty or duplicated `labels`, or
 *          when none of `labels` occurs in `y_true`.
 *  Complexity: O(n + k^2) for k labels (O(n log k) when labels span a huge range).
 *  Thread safety: pure function. */
inline ConfusionMatrix confusion_matrix(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                        const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                                        const std::optional<Eigen::VectorXi>& labels = {}) {
  detail::check_label_pair(y_true, y_pred);
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
  for (Eigen::Index i = 0; i < y_true.size(); ++i) {
    const Eigen::Index t = find(y_true(i));
    const Eigen::Index p = find(y_pred(i));
    if (t >= 0 && p >= 0) ++cm.counts(t, p);
  }
  return cm;
}

/** Fraction of samples whose predicted label equals the true label.
 *  \throws InvalidArgument on a length mismatch or empty input. Complexity O(n). */
inline double accuracy_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                             const Eigen::Ref<const Eigen::VectorXi>& y_pred) {
  detail::check_label_pair(y_true, y_pred);
  const auto correct = (y_true.array() == y_pred.array()).count();
  return static_cast<double>(correct) / static_cast<double>(y_true.size());
}

/** Precision `tp / (tp + fp)`, as scikit-learn's `precision_score`.
 *
 *  \param y_true true labels. \param y_pred predicted labels, same length.
 *  \param average how per-label precisions are combined (see Average).
 *  \param pos_label the positive class when `average == Average::binary` (ignored otherwise).
 *  \param zero_division the value when no sample is predicted as the label.
 *  \throws InvalidArgument on a length mismatch, empty input, more than two labels with
 *          `Average::binary`, or a `pos_label` absent from a two-label problem.
 *  Complexity O(n). Thread safety: pure function. */
inline double precision_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                              const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                              Average average = Average::binary, int pos_label = 1,
                              ZeroDivision zero_division = ZeroDivision::zero) {
  return detail::prf_score(y_true, y_pred, 1.0, average, pos_label, zero_division,
                           detail::PrfPart::precision, "precision_score");
}

/** Recall (sensitivity, true positive rate) `tp / (tp + fn)`, as scikit-learn's `recall_score`;
 *  parameters and errors as precision_score. */
inline double recall_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                           const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                           Average average = Average::binary, int pos_label = 1,
                           ZeroDivision zero_division = ZeroDivision::zero) {
  return detail::prf_score(y_true, y_pred, 1.0, average, pos_label, zero_division,
                           detail::PrfPart::recall, "recall_score");
}

/** F-beta: `(1 + b^2) P R / (b^2 P + R)` from precision P and recall R (0 when both are 0), as
 *  scikit-learn 1.2's `fbeta_score`; `beta = +inf` gives recall.
 *  \param beta weight of recall against precision, >= 0.
 *  \throws InvalidArgument as precision_score, and when beta < 0 or NaN. */
inline double fbeta_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                          const Eigen::Ref<const Eigen::VectorXi>& y_pred, double beta,
                          Average average = Average::binary, int pos_label = 1,
                          ZeroDivision zero_division = ZeroDivision::zero) {
  return detail::prf_score(y_true, y_pred, beta, average, pos_label, zero_division,
                           detail::PrfPart::f, "fbeta_score");
}

/** F1, the harmonic mean of precision and recall (fbeta_score with beta = 1). */
inline double f1_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                       const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                       Average average = Average::binary, int pos_label = 1,
                       ZeroDivision zero_division = ZeroDivision::zero) {
  return detail::prf_score(y_true, y_pred, 1.0, average, pos_label, zero_division,
                           detail::PrfPart::f, "f1_score");
}

/** Balanced accuracy: the mean recall over the classes present in `y_true` (labels that only
 *  occur in `y_pred` are skipped, as scikit-learn does). With `adjusted`, rescaled so chance
 *  scores 0 and perfect scores 1: `(score - 1/k) / (1 - 1/k)`.
 *  \throws InvalidArgument on a length mismatch or empty input. Complexity O(n). */
inline double balanced_accuracy_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                      const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                                      bool adjusted = false) {
  detail::check_label_pair(y_true, y_pred);
  const detail::LabelCounts c = detail::label_counts(y_true, y_pred);
  double sum = 0.0;
  int classes = 0;
  for (std::size_t i = 0; i < c.labels.size(); ++i) {
    const std::int64_t support = c.tp[i] + c.fn[i];
    if (support == 0) continue;
    sum += static_cast<double>(c.tp[i]) / static_cast<double>(support);
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
 *  the per-class true and predicted counts; 0 when a denominator factor is 0.
 *  \throws InvalidArgument on a length mismatch or empty input. Complexity O(n). */
inline double matthews_corrcoef(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                const Eigen::Ref<const Eigen::VectorXi>& y_pred) {
  detail::check_label_pair(y_true, y_pred);
  const detail::LabelCounts c = detail::label_counts(y_true, y_pred);
  double correct = 0.0, tt = 0.0, pp = 0.0, tp_dot = 0.0;
  for (std::size_t i = 0; i < c.labels.size(); ++i) {
    const auto t = static_cast<double>(c.tp[i] + c.fn[i]);
    const auto p = static_cast<double>(c.tp[i] + c.fp[i]);
    correct += static_cast<double>(c.tp[i]);
    tt += t * t;
    pp += p * p;
    tp_dot += t * p;
  }
  const auto s = static_cast<double>(c.n);
  const double cov_ytyp = correct * s - tp_dot;
  const double cov_ypyp = s * s - pp;
  const double cov_ytyt = s * s - tt;
  if (cov_ypyp * cov_ytyt == 0.0) return 0.0;
  return cov_ytyp / std::sqrt(cov_ytyt * cov_ypyp);
}

/** Specificity (true negative rate) `tn / (tn + fp)`, as imbalanced-learn's
 *  `specificity_score`. With `Average::binary` and a `pos_label` absent from a one-label
 *  problem it returns 0, as imbalanced-learn does. Parameters and errors as precision_score. */
inline double specificity_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                                Average average = Average::binary, int pos_label = 1,
                                ZeroDivision zero_division = ZeroDivision::zero) {
  return detail::sensitivity_specificity(y_true, y_pred, average, pos_label, zero_division,
                                         "specificity_score")
      .specificity;
}

/** Geometric mean `sqrt(sensitivity * specificity)`, as imbalanced-learn's
 *  `geometric_mean_score` with `average` binary, micro, macro or weighted: sensitivity and
 *  specificity are averaged first, then combined (Kubat & Matwin 1997). For a binary problem
 *  this equals imbalanced-learn's default `average='multiclass'` (the geometric mean of the two
 *  class recalls). Parameters and errors as precision_score. */
inline double geometric_mean_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                   const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                                   Average average = Average::binary, int pos_label = 1,
                                   ZeroDivision zero_division = ZeroDivision::zero) {
  const detail::SenSpe s = detail::sensitivity_specificity(y_true, y_pred, average, pos_label,
                                                           zero_division, "geometric_mean_score");
  return std::sqrt(s.sensitivity * s.specificity);
}

OSPREY_NAMESPACE_END

/** \file
 *  The averaging options of the label metrics and the per-label (weighted) counts they are all
 *  computed from: one pass over `y_true`, `y_pred` and the optional `sample_weight` gives every
 *  label's true positives, false positives, false negatives and true negatives, as sums of
 *  weights (counts when unweighted). classification.hpp and report.hpp build on it.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../core/sample_weight.hpp"
#include "../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN

/** How per-label scores are combined into one number (scikit-learn's `average`).
 *  - `binary`: only the score of `pos_label`; the labels must hold at most two classes.
 *  - `micro`: counts (tp, fp, fn) summed over all labels, then one score.
 *  - `macro`: unweighted mean of the per-label scores.
 *  - `weighted`: mean of the per-label scores weighted by each label's support in `y_true`
 *    (the sum of its rows' sample weights when weights are given). */
enum class Average { binary, micro, macro, weighted };

/** What a ratio is when its denominator is zero (scikit-learn's `zero_division`):
 *  `zero` (scikit-learn's default, without the warning), `one`, or `nan`. With `nan`, macro and
 *  weighted averages skip the NaN entries, as scikit-learn >= 1.3 does. */
enum class ZeroDivision { zero, one, nan };

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

/** Checks `sample_weight` for a label metric named `metric`: empty, or `n` finite non-negative
 *  weights (detail::check_sample_weight, the message naming the metric and sample_weight) with
 *  a positive, finite sum. Weights summing to zero leave no sample, as empty input does. */
inline void check_label_weights(const SampleWeight& sample_weight, Eigen::Index n,
                                std::string_view metric) {
  if (!is_weighted(sample_weight)) return;
  check_sample_weight(sample_weight, n, std::string(metric) + ": sample_weight");
  const double total = sample_weight.sum();
  if (!(total > 0.0) || !std::isfinite(total)) {
    fail(metric, ": sample_weight must have a positive, finite sum (got ", total,
         "); weights summing to zero leave no sample");
  }
}

/** Checks a label pair and its optional weights (check_label_pair, check_label_weights). */
inline void check_labels(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                         const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                         const SampleWeight& sample_weight, std::string_view metric) {
  check_label_pair(y_true, y_pred);
  check_label_weights(sample_weight, y_true.size(), metric);
}

/** Per-label sums of a one-vs-rest confusion for every label: tp, fp, fn, tn as sums of sample
 *  weights (exact integer counts when unweighted), with scikit-learn's
 *  `multilabel_confusion_matrix` formulas: fp = predicted - tp, fn = true - tp,
 *  tn = total - tp - fp - fn. */
struct LabelCounts {
  std::vector<int> labels;
  std::vector<double> tp, fp, fn, tn;
  double n = 0.0;  ///< total weight (the number of samples when unweighted)
};

/** Sums for every label in the sorted union of y_true and y_pred (whatever their weights), one
 *  pass over the rows in order. Unweighted, every sum is an integer count, exact in a double. */
inline LabelCounts label_counts(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                                const SampleWeight& sample_weight = unweighted()) {
  LabelCounts c;
  c.labels = unique_labels(y_true, &y_pred);
  const std::size_t k = c.labels.size();
  c.tp.assign(k, 0.0);
  c.fp.assign(k, 0.0);
  c.fn.assign(k, 0.0);
  c.tn.assign(k, 0.0);
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
  const bool weighted = is_weighted(sample_weight);
  std::vector<double> true_sum(k, 0.0), pred_sum(k, 0.0);
  double total = 0.0;
  for (Eigen::Index i = 0; i < y_true.size(); ++i) {
    const std::size_t t = find(y_true(i));
    const std::size_t p = find(y_pred(i));
    const double w = weighted ? sample_weight(i) : 1.0;
    true_sum[t] += w;
    pred_sum[p] += w;
    total += w;
    if (t == p) c.tp[t] += w;
  }
  c.n = weighted ? total : static_cast<double>(y_true.size());
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
                        std::string_view metric, const SampleWeight& sample_weight) {
  check_labels(y_true, y_pred, sample_weight, metric);
  if (!(beta >= 0.0)) fail(metric, ": beta must be >= 0 (got ", beta, ")");
  const LabelCounts c = label_counts(y_true, y_pred, sample_weight);
  const std::size_t k = c.labels.size();
  switch (average) {
    case Average::binary: {
      const auto at = binary_label(c, pos_label, metric);
      // pos_label absent from a one-label problem: tp = fp = fn = 0 (scikit-learn's labels=[pos]).
      if (!at) return pick(prf(0.0, 0.0, 0.0, beta, zd), part);
      return pick(prf(c.tp[*at], c.fp[*at], c.fn[*at], beta, zd), part);
    }
    case Average::micro: {
      double tp = 0.0, fp = 0.0, fn = 0.0;
      for (std::size_t i = 0; i < k; ++i) {
        tp += c.tp[i];
        fp += c.fp[i];
        fn += c.fn[i];
      }
      return pick(prf(tp, fp, fn, beta, zd), part);
    }
    case Average::macro:
    case Average::weighted: {
      std::vector<double> values(k), weights;
      if (average == Average::weighted) weights.resize(k);
      for (std::size_t i = 0; i < k; ++i) {
        values[i] = pick(prf(c.tp[i], c.fp[i], c.fn[i], beta, zd), part);
        if (!weights.empty()) weights[i] = c.tp[i] + c.fn[i];
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

/** Sensitivity `tp / (tp + fn)` and specificity `tn / (tn + fp)`, averaged as `average` says
 *  (imbalanced-learn's `sensitivity_specificity_support`). Weighted, tn is the total weight
 *  minus the label's tp, fp and fn, so integer weights equal repeated rows; imbalanced-learn
 *  0.10 subtracts the weighted sums from the row count instead (its issue #1180). */
inline SenSpe sensitivity_specificity(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                      const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                                      Average average, int pos_label, ZeroDivision zd,
                                      std::string_view metric, const SampleWeight& sample_weight) {
  check_labels(y_true, y_pred, sample_weight, metric);
  const LabelCounts c = label_counts(y_true, y_pred, sample_weight);
  const std::size_t k = c.labels.size();
  auto one = [&](double tp, double fp, double fn, double tn) {
    return SenSpe{safe_divide(tp, tp + fn, zd), safe_divide(tn, tn + fp, zd)};
  };
  switch (average) {
    case Average::binary: {
      const auto at = binary_label(c, pos_label, metric);
      if (!at) return SenSpe{0.0, 0.0};  // imbalanced-learn: only negative labels -> (0, 0)
      return one(c.tp[*at], c.fp[*at], c.fn[*at], c.tn[*at]);
    }
    case Average::micro: {
      double tp = 0.0, fp = 0.0, fn = 0.0, tn = 0.0;
      for (std::size_t i = 0; i < k; ++i) {
        tp += c.tp[i];
        fp += c.fp[i];
        fn += c.fn[i];
        tn += c.tn[i];
      }
      return one(tp, fp, fn, tn);
    }
    case Average::macro:
    case Average::weighted: {
      std::vector<double> sen(k), spe(k), weights;
      if (average == Average::weighted) weights.resize(k);
      for (std::size_t i = 0; i < k; ++i) {
        const SenSpe s = one(c.tp[i], c.fp[i], c.fn[i], c.tn[i]);
        sen[i] = s.sensitivity;
        spe[i] = s.specificity;
        if (!weights.empty()) weights[i] = c.tp[i] + c.fn[i];
      }
      return SenSpe{nan_average(sen, weights), nan_average(spe, weights)};
    }
  }
  return {};
}

/** Geometric mean of the per-label recalls (imbalanced-learn's `average='multiclass'`): a label
 *  absent from y_true (or whose rows all weigh 0) has recall `zd` (0 by default, as
 *  imbalanced-learn's `correction=0`); NaN recalls (`ZeroDivision::nan`) are skipped, NaN when
 *  none is left. One label gives its recall, two `sqrt(r0 r1)`, more `exp(mean(log r))` (scipy's
 *  gmean); any zero recall gives 0. */
[[nodiscard]] inline double multiclass_gmean(const LabelCounts& c, ZeroDivision zd) {
  std::vector<double> recall;
  recall.reserve(c.labels.size());
  for (std::size_t i = 0; i < c.labels.size(); ++i) {
    const double r = safe_divide(c.tp[i], c.tp[i] + c.fn[i], zd);
    if (std::isnan(r)) continue;
    if (r == 0.0) return 0.0;
    recall.push_back(r);
  }
  if (recall.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (recall.size() == 1) return recall[0];
  if (recall.size() == 2) return std::sqrt(recall[0] * recall[1]);
  double log_sum = 0.0;
  for (const double r : recall) log_sum += std::log(r);
  return std::exp(log_sum / static_cast<double>(recall.size()));
}

}  // namespace detail

OSPREY_NAMESPACE_END

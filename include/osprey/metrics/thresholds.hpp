/** \file
 *  From a score to an alert: the decision threshold that meets a cost, a precision floor, a
 *  recall floor, a false-positive ceiling or an alert budget, each returned as a
 *  `ThresholdChoice` that says what the rule does on the data it was chosen on.
 *
 *  Decision rule: a sample is alerted when `score >= threshold`, as in scikit-learn's
 *  `roc_curve` and `precision_recall_curve`. The candidate thresholds are every distinct score
 *  plus `+inf` ("alert nobody": no finite score reaches it), so a choice can never split a group
 *  of tied scores: tied samples are alerted together or not at all.
 *
 *  Labels: y_true takes values in {0, 1} or {-1, 1}; 1 is the positive class (a fraud), the
 *  other label negative. Scores are any Eigen column (float stays float, every other type
 *  becomes double); the returned threshold is that score converted exactly to double.
 *
 *  Rates of an alert set, with weighted counts TP, FP (alerted positives / negatives) and
 *  FN, TN (the rest), P = TP + FN, N = FP + TN, W = P + N:
 *  - precision = TP / (TP + FP), 0 when nothing (of positive weight) is alerted;
 *  - recall = TP / P and fpr = FP / N, 0 when the class is absent (where a function allows it);
 *  - expected_cost = (cost_fp FP + cost_fn FN) / W, the mean cost per unit of sample weight;
 *    functions without a cost matrix report it with unit costs, i.e. the error rate.
 *  These are scikit-learn's `zero_division = 0` conventions; no field is ever NaN.
 *
 *  Ties in the objective (two thresholds with the same cost, the same recall, ...) go to the
 *  higher threshold, i.e. to the fewer alerts. A target no threshold meets (a precision floor
 *  above every reachable precision) returns the "alert nobody" choice: threshold `+inf`,
 *  n_alerts 0, precision, recall and fpr 0, so `choice.precision >= min_precision` tells the
 *  caller whether the floor was met. No function here throws for an unreachable target.
 *
 *  Sample weights follow core/sample_weight.hpp (a trailing `sample_weight`, empty =
 *  unweighted): integer weights give the choice of repeated rows, a weight of 0 that of a
 *  dropped row, except `n_alerts`, which always counts rows (a row of weight 0 above the
 *  threshold is still alerted).
 *
 *  Speed: unweighted, one radix sort of the scores split by class (kernels/radix_sort.hpp, the
 *  sort of the ranking metrics) and one pass over the distinct positive scores from the top,
 *  the negatives above each found by a galloping search: O(n) for the sort, O(P log(N / P))
 *  after it. (A threshold that adds only negatives is never better than the one above it.)
 *  Weighted, a stable comparison sort of (score, weight, label) then the same pass: O(n log n).
 *  `threshold_for_budget` needs no sort: one selection (nth_element) and one pass, O(n).
 *  Threads, cancellation and progress come from a trailing `Execution` as in
 *  metrics/ranking.hpp. Thread safety: pure functions.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string_view>
#include <vector>

#include "../core/detail/stop.hpp"
#include "../core/sample_weight.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../kernels/radix_sort.hpp"
#include "ranking.hpp"

OSPREY_NAMESPACE_BEGIN

/** A decision threshold and what "alert when score >= threshold" does on the data it was
 *  chosen on (rates weighted by sample_weight; see the file comment for the conventions). */
struct ThresholdChoice {
  double threshold = std::numeric_limits<double>::infinity();  ///< +inf = alert nobody
  double precision = 0.0;      ///< TP / (TP + FP); 0 with no alert of positive weight
  double recall = 0.0;         ///< TP / P; 0 without positives
  double fpr = 0.0;            ///< FP / N; 0 without negatives
  double expected_cost = 0.0;  ///< (cost_fp FP + cost_fn FN) / W; unit costs unless given
  Eigen::Index n_alerts = 0;   ///< rows alerted (score >= threshold), whatever their weight
};

namespace detail {

/** One candidate rule: the weights of the alerted positives (tp) and negatives (fp). */
struct ThresholdPoint {
  double threshold;
  double tp;
  double fp;
  Eigen::Index n_alerts;
};

/** Weights of the positive and negative class. */
struct ClassTotals {
  double pos = 0.0;
  double neg = 0.0;
};

/** Precision, recall, fpr with the zero_division = 0 conventions of the file comment. */
[[nodiscard]] inline double precision_of(double tp, double fp) noexcept {
  return tp + fp > 0.0 ? tp / (tp + fp) : 0.0;
}
/** Recall TP / P, 0 when P = 0. */
[[nodiscard]] inline double recall_of(double tp, const ClassTotals& t) noexcept {
  return t.pos > 0.0 ? tp / t.pos : 0.0;
}
/** False positive rate FP / N, 0 when N = 0. */
[[nodiscard]] inline double fpr_of(double fp, const ClassTotals& t) noexcept {
  return t.neg > 0.0 ? fp / t.neg : 0.0;
}
/** Total cost cost_fp FP + cost_fn FN of a candidate (FN = P - TP >= 0: partial sums of
 *  non-negative weights never exceed their total). */
[[nodiscard]] inline double total_cost(double tp, double fp, const ClassTotals& t, double cost_fp,
                                       double cost_fn) noexcept {
  return cost_fp * fp + cost_fn * (t.pos - tp);
}
/** F-beta of a candidate, 0 when its denominator is 0. */
[[nodiscard]] inline double f_beta_of(double tp, double fp, const ClassTotals& t,
                                      double beta) noexcept {
  const double b2 = beta * beta;
  const double den = (1.0 + b2) * tp + b2 * (t.pos - tp) + fp;
  return den > 0.0 ? (1.0 + b2) * tp / den : 0.0;
}

/** The full choice of a candidate, its expected cost under (cost_fp, cost_fn). */
[[nodiscard]] inline ThresholdChoice make_choice(const ThresholdPoint& p, const ClassTotals& t,
                                                 double cost_fp, double cost_fn) noexcept {
  ThresholdChoice c;
  c.threshold = p.threshold;
  c.precision = precision_of(p.tp, p.fp);
  c.recall = recall_of(p.tp, t);
  c.fpr = fpr_of(p.fp, t);
  c.expected_cost = total_cost(p.tp, p.fp, t, cost_fp, cost_fn) / (t.pos + t.neg);
  c.n_alerts = p.n_alerts;
  return c;
}

/** Throws unless every label is 0, 1 or -1, and 0 and -1 do not both occur (naming the first
 *  offending row). O(n): a vectorised min/max, then a row scan only when -1 occurs or a label
 *  is bad. */
inline void check_threshold_labels(const Eigen::Ref<const Eigen::VectorXi>& y,
                                   std::string_view where) {
  if (y.size() == 0) return;
  const int lo = y.minCoeff();
  const int hi = y.maxCoeff();
  if (lo >= 0 && hi <= 1) return;  // {0, 1}
  int other = 1;                   // the negative label seen so far (1: none yet)
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    const int v = y(i);
    if (v == 1) continue;
    if (v != 0 && v != -1) {
      fail(where,
           ": y_true must take values in {0, 1} or {-1, 1}, 1 being the positive class (row ", i,
           " is ", v, ")");
    }
    if (other != 1 && v != other) {
      fail(where, ": y_true holds both 0 and -1 (row ", i, " is ", v, " after a ", other,
           "); use one negative label");
    }
    other = v;
  }
}

/** The checks shared by every labelled threshold function: one score column as long as
 *  y_true, non-empty and (when `finite`) finite, binary labels, valid weights. The unweighted
 *  searches pass `finite = false` and find a non-finite score after their sort instead, where
 *  it lands at one end (see scan_thresholds), saving a pass over the scores. */
template <class D>
void check_threshold_input(const Eigen::Ref<const Eigen::VectorXi>& y,
                           const Eigen::MatrixBase<D>& scores, const SampleWeight& w,
                           std::string_view where, bool finite = true) {
  if (scores.cols() != 1) {
    fail(where, ": scores must be a single column (got ", scores.rows(), " x ", scores.cols(), ")");
  }
  check_same_length(y.size(), scores.rows(), "y_true", "scores");
  if (y.size() == 0) fail(where, ": y_true and scores are empty (0 samples)");
  if (finite) check_finite(scores, "scores");
  check_threshold_labels(y, where);
  check_sample_weight(w, y.size());
}

/** The first index i <= j with `a[i..j)` all >= v, for `a[0..j)` ascending: a galloping
 *  search down from j, O(log(j - i)). */
template <class K>
[[nodiscard]] std::size_t first_at_or_above(const K* a, std::size_t j, K v) noexcept {
  std::size_t hi = j;  // a[hi..j) >= v
  std::size_t step = 1;
  while (hi >= step && a[hi - step] >= v) {
    hi -= step;
    step *= 2;
  }
  const std::size_t lo = hi >= step ? hi - step : 0;  // a[lo] < v, or lo = 0
  return static_cast<std::size_t>(std::lower_bound(a + lo, a + hi, v) - a);
}

/** Walks the candidates that can win from "alert nobody" (+inf) down, calling `visit(point)`
 *  on each; returns the class totals, which `totals_ready(totals)` receives before the first
 *  visit. Unweighted: the radix-sorted class keys, visiting "alert nobody" and each distinct
 *  positive score, the negatives at or above it found by a galloping search (a candidate
 *  whose tie group holds no positive has the TP of the one above it and more FP, so it can
 *  never win under the objectives of best_threshold). Weighted: a stable sort of (key,
 *  weight, label), descending, visiting every distinct score. */
template <class S, class Ready, class Visit>
ClassTotals scan_thresholds(const Eigen::Ref<const Eigen::VectorXi>& y,
                            const Eigen::Ref<const Vector<S>>& s, const SampleWeight& w,
                            const Execution& exec, const char* where, Ready&& totals_ready,
                            Visit&& visit) {
  using K = kernels::ScoreKey<S>;
  const Stop stop{&exec.cancellation, where};
  stop.check();
  constexpr double inf = std::numeric_limits<double>::infinity();
  ClassTotals t;
  if (!is_weighted(w)) {
    const kernels::ClassKeys<K> keys = kernels::sorted_class_keys<S>(y, s, 1, exec.n_threads, stop);
    stop.check();
    if (exec.progress) exec.progress(Progress{"sort", 1, 1, 0.0});
    const kernels::KeyArray<K>& pos = keys.pos;
    const kernels::KeyArray<K>& neg = keys.neg;
    // Keys order +inf and NaN above every finite score, -inf and sign-bit NaN below: a
    // non-finite score sits at an end of a class's sorted keys.
    const auto finite = [](const kernels::KeyArray<K>& a) {
      return a.size == 0 || (std::isfinite(kernels::key_score(a[0])) &&
                             std::isfinite(kernels::key_score(a[a.size - 1])));
    };
    if (!finite(pos) || !finite(neg)) check_finite(s, "scores");  // throws, naming the index
    t = {static_cast<double>(pos.size), static_cast<double>(neg.size)};
    totals_ready(t);
    visit(ThresholdPoint{inf, 0.0, 0.0, 0});
    std::size_t i = pos.size, j = neg.size;  // pos[i..), neg[j..) are alerted
    while (i > 0) {
      const K v = pos[i - 1];
      while (i > 0 && pos[i - 1] == v) --i;
      j = first_at_or_above(neg.begin(), j, v);
      const std::size_t tp = pos.size - i, fp = neg.size - j;
      visit(ThresholdPoint{kernels::key_score(v), static_cast<double>(tp), static_cast<double>(fp),
                           static_cast<Eigen::Index>(tp + fp)});
    }
    return t;
  }
  struct Row {
    K key;
    bool pos;
    double w;
  };
  const auto n = static_cast<std::size_t>(y.size());
  std::vector<Row> rows(n);
  for (std::size_t r = 0; r < n; ++r) {
    const auto i = static_cast<Eigen::Index>(r);
    rows[r] = Row{kernels::score_key(s(i)), y(i) == 1, w(i)};
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.key > b.key; });
  stop.check();
  if (exec.progress) exec.progress(Progress{"sort", 1, 1, 0.0});
  for (const Row& r : rows) (r.pos ? t.pos : t.neg) += r.w;  // the scan's order: tp ends == P
  totals_ready(t);
  visit(ThresholdPoint{inf, 0.0, 0.0, 0});
  double tp = 0.0, fp = 0.0;
  for (std::size_t a = 0; a < n;) {
    const K v = rows[a].key;
    for (; a < n && rows[a].key == v; ++a) (rows[a].pos ? tp : fp) += rows[a].w;
    visit(ThresholdPoint{kernels::key_score(v), tp, fp, static_cast<Eigen::Index>(a)});
  }
  return t;
}

/** The candidate with the greatest `objective(tp, fp, totals)` (-inf = infeasible), ties to
 *  the higher threshold; "alert nobody" when no candidate is feasible. The objective must not
 *  grow, nor turn feasible, as fp grows at a fixed tp (true of every objective in this file),
 *  which lets scan_thresholds skip the candidates that add negatives only. The choice's expected
 *  cost uses (cost_fp, cost_fn). Checks the input and, if `need_pos` / `need_neg`, that the
 *  class carries weight. */
template <class D, class Objective>
ThresholdChoice best_threshold(const Eigen::Ref<const Eigen::VectorXi>& y,
                               const Eigen::MatrixBase<D>& scores, const SampleWeight& w,
                               const Execution& exec, const char* where, bool need_pos,
                               bool need_neg, double cost_fp, double cost_fn,
                               Objective&& objective) {
  Stop{&exec.cancellation, where}.check();  // before the O(n) checks
  check_threshold_input(y, scores, w, where, is_weighted(w));
  using S = ScoreScalar<typename D::Scalar>;
  const auto s = score_vector(scores);
  ClassTotals totals;
  ThresholdPoint best{};
  double best_value = 0.0;
  bool first = true;
  const auto ready = [&](const ClassTotals& t) {
    if (t.pos + t.neg <= 0.0) fail(where, ": sample_weight sums to 0; no rate is defined");
    if (!std::isfinite(t.pos + t.neg)) fail(where, ": sample_weight sums to infinity");
    if (need_pos && !(t.pos > 0.0)) {
      fail(where,
           ": y_true has no positive sample (label 1) of positive weight; recall is "
           "undefined");
    }
    if (need_neg && !(t.neg > 0.0)) {
      fail(where,
           ": y_true has no negative sample of positive weight; the false positive rate "
           "is undefined");
    }
    totals = t;
  };
  const auto visit = [&](const ThresholdPoint& p) {
    const double v = objective(p.tp, p.fp, totals);
    if (first || v > best_value) {
      best = p;
      best_value = v;
      first = false;
    }
  };
  scan_thresholds<S>(y, s, w, exec, where, ready, visit);
  if (best_value == -std::numeric_limits<double>::infinity()) {
    best = ThresholdPoint{std::numeric_limits<double>::infinity(), 0.0, 0.0, 0};
  }
  return make_choice(best, totals, cost_fp, cost_fn);
}

/** Throws unless `value` is finite and in [lo, hi]. */
inline void check_unit_param(double value, std::string_view name, double lo, double hi) {
  check_param(std::isfinite(value) && value >= lo && value <= hi, name, value,
              concat("finite and in [", lo, ", ", hi, "]"));
}

}  // namespace detail

/** The threshold of least expected cost: minimises `cost_fp FP + cost_fn FN` over every
 *  distinct score and "alert nobody" (+inf), ties (equal total cost) to the higher threshold.
 *  Alert when `score >= threshold`. Works with one class only (every rule is then costed).
 *
 *  \code
 *  // a missed fraud costs 50, a false alarm 1
 *  const osprey::ThresholdChoice c = osprey::threshold_for_cost(y, scores, 1.0, 50.0);
 *  \endcode
 *  \param y_true labels in {0, 1} or {-1, 1}; 1 is positive.
 *  \param scores one score per sample, higher = more positive (float or double).
 *  \param cost_fp cost of alerting a negative (a false alarm), finite and >= 0.
 *  \param cost_fn cost of not alerting a positive (a miss), finite and >= 0.
 *  \param sample_weight per-row weights (empty = unweighted).
 *  \param exec threads, cancellation and progress (as metrics/ranking.hpp).
 *  \returns the choice; `expected_cost` is the minimum total cost over the total weight.
 *  \throws InvalidArgument on a negative or non-finite cost, labels outside {0, 1}/{-1, 1},
 *          a length mismatch, empty input, a non-finite score, bad weights or weights summing
 *          to 0 or to infinity; Cancelled once exec.cancellation is cancelled.
 *  Complexity O(n) unweighted (radix sort + one pass), O(n log n) weighted. */
template <class D>
ThresholdChoice threshold_for_cost(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                   const Eigen::MatrixBase<D>& scores, double cost_fp,
                                   double cost_fn,
                                   const SampleWeight& sample_weight = detail::unweighted(),
                                   const Execution& exec = {}) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  detail::check_unit_param(cost_fp, "threshold_for_cost: cost_fp", 0.0, inf);
  detail::check_unit_param(cost_fn, "threshold_for_cost: cost_fn", 0.0, inf);
  return detail::best_threshold(y_true, scores, sample_weight, exec, "threshold_for_cost", false,
                                false, cost_fp, cost_fn,
                                [=](double tp, double fp, const detail::ClassTotals& t) {
                                  return -detail::total_cost(tp, fp, t, cost_fp, cost_fn);
                                });
}

/** The threshold of greatest recall among those whose precision is at least `min_precision`
 *  (ties in recall to the higher threshold, which has the higher precision). "Alert nobody"
 *  has precision 0, so when no threshold reaches the floor the answer is that choice
 *  (threshold +inf, n_alerts 0, every rate 0): test `choice.precision >= min_precision`.
 *  expected_cost is the error rate (unit costs).
 *  \param min_precision the precision floor, in [0, 1].
 *  \throws InvalidArgument on min_precision outside [0, 1] or NaN, no positive sample of
 *          positive weight, and as threshold_for_cost.
 *  Complexity as threshold_for_cost. */
template <class D>
ThresholdChoice threshold_for_precision(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                        const Eigen::MatrixBase<D>& scores, double min_precision,
                                        const SampleWeight& sample_weight = detail::unweighted(),
                                        const Execution& exec = {}) {
  detail::check_unit_param(min_precision, "threshold_for_precision: min_precision", 0.0, 1.0);
  return detail::best_threshold(y_true, scores, sample_weight, exec, "threshold_for_precision",
                                true, false, 1.0, 1.0,
                                [=](double tp, double fp, const detail::ClassTotals& t) {
                                  return detail::precision_of(tp, fp) >= min_precision
                                             ? detail::recall_of(tp, t)
                                             : -std::numeric_limits<double>::infinity();
                                });
}

/** The threshold of greatest precision among those whose recall is at least `min_recall`
 *  (ties in precision to the higher threshold). Always reachable: alerting everybody has
 *  recall 1. With min_recall = 0 "alert nobody" (precision 0) is a candidate too.
 *  expected_cost is the error rate (unit costs).
 *  \param min_recall the recall floor, in [0, 1].
 *  \throws InvalidArgument on min_recall outside [0, 1] or NaN, no positive sample of positive
 *          weight, and as threshold_for_cost.
 *  Complexity as threshold_for_cost. */
template <class D>
ThresholdChoice threshold_for_recall(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                     const Eigen::MatrixBase<D>& scores, double min_recall,
                                     const SampleWeight& sample_weight = detail::unweighted(),
                                     const Execution& exec = {}) {
  detail::check_unit_param(min_recall, "threshold_for_recall: min_recall", 0.0, 1.0);
  return detail::best_threshold(
      y_true, scores, sample_weight, exec, "threshold_for_recall", true, false, 1.0, 1.0,
      [=](double tp, double fp, const detail::ClassTotals& t) {
        return detail::recall_of(tp, t) >= min_recall ? detail::precision_of(tp, fp)
                                                      : -std::numeric_limits<double>::infinity();
      });
}

/** The threshold of greatest recall among those whose false positive rate is at most
 *  `max_fpr` (ties in recall to the higher threshold, which has the lower fpr): the operating
 *  point of a ROC curve under an fpr ceiling. Always reachable: "alert nobody" has fpr 0.
 *  expected_cost is the error rate (unit costs).
 *  \param max_fpr the fpr ceiling, in [0, 1].
 *  \throws InvalidArgument on max_fpr outside [0, 1] or NaN, no positive or no negative sample
 *          of positive weight, and as threshold_for_cost.
 *  Complexity as threshold_for_cost. */
template <class D>
ThresholdChoice threshold_for_fpr(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                  const Eigen::MatrixBase<D>& scores, double max_fpr,
                                  const SampleWeight& sample_weight = detail::unweighted(),
                                  const Execution& exec = {}) {
  detail::check_unit_param(max_fpr, "threshold_for_fpr: max_fpr", 0.0, 1.0);
  return detail::best_threshold(
      y_true, scores, sample_weight, exec, "threshold_for_fpr", true, true, 1.0, 1.0,
      [=](double tp, double fp, const detail::ClassTotals& t) {
        return detail::fpr_of(fp, t) <= max_fpr ? detail::recall_of(tp, t)
                                                : -std::numeric_limits<double>::infinity();
      });
}

/** The threshold of greatest F-beta, `(1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP)` (0 where
 *  the denominator is 0, so "alert nobody" scores 0), ties to the higher threshold. Works
 *  with one class only (no positive: every F is 0 and the answer is "alert nobody").
 *  expected_cost is the error rate (unit costs).
 *  \param beta weight of recall against precision, finite and > 0 (1 = F1).
 *  \throws InvalidArgument on beta <= 0 or non-finite, and as threshold_for_cost.
 *  Complexity as threshold_for_cost. */
template <class D>
ThresholdChoice threshold_for_f_beta(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                     const Eigen::MatrixBase<D>& scores, double beta = 1.0,
                                     const SampleWeight& sample_weight = detail::unweighted(),
                                     const Execution& exec = {}) {
  detail::check_param(std::isfinite(beta) && beta > 0.0, "threshold_for_f_beta: beta", beta,
                      "finite and > 0");
  return detail::best_threshold(y_true, scores, sample_weight, exec, "threshold_for_f_beta", false,
                                false, 1.0, 1.0,
                                [=](double tp, double fp, const detail::ClassTotals& t) {
                                  return detail::f_beta_of(tp, fp, t, beta);
                                });
}

namespace detail {

/** The budget rule on scores alone: the largest alert set "score >= t" (t a distinct score or
 *  +inf) of at most `budget` rows. O(n): one nth_element of the keys and one pass. */
template <class S>
ThresholdPoint budget_point(const Eigen::Ref<const Vector<S>>& s, Eigen::Index budget) {
  using K = kernels::ScoreKey<S>;
  constexpr double inf = std::numeric_limits<double>::infinity();
  const Eigen::Index n = s.size();
  if (budget == 0) return {inf, 0.0, 0.0, 0};
  if (budget >= n) return {static_cast<double>(s.minCoeff()), 0.0, 0.0, n};
  std::vector<K> keys(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) keys[static_cast<std::size_t>(i)] = kernels::score_key(s(i));
  const auto nth = keys.begin() + (budget - 1);  // the budget-th largest score
  std::nth_element(keys.begin(), nth, keys.end(), std::greater<K>());
  const K v = *nth;
  std::size_t at_or_above = 0, above = 0;
  K lowest_above = std::numeric_limits<K>::max();
  for (const K k : keys) {
    at_or_above += k >= v ? 1U : 0U;
    if (k > v) {
      ++above;
      lowest_above = std::min(lowest_above, k);
    }
  }
  if (at_or_above == static_cast<std::size_t>(budget)) {
    return {kernels::key_score(v), 0.0, 0.0, budget};
  }
  if (above == 0) return {inf, 0.0, 0.0, 0};  // the top score's tie group alone is too big
  return {kernels::key_score(lowest_above), 0.0, 0.0, static_cast<Eigen::Index>(above)};
}

}  // namespace detail

/** Top-n alerting: the largest alert set "score >= threshold" of at most `n_alerts` rows.
 *  A threshold sits at a distinct score, so when the n-th and (n+1)-th highest scores tie the
 *  whole tie group is left out and fewer than n rows are alerted (never more than the budget);
 *  when the top score's tie group alone exceeds the budget the answer is "alert nobody"
 *  (threshold +inf). A budget of at least the number of rows alerts everybody (threshold = the
 *  lowest score). Without labels only `threshold` and `n_alerts` are known: precision, recall,
 *  fpr and expected_cost are 0 (use the labelled overload to have them).
 *  \param scores one score per sample, higher = more positive (float or double).
 *  \param n_alerts the budget, in rows, >= 0.
 *  \param exec its cancellation is checked before and after the work (no threads are used).
 *  \throws InvalidArgument on n_alerts < 0, empty scores, more than one column or a non-finite
 *          score; Cancelled once exec.cancellation is cancelled.
 *  Complexity O(n) (selection, no sort); n keys of memory. */
template <class D>
ThresholdChoice threshold_for_budget(const Eigen::MatrixBase<D>& scores, Eigen::Index n_alerts,
                                     const Execution& exec = {}) {
  const detail::Stop stop{&exec.cancellation, "threshold_for_budget"};
  stop.check();
  detail::check_param(n_alerts >= 0, "threshold_for_budget: n_alerts", n_alerts, ">= 0");
  if (scores.cols() != 1) {
    detail::fail("threshold_for_budget: scores must be a single column (got ", scores.rows(), " x ",
                 scores.cols(), ")");
  }
  if (scores.rows() == 0) detail::fail("threshold_for_budget: scores are empty (0 samples)");
  detail::check_finite(scores, "scores");
  using S = detail::ScoreScalar<typename D::Scalar>;
  const auto s = detail::score_vector(scores);
  const detail::ThresholdPoint p = detail::budget_point<S>(s, n_alerts);
  stop.check();
  ThresholdChoice c;
  c.threshold = p.threshold;
  c.n_alerts = p.n_alerts;
  return c;
}

/** Top-n alerting on labelled data: the threshold of the unlabelled overload (the budget
 *  counts rows, whatever their weight), with its precision, recall, fpr and error rate
 *  (expected_cost with unit costs) on these labels. Either class may be absent (its rate is
 *  then 0).
 *  \throws InvalidArgument on n_alerts < 0, labels outside {0, 1}/{-1, 1}, a length mismatch,
 *          empty input, a non-finite score, bad weights or weights summing to 0 or to
 *          infinity; Cancelled.
 *  Complexity O(n). */
template <class D>
ThresholdChoice threshold_for_budget(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                     const Eigen::MatrixBase<D>& scores, Eigen::Index n_alerts,
                                     const SampleWeight& sample_weight = detail::unweighted(),
                                     const Execution& exec = {}) {
  const detail::Stop stop{&exec.cancellation, "threshold_for_budget"};
  stop.check();
  detail::check_param(n_alerts >= 0, "threshold_for_budget: n_alerts", n_alerts, ">= 0");
  detail::check_threshold_input(y_true, scores, sample_weight, "threshold_for_budget");
  using S = detail::ScoreScalar<typename D::Scalar>;
  const auto s = detail::score_vector(scores);
  detail::ThresholdPoint p = detail::budget_point<S>(s, n_alerts);
  // Totals summed as TP + FN and FP + TN, so recall and fpr never exceed 1 by rounding.
  double fn = 0.0, tn = 0.0;
  for (Eigen::Index i = 0; i < s.size(); ++i) {
    const double w = detail::weight_at(sample_weight, i);
    const bool alerted = static_cast<double>(s(i)) >= p.threshold;
    (y_true(i) == 1 ? (alerted ? p.tp : fn) : (alerted ? p.fp : tn)) += w;
  }
  stop.check();
  const detail::ClassTotals t{p.tp + fn, p.fp + tn};
  if (t.pos + t.neg <= 0.0) detail::fail("threshold_for_budget: sample_weight sums to 0");
  if (!std::isfinite(t.pos + t.neg))
    detail::fail("threshold_for_budget: sample_weight sums to infinity");
  return detail::make_choice(p, t, 1.0, 1.0);
}

OSPREY_NAMESPACE_END

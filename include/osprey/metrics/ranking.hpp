/** \file
 *  Metrics of real-valued scores (higher = more positive), with scikit-learn's exact semantics:
 *  ROC and precision-recall curves over the distinct score values (tied scores form one
 *  threshold), the trapezoidal ROC AUC, and average precision as scikit-learn's step-wise sum
 *  `AP = sum_n (R_n - R_{n-1}) P_n` (not a trapezoid).
 *
 *  Scores may be any Eigen dense vector; `float` scores are handled as float (exactly), every
 *  other scalar type as double. Labels are `Eigen::VectorXi`.
 *
 *  Speed: roc_auc_score and average_precision_score never sort the whole input. They sort the
 *  rarer class only (O(m log m)), index it with a bucket table over the order-preserving integer
 *  keys of the scores, and rank every sample of the common class against it in O(1) expected
 *  time (O(log m) worst case), in parallel when OpenMP is on. The result is exact with ties:
 *  integer counts are accumulated and divided once.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <type_traits>
#include <vector>

#include "../core/parallel.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
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

/** The working scalar of a score type: float stays float, everything else becomes double. */
template <class S>
using ScoreScalar = std::conditional_t<std::is_same_v<S, float>, float, double>;

/** The unsigned key type whose order equals the order of the scores. */
template <class S>
using ScoreKey = std::conditional_t<std::is_same_v<S, float>, std::uint32_t, std::uint64_t>;

/** Maps a finite float/double to an unsigned integer with the same order: flip all bits of a
 *  negative number, set the sign bit of a positive one. `-0.0` is first turned into `+0.0` so
 *  the two zeros, equal as numbers, get one key. */
[[nodiscard]] OSPREY_ALWAYS_INLINE std::uint64_t score_key(double x) noexcept {
  const auto b = std::bit_cast<std::uint64_t>(x + 0.0);
  constexpr std::uint64_t sign = std::uint64_t{1} << 63U;
  return (b & sign) != 0 ? ~b : (b | sign);
}
[[nodiscard]] OSPREY_ALWAYS_INLINE std::uint32_t score_key(float x) noexcept {
  const auto b = std::bit_cast<std::uint32_t>(x + 0.0F);
  constexpr std::uint32_t sign = std::uint32_t{1} << 31U;
  return (b & sign) != 0 ? ~b : (b | sign);
}
/** Inverse of score_key. */
[[nodiscard]] inline double key_score(std::uint64_t k) noexcept {
  constexpr std::uint64_t sign = std::uint64_t{1} << 63U;
  return std::bit_cast<double>((k & sign) != 0 ? (k & ~sign) : ~k);
}
[[nodiscard]] inline double key_score(std::uint32_t k) noexcept {
  constexpr std::uint32_t sign = std::uint32_t{1} << 31U;
  return static_cast<double>(std::bit_cast<float>((k & sign) != 0 ? (k & ~sign) : ~k));
}

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

/** Builds the distinct-threshold counts: sorts the positive and the negative keys separately
 *  (descending) and merges them. O(n log n). */
template <class S>
ClfCurve binary_clf_curve(const Eigen::Ref<const Eigen::VectorXi>& y,
                          const Eigen::Ref<const Vector<S>>& s, int pos_label) {
  using K = ScoreKey<S>;
  std::vector<K> pos, neg;
  const Eigen::Index n = y.size();
  const auto n_pos = static_cast<std::size_t>((y.array() == pos_label).count());
  pos.reserve(n_pos);
  neg.reserve(static_cast<std::size_t>(n) - n_pos);
  for (Eigen::Index i = 0; i < n; ++i) (y(i) == pos_label ? pos : neg).push_back(score_key(s(i)));
  std::sort(pos.begin(), pos.end(), std::greater<>());
  std::sort(neg.begin(), neg.end(), std::greater<>());
  ClfCurve c;
  std::size_t i = 0, j = 0;
  while (i < pos.size() || j < neg.size()) {
    K v = 0;
    if (i < pos.size()) v = pos[i];
    if (j < neg.size()) v = std::max(v, neg[j]);
    while (i < pos.size() && pos[i] == v) ++i;
    while (j < neg.size() && neg[j] == v) ++j;
    c.fps.push_back(static_cast<double>(j));
    c.tps.push_back(static_cast<double>(i));
    c.thresholds.push_back(key_score(v));
  }
  return c;
}

/** Sorted keys (ascending) of one class, indexed by a bucket table so that the rank of any key
 *  (how many keys are < x and <= x) costs O(1) expected. Buckets split the key range
 *  [min, max] on its significant bits into about 2 buckets per key. */
template <class K>
class RankTable {
 public:
  explicit RankTable(std::vector<K> sorted_keys) : keys_(std::move(sorted_keys)) {
    if (keys_.empty()) return;
    lo_ = keys_.front();
    hi_ = keys_.back();
    const K range = static_cast<K>(hi_ - lo_);
    const auto range_bits = static_cast<int>(std::bit_width(range));
    int bucket_bits = static_cast<int>(std::bit_width(keys_.size())) + 1;
    bucket_bits = std::clamp(bucket_bits, 4, 22);
    shift_ = std::max(0, range_bits - bucket_bits);
    const std::size_t n_buckets = static_cast<std::size_t>(range >> shift_) + 1;
    start_.assign(n_buckets + 1, 0);
    for (const K k : keys_) ++start_[static_cast<std::size_t>((k - lo_) >> shift_) + 1];
    for (std::size_t b = 0; b < n_buckets; ++b) start_[b + 1] += start_[b];
  }

  [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }
  [[nodiscard]] const std::vector<K>& keys() const noexcept { return keys_; }

  /** Sets `less` = #keys < x and `le` = #keys <= x. */
  OSPREY_ALWAYS_INLINE void rank(K x, std::size_t& less, std::size_t& le) const noexcept {
    if (x < lo_) {
      less = le = 0;
      return;
    }
    if (x > hi_) {
      less = le = keys_.size();
      return;
    }
    const auto b = static_cast<std::size_t>((x - lo_) >> shift_);
    std::size_t first = start_[b];
    const std::size_t last = start_[b + 1];
    if (last - first > 16) {
      const auto* base = keys_.data();
      less = static_cast<std::size_t>(std::lower_bound(base + first, base + last, x) - base);
      le = static_cast<std::size_t>(std::upper_bound(base + less, base + last, x) - base);
      return;
    }
    while (first < last && keys_[first] < x) ++first;
    less = first;
    while (first < last && keys_[first] == x) ++first;
    le = first;
  }

 private:
  std::vector<K> keys_;
  std::vector<std::size_t> start_;
  K lo_ = 0, hi_ = 0;
  int shift_ = 0;
};

/** Splits [0, n) into `chunks` contiguous pieces and returns piece `c`. */
inline std::pair<Eigen::Index, Eigen::Index> chunk_range(Eigen::Index n, int chunks, int c) {
  const Eigen::Index begin = n * c / chunks;
  const Eigen::Index end = n * (c + 1) / chunks;
  return {begin, end};
}

/** Below this many samples the work stays on one thread. */
inline constexpr Eigen::Index parallel_threshold = 1 << 16;

/** Exact trapezoidal ROC AUC (= the Mann-Whitney statistic with ties counted half) of the
 *  samples with label `pos_label` against all others. Needs at least one of each. */
template <class S>
double fast_roc_auc(const Eigen::Ref<const Eigen::VectorXi>& y,
                    const Eigen::Ref<const Vector<S>>& s, int pos_label) {
  using K = ScoreKey<S>;
  const Eigen::Index n = y.size();
  const auto n_pos = static_cast<std::size_t>((y.array() == pos_label).count());
  const std::size_t n_neg = static_cast<std::size_t>(n) - n_pos;
  const bool small_is_pos = n_pos <= n_neg;
  std::vector<K> small;
  small.reserve(small_is_pos ? n_pos : n_neg);
  for (Eigen::Index i = 0; i < n; ++i) {
    if ((y(i) == pos_label) == small_is_pos) small.push_back(score_key(s(i)));
  }
  std::sort(small.begin(), small.end());
  const RankTable<K> table(std::move(small));
  const std::size_t m = table.size();
  const int chunks = n >= parallel_threshold ? resolve_threads(0) : 1;
  std::vector<std::uint64_t> partial(static_cast<std::size_t>(chunks), 0);
  parallel_for(0, chunks, chunks, [&](int c) {
    const auto [begin, end] = chunk_range(n, chunks, c);
    std::uint64_t acc = 0;
    std::size_t less = 0, le = 0;
    const int* yy = y.data();
    const S* ss = s.data();
    for (Eigen::Index i = begin; i < end; ++i) {
      if ((yy[i] == pos_label) == small_is_pos) continue;
      table.rank(score_key(ss[i]), less, le);
      acc += less + le;
    }
    partial[static_cast<std::size_t>(c)] = acc;
  });
  std::uint64_t total = 0;
  for (const auto v : partial) total += v;
  // With positives indexed, a negative x adds #pos > x + #pos == x / 2 = m - (less + le) / 2;
  // with negatives indexed, a positive p adds #neg < p + #neg == p / 2 = (less + le) / 2.
  const std::size_t n_big = small_is_pos ? n_neg : n_pos;
  const double twice = small_is_pos
                           ? static_cast<double>(2 * static_cast<std::uint64_t>(m) * n_big - total)
                           : static_cast<double>(total);
  return twice / (2.0 * static_cast<double>(n_pos) * static_cast<double>(n_neg));
}

/** Average precision from the distinct-threshold counts (scikit-learn's step-wise sum). */
inline double average_precision_from_curve(const ClfCurve& c) {
  const double total_pos = c.tps.back();
  if (total_pos == 0.0) return 0.0;  // scikit-learn: recall set to 1 everywhere, AP = P_top = 0
  double ap = 0.0;
  double prev_recall = 0.0;
  for (std::size_t t = 0; t < c.tps.size(); ++t) {
    const double recall = c.tps[t] / total_pos;
    if (recall != prev_recall) {
      ap += (recall - prev_recall) * (c.tps[t] / (c.tps[t] + c.fps[t]));
      prev_recall = recall;
    }
  }
  return ap;
}

/** Average precision without sorting the negatives: positives are sorted and indexed, every
 *  negative is ranked against them and counted in a histogram of ranks. Needs #pos <= #neg. */
template <class S>
double fast_average_precision(const Eigen::Ref<const Eigen::VectorXi>& y,
                              const Eigen::Ref<const Vector<S>>& s, int pos_label,
                              std::size_t n_pos) {
  using K = ScoreKey<S>;
  const Eigen::Index n = y.size();
  std::vector<K> pos;
  pos.reserve(n_pos);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (y(i) == pos_label) pos.push_back(score_key(s(i)));
  }
  std::sort(pos.begin(), pos.end());
  const RankTable<K> table(std::move(pos));
  const std::size_t m = table.size();
  const int chunks = n >= parallel_threshold ? resolve_threads(0) : 1;
  // hist[c][l]: negatives of chunk c with exactly l positives <= them.
  std::vector<std::vector<std::uint64_t>> hist(static_cast<std::size_t>(chunks));
  parallel_for(0, chunks, chunks, [&](int c) {
    auto& h = hist[static_cast<std::size_t>(c)];
    h.assign(m + 1, 0);
    const auto [begin, end] = chunk_range(n, chunks, c);
    std::size_t less = 0, le = 0;
    const int* yy = y.data();
    const S* ss = s.data();
    for (Eigen::Index i = begin; i < end; ++i) {
      if (yy[i] == pos_label) continue;
      table.rank(score_key(ss[i]), less, le);
      ++h[le];
    }
  });
  std::vector<std::uint64_t> h = std::move(hist[0]);
  for (std::size_t c = 1; c < hist.size(); ++c) {
    for (std::size_t l = 0; l <= m; ++l) h[l] += hist[c][l];
  }
  // Walk the distinct positive scores from the top. For the group keys[a, b) of equal value v:
  // tps = m - a; a negative x is >= v iff all of keys[0, b) are <= x, i.e. its le >= b.
  const auto& keys = table.keys();
  const auto total = static_cast<double>(m);
  double ap = 0.0;
  double prev_recall = 0.0;
  std::uint64_t fps = 0;
  std::size_t l = m + 1;
  std::size_t b = m;
  while (b > 0) {
    std::size_t a = b - 1;
    while (a > 0 && keys[a - 1] == keys[b - 1]) --a;
    while (l > b) fps += h[--l];
    const auto tps = static_cast<double>(m - a);
    const double recall = tps / total;
    ap += (recall - prev_recall) * (tps / (tps + static_cast<double>(fps)));
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
 *  second difference of fps or of tps is non-zero there), which leaves the area unchanged. When
 *  y_true has no negatives, fpr is all NaN; with no positives, tpr is all NaN (scikit-learn
 *  warns and does the same).
 *
 *  \param y_true labels; `pos_label` is the positive class, every other label negative.
 *  \param scores one score per sample, higher = more positive (float or double).
 *  \param pos_label the positive class.
 *  \param drop_intermediate drop collinear points.
 *  \throws InvalidArgument on a length mismatch, empty input, more than one score column or a
 *          non-finite score (naming its index).
 *  Complexity O(n log n). Thread safety: pure function. */
template <class D>
Curve roc_curve(const Eigen::Ref<const Eigen::VectorXi>& y_true, const Eigen::MatrixBase<D>& scores,
                int pos_label = 1, bool drop_intermediate = true) {
  detail::check_scores(y_true, scores, "roc_curve");
  using S = detail::ScoreScalar<typename D::Scalar>;
  const auto s = detail::score_vector(scores);
  const detail::ClfCurve c = detail::binary_clf_curve<S>(y_true, s, pos_label);
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
  const double total_neg = c.fps.back();
  const double total_pos = c.tps.back();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (Eigen::Index j = 1; j < k; ++j) {
    const std::size_t i = keep[static_cast<std::size_t>(j - 1)];
    out.fpr(j) = c.fps[i] / total_neg;
    out.tpr(j) = c.tps[i] / total_pos;
    out.thresholds(j) = c.thresholds[i];
  }
  if (total_neg <= 0.0) out.fpr.setConstant(nan);
  if (total_pos <= 0.0) out.tpr.setConstant(nan);
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
 *  \throws InvalidArgument when y_true holds one class only ("ROC AUC is not defined"), on a
 *          length mismatch, empty input or non-finite score.
 *  Complexity: O(n + m log m) with m the size of the rarer class; parallel with OpenMP.
 *  Thread safety: pure function. */
template <class D>
double roc_auc_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                     const Eigen::MatrixBase<D>& scores);

/** ROC AUC with an explicit average: for a single score column (binary problem) `average` is
 *  ignored; for a score matrix with one column per class (sorted label order, rows summing to 1
 *  as scikit-learn requires) it is the one-vs-rest AUC of each class, combined with
 *  `Average::macro` (unweighted mean, scikit-learn's default) or `Average::weighted` (weighted
 *  by class prevalence in y_true).
 *  \throws InvalidArgument as above, when the number of columns is not the number of classes,
 *          when a row does not sum to 1 (`|sum - 1| <= 1e-8 + 1e-5`, numpy's allclose), or for
 *          `Average::micro`/`Average::binary` with a multi-class matrix. */
template <class D>
double roc_auc_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                     const Eigen::MatrixBase<D>& scores, Average average) {
  using S = detail::ScoreScalar<typename D::Scalar>;
  detail::check_same_length(y_true.size(), scores.rows(), "y_true", "scores");
  if (y_true.size() == 0) detail::fail("roc_auc_score: y_true and scores are empty (0 samples)");
  detail::check_finite(scores, "scores");
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
    return detail::fast_roc_auc<S>(y_true, s, hi);
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
    const double sum = static_cast<double>(scores.row(i).template cast<double>().sum());
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
    const double auc = detail::fast_roc_auc<S>(y_true, col, label);
    const double w =
        average == Average::weighted ? static_cast<double>((y_true.array() == label).count()) : 1.0;
    num += w * auc;
    den += w;
  }
  return num / den;
}

template <class D>
double roc_auc_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                     const Eigen::MatrixBase<D>& scores) {
  return roc_auc_score(y_true, scores, Average::macro);
}

/** The precision-recall curve (scikit-learn's `precision_recall_curve`): for every distinct
 *  score t in increasing order, the precision and recall of "score >= t", then the point
 *  (precision 1, recall 0) with no threshold. When y_true has no positive sample, recall is 1
 *  at every threshold (scikit-learn warns and does the same).
 *  \throws InvalidArgument on a length mismatch, empty input or non-finite score.
 *  Complexity O(n log n). Thread safety: pure function. */
template <class D>
Curve precision_recall_curve(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                             const Eigen::MatrixBase<D>& scores, int pos_label = 1) {
  detail::check_scores(y_true, scores, "precision_recall_curve");
  using S = detail::ScoreScalar<typename D::Scalar>;
  const auto s = detail::score_vector(scores);
  const detail::ClfCurve c = detail::binary_clf_curve<S>(y_true, s, pos_label);
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
    out.recall(j) = total_pos == 0.0 ? 1.0 : c.tps[i] / total_pos;
    out.thresholds(j) = c.thresholds[i];
  }
  out.precision(t) = 1.0;
  out.recall(t) = 0.0;
  return out;
}

/** Average precision (scikit-learn's `average_precision_score`, binary):
 *  `AP = sum_n (R_n - R_{n-1}) P_n` over the distinct thresholds in decreasing order, the
 *  step-wise area under the precision-recall curve without interpolation. 0 when y_true holds
 *  no positive (scikit-learn warns and returns 0 too).
 *  \param pos_label the positive class; when y_true holds two labels it must be one of them.
 *  \throws InvalidArgument on more than two classes in y_true, a pos_label absent from a
 *          two-class y_true, a length mismatch, empty input or non-finite score.
 *  Complexity: O(n + P log P) when positives are the rarer class (P of them), else
 *  O(n log n); parallel with OpenMP. Thread safety: pure function. */
template <class D>
double average_precision_score(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                               const Eigen::MatrixBase<D>& scores, int pos_label = 1) {
  detail::check_scores(y_true, scores, "average_precision_score");
  using S = detail::ScoreScalar<typename D::Scalar>;
  const int lo = y_true.minCoeff();
  const int hi = y_true.maxCoeff();
  if (lo != hi) {
    const auto both = ((y_true.array() == lo) || (y_true.array() == hi)).count();
    if (both != y_true.size()) {
      detail::fail(
          "average_precision_score: y_true holds more than two classes; binary labels "
          "are needed");
    }
    if (pos_label != lo && pos_label != hi) {
      detail::fail("average_precision_score: pos_label=", pos_label,
                   " is not a valid label; the labels are ", lo, " and ", hi);
    }
  }
  const auto s = detail::score_vector(scores);
  const auto n_pos = static_cast<std::size_t>((y_true.array() == pos_label).count());
  if (n_pos == 0) return 0.0;
  if (n_pos <= static_cast<std::size_t>(y_true.size()) - n_pos) {
    return detail::fast_average_precision<S>(y_true, s, pos_label, n_pos);
  }
  return detail::average_precision_from_curve(detail::binary_clf_curve<S>(y_true, s, pos_label));
}

OSPREY_NAMESPACE_END

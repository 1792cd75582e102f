/** \file
 *  Group-aware k-fold splits (scikit-learn's `GroupKFold` and `StratifiedGroupKFold`): every
 *  sample of a group (a card, an account, a device) lands in the same test fold, so no group's
 *  behaviour is seen both in training and in testing. `with_groups(cv, groups)` binds the groups
 *  to a splitter so that `cross_val_score` and `cross_val_predict` can use it.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "../core/detail/rounded.hpp"
#include "../core/random.hpp"
#include "../core/validation.hpp"
#include "stratified_kfold.hpp"

OSPREY_NAMESPACE_BEGIN

namespace detail {

/** Sorted distinct values (numpy's `np.unique`), the code of every entry and each value's
 *  count. */
struct SortedCodes {
  std::vector<int> values;           // ascending
  std::vector<int> code;             // per entry: index into values
  std::vector<std::int64_t> counts;  // per value
};

inline SortedCodes encode_sorted(const Eigen::Ref<const Eigen::VectorXi>& v) {
  SortedCodes c;
  c.values.assign(v.data(), v.data() + v.size());
  std::sort(c.values.begin(), c.values.end());
  c.values.erase(std::unique(c.values.begin(), c.values.end()), c.values.end());
  c.counts.assign(c.values.size(), 0);
  c.code.resize(static_cast<std::size_t>(v.size()));
  for (Eigen::Index i = 0; i < v.size(); ++i) {
    const auto at = std::lower_bound(c.values.begin(), c.values.end(), v(i)) - c.values.begin();
    c.code[static_cast<std::size_t>(i)] = static_cast<int>(at);
    ++c.counts[static_cast<std::size_t>(at)];
  }
  return c;
}

/** The checks every group splitter shares (scikit-learn's messages). */
inline void check_group_split(std::string_view who, int n_splits, Eigen::Index n_samples,
                              Eigen::Index n_groups_entries) {
  if (n_samples <= 0) fail(who, ": there are no samples to split");
  check_int_rows(n_samples, who);  // Fold holds int row indices
  if (n_groups_entries != n_samples) {
    fail(who, ": groups has ", n_groups_entries, " entries but there are ", n_samples, " samples");
  }
  if (n_splits > n_samples) {
    fail(who, ": cannot have number of splits n_splits=", n_splits,
         " greater than the number of samples: n_samples=", n_samples);
  }
}

/** numpy's `np.std` (population) of n contiguous values, in its order of operations. */
inline double numpy_std(const double* a, std::size_t n) {
  const double mean = numpy_pairwise_sum(a, n) / static_cast<double>(n);
  std::vector<double> sq(n);
  for (std::size_t i = 0; i < n; ++i) sq[i] = (a[i] - mean) * (a[i] - mean);  // no sum: no FMA
  return std::sqrt(numpy_pairwise_sum(sq.data(), n) / static_cast<double>(n));
}

}  // namespace detail

/** Parameters of GroupKFold. */
struct GroupKFoldParams {
  int n_splits = 5;  ///< number of folds, >= 2
};

/** K folds that never split a group (scikit-learn 1.2's `GroupKFold`): groups are taken from the
 *  largest to the smallest and each goes to the fold with the fewest samples so far (the first
 *  such fold on a tie), so test folds have nearly equal sizes. Deterministic; there is no
 *  shuffling, as in scikit-learn 1.2.
 *
 *  Groups of equal size are taken in decreasing order of their label (scikit-learn sorts the
 *  sizes with numpy's default, unstable sort; for up to 16 groups that sort is stable and this
 *  is its order, so the folds equal scikit-learn's; with more groups of tied sizes they may
 *  differ). */
class GroupKFold {
 public:
  using Params = GroupKFoldParams;  ///< parameters, see GroupKFoldParams

  GroupKFold() = default;
  /** \throws InvalidArgument when n_splits < 2. */
  explicit GroupKFold(const Params& params) : params_(params) { validate(params_); }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters. \throws InvalidArgument when n_splits < 2. */
  GroupKFold& set_params(const Params& params) {
    validate(params);
    params_ = params;
    return *this;
  }
  /** The number of folds split() returns. */
  [[nodiscard]] int get_n_splits() const noexcept { return params_.n_splits; }

  /** The folds of n_samples rows whose group labels are `groups`: n_splits (train, test)
   *  pairs, each increasing; every row is in exactly one test fold, and all rows of a group in
   *  the same one.
   *  \throws InvalidArgument when n_samples is 0, groups does not have n_samples entries,
   *          n_splits exceeds the number of samples, or exceeds the number of distinct groups.
   *  Complexity O(n log n + G k) for G groups. Thread safety: const, may run concurrently. */
  [[nodiscard]] std::vector<Fold> split(Eigen::Index n_samples,
                                        const Eigen::Ref<const Eigen::VectorXi>& groups) const {
    const int k = params_.n_splits;
    detail::check_group_split("GroupKFold", k, n_samples, groups.size());
    const detail::SortedCodes g = detail::encode_sorted(groups);
    const std::size_t n_groups = g.values.size();
    if (static_cast<std::size_t>(k) > n_groups) {
      detail::fail("GroupKFold: cannot have number of splits n_splits=", k,
                   " greater than the number of groups: ", n_groups);
    }
    // Sizes descending; equal sizes in decreasing group index (a reversed stable ascending sort).
    std::vector<std::size_t> order(n_groups);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return g.counts[a] < g.counts[b]; });
    std::reverse(order.begin(), order.end());
    std::vector<std::int64_t> fold_size(static_cast<std::size_t>(k), 0);
    std::vector<int> group_fold(n_groups, 0);
    for (const std::size_t grp : order) {
      const auto lightest = static_cast<std::size_t>(
          std::min_element(fold_size.begin(), fold_size.end()) - fold_size.begin());
      fold_size[lightest] += g.counts[grp];
      group_fold[grp] = static_cast<int>(lightest);
    }
    std::vector<int> test_fold(static_cast<std::size_t>(n_samples));
    for (std::size_t i = 0; i < test_fold.size(); ++i)
      test_fold[i] = group_fold[static_cast<std::size_t>(g.code[i])];
    return detail::folds_from_assignment(test_fold, k);
  }

 private:
  static void validate(const Params& p) {
    detail::check_param(p.n_splits >= 2, "n_splits", p.n_splits, ">= 2");
  }
  Params params_{};
};

/** Parameters of StratifiedGroupKFold, written with designated initialisers. */
struct StratifiedGroupKFoldParams {
  int n_splits = 5;                ///< number of folds, >= 2
  bool shuffle = false;            ///< break ties between equally spread groups at random
  std::uint64_t random_state = 0;  ///< seed used when shuffle is true
};

/** K folds that never split a group and keep each class's share in every fold as well as the
 *  groups allow (scikit-learn 1.2's `StratifiedGroupKFold`, a greedy heuristic).
 *
 *  Groups are taken in decreasing standard deviation of their per-class counts (equal ones in
 *  increasing label order); each goes to the fold that minimises the mean over classes of the
 *  standard deviation, across folds, of the fraction of the class in the fold, ties (within
 *  numpy's `isclose`) going to the fold with fewer samples, then to the lower fold. With
 *  `shuffle = false` the test folds equal scikit-learn's exactly: the arithmetic follows numpy's
 *  order of operations. A fold may be empty when there are fewer groups than folds (scikit-learn
 *  returns the empty fold too).
 *
 *  With `shuffle = true` the groups are put in a random order drawn from `random_state` by
 *  osprey's own generator before the stable sort, so equally spread groups are taken in random
 *  order; the folds are then not numpy's. (scikit-learn 1.2 shuffles the count rows without
 *  their group labels, which reassigns counts between groups; osprey does not reproduce that.)
 *
 *  Differs from scikit-learn in one place: where scikit-learn only warns that the smallest class
 *  has fewer than n_splits members, osprey proceeds silently the same way. */
class StratifiedGroupKFold {
 public:
  using Params = StratifiedGroupKFoldParams;  ///< parameters, see StratifiedGroupKFoldParams

  StratifiedGroupKFold() = default;
  /** \throws InvalidArgument when n_splits < 2. */
  explicit StratifiedGroupKFold(const Params& params) : params_(params) { validate(params_); }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters. \throws InvalidArgument when n_splits < 2. */
  StratifiedGroupKFold& set_params(const Params& params) {
    validate(params);
    params_ = params;
    return *this;
  }
  /** The number of folds split() returns. */
  [[nodiscard]] int get_n_splits() const noexcept { return params_.n_splits; }

  /** The folds for labels `y` and group labels `groups` (one per sample): n_splits (train,
   *  test) pairs, each increasing; every row is in exactly one test fold, all rows of a group in
   *  the same one.
   *  \throws InvalidArgument when y is empty, groups has another length, n_splits exceeds the
   *          number of samples, or every class has fewer than n_splits members.
   *  Complexity O(n log n + G k^2 C) for G groups and C classes. Thread safety: const. */
  [[nodiscard]] std::vector<Fold> split(const Eigen::Ref<const Eigen::VectorXi>& y,
                                        const Eigen::Ref<const Eigen::VectorXi>& groups) const {
    const int k = params_.n_splits;
    detail::check_group_split("StratifiedGroupKFold", k, y.size(), groups.size());
    const detail::SortedCodes cls = detail::encode_sorted(y);
    const std::size_t C = cls.values.size();
    if (std::all_of(cls.counts.begin(), cls.counts.end(), [&](auto c) { return c < k; })) {
      detail::fail("StratifiedGroupKFold: n_splits=", k,
                   " cannot be greater than the number of members in each class");
    }
    const detail::SortedCodes grp = detail::encode_sorted(groups);
    const std::size_t G = grp.values.size();
    std::vector<double> counts(G * C, 0.0);  // row-major: group x class
    for (std::size_t i = 0; i < cls.code.size(); ++i) {
      counts[static_cast<std::size_t>(grp.code[i]) * C + static_cast<std::size_t>(cls.code[i])] +=
          1.0;
    }
    const std::vector<std::size_t> order = group_order(counts, G, C);
    const std::vector<int> group_fold = assign_groups(counts, cls.counts, order, C);
    std::vector<int> test_fold(grp.code.size());
    for (std::size_t i = 0; i < test_fold.size(); ++i) {
      test_fold[i] = group_fold[static_cast<std::size_t>(grp.code[i])];
    }
    return detail::folds_from_assignment(test_fold, k);
  }

 private:
  static void validate(const Params& p) {
    detail::check_param(p.n_splits >= 2, "n_splits", p.n_splits, ">= 2");
  }

  // Groups by decreasing spread of their class counts; stable, after the optional shuffle.
  [[nodiscard]] std::vector<std::size_t> group_order(const std::vector<double>& counts,
                                                     std::size_t G, std::size_t C) const {
    std::vector<std::size_t> order(G);
    std::iota(order.begin(), order.end(), std::size_t{0});
    if (params_.shuffle) {
      Rng rng(params_.random_state);
      detail::shuffle(order.begin(), order.end(), rng);
    }
    std::vector<double> spread(G);
    for (std::size_t g = 0; g < G; ++g) spread[g] = detail::numpy_std(&counts[g * C], C);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return spread[a] > spread[b]; });
    return order;
  }

  // The greedy assignment of scikit-learn's _find_best_fold, group by group.
  [[nodiscard]] std::vector<int> assign_groups(const std::vector<double>& counts,
                                               const std::vector<std::int64_t>& class_count,
                                               const std::vector<std::size_t>& order,
                                               std::size_t C) const {
    const auto k = static_cast<std::size_t>(params_.n_splits);
    std::vector<double> per_fold(k * C, 0.0);  // row-major: fold x class
    std::vector<int> group_fold(order.size(), 0);
    std::vector<double> column(k), spread(C), share(k * C);
    for (const std::size_t g : order) {
      const double* add = &counts[g * C];
      std::size_t best = 0;
      double min_eval = std::numeric_limits<double>::infinity();
      double min_samples = std::numeric_limits<double>::infinity();
      for (std::size_t f = 0; f < k; ++f) {
        for (std::size_t c = 0; c < C; ++c) per_fold[f * C + c] += add[c];
        for (std::size_t i = 0; i < k * C; ++i) {
          share[i] = per_fold[i] / static_cast<double>(class_count[i % C]);
        }
        for (std::size_t c = 0; c < C; ++c) spread[c] = column_std(share, c, k, C, column);
        for (std::size_t c = 0; c < C; ++c) per_fold[f * C + c] -= add[c];
        const double eval = detail::numpy_pairwise_sum(spread.data(), C) / static_cast<double>(C);
        const double samples = detail::numpy_pairwise_sum(&per_fold[f * C], C);
        const bool close = std::isfinite(min_eval) &&
                           std::abs(eval - min_eval) <= 1e-8 + 1e-5 * std::abs(min_eval);
        if (eval < min_eval || (close && samples < min_samples)) {
          min_eval = eval;
          min_samples = samples;
          best = f;
        }
      }
      for (std::size_t c = 0; c < C; ++c) per_fold[best * C + c] += add[c];
      group_fold[g] = static_cast<int>(best);
    }
    return group_fold;
  }

  // np.std over axis 0 of a (k, C) array: numpy adds the rows one after the other, except for
  // a single column, which it reduces as one contiguous run.
  static double column_std(const std::vector<double>& a, std::size_t c, std::size_t k,
                           std::size_t C, std::vector<double>& column) {
    for (std::size_t f = 0; f < k; ++f) column[f] = a[f * C + c];
    if (C == 1) return detail::numpy_std(column.data(), k);
    double sum = 0.0;
    for (std::size_t f = 0; f < k; ++f) sum += column[f];
    const double mean = sum / static_cast<double>(k);
    double sq = 0.0;
    // The square rounded on its own, as numpy's: a fused multiply-add would change the ties.
    for (std::size_t f = 0; f < k; ++f) {
      sq += detail::rounded_product(column[f] - mean, column[f] - mean);
    }
    return std::sqrt(sq / static_cast<double>(k));
  }

  Params params_{};
};

/** A group splitter with its groups bound (made by `with_groups`): `split(y)` returns the folds
 *  of `splitter().split(y.size(), groups())` (GroupKFold) or `splitter().split(y, groups())`
 *  (StratifiedGroupKFold), so the groups-aware splitters plug into `cross_val_score` and
 *  `cross_val_predict`, which call `split(y)`.
 *  \tparam CV GroupKFold, StratifiedGroupKFold or any class with `split(n, groups)` or
 *          `split(y, groups)` returning `std::vector<Fold>`. */
template <class CV>
class GroupBoundSplitter {
 public:
  /** Binds `groups` (copied) to `cv` (copied). */
  GroupBoundSplitter(const CV& cv, Eigen::VectorXi groups) : cv_(cv), groups_(std::move(groups)) {}

  /** The folds of the samples labelled `y`, grouped by the bound groups.
   *  \throws InvalidArgument when y and the groups differ in length, and whatever the
   *          splitter throws. Complexity: the splitter's. */
  [[nodiscard]] std::vector<Fold> split(const Eigen::Ref<const Eigen::VectorXi>& y) const {
    if constexpr (requires { cv_.split(y, groups_); }) {
      return cv_.split(y, groups_);
    } else {
      return cv_.split(y.size(), groups_);
    }
  }
  /** The number of folds split() returns. */
  [[nodiscard]] int get_n_splits() const noexcept { return cv_.get_n_splits(); }
  /** The splitter. */
  [[nodiscard]] const CV& splitter() const noexcept { return cv_; }
  /** The bound group labels, one per sample. */
  [[nodiscard]] const Eigen::VectorXi& groups() const noexcept { return groups_; }

 private:
  CV cv_;
  Eigen::VectorXi groups_;
};

/** Binds group labels to a group splitter: `cross_val_predict(model, X, y,
 *  osprey::with_groups(osprey::GroupKFold({.n_splits = 5}), card_id))`.
 *  \param cv the splitter (copied). \param groups one group label per sample (copied).
 *  \returns a GroupBoundSplitter whose `split(y)` gives the group folds. Complexity O(n). */
template <class CV>
[[nodiscard]] GroupBoundSplitter<CV> with_groups(const CV& cv,
                                                 const Eigen::Ref<const Eigen::VectorXi>& groups) {
  return GroupBoundSplitter<CV>(cv, Eigen::VectorXi(groups));
}

OSPREY_NAMESPACE_END

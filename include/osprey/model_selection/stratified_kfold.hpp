/** \file
 *  Stratified splits of labelled data: k folds that keep each class's share in every fold
 *  (scikit-learn's `StratifiedKFold`), and a stratified train/test split.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "../core/random.hpp"
#include "../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN

/** One split: the row indices used for training and for testing, each increasing. */
struct Fold {
  Eigen::VectorXi train;  ///< training rows, increasing
  Eigen::VectorXi test;   ///< test rows, increasing
};

namespace detail {

/** Class codes in order of first appearance (scikit-learn's StratifiedKFold encoding) and the
 *  count of each class. */
struct ClassCodes {
  std::vector<int> code;  // per sample
  std::vector<std::int64_t> counts;
  std::vector<int> labels;  // label of each code
};

inline ClassCodes encode_by_first_appearance(const Eigen::Ref<const Eigen::VectorXi>& y) {
  ClassCodes c;
  c.code.resize(static_cast<std::size_t>(y.size()));
  std::map<int, int> seen;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    auto [it, inserted] = seen.try_emplace(y(i), static_cast<int>(c.labels.size()));
    if (inserted) {
      c.labels.push_back(y(i));
      c.counts.push_back(0);
    }
    c.code[static_cast<std::size_t>(i)] = it->second;
    ++c.counts[static_cast<std::size_t>(it->second)];
  }
  return c;
}

/** The k folds of a test-fold assignment: fold f tests the rows i with test_fold[i] == f and
 *  trains on the others, both increasing. O(n k). */
inline std::vector<Fold> folds_from_assignment(const std::vector<int>& test_fold, int k) {
  const auto n = static_cast<Eigen::Index>(test_fold.size());
  std::vector<Fold> folds(static_cast<std::size_t>(k));
  std::vector<Eigen::Index> test_size(static_cast<std::size_t>(k), 0);
  for (const int f : test_fold) ++test_size[static_cast<std::size_t>(f)];
  for (int f = 0; f < k; ++f) {
    Fold& fold = folds[static_cast<std::size_t>(f)];
    fold.test.resize(test_size[static_cast<std::size_t>(f)]);
    fold.train.resize(n - test_size[static_cast<std::size_t>(f)]);
    Eigen::Index a = 0, b = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      if (test_fold[static_cast<std::size_t>(i)] == f) {
        fold.test(a++) = static_cast<int>(i);
      } else {
        fold.train(b++) = static_cast<int>(i);
      }
    }
  }
  return folds;
}

}  // namespace detail

/** Parameters of StratifiedKFold, written with designated initialisers. */
struct StratifiedKFoldParams {
  int n_splits = 5;                ///< number of folds, >= 2
  bool shuffle = false;            ///< shuffle each class's samples before dealing them
  std::uint64_t random_state = 0;  ///< seed used when shuffle is true
};

/** Stratified k-fold cross-validation splits (scikit-learn's `StratifiedKFold`).
 *
 *  Allocation follows scikit-learn exactly: classes are numbered by first appearance in y, the
 *  sorted class codes are dealt round-robin to the folds (sample i of the sorted codes to fold
 *  i mod k), which fixes how many samples of each class every fold gets; then, per class, the
 *  class's samples in index order fill fold 0, fold 1, ... with their quota. With
 *  `shuffle = false` each fold's test indices and per-class counts equal scikit-learn's; with
 *  `shuffle = true` the counts are the same but which samples go where is drawn from
 *  `random_state` (osprey's generator, so not numpy's draws).
 *
 *  Differs from scikit-learn in one place on purpose: n_splits larger than the smallest class
 *  count throws (scikit-learn only warns, then leaves that class out of some folds).
 */
class StratifiedKFold {
 public:
  using Params = StratifiedKFoldParams;  ///< parameters, see StratifiedKFoldParams

  StratifiedKFold() = default;
  /** \throws InvalidArgument when n_splits < 2. */
  explicit StratifiedKFold(const Params& params) : params_(params) { validate(params_); }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters. \throws InvalidArgument when n_splits < 2. */
  StratifiedKFold& set_params(const Params& params) {
    validate(params);
    params_ = params;
    return *this;
  }
  /** The number of folds split() returns. */
  [[nodiscard]] int get_n_splits() const noexcept { return params_.n_splits; }

  /** The folds: `n_splits` pairs of (train, test) indices; every index is in exactly one test.
   *  \param y the class label of every sample.
   *  \throws InvalidArgument when y is empty or longer than 2^31 - 1 (`detail::kMaxIntRows`:
   *          the folds hold `int` row indices), or n_splits exceeds the number of samples or the
   *          number of members of the smallest class (naming that class).
   *  Complexity O(n log k) for k classes. Thread safety: const, may run concurrently. */
  [[nodiscard]] std::vector<Fold> split(const Eigen::Ref<const Eigen::VectorXi>& y) const {
    const int k = params_.n_splits;
    const Eigen::Index n = y.size();
    if (n == 0) detail::fail("StratifiedKFold: y is empty");
    detail::check_int_rows(n, "StratifiedKFold");  // Fold holds int row indices
    if (k > n) {
      detail::fail("StratifiedKFold: n_splits=", k, " is greater than the number of samples (", n,
                   ")");
    }
    const detail::ClassCodes codes = detail::encode_by_first_appearance(y);
    const std::size_t n_classes = codes.labels.size();
    for (std::size_t c = 0; c < n_classes; ++c) {
      if (codes.counts[c] < k) {
        detail::fail("StratifiedKFold: n_splits=", k, " is greater than the ", codes.counts[c],
                     " members of class ", codes.labels[c],
                     "; every class needs at least n_splits members");
      }
    }
    // allocation[f][c]: members of class c in fold f, from dealing the sorted codes
    // round-robin: fold f takes sorted positions f, f + k, f + 2k, ...
    std::vector<std::vector<std::int64_t>> allocation(static_cast<std::size_t>(k),
                                                      std::vector<std::int64_t>(n_classes, 0));
    {
      std::int64_t pos = 0;  // position in the sorted code sequence
      for (std::size_t c = 0; c < n_classes; ++c) {
        for (std::int64_t j = 0; j < codes.counts[c]; ++j, ++pos) {
          ++allocation[static_cast<std::size_t>(pos % k)][c];
        }
      }
    }
    std::vector<int> test_fold(static_cast<std::size_t>(n), 0);
    const Rng rng(params_.random_state);
    for (std::size_t c = 0; c < n_classes; ++c) {
      std::vector<int> folds_for_class;
      folds_for_class.reserve(static_cast<std::size_t>(codes.counts[c]));
      for (int f = 0; f < k; ++f) {
        folds_for_class.insert(folds_for_class.end(),
                               static_cast<std::size_t>(allocation[static_cast<std::size_t>(f)][c]),
                               f);
      }
      if (params_.shuffle) {
        Rng class_rng = rng.split(c);
        detail::shuffle(folds_for_class.begin(), folds_for_class.end(), class_rng);
      }
      std::size_t next = 0;
      for (Eigen::Index i = 0; i < n; ++i) {
        if (codes.code[static_cast<std::size_t>(i)] == static_cast<int>(c)) {
          test_fold[static_cast<std::size_t>(i)] = folds_for_class[next++];
        }
      }
    }
    return detail::folds_from_assignment(test_fold, k);
  }

 private:
  static void validate(const Params& p) {
    detail::check_param(p.n_splits >= 2, "n_splits", p.n_splits, ">= 2");
  }

  Params params_{};
};

namespace detail {

/** scikit-learn's `_approximate_mode`: integer counts proportional to `class_counts` summing to
 *  `n_draws`; the floors first, then one more for the largest remainders (ties broken at random
 *  by `rng`, in scikit-learn by numpy's generator). */
inline std::vector<std::int64_t> approximate_mode(const std::vector<std::int64_t>& class_counts,
                                                  std::int64_t n_draws, Rng& rng) {
  std::int64_t total = 0;
  for (const auto v : class_counts) total += v;
  const std::size_t k = class_counts.size();
  std::vector<double> remainder(k);
  std::vector<std::int64_t> floored(k);
  std::int64_t assigned = 0;
  for (std::size_t i = 0; i < k; ++i) {
    const double continuous = static_cast<double>(class_counts[i]) * static_cast<double>(n_draws) /
                              static_cast<double>(total);
    floored[i] = static_cast<std::int64_t>(std::floor(continuous));
    remainder[i] = continuous - static_cast<double>(floored[i]);
    assigned += floored[i];
  }
  std::int64_t need = n_draws - assigned;
  std::vector<double> values = remainder;
  std::sort(values.begin(), values.end(), std::greater<>());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  for (const double value : values) {
    if (need <= 0) break;
    std::vector<std::size_t> inds;
    for (std::size_t i = 0; i < k; ++i) {
      if (remainder[i] == value) inds.push_back(i);
    }
    shuffle(inds.begin(), inds.end(), rng);
    const auto add_now = std::min<std::int64_t>(static_cast<std::int64_t>(inds.size()), need);
    for (std::int64_t j = 0; j < add_now; ++j) ++floored[inds[static_cast<std::size_t>(j)]];
    need -= add_now;
  }
  return floored;
}

}  // namespace detail

/** A stratified train/test split (scikit-learn's `train_test_split(..., stratify=y)`, i.e. one
 *  `StratifiedShuffleSplit`): `ceil(test_size n)` test samples, the rest for training, each
 *  class split in proportion (scikit-learn's `_approximate_mode` rounding, so per-class counts
 *  match scikit-learn's whenever no tie between remainders has to be broken at random); which
 *  samples are drawn comes from `random_state`.
 *
 *  \param y class labels. \param test_size fraction of samples in the test set, in (0, 1).
 *  \param random_state seed of the draw.
 *  \returns a Fold whose train and test indices are increasing.
 *  \throws InvalidArgument when y is empty, test_size is outside (0, 1), a class has fewer than
 *          2 members, or the train or test set would be smaller than the number of classes.
 *  Complexity O(n log n). Thread safety: pure function. */
inline Fold stratified_train_test_split(const Eigen::Ref<const Eigen::VectorXi>& y,
                                        double test_size = 0.25, std::uint64_t random_state = 0) {
  detail::check_param(test_size > 0.0 && test_size < 1.0, "test_size", test_size, "in (0, 1)");
  const Eigen::Index n = y.size();
  if (n == 0) detail::fail("stratified_train_test_split: y is empty");
  detail::check_int_rows(n, "stratified_train_test_split");  // Fold holds int row indices
  // Classes in sorted label order, as scikit-learn's np.unique.
  std::map<int, std::vector<int>> members;
  for (Eigen::Index i = 0; i < n; ++i) members[y(i)].push_back(static_cast<int>(i));
  std::vector<std::int64_t> counts;
  for (const auto& [label, rows] : members) {
    if (rows.size() < 2) {
      detail::fail("stratified_train_test_split: class ", label,
                   " has only 1 member; every class needs at least 2");
    }
    counts.push_back(static_cast<std::int64_t>(rows.size()));
  }
  const auto n_test = static_cast<std::int64_t>(std::ceil(test_size * static_cast<double>(n)));
  const std::int64_t n_train = n - n_test;
  const auto n_classes = static_cast<std::int64_t>(counts.size());
  if (n_train < n_classes || n_test < n_classes) {
    detail::fail("stratified_train_test_split: a train size of ", n_train, " and a test size of ",
                 n_test, " must both be at least the number of classes (", n_classes, ")");
  }
  Rng rng(random_state);
  const std::vector<std::int64_t> n_i = detail::approximate_mode(counts, n_train, rng);
  std::vector<std::int64_t> remaining(counts.size());
  for (std::size_t c = 0; c < counts.size(); ++c) remaining[c] = counts[c] - n_i[c];
  const std::vector<std::int64_t> t_i = detail::approximate_mode(remaining, n_test, rng);
  std::vector<int> train, test;
  std::size_t c = 0;
  for (auto& [label, rows] : members) {
    Rng class_rng = rng.split(c);
    detail::shuffle(rows.begin(), rows.end(), class_rng);
    const auto a = static_cast<std::size_t>(n_i[c]);
    const auto b = static_cast<std::size_t>(t_i[c]);
    train.insert(train.end(), rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(a));
    test.insert(test.end(), rows.begin() + static_cast<std::ptrdiff_t>(a),
                rows.begin() + static_cast<std::ptrdiff_t>(a + b));
    ++c;
  }
  std::sort(train.begin(), train.end());
  std::sort(test.begin(), test.end());
  Fold fold;
  fold.train =
      Eigen::Map<const Eigen::VectorXi>(train.data(), static_cast<Eigen::Index>(train.size()));
  fold.test =
      Eigen::Map<const Eigen::VectorXi>(test.data(), static_cast<Eigen::Index>(test.size()));
  return fold;
}

OSPREY_NAMESPACE_END

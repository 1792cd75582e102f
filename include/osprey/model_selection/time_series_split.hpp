/** \file
 *  Forward-chaining splits of time-ordered samples (scikit-learn's `TimeSeriesSplit`): every
 *  test fold comes after its training rows, so a model is never evaluated on the past it was
 *  trained on the future of. Rows of X are samples in time order.
 */
#pragma once

#include <Eigen/Core>
#include <optional>
#include <vector>

#include "../core/validation.hpp"
#include "stratified_kfold.hpp"

OSPREY_NAMESPACE_BEGIN

/** Parameters of TimeSeriesSplit, written with designated initialisers. */
struct TimeSeriesSplitParams {
  int n_splits = 5;                     ///< number of splits, >= 2
  std::optional<int> max_train_size{};  ///< keep at most this many most recent training rows
  std::optional<int> test_size{};       ///< rows per test fold (default n / (n_splits + 1))
  int gap = 0;                          ///< rows left out between each training set and its test
};

/** Time-series cross-validation (scikit-learn 1.2's `TimeSeriesSplit`). With t the test size
 *  (`test_size`, or n / (n_splits + 1) rounded down), split i (0-based) tests rows
 *  [n - (n_splits - i) t, n - (n_splits - i - 1) t) and trains on the rows before the test
 *  start minus `gap`, the last `max_train_size` of them when that is set. The test folds do not
 *  cover the first rows, so the splits are not a partition (cross_val_predict refuses them, as
 *  scikit-learn's does; cross_val_score takes them). Index sets equal scikit-learn's. */
class TimeSeriesSplit {
 public:
  using Params = TimeSeriesSplitParams;  ///< parameters, see TimeSeriesSplitParams

  TimeSeriesSplit() = default;
  /** \throws InvalidArgument when n_splits < 2, max_train_size or test_size is set and < 1, or
   *          gap < 0. */
  explicit TimeSeriesSplit(const Params& params) : params_(params) { validate(params_); }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters. \throws as the constructor. */
  TimeSeriesSplit& set_params(const Params& params) {
    validate(params);
    params_ = params;
    return *this;
  }
  /** The number of splits split() returns. */
  [[nodiscard]] int get_n_splits() const noexcept { return params_.n_splits; }

  /** The n_splits (train, test) pairs of `n_samples` time-ordered rows, each increasing.
   *  \throws InvalidArgument (scikit-learn's messages) when n_splits + 1 > n_samples, or when
   *          n_samples - gap - n_splits * test_size <= 0 (too many splits for the data).
   *  Complexity O(n_splits n). Thread safety: const, may run concurrently. */
  [[nodiscard]] std::vector<Fold> split(Eigen::Index n_samples) const {
    const Eigen::Index k = params_.n_splits;
    const Eigen::Index n_folds = k + 1;
    detail::check_int_rows(n_samples, "TimeSeriesSplit");  // Fold holds int row indices
    const Eigen::Index gap = params_.gap;
    const Eigen::Index t = params_.test_size ? *params_.test_size : n_samples / n_folds;
    if (n_folds > n_samples) {
      detail::fail("TimeSeriesSplit: cannot have number of folds=", n_folds,
                   " greater than the number of samples=", n_samples);
    }
    if (n_samples - gap - t * k <= 0) {
      detail::fail("TimeSeriesSplit: too many splits=", k, " for number of samples=", n_samples,
                   " with test_size=", t, " and gap=", gap);
    }
    std::vector<Fold> folds;
    folds.reserve(static_cast<std::size_t>(k));
    for (Eigen::Index test_start = n_samples - k * t; test_start < n_samples; test_start += t) {
      const Eigen::Index train_end = test_start - gap;
      Eigen::Index train_start = 0;
      if (params_.max_train_size && *params_.max_train_size < train_end) {
        train_start = train_end - *params_.max_train_size;
      }
      Fold fold;
      fold.train = Eigen::VectorXi::LinSpaced(
          train_end - train_start, static_cast<int>(train_start), static_cast<int>(train_end - 1));
      fold.test = Eigen::VectorXi::LinSpaced(t, static_cast<int>(test_start),
                                             static_cast<int>(test_start + t - 1));
      folds.push_back(std::move(fold));
    }
    return folds;
  }

 private:
  static void validate(const Params& p) {
    detail::check_param(p.n_splits >= 2, "n_splits", p.n_splits, ">= 2");
    if (p.max_train_size) {
      detail::check_param(*p.max_train_size >= 1, "max_train_size", *p.max_train_size, ">= 1");
    }
    if (p.test_size) detail::check_param(*p.test_size >= 1, "test_size", *p.test_size, ">= 1");
    detail::check_param(p.gap >= 0, "gap", p.gap, ">= 0");
  }

  Params params_{};
};

OSPREY_NAMESPACE_END

/** \file
 *  Cross-validation: `cross_val_score` (fit on each fold's training rows, score on its test
 *  rows) and `cross_val_predict` (out-of-fold predictions, probabilities or scores in row
 *  order), over any Splitter: StratifiedKFold, TimeSeriesSplit (scores only), or a group
 *  splitter bound to its groups with `with_groups`. Rows of X are samples.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <concepts>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/sample_weight.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "group_kfold.hpp"
#include "stratified_kfold.hpp"
#include "time_series_split.hpp"

OSPREY_NAMESPACE_BEGIN

// clang-format 14 cannot lay out concept definitions and requires-clauses; they are written by
// hand between the markers.
// clang-format off

/** A metric of hard predictions: `metric(y_true, y_pred) -> double` (a lambda binding an
 *  Average, ...), or `metric(y_true, y_pred, sample_weight) -> double`, which is called with
 *  empty (unit) weights (`&accuracy_score`, `&matthews_corrcoef`). */
template <class M>
concept LabelMetric =
    (std::invocable<const M&, const Eigen::VectorXi&, const Eigen::VectorXi&> &&
     std::convertible_to<
         std::invoke_result_t<const M&, const Eigen::VectorXi&, const Eigen::VectorXi&>, double>) ||
    (std::invocable<const M&, const Eigen::VectorXi&, const Eigen::VectorXi&,
                    const SampleWeight&> &&
     std::convertible_to<std::invoke_result_t<const M&, const Eigen::VectorXi&,
                                              const Eigen::VectorXi&, const SampleWeight&>,
                         double>);

/** A scorer that needs the fitted estimator (for scores or probabilities):
 *  `scorer(estimator, X_test, y_test) -> double`, e.g. ROC AUC of `predict_proba`. */
template <class M, class E>
concept EstimatorScorer =
    std::invocable<const M&, const E&, const Matrix<typename E::Scalar>&,
                   const Eigen::VectorXi&> &&
    std::convertible_to<
        std::invoke_result_t<const M&, const E&, const Matrix<typename E::Scalar>&,
                             const Eigen::VectorXi&>,
        double>;

/** A cross-validation splitter: `cv.split(y) -> std::vector<Fold>` from the labels
 *  (StratifiedKFold, a GroupBoundSplitter from with_groups), or `cv.split(n_samples)` from the
 *  number of rows alone (TimeSeriesSplit). GroupKFold and StratifiedGroupKFold need their groups
 *  bound with `with_groups(cv, groups)` first. */
template <class CV>
concept Splitter =
    requires(const CV& cv, const Eigen::VectorXi& y) {
      { cv.split(y) } -> std::convertible_to<std::vector<Fold>>;
    } ||
    requires(const CV& cv, Eigen::Index n) {
      { cv.split(n) } -> std::convertible_to<std::vector<Fold>>;
    };

// clang-format on

namespace detail {

/** The folds of `cv` for labels y: `split(y)` where the splitter takes labels, else
 *  `split(y.size())`. */
template <Splitter CV>
[[nodiscard]] std::vector<Fold> split_for(const CV& cv, const Eigen::VectorXi& y) {
  if constexpr (requires { cv.split(y); }) {
    return cv.split(y);
  } else {
    return cv.split(y.size());
  }
}

/** Throws unless every index of every fold is a row of X (in [0, n)). */
inline void check_fold_rows(const std::vector<Fold>& folds, Eigen::Index n, std::string_view who) {
  for (std::size_t f = 0; f < folds.size(); ++f) {
    for (const Eigen::VectorXi* part : {&folds[f].train, &folds[f].test}) {
      for (Eigen::Index i = 0; i < part->size(); ++i) {
        if ((*part)(i) < 0 || (*part)(i) >= n) {
          fail(who, ": fold ", f, " names row ", (*part)(i), ", outside the ", n, " rows of X");
        }
      }
    }
  }
}

}  // namespace detail

/** Scores a classifier by cross-validation (scikit-learn's `cross_val_score`): for each fold
 *  of `cv` (StratifiedKFold by default, or any Splitter), a fresh copy of `estimator` (as
 *  passed, normally unfitted) is fitted on the training rows and scored on the test rows.
 *
 *  \tparam E a Classifier; copied once per fold, so the argument is left untouched.
 *  \tparam Metric a LabelMetric `metric(y_test, predict(X_test))` or an EstimatorScorer
 *          `metric(fitted, X_test, y_test)`.
 *  \tparam CV a Splitter (StratifiedKFold, TimeSeriesSplit, `with_groups(GroupKFold, groups)`);
 *          the folds need not cover every row.
 *  \param X samples in rows. \param y labels, one per row. \param cv the folds.
 *  \returns one score per fold, in fold order.
 *  \throws InvalidArgument when X and y lengths differ or X is empty, whatever
 *          the splitter, the estimator or the metric throws.
 *  Complexity: n_splits fits and predictions. Thread safety: as the estimator's fit. */
// clang-format off
template <Classifier E, class Metric, class D, Splitter CV = StratifiedKFold>
  requires EstimatorScorer<Metric, E> || LabelMetric<Metric>
Eigen::VectorXd cross_val_score(const E& estimator, const Eigen::MatrixBase<D>& X,
                                const Eigen::Ref<const Eigen::VectorXi>& y,
                                const CV& cv, const Metric& metric) {
  // clang-format on
  using S = typename E::Scalar;
  detail::check_matrix_as<S>(X, "X");  // rows named in X's numbering, not a fold's
  detail::check_same_length(X.rows(), y.size());
  const std::vector<Fold> folds = detail::split_for(cv, Eigen::VectorXi(y));
  detail::check_fold_rows(folds, X.rows(), "cross_val_score");
  Eigen::VectorXd scores(static_cast<Eigen::Index>(folds.size()));
  for (std::size_t f = 0; f < folds.size(); ++f) {
    const Fold& fold = folds[f];
    const Matrix<S> X_train = X(fold.train, Eigen::all).template cast<S>();
    const Eigen::VectorXi y_train = y(fold.train);
    const Matrix<S> X_test = X(fold.test, Eigen::all).template cast<S>();
    const Eigen::VectorXi y_test = y(fold.test);
    E model = estimator;
    model.fit(X_train, y_train);
    double score = 0.0;
    // The scorer form is tested first: a generic lambda (const auto& model, X, y) would otherwise
    // be instantiated with labels by LabelMetric's three-argument form, a hard error.
    if constexpr (EstimatorScorer<Metric, E>) {
      score = static_cast<double>(metric(std::as_const(model), X_test, y_test));
    } else {
      const Eigen::VectorXi y_pred = model.predict(X_test);
      if constexpr (std::invocable<const Metric&, const Eigen::VectorXi&, const Eigen::VectorXi&>) {
        score = static_cast<double>(metric(y_test, y_pred));
      } else {
        score = static_cast<double>(metric(y_test, y_pred, detail::unweighted()));
      }
    }
    scores(static_cast<Eigen::Index>(f)) = score;
  }
  return scores;
}

/** The estimator method `cross_val_predict` calls: `Method::predict` (the default),
 *  `Method::predict_proba` or `Method::decision_function`. Each is a value of its own type, so
 *  the return type follows the method. */
struct Method {
  struct Predict {};                                      ///< type of Method::predict
  struct PredictProba {};                                 ///< type of Method::predict_proba
  struct DecisionFunction {};                             ///< type of Method::decision_function
  static constexpr Predict predict{};                     ///< hard predictions
  static constexpr PredictProba predict_proba{};          ///< class probabilities
  static constexpr DecisionFunction decision_function{};  ///< real-valued scores
};

// clang-format off

/** What cross_val_predict fits: an estimator with `Scalar` and `fit(X, y)` (a classifier) or
 *  `fit(X)` (an outlier detector, for which y only drives the splitter). */
template <class E>
concept CrossValEstimator = detail::HasScalarType<E> &&
    (requires(E e, const Matrix<typename E::Scalar>& X, const Eigen::VectorXi& y) { e.fit(X, y); } ||
     requires(E e, const Matrix<typename E::Scalar>& X) { e.fit(X); });

// clang-format on

namespace detail {

/** The folds of cv for y, checked to partition the n rows (each row in exactly one test). */
template <class CV>
[[nodiscard]] std::vector<Fold> partition_folds(const CV& cv, const Eigen::VectorXi& y) {
  const std::vector<Fold> folds = split_for(cv, y);
  const Eigen::Index n = y.size();
  check_fold_rows(folds, n, "cross_val_predict");
  std::vector<int> seen(static_cast<std::size_t>(n), 0);
  for (const Fold& fold : folds) {
    for (Eigen::Index i = 0; i < fold.test.size(); ++i)
      ++seen[static_cast<std::size_t>(fold.test(i))];
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    const int times = seen[static_cast<std::size_t>(i)];
    if (times != 1) {
      fail("cross_val_predict only works for partitions: row ", i, " is in ", times,
           " test folds (it must be in exactly one)");
    }
  }
  return folds;
}

/** Runs `use(fitted, X_test, fold)` for every fold with test rows, of a fresh copy of `estimator`
 * fitted on the fold's training rows (with y, or without it for an estimator whose fit takes X
 * alone). */
template <class E, class D, class CV, class Use>
void for_each_fitted_fold(const E& estimator, const Eigen::MatrixBase<D>& X,
                          const Eigen::VectorXi& y, const CV& cv, Use use) {
  using S = typename E::Scalar;
  check_matrix_as<S>(X, "X");
  check_same_length(X.rows(), y.size());
  for (const Fold& fold : partition_folds(cv, y)) {
    if (fold.test.size() == 0) continue;  // nothing to predict (StratifiedGroupKFold, few groups)
    const Matrix<S> X_train = X(fold.train, Eigen::all).template cast<S>();
    const Matrix<S> X_test = X(fold.test, Eigen::all).template cast<S>();
    E model = estimator;
    if constexpr (requires { model.fit(X_train, y); }) {
      const Eigen::VectorXi y_train = y(fold.train);
      model.fit(X_train, y_train);
    } else {
      model.fit(X_train);
    }
    use(std::as_const(model), X_test, fold);
  }
}

}  // namespace detail

/** Out-of-fold predictions (scikit-learn's `cross_val_predict`): every row is predicted by a
 *  fresh copy of `estimator` fitted on the folds that do not test it. A fold without test rows
 *  (StratifiedGroupKFold with fewer groups than folds) is skipped, not fitted.
 *
 *  \tparam E a CrossValEstimator with `predict(X)` (copied once per fold, the argument is left
 *          untouched); a pipeline from make_pipeline qualifies.
 *  \tparam CV a Splitter whose test folds partition the rows: StratifiedKFold,
 *          `with_groups(GroupKFold(...), groups)`,
 *          `with_groups(StratifiedGroupKFold(...), groups)`.
 *  \param X samples in rows. \param y labels, one per row (for an estimator whose fit takes X
 *         alone they only drive the splitter). \param cv the folds.
 *  \returns the predictions in row order, of the type predict returns (Eigen::VectorXi for a
 *           classifier).
 *  \throws InvalidArgument when X is empty or non-finite, X and y differ in length, the folds
 *          do not partition the rows ("cross_val_predict only works for partitions", as
 *          scikit-learn), and whatever the splitter or the estimator throws.
 *  Complexity: n_splits fits and predictions. Thread safety: as the estimator's fit. */
// clang-format off
template <CrossValEstimator E, class D, Splitter CV>
  requires requires(const E ce, const Matrix<typename E::Scalar>& X) { ce.predict(X); }
[[nodiscard]] auto cross_val_predict(const E& estimator, const Eigen::MatrixBase<D>& X,
                                     const Eigen::Ref<const Eigen::VectorXi>& y, const CV& cv,
                                     Method::Predict /*method*/ = Method::predict) {
  // clang-format on
  using R = std::decay_t<decltype(estimator.predict(std::declval<Matrix<typename E::Scalar>>()))>;
  R out(X.rows());
  detail::for_each_fitted_fold(estimator, X, Eigen::VectorXi(y), cv,
                               [&](const E& model, const auto& X_test, const Fold& fold) {
                                 const R pred = model.predict(X_test);
                                 out(fold.test) = pred;
                               });
  return out;
}

/** Out-of-fold class probabilities (scikit-learn's `cross_val_predict(...,
 *  method="predict_proba")`): row i holds the probabilities given by the model that did not
 *  train on it. Columns follow the sorted distinct labels of the whole y (scikit-learn's
 *  order); where a fold's training rows miss a class, its column is 0 for that fold's rows, as
 *  in scikit-learn.
 *  \tparam E a ProbabilisticClassifier. Other parameters, \throws and complexity as the predict
 *  overload. \returns an n x (number of classes in y) matrix of E::Scalar. */
template <ProbabilisticClassifier E, class D, Splitter CV>
[[nodiscard]] Matrix<typename E::Scalar> cross_val_predict(
    const E& estimator, const Eigen::MatrixBase<D>& X, const Eigen::Ref<const Eigen::VectorXi>& y,
    const CV& cv, Method::PredictProba /*method*/) {
  using S = typename E::Scalar;
  std::vector<int> labels(y.data(), y.data() + y.size());
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  Matrix<S> out = Matrix<S>::Zero(X.rows(), static_cast<Eigen::Index>(labels.size()));
  detail::for_each_fitted_fold(estimator, X, Eigen::VectorXi(y), cv,
                               [&](const E& model, const auto& X_test, const Fold& fold) {
                                 const Matrix<S> proba = model.predict_proba(X_test);
                                 const Eigen::VectorXi classes = model.classes();
                                 for (Eigen::Index c = 0; c < classes.size(); ++c) {
                                   const auto at =
                                       std::lower_bound(labels.begin(), labels.end(), classes(c));
                                   if (at == labels.end() || *at != classes(c)) {
                                     detail::fail("cross_val_predict: the estimator reports class ",
                                                  classes(c), ", which is not a label of y");
                                   }
                                   out(fold.test, at - labels.begin()) = proba.col(c);
                                 }
                               });
  return out;
}

/** Out-of-fold scores (scikit-learn's `cross_val_predict(..., method="decision_function")`) of
 *  an estimator whose decision_function gives one real value per row (a binary classifier, an
 *  outlier detector such as IsolationForest, fitted on X alone).
 *  Other parameters, \throws and complexity as the predict overload.
 *  \returns the scores in row order, a Vector of E::Scalar. */
// clang-format off
template <CrossValEstimator E, class D, Splitter CV>
  requires requires(const E ce, const Matrix<typename E::Scalar>& X) {
    { ce.decision_function(X) } -> std::convertible_to<Vector<typename E::Scalar>>;
  }
[[nodiscard]] Vector<typename E::Scalar> cross_val_predict(
    const E& estimator, const Eigen::MatrixBase<D>& X, const Eigen::Ref<const Eigen::VectorXi>& y,
    const CV& cv, Method::DecisionFunction /*method*/) {
  // clang-format on
  Vector<typename E::Scalar> out(X.rows());
  detail::for_each_fitted_fold(estimator, X, Eigen::VectorXi(y), cv,
                               [&](const E& model, const auto& X_test, const Fold& fold) {
                                 const Vector<typename E::Scalar> s =
                                     model.decision_function(X_test);
                                 out(fold.test) = s;
                               });
  return out;
}

OSPREY_NAMESPACE_END

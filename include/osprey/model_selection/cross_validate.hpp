/** \file
 *  Cross-validation of a classifier: fit on each fold's training rows, score on its test rows.
 *  Rows of X are samples.
 */
#pragma once

#include <Eigen/Core>
#include <concepts>
#include <type_traits>
#include <utility>

#include "../core/concepts.hpp"
#include "../core/sample_weight.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "stratified_kfold.hpp"

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

// clang-format on

/** Scores a classifier by stratified cross-validation (scikit-learn's `cross_val_score` with a
 *  StratifiedKFold): for each fold, a fresh copy of `estimator` (as passed, normally unfitted)
 *  is fitted on the training rows and scored on the test rows.
 *
 *  \tparam E a Classifier; copied once per fold, so the argument is left untouched.
 *  \tparam Metric a LabelMetric `metric(y_test, predict(X_test))` or an EstimatorScorer
 *          `metric(fitted, X_test, y_test)`.
 *  \param X samples in rows. \param y labels, one per row. \param cv the folds.
 *  \returns one score per fold, in fold order.
 *  \throws InvalidArgument when X and y lengths differ or X is empty, whatever
 *          StratifiedKFold::split, the estimator or the metric throws.
 *  Complexity: n_splits fits and predictions. Thread safety: as the estimator's fit. */
// clang-format off
template <Classifier E, class Metric, class D>
  requires LabelMetric<Metric> || EstimatorScorer<Metric, E>
Eigen::VectorXd cross_val_score(const E& estimator, const Eigen::MatrixBase<D>& X,
                                const Eigen::Ref<const Eigen::VectorXi>& y,
                                const StratifiedKFold& cv, const Metric& metric) {
  // clang-format on
  using S = typename E::Scalar;
  detail::check_matrix_as<S>(X, "X");  // rows named in X's numbering, not a fold's
  detail::check_same_length(X.rows(), y.size());
  const std::vector<Fold> folds = cv.split(y);
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
    if constexpr (LabelMetric<Metric>) {
      const Eigen::VectorXi y_pred = model.predict(X_test);
      if constexpr (std::invocable<const Metric&, const Eigen::VectorXi&, const Eigen::VectorXi&>) {
        score = static_cast<double>(metric(y_test, y_pred));
      } else {
        score = static_cast<double>(metric(y_test, y_pred, detail::unweighted()));
      }
    } else {
      score = static_cast<double>(metric(std::as_const(model), X_test, y_test));
    }
    scores(static_cast<Eigen::Index>(f)) = score;
  }
  return scores;
}

OSPREY_NAMESPACE_END

/** \file
 *  `CalibratedClassifier`: cross-validated probability calibration of any probabilistic
 *  classifier, scikit-learn's `CalibratedClassifierCV(ensemble=True)`. Rows of X are samples.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/sample_weight.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../model_selection/stratified_kfold.hpp"
#include "isotonic.hpp"
#include "sigmoid.hpp"

OSPREY_NAMESPACE_BEGIN

/** The calibrator CalibratedClassifier fits on each fold. */
enum class CalibrationMethod {
  sigmoid,  ///< Platt scaling (SigmoidCalibrator); scikit-learn's default
  isotonic  ///< pool-adjacent-violators (IsotonicCalibrator); needs more data
};

/** Parameters of CalibratedClassifier, written with designated initialisers:
 *  `{.method = osprey::CalibrationMethod::isotonic, .cv = {.n_splits = 3}}`. */
struct CalibratedClassifierParams {
  CalibrationMethod method = CalibrationMethod::sigmoid;  ///< calibrator per class and fold
  StratifiedKFoldParams cv{};  ///< the folds (default 5, unshuffled: scikit-learn's cv=5)
};

namespace detail {

/** One fold of a fitted CalibratedClassifier: the estimator fitted on the fold's training rows
 *  and one calibrator per calibrated column (one for two classes, one per class otherwise);
 *  only the vector of the chosen method is filled. */
template <class E>
struct CalibratedFold {
  E estimator;
  std::vector<SigmoidCalibrator<typename E::Scalar>> sigmoid;
  std::vector<IsotonicCalibrator<typename E::Scalar>> isotonic;
};

template <class E>
struct CalibratedClassifierState {
  Eigen::VectorXi classes;  // sorted distinct labels
  std::vector<CalibratedFold<E>> folds;
};

/** True when E::fit takes a trailing sample_weight. */
template <class E>
concept FitsWithWeights = requires(E e, const Matrix<typename E::Scalar>& X,
                                   const Eigen::VectorXi& y, const Eigen::VectorXd& w) {
  e.fit(X, y, w);
};

}  // namespace detail

/** Cross-validated calibration (scikit-learn's `CalibratedClassifierCV(ensemble=True)`): for
 *  each StratifiedKFold fold, a copy of the estimator is fitted on the training rows and a
 *  calibrator on its `predict_proba` of the test rows - for two classes on the positive
 *  column, otherwise one-vs-rest on every class's column. predict_proba averages, over the
 *  folds, each fold's calibrated probabilities, normalised as scikit-learn does: for two classes
 *  p0 = 1 - p1; otherwise each row is divided by its sum (the uniform 1 / K when the sum is 0).
 *
 *  \code
 *  osprey::CalibratedClassifier<osprey::KNeighborsClassifier<>> model(
 *      osprey::KNeighborsClassifier<>({.n_neighbors = 15}),
 *      {.method = osprey::CalibrationMethod::isotonic, .cv = {.n_splits = 5}});
 *  model.fit(X, y);
 *  osprey::Matrix<double> p = model.predict_proba(Q);   // columns follow model.classes()
 *  \endcode
 *
 *  sample_weight reaches the calibrators (each fold's test weights) and the estimator's fit
 *  when E::fit takes one (scikit-learn likewise fits an estimator without sample_weight support
 *  unweighted).
 *
 *  \tparam E a ProbabilisticClassifier, copied once per fold; its Scalar is this one's.
 *  Complexity: n_splits fits of E and predictions on n rows in all, plus the calibrators'
 *  fits; predict_proba runs n_splits predictions. Thread safety: const methods as E's.
 */
template <ProbabilisticClassifier E>
class CalibratedClassifier {
  friend struct detail::Serial;

 public:
  using Scalar = typename E::Scalar;          ///< E's Scalar
  using Params = CalibratedClassifierParams;  ///< the parameters
  using Estimator = E;                        ///< the calibrated classifier type

  /** An unfitted model around a default-constructed E with the default Params. */
  CalibratedClassifier() = default;
  /** \throws InvalidArgument on a bad method or n_splits < 2. */
  explicit CalibratedClassifier(E estimator, const Params& params = {})
      : estimator_(std::move(estimator)), params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters (validated); the model becomes unfitted. */
  CalibratedClassifier& set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
    return *this;
  }
  /** The estimator as passed (the prototype every fold copies). */
  [[nodiscard]] const E& estimator() const noexcept { return estimator_; }

  /** Fits a copy of the estimator and its calibrators on every fold.
   *  \param X samples in rows. \param y labels, at least two classes.
   *  \param sample_weight optional per-row weights (see the class comment).
   *  \throws InvalidArgument if X is empty or non-finite, y's length differs, y holds one
   *  class, a weight is bad, a class has fewer than n_splits members (StratifiedKFold), or a
   *  fold's calibrator gets only zero weights; whatever E::fit throws. On a throw the model is
   *  left as it was. */
  template <class D>
  CalibratedClassifier& fit(const Eigen::MatrixBase<D>& X,
                            const Eigen::Ref<const Eigen::VectorXi>& y,
                            const SampleWeight& sample_weight = detail::unweighted()) {
    detail::check_matrix_as<Scalar>(X, "X");
    detail::check_same_length(X.rows(), y.size());
    detail::check_sample_weight(sample_weight, y.size());
    std::vector<int> labels(y.data(), y.data() + y.size());
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    if (labels.size() < 2) {
      detail::fail("CalibratedClassifier::fit: y holds one class (", labels.front(),
                   "); calibration needs at least two");
    }
    detail::CalibratedClassifierState<E> st;
    st.classes =
        Eigen::Map<const Eigen::VectorXi>(labels.data(), static_cast<Eigen::Index>(labels.size()));
    const Matrix<Scalar> Xs = X.template cast<Scalar>();
    for (const Fold& fold : StratifiedKFold(params_.cv).split(y)) {
      st.folds.push_back(fit_fold(Xs, y, sample_weight, fold, st.classes));
    }
    state_ = std::move(st);
    return *this;
  }

  /** Calibrated class probabilities, one row per sample, columns in classes() order, averaged
   *  over the folds; rows sum to 1 (up to rounding).
   *  \throws NotFittedError before fit; whatever E::predict_proba throws on X. */
  template <class D>
  [[nodiscard]] Matrix<Scalar> predict_proba(const Eigen::MatrixBase<D>& X) const {
    const auto& st = state();
    const auto k = st.classes.size();
    Eigen::MatrixXd mean = Eigen::MatrixXd::Zero(X.rows(), k);
    for (const auto& fold : st.folds) mean += fold_proba(fold, X, k);
    mean /= static_cast<double>(st.folds.size());
    return mean.cast<Scalar>();
  }

  /** The class of largest calibrated probability per row (the first on ties).
   *  \throws as predict_proba. */
  template <class D>
  [[nodiscard]] Eigen::VectorXi predict(const Eigen::MatrixBase<D>& X) const {
    const Matrix<Scalar> p = predict_proba(X);
    Eigen::VectorXi out(p.rows());
    for (Eigen::Index i = 0; i < p.rows(); ++i) {
      Eigen::Index best = 0;
      p.row(i).maxCoeff(&best);
      out(i) = state().classes(best);
    }
    return out;
  }

  /** The sorted class labels seen by fit. \throws NotFittedError before fit. */
  [[nodiscard]] const Eigen::VectorXi& classes() const { return state().classes; }
  /** Number of (estimator, calibrators) pairs: params().cv.n_splits. \throws NotFittedError. */
  [[nodiscard]] std::size_t n_folds() const { return state().folds.size(); }
  /** The estimator fitted on fold f's training rows. \throws NotFittedError; InvalidArgument if
   *  f >= n_folds(). */
  [[nodiscard]] const E& fold_estimator(std::size_t f) const {
    const auto& st = state();
    detail::check_param(f < st.folds.size(), "fold", f, "< n_folds()");
    return st.folds[f].estimator;
  }
  /** True once fit has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }

 private:
  static Params validated(const Params& p) {
    const int m = static_cast<int>(p.method);
    detail::check_param(m == 0 || m == 1, "method", m, "sigmoid or isotonic");
    (void)StratifiedKFold(p.cv);  // validates n_splits
    return p;
  }

  const detail::CalibratedClassifierState<E>& state() const {
    detail::check_fitted(state_.has_value(), "CalibratedClassifier");
    return *state_;
  }

  /** Fits the estimator on fold.train and the calibrators on its probabilities of fold.test. */
  detail::CalibratedFold<E> fit_fold(const Matrix<Scalar>& X,
                                     const Eigen::Ref<const Eigen::VectorXi>& y,
                                     const SampleWeight& w, const Fold& fold,
                                     const Eigen::VectorXi& classes) const {
    detail::CalibratedFold<E> out{estimator_, {}, {}};
    const Matrix<Scalar> X_train = X(fold.train, Eigen::all);
    const Eigen::VectorXi y_train = y(fold.train);
    if constexpr (detail::FitsWithWeights<E>) {
      if (detail::is_weighted(w)) {
        const Eigen::VectorXd w_train = w(fold.train);
        out.estimator.fit(X_train, y_train, w_train);
      } else {
        out.estimator.fit(X_train, y_train);
      }
    } else {
      out.estimator.fit(X_train, y_train);
    }
    if (out.estimator.classes() != classes) {
      detail::fail(
          "CalibratedClassifier::fit: the estimator fitted on a fold does not know "
          "every class");
    }
    const Matrix<Scalar> P = out.estimator.predict_proba(X(fold.test, Eigen::all));
    const Eigen::VectorXd w_test =
        detail::is_weighted(w) ? Eigen::VectorXd(w(fold.test)) : Eigen::VectorXd();
    const Eigen::Index first = classes.size() == 2 ? 1 : 0;
    for (Eigen::Index c = first; c < classes.size(); ++c) {
      const Eigen::VectorXi target = (y(fold.test).array() == classes(c)).template cast<int>();
      const Vector<Scalar> scores = P.col(c);
      if (params_.method == CalibrationMethod::sigmoid) {
        out.sigmoid.emplace_back().fit(scores, target, w_test);
      } else {
        out.isotonic.emplace_back().fit(scores, target, w_test);
      }
    }
    return out;
  }

  /** One fold's calibrated, normalised probabilities of X (double). */
  template <class D>
  Eigen::MatrixXd fold_proba(const detail::CalibratedFold<E>& fold, const Eigen::MatrixBase<D>& X,
                             Eigen::Index k) const {
    const Matrix<Scalar> P = fold.estimator.predict_proba(X);
    Eigen::MatrixXd proba = Eigen::MatrixXd::Zero(P.rows(), k);
    const Eigen::Index first = k == 2 ? 1 : 0;
    for (Eigen::Index c = first; c < k; ++c) {
      const Vector<Scalar> scores = P.col(c);
      const auto j = static_cast<std::size_t>(c - first);
      proba.col(c) =
          (params_.method == CalibrationMethod::sigmoid ? fold.sigmoid[j].predict(scores)
                                                        : fold.isotonic[j].predict(scores))
              .template cast<double>();
    }
    if (k == 2) {
      proba.col(0) = 1.0 - proba.col(1).array();
    } else {
      for (Eigen::Index i = 0; i < proba.rows(); ++i) {
        const double sum = proba.row(i).sum();
        if (sum != 0.0) {
          proba.row(i) /= sum;
        } else {
          proba.row(i).setConstant(1.0 / static_cast<double>(k));
        }
      }
    }
    // scikit-learn: probabilities a hair above 1 become 1
    proba = (proba.array() > 1.0 && proba.array() <= 1.0 + 1e-5).select(1.0, proba);
    return proba;
  }

  E estimator_{};
  Params params_{};
  std::optional<detail::CalibratedClassifierState<E>> state_;
};

OSPREY_NAMESPACE_END

/** \file
 *  A binary classifier whose decision threshold is tuned by cross-validation (scikit-learn
 *  1.5's `TunedThresholdClassifierCV`): the wrapped estimator's out-of-fold probabilities of
 *  the positive class pick the threshold for a cost matrix, an F-beta or a precision at a
 *  fixed recall (metrics/thresholds.hpp), then the estimator is refitted on all the data.
 *  Rows of X are samples.
 */
#pragma once

#include <Eigen/Core>
#include <concepts>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "../core/concepts.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../metrics/thresholds.hpp"
#include "cross_validate.hpp"
#include "stratified_kfold.hpp"

OSPREY_NAMESPACE_BEGIN

/** What TunedThresholdClassifier optimises on the out-of-fold probabilities. */
enum class ThresholdObjective : std::uint8_t {
  cost,                ///< least expected cost for (cost_fp, cost_fn): threshold_for_cost
  f_beta,              ///< greatest F-beta: threshold_for_f_beta
  precision_at_recall  ///< greatest precision with recall >= min_recall: threshold_for_recall
};

/** Parameters of TunedThresholdClassifier, written with designated initialisers:
 *  `{.objective = osprey::ThresholdObjective::cost, .cost_fp = 1, .cost_fn = 50}`. */
struct TunedThresholdParams {
  ThresholdObjective objective = ThresholdObjective::f_beta;  ///< what the threshold optimises
  double cost_fp = 1.0;        ///< cost of a false alarm (objective cost), finite, >= 0
  double cost_fn = 1.0;        ///< cost of a missed positive (objective cost), finite, >= 0
  double beta = 1.0;           ///< F-beta's beta (objective f_beta), finite, > 0
  double min_recall = 0.5;     ///< recall floor (objective precision_at_recall), in [0, 1]
  StratifiedKFoldParams cv{};  ///< the folds of the out-of-fold predictions (5, no shuffle)
};

namespace detail {

/** Throws InvalidArgument naming the first bad parameter. */
inline void validate(const TunedThresholdParams& p) {
  constexpr auto n = "TunedThresholdClassifier: ";
  const auto o = static_cast<int>(p.objective);
  check_param(o >= 0 && o <= 2, concat(n, "objective"), o, "cost, f_beta or precision_at_recall");
  check_param(std::isfinite(p.cost_fp) && p.cost_fp >= 0.0, concat(n, "cost_fp"), p.cost_fp,
              "finite and >= 0");
  check_param(std::isfinite(p.cost_fn) && p.cost_fn >= 0.0, concat(n, "cost_fn"), p.cost_fn,
              "finite and >= 0");
  check_param(std::isfinite(p.beta) && p.beta > 0.0, concat(n, "beta"), p.beta, "finite and > 0");
  check_param(std::isfinite(p.min_recall) && p.min_recall >= 0.0 && p.min_recall <= 1.0,
              concat(n, "min_recall"), p.min_recall, "in [0, 1]");
  check_param(p.cv.n_splits >= 2, concat(n, "cv.n_splits"), p.cv.n_splits, ">= 2");
}

/** The fitted state of a TunedThresholdClassifier. */
template <class E>
struct TunedThresholdState {
  E estimator;             // refitted on all rows
  ThresholdChoice choice;  // on the out-of-fold probabilities
  double score = 0.0;      // the objective's value at the choice
};

}  // namespace detail

/** A binary ProbabilisticClassifier whose decision threshold is tuned on out-of-fold
 *  predictions (scikit-learn's `TunedThresholdClassifierCV`, with a StratifiedKFold).
 *
 *  fit(X, y): y must hold exactly two labels; the positive class is the greater one,
 *  `classes()(1)` (scikit-learn's default pos_label). The out-of-fold probabilities of the
 *  positive class (each row predicted by a copy of the estimator fitted on the other folds)
 *  choose the threshold by `params().objective`:
 *  - `cost`: threshold_for_cost(cost_fp, cost_fn); score() is the mean cost per sample;
 *  - `f_beta`: threshold_for_f_beta(beta); score() is F-beta from the choice's precision and
 *    recall (0 when both are 0);
 *  - `precision_at_recall`: threshold_for_recall(min_recall); score() is the precision.
 *  Ties go to the higher threshold; see metrics/thresholds.hpp. Then a copy of the estimator is
 *  fitted on all rows. predict(X) is `classes()(1)` where `predict_proba(X)(i, 1) >=
 *  best_threshold()` and `classes()(0)` elsewhere; a threshold of +inf predicts no positive.
 *
 *  \code
 *  osprey::TunedThresholdClassifier<osprey::KNeighborsClassifier<>> clf(
 *      osprey::KNeighborsClassifier<>({.n_neighbors = 15}),
 *      {.objective = osprey::ThresholdObjective::cost, .cost_fp = 1.0, .cost_fn = 50.0});
 *  clf.fit(X, y);
 *  const double t = clf.best_threshold();
 *  \endcode
 *  \tparam E a ProbabilisticClassifier, copied for each fold and for the final fit.
 *  Thread safety: const members may run concurrently when E's do. */
template <ProbabilisticClassifier E>
class TunedThresholdClassifier {
  friend struct detail::Serial;

 public:
  using Scalar = typename E::Scalar;    ///< the wrapped estimator's Scalar
  using Estimator = E;                  ///< the wrapped estimator type
  using Params = TunedThresholdParams;  ///< parameters, see TunedThresholdParams

  /** Wraps a default-constructed estimator with default parameters. */
  TunedThresholdClassifier() requires std::default_initializable<E>
  = default;
  /** Wraps `estimator` (its parameters; it is copied, not fitted in place).
   *  \throws InvalidArgument naming the first bad parameter. */
  explicit TunedThresholdClassifier(E estimator, const Params& params = {})
      : estimator_(std::move(estimator)), params_(params) {
    detail::validate(params_);
  }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters (the fitted state, if any, is kept until the next fit).
   *  \throws InvalidArgument naming the first bad parameter (nothing changed). */
  TunedThresholdClassifier& set_params(const Params& params) {
    detail::validate(params);
    params_ = params;
    return *this;
  }
  /** The wrapped estimator as given (unfitted prototype). */
  [[nodiscard]] const E& estimator() const noexcept { return estimator_; }
  /** True after a successful fit. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }

  /** Tunes the threshold on out-of-fold probabilities of params().cv's StratifiedKFold, then
   *  refits on all rows: `fit(X, y, StratifiedKFold(params().cv))`.
   *  \param X samples in rows. \param y labels, exactly two distinct values.
   *  \throws as the three-argument fit, and InvalidArgument when a class has fewer members
   *          than cv.n_splits (from StratifiedKFold::split).
   *  Complexity: cv.n_splits + 1 fits, n_splits predict_proba, one threshold search. */
  template <class D>
  TunedThresholdClassifier& fit(const Eigen::MatrixBase<D>& X,
                                const Eigen::Ref<const Eigen::VectorXi>& y) {
    return fit(X, y, StratifiedKFold(params_.cv));
  }

  /** Tunes the threshold on the out-of-fold probabilities of any partitioning splitter
   *  (`cross_val_predict(estimator(), X, y, cv, Method::predict_proba)`), e.g.
   *  `with_groups(GroupKFold(...), card)` so that no card's rows tune the threshold of a model
   *  that saw them; then refits on all rows. params().cv is not used.
   *  \param X samples in rows. \param y labels, exactly two distinct values.
   *  \param cv the splitter; its folds must partition the rows.
   *  \throws InvalidArgument when X is empty or non-finite, the lengths differ, y does not
   *          hold exactly two labels, the folds do not partition the rows, or whatever
   *          the splitter or E::fit throws; the previous state is kept.
   *  Complexity: one fit per fold plus one, a predict_proba per fold, one threshold search. */
  template <class D, Splitter CV>
  TunedThresholdClassifier& fit(const Eigen::MatrixBase<D>& X,
                                const Eigen::Ref<const Eigen::VectorXi>& y, const CV& cv) {
    detail::check_matrix_as<Scalar>(X, "X");
    detail::check_same_length(X.rows(), y.size());
    const int lo = y.minCoeff(), hi = y.maxCoeff();
    const auto two = ((y.array() == lo) || (y.array() == hi)).count();
    if (lo == hi || two != y.size()) {
      detail::fail("TunedThresholdClassifier::fit: y must hold exactly two classes (",
                   lo == hi ? "it holds one" : "it holds more", ")");
    }
    // Columns in sorted label order: column 1 is the positive class, hi (0 in a fold whose
    // training rows lack it, as scikit-learn's cross_val_predict).
    const Vector<Scalar> proba =
        cross_val_predict(estimator_, X, y, cv, Method::predict_proba).col(1);
    const Eigen::VectorXi y01 = (y.array() == hi).template cast<int>();
    detail::TunedThresholdState<E> s{estimator_, tune(y01, proba), 0.0};
    s.score = objective_value(s.choice);
    s.estimator.fit(X.template cast<Scalar>().eval(), y);
    state_ = std::move(s);
    return *this;
  }

  /** Class probabilities of the refitted estimator, columns in classes() order.
   *  \throws NotFittedError before fit, and whatever E::predict_proba throws. */
  template <class D>
  [[nodiscard]] Matrix<Scalar> predict_proba(const Eigen::MatrixBase<D>& X) const {
    return state().estimator.predict_proba(X);
  }

  /** classes()(1) where the positive-class probability is >= best_threshold(), else
   *  classes()(0). \throws as predict_proba. */
  template <class D>
  [[nodiscard]] Eigen::VectorXi predict(const Eigen::MatrixBase<D>& X) const {
    const auto& s = state();
    const Matrix<Scalar> proba = s.estimator.predict_proba(X);
    const Eigen::VectorXi& c = s.estimator.classes();
    Eigen::VectorXi out(proba.rows());
    for (Eigen::Index i = 0; i < proba.rows(); ++i) {
      out(i) = static_cast<double>(proba(i, 1)) >= s.choice.threshold ? c(1) : c(0);
    }
    return out;
  }

  /** The two labels, ascending; the second is the positive class. \throws NotFittedError. */
  [[nodiscard]] const Eigen::VectorXi& classes() const { return state().estimator.classes(); }
  /** The tuned threshold on the positive-class probability (+inf: never positive).
   *  \throws NotFittedError before fit. */
  [[nodiscard]] double best_threshold() const { return state().choice.threshold; }
  /** The choice on the out-of-fold probabilities (its rates are out-of-fold estimates).
   *  \throws NotFittedError before fit. */
  [[nodiscard]] const ThresholdChoice& choice() const { return state().choice; }
  /** The objective at the choice: mean cost (cost), F-beta (f_beta) or precision
   *  (precision_at_recall), out of fold. \throws NotFittedError before fit. */
  [[nodiscard]] double score() const { return state().score; }
  /** The estimator refitted on all rows. \throws NotFittedError before fit. */
  [[nodiscard]] const E& fitted_estimator() const { return state().estimator; }

 private:
  [[nodiscard]] const detail::TunedThresholdState<E>& state() const {
    detail::check_fitted(state_.has_value(), "TunedThresholdClassifier");
    return *state_;
  }

  [[nodiscard]] ThresholdChoice tune(const Eigen::VectorXi& y01,
                                     const Vector<Scalar>& proba) const {
    switch (params_.objective) {
      case ThresholdObjective::cost:
        return threshold_for_cost(y01, proba, params_.cost_fp, params_.cost_fn);
      case ThresholdObjective::f_beta:
        return threshold_for_f_beta(y01, proba, params_.beta);
      case ThresholdObjective::precision_at_recall:
        break;
    }
    return threshold_for_recall(y01, proba, params_.min_recall);
  }

  [[nodiscard]] double objective_value(const ThresholdChoice& c) const {
    switch (params_.objective) {
      case ThresholdObjective::cost:
        return c.expected_cost;
      case ThresholdObjective::f_beta: {
        const double b2 = params_.beta * params_.beta;
        const double den = b2 * c.precision + c.recall;
        return den > 0.0 ? (1.0 + b2) * c.precision * c.recall / den : 0.0;
      }
      case ThresholdObjective::precision_at_recall:
        break;
    }
    return c.precision;
  }

  E estimator_{};
  Params params_{};
  std::optional<detail::TunedThresholdState<E>> state_;
};

OSPREY_NAMESPACE_END

/** \file
 *  A pipeline of steps fitted as one estimator (scikit-learn's and imbalanced-learn's
 *  `make_pipeline`): transformers (scalers), at most one resampler (SMOTE, under-sampling), then
 *  the final estimator. The resampler runs in `fit` only, as in imbalanced-learn's Pipeline, so
 *  cross-validating the pipeline resamples each training fold and never the rows it is tested
 *  on. Rows of X are samples.
 *
 *  \code
 *  auto model = osprey::make_pipeline(osprey::StandardScaler<>(),
 *                                     osprey::RandomUnderSampler<>({.random_state = 3}),
 *                                     osprey::KNeighborsClassifier<>({.n_neighbors = 7}));
 *  Eigen::MatrixXd oof = osprey::cross_val_predict(model, X, y,
 *      osprey::with_groups(osprey::GroupKFold(), card_id), osprey::Method::predict_proba);
 *  \endcode
 */
#pragma once

#include <Eigen/Core>
#include <concepts>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../core/concepts.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN

namespace detail {

/** A step a pipeline may end with. */
template <class E>
concept FinalEstimator = Classifier<E> || Regressor<E> || OutlierDetector<E>;

/** A step a pipeline may hold before its final estimator. */
template <class E>
concept IntermediateStep = Transformer<E> || Resampler<E>;

/** Number of resamplers among Steps. */
template <class... Steps>
inline constexpr std::size_t resampler_count = (std::size_t{0} + ... +
                                                (Resampler<Steps> ? std::size_t{1} : 0));

/** True when every step but the last is a transformer or a resampler. */
template <class Tuple, std::size_t... Is>
constexpr bool intermediate_steps_ok(std::index_sequence<Is...>) {
  return (IntermediateStep<std::tuple_element_t<Is, Tuple>> && ...);
}

/** X as a Matrix<S>: X itself when it is one, else an evaluated copy converted to S. */
template <class S, class D>
decltype(auto) as_matrix(const Eigen::MatrixBase<D>& X) {
  if constexpr (std::is_same_v<D, Matrix<S>>) {
    return (X.derived());
  } else {
    return Matrix<S>(X.template cast<S>());
  }
}

/** Tag of the constructor the model loader uses. */
struct PipelineLoaded {};

}  // namespace detail

/** Transformers, at most one resampler, then a final estimator, fitted and used as one model;
 *  built by make_pipeline.
 *
 *  `fit(X, y)` fits each transformer on the data as it stands and transforms it, resamples it
 *  with the resampler (fit only), and fits the final estimator on the result. `predict`,
 *  `predict_proba`, `decision_function` and `score_samples` pass X through the fitted
 *  transformers (never the resampler) into the final estimator's method of that name, and
 *  exist exactly when the final estimator has it; `classes()` likewise. So the pipeline
 *  satisfies the final estimator's concept (Classifier, ProbabilisticClassifier, Regressor or
 *  OutlierDetector) and works with cross_val_score and cross_val_predict.
 *
 *  A step receives a `Matrix` of its own `Scalar` (data are converted between steps whose
 *  Scalars differ). A failed fit leaves the pipeline as it was (the steps are fitted on a copy).
 *
 *  \tparam Steps the step types: each but the last a Transformer or a Resampler (at most one
 *          Resampler), the last a Classifier, Regressor or OutlierDetector; checked at compile
 *          time with readable messages.
 *  Complexity: the steps'. Thread safety: const methods may run concurrently when the steps'
 *  const methods may. */
template <class... Steps>
class Pipeline {
  static_assert(sizeof...(Steps) >= 1, "make_pipeline: give at least the final estimator");
  using Tuple = std::tuple<Steps...>;
  static constexpr std::size_t N = sizeof...(Steps);
  using Last = std::tuple_element_t<N - 1, Tuple>;
  static_assert(!Resampler<Last>,
                "make_pipeline: a resampler cannot be the last step: it runs in fit only, so the "
                "pipeline must end with an estimator (Classifier, Regressor or OutlierDetector)");
  static_assert(detail::resampler_count<Steps...> <= 1,
                "make_pipeline: at most one resampler (SMOTE, under-sampling, ...) per pipeline");
  static_assert(detail::FinalEstimator<Last>,
                "make_pipeline: the last step must be a Classifier, Regressor or OutlierDetector");
  static_assert(detail::intermediate_steps_ok<Tuple>(std::make_index_sequence<N - 1>{}),
                "make_pipeline: every step before the last must be a Transformer (fit, transform, "
                "inverse_transform) or a Resampler (fit_resample)");

 public:
  using Scalar = typename Last::Scalar;      ///< the final estimator's Scalar
  static constexpr std::size_t n_steps = N;  ///< number of steps, the final estimator included

  /** Default-constructed steps. */
  // clang-format off
  Pipeline() requires(std::default_initializable<Steps> && ...) = default;
  // clang-format on
  /** The given steps (copied or moved), unfitted or not: fit refits them all. */
  explicit Pipeline(Steps... steps) : steps_(std::move(steps)...) {}

  /** Step I (0-based), e.g. `pipe.step<0>().mean()` for a fitted StandardScaler first. */
  template <std::size_t I>
  [[nodiscard]] const auto& step() const noexcept {
    static_assert(I < N, "Pipeline::step<I>: I is not a step index");
    return std::get<I>(steps_);
  }
  /** The final estimator. */
  [[nodiscard]] const Last& final_estimator() const noexcept { return std::get<N - 1>(steps_); }
  /** True once fit has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return fitted_; }

  /** Fits every step on (X, y) in order (see the class comment).
   *  \throws whatever a step throws (InvalidArgument for bad X or y, ...); the pipeline is then
   *  left as it was. Complexity: the steps' fits and transforms. */
  template <class D, class Y>
  requires requires(Last& e, const Matrix<Scalar>& M, const Y& y) { e.fit(M, y); }
  Pipeline& fit(const Eigen::MatrixBase<D>& X, const Y& y) {
    Tuple fresh = steps_;
    fit_from<0>(fresh, detail::as_matrix<typename std::tuple_element_t<0, Tuple>::Scalar>(X), y);
    steps_ = std::move(fresh);
    fitted_ = true;
    return *this;
  }

  /** Fits an unsupervised pipeline (final OutlierDetector) on X; a resampler needs labels, so a
   *  pipeline with one must be fitted with fit(X, y). \throws as fit(X, y). */
  template <class D>
  requires requires(Last& e, const Matrix<Scalar>& M) { e.fit(M); }
  Pipeline& fit(const Eigen::MatrixBase<D>& X) {
    static_assert(detail::resampler_count<Steps...> == 0,
                  "Pipeline::fit(X): a pipeline with a resampler needs labels; call fit(X, y)");
    Tuple fresh = steps_;
    fit_from<0>(fresh, detail::as_matrix<typename std::tuple_element_t<0, Tuple>::Scalar>(X),
                NoLabels{});
    steps_ = std::move(fresh);
    fitted_ = true;
    return *this;
  }

  /** The final estimator's predict of X passed through the fitted transformers.
   *  \throws NotFittedError before fit; whatever the steps throw. */
  template <class D>
  requires requires(const Last& e, const Matrix<Scalar>& M) { e.predict(M); }
  [[nodiscard]] auto predict(const Eigen::MatrixBase<D>& X) const {
    return final_estimator().predict(features(X));
  }
  /** The final estimator's predict_proba (columns in classes() order). \throws as predict. */
  template <class D>
  requires requires(const Last& e, const Matrix<Scalar>& M) { e.predict_proba(M); }
  [[nodiscard]] auto predict_proba(const Eigen::MatrixBase<D>& X) const {
    return final_estimator().predict_proba(features(X));
  }
  /** The final estimator's decision_function. \throws as predict. */
  template <class D>
  requires requires(const Last& e, const Matrix<Scalar>& M) { e.decision_function(M); }
  [[nodiscard]] auto decision_function(const Eigen::MatrixBase<D>& X) const {
    return final_estimator().decision_function(features(X));
  }
  /** The final estimator's score_samples. \throws as predict. */
  template <class D>
  requires requires(const Last& e, const Matrix<Scalar>& M) { e.score_samples(M); }
  [[nodiscard]] auto score_samples(const Eigen::MatrixBase<D>& X) const {
    return final_estimator().score_samples(features(X));
  }
  /** The final estimator's classes (the column order of predict_proba).
   *  \throws NotFittedError before fit. */
  [[nodiscard]] decltype(auto) classes() const requires requires(const Last& e) { e.classes(); }
  {
    detail::check_fitted(fitted_, "Pipeline");
    return final_estimator().classes();
  }

  /** X passed through the fitted transformers (the resampler skipped): what the final
   *  estimator sees at prediction. \throws NotFittedError before fit; whatever a transformer
   *  throws. */
  template <class D>
  [[nodiscard]] Matrix<Scalar> features(const Eigen::MatrixBase<D>& X) const {
    detail::check_fitted(fitted_, "Pipeline");
    return transform_from<0>(detail::as_matrix<typename std::tuple_element_t<0, Tuple>::Scalar>(X));
  }

 private:
  friend struct detail::Serial;
  struct NoLabels {};

  Pipeline(detail::PipelineLoaded /*tag*/, Tuple steps) : steps_(std::move(steps)), fitted_(true) {}

  template <std::size_t I, class M, class Y>
  static void fit_from(Tuple& steps, const M& X, const Y& y) {
    using Step = std::tuple_element_t<I, Tuple>;
    Step& step = std::get<I>(steps);
    if constexpr (I + 1 == N) {
      if constexpr (std::is_same_v<Y, NoLabels>) {
        step.fit(X);
      } else {
        step.fit(X, y);
      }
    } else {
      using Next = typename std::tuple_element_t<I + 1, Tuple>::Scalar;
      if constexpr (Resampler<Step>) {
        const Resampled<typename Step::Scalar> r = step.fit_resample(X, y);
        fit_from<I + 1>(steps, detail::as_matrix<Next>(r.X), r.y);
      } else {
        step.fit(X);
        const Matrix<typename Step::Scalar> Z = step.transform(X);
        fit_from<I + 1>(steps, detail::as_matrix<Next>(Z), y);
      }
    }
  }

  template <std::size_t I, class M>
  [[nodiscard]] Matrix<Scalar> transform_from(const M& X) const {
    if constexpr (I + 1 == N) {
      return X;
    } else {
      using Step = std::tuple_element_t<I, Tuple>;
      using Next = typename std::tuple_element_t<I + 1, Tuple>::Scalar;
      if constexpr (Resampler<Step>) {
        return transform_from<I + 1>(detail::as_matrix<Next>(X));
      } else {
        const Matrix<typename Step::Scalar> Z = std::get<I>(steps_).transform(X);
        return transform_from<I + 1>(detail::as_matrix<Next>(Z));
      }
    }
  }

  Tuple steps_{};
  bool fitted_ = false;
};

/** Builds a Pipeline from its steps: transformers..., at most one resampler (applied in fit
 *  only), then the final estimator, e.g. `make_pipeline(StandardScaler<>(), Smote<>(),
 *  KNeighborsClassifier<>())`. The steps are copied (or moved) in.
 *  \returns a `Pipeline<Steps...>` that satisfies the final estimator's concept.
 *  Misuse (two resamplers, a resampler or a transformer last, a step that is neither) fails to
 *  compile with a message naming the rule. */
template <class... Steps>
[[nodiscard]] Pipeline<std::decay_t<Steps>...> make_pipeline(Steps&&... steps) {
  return Pipeline<std::decay_t<Steps>...>(std::forward<Steps>(steps)...);
}

OSPREY_NAMESPACE_END

/** \file
 *  The estimator concepts. Every estimator exposes `using Scalar = ...;` and satisfies one of
 *  these; each estimator's test file checks it with a `static_assert`.
 */
#pragma once

#include <Eigen/Core>
#include <concepts>

#include "types.hpp"

OSPREY_NAMESPACE_BEGIN

/** An estimator that learns from (X, y) with integer labels and predicts labels. */
template <class E>
concept Classifier = requires(E e, const E ce, const Matrix<typename E::Scalar>& X,
                              const Eigen::VectorXi& y) {
  { e.fit(X, y) } -> std::same_as<E&>;
  { ce.predict(X) } -> std::convertible_to<Eigen::VectorXi>;
};

/** A classifier that also gives class probabilities, one column per class in `classes()`. */
template <class E>
concept ProbabilisticClassifier = Classifier<E> &&
    requires(const E ce, const Matrix<typename E::Scalar>& X) {
  { ce.predict_proba(X) } -> std::convertible_to<Matrix<typename E::Scalar>>;
  { ce.classes() } -> std::convertible_to<Eigen::VectorXi>;
};

/** An estimator that learns from (X, y) with real targets and predicts real values. */
template <class E>
concept Regressor = requires(E e, const E ce, const Matrix<typename E::Scalar>& X,
                             const Vector<typename E::Scalar>& y) {
  { e.fit(X, y) } -> std::same_as<E&>;
  { ce.predict(X) } -> std::convertible_to<Vector<typename E::Scalar>>;
};

/** An unsupervised detector: higher `score_samples` is more normal, `predict` gives +1 for an
 *  inlier and -1 for an outlier (scikit-learn's conventions). */
template <class E>
concept OutlierDetector = requires(E e, const E ce, const Matrix<typename E::Scalar>& X) {
  { e.fit(X) } -> std::same_as<E&>;
  { ce.score_samples(X) } -> std::convertible_to<Vector<typename E::Scalar>>;
  { ce.decision_function(X) } -> std::convertible_to<Vector<typename E::Scalar>>;
  { ce.predict(X) } -> std::convertible_to<Eigen::VectorXi>;
};

/** A sampler that returns a new, rebalanced data set. */
template <class E>
concept Resampler = requires(E e, const Matrix<typename E::Scalar>& X, const Eigen::VectorXi& y) {
  { e.fit_resample(X, y) } -> std::same_as<Resampled<typename E::Scalar>>;
};

namespace detail {
template <class E>
concept HasScalarType = requires {
  typename E::Scalar;
};
template <class E>
concept HasSampleType = HasScalarType<E> && requires {
  typename E::Sample;
};

/** The sample a stream detector's `update` takes: `E::Sample` where E names one (a bank of
 *  charts takes a vector, one value per series), otherwise `E::Scalar`. */
template <class E>
struct stream_sample {};
template <HasScalarType E>
struct stream_sample<E> {
  using type = typename E::Scalar;
};
template <HasSampleType E>
struct stream_sample<E> {
  using type = typename E::Sample;
};
}  // namespace detail

/** An online detector fed one sample at a time: `update(x)` with x an `E::Sample` where E
 *  names one (the banks of control charts: one value per series), otherwise an `E::Scalar`. */
template <class E>
concept StreamDetector = requires(E e, const typename detail::stream_sample<E>::type& x) {
  {e.update(x)};
  {e.reset()};
};

/** A transformer fitted on X that maps X to a new X of the same shape (the scalers). */
template <class E>
concept Transformer = requires(E e, const E ce, const Matrix<typename E::Scalar>& X) {
  { e.fit(X) } -> std::same_as<E&>;
  { ce.transform(X) } -> std::convertible_to<Matrix<typename E::Scalar>>;
  { ce.inverse_transform(X) } -> std::convertible_to<Matrix<typename E::Scalar>>;
};

OSPREY_NAMESPACE_END

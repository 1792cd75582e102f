/** \file
 *  Undoing the prior shift of a resampled training set: `correct_for_undersampling` maps a
 *  probability learnt on resampled data back to the original class balance, and
 *  `resampling_beta` gives the beta to use for any resampler (undersampling, SMOTE, ADASYN).
 *
 *  Reference: A. Dal Pozzolo, O. Caelen, R. A. Johnson, G. Bontempi, "Calibrating probability
 *  with undersampling for unbalanced classification", IEEE SSCI 2015, equation (4).
 */
#pragma once

#include <Eigen/Core>
#include <cmath>

#include "../core/types.hpp"
#include "../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN

/** The probability on the original class balance of a probability `p_s` learnt after
 *  resampling: p = beta p_s / (beta p_s - p_s + 1) (Dal Pozzolo et al. 2015).
 *
 *  beta is the fraction of negatives kept: undersampling the negative (majority) class to
 *  beta N- rows while keeping every positive multiplies the odds by 1 / beta, so
 *  p / (1 - p) = beta p_s / (1 - p_s). More generally beta is the original class ratio over the
 *  resampled one, (N+ / N-) / (N+' / N-'): see `resampling_beta`, which also covers
 *  oversamplers (SMOTE growing the positives k-fold gives beta = 1 / k). The correction assumes
 *  the resampling changed only the class priors, not P(x | y) - exact for random undersampling,
 *  an approximation for SMOTE's synthetic rows.
 *
 *  \code
 *  // RandomUnderSampler kept 10% of the negatives:
 *  Eigen::VectorXd p = osprey::correct_for_undersampling(model_proba.col(1), 0.1);
 *  \endcode
 *  \param probabilities P(y = 1 | x) from the model trained on resampled data, each in [0, 1].
 *  \param beta in (0, 1]; 1 leaves the probabilities unchanged.
 *  \returns the corrected probabilities, same length and Scalar; 0 and 1 stay 0 and 1, and the
 *  map is increasing, so rankings (ROC AUC) are unchanged.
 *  \throws InvalidArgument if beta is outside (0, 1] or NaN, or a probability is NaN or outside
 *  [0, 1] (naming the index).
 *  Complexity O(n). Thread safety: pure function. */
template <class Derived>
[[nodiscard]] Vector<typename Derived::Scalar> correct_for_undersampling(
    const Eigen::MatrixBase<Derived>& probabilities, double beta) {
  using S = typename Derived::Scalar;
  detail::check_param(beta > 0.0 && beta <= 1.0, "beta", beta, "in (0, 1]");
  if (probabilities.cols() != 1) {
    detail::fail("correct_for_undersampling: probabilities must be one column (got ",
                 probabilities.cols(), " columns)");
  }
  Vector<S> out(probabilities.rows());
  for (Eigen::Index i = 0; i < probabilities.rows(); ++i) {
    const auto p = static_cast<double>(probabilities(i, 0));
    if (!(p >= 0.0 && p <= 1.0)) {
      detail::fail("correct_for_undersampling: probabilities must lie in [0, 1] (index ", i, " is ",
                   p, ")");
    }
    // beta p / (beta p - p + 1), written so that p = 0 and p = 1 map to themselves exactly
    out(i) = static_cast<S>(beta * p / (beta * p + (1.0 - p)));
  }
  return out;
}

/** The beta of correct_for_undersampling for any resampler: the ratio of the original class
 *  ratio to the resampled one, (n_pos / n_neg) / (n_pos_resampled / n_neg_resampled).
 *
 *  - RandomUnderSampler keeping every positive: beta = n_neg_resampled / n_neg. With a float
 *    `sampling_strategy` alpha (= N+ / N-' after resampling), beta = n_pos / (alpha n_neg).
 *  - An oversampler (SMOTE, ADASYN, RandomOverSampler) keeping every negative:
 *    beta = n_pos / n_pos_resampled, i.e. 1 / k when the positives grew k-fold; with a float
 *    `sampling_strategy` alpha, beta = n_pos / (alpha n_neg).
 *  - Both at once (SMOTETomek, or under- then oversampling): the general ratio above.
 *
 *  \throws InvalidArgument unless every count is finite and > 0, or if the result exceeds 1
 *  (the resampling made positives rarer, not more common: the correction would not be a prior
 *  shift of the kind described by Dal Pozzolo et al.).
 *  Complexity O(1). */
[[nodiscard]] inline double resampling_beta(double n_pos, double n_neg, double n_pos_resampled,
                                            double n_neg_resampled) {
  const auto positive = [](double v) { return std::isfinite(v) && v > 0.0; };
  detail::check_param(positive(n_pos), "n_pos", n_pos, "finite and > 0");
  detail::check_param(positive(n_neg), "n_neg", n_neg, "finite and > 0");
  detail::check_param(positive(n_pos_resampled), "n_pos_resampled", n_pos_resampled,
                      "finite and > 0");
  detail::check_param(positive(n_neg_resampled), "n_neg_resampled", n_neg_resampled,
                      "finite and > 0");
  const double beta = (n_pos / n_neg) / (n_pos_resampled / n_neg_resampled);
  detail::check_param(beta <= 1.0, "resampling_beta", beta,
                      "<= 1 (the resampled data must not hold a smaller share of positives)");
  return beta;
}

/** resampling_beta from the labels before and after resampling: counts `positive` (default 1)
 *  against every other label in `y` and in `y_resampled`.
 *  \throws InvalidArgument as the count overload (a class absent from either vector). */
[[nodiscard]] inline double resampling_beta(const Eigen::Ref<const Eigen::VectorXi>& y,
                                            const Eigen::Ref<const Eigen::VectorXi>& y_resampled,
                                            int positive = 1) {
  const auto count = [positive](const Eigen::Ref<const Eigen::VectorXi>& v) {
    return static_cast<double>((v.array() == positive).count());
  };
  const double p = count(y), q = count(y_resampled);
  return resampling_beta(p, static_cast<double>(y.size()) - p, q,
                         static_cast<double>(y_resampled.size()) - q);
}

OSPREY_NAMESPACE_END

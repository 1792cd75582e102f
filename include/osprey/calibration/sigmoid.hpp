/** \file
 *  Platt scaling: `SigmoidCalibrator` maps a score to a probability with a fitted sigmoid,
 *  P(y = 1 | s) = 1 / (1 + exp(a s + b)) (scikit-learn's `_SigmoidCalibration`, whose sign
 *  convention this keeps: a < 0 when higher scores mean the positive class).
 *
 *  Reference: J. Platt, "Probabilistic outputs for support vector machines and comparisons to
 *  regularized likelihood methods", Advances in Large Margin Classifiers (1999), section 2.2,
 *  for the smoothed targets t+ = (N+ + 1) / (N+ + 2), t- = 1 / (N- + 2); H.-T. Lin, C.-J. Lin,
 *  R. Weng, "A note on Platt's probabilistic outputs for support vector machines", Machine
 *  Learning 68 (2007), for a Newton method with a line search on this objective.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "../core/sample_weight.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "detail/checks.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** The fitted sigmoid in standardised coordinates: z = alpha (s - center) / scale + beta and
 *  P = 1 / (1 + exp(z)). Solving in x = (s - center) / scale, x in [-1, 1], keeps the Newton
 *  system well scaled whatever the magnitude of the scores (scikit-learn#26766: BFGS on raw
 *  scores near 1e6 stopped at a = 0, a constant probability and an AUC of 0.5). */
struct SigmoidState {
  double center = 0.0;  // midrange of the scores of positive weight
  double scale = 1.0;   // half their range (1 when they are all equal)
  double alpha = 0.0;   // slope in standardised coordinates
  double beta = 0.0;    // intercept in standardised coordinates
  int n_iter = 0;       // Newton iterations taken
  bool converged = true;
};

/** Platt's problem on the rows of positive weight: standardised scores x, smoothed targets t and
 *  weights w. */
struct PlattProblem {
  std::vector<double> x, t, w;
};

/** Platt's negative log-likelihood sum_i w_i [t_i softplus(z_i) + (1 - t_i) softplus(-z_i)] at
 *  z_i = alpha x_i + beta, overflow-free. */
[[nodiscard]] inline double platt_objective(const PlattProblem& p, double alpha, double beta) {
  double f = 0.0;
  for (std::size_t i = 0; i < p.x.size(); ++i) {
    const double z = alpha * p.x[i] + beta;
    f += p.w[i] * (p.t[i] * softplus(z) + (1.0 - p.t[i]) * softplus(-z));
  }
  return f;
}

/** Minimises platt_objective from (0, beta0) by Newton's method with a backtracking (Armijo)
 *  line search; the objective is strictly convex in (alpha, beta) once x takes two values and
 *  the targets lie in (0, 1), so the minimum is unique and finite. Stops when a step moves the
 *  parameters by at most 1e-13 relative (quadratic convergence leaves the optimum within
 *  rounding), after `max_iter` iterations otherwise. */
inline void platt_newton(const PlattProblem& p, double beta0, int max_iter, SigmoidState& s) {
  double alpha = 0.0, beta = beta0;
  double f = platt_objective(p, alpha, beta);
  s.converged = false;
  for (s.n_iter = 1; s.n_iter <= max_iter; ++s.n_iter) {
    double g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 0;
    for (std::size_t i = 0; i < p.x.size(); ++i) {
      const double P = expit_neg(alpha * p.x[i] + beta);
      const double r = p.w[i] * (p.t[i] - P), q = p.w[i] * P * (1.0 - P);
      g0 += r * p.x[i];
      g1 += r;
      h00 += q * p.x[i] * p.x[i];
      h01 += q * p.x[i];
      h11 += q;
    }
    double det = h00 * h11 - h01 * h01;
    if (!(det > 1e-14 * h00 * h11)) {  // nearly singular: a small ridge keeps the step finite
      const double mu = 1e-10 * (h00 + h11) + 1e-300;
      h00 += mu;
      h11 += mu;
      det = h00 * h11 - h01 * h01;
    }
    const double d0 = -(h11 * g0 - h01 * g1) / det, d1 = -(h00 * g1 - h01 * g0) / det;
    if (!std::isfinite(d0) || !std::isfinite(d1)) break;
    const double decrement = -(g0 * d0 + g1 * d1);  // >= 0: d is a descent direction
    double step = 1.0, f_new = platt_objective(p, alpha + d0, beta + d1);
    // Near the optimum the decrease is below rounding; the full step is then taken as is.
    const bool quadratic = decrement <= 1e-12 * (1.0 + std::abs(f));
    while (!quadratic && !(f_new <= f - 1e-4 * step * decrement) && step > 1e-12) {
      step *= 0.5;
      f_new = platt_objective(p, alpha + step * d0, beta + step * d1);
    }
    alpha += step * d0;
    beta += step * d1;
    f = f_new;
    const double size = std::max(std::abs(step * d0), std::abs(step * d1));
    if (size <= 1e-13 * (1.0 + std::max(std::abs(alpha), std::abs(beta)))) {
      s.converged = true;
      break;
    }
  }
  s.n_iter = std::min(s.n_iter, max_iter);
  s.alpha = alpha;
  s.beta = beta;
}

/** Fits Platt's sigmoid to scores s (any Scalar), binary labels y and optional weights (already
 *  checked). \throws InvalidArgument when every weight is zero. */
template <class S>
[[nodiscard]] SigmoidState fit_sigmoid(
    const Eigen::Ref<const Eigen::Matrix<S, Eigen::Dynamic, 1>>& s,
    const Eigen::Ref<const Eigen::VectorXi>& y, const SampleWeight& w, int max_iter) {
  double prior0 = 0.0, prior1 = 0.0, lo = 0.0, hi = 0.0;
  bool any = false;
  for (Eigen::Index i = 0; i < s.size(); ++i) {
    const double wi = weight_at(w, i);
    (y(i) == 1 ? prior1 : prior0) += wi;
    if (wi > 0.0) {
      const auto v = static_cast<double>(s(i));
      lo = any ? std::min(lo, v) : v;
      hi = any ? std::max(hi, v) : v;
      any = true;
    }
  }
  if (!any) fail("SigmoidCalibrator::fit: every sample_weight is zero");
  const double t_pos = (prior1 + 1.0) / (prior1 + 2.0), t_neg = 1.0 / (prior0 + 2.0);
  SigmoidState st;
  st.center = lo / 2.0 + hi / 2.0;
  st.scale = hi / 2.0 - lo / 2.0;
  if (!(st.scale > 0.0)) {  // one distinct score: the optimum is the smoothed weighted mean
    st.scale = 1.0;
    const double t_bar = (prior1 * t_pos + prior0 * t_neg) / (prior0 + prior1);
    st.beta = std::log((1.0 - t_bar) / t_bar);
    return st;
  }
  PlattProblem p;
  for (Eigen::Index i = 0; i < s.size(); ++i) {
    const double wi = weight_at(w, i);
    if (!(wi > 0.0)) continue;
    p.x.push_back((static_cast<double>(s(i)) - st.center) / st.scale);
    p.t.push_back(y(i) == 1 ? t_pos : t_neg);
    p.w.push_back(wi);
  }
  platt_newton(p, std::log((prior0 + 1.0) / (prior1 + 1.0)), max_iter, st);
  return st;
}

}  // namespace detail

/** Platt scaling of a binary score (scikit-learn's `_SigmoidCalibration`, the "sigmoid" method
 *  of CalibratedClassifierCV): fit learns a, b so that 1 / (1 + exp(a s + b)) estimates
 *  P(y = 1 | s), minimising the weighted log loss against Platt's smoothed targets
 *  t+ = (N+ + 1) / (N+ + 2) and t- = 1 / (N- + 2), where N+ and N- are the weight sums of the
 *  two classes. The scores may be anything monotone in the evidence: decision values, logits,
 *  probabilities, raw counts.
 *
 *  \code
 *  osprey::SigmoidCalibrator<> platt;
 *  platt.fit(scores_valid, y_valid);              // y in {0, 1}
 *  Eigen::VectorXd p = platt.predict(scores_new);
 *  \endcode
 *
 *  The optimum is the same as scikit-learn's (which minimises the same objective with
 *  fmin_bfgs); this solver runs Newton's method in standardised scores, so it reaches the exact
 *  optimum (to rounding) where BFGS stops at a gradient of 1e-5, and stays correct on scores of
 *  any magnitude (1e12 and above), where BFGS on raw scores can stall at a = 0. When every
 *  score of positive weight is the same, a = 0 and the probability is the smoothed weighted
 *  share of positives. Rows of weight 0 are ignored.
 *
 *  \tparam ScalarT float or double: the type of the scores and of the probabilities returned;
 *          the fit runs in double.
 *  Complexity: fit O(n) per Newton iteration (typically under 10); predict O(m).
 *  Thread safety: const methods may run concurrently.
 */
template <class ScalarT = double>
class SigmoidCalibrator {
  friend struct detail::Serial;

 public:
  using Scalar = ScalarT;  ///< type of scores and returned probabilities

  /** Fits the sigmoid on scores `s`, labels `y` (0 or 1) and optional per-row weights.
   *  \returns `*this`.
   *  \throws InvalidArgument if s is empty or non-finite, y's length differs or a label is not 0
   *  or 1 (naming the row), a weight is negative or non-finite, or every weight is zero. */
  SigmoidCalibrator& fit(const Eigen::Ref<const Vector<Scalar>>& s,
                         const Eigen::Ref<const Eigen::VectorXi>& y,
                         const SampleWeight& sample_weight = detail::unweighted()) {
    detail::check_calibration_input<Scalar>(s, y, sample_weight, "SigmoidCalibrator::fit");
    state_ = detail::fit_sigmoid<Scalar>(s, y, sample_weight, 100);
    return *this;
  }

  /** Calibrated probabilities P(y = 1 | s), one per score, in [0, 1].
   *  \throws NotFittedError before fit; InvalidArgument if a score is NaN or infinite. */
  [[nodiscard]] Vector<Scalar> predict(const Eigen::Ref<const Vector<Scalar>>& s) const {
    const auto& st = state();
    detail::check_finite(s, "scores");
    Vector<Scalar> p(s.size());
    for (Eigen::Index i = 0; i < s.size(); ++i) {
      const double x = (static_cast<double>(s(i)) - st.center) / st.scale;
      // alpha == 0 (constant training scores): z = beta even where x overflows to infinity
      const double z = st.alpha == 0.0 ? st.beta : st.alpha * x + st.beta;
      p(i) = static_cast<Scalar>(detail::expit_neg(z));
    }
    return p;
  }

  /** The slope a of 1 / (1 + exp(a s + b)) (scikit-learn's `a_`). \throws NotFittedError. */
  [[nodiscard]] double a() const { return state().alpha / state().scale; }
  /** The intercept b (scikit-learn's `b_`). \throws NotFittedError. */
  [[nodiscard]] double b() const {
    const auto& st = state();
    return st.beta - st.alpha * (st.center / st.scale);
  }
  /** Newton iterations of the last fit (0 when the scores were constant). */
  [[nodiscard]] int n_iter() const { return state().n_iter; }
  /** False only if the last fit stopped at 100 iterations before its step fell below 1e-13
   *  relative (not observed in practice; the parameters are then the last iterate). */
  [[nodiscard]] bool converged() const { return state().converged; }
  /** True once fit has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }

 private:
  const detail::SigmoidState& state() const {
    detail::check_fitted(state_.has_value(), "SigmoidCalibrator");
    return *state_;
  }
  std::optional<detail::SigmoidState> state_;
};

OSPREY_NAMESPACE_END

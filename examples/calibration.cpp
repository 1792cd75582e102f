// Probabilities you can trust after resampling: a k-NN trained on undersampled data, then its
// scores (1) raw, (2) corrected for the prior shift (Dal Pozzolo et al. 2015), (3) calibrated
// with Platt's sigmoid and (4) with isotonic regression on a held-out, un-resampled split; and
// the Bayes posterior of the generating model for reference.
//
//   calibration
//
// The data are generated: 2% positives, two Gaussian classes in 2-D, so the true P(y = 1 | x)
// is known. Prints the Brier score and log loss of each, then the reliability-diagram points
// ("curve <name> <mean predicted> <observed share>", 10 quantile bins) that
// docs/img/reliability_svg.py turns into docs/img/reliability.svg.
#include <cmath>
#include <cstdio>
#include <osprey/calibration/calibrated_classifier.hpp>
#include <osprey/calibration/curve.hpp>
#include <osprey/calibration/prior_shift.hpp>
#include <osprey/imbalance/under_sampling.hpp>
#include <osprey/neighbors/kneighbors.hpp>
#include <string>
#include <vector>

namespace {

constexpr double kPrior = 0.02, kShift = 1.6;

/** Bayes posterior of the generating model: N(0, I) negatives, N(shift, I) positives. */
double true_posterior(double x0, double x1) {
  const double log_ratio = kShift * (x0 + x1) - kShift * kShift;  // log f1(x) / f0(x)
  return 1.0 / (1.0 + (1.0 - kPrior) / kPrior * std::exp(-log_ratio));
}

void report(const std::string& name, const Eigen::VectorXi& y, const Eigen::VectorXd& p) {
  double brier = 0.0, log_loss = 0.0;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    const double q = std::clamp(p(i), 1e-15, 1.0 - 1e-15);
    brier += (p(i) - y(i)) * (p(i) - y(i));
    log_loss -= y(i) == 1 ? std::log(q) : std::log(1.0 - q);
  }
  const auto n = static_cast<double>(y.size());
  std::printf("%-10s mean %.4f  brier %.5f  log_loss %.4f\n", name.c_str(), p.mean(), brier / n,
              log_loss / n);
  const auto curve = osprey::calibration_curve(y, p, 10, osprey::BinStrategy::quantile);
  for (Eigen::Index b = 0; b < curve.prob_true.size(); ++b) {
    std::printf("curve %s %.6f %.6f\n", name.c_str(), curve.prob_pred(b), curve.prob_true(b));
  }
}

}  // namespace

int main() {
  const Eigen::Index n = 60000;
  osprey::Rng rng(2015);
  Eigen::MatrixXd X(n, 2);
  Eigen::VectorXi y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    y(i) = rng.uniform() < kPrior ? 1 : 0;
    for (Eigen::Index j = 0; j < 2; ++j) X(i, j) = rng.normal() + (y(i) == 1 ? kShift : 0.0);
  }
  // thirds: train (then undersampled), validation (for the calibrators), test
  std::vector<int> part[3];
  for (Eigen::Index i = 0; i < n; ++i) part[i % 3].push_back(static_cast<int>(i));
  const auto rows = [&](int k) {
    return Eigen::Map<const Eigen::VectorXi>(part[k].data(),
                                             static_cast<Eigen::Index>(part[k].size()))
        .eval();
  };
  const Eigen::VectorXi train = rows(0), valid = rows(1), test = rows(2);
  const Eigen::MatrixXd X_train = X(train, Eigen::all), X_valid = X(valid, Eigen::all),
                        X_test = X(test, Eigen::all);
  const Eigen::VectorXi y_train = y(train), y_valid = y(valid), y_test = y(test);

  osprey::RandomUnderSampler<double> under({.random_state = 7});  // negatives down to 1:1
  const auto balanced = under.fit_resample(X_train, y_train);
  const double beta = osprey::resampling_beta(y_train, balanced.y);
  std::printf("train: %d positives of %d rows; undersampled to %d rows; beta = %.5f\n",
              static_cast<int>(y_train.sum()), static_cast<int>(y_train.size()),
              static_cast<int>(balanced.y.size()), beta);

  osprey::KNeighborsClassifier<double> knn({.n_neighbors = 51});
  knn.fit(balanced.X, balanced.y);
  const Eigen::VectorXd raw_valid = knn.predict_proba(X_valid).col(1);
  const Eigen::VectorXd raw = knn.predict_proba(X_test).col(1);

  Eigen::VectorXd bayes(test.size());
  for (Eigen::Index i = 0; i < test.size(); ++i)
    bayes(i) = true_posterior(X_test(i, 0), X_test(i, 1));
  report("bayes", y_test, bayes);
  report("raw", y_test, raw);
  report("corrected", y_test, osprey::correct_for_undersampling(raw, beta));
  osprey::SigmoidCalibrator<> platt;
  report("sigmoid", y_test, platt.fit(raw_valid, y_valid).predict(raw));
  osprey::IsotonicCalibrator<> iso;
  report("isotonic", y_test, iso.fit(raw_valid, y_valid).predict(raw));
  return 0;
}

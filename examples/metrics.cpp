// Judging a fraud/anomaly score on a rare-positive data set with osprey's metrics.
//
//   metrics [data.csv]
//
// With a CSV (numeric features, last column `label`, 1 = positive/minority) the program scores
// every row out of fold: StratifiedKFold splits the rows, a simple "distance from normal" score
// (sum of squared z-scores against the fold's training negatives) is fitted on each training
// part and applied to its test part. Without an argument it generates such a data set. It then
// prints ROC AUC and average precision, a classification report at an alert budget, and the
// drift (PSI) of the score between two halves. Finally it works through the small example of
// docs/metrics.md: why PR-AUC, not ROC-AUC, tells two rankers apart when positives are rare.
#include <cmath>
#include <iomanip>
#include <iostream>
#include <osprey/osprey.hpp>

namespace {

struct Problem {
  Eigen::MatrixXd X;
  Eigen::VectorXi y;
};

Problem generated(Eigen::Index n, double rate, std::uint64_t seed) {
  osprey::Rng rng(seed);
  Problem p{Eigen::MatrixXd(n, 4), Eigen::VectorXi(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    p.y(i) = rng.uniform() < rate ? 1 : 0;
    for (Eigen::Index j = 0; j < 4; ++j) p.X(i, j) = rng.normal() + (p.y(i) == 1 ? 1.2 : 0.0);
  }
  return p;
}

// Out-of-fold anomaly scores: higher = further from the training negatives.
Eigen::VectorXd out_of_fold_scores(const Problem& p, const osprey::StratifiedKFold& cv) {
  Eigen::VectorXd score(p.y.size());
  for (const osprey::Fold& fold : cv.split(p.y)) {
    std::vector<int> neg;
    for (Eigen::Index i = 0; i < fold.train.size(); ++i) {
      if (p.y(fold.train(i)) == 0) neg.push_back(fold.train(i));
    }
    // Mean and standard deviation of every feature over the training negatives (plain loops:
    // GCC 12 warns falsely inside Eigen's AVX-512 sum reductions under -march=native).
    const Eigen::Index d = p.X.cols();
    std::vector<double> mean(static_cast<std::size_t>(d), 0.0),
        sd(static_cast<std::size_t>(d), 0.0);
    for (Eigen::Index j = 0; j < d; ++j) {
      const auto jj = static_cast<std::size_t>(j);
      for (const int r : neg) mean[jj] += p.X(r, j);
      mean[jj] /= static_cast<double>(neg.size());
      for (const int r : neg) sd[jj] += (p.X(r, j) - mean[jj]) * (p.X(r, j) - mean[jj]);
      sd[jj] = std::sqrt(sd[jj] / static_cast<double>(neg.size())) + 1e-12;
    }
    for (Eigen::Index i = 0; i < fold.test.size(); ++i) {
      const Eigen::Index r = fold.test(i);
      double s = 0.0;
      for (Eigen::Index j = 0; j < d; ++j) {
        const auto jj = static_cast<std::size_t>(j);
        const double z = (p.X(r, j) - mean[jj]) / sd[jj];
        s += z * z;
      }
      score(r) = s;
    }
  }
  return score;
}

}  // namespace

int main(int argc, char** argv) {
  Problem p;
  if (argc > 1) {
    const auto data = osprey::read_csv<double>(argv[1], {.label_index = -1});
    p = Problem{data.X, data.y};
    std::cout << "data: " << argv[1] << "\n";
  } else {
    p = generated(20000, 0.02, 11);
    std::cout << "data: generated, 4 features, 2% positives\n";
  }
  const auto n_pos = (p.y.array() == 1).count();
  std::cout << p.y.size() << " rows, " << n_pos << " positives (" << std::setprecision(3)
            << 100.0 * static_cast<double>(n_pos) / static_cast<double>(p.y.size()) << "%)\n\n";

  const osprey::StratifiedKFold cv({.n_splits = 5, .shuffle = true, .random_state = 42});
  const Eigen::VectorXd score = out_of_fold_scores(p, cv);
  std::cout << std::setprecision(4);
  std::cout << "ROC AUC            " << osprey::roc_auc_score(p.y, score) << "\n";
  std::cout << "average precision  " << osprey::average_precision_score(p.y, score)
            << "   (a random score gets the prevalence, "
            << static_cast<double>(n_pos) / static_cast<double>(p.y.size()) << ")\n\n";

  // Alert budget: flag as many rows as there are positives (the top of the ranking).
  std::vector<double> sorted(score.data(), score.data() + score.size());
  std::nth_element(sorted.begin(), sorted.end() - n_pos, sorted.end());
  const double threshold = *(sorted.end() - n_pos);
  const Eigen::VectorXi flagged = (score.array() >= threshold).cast<int>();
  std::cout << "flagging the top " << n_pos << " scores (threshold " << threshold << "):\n"
            << osprey::classification_report(p.y, flagged) << "\n";
  std::cout << "MCC " << osprey::matthews_corrcoef(p.y, flagged) << ", balanced accuracy "
            << osprey::balanced_accuracy_score(p.y, flagged) << ", G-mean "
            << osprey::geometric_mean_score(p.y, flagged) << "\n";
  std::cout << osprey::confusion_matrix(p.y, flagged) << "\n\n";

  // Drift of the score between the first and second half of the rows (same population here
  // unless the file is ordered, as ODDS mammography is, by blocks of outliers).
  const Eigen::Index half = score.size() / 2;
  std::cout << "PSI(first half -> second half) = "
            << osprey::population_stability_index(score.head(half), score.tail(score.size() - half))
            << "\n\n";

  // The worked example of docs/metrics.md: 990 negatives, 10 positives, two rankers.
  // Ranker A puts 5 positives at the very top and 5 in the middle of the pack.
  // Ranker B puts all 10 positives just below the 50 highest-scored negatives.
  Eigen::VectorXi y(1000);
  Eigen::VectorXd a(1000), b(1000);
  for (int i = 0; i < 1000; ++i) {
    y(i) = i < 10 ? 1 : 0;
    const double rank_of_negative = 1000.0 - i;  // negatives spread over (0, 990]
    a(i) = rank_of_negative;
    b(i) = rank_of_negative;
  }
  for (int i = 0; i < 5; ++i) a(i) = 2000.0 + i;  // A: top 5
  for (int i = 5; i < 10; ++i) a(i) = 500.5 - i;  // A: middle
  for (int i = 0; i < 10; ++i) b(i) = 939.5 - i;  // B: below the top 50 negatives (990..941)
  std::cout << "worked example, 10 positives in 1000:\n"
            << "  ranker A: ROC AUC " << osprey::roc_auc_score(y, a) << ", average precision "
            << osprey::average_precision_score(y, a) << "\n"
            << "  ranker B: ROC AUC " << osprey::roc_auc_score(y, b) << ", average precision "
            << osprey::average_precision_score(y, b) << "\n";
  const auto top50 = [&](const Eigen::VectorXd& s) {
    std::vector<double> v(s.data(), s.data() + s.size());
    std::nth_element(v.begin(), v.end() - 50, v.end());
    return (((s.array() >= *(v.end() - 50)).cast<int>() * y.array()).sum());
  };
  std::cout << "  positives among the top 50 alerts: A " << top50(a) << ", B " << top50(b) << "\n";
  return 0;
}

// Resampling an imbalanced data set the right way: inside stratified cross-validation, on the
// training folds only. Reads KEEL yeast4 (1,484 rows, 51 positives: 3.4%), trains a 5-NN
// classifier on each training fold -- as it is, or after a sampler grew/shrank it -- and scores
// the untouched test fold with PR-AUC (average precision of P(y = 1)) and G-mean
// (sqrt(sensitivity x specificity) of the 0/1 predictions). The last line does it the WRONG way:
// SMOTE on the whole set before splitting, so test folds hold synthetic neighbours of training
// rows and the scores come out too good.
//
//   examples/imbalance data/imb_yeast4/yeast4.csv
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <osprey/osprey.hpp>

namespace {

using Sample = std::function<osprey::Resampled<double>(const Eigen::MatrixXd&,
                                                       const Eigen::VectorXi&, std::uint64_t)>;

struct Scores {
  std::vector<double> pr_auc;
  std::vector<double> g_mean;
};

double mean(const std::vector<double>& v) {
  double s = 0.0;
  for (const double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double sd(const std::vector<double>& v) {
  const double m = mean(v);
  double s = 0.0;
  for (const double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

// Repeated stratified 5-fold CV of a 5-NN classifier; `sample` (if any) resamples each
// training fold and never sees the test fold.
Scores cross_validate(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, const Sample& sample,
                      int repeats) {
  Scores out;
  for (int r = 0; r < repeats; ++r) {
    osprey::StratifiedKFold folds(
        {.n_splits = 5, .shuffle = true, .random_state = static_cast<std::uint64_t>(r)});
    for (const osprey::Fold& fold : folds.split(y)) {
      Eigen::MatrixXd X_train = X(fold.train, Eigen::all);
      Eigen::VectorXi y_train = y(fold.train);
      if (sample) {
        osprey::Resampled<double> grown = sample(X_train, y_train, static_cast<std::uint64_t>(r));
        X_train = std::move(grown.X);
        y_train = std::move(grown.y);
      }
      osprey::KNeighborsClassifier<> knn({.n_neighbors = 5});
      knn.fit(X_train, y_train);
      const Eigen::MatrixXd X_test = X(fold.test, Eigen::all);
      const Eigen::VectorXi y_test = y(fold.test);
      const Eigen::VectorXd p1 = knn.predict_proba(X_test).col(1);  // classes() = {0, 1}
      out.pr_auc.push_back(osprey::average_precision_score(y_test, p1));
      out.g_mean.push_back(osprey::geometric_mean_score(y_test, knn.predict(X_test)));
    }
  }
  return out;
}

void print(const char* name, const Scores& s) {
  std::printf("%-44s %6.3f +- %.3f   %6.3f +- %.3f\n", name, mean(s.pr_auc), sd(s.pr_auc),
              mean(s.g_mean), sd(s.g_mean));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s path/to/imb_yeast4/yeast4.csv\n", argv[0]);
    return 2;
  }
  const auto data = osprey::read_csv<double>(argv[1], {.label = "label"});
  const Eigen::MatrixXd& X = data.X;
  const Eigen::VectorXi& y = data.y;
  const auto positives = (y.array() == 1).count();
  std::printf("%s: %ld rows, %ld features, %ld positives (%.1f%%)\n", argv[1],
              static_cast<long>(X.rows()), static_cast<long>(X.cols()),
              static_cast<long>(positives),
              100.0 * static_cast<double>(positives) / static_cast<double>(X.rows()));
  const int repeats = 5;
  std::printf("5-NN, stratified 5-fold CV x %d repeats; mean +- sd over the %d test folds\n\n",
              repeats, 5 * repeats);
  std::printf("%-44s %16s   %16s\n", "resampling of the training folds", "PR-AUC", "G-mean");

  print("none", cross_validate(X, y, nullptr, repeats));
  print("Smote (k = 5, auto)",
        cross_validate(
            X, y,
            [](const auto& Xt, const auto& yt, std::uint64_t s) {
              return osprey::Smote<>({.random_state = s}).fit_resample(Xt, yt);
            },
            repeats));
  print("Smote to ratio 0.5",
        cross_validate(
            X, y,
            [](const auto& Xt, const auto& yt, std::uint64_t s) {
              return osprey::Smote<>({.sampling_strategy = 0.5, .random_state = s})
                  .fit_resample(Xt, yt);
            },
            repeats));
  print("BorderlineSmote (borderline-1)",
        cross_validate(
            X, y,
            [](const auto& Xt, const auto& yt, std::uint64_t s) {
              return osprey::BorderlineSmote<>({.random_state = s}).fit_resample(Xt, yt);
            },
            repeats));
  print("Adasyn", cross_validate(
                      X, y,
                      [](const auto& Xt, const auto& yt, std::uint64_t s) {
                        return osprey::Adasyn<>({.random_state = s}).fit_resample(Xt, yt);
                      },
                      repeats));
  print("SmoteTomek", cross_validate(
                          X, y,
                          [](const auto& Xt, const auto& yt, std::uint64_t s) {
                            return osprey::SmoteTomek<>({.random_state = s}).fit_resample(Xt, yt);
                          },
                          repeats));
  print("RandomUnderSampler",
        cross_validate(
            X, y,
            [](const auto& Xt, const auto& yt, std::uint64_t s) {
              return osprey::RandomUnderSampler<>({.random_state = s}).fit_resample(Xt, yt);
            },
            repeats));

  // The mistake: resample first, then cross-validate on the resampled set. Synthetic positives
  // in a test fold sit on segments between positives of the training folds.
  const osprey::Resampled<double> leaked = osprey::Smote<>().fit_resample(X, y);
  print("WRONG: Smote on all rows, then CV", cross_validate(leaked.X, leaked.y, nullptr, repeats));
  return 0;
}

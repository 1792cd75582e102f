// The README's usage example: scale features, fit an Isolation Forest, judge it with the metrics.
#include <iostream>
#include <osprey/osprey.hpp>

int main() {
  osprey::Rng rng(7);  // seeded data: the same numbers on every machine
  Eigen::MatrixXd X(2000, 4);
  Eigen::VectorXi y = Eigen::VectorXi::Zero(X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    y(i) = i % 50 == 0 ? 1 : 0;  // 2% outliers, shifted away from the bulk
    for (Eigen::Index j = 0; j < X.cols(); ++j) X(i, j) = rng.normal(y(i) ? 3.0 : 0.0, 1.0);
  }

  const Eigen::MatrixXd Z = osprey::StandardScaler<>().fit_transform(X);
  osprey::IsolationForest<> forest({.n_estimators = 200, .random_state = 1});
  const Eigen::VectorXd score = forest.fit(Z).anomaly_score(Z);  // higher = more anomalous

  std::cout << "ROC AUC " << osprey::roc_auc_score(y, score) << ", average precision "
            << osprey::average_precision_score(y, score) << "\n";
  return 0;
}

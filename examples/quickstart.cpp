// The README's usage example: standardise features, then read the scaled statistics back.
#include <iostream>
#include <osprey/osprey.hpp>

int main() {
  osprey::detail::Rng rng(7);  // seeded data, the same on every machine
  Eigen::MatrixXd X(1000, 3);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    X.row(i) << rng.normal(50.0, 10.0), rng.normal(-3.0, 0.5), rng.uniform(0.0, 1e6);
  }

  osprey::StandardScaler<> scaler;  // Params default: center and scale
  const Eigen::MatrixXd Z = scaler.fit_transform(X);

  std::cout << "feature means:  " << scaler.mean().transpose() << "\n";
  std::cout << "feature scales: " << scaler.scale().transpose() << "\n";
  std::cout << "scaled means:   " << Z.colwise().mean() << "\n";
  return 0;
}

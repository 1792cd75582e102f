// A downstream program: standardise a small matrix and check the result.
#include <iostream>
#include <osprey/osprey.hpp>

int main() {
  Eigen::MatrixXd X(4, 2);
  X << 1, 10, 2, 20, 3, 30, 4, 40;
  osprey::StandardScaler<> scaler;
  const Eigen::MatrixXd Z = scaler.fit_transform(X);
  const double mean = Z.col(1).mean();
  const double var = Z.col(1).squaredNorm() / 4.0;
  std::cout << "osprey " << OSPREY_VERSION_MAJOR << "." << OSPREY_VERSION_MINOR
            << " consumer: mean " << mean << ", variance " << var << "\n";
  return (std::abs(mean) < 1e-12 && std::abs(var - 1.0) < 1e-12) ? 0 : 1;
}

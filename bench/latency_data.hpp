// The data of the single-row latency workloads, shared by bench/latency.cpp (Google Benchmark)
// and bench/compare/latency.cpp (first request against warm ones), so both serve the same
// models on the same rows.
#pragma once

#include <osprey/core/random.hpp>
#include <osprey/core/types.hpp>

#include <cstdint>

namespace latency_data {

/** n x d standard normal values (RowMatrix: each row contiguous, as a request arrives). */
template <class T>
osprey::RowMatrix<T> normal(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
  osprey::Rng rng(seed);
  osprey::RowMatrix<T> X(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) X(i, j) = static_cast<T>(rng.normal());
  }
  return X;
}

/** n x d values uniform in [0, 1). */
template <class T>
osprey::RowMatrix<T> uniform(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
  osprey::Rng rng(seed);
  osprey::RowMatrix<T> X(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) X(i, j) = static_cast<T>(rng.uniform());
  }
  return X;
}

/** Labels with about 10% of class 1. */
inline Eigen::VectorXi two_classes(Eigen::Index n, std::uint64_t seed) {
  osprey::Rng rng(seed);
  Eigen::VectorXi y(n);
  for (Eigen::Index i = 0; i < n; ++i) y(i) = rng.uniform() < 0.1 ? 1 : 0;
  return y;
}

}  // namespace latency_data

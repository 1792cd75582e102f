/** \file
 *  dist::NearestNeighbors on every rank count: replicated and partitioned queries give the
 *  single-node neighbours bit for bit (distances and ids, tie order included) on data full of
 *  exact ties (an integer grid with duplicates) and on a near tie (two rows whose reduced
 *  distances differ but whose distances round to the same value).
 */
#pragma once

#include <osprey/core/random.hpp>
#include <osprey/dist/nearest_neighbors.hpp>
#include <osprey/kernels/distance.hpp>

#include <Eigen/Core>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "harness.hpp"

namespace osprey_dist_test {

/** Rows on a coarse integer grid (many exact ties and duplicate rows), deterministic. */
inline Eigen::MatrixXd knn_grid(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
  osprey::Rng rng(seed);
  Eigen::MatrixXd X(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) X(i, j) = static_cast<double>(rng.bounded(5)) - 2.0;
  }
  return X;
}

/** True when a and b hold the same ids and bitwise the same distances. */
template <class S>
bool same_neighbors(const osprey::Neighbors<S>& a, const osprey::Neighbors<S>& b) {
  if (a.indices.rows() != b.indices.rows() || a.indices.cols() != b.indices.cols()) return false;
  if (a.indices != b.indices) return false;
  for (Eigen::Index i = 0; i < a.distances.rows(); ++i) {
    for (Eigen::Index j = 0; j < a.distances.cols(); ++j) {
      using Bits = std::conditional_t<sizeof(S) == 8, std::uint64_t, std::uint32_t>;
      if (std::bit_cast<Bits>(a.distances(i, j)) != std::bit_cast<Bits>(b.distances(i, j)))
        return false;
    }
  }
  return true;
}

/** Single-node vs distributed (replicated and partitioned queries) for one configuration. */
template <class S, class Metric, class C>
void knn_compare(C& comm, const Eigen::MatrixXd& X, const Eigen::MatrixXd& Q, int k,
                 osprey::Algorithm algorithm, const char* label) {
  const int p = comm.size();
  const int me = comm.rank();
  osprey::NearestNeighbors<S, Metric> single({.algorithm = algorithm, .n_threads = 1});
  single.fit(X);
  const osprey::Neighbors<S> want = single.kneighbors(Q, k);

  const auto [r0, r1] = uneven_slice(X.rows(), me, p);
  osprey::dist::NearestNeighbors<S, Metric> nn({.algorithm = algorithm, .n_threads = 1});
  nn.fit(comm, X.middleRows(r0, r1 - r0));
  OSPREY_DIST_CHECK(nn.n_samples_fit() == X.rows(), label);
  OSPREY_DIST_CHECK(nn.fitted_algorithm() == single.fitted_algorithm(), label);
  const osprey::Neighbors<S> got = nn.kneighbors(comm, Q, k);
  OSPREY_DIST_CHECK(same_neighbors(got, want), label, " replicated, k = ", k);

  const auto [q0, q1] = uneven_slice(Q.rows(), p - 1 - me, p);  // reversed: other cut points
  const osprey::Neighbors<S> part = nn.kneighbors_partitioned(comm, Q.middleRows(q0, q1 - q0), k);
  const osprey::Neighbors<S> want_part{want.indices.middleRows(q0, q1 - q0),
                                       want.distances.middleRows(q0, q1 - q0)};
  OSPREY_DIST_CHECK(same_neighbors(part, want_part), label, " partitioned, k = ", k);
}

template <class C>
void case_knn_exact(C& comm) {
  using osprey::Algorithm;
  const Eigen::MatrixXd X = knn_grid(97, 3, 11);
  Eigen::MatrixXd Q = knn_grid(13, 3, 12);
  Q.row(0) = X.row(5);  // a query on a duplicated training row
  Q(1, 0) += 0.25;      // off the grid
  for (const int k : {1, 4, 23, 97}) {
    knn_compare<double, osprey::Euclidean>(comm, X, Q, k, Algorithm::brute, "euclidean brute");
    knn_compare<double, osprey::Euclidean>(comm, X, Q, k, Algorithm::kd_tree, "euclidean kd");
    knn_compare<double, osprey::Manhattan>(comm, X, Q, k, Algorithm::brute, "manhattan brute");
    knn_compare<float, osprey::Euclidean>(comm, X, Q, k, Algorithm::brute, "float euclidean");
  }
  knn_compare<double, osprey::Chebyshev>(comm, X, Q, 7, Algorithm::automatic, "chebyshev");
  knn_compare<double, osprey::SquaredEuclidean>(comm, X, Q, 7, Algorithm::brute, "sqeuclidean");
  // automatic on a set big enough for the k-d tree (d <= 8, n >= 256): every shard, however
  // small, must use the tree too
  const Eigen::MatrixXd big = knn_grid(300, 2, 13);
  knn_compare<double, osprey::Euclidean>(comm, big, Q.leftCols(2), 9, Algorithm::automatic,
                                         "euclidean automatic (kd)");
  // n < p: some ranks hold no rows
  knn_compare<double, osprey::Euclidean>(comm, X.topRows(2), Q, 2, Algorithm::brute, "n = 2");
}

/** Two rows u (last row) and v (row 0) at the same Euclidean distance from the origin whose
 *  squared distances, as brute force computes them, differ: v's is larger. */
inline std::pair<Eigen::RowVector2d, Eigen::RowVector2d> near_tie_pair() {
  const Eigen::RowVector2d q(0.0, 0.0);
  for (int i = 0; i < 1000; ++i) {
    const Eigen::RowVector2d u(1.0, 0.5 + 1e-3 * i);
    const double ru = osprey::kernels::fixed_order_sq_dist(u.data(), q.data(), 2);
    Eigen::RowVector2d v = u;
    for (int step = 0; step < 64; ++step) {
      v(1) = std::nextafter(v(1), 2.0);
      const double rv = osprey::kernels::fixed_order_sq_dist(v.data(), q.data(), 2);
      if (rv > ru && osprey::Euclidean::distance(u, q) == osprey::Euclidean::distance(v, q)) {
        return {u, v};
      }
      if (osprey::Euclidean::distance(v, q) > osprey::Euclidean::distance(u, q)) break;
    }
  }
  return {q, q};
}

template <class C>
void case_knn_near_ties(C& comm) {
  const auto [u, v] = near_tie_pair();
  OSPREY_DIST_CHECK(u(0) == 1.0, "no near tie found");
  const Eigen::Index n = 41;
  Eigen::MatrixXd X = (knn_grid(n, 2, 21).array() + 10.0).matrix();  // the rest far away
  X.row(0) = v;
  X.row(n - 1) = u;
  const Eigen::MatrixXd Q = Eigen::MatrixXd::Zero(2, 2);
  // The premise: single-node keeps u (smaller key, larger id) at k = 1, though v has the same
  // distance and a smaller id; a merge on (distance, id) alone would keep v.
  osprey::NearestNeighbors<> single({.algorithm = osprey::Algorithm::brute, .n_threads = 1});
  single.fit(X);
  const auto one = single.kneighbors(Q, 1);
  const auto two = single.kneighbors(Q, 2);
  OSPREY_DIST_CHECK(one.indices(0, 0) == n - 1 && two.distances(0, 0) == two.distances(0, 1) &&
                        two.indices(0, 0) == 0,
                    "near-tie premise");
  for (const int k : {1, 2, 3}) {
    knn_compare<double, osprey::Euclidean>(comm, X, Q, k, osprey::Algorithm::brute, "near tie");
    knn_compare<double, osprey::Euclidean>(comm, X, Q, k, osprey::Algorithm::kd_tree,
                                           "near tie kd");
  }
}

}  // namespace osprey_dist_test

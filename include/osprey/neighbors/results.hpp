/** \file
 *  What the exact neighbour searches return: `Neighbors` (k per query), `RadiusNeighbors` (CSR,
 *  sorted by distance), and `QueryWorkspace`, the reusable scratch of the one-query searches.
 */
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "../core/types.hpp"

OSPREY_NAMESPACE_BEGIN

template <class ScalarT, class Metric>
class NearestNeighbors;

/** Result of a k-neighbours query: one row per query, k columns sorted by increasing distance
 *  (ties by lower training index). */
template <class Scalar = double>
struct Neighbors {
  Eigen::MatrixXi indices;   ///< training row of each neighbour
  Matrix<Scalar> distances;  ///< its distance to the query (Metric::distance)
};

/** Result of a radius query, in compressed sparse row form: the neighbours of query i are
 *  entries [offsets(i), offsets(i + 1)) of `indices` and `distances`, sorted by increasing
 *  distance (ties by lower training index). `offsets` has one entry per query plus one;
 *  `offsets(0)` is 0 and the last entry is the total count.
 *
 *  \code
 *  auto r = nn.radius_neighbors(Q, 0.5);
 *  for (Eigen::Index e = r.offsets(i); e < r.offsets(i + 1); ++e) use(r.indices(e),
 * r.distances(e)); \endcode */
template <class Scalar = double>
struct RadiusNeighbors {
  Eigen::Matrix<Eigen::Index, Eigen::Dynamic, 1>
      offsets;               ///< query i owns [offsets(i), offsets(i+1))
  Eigen::VectorXi indices;   ///< training row of each neighbour
  Vector<Scalar> distances;  ///< its distance (Metric::distance)

  /** Number of queries. */
  [[nodiscard]] Eigen::Index n_queries() const noexcept {
    return offsets.size() > 0 ? offsets.size() - 1 : 0;
  }
  /** Number of neighbours of query i. */
  [[nodiscard]] Eigen::Index count(Eigen::Index i) const { return offsets(i + 1) - offsets(i); }
};

namespace detail {
template <class Derived, class S, class Metric, class State>
class KNeighborsBase;
}  // namespace detail

/** Reusable scratch of the one-query searches (`NearestNeighbors::kneighbors_one`,
 *  `KNeighborsClassifier::predict_proba_one`, `KNeighborsRegressor::predict_one`), and where
 *  they leave the neighbours found. Keep one per thread and reuse it: it grows at its first use
 *  with a model (and when k or the width grows), after which a query allocates nothing.
 *
 *  \code
 *  osprey::QueryWorkspace<float> ws;                 // per thread, reused
 *  nn.kneighbors_one(x, 10, ws);                     // x: one row
 *  for (int j = 0; j < 10; ++j) use(ws.indices()[j], ws.distances()[j]);
 *  \endcode
 *
 *  \tparam Scalar the estimator's Scalar. Not thread-safe: one workspace per thread. */
template <class Scalar = double>
class QueryWorkspace {
 public:
  /** The neighbours of the last query, nearest first (ties by lower training index). */
  [[nodiscard]] std::span<const int> indices() const noexcept {
    return {indices_.data(), static_cast<std::size_t>(k_)};
  }
  /** Their distances (Metric::distance), as in the `distances` of the batch search. */
  [[nodiscard]] std::span<const Scalar> distances() const noexcept {
    return {distances_.data(), static_cast<std::size_t>(k_)};
  }

 private:
  template <class, class>
  friend class NearestNeighbors;
  template <class, class, class, class>
  friend class detail::KNeighborsBase;

  /** Makes room for `classes` vote slots (growing only). */
  void reserve_votes(Eigen::Index classes) {
    if (votes_.size() < static_cast<std::size_t>(classes)) {
      votes_.resize(static_cast<std::size_t>(classes));
    }
  }
  /** Makes room for a query of d features, k neighbours and `buffer` values of search scratch
   *  (growing only). */
  void reserve(Eigen::Index d, int k, Eigen::Index buffer) {
    if (query_.cols() != d) query_.resize(1, d);
    if (unit_.cols() != d) unit_.resize(1, d);
    const auto kk = static_cast<std::size_t>(k);
    if (values_.size() < kk) {
      values_.resize(kk);
      indices_.resize(kk);
      distances_.resize(kk);
      pairs_.resize(kk);
      weights_.resize(kk);
    }
    if (buffer_.size() < static_cast<std::size_t>(buffer)) {
      buffer_.resize(static_cast<std::size_t>(buffer));
    }
    k_ = k;
  }

  RowMatrix<Scalar> query_;                    // the query as Scalar, 1 x d
  RowMatrix<Scalar> unit_;                     // the query normalised (Cosine), 1 x d
  std::vector<Scalar> values_;                 // reduced values of the search's k-buffer
  std::vector<int> indices_;                   // the neighbours, sorted as the batch sorts them
  std::vector<Scalar> distances_;              // their distances
  std::vector<std::pair<Scalar, int>> pairs_;  // (distance, index) being sorted
  std::vector<Scalar> buffer_;                 // block of distances (panel metrics)
  std::vector<double> weights_;                // neighbour weights
  std::vector<double> votes_;                  // class votes
  int k_ = 0;
};

OSPREY_NAMESPACE_END

/** \file
 *  The state of an exact neighbour search and what NearestNeighbors runs on it (internal): the
 *  fitted rows and the static or dynamic index, the final exact distances of a k-neighbours
 *  search, and the radius search - candidates from the index's kernels, kept by their exact
 *  distance, sorted into CSR form.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "../../config.hpp"
#include "../../core/detail/stop.hpp"
#include "../../core/parallel.hpp"
#include "../../core/types.hpp"
#include "../../core/validation.hpp"
#include "../metrics.hpp"
#include "../results.hpp"
#include "brute_index.hpp"
#include "dynamic_index.hpp"
#include "kd_tree.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

template <class S, class Metric>
struct NearestNeighborsState {
  RowMatrix<S> X;    ///< the rows searched (normalised to unit length for Cosine)
  RowMatrix<S> raw;  ///< the rows as given, kept only when X is normalised (Cosine)
  bool tree = false;
  BruteIndex<S, Metric> brute;
  KdTree<S, Metric> kd;
  /// Set by the first add or remove after fit, which move X and the index into it (X is then
  /// empty); the searches then run on its segments.
  std::optional<DynamicIndex<S, Metric>> dynamic;
};

/** Throws unless an input of `rows` x `cols` is one row (a row or column vector). */
inline void check_one_row(Eigen::Index rows, Eigen::Index cols, const char* who) {
  if (rows != 1 && cols != 1) {
    fail(who, " takes one row (got ", rows, " rows x ", cols, " columns)");
  }
}

/** Recomputes the true distances of the selected neighbours (exact, whatever the selection
 *  kernel) between the rows of `Q` and `X` as given (not normalised) and sorts each row by
 *  (distance, index). */
template <class S, class Metric>
Neighbors<S> finalize_neighbors(const RowMatrix<S>& X, const RowMatrix<S>& Q, int k,
                                const std::vector<int>& raw, int n_threads) {
  const Eigen::Index m = Q.rows();
  Neighbors<S> out{Eigen::MatrixXi(m, k), Matrix<S>(m, k)};
  parallel_for_ranges(m, Eigen::Index{256}, n_threads, [&](Eigen::Index lo, Eigen::Index hi) {
    std::vector<std::pair<S, int>> row(static_cast<std::size_t>(k));  // one per range
    for (Eigen::Index i = lo; i < hi; ++i) {
      for (int j = 0; j < k; ++j) {
        const int idx = raw[static_cast<std::size_t>(i * k + j)];
        row[static_cast<std::size_t>(j)] = {Metric::distance(Q.row(i), X.row(idx)), idx};
      }
      std::sort(row.begin(), row.end());
      for (int j = 0; j < k; ++j) {
        out.distances(i, j) = row[static_cast<std::size_t>(j)].first;
        out.indices(i, j) = row[static_cast<std::size_t>(j)].second;
      }
    }
  });
  return out;
}

/** The training rows distances are computed from: as given to fit (a static index). */
template <class S, class Metric>
[[nodiscard]] const RowMatrix<S>& given_rows(const NearestNeighborsState<S, Metric>& s) noexcept {
  return normalizes_rows<Metric> ? s.raw : s.X;
}

/** Calls `visit(i, id, x)` - x the training row as given, an Eigen row - for a superset of
 *  the live training rows within `radius` of query row i (`Q` as searched: normalised for
 *  Cosine): every row whose reduced value, as the kernels compute it, is within a margin of
 *  the reduced radius that covers their rounding against Metric::distance's (relative
 *  16 (d + 4) u, plus as much absolute for unit rows). A query's rows are visited by one
 *  thread at a time (a dynamic index's segments one after the other). */
template <class Scalar, class Metric, class Visit>
void radius_candidates(const NearestNeighborsState<Scalar, Metric>& s, const RowMatrix<Scalar>& Q,
                       double radius, int threads, const Stop& stop, Visit&& visit) {
  const double u = static_cast<double>(std::numeric_limits<Scalar>::epsilon());
  const double slack = 16.0 * static_cast<double>(Q.cols() + 4) * u;
  double bound = Metric::template to_reduced<double>(radius) * (1.0 + slack);
  if constexpr (normalizes_rows<Metric>) bound += slack;
  bound += static_cast<double>(std::numeric_limits<Scalar>::min());
  const auto b =
      static_cast<Scalar>(std::min(bound, static_cast<double>(std::numeric_limits<Scalar>::max())));
  if (s.dynamic) {
    s.dynamic->for_each_segment([&](const auto& seg) {
      const std::uint8_t* dead = seg.dead_mask();
      const auto local = [&](Eigen::Index i, int r) {
        if (dead != nullptr && dead[static_cast<std::size_t>(r)] != 0) return;
        visit(i, seg.ids[static_cast<std::size_t>(r)], seg.X.row(r));
      };
      if (seg.tree) {
        seg.kd.radius_candidates(Q, b, threads, local, stop);
      } else {
        seg.brute.radius_candidates(seg.X, Q, b, threads, local, {}, stop);
      }
    });
    return;
  }
  const RowMatrix<Scalar>& X = given_rows(s);
  const auto by_row = [&](Eigen::Index i, int r) { visit(i, r, X.row(r)); };
  if (s.tree) {
    s.kd.radius_candidates(Q, b, threads, by_row, stop);
  } else {
    s.brute.radius_candidates(s.X, Q, b, threads, by_row, {}, stop);
  }
}

/** The radius search: candidates, kept by their exact distance between `Qd` (the queries as
 *  given) and the training rows as given, each query's sorted by (distance, id). Leave-one-out
 *  when `self` (query i is the row with id self[i]) or `self_is_row` (query i is row i). */
template <class Scalar, class Metric>
RadiusNeighbors<Scalar> radius_search(const NearestNeighborsState<Scalar, Metric>& s,
                                      const RowMatrix<Scalar>& Q, const RowMatrix<Scalar>& Qd,
                                      double radius, int threads, const Stop& stop, const int* self,
                                      bool self_is_row) {
  const Eigen::Index m = Q.rows();
  const auto r = static_cast<Scalar>(radius);
  std::vector<std::vector<std::pair<Scalar, int>>> found(static_cast<std::size_t>(m));
  radius_candidates(s, Q, radius, threads, stop, [&](Eigen::Index i, int id, const auto& x) {
    if (self_is_row && id == i) return;
    if (self != nullptr && id == self[i]) return;
    const Scalar dist = Metric::distance(Qd.row(i), x);
    if (dist <= r) found[static_cast<std::size_t>(i)].emplace_back(dist, id);
  });
  RadiusNeighbors<Scalar> out;
  out.offsets.resize(m + 1);
  out.offsets(0) = 0;
  for (Eigen::Index i = 0; i < m; ++i) {
    out.offsets(i + 1) =
        out.offsets(i) + static_cast<Eigen::Index>(found[static_cast<std::size_t>(i)].size());
  }
  out.indices.resize(out.offsets(m));
  out.distances.resize(out.offsets(m));
  parallel_for_ranges(m, Eigen::Index{256}, threads, [&](Eigen::Index lo, Eigen::Index hi) {
    for (Eigen::Index i = lo; i < hi; ++i) {
      auto& row = found[static_cast<std::size_t>(i)];
      std::sort(row.begin(), row.end());
      Eigen::Index at = out.offsets(i);
      for (const auto& [dist, idx] : row) {
        out.distances(at) = dist;
        out.indices(at) = idx;
        ++at;
      }
      std::vector<std::pair<Scalar, int>>().swap(row);
    }
  });
  return out;
}

/** Leave-one-out from a search of the live rows against themselves for k + 1 neighbours (`all`,
 *  row i the row with id ids[i]): each row's k nearest others by (distance, id) - the k + 1
 *  less the row itself or, when k + 1 exact duplicates with lower ids crowd it out, the last. */
template <class Scalar>
Neighbors<Scalar> drop_self(const Neighbors<Scalar>& all, const std::vector<int>& ids, int k) {
  const Eigen::Index m = all.indices.rows();
  Neighbors<Scalar> out{Eigen::MatrixXi(m, k), Matrix<Scalar>(m, k)};
  for (Eigen::Index i = 0; i < m; ++i) {
    const int self = ids[static_cast<std::size_t>(i)];
    int j = 0;
    for (int c = 0; c <= k && j < k; ++c) {
      if (all.indices(i, c) == self) continue;
      out.indices(i, j) = all.indices(i, c);
      out.distances(i, j) = all.distances(i, c);
      ++j;
    }
  }
  return out;
}

}  // namespace detail
OSPREY_NAMESPACE_END

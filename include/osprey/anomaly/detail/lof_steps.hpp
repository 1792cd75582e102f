/** \file
 *  The steps of LocalOutlierFactor (internal): the fitted state, the resolution of neighbour
 *  sets whose k-th distance is tied (scikit-learn's brute-force selection order, replayed), the
 *  local reachability densities, the outlier factors and numpy's linear percentile. Rows are
 *  samples. Breunig, Kriegel, Ng & Sander, "LOF: Identifying Density-Based Local Outliers",
 *  SIGMOD 2000, for the definitions. Not API.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

#include "../../config.hpp"
#include "../../core/detail/rounded.hpp"
#include "../../core/detail/stop.hpp"
#include "../../core/parallel.hpp"
#include "../../core/types.hpp"
#include "../../neighbors/nearest_neighbors.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** What a fitted LocalOutlierFactor holds: the search over the training rows and, per training
 *  row, its k-distance, its local reachability density and its negated outlier factor. */
template <class S, class Metric>
struct LocalOutlierFactorState {
  NearestNeighbors<S, Metric> nn;  ///< the training rows and their search structure
  int k = 0;                       ///< neighbours used: min(n_neighbors, n - 1)
  Vector<S> k_distance;            ///< distance of each training row to its k-th neighbour
  Vector<double> lrd;              ///< local reachability density of each training row
  Vector<double> nof;              ///< negative_outlier_factor of each training row
  double offset = 0.0;             ///< threshold on the scores
};

/** The regularisation scikit-learn adds to the mean reachability distance, so that a row whose
 *  k neighbours are all duplicates of it gets a density of 1e10 instead of a division by 0. */
inline constexpr double kLofDensityGuard = 1e-10;

/** The `slots` training rows that scikit-learn's brute-force search keeps for the query `q`:
 *  every row of X offered, in index order, to a bounded max-heap of reduced distances that
 *  refuses a value not below its top and otherwise replaces the top and sifts it down (towards
 *  the larger child, the left one on equal values). The kept set differs from the (distance,
 *  index) order only where the slots' last distance is tied; it is written to `out` (slots
 *  indices, heap order). O(n d) for one query. */
template <class S, class Metric>
void replay_heap_selection(const RowMatrix<S>& X, const S* q, int slots, std::vector<S>& values,
                           std::vector<int>& out) {
  const Eigen::Index d = X.cols();
  const Eigen::Map<const Eigen::Matrix<S, 1, Eigen::Dynamic>> query(q, d);
  const auto size = static_cast<std::size_t>(slots);
  values.assign(size, std::numeric_limits<S>::infinity());
  out.assign(size, -1);
  for (Eigen::Index j = 0; j < X.rows(); ++j) {
    const S v = Metric::reduced(query, X.row(j));
    if (!(v < values[0])) continue;
    std::size_t at = 0;
    for (;;) {
      const std::size_t left = 2 * at + 1;
      if (left >= size) break;
      const std::size_t right = left + 1;
      const std::size_t child = (right >= size || values[left] >= values[right]) ? left : right;
      if (!(v < values[child])) break;
      values[at] = values[child];
      out[at] = out[child];
      at = child;
    }
    values[at] = v;
    out[at] = static_cast<int>(j);
  }
}

/** Makes the first k columns of every row of `nb` the neighbour set scikit-learn uses, sorted by
 *  (distance, index). `nb` holds, per query, its k or k + 1 nearest training rows by (distance,
 *  index): k + 1 lets a tie between the k-th and the next be seen. Such a row, unless the tie is
 *  at distance 0 (duplicates, which are interchangeable), is replayed through
 *  replay_heap_selection. `Q` holds the queries; with `leave_one_out` they are the training
 *  rows themselves and the replay keeps k + 1 rows of which the query is one (scikit-learn's
 *  kneighbors() without X), else k. Rows without a tie are left as they are. */
template <class S, class Metric>
void resolve_tied_neighbors(const RowMatrix<S>& X, const RowMatrix<S>& Q, int k, bool leave_one_out,
                            Neighbors<S>& nb, int n_threads, const Stop& stop) {
  if (nb.indices.cols() <= k) return;
  std::vector<Eigen::Index> tied;
  for (Eigen::Index i = 0; i < nb.indices.rows(); ++i) {
    const S kth = nb.distances(i, k - 1);
    if (kth > S(0) && kth == nb.distances(i, k)) tied.push_back(i);
  }
  const int slots = leave_one_out ? k + 1 : k;
  const auto n_tied = static_cast<Eigen::Index>(tied.size());
  parallel_for_ranges(n_tied, Eigen::Index{16}, n_threads, [&](Eigen::Index lo, Eigen::Index hi) {
    std::vector<S> values;
    std::vector<int> kept;
    std::vector<std::pair<S, int>> row;
    for (Eigen::Index t = lo; t < hi; ++t) {
      stop.check();
      const Eigen::Index i = tied[static_cast<std::size_t>(t)];
      replay_heap_selection<S, Metric>(X, Q.row(i).data(), slots, values, kept);
      row.clear();
      for (const int j : kept) {
        if (leave_one_out && j == static_cast<int>(i)) continue;  // the query itself
        row.emplace_back(Metric::distance(Q.row(i), X.row(j)), j);
      }
      std::sort(row.begin(), row.end());
      row.resize(static_cast<std::size_t>(k));  // the query was kept (its distance 0 < kth)
      for (int c = 0; c < k; ++c) {
        nb.distances(i, c) = row[static_cast<std::size_t>(c)].first;
        nb.indices(i, c) = row[static_cast<std::size_t>(c)].second;
      }
    }
  });
}

/** The local reachability density of every query of `nb` (its first k columns):
 *  1 / (mean_j max(d(q, o_j), k_distance(o_j)) + 1e-10), the mean a numpy sum over the
 *  neighbours in order divided by k, as scikit-learn computes it. */
template <class S>
[[nodiscard]] Vector<double> reachability_density(const Neighbors<S>& nb, int k,
                                                  const Vector<S>& k_distance, int n_threads) {
  const Eigen::Index m = nb.indices.rows();
  Vector<double> lrd(m);
  parallel_for_ranges(m, Eigen::Index{1024}, n_threads, [&](Eigen::Index lo, Eigen::Index hi) {
    std::vector<double> reach(static_cast<std::size_t>(k));
    for (Eigen::Index i = lo; i < hi; ++i) {
      for (int j = 0; j < k; ++j) {
        const S kd = k_distance(nb.indices(i, j));
        reach[static_cast<std::size_t>(j)] = static_cast<double>(std::max(nb.distances(i, j), kd));
      }
      const double mean = numpy_pairwise_sum(reach.data(), reach.size()) / static_cast<double>(k);
      lrd(i) = 1.0 / (mean + kLofDensityGuard);
    }
  });
  return lrd;
}

/** The negated local outlier factor of every query of `nb`: -mean_j lrd(o_j) / lrd(q), the
 *  ratios summed in neighbour order as numpy does. `train_lrd` holds the training rows'
 *  densities, `query_lrd` the queries'. */
template <class S>
[[nodiscard]] Vector<double> negated_outlier_factor(const Neighbors<S>& nb, int k,
                                                    const Vector<double>& train_lrd,
                                                    const Vector<double>& query_lrd,
                                                    int n_threads) {
  const Eigen::Index m = nb.indices.rows();
  Vector<double> out(m);
  parallel_for_ranges(m, Eigen::Index{1024}, n_threads, [&](Eigen::Index lo, Eigen::Index hi) {
    std::vector<double> ratio(static_cast<std::size_t>(k));
    for (Eigen::Index i = lo; i < hi; ++i) {
      for (int j = 0; j < k; ++j) {
        ratio[static_cast<std::size_t>(j)] = train_lrd(nb.indices(i, j)) / query_lrd(i);
      }
      out(i) = -(numpy_pairwise_sum(ratio.data(), ratio.size()) / static_cast<double>(k));
    }
  });
  return out;
}

}  // namespace detail
OSPREY_NAMESPACE_END

/** \file
 *  A training set prepared for exact brute-force k-nearest-neighbour search (internal; used by
 *  NearestNeighbors): `BruteIndex<S, Metric>` keeps the rows centred exactly on their mean
 *  (Euclidean metrics) or packed in panels (other metrics), and `search` runs the query search
 *  (brute_query.hpp) or, for a Euclidean leave-one-out search, the symmetric one
 *  (brute_symmetric.hpp).
 */
#pragma once

#include <Eigen/Core>
#include <vector>

#include "../../config.hpp"
#include "../../core/types.hpp"
#include "../../kernels/distance.hpp"
#include "../metrics.hpp"
#include "brute_common.hpp"
#include "brute_query.hpp"
#include "brute_symmetric.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** A training set prepared for brute-force search with `Metric`. */
template <class S, class Metric>
class BruteIndex {
 public:
  BruteIndex() = default;

  /** Precomputes the rows centred on their mean and their squared norms (Euclidean) or the
   *  packed panels (other metrics) of `X`. */
  explicit BruteIndex(const RowMatrix<S>& X) {
    if constexpr (uses_norm_expansion<Metric>) {
      centred_ = CentredRows<S>(X);
    } else {
      packed_ = kernels::pack_panels<S>(X.data(), X.rows(), X.cols(), X.cols());
    }
  }

  /** For every row i of `Q`: the k smallest (reduced value, index) pairs among the rows of the
   *  training set `X` this index was built from, lexicographically sorted, into row i of
   *  `values`/`indices` (m x k, row-major storage). When `leave_one_out`, Q is the training set
   *  and query i never returns index i. `stop` is polled between blocks of work. */
  void search(const RowMatrix<S>& X, const RowMatrix<S>& Q, int k, bool leave_one_out,
              int n_threads, S* values, int* indices, const BruteTiles& tiles = {},
              const Stop& stop = {}) const {
    const Eigen::Index m = Q.rows();
    if constexpr (uses_norm_expansion<Metric>) {
      if (leave_one_out) {
        search_symmetric(centred_, X, k, n_threads, values, indices, tiles, stop);
        return;
      }
      search_query_tiles(
          m, k, tiles.gemm_queries, n_threads, values, indices, stop,
          [&](Eigen::Index q0, Eigen::Index mq, std::vector<kernels::TopK<S>>& tops) {
            query_tile_gemm(centred_, X, Q, q0, mq, leave_one_out, tops, tiles, stop);
          });
    } else {
      search_query_tiles(
          m, k, tiles.panel_queries, n_threads, values, indices, stop,
          [&](Eigen::Index q0, Eigen::Index mq, std::vector<kernels::TopK<S>>& tops) {
            query_tile_panels<S, Metric>(packed_, X, Q, q0, mq, leave_one_out, tops, tiles, stop);
          });
    }
  }

 private:
  CentredRows<S> centred_;  ///< the centred rows and their norms (Euclidean)
  std::vector<S> packed_;   ///< the rows in panels (other metrics)
};

}  // namespace detail
OSPREY_NAMESPACE_END

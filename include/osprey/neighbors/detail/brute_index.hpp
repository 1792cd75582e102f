/** \file
 *  A training set prepared for exact brute-force k-nearest-neighbour search (internal; used by
 *  NearestNeighbors): `BruteIndex<S, Metric>` keeps the rows centred exactly on their mean
 *  (Euclidean metrics) or packed in panels (other metrics), and `search` runs the query search
 *  (brute_query.hpp) or, for a Euclidean leave-one-out search, the symmetric one
 *  (brute_symmetric.hpp).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
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

  /** The k nearest rows of `X` to one query `q` (d values), as `search` finds them, into the
   *  sorted buffers `values`/`indices` (k each), allocation-free: Euclidean metrics stream X
   *  once with the exact fixed-order distance (the value search's rechecks give every row it
   *  keeps), other metrics run the panel kernel for one query over blocks of `buffer` (at least
   *  `one_query_buffer(X.cols())` values). */
  void search_one(const RowMatrix<S>& X, const S* q, int k, S* values, int* indices,
                  S* buffer) const {
    kernels::TopK<S> top(values, indices, k);
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    if constexpr (uses_norm_expansion<Metric>) {
      (void)buffer;
      for (Eigen::Index i = 0; i < n; ++i) {
        const S v = kernels::fixed_order_sq_dist(X.data() + i * d, q, d);
        if (v < top.threshold()) top.push(v, static_cast<int>(i));
      }
    } else {
      constexpr int NR = kernels::panel_rows<S>;
      const Eigen::Index n_panels = (n + NR - 1) / NR;
      const Eigen::Index block = one_query_buffer(d) / NR;
      for (Eigen::Index p0 = 0; p0 < n_panels; p0 += block) {
        const Eigen::Index p1 = std::min(n_panels, p0 + block);
        kernels::panels_block<S, Metric>(q, d, 1, packed_.data(), d, p0, p1, buffer, block * NR);
        const Eigen::Index row0 = p0 * NR;
        kernels::scan_block(buffer, std::min(p1 * NR, n) - row0, static_cast<int>(row0), -1, top);
      }
    }
  }

  /** Values of scratch search_one needs for d features (a whole number of panels). */
  [[nodiscard]] static Eigen::Index one_query_buffer(Eigen::Index d) noexcept {
    constexpr int NR = kernels::panel_rows<S>;
    const Eigen::Index bytes_per_panel =
        std::max<Eigen::Index>(1, d) * NR * Eigen::Index{sizeof(S)};
    return std::max<Eigen::Index>(1, (Eigen::Index{1} << 16) / bytes_per_panel) * NR;
  }

 private:
  CentredRows<S> centred_;  ///< the centred rows and their norms (Euclidean)
  std::vector<S> packed_;   ///< the rows in panels (other metrics)
};

}  // namespace detail
OSPREY_NAMESPACE_END

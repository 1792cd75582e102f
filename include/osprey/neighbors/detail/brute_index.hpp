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
#include <cstdint>
#include <vector>

#include "../../config.hpp"
#include "../../core/detail/stop.hpp"
#include "../../core/parallel.hpp"
#include "../../core/types.hpp"
#include "../../kernels/distance.hpp"
#include "../../kernels/gemm.hpp"
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
   *  and query i never returns index i. `stop` is polled between blocks of work. Rows marked in
   *  `dead` (nullptr: none; see append) are never returned; a leave-one-out search takes none. */
  void search(const RowMatrix<S>& X, const RowMatrix<S>& Q, int k, bool leave_one_out,
              int n_threads, S* values, int* indices, const BruteTiles& tiles = {},
              const Stop& stop = {}, const std::uint8_t* dead = nullptr) const {
    const Eigen::Index m = Q.rows();
    if constexpr (uses_norm_expansion<Metric>) {
      if (leave_one_out) {
        search_symmetric(centred_, X, k, n_threads, values, indices, tiles, stop);
        return;
      }
      search_query_tiles(
          m, k, tiles.gemm_queries, n_threads, values, indices, stop,
          [&](Eigen::Index q0, Eigen::Index mq, std::vector<kernels::TopK<S>>& tops) {
            query_tile_gemm(centred_, X, Q, q0, mq, leave_one_out, tops, tiles, stop, dead);
          });
    } else {
      search_query_tiles(
          m, k, tiles.panel_queries, n_threads, values, indices, stop,
          [&](Eigen::Index q0, Eigen::Index mq, std::vector<kernels::TopK<S>>& tops) {
            query_tile_panels<S, Metric>(packed_, X, Q, q0, mq, leave_one_out, tops, tiles, stop,
                                         dead);
          });
    }
  }

  /** Calls `visit(i, row)` for every training row of `X` whose reduced distance to row i of `Q`
   *  may be at most `bound`: a superset of them (the candidates of a radius query; the caller
   *  decides with the exact distance). Euclidean metrics estimate by the norm expansion and visit
   *  every row whose estimate is within its error bound E (kernels::expansion_margin) of `bound`;
   *  other metrics compare the panel kernel's values. Queries are cut into fixed tiles; a query's
   *  rows are visited by one thread in increasing row order; `stop` is polled before each block. */
  template <class Visit>
  void radius_candidates(const RowMatrix<S>& X, const RowMatrix<S>& Q, S bound, int n_threads,
                         Visit&& visit, const BruteTiles& tiles = {}, const Stop& stop = {}) const {
    const Eigen::Index m = Q.rows();
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    if constexpr (uses_norm_expansion<Metric>) {
      const Eigen::Index tile = tiles.gemm_queries;
      const Eigen::Index nb = std::min(tiles.gemm_rows, n);
      parallel_for<Eigen::Index>(0, (m + tile - 1) / tile, n_threads, [&](Eigen::Index t) {
        stop.check();
        const Eigen::Index q0 = t * tile;
        const Eigen::Index mq = std::min(tile, m - q0);
        const RowMatrix<S> Qc = Q.middleRows(q0, mq).rowwise() - centred_.center;
        const Vector<S> qn = Qc.rowwise().squaredNorm();
        Matrix<S> C(nb, mq);
        kernels::SerialGemm<S> gemm(nb, mq, d);
        for (Eigen::Index b0 = 0; b0 < n; b0 += nb) {
          stop.check();
          const Eigen::Index rows = std::min(nb, n - b0);
          const auto block_norms = centred_.norms.segment(b0, rows);
          const double block_max = static_cast<double>(block_norms.maxCoeff());
          for (Eigen::Index c = 0; c < mq; ++c) C.col(c).head(rows) = block_norms.array() + qn(c);
          gemm.run(rows, mq, d, centred_.rows.data() + b0 * d, Qc.data(), C.data(), nb, S(-2),
                   true);
          for (Eigen::Index c = 0; c < mq; ++c) {
            const double limit =
                static_cast<double>(bound) +
                kernels::expansion_margin(d, block_max + static_cast<double>(qn(c)),
                                          kernels::unit_roundoff<S>);
            const S* est = C.data() + c * nb;
            for (Eigen::Index r = 0; r < rows; ++r) {
              if (static_cast<double>(est[r]) <= limit) visit(q0 + c, static_cast<int>(b0 + r));
            }
          }
        }
      });
    } else {
      constexpr int NR = kernels::panel_rows<S>;
      const Eigen::Index n_panels = (n + NR - 1) / NR;
      const Eigen::Index block = one_query_buffer(d) / NR;
      parallel_for_ranges(m, Eigen::Index{16}, n_threads, [&](Eigen::Index lo, Eigen::Index hi) {
        std::vector<S> buffer(static_cast<std::size_t>(block * NR));
        for (Eigen::Index i = lo; i < hi; ++i) {
          stop.check();
          for (Eigen::Index p0 = 0; p0 < n_panels; p0 += block) {
            const Eigen::Index p1 = std::min(n_panels, p0 + block);
            kernels::panels_block<S, Metric>(Q.row(i).data(), d, 1, packed_.data(), d, p0, p1,
                                             buffer.data(), block * NR);
            const Eigen::Index row0 = p0 * NR;
            const Eigen::Index rows = std::min(p1 * NR, n) - row0;
            for (Eigen::Index r = 0; r < rows; ++r) {
              if (buffer[static_cast<std::size_t>(r)] <= bound)
                visit(i, static_cast<int>(row0 + r));
            }
          }
        }
      });
    }
  }

  /** The k nearest rows of `X` to one query `q` (d values), as `search` finds them, into the
   *  sorted buffers `values`/`indices` (k each), allocation-free: Euclidean metrics stream X
   *  once with the exact fixed-order distance (the value search's rechecks give every row it
   *  keeps), other metrics run the panel kernel for one query over blocks of `buffer` (at least
   *  `one_query_buffer(X.cols())` values). Rows marked in `dead` (nullptr: none) are skipped. */
  void search_one(const RowMatrix<S>& X, const S* q, int k, S* values, int* indices, S* buffer,
                  const std::uint8_t* dead = nullptr) const {
    kernels::TopK<S> top(values, indices, k);
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    if constexpr (uses_norm_expansion<Metric>) {
      (void)buffer;
      for (Eigen::Index i = 0; i < n; ++i) {
        const S v = kernels::fixed_order_sq_dist(X.data() + i * d, q, d);
        if (v < top.threshold() && !kernels::is_dead(dead, static_cast<int>(i))) {
          top.push(v, static_cast<int>(i));
        }
      }
    } else {
      constexpr int NR = kernels::panel_rows<S>;
      const Eigen::Index n_panels = (n + NR - 1) / NR;
      const Eigen::Index block = one_query_buffer(d) / NR;
      for (Eigen::Index p0 = 0; p0 < n_panels; p0 += block) {
        const Eigen::Index p1 = std::min(n_panels, p0 + block);
        kernels::panels_block<S, Metric>(q, d, 1, packed_.data(), d, p0, p1, buffer, block * NR);
        const Eigen::Index row0 = p0 * NR;
        kernels::scan_block(buffer, std::min(p1 * NR, n) - row0, static_cast<int>(row0), -1, top,
                            dead);
      }
    }
  }

  /** Extends the index by the rows [old_n, X.rows()) of `X` (the training set it was built
   *  from, with rows appended): the new rows are centred on the existing centre with their
   *  norms (Euclidean; the old centred rows are neither recentred nor recomputed) or packed
   *  (other metrics); only the last, partial panel of the old rows is repacked. O(m d) for m
   *  new rows, plus the amortised growth of the buffers. */
  void append(const RowMatrix<S>& X, Eigen::Index old_n) {
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    const Eigen::Index m = n - old_n;
    if (m <= 0) return;
    if constexpr (uses_norm_expansion<Metric>) {
      CentredRows<S>& c = centred_;
      c.rows.conservativeResize(n, d);
      c.norms.conservativeResize(n);
      for (Eigen::Index i = old_n; i < n; ++i) {
        c.rows.row(i) = X.row(i) - c.center;
        c.norms(i) = c.rows.row(i).squaredNorm();
        c.all_exact = c.all_exact && kernels::shifts_exactly(X.row(i).data(), c.center.data(), d);
      }
      if constexpr (kernels::has_packed_gemm) {
        constexpr Eigen::Index MR = kernels::gemm_panel_rows<S>;
        c.panels.resize(static_cast<std::size_t>(kernels::gemm_panels<S>(n) * d * MR));
        kernels::pack_gemm_panels(c.rows.data(), n, d, old_n / MR, kernels::gemm_panels<S>(n),
                                  c.panels.data());
      }
    } else {
      constexpr int NR = kernels::panel_rows<S>;
      const Eigen::Index panels = (n + NR - 1) / NR;
      packed_.resize(static_cast<std::size_t>(panels * d * NR));
      for (Eigen::Index p = old_n / NR; p < panels; ++p) {
        S* dst = packed_.data() + p * d * NR;
        for (Eigen::Index r = 0; r < NR; ++r) {
          const S* src = X.data() + std::min<Eigen::Index>(p * NR + r, n - 1) * d;
          for (Eigen::Index j = 0; j < d; ++j) dst[j * NR + r] = src[j];
        }
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

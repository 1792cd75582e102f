/** \file
 *  Brute-force k-nearest-neighbour search of queries against a training set (internal; used by
 *  BruteIndex::search).
 *
 *  Queries are cut into fixed tiles (independent of the thread count, so results never depend
 *  on it); each tile walks the training set block by block, computes one block of reduced
 *  distances and feeds it to the tile's per-query `TopK`. Extra memory is one tile of distances
 *  per thread plus k candidates per query: the full query x train matrix never exists.
 *
 *  - Euclidean / SquaredEuclidean: the training rows are centred once (CentredRows); for a tile,
 *    `C = X_block * Q_tile^T` on centred rows is one matrix product (kernels::gemm_packed_nt on
 *    the rows packed at fit where AVX-512 is there, else kernels::SerialGemm), and
 *    |x|^2 + |q|^2 - 2 q.x estimates each squared distance within a computed bound E
 *    (kernels::expansion_margin), which grows with the data's spread, never with its offset from
 *    the origin. Any row whose estimate is within E of the query's k-th value is recomputed
 *    directly, sum (x_j - q_j)^2 on the rows as given, and only exact values enter the k-buffer:
 *    the selected set is the exact k nearest on raw data too (timestamps, amounts in cents).
 *  - Other metrics: the register-tiled panel kernel of kernels/distance.hpp.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "../../config.hpp"
#include "../../core/detail/stop.hpp"
#include "../../core/parallel.hpp"
#include "../../core/types.hpp"
#include "../../kernels/distance.hpp"
#include "../../kernels/gemm.hpp"
#include "../../kernels/packed_gemm.hpp"
#include "../../kernels/topk.hpp"
#include "brute_common.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Cuts the `m` queries into tiles of `tile` (independent of the thread count, so results never
 *  depend on it) and calls `tile_fn(q0, mq, tops)` for each tile on up to `n_threads` threads,
 *  with `tops` the k-buffers of queries [q0, q0 + mq) over rows of `values`/`indices`.
 *  `stop` is polled before each tile (the tile functions poll it per block of rows too). */
template <class S, class TileFn>
void search_query_tiles(Eigen::Index m, int k, Eigen::Index tile, int n_threads, S* values,
                        int* indices, const Stop& stop, TileFn&& tile_fn) {
  const Eigen::Index n_tiles = (m + tile - 1) / tile;
  parallel_for<Eigen::Index>(0, n_tiles, n_threads, [&](Eigen::Index t) {
    stop.check();
    const Eigen::Index q0 = t * tile;
    const Eigen::Index mq = std::min(tile, m - q0);
    std::vector<kernels::TopK<S>> tops;
    tops.reserve(static_cast<std::size_t>(mq));
    for (Eigen::Index i = 0; i < mq; ++i) {
      tops.emplace_back(values + (q0 + i) * k, indices + (q0 + i) * k, k);
    }
    tile_fn(q0, mq, tops);
  });
}

/** Queries [q0, q0 + mq) against every training row: the tile of estimates
 *  |x|^2 + |q|^2 - 2 x.q on centred rows is one GEMM per block of training rows, and a row
 *  whose estimate is within E of the query's current k-th value is recomputed directly, so the
 *  k-buffers hold exact values. The recheck reads the centred rows (the block the GEMM just
 *  read, in cache) when the query centres exactly too, which gives the same value as the rows
 *  as given; else it reads the rows as given. `stop` is polled before each block; rows marked
 *  in `dead` (nullptr: none) are never offered. */
template <class S>
void query_tile_gemm(const CentredRows<S>& train, const RowMatrix<S>& X, const RowMatrix<S>& Q,
                     Eigen::Index q0, Eigen::Index mq, bool loo,
                     std::vector<kernels::TopK<S>>& tops, const BruteTiles& tiles,
                     const Stop& stop = {}, const std::uint8_t* dead = nullptr) {
  const Eigen::Index n = X.rows();
  const Eigen::Index d = X.cols();
  const Eigen::Index nb = std::min(tiles.gemm_rows, n);
  const RowMatrix<S> Qc = Q.middleRows(q0, mq).rowwise() - train.center;
  const Vector<S> qn = Qc.rowwise().squaredNorm();
  // Per query: the rows its rechecks read (centred when the query centres exactly).
  std::vector<const S*> recheck_rows(static_cast<std::size_t>(mq));
  std::vector<const S*> recheck_query(static_cast<std::size_t>(mq));
  for (Eigen::Index c = 0; c < mq; ++c) {
    const S* q = Q.data() + (q0 + c) * d;
    const bool centred = train.all_exact && kernels::shifts_exactly(q, train.center.data(), d);
    recheck_rows[static_cast<std::size_t>(c)] = centred ? train.rows.data() : X.data();
    recheck_query[static_cast<std::size_t>(c)] = centred ? Qc.data() + c * d : q;
  }
  // The packed AVX-512 product where there is one, its register tiles scanned as they come
  // (blocks start at panel boundaries); else Eigen's product into a tile of estimates.
  Matrix<S> C;
  std::optional<kernels::SerialGemm<S>> gemm;
  std::vector<double> E(static_cast<std::size_t>(mq));
  std::vector<S> bound(static_cast<std::size_t>(mq));
  for (Eigen::Index b0 = 0; b0 < n; b0 += nb) {
    stop.check();
    const Eigen::Index rows = std::min(nb, n - b0);
    const auto block_norms = train.norms.segment(b0, rows);
    const double block_max = static_cast<double>(block_norms.maxCoeff());
    for (Eigen::Index c = 0; c < mq; ++c) {
      E[static_cast<std::size_t>(c)] = kernels::expansion_margin(
          d, block_max + static_cast<double>(qn(c)), kernels::unit_roundoff<S>);
    }
    const auto exact_for = [&](Eigen::Index c) {
      const S* rows_from = recheck_rows[static_cast<std::size_t>(c)];
      const S* query = recheck_query[static_cast<std::size_t>(c)];
      return [rows_from, query, d](int row) {
        return kernels::fixed_order_sq_dist(rows_from + row * d, query, d);
      };
    };
    if (kernels::has_packed_gemm && b0 % kernels::gemm_panel_rows<S> == 0) {
      for (Eigen::Index c = 0; c < mq; ++c) {
        const auto cz = static_cast<std::size_t>(c);
        bound[cz] = kernels::checked_bound(tops[cz], E[cz]);
      }
      kernels::gemm_packed_nt_tiles(
          train.panels.data(), b0, rows, mq, d, Qc.data(),
          [&](Eigen::Index i, Eigen::Index j0, Eigen::Index rv, int nc, const S* acc) {
            const S* norms = train.norms.data() + b0 + i;
            for (int j = 0; j < nc; ++j) {
              const Eigen::Index c = j0 + j;
              const auto cz = static_cast<std::size_t>(c);
              const int skip = loo ? static_cast<int>(q0 + c) : -1;
              kernels::scan_estimates_checked(acc + j * kernels::gemm_panel_rows<S>, norms, qn(c),
                                              S(-2), rv, static_cast<int>(b0 + i), skip, E[cz],
                                              bound[cz], tops[cz], exact_for(c), dead);
            }
          });
      continue;
    }
    // C(0:rows, :) = |x|^2 + |q|^2 - 2 * X(b0:b0+rows, :) * Q(q0:q0+mq, :)^T: the norms
    // initialise C (instead of zeros) and the GEMM accumulates onto them.
    if (!gemm) {
      C.resize(nb, mq);
      gemm.emplace(nb, mq, d);
    }
    for (Eigen::Index c = 0; c < mq; ++c) C.col(c).head(rows) = block_norms.array() + qn(c);
    gemm->run(rows, mq, d, train.rows.data() + b0 * d, Qc.data(), C.data(), nb, S(-2), true);
    for (Eigen::Index c = 0; c < mq; ++c) {
      const int skip = loo ? static_cast<int>(q0 + c) : -1;
      kernels::scan_block_checked(C.data() + c * nb, rows, static_cast<int>(b0), skip,
                                  E[static_cast<std::size_t>(c)], tops[static_cast<std::size_t>(c)],
                                  exact_for(c), dead);
    }
  }
}

/** Queries [q0, q0 + mq) against every training row with the register-tiled panel kernel
 *  (metrics without the norm expansion): the packed training panels are walked in blocks of
 *  `tiles.panel_bytes`, `kernels::micro_queries` queries at a time, and each block of reduced
 *  distances is offered to the queries' k-buffers. `stop` is polled before each block; rows
 *  marked in `dead` (nullptr: none) are never offered. */
template <class S, class Metric>
void query_tile_panels(const std::vector<S>& packed, const RowMatrix<S>& X, const RowMatrix<S>& Q,
                       Eigen::Index q0, Eigen::Index mq, bool loo,
                       std::vector<kernels::TopK<S>>& tops, const BruteTiles& tiles,
                       const Stop& stop = {}, const std::uint8_t* dead = nullptr) {
  constexpr int NR = kernels::panel_rows<S>;
  constexpr int MR = kernels::micro_queries;
  const Eigen::Index n = X.rows();
  const Eigen::Index d = X.cols();
  const Eigen::Index n_panels = (n + NR - 1) / NR;
  const Eigen::Index bytes_per_panel = d * NR * static_cast<Eigen::Index>(sizeof(S));
  const Eigen::Index block_panels =
      std::clamp<Eigen::Index>(tiles.panel_bytes / bytes_per_panel, 1, n_panels);
  const Eigen::Index ldo = block_panels * NR;
  std::vector<S> buf(static_cast<std::size_t>(MR * ldo));
  for (Eigen::Index p0 = 0; p0 < n_panels; p0 += block_panels) {
    stop.check();
    const Eigen::Index p1 = std::min(n_panels, p0 + block_panels);
    const Eigen::Index row0 = p0 * NR;
    const Eigen::Index rows = std::min(p1 * NR, n) - row0;
    for (Eigen::Index m0 = 0; m0 < mq; m0 += MR) {
      const Eigen::Index mm = std::min<Eigen::Index>(MR, mq - m0);
      kernels::panels_block<S, Metric>(Q.row(q0 + m0).data(), d, mm, packed.data(), d, p0, p1,
                                       buf.data(), ldo);
      for (Eigen::Index r = 0; r < mm; ++r) {
        const int skip = loo ? static_cast<int>(q0 + m0 + r) : -1;
        kernels::scan_block(buf.data() + r * ldo, rows, static_cast<int>(row0), skip,
                            tops[static_cast<std::size_t>(m0 + r)], dead);
      }
    }
  }
}

}  // namespace detail
OSPREY_NAMESPACE_END

/** \file
 *  Exact brute-force k-nearest-neighbour search over tiles (internal; used by NearestNeighbors).
 *
 *  Queries are cut into fixed tiles (independent of the thread count, so results never depend
 *  on it); each tile walks the training set block by block, computes one block of reduced
 *  distances and feeds it to the tile's per-query `TopK`. Extra memory is one tile of distances
 *  per thread plus k candidates per query: the full query x train matrix never exists.
 *
 *  - Euclidean / SquaredEuclidean: for a tile, `C = X_block * Q_tile^T` is one Eigen matrix
 *    product (GEMM); the value ranked is |x|^2 - 2 q.x (|q|^2 is constant per query). The caller
 *    recomputes the exact distance of the k selected, so returned distances are exact to
 *    rounding; only the *selection* sees the expansion's cancellation error, about
 *    eps * (|q|^2 + |x|^2), which can swap neighbours whose squared distances differ by less.
 *  - Other metrics: the register-tiled panel kernel of kernels/distance.hpp.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <vector>

#include "../core/parallel.hpp"
#include "../core/types.hpp"
#include "../kernels/distance.hpp"
#include "../kernels/topk.hpp"

#if EIGEN_VERSION_AT_LEAST(3, 4, 0) && !EIGEN_VERSION_AT_LEAST(3, 4, 90)
/// 1 when the Euclidean tiles call Eigen 3.4's single-threaded GEMM kernel directly (known
/// internal API), 0 to fall back to Eigen's public matrix product.
#define OSPREY_EIGEN_INTERNAL_GEMM 1
#else
/// 1 when the Euclidean tiles call Eigen 3.4's single-threaded GEMM kernel directly (known
/// internal API), 0 to fall back to Eigen's public matrix product.
#define OSPREY_EIGEN_INTERNAL_GEMM 0
#endif

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Tile sizes of the brute-force search (tuned with bench/neighbors.cpp, see
 *  docs/benchmarks/neighbors.md). */
struct BruteTiles {
  Eigen::Index gemm_queries = 256;     ///< queries per tile, Euclidean path
  Eigen::Index gemm_rows = 1024;       ///< training rows per GEMM block
  Eigen::Index panel_queries = 256;    ///< queries per tile, tiled-kernel path
  Eigen::Index panel_bytes = 1 << 18;  ///< packed training bytes per block (L2-resident)
};

/** Single-threaded `C = alpha * A * B^T` for row-major A (rows x depth) and row-major B
 *  (cols x depth) into column-major C (leading dimension ldc). With Eigen 3.4 it calls Eigen's
 *  own GEMM kernel directly with packing buffers allocated once, so Eigen never tries to start
 *  its own OpenMP team (the searches parallelise over query tiles instead); other Eigen versions
 *  use the public product. */
template <class S>
class SerialGemm {
 public:
  SerialGemm(Eigen::Index max_rows, Eigen::Index max_cols, Eigen::Index depth)
#if OSPREY_EIGEN_INTERNAL_GEMM
      : blocking_(max_rows, max_cols, depth, 1, true) {
    blocking_.allocateAll();
  }
#else
  {
    (void)max_rows;
    (void)max_cols;
    (void)depth;
  }
#endif

  /** C = alpha A B^T, or C += alpha A B^T when `accumulate`. */
  void run(Eigen::Index rows, Eigen::Index cols, Eigen::Index depth, const S* A, const S* B, S* C,
           Eigen::Index ldc, S alpha, bool accumulate = false) {
#if OSPREY_EIGEN_INTERNAL_GEMM
    if (!accumulate) {
      for (Eigen::Index j = 0; j < cols; ++j) {
        std::fill(C + j * ldc, C + j * ldc + rows, S(0));
      }
    }
    Eigen::internal::general_matrix_matrix_product<Eigen::Index, S, Eigen::RowMajor, false, S,
                                                   Eigen::ColMajor, false, Eigen::ColMajor,
                                                   1>::run(rows, cols, depth, A, depth, B, depth, C,
                                                           1, ldc, alpha, blocking_, nullptr);
#else
    using RowMap = Eigen::Map<const RowMatrix<S>>;
    Eigen::Map<Matrix<S>, 0, Eigen::OuterStride<>> out(C, rows, cols, Eigen::OuterStride<>(ldc));
    if (accumulate) {
      out.noalias() += alpha * RowMap(A, rows, depth) * RowMap(B, cols, depth).transpose();
    } else {
      out.noalias() = alpha * RowMap(A, rows, depth) * RowMap(B, cols, depth).transpose();
    }
#endif
  }

 private:
#if OSPREY_EIGEN_INTERNAL_GEMM
  Eigen::internal::gemm_blocking_space<Eigen::ColMajor, S, S, Eigen::Dynamic, Eigen::Dynamic,
                                       Eigen::Dynamic, 1, false>
      blocking_;
#endif
};

/** A training set prepared for brute-force search with `Metric`. */
template <class Metric, class S>
class BruteIndex {
 public:
  BruteIndex() = default;

  /** Precomputes the row norms (Euclidean) or packed panels (other metrics) of `X`. */
  explicit BruteIndex(const RowMatrix<S>& X) {
    if constexpr (Metric::norm_expansion) {
      norms_ = X.rowwise().squaredNorm();
    } else {
      packed_ = pack_panels<S>(X.data(), X.rows(), X.cols(), X.cols());
    }
  }

  /** For every row i of `Q`: the k smallest (reduced value, index) pairs among the rows of the
   *  training set `X` this index was built from, lexicographically sorted, into row i of
   *  `values`/`indices` (m x k, row-major storage). When `leave_one_out`, Q is the training set
   *  and query i never returns index i. */
  void search(const RowMatrix<S>& X, const RowMatrix<S>& Q, int k, bool leave_one_out,
              int n_threads, S* values, int* indices, const BruteTiles& tiles = {}) const {
    const Eigen::Index m = Q.rows();
    const Eigen::Index tile = Metric::norm_expansion ? tiles.gemm_queries : tiles.panel_queries;
    const Eigen::Index n_tiles = (m + tile - 1) / tile;
    parallel_for<Eigen::Index>(0, n_tiles, n_threads, [&](Eigen::Index t) {
      const Eigen::Index q0 = t * tile;
      const Eigen::Index mq = std::min(tile, m - q0);
      std::vector<TopK<S>> tops;
      tops.reserve(static_cast<std::size_t>(mq));
      for (Eigen::Index i = 0; i < mq; ++i) {
        tops.emplace_back(values + (q0 + i) * k, indices + (q0 + i) * k, k);
      }
      if constexpr (Metric::norm_expansion) {
        search_gemm(X, Q, q0, mq, leave_one_out, tops, tiles);
      } else {
        search_panels(X, Q, q0, mq, leave_one_out, tops, tiles);
      }
    });
  }

 private:
  void search_gemm(const RowMatrix<S>& X, const RowMatrix<S>& Q, Eigen::Index q0, Eigen::Index mq,
                   bool loo, std::vector<TopK<S>>& tops, const BruteTiles& tiles) const {
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    const Eigen::Index nb = std::min(tiles.gemm_rows, n);
    Matrix<S> C(nb, mq);
    SerialGemm<S> gemm(nb, mq, d);
    for (Eigen::Index b0 = 0; b0 < n; b0 += nb) {
      const Eigen::Index rows = std::min(nb, n - b0);
      // C(0:rows, :) = |x|^2 - 2 * X(b0:b0+rows, :) * Q(q0:q0+mq, :)^T: the norms initialise C
      // (instead of zeros) and the GEMM accumulates onto them.
      for (Eigen::Index c = 0; c < mq; ++c) C.col(c).head(rows) = norms_.segment(b0, rows);
      gemm.run(rows, mq, d, X.data() + b0 * d, Q.data() + q0 * d, C.data(), nb, S(-2), true);
      for (Eigen::Index c = 0; c < mq; ++c) {
        const int skip = loo ? static_cast<int>(q0 + c) : -1;
        scan_block(C.data() + c * nb, rows, static_cast<int>(b0), skip,
                   tops[static_cast<std::size_t>(c)]);
      }
    }
  }

  void search_panels(const RowMatrix<S>& X, const RowMatrix<S>& Q, Eigen::Index q0, Eigen::Index mq,
                     bool loo, std::vector<TopK<S>>& tops, const BruteTiles& tiles) const {
    constexpr int NR = panel_rows<S>;
    constexpr int MR = micro_queries;
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    const Eigen::Index n_panels = (n + NR - 1) / NR;
    const Eigen::Index bytes_per_panel = d * NR * static_cast<Eigen::Index>(sizeof(S));
    const Eigen::Index block_panels =
        std::clamp<Eigen::Index>(tiles.panel_bytes / bytes_per_panel, 1, n_panels);
    const Eigen::Index ldo = block_panels * NR;
    std::vector<S> buf(static_cast<std::size_t>(MR * ldo));
    for (Eigen::Index p0 = 0; p0 < n_panels; p0 += block_panels) {
      const Eigen::Index p1 = std::min(n_panels, p0 + block_panels);
      const Eigen::Index row0 = p0 * NR;
      const Eigen::Index rows = std::min(p1 * NR, n) - row0;
      for (Eigen::Index m0 = 0; m0 < mq; m0 += MR) {
        const Eigen::Index mm = std::min<Eigen::Index>(MR, mq - m0);
        panels_block<Metric, S>(Q.row(q0 + m0).data(), d, mm, packed_.data(), d, p0, p1, buf.data(),
                                ldo);
        for (Eigen::Index r = 0; r < mm; ++r) {
          const int skip = loo ? static_cast<int>(q0 + m0 + r) : -1;
          scan_block(buf.data() + r * ldo, rows, static_cast<int>(row0), skip,
                     tops[static_cast<std::size_t>(m0 + r)]);
        }
      }
    }
  }

  Vector<S> norms_;
  std::vector<S> packed_;
};

}  // namespace detail
OSPREY_NAMESPACE_END

/** \file
 *  What the brute-force searches share (internal): the tile sizes, and the training rows centred
 *  exactly on their mean with their squared norms, from which the Euclidean searches estimate
 *  distances by the norm expansion |x|^2 + |q|^2 - 2 q.x (see brute_query.hpp and
 *  brute_symmetric.hpp; the arithmetic is in kernels/distance.hpp).
 */
#pragma once

#include <Eigen/Core>

#include "../../config.hpp"
#include "../../core/detail/huge_pages.hpp"
#include "../../core/types.hpp"
#include "../../kernels/distance.hpp"
#include "../../kernels/packed_gemm.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Tile sizes of the brute-force search (tuned with bench/neighbors.cpp, see
 *  docs/benchmarks/neighbors.md). */
struct BruteTiles {
  Eigen::Index gemm_queries = 256;     ///< queries per tile, Euclidean path
  Eigen::Index gemm_rows = 1024;       ///< training rows per GEMM block
  Eigen::Index panel_queries = 256;    ///< queries per tile, tiled-kernel path
  Eigen::Index panel_bytes = 1 << 18;  ///< packed training bytes per block (L2-resident)
  Eigen::Index sym_block = 256;        ///< rows per block, symmetric leave-one-out path
  /// Double symmetric searches with at least this many rows filter the pairs in float (GEMM
  /// and scan at twice the SIMD width) and recompute every candidate exactly in double.
  Eigen::Index float_filter_rows = 1024;
};

/** The training rows centred on an exact centre (kernels::exact_center) and their squared
 *  norms: the norm expansion's rounding grows with |x|^2, so on centred rows it grows with the
 *  data's spread, not with where the data sit (timestamps, amounts in cents). */
template <class S>
struct CentredRows {
  CentredRows() = default;

  /** Centres the rows of `X` and takes their squared norms. */
  explicit CentredRows(const RowMatrix<S>& X)
      : center(kernels::exact_center(X)), rows(X.rows(), X.cols()) {
    hint_huge_pages(rows.data(), static_cast<std::size_t>(rows.size()) * sizeof(S));
    rows.noalias() = X.rowwise() - center;
    norms = rows.rowwise().squaredNorm();
    panels = kernels::pack_gemm_panels(rows.data(), rows.rows(), rows.cols());
  }

  Eigen::Matrix<S, 1, Eigen::Dynamic> center;  ///< the training mean (exactly centring)
  RowMatrix<S> rows;                           ///< the training rows minus center
  Vector<S> norms;                             ///< squared norms of the centred rows
  /// The centred rows as the AVX-512 tile product's panels (kernels/packed_gemm.hpp): one
  /// more copy of the rows where has_packed_gemm, empty elsewhere.
  kernels::PackedPanels<S> panels;
  /// False once rows were appended (BruteIndex::append) whose shift by `center` is not exact:
  /// the searches then recheck candidates on the rows as given.
  bool all_exact = true;
};

}  // namespace detail
OSPREY_NAMESPACE_END

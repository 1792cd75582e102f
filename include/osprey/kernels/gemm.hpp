/** \file
 *  The single-threaded matrix product of the Euclidean neighbour searches: `C = alpha * A * B^T`
 *  for row-major A (rows x depth) and B (cols x depth) into a column-major tile C, the
 *  `-2 x.q` part of the norm expansion |x|^2 + |q|^2 - 2 x.q.
 *
 *  With Eigen 3.4, `SerialGemm` calls Eigen's own GEMM kernel directly with packing buffers
 *  allocated once per instance (so Eigen never starts its own OpenMP team: the searches
 *  parallelise over tiles instead); other Eigen versions use the public matrix product.
 *
 *  Cost: 2 rows cols depth flops per call; memory traffic is A, B and C once each per call
 *  (Eigen packs A and B into the instance's buffers, O(max_rows depth + max_cols depth)).
 *  Thread-safety: an instance holds its packing buffers, so one instance per thread; `run`
 *  touches only its arguments and those buffers.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>

#include "../config.hpp"
#include "../core/types.hpp"

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
namespace kernels {

/** Single-threaded `C = alpha * A * B^T` for row-major A (rows x depth) and row-major B
 *  (cols x depth) into column-major C (leading dimension ldc). With Eigen 3.4 it calls Eigen's
 *  own GEMM kernel directly with packing buffers allocated once, so Eigen never tries to start
 *  its own OpenMP team (the searches parallelise over query tiles instead); other Eigen versions
 *  use the public product. */
template <class S>
class SerialGemm {
 public:
  /** Allocates the packing space for products of up to `max_rows` x `max_cols` over `depth`. */
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
    using RowMap = Eigen::Map<const RowMatrix<S> >;
    Eigen::Map<Matrix<S>, 0, Eigen::OuterStride<> > out(C, rows, cols, Eigen::OuterStride<>(ldc));
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

}  // namespace kernels
OSPREY_NAMESPACE_END

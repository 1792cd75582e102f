/** \file
 *  Scoring walk of an Extended Isolation Forest (Hariri, Kind & Brunner, IEEE TKDE 2021): the
 *  sum over trees of the path length h_t(x) of each row x through trees whose nodes split on
 *  hyperplanes. The trees keep the complete-binary-tree layout of kernels/isolation_walk.hpp
 *  (children of slot p are 2p+1 and 2p+2, `height` levels of split slots, leaf values in the
 *  same place); only the split differs: a row goes left at a node when
 *
 *      sum_m (x[f_m] - c[f_m]) n_m  <=  b
 *
 *  where the node's normal vector has k = extension_level + 1 non-zero components n_m on the
 *  tree's local features f_m, c is the tree's centre (the midpoint of its sample's range per
 *  feature) and b = (p - c) . n for the node's intercept point p. Writing the split relative
 *  to the tree's centre keeps the sums small where the data sits far from the origin.
 *
 *  Arithmetic: every term is computed in double, in order m = 0..k-1, by `hyperplane_dot` for
 *  growth, the block walk and the one-row walk alike, so a row's sum is bit-identical on any
 *  thread count and in every entry point.
 *
 *  Cost: O(n T (d_T + height k)) multiply-adds for n rows, T trees of d_T features; memory per
 *  tree n_internal k (sizeof(Scalar) + 4) bytes of normals (the 4-byte feature indices only when
 *  k < d_T). Thread safety: as kernels/isolation_walk.hpp.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../config.hpp"
#include "../core/detail/stop.hpp"
#include "../core/parallel.hpp"
#include "../core/types.hpp"
#include "isolation_walk.hpp"

OSPREY_NAMESPACE_BEGIN
namespace kernels {

/** A read-only view of a fitted Extended Isolation Forest. Tree `t` owns slice `t` of each
 *  array: `d_tree` global feature indices and centres, `n_internal() = 2^height - 1` split slots
 *  of one intercept and `k` normal components each (an unsplit slot has intercept +inf and a
 *  zero normal, so every row goes left), and `n_leaves() = 2^height` path lengths. */
template <class Scalar>
struct HyperplaneTrees {
  const Scalar* intercepts = nullptr;              ///< T x n_internal() b values
  const Scalar* normals = nullptr;                 ///< T x n_internal() x k components
  const std::uint32_t* normal_features = nullptr;  ///< same shape, local feature of each
                                                   ///< component; null when k == d_tree
                                                   ///< (component m is local feature m)
  const std::uint32_t* tree_features = nullptr;    ///< T x d_tree global feature indices
  const Scalar* centres = nullptr;                 ///< T x d_tree centre coordinates
  const Scalar* leaf_values = nullptr;             ///< T x n_leaves() path lengths
  Eigen::Index n_estimators = 0;                   ///< number of trees
  int height = 1;                                  ///< levels of splits in every tree
  Eigen::Index d_tree = 1;                         ///< features per tree
  Eigen::Index k = 1;                              ///< non-zero components per normal

  /** Split slots per tree, `2^height - 1`. */
  [[nodiscard]] std::size_t n_internal() const noexcept {
    return (std::size_t{1} << static_cast<unsigned>(height)) - 1;
  }
  /** Leaf slots per tree, `2^height`. */
  [[nodiscard]] std::size_t n_leaves() const noexcept {
    return std::size_t{1} << static_cast<unsigned>(height);
  }
};

/** `sum_m z[f_m * stride] n_m` for one node: `z` points at one row's centred coordinates (local
 *  feature j at `z[j * stride]`), `nv` at the node's k components, `nf` at their local features
 *  (null: component m is feature m). The one formula growth and both walks use. */
template <class Scalar>
OSPREY_ALWAYS_INLINE double hyperplane_dot(const double* z, std::ptrdiff_t stride, const Scalar* nv,
                                           const std::uint32_t* nf, Eigen::Index k) {
  double dot = 0.0;
  if (nf == nullptr) {
    for (Eigen::Index m = 0; m < k; ++m) dot += z[m * stride] * static_cast<double>(nv[m]);
  } else {
    for (Eigen::Index m = 0; m < k; ++m) {
      dot += z[static_cast<std::ptrdiff_t>(nf[m]) * stride] * static_cast<double>(nv[m]);
    }
  }
  return dot;
}

/** Sum over trees of the path length of rows [0, B) held in `xb` (global feature f of row r at
 *  `xb[f * stride + r]`), added into `acc`. `zb` is scratch of d_tree * stride doubles. Rows
 *  are walked level by level, each with its own node, as the axis-parallel rows-per-tree walk. */
template <class Scalar>
void hyperplane_block(const HyperplaneTrees<Scalar>& s, const Scalar* xb, std::ptrdiff_t stride,
                      Eigen::Index B, double* zb, double* acc) {
  const std::size_t n_int = s.n_internal();
  const std::size_t n_leaf = s.n_leaves();
  const auto dt = static_cast<std::size_t>(s.d_tree);
  const auto k = static_cast<std::size_t>(s.k);
  std::int32_t idx[kIsolationBlock];
  for (Eigen::Index t = 0; t < s.n_estimators; ++t) {
    const auto tt = static_cast<std::size_t>(t);
    const std::uint32_t* tf = s.tree_features + tt * dt;
    const Scalar* centre = s.centres + tt * dt;
    for (std::size_t j = 0; j < dt; ++j) {
      const Scalar* col = xb + static_cast<std::ptrdiff_t>(tf[j]) * stride;
      double* z = zb + static_cast<std::ptrdiff_t>(j) * stride;
      const auto cj = static_cast<double>(centre[j]);
      for (Eigen::Index r = 0; r < B; ++r) z[r] = static_cast<double>(col[r]) - cj;
    }
    const Scalar* b = s.intercepts + tt * n_int;
    const Scalar* normals = s.normals + tt * n_int * k;
    const std::uint32_t* nfs = s.normal_features ? s.normal_features + tt * n_int * k : nullptr;
    for (Eigen::Index r = 0; r < B; ++r) idx[r] = 0;
    for (int level = 0; level < s.height; ++level) {
      for (Eigen::Index r = 0; r < B; ++r) {
        const auto node = static_cast<std::size_t>(idx[r]);
        const double dot =
            hyperplane_dot(zb + r, stride, normals + node * k, nfs ? nfs + node * k : nullptr, s.k);
        idx[r] = 2 * idx[r] + 1 + static_cast<std::int32_t>(dot > static_cast<double>(b[node]));
      }
    }
    const Scalar* leaf = s.leaf_values + tt * n_leaf - n_int;
    for (Eigen::Index r = 0; r < B; ++r) acc[r] += static_cast<double>(leaf[idx[r]]);
  }
}

/** Sum over trees of the path length of one row `x` (contiguous global features), through the
 *  same code as the block walk (a block of one row), so it equals the batch sum bit for bit.
 *  `zb` is scratch of d_tree doubles. */
template <class Scalar>
[[nodiscard]] double hyperplane_row(const HyperplaneTrees<Scalar>& s, const Scalar* x, double* zb) {
  double sum = 0.0;
  hyperplane_block(s, x, 1, 1, zb, &sum);
  return sum;
}

/** Sum over trees of the path length h_t(x) of every row of X (validated by the caller), in
 *  blocks of kIsolationBlock rows, parallel over chunks of kIsolationChunk rows as
 *  isolation_path_sums: bit-identical on any thread count. `stop` is polled per chunk. */
template <class Scalar, class Derived>
[[nodiscard]] std::vector<double> hyperplane_path_sums(const HyperplaneTrees<Scalar>& s,
                                                       const Eigen::MatrixBase<Derived>& X,
                                                       int n_threads,
                                                       const detail::Stop& stop = {}) {
  const Eigen::Index n = X.rows();
  const Eigen::Index d = X.cols();
  std::vector<double> sums(static_cast<std::size_t>(n), 0.0);
  const Eigen::Index n_chunks = (n + kIsolationChunk - 1) / kIsolationChunk;
  with_readable(X, [&](const auto& Xr) {
    detail::parallel_for_dynamic(Eigen::Index{0}, n_chunks, n_threads, [&](Eigen::Index chunk) {
      stop.check();
      const Eigen::Index begin = chunk * kIsolationChunk;
      const Eigen::Index end = std::min(n, begin + kIsolationChunk);
      std::vector<Scalar> xb(static_cast<std::size_t>(kIsolationBlock * d));
      std::vector<double> zb(static_cast<std::size_t>(kIsolationBlock * s.d_tree));
      for (Eigen::Index b0 = begin; b0 < end; b0 += kIsolationBlock) {
        const Eigen::Index B = std::min(kIsolationBlock, end - b0);
        for (Eigen::Index j = 0; j < d; ++j) {
          Scalar* col = xb.data() + j * kIsolationBlock;
          for (Eigen::Index r = 0; r < B; ++r) col[r] = static_cast<Scalar>(Xr.coeff(b0 + r, j));
        }
        hyperplane_block(s, xb.data(), kIsolationBlock, B, zb.data(),
                         sums.data() + static_cast<std::size_t>(b0));
      }
    });
    return 0;
  });
  return sums;
}

}  // namespace kernels
OSPREY_NAMESPACE_END

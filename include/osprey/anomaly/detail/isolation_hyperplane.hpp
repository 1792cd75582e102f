/** \file
 *  Growth of the hyperplane trees of an Extended Isolation Forest (Hariri, Kind & Brunner,
 *  "Extended Isolation Forest", IEEE TKDE 33(4), 2021), `IsolationForestParams::extension_level`
 *  >= 1, into the flat arrays of `IsolationForestState` (anomaly/detail/isolation_tree.hpp;
 *  scoring: kernels/isolation_hyperplane_walk.hpp). Not API.
 *
 *  A tree draws its features and rows exactly as an axis-parallel one (draw_isolation_tree, and
 *  the weighted mapping of anomaly/detail/isolation_weights.hpp), takes as its centre c the
 *  midpoint of its sample's [min, max] per feature, then grows each node in depth-first,
 *  left-first order:
 *  - a node at the height limit, of at most one row, or whose rows are all equal on every tree
 *    feature becomes a leaf (path length depth + c(size)), as in the axis-parallel trees;
 *  - else it draws the k = extension_level + 1 coordinates of its normal vector among the d_T
 *    tree features (partial Fisher-Yates, then sorted; all of them, undrawn, when k == d_T), one
 *    standard-normal component per coordinate (redrawn in the measure-zero case that it rounds
 *    to 0, so exactly k components are non-zero), then the intercept point p uniformly in the
 *    node's bounding box, coordinate by coordinate (only the k coordinates where n is non-zero
 *    matter: p's other coordinates multiply zeros), and stores b = (p - c) . n;
 *  - rows with (x - c) . n <= b, i.e. (x - p) . n <= 0, go left. As in the paper a hyperplane
 *    may leave one side empty (the paper's algorithm, not a fault): the empty child is a leaf
 *    of size 0 and the other continues one level deeper.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "../../core/detail/stop.hpp"
#include "../../core/random.hpp"
#include "../../kernels/isolation_hyperplane_walk.hpp"
#include "isolation_tree.hpp"
#include "isolation_weights.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Sizes the arrays of a hyperplane forest of `T` trees of `d_tree` features (s.height and
 *  s.extension_level set): every slot unsplit (intercept +inf, zero normal), leaf values and
 *  counts 0; `features` stays empty. Fills a few MiB at a time, polling `stop`. */
template <class Scalar>
void hyperplane_fill(IsolationForestState<Scalar>& s, std::size_t T, Eigen::Index d_tree,
                     const Stop& stop) {
  const auto dt = static_cast<std::size_t>(d_tree);
  const auto k = static_cast<std::size_t>(s.normal_terms());
  s.d_tree = d_tree;
  s.features.clear();
  polled_fill(s.thresholds, T * s.n_internal(), std::numeric_limits<Scalar>::infinity(), stop);
  polled_fill(s.leaf_values, T * s.n_leaves(), Scalar(0), stop);
  polled_fill(s.counts, T * (s.n_internal() + s.n_leaves()), std::uint32_t{0}, stop);
  polled_fill(s.tree_features, T * dt, std::uint32_t{0}, stop);
  polled_fill(s.centres, T * dt, Scalar(0), stop);
  polled_fill(s.normals, T * s.n_internal() * k, Scalar(0), stop);
  polled_fill(s.normal_features, k < dt ? T * s.n_internal() * k : 0, std::uint32_t{0}, stop);
}

/** Scratch of one hyperplane tree being grown, and the recursive node builder. */
template <class Scalar>
struct HyperplaneTreeBuilder {
  IsolationForestState<Scalar>& s;
  std::size_t t = 0;
  std::size_t psi = 0;
  std::size_t d_tree = 0;
  std::vector<double> z;                  // column-major psi x d_tree sample minus the centre
  std::vector<std::uint32_t> order;       // row positions, partitioned node by node
  std::vector<std::uint32_t> candidates;  // scratch for drawing coordinates

  void leaf(std::size_t slot, int depth, std::size_t size) {
    const std::size_t n_int = s.n_internal();
    const auto below = static_cast<unsigned>(s.height - depth);
    const std::size_t leaf_slot = ((slot + 1) << below) - 1;  // leftmost descendant at height
    s.leaf_values[t * s.n_leaves() + (leaf_slot - n_int)] =
        static_cast<Scalar>(static_cast<double>(depth) + average_path_length(size));
  }

  /** True when the rows order[begin, end) agree on every tree feature. */
  [[nodiscard]] bool all_equal(std::size_t begin, std::size_t end) const {
    for (std::size_t j = 0; j < d_tree; ++j) {
      const double* col = z.data() + j * psi;
      const double first = col[order[begin]];
      for (std::size_t i = begin + 1; i < end; ++i) {
        if (col[order[i]] != first) return false;
      }
    }
    return true;
  }

  /** Draws the node's coordinates and normal components into the slot's arrays. */
  void draw_normal(std::size_t slot, Rng& rng) {
    const auto k = static_cast<std::size_t>(s.normal_terms());
    const bool full = k == d_tree;
    for (std::size_t j = 0; j < d_tree; ++j) candidates[j] = static_cast<std::uint32_t>(j);
    if (!full) {
      for (std::size_t m = 0; m < k; ++m) {
        const std::size_t pick = m + static_cast<std::size_t>(rng.bounded(d_tree - m));
        std::swap(candidates[m], candidates[pick]);
      }
      std::sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k));
    }
    const std::size_t at = (t * s.n_internal() + slot) * k;
    for (std::size_t m = 0; m < k; ++m) {
      if (!full) s.normal_features[at + m] = candidates[m];
      Scalar v = Scalar(0);
      while (v == Scalar(0)) v = static_cast<Scalar>(rng.normal());
      s.normals[at + m] = v;
    }
  }

  /** Grows the node at `slot` over the rows `order[begin, end)` (see the file comment). */
  void grow(std::size_t slot, int depth, std::size_t begin, std::size_t end, Rng& rng) {
    const std::size_t size = end - begin;
    const std::size_t n_int = s.n_internal();
    s.counts[t * (n_int + s.n_leaves()) + slot] = static_cast<std::uint32_t>(size);
    if (depth >= s.height || size <= 1 || all_equal(begin, end)) {
      leaf(slot, depth, size);
      return;
    }
    draw_normal(slot, rng);
    const auto k = static_cast<std::size_t>(s.normal_terms());
    const std::size_t at = (t * n_int + slot) * k;
    const Scalar* nv = s.normals.data() + at;
    const std::uint32_t* nf = k == d_tree ? nullptr : s.normal_features.data() + at;
    double b = 0.0;
    for (std::size_t m = 0; m < k; ++m) {
      const double* col = z.data() + (nf ? nf[m] : m) * psi;
      double lo = col[order[begin]];
      double hi = lo;
      for (std::size_t i = begin + 1; i < end; ++i) {
        lo = std::min(lo, col[order[i]]);
        hi = std::max(hi, col[order[i]]);
      }
      const double p = lo + rng.uniform() * (hi - lo);
      b += p * static_cast<double>(nv[m]);
    }
    const auto stored = static_cast<Scalar>(b);
    s.thresholds[t * n_int + slot] = stored;
    const auto mid = static_cast<std::size_t>(
        std::partition(order.begin() + static_cast<std::ptrdiff_t>(begin),
                       order.begin() + static_cast<std::ptrdiff_t>(end),
                       [&](std::uint32_t i) {
                         return kernels::hyperplane_dot(
                                    z.data() + i, static_cast<std::ptrdiff_t>(psi), nv, nf,
                                    static_cast<Eigen::Index>(k)) <= static_cast<double>(stored);
                       }) -
        order.begin());
    grow(2 * slot + 1, depth + 1, begin, mid, rng);
    grow(2 * slot + 2, depth + 1, mid, end, rng);
  }
};

/** Grows hyperplane tree t of `s` from its sample (column-major psi x d_tree, the values of the
 *  tree's `features` in draw order, as grow_isolation_tree_from_sample takes it); `rng`
 *  continues from the tree's draws. Sets the tree's features and centre. */
template <class Scalar>
void grow_hyperplane_tree_from_sample(const std::vector<Scalar>& sample,
                                      const std::vector<std::uint32_t>& features, std::size_t t,
                                      Rng& rng, IsolationForestState<Scalar>& s) {
  const auto psi = static_cast<std::size_t>(s.samples_per_tree);
  const std::size_t dt = features.size();
  HyperplaneTreeBuilder<Scalar> tree{s, t, psi, dt, std::vector<double>(psi * dt), {}, {}};
  for (std::size_t j = 0; j < dt; ++j) {
    const Scalar* col = sample.data() + j * psi;
    const auto [lo, hi] = std::minmax_element(col, col + psi);
    const double l = static_cast<double>(*lo);
    const auto centre = static_cast<Scalar>(l + 0.5 * (static_cast<double>(*hi) - l));
    s.tree_features[t * dt + j] = features[j];
    s.centres[t * dt + j] = centre;
    for (std::size_t i = 0; i < psi; ++i) {
      tree.z[j * psi + i] = static_cast<double>(col[i]) - static_cast<double>(centre);
    }
  }
  tree.order.resize(psi);
  for (std::size_t i = 0; i < psi; ++i) tree.order[i] = static_cast<std::uint32_t>(i);
  tree.candidates.resize(dt);
  tree.grow(0, 0, 0, psi, rng);
}

/** Draws hyperplane tree t's features and rows from `rng` exactly as grow_isolation_tree does
 *  (weights included), copies the sample and grows the tree into its slices of `s`. */
template <class Scalar, class Readable>
void grow_hyperplane_tree(const Readable& X, Eigen::Index d_tree, bool bootstrap, std::size_t t,
                          Rng& rng, IsolationForestState<Scalar>& s,
                          const IsolationRowWeights* weights = nullptr) {
  const auto psi = static_cast<std::size_t>(s.samples_per_tree);
  const IsolationSample<Scalar> sample =
      draw_isolation_sample<Scalar>(X, d_tree, bootstrap, psi, rng, weights);
  grow_hyperplane_tree_from_sample(sample.values, sample.features, t, rng, s);
}

/** Per-feature credits of one row (`row`: its global features) through the hyperplane trees of
 *  `s`, summed over trees into `out` (IsolationForest::feature_contributions divides by T):
 *  split j's credit c(n_j) - 1 - c(n_{j+1}) is shared among the node's features in proportion
 *  to n_f^2 / |n|^2. The walk takes the scoring walk's branches (kernels::hyperplane_dot). */
template <class Scalar>
void hyperplane_contributions(const IsolationForestState<Scalar>& s, const Scalar* row,
                              double* out) {
  const kernels::HyperplaneTrees<Scalar> v = s.hyperplane_trees();
  const std::size_t n_int = s.n_internal();
  const std::size_t n_slots = n_int + s.n_leaves();
  const auto dt = static_cast<std::size_t>(s.d_tree);
  const auto k = static_cast<std::size_t>(s.normal_terms());
  std::vector<double> z(dt);
  for (std::size_t t = 0; t < static_cast<std::size_t>(s.n_estimators); ++t) {
    const std::uint32_t* tf = v.tree_features + t * dt;
    for (std::size_t j = 0; j < dt; ++j) {
      z[j] = static_cast<double>(row[tf[j]]) - static_cast<double>(v.centres[t * dt + j]);
    }
    const Scalar* b = v.intercepts + t * n_int;
    const std::uint32_t* count = s.counts.data() + t * n_slots;
    std::size_t node = 0;
    while (node < n_int && b[node] != std::numeric_limits<Scalar>::infinity()) {
      const Scalar* nv = v.normals + (t * n_int + node) * k;
      const std::uint32_t* nf =
          v.normal_features ? v.normal_features + (t * n_int + node) * k : nullptr;
      const double dot = kernels::hyperplane_dot(z.data(), 1, nv, nf, v.k);
      const std::size_t child =
          2 * node + 1 + static_cast<std::size_t>(dot > static_cast<double>(b[node]));
      const double credit =
          average_path_length(count[node]) - 1.0 - average_path_length(count[child]);
      double norm2 = 0.0;
      for (std::size_t m = 0; m < k; ++m) {
        norm2 += static_cast<double>(nv[m]) * static_cast<double>(nv[m]);
      }
      for (std::size_t m = 0; m < k; ++m) {
        const auto n_m = static_cast<double>(nv[m]);
        out[tf[nf ? nf[m] : m]] += credit * (n_m * n_m / norm2);
      }
      node = child;
    }
  }
}

}  // namespace detail
OSPREY_NAMESPACE_END

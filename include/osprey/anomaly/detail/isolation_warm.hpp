/** \file
 *  Growing a fitted forest (`IsolationForest::add_trees`, scikit-learn's warm_start): the
 *  flat arrays of `IsolationForestState` re-laid out at a larger height and the trees of two
 *  states concatenated. Not API.
 *
 *  In the complete-binary-tree layout a slot keeps its index when the layout gets taller (slot
 *  p at depth k is 2^k - 1 + its position in the level, whatever the height), so a tree grown
 *  to height h moves into a layout of height H > h by copying its split slots and counts, and
 *  leaving the new slots unsplit: each old leaf slot becomes an unsplit internal slot whose
 *  leftmost descendant at depth H takes its path length. Every row then reaches the same
 *  value through the same splits.
 */
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "isolation_tree.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** `v` holds T blocks of `per_old` values; returns T blocks of `per_new >= per_old`, each
 *  starting with the old block and padded with `pad`. */
template <class T>
std::vector<T> widen_blocks(const std::vector<T>& v, std::size_t n_trees, std::size_t per_old,
                            std::size_t per_new, T pad) {
  std::vector<T> out(n_trees * per_new, pad);
  for (std::size_t t = 0; t < n_trees; ++t) {
    std::copy(v.begin() + static_cast<std::ptrdiff_t>(t * per_old),
              v.begin() + static_cast<std::ptrdiff_t>((t + 1) * per_old),
              out.begin() + static_cast<std::ptrdiff_t>(t * per_new));
  }
  return out;
}

/** Re-lays the trees of `s` out at height `H >= s.height` (see the file comment). */
template <class Scalar>
void raise_height(IsolationForestState<Scalar>& s, int H) {
  if (H <= s.height) return;
  const auto T = static_cast<std::size_t>(s.n_estimators);
  const std::size_t int_old = s.n_internal();
  const std::size_t leaf_old = s.n_leaves();
  const auto below = static_cast<unsigned>(H - s.height);
  IsolationForestState<Scalar> taller = s;
  taller.height = H;
  const std::size_t int_new = taller.n_internal();
  const std::size_t leaf_new = taller.n_leaves();
  const auto k = static_cast<std::size_t>(s.hyperplanes() ? s.normal_terms() : 0);
  taller.thresholds =
      widen_blocks(s.thresholds, T, int_old, int_new, std::numeric_limits<Scalar>::infinity());
  if (!s.features.empty()) {
    taller.features = widen_blocks(s.features, T, int_old, int_new, std::uint32_t{0});
  }
  if (!s.normals.empty()) {
    taller.normals = widen_blocks(s.normals, T, int_old * k, int_new * k, Scalar(0));
  }
  if (!s.normal_features.empty()) {
    taller.normal_features =
        widen_blocks(s.normal_features, T, int_old * k, int_new * k, std::uint32_t{0});
  }
  taller.counts =
      widen_blocks(s.counts, T, int_old + leaf_old, int_new + leaf_new, std::uint32_t{0});
  taller.leaf_values.assign(T * leaf_new, Scalar(0));
  for (std::size_t t = 0; t < T; ++t) {
    for (std::size_t l = 0; l < leaf_old; ++l) {
      const std::size_t slot = int_old + l;  // the old leaf, now an unsplit internal slot
      const std::size_t leftmost = ((slot + 1) << below) - 1;
      taller.leaf_values[t * leaf_new + (leftmost - int_new)] = s.leaf_values[t * leaf_old + l];
    }
  }
  s = std::move(taller);
}

/** Appends the trees of `more` (grown on the same features with the same extension level and
 *  features per tree) after those of `s`, both laid out at the larger height. `s` takes
 *  `more`'s samples_per_tree, the psi of the latest trees (scikit-learn's max_samples_ after a
 *  warm start, which normalises every tree's path length). */
template <class Scalar>
void append_trees(IsolationForestState<Scalar>& s, IsolationForestState<Scalar> more) {
  const int H = std::max(s.height, more.height);
  raise_height(s, H);
  raise_height(more, H);
  const auto append = [](auto& to, const auto& from) {
    to.insert(to.end(), from.begin(), from.end());
  };
  append(s.thresholds, more.thresholds);
  append(s.features, more.features);
  append(s.leaf_values, more.leaf_values);
  append(s.counts, more.counts);
  append(s.tree_features, more.tree_features);
  append(s.centres, more.centres);
  append(s.normals, more.normals);
  append(s.normal_features, more.normal_features);
  s.n_estimators += more.n_estimators;
  s.samples_per_tree = more.samples_per_tree;
}

}  // namespace detail
OSPREY_NAMESPACE_END

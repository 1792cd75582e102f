/** \file
 *  Internals of `IsolationForest` (anomaly/isolation_forest.hpp): c(n), the height limit, the
 *  fitted state in flat complete-binary-tree arrays, tree growth (feature subset, Floyd's row
 *  sample, the recursive node builder), the binary format's identity and read access for
 *  osprey's own tests. Not API.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <unordered_set>
#include <utility>
#include <vector>

#include "../../core/detail/stop.hpp"
#include "../../core/random.hpp"
#include "../../io/binary_format.hpp"
#include "../../kernels/isolation_hyperplane_walk.hpp"
#include "../../kernels/isolation_walk.hpp"
#include "isolation_weights.hpp"

OSPREY_NAMESPACE_BEGIN

template <class ScalarT>
class IsolationForest;

namespace detail {

/** c(n) of Liu et al. (2008): the average path length of an unsuccessful search in a binary
 *  search tree of n points, `c(n) = 2 H(n - 1) - 2 (n - 1) / n` with the harmonic number
 *  `H(i) ~ ln(i) + 0.5772156649` (Euler's constant). As scikit-learn, c(0) = c(1) = 0 and
 *  c(2) = 1 (the exact value; the approximation would give 0.154). */
[[nodiscard]] inline double average_path_length(std::uint64_t n) noexcept {
  if (n <= 1) return 0.0;
  if (n == 2) return 1.0;
  const auto x = static_cast<double>(n);
  return 2.0 * (std::log(x - 1.0) + std::numbers::egamma) - 2.0 * (x - 1.0) / x;
}

/** The tree height limit of Liu et al., `ceil(log2(psi))` for `psi` samples per tree, computed
 *  exactly on integers; at least 1 (scikit-learn's `ceil(log2(max(psi, 2)))`). */
[[nodiscard]] inline int isolation_height_limit(std::uint64_t psi) noexcept {
  int h = 1;
  while (h < 63 && (std::uint64_t{1} << static_cast<unsigned>(h)) < psi) ++h;
  return h;
}

/** The fitted forest. Tree `t` owns a contiguous slice of each array (an axis-parallel forest,
 *  `extension_level == 0`):
 *  - `thresholds`, `features`: `n_internal = 2^height - 1` split slots. A row goes to the left
 *    child when `x[feature] <= threshold`, else to the right one. A slot that is not a real split
 *    (an early leaf or a slot below one) has threshold +inf and feature 0, so every row goes left.
 *  - `leaf_values`: `n_leaves = 2^height` path lengths `depth + c(size)`; a leaf reached at depth
 *    `k < height` stores its value in the leftmost leaf slot below it.
 *  - `counts`: `n_internal + n_leaves` training rows per slot (0 for unreachable slots), used
 *    only by the per-feature contributions.
 *  A hyperplane forest (`extension_level >= 1`, anomaly/detail/isolation_hyperplane.hpp) keeps
 *  `leaf_values` and `counts` as above, holds its node intercepts in `thresholds` (same slots,
 *  +inf where unsplit), leaves `features` empty and adds, per tree, `d_tree` entries of
 *  `tree_features` and `centres`, and per split slot `k = extension_level + 1` entries of
 *  `normals` and (only when k < d_tree) of `normal_features` (kernels::HyperplaneTrees).
 *  Trees may have been grown with different height limits (IsolationForest::add_trees on fewer
 *  rows): `height` is the largest, a shorter tree simply has all its leaves above it. */
template <class Scalar>
struct IsolationForestState {
  Eigen::Index n_features = 0;
  Eigen::Index n_estimators = 0;
  Eigen::Index samples_per_tree = 0;  // psi
  int height = 1;
  double offset = -0.5;
  std::vector<Scalar> thresholds;
  std::vector<std::uint32_t> features;
  std::vector<Scalar> leaf_values;
  std::vector<std::uint32_t> counts;
  int extension_level = 0;  // 0: axis-parallel splits; else hyperplanes of level + 1 terms
  Eigen::Index d_tree = 0;  // features per tree (hyperplane forests only)
  std::vector<std::uint32_t> tree_features;    // T x d_tree (hyperplane forests only)
  std::vector<Scalar> centres;                 // T x d_tree (hyperplane forests only)
  std::vector<Scalar> normals;                 // T x n_internal x k (hyperplane forests only)
  std::vector<std::uint32_t> normal_features;  // same, or empty when k == d_tree

  /** True for an Extended Isolation Forest (extension_level >= 1). */
  [[nodiscard]] bool hyperplanes() const noexcept { return extension_level > 0; }
  /** Non-zero components per normal vector, extension_level + 1. */
  [[nodiscard]] Eigen::Index normal_terms() const noexcept { return extension_level + 1; }

  [[nodiscard]] std::size_t n_internal() const noexcept {
    return (std::size_t{1} << static_cast<unsigned>(height)) - 1;
  }
  [[nodiscard]] std::size_t n_leaves() const noexcept {
    return std::size_t{1} << static_cast<unsigned>(height);
  }
  /** c(psi), with psi = 1 normalised by 1 so that the score stays defined (it is then 1). */
  [[nodiscard]] double normaliser() const noexcept {
    return samples_per_tree >= 2 ? average_path_length(static_cast<std::uint64_t>(samples_per_tree))
                                 : 1.0;
  }
  /** The trees as the scoring kernels read them (valid while the state lives unchanged). */
  [[nodiscard]] kernels::IsolationTrees<Scalar> trees() const noexcept {
    return {thresholds.data(), features.data(), leaf_values.data(), n_estimators, height};
  }
  /** A hyperplane forest's trees as kernels::hyperplane_path_sums reads them. */
  [[nodiscard]] kernels::HyperplaneTrees<Scalar> hyperplane_trees() const noexcept {
    return {thresholds.data(),
            normals.data(),
            normal_features.empty() ? nullptr : normal_features.data(),
            tree_features.data(),
            centres.data(),
            leaf_values.data(),
            n_estimators,
            height,
            d_tree,
            normal_terms()};
  }
};

/** Floyd's algorithm: k distinct integers of [0, n), in draw order. */
inline void floyd_sample(std::uint64_t n, std::size_t k, Rng& rng, std::vector<Eigen::Index>& out) {
  const std::uint64_t first = n - k;
  if (k * 16 <= n) {
    std::unordered_set<std::uint64_t> seen;
    seen.reserve(2 * k);
    for (std::uint64_t j = first; j < n; ++j) {
      const std::uint64_t r = rng.bounded(j + 1);
      const std::uint64_t pick = seen.contains(r) ? j : r;
      seen.insert(pick);
      out.push_back(static_cast<Eigen::Index>(pick));
    }
  } else {
    std::vector<unsigned char> seen(static_cast<std::size_t>(n), 0);
    for (std::uint64_t j = first; j < n; ++j) {
      const std::uint64_t r = rng.bounded(j + 1);
      const std::uint64_t pick = seen[r] == 0 ? r : j;
      seen[pick] = 1;
      out.push_back(static_cast<Eigen::Index>(pick));
    }
  }
}

/** Scratch of one tree being grown, and the recursive node builder. */
template <class Scalar>
struct IsolationTreeBuilder {
  IsolationForestState<Scalar>& s;
  std::size_t t;
  std::size_t psi;
  std::vector<Scalar> sample;             // column-major psi x d_tree copy of the rows
  std::vector<std::uint32_t> order;       // row positions, partitioned node by node
  std::vector<std::uint32_t> features;    // global index of each sample column
  std::vector<std::uint32_t> candidates;  // scratch for drawing features without replacement

  void leaf(std::size_t slot, int depth, std::size_t size) {
    const std::size_t n_int = s.n_internal();
    const auto below = static_cast<unsigned>(s.height - depth);
    const std::size_t leaf_slot = ((slot + 1) << below) - 1;  // leftmost descendant at height
    s.leaf_values[t * s.n_leaves() + (leaf_slot - n_int)] =
        static_cast<Scalar>(static_cast<double>(depth) + average_path_length(size));
  }

  /** Grows the node at `slot` over the rows `order[begin, end)`: draws features without
   *  replacement until one varies within the node, then a threshold uniformly in its
   *  [min, max), and recurses left then right; a node that cannot be split becomes a leaf. */
  void grow(std::size_t slot, int depth, std::size_t begin, std::size_t end, Rng& rng) {
    const std::size_t size = end - begin;
    const std::size_t n_int = s.n_internal();
    s.counts[t * (n_int + s.n_leaves()) + slot] = static_cast<std::uint32_t>(size);
    if (depth >= s.height || size <= 1) {
      leaf(slot, depth, size);
      return;
    }
    // Draw features without replacement until one varies within the node.
    for (std::size_t j = 0; j < candidates.size(); ++j) {
      candidates[j] = static_cast<std::uint32_t>(j);
    }
    std::size_t left_to_try = candidates.size();
    while (left_to_try > 0) {
      const std::size_t pick = static_cast<std::size_t>(rng.bounded(left_to_try));
      const std::uint32_t local = candidates[pick];
      candidates[pick] = candidates[left_to_try - 1];
      --left_to_try;
      const Scalar* col = sample.data() + static_cast<std::size_t>(local) * psi;
      Scalar lo = col[order[begin]];
      Scalar hi = lo;
      for (std::size_t i = begin + 1; i < end; ++i) {
        const Scalar v = col[order[i]];
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      if (!(lo < hi)) continue;
      auto threshold =
          static_cast<Scalar>(static_cast<double>(lo) +
                              rng.uniform() * (static_cast<double>(hi) - static_cast<double>(lo)));
      if (!(threshold < hi)) threshold = lo;  // rounding reached hi: keep both sides non-empty
      s.thresholds[t * n_int + slot] = threshold;
      s.features[t * n_int + slot] = features[local];
      const auto mid = static_cast<std::size_t>(
          std::partition(order.begin() + static_cast<std::ptrdiff_t>(begin),
                         order.begin() + static_cast<std::ptrdiff_t>(end),
                         [&](std::uint32_t i) { return col[i] <= threshold; }) -
          order.begin());
      grow(2 * slot + 1, depth + 1, begin, mid, rng);
      grow(2 * slot + 2, depth + 1, mid, end, rng);
      return;
    }
    leaf(slot, depth, size);  // every tree feature is constant here: duplicates
  }
};

/** `v.assign(n, value)`, 2^20 elements at a time with `stop` polled between them (a big
 *  forest's arrays take a while to fill). */
template <class T>
void polled_fill(std::vector<T>& v, std::size_t n, T value, const Stop& stop) {
  v.clear();
  v.reserve(n);
  while (v.size() < n) {
    stop.check();
    v.insert(v.end(), std::min(std::size_t{1} << 20, n - v.size()), value);
  }
}

/** Draws `d_tree` of the `d` features for one tree (partial Fisher-Yates; all of them, undrawn,
 *  when `d_tree == d`). */
inline std::vector<std::uint32_t> draw_tree_features(Eigen::Index d, Eigen::Index d_tree,
                                                     Rng& rng) {
  std::vector<std::uint32_t> tree_features(static_cast<std::size_t>(d));
  for (std::size_t j = 0; j < tree_features.size(); ++j) {
    tree_features[j] = static_cast<std::uint32_t>(j);
  }
  if (d_tree < d) {
    for (std::size_t j = 0; j < static_cast<std::size_t>(d_tree); ++j) {
      const std::size_t k = j + rng.bounded(tree_features.size() - j);
      std::swap(tree_features[j], tree_features[k]);
    }
    tree_features.resize(static_cast<std::size_t>(d_tree));
  }
  return tree_features;
}

/** Draws `psi` of the `n` rows for one tree: independent draws with `bootstrap`, else Floyd's
 *  algorithm (distinct rows). */
inline std::vector<Eigen::Index> draw_tree_rows(Eigen::Index n, std::size_t psi, bool bootstrap,
                                                Rng& rng) {
  std::vector<Eigen::Index> rows;
  rows.reserve(psi);
  const auto un = static_cast<std::uint64_t>(n);
  if (bootstrap) {
    for (std::size_t i = 0; i < psi; ++i)
      rows.push_back(static_cast<Eigen::Index>(rng.bounded(un)));
  } else {
    floyd_sample(un, psi, rng, rows);
  }
  return rows;
}

/** Tree t's random draws made before growth: its features, then its sample rows. */
struct IsolationTreeDraws {
  std::vector<std::uint32_t> features;  ///< the tree's features, in draw order
  std::vector<Eigen::Index> rows;       ///< the psi sampled rows of [0, n), in draw order
};

/** Draws tree t's features (partial Fisher-Yates over `d`) and then its `psi` rows of [0, n)
 *  (Floyd's algorithm, or independent draws with `bootstrap`) from `rng`, which is left where
 *  the node draws continue. Depends only on (n, d, d_tree, psi, bootstrap) and the stream, so
 *  every rank of a distributed fit draws the same. */
inline IsolationTreeDraws draw_isolation_tree(Eigen::Index n, Eigen::Index d, Eigen::Index d_tree,
                                              std::size_t psi, bool bootstrap, Rng& rng) {
  IsolationTreeDraws draws;
  draws.features = draw_tree_features(d, d_tree, rng);
  draws.rows = draw_tree_rows(n, psi, bootstrap, rng);
  return draws;
}

/** Grows tree t of `s` from its sample: `sample` holds the `s.samples_per_tree` drawn rows
 *  restricted to `features`, column-major (value of draw i, feature j at j * psi + i), and
 *  `rng` continues from the draws (draw_isolation_tree). Per node in depth-first, left-first
 *  order it draws candidate features, then the threshold. */
template <class Scalar>
void grow_isolation_tree_from_sample(std::vector<Scalar> sample,
                                     std::vector<std::uint32_t> features, std::size_t t, Rng& rng,
                                     IsolationForestState<Scalar>& s) {
  const auto psi = static_cast<std::size_t>(s.samples_per_tree);
  const std::size_t d_tree = features.size();
  IsolationTreeBuilder<Scalar> tree{s, t, psi, std::move(sample), {}, std::move(features), {}};
  tree.order.resize(psi);
  for (std::size_t i = 0; i < psi; ++i) tree.order[i] = static_cast<std::uint32_t>(i);
  tree.candidates.resize(d_tree);
  tree.grow(0, 0, 0, psi, rng);
}

/** One tree's sample: its features and its rows' values, column after column (psi per column). */
template <class Scalar>
struct IsolationSample {
  std::vector<Scalar> values;
  std::vector<std::uint32_t> features;
};

/** Draws one tree's rows and features from `rng` and copies the sample. Draw order: features
 *  (partial Fisher-Yates), rows (Floyd's algorithm, or independent draws with bootstrap). With
 *  `weights`, the rows are positions of the virtual repeated data set, mapped to rows (and
 *  jittered, for non-integer weights) by IsolationRowWeights::map_positions. Shared by the
 *  axis-parallel and the hyperplane trees, so both draw the same rows for the same stream. */
template <class Scalar, class Readable>
IsolationSample<Scalar> draw_isolation_sample(const Readable& X, Eigen::Index d_tree,
                                              bool bootstrap, std::size_t psi, Rng& rng,
                                              const IsolationRowWeights* weights) {
  const Eigen::Index n = weights ? static_cast<Eigen::Index>(weights->slots) : X.rows();
  IsolationTreeDraws draws = draw_isolation_tree(n, X.cols(), d_tree, psi, bootstrap, rng);
  if (weights) weights->map_positions(draws.rows, rng);
  std::vector<Scalar> sample(psi * draws.features.size());
  for (std::size_t j = 0; j < draws.features.size(); ++j) {
    Scalar* col = sample.data() + j * psi;
    const auto f = static_cast<Eigen::Index>(draws.features[j]);
    for (std::size_t i = 0; i < psi; ++i) col[i] = static_cast<Scalar>(X.coeff(draws.rows[i], f));
  }
  return {std::move(sample), std::move(draws.features)};
}

/** Draws tree t's sample (draw_isolation_sample) and grows the tree into its slices of `s`;
 *  then, per node in depth-first, left-first order: candidate features, then the threshold. */
template <class Scalar, class Readable>
void grow_isolation_tree(const Readable& X, Eigen::Index d_tree, bool bootstrap, std::size_t t,
                         Rng& rng, IsolationForestState<Scalar>& s,
                         const IsolationRowWeights* weights = nullptr) {
  const auto psi = static_cast<std::size_t>(s.samples_per_tree);
  IsolationSample<Scalar> sample =
      draw_isolation_sample<Scalar>(X, d_tree, bootstrap, psi, rng, weights);
  grow_isolation_tree_from_sample(std::move(sample.values), std::move(sample.features), t, rng, s);
}

inline constexpr char kIsolationMagic[8] = {'O', 'S', 'P', 'R', 'E', 'Y', 'I', 'F'};
inline constexpr std::uint32_t kIsolationFormatVersion = 1;
/** The binary format of `IsolationForest::save` (see io/binary_format.hpp for the envelope). */
inline constexpr BinaryFormat kIsolationFormat{kIsolationMagic, kIsolationFormatVersion,
                                               "IsolationForest", "forest"};

/** Access to a forest's internals for osprey's own tests and benchmarks and for the
 *  distributed fit (dist/isolation_forest.hpp), which grows the same trees across ranks and
 *  hands the result to a plain IsolationForest (not API). */
template <class Scalar>
struct IsolationForestInternals {
  /** The fitted state (throws NotFittedError before fit). */
  static const IsolationForestState<Scalar>& state(const IsolationForest<Scalar>& forest) {
    return forest.state();
  }
  /** The state fit would start from on n rows of d features (sizes, height limit, unsplit
   *  slots). \throws InvalidArgument as fit (d beyond 2^32 - 1, max_samples beyond 2^30). */
  static IsolationForestState<Scalar> empty_state(const IsolationForest<Scalar>& forest,
                                                  Eigen::Index n, Eigen::Index d) {
    IsolationForest<Scalar>::check_feature_count(d);
    return forest.empty_state(n, d);
  }
  /** Features per tree for d columns. \throws InvalidArgument as fit. */
  static Eigen::Index features_per_tree(const IsolationForest<Scalar>& forest, Eigen::Index d) {
    return forest.features_per_tree(d);
  }
  /** The anomaly score s(x) from a row's path length summed over the trees, as fit computes it
   *  for the contamination offset. */
  static double anomaly_from_sum(const IsolationForestState<Scalar>& s, double sum) noexcept {
    return IsolationForest<Scalar>::anomaly_from_sum(s, sum);
  }
  /** Makes `forest` fitted with state `s` (which carries its offset). */
  static void adopt(IsolationForest<Scalar>& forest, IsolationForestState<Scalar> s) {
    forest.state_ = std::move(s);
  }
};

}  // namespace detail
OSPREY_NAMESPACE_END

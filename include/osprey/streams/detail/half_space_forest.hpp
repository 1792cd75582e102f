/** \file
 *  The trees and masses of `HalfSpaceTrees` (detail::HalfSpaceForest): construction of the
 *  random half-space trees from the feature ranges, the per-sample walk that scores and learns in
 *  one pass, and the lazy window swap. Not API.
 *
 *  Layout. Every tree is a complete binary tree of height h stored in flat arrays: internal node p
 *  (0 <= p < 2^h - 1) has children 2p+1 and 2p+2, nodes p >= 2^h - 1 are leaves. Internal nodes
 *  of all trees live in one array of records (split value, split feature, two masses: 24 bytes
 *  in double, 16 in float), leaves in another (two masses), tree t at offset t (2^h - 1) and
 *  t 2^h. A walk step reads one record, counts the sample in it and computes the child as
 *  2p + 1 + (x[feature] >= value): no pointers, no branch on the data. Trees are walked five at
 *  a time, interleaved, so five independent paths are in flight together, and each step
 *  prefetches the node's grandchildren (about 1.4x on data spread over many nodes).
 *
 *  Windows. Each node holds two counts; `cur_` says which is the latest mass l, the other is the
 *  reference r. Tan, Ting & Liu end a window by copying l into r and zeroing l in every node:
 *  O(n_trees 2^(h+1)) per window, more than all the walks of the window for the default height
 *  15. Here the roles of the two counts swap instead, and the count that becomes the latest (the
 *  old reference) is zeroed only where it is not 0: on the paths of the previous window's
 *  samples, whose leaves each walk logs (n_trees window_size entries per window). The zeroing
 *  climbs from each logged leaf and stops at a node already zeroed, so it costs the number of
 *  distinct nodes that window touched. When window_size exceeds 2^h a pass over every node costs
 *  less than the window's walks: the logs are not kept and the pass is made instead (memory then
 *  stays that of the trees).
 */
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "../../core/detail/rounded.hpp"
#include "../../core/random.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Prefetches the cache line of `p` for writing (a no-op where the compiler has no builtin). */
OSPREY_ALWAYS_INLINE void hst_prefetch(const void* p) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p, 1);
#else
  (void)p;
#endif
}

/** An internal node: the split (go right when x[feature] >= value) and the node's masses, one
 *  per window buffer (`HalfSpaceForest` says which is the latest). */
template <class Scalar>
struct HstNode {
  Scalar value{};                  ///< split value, in the units of the data
  std::int32_t feature = 0;        ///< split feature
  std::int32_t count[2] = {0, 0};  ///< masses of the two window buffers
};

/** The masses of a leaf, one per window buffer. */
struct HstLeaf {
  std::int32_t count[2] = {0, 0};  ///< masses of the two window buffers
};

/** The random half-space trees of one detector, their masses and the window position. */
template <class Scalar>
class HalfSpaceForest {
 public:
  using Node = HstNode<Scalar>;  ///< an internal node

  HalfSpaceForest() = default;

  /** Builds `n_trees` trees of height `height` over the ranges [lo_j, hi_j] (validated by the
   *  caller) with masses 0. Tree t draws from `Rng(seed).split(t)`: first one uniform s_j per
   *  feature, which places the tree's work space [s_j - 2 max(s_j, 1 - s_j),
   *  s_j + 2 max(s_j, 1 - s_j)] (in units of the range, 0 at lo_j and 1 at hi_j; Tan, Ting & Liu
   *  2011, section 3), then one bounded draw per internal node in index order: its split feature.
   *  A node splits its feature's interval of the work space at the midpoint. */
  HalfSpaceForest(int n_trees, int height, std::int32_t window_size, const std::vector<double>& lo,
                  const std::vector<double>& hi, std::uint64_t seed)
      : n_trees_(n_trees), height_(height), psi_(window_size), limit_((window_size + 9) / 10) {
    const std::size_t internal = n_internal();
    const auto trees = static_cast<std::size_t>(n_trees);
    nodes_.resize(internal * trees);
    leaves_.resize(n_leaves() * trees);
    logging_ = static_cast<std::size_t>(psi_) <= n_leaves();
    if (logging_) {
      for (auto& log : log_) log.assign(static_cast<std::size_t>(psi_) * trees, 0);
    }
    const std::size_t d = lo.size();
    std::vector<double> wlo(d), whi(d), width(d);
    for (std::size_t j = 0; j < d; ++j) width[j] = hi[j] - lo[j];
    const Rng root(seed);
    for (int t = 0; t < n_trees; ++t) {
      Rng rng = root.split(static_cast<std::uint64_t>(t));
      for (std::size_t j = 0; j < d; ++j) {
        const double s = rng.uniform();
        const double half = 2.0 * std::max(s, 1.0 - s);
        wlo[j] = s - half;
        whi[j] = s + half;
      }
      Node* tree = nodes_.data() + static_cast<std::size_t>(t) * internal;
      for (std::size_t p = 0; p < internal; ++p) {
        tree[p].feature = static_cast<std::int32_t>(rng.bounded(d));
      }
      place_splits(tree, 0, wlo, whi, lo, width);
    }
  }

  [[nodiscard]] int n_trees() const noexcept { return n_trees_; }  ///< number of trees
  [[nodiscard]] int height() const noexcept { return height_; }    ///< height of every tree
  /** Internal nodes per tree, 2^h - 1. */
  [[nodiscard]] std::size_t n_internal() const noexcept { return n_leaves() - 1; }
  /** Leaves per tree, 2^h. */
  [[nodiscard]] std::size_t n_leaves() const noexcept { return std::size_t{1} << height_; }
  /** Nodes per tree, 2^(h+1) - 1. */
  [[nodiscard]] std::size_t n_nodes() const noexcept { return 2 * n_leaves() - 1; }
  /** Internal node p of tree t. */
  [[nodiscard]] const Node& node(int t, std::size_t p) const noexcept {
    return nodes_[static_cast<std::size_t>(t) * n_internal() + p];
  }
  /** Bytes held by the trees, masses and leaf logs. */
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    return nodes_.size() * sizeof(Node) + leaves_.size() * sizeof(HstLeaf) +
           (log_[0].size() + log_[1].size()) * sizeof(std::uint32_t);
  }
  /** Samples learnt in the current window, in [0, window_size). */
  [[nodiscard]] std::int32_t position() const noexcept { return position_; }
  /** True once a window is complete. */
  [[nodiscard]] bool has_reference() const noexcept { return has_reference_; }

  /** The reference mass r of node p (any node, leaves included) of tree t. */
  [[nodiscard]] std::int32_t reference(int t, std::size_t p) const noexcept {
    return counts(t, p)[1 - cur_];
  }
  /** The latest mass l of node p of tree t. */
  [[nodiscard]] std::int32_t latest(int t, std::size_t p) const noexcept {
    return counts(t, p)[cur_];
  }

  /** Restores a saved state: `position` samples into a window, after a complete one when
   *  `has_reference`, where `count(latest, t, leaf)` samples of the current (latest) or previous
   *  window reached leaf `leaf` (< 2^h) of tree t. The caller has checked that the counts of a
   *  tree sum to position and to window_size (or 0). The inner masses are recounted, the leaf
   *  logs rebuilt in leaf order (only which leaves they hold matters). */
  template <class Count>
  void restore(std::int32_t position, bool has_reference, Count count) {
    clear();
    position_ = position;
    has_reference_ = has_reference;
    previous_length_ = has_reference ? psi_ : 0;
    for (int t = 0; t < n_trees_; ++t) {
      for (const bool latest : {true, false}) {
        const int which = latest ? cur_ : 1 - cur_;
        std::size_t logged = 0;
        for (std::size_t leaf = 0; leaf < n_leaves(); ++leaf) {
          const std::int32_t c = count(latest, t, leaf);
          if (c == 0) continue;
          for (std::size_t p = n_internal() + leaf;; p = (p - 1) / 2) {
            counts(t, p)[which] += c;
            if (p == 0) break;
          }
          if (!logging_) continue;
          std::uint32_t* log = log_[which].data() + static_cast<std::size_t>(t) * log_stride();
          for (std::int32_t i = 0; i < c; ++i) log[logged++] = static_cast<std::uint32_t>(leaf);
        }
      }
    }
  }

  /** Zeroes every mass; the first window starts. */
  void clear() noexcept {
    for (auto& n : nodes_) n.count[0] = n.count[1] = 0;
    std::fill(leaves_.begin(), leaves_.end(), HstLeaf{});
    position_ = 0;
    has_reference_ = false;
    previous_length_ = 0;
    cur_ = 0;
  }

  /** Sum over trees of r 2^k at the node where x terminates: the first node on its path whose
   *  reference mass r is below 0.1 window_size (10 r < window_size), or the leaf (depth h). */
  [[nodiscard]] std::int64_t mass_score(const Scalar* x) const noexcept {
    std::int64_t s = 0;
    int t = 0;
    for (; t + 5 <= n_trees_; t += 5) s += const_cast<HalfSpaceForest&>(*this).walk<5, false>(x, t);
    for (; t < n_trees_; ++t) s += const_cast<HalfSpaceForest&>(*this).walk<1, false>(x, t);
    return s;
  }

  /** Adds x to the latest masses of every node on its path in every tree (and ends the window
   *  after window_size samples) and returns the mass score it had before: what `mass_score(x)`
   *  returned just before. One walk per tree. */
  std::int64_t score_learn(const Scalar* x) noexcept {
    std::int64_t s = 0;
    int t = 0;
    for (; t + 5 <= n_trees_; t += 5) s += walk<5, true>(x, t);
    for (; t < n_trees_; ++t) s += walk<1, true>(x, t);
    if (++position_ == psi_) swap_windows();
    return s;
  }

 private:
  /** Entries per tree in a leaf log. */
  [[nodiscard]] std::size_t log_stride() const noexcept { return static_cast<std::size_t>(psi_); }

  [[nodiscard]] const std::int32_t* counts(int t, std::size_t p) const noexcept {
    const auto tt = static_cast<std::size_t>(t);
    return p < n_internal() ? nodes_[tt * n_internal() + p].count
                            : leaves_[tt * n_leaves() + (p - n_internal())].count;
  }
  [[nodiscard]] std::int32_t* counts(int t, std::size_t p) noexcept {
    return const_cast<std::int32_t*>(std::as_const(*this).counts(t, p));
  }

  /** Split values of the subtree at p, whose work space is [wlo, whi] in units of the ranges. */
  void place_splits(Node* tree, std::size_t p, std::vector<double>& wlo, std::vector<double>& whi,
                    const std::vector<double>& lo, const std::vector<double>& width) {
    if (p >= n_internal()) return;
    const auto q = static_cast<std::size_t>(tree[p].feature);
    const double mid = 0.5 * (wlo[q] + whi[q]);
    // unfused, so the split values are the same with and without FMA
    tree[p].value = static_cast<Scalar>(lo[q] + rounded_product(width[q], mid));
    const double saved_hi = whi[q];
    whi[q] = mid;
    place_splits(tree, 2 * p + 1, wlo, whi, lo, width);
    whi[q] = saved_hi;
    const double saved_lo = wlo[q];
    wlo[q] = mid;
    place_splits(tree, 2 * p + 2, wlo, whi, lo, width);
    wlo[q] = saved_lo;
  }

  /** score_learn (or with Learn false the mass score alone: nothing is written, so it may run
   *  on a const forest) over trees t..t+G-1, their walks interleaved level by level. Reference
   *  masses never grow down a path (a child's mass is part of its parent's), so the nodes with
   *  r >= limit form a prefix of the path: the terminal depth K is their number and the
   *  terminal mass the largest r below the limit. Both accumulate without branches. */
  template <int G, bool Learn>
  OSPREY_ALWAYS_INLINE std::int64_t walk(const Scalar* OSPREY_RESTRICT x, int t) noexcept {
    const std::size_t internal = n_internal();
    const int cur = cur_;
    const int ref = 1 - cur;
    const std::int32_t limit = limit_;
    Node* tree[static_cast<std::size_t>(G)];
    std::size_t p[static_cast<std::size_t>(G)];
    int depth[static_cast<std::size_t>(G)];
    std::int32_t small[static_cast<std::size_t>(G)];
    for (int g = 0; g < G; ++g) {
      tree[g] = nodes_.data() + static_cast<std::size_t>(t + g) * internal;
      p[g] = 0;
      depth[g] = 0;
      small[g] = 0;
    }
    for (int k = 0; k < height_; ++k) {
      for (int g = 0; g < G; ++g) {
        Node& n = tree[g][p[g]];
        if (4 * p[g] + 6 < internal) {  // the grandchildren, two levels ahead
          hst_prefetch(&tree[g][4 * p[g] + 3]);
          hst_prefetch(&tree[g][4 * p[g] + 6]);
        }
        const std::int32_t r = n.count[ref];
        if constexpr (Learn) ++n.count[cur];
        depth[g] += r >= limit ? 1 : 0;
        small[g] = std::max(small[g], r < limit ? r : 0);
        p[g] = 2 * p[g] + 1 + static_cast<std::size_t>(x[n.feature] >= n.value);
      }
    }
    std::int64_t s = 0;
    for (int g = 0; g < G; ++g) {
      const auto tg = static_cast<std::size_t>(t + g);
      const std::size_t leaf = p[g] - internal;
      HstLeaf& m = leaves_[tg * n_leaves() + leaf];
      const std::int32_t r = m.count[ref];
      // every node at or above the leaf holds r >= limit: the leaf is terminal
      const std::int32_t terminal = depth[g] == height_ ? r : small[g];
      s += std::int64_t{terminal} << depth[g];
      if constexpr (Learn) {
        ++m.count[cur];
        if (logging_) {
          log_[cur][tg * log_stride() + static_cast<std::size_t>(position_)] =
              static_cast<std::uint32_t>(leaf);
        }
      }
    }
    return s;
  }

  /** The end of a window: the latest masses become the reference. The buffer of the old
   *  reference becomes the latest after zeroing its nodes, which are exactly those on the paths
   *  of the leaves logged in the window before: O(nodes those paths cover), not O(all nodes).
   *  Without logs (window_size > 2^h, where a full pass costs less than a window of walks) every
   *  node's count is zeroed. */
  void swap_windows() noexcept {
    const int ref = 1 - cur_;
    const std::size_t internal = n_internal();
    if (!logging_) {
      for (auto& n : nodes_) n.count[ref] = 0;
      for (auto& m : leaves_) m.count[ref] = 0;
    }
    for (int t = 0; logging_ && t < n_trees_; ++t) {
      const std::uint32_t* log = log_[ref].data() + static_cast<std::size_t>(t) * log_stride();
      for (std::int32_t i = 0; i < previous_length_; ++i) {
        std::size_t p = internal + log[i];
        // a node already zeroed has had its ancestors zeroed too (every logged node was > 0)
        for (std::int32_t* c = counts(t, p); c[ref] != 0; c = counts(t, p)) {
          c[ref] = 0;
          if (p == 0) break;
          p = (p - 1) / 2;
        }
      }
    }
    cur_ = ref;
    previous_length_ = psi_;
    position_ = 0;
    has_reference_ = true;
  }

  int n_trees_ = 0;
  int height_ = 0;
  std::int32_t psi_ = 1;
  std::int32_t limit_ = 1;  ///< a node with r < limit_ is terminal: ceil(psi / 10)
  std::int32_t position_ = 0;
  std::int32_t previous_length_ = 0;  ///< entries per tree in the previous window's log
  int cur_ = 0;                       ///< which count buffer holds the latest masses
  bool has_reference_ = false;
  bool logging_ = true;  ///< leaves are logged (window_size <= 2^h)
  std::vector<Node> nodes_;
  std::vector<HstLeaf> leaves_;
  std::vector<std::uint32_t> log_[2];  ///< leaf of every sample per tree, per buffer's window
};

}  // namespace detail
OSPREY_NAMESPACE_END

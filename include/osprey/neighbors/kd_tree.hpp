/** \file
 *  Exact k-d tree search for low-dimensional data (internal; used by NearestNeighbors).
 *
 *  Build (Bentley 1975; Friedman, Bentley & Finkel 1977): split the node's points at the median
 *  of the coordinate with the widest spread until at most `leaf_size` remain; each node keeps its
 *  tight bounding box and the points are stored reordered, so a leaf is one contiguous block.
 *  Query: depth-first, nearer child first, a child is skipped when the reduced distance from the
 *  query to its box exceeds the current k-th best (for any metric built from per-coordinate
 *  `accumulate`, the box distance is a lower bound). Candidates go through the same `TopK` as
 *  brute force, so ties resolve to the lower training index and results equal brute force's.
 *
 *  Complexity: build O(n log n) (median selection per level), memory O(n d); a query is about
 *  O(log n + k) node visits for well-spread data in low dimension, degrading towards O(n) as d
 *  grows (the curse of dimensionality; see docs/neighbors.md).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <numeric>
#include <vector>

#include "../core/parallel.hpp"
#include "../core/types.hpp"
#include "../kernels/distance.hpp"
#include "../kernels/topk.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** A k-d tree over the rows of a training matrix. */
template <class Metric, class S>
class KdTree {
 public:
  KdTree() = default;

  /** Builds the tree over the rows of `X` with at most `leaf_size` points per leaf. */
  KdTree(const RowMatrix<S>& X, int leaf_size) : d_(X.cols()), leaf_size_(leaf_size) {
    const Eigen::Index n = X.rows();
    perm_.resize(static_cast<std::size_t>(n));
    std::iota(perm_.begin(), perm_.end(), 0);
    points_ = X;  // reordered below
    nodes_.reserve(static_cast<std::size_t>(2 * (n / std::max(1, leaf_size) + 1)));
    build(X, 0, static_cast<int>(n));
    for (Eigen::Index i = 0; i < n; ++i) points_.row(i) = X.row(perm_[static_cast<std::size_t>(i)]);
  }

  /** k nearest rows of the training set for every row of `Q`, as in BruteIndex::search. */
  void search(const RowMatrix<S>& Q, int k, bool leave_one_out, int n_threads, S* values,
              int* indices) const {
    const Eigen::Index m = Q.rows();
    constexpr Eigen::Index chunk = 64;
    const Eigen::Index n_chunks = (m + chunk - 1) / chunk;
    parallel_for_dynamic<Eigen::Index>(0, n_chunks, n_threads, [&](Eigen::Index c) {
      const Eigen::Index end = std::min(m, (c + 1) * chunk);
      for (Eigen::Index i = c * chunk; i < end; ++i) {
        TopK<S> top(values + i * k, indices + i * k, k);
        const int skip = leave_one_out ? static_cast<int>(i) : -1;
        query(0, Q.row(i).data(), skip, top);
      }
    });
  }

  /** Number of nodes (for tests and docs). */
  [[nodiscard]] std::size_t n_nodes() const noexcept { return nodes_.size(); }

 private:
  struct Node {
    int begin = 0;
    int end = 0;
    int left = -1;  // -1 for a leaf
    int right = -1;
  };

  int build(const RowMatrix<S>& X, int begin, int end) {
    const int id = static_cast<int>(nodes_.size());
    nodes_.push_back(Node{begin, end, -1, -1});
    const auto d = static_cast<std::size_t>(d_);
    lo_.resize(lo_.size() + d);
    hi_.resize(hi_.size() + d);
    S* lo = lo_.data() + static_cast<std::size_t>(id) * d;
    S* hi = hi_.data() + static_cast<std::size_t>(id) * d;
    for (std::size_t j = 0; j < d; ++j) {
      lo[j] = X(perm_[static_cast<std::size_t>(begin)], static_cast<Eigen::Index>(j));
      hi[j] = lo[j];
    }
    for (int i = begin + 1; i < end; ++i) {
      const S* row = X.row(perm_[static_cast<std::size_t>(i)]).data();
      for (std::size_t j = 0; j < d; ++j) {
        lo[j] = std::min(lo[j], row[j]);
        hi[j] = std::max(hi[j], row[j]);
      }
    }
    if (end - begin <= leaf_size_) return id;
    std::size_t dim = 0;
    S spread = hi[0] - lo[0];
    for (std::size_t j = 1; j < d; ++j) {
      if (hi[j] - lo[j] > spread) {
        spread = hi[j] - lo[j];
        dim = j;
      }
    }
    if (!(spread > S(0))) return id;  // all points equal: keep as one leaf
    const int mid = begin + (end - begin) / 2;
    const auto col = static_cast<Eigen::Index>(dim);
    std::nth_element(perm_.begin() + begin, perm_.begin() + mid, perm_.begin() + end,
                     [&](int a, int b) {
                       const S va = X(a, col);
                       const S vb = X(b, col);
                       return va < vb || (va == vb && a < b);
                     });
    const int left = build(X, begin, mid);
    const int right = build(X, mid, end);
    nodes_[static_cast<std::size_t>(id)].left = left;
    nodes_[static_cast<std::size_t>(id)].right = right;
    return id;
  }

  /** Reduced distance from q to the box of node `id` (0 inside). */
  [[nodiscard]] S box_distance(int id, const S* q) const noexcept {
    const auto d = static_cast<std::size_t>(d_);
    const S* lo = lo_.data() + static_cast<std::size_t>(id) * d;
    const S* hi = hi_.data() + static_cast<std::size_t>(id) * d;
    S acc(0);
    for (std::size_t j = 0; j < d; ++j) {
      S gap(0);
      if (q[j] < lo[j]) {
        gap = lo[j] - q[j];
      } else if (q[j] > hi[j]) {
        gap = q[j] - hi[j];
      }
      acc = Metric::template accumulate<S>(acc, gap);
    }
    return acc;
  }

  void query(int id, const S* q, int skip, TopK<S>& top) const {
    const Node& node = nodes_[static_cast<std::size_t>(id)];
    if (node.left < 0) {
      const Eigen::Index d = d_;
      for (int i = node.begin; i < node.end; ++i) {
        const S* x = points_.data() + static_cast<Eigen::Index>(i) * d;
        S acc(0);
        for (Eigen::Index j = 0; j < d; ++j) acc = Metric::template accumulate<S>(acc, q[j] - x[j]);
        if (acc <= top.threshold()) {
          const int idx = perm_[static_cast<std::size_t>(i)];
          if (idx != skip) top.push(acc, idx);
        }
      }
      return;
    }
    const S dl = box_distance(node.left, q);
    const S dr = box_distance(node.right, q);
    const int first = dl <= dr ? node.left : node.right;
    const int second = dl <= dr ? node.right : node.left;
    const S d_first = std::min(dl, dr);
    const S d_second = std::max(dl, dr);
    if (d_first <= top.threshold()) query(first, q, skip, top);
    if (d_second <= top.threshold()) query(second, q, skip, top);
  }

  Eigen::Index d_ = 0;
  int leaf_size_ = 32;
  std::vector<int> perm_;
  RowMatrix<S> points_;
  std::vector<Node> nodes_;
  std::vector<S> lo_;
  std::vector<S> hi_;
};

}  // namespace detail
OSPREY_NAMESPACE_END

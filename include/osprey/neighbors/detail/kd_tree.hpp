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
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "../../config.hpp"
#include "../../core/detail/stop.hpp"
#include "../../core/parallel.hpp"
#include "../../core/types.hpp"
#include "../../kernels/topk.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** A k-d tree over the rows of a training matrix. */
template <class S, class Metric>
class KdTree {
 public:
  KdTree() = default;

  /** Builds the tree over the rows of `X` with at most `leaf_size` points per leaf, on up to
   *  `n_threads` threads (the tree is the same for any thread count: its shape depends only on
   *  n and leaf_size, and each subtree is built deterministically). `stop` is polled at every
   *  node and around each median split, so a cancelled build throws within one split. */
  KdTree(const RowMatrix<S>& X, int leaf_size, int n_threads = 1, const Stop& stop = {})
      : d_(X.cols()), leaf_size_(leaf_size), stop_(stop) {
    const auto n = static_cast<int>(X.rows());
    perm_.resize(static_cast<std::size_t>(n));
    std::iota(perm_.begin(), perm_.end(), 0);
    assign_polled(points_, X, stop_);
    const auto count = static_cast<std::size_t>(subtree_nodes(n));
    zero_fill_polled(nodes_, count, stop_);
    zero_fill_polled(lo_, count * static_cast<std::size_t>(d_), stop_);
    zero_fill_polled(hi_, count * static_cast<std::size_t>(d_), stop_);
    // Root box: exact bounds of all points; children inherit it cut at the split value.
    std::vector<S> lo(static_cast<std::size_t>(d_));
    std::vector<S> hi(static_cast<std::size_t>(d_));
    for (Eigen::Index j = 0; j < d_; ++j) {
      lo[static_cast<std::size_t>(j)] = X.col(j).minCoeff();
      hi[static_cast<std::size_t>(j)] = X.col(j).maxCoeff();
    }
    stop_.check();
#if defined(OSPREY_USE_OPENMP)
    const int threads = resolve_threads(n_threads);
    if (threads > 1 && std::int64_t{n} > 4 * std::int64_t{leaf_size_}) {
      // subtrees build as tasks; an exception in one (bad_alloc) is rethrown here
      task_region(threads, [&] { build(0, 0, n, lo, hi, 0); });
      stop_ = {};
      return;
    }
#else
    (void)n_threads;
#endif
    build(0, 0, n, lo, hi, 64);
    stop_ = {};
  }

  /** k nearest rows of the training set for every row of `Q`, as in BruteIndex::search;
   *  `stop` is polled before each chunk of 64 queries. */
  void search(const RowMatrix<S>& Q, int k, bool leave_one_out, int n_threads, S* values,
              int* indices, const Stop& stop = {}) const {
    for_each_query_by_leaf(Q, n_threads, stop, [&](Eigen::Index i) {
      kernels::TopK<S> top(values + i * k, indices + i * k, k);
      const int skip = leave_one_out ? static_cast<int>(i) : -1;
      query(0, Q.row(i).data(), skip, top);
    });
  }

  /** Calls `f(i)` for every row i of `Q` on up to `n_threads` threads, the queries grouped leaf
   *  by leaf (preorder leaf ids are spatially coherent, so consecutive queries touch the same
   *  nodes and points) in chunks of 64; `stop` is polled before each chunk. The caller's result
   *  for a query must not depend on the order. */
  template <class F>
  void for_each_query_by_leaf(const RowMatrix<S>& Q, int n_threads, const Stop& stop, F&& f) const {
    const Eigen::Index m = Q.rows();
    std::vector<std::pair<int, int>> order(static_cast<std::size_t>(m));
    parallel_for<Eigen::Index>(0, m, n_threads, [&](Eigen::Index i) {
      order[static_cast<std::size_t>(i)] = {home_leaf(Q.row(i).data()), static_cast<int>(i)};
    });
    stop.check();
    std::sort(order.begin(), order.end());
    stop.check();
    constexpr Eigen::Index chunk = 64;
    const Eigen::Index n_chunks = (m + chunk - 1) / chunk;
    parallel_for_dynamic<Eigen::Index>(0, n_chunks, n_threads, [&](Eigen::Index c) {
      stop.check();
      const Eigen::Index end = std::min(m, (c + 1) * chunk);
      for (Eigen::Index o = c * chunk; o < end; ++o) f(order[static_cast<std::size_t>(o)].second);
    });
  }

  /** Calls `visit(i, row)` for every training row whose reduced distance to row i of `Q` is at
   *  most `bound` (the candidates of a radius query; the caller decides with the exact distance).
   *  A query's rows are visited by one thread, in no particular order; `stop` is polled before
   *  each chunk of 64 queries. */
  template <class Visit>
  void radius_candidates(const RowMatrix<S>& Q, S bound, int n_threads, Visit&& visit,
                         const Stop& stop = {}) const {
    for_each_query_by_leaf(Q, n_threads, stop, [&](Eigen::Index i) {
      radius_query(0, Q.row(i).data(), bound, i, visit);
    });
  }

  /** The k nearest rows of the training set to one query `q` (d values), into the sorted
   *  buffers `values`/`indices` (k each): the search `search` runs for each of its queries,
   *  recursive and allocation-free. */
  void search_one(const S* q, int k, S* values, int* indices) const {
    kernels::TopK<S> top(values, indices, k);
    query(0, q, -1, top);
  }

  /** Offers the rows of this tree nearest to `q` to `top`, which may already hold candidates
   *  (of other trees: the search prunes with its threshold), as `ids[row]` (nullptr: the row
   *  itself), skipping rows marked in `dead` (nullptr: none). For the segments of a dynamic
   *  index (dynamic_index.hpp): ties across trees resolve by the ids, as TopK orders them. */
  void search_into(const S* q, kernels::TopK<S>& top, const std::uint8_t* dead,
                   const int* ids) const {
    if (nodes_.empty()) return;
    query(0, q, -1, top, dead, ids);
  }

  /** The leaf a point descends to by the split planes. */
  [[nodiscard]] int home_leaf(const S* q) const noexcept {
    int id = 0;
    while (nodes_[static_cast<std::size_t>(id)].left >= 0) {
      const Node& node = nodes_[static_cast<std::size_t>(id)];
      id = q[node.dim] <= node.split ? node.left : node.right;
    }
    return id;
  }

  /** Number of nodes (for tests and docs). */
  [[nodiscard]] std::size_t n_nodes() const noexcept { return nodes_.size(); }

 private:
  struct Node {
    int begin = 0;
    int end = 0;
    int left = -1;  // -1 for a leaf
    int right = -1;
    int dim = 0;     // split dimension (inner nodes)
    S split = S(0);  // points of the left child have values <= split in dim
  };

  /** Nodes in the subtree over `count` points: the shape depends only on count and leaf_size. */
  [[nodiscard]] int subtree_nodes(int count) const noexcept {
    if (count <= leaf_size_) return 1;
    const int half = count / 2;
    return 1 + subtree_nodes(half) + subtree_nodes(count - half);
  }

  /** Builds node `id` over points [begin, end) of points_/perm_, whose (loose) box is lo/hi.
   *  Node ids are preorder, so subtrees write disjoint ranges and may run as OpenMP tasks
   *  (`depth` < 3 spawns tasks; pass 64 to stay serial). Each node's stored box is the exact
   *  bounding box of its points (leaves scan them, inner nodes merge their children). */
  void build(int id, int begin, int end, std::vector<S> lo, std::vector<S> hi, int depth) {
    stop_.check();
    const auto d = static_cast<std::size_t>(d_);
    Node& node = nodes_[static_cast<std::size_t>(id)];
    node.begin = begin;
    node.end = end;
    S* node_lo = lo_.data() + static_cast<std::size_t>(id) * d;
    S* node_hi = hi_.data() + static_cast<std::size_t>(id) * d;
    if (end - begin <= leaf_size_) {
      node.left = -1;
      node.right = -1;
      for (std::size_t j = 0; j < d; ++j) {
        node_lo[j] = points_(begin, static_cast<Eigen::Index>(j));
        node_hi[j] = node_lo[j];
      }
      for (int i = begin + 1; i < end; ++i) {
        const S* row = points_.row(i).data();
        for (std::size_t j = 0; j < d; ++j) {
          node_lo[j] = std::min(node_lo[j], row[j]);
          node_hi[j] = std::max(node_hi[j], row[j]);
        }
      }
      return;
    }
    std::size_t dim = 0;
    for (std::size_t j = 1; j < d; ++j) {
      if (hi[j] - lo[j] > hi[dim] - lo[dim]) dim = j;
    }
    const int mid = begin + (end - begin) / 2;
    const S split = partition(begin, mid, end, static_cast<Eigen::Index>(dim));
    const int left = id + 1;
    const int right = id + 1 + subtree_nodes(mid - begin);
    node.left = left;
    node.right = right;
    node.dim = static_cast<int>(dim);
    node.split = split;
    std::vector<S> left_hi = hi;
    std::vector<S> right_lo = lo;
    left_hi[dim] = split;
    right_lo[dim] = split;
    if (depth < 3) {
      fork_join([&] { build(left, begin, mid, lo, left_hi, depth + 1); },
                [&] { build(right, mid, end, right_lo, hi, depth + 1); });
    } else {
      build(left, begin, mid, std::move(lo), std::move(left_hi), depth + 1);
      build(right, mid, end, std::move(right_lo), std::move(hi), depth + 1);
    }
    const S* l_lo = lo_.data() + static_cast<std::size_t>(left) * d;
    const S* l_hi = hi_.data() + static_cast<std::size_t>(left) * d;
    const S* r_lo = lo_.data() + static_cast<std::size_t>(right) * d;
    const S* r_hi = hi_.data() + static_cast<std::size_t>(right) * d;
    for (std::size_t j = 0; j < d; ++j) {
      node_lo[j] = std::min(l_lo[j], r_lo[j]);
      node_hi[j] = std::max(l_hi[j], r_hi[j]);
    }
  }

  /** Reorders points [begin, end) so that [begin, mid) hold the smallest values of column `dim`
   *  (ties by position, so the result is deterministic); returns the value at mid. The keys are
   *  gathered into a contiguous array first, then rows are moved once. */
  S partition(int begin, int mid, int end, Eigen::Index dim) {
    const auto count = static_cast<std::size_t>(end - begin);
    std::vector<std::pair<S, int>> keys(count);
    polled(count, [&](std::size_t i) {
      const int row = begin + static_cast<int>(i);
      keys[i] = {points_(row, dim), row};
    });
    stop_.check();
    select_polled(keys, static_cast<std::size_t>(mid - begin));
    stop_.check();
    const S split = keys[static_cast<std::size_t>(mid - begin)].first;
    RowMatrix<S> rows(static_cast<Eigen::Index>(count), d_);
    std::vector<int> ids(count);
    polled(count, [&](std::size_t i) {
      rows.row(static_cast<Eigen::Index>(i)) = points_.row(keys[i].second);
      ids[i] = perm_[static_cast<std::size_t>(keys[i].second)];
    });
    stop_.check();
    points_.middleRows(begin, static_cast<Eigen::Index>(count)) = rows;
    std::copy(ids.begin(), ids.end(), perm_.begin() + begin);
    return split;
  }

  /** std::nth_element on `keys` (distinct pairs) at `nth`, polling the build's stop between
   *  passes: the root's selection over millions of keys would otherwise run for hundreds of
   *  milliseconds without a poll. Quickselect with a median-of-three pivot down to 2^16 keys,
   *  then nth_element (also after 64 passes, which bounds the worst case). */
  void select_polled(std::vector<std::pair<S, int>>& keys, std::size_t nth) const {
    auto first = keys.begin();
    auto last = keys.end();
    const auto target = keys.begin() + static_cast<std::ptrdiff_t>(nth);
    for (int pass = 0; pass < 64 && last - first > (std::ptrdiff_t{1} << 16); ++pass) {
      stop_.check();
      const auto a = *first;
      const auto b = *(first + (last - first) / 2);
      const auto c = *(last - 1);
      const auto pivot = std::max(std::min(a, b), std::min(std::max(a, b), c));
      const auto split = std::partition(first, last, [&](const auto& k) { return k < pivot; });
      if (target < split) {
        last = split;
      } else {
        first = split;
      }
    }
    std::nth_element(first, target, last);
  }

  /** `f(i)` for i in [0, count), polling the build's stop every 2^17 indices (the root's
   *  passes over millions of points must not run long between two polls). */
  template <class F>
  void polled(std::size_t count, F&& f) const {
    constexpr std::size_t step = std::size_t{1} << 17;
    for (std::size_t b = 0; b < count; b += step) {
      if (b > 0) stop_.check();
      const std::size_t e = std::min(count, b + step);
      for (std::size_t i = b; i < e; ++i) f(i);
    }
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

  void query(int id, const S* q, int skip, kernels::TopK<S>& top,
             const std::uint8_t* dead = nullptr, const int* ids = nullptr) const {
    const Node& node = nodes_[static_cast<std::size_t>(id)];
    if (node.left < 0) {
      const Eigen::Index d = d_;
      for (int i = node.begin; i < node.end; ++i) {
        const S* x = points_.data() + static_cast<Eigen::Index>(i) * d;
        S acc(0);
        for (Eigen::Index j = 0; j < d; ++j) acc = Metric::template accumulate<S>(acc, q[j] - x[j]);
        if (acc <= top.threshold()) {
          const int idx = perm_[static_cast<std::size_t>(i)];
          if (idx != skip && !kernels::is_dead(dead, idx)) top.push(acc, ids ? ids[idx] : idx);
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
    if (d_first <= top.threshold()) query(first, q, skip, top, dead, ids);
    if (d_second <= top.threshold()) query(second, q, skip, top, dead, ids);
  }

  /** The rows within reduced distance `bound` of q under node `id`, passed to `visit(i, row)`. */
  template <class Visit>
  void radius_query(int id, const S* q, S bound, Eigen::Index i, Visit& visit) const {
    const Node& node = nodes_[static_cast<std::size_t>(id)];
    if (node.left < 0) {
      const Eigen::Index d = d_;
      for (int p = node.begin; p < node.end; ++p) {
        const S* x = points_.data() + static_cast<Eigen::Index>(p) * d;
        S acc(0);
        for (Eigen::Index j = 0; j < d; ++j) acc = Metric::template accumulate<S>(acc, q[j] - x[j]);
        if (acc <= bound) visit(i, perm_[static_cast<std::size_t>(p)]);
      }
      return;
    }
    if (box_distance(node.left, q) <= bound) radius_query(node.left, q, bound, i, visit);
    if (box_distance(node.right, q) <= bound) radius_query(node.right, q, bound, i, visit);
  }

  Eigen::Index d_ = 0;
  int leaf_size_ = 32;
  Stop stop_{};  // the build's, cleared once built (queries take their own)
  std::vector<int> perm_;
  RowMatrix<S> points_;
  std::vector<Node> nodes_;
  std::vector<S> lo_;
  std::vector<S> hi_;
};

}  // namespace detail
OSPREY_NAMESPACE_END

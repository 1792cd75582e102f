/** \file
 *  The search index of a NearestNeighbors after `add` or `remove` (internal): a list of static
 *  segments, each over rows kept in increasing id order with its local-row -> id map and a mask
 *  of removed rows (tombstones), searched together so results equal those of an index rebuilt
 *  on the live rows (rows are samples, columns features).
 *
 *  - k-d tree: the logarithmic method (Bentley & Saxe 1980, "Decomposable searching problems I:
 *    static-to-dynamic transformation", J. Algorithms 1(4)). Segment sizes fall by size class
 *    from the oldest to the newest, class(n) = bit_width((n - 1) / base) with base = 32 leaves
 *    (1024 rows at the default leaf_size):
 *    an add of m rows builds one segment over them, then merges the newest segments while the
 *    newest one's class is at least its predecessor's, rebuilding the merged tree from the live
 *    rows of both. A row is rebuilt O(log(n / base)) times over its life, so an add costs
 *    O(m log(n / base) log n) amortised; at most about log2(n / base) + 2 segments exist.
 *  - brute force: one segment that grows in place (BruteIndex::append: the new rows are
 *    centred on the existing centre and only the last partial panel is repacked).
 *  - removal: the row is marked in its segment's mask, which the scans read only for rows that
 *    pass the k-th threshold. A k-d segment is rebuilt over its live rows once more than half
 *    of its rows are removed, the brute-force segment once more than a quarter are (it is then
 *    recentred): O(n d) per n / 4 removals, O(d) amortised per removal.
 *
 *  Segments hold disjoint, increasing id ranges (older segments the lower ids), so a row is
 *  found by two binary searches. A query offers the rows of every segment to one k-buffer with
 *  their ids: later segments prune with the bound the earlier ones left, and as the buffer
 *  orders by (value, id) the selection is exactly the rebuilt index's.
 *
 *  Thread-safety: const members may run concurrently; add, remove and rebuilds are writers.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "../../config.hpp"
#include "../../core/detail/stop.hpp"
#include "../../core/parallel.hpp"
#include "../../core/types.hpp"
#include "../../core/validation.hpp"
#include "../../kernels/topk.hpp"
#include "brute_index.hpp"
#include "kd_tree.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** One static segment of a DynamicIndex: rows in increasing id order, their ids, the mask of
 *  removed rows, and the static index over the rows (a KdTree or a BruteIndex). */
template <class S, class Metric>
struct IndexSegment {
  RowMatrix<S> X;                  ///< the rows, local row r has id ids[r]
  std::vector<int> ids;            ///< local row -> id, increasing
  std::vector<std::uint8_t> dead;  ///< 1 for a removed row
  Eigen::Index n_dead = 0;         ///< number of removed rows
  bool tree = false;               ///< kd (true) or brute (false)
  KdTree<S, Metric> kd;            ///< the tree over X (tree)
  BruteIndex<S, Metric> brute;     ///< the brute-force index over X (!tree)

  /** Rows not removed. */
  [[nodiscard]] Eigen::Index live() const noexcept { return X.rows() - n_dead; }
  /** The removed-row mask for the scans, nullptr when no row is removed (the scans then skip
   *  the test altogether). */
  [[nodiscard]] const std::uint8_t* dead_mask() const noexcept {
    return n_dead > 0 ? dead.data() : nullptr;
  }
};

/** Segments of a dynamic exact k-NN index; see the file comment. */
template <class S, class Metric>
class DynamicIndex {
 public:
  using Segment = IndexSegment<S, Metric>;

  DynamicIndex() = default;

  /** Takes over a static index: the rows `X` of a fit (ids 0..n-1) and the structure built on
   *  them (moved, not rebuilt). */
  DynamicIndex(RowMatrix<S>&& X, bool tree, KdTree<S, Metric>&& kd, BruteIndex<S, Metric>&& brute,
               int leaf_size)
      : tree_(tree), leaf_size_(leaf_size), d_(X.cols()) {
    Segment seg;
    seg.tree = tree;
    seg.ids.resize(static_cast<std::size_t>(X.rows()));
    for (std::size_t i = 0; i < seg.ids.size(); ++i) seg.ids[i] = static_cast<int>(i);
    seg.dead.assign(seg.ids.size(), 0);
    seg.X = std::move(X);
    seg.kd = std::move(kd);
    seg.brute = std::move(brute);
    next_id_ = static_cast<int>(seg.X.rows());
    n_live_ = seg.X.rows();
    segments_.push_back(std::move(seg));
  }

  /** An index over rows `X` with the given increasing `ids` (all below `next_id`), as one
   *  segment (a loaded model). */
  DynamicIndex(RowMatrix<S>&& X, std::vector<int>&& ids, int next_id, bool tree, int leaf_size,
               int n_threads)
      : tree_(tree), leaf_size_(leaf_size), d_(X.cols()), next_id_(next_id) {
    n_live_ = X.rows();
    if (X.rows() > 0) segments_.push_back(make_segment(std::move(X), std::move(ids), n_threads));
  }

  /** Number of live rows. */
  [[nodiscard]] Eigen::Index n_live() const noexcept { return n_live_; }
  /** Number of features. */
  [[nodiscard]] Eigen::Index n_features() const noexcept { return d_; }
  /** The id the next added row gets (one above the largest ever assigned). */
  [[nodiscard]] int next_id() const noexcept { return next_id_; }
  /** True for a k-d tree index. */
  [[nodiscard]] bool tree() const noexcept { return tree_; }
  /** The segments, oldest (lowest ids) first. */
  [[nodiscard]] const std::vector<Segment>& segments() const noexcept { return segments_; }

  /** Calls `f(segment)` for each segment, oldest first: its static index (`kd` or `brute`, by
   *  `tree`), its rows `X`, local -> id map `ids` and removed-row mask `dead_mask()` - what a
   *  search over the segments needs (see search_one). */
  template <class F>
  void for_each_segment(F&& f) const {
    for (const Segment& seg : segments_) f(seg);
  }

  /** Appends the rows of `Xn` with ids next_id(), next_id() + 1, ... */
  void add(const RowMatrix<S>& Xn, int n_threads, const Stop& stop) {
    const Eigen::Index m = Xn.rows();
    if (m == 0) return;
    std::vector<int> ids(static_cast<std::size_t>(m));
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = next_id_ + static_cast<int>(i);
    if (!tree_ && !segments_.empty()) {
      Segment& seg = segments_.back();
      const Eigen::Index old_n = seg.X.rows();
      seg.X.conservativeResize(old_n + m, d_);
      seg.X.bottomRows(m) = Xn;
      seg.ids.insert(seg.ids.end(), ids.begin(), ids.end());
      seg.dead.resize(seg.ids.size(), 0);
      seg.brute.append(seg.X, old_n);
    } else {
      stop.check();
      segments_.push_back(make_segment(RowMatrix<S>(Xn), std::move(ids), n_threads, stop));
      if (tree_) merge_classes(n_threads);
    }
    next_id_ += static_cast<int>(m);
    n_live_ += m;
  }

  /** Removes the rows with ids `ids` (validated first: nothing changes when one is bad).
   *  \throws InvalidArgument naming an id never assigned, already removed, or listed twice. */
  void remove(std::span<const int> ids, int n_threads) {
    std::vector<int> sorted(ids.begin(), ids.end());
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 1; i < sorted.size(); ++i) {
      if (sorted[i] == sorted[i - 1])
        fail("NearestNeighbors::remove: id ", sorted[i], " is listed twice");
    }
    for (const int id : ids) {
      if (id < 0 || id >= next_id_) {
        fail("NearestNeighbors::remove: id ", id, " was never assigned (ids are 0 to ",
             next_id_ - 1, ")");
      }
      const auto [s, r] = locate(id);
      if (s < 0 || segments_[static_cast<std::size_t>(s)].dead[static_cast<std::size_t>(r)]) {
        fail("NearestNeighbors::remove: id ", id, " was already removed");
      }
    }
    for (const int id : ids) {
      const auto [s, r] = locate(id);
      Segment& seg = segments_[static_cast<std::size_t>(s)];
      seg.dead[static_cast<std::size_t>(r)] = 1;
      ++seg.n_dead;
    }
    n_live_ -= static_cast<Eigen::Index>(ids.size());
    // Rebuild segments with too many tombstones, drop empty ones.
    for (std::size_t s = 0; s < segments_.size();) {
      Segment& seg = segments_[s];
      const Eigen::Index rows = seg.X.rows();
      const bool rebuild = tree_ ? 2 * seg.n_dead > rows : 4 * seg.n_dead > rows;
      if (seg.live() == 0) {
        segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(s));
        continue;
      }
      if (rebuild) {
        auto [X, kept] = live_of(seg);
        seg = make_segment(std::move(X), std::move(kept), n_threads);
      }
      ++s;
    }
    if (tree_) merge_classes(n_threads);
  }

  /** k nearest live rows of every row of `Q` by (reduced value, id), into row i of
   *  `values`/`indices` (m x k, row-major; indices are ids). Requires k <= n_live(). */
  void search(const RowMatrix<S>& Q, int k, int n_threads, S* values, int* indices,
              const Stop& stop) const {
    const Eigen::Index m = Q.rows();
    if (!tree_) {
      const Segment& seg = segments_.front();
      seg.brute.search(seg.X, Q, k, false, n_threads, values, indices, {}, stop, seg.dead_mask());
      const auto total = static_cast<std::size_t>(m) * static_cast<std::size_t>(k);
      for (std::size_t i = 0; i < total; ++i) {
        indices[i] = seg.ids[static_cast<std::size_t>(indices[i])];
      }
      return;
    }
    // Queries leaf by leaf of the largest tree, as KdTree::search visits them.
    segments_.front().kd.for_each_query_by_leaf(Q, n_threads, stop, [&](Eigen::Index i) {
      kernels::TopK<S> top(values + i * k, indices + i * k, k);
      search_tree_segments(Q.row(i).data(), top);
    });
  }

  /** The k nearest live rows to one query `q` into the sorted buffers `values`/`indices` (ids),
   *  allocation-free; `buffer` as BruteIndex::search_one's. */
  void search_one(const S* q, int k, S* values, int* indices, S* buffer) const {
    if (!tree_) {
      const Segment& seg = segments_.front();
      seg.brute.search_one(seg.X, q, k, values, indices, buffer, seg.dead_mask());
      for (int j = 0; j < k; ++j) indices[j] = seg.ids[static_cast<std::size_t>(indices[j])];
      return;
    }
    kernels::TopK<S> top(values, indices, k);
    search_tree_segments(q, top);
  }

  /** Recomputes the true distances of the selected neighbours (ids in `raw`) and sorts each row
   *  by (distance, id) into `indices`/`distances` (m x k), as finalize_neighbors does for a
   *  static index. */
  void finalize(const RowMatrix<S>& Q, int k, const std::vector<int>& raw, int n_threads,
                Eigen::MatrixXi& indices, Matrix<S>& distances) const {
    const Eigen::Index m = Q.rows();
    indices.resize(m, k);
    distances.resize(m, k);
    parallel_for_ranges(m, Eigen::Index{256}, n_threads, [&](Eigen::Index lo, Eigen::Index hi) {
      std::vector<std::pair<S, int>> row(static_cast<std::size_t>(k));
      for (Eigen::Index i = lo; i < hi; ++i) {
        for (int j = 0; j < k; ++j) {
          const int id = raw[static_cast<std::size_t>(i * k + j)];
          row[static_cast<std::size_t>(j)] = {distance_to(Q.row(i), id), id};
        }
        std::sort(row.begin(), row.end());
        for (int j = 0; j < k; ++j) {
          distances(i, j) = row[static_cast<std::size_t>(j)].first;
          indices(i, j) = row[static_cast<std::size_t>(j)].second;
        }
      }
    });
  }

  /** Metric::distance from `q` (an expression of one row) to the live row with id `id`. */
  template <class Row>
  [[nodiscard]] S distance_to(const Row& q, int id) const {
    const auto [s, r] = locate(id);
    return Metric::distance(q, segments_[static_cast<std::size_t>(s)].X.row(r));
  }

  /** The live rows in increasing id order, and their ids. */
  [[nodiscard]] std::pair<RowMatrix<S>, std::vector<int>> live_rows() const {
    RowMatrix<S> X(n_live_, d_);
    std::vector<int> ids;
    ids.reserve(static_cast<std::size_t>(n_live_));
    Eigen::Index at = 0;
    for (const Segment& seg : segments_) {
      for (Eigen::Index r = 0; r < seg.X.rows(); ++r) {
        if (seg.dead[static_cast<std::size_t>(r)]) continue;
        X.row(at++) = seg.X.row(r);
        ids.push_back(seg.ids[static_cast<std::size_t>(r)]);
      }
    }
    return {std::move(X), std::move(ids)};
  }

 private:
  /** Searches the tree segments, largest first (the bound it leaves prunes the others). */
  void search_tree_segments(const S* q, kernels::TopK<S>& top) const {
    for (const Segment& seg : segments_)
      seg.kd.search_into(q, top, seg.dead_mask(), seg.ids.data());
  }

  /** (segment, local row) of id `id`, or (-1, -1) when no segment holds it. */
  [[nodiscard]] std::pair<int, Eigen::Index> locate(int id) const noexcept {
    const auto it = std::upper_bound(segments_.begin(), segments_.end(), id,
                                     [](int v, const Segment& s) { return v < s.ids.front(); });
    if (it == segments_.begin()) return {-1, -1};
    const Segment& seg = *(it - 1);
    const auto at = std::lower_bound(seg.ids.begin(), seg.ids.end(), id);
    if (at == seg.ids.end() || *at != id) return {-1, -1};
    return {static_cast<int>(it - 1 - segments_.begin()),
            static_cast<Eigen::Index>(at - seg.ids.begin())};
  }

  /** A segment over `X` (non-empty) with ids `ids`, its static index built. */
  Segment make_segment(RowMatrix<S>&& X, std::vector<int>&& ids, int n_threads,
                       const Stop& stop = {}) const {
    Segment seg;
    seg.tree = tree_;
    seg.X = std::move(X);
    seg.ids = std::move(ids);
    seg.dead.assign(seg.ids.size(), 0);
    if (tree_) {
      seg.kd = KdTree<S, Metric>(seg.X, leaf_size_, n_threads, stop);
    } else {
      seg.brute = BruteIndex<S, Metric>(seg.X);
    }
    return seg;
  }

  /** The live rows of `seg` and their ids. */
  static std::pair<RowMatrix<S>, std::vector<int>> live_of(const Segment& seg) {
    RowMatrix<S> X(seg.live(), seg.X.cols());
    std::vector<int> ids;
    ids.reserve(static_cast<std::size_t>(seg.live()));
    Eigen::Index at = 0;
    for (Eigen::Index r = 0; r < seg.X.rows(); ++r) {
      if (seg.dead[static_cast<std::size_t>(r)]) continue;
      X.row(at++) = seg.X.row(r);
      ids.push_back(seg.ids[static_cast<std::size_t>(r)]);
    }
    return {std::move(X), std::move(ids)};
  }

  /** Size class of a k-d segment of n rows: 0 up to base rows (32 leaves, 1024 rows at the
   *  default leaf_size), then one more per doubling. */
  [[nodiscard]] int size_class(Eigen::Index n) const noexcept {
    const Eigen::Index base = Eigen::Index{32} * leaf_size_;
    return static_cast<int>(std::bit_width(static_cast<std::uint64_t>((n - 1) / base)));
  }

  /** Merges the newest segments while the newest one's size class is at least its
   *  predecessor's (the binary counter of the logarithmic method), and any adjacent pair whose
   *  newer segment outgrew the older one after rebuilds. */
  void merge_classes(int n_threads) {
    bool merged = true;
    while (merged) {
      merged = false;
      for (std::size_t s = segments_.size(); s >= 2; --s) {
        const Segment& older = segments_[s - 2];
        const Segment& newer = segments_[s - 1];
        if (size_class(newer.live()) < size_class(older.live())) continue;
        auto [Xa, ia] = live_of(older);
        auto [Xb, ib] = live_of(newer);
        RowMatrix<S> X(Xa.rows() + Xb.rows(), d_);
        X.topRows(Xa.rows()) = Xa;
        X.bottomRows(Xb.rows()) = Xb;
        ia.insert(ia.end(), ib.begin(), ib.end());
        segments_[s - 2] = make_segment(std::move(X), std::move(ia), n_threads);
        segments_.erase(segments_.begin() + static_cast<std::ptrdiff_t>(s - 1));
        merged = true;
        break;
      }
    }
  }

  bool tree_ = false;
  int leaf_size_ = 32;
  Eigen::Index d_ = 0;
  int next_id_ = 0;
  Eigen::Index n_live_ = 0;
  std::vector<Segment> segments_;
};

}  // namespace detail
OSPREY_NAMESPACE_END

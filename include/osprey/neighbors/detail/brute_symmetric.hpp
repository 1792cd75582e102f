/** \file
 *  Brute-force leave-one-out k-nearest-neighbour search of a training set against itself
 *  (internal; BruteIndex::search for the Euclidean metrics, SMOTE's neighbour search).
 *
 *  The symmetric path computes each unordered pair once, one matrix product per block pair
 *  (I <= J), and offers the pair's exact value (rechecked as in brute_query.hpp) to both rows'
 *  k-buffers; rows are first reordered into k-d cells (block_order), and each row's one k-buffer
 *  belongs to one thread (the others queue its candidates). Extra memory is one reordered copy
 *  of the rows and four thresholds per row (never rows x threads), plus one tile per thread.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <deque>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "../../config.hpp"
#include "../../core/detail/stop.hpp"
#include "../../core/parallel.hpp"
#include "../../core/types.hpp"
#include "../../kernels/distance.hpp"
#include "../../kernels/gemm.hpp"
#include "../../kernels/packed_gemm.hpp"
#include "../../kernels/topk.hpp"
#include "brute_common.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** A permutation of the rows of `X` (position -> row) whose consecutive runs of `block` rows
 *  are the cells of a k-d split: a run of whole blocks is cut at a block boundary near its middle
 *  by the median order of the coordinate of largest variance (over a strided sample of at most
 *  256 rows), down to single blocks. Rows in one block are then close together, which is what
 *  makes the symmetric search's early thresholds tight. Ties in a coordinate go by row index, so
 *  the order depends on X alone (the runs of one level are cut in parallel, each on its own
 *  rows). O(n d + n log(n / block)). `stop` is polled before each level. */
template <class S>
[[nodiscard]] std::vector<int> block_order(const RowMatrix<S>& X, Eigen::Index block, int n_threads,
                                           const Stop& stop = {}) {
  const Eigen::Index n = X.rows();
  const Eigen::Index d = X.cols();
  std::vector<int> perm(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) perm[static_cast<std::size_t>(i)] = static_cast<int>(i);
  if (block <= 0 || n <= block) return perm;
  struct Run {
    Eigen::Index begin;
    Eigen::Index blocks;
  };
  const auto cut = [&](const Run& run) {
    const Eigen::Index end = std::min(n, run.begin + run.blocks * block);
    const Eigen::Index stride = std::max<Eigen::Index>(1, (end - run.begin) / 256);
    // Variance per coordinate over the sample, shifted by the run's first row for accuracy.
    const S* first = X.data() + perm[static_cast<std::size_t>(run.begin)] * d;
    std::vector<S> sum(static_cast<std::size_t>(d), S(0));
    std::vector<S> sq(static_cast<std::size_t>(d), S(0));
    Eigen::Index count = 0;
    for (Eigen::Index i = run.begin; i < end; i += stride, ++count) {
      const S* row = X.data() + perm[static_cast<std::size_t>(i)] * d;
      for (Eigen::Index j = 0; j < d; ++j) {
        const auto jz = static_cast<std::size_t>(j);
        const S v = row[j] - first[j];
        sum[jz] += v;
        sq[jz] += v * v;
      }
    }
    Eigen::Index dim = 0;
    S best = -1;
    for (Eigen::Index j = 0; j < d; ++j) {
      const auto jz = static_cast<std::size_t>(j);
      const S var = sq[jz] - sum[jz] * sum[jz] / static_cast<S>(count);
      if (var > best) {
        best = var;
        dim = j;
      }
    }
    std::vector<std::pair<S, int>> keys;
    keys.reserve(static_cast<std::size_t>(end - run.begin));
    for (Eigen::Index i = run.begin; i < end; ++i) {
      const int r = perm[static_cast<std::size_t>(i)];
      keys.emplace_back(X(r, dim), r);
    }
    const Eigen::Index half = run.blocks / 2;
    std::nth_element(keys.begin(), keys.begin() + half * block, keys.end());
    for (Eigen::Index i = run.begin; i < end; ++i) {
      perm[static_cast<std::size_t>(i)] = keys[static_cast<std::size_t>(i - run.begin)].second;
    }
  };
  std::vector<Run> level{{0, (n + block - 1) / block}};
  while (!level.empty()) {
    stop.check();
    parallel_for(std::size_t{0}, level.size(), n_threads, [&](std::size_t q) { cut(level[q]); });
    std::vector<Run> next;
    for (const Run& run : level) {
      const Eigen::Index half = run.blocks / 2;
      if (half >= 2) next.push_back({run.begin, half});
      if (run.blocks - half >= 2) next.push_back({run.begin + half * block, run.blocks - half});
    }
    level = std::move(next);
  }
  return perm;
}

/** Candidates a thread of the symmetric search may queue for other threads' rows before the
 *  phase pauses for their owners to take them (SymmetricSearch): 1 MiB or so. */
inline constexpr std::size_t outbox_cap = std::size_t{1} << 16;

/** The symmetric search over the rows of `X` taken in the order `perm` (position i is input
 *  row perm[i]), with tiles computed and scanned in `F` (S itself, or float for a double
 *  search, see search_symmetric) from `XF` (the centred rows in that order, in F) and their
 *  squared norms `nrm_f`; `E` bounds an F estimate's distance from the pair's direct value,
 *  which the rechecks compute from X through perm. `run` writes the results to the input rows'
 *  places in values/indices.
 *
 *  One k-buffer per row, owned by one thread: the rows of block I belong to thread I mod T.
 *  A thread inserts into the rows it owns at once and queues its candidates for the other
 *  rows (outbox[t * T + owner]); the owners take them at the end of each phase. Every pair a
 *  row's k nearest need reaches its one buffer, which keeps the k lexicographically smallest
 *  of what it is offered whatever the order, so the result does not depend on the schedule
 *  or the thread count; and no row is filled twice (once per thread) as private buffers were.
 *
 *  Memory beyond X, XF and the k-buffers: four thresholds per row and, per thread, one tile,
 *  one GEMM packing space and at most `outbox_cap` queued candidates. Every thread polls
 *  `stop` before each tile it takes (a tile is B x B x d multiply-adds, well under a
 *  millisecond). */
template <class S, class F>
class SymmetricSearch {
 public:
  /** Plans the tiles and phases and allocates the k-buffers, thresholds and per-thread tiles. */
  SymmetricSearch(const RowMatrix<S>& X, const std::vector<int>& perm, const RowMatrix<F>& XF,
                  const F* nrm_f, double E, int k, int n_threads, const BruteTiles& tiles,
                  const Stop& stop = {})
      : X_(X),
        perm_(perm),
        XF_(XF),
        nrm_f_(nrm_f),
        E_(E),
        k_(k),
        n_threads_(n_threads),
        stop_(stop) {
    n_ = X.rows();
    d_ = X.cols();
    B_ = std::min(tiles.sym_block, n_);
    nblocks_ = (n_ + B_ - 1) / B_;
    n_tiles_ = nblocks_ * (nblocks_ + 1) / 2;
    plan_tiles();
    T_ = static_cast<int>(std::clamp<Eigen::Index>(
        static_cast<Eigen::Index>(resolve_threads(n_threads)), 1, n_tiles_));
    allocate();
    plan_phases();
  }

  /** Runs every phase, then copies each row's sorted k-buffer to its input row's place. */
  void run(S* values, int* indices) {
    for (std::size_t ph = 0; ph + 1 < phase_.size(); ++ph) run_phase(ph);
    write_results(values, indices);
  }

 private:
  /** A candidate queued for a row another thread owns. */
  struct Pending {
    int row;    // position of the receiving row
    int other;  // position of the other row of the pair
    S value;
  };

  /** The thresholds a thread reads for the rows of one tile. */
  struct TileBounds {
    const S* row_th;
    const F* row_thf;
    const S* col_th;
    const F* col_thf;
  };

  /** The tile order: diagonal tiles first: they give every row block-many candidates, so its
   *  threshold is already tight when the off-diagonal tiles (the bulk of the work) are scanned.
   *  Then the block pairs by increasing distance J - I in the k-d order, nearby cells first. */
  void plan_tiles() {
    order_.reserve(static_cast<std::size_t>(n_tiles_));
    for (Eigen::Index gap = 0; gap < nblocks_; ++gap) {
      for (Eigen::Index I = 0; I + gap < nblocks_; ++I) order_.emplace_back(I, I + gap);
    }
  }

  /** The k-buffers, outboxes, thresholds, tiles and GEMM packing spaces. */
  void allocate() {
    const auto per = static_cast<std::size_t>(n_) * static_cast<std::size_t>(k_);
    const auto nz = static_cast<std::size_t>(n_);
    Tz_ = static_cast<std::size_t>(T_);
    hv_.assign(per, std::numeric_limits<S>::infinity());
    hi_.assign(per, std::numeric_limits<int>::max());
    outbox_.resize(Tz_ * Tz_);
    // Thresholds: a pair whose exact value is above a row's bound cannot be among its k nearest
    // (the buffer already holds k pairs at or below it). `live` is the k-th value of the row's
    // buffer (or a seeded bound above it), written and read by the row's owner alone; `snap` is
    // its value at the last phase boundary, which the other threads read. The F forms hold the
    // bound + E rounded up to F, the bound the estimates are tested against. One array of each
    // for all threads: memory grows with the rows, not with rows x threads.
    constexpr S inf = std::numeric_limits<S>::infinity();
    live_.assign(nz, inf);
    snap_.assign(nz, inf);
    live_f_.assign(nz, std::numeric_limits<F>::infinity());
    snap_f_.assign(nz, std::numeric_limits<F>::infinity());
    tile_buf_.assign(Tz_, Matrix<F>(B_, B_));
    // The rows as the AVX-512 product's panels where there is one and the blocks start at panel
    // boundaries (packed on all threads: a copy of XF); else a GEMM packing space per thread.
    constexpr Eigen::Index MR = kernels::gemm_panel_rows<F>;
    if (kernels::has_packed_gemm && (B_ % MR == 0 || nblocks_ == 1)) {
      const Eigen::Index panels = kernels::gemm_panels<F>(n_);
      panels_.resize(static_cast<std::size_t>(panels * d_ * MR));
      parallel_for_ranges(panels, Eigen::Index{64}, n_threads_,
                          [&](Eigen::Index lo, Eigen::Index hi) {
                            kernels::pack_gemm_panels(XF_.data(), n_, d_, lo, hi, panels_.data());
                          });
    } else {
      for (std::size_t t = 0; t < Tz_; ++t) gemms_.emplace_back(B_, B_, d_);
    }
  }

  /** Phases: the diagonal tiles, then the off-diagonal ones in four parts; the thresholds are
   *  shared at each phase boundary (the first share gives every row its diagonal block's
   *  candidates in every thread). */
  void plan_phases() {
    phase_ = {0, nblocks_};
    for (Eigen::Index q = 1; q <= 4; ++q) {
      const Eigen::Index at = nblocks_ + (n_tiles_ - nblocks_) * q / 4;
      if (at > phase_.back()) phase_.push_back(at);
    }
  }

  /** The thread that owns a row's k-buffer. */
  [[nodiscard]] int owner(Eigen::Index row) const { return static_cast<int>((row / B_) % T_); }

  /** A bound as tested against the F estimates: bound + E rounded up to F. */
  [[nodiscard]] F widen(S t) const { return kernels::round_up<F>(static_cast<double>(t) + E_); }

  /** Row's bound lowered to `bound` by its owner. */
  void lower(Eigen::Index row, S bound) {
    const auto rz = static_cast<std::size_t>(row);
    if (bound < live_[rz]) {
      live_[rz] = bound;
      live_f_[rz] = widen(bound);
    }
  }

  /** Pair (row, other) with exact value v into row's k-buffer, by the thread that owns row,
   *  which then lowers its bound on row to the buffer's k-th value. */
  void insert(Eigen::Index row, S v, Eigen::Index other) {
    S* rv = hv_.data() + row * k_;
    kernels::topk_insert(rv, hi_.data() + row * k_, k_, v, perm_.data()[other]);
    lower(row, rv[k_ - 1]);
  }

  /** One phase. Diagonal tiles go to their rows' owner (they seed its thresholds); the others
   *  are handed out dynamically: which thread takes a tile changes only which rows wait in an
   *  outbox. A phase runs in rounds: once a thread has queued more than `outbox_cap`
   *  candidates (data with many tied pairs), every thread stops taking tiles, the owners take
   *  what is queued, and the next round resumes at the next tile. The outboxes stay bounded
   *  whatever X is. */
  void run_phase(std::size_t ph) {
    std::atomic<Eigen::Index> next{phase_[ph]};
    const bool diagonal_phase = ph == 0;  // its tiles go to their owner: nothing is queued
    do {
      std::atomic<bool> full{false};
      parallel_for<int>(0, T_, T_, [&](int t) { scan_tiles(t, ph, diagonal_phase, next, full); });
      if (T_ > 1) drain_outboxes();
    } while (!diagonal_phase && next.load() < phase_[ph + 1]);
    if (T_ > 1 && ph + 2 < phase_.size()) {
      // The thresholds are shared: every thread sees the owners' bounds.
      snap_ = live_;
      snap_f_ = live_f_;
    }
  }

  /** The next tile thread `tz` takes in a round of phase `ph`, or the phase's end once some
   *  thread's outboxes are full. */
  Eigen::Index take(std::size_t tz, std::size_t ph, std::atomic<Eigen::Index>& next,
                    std::atomic<bool>& full) const {
    std::size_t queued = 0;
    for (std::size_t u = 0; u < Tz_; ++u) queued += outbox_[tz * Tz_ + u].size();
    if (queued > outbox_cap) full.store(true, std::memory_order_relaxed);
    return full.load(std::memory_order_relaxed) ? phase_[ph + 1] : next++;
  }

  /** Thread t's share of one round of phase `ph`: its own diagonal tiles, or tiles taken one by
   *  one. */
  void scan_tiles(int t, std::size_t ph, bool diagonal_phase, std::atomic<Eigen::Index>& next,
                  std::atomic<bool>& full) {
    const auto tz = static_cast<std::size_t>(t);
    for (Eigen::Index p = diagonal_phase ? t : take(tz, ph, next, full); p < phase_[ph + 1];
         p = diagonal_phase ? p + T_ : take(tz, ph, next, full)) {
      stop_.check();
      const auto [I, J] = order_[static_cast<std::size_t>(p)];
      scan_tile(t, I, J);
    }
  }

  /** The bounds thread t sees for the rows of a block: live for its own, else the snapshot. */
  [[nodiscard]] std::pair<const S*, const F*> bounds_of(int t, Eigen::Index block) const {
    const bool mine = static_cast<int>(block % T_) == t;
    return std::pair<const S*, const F*>{mine ? live_.data() : snap_.data(),
                                         mine ? live_f_.data() : snap_f_.data()};
  }

  /** Tile (I, J) by thread t: the estimates, the diagonal tile's seeded thresholds, then each
   *  column's scan. */
  void scan_tile(int t, Eigen::Index I, Eigen::Index J) {
    const auto tz = static_cast<std::size_t>(t);
    Matrix<F>& C = tile_buf_[tz];
    const Eigen::Index i0 = I * B_;
    const Eigen::Index j0 = J * B_;
    const Eigen::Index ri = std::min(B_, n_ - i0);
    const Eigen::Index cj = std::min(B_, n_ - j0);
    const TileBounds th{bounds_of(t, I).first, bounds_of(t, I).second, bounds_of(t, J).first,
                        bounds_of(t, J).second};
    estimate_tile(C, tz, i0, j0, ri, cj);
    if (I == J) {
      // k estimates at or below tau: k exact values at or below tau + E.
      kernels::seed_thresholds(C.data(), B_, ri, k_, [&](Eigen::Index c, F tau) {
        lower(i0 + c, kernels::round_up<S>(static_cast<double>(tau) + E_));
      });
    }
    for (Eigen::Index c = 0; c < cj; ++c) {
      const F* col = C.data() + c * B_;
      const Eigen::Index b = j0 + c;
      kernels::scan_pair_column(
          // A diagonal tile keeps its upper triangle r < c: each pair once.
          col, th.row_thf + i0, I == J ? c : ri,
          [&](const Eigen::Index* hits, Eigen::Index count) {
            offer_hits(t, col, hits, count, i0, b, th);
          },
          th.col_thf + b);
    }
  }

  /** The tile starts as |x_r|^2 + |x_c|^2 and the GEMM adds -2 x_r.x_c, so it holds the
   *  estimates (in place of the zero fill the GEMM would need anyway). */
  void estimate_tile(Matrix<F>& C, std::size_t tz, Eigen::Index i0, Eigen::Index j0,
                     Eigen::Index ri, Eigen::Index cj) {
    for (Eigen::Index c = 0; c < cj; ++c) {
      F* OSPREY_RESTRICT col = C.data() + c * B_;
      const F* OSPREY_RESTRICT rn = nrm_f_ + i0;
      const F cn = nrm_f_[j0 + c];
      for (Eigen::Index r = 0; r < ri; ++r) col[r] = rn[r] + cn;
    }
    if (!panels_.empty()) {
      kernels::gemm_packed_nt(panels_.data(), i0, ri, cj, d_, XF_.data() + j0 * d_, C.data(), B_,
                              F(-2));
    } else {
      gemms_[tz].run(ri, cj, d_, XF_.data() + i0 * d_, XF_.data() + j0 * d_, C.data(), B_, F(-2),
                     true);
    }
  }

  /** The hits of one column segment (tile offsets `hits` of column `b`): first the exact values
   *  of the hits still below a threshold (thresholds may have fallen since the segment was
   *  tested): independent computations that overlap; then each goes to the k-buffers that can
   *  still take it. */
  void offer_hits(int t, const F* col, const Eigen::Index* hits, Eigen::Index count,
                  Eigen::Index i0, Eigen::Index b, const TileBounds& th) {
    // Candidates of one column segment: rows (tile offsets) that passed the F test.
    Eigen::Index keep_row[kernels::scan_segment_rows];
    S keep_value[kernels::scan_segment_rows];
    Eigen::Index m = 0;
    for (Eigen::Index q = 0; q < count; ++q) {
      const Eigen::Index a = i0 + hits[q];
      const F vf = col[hits[q]];
      if (vf <= th.col_thf[b] || vf <= th.row_thf[a]) {
        keep_row[m] = a;
        keep_value[m++] = exact_value(a, b);
      }
    }
    for (Eigen::Index q = 0; q < m; ++q) {
      const Eigen::Index a = keep_row[q];
      const S v = keep_value[q];
      if (v <= th.col_th[b]) offer(t, b, v, a);
      if (v <= th.row_th[a]) offer(t, a, v, b);
    }
  }

  /** The direct value of the pair at positions (a, b): from the centred rows the tile was
   *  computed from (exact centring: the same value as the rows as given, and in cache) when F
   *  is S, else from X. */
  [[nodiscard]] S exact_value(Eigen::Index a, Eigen::Index b) const {
    if constexpr (std::is_same_v<F, S>) {
      return kernels::fixed_order_sq_dist(XF_.data() + a * d_, XF_.data() + b * d_, d_);
    } else {
      const S* xs = X_.data();
      const int* pm = perm_.data();
      return kernels::fixed_order_sq_dist(xs + pm[a] * d_, xs + pm[b] * d_, d_);
    }
  }

  /** Pair (row, other) with exact value v, found by thread t: inserted at once when t owns
   *  row, else queued for row's owner. */
  void offer(int t, Eigen::Index row, S v, Eigen::Index other) {
    const int own = owner(row);
    if (own != t) {
      outbox_[static_cast<std::size_t>(t) * Tz_ + static_cast<std::size_t>(own)].push_back(
          {static_cast<int>(row), static_cast<int>(other), v});
      return;
    }
    insert(row, v, other);
  }

  /** Each owner takes the candidates queued for its rows. */
  void drain_outboxes() {
    parallel_for<int>(0, T_, T_, [&](int u) {
      const auto uz = static_cast<std::size_t>(u);
      for (std::size_t from = 0; from < Tz_; ++from) {
        std::vector<Pending>& box = outbox_[from * Tz_ + uz];
        for (const Pending& e : box) {
          if (e.value <= live_[static_cast<std::size_t>(e.row)]) insert(e.row, e.value, e.other);
        }
        box.clear();
      }
    });
  }

  /** Each row's buffer is its result, sorted (value, index): copy it to the input row's place. */
  void write_results(S* values, int* indices) const {
    const int* pm = perm_.data();
    const S* vals = hv_.data();
    const int* idx = hi_.data();
    const int k = k_;
    parallel_for<Eigen::Index>(0, n_, n_threads_, [&](Eigen::Index i) {
      const Eigen::Index to = pm[i];
      std::copy(vals + i * k, vals + (i + 1) * k, values + to * k);
      std::copy(idx + i * k, idx + (i + 1) * k, indices + to * k);
    });
  }

  const RowMatrix<S>& X_;
  const std::vector<int>& perm_;
  const RowMatrix<F>& XF_;
  const F* nrm_f_;
  double E_;
  int k_;
  int n_threads_;
  Stop stop_;
  Eigen::Index n_ = 0;
  Eigen::Index d_ = 0;
  Eigen::Index B_ = 0;                                        ///< rows per block
  Eigen::Index nblocks_ = 0;                                  ///< blocks
  Eigen::Index n_tiles_ = 0;                                  ///< tiles (I, J), I <= J
  int T_ = 1;                                                 ///< threads
  std::size_t Tz_ = 1;                                        ///< threads, as a size
  std::vector<std::pair<Eigen::Index, Eigen::Index>> order_;  ///< tiles (I, J) in scan order
  std::vector<Eigen::Index> phase_;                           ///< first tile of each phase
  std::vector<S> hv_;                                         ///< k-buffer values, k per row
  std::vector<int> hi_;                                       ///< k-buffer indices, k per row
  std::vector<std::vector<Pending>> outbox_;  ///< queued candidates, [from * T + owner]
  std::vector<S> live_;                       ///< owners' bounds
  std::vector<S> snap_;                       ///< bounds at the last phase boundary
  std::vector<F> live_f_;                     ///< widen(live)
  std::vector<F> snap_f_;                     ///< widen(snap)
  std::vector<Matrix<F>> tile_buf_;           ///< one tile per thread
  kernels::PackedPanels<F> panels_;  ///< XF as packed panels (kernels/packed_gemm.hpp), or empty
  std::deque<kernels::SerialGemm<F>> gemms_;  ///< one per thread, packing buffers allocated once
};

/** Leave-one-out Euclidean search that computes each pair once. The centred rows, reordered
 *  into k-d cells (block_order), are cut into blocks of `tiles.sym_block`; tile (I, J), I <= J,
 *  is one GEMM `-2 X_I X_J^T` onto the norm sums, whose values `|x_i|^2 + |x_j|^2 - 2 x_i.x_j`
 *  estimate the pairs' squared distances within a bound E (expansion_margin). A pair whose
 *  estimate is within E of row i's or row j's current k-th value is recomputed directly,
 *  `sum (x_i - x_j)^2` on the rows as given, and that exact value is offered to both rows'
 *  k-buffers (a diagonal tile uses its upper triangle). Each row has one k-buffer, owned by the
 *  thread of its block; threads take the next free tile and queue candidates for rows they do
 *  not own until the phase ends. A k-buffer holds the k lexicographically smallest (value,
 *  index) pairs of what it was offered, whatever the order, and every pair's value depends only
 *  on the pair, so the result is the exact k nearest and does not depend on the thread count.
 *
 *  Double searches of at least `tiles.float_filter_rows` rows whose centred squared norms lie
 *  in [1e-20, 1e30] compute the tiles and the scan in float (E then bounds the float error):
 *  the same neighbours as an all-double search, at about the cost of a float one. `stop` is
 *  polled per level of block_order and per tile. */
template <class S>
void search_symmetric(const CentredRows<S>& train, const RowMatrix<S>& X, int k, int n_threads,
                      S* values, int* indices, const BruteTiles& tiles, const Stop& stop = {}) {
  // The search runs on the rows reordered so that each block is one cell of a k-d split
  // (block_order); the k-buffers hold the original indices, so ties still go to the lower
  // input index and the order changes only how soon the thresholds tighten.
  const Eigen::Index n = X.rows();
  const Eigen::Index d = X.cols();
  const std::vector<int> perm = block_order(X, std::min(tiles.sym_block, n), n_threads, stop);
  // Double searches of enough rows with centred squared norms in [1e-20, 1e30] (so float
  // neither overflows nor underflows) filter in float.
  const double max_norm = n > 0 ? static_cast<double>(train.norms.maxCoeff()) : 0.0;
  const bool filter = std::is_same_v<S, double> && n >= tiles.float_filter_rows && n > 0 &&
                      max_norm >= 1e-20 && max_norm <= 1e30;
  // The centred rows the tiles are computed from, in k-d order: in float for a filtered double
  // search, else in S (the exact rechecks read X itself). One copy of the data either way.
  RowMatrix<S> XP(filter ? 0 : n, d);
  Vector<S> np(filter ? 0 : n);
  RowMatrix<float> Xf(filter ? n : 0, d);
  Eigen::VectorXf nf(filter ? n : 0);
  parallel_for_ranges(n, Eigen::Index{512}, n_threads, [&](Eigen::Index lo, Eigen::Index hi) {
    for (Eigen::Index i = lo; i < hi; ++i) {
      const Eigen::Index from = perm[static_cast<std::size_t>(i)];
      const S* src = train.rows.data() + from * d;
      if (filter) {
        float* dst = Xf.data() + i * d;
        float sq = 0;
        for (Eigen::Index j = 0; j < d; ++j) {
          dst[j] = static_cast<float>(src[j]);
          sq += dst[j] * dst[j];
        }
        nf(i) = sq;
      } else {
        std::copy(src, src + d, XP.data() + i * d);
        np(i) = train.norms(from);
      }
    }
  });
  // Each tile value estimates a pair's squared distance within E of its direct sum.
  if constexpr (std::is_same_v<S, double>) {
    if (filter) {
      const double E = kernels::expansion_margin(d, 2 * max_norm, kernels::unit_roundoff<float>);
      SymmetricSearch<S, float>(X, perm, Xf, nf.data(), E, k, n_threads, tiles, stop)
          .run(values, indices);
      return;
    }
  }
  const double E = kernels::expansion_margin(d, 2 * max_norm, kernels::unit_roundoff<S>);
  SymmetricSearch<S, S>(X, perm, XP, np.data(), E, k, n_threads, tiles, stop).run(values, indices);
}

}  // namespace detail
OSPREY_NAMESPACE_END

/** \file
 *  Internals of `HnswIndex` (neighbors/hnsw.hpp): the flat graph layout, the squared-L2 kernel
 *  on padded rows, the layer search (Malkov & Yashunin 2018, Algorithm 2), the neighbour
 *  selection heuristic (Algorithm 4) and insertion (Algorithm 1), serial or with per-node
 *  spin locks for the parallel build, and the repair that unlinks removed nodes. Not API.
 */
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "../../config.hpp"
#include "../../core/parallel.hpp"
#include "../../kernels/prefetch.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Minimal allocator of 64-byte aligned storage (one cache line, one AVX-512 vector), so every
 *  padded row of the graph starts on a cache line. */
template <class T>
struct Aligned64Allocator {
  using value_type = T;  ///< element type
  Aligned64Allocator() noexcept = default;
  /** Rebinding copy. */
  template <class U>
  explicit Aligned64Allocator(const Aligned64Allocator<U>&) noexcept {}
  /** n elements, 64-byte aligned. */
  [[nodiscard]] T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{64}));
  }
  /** Frees what allocate returned. */
  void deallocate(T* p, std::size_t) noexcept { ::operator delete (p, std::align_val_t{64}); }
  /** Stateless: all instances are interchangeable. */
  template <class U>
  bool operator==(const Aligned64Allocator<U>&) const noexcept {
    return true;
  }
};

/** A vector whose data start on a 64-byte boundary. */
template <class T>
using AlignedVector = std::vector<T, Aligned64Allocator<T>>;

/** Elements per 64 bytes: the row stride of the graph is a multiple of it. */
template <class S>
inline constexpr std::size_t hnsw_lane = 64 / sizeof(S);

/** Squared L2 distance of two rows of `n` floats, n a multiple of 16 (rows zero-padded).
 *  AVX-512 or AVX (with FMA when available) by the compiler's target macros, else scalar. */
OSPREY_ALWAYS_INLINE float hnsw_squared_l2(const float* a, const float* b, std::size_t n) {
#if defined(__AVX512F__)
  __m512 acc0 = _mm512_setzero_ps();
  __m512 acc1 = _mm512_setzero_ps();
  std::size_t j = 0;
  for (; j + 32 <= n; j += 32) {
    const __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j));
    const __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + j + 16), _mm512_loadu_ps(b + j + 16));
    acc0 = _mm512_fmadd_ps(d0, d0, acc0);
    acc1 = _mm512_fmadd_ps(d1, d1, acc1);
  }
  if (j < n) {
    const __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j));
    acc0 = _mm512_fmadd_ps(d0, d0, acc0);
  }
  // Through memory: GCC 12's _mm512_reduce_add_ps and 512-bit extracts use undefined vectors
  // that -Wuninitialized reports at every inlined call.
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, _mm512_add_ps(acc0, acc1));
  const __m256 s = _mm256_add_ps(_mm256_load_ps(lanes), _mm256_load_ps(lanes + 8));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
  return _mm_cvtss_f32(h);
#elif defined(__AVX__)
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  for (std::size_t j = 0; j < n; j += 16) {
    const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j));
    const __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8));
#if defined(__FMA__)
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
    acc1 = _mm256_fmadd_ps(d1, d1, acc1);
#else
    acc0 = _mm256_add_ps(acc0, _mm256_mul_ps(d0, d0));
    acc1 = _mm256_add_ps(acc1, _mm256_mul_ps(d1, d1));
#endif
  }
  const __m256 s = _mm256_add_ps(acc0, acc1);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
  return _mm_cvtss_f32(h);
#else
  float acc[4] = {0.0F, 0.0F, 0.0F, 0.0F};
  for (std::size_t j = 0; j < n; j += 4) {
    for (std::size_t t = 0; t < 4; ++t) {
      const float d = a[j + t] - b[j + t];
      acc[t] += d * d;
    }
  }
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
#endif
}

/** Squared L2 distance of two rows of `n` doubles, n a multiple of 8 (rows zero-padded). */
OSPREY_ALWAYS_INLINE double hnsw_squared_l2(const double* a, const double* b, std::size_t n) {
#if defined(__AVX512F__)
  __m512d acc = _mm512_setzero_pd();
  for (std::size_t j = 0; j < n; j += 8) {
    const __m512d d = _mm512_sub_pd(_mm512_loadu_pd(a + j), _mm512_loadu_pd(b + j));
    acc = _mm512_fmadd_pd(d, d, acc);
  }
  alignas(64) double lanes[8];
  _mm512_store_pd(lanes, acc);
  const __m256d s = _mm256_add_pd(_mm256_load_pd(lanes), _mm256_load_pd(lanes + 4));
  __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  h = _mm_add_sd(h, _mm_unpackhi_pd(h, h));
  return _mm_cvtsd_f64(h);
#elif defined(__AVX__)
  __m256d acc0 = _mm256_setzero_pd();
  __m256d acc1 = _mm256_setzero_pd();
  for (std::size_t j = 0; j < n; j += 8) {
    const __m256d d0 = _mm256_sub_pd(_mm256_loadu_pd(a + j), _mm256_loadu_pd(b + j));
    const __m256d d1 = _mm256_sub_pd(_mm256_loadu_pd(a + j + 4), _mm256_loadu_pd(b + j + 4));
    acc0 = _mm256_add_pd(acc0, _mm256_mul_pd(d0, d0));
    acc1 = _mm256_add_pd(acc1, _mm256_mul_pd(d1, d1));
  }
  const __m256d s = _mm256_add_pd(acc0, acc1);
  __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  h = _mm_add_sd(h, _mm_unpackhi_pd(h, h));
  return _mm_cvtsd_f64(h);
#else
  double acc[4] = {0.0, 0.0, 0.0, 0.0};
  for (std::size_t j = 0; j < n; j += 4) {
    for (std::size_t t = 0; t < 4; ++t) {
      const double d = a[j + t] - b[j + t];
      acc[t] += d * d;
    }
  }
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
#endif
}

/** Node states: live, removed but still linked (a tombstone: navigated, never returned), or
 *  removed and unlinked by repair (no list holds it and its own lists are empty). */
enum : std::uint8_t { hnsw_live = 0, hnsw_tombstone = 1, hnsw_unlinked = 2 };

/** The graph of HnswIndex in flat arrays. Node i's vector is `stride` scalars at
 *  `data[i * stride]` (zero-padded to a multiple of 64 bytes); its layer-0 list is the block
 *  `links0[i * (M0 + 1)]` (a count, then M0 slots); its lists on layers 1..level(i) are blocks
 *  of M + 1 in `upper` from `upper_start[i]`. */
template <class S>
struct HnswGraph {
  int M = 16;                              ///< links per node on layers >= 1
  int M0 = 32;                             ///< links per node on layer 0 (2 M)
  std::size_t d = 0;                       ///< features
  std::size_t stride = 0;                  ///< padded row length
  AlignedVector<S> data;                   ///< the rows, padded
  std::vector<std::uint32_t> links0;       ///< layer-0 blocks
  std::vector<std::uint8_t> levels;        ///< top layer of each node
  std::vector<std::uint64_t> upper_start;  ///< offset of each node's upper blocks
  std::vector<std::uint32_t> upper;        ///< upper-layer blocks
  std::vector<std::uint8_t> state;         ///< hnsw_live, hnsw_tombstone or hnsw_unlinked
  std::int64_t entry = -1;                 ///< entry point (-1: none)
  int max_level = -1;                      ///< its level
  std::size_t n_live = 0;                  ///< live nodes
  std::size_t n_tombstones = 0;            ///< removed, not yet unlinked

  /** Nodes ever added (ids 0 .. n() - 1). */
  [[nodiscard]] std::size_t n() const noexcept { return levels.size(); }
  /** Node i's padded vector. */
  [[nodiscard]] const S* vec(std::size_t i) const noexcept { return data.data() + i * stride; }
  /** Capacity of a list on layer l. */
  [[nodiscard]] int max_links(int l) const noexcept { return l == 0 ? M0 : M; }
  /** Node i's list on layer l (count first). */
  [[nodiscard]] std::uint32_t* links(std::size_t i, int l) noexcept {
    return l == 0 ? links0.data() + i * static_cast<std::size_t>(M0 + 1)
                  : upper.data() + upper_start[i] +
                        static_cast<std::size_t>(l - 1) * static_cast<std::size_t>(M + 1);
  }
  /** Node i's list on layer l (count first). */
  [[nodiscard]] const std::uint32_t* links(std::size_t i, int l) const noexcept {
    return const_cast<HnswGraph*>(this)->links(i, l);
  }
  /** Squared L2 between padded rows. */
  [[nodiscard]] S dist(const S* a, const S* b) const noexcept {
    return hnsw_squared_l2(a, b, stride);
  }

  /** Appends `count` nodes of the given levels with empty lists and zeroed vectors. */
  void grow(const std::vector<std::uint8_t>& new_levels) {
    const std::size_t n0 = n();
    const std::size_t m = new_levels.size();
    data.resize((n0 + m) * stride, S(0));
    links0.resize((n0 + m) * static_cast<std::size_t>(M0 + 1), 0U);
    std::uint64_t at = upper.size();
    for (const std::uint8_t l : new_levels) {
      upper_start.push_back(at);
      at += std::uint64_t{l} * static_cast<std::uint64_t>(M + 1);
    }
    upper.resize(static_cast<std::size_t>(at), 0U);
    levels.insert(levels.end(), new_levels.begin(), new_levels.end());
    state.resize(n0 + m, hnsw_live);
  }
};

/** Per-thread scratch of a search or an insertion: visited marks with an epoch counter (reset
 *  only when the 16-bit counter wraps), the two heaps, neighbour buffers and the padded query.
 *  Aligned to two cache lines: the threads' scratches sit side by side in one vector, and the
 *  vectors' headers change at every push (shared lines made 2 query threads slower than 1). */
template <class S>
struct alignas(128) HnswScratch {
  using Pair = std::pair<S, std::uint32_t>;
  std::vector<std::uint16_t> tags;  ///< visited when tags[i] == epoch
  std::uint16_t epoch = 0;          ///< the current mark
  std::vector<Pair> cand;           ///< min-heap of candidates to expand
  std::vector<Pair> res;            ///< max-heap of the ef best found
  std::vector<Pair> sorted;         ///< res in increasing order
  std::vector<Pair> sel;            ///< selected neighbours
  std::vector<Pair> tmp;            ///< candidates of a shrink or repair
  std::vector<Pair> kept;           ///< what a shrink keeps
  std::vector<std::uint32_t> buf;   ///< unvisited neighbours of the node being expanded
  std::vector<std::uint32_t> copy;  ///< a locked copy of a list
  AlignedVector<S> query;           ///< padded query

  /** Starts a new visit over `n` nodes. */
  void next_epoch(std::size_t n) {
    if (tags.size() < n) tags.resize(n, 0);
    if (++epoch == 0) {
      std::fill(tags.begin(), tags.end(), std::uint16_t{0});
      epoch = 1;
    }
  }
};

/** One test-and-set spin lock per node, for the parallel build only. */
class HnswLocks {
 public:
  explicit HnswLocks(std::size_t n) : flags_(std::make_unique<std::atomic_flag[]>(n)) {}
  /** Takes node i's lock. */
  void lock(std::size_t i) noexcept {
    while (flags_[i].test_and_set(std::memory_order_acquire)) {
      while (flags_[i].test(std::memory_order_relaxed)) {
#if defined(__SSE2__)
        _mm_pause();
#endif
      }
    }
  }
  /** Releases node i's lock. */
  void unlock(std::size_t i) noexcept { flags_[i].clear(std::memory_order_release); }

 private:
  std::unique_ptr<std::atomic_flag[]> flags_;
};

/** Scoped lock of a node when `Locked`, else nothing. */
template <bool Locked>
struct HnswGuard {
  HnswGuard(HnswLocks* locks, std::size_t i) noexcept : locks_(locks), i_(i) {
    if constexpr (Locked) locks_->lock(i_);
  }
  ~HnswGuard() {
    if constexpr (Locked) locks_->unlock(i_);
  }
  HnswGuard(const HnswGuard&) = delete;
  HnswGuard& operator=(const HnswGuard&) = delete;

 private:
  HnswLocks* locks_;
  std::size_t i_;
};

/** The list of node c on layer l: the block itself when not `Locked`, else a copy taken under
 *  c's lock into s.copy. Returns (pointer to the ids, count). */
template <bool Locked, class S>
std::pair<const std::uint32_t*, std::uint32_t> hnsw_read_links(const HnswGraph<S>& g, std::size_t c,
                                                               int l, HnswScratch<S>& s,
                                                               HnswLocks* locks) {
  const std::uint32_t* block = g.links(c, l);
  if constexpr (Locked) {
    HnswGuard<true> guard(locks, c);
    const std::uint32_t cnt = block[0];
    s.copy.assign(block + 1, block + 1 + cnt);
    return {s.copy.data(), cnt};
  } else {
    return {block + 1, block[0]};
  }
}

/** Greedy descent (ef = 1) from `cur` on layers `top` down to `stop + 1`. */
template <bool Locked, class S>
void hnsw_greedy(const HnswGraph<S>& g, const S* q, int top, int stop, std::uint32_t& cur, S& dcur,
                 HnswScratch<S>& s, HnswLocks* locks) {
  for (int l = top; l > stop; --l) {
    bool changed = true;
    while (changed) {
      changed = false;
      const auto [ids, cnt] = hnsw_read_links<Locked>(g, cur, l, s, locks);
      for (std::uint32_t j = 0; j < cnt; ++j) {
        if (j + 1 < cnt) kernels::prefetch_ahead(g.vec(ids[j + 1]));
        const S dj = g.dist(q, g.vec(ids[j]));
        if (dj < dcur) {
          dcur = dj;
          cur = ids[j];
          changed = true;
        }
      }
    }
  }
}

/** Layer search (Algorithm 2) from the seeds in s.res (any order) with a result list of `ef`;
 *  leaves the ef nearest found in s.res as a max-heap. With `SkipRemoved` (queries) removed
 *  nodes are expanded but never enter the results. */
template <bool Locked, bool SkipRemoved, class S>
void hnsw_search_layer(const HnswGraph<S>& g, const S* q, int l, std::size_t ef, HnswScratch<S>& s,
                       HnswLocks* locks) {
  using Pair = typename HnswScratch<S>::Pair;
  const auto greater = [](const Pair& a, const Pair& b) { return b < a; };
  s.next_epoch(g.n());
  const std::uint16_t epoch = s.epoch;
  s.cand.assign(s.res.begin(), s.res.end());
  std::make_heap(s.cand.begin(), s.cand.end(), greater);
  s.res.clear();
  for (const Pair& p : s.cand) {
    s.tags[p.second] = epoch;
    if (!SkipRemoved || g.state[p.second] == hnsw_live) s.res.push_back(p);
  }
  std::make_heap(s.res.begin(), s.res.end());
  while (s.res.size() > ef) {
    std::pop_heap(s.res.begin(), s.res.end());
    s.res.pop_back();
  }
  S bound = s.res.size() >= ef ? s.res.front().first : std::numeric_limits<S>::infinity();
  const std::size_t lines = std::min<std::size_t>(g.stride, 4 * hnsw_lane<S>);
  while (!s.cand.empty()) {
    const Pair c = s.cand.front();
    if (c.first > bound) break;
    std::pop_heap(s.cand.begin(), s.cand.end(), greater);
    s.cand.pop_back();
    const auto [ids, cnt] = hnsw_read_links<Locked>(g, c.second, l, s, locks);
    s.buf.clear();
    for (std::uint32_t j = 0; j < cnt; ++j) kernels::prefetch_ahead(s.tags.data() + ids[j]);
    for (std::uint32_t j = 0; j < cnt; ++j) {
      const std::uint32_t e = ids[j];
      if (s.tags[e] == epoch) continue;
      s.tags[e] = epoch;
      kernels::prefetch_range(g.vec(e), static_cast<std::int64_t>(lines));
      s.buf.push_back(e);
    }
    for (const std::uint32_t e : s.buf) {
      const S de = g.dist(q, g.vec(e));
      if (de < bound || s.res.size() < ef) {
        s.cand.emplace_back(de, e);
        std::push_heap(s.cand.begin(), s.cand.end(), greater);
        if (!SkipRemoved || g.state[e] == hnsw_live) {
          s.res.emplace_back(de, e);
          std::push_heap(s.res.begin(), s.res.end());
          if (s.res.size() > ef) {
            std::pop_heap(s.res.begin(), s.res.end());
            s.res.pop_back();
          }
          if (s.res.size() >= ef) bound = s.res.front().first;
        }
      }
    }
  }
}

/** The neighbour selection heuristic (Algorithm 4, without extending the candidates and
 *  without keeping pruned connections): scans `cands` in increasing distance to the base and
 *  keeps a candidate unless it is closer to an already kept one than to the base; at most m. */
template <class S>
void hnsw_select(const HnswGraph<S>& g, const std::vector<typename HnswScratch<S>::Pair>& cands,
                 std::size_t m, std::vector<typename HnswScratch<S>::Pair>& out) {
  out.clear();
  for (const auto& c : cands) {
    if (out.size() >= m) break;
    const S* vc = g.vec(c.second);
    bool keep = true;
    for (const auto& r : out) {
      if (g.dist(vc, g.vec(r.second)) < c.first) {
        keep = false;
        break;
      }
    }
    if (keep) out.push_back(c);
  }
}

/** Links new node q to its selected neighbours s.sel on layer l and each of them back to q,
 *  shrinking a full list with the heuristic. */
template <bool Locked, class S>
void hnsw_connect(HnswGraph<S>& g, std::uint32_t q, int l, HnswScratch<S>& s, HnswLocks* locks) {
  {
    HnswGuard<Locked> guard(locks, q);
    std::uint32_t* own = g.links(q, l);
    own[0] = static_cast<std::uint32_t>(s.sel.size());
    for (std::size_t j = 0; j < s.sel.size(); ++j) own[j + 1] = s.sel[j].second;
  }
  const auto cap = static_cast<std::uint32_t>(g.max_links(l));
  for (const auto& nb : s.sel) {
    const std::uint32_t e = nb.second;
    HnswGuard<Locked> guard(locks, e);
    std::uint32_t* list = g.links(e, l);
    const std::uint32_t cnt = list[0];
    if (cnt < cap) {
      list[cnt + 1] = q;
      list[0] = cnt + 1;
      continue;
    }
    const S* ve = g.vec(e);
    s.tmp.clear();
    s.tmp.emplace_back(nb.first, q);
    for (std::uint32_t j = 0; j < cnt; ++j)
      s.tmp.emplace_back(g.dist(ve, g.vec(list[j + 1])), list[j + 1]);
    std::sort(s.tmp.begin(), s.tmp.end());
    hnsw_select(g, s.tmp, cap, s.kept);
    list[0] = static_cast<std::uint32_t>(s.kept.size());
    for (std::size_t j = 0; j < s.kept.size(); ++j) list[j + 1] = s.kept[j].second;
  }
}

/** Inserts node q (Algorithm 1): greedy descent to its level, then on each of its layers a
 *  search with ef_construction, the heuristic's M neighbours, links both ways; the whole result
 *  list seeds the next layer down. With `Locked`, lists are read and written under per-node
 *  locks and the entry point under `global` (held through the insertion of a node that becomes
 *  the new entry point). */
template <bool Locked, class S>
void hnsw_insert(HnswGraph<S>& g, std::uint32_t q, std::size_t ef_construction, HnswScratch<S>& s,
                 HnswLocks* locks, std::mutex* global) {
  const int level = g.levels[q];
  std::unique_lock<std::mutex> entry_lock;
  if constexpr (Locked) entry_lock = std::unique_lock<std::mutex>(*global);
  const std::int64_t ep = g.entry;
  const int top = g.max_level;
  if (ep < 0) {
    g.entry = q;
    g.max_level = level;
    return;
  }
  if constexpr (Locked) {
    if (level <= top) entry_lock.unlock();
  }
  const S* v = g.vec(q);
  auto cur = static_cast<std::uint32_t>(ep);
  S dcur = g.dist(v, g.vec(cur));
  hnsw_greedy<Locked>(g, v, top, level, cur, dcur, s, locks);
  s.res.assign(1, {dcur, cur});
  for (int l = std::min(level, top); l >= 0; --l) {
    hnsw_search_layer<Locked, false>(g, v, l, ef_construction, s, locks);
    s.sorted.clear();
    for (const auto& p : s.res) {
      if (p.second != q) s.sorted.push_back(p);  // a concurrent insertion may lead back to q
    }
    std::sort(s.sorted.begin(), s.sorted.end());
    hnsw_select(g, s.sorted, static_cast<std::size_t>(g.M), s.sel);
    hnsw_connect<Locked>(g, q, l, s, locks);
    s.res.assign(s.sorted.begin(), s.sorted.end());
  }
  if (level > top) {
    g.entry = q;
    g.max_level = level;
  }
}

/** Unlinks every tombstone: each live node whose list on a layer holds one gets a new list,
 *  chosen by the heuristic among its live neighbours and the live neighbours of its removed
 *  ones on that layer (the "reconnect through the deleted node" repair); then the tombstones'
 *  own lists are emptied and they become hnsw_unlinked. New lists are computed from the old
 *  graph and applied afterwards, so the result does not depend on `n_threads`. A removed entry
 *  point is replaced by the live node of the highest level (lowest id among equals). */
template <class S>
void hnsw_repair(HnswGraph<S>& g, int n_threads) {
  using Pair = typename HnswScratch<S>::Pair;
  if (g.n_tombstones == 0) return;
  const std::size_t n = g.n();
  std::vector<std::pair<std::uint32_t, int>> jobs;
  for (std::size_t i = 0; i < n; ++i) {
    if (g.state[i] != hnsw_live) continue;
    for (int l = 0; l <= g.levels[i]; ++l) {
      const std::uint32_t* list = g.links(i, l);
      for (std::uint32_t j = 0; j < list[0]; ++j) {
        if (g.state[list[j + 1]] != hnsw_live) {
          jobs.emplace_back(static_cast<std::uint32_t>(i), l);
          break;
        }
      }
    }
  }
  std::vector<std::vector<std::uint32_t>> lists(jobs.size());
  const auto count = static_cast<std::int64_t>(jobs.size());
  parallel_for_ranges(count, std::int64_t{64}, n_threads, [&](std::int64_t lo, std::int64_t hi) {
    std::vector<std::uint32_t> ids;
    std::vector<Pair> cands;
    std::vector<Pair> kept;
    for (std::int64_t t = lo; t < hi; ++t) {
      const auto [i, l] = jobs[static_cast<std::size_t>(t)];
      ids.clear();
      const std::uint32_t* list = g.links(i, l);
      for (std::uint32_t j = 0; j < list[0]; ++j) {
        const std::uint32_t e = list[j + 1];
        if (g.state[e] == hnsw_live) {
          ids.push_back(e);
          continue;
        }
        const std::uint32_t* via = g.links(e, l);
        for (std::uint32_t k = 0; k < via[0]; ++k) {
          const std::uint32_t f = via[k + 1];
          if (f != i && g.state[f] == hnsw_live) ids.push_back(f);
        }
      }
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      cands.clear();
      for (const std::uint32_t e : ids) cands.emplace_back(g.dist(g.vec(i), g.vec(e)), e);
      std::sort(cands.begin(), cands.end());
      const auto cap = static_cast<std::size_t>(g.max_links(l));
      hnsw_select(g, cands, cap, kept);
      auto& out = lists[static_cast<std::size_t>(t)];
      for (const Pair& p : kept) out.push_back(p.second);
      // Keep pruned connections (Algorithm 4's option): fill the list with the nearest
      // candidates the heuristic dropped, so no node loses its in-links.
      for (std::size_t c = 0; c < cands.size() && out.size() < cap; ++c) {
        if (std::find(out.begin(), out.end(), cands[c].second) == out.end()) {
          out.push_back(cands[c].second);
        }
      }
    }
  });
  for (std::size_t t = 0; t < jobs.size(); ++t) {
    std::uint32_t* list = g.links(jobs[t].first, jobs[t].second);
    list[0] = static_cast<std::uint32_t>(lists[t].size());
    std::copy(lists[t].begin(), lists[t].end(), list + 1);
  }
  std::int64_t best = -1;
  for (std::size_t i = 0; i < n; ++i) {
    if (g.state[i] == hnsw_tombstone) {
      for (int l = 0; l <= g.levels[i]; ++l) g.links(i, l)[0] = 0;
      g.state[i] = hnsw_unlinked;
    } else if (g.state[i] == hnsw_live &&
               (best < 0 || g.levels[i] > g.levels[static_cast<std::size_t>(best)])) {
      best = static_cast<std::int64_t>(i);
    }
  }
  g.n_tombstones = 0;
  if (g.entry < 0 || g.state[static_cast<std::size_t>(g.entry)] != hnsw_live) {
    g.entry = best;
    g.max_level = best < 0 ? -1 : g.levels[static_cast<std::size_t>(best)];
  }
}

}  // namespace detail
OSPREY_NAMESPACE_END

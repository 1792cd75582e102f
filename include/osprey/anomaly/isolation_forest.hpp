/** \file
 *  Isolation Forest (Liu, Ting & Zhou, "Isolation Forest", ICDM 2008) with scikit-learn's
 *  conventions: `score_samples` is the negated anomaly score (higher = more normal),
 *  `offset()` is -0.5 for `contamination` auto or the contamination quantile of the training
 *  scores, `decision_function = score_samples - offset()`, `predict` gives +1 for inliers and -1
 *  for outliers. Rows are samples, columns are features.
 *
 *  Trees live in flat arrays in a complete-binary-tree layout (children of slot p are 2p+1 and
 *  2p+2), so scoring a row through a tree is exactly `height` branch-free steps and no node
 *  stores a child pointer. The forest can be saved to and loaded from a stream in a versioned,
 *  little-endian binary format with a checksum.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <istream>
#include <limits>
#include <numbers>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "../core/parallel.hpp"
#include "../core/random.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN

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

/** The fitted forest. Tree `t` owns a contiguous slice of each array:
 *  - `thresholds`, `features`: `n_internal = 2^height - 1` split slots. A row goes to the left
 *    child when `x[feature] <= threshold`, else to the right one. A slot that is not a real split
 *    (an early leaf or a slot below one) has threshold +inf and feature 0, so every row goes left.
 *  - `leaf_values`: `n_leaves = 2^height` path lengths `depth + c(size)`; a leaf reached at depth
 *    `k < height` stores its value in the leftmost leaf slot below it.
 *  - `counts`: `n_internal + n_leaves` training rows per slot (0 for unreachable slots), used
 *    only by the per-feature contributions. */
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
};

/** How scoring walks the forest (both give bit-identical sums; bench/isolation_forest.cpp
 *  measures them). */
enum class IsolationScoring {
  rows_per_tree,          ///< a block of rows goes through one tree level by level, then the
                          ///< next tree; first levels by selects where kIsolationSelectLevels
  trees_per_row,          ///< one row goes through every tree, then the next row
  rows_per_tree_plain,    ///< rows_per_tree, every level by indexed loads (for tests/benchmarks)
  rows_per_tree_selects,  ///< rows_per_tree, first four levels by selects (for tests/benchmarks)
};

/** Whether the rows-per-tree walk resolves the first four levels with selects: only where the
 *  compiler can turn them into vector blends (AVX2 or later). Without, the selects compile to
 *  branches and the plain level loop is faster (measured 0.72 s vs 1.35 s per million rows x
 *  100 trees at -O2 on x86-64 baseline). */
inline constexpr bool kIsolationSelectLevels =
#if defined(__AVX2__)
    true;
#else
    false;
#endif

/** Rows per block of the rows-per-tree walk (a block's features stay in L1/L2). */
inline constexpr Eigen::Index kIsolationBlock = 64;
/** Rows per parallel work item while scoring. */
inline constexpr Eigen::Index kIsolationChunk = 2048;

/** Calls `fn` with an expression of X whose coefficients are cheap to read: X itself when it has
 *  direct storage access, else X evaluated into a plain matrix. */
template <class Derived, class Fn>
decltype(auto) with_readable(const Eigen::MatrixBase<Derived>& X, Fn&& fn) {
  if constexpr ((static_cast<unsigned>(Derived::Flags) & Eigen::DirectAccessBit) != 0U) {
    return fn(X.derived());
  } else {
    const Matrix<typename Derived::Scalar> plain = X;
    return fn(plain);
  }
}

/** One level of the rows-per-tree walk for every row of a block, kept scalar on purpose: the
 *  64 independent walks already fill the core, and AVX-512 gathers measured slower than scalar
 *  loads here (deeper levels have up to 2^level distinct nodes, so no select trick applies). */
template <class Scalar>
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-vectorize")))
#endif
inline void
isolation_level_scalar(const Scalar* OSPREY_RESTRICT thr, const std::uint32_t* OSPREY_RESTRICT feat,
                       const Scalar* OSPREY_RESTRICT xb, int rows,
                       std::int32_t* OSPREY_RESTRICT idx) {
  constexpr int stride = static_cast<int>(kIsolationBlock);
#if defined(__clang__)
#pragma clang loop vectorize(disable)
#endif
  for (int r = 0; r < rows; ++r) {
    const std::int32_t node = idx[r];
    const Scalar x = xb[static_cast<std::int32_t>(feat[node]) * stride + r];
    idx[r] = 2 * node + 1 + static_cast<std::int32_t>(x > thr[node]);
  }
}

/** Sum over trees of the path length of rows [row0, row0 + B) held column-major in `xb` with
 *  column stride kIsolationBlock: the rows-per-tree walk. Adds into `acc`. */
template <class Scalar>
void isolation_block_rows_per_tree(const IsolationForestState<Scalar>& s,
                                   const Scalar* OSPREY_RESTRICT xb, Eigen::Index B,
                                   double* OSPREY_RESTRICT acc,
                                   bool select_levels = kIsolationSelectLevels) {
  const std::size_t n_int = s.n_internal();
  const std::size_t n_leaf = s.n_leaves();
  const int height = s.height;
  // 32-bit signed indices let the compiler use dword-index gathers when it vectorises the
  // level loop over rows (AVX2 / AVX-512).
  std::int32_t idx[kIsolationBlock];
  const int rows = static_cast<int>(B);
  constexpr int stride = static_cast<int>(kIsolationBlock);
  for (Eigen::Index t = 0; t < s.n_estimators; ++t) {
    const Scalar* OSPREY_RESTRICT thr = s.thresholds.data() + static_cast<std::size_t>(t) * n_int;
    const std::uint32_t* OSPREY_RESTRICT feat =
        s.features.data() + static_cast<std::size_t>(t) * n_int;
    const Scalar* OSPREY_RESTRICT leaf =
        s.leaf_values.data() + static_cast<std::size_t>(t) * n_leaf - n_int;
    int level = 0;
    if (select_levels && height >= 4) {
      // The first four levels hold 1, 2, 4 and 8 nodes: pick a row's feature value and
      // threshold among them with selects over contiguous loads instead of gathers (this
      // vectorises to blends; with scalar deeper levels 1.85x faster than gathers at every
      // level, see docs/benchmarks/isolation_forest.md).
      const Scalar* OSPREY_RESTRICT xs[15];
      Scalar ts[15];
      for (int k = 0; k < 15; ++k) {
        xs[k] = xb + static_cast<std::ptrdiff_t>(feat[k]) * stride;
        ts[k] = thr[k];
      }
#if defined(OSPREY_USE_OPENMP) && defined(__GNUC__) && !defined(__clang__)
#pragma omp simd  // GCC at -O2 vectorises this only when asked; clang warns if it cannot
#endif
      for (int r = 0; r < rows; ++r) {
        const bool r0 = xs[0][r] > ts[0];
        const Scalar x1 = r0 ? xs[2][r] : xs[1][r];
        const Scalar t1 = r0 ? ts[2] : ts[1];
        const bool r1 = x1 > t1;
        const Scalar x2l = r1 ? xs[4][r] : xs[3][r];
        const Scalar x2r = r1 ? xs[6][r] : xs[5][r];
        const Scalar t2l = r1 ? ts[4] : ts[3];
        const Scalar t2r = r1 ? ts[6] : ts[5];
        const Scalar x2 = r0 ? x2r : x2l;
        const Scalar t2 = r0 ? t2r : t2l;
        const bool r2 = x2 > t2;
        const Scalar xa = r2 ? xs[8][r] : xs[7][r];
        const Scalar xb2 = r2 ? xs[10][r] : xs[9][r];
        const Scalar xc = r2 ? xs[12][r] : xs[11][r];
        const Scalar xd = r2 ? xs[14][r] : xs[13][r];
        const Scalar ta = r2 ? ts[8] : ts[7];
        const Scalar tb = r2 ? ts[10] : ts[9];
        const Scalar tc = r2 ? ts[12] : ts[11];
        const Scalar td = r2 ? ts[14] : ts[13];
        const Scalar xab = r1 ? xb2 : xa;
        const Scalar xcd = r1 ? xd : xc;
        const Scalar tab = r1 ? tb : ta;
        const Scalar tcd = r1 ? td : tc;
        const Scalar x3 = r0 ? xcd : xab;
        const Scalar t3 = r0 ? tcd : tab;
        const bool r3 = x3 > t3;
        idx[r] = 15 + 8 * static_cast<std::int32_t>(r0) + 4 * static_cast<std::int32_t>(r1) +
                 2 * static_cast<std::int32_t>(r2) + static_cast<std::int32_t>(r3);
      }
      level = 4;
    } else {
      for (int r = 0; r < rows; ++r) idx[r] = 0;
    }
    for (; level < height; ++level) isolation_level_scalar(thr, feat, xb, rows, idx);
    for (int r = 0; r < rows; ++r) acc[r] += static_cast<double>(leaf[idx[r]]);
  }
}

/** Sum over trees of the path length of one row `x` (contiguous features): trees-per-row walk,
 *  four trees interleaved. */
template <class Scalar>
[[nodiscard]] double isolation_row_all_trees(const IsolationForestState<Scalar>& s,
                                             const Scalar* OSPREY_RESTRICT x) {
  const std::size_t n_int = s.n_internal();
  const std::size_t n_leaf = s.n_leaves();
  const auto T = static_cast<std::size_t>(s.n_estimators);
  const Scalar* thr = s.thresholds.data();
  const std::uint32_t* feat = s.features.data();
  const Scalar* leaf = s.leaf_values.data();
  double sum = 0.0;
  std::size_t t = 0;
  for (; t + 4 <= T; t += 4) {
    std::size_t n0 = 0, n1 = 0, n2 = 0, n3 = 0;
    const std::size_t b0 = t * n_int, b1 = b0 + n_int, b2 = b1 + n_int, b3 = b2 + n_int;
    for (int level = 0; level < s.height; ++level) {
      n0 = 2 * n0 + 1 + static_cast<std::size_t>(x[feat[b0 + n0]] > thr[b0 + n0]);
      n1 = 2 * n1 + 1 + static_cast<std::size_t>(x[feat[b1 + n1]] > thr[b1 + n1]);
      n2 = 2 * n2 + 1 + static_cast<std::size_t>(x[feat[b2 + n2]] > thr[b2 + n2]);
      n3 = 2 * n3 + 1 + static_cast<std::size_t>(x[feat[b3 + n3]] > thr[b3 + n3]);
    }
    sum += static_cast<double>(leaf[t * n_leaf + n0 - n_int]);
    sum += static_cast<double>(leaf[(t + 1) * n_leaf + n1 - n_int]);
    sum += static_cast<double>(leaf[(t + 2) * n_leaf + n2 - n_int]);
    sum += static_cast<double>(leaf[(t + 3) * n_leaf + n3 - n_int]);
  }
  for (; t < T; ++t) {
    std::size_t n = 0;
    const std::size_t b = t * n_int;
    for (int level = 0; level < s.height; ++level) {
      n = 2 * n + 1 + static_cast<std::size_t>(x[feat[b + n]] > thr[b + n]);
    }
    sum += static_cast<double>(leaf[t * n_leaf + n - n_int]);
  }
  return sum;
}

/** Sum over trees of the path length h_t(x) of every row of X (validated by the caller).
 *  Parallel over fixed chunks of rows, handed out dynamically (a preempted thread on a busy
 *  machine does not hold the others back); each row's sum runs over trees in order and no chunk
 *  depends on another, so the result is bit-identical on any thread count and with either walk. */
template <class Scalar, class Derived>
[[nodiscard]] std::vector<double> isolation_path_sums(
    const IsolationForestState<Scalar>& s, const Eigen::MatrixBase<Derived>& X, int n_threads,
    IsolationScoring order = IsolationScoring::rows_per_tree) {
  const Eigen::Index n = X.rows();
  const Eigen::Index d = X.cols();
  std::vector<double> sums(static_cast<std::size_t>(n), 0.0);
  const Eigen::Index n_chunks = (n + kIsolationChunk - 1) / kIsolationChunk;
  with_readable(X, [&](const auto& Xr) {
    parallel_for_dynamic(Eigen::Index{0}, n_chunks, n_threads, [&](Eigen::Index chunk) {
      const Eigen::Index begin = chunk * kIsolationChunk;
      const Eigen::Index end = std::min(n, begin + kIsolationChunk);
      if (order != IsolationScoring::trees_per_row) {
        const bool selects = order == IsolationScoring::rows_per_tree_selects ||
                             (order == IsolationScoring::rows_per_tree && kIsolationSelectLevels);
        std::vector<Scalar> xb(static_cast<std::size_t>(kIsolationBlock * d));
        for (Eigen::Index b0 = begin; b0 < end; b0 += kIsolationBlock) {
          const Eigen::Index B = std::min(kIsolationBlock, end - b0);
          for (Eigen::Index j = 0; j < d; ++j) {
            Scalar* col = xb.data() + j * kIsolationBlock;
            for (Eigen::Index r = 0; r < B; ++r) col[r] = static_cast<Scalar>(Xr.coeff(b0 + r, j));
          }
          isolation_block_rows_per_tree(s, xb.data(), B, sums.data() + static_cast<std::size_t>(b0),
                                        selects);
        }
      } else {
        std::vector<Scalar> row(static_cast<std::size_t>(d));
        for (Eigen::Index i = begin; i < end; ++i) {
          for (Eigen::Index j = 0; j < d; ++j) {
            row[static_cast<std::size_t>(j)] = static_cast<Scalar>(Xr.coeff(i, j));
          }
          sums[static_cast<std::size_t>(i)] = isolation_row_all_trees(s, row.data());
        }
      }
    });
    return 0;
  });
  return sums;
}

/** Little-endian byte writer for the save format. */
class ByteWriter {
 public:
  void u8(std::uint8_t v) { bytes_.push_back(static_cast<char>(v)); }
  void u32(std::uint32_t v) {
    for (unsigned k = 0; k < 4; ++k) bytes_.push_back(static_cast<char>((v >> (8 * k)) & 0xFFU));
  }
  void u64(std::uint64_t v) {
    for (unsigned k = 0; k < 8; ++k) bytes_.push_back(static_cast<char>((v >> (8 * k)) & 0xFFU));
  }
  void f64(double v) { u64(std::bit_cast<std::uint64_t>(v)); }
  template <class Scalar>
  void scalar(Scalar v) {
    if constexpr (sizeof(Scalar) == 4) {
      u32(std::bit_cast<std::uint32_t>(v));
    } else {
      u64(std::bit_cast<std::uint64_t>(v));
    }
  }
  [[nodiscard]] std::string& bytes() noexcept { return bytes_; }

 private:
  std::string bytes_;
};

/** Bounds-checked little-endian reader; running past the end throws InvalidArgument. */
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) noexcept : bytes_(bytes) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)[0]); }
  std::uint32_t u32() {
    const std::string_view b = take(4);
    std::uint32_t v = 0;
    for (unsigned k = 0; k < 4; ++k) {
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(b[k])) << (8 * k);
    }
    return v;
  }
  std::uint64_t u64() {
    const std::string_view b = take(8);
    std::uint64_t v = 0;
    for (unsigned k = 0; k < 8; ++k) {
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(b[k])) << (8 * k);
    }
    return v;
  }
  double f64() { return std::bit_cast<double>(u64()); }
  template <class Scalar>
  Scalar scalar() {
    if constexpr (sizeof(Scalar) == 4) {
      return std::bit_cast<Scalar>(u32());
    } else {
      return std::bit_cast<Scalar>(u64());
    }
  }
  [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size() - pos_; }

 private:
  std::string_view take(std::size_t k) {
    if (remaining() < k) fail("IsolationForest::load: the forest data is truncated");
    const std::string_view out = bytes_.substr(pos_, k);
    pos_ += k;
    return out;
  }
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

/** FNV-1a, 64 bit: detects any change of a single byte (each step is a bijection of the state). */
[[nodiscard]] inline std::uint64_t fnv1a64(std::string_view bytes,
                                           std::uint64_t h = 0xCBF29CE484222325ULL) noexcept {
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return h;
}

/** Read access to a fitted forest's arrays for osprey's own tests and benchmarks (not API). */
template <class Scalar>
struct IsolationForestInternals;

inline constexpr char kIsolationMagic[8] = {'O', 'S', 'P', 'R', 'E', 'Y', 'I', 'F'};
inline constexpr std::uint32_t kIsolationFormatVersion = 1;

}  // namespace detail

/** Isolation Forest anomaly detector (Liu, Ting & Zhou, ICDM 2008), with scikit-learn's
 *  conventions for `score_samples`, `offset()`, `decision_function` and `predict`.
 *
 *  Fit draws, for each of `n_estimators` trees, `psi = min(max_samples, n)` rows (without
 *  replacement, or with it when `bootstrap`) and a subset of the features (`max_features`), and
 *  grows an isolation tree to the height limit `ceil(log2(psi))`: at each node a feature is drawn
 *  uniformly among the tree's features and a threshold uniformly in the node's [min, max] of that
 *  feature; rows with `x <= threshold` go left. A feature that is constant within the node is
 *  skipped and another drawn (without replacement); a node whose rows are all equal on every
 *  tree feature (duplicates, or constant data) becomes a leaf, as does a node of one row. The
 *  path length of a row through a tree is the depth of the leaf it reaches plus `c(size)`, the
 *  average path length of the leaf's `size` training rows. The anomaly score is
 *  `s(x) = 2^(-E[h(x)] / c(psi))`, in (0, 1]: near 1 for anomalies, 0.5 or below for normal rows.
 *
 *  \tparam ScalarT float or double: the type of thresholds and of the scores returned.
 *
 *  Complexity: fit O(T psi log psi + T psi d_T) (the sample copy), scoring O(n T height).
 *  Memory of the fitted forest: T (2^height - 1)(sizeof(ScalarT) + 4) + T 2^height
 *  (sizeof(ScalarT)) + T (2^(height+1) - 1) 4 bytes; 100 trees with psi = 256 take 715 KB in
 *  double, 511 KB in float (`memory_bytes()`).
 *
 *  Thread safety: const methods may be called concurrently; fit and set_params may not. Results
 *  for a `random_state` are bit-identical on any `n_threads`.
 */
template <class ScalarT = double>
class IsolationForest {
 public:
  using Scalar = ScalarT;  ///< type of thresholds and returned scores

  /** Parameters, written with designated initialisers:
   *  `osprey::IsolationForest<> f({.n_estimators = 200, .random_state = 7});` */
  struct Params {
    /** Number of trees (>= 1). */
    int n_estimators = 100;
    /** Rows drawn per tree (>= 1); capped at the number of rows given to fit. */
    Eigen::Index max_samples = 256;
    /** Expected fraction of outliers in (0, 0.5]; empty means auto (offset -0.5, as
     *  scikit-learn's contamination='auto'). */
    std::optional<double> contamination{};
    /** Features drawn per tree, as scikit-learn: a `double` is a fraction in (0, 1] (the tree
     *  uses max(1, floor(fraction * d)) features), an `int` is a count in [1, d]. Write
     *  `.max_features = 0.5` or `.max_features = 3`. */
    std::variant<double, int> max_features = 1.0;
    /** Draw each tree's rows with replacement. */
    bool bootstrap = false;
    /** Seed of every random draw; tree t uses the stream `Rng(random_state).split(t)`. */
    std::uint64_t random_state = 0;
    /** Threads for fit (over trees) and scoring (over rows); 0 = all available. */
    int n_threads = 0;
    /** Optional progress report during fit (stage "fit", done/total trees), called from the
     *  calling thread. */
    ProgressCallback progress{};
  };

  /** A forest with default parameters. */
  IsolationForest() = default;
  /** \throws InvalidArgument if a parameter is out of range (message names it and its value). */
  explicit IsolationForest(const Params& params) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters; the forest becomes unfitted.
   *  \throws InvalidArgument as the constructor. */
  void set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
  }

  /** Grows the forest on X (rows are samples) and sets `offset()`.
   *  \throws InvalidArgument if X is empty or has a non-finite value (naming row and column),
   *  or `max_features` as a count exceeds the number of columns. On a throw the forest is left
   *  unfitted. Complexity: see the class; with a finite contamination, also O(n T height) to
   *  score the training rows. */
  template <class Derived>
  IsolationForest& fit(const Eigen::MatrixBase<Derived>& X) {
    state_.reset();
    detail::check_matrix_as<Scalar>(X, "X");
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    if (static_cast<std::uint64_t>(d) > std::numeric_limits<std::uint32_t>::max()) {
      detail::fail("IsolationForest supports at most 2^32 - 1 features (got ", d, ")");
    }
    const Eigen::Index d_tree = features_per_tree(d);
    detail::IsolationForestState<Scalar> s;
    s.n_features = d;
    s.n_estimators = params_.n_estimators;
    s.samples_per_tree = std::min(params_.max_samples, n);
    s.height = detail::isolation_height_limit(static_cast<std::uint64_t>(s.samples_per_tree));
    if (s.height > 30) {  // 2^31 slots per tree: node indices would overflow 32 bits
      detail::fail("max_samples must be <= 2^30 (got ", params_.max_samples, " with ", n, " rows)");
    }
    const std::size_t T = static_cast<std::size_t>(s.n_estimators);
    s.thresholds.assign(T * s.n_internal(), std::numeric_limits<Scalar>::infinity());
    s.features.assign(T * s.n_internal(), 0);
    s.leaf_values.assign(T * s.n_leaves(), Scalar(0));
    s.counts.assign(T * (s.n_internal() + s.n_leaves()), 0);

    const Rng root(params_.random_state);
    const int threads = detail::resolve_threads(params_.n_threads);
    // Trees are grown in batches so the progress callback runs on the calling thread between
    // parallel sections; the batch split does not affect any draw.
    const Eigen::Index batch =
        params_.progress ? std::max<Eigen::Index>(8, 2 * static_cast<Eigen::Index>(threads))
                         : s.n_estimators;
    detail::with_readable(X, [&](const auto& Xr) {
      for (Eigen::Index first = 0; first < s.n_estimators; first += batch) {
        const Eigen::Index last = std::min(s.n_estimators, first + batch);
        detail::parallel_for_dynamic(first, last, params_.n_threads, [&](Eigen::Index t) {
          Rng rng = root.split(static_cast<std::uint64_t>(t));
          grow_tree(Xr, d_tree, params_.bootstrap, static_cast<std::size_t>(t), rng, s);
        });
        if (params_.progress) {
          params_.progress(Progress{"fit", static_cast<std::size_t>(last), T, 0.0});
        }
      }
      return 0;
    });

    if (params_.contamination) {
      const std::vector<double> sums = detail::isolation_path_sums(s, X, params_.n_threads);
      std::vector<double> scores(sums.size());
      for (std::size_t i = 0; i < sums.size(); ++i) scores[i] = -anomaly_from_sum(s, sums[i]);
      s.offset = percentile(std::move(scores), *params_.contamination);
    } else {
      s.offset = -0.5;
    }
    state_ = std::move(s);
    return *this;
  }

  /** scikit-learn's score: `-s(x)` in [-1, 0), higher is more normal.
   *  \throws NotFittedError before fit; InvalidArgument on a feature-count mismatch or a
   *  non-finite value. Complexity O(n T height). */
  template <class Derived>
  [[nodiscard]] Vector<Scalar> score_samples(const Eigen::MatrixBase<Derived>& X) const {
    const auto& s = checked_state(X);
    const std::vector<double> sums = detail::isolation_path_sums(s, X, params_.n_threads);
    Vector<Scalar> out(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      out(i) = static_cast<Scalar>(-anomaly_from_sum(s, sums[static_cast<std::size_t>(i)]));
    }
    return out;
  }

  /** The anomaly score of Liu et al., `s(x) = 2^(-E[h(x)] / c(psi))` in (0, 1]; near 1 means
   *  anomalous. Equals `-score_samples(X)`. \throws as score_samples. */
  template <class Derived>
  [[nodiscard]] Vector<Scalar> anomaly_score(const Eigen::MatrixBase<Derived>& X) const {
    const auto& s = checked_state(X);
    const std::vector<double> sums = detail::isolation_path_sums(s, X, params_.n_threads);
    Vector<Scalar> out(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      out(i) = static_cast<Scalar>(anomaly_from_sum(s, sums[static_cast<std::size_t>(i)]));
    }
    return out;
  }

  /** The mean path length E[h(x)] over the trees, per row (the paper's quantity).
   *  \throws as score_samples. */
  template <class Derived>
  [[nodiscard]] Vector<double> expected_path_length(const Eigen::MatrixBase<Derived>& X) const {
    const auto& s = checked_state(X);
    const std::vector<double> sums = detail::isolation_path_sums(s, X, params_.n_threads);
    Vector<double> out(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      out(i) = sums[static_cast<std::size_t>(i)] / static_cast<double>(s.n_estimators);
    }
    return out;
  }

  /** `score_samples(X) - offset()`: negative for outliers. \throws as score_samples. */
  template <class Derived>
  [[nodiscard]] Vector<Scalar> decision_function(const Eigen::MatrixBase<Derived>& X) const {
    const auto& s = checked_state(X);
    const std::vector<double> sums = detail::isolation_path_sums(s, X, params_.n_threads);
    Vector<Scalar> out(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      out(i) =
          static_cast<Scalar>(-anomaly_from_sum(s, sums[static_cast<std::size_t>(i)]) - s.offset);
    }
    return out;
  }

  /** +1 for inliers, -1 for outliers (`decision_function < 0`, computed in double).
   *  \throws as score_samples. */
  template <class Derived>
  [[nodiscard]] Eigen::VectorXi predict(const Eigen::MatrixBase<Derived>& X) const {
    const auto& s = checked_state(X);
    const std::vector<double> sums = detail::isolation_path_sums(s, X, params_.n_threads);
    Eigen::VectorXi out(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      const double decision = -anomaly_from_sum(s, sums[static_cast<std::size_t>(i)]) - s.offset;
      out(i) = decision < 0.0 ? -1 : 1;
    }
    return out;
  }

  /** Per-feature contributions to one row's isolation, averaged over trees.
   *
   *  On a tree, the row passes splits at nodes holding n_0 = psi, n_1, ..., n_k training rows
   *  (n_{j+1} is the size of the child the row enters) and ends with path length
   *  h = k + c(n_k). Split j is credited `c(n_j) - 1 - c(n_{j+1})`: the expected remaining path
   *  before the split minus the path still expected after it. A split that sends the row into a
   *  small child earns a large positive credit; one that keeps it with most rows earns a negative
   *  one. Feature f's contribution is the mean over trees of the credits of the splits on f.
   *  The credits telescope, so the contributions sum exactly to `c(psi) - E[h(x)]`, and
   *  `anomaly_score = 2^(sum / c(psi) - 1)`: positive sums mean scores above 0.5.
   *
   *  \param x one row: a vector of `n_features_in()` values (row or column).
   *  \returns a vector of `n_features_in()` contributions, in path-length units.
   *  \throws NotFittedError before fit; InvalidArgument if x has the wrong size or a non-finite
   *  value. Complexity O(T height). */
  template <class Derived>
  [[nodiscard]] Vector<double> feature_contributions(const Eigen::MatrixBase<Derived>& x) const {
    const auto& s = state();
    if (x.rows() != 1 && x.cols() != 1) {
      detail::fail("IsolationForest::feature_contributions takes one row (got ", x.rows(),
                   " rows x ", x.cols(), " columns)");
    }
    detail::check_n_features("IsolationForest", s.n_features, x.size());
    detail::check_finite_as<Scalar>(x, "x");
    std::vector<Scalar> row(static_cast<std::size_t>(x.size()));
    for (Eigen::Index j = 0; j < x.size(); ++j) {
      row[static_cast<std::size_t>(j)] =
          static_cast<Scalar>(x.rows() == 1 ? x.coeff(0, j) : x.coeff(j, 0));
    }
    Vector<double> out = Vector<double>::Zero(s.n_features);
    const std::size_t n_int = s.n_internal();
    const std::size_t n_slots = n_int + s.n_leaves();
    for (Eigen::Index t = 0; t < s.n_estimators; ++t) {
      const auto tt = static_cast<std::size_t>(t);
      const Scalar* thr = s.thresholds.data() + tt * n_int;
      const std::uint32_t* feat = s.features.data() + tt * n_int;
      const std::uint32_t* count = s.counts.data() + tt * n_slots;
      std::size_t node = 0;
      while (node < n_int && thr[node] != std::numeric_limits<Scalar>::infinity()) {
        const std::uint32_t f = feat[node];
        const std::size_t child = 2 * node + 1 + static_cast<std::size_t>(row[f] > thr[node]);
        out(f) += detail::average_path_length(count[node]) - 1.0 -
                  detail::average_path_length(count[child]);
        node = child;
      }
    }
    out /= static_cast<double>(s.n_estimators);
    return out;
  }

  /** Writes the fitted forest to `out` in osprey's binary format, version 1 (all integers and
   *  IEEE-754 values little-endian, whatever the host):
   *
   *  | field | bytes |
   *  | --- | --- |
   *  | magic "OSPREYIF" | 8 |
   *  | format version (u32, 1) | 4 |
   *  | payload length L (u64) | 8 |
   *  | payload | L |
   *  | FNV-1a 64 checksum of every byte before it (u64) | 8 |
   *
   *  Payload: u8 scalar size (4 float, 8 double); u64 n_features, n_estimators,
   *  samples_per_tree; u32 height; f64 offset; the parameters (u64 max_samples, u8 has
   *  contamination, f64 contamination, u8 max_features kind (0 fraction, 1 count), f64 fraction,
   *  u64 count, u8 bootstrap, u64 random_state); then the arrays of `detail::IsolationForestState`
   *  in order (thresholds as scalars, features u32, leaf values as scalars, counts u32).
   *  `n_threads` and `progress` are not saved.
   *  \throws NotFittedError before fit; Error if the stream fails. */
  void save(std::ostream& out) const {
    const auto& s = state();
    detail::ByteWriter p;
    p.u8(static_cast<std::uint8_t>(sizeof(Scalar)));
    p.u64(static_cast<std::uint64_t>(s.n_features));
    p.u64(static_cast<std::uint64_t>(s.n_estimators));
    p.u64(static_cast<std::uint64_t>(s.samples_per_tree));
    p.u32(static_cast<std::uint32_t>(s.height));
    p.f64(s.offset);
    p.u64(static_cast<std::uint64_t>(params_.max_samples));
    p.u8(params_.contamination ? 1 : 0);
    p.f64(params_.contamination.value_or(0.0));
    const bool is_count = std::holds_alternative<int>(params_.max_features);
    p.u8(is_count ? 1 : 0);
    p.f64(is_count ? 0.0 : std::get<double>(params_.max_features));
    p.u64(is_count ? static_cast<std::uint64_t>(std::get<int>(params_.max_features)) : 0);
    p.u8(params_.bootstrap ? 1 : 0);
    p.u64(params_.random_state);
    for (const Scalar v : s.thresholds) p.scalar(v);
    for (const std::uint32_t v : s.features) p.u32(v);
    for (const Scalar v : s.leaf_values) p.scalar(v);
    for (const std::uint32_t v : s.counts) p.u32(v);

    detail::ByteWriter file;
    file.bytes().append(detail::kIsolationMagic, sizeof(detail::kIsolationMagic));
    file.u32(detail::kIsolationFormatVersion);
    file.u64(static_cast<std::uint64_t>(p.bytes().size()));
    file.bytes() += p.bytes();
    file.u64(detail::fnv1a64(file.bytes()));
    out.write(file.bytes().data(), static_cast<std::streamsize>(file.bytes().size()));
    if (!out) throw Error("IsolationForest::save: writing to the stream failed");
  }

  /** Reads a forest written by `save` (the stream is left just after it).
   *  \throws InvalidArgument if the data is truncated, corrupted (bad magic, unknown version,
   *  checksum mismatch, inconsistent sizes or values) or was saved with the other scalar type;
   *  it never reads or allocates beyond what the stream holds. */
  [[nodiscard]] static IsolationForest load(std::istream& in) {
    std::string head(8 + 4 + 8, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    if (in.gcount() < 8 || std::memcmp(head.data(), detail::kIsolationMagic, 8) != 0) {
      if (in.gcount() < 8) detail::fail("IsolationForest::load: the forest data is truncated");
      detail::fail("IsolationForest::load: not an osprey IsolationForest (bad magic bytes)");
    }
    if (static_cast<std::size_t>(in.gcount()) < head.size()) {
      detail::fail("IsolationForest::load: the forest data is truncated");
    }
    detail::ByteReader h(std::string_view(head).substr(8));
    const std::uint32_t version = h.u32();
    if (version != detail::kIsolationFormatVersion) {
      detail::fail("IsolationForest::load: unsupported format version ", version,
                   " (this build reads version ", detail::kIsolationFormatVersion, ")");
    }
    const std::uint64_t length = h.u64();
    // Read the payload and checksum in chunks, so a corrupted length cannot make us allocate
    // more than the stream holds.
    std::string body;
    const std::uint64_t wanted = length + 8;
    if (wanted < length) detail::fail("IsolationForest::load: the forest data is truncated");
    char chunk[1 << 16];
    while (body.size() < wanted) {
      const std::uint64_t left = wanted - body.size();
      const auto k = static_cast<std::streamsize>(std::min<std::uint64_t>(left, sizeof(chunk)));
      in.read(chunk, k);
      const std::streamsize got = in.gcount();
      body.append(chunk, static_cast<std::size_t>(got));
      if (got < k) detail::fail("IsolationForest::load: the forest data is truncated");
    }
    const std::string_view payload = std::string_view(body).substr(0, length);
    detail::ByteReader tail(std::string_view(body).substr(length));
    const std::uint64_t stored = tail.u64();
    if (detail::fnv1a64(payload, detail::fnv1a64(head)) != stored) {
      detail::fail("IsolationForest::load: checksum mismatch (the forest data is corrupted)");
    }
    return parse(payload);
  }

  /** True once fit (or load) has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** The threshold on score_samples: -0.5 for contamination auto, else the contamination
   *  quantile of the training scores (numpy's linear percentile). */
  [[nodiscard]] double offset() const { return state().offset; }
  /** Number of features seen by fit. */
  [[nodiscard]] Eigen::Index n_features_in() const { return state().n_features; }
  /** Number of trees. */
  [[nodiscard]] Eigen::Index n_estimators() const { return state().n_estimators; }
  /** Rows drawn per tree, psi = min(max_samples, n). */
  [[nodiscard]] Eigen::Index samples_per_tree() const { return state().samples_per_tree; }
  /** Height limit of every tree, ceil(log2(psi)) (at least 1). */
  [[nodiscard]] int height_limit() const { return state().height; }
  /** Bytes held by the fitted trees (their flat arrays). */
  [[nodiscard]] std::size_t memory_bytes() const {
    const auto& s = state();
    return s.thresholds.size() * sizeof(Scalar) + s.features.size() * sizeof(std::uint32_t) +
           s.leaf_values.size() * sizeof(Scalar) + s.counts.size() * sizeof(std::uint32_t);
  }

 private:
  using State = detail::IsolationForestState<Scalar>;

  static Params validated(const Params& p) {
    detail::check_param(p.n_estimators >= 1, "n_estimators", p.n_estimators, ">= 1");
    detail::check_param(p.max_samples >= 1, "max_samples", p.max_samples, ">= 1");
    if (p.contamination) {
      const double c = *p.contamination;
      detail::check_param(c > 0.0 && c <= 0.5, "contamination", c,
                          "in (0, 0.5] (or empty for auto)");
    }
    if (const auto* frac = std::get_if<double>(&p.max_features)) {
      detail::check_param(*frac > 0.0 && *frac <= 1.0, "max_features", *frac,
                          "a fraction in (0, 1] or a count >= 1");
    } else {
      const int count = std::get<int>(p.max_features);
      detail::check_param(count >= 1, "max_features", count,
                          "a count >= 1 or a fraction in (0, 1]");
    }
    detail::check_param(p.n_threads >= 0, "n_threads", p.n_threads, ">= 0 (0 = all)");
    return p;
  }

  Eigen::Index features_per_tree(Eigen::Index d) const {
    if (const auto* frac = std::get_if<double>(&params_.max_features)) {
      return std::max<Eigen::Index>(
          1, static_cast<Eigen::Index>(std::floor(*frac * static_cast<double>(d))));
    }
    const int count = std::get<int>(params_.max_features);
    if (count > d) {
      detail::fail("max_features must be <= the number of features, ", d, " (got ", count, ")");
    }
    return count;
  }

  static double anomaly_from_sum(const State& s, double sum) noexcept {
    const double mean = sum / static_cast<double>(s.n_estimators);
    return std::exp2(-mean / s.normaliser());
  }

  /** numpy.percentile(values, 100 q) with linear interpolation. */
  static double percentile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    const double frac = pos - static_cast<double>(lo);
    return v[lo] + frac * (v[hi] - v[lo]);
  }

  /** Draws tree t's rows and features from `rng`, copies the sample and grows the tree into
   *  its slices of `s`. Draw order: features (partial Fisher-Yates), rows (Floyd's algorithm,
   *  or independent draws with bootstrap), then per node in depth-first, left-first order:
   *  candidate features, then the threshold. */
  template <class Readable>
  static void grow_tree(const Readable& X, Eigen::Index d_tree, bool bootstrap, std::size_t t,
                        Rng& rng, State& s) {
    const Eigen::Index n = X.rows();
    const Eigen::Index d = X.cols();
    const auto psi = static_cast<std::size_t>(s.samples_per_tree);

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

    std::vector<Eigen::Index> rows;
    rows.reserve(psi);
    const auto un = static_cast<std::uint64_t>(n);
    if (bootstrap) {
      for (std::size_t i = 0; i < psi; ++i)
        rows.push_back(static_cast<Eigen::Index>(rng.bounded(un)));
    } else {
      floyd_sample(un, psi, rng, rows);
    }

    Tree tree{s, t, psi, std::vector<Scalar>(psi * tree_features.size()), {}, tree_features, {}};
    for (std::size_t j = 0; j < tree_features.size(); ++j) {
      Scalar* col = tree.sample.data() + j * psi;
      for (std::size_t i = 0; i < psi; ++i) {
        col[i] = static_cast<Scalar>(X.coeff(rows[i], static_cast<Eigen::Index>(tree_features[j])));
      }
    }
    tree.order.resize(psi);
    for (std::size_t i = 0; i < psi; ++i) tree.order[i] = static_cast<std::uint32_t>(i);
    tree.candidates.resize(tree_features.size());
    tree.grow(0, 0, 0, psi, rng);
  }

  /** Floyd's algorithm: k distinct integers of [0, n), in draw order. */
  static void floyd_sample(std::uint64_t n, std::size_t k, Rng& rng,
                           std::vector<Eigen::Index>& out) {
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

  /** Scratch of one tree being grown. */
  struct Tree {
    State& s;
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
          static_cast<Scalar>(static_cast<double>(depth) + detail::average_path_length(size));
    }

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
        auto threshold = static_cast<Scalar>(
            static_cast<double>(lo) +
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

  static IsolationForest parse(std::string_view payload) {
    detail::ByteReader r(payload);
    const auto bad = [](auto&&... what) {
      detail::fail("IsolationForest::load: corrupted forest data: ", what...);
    };
    const std::uint8_t scalar_size = r.u8();
    if (scalar_size != sizeof(Scalar)) {
      detail::fail("IsolationForest::load: the forest was saved with ", int{scalar_size},
                   "-byte scalars but this IsolationForest uses ", sizeof(Scalar), "-byte ones");
    }
    const std::uint64_t n_features = r.u64();
    const std::uint64_t n_estimators = r.u64();
    const std::uint64_t psi = r.u64();
    const std::uint32_t height = r.u32();
    const double offset = r.f64();
    Params p;
    p.max_samples = static_cast<Eigen::Index>(r.u64());
    const std::uint8_t has_contamination = r.u8();
    const double contamination = r.f64();
    const std::uint8_t max_features_kind = r.u8();
    const double fraction = r.f64();
    const std::uint64_t count = r.u64();
    p.bootstrap = r.u8() != 0;
    p.random_state = r.u64();
    if (n_features < 1 || n_features > std::numeric_limits<std::uint32_t>::max()) {
      bad("n_features ", n_features);
    }
    if (n_estimators < 1 ||
        n_estimators > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
      bad("n_estimators ", n_estimators);
    }
    if (psi < 1 || psi > std::numeric_limits<std::uint32_t>::max()) bad("samples_per_tree ", psi);
    if (height < 1 || height > 30 ||
        static_cast<int>(height) != detail::isolation_height_limit(psi)) {
      bad("height ", height, " for ", psi, " samples per tree");
    }
    if (!std::isfinite(offset)) bad("offset ", offset);
    if (has_contamination > 1 || max_features_kind > 1) bad("parameter flags");
    p.n_estimators = static_cast<int>(n_estimators);
    if (has_contamination == 1) p.contamination = contamination;
    if (max_features_kind == 1) {
      if (count > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
        bad("max_features ", count);
      }
      p.max_features = static_cast<int>(count);
    } else {
      p.max_features = fraction;
    }
    IsolationForest forest(validated(p));  // throws InvalidArgument on bad parameters

    State s;
    s.n_features = static_cast<Eigen::Index>(n_features);
    s.n_estimators = static_cast<Eigen::Index>(n_estimators);
    s.samples_per_tree = static_cast<Eigen::Index>(psi);
    s.height = static_cast<int>(height);
    s.offset = offset;
    const std::uint64_t per_tree = s.n_internal() * (sizeof(Scalar) + 4) +
                                   s.n_leaves() * sizeof(Scalar) +
                                   (s.n_internal() + s.n_leaves()) * 4;
    if (r.remaining() / per_tree != n_estimators || r.remaining() % per_tree != 0) {
      bad("the payload holds ", r.remaining(), " bytes of trees, expected ", n_estimators, " x ",
          per_tree);
    }
    const std::size_t T = static_cast<std::size_t>(n_estimators);
    s.thresholds.resize(T * s.n_internal());
    s.features.resize(T * s.n_internal());
    s.leaf_values.resize(T * s.n_leaves());
    s.counts.resize(T * (s.n_internal() + s.n_leaves()));
    for (auto& v : s.thresholds) {
      v = r.template scalar<Scalar>();
      if (std::isnan(v) || v == -std::numeric_limits<Scalar>::infinity()) bad("threshold ", v);
    }
    for (auto& v : s.features) {
      v = r.u32();
      if (v >= n_features) bad("feature index ", v);
    }
    // A leaf's path length is depth + c(size) <= height + c(psi); the bound keeps scores in
    // (0, 1] whatever the file says.
    const double max_path =
        (static_cast<double>(height) + detail::average_path_length(psi)) * (1.0 + 1e-6);
    for (auto& v : s.leaf_values) {
      v = r.template scalar<Scalar>();
      if (!(v >= 0 && static_cast<double>(v) <= max_path)) bad("leaf path length ", v);
    }
    for (auto& v : s.counts) v = r.u32();
    forest.state_ = std::move(s);
    return forest;
  }

  const State& state() const {
    detail::check_fitted(state_.has_value(), "IsolationForest");
    return *state_;
  }
  template <class Derived>
  const State& checked_state(const Eigen::MatrixBase<Derived>& X) const {
    const auto& s = state();
    detail::check_n_features("IsolationForest", s.n_features, X.cols());
    detail::check_finite_as<Scalar>(X, "X");
    return s;
  }

  friend struct detail::IsolationForestInternals<Scalar>;

  Params params_{};
  std::optional<State> state_;
};

namespace detail {
template <class Scalar>
struct IsolationForestInternals {
  /** The fitted state (throws NotFittedError before fit). */
  static const IsolationForestState<Scalar>& state(const IsolationForest<Scalar>& forest) {
    return forest.state();
  }
};
}  // namespace detail

OSPREY_NAMESPACE_END

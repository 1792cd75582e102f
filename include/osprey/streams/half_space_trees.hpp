/** \file
 *  `HalfSpaceTrees`: streaming anomaly detection with mass-based half-space trees (Tan, Ting &
 *  Liu, "Fast anomaly detection for streaming data", IJCAI 2011). Samples are vectors of
 *  features (a row of a matrix whose rows are samples), fed one at a time (`update`, or `score`
 *  and `learn`) or as a batch (`score_learn`).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "control_chart.hpp"
#include "detail/half_space_forest.hpp"

OSPREY_NAMESPACE_BEGIN

/** The range [lo, hi] of one feature, from which half-space trees draw their splits. */
struct FeatureRange {
  double lo = 0.0;  ///< smallest value expected
  double hi = 1.0;  ///< largest value expected, > lo
};

/** Parameters of `HalfSpaceTrees` (any Scalar), written with designated initialisers:
 *  `osprey::HalfSpaceTrees<> hst({.limits = osprey::feature_ranges(X_first_window)});` */
struct HalfSpaceTreesParams {
  int n_trees = 25;       ///< number of trees, >= 1, with n_trees 2^height <= 2^22
  int height = 15;        ///< depth of every leaf, in [1, 20]; a tree has 2^(height+1) - 1 nodes
  int window_size = 250;  ///< samples per window (psi), in [1, 2^30]
  std::vector<FeatureRange> limits{};  ///< one range per feature (required): the trees' space
  std::uint64_t random_state = 0;      ///< seed; tree t draws from `Rng(random_state).split(t)`
  double threshold = 0.9;              ///< `update` alarms when the score exceeds it; not NaN
};

/** Per-column ranges of X (rows are samples) widened by `padding` times the column's spread on
 *  each side: the `limits` of a HalfSpaceTrees from a sample of the stream (e.g. its first
 *  window). A constant column gets [v - 0.5, v + 0.5] (before padding).
 *  \throws InvalidArgument if X is empty or has a non-finite value, or padding is negative or
 *  not finite. */
template <class Derived>
[[nodiscard]] std::vector<FeatureRange> feature_ranges(const Eigen::MatrixBase<Derived>& X,
                                                       double padding = 0.0) {
  detail::check_matrix(X, "X");
  detail::check_param(padding >= 0.0 && std::isfinite(padding), "padding", padding,
                      ">= 0 and finite");
  std::vector<FeatureRange> out(static_cast<std::size_t>(X.cols()));
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    double lo = static_cast<double>(X.col(j).minCoeff());
    double hi = static_cast<double>(X.col(j).maxCoeff());
    if (!(hi > lo)) {
      lo -= 0.5;
      hi += 0.5;
    }
    const double pad = padding * (hi - lo);
    out[static_cast<std::size_t>(j)] = {lo - pad, hi + pad};
  }
  return out;
}

/** Half-space trees anomaly detector for streams (Tan, Ting & Liu, IJCAI 2011): a
 *  `StreamDetector` that scores each sample against the previous window of the stream and then
 *  learns it.
 *
 *  The n_trees trees are complete binary trees of depth `height`, built at construction from
 *  the feature ranges alone (no data): each tree places a random work space around the ranges
 *  (per feature [s - 2 max(s, 1 - s), s + 2 max(s, 1 - s)] in units of the range, s uniform in
 *  [0, 1)), and each internal node halves its region along a feature drawn uniformly at the
 *  midpoint. Every node holds two masses: r, the number of samples of the previous (reference)
 *  window that fell into it, and l, the number of the current (latest) window. `learn(x)` adds x
 *  to l of every node on its path; after every window_size samples l becomes r and l restarts at
 *  0. Samples outside the ranges are fine: they fall into the outermost regions.
 *
 *  Score. The paper scores x by S(x) = sum over trees of r 2^k at the node of depth k where x
 *  terminates: the first node on its path with r < 0.1 window_size (the paper's size limit),
 *  or the leaf. S is a mass, high for normal samples. osprey reports
 *      score(x) = 1 / (1 + S(x) / (n_trees window_size)),
 *  in (0, 1], higher = more anomalous. S / (n_trees window_size) is the average, over trees, of
 *  the density of the reference window at x relative to a window spread uniformly over the
 *  tree's work space (the node at depth k holds 2^-k of it), so 0.5 means "as dense as uniform",
 *  1 "nothing in the reference window near x". The map is strictly decreasing in S: rankings,
 *  and so ROC AUC and AP, are the paper's. Until the first window is complete the reference
 *  masses are all 0 and there is no reference to score against: `score` returns 0 (no alarm).
 *
 *  `update(x)` scores x, then learns it, and returns a `Signal` whose statistics are the score,
 *  whose upper limit is `threshold` (lower limit -infinity) and whose alarm is `upper` when
 *  score > threshold. The default 0.9 flags samples whose reference density is below a ninth of
 *  the uniform one: regions the previous window (almost) never visited. How dense normal data
 *  looks depends on the dimension and on how much of the ranges it fills (normal scores are near
 *  0.2 for one feature filling its range, near 1e-4 for ten concentrated ones), so tune the
 *  threshold on a quantile of the scores of a clean stretch of the stream.
 *
 *  `score_learn(X)` does the same for the rows of X in order, with identical results. Masses are
 *  integers: a run is exactly reproducible, and a saved detector continues bit-identically after
 *  load.
 *
 *  \tparam ScalarT float or double: split values, samples (converted) and scores.
 *  Complexity: O(n_trees height) per sample (one walk per tree scores and learns); the end of a
 *  window costs the number of distinct nodes the window before touched, not a pass over every
 *  node (see detail/half_space_forest.hpp). `score` alone walks the same paths, writing nothing.
 *  Memory: n_trees (24 (2^height - 1) + 8 2^height + 8 window_size) bytes in double (16 instead
 *  of 24 in float; the last term only when window_size <= 2^height), 26 MB for the defaults
 *  (`memory_bytes()`).
 *  Thread safety: `update`, `learn`, `score_learn` and `reset` mutate the detector (one thread
 *  at a time); const members may be called concurrently.
 */
template <class ScalarT = double>
class HalfSpaceTrees {
  static_assert(std::is_same_v<ScalarT, float> || std::is_same_v<ScalarT, double>,
                "HalfSpaceTrees: Scalar must be float or double");

 public:
  using Scalar = ScalarT;                                   ///< samples, split values and scores
  using Params = HalfSpaceTreesParams;                      ///< the parameters
  using Sample = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;  ///< one sample: a row of features

  /** Builds the trees. \throws InvalidArgument for a parameter out of range, naming it (and the
   *  feature, for a bad range). */
  explicit HalfSpaceTrees(const Params& params) : params_(validated(params)) { build(); }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters, rebuilds the trees and restarts (masses 0).
   *  \throws InvalidArgument as the constructor (the detector is then unchanged). */
  HalfSpaceTrees& set_params(const Params& params) {
    params_ = validated(params);
    build();
    return *this;
  }

  /** Number of features of a sample (the number of limits). */
  [[nodiscard]] Eigen::Index n_features() const noexcept {
    return static_cast<Eigen::Index>(params_.limits.size());
  }

  /** The anomaly score of x (a vector of n_features()) against the reference window, in (0, 1],
   *  or 0 before the first window is complete. Does not learn x.
   *  \throws InvalidArgument for a wrong length or a non-finite value (feature named). */
  template <class Derived>
  [[nodiscard]] Scalar score(const Eigen::MatrixBase<Derived>& x) const {
    Vector<Scalar> buffer;
    return to_score(forest_.mass_score(input(x, buffer)), forest_.has_reference());
  }

  /** Adds x to the latest window (the window ends, and becomes the reference, after every
   *  window_size samples). \throws InvalidArgument as `score`, with the state unchanged. */
  template <class Derived>
  HalfSpaceTrees& learn(const Eigen::MatrixBase<Derived>& x) {
    (void)step(input(x, scratch_));
    return *this;
  }

  /** Scores x (as `score`), then learns it (as `learn`), in one walk per tree.
   *  \returns the score as both statistics, `threshold` as the upper limit, -infinity as the
   *  lower one, and `Alarm::upper` when score > threshold.
   *  \throws InvalidArgument as `score`, with the state unchanged. */
  template <class Derived>
  Signal<Scalar> update(const Eigen::MatrixBase<Derived>& x) {
    const Scalar s = step(input(x, scratch_));
    Signal<Scalar> sig;
    sig.upper_statistic = s;
    sig.lower_statistic = s;
    sig.upper_limit = static_cast<Scalar>(params_.threshold);
    sig.lower_limit = -std::numeric_limits<Scalar>::infinity();
    sig.alarm = static_cast<double>(s) > params_.threshold ? Alarm::upper : Alarm::none;
    return sig;
  }

  /** Scores then learns every row of X in order, exactly as a loop of `update` (scores
   *  bit-identical). \returns the scores, one per row.
   *  \throws InvalidArgument if X does not have n_features() columns or holds a non-finite
   *  value (row and column named), before any state changes. */
  template <class Derived>
  Vector<Scalar> score_learn(const Eigen::MatrixBase<Derived>& X) {
    check_batch(X);
    Vector<Scalar> out(X.rows());
    if constexpr (std::is_same_v<typename Derived::Scalar, Scalar> &&
                  static_cast<bool>(Derived::IsRowMajor)) {
      if (X.derived().innerStride() == 1) {
        for (Eigen::Index i = 0; i < X.rows(); ++i) out(i) = step(&X.derived().coeffRef(i, 0));
        return out;
      }
    }
    constexpr Eigen::Index kBlock = 256;
    RowMatrix<Scalar> block;
    for (Eigen::Index i0 = 0; i0 < X.rows(); i0 += kBlock) {
      const Eigen::Index m = std::min(kBlock, X.rows() - i0);
      block = X.middleRows(i0, m).template cast<Scalar>();
      for (Eigen::Index i = 0; i < m; ++i) out(i0 + i) = step(block.row(i).data());
    }
    return out;
  }

  /** Restarts the stream: every mass 0, the first window begins. The trees are kept. */
  void reset() noexcept { forest_.clear(); }

  /** True once a window is complete (scores are then against a reference). */
  [[nodiscard]] bool has_reference() const noexcept { return forest_.has_reference(); }
  /** Samples learnt in the current window, in [0, window_size). */
  [[nodiscard]] std::int64_t window_position() const noexcept { return forest_.position(); }

  /** Reference mass r of node `node` (0 is the root; children of p are 2p+1 and 2p+2; leaves
   *  are 2^height - 1 to 2^(height+1) - 2) of tree `tree`. \throws InvalidArgument out of
   *  range. */
  [[nodiscard]] std::int64_t reference_mass(int tree, Eigen::Index node) const {
    check_node(tree, node, forest_.n_nodes());
    return forest_.reference(tree, static_cast<std::size_t>(node));
  }
  /** Latest mass l of a node (numbered as in `reference_mass`). */
  [[nodiscard]] std::int64_t latest_mass(int tree, Eigen::Index node) const {
    check_node(tree, node, forest_.n_nodes());
    return forest_.latest(tree, static_cast<std::size_t>(node));
  }
  /** The feature internal node `node` (< 2^height - 1) of tree `tree` splits on. */
  [[nodiscard]] int split_feature(int tree, Eigen::Index node) const {
    check_node(tree, node, forest_.n_internal());
    return forest_.node(tree, static_cast<std::size_t>(node)).feature;
  }
  /** The split value of an internal node: samples with x[feature] >= value go right. */
  [[nodiscard]] Scalar split_value(int tree, Eigen::Index node) const {
    check_node(tree, node, forest_.n_internal());
    return forest_.node(tree, static_cast<std::size_t>(node)).value;
  }
  /** Bytes held by the trees and their masses. */
  [[nodiscard]] std::size_t memory_bytes() const noexcept { return forest_.memory_bytes(); }

  /** \throws InvalidArgument naming the first parameter out of range. */
  static const Params& validated(const Params& p) {
    detail::check_param(p.n_trees >= 1, "n_trees", p.n_trees, ">= 1");
    detail::check_param(p.height >= 1 && p.height <= 20, "height", p.height, "in [1, 20]");
    detail::check_param(p.window_size >= 1 && p.window_size <= (1 << 30), "window_size",
                        p.window_size, "in [1, 2^30]");
    const double nodes = static_cast<double>(p.n_trees) * std::ldexp(1.0, p.height);
    detail::check_param(nodes <= 0x1p22, "n_trees * 2^height", nodes,
                        "at most 2^22 (memory: 32 bytes a leaf)");
    detail::check_param(!std::isnan(p.threshold), "threshold", p.threshold, "not NaN");
    if (p.limits.empty()) detail::fail("limits must give the range of at least one feature");
    for (std::size_t j = 0; j < p.limits.size(); ++j) {
      const auto [lo, hi] = p.limits[j];
      // the work space reaches 2 widths beyond the range on either side
      const bool ok = std::isfinite(lo) && std::isfinite(hi) && lo < hi &&
                      detail::is_finite_as<Scalar>(lo - 2.0 * (hi - lo)) &&
                      detail::is_finite_as<Scalar>(hi + 2.0 * (hi - lo));
      if (!ok) {
        detail::fail("limits[", j,
                     "] must be finite with lo < hi and lo - 2 (hi - lo), hi + 2 "
                     "(hi - lo) finite in ",
                     detail::scalar_name<Scalar>(), " (got [", lo, ", ", hi, "])");
      }
    }
    return p;
  }

 private:
  static constexpr std::string_view kName = "HalfSpaceTrees";

  void build() {
    std::vector<double> lo, hi;
    for (const auto& r : params_.limits) {
      lo.push_back(r.lo);
      hi.push_back(r.hi);
    }
    forest_ = detail::HalfSpaceForest<Scalar>(params_.n_trees, params_.height, params_.window_size,
                                              lo, hi, params_.random_state);
    scratch_.resize(n_features());
  }

  /** Scores then learns one checked sample. */
  Scalar step(const Scalar* x) {
    const bool scored = forest_.has_reference();
    return to_score(forest_.score_learn(x), scored);
  }

  /** The score of a mass score (see the class comment); 0 without a reference. */
  [[nodiscard]] Scalar to_score(std::int64_t mass, bool scored) const noexcept {
    if (!scored) return Scalar(0);
    const double base = static_cast<double>(params_.n_trees) * params_.window_size;
    return static_cast<Scalar>(base / (base + static_cast<double>(mass)));
  }

  /** Pointer to the n_features() values of x as Scalar, copying into `buffer` when needed;
   *  throws for a wrong shape or a non-finite value, before anything changes. */
  template <class Derived>
  const Scalar* input(const Eigen::MatrixBase<Derived>& x, Vector<Scalar>& buffer) const {
    const Eigen::Index d = n_features();
    if (x.size() != d || (x.rows() != 1 && x.cols() != 1)) {
      detail::fail(kName, " has ", d, " features but x has ", x.rows(), " x ", x.cols(), " values");
    }
    if (!detail::all_finite_as<Scalar>(x)) {
      for (Eigen::Index j = 0; j < d; ++j) {
        detail::check_finite_value_as<Scalar>(x.derived().reshaped()(j),
                                              detail::concat(kName, ": x[", j, "]"));
      }
    }
    if constexpr (std::is_same_v<typename Derived::Scalar, Scalar> &&
                  (static_cast<int>(Eigen::internal::traits<Derived>::Flags) &
                   Eigen::DirectAccessBit) != 0) {
      if (x.innerStride() == 1 || d == 1) return x.derived().data();
    }
    buffer = x.derived().reshaped().template cast<Scalar>();
    return buffer.data();
  }

  template <class Derived>
  void check_batch(const Eigen::MatrixBase<Derived>& X) const {
    if (X.cols() != n_features()) {
      detail::fail(kName, " has ", n_features(), " features but X has ", X.cols(), " columns");
    }
    detail::check_finite_as<Scalar>(X, "X");
  }

  void check_node(int tree, Eigen::Index node, std::size_t n) const {
    detail::check_param(tree >= 0 && tree < params_.n_trees, "tree", tree,
                        detail::concat("in [0, ", params_.n_trees, ")"));
    detail::check_param(node >= 0 && static_cast<std::size_t>(node) < n, "node", node,
                        detail::concat("in [0, ", n, ")"));
  }

  friend struct detail::Serial;
  Params params_;
  detail::HalfSpaceForest<Scalar> forest_;
  Vector<Scalar> scratch_;
};

OSPREY_NAMESPACE_END

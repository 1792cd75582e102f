/** \file
 *  Isolation Forest (Liu, Ting & Zhou, "Isolation Forest", ICDM 2008) with scikit-learn's
 *  conventions: `score_samples` is the negated anomaly score (higher = more normal),
 *  `offset()` is -0.5 for `contamination` auto or the contamination quantile of the training
 *  scores, `decision_function = score_samples - offset()`, `predict` gives +1 for inliers and -1
 *  for outliers. Rows are samples, columns are features.
 *
 *  Trees live in flat arrays in a complete-binary-tree layout (children of slot p are 2p+1 and
 *  2p+2), so scoring a row through a tree is exactly `height` branch-free steps and no node
 *  stores a child pointer (tree growth: anomaly/detail/isolation_tree.hpp; scoring walks:
 *  kernels/isolation_walk.hpp). The forest can be saved to and loaded from a stream in osprey's
 *  versioned, little-endian model format with a checksum (anomaly/detail/isolation_io.hpp,
 *  docs/model-format.md).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <istream>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "../core/detail/stop.hpp"
#include "../core/parallel.hpp"
#include "../core/random.hpp"
#include "../core/sample_weight.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../io/binary_format.hpp"
#include "../kernels/isolation_hyperplane_walk.hpp"
#include "../kernels/isolation_walk.hpp"
#include "detail/isolation_hyperplane.hpp"
#include "detail/isolation_io.hpp"
#include "detail/isolation_tree.hpp"
#include "detail/isolation_warm.hpp"

OSPREY_NAMESPACE_BEGIN

/** Parameters of `IsolationForest` (any scalar type), written with designated initialisers:
 *  `osprey::IsolationForest<> f({.n_estimators = 200, .random_state = 7});` */
struct IsolationForestParams {
  /** Number of trees (>= 1). */
  int n_estimators = 100;
  /** Rows drawn per tree (>= 1); capped at the number of rows given to fit (with sample
   *  weights: at ceil(sum of the weights), the size of the virtual repeated data set). */
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
  /** Threads for fit (over trees) and scoring (over rows); 0 = max_threads(). */
  int n_threads = 0;
  /** Stops fit (per tree; the forest keeps its previous state) and the scoring methods (per
   *  block of 2048 rows) once cancelled: they throw `Cancelled`. Copies of the Params (and of
   *  the forest) share the token. */
  CancellationToken cancellation{};
  /** Optional progress report during fit (stage "fit", done/total trees), called from the
   *  calling thread. */
  ProgressCallback progress{};
  /** 0 (the default): the axis-parallel forest of Liu et al. Else the Extended Isolation
   *  Forest of Hariri, Kind & Brunner (2021): every split is a hyperplane whose normal vector
   *  has `extension_level + 1` non-zero standard-normal components, at most d_T - 1 for the
   *  d_T features each tree sees (fit checks); d_T - 1 is the "fully extended" forest. Last in
   *  the struct, so designated initialisers write it last. */
  int extension_level = 0;
};

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
 *  With `extension_level` L >= 1 the trees are those of the Extended Isolation Forest (Hariri,
 *  Kind & Brunner, IEEE TKDE 2021): a node draws a normal vector n with L + 1 non-zero
 *  standard-normal components on random tree features and an intercept point p uniformly in its
 *  bounding box, and rows with (x - p) . n <= 0 go left (anomaly/detail/isolation_hyperplane.hpp;
 *  scoring: kernels/isolation_hyperplane_walk.hpp). Cuts in every direction remove the
 *  axis-aligned artefacts of the standard forest's score map. Path lengths, c(psi), the offset
 *  and the score conventions are unchanged. Such a forest costs O(T psi L height) more to grow
 *  and O(n T (d_T + height (L + 1))) to score, and stores (L + 1) normal components (and their
 *  features, when L + 1 < d_T) per split slot.
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
  using Scalar = ScalarT;                ///< type of thresholds and returned scores
  using Params = IsolationForestParams;  ///< the parameters

  /** A forest with default parameters. */
  IsolationForest() = default;
  /** \throws InvalidArgument if a parameter is out of range (message names it and its value). */
  explicit IsolationForest(const Params& params) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters; the forest becomes unfitted.
   *  \returns `*this`. \throws InvalidArgument as the constructor. */
  IsolationForest& set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
    return *this;
  }

  /** Replaces how calls run - `n_threads`, `cancellation`, `progress` (an `Execution`) - and,
   *  unlike set_params, keeps the fit: for a loaded model (these are not saved) or to give a
   *  fitted one a new token. \returns `*this`. \throws InvalidArgument if n_threads < 0. */
  IsolationForest& set_execution(const Execution& execution) {
    detail::apply_execution(params_, execution);
    return *this;
  }

  /** Grows the forest on X (rows are samples) and sets `offset()`.
   *
   *  \param sample_weight optional per-row weights (empty = unweighted), counts of a virtual
   *  repeated data set: with integer weights the forest is bit-identical to the one fitted
   *  (same parameters and seed) on X with row i repeated w_i times consecutively, and a row of
   *  weight 0 is exactly a dropped row. `max_samples` is then capped at ceil(sum of weights),
   *  a tree draws positions of the repeated data set and maps each to its row through the
   *  cumulative weights; with non-integer weights each drawn unit slot picks a row in
   *  proportion to the weight it holds there (one extra uniform draw per position), so row i
   *  enters a tree w_i psi / W times on average (anomaly/detail/isolation_weights.hpp). The
   *  contamination offset is the weighted quantile of the training scores (the percentile of
   *  the repeated scores for integer weights). Every row of X, weighted 0 or not, must be
   *  finite.
   *  \throws InvalidArgument if X is empty or has a non-finite value (naming row and column),
   *  `max_features` as a count exceeds the number of columns, or sample_weight has the wrong
   *  length, a negative or non-finite entry or no positive one (naming sample_weight);
   *  Cancelled once params().cancellation is cancelled. On a throw the forest keeps its
   *  previous state (the new one is built aside). Complexity: see the class (plus O(n) and
   *  O(psi log n) per tree with weights); with a finite contamination, also O(n T height) to
   *  score the training rows and O(n log n) for the quantile. */
  template <class Derived>
  IsolationForest& fit(const Eigen::MatrixBase<Derived>& X,
                       const SampleWeight& sample_weight = detail::unweighted()) {
    fit_stop().check();
    detail::check_matrix_as<Scalar>(X, "X");
    detail::check_sample_weight(sample_weight, X.rows());
    check_feature_count(X.cols());
    State s = grown(X, sample_weight, params_.n_estimators, 0);
    s.offset = fitted_offset(s, X, sample_weight);
    state_ = std::move(s);
    return *this;
  }

  /** Grows `n_more` trees on X and adds them to the fitted forest: scikit-learn's warm_start
   *  (fit again with a larger n_estimators). The new trees follow the rules of fit on X - psi =
   *  min(max_samples, rows of X) (or ceil(sum of sample_weight)), the features per tree, the
   *  extension level - and continue the seed's streams: tree t, counted over the whole forest,
   *  uses `Rng(random_state).split(t)`, so fit with T trees and then add_trees(X, n) on the same
   *  X gives bit for bit the forest fit grows with T + n trees. As in scikit-learn, the existing
   *  trees stay as they are, the normaliser c(psi) becomes that of the new psi (scikit-learn's
   *  max_samples_ is reset by the new fit), `params().n_estimators` becomes the total, and with
   *  a contamination fraction the offset is recomputed as the contamination quantile of the
   *  whole forest's scores on the new X (weighted by sample_weight); with auto it stays -0.5.
   *  	hrows NotFittedError before fit; InvalidArgument if n_more < 1 (naming n_more), X has
   *  another column count than the fit or a non-finite value, or sample_weight is invalid (as
   *  fit); Cancelled once params().cancellation is cancelled. On a throw the forest keeps its
   *  previous state. Complexity: as fit for n_more trees, plus O(T) copies of the existing trees
   *  (and with a contamination, scoring X through all of them). \returns `*this`. */
  template <class Derived>
  IsolationForest& add_trees(const Eigen::MatrixBase<Derived>& X, int n_more,
                             const SampleWeight& sample_weight = detail::unweighted()) {
    const State& old = state();
    fit_stop().check();
    detail::check_param(n_more >= 1, "n_more", n_more, ">= 1");
    detail::check_n_features("IsolationForest", old.n_features, X.cols());
    detail::check_matrix_as<Scalar>(X, "X");
    detail::check_sample_weight(sample_weight, X.rows());
    if (n_more > std::numeric_limits<int>::max() - old.n_estimators) {
      detail::fail("IsolationForest::add_trees: ", old.n_estimators, " + ", n_more,
                   " trees exceed the int range of n_estimators");
    }
    State s = old;
    detail::append_trees(s, grown(X, sample_weight, n_more, old.n_estimators));
    s.offset = fitted_offset(s, X, sample_weight);
    params_.n_estimators = static_cast<int>(s.n_estimators);
    state_ = std::move(s);
    return *this;
  }

  /** scikit-learn's score: `-s(x)` in [-1, 0), higher is more normal.
   *  \throws NotFittedError before fit; InvalidArgument on a feature-count mismatch or a
   *  non-finite value; Cancelled once params().cancellation is cancelled. Complexity
   *  O(n T height). */
  template <class Derived>
  [[nodiscard]] Vector<Scalar> score_samples(const Eigen::MatrixBase<Derived>& X) const {
    return per_row<Scalar>(X, "IsolationForest::score_samples", [](const State& s, double sum) {
      return static_cast<Scalar>(-anomaly_from_sum(s, sum));
    });
  }

  /** The anomaly score of Liu et al., `s(x) = 2^(-E[h(x)] / c(psi))` in (0, 1]; near 1 means
   *  anomalous. Equals `-score_samples(X)`. \throws as score_samples. */
  template <class Derived>
  [[nodiscard]] Vector<Scalar> anomaly_score(const Eigen::MatrixBase<Derived>& X) const {
    return per_row<Scalar>(X, "IsolationForest::anomaly_score", [](const State& s, double sum) {
      return static_cast<Scalar>(anomaly_from_sum(s, sum));
    });
  }

  /** The mean path length E[h(x)] over the trees, per row (the paper's quantity).
   *  \throws as score_samples. */
  template <class Derived>
  [[nodiscard]] Vector<double> expected_path_length(const Eigen::MatrixBase<Derived>& X) const {
    return per_row<double>(
        X, "IsolationForest::expected_path_length",
        [](const State& s, double sum) { return sum / static_cast<double>(s.n_estimators); });
  }

  /** `score_samples(X) - offset()`: negative for outliers. \throws as score_samples. */
  template <class Derived>
  [[nodiscard]] Vector<Scalar> decision_function(const Eigen::MatrixBase<Derived>& X) const {
    return per_row<Scalar>(X, "IsolationForest::decision_function", [](const State& s, double sum) {
      return static_cast<Scalar>(-anomaly_from_sum(s, sum) - s.offset);
    });
  }

  /** +1 for inliers, -1 for outliers (`decision_function < 0`, computed in double).
   *  \throws as score_samples. */
  template <class Derived>
  [[nodiscard]] Eigen::VectorXi predict(const Eigen::MatrixBase<Derived>& X) const {
    return per_row<int>(X, "IsolationForest::predict", [](const State& s, double sum) {
      const double decision = -anomaly_from_sum(s, sum) - s.offset;
      return decision < 0.0 ? -1 : 1;
    });
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
   *  `anomaly_score = 2^(sum / c(psi) - 1)`: positive sums mean scores above 0.5. In a
   *  hyperplane forest (extension_level >= 1) a split's credit is shared among the features of
   *  its normal vector n in proportion to n_f^2 / |n|^2, so the sum is unchanged. (After
   *  add_trees on fewer rows, c(psi) in the sum is the mean over trees of c(psi_t).)
   *
   *  \param x one row: a vector of `n_features_in()` values (row or column).
   *  \returns a vector of `n_features_in()` contributions, in path-length units.
   *  \throws NotFittedError before fit; InvalidArgument if x has the wrong size or a non-finite
   *  value. Complexity O(T height). */
  template <class Derived>
  [[nodiscard]] Vector<double> feature_contributions(const Eigen::MatrixBase<Derived>& x) const {
    const auto& s = checked_row_state(x, "feature_contributions");
    std::vector<Scalar> row(static_cast<std::size_t>(x.size()));
    for (Eigen::Index j = 0; j < x.size(); ++j) {
      row[static_cast<std::size_t>(j)] =
          static_cast<Scalar>(x.rows() == 1 ? x.coeff(0, j) : x.coeff(j, 0));
    }
    Vector<double> out = Vector<double>::Zero(s.n_features);
    if (s.hyperplanes()) {
      detail::hyperplane_contributions(s, row.data(), out.data());
      out /= static_cast<double>(s.n_estimators);
      return out;
    }
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

  /** One row's `score_samples` value, bit-identical to the batch call, for serving: it walks
   *  the trees directly and allocates nothing (p99 ~1-3 us for 100 trees, docs/benchmarks.md);
   *  a hyperplane forest (extension_level >= 1) allocates one row and d_T doubles of scratch.
   *  \param x one row: a vector of `n_features_in()` values (row or column, any storage).
   *  \throws NotFittedError before fit; InvalidArgument if x is not one row of the fitted
   *  width or holds a non-finite value. Complexity O(T height), single-threaded. */
  template <class Derived>
  [[nodiscard]] Scalar score_one(const Eigen::MatrixBase<Derived>& x) const {
    return static_cast<Scalar>(-anomaly_from_sum(state(), path_sum_one(x)));
  }
  /** One row's `decision_function` value (`score_one(x) - offset()`); \throws as score_one. */
  template <class Derived>
  [[nodiscard]] Scalar decision_one(const Eigen::MatrixBase<Derived>& x) const {
    return static_cast<Scalar>(-anomaly_from_sum(state(), path_sum_one(x)) - state().offset);
  }
  /** One row's `predict` value, +1 inlier or -1 outlier; \throws as score_one. */
  template <class Derived>
  [[nodiscard]] int predict_one(const Eigen::MatrixBase<Derived>& x) const {
    return -anomaly_from_sum(state(), path_sum_one(x)) - state().offset < 0.0 ? -1 : 1;
  }

  /** Writes the fitted forest to `out` in osprey's model format: the same bytes as
   *  `osprey::save(*this, out)` (io/serialize.hpp, docs/model-format.md). `n_threads` and
   *  `progress` are not saved. \throws NotFittedError before fit; Error if the stream fails. */
  void save(std::ostream& out) const { detail::save_model(*this, out); }

  /** Reads a forest written by `save` or `osprey::save`, or by osprey 0.1 (the "OSPREYIF"
   *  file); the stream is left just after it. Same as `osprey::load<IsolationForest>(in)`.
   *  \throws FormatError if the data is truncated, corrupted (bad magic, newer version,
   *  checksum mismatch, inconsistent sizes or values) or holds another type or scalar; it never
   *  reads or allocates beyond what the stream holds. */
  [[nodiscard]] static IsolationForest load(std::istream& in) {
    return detail::load_model<IsolationForest>(in);
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
  /** Rows drawn per tree, psi = min(max_samples, n), with sample weights
   *  min(max_samples, ceil(sum of the weights)). */
  [[nodiscard]] Eigen::Index samples_per_tree() const { return state().samples_per_tree; }
  /** Height limit of every tree, ceil(log2(psi)) (at least 1). */
  [[nodiscard]] int height_limit() const { return state().height; }
  /** Bytes held by the fitted trees (their flat arrays). */
  [[nodiscard]] std::size_t memory_bytes() const {
    const auto& s = state();
    return (s.thresholds.size() + s.leaf_values.size() + s.centres.size() + s.normals.size()) *
               sizeof(Scalar) +
           (s.features.size() + s.counts.size() + s.tree_features.size() +
            s.normal_features.size()) *
               sizeof(std::uint32_t);
  }

 private:
  using State = detail::IsolationForestState<Scalar>;

  /** `f(s, sum_i)` for every row i of X, where sum_i is the row's path length summed over the
   *  trees (kernels::isolation_path_sums), after checking X against the fitted state `s`;
   *  `where` names the public method in a Cancelled message. */
  template <class T, class Derived, class F>
  [[nodiscard]] Vector<T> per_row(const Eigen::MatrixBase<Derived>& X, const char* where,
                                  F f) const {
    const detail::Stop stop{&params_.cancellation, where};
    stop.check();
    const auto& s = checked_state(X);
    const std::vector<double> sums = path_sums(s, X, stop);
    Vector<T> out(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i) out(i) = f(s, sums[static_cast<std::size_t>(i)]);
    return out;
  }

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
    detail::check_param(p.extension_level >= 0, "extension_level", p.extension_level,
                        ">= 0 (0 = axis-parallel splits)");
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

  /** Throws unless the feature indices fit the trees' 32-bit feature slots. */
  static void check_feature_count(Eigen::Index d) {
    if (static_cast<std::uint64_t>(d) > std::numeric_limits<std::uint32_t>::max()) {
      detail::fail("IsolationForest supports at most 2^32 - 1 features (got ", d, ")");
    }
  }

  /** The state of a forest of `n_trees` trees (default n_estimators) about to be grown on n rows
   *  of d features: sizes, height limit, and every slot of every tree unsplit (threshold +inf,
   *  feature 0, leaf value and count 0; hyperplane forests: detail::hyperplane_fill). */
  State empty_state(Eigen::Index n, Eigen::Index d, Eigen::Index n_trees = 0) const {
    State s;
    s.n_features = d;
    s.n_estimators = n_trees > 0 ? n_trees : params_.n_estimators;
    s.extension_level = params_.extension_level;
    s.samples_per_tree = std::min(params_.max_samples, n);
    s.height = detail::isolation_height_limit(static_cast<std::uint64_t>(s.samples_per_tree));
    if (s.height > 30) {  // 2^31 slots per tree: node indices would overflow 32 bits
      detail::fail("max_samples must be <= 2^30 (got ", params_.max_samples, " with ", n, " rows)");
    }
    const std::size_t T = static_cast<std::size_t>(s.n_estimators);
    // A big forest's arrays take a while to fill: fill them a few MiB at a time, polling.
    const detail::Stop stop = fit_stop();
    if (s.hyperplanes()) {
      detail::hyperplane_fill(s, T, features_per_tree(d), stop);
      return s;
    }
    detail::polled_fill(s.thresholds, T * s.n_internal(), std::numeric_limits<Scalar>::infinity(),
                        stop);
    detail::polled_fill(s.features, T * s.n_internal(), std::uint32_t{0}, stop);
    detail::polled_fill(s.leaf_values, T * s.n_leaves(), Scalar(0), stop);
    detail::polled_fill(s.counts, T * (s.n_internal() + s.n_leaves()), std::uint32_t{0}, stop);
    return s;
  }

  /** A state of `n_trees` trees grown on X (weighted by `w` when it is not empty), tree t from
   *  the stream `Rng(random_state).split(first + t)`. \throws as fit. */
  template <class Derived>
  State grown(const Eigen::MatrixBase<Derived>& X, const SampleWeight& w, Eigen::Index n_trees,
              Eigen::Index first) const {
    const Eigen::Index d_tree = features_per_tree(X.cols());
    if (params_.extension_level > d_tree - 1) {
      detail::fail("extension_level must be <= d - 1 = ", d_tree - 1, " for the ", d_tree,
                   " features each tree sees (got ", params_.extension_level, ")");
    }
    std::optional<detail::IsolationRowWeights> weights;
    if (detail::is_weighted(w)) weights = detail::IsolationRowWeights::from(w);
    const Eigen::Index n = weights ? static_cast<Eigen::Index>(weights->slots) : X.rows();
    State s = empty_state(n, X.cols(), n_trees);
    grow_forest(X, d_tree, s, weights ? &*weights : nullptr, first);
    return s;
  }

  /** Grows every tree of `s` on X, tree t from the stream `Rng(random_state).split(first + t)`.
   *  Trees are grown in batches so the progress callback runs on the calling thread between
   *  parallel sections; the batch split does not affect any draw. */
  template <class Derived>
  void grow_forest(const Eigen::MatrixBase<Derived>& X, Eigen::Index d_tree, State& s,
                   const detail::IsolationRowWeights* weights, Eigen::Index first_tree) const {
    const std::size_t T = static_cast<std::size_t>(s.n_estimators);
    const Rng root(params_.random_state);
    const int threads = detail::resolve_threads(params_.n_threads);
    const Eigen::Index batch =
        params_.progress ? std::max<Eigen::Index>(8, 2 * static_cast<Eigen::Index>(threads))
                         : s.n_estimators;
    kernels::with_readable(X, [&](const auto& Xr) {
      for (Eigen::Index first = 0; first < s.n_estimators; first += batch) {
        const Eigen::Index last = std::min(s.n_estimators, first + batch);
        detail::parallel_for_dynamic(first, last, params_.n_threads, [&](Eigen::Index t) {
          fit_stop().check();
          Rng rng = root.split(static_cast<std::uint64_t>(first_tree + t));
          if (s.hyperplanes()) {
            detail::grow_hyperplane_tree(Xr, d_tree, params_.bootstrap, static_cast<std::size_t>(t),
                                         rng, s, weights);
          } else {
            detail::grow_isolation_tree(Xr, d_tree, params_.bootstrap, static_cast<std::size_t>(t),
                                        rng, s, weights);
          }
        });
        if (params_.progress) {
          params_.progress(Progress{"fit", static_cast<std::size_t>(last), T, 0.0});
        }
      }
      return 0;
    });
  }

  /** What fit polls: the token, named "IsolationForest::fit". */
  [[nodiscard]] detail::Stop fit_stop() const {
    return detail::Stop{&params_.cancellation, "IsolationForest::fit"};
  }

  /** -0.5 for contamination auto, else the contamination quantile of the training scores
   *  (weighted by `w` when it is not empty). */
  template <class Derived>
  double fitted_offset(const State& s, const Eigen::MatrixBase<Derived>& X,
                       const SampleWeight& w) const {
    if (!params_.contamination) return -0.5;
    const std::vector<double> sums = path_sums(s, X, fit_stop());
    std::vector<double> scores(sums.size());
    for (std::size_t i = 0; i < sums.size(); ++i) scores[i] = -anomaly_from_sum(s, sums[i]);
    if (detail::is_weighted(w)) {
      return detail::weighted_percentile(scores, w, *params_.contamination);
    }
    return detail::linear_percentile(std::move(scores), *params_.contamination);
  }

  const State& state() const {
    detail::check_fitted(state_.has_value(), "IsolationForest");
    return *state_;
  }
  /** The state, after checking that x is one finite row of the fitted width. */
  template <class Derived>
  const State& checked_row_state(const Eigen::MatrixBase<Derived>& x, const char* who) const {
    const auto& s = state();
    if (x.rows() != 1 && x.cols() != 1) {
      detail::fail("IsolationForest::", who, " takes one row (got ", x.rows(), " rows x ", x.cols(),
                   " columns)");
    }
    detail::check_n_features("IsolationForest", s.n_features, x.size());
    detail::check_finite_as<Scalar>(x, "x");
    return s;
  }
  /** The path length of one checked row summed over the trees, as the batch walks sum it. */
  template <class Derived>
  double path_sum_one(const Eigen::MatrixBase<Derived>& x) const {
    const auto& s = checked_row_state(x, "score_one");
    if (s.hyperplanes()) {
      std::vector<Scalar> row(static_cast<std::size_t>(x.size()));
      for (Eigen::Index j = 0; j < x.size(); ++j) {
        row[static_cast<std::size_t>(j)] =
            static_cast<Scalar>(x.rows() == 1 ? x.coeff(0, j) : x.coeff(j, 0));
      }
      std::vector<double> z(static_cast<std::size_t>(s.d_tree));
      return kernels::hyperplane_row(s.hyperplane_trees(), row.data(), z.data());
    }
    return kernels::isolation_row_all_trees(s.trees(),
                                            kernels::IsolationRowView<Scalar, Derived>{x});
  }
  /** Every row's path length summed over the trees: the axis-parallel or the hyperplane walk. */
  template <class Derived>
  std::vector<double> path_sums(const State& s, const Eigen::MatrixBase<Derived>& X,
                                const detail::Stop& stop) const {
    if (s.hyperplanes()) {
      return kernels::hyperplane_path_sums(s.hyperplane_trees(), X, params_.n_threads, stop);
    }
    return kernels::isolation_path_sums(s.trees(), X, params_.n_threads,
                                        kernels::IsolationScoring::rows_per_tree, stop);
  }
  template <class Derived>
  const State& checked_state(const Eigen::MatrixBase<Derived>& X) const {
    const auto& s = state();
    detail::check_n_features("IsolationForest", s.n_features, X.cols());
    detail::check_finite_as<Scalar>(X, "X");
    return s;
  }

  friend struct detail::IsolationForestInternals<Scalar>;
  friend struct detail::Serial;

  Params params_{};
  std::optional<State> state_;
};

OSPREY_NAMESPACE_END

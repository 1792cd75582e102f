/** \file
 *  `StreamingIsolationForest`: an isolation forest (Liu, Ting & Zhou, ICDM 2008) kept current
 *  on a stream. The latest `window_size` samples are held in a ring buffer; every
 *  `retrain_every` samples the `trees_per_retrain` oldest trees are replaced by trees grown on
 *  fresh subsamples of the window, and every sample is scored against the forest as it stands.
 *  The trees are those of `IsolationForest` (anomaly/detail/isolation_tree.hpp), and so is the
 *  score: `s(x) = 2^(-E[h(x)] / c(psi))` in (0, 1], higher = more anomalous. The window-plus-
 *  replacement scheme is the sliding-window forest of Ding & Fei, "An anomaly detection approach
 *  based on isolation forest algorithm for streaming data using sliding window" (IFAC 2013),
 *  with the oldest trees replaced a few at a time instead of the whole forest at once.
 *
 *  Samples are rows (one row vector of `d` features per `update`); a matrix given to
 *  `score_learn` has one sample per row, in stream order.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "../core/error.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../kernels/isolation_walk.hpp"
#include "control_chart.hpp"
#include "detail/streaming_forest.hpp"

OSPREY_NAMESPACE_BEGIN

/** Parameters of `StreamingIsolationForest` (any scalar type), written with designated
 *  initialisers: `osprey::StreamingIsolationForest<> f({.window_size = 4096});`
 *
 *  What the window and the replacement rate trade (docs/stream_detectors.md):
 *  - `window_size` W is the detector's picture of "normal". A tree grown now sees the last W
 *    samples, so after a change of regime the new data is m / W of what a new tree is grown on,
 *    m samples later. A short window forgets a change (and a long burst of fraud) quickly; a
 *    long one keeps old regimes and recurring patterns (daily cycles) in view and makes each
 *    tree's subsample less dependent on the last few hundred samples.
 *  - The replacement rate, `trees_per_retrain` k every `retrain_every` R samples, sets how fast
 *    the forest follows its window: all `n_trees` T are replaced every T R / k samples (2,560 by
 *    default). Faster replacement reacts sooner but costs more per sample (k / R trees grown per
 *    sample, each O(psi (d + log psi))) and moves the score of the same point by up to k / T of
 *    the forest at every retrain (score noise); slower replacement is cheaper and steadier.
 *  - A regime becomes fully "normal" once every tree was grown on a window that holds it only:
 *    about W + T R / k samples after it starts (4,608 by default); half the forest knows it
 *    after roughly W / 2 + T R / (2 k).
 */
struct StreamingIsolationForestParams {
  /** Number of trees T (>= 1). */
  int n_trees = 100;
  /** Samples kept, W (>= 1): trees are grown on subsamples of the latest W samples. */
  Eigen::Index window_size = 2048;
  /** Samples drawn per tree (in [1, 2^30]); psi = min(max_samples, warm_up) for every tree, so
   *  scores keep one normalisation c(psi) for the whole stream. */
  Eigen::Index max_samples = 256;
  /** Samples learned before the first forest is grown (all T trees at once, on those
   *  samples), in [1, window_size]; empty means min(max_samples, window_size). Before it,
   *  `score` returns 0 and `update` never alarms. */
  std::optional<Eigen::Index> warm_up{};
  /** After the first forest, the oldest trees are replaced every `retrain_every` samples
   *  (>= 1). */
  Eigen::Index retrain_every = 128;
  /** Trees replaced at each retrain, the oldest first, k in [1, n_trees]. */
  int trees_per_retrain = 5;
  /** `update` alarms when the score exceeds it, in (0, 1]. 0.5 is the boundary of Liu et al.
   *  and of scikit-learn's contamination='auto' (IsolationForest's offset -0.5). */
  double threshold = 0.5;
  /** Seed: the g-th tree grown since the start (g = 0, 1, ...) uses the stream
   *  `Rng(random_state).split(g)`, so the first forest is the one `IsolationForest` fits with
   *  the same seed on the first `warm_up` samples. */
  std::uint64_t random_state = 0;
  /** Threads for growing the trees of one retrain (never changes a result); 0 =
   *  max_threads(). Scoring one sample is single-threaded. */
  int n_threads = 0;
};

/** Isolation Forest on a stream: trees retrained on a sliding window of the latest samples,
 *  oldest trees replaced first, every sample scored against the current forest.
 *
 *  - `learn(x)` appends x to the window. Once `warm_up` samples have arrived the first forest
 *    is grown: T trees of psi = min(max_samples, warm_up) distinct samples each, exactly as
 *    `IsolationForest<Scalar>({.n_estimators = T, .max_samples = max_samples, .random_state =
 *    random_state}).fit(first warm_up samples)` grows them. After that, every `retrain_every`
 *    samples the k = `trees_per_retrain` oldest trees are regrown on psi distinct samples drawn
 *    from the current window.
 *  - `score(x)` is the anomaly score `s(x) = 2^(-E[h(x)] / c(psi))` in (0, 1] of the current
 *    forest, the value `IsolationForest::anomaly_score` gives (= -score_samples): near 1 for
 *    anomalies, 0.5 or below for normal points. Before the first forest it is 0 ("no opinion").
 *  - `update(x)` scores x, then learns it, and returns a `Signal` (the score as both
 *    statistics, `threshold` as the upper limit, 0 as the lower one; `Alarm::upper` when the
 *    score exceeds the threshold); `score_learn(X)` does the same for a batch of rows, in
 *    order, returning the scores (bit-identical to the loop of `score` and `learn`).
 *
 *  The detector learns every sample it is given, anomalies included: a burst of fraud that
 *  lasts a sizeable part of the window becomes "normal" (call `score` alone for samples that
 *  should not shape the model). Where a batch forest fit on clean history keeps flagging a
 *  lasting change, this detector stops flagging it within about W + T R / k samples: that is
 *  the point (drift adaptation) and its price (a slow attack is learned too).
 *
 *  \tparam ScalarT float or double: the type of stored samples, thresholds and scores.
 *  Complexity per sample: score O(T height), height = ceil(log2 psi); learn O(d) plus, every R
 *  samples, k trees of O(psi d + psi log psi). Memory: W d scalars for the window plus the
 *  forest (715 KB for T = 100, psi = 256 in double).
 *  Thread safety: `learn`, `update`, `score_learn`, `reset` and `set_params` mutate the detector
 *  (one thread per detector); `score` and the accessors may run concurrently with each other.
 *  Results for a `random_state` are bit-identical on any `n_threads`.
 */
template <class ScalarT = double>
class StreamingIsolationForest {
 public:
  using Scalar = ScalarT;                                    ///< samples, thresholds and scores
  using Params = StreamingIsolationForestParams;             ///< the parameters
  using Sample = Eigen::Matrix<ScalarT, 1, Eigen::Dynamic>;  ///< one sample: a row of features

  /** A detector with default parameters. */
  StreamingIsolationForest() : StreamingIsolationForest(Params{}) {}
  /** \throws InvalidArgument if a parameter is out of range (message names it and its value). */
  explicit StreamingIsolationForest(const Params& params) : params_(validated(params)) {
    window_.capacity = params_.window_size;
  }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters. When only `n_threads` changes the stream goes on
   *  untouched; otherwise the detector restarts (`reset()`). \returns `*this`.
   *  \throws InvalidArgument as the constructor (the detector is then unchanged). */
  StreamingIsolationForest& set_params(const Params& params) {
    const Params p = validated(params);
    Params same = params_;
    same.n_threads = p.n_threads;
    const bool restart = !equal_params(same, p);
    params_ = p;
    if (restart) {
      window_.capacity = params_.window_size;
      reset();
    }
    return *this;
  }

  /** The anomaly score of one sample against the current forest, in (0, 1] (higher = more
   *  anomalous; `IsolationForest::anomaly_score`'s value), or 0 before the first forest.
   *  \param x one sample: a row (or column) vector of `n_features_in()` values.
   *  \throws InvalidArgument if x is not a vector, has another length than the samples learned
   *  so far, or holds a non-finite value (or one out of Scalar's range). Allocates nothing.
   *  Complexity O(T height). */
  template <class Derived>
  [[nodiscard]] Scalar score(const Eigen::MatrixBase<Derived>& x) const {
    check_sample(x);
    if (!forest_) return Scalar(0);
    return static_cast<Scalar>(detail::stream_anomaly_from_sum(
        *forest_, kernels::isolation_row_all_trees(forest_->trees(),
                                                   kernels::IsolationRowView<Scalar, Derived>{x})));
  }

  /** Appends one sample to the window; grows the first forest once `warm_up` samples have
   *  arrived and replaces the oldest trees every `retrain_every` samples after it. The first
   *  sample fixes the number of features.
   *  \throws InvalidArgument as score (the detector is then unchanged). */
  template <class Derived>
  void learn(const Eigen::MatrixBase<Derived>& x) {
    check_sample(x);
    push_sample(x);
  }

  /** Scores one sample, then learns it. \returns the score as `upper_statistic` and
   *  `lower_statistic`, `threshold` as `upper_limit`, 0 as `lower_limit`, and `Alarm::upper`
   *  when the score exceeds the threshold (never before the first forest).
   *  \throws InvalidArgument as score (the detector is then unchanged). */
  template <class Derived>
  Signal<Scalar> update(const Eigen::MatrixBase<Derived>& x) {
    const Scalar s = score(x);
    push_sample(x);
    Signal<Scalar> out;
    out.upper_statistic = s;
    out.lower_statistic = s;
    out.upper_limit = static_cast<Scalar>(params_.threshold);
    out.lower_limit = Scalar(0);
    out.alarm = static_cast<double>(s) > params_.threshold ? Alarm::upper : Alarm::none;
    return out;
  }

  /** Scores then learns every row of X in order and returns the scores: bit-identical to
   *  `score(X.row(i))` then `learn(X.row(i))` for i = 0, 1, ... Between two retrains the forest
   *  does not change, so those rows are scored as one block (the batch walk of
   *  `IsolationForest`, which sums the trees in the same order).
   *  \throws InvalidArgument if X's column count differs from the samples learned so far or X
   *  holds a non-finite value (row and column named); nothing is learned then. An X of no rows
   *  returns an empty vector. */
  template <class Derived>
  Vector<Scalar> score_learn(const Eigen::MatrixBase<Derived>& X) {
    const Eigen::Index n = X.rows();
    Vector<Scalar> out(n);
    if (n == 0) return out;
    check_batch(X);
    Eigen::Index i = 0;
    while (i < n) {
      if (!forest_) {
        out(i) = Scalar(0);
        push_sample(X.row(i));
        ++i;
        continue;
      }
      const Eigen::Index m = std::min(n - i, params_.retrain_every - since_retrain_);
      const auto block = X.middleRows(i, m);
      const std::vector<double> sums = kernels::isolation_path_sums(forest_->trees(), block, 1);
      for (Eigen::Index r = 0; r < m; ++r) {
        out(i + r) = static_cast<Scalar>(
            detail::stream_anomaly_from_sum(*forest_, sums[static_cast<std::size_t>(r)]));
        push_sample(X.row(i + r));
      }
      i += m;
    }
    return out;
  }

  /** Forgets the stream: the window, the forest, the counters and the number of features. The
   *  parameters are kept; the detector then behaves as a new one. */
  void reset() noexcept {
    window_.clear();
    forest_.reset();
    since_retrain_ = 0;
    trees_grown_ = 0;
    next_tree_ = 0;
  }

  /** True once the first forest is grown (`warm_up` samples learned); `score` is 0 before. */
  [[nodiscard]] bool is_ready() const noexcept { return forest_.has_value(); }
  /** Features per sample, fixed by the first sample learned (0 before it). */
  [[nodiscard]] Eigen::Index n_features_in() const noexcept { return window_.d; }
  /** Samples learned since the start (or the last reset). */
  [[nodiscard]] std::uint64_t n_samples_seen() const noexcept { return window_.seen; }
  /** Samples in the window now, min(n_samples_seen(), window_size). */
  [[nodiscard]] Eigen::Index window_count() const noexcept { return window_.size(); }
  /** The window's samples, oldest first (one row each). */
  [[nodiscard]] Matrix<Scalar> window() const {
    Matrix<Scalar> out(window_.size(), window_.d);
    for (Eigen::Index i = 0; i < out.rows(); ++i) {
      for (Eigen::Index j = 0; j < out.cols(); ++j) out(i, j) = window_.coeff(i, j);
    }
    return out;
  }
  /** Samples learned before the first forest: `warm_up`, or min(max_samples, window_size). */
  [[nodiscard]] Eigen::Index warm_up() const noexcept { return resolved_warm_up(params_); }
  /** Samples per tree, psi = min(max_samples, warm_up()). */
  [[nodiscard]] Eigen::Index samples_per_tree() const noexcept {
    return std::min(params_.max_samples, warm_up());
  }
  /** Trees grown since the start (T for the first forest, then k per retrain). */
  [[nodiscard]] std::uint64_t trees_grown() const noexcept { return trees_grown_; }
  /** Samples learned since the last (re)growth of trees, in [0, retrain_every). */
  [[nodiscard]] Eigen::Index samples_since_retrain() const noexcept { return since_retrain_; }
  /** Bytes held by the window and the trees. */
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    std::size_t b = window_.values.capacity() * sizeof(Scalar);
    if (forest_) {
      b += (forest_->thresholds.size() + forest_->leaf_values.size()) * sizeof(Scalar) +
           (forest_->features.size() + forest_->counts.size()) * sizeof(std::uint32_t);
    }
    return b;
  }

 private:
  static Eigen::Index resolved_warm_up(const Params& p) noexcept {
    return p.warm_up ? *p.warm_up : std::min(p.max_samples, p.window_size);
  }

  static Params validated(const Params& p) {
    detail::check_param(p.n_trees >= 1, "n_trees", p.n_trees, ">= 1");
    detail::check_param(p.window_size >= 1, "window_size", p.window_size, ">= 1");
    detail::check_param(p.max_samples >= 1 && p.max_samples <= (Eigen::Index{1} << 30),
                        "max_samples", p.max_samples, "in [1, 2^30]");
    if (p.warm_up) {
      detail::check_param(*p.warm_up >= 1 && *p.warm_up <= p.window_size, "warm_up", *p.warm_up,
                          "in [1, window_size] (or empty for min(max_samples, window_size))");
    }
    detail::check_param(p.retrain_every >= 1, "retrain_every", p.retrain_every, ">= 1");
    detail::check_param(p.trees_per_retrain >= 1 && p.trees_per_retrain <= p.n_trees,
                        "trees_per_retrain", p.trees_per_retrain, "in [1, n_trees]");
    detail::check_param(p.threshold > 0.0 && p.threshold <= 1.0, "threshold", p.threshold,
                        "in (0, 1]");
    detail::check_param(p.n_threads >= 0, "n_threads", p.n_threads, ">= 0 (0 = all)");
    return p;
  }

  static bool equal_params(const Params& a, const Params& b) noexcept {
    return a.n_trees == b.n_trees && a.window_size == b.window_size &&
           a.max_samples == b.max_samples && a.warm_up == b.warm_up &&
           a.retrain_every == b.retrain_every && a.trees_per_retrain == b.trees_per_retrain &&
           a.threshold == b.threshold && a.random_state == b.random_state &&
           a.n_threads == b.n_threads;
  }

  /** Throws unless x is one finite sample of the learned width (any width before the first). */
  template <class Derived>
  void check_sample(const Eigen::MatrixBase<Derived>& x) const {
    if ((x.rows() != 1 && x.cols() != 1) || x.size() == 0) {
      detail::fail("StreamingIsolationForest: x must be one sample, a non-empty row vector (got ",
                   x.rows(), " x ", x.cols(), ")");
    }
    check_width(x.size(), "x has ", " values");
    detail::check_finite_as<Scalar>(x, "x");
  }

  /** Throws unless every row of X is a finite sample of the learned width. */
  template <class Derived>
  void check_batch(const Eigen::MatrixBase<Derived>& X) const {
    if (X.cols() == 0) detail::fail("StreamingIsolationForest: X has no columns");
    check_width(X.cols(), "X has ", " columns");
    detail::check_finite_as<Scalar>(X, "X");
  }

  void check_width(Eigen::Index got, const char* what, const char* unit) const {
    if (window_.d != 0 && got != window_.d) {
      detail::fail("StreamingIsolationForest has learned samples of ", window_.d, " features but ",
                   what, got, unit);
    }
    if (static_cast<std::uint64_t>(got) > std::numeric_limits<std::uint32_t>::max()) {
      detail::fail("StreamingIsolationForest supports at most 2^32 - 1 features (got ", got, ")");
    }
  }

  /** Appends a checked sample and grows trees when due. */
  template <class Derived>
  void push_sample(const Eigen::MatrixBase<Derived>& x) {
    const kernels::IsolationRowView<Scalar, Derived> at{x};
    window_.d = x.size();
    window_.push([&](Eigen::Index j) { return at[static_cast<std::uint32_t>(j)]; });
    if (!forest_) {
      if (window_.size() == warm_up()) grow_first_forest();
      return;
    }
    if (++since_retrain_ == params_.retrain_every) {
      since_retrain_ = 0;
      const auto k = static_cast<std::size_t>(params_.trees_per_retrain);
      detail::regrow_tree_slots(*forest_, window_, next_tree_, k, trees_grown_,
                                params_.random_state, params_.n_threads);
      trees_grown_ += k;
      next_tree_ = (next_tree_ + k) % static_cast<std::size_t>(params_.n_trees);
    }
  }
  void grow_first_forest() {
    auto s = detail::empty_stream_forest<Scalar>(window_.d, params_.n_trees, samples_per_tree());
    const auto T = static_cast<std::size_t>(params_.n_trees);
    detail::regrow_tree_slots(s, window_, 0, T, 0, params_.random_state, params_.n_threads);
    forest_ = std::move(s);
    trees_grown_ = T;
    next_tree_ = 0;
    since_retrain_ = 0;
  }

  friend struct detail::Serial;

  Params params_;
  detail::SampleWindow<Scalar> window_;
  std::optional<detail::IsolationForestState<Scalar>> forest_;
  Eigen::Index since_retrain_ = 0;  // samples learned since the last growth of trees
  std::uint64_t trees_grown_ = 0;   // the stream of the next tree grown
  std::size_t next_tree_ = 0;       // slot of the oldest tree
};

OSPREY_NAMESPACE_END

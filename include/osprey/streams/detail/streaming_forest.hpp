/** \file
 *  Internals of `StreamingIsolationForest` (streams/streaming_isolation_forest.hpp): the window
 *  of the latest samples (a ring buffer read in chronological order), and the growth of a set
 *  of tree slots of an `IsolationForestState` from it with the batch forest's own tree builder
 *  (anomaly/detail/isolation_tree.hpp). Not API.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "../../anomaly/detail/isolation_tree.hpp"
#include "../../core/parallel.hpp"
#include "../../core/random.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** The last `capacity` samples of a stream of `d` features, row-major. Sample number m
 *  (0-based, counted since the start) sits in slot `m % capacity`; the buffer grows with the
 *  first `capacity` samples and is overwritten in place after that. It is also the `Readable`
 *  the tree builder takes (`rows()`, `cols()`, `coeff(i, j)`), row 0 being the oldest sample. */
template <class Scalar>
struct SampleWindow {
  Eigen::Index capacity = 1;  ///< window_size
  Eigen::Index d = 0;         ///< features per sample (0 until the first sample)
  std::uint64_t seen = 0;     ///< samples pushed since the start
  std::vector<Scalar> values;

  /** Samples held: min(seen, capacity). */
  [[nodiscard]] Eigen::Index size() const noexcept {
    const auto cap = static_cast<std::uint64_t>(capacity);
    return static_cast<Eigen::Index>(seen < cap ? seen : cap);
  }
  [[nodiscard]] Eigen::Index rows() const noexcept { return size(); }  ///< samples held
  [[nodiscard]] Eigen::Index cols() const noexcept { return d; }       ///< features
  /** The slot of the i-th oldest sample held. */
  [[nodiscard]] std::size_t slot(Eigen::Index i) const noexcept {
    const std::uint64_t first = seen - static_cast<std::uint64_t>(size());
    return static_cast<std::size_t>((first + static_cast<std::uint64_t>(i)) %
                                    static_cast<std::uint64_t>(capacity));
  }
  /** The i-th oldest sample held. */
  [[nodiscard]] const Scalar* row(Eigen::Index i) const noexcept {
    return values.data() + slot(i) * static_cast<std::size_t>(d);
  }
  /** Feature j of the i-th oldest sample. */
  [[nodiscard]] Scalar coeff(Eigen::Index i, Eigen::Index j) const noexcept { return row(i)[j]; }
  /** Appends one sample, `at(j)` giving feature j as Scalar; the oldest drops out once full. */
  template <class At>
  void push(const At& at) {
    const auto s = static_cast<std::size_t>(seen % static_cast<std::uint64_t>(capacity));
    const auto ud = static_cast<std::size_t>(d);
    if (values.size() < (s + 1) * ud) values.resize((s + 1) * ud);
    Scalar* out = values.data() + s * ud;
    for (Eigen::Index j = 0; j < d; ++j) out[j] = at(j);
    ++seen;
  }
  /** Empties the window (keeps the capacity, forgets the width). */
  void clear() noexcept {
    d = 0;
    seen = 0;
    values.clear();
  }
};

/** An isolation forest of `n_trees` unsplit trees of `psi` samples over `d` features: the
 *  sizes, the height limit and every slot as `IsolationForest` starts its fit. */
template <class Scalar>
[[nodiscard]] IsolationForestState<Scalar> empty_stream_forest(Eigen::Index d, int n_trees,
                                                               Eigen::Index psi) {
  IsolationForestState<Scalar> s;
  s.n_features = d;
  s.n_estimators = n_trees;
  s.samples_per_tree = psi;
  s.height = isolation_height_limit(static_cast<std::uint64_t>(psi));
  const auto T = static_cast<std::size_t>(n_trees);
  s.thresholds.assign(T * s.n_internal(), std::numeric_limits<Scalar>::infinity());
  s.features.assign(T * s.n_internal(), 0);
  s.leaf_values.assign(T * s.n_leaves(), Scalar(0));
  s.counts.assign(T * (s.n_internal() + s.n_leaves()), 0);
  return s;
}

/** Returns tree slot `t` of `s` to its unsplit state (threshold +inf, feature 0, leaf value
 *  and counts 0), as a fresh fit leaves every slot before growing it. */
template <class Scalar>
void clear_tree_slot(IsolationForestState<Scalar>& s, std::size_t t) {
  const std::size_t n_int = s.n_internal();
  const std::size_t n_leaf = s.n_leaves();
  const auto at = [](auto& v, std::size_t first) {
    return v.begin() + static_cast<std::ptrdiff_t>(first);
  };
  std::fill(at(s.thresholds, t * n_int), at(s.thresholds, (t + 1) * n_int),
            std::numeric_limits<Scalar>::infinity());
  std::fill(at(s.features, t * n_int), at(s.features, (t + 1) * n_int), 0U);
  std::fill(at(s.leaf_values, t * n_leaf), at(s.leaf_values, (t + 1) * n_leaf), Scalar(0));
  std::fill(at(s.counts, t * (n_int + n_leaf)), at(s.counts, (t + 1) * (n_int + n_leaf)), 0U);
}

/** Regrows `count` tree slots of `s`, slot `(first_slot + j) % n_estimators` from the stream
 *  `Rng(seed).split(first_stream + j)`, each on `s.samples_per_tree` distinct samples of the
 *  window drawn as `IsolationForest::fit` draws rows of X (every feature, no bootstrap). Trees
 *  are grown in parallel over `n_threads`; each owns its slot and its stream, so the forest is
 *  the same on any thread count. \pre count <= n_estimators, psi <= window.size(). */
template <class Scalar>
void regrow_tree_slots(IsolationForestState<Scalar>& s, const SampleWindow<Scalar>& window,
                       std::size_t first_slot, std::size_t count, std::uint64_t first_stream,
                       std::uint64_t seed, int n_threads) {
  const auto T = static_cast<std::size_t>(s.n_estimators);
  const Rng root(seed);
  parallel_for_dynamic(std::size_t{0}, count, n_threads, [&](std::size_t j) {
    const std::size_t t = (first_slot + j) % T;
    Rng rng = root.split(first_stream + j);
    clear_tree_slot(s, t);
    grow_isolation_tree(window, window.d, false, t, rng, s);
  });
}

/** The anomaly score `2^(-E[h] / c(psi))` from a row's path length summed over the trees: the
 *  expression of `IsolationForest::anomaly_score`, so both round alike. */
template <class Scalar>
[[nodiscard]] double stream_anomaly_from_sum(const IsolationForestState<Scalar>& s,
                                             double sum) noexcept {
  const double mean = sum / static_cast<double>(s.n_estimators);
  return std::exp2(-mean / s.normaliser());
}

}  // namespace detail
OSPREY_NAMESPACE_END

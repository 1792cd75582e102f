/** \file
 *  `dist::IsolationForest`: an isolation forest fitted on rows spread over the ranks of a
 *  communicator, bit-identical for any number of ranks and equal to single-node
 *  `osprey::IsolationForest` fitted on the concatenated rows with the same parameters. Rows are
 *  samples; rank r holds global rows [offset_r, offset_r + n_r) (rank 0's first).
 *
 *  Fit: tree t draws its features and its psi = min(max_samples, n) global row indices from
 *  the stream `Rng(random_state).split(t)`, as single-node does; every rank makes every tree's
 *  draws (O(T psi), cheap), so each knows which sampled rows it owns. Trees are grown in
 *  contiguous blocks, rank r growing trees [T r / p, T (r + 1) / p): one all_to_allv moves each
 *  sampled row's tree features (in draw order) from its owner to the tree's grower, which then
 *  runs the single-node growth on exactly the single-node sample and generator state. Four
 *  all_gatherv calls hand every rank the whole forest. With a contamination, the offset is the
 *  exact global quantile of the training scores (dist/quantile.hpp): integer counts move, not
 *  scores.
 *
 *  Communication per fit (per rank, double, T trees of psi rows and d_T features, p ranks):
 *  - the samples: about T psi d_T 8 (p - 1) / p^2 bytes sent (the rows it owns of the trees
 *    the others grow; T psi d_T 8 (p - 1) / p in all);
 *  - the trees: its T / p trees to each of the p - 1 others, tree_bytes (p - 1) T / p with
 *    tree_bytes = (2^h - 1)(8 + 4) + 2^h 8 + (2^(h+1) - 1) 4 (h = ceil(log2 psi); 7152 bytes for
 *    psi = 256);
 *  - with a contamination, 8 all_reduce rounds of 4 KiB (dist::quantile);
 *  - O(p) bytes of validation and row counts.
 *
 *  Scoring needs no communication: every rank holds the whole forest (`forest()`, a plain
 *  osprey::IsolationForest that osprey::save writes and a service loads).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "../anomaly/isolation_forest.hpp"
#include "../config.hpp"
#include "../core/parallel.hpp"
#include "../core/random.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../kernels/isolation_walk.hpp"
#include "communicator.hpp"
#include "detail/rank_checks.hpp"
#include "quantile.hpp"

OSPREY_NAMESPACE_BEGIN
namespace dist {
namespace detail {

/** First tree of rank r's block of T trees over p ranks: T r / p. */
[[nodiscard]] inline std::size_t first_tree(std::size_t T, int r, int p) noexcept {
  return T * static_cast<std::size_t>(r) / static_cast<std::size_t>(p);
}

/** The draws of every tree and, for the trees this rank grows, the generators after them. */
struct ForestDraws {
  std::vector<::osprey::detail::IsolationTreeDraws> trees;
  std::vector<Rng> rngs;  ///< one per tree of this rank's block, positioned after its draws
};

/** Every tree's draws for n rows of d features (the same on every rank). */
inline ForestDraws draw_forest(std::uint64_t seed, std::size_t T, std::size_t first,
                               std::size_t last, Eigen::Index n, Eigen::Index d,
                               Eigen::Index d_tree, std::size_t psi, bool bootstrap) {
  ForestDraws out;
  out.trees.reserve(T);
  const Rng root(seed);
  for (std::size_t t = 0; t < T; ++t) {
    Rng rng = root.split(static_cast<std::uint64_t>(t));
    out.trees.push_back(::osprey::detail::draw_isolation_tree(n, d, d_tree, psi, bootstrap, rng));
    if (t >= first && t < last) out.rngs.push_back(rng);
  }
  return out;
}

/** The rank owning global row `row`, from the ranks' first rows `starts` (p + 1 entries). */
[[nodiscard]] inline std::size_t owner_of(const std::vector<std::uint64_t>& starts,
                                          std::uint64_t row) noexcept {
  return static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), row) -
                                  starts.begin()) -
         1;
}

}  // namespace detail

/** Isolation Forest over rows spread across ranks; the fitted forest is bit-identical to
 *  single-node `osprey::IsolationForest` on the concatenated rows, for any number of ranks
 *  (see the file comment for the algorithm and its communication).
 *
 *  \code
 *  osprey::dist::IsolationForest<> f({.n_estimators = 200, .contamination = 0.01});
 *  f.fit(comm, X_local);                    // this rank's rows
 *  auto flags = f.predict(X_local);         // no communication
 *  osprey::save(f.forest(), "forest.osp");  // a plain single-node model
 *  \endcode
 *
 *  \tparam ScalarT float or double, as osprey::IsolationForest.
 *  Complexity of fit per rank: O(T psi) draws, O((T / p) psi log psi) growth, O(n_r T h) to
 *  score its rows with a contamination. Thread safety: as osprey::IsolationForest; every rank
 *  must call fit together. `progress` is not reported; `cancellation` stops this rank's tree
 *  growth, which fails the group (RankFailed on the others).
 */
template <class ScalarT = double>
class IsolationForest {
 public:
  using Scalar = ScalarT;                           ///< thresholds and scores
  using Params = IsolationForestParams;             ///< the single-node parameters
  using Local = ::osprey::IsolationForest<Scalar>;  ///< the fitted forest's type

  IsolationForest() = default;
  /** \throws InvalidArgument as osprey::IsolationForest, and if extension_level is not 0 (the
   *  distributed fit grows axis-parallel trees only). */
  explicit IsolationForest(const Params& params) : forest_(axis_parallel(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return forest_.params(); }
  /** Replaces (and validates) the parameters; the forest becomes unfitted. */
  IsolationForest& set_params(const Params& params) {
    forest_.set_params(axis_parallel(params));
    return *this;
  }

  /** Grows the forest on the rows of every rank (this rank's `X_local`, possibly 0 rows) and
   *  sets the offset; every rank ends with the same forest. On a throw the previous fit stays.
   *  \throws InvalidArgument on every rank if some rank's X_local has a non-finite value
   *  (naming the rank and its local row and column), the ranks holding rows disagree on the
   *  column count, no rank holds a row, or max_features as a count exceeds the columns. */
  template <Communicator C, class Derived>
  IsolationForest& fit(C& comm, const Eigen::MatrixBase<Derived>& X_local) {
    const std::int64_t rows = X_local.rows();
    check_on_all_ranks(comm, [&] {
      if (rows > 0) ::osprey::detail::check_matrix_as<Scalar>(X_local, "X_local");
    });
    const std::int64_t d =
        detail::agreed_columns(comm, rows, X_local.cols(), "dist::IsolationForest::fit", "X_local");
    const auto mine = static_cast<std::uint64_t>(rows);
    const std::vector<std::uint64_t> counts =
        comm.all_gather(std::span<const std::uint64_t>(&mine, 1));
    std::vector<std::uint64_t> starts(counts.size() + 1, 0);
    for (std::size_t r = 0; r < counts.size(); ++r) starts[r + 1] = starts[r] + counts[r];
    Local model(forest_.params());
    State s = Internals::empty_state(model, static_cast<Eigen::Index>(starts.back()), d);
    const Eigen::Index d_tree = Internals::features_per_tree(model, d);
    ::osprey::kernels::with_readable(X_local, [&](const auto& Xr) {
      grow(comm, Xr, starts, d_tree, s);
      return 0;
    });
    s.offset = -0.5;
    if (const auto c = params().contamination) {
      std::vector<double> scores;
      if (rows > 0) {
        scores = ::osprey::kernels::isolation_path_sums(s.trees(), X_local, params().n_threads);
        for (double& v : scores) v = -Internals::anomaly_from_sum(s, v);
      }
      s.offset = quantile(comm, std::span<const double>(scores), *c);
    }
    Internals::adopt(model, std::move(s));
    forest_ = std::move(model);
    return *this;
  }

  /** The fitted forest, the same on every rank: a plain osprey::IsolationForest for scoring,
   *  osprey::save and serving. \throws NotFittedError before fit. */
  [[nodiscard]] const Local& forest() const {
    ::osprey::detail::check_fitted(forest_.is_fitted(), "dist::IsolationForest");
    return forest_;
  }

  /** `forest().score_samples(X)` on this rank's rows; no communication. */
  template <class Derived>
  [[nodiscard]] Vector<Scalar> score_samples(const Eigen::MatrixBase<Derived>& X) const {
    return forest().score_samples(X);
  }
  /** `forest().decision_function(X)`; no communication. */
  template <class Derived>
  [[nodiscard]] Vector<Scalar> decision_function(const Eigen::MatrixBase<Derived>& X) const {
    return forest().decision_function(X);
  }
  /** `forest().predict(X)`: +1 inlier, -1 outlier; no communication. */
  template <class Derived>
  [[nodiscard]] Eigen::VectorXi predict(const Eigen::MatrixBase<Derived>& X) const {
    return forest().predict(X);
  }
  /** `forest().anomaly_score(X)`; no communication. */
  template <class Derived>
  [[nodiscard]] Vector<Scalar> anomaly_score(const Eigen::MatrixBase<Derived>& X) const {
    return forest().anomaly_score(X);
  }
  /** True once fit has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return forest_.is_fitted(); }
  /** The offset: -0.5, or the exact global contamination quantile of the training scores. */
  [[nodiscard]] double offset() const { return forest().offset(); }
  /** Number of features. */
  [[nodiscard]] Eigen::Index n_features_in() const { return forest().n_features_in(); }
  /** Number of trees. */
  [[nodiscard]] Eigen::Index n_estimators() const { return forest().n_estimators(); }

 private:
  using State = ::osprey::detail::IsolationForestState<Scalar>;
  using Internals = ::osprey::detail::IsolationForestInternals<Scalar>;

  /** `p`, after checking that it asks for axis-parallel trees. */
  static const Params& axis_parallel(const Params& p) {
    ::osprey::detail::check_param(p.extension_level == 0, "extension_level", p.extension_level,
                                  "0 in dist::IsolationForest (axis-parallel trees only)");
    return p;
  }

  /** Draws every tree, routes the sampled rows to the growers, grows this rank's block of
   *  trees and gathers every tree into `s` (sized for all T trees). */
  template <Communicator C, class Readable>
  void grow(C& comm, const Readable& X, const std::vector<std::uint64_t>& starts,
            Eigen::Index d_tree, State& s) const {
    const auto T = static_cast<std::size_t>(s.n_estimators);
    const int p = comm.size();
    const int me = comm.rank();
    const std::size_t first = detail::first_tree(T, me, p);
    const std::size_t last = detail::first_tree(T, me + 1, p);
    const auto psi = static_cast<std::size_t>(s.samples_per_tree);
    detail::ForestDraws draws = detail::draw_forest(params().random_state, T, first, last,
                                                    static_cast<Eigen::Index>(starts.back()),
                                                    X.cols(), d_tree, psi, params().bootstrap);
    const std::vector<Scalar> got = exchange_samples(comm, X, starts, draws, d_tree);

    // this rank's block of trees, every slot unsplit as single-node's empty state has them
    State mine;
    mine.n_features = s.n_features;
    mine.n_estimators = static_cast<Eigen::Index>(last - first);
    mine.samples_per_tree = s.samples_per_tree;
    mine.height = s.height;
    const std::size_t n_int = s.n_internal();
    const std::size_t n_leaf = s.n_leaves();
    const std::size_t n_trees = last - first;
    mine.thresholds.assign(n_trees * n_int, std::numeric_limits<Scalar>::infinity());
    mine.features.assign(n_trees * n_int, 0);
    mine.leaf_values.assign(n_trees * n_leaf, Scalar(0));
    mine.counts.assign(n_trees * (n_int + n_leaf), 0);
    const std::vector<std::vector<Scalar>> samples =
        place_samples(got, starts, draws, first, last, d_tree, psi);
    ::osprey::detail::parallel_for_dynamic(
        std::size_t{0}, n_trees, params().n_threads, [&](std::size_t i) {
          ::osprey::detail::grow_isolation_tree_from_sample(
              samples[i], draws.trees[first + i].features, i, draws.rngs[i], mine);
        });
    s.thresholds = comm.all_gatherv(std::span<const Scalar>(mine.thresholds), nullptr);
    s.features = comm.all_gatherv(std::span<const std::uint32_t>(mine.features), nullptr);
    s.leaf_values = comm.all_gatherv(std::span<const Scalar>(mine.leaf_values), nullptr);
    s.counts = comm.all_gatherv(std::span<const std::uint32_t>(mine.counts), nullptr);
  }

  /** One all_to_allv: for every tree, in tree order, the sampled rows this rank owns (each as
   *  its d_T tree features in Scalar, in draw order) go to the tree's grower. Returns what
   *  this rank received, grouped by source rank. */
  template <Communicator C, class Readable>
  static std::vector<Scalar> exchange_samples(C& comm, const Readable& X,
                                              const std::vector<std::uint64_t>& starts,
                                              const detail::ForestDraws& draws,
                                              Eigen::Index d_tree) {
    const int p = comm.size();
    const auto me = static_cast<std::size_t>(comm.rank());
    const std::size_t T = draws.trees.size();
    std::vector<Scalar> send;
    std::vector<std::size_t> send_counts(static_cast<std::size_t>(p), 0);
    std::size_t grower = 0;
    for (std::size_t t = 0; t < T; ++t) {
      while (t >= detail::first_tree(T, static_cast<int>(grower) + 1, p)) ++grower;
      const auto& tree = draws.trees[t];
      for (const Eigen::Index row : tree.rows) {
        const auto g = static_cast<std::uint64_t>(row);
        if (g < starts[me] || g >= starts[me + 1]) continue;
        const auto local = static_cast<Eigen::Index>(g - starts[me]);
        for (const std::uint32_t f : tree.features) {
          send.push_back(static_cast<Scalar>(X.coeff(local, static_cast<Eigen::Index>(f))));
        }
        send_counts[grower] += static_cast<std::size_t>(d_tree);
      }
    }
    return comm.all_to_allv(std::span<const Scalar>(send),
                            std::span<const std::size_t>(send_counts), nullptr);
  }

  /** The samples of trees [first, last) (column-major psi x d_T each, as single-node copies
   *  them) from the received values: draw i of tree t comes from the owner of its row, whose
   *  values arrive in tree order and draw order. */
  static std::vector<std::vector<Scalar>> place_samples(const std::vector<Scalar>& got,
                                                        const std::vector<std::uint64_t>& starts,
                                                        const detail::ForestDraws& draws,
                                                        std::size_t first, std::size_t last,
                                                        Eigen::Index d_tree, std::size_t psi) {
    const auto dt = static_cast<std::size_t>(d_tree);
    const std::size_t p = starts.size() - 1;
    // where each source's block starts in `got`: count what every source sends us
    std::vector<std::size_t> cursor(p + 1, 0);
    for (std::size_t t = first; t < last; ++t) {
      for (const Eigen::Index row : draws.trees[t].rows) {
        cursor[detail::owner_of(starts, static_cast<std::uint64_t>(row)) + 1] += dt;
      }
    }
    for (std::size_t r = 0; r < p; ++r) cursor[r + 1] += cursor[r];
    std::vector<std::vector<Scalar>> samples(last - first, std::vector<Scalar>(psi * dt));
    for (std::size_t t = first; t < last; ++t) {
      Scalar* sample = samples[t - first].data();
      const auto& rows = draws.trees[t].rows;
      for (std::size_t i = 0; i < psi; ++i) {
        std::size_t& at = cursor[detail::owner_of(starts, static_cast<std::uint64_t>(rows[i]))];
        for (std::size_t j = 0; j < dt; ++j) sample[j * psi + i] = got[at++];
      }
    }
    return samples;
  }

  Local forest_{};
};

}  // namespace dist
OSPREY_NAMESPACE_END

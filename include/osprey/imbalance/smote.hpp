/** \file
 *  SMOTE and its borderline variants: `Smote` (Chawla et al. 2002), `BorderlineSmote` (Han, Wang &
 *  Mao 2005, borderline-1 and -2) and `SmoteTomek` (SMOTE, then Tomek-link cleaning; Batista,
 *  Prati & Monard 2004), with imbalanced-learn's sampling strategies.
 *
 *  A synthetic row is `x + u (n - x)` with x a row of the class being grown, n one of its
 *  k nearest same-class neighbours (x itself excluded) and u ~ U(0, 1). The output holds the
 *  input rows first, in input order, then the synthetic rows grouped by class in ascending label
 *  order. Rows are samples, columns are features; labels are `Eigen::VectorXi`.
 */
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "../core/types.hpp"
#include "common.hpp"
#include "under_sampling.hpp"

OSPREY_NAMESPACE_BEGIN

namespace detail {
/** What every over-sampler remembers from its last fit_resample. */
struct OverSamplingState {
  std::map<int, Eigen::Index> n_generated;    // synthetic rows per class (classes grown only)
  Eigen::VectorXi base;                       // per synthetic row: input row it starts from
  Eigen::VectorXi neighbor;                   // per synthetic row: input row it moves towards
  Eigen::VectorXi danger;                     // BorderlineSmote: danger rows, ascending
  std::map<int, Eigen::VectorXi> per_sample;  // Adasyn: synthetic rows per class row
  Eigen::Index n_features = 0;
};

/** Params checks shared by the SMOTE family. */
inline void check_common_params(std::string_view sampler, int k, std::string_view k_name,
                                const SamplingStrategy& strategy, int n_threads) {
  check_param(k >= 1, k_name, k, ">= 1");
  check_param(n_threads >= 0, "n_threads", n_threads, ">= 0 (0 = all cores)");
  validate_strategy(strategy, SamplingType::over, sampler);
}

/** Assembles y of the output: y, then `n` copies of each grown class's label. */
[[nodiscard]] inline Eigen::VectorXi stack_labels(const Eigen::VectorXi& y,
                                                  const std::map<int, Eigen::Index>& n_new,
                                                  Eigen::Index total) {
  Eigen::VectorXi out(y.size() + total);
  out.head(y.size()) = y;
  Eigen::Index at = y.size();
  for (const auto& [label, n] : n_new) {
    out.segment(at, n).setConstant(label);
    at += n;
  }
  return out;
}

/** Indices 0..n-1, the leave-one-out "self" list of a query of a set against itself. */
[[nodiscard]] inline std::vector<Eigen::Index> iota(Eigen::Index n) {
  std::vector<Eigen::Index> v(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}
}  // namespace detail

/** SMOTE (Chawla, Bowyer, Hall & Kegelmeyer, JAIR 2002): grows each targeted class with synthetic
 *  rows on segments between a class row and one of its `k_neighbors` nearest same-class rows.
 *
 *  For each synthetic row, a (row, neighbour) pair is drawn uniformly from the class's
 *  n_c x k neighbour table and u ~ U(0, 1), as imbalanced-learn's SMOTE does.
 *
 *  \tparam ScalarT float or double: the output's element type and the search's precision.
 *  \tparam Metric a NearestNeighbors metric policy (default Euclidean). The Scalar comes first so
 *  `Smote<>`, `Smote<float>` and `Smote<double>` read as the DESIGN API.
 *
 *  Randomness: class c draws from `Rng(random_state).split(c)`, synthetic block b from that
 *  stream's `split(b)`: the output is bit-identical on any thread count.
 *  Complexity: one k-NN search per grown class (n_c queries against n_c rows) plus O(G d) for G
 *  synthetic rows. Thread safety: fit_resample mutates the sampler; const accessors may run
 *  concurrently.
 */
template <class ScalarT = double, class Metric = Euclidean>
class Smote {
 public:
  using Scalar = ScalarT;     ///< element type of the output
  using MetricType = Metric;  ///< distance of the neighbour search

  /** Parameters, written with designated initialisers. */
  struct Params {
    int k_neighbors = 5;                   ///< neighbours each synthetic row may move towards
    SamplingStrategy sampling_strategy{};  ///< which classes to grow, to what size
    std::uint64_t random_state = 0;        ///< seed
    int n_threads = 0;                     ///< threads (0 = all)
  };

  Smote() = default;
  /** \throws InvalidArgument for k_neighbors < 1, n_threads < 0 or a strategy an over-sampler
   *  cannot use. */
  explicit Smote(const Params& params) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters; the sampler becomes unfitted. */
  void set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
  }

  /** Returns (X, y) followed by the synthetic rows.
   *  \throws InvalidArgument if X is empty or non-finite, X and y differ in length, y has one
   *  class, the strategy is impossible for y, or a class to grow has fewer than
   *  k_neighbors + 1 rows (each naming the class). */
  template <class Derived>
  Resampled<Scalar> fit_resample(const Eigen::MatrixBase<Derived>& X, const Eigen::VectorXi& y) {
    detail::check_resample_input<Scalar>(X, y, "Smote",
                                         /*finite_later=*/true);  // copy_with_room checks
    const auto counts = detail::count_classes(y);
    auto targets = detail::resolve_strategy(params_.sampling_strategy, counts,
                                            detail::SamplingType::over, "Smote");
    std::erase_if(targets, [](const auto& kv) { return kv.second == 0; });
    Eigen::Index total = 0;
    for (const auto& [label, n] : targets) {
      detail::check_class_size("Smote", label, counts.at(label), params_.k_neighbors,
                               "k_neighbors");
      total += n;
    }
    detail::OverSamplingState s;
    s.n_features = X.cols();
    s.base.resize(total);
    s.neighbor.resize(total);
    Resampled<Scalar> out;
    out.X = detail::copy_with_room<Scalar>(X, total, params_.n_threads);
    out.y = detail::stack_labels(y, targets, total);
    const auto by_class = detail::rows_by_class(y, counts, &targets);
    const Rng root(params_.random_state);
    const auto n = X.rows();
    Eigen::Index done = 0;
    for (const auto& [label, n_new] : targets) {
      const auto& rows = by_class.at(label);
      generate_class(out.X, X, n + done, done, n_new, rows,
                     root.split(static_cast<std::uint32_t>(label)), s);
      s.n_generated[label] = n_new;
      done += n_new;
    }
    state_ = std::move(s);
    return out;
  }

  /** True once fit_resample has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** Synthetic rows made per grown class by the last fit_resample. */
  [[nodiscard]] const std::map<int, Eigen::Index>& n_generated() const {
    return state().n_generated;
  }
  /** For synthetic row s (row n + s of the output), the input row it starts from. */
  [[nodiscard]] const Eigen::VectorXi& synthetic_base() const { return state().base; }
  /** For synthetic row s, the input row (a k-nearest same-class neighbour) it moves towards. */
  [[nodiscard]] const Eigen::VectorXi& synthetic_neighbor() const { return state().neighbor; }
  /** Number of features seen by the last fit_resample. */
  [[nodiscard]] Eigen::Index n_features_in() const { return state().n_features; }

 private:
  static Params validated(const Params& p) {
    detail::check_common_params("Smote", p.k_neighbors, "k_neighbors", p.sampling_strategy,
                                p.n_threads);
    return p;
  }
  const detail::OverSamplingState& state() const {
    detail::check_fitted(state_.has_value(), "Smote");
    return *state_;
  }

  // Grows one class: leave-one-out k-NN inside the class, then n_new draws. The class rows are
  // gathered from the caller's X (contiguous when X is row-major), cast as the output was.
  template <class Derived>
  void generate_class(Matrix<Scalar>& out, const Eigen::MatrixBase<Derived>& X, Eigen::Index offset,
                      Eigen::Index record_offset, Eigen::Index n_new,
                      const std::vector<Eigen::Index>& rows, const Rng& rng,
                      detail::OverSamplingState& s) const {
    const RowMatrix<Scalar> Xc = detail::gather_rows<Scalar>(X, rows, params_.n_threads);
    const auto self = detail::iota(Xc.rows());
    const int k = params_.k_neighbors;
    const Eigen::MatrixXi nn = detail::kneighbors<Metric>(Xc, Xc, k, &self, params_.n_threads);
    const auto n_pairs = static_cast<std::uint64_t>(Xc.rows()) * static_cast<std::uint64_t>(k);
    const Eigen::Index d = Xc.cols();
    const Scalar* xc = Xc.data();
    detail::synthesize(
        out, offset, n_new, rng, params_.n_threads, s.base, s.neighbor, record_offset,
        [&](Rng& r, Eigen::Index) {
          const std::uint64_t pick = r.bounded(n_pairs);
          const auto i = static_cast<Eigen::Index>(pick / static_cast<std::uint64_t>(k));
          const auto c = static_cast<Eigen::Index>(pick % static_cast<std::uint64_t>(k));
          const Eigen::Index j = nn(i, c);
          const auto u = static_cast<Scalar>(r.uniform());
          return detail::SyntheticDraw<Scalar>{xc + i * d, xc + j * d, u,
                                               static_cast<int>(rows[static_cast<std::size_t>(i)]),
                                               static_cast<int>(rows[static_cast<std::size_t>(j)])};
        });
  }

  Params params_{};
  std::optional<detail::OverSamplingState> state_;
};

/** Which Borderline-SMOTE variant (Han, Wang & Mao, ICIC 2005). */
enum class BorderlineKind {
  borderline1,  ///< interpolate only towards same-class neighbours
  borderline2   ///< also towards other-class neighbours, at most half way
};

/** Borderline-SMOTE (Han, Wang & Mao, ICIC 2005): SMOTE restricted to the class rows "in danger".
 *
 *  A row of class c is in danger when, of its `m_neighbors` nearest rows in the whole X (itself
 *  excluded), m' belong to other classes with m/2 <= m' < m: it sits on the border (m' = m is
 *  noise, m' < m/2 is safe). Synthetic rows start only from danger rows:
 *  - borderline-1: towards one of the row's `k_neighbors` nearest same-class rows, u ~ U(0, 1);
 *  - borderline-2: with probability 1/2 as borderline-1, otherwise towards one of its
 *    `k_neighbors` nearest rows of the other classes with u ~ U(0, 0.5), so the new row stays on
 *    the class's side of the midpoint.
 *  A class with no danger row is left as it is (as imbalanced-learn does).
 *
 *  Differences from imbalanced-learn 0.10, on purpose: borderline-2 makes exactly the requested
 *  number of rows (imbalanced-learn splits it with a Beta(10, 10) draw and two truncations, so it
 *  can make one fewer) and its other-class half really uses other-class neighbours
 *  (imbalanced-learn indexes the other-class rows with same-class neighbour positions).
 *
 *  \tparam ScalarT float or double. \tparam Metric a NearestNeighbors metric (default Euclidean).
 *  Randomness, threads and complexity as Smote, plus one m-NN search of the class rows against X.
 */
template <class ScalarT = double, class Metric = Euclidean>
class BorderlineSmote {
 public:
  using Scalar = ScalarT;     ///< element type of the output
  using MetricType = Metric;  ///< distance of the neighbour searches

  /** Parameters, written with designated initialisers. */
  struct Params {
    int k_neighbors = 5;                                ///< neighbours to interpolate towards
    int m_neighbors = 10;                               ///< neighbours that decide "danger"
    BorderlineKind kind = BorderlineKind::borderline1;  ///< variant
    SamplingStrategy sampling_strategy{};               ///< which classes to grow, to what size
    std::uint64_t random_state = 0;                     ///< seed
    int n_threads = 0;                                  ///< threads (0 = all)
  };

  BorderlineSmote() = default;
  /** \throws InvalidArgument for k_neighbors or m_neighbors < 1, n_threads < 0 or a strategy an
   *  over-sampler cannot use. */
  explicit BorderlineSmote(const Params& params) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters; the sampler becomes unfitted. */
  void set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
  }

  /** Returns (X, y) followed by synthetic rows grown from the danger rows.
   *  \throws InvalidArgument as Smote, and when X has at most m_neighbors rows. */
  template <class Derived>
  Resampled<Scalar> fit_resample(const Eigen::MatrixBase<Derived>& X, const Eigen::VectorXi& y) {
    detail::check_resample_input<Scalar>(X, y, "BorderlineSmote");
    const auto counts = detail::count_classes(y);
    auto targets = detail::resolve_strategy(params_.sampling_strategy, counts,
                                            detail::SamplingType::over, "BorderlineSmote");
    std::erase_if(targets, [](const auto& kv) { return kv.second == 0; });
    const int k = params_.k_neighbors;
    const int m = params_.m_neighbors;
    if (!targets.empty() && X.rows() < static_cast<Eigen::Index>(m) + 1) {
      detail::fail("BorderlineSmote: m_neighbors = ", m, " needs at least ", m + 1,
                   " rows in X (got ", X.rows(), ")");
    }
    for (const auto& [label, n] : targets) {
      detail::check_class_size("BorderlineSmote", label, counts.at(label), k, "k_neighbors");
    }
    const RowMatrix<Scalar> Xall = X.template cast<Scalar>();
    const auto by_class = detail::rows_by_class(y, counts);

    // Danger rows of each class to grow; a class without any is not grown.
    std::map<int, std::vector<Eigen::Index>> danger;  // class-local positions
    std::vector<int> danger_rows;
    for (auto it = targets.begin(); it != targets.end();) {
      const int label = it->first;
      const auto& rows = by_class.at(label);
      const RowMatrix<Scalar> Xc = detail::gather_rows<Scalar>(Xall, rows, params_.n_threads);
      const Eigen::MatrixXi nn_m =
          detail::kneighbors<Metric>(Xall, Xc, m, &rows, params_.n_threads);
      auto& list = danger[label];
      for (Eigen::Index i = 0; i < nn_m.rows(); ++i) {
        int other = 0;
        for (int c = 0; c < m; ++c) other += y(nn_m(i, c)) != label ? 1 : 0;
        if (2 * other >= m && other < m) {
          list.push_back(i);
          danger_rows.push_back(static_cast<int>(rows[static_cast<std::size_t>(i)]));
        }
      }
      if (list.empty()) {
        it = targets.erase(it);
      } else {
        ++it;
      }
    }

    Eigen::Index total = 0;
    for (const auto& kv : targets) total += kv.second;
    detail::OverSamplingState s;
    s.n_features = X.cols();
    s.base.resize(total);
    s.neighbor.resize(total);
    std::sort(danger_rows.begin(), danger_rows.end());
    s.danger = Eigen::Map<const Eigen::VectorXi>(danger_rows.data(),
                                                 static_cast<Eigen::Index>(danger_rows.size()));
    Resampled<Scalar> out;
    out.X = detail::copy_with_room<Scalar>(X, total, params_.n_threads);
    out.y = detail::stack_labels(y, targets, total);
    const Rng root(params_.random_state);
    Eigen::Index done = 0;
    for (const auto& [label, n_new] : targets) {
      generate_class(out.X, X.rows() + done, done, n_new, Xall, y, by_class.at(label),
                     danger.at(label), label, root.split(static_cast<std::uint32_t>(label)), s);
      s.n_generated[label] = n_new;
      done += n_new;
    }
    for (const auto& kv : danger) {
      if (s.n_generated.count(kv.first) == 0) s.n_generated[kv.first] = 0;
    }
    state_ = std::move(s);
    return out;
  }

  /** True once fit_resample has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** Synthetic rows made per targeted class (0 for a class with no danger row). */
  [[nodiscard]] const std::map<int, Eigen::Index>& n_generated() const {
    return state().n_generated;
  }
  /** The input rows found in danger (of every targeted class), ascending. */
  [[nodiscard]] const Eigen::VectorXi& danger_indices() const { return state().danger; }
  /** For synthetic row s, the (danger) input row it starts from. */
  [[nodiscard]] const Eigen::VectorXi& synthetic_base() const { return state().base; }
  /** For synthetic row s, the input row it moves towards. */
  [[nodiscard]] const Eigen::VectorXi& synthetic_neighbor() const { return state().neighbor; }
  /** Number of features seen by the last fit_resample. */
  [[nodiscard]] Eigen::Index n_features_in() const { return state().n_features; }

 private:
  static Params validated(const Params& p) {
    detail::check_common_params("BorderlineSmote", p.k_neighbors, "k_neighbors",
                                p.sampling_strategy, p.n_threads);
    detail::check_param(p.m_neighbors >= 1, "m_neighbors", p.m_neighbors, ">= 1");
    return p;
  }
  const detail::OverSamplingState& state() const {
    detail::check_fitted(state_.has_value(), "BorderlineSmote");
    return *state_;
  }

  void generate_class(Matrix<Scalar>& out, Eigen::Index offset, Eigen::Index record_offset,
                      Eigen::Index n_new, const RowMatrix<Scalar>& Xall, const Eigen::VectorXi& y,
                      const std::vector<Eigen::Index>& rows,
                      const std::vector<Eigen::Index>& danger, int label, const Rng& rng,
                      detail::OverSamplingState& s) const {
    const int k = params_.k_neighbors;
    const RowMatrix<Scalar> Xc = detail::gather_rows<Scalar>(Xall, rows, params_.n_threads);
    const RowMatrix<Scalar> Xd = detail::gather_rows<Scalar>(Xc, danger, params_.n_threads);
    const Eigen::MatrixXi nn_same =
        detail::kneighbors<Metric>(Xc, Xd, k, &danger, params_.n_threads);
    const bool two = params_.kind == BorderlineKind::borderline2;
    std::vector<Eigen::Index> others;
    RowMatrix<Scalar> Xo;
    Eigen::MatrixXi nn_other;
    int k_other = 0;
    if (two) {
      for (Eigen::Index i = 0; i < y.size(); ++i) {
        if (y(i) != label) others.push_back(i);
      }
      Xo = detail::gather_rows<Scalar>(Xall, others, params_.n_threads);
      k_other = static_cast<int>(std::min<Eigen::Index>(k, Xo.rows()));
      nn_other = detail::kneighbors<Metric>(Xo, Xd, k_other, nullptr, params_.n_threads);
    }
    const auto n_danger = static_cast<std::uint64_t>(danger.size());
    const Eigen::Index d = Xall.cols();
    const Scalar* xc = Xc.data();
    const Scalar* xo = Xo.data();
    detail::synthesize(
        out, offset, n_new, rng, params_.n_threads, s.base, s.neighbor, record_offset,
        [&](Rng& r, Eigen::Index) {
          const auto i = static_cast<Eigen::Index>(r.bounded(n_danger));
          const Eigen::Index base = danger[static_cast<std::size_t>(i)];
          const double u = r.uniform();
          const int base_row = static_cast<int>(rows[static_cast<std::size_t>(base)]);
          if (two && r.bounded(2) == 1) {
            const Eigen::Index j = nn_other(
                i, static_cast<Eigen::Index>(r.bounded(static_cast<std::uint64_t>(k_other))));
            return detail::SyntheticDraw<Scalar>{
                xc + base * d, xo + j * d, static_cast<Scalar>(0.5 * u), base_row,
                static_cast<int>(others[static_cast<std::size_t>(j)])};
          }
          const Eigen::Index j =
              nn_same(i, static_cast<Eigen::Index>(r.bounded(static_cast<std::uint64_t>(k))));
          return detail::SyntheticDraw<Scalar>{xc + base * d, xc + j * d, static_cast<Scalar>(u),
                                               base_row,
                                               static_cast<int>(rows[static_cast<std::size_t>(j)])};
        });
  }

  Params params_{};
  std::optional<detail::OverSamplingState> state_;
};

/** SMOTE followed by Tomek-link cleaning (Batista, Prati & Monard 2004), as imbalanced-learn's
 *  SMOTETomek: the SMOTE output is cleaned by TomekLinks with `tomek_strategy` (default
 *  `all`: both members of every link go). The output keeps the surviving rows in the SMOTE
 *  output's order: surviving input rows in input order, then surviving synthetic rows.
 *
 *  \tparam ScalarT float or double. \tparam Metric a NearestNeighbors metric (default Euclidean).
 *  Complexity: Smote's, plus one leave-one-out 1-NN search of the SMOTE output.
 */
template <class ScalarT = double, class Metric = Euclidean>
class SmoteTomek {
 public:
  using Scalar = ScalarT;     ///< element type of the output
  using MetricType = Metric;  ///< distance of the neighbour searches

  /** Parameters, written with designated initialisers. */
  struct Params {
    int k_neighbors = 5;                                        ///< SMOTE's neighbours
    SamplingStrategy sampling_strategy{};                       ///< SMOTE's strategy
    SamplingStrategy tomek_strategy = SamplingStrategy::all();  ///< classes TomekLinks cleans
    std::uint64_t random_state = 0;                             ///< seed
    int n_threads = 0;                                          ///< threads (0 = all)
  };

  SmoteTomek() = default;
  /** \throws InvalidArgument as Smote and TomekLinks. */
  explicit SmoteTomek(const Params& params) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters; the sampler becomes unfitted. */
  void set_params(const Params& params) {
    params_ = validated(params);
    smote_.reset();
    tomek_.reset();
  }

  /** SMOTE, then removal of Tomek links. \throws InvalidArgument as Smote and TomekLinks. */
  template <class Derived>
  Resampled<Scalar> fit_resample(const Eigen::MatrixBase<Derived>& X, const Eigen::VectorXi& y) {
    Smote<Scalar, Metric> smote({.k_neighbors = params_.k_neighbors,
                                 .sampling_strategy = params_.sampling_strategy,
                                 .random_state = params_.random_state,
                                 .n_threads = params_.n_threads});
    const Resampled<Scalar> grown = smote.fit_resample(X, y);
    TomekLinks<Scalar, Metric> tomek(
        {.sampling_strategy = params_.tomek_strategy, .n_threads = params_.n_threads});
    Resampled<Scalar> out = tomek.fit_resample(grown.X, grown.y);
    smote_ = std::move(smote);
    tomek_ = std::move(tomek);
    return out;
  }

  /** True once fit_resample has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return smote_.has_value(); }
  /** The fitted SMOTE step (n_generated(), synthetic_base(), ...). */
  [[nodiscard]] const Smote<Scalar, Metric>& smote() const {
    detail::check_fitted(smote_.has_value(), "SmoteTomek");
    return *smote_;
  }
  /** The fitted Tomek step; its sample_indices() are rows of the SMOTE output. */
  [[nodiscard]] const TomekLinks<Scalar, Metric>& tomek() const {
    detail::check_fitted(tomek_.has_value(), "SmoteTomek");
    return *tomek_;
  }
  /** Number of features seen by the last fit_resample. */
  [[nodiscard]] Eigen::Index n_features_in() const { return smote().n_features_in(); }

 private:
  static Params validated(const Params& p) {
    detail::check_common_params("SmoteTomek", p.k_neighbors, "k_neighbors", p.sampling_strategy,
                                p.n_threads);
    detail::validate_strategy(p.tomek_strategy, detail::SamplingType::clean, "SmoteTomek");
    return p;
  }

  Params params_{};
  std::optional<Smote<Scalar, Metric>> smote_;
  std::optional<TomekLinks<Scalar, Metric>> tomek_;
};

OSPREY_NAMESPACE_END

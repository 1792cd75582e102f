/** \file
 *  SMOTE and its borderline variants: `Smote` (Chawla et al. 2002) and `BorderlineSmote` (Han,
 *  Wang & Mao 2005, borderline-1 and -2), with imbalanced-learn's sampling strategies.
 *  `SmoteTomek` is in smote_tomek.hpp.
 *
 *  A synthetic row is `x + u (n - x)` with x a row of the class being grown, n one of its
 *  k nearest same-class neighbours (x itself excluded) and u ~ U(0, 1). The output holds the
 *  input rows first, in input order, then the synthetic rows grouped by class in ascending label
 *  order. Rows are samples, columns are features; labels are `Eigen::VectorXi`.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "../core/random.hpp"
#include "../core/types.hpp"
#include "../kernels/synthesis.hpp"
#include "detail/common.hpp"
#include "detail/oversampler.hpp"
#include "sampling_strategy.hpp"

OSPREY_NAMESPACE_BEGIN

/** Parameters of `Smote`, written with designated initialisers. */
struct SmoteParams {
  int k_neighbors = 5;                   ///< neighbours each synthetic row may move towards
  SamplingStrategy sampling_strategy{};  ///< which classes to grow, to what size
  std::uint64_t random_state = 0;        ///< seed
  int n_threads = 0;                     ///< threads (0 = max_threads())
  /** Stops fit_resample (it throws `Cancelled`, the sampler unchanged) once cancelled; polled
   *  per block of the neighbour searches and of the synthetic rows. Copies of the Params share
   *  the token. */
  CancellationToken cancellation{};
  /** Optional progress: stage "synthesize", done / total synthetic rows after each grown
   *  class. Called from the calling thread. */
  ProgressCallback progress{};
};

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
 *
 *  `fit_resample(X, y)` returns (X, y) followed by the synthetic rows.
 *  It throws InvalidArgument if X is empty or non-finite, X and y differ in length,
 *  y has one class, the strategy is impossible for y, or a class to grow has fewer than
 *  k_neighbors + 1 rows (each naming the class).
 */
template <class ScalarT = double, class Metric = Euclidean>
class Smote : public detail::OverSampler<Smote<ScalarT, Metric>, ScalarT, Metric, SmoteParams> {
  using Base = detail::OverSampler<Smote<ScalarT, Metric>, ScalarT, Metric, SmoteParams>;
  friend Base;

 public:
  using Scalar = ScalarT;      ///< element type of the output
  using MetricType = Metric;   ///< distance of the neighbour search
  using Params = SmoteParams;  ///< the parameters (the same type for every ScalarT)

  Smote() = default;
  /** \throws InvalidArgument for k_neighbors < 1, n_threads < 0 or a strategy an over-sampler
   *  cannot use. */
  explicit Smote(const Params& params) : Base(params) {}

 private:
  static constexpr std::string_view name = "Smote";
  static constexpr bool finite_later = true;  // copy_with_room checks X

  static Params validated(const Params& p) {
    detail::check_common_params(name, p.k_neighbors, "k_neighbors", p.sampling_strategy,
                                p.n_threads);
    return p;
  }

  // The rows of each class to grow (gathered per class later), after the class-size checks.
  struct FitPlan {
    std::map<int, std::vector<Eigen::Index>> by_class;
  };

  template <class Derived>
  FitPlan plan_fit(const Eigen::MatrixBase<Derived>&, const Eigen::Ref<const Eigen::VectorXi>& y,
                   const detail::ClassCounts& counts, std::map<int, Eigen::Index>& targets,
                   detail::OverSamplingState&) const {
    for (const auto& [label, n] : targets) {
      detail::check_class_size(name, label, counts.at(label), this->params().k_neighbors,
                               "k_neighbors");
    }
    return {detail::rows_by_class(y, counts, &targets)};
  }

  // One grown class: its rows (row-major), their k nearest same-class rows (leave-one-out), and
  // a draw of a (row, neighbour) pair uniformly from the n_c x k table, then u ~ U(0, 1).
  struct ClassPlan {
    const std::vector<Eigen::Index>* rows;
    RowMatrix<Scalar> Xc;
    Eigen::MatrixXi nn;
    int k;
    std::uint64_t n_pairs;  // n_c x k

    kernels::SyntheticDraw<Scalar> draw(Rng& r, Eigen::Index) const {
      const Eigen::Index d = Xc.cols();
      const Scalar* xc = Xc.data();
      const std::uint64_t pick = r.bounded(n_pairs);
      const auto i = static_cast<Eigen::Index>(pick / static_cast<std::uint64_t>(k));
      const auto c = static_cast<Eigen::Index>(pick % static_cast<std::uint64_t>(k));
      const Eigen::Index j = nn(i, c);
      const auto u = static_cast<Scalar>(r.uniform());
      return {xc + i * d, xc + j * d, u, static_cast<int>((*rows)[static_cast<std::size_t>(i)]),
              static_cast<int>((*rows)[static_cast<std::size_t>(j)])};
    }
  };

  // The class rows are gathered from the caller's X (contiguous when X is row-major), cast as
  // the output was.
  template <class Derived>
  ClassPlan plan_class(const FitPlan& plan, const Eigen::MatrixBase<Derived>& X,
                       const Eigen::Ref<const Eigen::VectorXi>&, int label, Eigen::Index) const {
    const auto& p = this->params();
    const auto& rows = plan.by_class.at(label);
    ClassPlan c{&rows,
                detail::gather_rows<Scalar>(X, rows, p.n_threads, this->stop()),
                {},
                p.k_neighbors,
                0};
    const auto self = detail::iota(c.Xc.rows());
    c.nn = detail::kneighbors<Scalar, Metric>(c.Xc, c.Xc, c.k, &self, p.n_threads, p.cancellation);
    c.n_pairs = static_cast<std::uint64_t>(c.Xc.rows()) * static_cast<std::uint64_t>(c.k);
    return c;
  }

  void finish(FitPlan&, detail::OverSamplingState&) const {}
};

/** Which Borderline-SMOTE variant (Han, Wang & Mao, ICIC 2005). */
enum class BorderlineKind {
  borderline1,  ///< interpolate only towards same-class neighbours
  borderline2   ///< also towards other-class neighbours, at most half way
};

/** Parameters of `BorderlineSmote`, written with designated initialisers. */
struct BorderlineSmoteParams {
  int k_neighbors = 5;                                ///< neighbours to interpolate towards
  int m_neighbors = 10;                               ///< neighbours that decide "danger"
  BorderlineKind kind = BorderlineKind::borderline1;  ///< variant
  SamplingStrategy sampling_strategy{};               ///< which classes to grow, to what size
  std::uint64_t random_state = 0;                     ///< seed
  int n_threads = 0;                                  ///< threads (0 = max_threads())
  /** Stops fit_resample (it throws `Cancelled`, the sampler unchanged) once cancelled; polled
   *  per block of the neighbour searches and of the synthetic rows. Copies of the Params share
   *  the token. */
  CancellationToken cancellation{};
  /** Optional progress: stage "synthesize", done / total synthetic rows after each grown
   *  class. Called from the calling thread. */
  ProgressCallback progress{};
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
 *
 *  `fit_resample(X, y)` returns (X, y) followed by synthetic rows grown from the danger rows;
 *  `n_generated()` reports 0 for a targeted class with no danger row.
 *  It throws InvalidArgument as Smote, and when X has at most m_neighbors rows.
 */
template <class ScalarT = double, class Metric = Euclidean>
class BorderlineSmote : public detail::OverSampler<BorderlineSmote<ScalarT, Metric>, ScalarT,
                                                   Metric, BorderlineSmoteParams> {
  using Base =
      detail::OverSampler<BorderlineSmote<ScalarT, Metric>, ScalarT, Metric, BorderlineSmoteParams>;
  friend Base;

 public:
  using Scalar = ScalarT;                ///< element type of the output
  using MetricType = Metric;             ///< distance of the neighbour searches
  using Params = BorderlineSmoteParams;  ///< the parameters (the same type for every ScalarT)

  BorderlineSmote() = default;
  /** \throws InvalidArgument for k_neighbors or m_neighbors < 1, n_threads < 0 or a strategy an
   *  over-sampler cannot use. */
  explicit BorderlineSmote(const Params& params) : Base(params) {}

  /** The input rows found in danger (of every targeted class), ascending. */
  [[nodiscard]] const Eigen::VectorXi& danger_indices() const { return this->state().danger; }

 private:
  static constexpr std::string_view name = "BorderlineSmote";
  static constexpr bool finite_later = false;

  static Params validated(const Params& p) {
    detail::check_common_params(name, p.k_neighbors, "k_neighbors", p.sampling_strategy,
                                p.n_threads);
    detail::check_param(p.m_neighbors >= 1, "m_neighbors", p.m_neighbors, ">= 1");
    return p;
  }

  // X as Scalar (row-major), the rows of every class, and the danger rows (class-local
  // positions) of each class to grow; a class without any is not grown.
  struct FitPlan {
    RowMatrix<Scalar> Xall;
    std::map<int, std::vector<Eigen::Index>> by_class;
    std::map<int, std::vector<Eigen::Index>> danger;
  };

  template <class Derived>
  FitPlan plan_fit(const Eigen::MatrixBase<Derived>& X, const Eigen::Ref<const Eigen::VectorXi>& y,
                   const detail::ClassCounts& counts, std::map<int, Eigen::Index>& targets,
                   detail::OverSamplingState& s) const {
    const int k = this->params().k_neighbors;
    const int m = this->params().m_neighbors;
    if (!targets.empty() && X.rows() < static_cast<Eigen::Index>(m) + 1) {
      detail::fail("BorderlineSmote: m_neighbors = ", m, " needs at least ", m + 1,
                   " rows in X (got ", X.rows(), ")");
    }
    for (const auto& [label, n] : targets) {
      detail::check_class_size(name, label, counts.at(label), k, "k_neighbors");
    }
    FitPlan plan{{}, detail::rows_by_class(y, counts), {}};
    // polled: a copy of a large X into fresh memory must not delay a cancel
    detail::assign_polled(plan.Xall, X, detail::Stop{&this->params().cancellation, "fit_resample"});
    std::vector<int> danger_rows;
    for (auto it = targets.begin(); it != targets.end();) {
      const int label = it->first;
      auto& list = plan.danger[label];
      find_danger(plan.Xall, y, plan.by_class.at(label), label, list, danger_rows);
      if (list.empty()) {
        it = targets.erase(it);
      } else {
        ++it;
      }
    }
    std::sort(danger_rows.begin(), danger_rows.end());
    s.danger = Eigen::Map<const Eigen::VectorXi>(danger_rows.data(),
                                                 static_cast<Eigen::Index>(danger_rows.size()));
    return plan;
  }

  // Appends the class rows in danger (m/2 <= other-class neighbours among m < m) to `list`
  // (class-local positions) and `danger_rows` (input rows).
  void find_danger(const RowMatrix<Scalar>& Xall, const Eigen::Ref<const Eigen::VectorXi>& y,
                   const std::vector<Eigen::Index>& rows, int label,
                   std::vector<Eigen::Index>& list, std::vector<int>& danger_rows) const {
    const int m = this->params().m_neighbors;
    const int n_threads = this->params().n_threads;
    const RowMatrix<Scalar> Xc = detail::gather_rows<Scalar>(Xall, rows, n_threads, this->stop());
    const Eigen::MatrixXi nn_m = detail::kneighbors<Scalar, Metric>(Xall, Xc, m, &rows, n_threads,
                                                                    this->params().cancellation);
    for (Eigen::Index i = 0; i < nn_m.rows(); ++i) {
      int other = 0;
      for (int c = 0; c < m; ++c) other += y(nn_m(i, c)) != label ? 1 : 0;
      if (2 * other >= m && other < m) {
        list.push_back(i);
        danger_rows.push_back(static_cast<int>(rows[static_cast<std::size_t>(i)]));
      }
    }
  }

  // One grown class: its rows, the k nearest same-class rows of its danger rows and, for
  // borderline-2, their k nearest rows of the other classes. A draw picks a danger row, then
  // (borderline-2: with probability 1/2 an other-class neighbour with u in [0, 0.5), else) a
  // same-class neighbour with u in [0, 1).
  struct ClassPlan {
    const std::vector<Eigen::Index>* rows;
    const std::vector<Eigen::Index>* danger;
    RowMatrix<Scalar> Xc;
    Eigen::MatrixXi nn_same;
    bool two = false;
    std::vector<Eigen::Index> others;
    RowMatrix<Scalar> Xo;
    Eigen::MatrixXi nn_other;
    int k = 0;
    int k_other = 0;

    kernels::SyntheticDraw<Scalar> draw(Rng& r, Eigen::Index) const {
      const auto n_danger = static_cast<std::uint64_t>(danger->size());
      const Eigen::Index d = Xc.cols();
      const Scalar* xc = Xc.data();
      const auto i = static_cast<Eigen::Index>(r.bounded(n_danger));
      const Eigen::Index base = (*danger)[static_cast<std::size_t>(i)];
      const double u = r.uniform();
      const int base_row = static_cast<int>((*rows)[static_cast<std::size_t>(base)]);
      if (two && r.bounded(2) == 1) {
        const Eigen::Index j =
            nn_other(i, static_cast<Eigen::Index>(r.bounded(static_cast<std::uint64_t>(k_other))));
        return {xc + base * d, Xo.data() + j * d, static_cast<Scalar>(0.5 * u), base_row,
                static_cast<int>(others[static_cast<std::size_t>(j)])};
      }
      const Eigen::Index j =
          nn_same(i, static_cast<Eigen::Index>(r.bounded(static_cast<std::uint64_t>(k))));
      return {xc + base * d, xc + j * d, static_cast<Scalar>(u), base_row,
              static_cast<int>((*rows)[static_cast<std::size_t>(j)])};
    }
  };

  template <class Derived>
  ClassPlan plan_class(const FitPlan& plan, const Eigen::MatrixBase<Derived>&,
                       const Eigen::Ref<const Eigen::VectorXi>& y, int label, Eigen::Index) const {
    const auto& p = this->params();
    ClassPlan c;
    c.rows = &plan.by_class.at(label);
    c.danger = &plan.danger.at(label);
    c.k = p.k_neighbors;
    c.Xc = detail::gather_rows<Scalar>(plan.Xall, *c.rows, p.n_threads, this->stop());
    const RowMatrix<Scalar> Xd =
        detail::gather_rows<Scalar>(c.Xc, *c.danger, p.n_threads, this->stop());
    c.nn_same =
        detail::kneighbors<Scalar, Metric>(c.Xc, Xd, c.k, c.danger, p.n_threads, p.cancellation);
    c.two = p.kind == BorderlineKind::borderline2;
    if (c.two) {
      for (Eigen::Index i = 0; i < y.size(); ++i) {
        if (y(i) != label) c.others.push_back(i);
      }
      c.Xo = detail::gather_rows<Scalar>(plan.Xall, c.others, p.n_threads, this->stop());
      c.k_other = static_cast<int>(std::min<Eigen::Index>(c.k, c.Xo.rows()));
      c.nn_other = detail::kneighbors<Scalar, Metric>(c.Xo, Xd, c.k_other, nullptr, p.n_threads,
                                                      p.cancellation);
    }
    return c;
  }

  // A targeted class with no danger row is reported with 0 rows made.
  void finish(FitPlan& plan, detail::OverSamplingState& s) const {
    for (const auto& kv : plan.danger) {
      if (s.n_generated.count(kv.first) == 0) s.n_generated[kv.first] = 0;
    }
  }
};

OSPREY_NAMESPACE_END

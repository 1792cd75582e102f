/** \file
 *  ADASYN (He, Bai, Garcia & Li, IJCNN 2008): adaptive synthetic over-sampling that makes more
 *  synthetic rows around the class rows that are harder to learn, with imbalanced-learn's
 *  sampling strategies and per-row counts.
 *
 *  Rows are samples, columns are features; labels are `Eigen::VectorXi`.
 */
#pragma once

#include <Eigen/Core>
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

namespace detail {
/** round(num / den) with ties to even (numpy's `rint`), exactly, for num >= 0 and den > 0. */
[[nodiscard]] constexpr std::int64_t round_half_even(std::int64_t num, std::int64_t den) noexcept {
  const std::int64_t q = num / den;
  const std::int64_t twice_rem = 2 * (num % den);
  if (twice_rem > den || (twice_rem == den && (q % 2) != 0)) return q + 1;
  return q;
}
}  // namespace detail

/** Parameters of `Adasyn`, written with designated initialisers (imbalanced-learn's names). */
struct AdasynParams {
  int n_neighbors = 5;                   ///< neighbours for both the ratio and interpolation
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

/** ADASYN (He et al. 2008). For a class c to grow by G rows, each class row x_i gets
 *  r_i = (number of its `n_neighbors` nearest rows of X, itself excluded, not in c) / n_neighbors,
 *  and g_i = rint(G r_i / sum_j r_j) synthetic rows (ties to even, as imbalanced-learn's numpy
 *  `rint`; computed exactly in integers). Each is `x_i + u (n - x_i)`, with n drawn uniformly
 *  among x_i's `n_neighbors` nearest same-class rows and u ~ U(0, 1). The class therefore grows
 *  by sum_i g_i, which rounding may make differ slightly from G, exactly as in imbalanced-learn.
 *  Synthetic rows of a class come in class-row order (x_0's first).
 *
 *  \tparam ScalarT float or double. \tparam Metric a NearestNeighbors metric (default Euclidean).
 *  Randomness, threads: as Smote. Complexity: per grown class one n_neighbors search of its rows
 *  against X and one inside the class, plus O(G d).
 *
 *  `fit_resample(X, y)` returns (X, y) followed by the synthetic rows.
 *  It throws InvalidArgument as Smote (with n_neighbors), when no row of a class to
 *  grow has a neighbour of another class (r_i all zero), or when rounding leaves a class with no
 *  row to generate (each naming the class).
 */
template <class ScalarT = double, class Metric = Euclidean>
class Adasyn : public detail::OverSampler<Adasyn<ScalarT, Metric>, ScalarT, Metric, AdasynParams> {
  using Base = detail::OverSampler<Adasyn<ScalarT, Metric>, ScalarT, Metric, AdasynParams>;
  friend Base;

 public:
  using Scalar = ScalarT;       ///< element type of the output
  using MetricType = Metric;    ///< distance of the neighbour searches
  using Params = AdasynParams;  ///< the parameters (the same type for every ScalarT)

  Adasyn() = default;
  /** \throws InvalidArgument for n_neighbors < 1, n_threads < 0 or a strategy an over-sampler
   *  cannot use. */
  explicit Adasyn(const Params& params) : Base(params) {}

  /** For each grown class, g_i: synthetic rows made from its i-th row (class rows in input
   *  order). */
  [[nodiscard]] const std::map<int, Eigen::VectorXi>& samples_per_row() const {
    return this->state().per_sample;
  }

 private:
  static constexpr std::string_view name = "Adasyn";
  static constexpr bool finite_later = false;

  static Params validated(const Params& p) {
    detail::check_common_params(name, p.n_neighbors, "n_neighbors", p.sampling_strategy,
                                p.n_threads);
    return p;
  }

  // X as Scalar (row-major), the rows of every class and the per-row counts g of each class to
  // grow (moved to the state by finish).
  struct FitPlan {
    RowMatrix<Scalar> Xall;
    std::map<int, std::vector<Eigen::Index>> by_class;
    std::map<int, Eigen::VectorXi> per_sample;
  };

  template <class Derived>
  FitPlan plan_fit(const Eigen::MatrixBase<Derived>& X, const Eigen::Ref<const Eigen::VectorXi>& y,
                   const detail::ClassCounts& counts, std::map<int, Eigen::Index>& targets,
                   detail::OverSamplingState&) const {
    const int k = this->params().n_neighbors;
    for (const auto& [label, n] : targets) {
      detail::check_class_size(name, label, counts.at(label), k, "n_neighbors");
    }
    FitPlan plan{{}, detail::rows_by_class(y, counts), {}};
    // polled: a copy of a large X into fresh memory must not delay a cancel
    detail::assign_polled(plan.Xall, X, detail::Stop{&this->params().cancellation, "fit_resample"});
    for (auto& [label, n_new] : targets) {
      plan.per_sample[label] = rows_per_seed(plan.Xall, y, plan.by_class.at(label), label, n_new);
    }
    return plan;
  }

  // g_i = rint(G r_i / sum_j r_j) for each row of the class, r_i its other-class neighbours;
  // n_new (G) becomes sum_i g_i. Throws InvalidArgument when every r_i is 0 or the g_i sum to 0.
  Eigen::VectorXi rows_per_seed(const RowMatrix<Scalar>& Xall,
                                const Eigen::Ref<const Eigen::VectorXi>& y,
                                const std::vector<Eigen::Index>& rows, int label,
                                Eigen::Index& n_new) const {
    const int k = this->params().n_neighbors;
    const int n_threads = this->params().n_threads;
    const RowMatrix<Scalar> Xc = detail::gather_rows<Scalar>(Xall, rows, n_threads, this->stop());
    const Eigen::MatrixXi nn = detail::kneighbors<Scalar, Metric>(Xall, Xc, k, &rows, n_threads,
                                                                  this->params().cancellation);
    Eigen::VectorXi other(Xc.rows());
    std::int64_t sum = 0;
    for (Eigen::Index i = 0; i < nn.rows(); ++i) {
      int c = 0;
      for (int j = 0; j < k; ++j) c += y(nn(i, j)) != label ? 1 : 0;
      other(i) = c;
      sum += c;
    }
    if (sum == 0) {
      detail::fail("Adasyn: no row of class ", label, " has a neighbour of another class among ",
                   "its n_neighbors = ", k,
                   " nearest, so ADASYN's weights are undefined; use "
                   "Smote for this class");
    }
    Eigen::VectorXi g(Xc.rows());
    Eigen::Index class_total = 0;
    for (Eigen::Index i = 0; i < g.size(); ++i) {
      g(i) = static_cast<int>(
          detail::round_half_even(other(i) * static_cast<std::int64_t>(n_new), sum));
      class_total += g(i);
    }
    if (class_total == 0) {
      detail::fail("Adasyn: rounding leaves no synthetic row for class ", label, " (asked ", n_new,
                   "); ask for more rows");
    }
    n_new = class_total;
    return g;
  }

  // One grown class: its rows, their k nearest same-class rows (leave-one-out), and owner[s],
  // the class row synthetic row s starts from (row i repeated g_i times, in order). A draw
  // picks one of the owner's neighbours, then u ~ U(0, 1).
  struct ClassPlan {
    const std::vector<Eigen::Index>* rows;
    RowMatrix<Scalar> Xc;
    Eigen::MatrixXi nn;
    std::vector<Eigen::Index> owner;
    int k;

    kernels::SyntheticDraw<Scalar> draw(Rng& r, Eigen::Index sample) const {
      const Eigen::Index d = Xc.cols();
      const Scalar* xc = Xc.data();
      const Eigen::Index i = owner[static_cast<std::size_t>(sample)];
      const Eigen::Index j =
          nn(i, static_cast<Eigen::Index>(r.bounded(static_cast<std::uint64_t>(k))));
      const auto u = static_cast<Scalar>(r.uniform());
      return {xc + i * d, xc + j * d, u, static_cast<int>((*rows)[static_cast<std::size_t>(i)]),
              static_cast<int>((*rows)[static_cast<std::size_t>(j)])};
    }
  };

  template <class Derived>
  ClassPlan plan_class(const FitPlan& plan, const Eigen::MatrixBase<Derived>&,
                       const Eigen::Ref<const Eigen::VectorXi>&, int label,
                       Eigen::Index n_new) const {
    const auto& p = this->params();
    const auto& rows = plan.by_class.at(label);
    ClassPlan c{&rows,
                detail::gather_rows<Scalar>(plan.Xall, rows, p.n_threads, this->stop()),
                {},
                {},
                p.n_neighbors};
    const auto self = detail::iota(c.Xc.rows());
    c.nn = detail::kneighbors<Scalar, Metric>(c.Xc, c.Xc, c.k, &self, p.n_threads, p.cancellation);
    const Eigen::VectorXi& g = plan.per_sample.at(label);
    c.owner.reserve(static_cast<std::size_t>(n_new));
    for (Eigen::Index i = 0; i < g.size(); ++i)
      c.owner.insert(c.owner.end(), static_cast<std::size_t>(g(i)), i);
    return c;
  }

  void finish(FitPlan& plan, detail::OverSamplingState& s) const {
    s.per_sample = std::move(plan.per_sample);
  }
};

OSPREY_NAMESPACE_END

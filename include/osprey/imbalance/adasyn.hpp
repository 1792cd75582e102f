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
#include <optional>
#include <vector>

#include "../core/types.hpp"
#include "common.hpp"
#include "smote.hpp"

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
 */
template <class ScalarT = double, class Metric = Euclidean>
class Adasyn {
 public:
  using Scalar = ScalarT;     ///< element type of the output
  using MetricType = Metric;  ///< distance of the neighbour searches

  /** Parameters, written with designated initialisers (imbalanced-learn's names). */
  struct Params {
    int n_neighbors = 5;                   ///< neighbours for both the ratio and interpolation
    SamplingStrategy sampling_strategy{};  ///< which classes to grow, to what size
    std::uint64_t random_state = 0;        ///< seed
    int n_threads = 0;                     ///< threads (0 = all)
  };

  Adasyn() = default;
  /** \throws InvalidArgument for n_neighbors < 1, n_threads < 0 or a strategy an over-sampler
   *  cannot use. */
  explicit Adasyn(const Params& params) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters; the sampler becomes unfitted. */
  void set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
  }

  /** Returns (X, y) followed by the synthetic rows.
   *  \throws InvalidArgument as Smote (with n_neighbors), when no row of a class to grow has a
   * neighbour of another class (r_i all zero), or when rounding leaves a class with no row to
   * generate (each naming the class). */
  template <class Derived>
  Resampled<Scalar> fit_resample(const Eigen::MatrixBase<Derived>& X, const Eigen::VectorXi& y) {
    detail::check_resample_input<Scalar>(X, y, "Adasyn");
    const auto counts = detail::count_classes(y);
    auto targets = detail::resolve_strategy(params_.sampling_strategy, counts,
                                            detail::SamplingType::over, "Adasyn");
    std::erase_if(targets, [](const auto& kv) { return kv.second == 0; });
    const int k = params_.n_neighbors;
    for (const auto& [label, n] : targets) {
      detail::check_class_size("Adasyn", label, counts.at(label), k, "n_neighbors");
    }
    const RowMatrix<Scalar> Xall = X.template cast<Scalar>();
    const auto by_class = detail::rows_by_class(y, counts);

    detail::OverSamplingState s;
    s.n_features = X.cols();
    Eigen::Index total = 0;
    for (auto& [label, n_new] : targets) {
      const auto& rows = by_class.at(label);
      const RowMatrix<Scalar> Xc = detail::gather_rows<Scalar>(Xall, rows, params_.n_threads);
      const Eigen::MatrixXi nn = detail::kneighbors<Metric>(Xall, Xc, k, &rows, params_.n_threads);
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
        detail::fail("Adasyn: rounding leaves no synthetic row for class ", label, " (asked ",
                     n_new, "); ask for more rows");
      }
      n_new = class_total;
      s.per_sample[label] = std::move(g);
      total += class_total;
    }

    s.base.resize(total);
    s.neighbor.resize(total);
    Resampled<Scalar> out;
    out.X = detail::copy_with_room<Scalar>(X, total, params_.n_threads);
    out.y = detail::stack_labels(y, targets, total);
    const Rng root(params_.random_state);
    Eigen::Index done = 0;
    for (const auto& [label, n_new] : targets) {
      generate_class(out.X, X.rows() + done, done, n_new, Xall, by_class.at(label),
                     s.per_sample.at(label), root.split(static_cast<std::uint32_t>(label)), s);
      s.n_generated[label] = n_new;
      done += n_new;
    }
    state_ = std::move(s);
    return out;
  }

  /** True once fit_resample has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** Synthetic rows made per grown class (sum of the per-row counts). */
  [[nodiscard]] const std::map<int, Eigen::Index>& n_generated() const {
    return state().n_generated;
  }
  /** For each grown class, g_i: synthetic rows made from its i-th row (class rows in input
   *  order). */
  [[nodiscard]] const std::map<int, Eigen::VectorXi>& samples_per_row() const {
    return state().per_sample;
  }
  /** For synthetic row s, the input row it starts from. */
  [[nodiscard]] const Eigen::VectorXi& synthetic_base() const { return state().base; }
  /** For synthetic row s, the input row (a same-class neighbour) it moves towards. */
  [[nodiscard]] const Eigen::VectorXi& synthetic_neighbor() const { return state().neighbor; }
  /** Number of features seen by the last fit_resample. */
  [[nodiscard]] Eigen::Index n_features_in() const { return state().n_features; }

 private:
  static Params validated(const Params& p) {
    detail::check_common_params("Adasyn", p.n_neighbors, "n_neighbors", p.sampling_strategy,
                                p.n_threads);
    return p;
  }
  const detail::OverSamplingState& state() const {
    detail::check_fitted(state_.has_value(), "Adasyn");
    return *state_;
  }

  void generate_class(Matrix<Scalar>& out, Eigen::Index offset, Eigen::Index record_offset,
                      Eigen::Index n_new, const RowMatrix<Scalar>& Xall,
                      const std::vector<Eigen::Index>& rows, const Eigen::VectorXi& g,
                      const Rng& rng, detail::OverSamplingState& s) const {
    const int k = params_.n_neighbors;
    const RowMatrix<Scalar> Xc = detail::gather_rows<Scalar>(Xall, rows, params_.n_threads);
    const auto self = detail::iota(Xc.rows());
    const Eigen::MatrixXi nn = detail::kneighbors<Metric>(Xc, Xc, k, &self, params_.n_threads);
    // owner[s]: the class row synthetic row s starts from (rows repeated g_i times, in order).
    std::vector<Eigen::Index> owner;
    owner.reserve(static_cast<std::size_t>(n_new));
    for (Eigen::Index i = 0; i < g.size(); ++i)
      owner.insert(owner.end(), static_cast<std::size_t>(g(i)), i);
    const Eigen::Index d = Xc.cols();
    const Scalar* xc = Xc.data();
    detail::synthesize(
        out, offset, n_new, rng, params_.n_threads, s.base, s.neighbor, record_offset,
        [&](Rng& r, Eigen::Index sample) {
          const Eigen::Index i = owner[static_cast<std::size_t>(sample)];
          const Eigen::Index j =
              nn(i, static_cast<Eigen::Index>(r.bounded(static_cast<std::uint64_t>(k))));
          const auto u = static_cast<Scalar>(r.uniform());
          return detail::SyntheticDraw<Scalar>{xc + i * d, xc + j * d, u,
                                               static_cast<int>(rows[static_cast<std::size_t>(i)]),
                                               static_cast<int>(rows[static_cast<std::size_t>(j)])};
        });
  }

  Params params_{};
  std::optional<detail::OverSamplingState> state_;
};

OSPREY_NAMESPACE_END

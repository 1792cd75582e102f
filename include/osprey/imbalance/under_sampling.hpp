/** \file
 *  Under-sampling and cleaning: `RandomUnderSampler` (with or without replacement) and
 *  `TomekLinks` (removes one or both ends of every Tomek link), as imbalanced-learn defines
 *  them. Both keep the surviving rows in input order and report which rows survived.
 *
 *  Rows are samples, columns are features; labels are `Eigen::VectorXi`.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "../core/detail/stop.hpp"
#include "../core/random.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "detail/common.hpp"
#include "sampling_strategy.hpp"

OSPREY_NAMESPACE_BEGIN

namespace detail {
struct UnderSamplingState {
  Eigen::VectorXi sample_indices;       // kept rows of the input, ascending
  std::map<int, Eigen::Index> targets;  // resolved strategy
  Eigen::Index n_features = 0;
};
struct TomekState {
  Eigen::VectorXi sample_indices;       // kept rows of the input, ascending
  Eigen::VectorXi partner;              // Tomek partner of each row, or -1
  std::map<int, Eigen::Index> targets;  // classes cleaned
  Eigen::Index n_features = 0;
};

/** Rows `keep` (ascending) of X and y as a Resampled. */
template <class Scalar, class Derived>
[[nodiscard]] Resampled<Scalar> take_rows(const Eigen::MatrixBase<Derived>& X,
                                          const Eigen::Ref<const Eigen::VectorXi>& y,
                                          const Eigen::VectorXi& keep, int n_threads) {
  Resampled<Scalar> out;
  out.X.resize(keep.size(), X.cols());
  out.y.resize(keep.size());
  parallel_for(Eigen::Index{0}, X.cols(), n_threads, [&](Eigen::Index j) {
    for (Eigen::Index i = 0; i < keep.size(); ++i) {
      out.X(i, j) = static_cast<Scalar>(X(keep(i), j));
    }
  });
  for (Eigen::Index i = 0; i < keep.size(); ++i) out.y(i) = y(keep(i));
  return out;
}

/** What both under-samplers do first: checks (X, y) for `sampler`, counts the classes, records
 *  the feature count in `s.n_features` and resolves `strategy` into `s.targets`. Returns the
 *  class counts. */
template <class Scalar, class State, class Derived>
ClassCounts begin_under_sampling(const Eigen::MatrixBase<Derived>& X,
                                 const Eigen::Ref<const Eigen::VectorXi>& y,
                                 const SamplingStrategy& strategy, SamplingType type,
                                 std::string_view sampler, State& s) {
  check_resample_input<Scalar>(X, y, sampler);
  ClassCounts counts = count_classes(y);
  s.n_features = X.cols();
  s.targets = resolve_strategy(strategy, counts, type, sampler);
  return counts;
}

/** What both under-samplers do last: records the kept rows `keep` (ascending) in
 *  `s.sample_indices` and returns those rows of X and y. */
template <class Scalar, class State, class Derived>
[[nodiscard]] Resampled<Scalar> keep_rows(const Eigen::MatrixBase<Derived>& X,
                                          const Eigen::Ref<const Eigen::VectorXi>& y,
                                          const std::vector<int>& keep, int n_threads, State& s) {
  s.sample_indices =
      Eigen::Map<const Eigen::VectorXi>(keep.data(), static_cast<Eigen::Index>(keep.size()));
  return take_rows<Scalar>(X, y, s.sample_indices, n_threads);
}
}  // namespace detail

/** Parameters of `RandomUnderSampler`, written with designated initialisers. */
struct RandomUnderSamplerParams {
  SamplingStrategy sampling_strategy{};  ///< which classes to shrink, to what size
  bool replacement = false;              ///< draw kept rows with replacement
  std::uint64_t random_state = 0;        ///< seed
  int n_threads = 0;                     ///< threads for the copy (0 = all)
};

/** Randomly drops rows of the targeted classes until each has its target count (imbalanced-learn's
 *  RandomUnderSampler). With `replacement`, the kept rows are drawn with replacement, so a row
 *  may appear more than once.
 *
 *  Default strategy "auto": every class but the minority down to the minority's count. Rows of
 *  untargeted classes are all kept. The output keeps the surviving rows in input order (a row
 *  drawn twice appears twice, side by side); `sample_indices()` lists them. (imbalanced-learn
 *  returns them grouped by class in draw order; the sets are the same kind of sample.)
 *
 *  \tparam ScalarT float or double: the output's element type.
 *  Randomness: class c draws from `Rng(random_state).split(c)`, so the result does not depend on
 *  the other classes or the thread count. Complexity: O(n d). Thread safety: fit_resample mutates
 *  the sampler; const accessors may run concurrently.
 */
template <class ScalarT = double>
class RandomUnderSampler {
 public:
  using Scalar = ScalarT;  ///< element type of the output

  using Params = RandomUnderSamplerParams;  ///< the parameters (the same type for every ScalarT)

  RandomUnderSampler() = default;
  /** \throws InvalidArgument for a strategy an under-sampler cannot use or n_threads < 0. */
  explicit RandomUnderSampler(const Params& params) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters; the sampler becomes unfitted. */
  RandomUnderSampler& set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
    return *this;
  }

  /** Resamples (X, y).
   *  \throws InvalidArgument if X is empty or non-finite, X and y differ in length, y has one
   *  class, or the strategy asks for more rows than a class has (naming the class). */
  template <class Derived>
  Resampled<Scalar> fit_resample(const Eigen::MatrixBase<Derived>& X,
                                 const Eigen::Ref<const Eigen::VectorXi>& y) {
    detail::UnderSamplingState s;
    const auto counts = detail::begin_under_sampling<Scalar>(
        X, y, params_.sampling_strategy, detail::SamplingType::under, "RandomUnderSampler", s);
    const auto by_class = detail::rows_by_class(y, counts);
    std::vector<int> keep;
    keep.reserve(static_cast<std::size_t>(y.size()));
    const Rng root(params_.random_state);
    for (const auto& [label, rows] : by_class) {
      const auto target = s.targets.find(label);
      if (target == s.targets.end()) {
        for (const auto r : rows) keep.push_back(static_cast<int>(r));
        continue;
      }
      Rng rng = root.split(static_cast<std::uint32_t>(label));
      const auto n_rows = static_cast<std::uint64_t>(rows.size());
      const auto n_keep = static_cast<std::size_t>(target->second);
      if (params_.replacement) {
        for (std::size_t i = 0; i < n_keep; ++i) {
          keep.push_back(static_cast<int>(rows[rng.bounded(n_rows)]));
        }
      } else {
        // Partial Fisher-Yates: the first n_keep positions are a uniform sample.
        std::vector<Eigen::Index> pool = rows;
        for (std::size_t i = 0; i < n_keep; ++i) {
          const auto j = i + static_cast<std::size_t>(rng.bounded(n_rows - i));
          std::swap(pool[i], pool[j]);
          keep.push_back(static_cast<int>(pool[i]));
        }
      }
    }
    std::sort(keep.begin(), keep.end());
    auto out = detail::keep_rows<Scalar>(X, y, keep, params_.n_threads, s);
    state_ = std::move(s);
    return out;
  }

  /** True once fit_resample has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** Rows of the input kept by the last fit_resample, ascending (repeats with replacement). */
  [[nodiscard]] const Eigen::VectorXi& sample_indices() const { return state().sample_indices; }
  /** Resolved strategy: target row count of each class that was shrunk. */
  [[nodiscard]] const std::map<int, Eigen::Index>& targets() const { return state().targets; }
  /** Number of features seen by the last fit_resample. */
  [[nodiscard]] Eigen::Index n_features_in() const { return state().n_features; }

 private:
  static Params validated(const Params& p) {
    detail::validate_strategy(p.sampling_strategy, detail::SamplingType::under,
                              "RandomUnderSampler");
    detail::check_param(p.n_threads >= 0, "n_threads", p.n_threads, ">= 0 (0 = all cores)");
    return p;
  }
  const detail::UnderSamplingState& state() const {
    detail::check_fitted(state_.has_value(), "RandomUnderSampler");
    return *state_;
  }

  Params params_{};
  std::optional<detail::UnderSamplingState> state_;
};

/** Parameters of `TomekLinks`, written with designated initialisers. */
struct TomekLinksParams {
  SamplingStrategy sampling_strategy{};  ///< auto (not minority), all, or a list of classes
  int n_threads = 0;                     ///< threads for the search (0 = max_threads())
  /** Stops fit_resample (it throws `Cancelled`, the sampler unchanged) once cancelled; polled
   *  per block of the neighbour search. Copies of the Params share the token. */
  CancellationToken cancellation{};
};

/** Removes Tomek links (Tomek 1976): rows a and b of different classes that are each other's
 *  nearest neighbour. With the default strategy "auto" only the member of a link that is not in
 *  the minority class is removed; with `SamplingStrategy::all()` both members are (what
 *  imbalanced-learn's SMOTETomek does); `SamplingStrategy::classes({...})` names the classes
 *  whose members are removed.
 *
 *  Nearest neighbours exclude the row itself (ties go to the lower index); exact duplicate rows
 *  of different classes are therefore each other's nearest neighbour and form a link.
 *
 *  \tparam ScalarT float or double. \tparam Metric a NearestNeighbors metric (default Euclidean).
 *  Complexity: one leave-one-out 1-NN search of X. Thread safety: fit_resample mutates the
 *  sampler; const accessors may run concurrently.
 */
template <class ScalarT = double, class Metric = Euclidean>
class TomekLinks {
 public:
  using Scalar = ScalarT;  ///< element type of the output

  using Params = TomekLinksParams;  ///< the parameters (the same type for every ScalarT)

  TomekLinks() = default;
  /** \throws InvalidArgument for a ratio or a map of counts (meaningless for cleaning) or
   *  n_threads < 0. */
  explicit TomekLinks(const Params& params) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters; the sampler becomes unfitted. */
  TomekLinks& set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
    return *this;
  }

  /** Removes the targeted members of every Tomek link of (X, y).
   *  \throws InvalidArgument if X is empty or non-finite, X and y differ in length, y has one
   *  class, or the strategy names a class absent from y. */
  template <class Derived>
  Resampled<Scalar> fit_resample(const Eigen::MatrixBase<Derived>& X,
                                 const Eigen::Ref<const Eigen::VectorXi>& y) {
    detail::TomekState s;
    detail::begin_under_sampling<Scalar>(X, y, params_.sampling_strategy,
                                         detail::SamplingType::clean, "TomekLinks", s);
    s.partner = detail::cancelled_as("TomekLinks", "fit_resample", [&] {
      return find_links(X, y, params_.n_threads, params_.cancellation);
    });
    std::vector<int> keep;
    keep.reserve(static_cast<std::size_t>(y.size()));
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      if (s.partner(i) >= 0 && s.targets.count(y(i)) != 0) continue;
      keep.push_back(static_cast<int>(i));
    }
    auto out = detail::keep_rows<Scalar>(X, y, keep, params_.n_threads, s);
    state_ = std::move(s);
    return out;
  }

  /** For every row of X, its nearest neighbour (leave-one-out) if the two form a Tomek link,
   *  else -1. The search polls `cancellation` (it throws `Cancelled`).
   *  \pre X finite with at least 2 rows, y as long as X. */
  template <class Derived>
  [[nodiscard]] static Eigen::VectorXi find_links(const Eigen::MatrixBase<Derived>& X,
                                                  const Eigen::Ref<const Eigen::VectorXi>& y,
                                                  int n_threads = 0,
                                                  const CancellationToken& cancellation = {}) {
    const Eigen::Index n = X.rows();
    Eigen::VectorXi partner = Eigen::VectorXi::Constant(n, -1);
    if (n < 2) return partner;
    std::vector<Eigen::Index> all(static_cast<std::size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i) all[static_cast<std::size_t>(i)] = i;
    const RowMatrix<Scalar> Xr = X.template cast<Scalar>();
    const Eigen::MatrixXi nn =
        detail::kneighbors<Scalar, Metric>(Xr, Xr, 1, &all, n_threads, cancellation);
    for (Eigen::Index i = 0; i < n; ++i) {
      const int j = nn(i, 0);
      if (y(j) != y(i) && nn(j, 0) == static_cast<int>(i)) partner(i) = j;
    }
    return partner;
  }

  /** True once fit_resample has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** Rows of the input kept by the last fit_resample, ascending. */
  [[nodiscard]] const Eigen::VectorXi& sample_indices() const { return state().sample_indices; }
  /** Tomek partner of each input row, or -1 when the row is in no link. */
  [[nodiscard]] const Eigen::VectorXi& link_partner() const { return state().partner; }
  /** The classes whose link members were removed. */
  [[nodiscard]] std::vector<int> cleaned_classes() const {
    std::vector<int> out;
    for (const auto& kv : state().targets) out.push_back(kv.first);
    return out;
  }
  /** Number of features seen by the last fit_resample. */
  [[nodiscard]] Eigen::Index n_features_in() const { return state().n_features; }

 private:
  static Params validated(const Params& p) {
    detail::validate_strategy(p.sampling_strategy, detail::SamplingType::clean, "TomekLinks");
    detail::check_param(p.n_threads >= 0, "n_threads", p.n_threads, ">= 0 (0 = all cores)");
    return p;
  }
  const detail::TomekState& state() const {
    detail::check_fitted(state_.has_value(), "TomekLinks");
    return *state_;
  }

  Params params_{};
  std::optional<detail::TomekState> state_;
};

OSPREY_NAMESPACE_END

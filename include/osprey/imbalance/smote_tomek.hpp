/** \file
 *  `SmoteTomek`: SMOTE, then Tomek-link cleaning (Batista, Prati & Monard 2004), as
 *  imbalanced-learn's SMOTETomek.
 *
 *  Rows are samples, columns are features; labels are `Eigen::VectorXi`.
 */
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <optional>

#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "sampling_strategy.hpp"
#include "smote.hpp"
#include "under_sampling.hpp"

OSPREY_NAMESPACE_BEGIN

/** Parameters of `SmoteTomek`, written with designated initialisers. */
struct SmoteTomekParams {
  int k_neighbors = 5;                                        ///< SMOTE's neighbours
  SamplingStrategy sampling_strategy{};                       ///< SMOTE's strategy
  SamplingStrategy tomek_strategy = SamplingStrategy::all();  ///< classes TomekLinks cleans
  std::uint64_t random_state = 0;                             ///< seed
  int n_threads = 0;                                          ///< threads (0 = max_threads())
  /** Stops fit_resample (it throws `Cancelled`, the sampler unchanged) once cancelled, in the
   *  SMOTE step or the Tomek search. Copies of the Params share the token. */
  CancellationToken cancellation{};
  /** Optional progress of the SMOTE step (see SmoteParams::progress). */
  ProgressCallback progress{};
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
  using Scalar = ScalarT;           ///< element type of the output
  using MetricType = Metric;        ///< distance of the neighbour searches
  using Params = SmoteTomekParams;  ///< the parameters (the same type for every ScalarT)

  SmoteTomek() = default;
  /** \throws InvalidArgument as Smote and TomekLinks. */
  explicit SmoteTomek(const Params& params) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters; the sampler becomes unfitted. */
  SmoteTomek& set_params(const Params& params) {
    params_ = validated(params);
    smote_.reset();
    tomek_.reset();
    return *this;
  }

  /** SMOTE, then removal of Tomek links. \throws InvalidArgument as Smote and TomekLinks. */
  template <class Derived>
  Resampled<Scalar> fit_resample(const Eigen::MatrixBase<Derived>& X,
                                 const Eigen::Ref<const Eigen::VectorXi>& y) {
    Smote<Scalar, Metric> smote({.k_neighbors = params_.k_neighbors,
                                 .sampling_strategy = params_.sampling_strategy,
                                 .random_state = params_.random_state,
                                 .n_threads = params_.n_threads,
                                 .cancellation = params_.cancellation,
                                 .progress = params_.progress});
    return detail::cancelled_as("SmoteTomek", "fit_resample", [&] {
      const Resampled<Scalar> grown = smote.fit_resample(X, y);
      TomekLinks<Scalar, Metric> tomek({.sampling_strategy = params_.tomek_strategy,
                                        .n_threads = params_.n_threads,
                                        .cancellation = params_.cancellation});
      Resampled<Scalar> out = tomek.fit_resample(grown.X, grown.y);
      smote_ = std::move(smote);
      tomek_ = std::move(tomek);
      return out;
    });
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

/** \file
 *  The skeleton every over-sampler of the SMOTE family shares (`detail::OverSampler`, a CRTP
 *  base): params plumbing, `fit_resample` (validation, strategy resolution, the copy of the
 *  input rows first in input order, the per-class loop, output assembly) and the accessors of
 *  the fitted state. A sampler supplies only its plan: which rows seed synthesis, how many rows
 *  each seed makes, and the draw of one synthetic row. Nothing here is public API.
 *
 *  Rows are samples, columns are features.
 */
#pragma once

#include <Eigen/Core>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "../../core/detail/stop.hpp"
#include "../../core/random.hpp"
#include "../../core/types.hpp"
#include "../../core/validation.hpp"
#include "../../kernels/synthesis.hpp"
#include "../sampling_strategy.hpp"
#include "common.hpp"

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

/** The shared skeleton of Smote, BorderlineSmote and Adasyn (CRTP).
 *
 *  `Derived` provides, as private members (the base is its friend):
 *  - `static constexpr std::string_view name` and `static constexpr bool finite_later` (true
 *    when the copy of X checks finiteness instead of the entry check);
 *  - `static Params validated(const Params&)`;
 *  - `FitPlan plan_fit(X, y, counts, targets, state) const`: the per-fit checks and preparation
 *    in the sampler's order; it may change or erase `targets` (rows to make per class) and fill
 *    sampler-specific state;
 *  - `ClassPlan plan_class(plan, X, y, label, n_new) const`, whose `ClassPlan` has a const,
 *    thread-safe `kernels::SyntheticDraw<Scalar> draw(Rng&, Eigen::Index sample) const`;
 *  - `void finish(FitPlan&, OverSamplingState&) const` (after every class is grown).
 *  `Params` has `sampling_strategy`, `random_state` and `n_threads`.
 */
template <class Derived, class ScalarT, class Metric, class ParamsT>
class OverSampler {
 public:
  using Scalar = ScalarT;     ///< element type of the output
  using MetricType = Metric;  ///< distance of the neighbour searches
  using Params = ParamsT;     ///< the sampler's parameters (independent of Scalar)

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters; the sampler becomes unfitted. */
  Derived& set_params(const Params& params) {
    params_ = Derived::validated(params);
    state_.reset();
    return static_cast<Derived&>(*this);
  }

  /** Returns (X, y) followed by the synthetic rows, grouped by class in ascending label order.
   *  \throws InvalidArgument as the sampler documents; Cancelled once params().cancellation is
   *  cancelled (the sampler keeps its previous state). */
  template <class D>
  Resampled<Scalar> fit_resample(const Eigen::MatrixBase<D>& X,
                                 const Eigen::Ref<const Eigen::VectorXi>& y) {
    Resampled<Scalar> out;
    cancelled_as(Derived::name, "fit_resample", [&] { resample(X, y, out); });
    return out;
  }

  /** fit_resample(X, y) written into `out`, whose storage is reused when out.X already has the
   *  output's shape: a caller that resamples data of one size again and again (each fold of a
   *  cross-validation, a nightly job in a long-lived service) then writes the 4 KiB pages it
   *  already has instead of faulting in fresh ones. The result is the same as fit_resample's.
   *  On an exception `out` is valid but unspecified. \throws InvalidArgument as fit_resample,
   *  and when X is `out.X` itself (the output is written while X is read). */
  template <class D>
  void fit_resample(const Eigen::MatrixBase<D>& X, const Eigen::Ref<const Eigen::VectorXi>& y,
                    Resampled<Scalar>& out) {
    if constexpr (requires { X.derived().data(); }) {
      if (static_cast<const void*>(X.derived().data()) == static_cast<const void*>(out.X.data()) &&
          out.X.size() > 0) {
        fail(Derived::name, "::fit_resample: X is the output's X; pass a copy");
      }
    }
    cancelled_as(Derived::name, "fit_resample", [&] { resample(X, y, out); });
  }

  /** True once fit_resample has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** Synthetic rows made per grown class by the last fit_resample. */
  [[nodiscard]] const std::map<int, Eigen::Index>& n_generated() const {
    return state().n_generated;
  }
  /** For synthetic row s (row n + s of the output), the input row it starts from. */
  [[nodiscard]] const Eigen::VectorXi& synthetic_base() const { return state().base; }
  /** For synthetic row s, the input row it moves towards. */
  [[nodiscard]] const Eigen::VectorXi& synthetic_neighbor() const { return state().neighbor; }
  /** Number of features seen by the last fit_resample. */
  [[nodiscard]] Eigen::Index n_features_in() const { return state().n_features; }

 protected:
  OverSampler() = default;
  explicit OverSampler(const Params& params) : params_(Derived::validated(params)) {}

  /** The Stop of fit_resample, for the plans' copies and searches. */
  [[nodiscard]] Stop stop() const { return Stop{&params_.cancellation, "fit_resample"}; }

  const OverSamplingState& state() const {
    check_fitted(state_.has_value(), Derived::name);
    return *state_;
  }

 private:
  // The body of fit_resample; a Cancelled thrown inside is renamed by fit_resample.
  template <class D>
  void resample(const Eigen::MatrixBase<D>& X, const Eigen::Ref<const Eigen::VectorXi>& y,
                Resampled<Scalar>& out) {
    const auto& self = static_cast<const Derived&>(*this);
    const Stop stop{&params_.cancellation, "fit_resample"};
    stop.check();
    check_resample_input<Scalar>(X, y, Derived::name, Derived::finite_later);
    const auto counts = count_classes(y);
    auto targets =
        resolve_strategy(params_.sampling_strategy, counts, SamplingType::over, Derived::name);
    std::erase_if(targets, [](const auto& kv) { return kv.second == 0; });
    OverSamplingState s;
    s.n_features = X.cols();
    auto plan = self.plan_fit(X, y, counts, targets, s);
    Eigen::Index total = 0;
    for (const auto& kv : targets) total += kv.second;
    s.base.resize(total);
    s.neighbor.resize(total);
    copy_with_room<Scalar>(X, total, params_.n_threads, out.X, stop);
    out.y = stack_labels(y, targets, total);
    const Rng root(params_.random_state);
    Eigen::Index done = 0;
    for (const auto& [label, n_new] : targets) {
      synthesize_class(out.X, X.rows() + done, done, n_new,
                       self.plan_class(plan, X, y, label, n_new),
                       root.split(static_cast<std::uint32_t>(label)), s);
      s.n_generated[label] = n_new;
      done += n_new;
      if (params_.progress) {
        params_.progress(Progress{"synthesize", static_cast<std::size_t>(done),
                                  static_cast<std::size_t>(total), 0.0});
      }
    }
    stop.check();
    self.finish(plan, s);
    state_ = std::move(s);
  }

  // Fills output rows [offset, offset + n_new) with the class plan's draws, and their
  // provenance from record_offset on.
  template <class ClassPlan>
  void synthesize_class(Matrix<Scalar>& out, Eigen::Index offset, Eigen::Index record_offset,
                        Eigen::Index n_new, const ClassPlan& plan, const Rng& rng,
                        OverSamplingState& s) const {
    kernels::synthesize(
        out.data() + offset, out.rows(), out.cols(), n_new, rng, params_.n_threads,
        s.base.data() + record_offset, s.neighbor.data() + record_offset,
        [&](Rng& r, Eigen::Index sample) { return plan.draw(r, sample); }, stop());
  }

  Params params_{};
  std::optional<OverSamplingState> state_;
};

}  // namespace detail
OSPREY_NAMESPACE_END

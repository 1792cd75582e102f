/** \file
 *  `PsiMonitor`: the population stability index (PSI) of a stream of batches against a reference
 *  sample, kept as bin counts only (no raw samples), with the bins and the PSI definition of
 *  `population_stability_index` (metrics/drift.hpp).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "../core/error.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../metrics/drift.hpp"

OSPREY_NAMESPACE_BEGIN

/** Parameters of `PsiMonitor`, written with designated initialisers. */
struct PsiMonitorParams {
  int n_bins = 10;                       ///< quantile bins of the reference, >= 2
  double epsilon = psi_default_epsilon;  ///< floor of a bin proportion, in (0, 1)
  /** 0 (the default): the window holds every batch since fit or the last reset_window(). N > 0:
   *  the window is the last N batches (a sliding window; older batches' counts are dropped). */
  int window_batches = 0;
};

namespace detail {
/** The fitted bins of a PsiMonitor: edges, reference counts, and the window's counts. */
struct PsiMonitorState {
  std::vector<double> edges;             ///< n_bins - 1 interior edges (drift.hpp's)
  std::vector<std::int64_t> reference;   ///< reference count per bin
  std::int64_t n_reference = 0;          ///< reference sample size
  std::vector<std::int64_t> window;      ///< window count per bin
  std::int64_t n_window = 0;             ///< samples in the window
  std::vector<std::int64_t> ring;        ///< sliding window: per-batch counts, n_bins each
  std::vector<std::int64_t> ring_sizes;  ///< sliding window: per-batch sample counts
  std::size_t ring_head = 0;             ///< sliding window: slot of the oldest batch
  std::size_t ring_used = 0;             ///< sliding window: batches held
};
}  // namespace detail

/** Population stability index of a stream against a reference sample (Siddiqi 2006).
 *
 *  `fit(reference)` fixes the bins once: the quantile bins of the reference sample, exactly as
 *  `population_stability_index(reference, actual, n_bins, epsilon)` makes them (numpy's
 *  quantiles, bins closed on the right, open outer bins). `update(batch)` adds a batch's bin
 *  counts to the window and returns `psi()`, the PSI of the window against the reference with
 *  the same epsilon floor. Only counts are kept: O(n_bins) memory whatever the stream's length
 *  (O(window_batches n_bins) for a sliding window), never a raw sample.
 *
 *  `psi()` equals `population_stability_index(reference, w, n_bins, epsilon)` bit for bit, with
 *  w the concatenation of the window's batches: the window is
 *  - every batch since fit or the last `reset_window()` (window_batches = 0, the default): a
 *    monitoring period, e.g. one day's scores, closed by the caller with reset_window();
 *  - or the last `window_batches` batches (a sliding window, each batch's counts kept in a ring
 *    and subtracted when it leaves).
 *
 *  One feature (or score) per monitor, as population_stability_index; monitor several columns
 *  with one monitor each. `reset()` is `reset_window()` (the `StreamDetector` reset).
 *
 *  \tparam ScalarT float or double: the type of the samples (binned as double, as the batch
 *  function does).
 *  Complexity: fit O(n log n); update O(b log n_bins) for a batch of b; psi O(n_bins).
 *  Thread safety: fit, update and reset mutate (one thread per monitor); const accessors may run
 *  concurrently.
 */
template <class ScalarT = double>
class PsiMonitor {
 public:
  using Scalar = ScalarT;           ///< type of the samples
  using Sample = Vector<Scalar>;    ///< what `update` takes: one batch
  using Params = PsiMonitorParams;  ///< the same type for every ScalarT

  /** A monitor with default parameters (10 bins). */
  PsiMonitor() = default;
  /** \throws InvalidArgument if n_bins < 2, epsilon outside (0, 1) or window_batches < 0. */
  explicit PsiMonitor(const Params& params) : params_(validated(params)) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces (and validates) the parameters; the monitor becomes unfitted. */
  PsiMonitor& set_params(const Params& params) {
    params_ = validated(params);
    state_.reset();
    return *this;
  }

  /** Fixes the bins from a reference sample and empties the window.
   *  \param reference a vector of at least one finite value.
   *  \throws InvalidArgument if reference is empty, not a vector, or has a non-finite value
   *  (its index named); the monitor is then unchanged. Complexity O(n log n). */
  template <class Derived>
  PsiMonitor& fit(const Eigen::MatrixBase<Derived>& reference) {
    check_batch(reference, "reference");
    detail::PsiMonitorState s;
    const std::vector<double> e = detail::sorted_as_double(reference);
    s.edges = detail::psi_edges(e, params_.n_bins);
    const auto nb = static_cast<std::size_t>(params_.n_bins);
    s.reference.assign(nb, 0);
    for (const double v : e) ++s.reference[detail::psi_bin_of(s.edges, v)];
    s.n_reference = static_cast<std::int64_t>(e.size());
    s.window.assign(nb, 0);
    state_ = std::move(s);
    return *this;
  }

  /** True once fit has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }

  /** Adds a batch to the window (dropping the oldest batch of a full sliding window).
   *  \returns psi() after the batch.
   *  \throws NotFittedError before fit; InvalidArgument for an empty batch, one that is not a
   *  vector, or a non-finite value (its index named), leaving the window unchanged.
   *  Complexity O(b log n_bins). */
  template <class Derived>
  double update(const Eigen::MatrixBase<Derived>& batch) {
    auto& s = checked_state();
    check_batch(batch, "batch");
    const auto nb = s.window.size();
    const auto cap = static_cast<std::size_t>(params_.window_batches);
    std::int64_t* slot = nullptr;
    if (cap > 0) {
      // The ring fills slots 0, 1, ... (grown on demand, so memory follows the batches seen),
      // then the oldest batch leaves before each new one.
      if (s.ring_used == cap) {
        const std::size_t old = s.ring_head;
        for (std::size_t b = 0; b < nb; ++b) s.window[b] -= s.ring[old * nb + b];
        s.n_window -= s.ring_sizes[old];
        s.ring_head = (old + 1) % cap;
        --s.ring_used;
      }
      const std::size_t at = (s.ring_head + s.ring_used) % cap;
      if (s.ring_sizes.size() <= at) {
        s.ring.resize((at + 1) * nb);
        s.ring_sizes.resize(at + 1);
      }
      slot = &s.ring[at * nb];
      std::fill(slot, slot + nb, std::int64_t{0});
      s.ring_sizes[at] = static_cast<std::int64_t>(batch.size());
      ++s.ring_used;
    }
    for (const auto v : batch.reshaped()) {
      const std::size_t b = detail::psi_bin_of(s.edges, static_cast<double>(v));
      ++s.window[b];
      if (slot != nullptr) ++slot[b];
    }
    s.n_window += static_cast<std::int64_t>(batch.size());
    return psi();
  }

  /** PSI of the window against the reference (see the class comment).
   *  \throws NotFittedError before fit; Error when the window is empty (no batch since fit or
   *  reset_window()): PSI of nothing is undefined. */
  [[nodiscard]] double psi() const {
    const auto& s = checked_state();
    if (s.n_window == 0) {
      throw Error(
          "PsiMonitor::psi: the window is empty; feed a batch with update() after fit() or "
          "reset_window()");
    }
    return detail::psi_from_counts(s.reference, static_cast<double>(s.n_reference), s.window,
                                   static_cast<double>(s.n_window), params_.epsilon);
  }

  /** Empties the window (the reference bins stay). \throws NotFittedError before fit. */
  void reset_window() {
    auto& s = checked_state();
    std::fill(s.window.begin(), s.window.end(), std::int64_t{0});
    s.n_window = 0;
    s.ring_head = 0;
    s.ring_used = 0;
  }
  /** `reset_window()` when fitted, nothing otherwise (the StreamDetector reset). */
  void reset() noexcept {
    if (state_) {
      std::fill(state_->window.begin(), state_->window.end(), std::int64_t{0});
      state_->n_window = 0;
      state_->ring_head = 0;
      state_->ring_used = 0;
    }
  }

  /** The n_bins - 1 interior bin edges. \throws NotFittedError before fit. */
  [[nodiscard]] const std::vector<double>& edges() const { return checked_state().edges; }
  /** Reference count per bin. \throws NotFittedError before fit. */
  [[nodiscard]] const std::vector<std::int64_t>& reference_counts() const {
    return checked_state().reference;
  }
  /** Window count per bin. \throws NotFittedError before fit. */
  [[nodiscard]] const std::vector<std::int64_t>& window_counts() const {
    return checked_state().window;
  }
  /** Samples in the window. \throws NotFittedError before fit. */
  [[nodiscard]] std::int64_t n_window() const { return checked_state().n_window; }
  /** Batches in the window (sliding window), or 0 with window_batches = 0.
   *  \throws NotFittedError before fit. */
  [[nodiscard]] std::int64_t n_window_batches() const {
    return static_cast<std::int64_t>(checked_state().ring_used);
  }

 private:
  static constexpr std::string_view name = "PsiMonitor";

  static Params validated(const Params& p) {
    detail::check_psi_params(p.n_bins, p.epsilon);
    detail::check_param(p.n_bins <= (1 << 20), "n_bins", p.n_bins, "<= 2^20");
    detail::check_param(p.window_batches >= 0 && p.window_batches <= (1 << 20), "window_batches",
                        p.window_batches, "in [0, 2^20] (0: every batch since reset_window)");
    return p;
  }

  template <class Derived>
  static void check_batch(const Eigen::MatrixBase<Derived>& x, std::string_view what) {
    if (x.rows() != 1 && x.cols() != 1 && x.size() != 0) {
      detail::fail(name, ": ", what, " must be a vector (one column), got ", x.rows(), " x ",
                   x.cols());
    }
    if (x.size() == 0) detail::fail(name, ": ", what, " is empty");
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      const auto v = x.derived().reshaped()(i);
      if (!std::isfinite(static_cast<double>(v))) {
        detail::fail(name, ": ", what, " contains a non-finite value (", v, ") at index ", i);
      }
    }
  }

  detail::PsiMonitorState& checked_state() {
    detail::check_fitted(state_.has_value(), name);
    return *state_;
  }
  const detail::PsiMonitorState& checked_state() const {
    detail::check_fitted(state_.has_value(), name);
    return *state_;
  }

  friend struct detail::Serial;
  Params params_{};
  std::optional<detail::PsiMonitorState> state_;
};

OSPREY_NAMESPACE_END

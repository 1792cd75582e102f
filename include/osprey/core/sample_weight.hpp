/** \file
 *  Per-row sample weights, one convention for every metric, curve, splitter and estimator that
 *  takes them: a `SampleWeight` argument last, where an empty vector (the default) means every
 *  row weighs 1. A weight must be finite and non-negative; a weight of 0 is the same as leaving
 *  the row out and an integer weight w the same as repeating the row w times, wherever the
 *  function's documentation does not say otherwise.
 */
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <string_view>

#include "validation.hpp"

OSPREY_NAMESPACE_BEGIN

/** Per-row weights, read-only. Pass `Eigen::VectorXd` (or any double column expression); an
 *  empty vector means unweighted. */
using SampleWeight = Eigen::Ref<const Eigen::VectorXd>;

namespace detail {

/** The default argument of every `sample_weight` parameter: an empty vector, i.e. unweighted. */
[[nodiscard]] inline const Eigen::VectorXd& unweighted() {
  static const Eigen::VectorXd empty;
  return empty;
}

/** True when `w` carries weights (is not the empty "unweighted" vector). */
[[nodiscard]] inline bool is_weighted(const SampleWeight& w) noexcept { return w.size() != 0; }

/** Throws `InvalidArgument` naming `name` unless `w` is empty or holds `n` finite, non-negative
 *  entries; the message names the first offending row. */
inline void check_sample_weight(const SampleWeight& w, Eigen::Index n,
                                std::string_view name = "sample_weight") {
  if (!is_weighted(w)) return;
  if (w.size() != n) {
    fail(name, " has ", w.size(), " entries but there are ", n, " samples");
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    const double v = w(i);
    if (!std::isfinite(v) || v < 0.0) {
      fail(name, " must be finite and non-negative (row ", i, " is ", v, ")");
    }
  }
}

/** Weight of row `i`: `w(i)`, or 1 when unweighted. */
[[nodiscard]] inline double weight_at(const SampleWeight& w, Eigen::Index i) noexcept {
  return is_weighted(w) ? w(i) : 1.0;
}

}  // namespace detail

OSPREY_NAMESPACE_END

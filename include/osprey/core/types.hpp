/** \file
 *  Shared vocabulary types: Eigen aliases, the progress callback and resampler output.
 *
 *  Rows are samples and columns are features everywhere in osprey (scikit-learn's order).
 */
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "../config.hpp"
#include "cancel.hpp"

OSPREY_NAMESPACE_BEGIN

/** Dense column-major matrix; rows are samples, columns are features. */
template <class Scalar>
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

/** Dense row-major matrix: what the search kernels store so one sample is contiguous. */
template <class Scalar>
using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/** Dense column vector. */
template <class Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

/** Integer labels and indices. */
using IndexVector = Eigen::VectorXi;

/** One report of long-running work: `done` of `total` units finished in `stage`. */
struct Progress {
  std::string_view stage;  ///< what is running, e.g. "fit" or "iteration"
  std::size_t done = 0;    ///< units finished so far
  std::size_t total = 0;   ///< units in all (0 when unknown)
  double value = 0.0;      ///< a stage-specific number, e.g. the current residual
};

/** Optional progress callback held in an estimator's Params; empty means silent. It is called
 *  from the thread that called the estimator, never concurrently. */
using ProgressCallback = std::function<void(const Progress&)>;

/** How a free function (a metric) runs: its threads, its cancellation and its progress, the
 *  same three settings an estimator holds in its Params. Pass it last, e.g.
 *  `roc_auc_score(y, s, osprey::Execution{.n_threads = 1})`. */
struct Execution {
  int n_threads = 0;                 ///< 0 = max_threads() (core/threads.hpp)
  CancellationToken cancellation{};  ///< checked between pieces of work
  ProgressCallback progress{};       ///< called from the calling thread; empty = silent
};

namespace detail {

/** What every `set_execution` does: copies the three settings of `execution` into `params`
 *  (any Params with `n_threads`, `cancellation` and `progress`).
 *  \throws InvalidArgument if execution.n_threads < 0 (params unchanged). */
template <class Params>
void apply_execution(Params& params, const Execution& execution) {
  if (execution.n_threads < 0) {
    throw InvalidArgument(
        concat("n_threads must be >= 0 (0 = max_threads()) (got ", execution.n_threads, ")"));
  }
  params.n_threads = execution.n_threads;
  params.cancellation = execution.cancellation;
  params.progress = execution.progress;
}

}  // namespace detail

/** Output of a resampler: original rows first in input order, then synthetic rows. */
template <class Scalar = double>
struct Resampled {
  Matrix<Scalar> X;   ///< samples, one per row
  Eigen::VectorXi y;  ///< label of each row of X
};

namespace detail {
/** The model serialisers (io/binary_format.hpp, io/serialize.hpp); models befriend it. */
struct Serial;
}  // namespace detail

OSPREY_NAMESPACE_END

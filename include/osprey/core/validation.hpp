/** \file
 *  Input and parameter checks shared by every estimator. Each throws `osprey::InvalidArgument`
 *  (or `NotFittedError`) with a message that names the culprit: the parameter and the value
 *  received, or the first offending row and column.
 */
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "error.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Concatenates its arguments with `operator<<` into a string. */
template <class... Args>
[[nodiscard]] std::string concat(Args&&... args) {
  std::ostringstream out;
  out.precision(17);
  (out << ... << std::forward<Args>(args));
  return out.str();
}

/** Throws InvalidArgument built from the arguments. */
template <class... Args>
[[noreturn]] void fail(Args&&... args) {
  throw InvalidArgument(concat(std::forward<Args>(args)...));
}

/** Throws `InvalidArgument("<name> must be <requirement> (got <value>)")` unless `ok`. */
template <class T>
void check_param(bool ok, std::string_view name, const T& value, std::string_view requirement) {
  if (!ok) fail(name, " must be ", requirement, " (got ", value, ")");
}

/** Throws unless `X` has at least one row and one column. */
template <class Derived>
void check_non_empty(const Eigen::DenseBase<Derived>& X, std::string_view what) {
  if (X.rows() == 0 || X.cols() == 0) {
    fail(what, " is empty (", X.rows(), " rows x ", X.cols(), " columns)");
  }
}

/** Throws naming the first (row, column) of `X` that is NaN or infinite. Scans column by column
 *  in storage-friendly order but reports the smallest row of the first bad column. */
template <class Derived>
void check_finite(const Eigen::DenseBase<Derived>& X, std::string_view what) {
  if (X.derived().allFinite()) return;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    for (Eigen::Index j = 0; j < X.cols(); ++j) {
      const auto v = X(i, j);
      if (!std::isfinite(static_cast<double>(v))) {
        if (X.cols() == 1) fail(what, " contains a non-finite value (", v, ") at index ", i);
        fail(what, " contains a non-finite value (", v, ") at row ", i, ", column ", j);
      }
    }
  }
}

/** Non-empty and finite: the usual check of a feature matrix. */
template <class Derived>
void check_matrix(const Eigen::DenseBase<Derived>& X, std::string_view what = "X") {
  check_non_empty(X, what);
  check_finite(X, what);
}

/** Throws unless `n_rows` equals the length of the labels or targets. */
inline void check_same_length(Eigen::Index n_rows, Eigen::Index n_labels, std::string_view a = "X",
                              std::string_view b = "y") {
  if (n_rows != n_labels) {
    fail(a, " and ", b, " have inconsistent lengths: ", a, " has ", n_rows, " rows, ", b, " has ",
         n_labels, " entries");
  }
}

/** Throws unless the number of features at prediction equals the number seen by fit. */
inline void check_n_features(std::string_view estimator, Eigen::Index fitted, Eigen::Index got) {
  if (fitted != got) {
    fail(estimator, " was fitted with ", fitted, " features but X has ", got, " columns");
  }
}

/** Throws NotFittedError unless `fitted`. */
inline void check_fitted(bool fitted, std::string_view estimator) {
  if (!fitted) throw NotFittedError(concat(estimator, " is not fitted yet; call fit() first"));
}

}  // namespace detail
OSPREY_NAMESPACE_END

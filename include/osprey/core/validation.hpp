/** \file
 *  Input and parameter checks shared by every estimator. Each throws `osprey::InvalidArgument`
 *  (or `NotFittedError`) with a message that names the culprit: the parameter and the value
 *  received, or the first offending row and column.
 */
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
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

/** Throws naming the first (row, column) of `X` that is NaN or infinite, in row-major order
 *  whatever X's storage order: rows are scanned from 0 and, within a row, columns from 0, so the
 *  value reported is the one in the smallest column of the smallest row that holds any
 *  non-finite value. A single column is reported by index only. */
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

/** Name of a floating-point type for messages. */
template <class T>
[[nodiscard]] constexpr std::string_view scalar_name() noexcept {
  if constexpr (std::is_same_v<T, float>) return "float";
  if constexpr (std::is_same_v<T, double>) return "double";
  if constexpr (std::is_same_v<T, long double>) return "long double";
  return "the target type";
}

/** True when rounding any value of type `From` to `To` can overflow to infinity: `To` is a
 *  floating-point type with a smaller range (double -> float). */
template <class To, class From>
inline constexpr bool narrows_range_v = (std::numeric_limits<To>::is_iec559) &&
                                        (std::numeric_limits<From>::is_iec559) &&
                                        (std::numeric_limits<To>::max_exponent <
                                         std::numeric_limits<From>::max_exponent);

/** The magnitude, in `From`, at and above which a value rounds to infinity when converted to
 *  `To` (round to nearest, ties to even): the midpoint between `To`'s largest finite value and
 *  the next power of two, `2^e - 2^(e - p - 1)`. For double -> float that is 2^128 - 2^103,
 *  just above FLT_MAX. Only meaningful when `narrows_range_v<To, From>`. */
template <class To, class From>
[[nodiscard]] inline From narrowing_overflow_bound() noexcept {
  constexpr int e = std::numeric_limits<To>::max_exponent;
  constexpr int p = std::numeric_limits<To>::digits;
  return std::ldexp(From(1), e) - std::ldexp(From(1), e - p - 1);
}

/** True when every value of X is finite and stays finite once converted to `To`. */
template <class To, class Derived>
[[nodiscard]] bool all_finite_as(const Eigen::DenseBase<Derived>& X) {
  using From = typename Derived::Scalar;
  if constexpr (narrows_range_v<To, From>) {
    // NaN and infinities fail the comparison too.
    return (X.derived().array().abs() < narrowing_overflow_bound<To, From>()).all();
  } else {
    return X.derived().allFinite();
  }
}

/** True when the value `v` is finite and stays finite once converted to `To`. */
template <class To, class From>
[[nodiscard]] bool is_finite_as(From v) noexcept {
  if constexpr (narrows_range_v<To, From>) {
    return std::abs(v) < narrowing_overflow_bound<To, From>();
  } else {
    return std::isfinite(static_cast<double>(v));
  }
}

/** Throws unless the scalar `v` is finite and stays finite once converted to `To` (a double above
 *  FLT_MAX becomes inf in float). `where` names it, e.g. "weights[3]". */
template <class To, class From>
void check_finite_value_as(From v, std::string_view where) {
  if (is_finite_as<To>(v)) return;
  if (!std::isfinite(static_cast<double>(v))) fail(where, " is not finite (got ", v, ")");
  fail(where, " = ", v, " is out of range for ", scalar_name<To>(), " (largest finite value ",
       std::numeric_limits<To>::max(), ")");
}

/** `check_finite` for data that is about to be converted to `To`: also throws, naming the row and
 *  column, on a finite value that would overflow to infinity in `To` (double above FLT_MAX when
 *  `To` is float). A NaN or infinity anywhere is reported first, as check_finite does; otherwise
 *  the first overflowing value in the same row-major order. Call it at the entry, before the
 *  cast, wherever data narrows to `Scalar`. */
template <class To, class Derived>
void check_finite_as(const Eigen::DenseBase<Derived>& X, std::string_view what) {
  if (all_finite_as<To>(X)) return;
  check_finite(X, what);  // a NaN or infinity is reported as such
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    for (Eigen::Index j = 0; j < X.cols(); ++j) {
      const auto v = X(i, j);
      if (!is_finite_as<To>(v)) {
        const auto where =
            X.cols() == 1 ? concat(" at index ", i) : concat(" at row ", i, ", column ", j);
        fail(what, " has a value (", v, ")", where, " that is out of range for ", scalar_name<To>(),
             " (largest finite value ", std::numeric_limits<To>::max(), ")");
      }
    }
  }
}

/** `check_matrix` for data that is about to be converted to `To` (see `check_finite_as`). */
template <class To, class Derived>
void check_matrix_as(const Eigen::DenseBase<Derived>& X, std::string_view what = "X") {
  check_non_empty(X, what);
  check_finite_as<To>(X, what);
}

/** The largest number of rows whose row indices osprey stores in 32-bit `int` (Eigen::VectorXi
 *  and MatrixXi outputs: fold indices, kept rows, neighbour indices, SMOTE provenance). */
inline constexpr Eigen::Index kMaxIntRows = std::numeric_limits<int>::max();

/** Throws unless `n_rows` row indices fit in an `int` (at most 2^31 - 1 rows), for estimators
 *  whose outputs hold row indices as `int`. `who` names the caller. */
inline void check_int_rows(Eigen::Index n_rows, std::string_view who,
                           Eigen::Index cap = kMaxIntRows) {
  if (n_rows > cap) {
    fail(who, ": X has ", n_rows, " rows, more than the ", cap,
         " whose indices fit in the 32-bit int outputs");
  }
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

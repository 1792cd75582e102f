/** \file
 *  osprey's exception hierarchy. Every error a caller can cause derives from `osprey::Error`.
 */
#pragma once

#include <stdexcept>
#include <string>

#include "../config.hpp"

OSPREY_STABLE_NAMESPACE_BEGIN

/** Base of every exception osprey throws on purpose. */
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/** A parameter or an input is invalid; the message names the parameter, row or column. */
struct InvalidArgument : Error {
  using Error::Error;
};

/** A method that needs fitted state was called before `fit()`. */
struct NotFittedError : Error {
  using Error::Error;
};

/** An iterative method did not converge and its Params asked for an exception. */
struct ConvergenceError : Error {
  using Error::Error;
};

/** Work was stopped because its `CancellationToken` was cancelled (core/cancel.hpp). Nothing
 *  the call would have returned or modified is left half-done: a cancelled `fit` leaves the
 *  estimator as it was before the call. */
struct Cancelled : Error {
  using Error::Error;
};

/** A saved model could not be read: wrong magic or type, a newer format version, another
 *  Scalar or byte order, a truncated or corrupted file (io/serialize.hpp). */
struct FormatError : Error {
  using Error::Error;
};

OSPREY_STABLE_NAMESPACE_END

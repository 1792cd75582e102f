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

OSPREY_STABLE_NAMESPACE_END

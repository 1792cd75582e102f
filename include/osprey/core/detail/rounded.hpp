/** \file
 *  A product rounded on its own. Compilers may fuse `a * b + c` into one fused multiply-add
 *  (g++ does by default, clang within an expression) when the target has FMA, e.g. with
 *  -march=native. That is usually welcome, but where osprey must reproduce a reference's
 *  arithmetic exactly (numpy's order of operations, a difference that must cancel to exactly
 *  0) the product has to be rounded before it is added.
 */
#pragma once

#include <cmath>

#include "../../config.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** `a * b` rounded to double on its own, never fused with a following addition:
 *  fma(a, b, -0.0) is the correctly rounded product, signed zeros included. Without hardware
 *  FMA it is a library call, so keep it out of the innermost loops of hot kernels. */
[[nodiscard]] inline double rounded_product(double a, double b) noexcept {
  return std::fma(a, b, -0.0);
}

}  // namespace detail
OSPREY_NAMESPACE_END

/** \file
 *  Reproducing a reference's floating-point arithmetic: numpy's pairwise summation, and a
 *  product rounded on its own. Compilers may fuse `a * b + c` into one fused multiply-add
 *  (g++ does by default, clang within an expression) when the target has FMA, e.g. with
 *  -march=native. That is usually welcome, but where osprey must reproduce a reference's
 *  arithmetic exactly (numpy's order of operations, a difference that must cancel to exactly
 *  0) the product has to be rounded before it is added.
 */
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "../../config.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** `a * b` rounded to double on its own, never fused with a following addition:
 *  fma(a, b, -0.0) is the correctly rounded product, signed zeros included. Without hardware
 *  FMA it is a library call, so keep it out of the innermost loops of hot kernels. */
[[nodiscard]] inline double rounded_product(double a, double b) noexcept {
  return std::fma(a, b, -0.0);
}

/** numpy's float64 `add.reduce` over `n` contiguous values: a plain loop below 8 values,
 *  eight interleaved partial sums up to 128, halves (at a multiple of 8) above. Reproducing its
 *  order makes StratifiedGroupKFold's comparisons of standard deviations bit-identical to
 *  scikit-learn's. */
inline double numpy_pairwise_sum(const double* a, std::size_t n) {
  if (n < 8) {
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) s += a[i];
    return s;
  }
  if (n <= 128) {
    double r[8];
    for (std::size_t j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - n % 8; i += 8) {
      for (std::size_t j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) s += a[i];
    return s;
  }
  std::size_t half = n / 2;
  half -= half % 8;
  return numpy_pairwise_sum(a, half) + numpy_pairwise_sum(a + half, n - half);
}

/** numpy.percentile(values, 100 * fraction) with the default linear method (numpy >= 1.22:
 *  a + (b - a) t below t = 0.5, b - (b - a)(1 - t) from there, products rounded alone). */
[[nodiscard]] inline double numpy_percentile(std::vector<double> v, double fraction) {
  std::sort(v.begin(), v.end());
  const double q = (100.0 * fraction) / 100.0;  // numpy divides the percentage by 100
  const double pos = rounded_product(q, static_cast<double>(v.size() - 1));
  const double lo = std::floor(pos);
  const auto a_at = static_cast<std::size_t>(lo);
  const std::size_t b_at = std::min(a_at + 1, v.size() - 1);
  const double t = pos - lo;
  const double a = v[a_at];
  const double b = v[b_at];
  const double diff = b - a;
  return t >= 0.5 ? b - rounded_product(diff, 1.0 - t) : a + rounded_product(diff, t);
}

}  // namespace detail
OSPREY_NAMESPACE_END

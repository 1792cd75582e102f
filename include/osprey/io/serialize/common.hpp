/** \file
 *  Helpers shared by the model serialisers of io/serialize/: type-tag pieces (Scalar and
 *  metric names) and length-prefixed vectors whose reader checks the length against the bytes
 *  left before allocating. Not API.
 */
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "../../core/types.hpp"
#include "../../neighbors/metrics.hpp"
#include "../binary_format.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** "float" or "double". */
template <class S>
[[nodiscard]] std::string scalar_tag() {
  static_assert(std::is_same_v<S, float> || std::is_same_v<S, double>,
                "osprey::save/load: Scalar must be float or double");
  return std::is_same_v<S, float> ? "float" : "double";
}

/** The metric's name in a type tag: the class name ("Euclidean", "Minkowski<3>"); a user's
 *  metric is named by its `name`. */
template <class M>
struct MetricTag {
  static std::string get() { return std::string("metric:") + M::name; }  ///< the tag
};
/** Euclidean. */
template <>
struct MetricTag<Euclidean> {
  static std::string get() { return "Euclidean"; }  ///< the tag
};
/** SquaredEuclidean. */
template <>
struct MetricTag<SquaredEuclidean> {
  static std::string get() { return "SquaredEuclidean"; }  ///< the tag
};
/** Manhattan. */
template <>
struct MetricTag<Manhattan> {
  static std::string get() { return "Manhattan"; }  ///< the tag
};
/** Chebyshev. */
template <>
struct MetricTag<Chebyshev> {
  static std::string get() { return "Chebyshev"; }  ///< the tag
};
/** Cosine. */
template <>
struct MetricTag<Cosine> {
  static std::string get() { return "Cosine"; }  ///< the tag
};
/** Minkowski<P>. */
template <int P>
struct MetricTag<Minkowski<P>> {
  static std::string get() { return "Minkowski<" + std::to_string(P) + ">"; }  ///< the tag
};

/** "Name<float>" or "Name<double>". */
template <class S>
[[nodiscard]] std::string model_tag(const char* name) {
  return std::string(name) + "<" + scalar_tag<S>() + ">";
}
/** "Name<float,Metric>". */
template <class S, class M>
[[nodiscard]] std::string model_tag(const char* name) {
  return std::string(name) + "<" + scalar_tag<S>() + "," + MetricTag<M>::get() + ">";
}

/** Throws FormatError("<model>::load: corrupted <noun> data: <what...>"). */
template <class... Args>
[[noreturn]] void corrupted(const BinaryFormat& f, Args&&... what) {
  format_fail(f, "corrupted ", f.noun, " data: ", std::forward<Args>(what)...);
}

/** Reads a u64 count of elements of `bytes_each` bytes and checks that they fit in what is
 *  left of the payload (so no corrupted count allocates), and that it is at most `max`. */
[[nodiscard]] inline std::size_t read_count(ByteReader& r, std::size_t bytes_each,
                                            const BinaryFormat& f, const char* what,
                                            std::uint64_t max = std::uint64_t(1) << 62) {
  const std::uint64_t n = r.u64();
  if (n > max || (bytes_each > 0 && n > r.remaining() / bytes_each)) {
    corrupted(f, what, " has ", n, " entries, more than the payload holds");
  }
  return static_cast<std::size_t>(n);
}

/** Writes a vector of T (float, double or an integer) as a u64 length and its values. */
template <class T, class V>
void write_values(ByteWriter& w, const V& v) {
  w.u64(static_cast<std::uint64_t>(v.size()));
  using Size = decltype(v.size());
  for (Size i = 0; i < v.size(); ++i) {
    const T x = static_cast<T>(v[i]);
    if constexpr (std::is_floating_point_v<T>) {
      w.scalar(x);
    } else if constexpr (sizeof(T) == 4) {
      w.u32(static_cast<std::uint32_t>(x));
    } else {
      w.u64(static_cast<std::uint64_t>(x));
    }
  }
}

/** Reads what write_values wrote into an Eigen vector or std::vector V (element type T),
 *  requiring `expected` entries (when given) and, for floating types, finite values. */
template <class T, class V>
[[nodiscard]] V read_values(ByteReader& r, const BinaryFormat& f, const char* what,
                            std::optional<std::size_t> expected = {}, bool finite = true) {
  const std::size_t n = read_count(r, sizeof(T), f, what);
  if (expected && n != *expected) corrupted(f, what, " has ", n, " entries, expected ", *expected);
  V v(static_cast<decltype(v.size())>(n));
  for (std::size_t i = 0; i < n; ++i) {
    T x;
    if constexpr (std::is_floating_point_v<T>) {
      x = r.template scalar<T>();
      if (finite && !std::isfinite(x)) corrupted(f, what, " has a non-finite value at ", i);
    } else if constexpr (sizeof(T) == 4) {
      x = static_cast<T>(r.u32());
    } else {
      x = static_cast<T>(r.u64());
    }
    v[static_cast<decltype(v.size())>(i)] = x;
  }
  return v;
}

/** Reads a u8 that must be 0 or 1. */
[[nodiscard]] inline bool read_flag(ByteReader& r, const BinaryFormat& f, const char* what) {
  const std::uint8_t b = r.u8();
  if (b > 1) corrupted(f, what, " flag is ", int{b});
  return b == 1;
}

/** Reads a u32 as a non-negative int at most `max`. */
[[nodiscard]] inline int read_int(ByteReader& r, const BinaryFormat& f, const char* what,
                                  int max = std::numeric_limits<int>::max()) {
  const std::uint32_t v = r.u32();
  if (v > static_cast<std::uint32_t>(max)) corrupted(f, what, " is ", v);
  return static_cast<int>(v);
}

/** Writes an optional double as a flag and a value. */
inline void write_optional(ByteWriter& w, const std::optional<double>& v) {
  w.u8(v ? 1 : 0);
  w.f64(v.value_or(0.0));
}
/** Reads what write_optional wrote. */
[[nodiscard]] inline std::optional<double> read_optional(ByteReader& r, const BinaryFormat& f,
                                                         const char* what) {
  const bool has = read_flag(r, f, what);
  const double v = r.f64();
  if (!has) return std::nullopt;
  return v;
}

}  // namespace detail
OSPREY_NAMESPACE_END

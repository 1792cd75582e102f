/** \file
 *  Serialisers of StandardScaler and MinMaxScaler (docs/model-format.md). Not API.
 */
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "../../preprocessing/scalers.hpp"
#include "common.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Reads n_samples_seen: a u64 row count in format version 1, an f64 weight sum (finite,
 *  positive) since version 2. */
[[nodiscard]] inline double read_scaler_rows(ByteReader& r, const BinaryFormat& f) {
  if (r.version() >= 2) {
    const double n = r.f64();
    if (!(std::isfinite(n) && n > 0.0)) corrupted(f, "n_samples_seen ", n);
    return n;
  }
  const std::uint64_t n = r.u64();
  if (n < 1 || n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    corrupted(f, "n_samples ", n);
  }
  return static_cast<double>(n);
}

/** Checks that every entry of v is > 0 (scale) or >= 0 (variance), not NaN. */
inline void check_positive(const Vector<double>& v, const BinaryFormat& f, const char* what,
                           bool strict) {
  for (Eigen::Index j = 0; j < v.size(); ++j) {
    if (!(strict ? v(j) > 0.0 : v(j) >= 0.0)) corrupted(f, what, " ", v(j), " at feature ", j);
  }
}

/** Payload: u8 with_mean, u8 with_std; f64 n_samples_seen (u64 n_samples in format version
 *  1); mean, var, scale (u64 d, d f64 each); since format version 3 mean_lo (u64 d, d f64: the
 *  low part of the running mean, so partial_fit continues bit-identically; 0 in older files). */
template <class S>
struct Serial::Io<StandardScaler<S>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "StandardScaler",
                                       "scaler"};  ///< names in messages
  /** "StandardScaler<float>" or "StandardScaler<double>". */
  static std::string tag() { return model_tag<S>("StandardScaler"); }

  /** The payload. \throws NotFittedError before fit. */
  static void write(const StandardScaler<S>& m, ByteWriter& w) {
    const auto& s = m.state();
    w.u8(m.params_.with_mean ? 1 : 0);
    w.u8(m.params_.with_std ? 1 : 0);
    w.f64(s.n_samples_seen);
    write_values<double>(w, s.mean);
    write_values<double>(w, s.var);
    write_values<double>(w, s.scale);
    write_values<double>(w, s.mean_lo);
  }
  /** The scaler of a payload, validated. */
  static StandardScaler<S> read(ByteReader& r) {
    StandardScalerParams p;
    p.with_mean = read_flag(r, format, "with_mean");
    p.with_std = read_flag(r, format, "with_std");
    StandardScaler<S> m(p);
    StandardScalerState s;
    s.n_samples_seen = read_scaler_rows(r, format);
    s.mean = read_values<double, Vector<double>>(r, format, "mean");
    if (s.mean.size() < 1) corrupted(format, "no features");
    const auto d = static_cast<std::size_t>(s.mean.size());
    s.var = read_values<double, Vector<double>>(r, format, "var", d, false);
    s.scale = read_values<double, Vector<double>>(r, format, "scale", d, false);
    check_positive(s.var, format, "variance", false);
    check_positive(s.scale, format, "scale", true);
    if (r.version() >= 3) {
      s.mean_lo = read_values<double, Vector<double>>(r, format, "mean_lo", d);
    } else {
      s.mean_lo = Vector<double>::Zero(static_cast<Eigen::Index>(d));
    }
    m.state_ = std::move(s);
    return m;
  }
};

/** Payload: f64 feature_min, f64 feature_max, u8 clip; f64 n_samples_seen (u64 n_samples in
 *  format version 1); data_min, data_max, scale, min (u64 d, d f64 each). */
template <class S>
struct Serial::Io<MinMaxScaler<S>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "MinMaxScaler",
                                       "scaler"};  ///< names in messages
  /** "MinMaxScaler<float>" or "MinMaxScaler<double>". */
  static std::string tag() { return model_tag<S>("MinMaxScaler"); }

  /** The payload. \throws NotFittedError before fit. */
  static void write(const MinMaxScaler<S>& m, ByteWriter& w) {
    const auto& s = m.state();
    w.f64(m.params_.feature_min);
    w.f64(m.params_.feature_max);
    w.u8(m.params_.clip ? 1 : 0);
    w.f64(s.n_samples_seen);
    write_values<double>(w, s.data_min);
    write_values<double>(w, s.data_max);
    write_values<double>(w, s.scale);
    write_values<double>(w, s.min);
  }
  /** The scaler of a payload, validated. */
  static MinMaxScaler<S> read(ByteReader& r) {
    MinMaxScalerParams p;
    p.feature_min = r.f64();
    p.feature_max = r.f64();
    p.clip = read_flag(r, format, "clip");
    MinMaxScaler<S> m(p);  // validates the range
    MinMaxScalerState s;
    s.n_samples_seen = read_scaler_rows(r, format);
    s.data_min = read_values<double, Vector<double>>(r, format, "data_min");
    if (s.data_min.size() < 1) corrupted(format, "no features");
    const auto d = static_cast<std::size_t>(s.data_min.size());
    s.data_max = read_values<double, Vector<double>>(r, format, "data_max", d);
    s.scale = read_values<double, Vector<double>>(r, format, "scale", d);
    s.min = read_values<double, Vector<double>>(r, format, "min", d);
    for (Eigen::Index j = 0; j < s.data_min.size(); ++j) {
      if (!(s.data_min(j) <= s.data_max(j))) corrupted(format, "data_min > data_max at ", j);
    }
    check_positive(s.scale, format, "scale", true);
    m.state_ = std::move(s);
    return m;
  }
};

}  // namespace detail
OSPREY_NAMESPACE_END

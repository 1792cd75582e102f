/** \file
 *  Serialisers of the control charts (Ewma, Cusum), their banks (EwmaBank, CusumBank) and
 *  HalfSpaceTrees: the parameters, the baseline and the running state, so a restored detector
 *  continues exactly where the saved one stopped (docs/model-format.md). An unfitted chart or
 *  bank round-trips as unfitted. Not API.
 */
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "../../streams/control_chart_bank.hpp"
#include "../../streams/cusum.hpp"
#include "../../streams/ewma.hpp"
#include "../../streams/half_space_trees.hpp"
#include "common.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** u8 sigma_estimator, checked. */
[[nodiscard]] inline SigmaEstimator read_estimator(ByteReader& r, const BinaryFormat& f) {
  const std::uint8_t e = r.u8();
  if (e > 1) corrupted(f, "sigma_estimator ", int{e});
  return static_cast<SigmaEstimator>(e);
}

/** Writes EwmaParams: f64 lambda, f64 L, optional mean, optional sigma (u8 flag + f64 each),
 *  u8 exact_limits, u8 reset_on_alarm, u8 sigma_estimator. */
inline void write_params(ByteWriter& w, const EwmaParams& p) {
  w.f64(p.lambda);
  w.f64(p.L);
  write_optional(w, p.mean);
  write_optional(w, p.sigma);
  w.u8(p.exact_limits ? 1 : 0);
  w.u8(p.reset_on_alarm ? 1 : 0);
  w.u8(static_cast<std::uint8_t>(p.sigma_estimator));
}
/** Writes CusumParams: f64 k, f64 h, optional mean, optional sigma, f64 fir_headstart, u8
 *  reset_on_alarm, u8 sigma_estimator. */
inline void write_params(ByteWriter& w, const CusumParams& p) {
  w.f64(p.k);
  w.f64(p.h);
  write_optional(w, p.mean);
  write_optional(w, p.sigma);
  w.f64(p.fir_headstart);
  w.u8(p.reset_on_alarm ? 1 : 0);
  w.u8(static_cast<std::uint8_t>(p.sigma_estimator));
}
/** Reads what write_params wrote (validated later by the chart's constructor). */
template <class P>
[[nodiscard]] P read_params(ByteReader& r, const BinaryFormat& f) {
  P p;
  if constexpr (std::is_same_v<P, EwmaParams>) {
    p.lambda = r.f64();
    p.L = r.f64();
  } else {
    p.k = r.f64();
    p.h = r.f64();
  }
  p.mean = read_optional(r, f, "mean");
  p.sigma = read_optional(r, f, "sigma");
  if constexpr (std::is_same_v<P, EwmaParams>) {
    p.exact_limits = read_flag(r, f, "exact_limits");
  } else {
    p.fir_headstart = r.f64();
  }
  p.reset_on_alarm = read_flag(r, f, "reset_on_alarm");
  p.sigma_estimator = read_estimator(r, f);
  return p;
}

/** A finite scalar (>= 0 when `non_negative`). */
template <class S>
[[nodiscard]] S read_finite(ByteReader& r, const BinaryFormat& f, const char* what,
                            bool non_negative = false) {
  const S v = r.template scalar<S>();
  if (!std::isfinite(v) || (non_negative && v < S(0))) corrupted(f, what, " ", v);
  return v;
}

/** Payload: the parameters; u8 fitted; when fitted f64 mean, f64 sigma (the baseline), the
 *  running statistic (z for Ewma; C+ and C- for Cusum, as scalars) and u64 t. */
/** Tag naming the shared chart serialiser below (a member of Serial, so it may read the
 *  chart's private state). */
template <class Chart>
struct ChartPayload {};

template <class Chart>
struct Serial::Io<ChartPayload<Chart>> {
  using S = typename Chart::Scalar;                        ///< the chart's Scalar
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size

  /** The payload (an unfitted chart writes its parameters and a 0 flag). */
  template <class WriteRunning>
  static void write(const Chart& c, ByteWriter& w, WriteRunning running) {
    write_params(w, c.params_);
    w.u8(c.state_ ? 1 : 0);
    if (!c.state_) return;
    w.f64(c.state_->mean);
    w.f64(c.state_->sigma);
    running(c.stream_);
    w.u64(static_cast<std::uint64_t>(c.t_));
  }

  /** The chart of a payload; `read_running(stream)` restores the running statistic. */
  template <class ReadRunning>
  static Chart read(ByteReader& r, const BinaryFormat& f, ReadRunning read_running) {
    Chart c(read_params<typename Chart::Params>(r, f));  // validates
    if (!read_flag(r, f, "fitted")) {
      if (c.state_) corrupted(f, "a chart with a given baseline saved as unfitted");
      return c;
    }
    const double mean = r.f64();
    const double sigma = r.f64();
    if (!std::isfinite(mean) || !(sigma > 0.0 && std::isfinite(sigma))) {
      corrupted(f, "baseline mean ", mean, ", sigma ", sigma);
    }
    using Stream = std::remove_cvref_t<decltype(c.stream_)>;
    c.state_ = Stream::make_state(c.params_, mean, sigma);
    read_running(c.stream_);
    const std::uint64_t t = r.u64();
    if (t > (std::uint64_t{1} << 62)) {  // no stream runs that long; keeps t + n from overflowing
      corrupted(f, "sample count ", t);
    }
    c.t_ = static_cast<std::int64_t>(t);
    return c;
  }
};

/** Ewma: running z. */
template <class S>
struct Serial::Io<Ewma<S>> : Io<ChartPayload<Ewma<S>>> {
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "Ewma",
                                       "chart"};  ///< names in messages
  /** "Ewma<float>" or "Ewma<double>". */
  static std::string tag() { return model_tag<S>("Ewma"); }
  /** The payload. */
  static void write(const Ewma<S>& c, ByteWriter& w) {
    Io<ChartPayload<Ewma<S>>>::write(c, w, [&](const auto& stream) { w.scalar(stream.z_); });
  }
  /** The chart of a payload, validated. */
  static Ewma<S> read(ByteReader& r) {
    return Io<ChartPayload<Ewma<S>>>::read(
        r, format, [&](auto& stream) { stream.z_ = read_finite<S>(r, format, "statistic z"); });
  }
};

/** Cusum: running C+ and C-. */
template <class S>
struct Serial::Io<Cusum<S>> : Io<ChartPayload<Cusum<S>>> {
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "Cusum",
                                       "chart"};  ///< names in messages
  /** "Cusum<float>" or "Cusum<double>". */
  static std::string tag() { return model_tag<S>("Cusum"); }
  /** The payload. */
  static void write(const Cusum<S>& c, ByteWriter& w) {
    Io<ChartPayload<Cusum<S>>>::write(c, w, [&](const auto& stream) {
      w.scalar(stream.c_up_);
      w.scalar(stream.c_down_);
    });
  }
  /** The chart of a payload, validated. */
  static Cusum<S> read(ByteReader& r) {
    return Io<ChartPayload<Cusum<S>>>::read(r, format, [&](auto& stream) {
      stream.c_up_ = read_finite<S>(r, format, "upper sum", true);
      stream.c_down_ = read_finite<S>(r, format, "lower sum", true);
    });
  }
};

/** Reads n finite scalars (> 0 when `positive`, >= 0 when `non_negative`). */
template <class S>
[[nodiscard]] Vector<S> read_series(ByteReader& r, const BinaryFormat& f, const char* what,
                                    std::size_t n, bool positive = false,
                                    bool non_negative = false) {
  Vector<S> v = read_values<S, Vector<S>>(r, f, what, n);
  for (Eigen::Index j = 0; j < v.size(); ++j) {
    if ((positive && !(v(j) > S(0))) || (non_negative && v(j) < S(0))) {
      corrupted(f, what, " ", v(j), " of series ", j);
    }
  }
  return v;
}

/** Payload: the parameters; u64 n_series (0: unfitted, nothing follows); z, mean, half-width
 *  (u64 n, n scalars each); the per-series counts (u64 n, n u32); u32 largest count. */
template <class S>
struct Serial::Io<EwmaBank<S>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "EwmaBank",
                                       "bank"};  ///< names in messages
  /** "EwmaBank<float>" or "EwmaBank<double>". */
  static std::string tag() { return model_tag<S>("EwmaBank"); }

  /** The payload. */
  static void write(const EwmaBank<S>& b, ByteWriter& w) {
    write_params(w, b.params_);
    w.u64(static_cast<std::uint64_t>(b.n_));
    if (b.n_ == 0) return;
    const auto& s = b.state_;
    write_values<S>(w, s.z_);
    write_values<S>(w, s.m_);
    write_values<S>(w, s.hw_);
    write_values<std::uint32_t>(w, s.t_);
    w.u32(static_cast<std::uint32_t>(s.t_max_));
  }
  /** The bank of a payload, validated (counts within the exact-limit horizon). */
  static EwmaBank<S> read(ByteReader& r) {
    EwmaBank<S> b(read_params<EwmaParams>(r, format));
    const std::size_t n = read_count(r, 3 * sizeof(S) + 4, format, "n_series");
    if (n == 0) return b;
    auto& s = b.state_;
    s.z_ = read_series<S>(r, format, "statistic z", n);
    s.m_ = read_series<S>(r, format, "mean", n);
    s.hw_ = read_series<S>(r, format, "half-width", n, true);
    s.factors_ = EwmaLimitFactors<S>(b.params_.lambda, b.params_.exact_limits);
    const auto t_cap = static_cast<std::uint32_t>(s.factors_.exact_until() + 1);
    const auto t = read_values<std::uint32_t, std::vector<std::uint32_t>>(r, format, "counts", n);
    const std::uint32_t t_max = r.u32();
    if (t_max > t_cap) corrupted(format, "sample count ", t_max, " (at most ", t_cap, ")");
    s.t_.resize(n);
    for (std::size_t j = 0; j < n; ++j) {
      if (t[j] > t_max) corrupted(format, "count ", t[j], " of series ", j, " above ", t_max);
      s.t_[j] = static_cast<std::int32_t>(t[j]);
    }
    s.t_max_ = static_cast<std::int32_t>(t_max);
    b.n_ = static_cast<Eigen::Index>(n);
    b.alarms_ = AlarmVector::Zero(b.n_);
    return b;
  }
};

/** Payload: the parameters; u64 n_series (0: unfitted, nothing follows); C+, C-, upper and
 *  lower reference values, decision intervals, headstarts (u64 n, n scalars each). */
template <class S>
struct Serial::Io<CusumBank<S>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "CusumBank",
                                       "bank"};  ///< names in messages
  /** "CusumBank<float>" or "CusumBank<double>". */
  static std::string tag() { return model_tag<S>("CusumBank"); }

  /** The payload. */
  static void write(const CusumBank<S>& b, ByteWriter& w) {
    write_params(w, b.params_);
    w.u64(static_cast<std::uint64_t>(b.n_));
    if (b.n_ == 0) return;
    const auto& s = b.state_;
    for (const auto* v : {&s.cu_, &s.cd_, &s.kup_, &s.kdn_, &s.H_, &s.start_}) {
      write_values<S>(w, *v);
    }
  }
  /** The bank of a payload, validated (sums and headstarts >= 0, intervals > 0). */
  static CusumBank<S> read(ByteReader& r) {
    CusumBank<S> b(read_params<CusumParams>(r, format));
    const std::size_t n = read_count(r, 6 * sizeof(S), format, "n_series");
    if (n == 0) return b;
    auto& s = b.state_;
    s.cu_ = read_series<S>(r, format, "upper sum", n, false, true);
    s.cd_ = read_series<S>(r, format, "lower sum", n, false, true);
    s.kup_ = read_series<S>(r, format, "upper reference", n);
    s.kdn_ = read_series<S>(r, format, "lower reference", n);
    s.H_ = read_series<S>(r, format, "decision interval", n, true);
    s.start_ = read_series<S>(r, format, "headstart", n, false, true);
    b.n_ = static_cast<Eigen::Index>(n);
    b.alarms_ = AlarmVector::Zero(b.n_);
    return b;
  }
};

/** Payload: u32 n_trees, u32 height, u32 window_size, u64 random_state, f64 threshold, the
 *  limits (u64 n, then f64 lo and f64 hi per feature); u32 position in the window, u8
 *  has_reference; then per tree, for the previous window and then the current one, u32 k and k
 *  pairs (u32 leaf, u32 count): the leaves its samples reached, in increasing order, with their
 *  counts. The trees are rebuilt from the parameters and the masses recounted from the leaves,
 *  so the restored detector continues bit-identically. */
template <class S>
struct Serial::Io<HalfSpaceTrees<S>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "HalfSpaceTrees",
                                       "detector"};  ///< names in messages
  /** "HalfSpaceTrees<float>" or "HalfSpaceTrees<double>". */
  static std::string tag() { return model_tag<S>("HalfSpaceTrees"); }

  /** The payload. */
  static void write(const HalfSpaceTrees<S>& h, ByteWriter& w) {
    const auto& p = h.params_;
    w.u32(static_cast<std::uint32_t>(p.n_trees));
    w.u32(static_cast<std::uint32_t>(p.height));
    w.u32(static_cast<std::uint32_t>(p.window_size));
    w.u64(p.random_state);
    w.f64(p.threshold);
    w.u64(p.limits.size());
    for (const auto& r : p.limits) {
      w.f64(r.lo);
      w.f64(r.hi);
    }
    const auto& f = h.forest_;
    w.u32(static_cast<std::uint32_t>(f.position()));
    w.u8(f.has_reference() ? 1 : 0);
    std::vector<std::uint32_t> pairs;
    for (int t = 0; t < p.n_trees; ++t) {
      for (const bool latest : {false, true}) {
        pairs.clear();
        for (std::size_t leaf = 0; leaf < f.n_leaves(); ++leaf) {
          const std::size_t node = f.n_internal() + leaf;
          const std::int32_t c = latest ? f.latest(t, node) : f.reference(t, node);
          if (c == 0) continue;
          pairs.push_back(static_cast<std::uint32_t>(leaf));
          pairs.push_back(static_cast<std::uint32_t>(c));
        }
        w.u32(static_cast<std::uint32_t>(pairs.size() / 2));
        for (const std::uint32_t v : pairs) w.u32(v);
      }
    }
  }

  /** The detector of a payload, validated (parameters, position, leaves and counts) before the
   *  trees are built. */
  static HalfSpaceTrees<S> read(ByteReader& r) {
    HalfSpaceTreesParams p;
    p.n_trees = read_int(r, format, "n_trees");
    p.height = read_int(r, format, "height");
    p.window_size = read_int(r, format, "window_size");
    p.random_state = r.u64();
    p.threshold = r.f64();
    const std::size_t d = read_count(r, 16, format, "limits");
    p.limits.resize(d);
    for (auto& range : p.limits) {
      range.lo = r.f64();
      range.hi = r.f64();
    }
    (void)HalfSpaceTrees<S>::validated(p);
    const std::uint32_t position = r.u32();
    const bool has_reference = read_flag(r, format, "has_reference");
    if (position >= static_cast<std::uint32_t>(p.window_size)) {
      corrupted(format, "window position ", position, " (window_size ", p.window_size, ")");
    }
    // per tree and window: (leaf, count) pairs, leaves increasing, counts summing to the window's
    const std::uint32_t n_leaves = std::uint32_t{1} << p.height;
    std::vector<std::vector<std::pair<std::uint32_t, std::int32_t>>> lists;
    for (int t = 0; t < p.n_trees; ++t) {
      for (const bool latest : {false, true}) {
        const std::uint64_t want =
            latest ? position : (has_reference ? static_cast<std::uint64_t>(p.window_size) : 0);
        const std::uint32_t k = r.u32();
        if (k > r.remaining() / 8) corrupted(format, k, " leaves, more than the payload holds");
        auto& list = lists.emplace_back();
        std::uint64_t sum = 0;
        for (std::uint32_t i = 0; i < k; ++i) {
          const std::uint32_t leaf = r.u32();
          const std::uint32_t c = r.u32();
          if (leaf >= n_leaves || (i > 0 && leaf <= list.back().first) || c == 0 || c > want) {
            corrupted(format, "leaf ", leaf, " with count ", c, " of tree ", t);
          }
          sum += c;
          list.emplace_back(leaf, static_cast<std::int32_t>(c));
        }
        if (sum != want) corrupted(format, "tree ", t, " holds ", sum, " samples, not ", want);
      }
    }
    HalfSpaceTrees<S> h(p);
    std::vector<std::int32_t> dense(n_leaves);
    const auto count = [&, t_at = -1, latest_at = false](bool latest, int t,
                                                         std::size_t leaf) mutable {
      if (t != t_at || latest != latest_at) {  // expand the tree's list once
        std::fill(dense.begin(), dense.end(), 0);
        for (const auto& [l, c] : lists[static_cast<std::size_t>(2 * t + (latest ? 1 : 0))]) {
          dense[l] = c;
        }
        t_at = t;
        latest_at = latest;
      }
      return dense[leaf];
    };
    h.forest_.restore(static_cast<std::int32_t>(position), has_reference, count);
    return h;
  }
};

}  // namespace detail
OSPREY_NAMESPACE_END

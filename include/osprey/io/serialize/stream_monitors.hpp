/** \file
 *  Serialisers of PoissonCusum and PsiMonitor (docs/model-format.md): the parameters and the
 *  running state, so a restored detector continues exactly where the saved one stopped. An
 *  unfitted PsiMonitor round-trips as unfitted. Not API.
 */
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "../../streams/poisson_cusum.hpp"
#include "../../streams/psi_monitor.hpp"
#include "common.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Payload: f64 mu0, optional mu1, f64 h, optional mu1_lower, optional h_lower, optional k,
 *  optional k_lower (u8 flag + f64 each), f64 fir_headstart, u8 reset_on_alarm; S+ and S- (as
 *  Scalar, finite, >= 0); u64 t. */
template <class S>
struct Serial::Io<PoissonCusum<S>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "PoissonCusum",
                                       "chart"};  ///< names in messages
  /** "PoissonCusum<float>" or "PoissonCusum<double>". */
  static std::string tag() { return model_tag<S>("PoissonCusum"); }

  /** The payload. */
  static void write(const PoissonCusum<S>& c, ByteWriter& w) {
    const PoissonCusumParams& p = c.params_;
    w.f64(p.mu0);
    write_optional(w, p.mu1);
    w.f64(p.h);
    write_optional(w, p.mu1_lower);
    write_optional(w, p.h_lower);
    write_optional(w, p.k);
    write_optional(w, p.k_lower);
    w.f64(p.fir_headstart);
    w.u8(p.reset_on_alarm ? 1 : 0);
    w.scalar(c.up_);
    w.scalar(c.down_);
    w.u64(static_cast<std::uint64_t>(c.t_));
  }
  /** The chart of a payload, validated (the constructor checks the parameters). */
  static PoissonCusum<S> read(ByteReader& r) {
    PoissonCusumParams p;
    p.mu0 = r.f64();
    p.mu1 = read_optional(r, format, "mu1");
    p.h = r.f64();
    p.mu1_lower = read_optional(r, format, "mu1_lower");
    p.h_lower = read_optional(r, format, "h_lower");
    p.k = read_optional(r, format, "k");
    p.k_lower = read_optional(r, format, "k_lower");
    p.fir_headstart = r.f64();
    p.reset_on_alarm = read_flag(r, format, "reset_on_alarm");
    PoissonCusum<S> c(p);
    const S up = r.template scalar<S>();
    const S down = r.template scalar<S>();
    if (!(std::isfinite(up) && up >= S(0))) corrupted(format, "upper sum ", up);
    if (!(std::isfinite(down) && down >= S(0))) corrupted(format, "lower sum ", down);
    if ((!p.mu1 && up != S(0)) || (!p.mu1_lower && down != S(0))) {
      corrupted(format, "a sum that is off is not 0");
    }
    const std::uint64_t t = r.u64();
    if (t > (std::uint64_t{1} << 62)) corrupted(format, "sample count ", t);
    c.up_ = up;
    c.down_ = down;
    c.t_ = static_cast<std::int64_t>(t);
    return c;
  }
};

/** Payload: u32 n_bins, f64 epsilon, u32 window_batches; u8 fitted; when fitted: the edges
 *  (u64 n_bins - 1, f64 each, non-decreasing), the reference counts (u64 n_bins, u64 each, sum
 *  > 0), and the window: with window_batches = 0 its counts (u64 n_bins, u64 each); else u64 the
 *  batches held (<= window_batches), each as its counts (u64 n_bins, u64 each), oldest first. */
template <class S>
struct Serial::Io<PsiMonitor<S>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "PsiMonitor",
                                       "monitor"};  ///< names in messages
  /** "PsiMonitor<float>" or "PsiMonitor<double>". */
  static std::string tag() { return model_tag<S>("PsiMonitor"); }

  /** The payload (an unfitted monitor writes its parameters and a 0 flag). */
  static void write(const PsiMonitor<S>& m, ByteWriter& w) {
    w.u32(static_cast<std::uint32_t>(m.params_.n_bins));
    w.f64(m.params_.epsilon);
    w.u32(static_cast<std::uint32_t>(m.params_.window_batches));
    w.u8(m.state_ ? 1 : 0);
    if (!m.state_) return;
    const auto& s = *m.state_;
    write_values<double>(w, s.edges);
    write_values<std::uint64_t>(w, s.reference);
    if (m.params_.window_batches == 0) {
      write_values<std::uint64_t>(w, s.window);
      return;
    }
    const std::size_t nb = s.window.size();
    const std::size_t cap = static_cast<std::size_t>(m.params_.window_batches);
    w.u64(static_cast<std::uint64_t>(s.ring_used));
    for (std::size_t i = 0; i < s.ring_used; ++i) {
      const std::size_t at = (s.ring_head + i) % cap;
      std::vector<std::int64_t> counts(s.ring.begin() + static_cast<std::ptrdiff_t>(at * nb),
                                       s.ring.begin() + static_cast<std::ptrdiff_t>(at * nb + nb));
      write_values<std::uint64_t>(w, counts);
    }
  }

  /** The monitor of a payload, validated. */
  static PsiMonitor<S> read(ByteReader& r) {
    PsiMonitorParams p;
    p.n_bins = read_int(r, format, "n_bins", 1 << 20);
    p.epsilon = r.f64();
    p.window_batches = read_int(r, format, "window_batches", 1 << 20);
    PsiMonitor<S> m(p);  // validates
    if (!read_flag(r, format, "fitted")) return m;
    const auto nb = static_cast<std::size_t>(p.n_bins);
    PsiMonitorState s;
    s.edges = read_values<double, std::vector<double>>(r, format, "edges", nb - 1);
    for (std::size_t b = 1; b < s.edges.size(); ++b) {
      if (!(s.edges[b - 1] <= s.edges[b])) corrupted(format, "edges decrease at ", b);
    }
    s.reference = read_counts(r, nb, "reference counts", s.n_reference);
    if (s.n_reference == 0) corrupted(format, "an empty reference");
    if (p.window_batches == 0) {
      s.window = read_counts(r, nb, "window counts", s.n_window);
    } else {
      const std::size_t used = read_count(r, 8 + 8 * nb, format, "window batches",
                                          static_cast<std::uint64_t>(p.window_batches));
      s.window.assign(nb, 0);
      s.ring.reserve(used * nb);
      for (std::size_t i = 0; i < used; ++i) {
        std::int64_t size = 0;
        const std::vector<std::int64_t> counts = read_counts(r, nb, "batch counts", size);
        if (size == 0) corrupted(format, "an empty batch in the window");
        for (std::size_t b = 0; b < nb; ++b) s.window[b] += counts[b];
        s.ring.insert(s.ring.end(), counts.begin(), counts.end());
        s.ring_sizes.push_back(size);
        s.n_window += size;
        if (s.n_window >= (std::int64_t{1} << 50)) corrupted(format, "window size past 2^50");
      }
      s.ring_used = used;
    }
    m.state_ = std::move(s);
    return m;
  }

 private:
  /** n bin counts and their total into `total`, below 2^50 (no stream is that long, and no sum
   *  of them can overflow). */
  static std::vector<std::int64_t> read_counts(ByteReader& r, std::size_t n, const char* what,
                                               std::int64_t& total) {
    const auto raw = read_values<std::uint64_t, std::vector<std::uint64_t>>(r, format, what, n);
    std::vector<std::int64_t> out(n);
    total = 0;
    for (std::size_t b = 0; b < n; ++b) {
      if (raw[b] >= (std::uint64_t{1} << 50)) corrupted(format, what, " ", raw[b], " at bin ", b);
      out[b] = static_cast<std::int64_t>(raw[b]);
      total += out[b];
      if (total >= (std::int64_t{1} << 50)) corrupted(format, what, " sum past 2^50 at bin ", b);
    }
    return out;
  }
};

}  // namespace detail
OSPREY_NAMESPACE_END

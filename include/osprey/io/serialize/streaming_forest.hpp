/** \file
 *  Serialiser of `StreamingIsolationForest`: the parameters, the samples learned so far, the
 *  window and the current forest, so a restored detector continues the stream bit-identically
 *  (docs/model-format.md). A detector still warming up (no forest yet) round-trips as such.
 *  Not API.
 */
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "../../streams/streaming_isolation_forest.hpp"
#include "common.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Payload: u32 n_trees; u64 window_size, max_samples; u8 has warm_up, u64 warm_up; u64
 *  retrain_every; u32 trees_per_retrain; f64 threshold; u64 random_state; u64 n_features (0
 *  before the first sample); u64 samples seen n; the window's min(n, window_size) samples,
 *  oldest first (u64 count, then count scalars, row by row); and once n >= warm_up the forest:
 *  thresholds (scalars), features (u32), leaf values (scalars), counts (u32), each as a u64
 *  length and its values. The retrain phase, the trees grown and the oldest tree's slot follow
 *  from n. `n_threads` is not saved. */
template <class S>
struct Serial::Io<StreamingIsolationForest<S>> {
  using Detector = StreamingIsolationForest<S>;
  using Params = StreamingIsolationForestParams;
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "StreamingIsolationForest",
                                       "detector"};  ///< names in messages
  /** "StreamingIsolationForest<float>" or "StreamingIsolationForest<double>". */
  static std::string tag() { return model_tag<S>("StreamingIsolationForest"); }

  /** The payload. */
  static void write(const Detector& m, ByteWriter& w) {
    const Params& p = m.params_;
    w.u32(static_cast<std::uint32_t>(p.n_trees));
    w.u64(static_cast<std::uint64_t>(p.window_size));
    w.u64(static_cast<std::uint64_t>(p.max_samples));
    w.u8(p.warm_up ? 1 : 0);
    w.u64(p.warm_up ? static_cast<std::uint64_t>(*p.warm_up) : 0);
    w.u64(static_cast<std::uint64_t>(p.retrain_every));
    w.u32(static_cast<std::uint32_t>(p.trees_per_retrain));
    w.f64(p.threshold);
    w.u64(p.random_state);
    const auto& win = m.window_;
    w.u64(static_cast<std::uint64_t>(win.d));
    w.u64(win.seen);
    std::vector<S> rows;
    rows.reserve(static_cast<std::size_t>(win.size() * win.d));
    for (Eigen::Index i = 0; i < win.size(); ++i) {
      for (Eigen::Index j = 0; j < win.d; ++j) rows.push_back(win.coeff(i, j));
    }
    write_values<S>(w, rows);
    if (!m.forest_) return;
    write_values<S>(w, m.forest_->thresholds);
    write_values<std::uint32_t>(w, m.forest_->features);
    write_values<S>(w, m.forest_->leaf_values);
    write_values<std::uint32_t>(w, m.forest_->counts);
  }

  /** The detector of a payload, validated in full. */
  static Detector read(ByteReader& r) {
    Detector m(read_params(r));  // validates: an InvalidArgument becomes a FormatError
    const Params& p = m.params_;
    const std::uint64_t d = r.u64();
    const std::uint64_t seen = r.u64();
    if (d > std::numeric_limits<std::uint32_t>::max() || (d == 0) != (seen == 0)) {
      corrupted(format, "n_features ", d, " with ", seen, " samples seen");
    }
    if (seen > (std::uint64_t{1} << 62)) corrupted(format, "sample count ", seen);
    const auto cap = static_cast<std::uint64_t>(p.window_size);
    const std::uint64_t held = seen < cap ? seen : cap;
    if (d > 0 && held > r.remaining() / (d * sizeof(S))) {
      corrupted(format, "the window of ", held, " samples is longer than the payload");
    }
    const std::vector<S> rows =
        read_values<S, std::vector<S>>(r, format, "window", static_cast<std::size_t>(held * d));
    restore_window(m, d, seen, rows);
    if (seen >= static_cast<std::uint64_t>(m.warm_up())) read_forest(r, m);
    return m;
  }

 private:
  static Params read_params(ByteReader& r) {
    Params p;
    p.n_trees = read_int(r, format, "n_trees");
    p.window_size = read_index(r, "window_size");
    p.max_samples = read_index(r, "max_samples");
    const bool has_warm_up = read_flag(r, format, "warm_up");
    const Eigen::Index warm_up = read_index(r, "warm_up");
    if (has_warm_up) p.warm_up = warm_up;
    p.retrain_every = read_index(r, "retrain_every");
    p.trees_per_retrain = read_int(r, format, "trees_per_retrain");
    p.threshold = r.f64();
    p.random_state = r.u64();
    return p;
  }

  static Eigen::Index read_index(ByteReader& r, const char* what) {
    const std::uint64_t v = r.u64();
    if (v > (std::uint64_t{1} << 62)) corrupted(format, what, " ", v);
    return static_cast<Eigen::Index>(v);
  }

  /** Puts the samples back in their ring slots and derives the retrain counters from `seen`. */
  static void restore_window(Detector& m, std::uint64_t d, std::uint64_t seen,
                             const std::vector<S>& rows) {
    auto& win = m.window_;
    win.d = static_cast<Eigen::Index>(d);
    win.seen = seen;
    win.values.resize(rows.size());
    const auto ud = static_cast<std::size_t>(d);
    for (Eigen::Index i = 0; i < win.size(); ++i) {
      const std::size_t from = static_cast<std::size_t>(i) * ud;
      std::copy(rows.begin() + static_cast<std::ptrdiff_t>(from),
                rows.begin() + static_cast<std::ptrdiff_t>(from + ud),
                win.values.begin() + static_cast<std::ptrdiff_t>(win.slot(i) * ud));
    }
    const auto warm = static_cast<std::uint64_t>(m.warm_up());
    if (seen < warm) return;
    const auto R = static_cast<std::uint64_t>(m.params_.retrain_every);
    const auto k = static_cast<std::uint64_t>(m.params_.trees_per_retrain);
    const auto T = static_cast<std::uint64_t>(m.params_.n_trees);
    const std::uint64_t retrains = (seen - warm) / R;
    m.since_retrain_ = static_cast<Eigen::Index>((seen - warm) % R);
    m.trees_grown_ = T + k * retrains;  // modulo 2^64, as the running count
    m.next_tree_ = static_cast<std::size_t>((k % T) * (retrains % T) % T);
  }

  /** Reads the forest's arrays (sized from the parameters and the width), checking each value
   *  as IsolationForest's loader does. */
  static void read_forest(ByteReader& r, Detector& m) {
    auto s = empty_stream_forest_sizes(m);
    const std::uint64_t d = static_cast<std::uint64_t>(s.n_features);
    const auto T = static_cast<std::size_t>(s.n_estimators);
    s.thresholds =
        read_values<S, std::vector<S>>(r, format, "thresholds", T * s.n_internal(), false);
    for (const S v : s.thresholds) {
      if (std::isnan(v) || v == -std::numeric_limits<S>::infinity()) {
        corrupted(format, "threshold ", v);
      }
    }
    s.features = read_values<std::uint32_t, std::vector<std::uint32_t>>(r, format, "features",
                                                                        T * s.n_internal());
    for (const std::uint32_t f : s.features) {
      if (f >= d) corrupted(format, "feature index ", f);
    }
    s.leaf_values = read_values<S, std::vector<S>>(r, format, "leaf values", T * s.n_leaves());
    const double max_path = (static_cast<double>(s.height) +
                             average_path_length(static_cast<std::uint64_t>(s.samples_per_tree))) *
                            (1.0 + 1e-6);
    for (const S v : s.leaf_values) {
      if (!(v >= 0 && static_cast<double>(v) <= max_path)) corrupted(format, "leaf path ", v);
    }
    s.counts = read_values<std::uint32_t, std::vector<std::uint32_t>>(
        r, format, "counts", T * (s.n_internal() + s.n_leaves()));
    m.forest_ = std::move(s);
  }

  /** The forest's sizes (no arrays): a corrupted file must not make the loader allocate the
   *  arrays before their bytes are known to be there. */
  static IsolationForestState<S> empty_stream_forest_sizes(const Detector& m) {
    IsolationForestState<S> s;
    s.n_features = m.window_.d;
    s.n_estimators = m.params_.n_trees;
    s.samples_per_tree = m.samples_per_tree();
    s.height = isolation_height_limit(static_cast<std::uint64_t>(s.samples_per_tree));
    return s;
  }
};

}  // namespace detail
OSPREY_NAMESPACE_END

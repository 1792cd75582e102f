/** \file
 *  The IsolationForest serialiser, `detail::Serial::Io<IsolationForest<S>>`: the payload of a
 *  saved forest and its full validation, for `osprey::save/load` (io/serialize.hpp) and the
 *  forest's own `save`/`load` members (one format). It lives with the anomaly module, not under
 *  io/serialize/, because the members must work without io/serialize.hpp and a module header
 *  may not include that layer. It also reads the 0.1 files (the "OSPREYIF" envelope, the same
 *  payload). Not API.
 */
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <variant>

#include "../../io/binary_format.hpp"
#include "isolation_tree.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** The fixed fields at the start of an IsolationForest payload, as read. */
struct IsolationPayloadHead {
  std::uint64_t n_features = 0;
  std::uint64_t n_estimators = 0;
  std::uint64_t psi = 0;
  std::uint32_t height = 0;
  double offset = 0.0;
  std::uint8_t has_contamination = 0;
  double contamination = 0.0;
  std::uint8_t max_features_kind = 0;
  double fraction = 0.0;
  std::uint64_t count = 0;
  std::uint64_t max_samples = 0;
  bool bootstrap = false;
  std::uint64_t random_state = 0;
  std::uint32_t extension_level = 0;  // format version 3 on
};

/** Payload (docs/model-format.md): u8 scalar size (4 float, 8 double); u64 n_features,
 *  n_estimators, samples_per_tree; u32 height; f64 offset; the parameters (u64 max_samples, u8
 *  has contamination, f64 contamination, u8 max_features kind (0 fraction, 1 count), f64
 *  fraction, u64 count, u8 bootstrap, u64 random_state); since format version 3 a u32
 *  extension_level; then the arrays of `IsolationForestState` in order: for extension level 0
 *  (and every file before version 3) thresholds as scalars, features u32, leaf values as
 *  scalars, counts u32; for a hyperplane forest tree_features u32 and centres (T x d_T each),
 *  intercepts (the thresholds array), normals (T x n_internal x k scalars), normal_features u32
 *  (same shape, only when k < d_T), leaf values, counts. d_T follows from max_features.
 *  `n_threads` and `progress` are not saved. Since version 3 a forest may be taller than its
 *  psi's height limit (add_trees on fewer rows). */
template <class S>
struct Serial::Io<IsolationForest<S>> {
  using Forest = IsolationForest<S>;
  using State = IsolationForestState<S>;
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "IsolationForest",
                                       "forest"};                  ///< names in messages
  static constexpr const BinaryFormat& legacy = kIsolationFormat;  ///< the 0.1 envelope

  /** "IsolationForest<float>" or "IsolationForest<double>". */
  static std::string tag() {
    return sizeof(S) == 4 ? "IsolationForest<float>" : "IsolationForest<double>";
  }

  /** The payload. \throws NotFittedError before fit. */
  static void write(const Forest& forest, ByteWriter& p) {
    const State& s = forest.state();
    const auto& params = forest.params_;
    p.u8(static_cast<std::uint8_t>(sizeof(S)));
    p.u64(static_cast<std::uint64_t>(s.n_features));
    p.u64(static_cast<std::uint64_t>(s.n_estimators));
    p.u64(static_cast<std::uint64_t>(s.samples_per_tree));
    p.u32(static_cast<std::uint32_t>(s.height));
    p.f64(s.offset);
    p.u64(static_cast<std::uint64_t>(params.max_samples));
    p.u8(params.contamination ? 1 : 0);
    p.f64(params.contamination.value_or(0.0));
    const bool is_count = std::holds_alternative<int>(params.max_features);
    p.u8(is_count ? 1 : 0);
    p.f64(is_count ? 0.0 : std::get<double>(params.max_features));
    p.u64(is_count ? static_cast<std::uint64_t>(std::get<int>(params.max_features)) : 0);
    p.u8(params.bootstrap ? 1 : 0);
    p.u64(params.random_state);
    p.u32(static_cast<std::uint32_t>(s.extension_level));
    for (const std::uint32_t v : s.tree_features) p.u32(v);
    for (const S v : s.centres) p.scalar(v);
    for (const S v : s.thresholds) p.scalar(v);
    for (const std::uint32_t v : s.features) p.u32(v);
    for (const S v : s.normals) p.scalar(v);
    for (const std::uint32_t v : s.normal_features) p.u32(v);
    for (const S v : s.leaf_values) p.scalar(v);
    for (const std::uint32_t v : s.counts) p.u32(v);
  }

  /** The forest of a checksummed payload, validated in full. */
  static Forest read(ByteReader& r) {
    const IsolationPayloadHead h = read_head(r);
    Forest forest(params_of(h));  // an InvalidArgument becomes a FormatError
    State s;
    s.n_features = static_cast<Eigen::Index>(h.n_features);
    s.n_estimators = static_cast<Eigen::Index>(h.n_estimators);
    s.samples_per_tree = static_cast<Eigen::Index>(h.psi);
    s.height = static_cast<int>(h.height);
    s.offset = h.offset;
    s.extension_level = static_cast<int>(h.extension_level);
    if (s.hyperplanes()) {
      s.d_tree = forest.features_per_tree(s.n_features);
      if (h.extension_level >= static_cast<std::uint64_t>(s.d_tree)) {
        corrupted("extension_level ", h.extension_level, " for ", s.d_tree, " features per tree");
      }
      read_hyperplanes(r, h, s);
    } else {
      read_trees(r, h, s);
    }
    forest.state_ = std::move(s);
    return forest;
  }
  /** The 0.1 payload is the same. */
  static Forest read_legacy(ByteReader& r) { return read(r); }

 private:
  [[noreturn]] static void corrupted(const auto&... what) {
    format_fail(format, "corrupted forest data: ", what...);
  }

  /** Reads and checks the fixed payload fields. \throws on the other scalar type. */
  static IsolationPayloadHead read_head(ByteReader& r) {
    const std::uint8_t scalar_size = r.u8();
    if (scalar_size != sizeof(S)) {
      format_fail(format, "the forest was saved with ", int{scalar_size},
                  "-byte scalars but this IsolationForest uses ", sizeof(S), "-byte ones");
    }
    IsolationPayloadHead h;
    h.n_features = r.u64();
    h.n_estimators = r.u64();
    h.psi = r.u64();
    h.height = r.u32();
    h.offset = r.f64();
    h.max_samples = r.u64();
    h.has_contamination = r.u8();
    h.contamination = r.f64();
    h.max_features_kind = r.u8();
    h.fraction = r.f64();
    h.count = r.u64();
    h.bootstrap = r.u8() != 0;
    h.random_state = r.u64();
    if (r.version() >= 3) h.extension_level = r.u32();
    check_head(h, r.version() >= 3);
    return h;
  }

  /** The largest leaf path length a valid forest of the head's sizes holds: depth + c(size) <=
   *  height + c(2^height) (c(psi) when height is psi's limit). The bound keeps scores in (0, 1]
   *  whatever the file says. */
  static double max_path_length(const IsolationPayloadHead& h) {
    const std::uint64_t most = std::max<std::uint64_t>(h.psi, std::uint64_t{1} << h.height);
    return (static_cast<double>(h.height) + average_path_length(most)) * (1.0 + 1e-6);
  }

  static void check_head(const IsolationPayloadHead& h, bool taller_allowed) {
    if (h.n_features < 1 || h.n_features > std::numeric_limits<std::uint32_t>::max()) {
      corrupted("n_features ", h.n_features);
    }
    if (h.n_estimators < 1 ||
        h.n_estimators > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
      corrupted("n_estimators ", h.n_estimators);
    }
    if (h.psi < 1 || h.psi > std::numeric_limits<std::uint32_t>::max()) {
      corrupted("samples_per_tree ", h.psi);
    }
    const int limit = isolation_height_limit(h.psi);
    if (h.height < 1 || h.height > 30 || static_cast<int>(h.height) < limit ||
        (!taller_allowed && static_cast<int>(h.height) != limit)) {
      corrupted("height ", h.height, " for ", h.psi, " samples per tree");
    }
    if (!std::isfinite(h.offset)) corrupted("offset ", h.offset);
    if (h.extension_level >= h.n_features) corrupted("extension_level ", h.extension_level);
    if (h.has_contamination > 1 || h.max_features_kind > 1) corrupted("parameter flags");
    if (h.max_samples > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      corrupted("max_samples ", h.max_samples);
    }
    if (h.max_features_kind == 1 &&
        h.count > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
      corrupted("max_features ", h.count);
    }
  }

  /** The parameters of a checked head (the constructor validates them). */
  static typename Forest::Params params_of(const IsolationPayloadHead& h) {
    typename Forest::Params p;
    p.n_estimators = static_cast<int>(h.n_estimators);
    p.max_samples = static_cast<Eigen::Index>(h.max_samples);
    if (h.has_contamination == 1) p.contamination = h.contamination;
    if (h.max_features_kind == 1) {
      p.max_features = static_cast<int>(h.count);
    } else {
      p.max_features = h.fraction;
    }
    p.bootstrap = h.bootstrap;
    p.random_state = h.random_state;
    p.extension_level = static_cast<int>(h.extension_level);
    return p;
  }

  /** Reads the tree arrays into `s` (sized from its head fields), checking every value. */
  static void read_trees(ByteReader& r, const IsolationPayloadHead& h, State& s) {
    const std::uint64_t per_tree = s.n_internal() * (sizeof(S) + 4) + s.n_leaves() * sizeof(S) +
                                   (s.n_internal() + s.n_leaves()) * 4;
    if (r.remaining() / per_tree != h.n_estimators || r.remaining() % per_tree != 0) {
      corrupted("the payload holds ", r.remaining(), " bytes of trees, expected ", h.n_estimators,
                " x ", per_tree);
    }
    const std::size_t T = static_cast<std::size_t>(h.n_estimators);
    s.thresholds.resize(T * s.n_internal());
    s.features.resize(T * s.n_internal());
    s.leaf_values.resize(T * s.n_leaves());
    s.counts.resize(T * (s.n_internal() + s.n_leaves()));
    for (auto& v : s.thresholds) {
      v = r.template scalar<S>();
      if (std::isnan(v) || v == -std::numeric_limits<S>::infinity()) corrupted("threshold ", v);
    }
    for (auto& v : s.features) {
      v = r.u32();
      if (v >= h.n_features) corrupted("feature index ", v);
    }
    // A leaf's path length is depth + c(size) <= height + c(psi); the bound keeps scores in
    // (0, 1] whatever the file says.
    read_leaves(r, h, s);
  }

  /** Leaf values (bounded by max_path_length) and counts. */
  static void read_leaves(ByteReader& r, const IsolationPayloadHead& h, State& s) {
    const double max_path = max_path_length(h);
    for (auto& v : s.leaf_values) {
      v = r.template scalar<S>();
      if (!(v >= 0 && static_cast<double>(v) <= max_path)) corrupted("leaf path length ", v);
    }
    for (auto& v : s.counts) v = r.u32();
  }

  /** Reads a hyperplane forest's arrays into `s` (sizes, d_tree and level set), checking every
   *  value; the sizes are checked against the bytes left before anything is allocated. */
  static void read_hyperplanes(ByteReader& r, const IsolationPayloadHead& h, State& s) {
    const auto dt = static_cast<std::uint64_t>(s.d_tree);
    const auto k = static_cast<std::uint64_t>(s.normal_terms());
    const std::uint64_t n_int = s.n_internal();
    const std::uint64_t n_leaf = s.n_leaves();
    if (dt > r.remaining() || n_int * k > r.remaining()) {
      corrupted("the payload holds ", r.remaining(), " bytes, too few for ", dt,
                " features per tree and ", k, " normal components per node");
    }
    const std::uint64_t per_tree = dt * (4 + sizeof(S)) + n_int * sizeof(S) +
                                   n_int * k * (sizeof(S) + (k < dt ? 4 : 0)) + n_leaf * sizeof(S) +
                                   (n_int + n_leaf) * 4;
    if (r.remaining() / per_tree != h.n_estimators || r.remaining() % per_tree != 0) {
      corrupted("the payload holds ", r.remaining(), " bytes of trees, expected ", h.n_estimators,
                " x ", per_tree);
    }
    const auto T = static_cast<std::size_t>(h.n_estimators);
    s.tree_features.resize(T * dt);
    s.centres.resize(T * dt);
    s.thresholds.resize(T * n_int);
    s.normals.resize(T * n_int * k);
    s.normal_features.resize(k < dt ? T * n_int * k : 0);
    s.leaf_values.resize(T * n_leaf);
    s.counts.resize(T * (n_int + n_leaf));
    for (auto& v : s.tree_features) {
      v = r.u32();
      if (v >= h.n_features) corrupted("feature index ", v);
    }
    for (auto& v : s.centres) {
      v = r.template scalar<S>();
      if (!std::isfinite(v)) corrupted("tree centre ", v);
    }
    for (auto& v : s.thresholds) {
      v = r.template scalar<S>();
      if (std::isnan(v) || v == -std::numeric_limits<S>::infinity()) corrupted("intercept ", v);
    }
    for (auto& v : s.normals) {
      v = r.template scalar<S>();
      if (!std::isfinite(v)) corrupted("normal component ", v);
    }
    for (auto& v : s.normal_features) {
      v = r.u32();
      if (v >= dt) corrupted("normal feature index ", v);
    }
    read_leaves(r, h, s);
  }
};

}  // namespace detail
OSPREY_NAMESPACE_END

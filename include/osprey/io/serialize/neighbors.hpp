/** \file
 *  Serialisers of NearestNeighbors, KNeighborsClassifier and KNeighborsRegressor
 *  (docs/model-format.md). The search index is not stored: `load` rebuilds it from the saved
 *  training rows with the saved parameters. Both builds are deterministic, so the restored
 *  index answers bit-identically, and a file cannot describe a malformed tree. HnswIndex is the
 *  exception: its graph is stored (a parallel build is not reproducible) and every list is
 *  validated on reading. Not API.
 */
#pragma once

#include <cstdint>
#include <limits>
#include <utility>

#include "../../neighbors/hnsw.hpp"
#include "../../neighbors/kneighbors.hpp"
#include "../../neighbors/nearest_neighbors.hpp"
#include "common.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Writes the search parameters and the training rows (u64 rows, u64 cols, row-major values). */
template <class S>
void write_search(ByteWriter& w, int n_neighbors, Algorithm algorithm, int leaf_size,
                  const RowMatrix<S>& X) {
  w.u32(static_cast<std::uint32_t>(n_neighbors));
  w.u8(static_cast<std::uint8_t>(algorithm));
  w.u32(static_cast<std::uint32_t>(leaf_size));
  w.u64(static_cast<std::uint64_t>(X.rows()));
  w.u64(static_cast<std::uint64_t>(X.cols()));
  for (Eigen::Index i = 0; i < X.size(); ++i) w.scalar(X.data()[i]);
}

/** The parameters and training rows written by write_search; values are checked by the
 *  constructor and fit that follow. */
template <class S>
struct SearchPayload {
  int n_neighbors = 0;
  Algorithm algorithm = Algorithm::automatic;
  int leaf_size = 0;
  RowMatrix<S> X;

  static SearchPayload read(ByteReader& r, const BinaryFormat& f) {
    SearchPayload p;
    p.n_neighbors = read_int(r, f, "n_neighbors");
    const std::uint8_t a = r.u8();
    if (a > 2) corrupted(f, "algorithm ", int{a});
    p.algorithm = static_cast<Algorithm>(a);
    p.leaf_size = read_int(r, f, "leaf_size");
    const std::uint64_t rows = r.u64();
    const std::uint64_t cols = r.u64();
    const std::uint64_t cap = r.remaining() / sizeof(S);
    if (rows < 1 || cols < 1 || rows > cap || cols > cap / rows) {
      corrupted(f, "training set of ", rows, " x ", cols, " (", r.remaining(), " bytes left)");
    }
    p.X.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
    for (Eigen::Index i = 0; i < p.X.size(); ++i) p.X.data()[i] = r.template scalar<S>();
    return p;
  }
};

/** Payload: u32 n_neighbors, u8 algorithm, u32 leaf_size, u64 rows, u64 cols, the rows (the
 *  live rows in increasing id order); since format version 4 the ids: u8 0 when they are
 *  0..rows-1 (no add or remove changed them), else u8 1, the ids (u64 rows, rows i32,
 *  increasing), i32 next_id and u8 the fitted algorithm (1 brute, 2 kd_tree). */
template <class S, class M>
struct Serial::Io<NearestNeighbors<S, M>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "NearestNeighbors",
                                       "model"};  ///< names in messages
  /** e.g. "NearestNeighbors<float,Minkowski<3>>". */
  static std::string tag() { return model_tag<S, M>("NearestNeighbors"); }

  /** The payload. \throws NotFittedError before fit. */
  static void write(const NearestNeighbors<S, M>& m, ByteWriter& w) {
    const auto& p = m.params();
    const RowMatrix<S> X = m.live_rows();
    if (X.rows() == 0) fail("NearestNeighbors has no live rows to save (every row was removed)");
    write_search(w, p.n_neighbors, p.algorithm, p.leaf_size, X);
    const Eigen::VectorXi ids = m.live_ids();
    const bool plain =
        m.next_id() == static_cast<int>(X.rows()) &&
        (ids.array() ==
         Eigen::VectorXi::LinSpaced(ids.size(), 0, static_cast<int>(ids.size()) - 1).array())
            .all();
    w.u8(plain ? 0 : 1);
    if (plain) return;
    write_values<std::int32_t>(w, ids);
    w.u32(static_cast<std::uint32_t>(m.next_id()));
    w.u8(static_cast<std::uint8_t>(m.fitted_algorithm()));
  }
  /** The estimator of a payload, its index rebuilt. */
  static NearestNeighbors<S, M> read(ByteReader& r) {
    auto p = SearchPayload<S>::read(r, format);
    NearestNeighbors<S, M> m(
        {.n_neighbors = p.n_neighbors, .algorithm = p.algorithm, .leaf_size = p.leaf_size});
    const std::uint8_t dynamic = r.version() >= 4 ? r.u8() : std::uint8_t{0};
    if (dynamic > 1) corrupted(format, "id flag ", int{dynamic});
    if (dynamic == 0) {
      m.fit(p.X);
      return m;
    }
    const auto n = static_cast<std::size_t>(p.X.rows());
    auto ids = read_values<std::int32_t, std::vector<int>>(r, format, "ids", n);
    const std::uint32_t next = r.u32();
    const std::uint8_t algorithm = r.u8();
    if (algorithm != 1 && algorithm != 2) corrupted(format, "fitted algorithm ", int{algorithm});
    for (std::size_t i = 0; i < n; ++i) {
      if (ids[i] < 0 || (i > 0 && ids[i] <= ids[i - 1])) {
        corrupted(format, "ids are not increasing from 0 (id ", ids[i], " at row ", i, ")");
      }
    }
    if (next > static_cast<std::uint32_t>(std::numeric_limits<int>::max()) ||
        (n > 0 && static_cast<std::uint32_t>(ids[n - 1]) >= next)) {
      corrupted(format, "next id ", next, " is not above the largest id");
    }
    m.fit(p.X);  // validates the rows as fit does
    m.restore(RowMatrix<S>(p.X), std::move(ids), static_cast<int>(next), algorithm == 2);
    return m;
  }
};

/** Writes a k-neighbours estimator's parameters and training rows. */
template <class S>
void write_knn(ByteWriter& w, const KNeighborsParams& p, const RowMatrix<S>& X) {
  w.u8(static_cast<std::uint8_t>(p.weights));
  write_search(w, p.n_neighbors, p.algorithm, p.leaf_size, X);
}

/** Reads the u8 weights and the search payload into a validated KNeighborsParams. */
template <class S>
KNeighborsParams read_knn(ByteReader& r, const BinaryFormat& f, SearchPayload<S>& search) {
  const std::uint8_t weights = r.u8();
  if (weights > 1) corrupted(f, "weights ", int{weights});
  search = SearchPayload<S>::read(r, f);
  return {.n_neighbors = search.n_neighbors,
          .weights = static_cast<Weights>(weights),
          .algorithm = search.algorithm,
          .leaf_size = search.leaf_size};
}

/** Reads the sample weights written after a kNN payload since format version 2 (u64 0 for
 *  none, else n f64, each finite and positive); empty for a version-1 file. */
[[nodiscard]] inline Vector<double> read_knn_sample_weight(ByteReader& r, const BinaryFormat& f,
                                                           Eigen::Index n) {
  if (r.version() < 2) return {};
  Vector<double> w = read_values<double, Vector<double>>(r, f, "sample_weight");
  if (w.size() != 0 && w.size() != n) {
    corrupted(f, "sample_weight has ", w.size(), " entries for ", n, " rows");
  }
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    if (!(w(i) > 0.0)) corrupted(f, "sample_weight ", w(i), " of row ", i, " is not positive");
  }
  return w;
}

/** Payload: u8 weights, the search payload, then classes (u64 c, c i32, increasing), the
 *  class index of every training row (u64 n, n u32 in [0, c)) and, since format version 2,
 *  the sample weights (u64 0 when fitted unweighted, else n positive f64). */
template <class S, class M>
struct Serial::Io<KNeighborsClassifier<S, M>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "KNeighborsClassifier",
                                       "model"};  ///< names in messages
  /** e.g. "KNeighborsClassifier<double,Euclidean>". */
  static std::string tag() { return model_tag<S, M>("KNeighborsClassifier"); }

  /** The payload. \throws NotFittedError before fit. */
  static void write(const KNeighborsClassifier<S, M>& m, ByteWriter& w) {
    write_knn<S>(w, m.params(), m.state().nn.fit_X());
    write_values<std::int32_t>(w, m.state().classes);
    write_values<std::uint32_t>(w, m.state().encoded);
    write_values<double>(w, m.state().sample_weight);
  }
  /** The classifier of a payload: refitted on the saved rows and labels (bit-identical). */
  static KNeighborsClassifier<S, M> read(ByteReader& r) {
    SearchPayload<S> search;
    KNeighborsClassifier<S, M> m(read_knn(r, format, search));
    const auto classes = read_values<std::int32_t, Eigen::VectorXi>(r, format, "classes");
    for (Eigen::Index c = 1; c < classes.size(); ++c) {
      if (!(classes(c - 1) < classes(c))) corrupted(format, "classes are not increasing");
    }
    const auto n = static_cast<std::size_t>(search.X.rows());
    const auto encoded =
        read_values<std::uint32_t, std::vector<std::uint32_t>>(r, format, "labels", n);
    Eigen::VectorXi y(search.X.rows());
    for (std::size_t i = 0; i < n; ++i) {
      if (encoded[i] >= static_cast<std::uint32_t>(classes.size())) {
        corrupted(format, "label index ", encoded[i], " of row ", i, " is out of range");
      }
      y(static_cast<Eigen::Index>(i)) = classes(static_cast<Eigen::Index>(encoded[i]));
    }
    const Vector<double> weight = read_knn_sample_weight(r, format, search.X.rows());
    m.fit(search.X, y, weight);
    if (m.classes().size() != classes.size()) corrupted(format, "a class has no training row");
    return m;
  }
};

/** Payload: u8 weights, the search payload, then the targets (u64 n, n scalars) and, since
 *  format version 2, the sample weights (u64 0 when fitted unweighted, else n positive f64). */
template <class S, class M>
struct Serial::Io<KNeighborsRegressor<S, M>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "KNeighborsRegressor",
                                       "model"};  ///< names in messages
  /** e.g. "KNeighborsRegressor<float,Manhattan>". */
  static std::string tag() { return model_tag<S, M>("KNeighborsRegressor"); }

  /** The payload. \throws NotFittedError before fit. */
  static void write(const KNeighborsRegressor<S, M>& m, ByteWriter& w) {
    write_knn<S>(w, m.params(), m.state().nn.fit_X());
    write_values<S>(w, m.state().y);
    write_values<double>(w, m.state().sample_weight);
  }
  /** The regressor of a payload: refitted on the saved rows and targets (bit-identical). */
  static KNeighborsRegressor<S, M> read(ByteReader& r) {
    SearchPayload<S> search;
    KNeighborsRegressor<S, M> m(read_knn(r, format, search));
    const auto n = static_cast<std::size_t>(search.X.rows());
    const auto y = read_values<S, Eigen::Matrix<S, Eigen::Dynamic, 1>>(r, format, "targets", n);
    const Vector<double> weight = read_knn_sample_weight(r, format, search.X.rows());
    m.fit(search.X, y, weight);
    return m;
  }
};

/** Payload: u32 M, u32 ef_construction, u32 ef_search, u64 random_state, u64 n (ids), u64 d,
 *  the n rows (d scalars each, as stored: unit rows for Cosine), n u8 levels, n u8 states (0
 *  live, 1 removed and linked, 2 removed and unlinked), u64 entry + 1 (0 = none), then for each
 *  node and each of its layers 0 .. level: u32 count and the count u32 ids of its list. Reading
 *  checks every count against the layer's capacity and every id: in range, not the node itself,
 *  present on that layer, not unlinked; an unlinked node's lists are empty; the entry point is
 *  a linked node of the top level. */
template <class S, class M>
struct Serial::Io<HnswIndex<S, M>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "HnswIndex",
                                       "model"};  ///< names in messages
  /** e.g. "HnswIndex<float,Cosine>". */
  static std::string tag() { return model_tag<S, M>("HnswIndex"); }

  /** The payload. \throws NotFittedError before the first add. */
  static void write(const HnswIndex<S, M>& m, ByteWriter& w) {
    const auto& g = m.graph();
    const auto& p = m.params();
    w.u32(static_cast<std::uint32_t>(p.M));
    w.u32(static_cast<std::uint32_t>(p.ef_construction));
    w.u32(static_cast<std::uint32_t>(p.ef_search));
    w.u64(p.random_state);
    w.u64(static_cast<std::uint64_t>(g.n()));
    w.u64(static_cast<std::uint64_t>(g.d));
    for (std::size_t i = 0; i < g.n(); ++i) {
      for (std::size_t j = 0; j < g.d; ++j) w.scalar(g.vec(i)[j]);
    }
    for (const std::uint8_t l : g.levels) w.u8(l);
    for (const std::uint8_t st : g.state) w.u8(st);
    w.u64(static_cast<std::uint64_t>(g.entry + 1));
    for (std::size_t i = 0; i < g.n(); ++i) {
      for (int l = 0; l <= g.levels[i]; ++l) {
        const std::uint32_t* list = g.links(i, l);
        for (std::uint32_t j = 0; j <= list[0]; ++j) w.u32(list[j]);
      }
    }
  }

  /** The index of a payload, its graph restored exactly. */
  static HnswIndex<S, M> read(ByteReader& r) {
    HnswParams p;
    p.M = read_int(r, format, "M");
    p.ef_construction = read_int(r, format, "ef_construction");
    p.ef_search = read_int(r, format, "ef_search");
    p.random_state = r.u64();
    if (p.M < 2 || p.M > 2048 || p.ef_construction < 1 || p.ef_search < 1) {
      corrupted(format, "parameters M = ", p.M, ", ef_construction = ", p.ef_construction,
                ", ef_search = ", p.ef_search);
    }
    const std::uint64_t n = r.u64();
    const std::uint64_t d = r.u64();
    const std::uint64_t cap = r.remaining() / sizeof(S);
    if (n < 1 || d < 1 || n > cap || d > cap / n || n > std::uint64_t{0x7FFFFFFF}) {
      corrupted(format, "index of ", n, " rows x ", d, " features (", r.remaining(),
                " bytes left)");
    }
    HnswIndex<S, M> m(p);
    detail::HnswGraph<S> g;
    g.M = p.M;
    g.M0 = 2 * p.M;
    g.d = static_cast<std::size_t>(d);
    constexpr std::size_t lane = hnsw_lane<S>;
    g.stride = (g.d + lane - 1) / lane * lane;
    const auto nn = static_cast<std::size_t>(n);
    AlignedVector<S> rows(nn * g.stride, S(0));
    for (std::size_t i = 0; i < nn; ++i) {
      for (std::size_t j = 0; j < g.d; ++j) {
        const S v = r.template scalar<S>();
        if (!std::isfinite(v)) corrupted(format, "row ", i, " has a non-finite value");
        rows[i * g.stride + j] = v;
      }
    }
    if (r.remaining() < 2 * nn) corrupted(format, "levels and states are truncated");
    std::vector<std::uint8_t> levels(nn);
    for (std::size_t i = 0; i < nn; ++i) {
      levels[i] = r.u8();
      if (levels[i] > 200) corrupted(format, "level ", int{levels[i]}, " of node ", i);
    }
    g.grow(levels);
    g.data = std::move(rows);
    int top = -1;
    for (std::size_t i = 0; i < nn; ++i) {
      g.state[i] = r.u8();
      if (g.state[i] > hnsw_unlinked) corrupted(format, "state ", int{g.state[i]}, " of node ", i);
      if (g.state[i] == hnsw_live) ++g.n_live;
      if (g.state[i] == hnsw_tombstone) ++g.n_tombstones;
      if (g.state[i] != hnsw_unlinked) top = std::max(top, int{levels[i]});
    }
    const std::uint64_t entry = r.u64();
    if (entry > n || (entry == 0) != (top < 0) ||
        (entry > 0 && (g.state[entry - 1] == hnsw_unlinked || levels[entry - 1] != top))) {
      corrupted(format, "entry point ", entry, " (top level ", top, ")");
    }
    g.entry = static_cast<std::int64_t>(entry) - 1;
    g.max_level = top;
    for (std::size_t i = 0; i < nn; ++i) {
      for (int l = 0; l <= levels[i]; ++l) {
        std::uint32_t* list = g.links(i, l);
        const std::uint32_t cnt = r.u32();
        if (cnt > static_cast<std::uint32_t>(g.max_links(l)) ||
            (cnt > 0 && g.state[i] == hnsw_unlinked)) {
          corrupted(format, "node ", i, " has ", cnt, " links on layer ", l);
        }
        list[0] = cnt;
        for (std::uint32_t j = 0; j < cnt; ++j) {
          const std::uint32_t e = r.u32();
          if (e >= n || e == i || levels[e] < l || g.state[e] == hnsw_unlinked) {
            corrupted(format, "node ", i, " links to ", e, " on layer ", l);
          }
          list[j + 1] = e;
        }
      }
    }
    m.graph_ = std::move(g);
    return m;
  }
};

}  // namespace detail
OSPREY_NAMESPACE_END

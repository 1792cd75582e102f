/** \file
 *  Serialiser of LocalOutlierFactor (docs/model-format.md): the parameters, the training rows
 *  and the fitted per-row values (k-distances, densities, factors) with the offset. Loading
 *  rebuilds the neighbour search from the rows (a deterministic build) and keeps the saved
 *  values, so a restored detector scores bit-identically without the O(n^2) refit, and a file
 *  cannot make the loader allocate an n x k neighbour table. Not API.
 */
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>

#include "../../anomaly/local_outlier_factor.hpp"
#include "common.hpp"
#include "neighbors.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Payload: the search payload (u32 n_neighbors, u8 algorithm, u32 leaf_size, u64 rows,
 *  u64 cols, the rows), optional contamination (u8 flag + f64), u8 novelty, u32 k used, then
 *  n k-distances (Scalar), n densities (f64), n negated factors (f64), each as u64 n and the
 *  values, and f64 offset. */
template <class S, class M>
struct Serial::Io<LocalOutlierFactor<S, M>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "LocalOutlierFactor",
                                       "model"};  ///< names in messages
  /** e.g. "LocalOutlierFactor<double,Euclidean>". */
  static std::string tag() { return model_tag<S, M>("LocalOutlierFactor"); }

  /** The payload. \throws NotFittedError before fit. */
  static void write(const LocalOutlierFactor<S, M>& m, ByteWriter& w) {
    const auto& s = m.state();
    const auto& p = m.params();
    write_search(w, p.n_neighbors, p.algorithm, p.leaf_size, s.nn.fit_X());
    write_optional(w, p.contamination);
    w.u8(p.novelty ? 1 : 0);
    w.u32(static_cast<std::uint32_t>(s.k));
    write_values<S>(w, s.k_distance);
    write_values<double>(w, s.lrd);
    write_values<double>(w, s.nof);
    w.f64(s.offset);
  }

  /** The detector of a payload: parameters validated by its constructor, the search rebuilt,
   *  every saved value checked (sizes, finite, k-distances >= 0, densities > 0). */
  static LocalOutlierFactor<S, M> read(ByteReader& r) {
    auto search = SearchPayload<S>::read(r, format);
    LocalOutlierFactorParams p{.n_neighbors = search.n_neighbors,
                               .algorithm = search.algorithm,
                               .leaf_size = search.leaf_size};
    p.contamination = read_optional(r, format, "contamination");
    p.novelty = read_flag(r, format, "novelty");
    LocalOutlierFactor<S, M> m(p);
    const Eigen::Index n = search.X.rows();
    if (n < 2) corrupted(format, "a fitted detector needs 2 training rows (got ", n, ")");
    LocalOutlierFactorState<S, M> s;
    s.k = read_int(r, format, "k");
    if (s.k != static_cast<int>(std::min<Eigen::Index>(p.n_neighbors, n - 1))) {
      corrupted(format, "k ", s.k, " for n_neighbors ", p.n_neighbors, " and ", n, " rows");
    }
    const auto rows = static_cast<std::size_t>(n);
    s.k_distance = read_values<S, Vector<S>>(r, format, "k_distance", rows);
    s.lrd = read_values<double, Vector<double>>(r, format, "lrd", rows);
    s.nof = read_values<double, Vector<double>>(r, format, "negative_outlier_factor", rows);
    s.offset = r.f64();
    if (!std::isfinite(s.offset)) corrupted(format, "offset ", s.offset);
    if ((s.k_distance.array() < S(0)).any()) corrupted(format, "a k_distance is negative");
    if (!(s.lrd.array() > 0.0).all()) corrupted(format, "a density is not positive");
    s.nn.set_params(
        {.n_neighbors = p.n_neighbors, .algorithm = p.algorithm, .leaf_size = p.leaf_size});
    s.nn.fit(search.X);
    m.state_ = std::move(s);
    return m;
  }
};

}  // namespace detail
OSPREY_NAMESPACE_END

/** \file
 *  Saving and loading every fitted model: `osprey::save(model, stream | path)` and
 *  `osprey::load<Model>(stream | path)`, for StandardScaler, MinMaxScaler, NearestNeighbors,
 *  HnswIndex, KNeighborsClassifier, KNeighborsRegressor, IsolationForest, LocalOutlierFactor,
 * Graph, PageRank, Ewma, Cusum, EwmaBank, CusumBank, HalfSpaceTrees, PoissonCusum, PsiMonitor,
 *  StreamingIsolationForest, SigmoidCalibrator, IsotonicCalibrator and
 *  CalibratedClassifier (of any serialisable estimator), each for float and double and every
 *  metric, a Pipeline (model_selection/pipeline.hpp) whose steps all are, and
 *  TunedThresholdClassifier<E> of a serialisable classifier E.
 *
 *  \code
 *  osprey::save(forest, "forest.osprey");  // atomic: a crash mid-save leaves the old file
 *  auto restored = osprey::load<osprey::IsolationForest<float>>("forest.osprey");
 *  \endcode
 *
 *  One file format (docs/model-format.md): magic "OSPREYMD", format version, byte-order
 *  marker, Scalar size, a type tag naming the class, its Scalar and metric (e.g.
 *  "NearestNeighbors<float,Minkowski<3>>"), the payload length, the payload and an FNV-1a
 *  checksum. A restored model predicts bit-identically; a restored chart, bank or streaming
 *  detector continues exactly where it stopped. Not saved: `n_threads`, progress callbacks,
 *  cancellation tokens (a loaded model has the defaults).
 *
 *  Compatibility: files written by osprey 0.2 load in every later 0.x; a file of a newer
 *  format version is refused with FormatError naming both versions. IsolationForest also
 *  loads the "OSPREYIF" files of osprey 0.1.
 */
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <istream>
#include <ostream>
#include <random>
#include <string>
#include <system_error>

#include "../anomaly/isolation_forest.hpp"
#include "binary_format.hpp"
#include "serialize/anomaly.hpp"
#include "serialize/calibration.hpp"
#include "serialize/graph.hpp"
#include "serialize/model_selection.hpp"
#include "serialize/neighbors.hpp"
#include "serialize/pipeline.hpp"
#include "serialize/preprocessing.hpp"
#include "serialize/stream_monitors.hpp"
#include "serialize/streaming_forest.hpp"
#include "serialize/streams.hpp"

OSPREY_NAMESPACE_BEGIN

/** True for every type `save` and `load` support. */
template <class E>
concept Serializable = detail::SerializableModel<E>;

namespace detail {

/** Fails the build with a readable message for a type without a serialiser. */
template <class E>
constexpr void check_serializable() {
  static_assert(
      Serializable<E>,
      "osprey::save/load: this type is not serialisable. Supported: StandardScaler, "
      "MinMaxScaler, NearestNeighbors, HnswIndex, KNeighborsClassifier, KNeighborsRegressor, "
      "IsolationForest, LocalOutlierFactor, Graph, PageRank, Ewma, Cusum, EwmaBank, "
      "CusumBank, HalfSpaceTrees, PoissonCusum, PsiMonitor, StreamingIsolationForest, "
      "SigmoidCalibrator, IsotonicCalibrator, CalibratedClassifier, a "
      "Pipeline whose steps all are, TunedThresholdClassifier<E> of a serialisable E");
}

/** A temporary file name next to `file` (same directory, so the rename stays atomic). */
[[nodiscard]] inline std::filesystem::path temporary_next_to(const std::filesystem::path& file) {
  std::random_device rd;
  const auto salt = (static_cast<unsigned long long>(rd()) << 32) ^ rd();
  std::filesystem::path tmp = file;
  tmp += concat(".tmp", salt);
  return tmp;
}

/** Writes `bytes` to `file` through a temporary file in the same folder and a rename.
 *  \throws Error naming the path; the temporary is removed and `file` left as it was. */
inline void save_atomically(const std::string& bytes, const std::filesystem::path& file) {
  const std::filesystem::path tmp = temporary_next_to(file);
  const auto fail = [&](const char* what) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw Error(concat("osprey::save: ", what, " '", file.string(), "'"));
  };
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail("cannot create a temporary file to write");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) fail("writing failed for");
    out.close();
    if (!out) fail("closing failed for");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) fail("cannot replace");
}
}  // namespace detail

/** Writes `model` to `out` (binary) in osprey's model format.
 *  \throws NotFittedError for an unfitted estimator (nothing is written; an unfitted chart or
 *  bank is saved as unfitted); Error if the stream fails. */
template <class E>
void save(const E& model, std::ostream& out) {
  detail::check_serializable<E>();
  if constexpr (Serializable<E>) detail::save_model(model, out);
}

/** Writes `model` to `file`, atomically: the bytes go to a temporary file in the same folder,
 *  which is flushed, checked and renamed over `file`. On any failure the temporary file is
 *  removed and an existing `file` is left as it was.
 *  \throws NotFittedError for an unfitted estimator; Error naming the path if writing or the
 *  rename fails. */
template <class E>
void save(const E& model, const std::filesystem::path& file) {
  detail::check_serializable<E>();
  if constexpr (Serializable<E>) detail::save_atomically(detail::model_file(model), file);
}

/** Reads a model of type E from `in` (binary); the stream is left just after it.
 *  \throws FormatError naming the model and the fault if the data is not a valid file of
 *  exactly E (another class, Scalar or metric, a newer format version, truncated, corrupted,
 *  or a payload that fails validation). Never reads or allocates beyond what the stream holds. */
template <class E>
[[nodiscard]] E load(std::istream& in) {
  detail::check_serializable<E>();
  if constexpr (Serializable<E>) {
    return detail::load_model<E>(in);
  } else {
    throw Error("osprey::load: not serialisable");
  }
}

/** Reads a model of type E from `file`.
 *  \throws Error naming the path if it cannot be opened; FormatError as the stream overload. */
template <class E>
[[nodiscard]] E load(const std::filesystem::path& file) {
  detail::check_serializable<E>();
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(detail::concat("osprey::load: cannot open '", file.string(), "'"));
  return load<E>(static_cast<std::istream&>(in));
}

OSPREY_NAMESPACE_END

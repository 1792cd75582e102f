/** \file
 *  Serialiser of Pipeline (docs/model-format.md) for pipelines whose every step is
 *  serialisable. Not API.
 */
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <utility>

#include "../../model_selection/pipeline.hpp"
#include "common.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Type tag "Pipeline<StandardScaler<double>,KNeighborsClassifier<double,Euclidean>>"; the
 *  envelope's tag therefore names every step. Payload: u32 number of steps, then per step a u64
 *  length and that step's own payload (as its own file would hold it). Only fitted pipelines
 *  are written. The resamplers have no serialiser, so a pipeline with one is not serialisable
 *  (it would not be needed to predict, but a loaded pipeline could not be refitted the same). */
template <class... Steps>
requires(Serial::Io<Steps>::supported&&...) struct Serial::Io<Pipeline<Steps...>> {
  using P = Pipeline<Steps...>;                                             ///< the pipeline type
  static constexpr bool supported = true;                                   ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(typename P::Scalar);  ///< final Scalar
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "Pipeline",
                                       "pipeline"};  ///< names in messages
  /** "Pipeline<" + the steps' tags, comma-separated, + ">". */
  static std::string tag() {
    std::string t = "Pipeline<";
    std::size_t i = 0;
    // Appended piecewise: g++ 12 at -O3 flags `const char* + std::string&&` with a false
    // stringop-overflow.
    ((t += (i++ == 0 ? "" : ","), t += Serial::Io<Steps>::tag()), ...);
    return t + ">";
  }

  /** The payload. \throws NotFittedError before fit; Error when the type tag is longer than
   *  the format's 255 bytes (too many steps to name). */
  static void write(const P& m, ByteWriter& w) {
    check_fitted(m.is_fitted(), "Pipeline");
    if (tag().size() > kMaxTypeTag) {
      throw Error(concat("Pipeline::save: the type tag ", tag(), " is longer than ", kMaxTypeTag,
                         " bytes"));
    }
    w.u32(static_cast<std::uint32_t>(sizeof...(Steps)));
    std::apply(
        [&](const auto&... step) {
          (
              [&] {
                ByteWriter sub;
                Serial::Io<std::decay_t<decltype(step)>>::write(step, sub);
                w.u64(static_cast<std::uint64_t>(sub.bytes().size()));
                w.bytes() += sub.bytes();
              }(),
              ...);
        },
        m.steps_);
  }

  /** The pipeline of a payload, every step validated by its own reader, and the steps'
   *  feature counts checked to agree (a transformer keeps the width). */
  static P read(ByteReader& r) {
    const std::uint32_t n = r.u32();
    if (n != sizeof...(Steps)) corrupted(format, n, " steps, expected ", sizeof...(Steps));
    // Braced initialisation evaluates the steps in order.
    std::tuple<Steps...> steps{read_step<Steps>(r)...};
    std::apply(
        [](const auto&... step) {
          Eigen::Index width = -1;
          std::size_t i = 0;
          (check_width(step, width, i++), ...);
        },
        steps);
    return P(PipelineLoaded{}, std::move(steps));
  }

 private:
  template <class St>
  static void check_width(const St& step, Eigen::Index& width, std::size_t i) {
    if constexpr (requires { step.n_features_in(); }) {
      const auto d = static_cast<Eigen::Index>(step.n_features_in());
      if (width >= 0 && d != width) {
        corrupted(format, "step ", i, " takes ", d, " features, the step before gives ", width);
      }
      width = d;
    }
  }

  template <class St>
  static St read_step(ByteReader& r) {
    const std::size_t len = read_count(r, 1, format, "step");
    std::string bytes(len, '\0');
    for (std::size_t i = 0; i < len; ++i) bytes[i] = static_cast<char>(r.u8());
    ByteReader sub(bytes, Serial::Io<St>::format, r.version());  // the file's layout version
    St step = Serial::Io<St>::read(sub);
    if (sub.remaining() != 0) corrupted(format, sub.remaining(), " bytes after a step");
    return step;
  }
};

}  // namespace detail
OSPREY_NAMESPACE_END

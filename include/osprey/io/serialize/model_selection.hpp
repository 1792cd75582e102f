/** \file
 *  Serialiser of TunedThresholdClassifier<E> (docs/model-format.md), for every E that is
 *  itself serialisable: the parameters, the tuned choice and score, then E's own payload.
 *  Loading restores the refitted estimator through E's loader, so predictions are
 *  bit-identical. Not API.
 */
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "../../model_selection/tuned_threshold.hpp"
#include "common.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Payload: u8 objective, f64 cost_fp, cost_fn, beta, min_recall, u32 cv.n_splits, u8
 *  cv.shuffle, u64 cv.random_state; the choice (f64 threshold, precision, recall, fpr,
 *  expected_cost, u64 n_alerts) and f64 score; then the payload of the refitted E. */
template <class E>
requires SerializableModel<E>
struct Serial::Io<TunedThresholdClassifier<E>> {
  using Model = TunedThresholdClassifier<E>;                         ///< the model
  static constexpr bool supported = true;                            ///< serialisable
  static constexpr std::uint8_t scalar_bytes = Io<E>::scalar_bytes;  ///< E's Scalar size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "TunedThresholdClassifier",
                                       "model"};  ///< for messages
  /** e.g. "TunedThresholdClassifier<KNeighborsClassifier<double,Euclidean>>". */
  static std::string tag() {
    return std::string("TunedThresholdClassifier<").append(Io<E>::tag()) + ">";
  }

  /** The payload. \throws NotFittedError before fit. */
  static void write(const Model& m, ByteWriter& w) {
    const auto& s = m.state();
    const TunedThresholdParams& p = m.params();
    w.u8(static_cast<std::uint8_t>(p.objective));
    w.f64(p.cost_fp);
    w.f64(p.cost_fn);
    w.f64(p.beta);
    w.f64(p.min_recall);
    w.u32(static_cast<std::uint32_t>(p.cv.n_splits));
    w.u8(p.cv.shuffle ? 1 : 0);
    w.u64(p.cv.random_state);
    w.f64(s.choice.threshold);
    w.f64(s.choice.precision);
    w.f64(s.choice.recall);
    w.f64(s.choice.fpr);
    w.f64(s.choice.expected_cost);
    w.u64(static_cast<std::uint64_t>(s.choice.n_alerts));
    w.f64(s.score);
    Io<E>::write(s.estimator, w);
  }

  /** The classifier of a payload; parameters are validated by the constructor, the choice
   *  here, the estimator by E's loader. */
  static Model read(ByteReader& r) {
    TunedThresholdParams p;
    const std::uint8_t objective = r.u8();
    if (objective > 2) corrupted(format, "objective ", int{objective});
    p.objective = static_cast<ThresholdObjective>(objective);
    p.cost_fp = r.f64();
    p.cost_fn = r.f64();
    p.beta = r.f64();
    p.min_recall = r.f64();
    p.cv.n_splits = read_int(r, format, "cv.n_splits");
    p.cv.shuffle = read_flag(r, format, "cv.shuffle");
    p.cv.random_state = r.u64();
    ThresholdChoice c;
    c.threshold = r.f64();
    c.precision = r.f64();
    c.recall = r.f64();
    c.fpr = r.f64();
    c.expected_cost = r.f64();
    const std::uint64_t n_alerts = r.u64();
    const double score = r.f64();
    if (!(std::isfinite(c.threshold) || c.threshold == std::numeric_limits<double>::infinity())) {
      corrupted(format, "threshold ", c.threshold);
    }
    for (const double rate : {c.precision, c.recall, c.fpr}) {
      if (!(rate >= 0.0 && rate <= 1.0)) corrupted(format, "a rate of ", rate);
    }
    if (!(std::isfinite(c.expected_cost) && c.expected_cost >= 0.0) || !std::isfinite(score)) {
      corrupted(format, "expected cost ", c.expected_cost, " or score ", score);
    }
    if (n_alerts > (std::uint64_t{1} << 62)) corrupted(format, "n_alerts ", n_alerts);
    c.n_alerts = static_cast<Eigen::Index>(n_alerts);
    E estimator = Io<E>::read(r);
    if (estimator.classes().size() != 2) {
      corrupted(format, "the estimator has ", estimator.classes().size(), " classes, not 2");
    }
    Model m(estimator, p);  // the prototype: a copy of the loaded estimator (same parameters)
    m.state_ = TunedThresholdState<E>{std::move(estimator), c, score};
    return m;
  }
};

}  // namespace detail
OSPREY_NAMESPACE_END

/** \file
 *  Serialisers of SigmoidCalibrator, IsotonicCalibrator and CalibratedClassifier
 *  (docs/model-format.md). A CalibratedClassifier nests its fold estimators' payloads, so it
 *  saves for every estimator that has a serialiser itself. Not API.
 */
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "../../calibration/calibrated_classifier.hpp"
#include "../../calibration/isotonic.hpp"
#include "../../calibration/sigmoid.hpp"
#include "common.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Writes a fitted sigmoid: f64 center, scale, alpha, beta; u32 n_iter; u8 converged. */
inline void write_sigmoid(ByteWriter& w, const SigmoidState& s) {
  w.f64(s.center);
  w.f64(s.scale);
  w.f64(s.alpha);
  w.f64(s.beta);
  w.u32(static_cast<std::uint32_t>(s.n_iter));
  w.u8(s.converged ? 1 : 0);
}

/** Reads what write_sigmoid wrote: finite values, scale > 0, n_iter <= 100. */
[[nodiscard]] inline SigmoidState read_sigmoid(ByteReader& r, const BinaryFormat& f) {
  SigmoidState s;
  s.center = r.f64();
  s.scale = r.f64();
  s.alpha = r.f64();
  s.beta = r.f64();
  if (!std::isfinite(s.center) || !std::isfinite(s.alpha) || !std::isfinite(s.beta) ||
      !std::isfinite(s.scale) || !(s.scale > 0.0)) {
    corrupted(f, "sigmoid parameters (", s.center, ", ", s.scale, ", ", s.alpha, ", ", s.beta, ")");
  }
  s.n_iter = read_int(r, f, "n_iter", 100);
  s.converged = read_flag(r, f, "converged");
  return s;
}

/** Writes a fitted isotonic function: f64 x_min, x_max; x and y (u64 k, k f64 each). */
inline void write_isotonic(ByteWriter& w, const IsotonicState& s) {
  w.f64(s.x_min);
  w.f64(s.x_max);
  write_values<double>(w, s.x);
  write_values<double>(w, s.y);
}

/** Reads what write_isotonic wrote: k >= 1 finite points, x strictly increasing from x_min to
 *  x_max, y non-decreasing. */
[[nodiscard]] inline IsotonicState read_isotonic(ByteReader& r, const BinaryFormat& f) {
  IsotonicState s;
  s.x_min = r.f64();
  s.x_max = r.f64();
  s.x = read_values<double, std::vector<double>>(r, f, "x thresholds");
  if (s.x.empty()) corrupted(f, "no fitted points");
  s.y = read_values<double, std::vector<double>>(r, f, "y thresholds", s.x.size());
  if (s.x.front() != s.x_min || s.x.back() != s.x_max) corrupted(f, "fitted range");
  for (std::size_t j = 1; j < s.x.size(); ++j) {
    if (!(s.x[j - 1] < s.x[j])) corrupted(f, "x thresholds are not increasing at ", j);
    if (!(s.y[j - 1] <= s.y[j])) corrupted(f, "y thresholds decrease at ", j);
  }
  return s;
}

/** Payload: the fitted sigmoid (write_sigmoid). */
template <class S>
struct Serial::Io<SigmoidCalibrator<S>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "SigmoidCalibrator",
                                       "model"};  ///< names in messages
  /** "SigmoidCalibrator<float>" or "SigmoidCalibrator<double>". */
  static std::string tag() { return model_tag<S>("SigmoidCalibrator"); }
  /** The payload. \throws NotFittedError before fit. */
  static void write(const SigmoidCalibrator<S>& m, ByteWriter& w) { write_sigmoid(w, m.state()); }
  /** The calibrator of a payload, validated. */
  static SigmoidCalibrator<S> read(ByteReader& r) {
    SigmoidCalibrator<S> m;
    m.state_ = read_sigmoid(r, format);
    return m;
  }
};

/** Payload: the fitted points (write_isotonic). */
template <class S>
struct Serial::Io<IsotonicCalibrator<S>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "IsotonicCalibrator",
                                       "model"};  ///< names in messages
  /** "IsotonicCalibrator<float>" or "IsotonicCalibrator<double>". */
  static std::string tag() { return model_tag<S>("IsotonicCalibrator"); }
  /** The payload. \throws NotFittedError before fit. */
  static void write(const IsotonicCalibrator<S>& m, ByteWriter& w) { write_isotonic(w, m.state()); }
  /** The calibrator of a payload, validated. */
  static IsotonicCalibrator<S> read(ByteReader& r) {
    IsotonicCalibrator<S> m;
    m.state_ = read_isotonic(r, format);
    return m;
  }
};

/** Payload: u8 method, u32 n_splits, u8 shuffle, u64 random_state; classes (u64 k, k i32,
 *  increasing, k >= 2); u64 folds (= n_splits); per fold the estimator's own payload, then its
 *  calibrators (k == 2 ? 1 : k of them, each as write_sigmoid or write_isotonic). The prototype
 *  estimator is not stored: a loaded model's estimator() is a copy of fold 0's fitted one, which
 *  fit refits like the original prototype (same parameters). */
// clang-format off
template <class E>
  requires ProbabilisticClassifier<E> && SerializableModel<E>
struct Serial::Io<CalibratedClassifier<E>> {
  // clang-format on
  static constexpr bool supported = true;                                    ///< serialisable
  static constexpr std::uint8_t scalar_bytes = Serial::Io<E>::scalar_bytes;  ///< E's Scalar size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "CalibratedClassifier",
                                       "model"};  ///< names in messages
  /** e.g. "CalibratedClassifier<KNeighborsClassifier<double,Euclidean>>". */
  static std::string tag() {
    return std::string("CalibratedClassifier<").append(Serial::Io<E>::tag()) + ">";
  }

  /** The payload. \throws NotFittedError before fit. */
  static void write(const CalibratedClassifier<E>& m, ByteWriter& w) {
    const auto& st = m.state();
    w.u8(static_cast<std::uint8_t>(m.params_.method));
    w.u32(static_cast<std::uint32_t>(m.params_.cv.n_splits));
    w.u8(m.params_.cv.shuffle ? 1 : 0);
    w.u64(m.params_.cv.random_state);
    write_values<std::int32_t>(w, st.classes);
    w.u64(static_cast<std::uint64_t>(st.folds.size()));
    for (const auto& fold : st.folds) {
      Serial::Io<E>::write(fold.estimator, w);
      for (const auto& c : fold.sigmoid) write_sigmoid(w, c.state());
      for (const auto& c : fold.isotonic) write_isotonic(w, c.state());
    }
  }

  /** The model of a payload, validated (fold estimators by their own readers). */
  static CalibratedClassifier<E> read(ByteReader& r) {
    CalibratedClassifierParams p;
    const std::uint8_t method = r.u8();
    if (method > 1) corrupted(format, "method ", int{method});
    p.method = static_cast<CalibrationMethod>(method);
    p.cv.n_splits = read_int(r, format, "n_splits");
    p.cv.shuffle = read_flag(r, format, "shuffle");
    p.cv.random_state = r.u64();
    if (p.cv.n_splits < 2) corrupted(format, "n_splits ", p.cv.n_splits);
    detail::CalibratedClassifierState<E> st;
    st.classes = read_values<std::int32_t, Eigen::VectorXi>(r, format, "classes");
    if (st.classes.size() < 2) corrupted(format, "fewer than two classes");
    for (Eigen::Index c = 1; c < st.classes.size(); ++c) {
      if (!(st.classes(c - 1) < st.classes(c))) corrupted(format, "classes are not increasing");
    }
    const std::uint64_t n_folds = r.u64();
    if (n_folds != static_cast<std::uint64_t>(p.cv.n_splits)) {
      corrupted(format, n_folds, " folds for n_splits = ", p.cv.n_splits);
    }
    const Eigen::Index k = st.classes.size();
    const Eigen::Index per_fold = k == 2 ? 1 : k;
    for (std::uint64_t f = 0; f < n_folds; ++f) {
      CalibratedFold<E> fold{Serial::Io<E>::read(r), {}, {}};
      if (fold.estimator.classes() != st.classes) corrupted(format, "a fold's classes differ");
      for (Eigen::Index c = 0; c < per_fold; ++c) {
        if (p.method == CalibrationMethod::sigmoid) {
          fold.sigmoid.emplace_back().state_ = read_sigmoid(r, format);
        } else {
          fold.isotonic.emplace_back().state_ = read_isotonic(r, format);
        }
      }
      st.folds.push_back(std::move(fold));
    }
    CalibratedClassifier<E> m(st.folds.front().estimator, p);  // validates p
    m.state_ = std::move(st);
    return m;
  }
};

}  // namespace detail
OSPREY_NAMESPACE_END

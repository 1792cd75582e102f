// The conformance suite for resamplers (the imbalance module), the equivalent of
// estimator_checks.hpp's check_estimator for estimators whose only method is
// fit_resample(X, y) -> Resampled: there is no separate predict to call before fit or on other
// data, so the checks are about fit_resample itself.
//
//   struct Spec {
//     static constexpr const char* name = "Smote";
//     static constexpr bool keeps_input_first = true;  // output starts with X, y unchanged
//     static constexpr bool random = true;             // the seed changes the output
//     static constexpr double float_tolerance = 1e-4;  // max |double - float| of output X
//     template <class S> static auto make(std::uint64_t seed, int n_threads);
//   };
//   osprey::testing::check_resampler<Spec>(X, y);
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include <osprey/core/concepts.hpp>
#include <osprey/core/error.hpp>
#include <osprey/core/types.hpp>
#include "estimator_checks.hpp"
#include "prelude.hpp"

namespace osprey::testing {

template <class Spec>
void check_resampler(const Matrix<double>& X, const Eigen::VectorXi& y) {
  INFO("resampler conformance of " << Spec::name);
  REQUIRE(X.rows() >= 4);
  using Sampler = decltype(Spec::template make<double>(0, 1));
  static_assert(Resampler<Sampler>);
  static_assert(Resampler<decltype(Spec::template make<float>(0, 1))>);

  // Fitted state only after fit_resample; accessors throw NotFittedError naming the sampler.
  {
    const Sampler fresh = Spec::template make<double>(0, 1);
    CHECK_FALSE(fresh.is_fitted());
    require_throws_containing<NotFittedError>([&] { (void)fresh.n_features_in(); }, Spec::name);
  }

  // Non-finite values name the row and column; nothing is fitted after a failure.
  for (const double bad :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    Matrix<double> Xbad = X;
    const Eigen::Index r = X.rows() / 2;
    const Eigen::Index c = X.cols() - 1;
    Xbad(r, c) = bad;
    Sampler e = Spec::template make<double>(0, 1);
    require_throws_containing<InvalidArgument>(
        [&] { (void)e.fit_resample(Xbad, y); },
        "row " + std::to_string(r) + ", column " + std::to_string(c));
    CHECK_FALSE(e.is_fitted());
  }

  // Empty input and a label count that does not match the rows.
  {
    Sampler e = Spec::template make<double>(0, 1);
    const Matrix<double> empty(0, X.cols());
    const Eigen::VectorXi no_labels(0);
    require_throws_containing<InvalidArgument>([&] { (void)e.fit_resample(empty, no_labels); },
                                               "empty");
    const Eigen::VectorXi short_y = y.head(y.size() - 1);
    require_throws_containing<InvalidArgument>([&] { (void)e.fit_resample(X, short_y); },
                                               "inconsistent");
    CHECK_FALSE(e.is_fitted());
  }

  // A reference run.
  Sampler fitted = Spec::template make<double>(7, 1);
  const Resampled<double> ref = fitted.fit_resample(X, y);
  CHECK(fitted.is_fitted());
  CHECK(fitted.n_features_in() == X.cols());
  REQUIRE(ref.X.rows() == ref.y.size());
  CHECK(ref.X.cols() == X.cols());
  CHECK(ref.X.allFinite());
  if constexpr (Spec::keeps_input_first) {
    REQUIRE(ref.X.rows() >= X.rows());
    CHECK(ref.X.topRows(X.rows()) == X);
    CHECK(ref.y.head(y.size()) == y);
  }

  // Same seed: identical output, fresh or refitted, on any thread count.
  {
    Sampler again = Spec::template make<double>(7, 1);
    const Resampled<double> a = again.fit_resample(X, y);
    CHECK(a.X == ref.X);
    CHECK(a.y == ref.y);
    const Resampled<double> b = fitted.fit_resample(X, y);
    CHECK(b.X == ref.X);
    for (const int threads : {0, 2, 4}) {
      INFO("n_threads = " << threads);
      Sampler par = Spec::template make<double>(7, threads);
      const Resampled<double> c = par.fit_resample(X, y);
      CHECK(c.X == ref.X);
      CHECK(c.y == ref.y);
    }
  }

  // A different seed gives a different sample (for the random samplers).
  if constexpr (Spec::random) {
    Sampler other = Spec::template make<double>(8, 1);
    const Resampled<double> o = other.fit_resample(X, y);
    CHECK_FALSE((o.X.rows() == ref.X.rows() && o.X == ref.X));
  }

  // Any Eigen expression, any storage order, gives the same result.
  {
    Sampler e = Spec::template make<double>(7, 1);
    const RowMatrix<double> Xr = X;
    CHECK(e.fit_resample(Xr, y).X == ref.X);
  }

  // float and double agree: same rows and labels, values within the Spec's tolerance.
  {
    auto single = Spec::template make<float>(7, 1);
    const Matrix<float> Xf = X.cast<float>();
    const Resampled<float> out = single.fit_resample(Xf, y);
    REQUIRE(out.X.rows() == ref.X.rows());
    CHECK(out.y == ref.y);
    const double diff = (out.X.template cast<double>() - ref.X).cwiseAbs().maxCoeff();
    INFO("max |float - double| = " << diff);
    CHECK(diff <= Spec::float_tolerance);
  }
}

}  // namespace osprey::testing

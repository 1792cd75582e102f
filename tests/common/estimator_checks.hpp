// The generic conformance suite, in the spirit of scikit-learn's check_estimator. Every
// estimator's test file instantiates it with a small Spec describing how to build, fit and apply
// the estimator:
//
//   struct Spec {
//     static constexpr const char* name = "StandardScaler";
//     static constexpr bool supervised = false;      // fit(X) or fit(X, y)
//     static constexpr double float_tolerance = 1e-4; // max |double - float| of apply's output
//     template <class S> static auto make();          // a fresh estimator over scalar S
//     template <class E, class X> static E& fit(E&, const X&, const Eigen::VectorXi& y);
//     template <class E, class X> static osprey::Matrix<double> apply(const E&, const X&);
//   };
//   osprey::testing::check_estimator<Spec>(X, y);
//
// `apply` is whatever the estimator's main output is (transform, predict, score_samples, ...),
// converted to a double matrix so the checks can compare it.
#pragma once

#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <osprey/core/error.hpp>
#include <osprey/core/random.hpp>
#include <osprey/core/types.hpp>
#include "prelude.hpp"

namespace osprey::testing {

/** An n x d matrix of standard normal draws from `Rng(seed)`. */
inline Matrix<double> normal_data(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
  Rng rng(seed);
  Matrix<double> X(n, d);
  for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = rng.normal();
  return X;
}

/** Requires `fn()` to throw `Exception` whose message contains `needle`. */
template <class Exception, class Fn>
void require_throws_containing(Fn&& fn, const std::string& needle) {
  try {
    fn();
  } catch (const Exception& e) {
    INFO("message: " << e.what());
    CHECK(std::string(e.what()).find(needle) != std::string::npos);
    return;
  } catch (const std::exception& e) {
    FAIL("threw the wrong exception type: " << e.what());
    return;
  }
  FAIL("did not throw; expected a message containing '" << needle << "'");
}

template <class Spec>
void check_estimator(const Matrix<double>& X, const Eigen::VectorXi& y) {
  INFO("conformance of " << Spec::name);
  REQUIRE(X.rows() >= 4);
  REQUIRE(X.cols() >= 1);
  using Estimator = decltype(Spec::template make<double>());

  // Predicting before fit throws NotFittedError naming the estimator.
  {
    const Estimator fresh = Spec::template make<double>();
    require_throws_containing<NotFittedError>([&] { (void)Spec::apply(fresh, X); }, Spec::name);
  }

  // Non-finite values in fit name the row and column.
  for (const double bad :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    Matrix<double> Xbad = X;
    const Eigen::Index r = X.rows() / 2;
    const Eigen::Index c = X.cols() - 1;
    Xbad(r, c) = bad;
    Estimator e = Spec::template make<double>();
    require_throws_containing<InvalidArgument>([&] { Spec::fit(e, Xbad, y); },
                                               "row " + std::to_string(r));
    CHECK_FALSE(e.is_fitted());
  }

  // Empty input.
  {
    Estimator e = Spec::template make<double>();
    const Matrix<double> empty(0, X.cols());
    const Eigen::VectorXi no_labels(0);
    CHECK_THROWS_AS(Spec::fit(e, empty, no_labels), InvalidArgument);
  }

  // Label count must match the row count.
  if constexpr (Spec::supervised) {
    Estimator e = Spec::template make<double>();
    const Eigen::VectorXi short_y = y.head(y.size() - 1);
    require_throws_containing<InvalidArgument>([&] { Spec::fit(e, X, short_y); }, "inconsistent");
  }

  // fit returns the same object.
  Estimator fitted = Spec::template make<double>();
  CHECK(&Spec::fit(fitted, X, y) == &fitted);
  CHECK(fitted.is_fitted());
  const Matrix<double> reference = Spec::apply(fitted, X);
  CHECK(reference.rows() == X.rows());
  CHECK(reference.allFinite());

  // Feature-count mismatch and non-finite values at prediction.
  {
    const Matrix<double> wrong =
        X.cols() > 1 ? Matrix<double>(X.leftCols(X.cols() - 1)) : Matrix<double>(X.rows(), 2);
    require_throws_containing<InvalidArgument>([&] { (void)Spec::apply(fitted, wrong); },
                                               "features");
    Matrix<double> Xnan = X;
    Xnan(1, 0) = std::numeric_limits<double>::quiet_NaN();
    require_throws_containing<InvalidArgument>([&] { (void)Spec::apply(fitted, Xnan); }, "row 1");
  }

  // Same data, same parameters (and seed): identical output, fresh or refitted.
  {
    Estimator other = Spec::template make<double>();
    Spec::fit(other, X, y);
    CHECK(Spec::apply(other, X) == reference);
    Spec::fit(fitted, X, y);
    CHECK(Spec::apply(fitted, X) == reference);
  }

  // Concurrent const prediction from several threads gives the serial result.
  {
    const Estimator& shared = fitted;
    std::vector<Matrix<double>> outputs(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < outputs.size(); ++t) {
      threads.emplace_back([&, t] { outputs[t] = Spec::apply(shared, X); });
    }
    for (auto& th : threads) th.join();
    for (const auto& out : outputs) CHECK(out == reference);
  }

  // float and double agree within the Spec's tolerance.
  {
    auto single = Spec::template make<float>();
    const Matrix<float> Xf = X.cast<float>();
    Spec::fit(single, Xf, y);
    const Matrix<double> out = Spec::apply(single, Xf);
    REQUIRE(out.rows() == reference.rows());
    REQUIRE(out.cols() == reference.cols());
    const double diff = (out - reference).cwiseAbs().maxCoeff();
    INFO("max |float - double| = " << diff);
    CHECK(diff <= Spec::float_tolerance);
  }
}

}  // namespace osprey::testing

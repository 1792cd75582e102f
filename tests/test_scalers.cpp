#include "common/prelude.hpp"

#include <osprey/core/concepts.hpp>
#include <osprey/preprocessing/scalers.hpp>

#include "common/estimator_checks.hpp"
#include "common/fixtures.hpp"

using Catch::Matchers::WithinAbs;
using osprey::Matrix;
using osprey::testing::load_fixture;

static_assert(osprey::Transformer<osprey::StandardScaler<double>>);
static_assert(osprey::Transformer<osprey::MinMaxScaler<float>>);
static_assert(!osprey::Classifier<osprey::StandardScaler<double>>);
static_assert(!osprey::OutlierDetector<osprey::MinMaxScaler<double>>);

namespace {

void require_close(const Matrix<double>& got, const Matrix<double>& want, double tol) {
  REQUIRE(got.rows() == want.rows());
  REQUIRE(got.cols() == want.cols());
  for (Eigen::Index i = 0; i < got.rows(); ++i) {
    for (Eigen::Index j = 0; j < got.cols(); ++j) {
      INFO("at (" << i << ", " << j << ")");
      CHECK_THAT(got(i, j), WithinAbs(want(i, j), tol * (1.0 + std::abs(want(i, j)))));
    }
  }
}

template <template <class> class Scaler>
struct ScalerSpec {
  static constexpr const char* name = std::is_same_v<Scaler<double>, osprey::StandardScaler<double>>
                                          ? "StandardScaler"
                                          : "MinMaxScaler";
  static constexpr bool supervised = false;
  static constexpr double float_tolerance = 1e-4;
  template <class S>
  static Scaler<S> make() {
    return Scaler<S>{};
  }
  template <class E, class X>
  static E& fit(E& e, const X& x, const Eigen::VectorXi&) {
    return e.fit(x);
  }
  template <class E, class X>
  static Matrix<double> apply(const E& e, const X& x) {
    return e.transform(x).template cast<double>();
  }
};

}  // namespace

TEST_CASE("StandardScaler: matches scikit-learn's statistics and transform", "[preprocessing]") {
  const Matrix<double> X = load_fixture("scalers/X.csv");
  const Matrix<double> Q = load_fixture("scalers/Q.csv");
  osprey::StandardScaler<> scaler;
  scaler.fit(X);
  require_close(scaler.mean().transpose(), load_fixture("scalers/standard_mean.csv"), 1e-12);
  require_close(scaler.var().transpose(), load_fixture("scalers/standard_var.csv"), 1e-12);
  require_close(scaler.scale().transpose(), load_fixture("scalers/standard_scale.csv"), 1e-12);
  CHECK(scaler.scale()(4) == 1.0);  // the constant feature keeps scale 1
  require_close(scaler.transform(Q), load_fixture("scalers/standard_Q.csv"), 1e-12);
  CHECK(scaler.n_features_in() == 5);
  CHECK(scaler.n_samples_seen() == 40);

  osprey::StandardScaler<> no_mean({.with_mean = false});
  require_close(no_mean.fit(X).transform(Q), load_fixture("scalers/standard_nomean_Q.csv"), 1e-12);
}

TEST_CASE("StandardScaler: inverse_transform undoes transform", "[preprocessing]") {
  const Matrix<double> X = load_fixture("scalers/X.csv");
  osprey::StandardScaler<> scaler;
  const Matrix<double> Z = scaler.fit_transform(X);
  CHECK((Z.colwise().mean().array().abs() < 1e-12).all());
  require_close(scaler.inverse_transform(Z), X, 1e-12);
}

TEST_CASE("MinMaxScaler: matches scikit-learn with a custom range and clipping",
          "[preprocessing]") {
  const Matrix<double> X = load_fixture("scalers/X.csv");
  const Matrix<double> Q = load_fixture("scalers/Q.csv");
  osprey::MinMaxScaler<> scaler({.feature_min = -2.0, .feature_max = 3.0});
  scaler.fit(X);
  require_close(scaler.scale().transpose(), load_fixture("scalers/minmax_scale.csv"), 1e-12);
  require_close(scaler.min().transpose(), load_fixture("scalers/minmax_min.csv"), 1e-12);
  require_close(scaler.transform(Q), load_fixture("scalers/minmax_Q.csv"), 1e-12);
  const Matrix<double> T = scaler.transform(X);
  CHECK_THAT(T.col(0).minCoeff(), WithinAbs(-2.0, 1e-12));
  CHECK_THAT(T.col(0).maxCoeff(), WithinAbs(3.0, 1e-12));
  require_close(scaler.inverse_transform(T), X, 1e-12);

  osprey::MinMaxScaler<> clipped({.feature_min = -2.0, .feature_max = 3.0, .clip = true});
  require_close(clipped.fit(X).transform(Q), load_fixture("scalers/minmax_clip_Q.csv"), 1e-12);
}

TEST_CASE("MinMaxScaler: rejects an empty or reversed feature range", "[preprocessing]") {
  osprey::testing::require_throws_containing<osprey::InvalidArgument>(
      [] { osprey::MinMaxScaler<> s({.feature_min = 1.0, .feature_max = 1.0}); }, "feature_min");
  osprey::testing::require_throws_containing<osprey::InvalidArgument>(
      [] { osprey::MinMaxScaler<> s({.feature_min = 2.0, .feature_max = -1.0}); }, "got [2, -1]");
  osprey::MinMaxScaler<> s;
  CHECK_THROWS_AS(s.set_params({.feature_min = 0.0, .feature_max = std::nan("")}),
                  osprey::InvalidArgument);
}

TEST_CASE("StandardScaler: accessors before fit throw NotFittedError", "[preprocessing]") {
  const osprey::StandardScaler<> scaler;
  CHECK_THROWS_AS(scaler.mean(), osprey::NotFittedError);
  CHECK_FALSE(scaler.is_fitted());
}

TEST_CASE("Scalers: pass the estimator conformance suite", "[preprocessing][conformance]") {
  const Matrix<double> X = load_fixture("scalers/X.csv");
  const Eigen::VectorXi y = Eigen::VectorXi::Zero(X.rows());
  osprey::testing::check_estimator<ScalerSpec<osprey::StandardScaler>>(X, y);
  osprey::testing::check_estimator<ScalerSpec<osprey::MinMaxScaler>>(X, y);
}

// Edge contracts of the estimators: doubles that overflow float once narrowed (they used to
// become inf after validation), and the documented 2^31 - 1 cap on rows whose indices are `int`.
#include "common/prelude.hpp"

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <osprey/anomaly/isolation_forest.hpp>
#include <osprey/core/validation.hpp>
#include <osprey/imbalance/adasyn.hpp>
#include <osprey/imbalance/smote.hpp>
#include <osprey/imbalance/under_sampling.hpp>
#include <osprey/model_selection/stratified_kfold.hpp>
#include <osprey/neighbors/kneighbors.hpp>
#include <osprey/neighbors/nearest_neighbors.hpp>
#include <string>

#include "common/estimator_checks.hpp"

using osprey::InvalidArgument;
using osprey::Matrix;
using osprey::testing::require_throws_containing;

namespace {

// 24 rows in 2 features, two classes (16 and 8 rows), all finite in float.
Matrix<double> small_X() {
  Matrix<double> X(24, 2);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    X(i, 0) = static_cast<double>(i % 7) * 0.5;
    X(i, 1) = static_cast<double>(i % 5) - 2.0;
  }
  return X;
}

Eigen::VectorXi small_y() {
  Eigen::VectorXi y(24);
  for (Eigen::Index i = 0; i < y.size(); ++i) y(i) = i % 3 == 0 ? 1 : 0;
  return y;
}

// What every narrowing error says about the value 1e39 at row 5, column 1.
const std::string kAt = "has a value (9.9999999999999994e+38) at row 5, column 1";
const std::string kFloat = "that is out of range for float";

}  // namespace

TEST_CASE("check_finite_as: a finite double above FLT_MAX fails for float only",
          "[core][validation][edges]") {
  using osprey::detail::check_finite_as;
  using osprey::detail::is_finite_as;
  Matrix<double> X = Matrix<double>::Zero(3, 2);
  X(2, 1) = 1e39;
  require_throws_containing<InvalidArgument>([&] { check_finite_as<float>(X, "X"); },
                                             "X has a value (9.9999999999999994e+38) at row 2, "
                                             "column 1 that is out of range for float");
  CHECK_NOTHROW(check_finite_as<double>(X, "X"));
  CHECK_NOTHROW(osprey::detail::check_finite(X, "X"));  // the old check let it through
  // A NaN before the overflow is still reported as non-finite.
  X(0, 0) = std::numeric_limits<double>::quiet_NaN();
  require_throws_containing<InvalidArgument>([&] { check_finite_as<float>(X, "X"); },
                                             "non-finite value (nan) at row 0, column 0");
  // A vector names an index.
  const Eigen::VectorXd v = Eigen::VectorXd::Constant(4, -1e39);
  require_throws_containing<InvalidArgument>([&] { check_finite_as<float>(v, "y"); },
                                             "y has a value (-9.9999999999999994e+38) at index 0");
  // The boundary is exactly where rounding to float gives inf: 2^128 - 2^103.
  const double bound = std::ldexp(1.0, 128) - std::ldexp(1.0, 103);
  const double below = std::nextafter(bound, 0.0);
  CHECK(std::isinf(static_cast<float>(bound)));
  CHECK(static_cast<float>(below) == std::numeric_limits<float>::max());
  CHECK_FALSE(is_finite_as<float>(bound));
  CHECK(is_finite_as<float>(below));
  CHECK(is_finite_as<float>(-below));
  CHECK_FALSE(is_finite_as<float>(std::numeric_limits<double>::infinity()));
  CHECK(is_finite_as<double>(bound));
  CHECK(is_finite_as<float>(1e38f));
}

TEMPLATE_TEST_CASE("Estimators<float>: a double above FLT_MAX names its row and column",
                   "[edges][neighbors][anomaly]", float, double) {
  Matrix<double> bad = small_X();
  bad(5, 1) = 1e39;
  const Matrix<double> good = small_X();
  const bool is_float = std::is_same_v<TestType, float>;
  auto expect = [&](auto&& fn) {
    if (is_float) {
      require_throws_containing<InvalidArgument>(fn, kAt + " " + kFloat);
    } else {
      CHECK_NOTHROW(fn());
    }
  };

  expect([&] { osprey::NearestNeighbors<TestType, osprey::Euclidean>().fit(bad); });
  osprey::NearestNeighbors<TestType, osprey::Euclidean> nn;
  nn.fit(good);
  expect([&] { (void)nn.kneighbors(bad, 1); });

  expect([&] { osprey::KNeighborsClassifier<TestType, osprey::Euclidean>().fit(bad, small_y()); });
  Eigen::VectorXd target = small_X().col(0);
  expect([&] { osprey::KNeighborsRegressor<TestType, osprey::Euclidean>().fit(bad, target); });
  target(5) = 1e39;
  if (is_float) {
    require_throws_containing<InvalidArgument>(
        [&] { osprey::KNeighborsRegressor<TestType, osprey::Euclidean>().fit(good, target); },
        "y has a value (9.9999999999999994e+38) at index 5 that is out of range for float");
  }

  expect([&] { osprey::IsolationForest<TestType>({.n_estimators = 4}).fit(bad); });
  osprey::IsolationForest<TestType> forest({.n_estimators = 4});
  forest.fit(good);
  expect([&] { (void)forest.score_samples(bad); });
}

TEST_CASE("Neighbour searches refuse coordinates whose distances would overflow",
          "[edges][neighbors][imbalance]") {
  // Finite float data near FLT_MAX: every distance would be infinite and unrankable (this used to
  // leave neighbour slots unfilled and read out of bounds). Minkowski<3> over 2 features, float:
  // the bound is 0.5 (FLT_MAX / 8)^(1/3), about 1.74e12.
  const double bound = osprey::detail::max_safe_coordinate<osprey::Minkowski<3>, float>(2);
  CHECK(bound == Approx(0.5 * std::cbrt(static_cast<double>(FLT_MAX) / 8.0)));
  CHECK(osprey::detail::max_safe_coordinate<osprey::Manhattan, float>(4) ==
        Approx(static_cast<double>(FLT_MAX) / 32.0));
  Matrix<double> X = small_X();
  X(3, 1) = 3e38;
  Eigen::VectorXd target = small_X().col(0);
  require_throws_containing<InvalidArgument>(
      [&] {
        osprey::KNeighborsRegressor<float, osprey::Minkowski<3>>(
            {.algorithm = osprey::Algorithm::brute})
            .fit(X, target);
      },
      "at row 3, column 1; with the minkowski metric");
  X(3, 1) = 0.9 * bound;  // within the bound: searches run, distances finite
  osprey::NearestNeighbors<float, osprey::Minkowski<3>> nn({.algorithm = osprey::Algorithm::brute});
  nn.fit(X);
  const auto found = nn.kneighbors(X, 2);
  CHECK(found.distances.allFinite());
  CHECK(found.indices.minCoeff() >= 0);
  CHECK(found.indices.maxCoeff() < X.rows());
  Matrix<double> far = X.topRows(1);
  far(0, 0) = -1.1 * bound;
  require_throws_containing<InvalidArgument>([&] { (void)nn.kneighbors(far, 1); },
                                             "NearestNeighbors::kneighbors: X holds");
  osprey::QueryWorkspace<float> ws;
  require_throws_containing<InvalidArgument>([&] { nn.kneighbors_one(far.row(0), 1, ws); },
                                             "NearestNeighbors::kneighbors_one: x holds");
  // Samplers search through NearestNeighbors, so they refuse the same data.
  Matrix<double> huge = small_X();
  huge(3, 0) = 1e30;  // a minority row (the search runs within it); bound ~ 3.3e18
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::Smote<float>().fit_resample(huge, small_y()); }, "overflow");
  CHECK_NOTHROW(osprey::Smote<double>().fit_resample(huge, small_y()));
}

TEMPLATE_TEST_CASE("Samplers<float>: a double above FLT_MAX names its row and column",
                   "[edges][imbalance]", float, double) {
  Matrix<double> bad = small_X();
  bad(5, 1) = 1e39;
  const osprey::RowMatrix<double> bad_rows = bad;  // Smote's row-major copy path
  const Eigen::VectorXi y = small_y();
  const bool is_float = std::is_same_v<TestType, float>;
  auto expect = [&](auto&& fn) {
    if (is_float) {
      require_throws_containing<InvalidArgument>(fn, kAt + " " + kFloat);
    } else {
      CHECK_NOTHROW(fn());
    }
  };
  expect([&] { (void)osprey::Smote<TestType>().fit_resample(bad, y); });
  expect([&] { (void)osprey::Smote<TestType>().fit_resample(bad_rows, y); });
  expect([&] { (void)osprey::BorderlineSmote<TestType>().fit_resample(bad, y); });
  expect([&] { (void)osprey::Adasyn<TestType>().fit_resample(bad, y); });
  expect([&] { (void)osprey::RandomUnderSampler<TestType>().fit_resample(bad, y); });
  expect([&] { (void)osprey::TomekLinks<TestType>().fit_resample(bad, y); });
}

TEST_CASE("check_int_rows: row indices held as int cap the rows at 2^31 - 1",
          "[core][validation][edges]") {
  using osprey::detail::check_int_rows;
  STATIC_REQUIRE(osprey::detail::kMaxIntRows == 2147483647);
  CHECK_NOTHROW(check_int_rows(1, "StratifiedKFold"));
  CHECK_NOTHROW(check_int_rows(osprey::detail::kMaxIntRows, "StratifiedKFold"));
  require_throws_containing<InvalidArgument>(
      [] { check_int_rows(Eigen::Index{1} << 31, "StratifiedKFold"); },
      "StratifiedKFold: X has 2147483648 rows, more than the 2147483647 whose indices fit");
  require_throws_containing<InvalidArgument>(
      [] { check_int_rows(Eigen::Index{3} << 31, "RandomUnderSampler"); }, "RandomUnderSampler");
  // The cap is injectable, so the entry checks can be exercised on small data.
  require_throws_containing<InvalidArgument>([] { check_int_rows(11, "Smote", 10); },
                                             "Smote: X has 11 rows, more than the 10");
  CHECK_NOTHROW(check_int_rows(10, "Smote", 10));
}

TEST_CASE("StratifiedKFold and the samplers still take data under the row cap",
          "[edges][model_selection][imbalance]") {
  const Eigen::VectorXi y = small_y();
  const auto folds = osprey::StratifiedKFold({.n_splits = 4}).split(y);
  CHECK(folds.size() == 4);
  const auto kept = osprey::RandomUnderSampler<>().fit_resample(small_X(), y);
  CHECK(kept.y.size() == 16);
}

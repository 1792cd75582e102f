#include "common/prelude.hpp"

#include <osprey/core/concepts.hpp>
#include <osprey/neighbors/kneighbors.hpp>

#include <random>
#include <string>

#include "common/estimator_checks.hpp"
#include "common/fixtures.hpp"

using Catch::Matchers::WithinAbs;
using osprey::Algorithm;
using osprey::Matrix;
using osprey::Weights;
using osprey::testing::load_fixture;
using osprey::testing::load_labels;
using osprey::testing::require_throws_containing;

static_assert(osprey::ProbabilisticClassifier<osprey::KNeighborsClassifier<>>);
static_assert(
    osprey::ProbabilisticClassifier<osprey::KNeighborsClassifier<float, osprey::Manhattan>>);
static_assert(osprey::Regressor<osprey::KNeighborsRegressor<>>);
static_assert(osprey::Regressor<osprey::KNeighborsRegressor<float, osprey::Chebyshev>>);
static_assert(!osprey::Classifier<osprey::KNeighborsRegressor<>>);
static_assert(!osprey::ProbabilisticClassifier<osprey::KNeighborsRegressor<>>);
static_assert(!osprey::Classifier<osprey::NearestNeighbors<>>);

namespace {

Matrix<double> blobs(Eigen::Index n, unsigned seed, Eigen::VectorXi& y) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Matrix<double> X(n, 3);
  y.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    y(i) = static_cast<int>(i % 3) * 4 - 2;  // labels -2, 2, 6
    for (Eigen::Index j = 0; j < 3; ++j) X(i, j) = normal(gen) + 2.0 * y(i) * (j == 0 ? 1 : 0);
  }
  return X;
}

template <class Metric>
void check_classifier(const std::string& metric, Weights weights) {
  const Matrix<double> X = load_fixture("neighbors/X.csv");
  const Matrix<double> Q = load_fixture("neighbors/Q.csv");
  const Eigen::VectorXi y = load_labels("neighbors/class_y.csv");
  const std::string w = weights == Weights::uniform ? "uniform" : "distance";
  INFO(metric << " " << w);
  const Eigen::VectorXi want = load_labels("neighbors/clf_" + w + "_" + metric + "_pred.csv");
  const Matrix<double> want_p = load_fixture("neighbors/clf_" + w + "_" + metric + "_proba.csv");
  for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
    osprey::KNeighborsClassifier<double, Metric> clf({.weights = weights, .algorithm = a});
    clf.fit(X, y);
    CHECK(clf.classes() == (Eigen::VectorXi(3) << -3, 2, 7).finished());
    CHECK(clf.predict(Q) == want);
    const Matrix<double> p = clf.predict_proba(Q);
    REQUIRE(p.rows() == want_p.rows());
    REQUIRE(p.cols() == want_p.cols());
    CHECK((p - want_p).cwiseAbs().maxCoeff() < 1e-12);
  }
}

template <class Metric>
void check_regressor(const std::string& metric, Weights weights) {
  const Matrix<double> X = load_fixture("neighbors/X.csv");
  const Matrix<double> Q = load_fixture("neighbors/Q.csv");
  const osprey::Vector<double> y = load_fixture("neighbors/reg_y.csv").col(0);
  const std::string w = weights == Weights::uniform ? "uniform" : "distance";
  INFO(metric << " " << w);
  const osprey::Vector<double> want =
      load_fixture("neighbors/reg_" + w + "_" + metric + "_pred.csv").col(0);
  for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
    osprey::KNeighborsRegressor<double, Metric> reg({.weights = weights, .algorithm = a});
    const osprey::Vector<double> got = reg.fit(X, y).predict(Q);
    CHECK((got - want).cwiseAbs().maxCoeff() < 1e-12);
    osprey::KNeighborsRegressor<float, Metric> regf({.weights = weights, .algorithm = a});
    const osprey::Vector<float> gotf =
        regf.fit(X.cast<float>(), y.cast<float>()).predict(Q.cast<float>());
    CHECK((gotf.cast<double>() - want).cwiseAbs().maxCoeff() < 1e-4);
  }
}

struct ClassifierSpec {
  static constexpr const char* name = "KNeighborsClassifier";
  static constexpr bool supervised = true;
  static constexpr double float_tolerance = 1e-6;
  template <class S>
  static osprey::KNeighborsClassifier<S, osprey::Euclidean> make() {
    return osprey::KNeighborsClassifier<S, osprey::Euclidean>({.n_neighbors = 3});
  }
  template <class E, class X>
  static E& fit(E& e, const X& x, const Eigen::VectorXi& y) {
    return e.fit(x, y);
  }
  template <class E, class X>
  static Matrix<double> apply(const E& e, const X& x) {
    return e.predict_proba(x).template cast<double>();
  }
};

struct RegressorSpec {
  static constexpr const char* name = "KNeighborsRegressor";
  static constexpr bool supervised = true;
  static constexpr double float_tolerance = 1e-4;
  template <class S>
  static osprey::KNeighborsRegressor<S, osprey::Manhattan> make() {
    return osprey::KNeighborsRegressor<S, osprey::Manhattan>(
        {.n_neighbors = 3, .weights = Weights::distance});
  }
  template <class E, class X>
  static E& fit(E& e, const X& x, const Eigen::VectorXi& y) {
    using S = typename E::Scalar;
    return e.fit(x, (y.cast<S>().array() * S(0.5) + S(1)).matrix().eval());
  }
  template <class E, class X>
  static Matrix<double> apply(const E& e, const X& x) {
    return e.predict(x).template cast<double>();
  }
};

}  // namespace

TEST_CASE("KNeighborsClassifier: predictions and probabilities match scikit-learn", "[neighbors]") {
  check_classifier<osprey::Euclidean>("euclidean", Weights::uniform);
  check_classifier<osprey::Euclidean>("euclidean", Weights::distance);
  check_classifier<osprey::Manhattan>("manhattan", Weights::uniform);
  check_classifier<osprey::Manhattan>("manhattan", Weights::distance);
}

TEST_CASE("KNeighborsClassifier: vote ties go to the smallest label as in scikit-learn",
          "[neighbors]") {
  const Matrix<double> X = load_fixture("neighbors/X.csv");
  const Matrix<double> Q = load_fixture("neighbors/Q.csv");
  const Eigen::VectorXi y = load_labels("neighbors/tie_y.csv");
  osprey::KNeighborsClassifier<> clf({.n_neighbors = 4, .algorithm = Algorithm::brute});
  clf.fit(X, y);
  const Matrix<double> p = clf.predict_proba(Q);
  CHECK((p - load_fixture("neighbors/tie_proba.csv")).cwiseAbs().maxCoeff() < 1e-12);
  CHECK(clf.predict(Q) == load_labels("neighbors/tie_pred.csv"));
  bool saw_tie = false;
  for (Eigen::Index i = 0; i < p.rows(); ++i) saw_tie = saw_tie || p(i, 0) == p(i, 1);
  CHECK(saw_tie);  // the fixture really exercises the rule
}

TEST_CASE("KNeighborsClassifier: a neighbour at distance zero takes all the weight",
          "[neighbors]") {
  Matrix<double> X(4, 1);
  X << 0.0, 1.0, 1.1, 1.2;
  const Eigen::VectorXi y = (Eigen::VectorXi(4) << 9, 3, 3, 3).finished();
  osprey::KNeighborsClassifier<> clf({.n_neighbors = 4, .weights = Weights::distance});
  Matrix<double> Q(1, 1);
  Q << 0.0;
  const Matrix<double> p = clf.fit(X, y).predict_proba(Q);
  CHECK(p(0, 0) == 0.0);  // class 3
  CHECK(p(0, 1) == 1.0);  // class 9
  CHECK(clf.predict(Q)(0) == 9);
  osprey::KNeighborsRegressor<> reg({.n_neighbors = 4, .weights = Weights::distance});
  CHECK(reg.fit(X, y.cast<double>()).predict(Q)(0) == 9.0);
}

TEST_CASE("KNeighborsRegressor: predictions match scikit-learn", "[neighbors]") {
  check_regressor<osprey::Euclidean>("euclidean", Weights::uniform);
  check_regressor<osprey::Euclidean>("euclidean", Weights::distance);
  check_regressor<osprey::Manhattan>("manhattan", Weights::uniform);
  check_regressor<osprey::Manhattan>("manhattan", Weights::distance);
}

TEST_CASE("KNeighborsClassifier: passes the estimator conformance suite", "[neighbors]") {
  Eigen::VectorXi y;
  const Matrix<double> X = blobs(60, 3, y);
  osprey::testing::check_estimator<ClassifierSpec>(X, y);
}

TEST_CASE("KNeighborsRegressor: passes the estimator conformance suite", "[neighbors]") {
  Eigen::VectorXi y;
  const Matrix<double> X = blobs(60, 4, y);
  osprey::testing::check_estimator<RegressorSpec>(X, y);
}

TEST_CASE("KNeighborsClassifier: bad parameters and inputs throw naming the culprit",
          "[neighbors]") {
  using Clf = osprey::KNeighborsClassifier<>;
  using Reg = osprey::KNeighborsRegressor<>;
  require_throws_containing<osprey::InvalidArgument>([] { Clf({.n_neighbors = 0}); },
                                                     "n_neighbors must be >= 1 (got 0)");
  require_throws_containing<osprey::InvalidArgument>([] { Reg({.n_neighbors = -4}); },
                                                     "n_neighbors must be >= 1 (got -4)");
  require_throws_containing<osprey::InvalidArgument>(
      [] { Clf({.weights = static_cast<Weights>(5)}); }, "weights");
  require_throws_containing<osprey::InvalidArgument>([] { Reg({.leaf_size = 0}); },
                                                     "leaf_size must be >= 1 (got 0)");
  require_throws_containing<osprey::InvalidArgument>([] { Clf({.n_threads = -1}); },
                                                     "n_threads must be >= 0");
  Eigen::VectorXi y;
  const Matrix<double> X = blobs(4, 1, y);
  Clf clf;  // n_neighbors = 5 > 4 rows
  require_throws_containing<osprey::InvalidArgument>(
      [&] { clf.fit(X, y); }, "n_neighbors must be <= n_samples = 4 (got 5)");
  Reg reg;
  require_throws_containing<osprey::InvalidArgument>(
      [&] { reg.fit(X, y.cast<double>()); }, "n_neighbors must be <= n_samples = 4 (got 5)");
  require_throws_containing<osprey::NotFittedError>([&] { (void)clf.classes(); },
                                                    "KNeighborsClassifier is not fitted");
  require_throws_containing<osprey::NotFittedError>([&] { (void)reg.predict(X); },
                                                    "KNeighborsRegressor is not fitted");
  osprey::Vector<double> ybad = y.cast<double>();
  ybad(2) = std::numeric_limits<double>::infinity();
  Reg reg3({.n_neighbors = 3});
  require_throws_containing<osprey::InvalidArgument>([&] { reg3.fit(X, ybad); },
                                                     "y contains a non-finite value");
  Clf clf3({.n_neighbors = 3});
  clf3.fit(X, y);
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)clf3.predict(Matrix<double>(2, 5)); }, "fitted with 3 features");
  require_throws_containing<osprey::InvalidArgument>([&] { (void)clf3.kneighbors(X, 9); },
                                                     "n_neighbors must be <= n_samples_fit");
}

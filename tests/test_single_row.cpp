// The single-row serving paths (issue 17, part 3): every one equals the batch path bit for bit,
// and allocates nothing once warmed up. Allocations are counted by replacing the global
// operator new/delete of this test binary (allowed by [replacement.functions]): each forwards
// to malloc/free and bumps a thread_local counter, which works under ASan too, since ASan
// intercepts malloc and sees every block allocated and freed by the same pair.
#include "common/prelude.hpp"

#include <osprey/anomaly/isolation_forest.hpp>
#include <osprey/neighbors/kneighbors.hpp>
#include <osprey/preprocessing/scalers.hpp>
#include <osprey/streams/control_chart_bank.hpp>
#include <osprey/streams/control_charts.hpp>

#include <cstdlib>
#include <new>
#include <random>

#include "common/estimator_checks.hpp"
#include "common/fixtures.hpp"

using osprey::Algorithm;
using osprey::Weights;
using osprey::testing::require_throws_containing;

using osprey::testing::same_bits;
namespace {
thread_local std::size_t allocations = 0;  // operator new calls on this thread

void* counted_alloc(std::size_t size, std::size_t align) {
  ++allocations;
  if (size == 0) size = 1;
  void* p = nullptr;
  if (align <= alignof(std::max_align_t)) {
    p = std::malloc(size);
  } else if (posix_memalign(&p, align, size) != 0) {
    p = nullptr;
  }
  return p;
}
void* counted_or_throw(std::size_t size, std::size_t align) {
  void* p = counted_alloc(size, align);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

// The replaceable allocation functions, all forwarding to malloc (or posix_memalign) / free.
void* operator new(std::size_t n) { return counted_or_throw(n, 0); }
void* operator new[](std::size_t n) { return counted_or_throw(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) {
  return counted_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return counted_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

/** Allocations made by `fn()` on this thread. */
template <class Fn>
std::size_t allocations_of(Fn&& fn) {
  const std::size_t before = allocations;
  fn();
  return allocations - before;
}

/** n x d values in [0, 1) plus `offset`, from a fixed seed. */
Eigen::MatrixXd uniform(Eigen::Index n, Eigen::Index d, unsigned seed, double offset = 0.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Eigen::MatrixXd X(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) X(i, j) = u(gen) + offset;
  }
  return X;
}

/** n x d small integers in [0, levels): many rows at equal distances and exact duplicates, so
 *  the k-th neighbour is often tied and the lower index must win. */
Eigen::MatrixXd grid(Eigen::Index n, Eigen::Index d, int levels, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> u(0, levels - 1);
  Eigen::MatrixXd X(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) X(i, j) = u(gen);
  }
  return X;
}

Eigen::VectorXi labels(Eigen::Index n, int n_classes, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> u(0, n_classes - 1);
  Eigen::VectorXi y(n);
  for (Eigen::Index i = 0; i < n; ++i) y(i) = 10 * u(gen) - 7;  // labels -7, 3, 13, ...
  return y;
}

template <class Scaler>
void check_scaler_rows(const Scaler& scaler, const Eigen::MatrixXd& Q) {
  using S = typename Scaler::Scalar;
  const osprey::Matrix<S> batch = scaler.transform(Q);
  Eigen::Matrix<S, 1, Eigen::Dynamic> z(Q.cols());
  osprey::Matrix<S> out(Q.rows(), Q.cols());
  for (Eigen::Index i = 0; i < Q.rows(); ++i) {
    scaler.transform_into(Q.row(i), z);
    scaler.transform_into(Q.row(i), out.row(i));  // a row of a column-major matrix
    for (Eigen::Index j = 0; j < Q.cols(); ++j) {
      REQUIRE(same_bits(z(j), batch(i, j)));
      REQUIRE(same_bits(out(i, j), batch(i, j)));
    }
  }
  osprey::Matrix<S> block(3, Q.cols());  // a small batch
  scaler.transform_into(Q.topRows(3), block);
  REQUIRE(block == batch.topRows(3));
  CHECK(allocations_of([&] { scaler.transform_into(Q.row(1), z); }) == 0);
  CHECK(allocations_of([&] { scaler.transform_into(Q.topRows(3), block); }) == 0);
}

}  // namespace

TEMPLATE_TEST_CASE("transform_into equals transform bit for bit, without allocating",
                   "[latency][scalers]", float, double) {
  const Eigen::MatrixXd X = uniform(200, 6, 1, 0.0) * 50.0;
  Eigen::MatrixXd Q = uniform(40, 6, 2, -0.5) * 80.0;
  Q.col(2).setConstant(3.25);  // constant in Q, varied in X
  Q(0, 0) = 1000.0;            // far outside X's range on both sides: clipping bites
  Q(1, 1) = -1000.0;
  for (const bool with_mean : {true, false}) {
    osprey::StandardScaler<TestType> scaler({.with_mean = with_mean, .with_std = true});
    scaler.fit(X);
    check_scaler_rows(scaler, Q);
  }
  for (const bool clip : {false, true}) {
    osprey::MinMaxScaler<TestType> scaler({.feature_min = -1.0, .feature_max = 2.0, .clip = clip});
    scaler.fit(X);
    check_scaler_rows(scaler, Q);
    if (clip) {  // Q leaves X's range, so clipping changes values: the shared path clips
      const osprey::Matrix<TestType> t = scaler.transform(Q);
      CHECK(t.maxCoeff() == TestType(2));
      CHECK(t.minCoeff() == TestType(-1));
    }
  }
}

TEST_CASE("transform_into rejects bad input", "[latency][scalers]") {
  osprey::StandardScaler<double> scaler;
  Eigen::RowVectorXd z(3);
  require_throws_containing<osprey::NotFittedError>(
      [&] { scaler.transform_into(Eigen::RowVectorXd::Zero(3), z); }, "not fitted");
  scaler.fit(uniform(20, 3, 3));
  require_throws_containing<osprey::InvalidArgument>(
      [&] { scaler.transform_into(Eigen::RowVectorXd::Zero(4), z); }, "4");
  Eigen::RowVectorXd bad = Eigen::RowVectorXd::Zero(3);
  bad(1) = std::numeric_limits<double>::quiet_NaN();
  require_throws_containing<osprey::InvalidArgument>([&] { scaler.transform_into(bad, z); },
                                                     "column 1");
  Eigen::RowVectorXd small(2);
  require_throws_containing<osprey::InvalidArgument>(
      [&] { scaler.transform_into(Eigen::RowVectorXd::Zero(3), small); }, "out must be 1 x 3");
}

TEMPLATE_TEST_CASE("IsolationForest score_one equals the batch scores bit for bit",
                   "[latency][isolation_forest]", float, double) {
  Eigen::MatrixXd X = uniform(3000, 5, 4);
  X.bottomRows(30).array() += 3.0;  // a cluster of outliers
  for (const auto contamination : {std::optional<double>{}, std::optional<double>{0.05}}) {
    osprey::IsolationForest<TestType> forest({.n_estimators = 37,
                                              .max_samples = 200,
                                              .contamination = contamination,
                                              .random_state = 11});
    forest.fit(X);
    const Eigen::MatrixXd Q = uniform(300, 5, 5, -0.2) * 1.5;  // column-major: strided rows
    const osprey::Vector<TestType> scores = forest.score_samples(Q);
    const osprey::Vector<TestType> decision = forest.decision_function(Q);
    const Eigen::VectorXi labels_batch = forest.predict(Q);
    int outliers = 0;
    for (Eigen::Index i = 0; i < Q.rows(); ++i) {
      REQUIRE(same_bits(forest.score_one(Q.row(i)), scores(i)));
      const Eigen::Matrix<TestType, 1, Eigen::Dynamic> row = Q.row(i).cast<TestType>();
      REQUIRE(same_bits(forest.score_one(row), scores(i)));  // contiguous, in Scalar
      REQUIRE(same_bits(forest.score_one(Q.row(i).transpose()), scores(i)));  // as a column
      REQUIRE(same_bits(forest.decision_one(Q.row(i)), decision(i)));
      REQUIRE(forest.predict_one(Q.row(i)) == labels_batch(i));
      outliers += labels_batch(i) == -1 ? 1 : 0;
    }
    CHECK(outliers > 0);  // both labels were compared
    CHECK(outliers < Q.rows());
    TestType sink = 0;
    CHECK(allocations_of([&] { sink += forest.score_one(Q.row(7)); }) == 0);
    CHECK(allocations_of([&] { sink += forest.decision_one(Q.row(8)); }) == 0);
    CHECK(allocations_of([&] { sink += TestType(forest.predict_one(Q.row(9))); }) == 0);
    CHECK(sink != 0);
  }
}

TEST_CASE("IsolationForest score_one rejects bad input", "[latency][isolation_forest]") {
  osprey::IsolationForest<float> forest({.n_estimators = 5, .random_state = 1});
  require_throws_containing<osprey::NotFittedError>(
      [&] { (void)forest.score_one(Eigen::RowVectorXd::Zero(3)); }, "not fitted");
  forest.fit(uniform(100, 3, 6));
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)forest.score_one(Eigen::MatrixXd::Zero(2, 3)); }, "takes one row");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)forest.score_one(Eigen::RowVectorXd::Zero(4)); }, "4");
  Eigen::RowVectorXd bad = Eigen::RowVectorXd::Zero(3);
  bad(2) = 1e300;  // finite in double, out of range for float
  require_throws_containing<osprey::InvalidArgument>([&] { (void)forest.predict_one(bad); },
                                                     "out of range for float");
}

namespace {

/** Every single-query path of a fitted classifier and a regressor against their batch forms,
 *  query by query; then the allocation count of a warmed-up query. */
template <class S, class Metric>
void check_knn_queries(const Eigen::MatrixXd& X, const Eigen::VectorXi& y, const Eigen::MatrixXd& Q,
                       osprey::KNeighborsParams p) {
  osprey::KNeighborsClassifier<S, Metric> clf(p);
  clf.fit(X, y);
  osprey::KNeighborsRegressor<S, Metric> reg(p);
  reg.fit(X, y.cast<double>());
  const osprey::Neighbors<S> nb = clf.kneighbors(Q, p.n_neighbors);
  const osprey::Matrix<S> proba = clf.predict_proba(Q);
  const Eigen::VectorXi pred = clf.predict(Q);
  const osprey::Vector<S> yhat = reg.predict(Q);
  osprey::QueryWorkspace<S> ws;
  osprey::Matrix<S> proba_one(Q.rows(), proba.cols());
  for (Eigen::Index i = 0; i < Q.rows(); ++i) {
    clf.predict_proba_one(Q.row(i), ws, proba_one.row(i).transpose());
    for (int j = 0; j < p.n_neighbors; ++j) {  // the neighbours the last call found
      REQUIRE(ws.indices()[static_cast<std::size_t>(j)] == nb.indices(i, j));
      REQUIRE(same_bits(ws.distances()[static_cast<std::size_t>(j)], nb.distances(i, j)));
    }
    for (Eigen::Index c = 0; c < proba.cols(); ++c) {
      REQUIRE(same_bits(proba_one(i, c), proba(i, c)));
    }
    REQUIRE(clf.predict_one(Q.row(i), ws) == pred(i));
    REQUIRE(same_bits(reg.predict_one(Q.row(i), ws), yhat(i)));
  }
  osprey::Vector<S> out(proba.cols());
  CHECK(allocations_of([&] { clf.predict_proba_one(Q.row(3), ws, out); }) == 0);
  CHECK(allocations_of([&] { (void)clf.predict_one(Q.row(4), ws); }) == 0);
  CHECK(allocations_of([&] { (void)reg.predict_one(Q.row(5), ws); }) == 0);
}

/** Queries with exact training rows among them (distance 0 for distance weights). */
Eigen::MatrixXd queries_with_training_rows(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Q) {
  Eigen::MatrixXd out(Q.rows() + 5, Q.cols());
  out << Q, X.topRows(5);
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("KNN one-query paths equal the batch, ties by lower index",
                   "[latency][kneighbors]", float, double) {
  using S = TestType;
  for (const Weights w : {Weights::uniform, Weights::distance}) {
    SECTION("brute force, Euclidean, tied grid data") {
      const Eigen::MatrixXd X = grid(600, 9, 3, 7);
      const Eigen::MatrixXd Q = queries_with_training_rows(X, grid(60, 9, 3, 8));
      check_knn_queries<S, osprey::Euclidean>(
          X, labels(600, 3, 9), Q, {.n_neighbors = 7, .weights = w, .algorithm = Algorithm::brute});
    }
    SECTION("brute force, Euclidean, raw data far from the origin") {
      const Eigen::MatrixXd X = uniform(700, 12, 10, 1000.0);
      const Eigen::MatrixXd Q = queries_with_training_rows(X, uniform(50, 12, 11, 1000.0));
      check_knn_queries<S, osprey::Euclidean>(
          X, labels(700, 4, 12), Q,
          {.n_neighbors = 5, .weights = w, .algorithm = Algorithm::brute});
    }
    SECTION("brute force, Manhattan and Chebyshev (panel kernel)") {
      const Eigen::MatrixXd X = grid(1500, 5, 4, 13);  // more rows than one scratch block
      const Eigen::MatrixXd Q = queries_with_training_rows(X, grid(40, 5, 4, 14));
      const osprey::KNeighborsParams p{
          .n_neighbors = 6, .weights = w, .algorithm = Algorithm::brute};
      check_knn_queries<S, osprey::Manhattan>(X, labels(1500, 3, 15), Q, p);
      check_knn_queries<S, osprey::Chebyshev>(X, labels(1500, 3, 15), Q, p);
    }
    SECTION("kd-tree, 3-D tied grid data") {
      const Eigen::MatrixXd X = grid(2000, 3, 6, 16);
      const Eigen::MatrixXd Q = queries_with_training_rows(X, grid(80, 3, 6, 17));
      check_knn_queries<S, osprey::Euclidean>(
          X, labels(2000, 5, 18), Q,
          {.n_neighbors = 9, .weights = w, .algorithm = Algorithm::kd_tree, .leaf_size = 8});
    }
  }
}

TEST_CASE("NearestNeighbors kneighbors_one equals kneighbors", "[latency][kneighbors]") {
  const Eigen::MatrixXd X = grid(500, 4, 3, 19);
  for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
    osprey::NearestNeighbors<float, osprey::SquaredEuclidean> nn({.algorithm = a});
    nn.fit(X);
    osprey::QueryWorkspace<float> ws;
    for (const int k : {1, 12, 500}) {  // k may change between calls; the workspace grows
      const Eigen::MatrixXd Q = grid(10, 4, 3, 20);
      const osprey::Neighbors<float> nb = nn.kneighbors(Q, k);
      for (Eigen::Index i = 0; i < Q.rows(); ++i) {
        nn.kneighbors_one(Q.row(i), k, ws);
        REQUIRE(ws.indices().size() == static_cast<std::size_t>(k));
        for (int j = 0; j < k; ++j) {
          REQUIRE(ws.indices()[static_cast<std::size_t>(j)] == nb.indices(i, j));
          REQUIRE(ws.distances()[static_cast<std::size_t>(j)] == nb.distances(i, j));
        }
      }
    }
  }
}

TEST_CASE("KNN one-query paths reject bad input", "[latency][kneighbors]") {
  osprey::KNeighborsClassifier<float> clf({.n_neighbors = 3});
  osprey::QueryWorkspace<float> ws;
  Eigen::VectorXf out(2);
  require_throws_containing<osprey::NotFittedError>(
      [&] { clf.predict_proba_one(Eigen::RowVectorXd::Zero(2), ws, out); }, "not fitted");
  const Eigen::MatrixXd X = uniform(50, 2, 21);
  Eigen::VectorXi y = labels(50, 2, 22);
  y(0) = -7;
  y(1) = 3;
  clf.fit(X, y);
  require_throws_containing<osprey::InvalidArgument>(
      [&] { clf.predict_proba_one(Eigen::RowVectorXd::Zero(3), ws, out); }, "3");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { clf.predict_proba_one(Eigen::MatrixXd::Zero(2, 2), ws, out); }, "one row");
  Eigen::RowVectorXd bad = Eigen::RowVectorXd::Zero(2);
  bad(0) = std::numeric_limits<double>::infinity();
  require_throws_containing<osprey::InvalidArgument>([&] { (void)clf.predict_one(bad, ws); },
                                                     "non-finite");
  Eigen::VectorXf wrong(3);
  require_throws_containing<osprey::InvalidArgument>(
      [&] { clf.predict_proba_one(Eigen::RowVectorXd::Zero(2), ws, wrong); }, "out must hold 2");
  osprey::NearestNeighbors<float> nn;
  nn.fit(X);
  require_throws_containing<osprey::InvalidArgument>(
      [&] { nn.kneighbors_one(Eigen::RowVectorXd::Zero(2), 51, ws); },
      "n_neighbors must be <= n_samples_fit = 50");
}

TEMPLATE_TEST_CASE("Chart updates and bank steps do not allocate", "[latency][streams]", float,
                   double) {
  osprey::Ewma<TestType> ewma({.mean = 0.0, .sigma = 1.0});
  osprey::Cusum<TestType> cusum({.mean = 0.0, .sigma = 1.0});
  (void)ewma.update(TestType(0.5));
  (void)cusum.update(TestType(0.5));
  int alarms = 0;
  CHECK(allocations_of([&] { alarms += ewma.update(TestType(9)).alarm != osprey::Alarm::none; }) ==
        0);
  CHECK(allocations_of([&] { alarms += cusum.update(TestType(9)).alarm != osprey::Alarm::none; }) ==
        0);
  CHECK(alarms == 2);  // a 9-sigma sample alarms both

  const Eigen::Index n = 1000;
  osprey::EwmaBank<TestType> ewma_bank({.mean = 0.0, .sigma = 1.0});
  osprey::CusumBank<TestType> cusum_bank({.mean = 0.0, .sigma = 1.0});
  ewma_bank.set_baselines(Eigen::VectorXd::Zero(n), Eigen::VectorXd::Ones(n));
  cusum_bank.set_baselines(Eigen::VectorXd::Zero(n), Eigen::VectorXd::Ones(n));
  const osprey::Vector<TestType> same = osprey::Vector<TestType>::Constant(n, TestType(0.25));
  const Eigen::VectorXd other = Eigen::VectorXd::Constant(n, 0.25);  // converted: scratch
  (void)ewma_bank.update(other);
  (void)cusum_bank.update(other);
  CHECK(allocations_of([&] { (void)ewma_bank.update(same); }) == 0);
  CHECK(allocations_of([&] { (void)cusum_bank.update(same); }) == 0);
  if constexpr (std::is_same_v<TestType, float>) {
    CHECK(allocations_of([&] { (void)ewma_bank.update(other); }) == 0);
    CHECK(allocations_of([&] { (void)cusum_bank.update(other); }) == 0);
  }
}

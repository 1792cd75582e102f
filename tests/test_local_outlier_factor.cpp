#include "common/prelude.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <osprey/anomaly/local_outlier_factor.hpp>
#include <osprey/core/concepts.hpp>
#include <osprey/io/serialize.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/estimator_checks.hpp"
#include "common/fixtures.hpp"
#include "common/translation_checks.hpp"

using Catch::Matchers::WithinRel;
using osprey::Algorithm;
using osprey::LocalOutlierFactor;
using osprey::Matrix;
using osprey::testing::fixture_path;
using osprey::testing::normal_data;
using osprey::testing::require_throws_containing;

static_assert(osprey::OutlierDetector<LocalOutlierFactor<double>>);
static_assert(osprey::OutlierDetector<LocalOutlierFactor<float, osprey::Manhattan>>);
static_assert(!osprey::Classifier<LocalOutlierFactor<double>>);
static_assert(osprey::Serializable<LocalOutlierFactor<float, osprey::Chebyshev>>);

namespace {

/** tests/fixtures/lof/cases.txt (written by make_lof.py): named data sets and cases. */
struct LofCase {
  int id = 0;
  std::string train, query, metric, contamination;
  int k = 0;
  bool novelty = false;
  double offset = 0.0;
  std::vector<double> values;
  std::vector<int> labels;
};

struct LofFixture {
  std::map<std::string, Matrix<double>> data;
  std::vector<LofCase> cases;
};

LofFixture read_lof_fixture() {
  std::ifstream in(fixture_path("lof/cases.txt"));
  REQUIRE(in);
  LofFixture f;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string word;
    ss >> word;
    if (word == "data") {
      std::string name;
      Eigen::Index rows = 0;
      Eigen::Index cols = 0;
      ss >> name >> rows >> cols;
      Matrix<double> X(rows, cols);
      for (Eigen::Index i = 0; i < rows; ++i) {
        REQUIRE(std::getline(in, line));
        std::istringstream row(line);
        for (Eigen::Index j = 0; j < cols; ++j) row >> X(i, j);
      }
      f.data[name] = X;
    } else if (word == "case") {
      LofCase c;
      int novelty = 0;
      ss >> c.id >> c.train >> c.query >> c.metric >> c.k >> c.contamination >> novelty;
      c.novelty = novelty == 1;
      f.cases.push_back(c);
    } else if (word == "offset") {
      ss >> f.cases.back().offset;
    } else if (word == "values") {
      double v = 0.0;
      while (ss >> v) f.cases.back().values.push_back(v);
    } else if (word == "labels") {
      int v = 0;
      while (ss >> v) f.cases.back().labels.push_back(v);
    }
  }
  return f;
}

osprey::LocalOutlierFactorParams params_of(const LofCase& c, Algorithm algorithm, int threads) {
  osprey::LocalOutlierFactorParams p{
      .n_neighbors = c.k, .algorithm = algorithm, .novelty = c.novelty, .n_threads = threads};
  if (c.contamination != "auto") p.contamination = std::stod(c.contamination);
  return p;
}

/** Runs one case with Metric, on both search algorithms, and checks it against the reference. */
template <class Metric>
void check_case(const LofFixture& f, const LofCase& c) {
  const Matrix<double>& X = f.data.at(c.train);
  for (const Algorithm algorithm : {Algorithm::brute, Algorithm::kd_tree}) {
    INFO("case " << c.id << " (" << c.train << ", " << c.metric << ", k = " << c.k
                 << ", contamination " << c.contamination << ", novelty " << c.novelty
                 << "), algorithm " << static_cast<int>(algorithm));
    LocalOutlierFactor<double, Metric> lof(params_of(c, algorithm, 2));
    Eigen::VectorXd values;
    Eigen::VectorXi labels;
    if (c.novelty) {
      lof.fit(X);
      const Matrix<double>& Q = f.data.at(c.query);
      values = lof.score_samples(Q);
      labels = lof.predict(Q);
      const Eigen::VectorXd decision = lof.decision_function(Q);
      CHECK(((values.array() - lof.offset()) == decision.array()).all());
    } else {
      labels = lof.fit_predict(X);
      values = lof.negative_outlier_factor();
    }
    CHECK_THAT(lof.offset(), WithinRel(c.offset, 1e-10));
    REQUIRE(values.size() == static_cast<Eigen::Index>(c.values.size()));
    REQUIRE(labels.size() == static_cast<Eigen::Index>(c.labels.size()));
    for (Eigen::Index i = 0; i < values.size(); ++i) {
      INFO("row " << i);
      CHECK_THAT(values(i), WithinRel(c.values[static_cast<std::size_t>(i)], 1e-10));
      CHECK(labels(i) == c.labels[static_cast<std::size_t>(i)]);
    }
  }
}

struct LofSpec {
  static constexpr const char* name = "LocalOutlierFactor";
  static constexpr bool supervised = false;
  static constexpr double float_tolerance = 1e-4;
  template <class S>
  static LocalOutlierFactor<S> make() {
    return LocalOutlierFactor<S>({.n_neighbors = 7, .novelty = true});
  }
  template <class E, class X>
  static E& fit(E& e, const X& x, const Eigen::VectorXi&) {
    return e.fit(x);
  }
  template <class E, class X>
  static Matrix<double> apply(const E& e, const X& x) {
    return e.score_samples(x).template cast<double>();
  }
};

/** Integer points in [0, 6)^2: every k-th distance is tied with many others. */
Matrix<double> grid_data(Eigen::Index n, std::uint64_t seed) {
  osprey::Rng rng(seed);
  Matrix<double> X(n, 2);
  for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = static_cast<double>(rng.bounded(6));
  return X;
}

template <class E>
std::string file_of(const E& m) {
  std::ostringstream out;
  osprey::save(m, out);
  return out.str();
}

}  // namespace

TEST_CASE("LocalOutlierFactor: matches scikit-learn 1.2.1 on every fixture case",
          "[anomaly][lof]") {
  const LofFixture f = read_lof_fixture();
  REQUIRE(f.cases.size() >= 50);
  int novelty_cases = 0;
  for (const LofCase& c : f.cases) {
    novelty_cases += c.novelty ? 1 : 0;
    if (c.metric == "euclidean") {
      check_case<osprey::Euclidean>(f, c);
    } else if (c.metric == "manhattan") {
      check_case<osprey::Manhattan>(f, c);
    } else if (c.metric == "chebyshev") {
      check_case<osprey::Chebyshev>(f, c);
    } else {
      REQUIRE(c.metric == "minkowski3");
      check_case<osprey::Minkowski<3>>(f, c);
    }
  }
  CHECK(novelty_cases >= 20);
}

TEST_CASE("LocalOutlierFactor: a hand-computed case and all-duplicate rows", "[anomaly][lof]") {
  // 1-D rows 0, 1, 3 with k = 1: neighbours 0->1, 1->0, 3->1; k-distances 1, 1, 2;
  // lrd = 1/(1 + 1e-10), 1/(1 + 1e-10), 1/(2 + 1e-10).
  Matrix<double> X(3, 1);
  X << 0.0, 1.0, 3.0;
  LocalOutlierFactor<> lof({.n_neighbors = 1});
  lof.fit(X);
  const Eigen::VectorXd nof = lof.negative_outlier_factor();
  CHECK(nof(0) == -1.0);
  CHECK(nof(1) == -1.0);
  CHECK_THAT(nof(2), WithinRel(-(2.0 + 1e-10) / (1.0 + 1e-10), 1e-15));
  CHECK(lof.k_distance()(2) == 2.0);
  CHECK(lof.offset() == -1.5);
  // Every row the same: every reachability distance is 0, every density 1e10, factors -1.
  const Matrix<double> same = Matrix<double>::Constant(6, 3, 2.5);
  LocalOutlierFactor<> dup({.n_neighbors = 2});
  CHECK((dup.fit_predict(same).array() == 1).all());
  CHECK((dup.negative_outlier_factor().array() == -1.0).all());
  CHECK((dup.local_reachability_density().array() == 1.0 / 1e-10).all());
}

TEST_CASE("LocalOutlierFactor: n_neighbors >= n_samples uses n - 1, as scikit-learn",
          "[anomaly][lof]") {
  const Matrix<double> X = normal_data(12, 3, 4);
  LocalOutlierFactor<> big({.n_neighbors = 50});
  LocalOutlierFactor<> exact({.n_neighbors = 11});
  big.fit(X);
  exact.fit(X);
  CHECK(big.n_neighbors_used() == 11);
  CHECK(big.params().n_neighbors == 50);
  CHECK(big.negative_outlier_factor() == exact.negative_outlier_factor());
  LocalOutlierFactor<> equal({.n_neighbors = 12});
  CHECK(equal.fit(X).n_neighbors_used() == 11);
}

TEST_CASE("LocalOutlierFactor: bad parameters and data name the culprit", "[anomaly][lof]") {
  using P = osprey::LocalOutlierFactorParams;
  using E = LocalOutlierFactor<>;
  require_throws_containing<osprey::InvalidArgument>([] { E(P{.n_neighbors = 0}); },
                                                     "n_neighbors must be >= 1 (got 0)");
  require_throws_containing<osprey::InvalidArgument>([] { E(P{.leaf_size = 0}); }, "leaf_size");
  require_throws_containing<osprey::InvalidArgument>([] { E(P{.n_threads = -1}); }, "n_threads");
  for (const double c : {0.0, -0.1, 0.51, 1.0, std::numeric_limits<double>::quiet_NaN()}) {
    require_throws_containing<osprey::InvalidArgument>([&] { E(P{.contamination = c}); },
                                                       "contamination");
  }
  CHECK_NOTHROW(E(P{.contamination = 0.5}));
  E lof;
  require_throws_containing<osprey::InvalidArgument>([&] { lof.set_params(P{.n_neighbors = -3}); },
                                                     "n_neighbors");
  require_throws_containing<osprey::InvalidArgument>([&] { lof.fit(Matrix<double>::Zero(1, 3)); },
                                                     "at least 2 rows");
  Matrix<double> X = normal_data(20, 3, 1);
  X(4, 2) = std::numeric_limits<double>::infinity();
  require_throws_containing<osprey::InvalidArgument>([&] { lof.fit(X); }, "row 4, column 2");
  CHECK_FALSE(lof.is_fitted());
}

TEST_CASE("LocalOutlierFactor: each mode refuses the other mode's methods", "[anomaly][lof]") {
  const Matrix<double> X = normal_data(30, 2, 7);
  LocalOutlierFactor<> outlier({.n_neighbors = 5});
  require_throws_containing<osprey::NotFittedError>(
      [&] { (void)outlier.negative_outlier_factor(); }, "LocalOutlierFactor is not fitted");
  require_throws_containing<osprey::NotFittedError>([&] { (void)outlier.offset(); },
                                                    "LocalOutlierFactor");
  outlier.fit(X);
  for (const char* method : {"score_samples", "decision_function", "predict"}) {
    require_throws_containing<osprey::InvalidArgument>(
        [&] {
          const std::string m = method;
          if (m == "score_samples") (void)outlier.score_samples(X);
          if (m == "decision_function") (void)outlier.decision_function(X);
          if (m == "predict") (void)outlier.predict(X);
        },
        std::string(method) + " is only available with novelty = true");
  }
  LocalOutlierFactor<> novelty({.n_neighbors = 5, .novelty = true});
  require_throws_containing<osprey::NotFittedError>([&] { (void)novelty.score_samples(X); },
                                                    "LocalOutlierFactor");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)novelty.fit_predict(X); }, "fit_predict is only available with novelty = false");
  CHECK_FALSE(novelty.is_fitted());
  novelty.fit(X);
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)novelty.score_samples(Matrix<double>::Zero(3, 4)); },
      "fitted with 2 features but X has 4 columns");
  // The training scores exist in both modes and agree.
  CHECK(novelty.negative_outlier_factor() == outlier.negative_outlier_factor());
}

TEST_CASE("LocalOutlierFactor: conformance suite (novelty mode)", "[anomaly][lof]") {
  const Matrix<double> X = normal_data(40, 3, 11);
  const Eigen::VectorXi y = Eigen::VectorXi::Zero(40);
  osprey::testing::check_estimator<LofSpec>(X, y);
}

TEST_CASE("LocalOutlierFactor: results do not depend on threads or the search algorithm",
          "[anomaly][lof]") {
  // Continuous rows, and integer rows whose ties go through the heap replay.
  for (const Matrix<double>& X : {normal_data(500, 3, 5), grid_data(400, 9)}) {
    const Matrix<double> Q = X.topRows(60).array() + 0.5;
    Eigen::VectorXd nof_ref;
    Eigen::VectorXd score_ref;
    for (const Algorithm algorithm : {Algorithm::brute, Algorithm::kd_tree}) {
      for (const int threads : {1, 3}) {
        LocalOutlierFactor<> lof(
            {.n_neighbors = 9, .algorithm = algorithm, .novelty = true, .n_threads = threads});
        lof.fit(X);
        const Eigen::VectorXd nof = lof.negative_outlier_factor();
        const Eigen::VectorXd score = lof.score_samples(Q);
        if (nof_ref.size() == 0) {
          nof_ref = nof;
          score_ref = score;
        }
        INFO("algorithm " << static_cast<int>(algorithm) << ", " << threads << " threads");
        CHECK(nof == nof_ref);
        CHECK(score == score_ref);
      }
    }
  }
}

TEST_CASE("LocalOutlierFactor: translation invariance on raw data", "[anomaly][lof]") {
  const auto apply = [](auto tag) {
    using S = decltype(tag);
    return [](const Matrix<S>& X, const Matrix<S>& Q, double) {
      LocalOutlierFactor<S> lof({.n_neighbors = 10, .novelty = true, .n_threads = 2});
      lof.fit(X);
      Matrix<double> out(X.rows() + Q.rows(), 1);
      out.col(0) << lof.negative_outlier_factor().template cast<double>(),
          lof.score_samples(Q).template cast<double>();
      return out;
    };
  };
  osprey::testing::check_translation_invariance<double>("LocalOutlierFactor", apply(0.0), 200, 60);
  osprey::testing::check_translation_invariance<float>("LocalOutlierFactor", apply(0.0F), 200, 60);
}

TEST_CASE("LocalOutlierFactor: save and load score bit-identically and corrupt files are refused",
          "[anomaly][lof][serialize]") {
  const Matrix<double> X = grid_data(80, 3);
  const Matrix<double> Q = normal_data(20, 2, 4).array() * 2.0 + 2.5;
  LocalOutlierFactor<double, osprey::Manhattan> novelty(
      {.n_neighbors = 6, .contamination = 0.2, .novelty = true});
  novelty.fit(X);
  const std::string bytes = file_of(novelty);
  CHECK(bytes.find("LocalOutlierFactor<double,Manhattan>") != std::string::npos);
  std::istringstream in(bytes);
  const auto back = osprey::load<LocalOutlierFactor<double, osprey::Manhattan>>(in);
  CHECK(back.params().novelty);
  CHECK(back.params().contamination == 0.2);
  CHECK(back.offset() == novelty.offset());
  CHECK(back.score_samples(Q) == novelty.score_samples(Q));
  CHECK(back.predict(Q) == novelty.predict(Q));
  CHECK(back.negative_outlier_factor() == novelty.negative_outlier_factor());
  CHECK(file_of(back) == bytes);

  LocalOutlierFactor<float> outlier({.n_neighbors = 4});
  outlier.fit(X.cast<float>());
  std::istringstream in_f(file_of(outlier));
  const auto back_f = osprey::load<LocalOutlierFactor<float>>(in_f);
  CHECK_FALSE(back_f.params().novelty);
  CHECK(back_f.negative_outlier_factor() == outlier.negative_outlier_factor());

  // Another metric, a truncated file and a flipped byte are format errors.
  std::istringstream wrong(bytes);
  CHECK_THROWS_AS(osprey::load<LocalOutlierFactor<double>>(wrong), osprey::FormatError);
  for (const std::size_t cut : {std::size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    std::istringstream part(bytes.substr(0, cut));
    CHECK_THROWS_AS((osprey::load<LocalOutlierFactor<double, osprey::Manhattan>>(part)),
                    osprey::FormatError);
  }
  std::string flipped = bytes;
  flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 0x5a);
  std::istringstream bad(flipped);
  CHECK_THROWS_AS((osprey::load<LocalOutlierFactor<double, osprey::Manhattan>>(bad)),
                  osprey::FormatError);
  CHECK_THROWS_AS(file_of(LocalOutlierFactor<>()), osprey::NotFittedError);
}

TEST_CASE("LocalOutlierFactor: a cancelled token stops fit", "[anomaly][lof]") {
  osprey::LocalOutlierFactorParams p{.n_neighbors = 5};
  p.cancellation.cancel();
  LocalOutlierFactor<> lof(p);
  require_throws_containing<osprey::Cancelled>([&] { lof.fit(normal_data(50, 2, 1)); },
                                               "LocalOutlierFactor::fit");
  CHECK_FALSE(lof.is_fitted());
}

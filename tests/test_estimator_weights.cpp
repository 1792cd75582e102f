// Sample weights of the estimators (issue 18, section 1): IsolationForest (weighted
// subsampling: integer weights are repeated rows, bit for bit), StandardScaler / MinMaxScaler
// (fit and partial_fit against scikit-learn 1.2 fixtures) and the kNN votes (weighted
// neighbours; weight 0 drops a row), their save/load and their bad-weight errors.
#include "common/prelude.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <osprey/io/serialize.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/estimator_checks.hpp"
#include "common/fixtures.hpp"
#include "common/model_io.hpp"

using osprey::InvalidArgument;
using osprey::Matrix;
using osprey::testing::normal_data;
using osprey::testing::require_throws_containing;

using osprey::testing::reloaded;
using osprey::testing::same_bits;
namespace {

/** X with row i repeated w(i) times consecutively (w integer-valued). */
Matrix<double> repeated(const Matrix<double>& X, const Eigen::VectorXd& w) {
  Matrix<double> out(static_cast<Eigen::Index>(w.sum()), X.cols());
  Eigen::Index r = 0;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    for (int k = 0; k < static_cast<int>(w(i)); ++k) out.row(r++) = X.row(i);
  }
  return out;
}

/** The rows of X whose weight is positive. */
Matrix<double> kept(const Matrix<double>& X, const Eigen::VectorXd& w) {
  std::vector<Eigen::Index> rows;
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    if (w(i) > 0.0) rows.push_back(i);
  }
  Matrix<double> out(static_cast<Eigen::Index>(rows.size()), X.cols());
  for (std::size_t r = 0; r < rows.size(); ++r) out.row(Eigen::Index(r)) = X.row(rows[r]);
  return out;
}

bool close(double got, double want, double tol = 1e-12) {
  return std::abs(got - want) <= tol * (1.0 + std::abs(want));
}

/** Every "bad weight" throws InvalidArgument naming sample_weight. */
template <class Fit>
void check_bad_weights(Eigen::Index n, Fit fit) {
  Eigen::VectorXd w = Eigen::VectorXd::Ones(n);
  require_throws_containing<InvalidArgument>([&] { fit(Eigen::VectorXd::Ones(n + 1)); },
                                             "sample_weight has");
  w(1) = -1.0;
  require_throws_containing<InvalidArgument>([&] { fit(w); }, "sample_weight must be finite");
  w(1) = std::nan("");
  require_throws_containing<InvalidArgument>([&] { fit(w); }, "(row 1 is nan)");
  w(1) = std::numeric_limits<double>::infinity();
  require_throws_containing<InvalidArgument>([&] { fit(w); }, "sample_weight");
  require_throws_containing<InvalidArgument>([&] { fit(Eigen::VectorXd::Zero(n)); },
                                             "sample_weight must have a positive entry");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// IsolationForest

TEST_CASE("IsolationForest: integer weights equal repeated rows, bit for bit",
          "[anomaly][weights]") {
  const Matrix<double> X = normal_data(70, 3, 11);
  const Matrix<double> Q = normal_data(40, 3, 12) * 2.0;
  osprey::Rng rng(13);
  Eigen::VectorXd w(X.rows());
  for (Eigen::Index i = 0; i < w.size(); ++i) w(i) = static_cast<double>(rng.bounded(4));
  const Matrix<double> R = repeated(X, w);
  const std::vector<osprey::IsolationForestParams> configs = {
      {.n_estimators = 25, .random_state = 3},
      {.n_estimators = 25, .max_samples = 16, .contamination = 0.1, .random_state = 4},
      {.n_estimators = 25, .max_samples = 5000, .contamination = 0.25, .random_state = 5},
      {.n_estimators = 25, .max_samples = 40, .bootstrap = true, .random_state = 6},
      {.n_estimators = 25, .contamination = 0.05, .max_features = 2, .random_state = 7}};
  for (std::size_t c = 0; c < configs.size(); ++c) {
    INFO("config " << c);
    osprey::IsolationForest<double> weighted(configs[c]);
    osprey::IsolationForest<double> repeats(configs[c]);
    weighted.fit(X, w);
    repeats.fit(R);
    CHECK(weighted.samples_per_tree() == repeats.samples_per_tree());
    CHECK(same_bits(weighted.score_samples(Q), repeats.score_samples(Q)));
    CHECK(same_bits(weighted.score_samples(X), repeats.score_samples(X)));
    CHECK(weighted.offset() == repeats.offset());
  }
  // Float forests too (thresholds drawn in float).
  osprey::IsolationForest<float> wf({.n_estimators = 20, .contamination = 0.1, .random_state = 8});
  osprey::IsolationForest<float> rf({.n_estimators = 20, .contamination = 0.1, .random_state = 8});
  CHECK(same_bits(wf.fit(X, w).score_samples(Q), rf.fit(R).score_samples(Q)));
  CHECK(wf.offset() == rf.offset());
}

TEST_CASE("IsolationForest: weight 0 drops a row and weights of 1 change nothing",
          "[anomaly][weights]") {
  const Matrix<double> X = normal_data(50, 2, 21);
  const Matrix<double> Q = normal_data(30, 2, 22);
  Eigen::VectorXd w = Eigen::VectorXd::Ones(X.rows());
  w(0) = w(7) = w(49) = 0.0;
  const osprey::IsolationForestParams p{
      .n_estimators = 30, .max_samples = 32, .contamination = 0.2, .random_state = 9};
  osprey::IsolationForest<double> a(p), b(p), plain(p), ones(p);
  a.fit(X, w);
  b.fit(kept(X, w));
  CHECK(same_bits(a.score_samples(Q), b.score_samples(Q)));
  CHECK(a.offset() == b.offset());
  plain.fit(X);
  ones.fit(X, Eigen::VectorXd::Ones(X.rows()));
  CHECK(same_bits(plain.score_samples(Q), ones.score_samples(Q)));
  CHECK(plain.offset() == ones.offset());
}

TEST_CASE("IsolationForest: non-integer weights sample in proportion to weight",
          "[anomaly][weights]") {
  // 200 normal rows and one far row: weighted heavily, the far row is drawn into most trees'
  // samples many times, so it is no longer isolated early.
  Matrix<double> X = normal_data(201, 2, 31);
  X.row(200) << 8.0, 8.0;
  Eigen::VectorXd light = Eigen::VectorXd::Constant(X.rows(), 0.75);
  Eigen::VectorXd heavy = light;
  heavy(200) = 120.5;
  const osprey::IsolationForestParams p{
      .n_estimators = 60, .contamination = 0.1, .random_state = 2};
  osprey::IsolationForest<double> f_light(p), f_heavy(p);
  f_light.fit(X, light);
  f_heavy.fit(X, heavy);
  const Matrix<double> far = X.bottomRows(1);
  CHECK(f_heavy.score_samples(far)(0) > f_light.score_samples(far)(0) + 0.1);
  CHECK(f_light.samples_per_tree() == 151);  // ceil(201 * 0.75)
  // The offset is the weighted quantile of the training scores.
  const Eigen::VectorXd s = f_heavy.score_samples(X);
  const std::vector<double> scores(s.data(), s.data() + s.size());
  CHECK(f_heavy.offset() == osprey::detail::weighted_percentile(scores, heavy, 0.1));
  // Same seed, any thread count: the same forest.
  osprey::IsolationForestParams one = p;
  one.n_threads = 1;
  osprey::IsolationForestParams four = p;
  four.n_threads = 4;
  osprey::IsolationForest<double> t1(one), t4(four);
  CHECK(same_bits(t1.fit(X, heavy).score_samples(X), t4.fit(X, heavy).score_samples(X)));
  // Weights below one in total still give one sample per tree.
  osprey::IsolationForest<double> tiny({.n_estimators = 5});
  tiny.fit(X, Eigen::VectorXd::Constant(X.rows(), 1e-4));
  CHECK(tiny.samples_per_tree() == 1);
}

TEST_CASE("IsolationForest: the weighted quantile is numpy's percentile of the repeated values",
          "[anomaly][weights]") {
  const std::vector<double> v = {0.3, -1.0, 2.5, 0.3, 7.0};
  const Eigen::VectorXd w = (Eigen::VectorXd(5) << 2, 0, 3, 1, 1).finished();
  // repeated and sorted: 0.3 0.3 0.3 2.5 2.5 2.5 7.0 (7 values; -1.0 dropped)
  const std::vector<double> sorted = {0.3, 0.3, 0.3, 2.5, 2.5, 2.5, 7.0};
  for (const double q : {0.0, 0.1, 0.25, 0.5, 0.6, 0.9, 1.0}) {
    const double pos = osprey::detail::rounded_product(q, 6.0);  // as numpy: no FMA
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min<std::size_t>(lo + 1, 6);
    const double want =
        sorted[lo] + osprey::detail::rounded_product(pos - double(lo), sorted[hi] - sorted[lo]);
    INFO("q = " << q);
    CHECK(osprey::detail::weighted_percentile(v, w, q) == want);
  }
  // Real weights (total 2): rank r takes the value whose cumulative-weight interval holds r,
  // here [0, 0.5) -> 1, [0.5, 1.5) -> 2, [1.5, 2) -> 3; ranks 0 and 1 are interpolated.
  const std::vector<double> r = {3.0, 1.0, 2.0};
  const Eigen::VectorXd rw = (Eigen::VectorXd(3) << 0.5, 0.5, 1.0).finished();
  CHECK(osprey::detail::weighted_percentile(r, rw, 0.0) == 1.0);
  CHECK(osprey::detail::weighted_percentile(r, rw, 0.25) == 1.25);
  CHECK(osprey::detail::weighted_percentile(r, rw, 0.5) == 1.5);
}

TEST_CASE("IsolationForest: bad sample weights throw naming sample_weight", "[anomaly][weights]") {
  const Matrix<double> X = normal_data(20, 2, 41);
  osprey::IsolationForest<double> f({.n_estimators = 3});
  check_bad_weights(X.rows(), [&](const Eigen::VectorXd& w) { f.fit(X, w); });
  CHECK_FALSE(f.is_fitted());
}

// ---------------------------------------------------------------------------------------------
// Scalers

namespace {

/** One case of tests/fixtures/weighted_scalers/cases.txt (make_weighted_scalers.py). */
struct ScalerCase {
  int kind = 0;
  bool with_mean = true, with_std = true;
  double fmin = 0.0, fmax = 1.0;
  Eigen::Index d = 0;
  std::vector<Matrix<double>> X;
  std::vector<Eigen::VectorXd> w;  // empty = unweighted
  double seen = 0.0;
  std::vector<Eigen::VectorXd> stats;  // mean, var, scale | data_min, data_max, scale, min
  Matrix<double> Q, T;
};

Matrix<double> read_rows(std::istream& in, Eigen::Index n, Eigen::Index d) {
  Matrix<double> m(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) {
      std::string tok;
      in >> tok;
      m(i, j) = std::stod(tok);  // reads "nan" too
    }
  }
  return m;
}

std::vector<ScalerCase> read_scaler_cases() {
  std::ifstream in(std::string(OSPREY_FIXTURES_DIR) + "/weighted_scalers/cases.txt");
  REQUIRE(in);
  std::vector<ScalerCase> cases;
  std::string word;
  while (in >> word) {
    REQUIRE(word == "case");
    ScalerCase c;
    int wm = 0, ws = 0, nb = 0;
    in >> c.kind >> wm >> ws >> c.fmin >> c.fmax >> c.d >> nb;
    c.with_mean = wm == 1;
    c.with_std = ws == 1;
    for (int b = 0; b < nb; ++b) {
      Eigen::Index n = 0;
      int weighted = 0;
      in >> word >> n >> weighted;
      c.X.push_back(read_rows(in, n, c.d));
      c.w.push_back(weighted ? Eigen::VectorXd(read_rows(in, 1, n).transpose())
                             : Eigen::VectorXd());
    }
    in >> word >> c.seen;
    for (int k = 0; k < (c.kind == 0 ? 3 : 4); ++k) {
      c.stats.push_back(read_rows(in, 1, c.d).transpose());
    }
    Eigen::Index m = 0;
    in >> word >> m;
    c.Q = read_rows(in, m, c.d);
    c.T = read_rows(in, m, c.d);
    cases.push_back(std::move(c));
  }
  return cases;
}

template <class Scaler>
void fit_case(Scaler& s, const ScalerCase& c) {
  if (c.X.size() == 1) {
    s.fit(c.X[0], c.w[0]);
  } else {
    for (std::size_t b = 0; b < c.X.size(); ++b) s.partial_fit(c.X[b], c.w[b]);
  }
}

void check_vector(const Eigen::VectorXd& got, const Eigen::VectorXd& want, const char* what) {
  REQUIRE(got.size() == want.size());
  for (Eigen::Index j = 0; j < got.size(); ++j) {
    if (std::isnan(want(j))) continue;  // not tracked by scikit-learn in this configuration
    INFO(what << " at " << j << ": " << got(j) << " vs " << want(j));
    CHECK(close(got(j), want(j)));
  }
}

void check_matrix(const Matrix<double>& got, const Matrix<double>& want) {
  REQUIRE(got.rows() == want.rows());
  for (Eigen::Index i = 0; i < got.size(); ++i) {
    INFO("transform entry " << i << ": " << got(i) << " vs " << want(i));
    CHECK(close(got(i), want(i)));
  }
}

}  // namespace

TEST_CASE("Scalers: weighted fit and partial_fit match scikit-learn on 60 fixtures",
          "[preprocessing][weights]") {
  const std::vector<ScalerCase> cases = read_scaler_cases();
  REQUIRE(cases.size() >= 60);
  int zero_weight_cases = 0;
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const ScalerCase& c = cases[k];
    INFO("case " << k << " kind " << c.kind << " batches " << c.X.size());
    for (const auto& w : c.w) zero_weight_cases += w.size() > 0 && (w.array() == 0.0).any();
    if (c.kind == 0) {
      osprey::StandardScaler<double> s({.with_mean = c.with_mean, .with_std = c.with_std});
      fit_case(s, c);
      CHECK(close(s.n_samples_seen(), c.seen));
      check_vector(s.mean(), c.stats[0], "mean");
      check_vector(s.var(), c.stats[1], "var");
      check_vector(s.scale(), c.stats[2], "scale");
      check_matrix(s.transform(c.Q), c.T);
    } else {
      osprey::MinMaxScaler<double> s({.feature_min = c.fmin, .feature_max = c.fmax});
      fit_case(s, c);
      CHECK(close(s.n_samples_seen(), c.seen));
      check_vector(s.data_min(), c.stats[0], "data_min");
      check_vector(s.data_max(), c.stats[1], "data_max");
      check_vector(s.scale(), c.stats[2], "scale");
      check_vector(s.min(), c.stats[3], "min");
      check_matrix(s.transform(c.Q), c.T);
    }
  }
  CHECK(zero_weight_cases >= 10);
}

TEST_CASE("Scalers: integer weights equal repeated rows, weight 0 a dropped row",
          "[preprocessing][weights]") {
  const Matrix<double> X = normal_data(30, 3, 51) * 4.0;
  const Matrix<double> Q = normal_data(6, 3, 52);
  Eigen::VectorXd w(X.rows());
  for (Eigen::Index i = 0; i < w.size(); ++i) w(i) = static_cast<double>(i % 4);
  osprey::StandardScaler<double> a, b;
  a.fit(X, w);
  b.fit(repeated(X, w));
  CHECK(a.n_samples_seen() == b.n_samples_seen());
  check_vector(a.mean(), b.mean(), "mean");
  check_vector(a.var(), b.var(), "var");
  check_matrix(a.transform(Q), b.transform(Q));
  osprey::MinMaxScaler<double> c, e;
  c.fit(X, w);
  e.fit(repeated(X, w));
  CHECK(c.n_samples_seen() == e.n_samples_seen());
  CHECK(same_bits(c.transform(Q), e.transform(Q)));
  // Batches: partial_fit over three weighted pieces equals one weighted fit.
  osprey::StandardScaler<double> inc;
  inc.partial_fit(X.topRows(10), w.head(10))
      .partial_fit(X.middleRows(10, 12), w.segment(10, 12))
      .partial_fit(X.bottomRows(8), w.tail(8));
  CHECK(inc.n_samples_seen() == a.n_samples_seen());
  check_vector(inc.mean(), a.mean(), "mean");
  check_vector(inc.var(), a.var(), "var");
  // All weights 1: the unweighted statistics.
  osprey::StandardScaler<double> plain, ones;
  plain.fit(X);
  ones.fit(X, Eigen::VectorXd::Ones(X.rows()));
  check_vector(ones.mean(), plain.mean(), "mean");
  check_vector(ones.scale(), plain.scale(), "scale");
  CHECK(plain.n_samples_seen() == 30.0);
}

TEST_CASE("Scalers: bad weights and batches throw and a failed call keeps the fit",
          "[preprocessing][weights]") {
  const Matrix<double> X = normal_data(12, 2, 61);
  osprey::StandardScaler<double> s;
  osprey::MinMaxScaler<double> m;
  check_bad_weights(X.rows(), [&](const Eigen::VectorXd& w) { s.fit(X, w); });
  check_bad_weights(X.rows(), [&](const Eigen::VectorXd& w) { m.partial_fit(X, w); });
  CHECK_FALSE(s.is_fitted());
  s.partial_fit(X);
  m.partial_fit(X);
  const Eigen::VectorXd mean = s.mean();
  require_throws_containing<InvalidArgument>([&] { s.partial_fit(normal_data(4, 3, 62)); },
                                             "StandardScaler");
  require_throws_containing<InvalidArgument>([&] { m.partial_fit(normal_data(4, 3, 62)); },
                                             "MinMaxScaler");
  require_throws_containing<InvalidArgument>([&] { s.fit(X, Eigen::VectorXd::Zero(X.rows())); },
                                             "sample_weight");
  CHECK(same_bits(s.mean(), mean));
  CHECK(s.n_samples_seen() == 12.0);
}

TEST_CASE("Scalers: the weight sum survives save and load and partial_fit continues",
          "[preprocessing][weights][serialize]") {
  const Matrix<double> X = normal_data(20, 3, 71);
  Eigen::VectorXd w = Eigen::VectorXd::LinSpaced(X.rows(), 0.0, 2.3);
  osprey::StandardScaler<double> s;
  s.fit(X, w);
  osprey::StandardScaler<double> back = reloaded(s);
  CHECK(back.n_samples_seen() == s.n_samples_seen());
  CHECK(same_bits(back.transform(X), s.transform(X)));
  const Matrix<double> more = normal_data(7, 3, 72);
  s.partial_fit(more, w.head(7));
  back.partial_fit(more, w.head(7));
  CHECK(same_bits(back.var(), s.var()));
  osprey::MinMaxScaler<float> m;
  m.fit(X, w);
  const osprey::MinMaxScaler<float> mback = reloaded(m);
  CHECK(mback.n_samples_seen() == m.n_samples_seen());
  CHECK(same_bits(mback.transform(X), m.transform(X)));
}

// ---------------------------------------------------------------------------------------------
// k nearest neighbours

TEST_CASE("KNeighbors: votes are the neighbour weights times the sample weights",
          "[neighbors][weights]") {
  // One feature; query 1.4 has neighbours 1 (d 0.4), 2 (d 0.6), 0 (d 1.4) for k = 3.
  const Matrix<double> X = (Matrix<double>(5, 1) << 0.0, 1.0, 2.0, 3.0, 10.0).finished();
  const Eigen::VectorXi y = (Eigen::VectorXi(5) << 0, 1, 1, 0, 1).finished();
  const Eigen::VectorXd t = (Eigen::VectorXd(5) << 5.0, -1.0, 2.0, 7.0, 3.0).finished();
  const Eigen::VectorXd w = (Eigen::VectorXd(5) << 3.0, 1.0, 0.5, 2.0, 4.0).finished();
  const Matrix<double> q = (Matrix<double>(1, 1) << 1.4).finished();
  osprey::KNeighborsClassifier<double> uni({.n_neighbors = 3});
  uni.fit(X, y, w);
  Matrix<double> p = uni.predict_proba(q);
  CHECK(close(p(0, 0), 3.0 / 4.5));
  CHECK(close(p(0, 1), 1.5 / 4.5));
  CHECK(uni.predict(q)(0) == 0);  // unweighted, class 1 would win 2 to 1
  osprey::KNeighborsClassifier<double> dist(
      {.n_neighbors = 3, .weights = osprey::Weights::distance});
  dist.fit(X, y, w);
  const double v0 = 3.0 / 1.4;
  const double v1 = 1.0 / 0.4 + 0.5 / 0.6;
  p = dist.predict_proba(q);
  CHECK(close(p(0, 0), v0 / (v0 + v1)));
  CHECK(close(p(0, 1), v1 / (v0 + v1)));
  osprey::KNeighborsRegressor<double> reg({.n_neighbors = 3, .weights = osprey::Weights::distance});
  reg.fit(X, t, w);
  const double num = 3.0 / 1.4 * 5.0 + 1.0 / 0.4 * -1.0 + 0.5 / 0.6 * 2.0;
  CHECK(close(reg.predict(q)(0), num / (3.0 / 1.4 + 1.0 / 0.4 + 0.5 / 0.6)));
  osprey::KNeighborsRegressor<double> ureg({.n_neighbors = 3});
  ureg.fit(X, t, w);
  CHECK(close(ureg.predict(q)(0), (3.0 * 5.0 - 1.0 + 0.5 * 2.0) / 4.5));
  // The one-row paths agree bit for bit.
  osprey::QueryWorkspace<double> ws;
  Eigen::VectorXd one(2);
  dist.predict_proba_one(q, ws, one);
  CHECK(same_bits(Eigen::VectorXd(one.transpose()), Eigen::VectorXd(p.row(0).transpose())));
  CHECK(reg.predict_one(q, ws) == reg.predict(q)(0));
}

TEST_CASE("KNeighbors: distance weights at distance zero share by sample weight",
          "[neighbors][weights]") {
  // Rows 1 and 2 coincide (labels 1 and 0); the query sits on them.
  const Matrix<double> X = (Matrix<double>(4, 1) << 0.0, 1.0, 1.0, 3.0).finished();
  const Eigen::VectorXi y = (Eigen::VectorXi(4) << 0, 1, 0, 1).finished();
  const Eigen::VectorXd w = (Eigen::VectorXd(4) << 9.0, 0.25, 0.75, 9.0).finished();
  osprey::KNeighborsClassifier<double> knn(
      {.n_neighbors = 3, .weights = osprey::Weights::distance});
  knn.fit(X, y, w);
  const Matrix<double> q = (Matrix<double>(1, 1) << 1.0).finished();
  const Matrix<double> p = knn.predict_proba(q);
  CHECK(p(0, 0) == 0.75);  // the far rows weigh 9 but get no vote
  CHECK(p(0, 1) == 0.25);
  CHECK((p.array() == p.array()).all());  // no NaN
}

TEST_CASE("KNeighbors: weight 0 drops the row and equal weights change nothing",
          "[neighbors][weights]") {
  const Matrix<double> X = normal_data(40, 3, 81);
  const Matrix<double> Q = normal_data(15, 3, 82);
  Eigen::VectorXi y(40);
  for (Eigen::Index i = 0; i < 40; ++i) y(i) = static_cast<int>(i % 3);
  y(5) = 9;  // a label only a dropped row carries
  const Eigen::VectorXd t = X.col(0) * 2.0 + X.col(1);
  Eigen::VectorXd w = (X.col(2).array().abs() + 0.5).matrix();
  w(5) = w(11) = w(30) = 0.0;
  for (const auto weights : {osprey::Weights::uniform, osprey::Weights::distance}) {
    osprey::KNeighborsClassifier<double> a({.n_neighbors = 6, .weights = weights});
    osprey::KNeighborsClassifier<double> b({.n_neighbors = 6, .weights = weights});
    a.fit(X, y, w);
    b.fit(kept(X, w), kept(y.cast<double>(), w).col(0).cast<int>(), kept(w, w).col(0));
    CHECK(a.classes().size() == 3);
    CHECK(same_bits(a.predict_proba(Q), b.predict_proba(Q)));
    CHECK(a.kneighbors(Q, 4).indices == b.kneighbors(Q, 4).indices);
    osprey::KNeighborsRegressor<double> r1({.n_neighbors = 6, .weights = weights});
    osprey::KNeighborsRegressor<double> r2({.n_neighbors = 6, .weights = weights});
    r1.fit(X, t, w);
    r2.fit(kept(X, w), kept(t, w).col(0), kept(w, w).col(0));
    CHECK(same_bits(r1.predict(Q), r2.predict(Q)));
    // Equal weights: the unweighted answers (bit for bit for weights of 1).
    osprey::KNeighborsClassifier<double> plain({.n_neighbors = 6, .weights = weights});
    osprey::KNeighborsClassifier<double> ones({.n_neighbors = 6, .weights = weights});
    osprey::KNeighborsClassifier<double> equal({.n_neighbors = 6, .weights = weights});
    plain.fit(X, y);
    ones.fit(X, y, Eigen::VectorXd::Ones(40));
    equal.fit(X, y, Eigen::VectorXd::Constant(40, 2.5));
    CHECK(same_bits(plain.predict_proba(Q), ones.predict_proba(Q)));
    CHECK(plain.predict(Q) == equal.predict(Q));
    const Matrix<double> pe = equal.predict_proba(Q);
    const Matrix<double> pp = plain.predict_proba(Q);
    for (Eigen::Index i = 0; i < pe.size(); ++i) CHECK(close(pe(i), pp(i)));
  }
}

TEST_CASE("KNeighbors: bad weights throw and so do too few rows of positive weight",
          "[neighbors][weights]") {
  const Matrix<double> X = normal_data(8, 2, 91);
  const Eigen::VectorXi y = (Eigen::VectorXi(8) << 0, 1, 0, 1, 0, 1, 0, 1).finished();
  osprey::KNeighborsClassifier<double> knn({.n_neighbors = 3});
  osprey::KNeighborsRegressor<float> reg({.n_neighbors = 3});
  check_bad_weights(8, [&](const Eigen::VectorXd& w) { knn.fit(X, y, w); });
  check_bad_weights(8, [&](const Eigen::VectorXd& w) { reg.fit(X, X.col(0), w); });
  Eigen::VectorXd w = Eigen::VectorXd::Zero(8);
  w(2) = w(6) = 1.0;
  require_throws_containing<InvalidArgument>([&] { knn.fit(X, y, w); },
                                             "n_neighbors must be <= n_samples = 2");
  CHECK_FALSE(knn.is_fitted());
}

TEST_CASE("KNeighbors: sample weights survive save and load", "[neighbors][weights][serialize]") {
  const Matrix<double> X = normal_data(30, 2, 101);
  const Matrix<double> Q = normal_data(10, 2, 102);
  Eigen::VectorXi y(30);
  for (Eigen::Index i = 0; i < 30; ++i) y(i) = static_cast<int>(i % 2);
  Eigen::VectorXd w = (X.col(1).array().abs() * 3.0).matrix();
  w(4) = 0.0;
  osprey::KNeighborsClassifier<double, osprey::Manhattan> knn(
      {.n_neighbors = 5, .weights = osprey::Weights::distance});
  knn.fit(X, y, w);
  const auto back = reloaded(knn);
  CHECK(same_bits(back.predict_proba(Q), knn.predict_proba(Q)));
  osprey::KNeighborsRegressor<float> reg({.n_neighbors = 4});
  reg.fit(X, X.col(0), w);
  const auto rback = reloaded(reg);
  CHECK(same_bits(rback.predict(Q), reg.predict(Q)));
  // Unweighted models round-trip as before.
  osprey::KNeighborsRegressor<double> plain({.n_neighbors = 4});
  plain.fit(X, X.col(1));
  CHECK(same_bits(reloaded(plain).predict(Q), plain.predict(Q)));
}

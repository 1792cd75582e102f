// Calibration (calibration/): SigmoidCalibrator and IsotonicCalibrator against scikit-learn's
// _SigmoidCalibration and IsotonicRegression, calibration_curve, CalibratedClassifier against
// CalibratedClassifierCV(KNeighborsClassifier), the prior-shift correction, the weight
// invariants, huge and constant scores, bad input and save/load round trips. Reference values:
// tests/fixtures/make_calibration.py.
#include "common/prelude.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <osprey/calibration/curve.hpp>
#include <osprey/calibration/prior_shift.hpp>
#include <osprey/io/serialize.hpp>
#include <osprey/neighbors/kneighbors.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/estimator_checks.hpp"
#include "common/fixtures.hpp"
#include "common/model_io.hpp"

using Catch::Matchers::WithinAbs;
using osprey::InvalidArgument;
using osprey::Matrix;
using osprey::testing::require_throws_containing;
using Knn = osprey::KNeighborsClassifier<double>;
using Calibrated = osprey::CalibratedClassifier<Knn>;

static_assert(osprey::ProbabilisticClassifier<Calibrated>);
static_assert(osprey::ProbabilisticClassifier<osprey::CalibratedClassifier<Calibrated>>);
static_assert(!osprey::ProbabilisticClassifier<osprey::SigmoidCalibrator<>>);
static_assert(osprey::Serializable<Calibrated>);
static_assert(osprey::Serializable<osprey::SigmoidCalibrator<float>>);
static_assert(osprey::Serializable<osprey::IsotonicCalibrator<double>>);

using osprey::testing::reloaded;
using osprey::testing::same_bits;
using osprey::testing::saved;
namespace {

/** One fixture file: case id -> field -> values ("<case> <field> v1 v2 ..." lines). */
using Case = std::map<std::string, std::vector<double>>;
std::map<int, Case> load_cases(const std::string& name) {
  std::ifstream in(osprey::testing::fixture_path("calibration/" + name));
  if (!in) throw std::runtime_error("cannot open fixture " + name);
  std::map<int, Case> cases;
  std::string line, field;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    int id = 0;
    ss >> id >> field;
    std::vector<double>& v = cases[id][field];
    std::string tok;
    while (ss >> tok) v.push_back(std::stod(tok));
  }
  return cases;
}

Eigen::VectorXd vec(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}
Eigen::VectorXi ivec(const std::vector<double>& v) { return vec(v).cast<int>(); }
Matrix<double> rows(const std::vector<double>& v, Eigen::Index cols) {
  const Eigen::Index r = static_cast<Eigen::Index>(v.size()) / cols;
  return Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>>(v.data(), r, cols);
}

void require_close(const Eigen::VectorXd& got, const Eigen::VectorXd& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (Eigen::Index i = 0; i < got.size(); ++i) {
    INFO("index " << i);
    CHECK_THAT(got(i), WithinAbs(want(i), tol));
  }
}

/** |got - want| <= tol * max(1, |want|): relative for large values, absolute near 0. */
void check_rel(double got, double want, double tol) {
  CHECK(std::abs(got - want) <= tol * std::max(1.0, std::abs(want)));
}

/** ROC AUC by pair counting (ties 1/2), for the huge-score checks. */
double auc(const Eigen::VectorXi& y, const Eigen::VectorXd& s) {
  double num = 0, pairs = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    for (Eigen::Index j = 0; j < y.size(); ++j) {
      if (y(i) != 1 || y(j) != 0) continue;
      pairs += 1;
      num += s(i) > s(j) ? 1.0 : (s(i) == s(j) ? 0.5 : 0.0);
    }
  }
  return num / pairs;
}

/** `file` (a saved model) with its payload replaced by `payload`, the checksum redone. */
std::string rewrapped(const std::string& file, const std::string& payload) {
  const std::size_t head = 18 + static_cast<unsigned char>(file[17]);
  osprey::detail::ByteWriter w;
  w.bytes() = file.substr(0, head);
  w.u64(payload.size());
  w.bytes() += payload;
  w.u64(osprey::detail::fnv1a64(w.bytes()));
  return w.bytes();
}
std::string payload_of(const std::string& file) {
  const std::size_t head = 18 + static_cast<unsigned char>(file[17]) + 8;
  return file.substr(head, file.size() - head - 8);
}

}  // namespace

TEST_CASE("SigmoidCalibrator: reaches the exact Platt optimum of scikit-learn's objective",
          "[calibration][sigmoid][fixtures]") {
  const auto cases = load_cases("sigmoid.txt");
  REQUIRE(cases.size() >= 50);
  int bfgs_compared = 0;
  for (const auto& [id, c] : cases) {
    INFO("case " << id << " kind " << c.at("kind")[0]);
    const Eigen::VectorXd s = vec(c.at("s")), q = vec(c.at("q")), w = vec(c.at("w"));
    const Eigen::VectorXi y = ivec(c.at("y"));
    osprey::SigmoidCalibrator<> platt;
    platt.fit(s, y, w);
    CHECK(platt.converged());
    // The exact optimum (scipy at gtol 1e-13, Newton-polished): parameters and probabilities.
    check_rel(platt.a(), c.at("opt_ab")[0], 1e-12);
    check_rel(platt.b(), c.at("opt_ab")[1], 1e-12);
    const Eigen::VectorXd p = platt.predict(q);
    require_close(p, vec(c.at("opt_q")), 1e-12);
    // scikit-learn's fmin_bfgs stops at a gradient of 1e-5: its (a, b) lie within twice the
    // Newton step from its stopping point (second order), and a probability moves by at most
    // 1/4 of the change of a q + b.
    const double tol = c.at("bfgs_tol")[0];
    if (std::isfinite(tol)) {
      ++bfgs_compared;
      CHECK(std::abs(platt.a() - c.at("sk_ab")[0]) <= tol);
      CHECK(std::abs(platt.b() - c.at("sk_ab")[1]) <= tol);
      for (Eigen::Index i = 0; i < q.size(); ++i) {
        CHECK(std::abs(p(i) - c.at("sk_q")[std::size_t(i)]) <= 0.25 * tol * (1 + std::abs(q(i))));
      }
    }
  }
  CHECK(bfgs_compared >= 40);
}

TEST_CASE("SigmoidCalibrator: huge scores keep their ranking (scikit-learn#26766)",
          "[calibration][sigmoid]") {
  osprey::Rng rng(7);
  Eigen::VectorXd s(400);
  Eigen::VectorXi y(400);
  for (Eigen::Index i = 0; i < s.size(); ++i) {
    y(i) = rng.uniform() < 0.3 ? 1 : 0;
    s(i) = rng.normal() + 1.2 * y(i);
  }
  osprey::SigmoidCalibrator<> base;
  const Eigen::VectorXd p0 = base.fit(s, y).predict(s);
  for (const double scale : {1e6, 1e9, 1e12, 1e15}) {
    INFO("scale " << scale);
    const Eigen::VectorXd big = s * scale;
    osprey::SigmoidCalibrator<> platt;
    const Eigen::VectorXd p = platt.fit(big, y).predict(big);
    require_close(p, p0, 1e-12);  // the optimum is invariant to scaling the scores
    CHECK_THAT(platt.a() * scale, WithinAbs(base.a(), 1e-9 * std::abs(base.a())));
    CHECK(auc(y, p) == auc(y, s));
    CHECK(auc(y, p) > 0.75);
  }
  // a large offset with a small spread: the fit works in standardised scores
  const Eigen::VectorXd shifted = (s.array() + 1e12).matrix();
  osprey::SigmoidCalibrator<> platt;
  require_close(platt.fit(shifted, y).predict(shifted), p0, 1e-4);
}

TEST_CASE("SigmoidCalibrator: constant scores give the smoothed share of positives",
          "[calibration][sigmoid]") {
  const Eigen::VectorXd s = Eigen::VectorXd::Constant(7, 3.5);
  Eigen::VectorXi y(7);
  y << 1, 0, 0, 1, 0, 0, 0;
  osprey::SigmoidCalibrator<> platt;
  platt.fit(s, y);
  const double t_bar = (2 * 3.0 / 4.0 + 5 * (1.0 / 7.0)) / 7.0;
  CHECK(platt.a() == 0.0);
  CHECK(platt.n_iter() == 0);
  CHECK_THAT(platt.predict(Eigen::VectorXd::Constant(1, -1e9))(0), WithinAbs(t_bar, 1e-15));
}

TEST_CASE(
    "SigmoidCalibrator and IsotonicCalibrator: integer weights equal repeated rows, "
    "weight 0 equals a dropped row",
    "[calibration][weights]") {
  osprey::Rng rng(11);
  const Eigen::Index n = 40;
  Eigen::VectorXd s(n), w(n);
  Eigen::VectorXi y(n);
  std::vector<double> rs;
  std::vector<int> ry;
  for (Eigen::Index i = 0; i < n; ++i) {
    y(i) = rng.uniform() < 0.4 ? 1 : 0;
    s(i) = std::round(4 * (rng.normal() + y(i))) / 4;  // ties
    w(i) = static_cast<double>(rng.bounded(4));        // 0 .. 3
    for (int k = 0; k < static_cast<int>(w(i)); ++k) {
      rs.push_back(s(i));
      ry.push_back(y(i));
    }
  }
  const Eigen::VectorXd rep_s = vec(rs);
  const Eigen::VectorXi rep_y =
      Eigen::Map<const Eigen::VectorXi>(ry.data(), static_cast<Eigen::Index>(ry.size()));
  const Eigen::VectorXd q = Eigen::VectorXd::LinSpaced(31, -3, 5);
  osprey::SigmoidCalibrator<> a, b;
  require_close(a.fit(s, y, w).predict(q), b.fit(rep_s, rep_y).predict(q), 1e-12);
  osprey::IsotonicCalibrator<> c, d;
  require_close(c.fit(s, y, w).predict(q), d.fit(rep_s, rep_y).predict(q), 1e-12);
  CHECK(c.x_min() == d.x_min());
  CHECK(c.x_max() == d.x_max());
}

TEST_CASE("IsotonicCalibrator: matches scikit-learn's IsotonicRegression(out_of_bounds='clip')",
          "[calibration][isotonic][fixtures]") {
  const auto cases = load_cases("isotonic.txt");
  REQUIRE(cases.size() >= 50);
  for (const auto& [id, c] : cases) {
    INFO("case " << id);
    osprey::IsotonicCalibrator<> iso;
    iso.fit(vec(c.at("s")), ivec(c.at("y")), vec(c.at("w")));
    require_close(iso.x_thresholds(), vec(c.at("xt")), 0.0);
    require_close(iso.y_thresholds(), vec(c.at("yt")), 1e-12);
    CHECK(iso.x_min() == c.at("range")[0]);
    CHECK(iso.x_max() == c.at("range")[1]);
    const Eigen::VectorXd p = iso.predict(vec(c.at("q")));
    require_close(p, vec(c.at("pred")), 1e-12);
  }
}

TEST_CASE("calibration_curve: matches scikit-learn's, both strategies",
          "[calibration][curve][fixtures]") {
  const auto cases = load_cases("curve.txt");
  REQUIRE(cases.size() >= 50);
  for (const auto& [id, c] : cases) {
    INFO("case " << id);
    const auto strategy =
        c.at("opts")[1] == 0 ? osprey::BinStrategy::uniform : osprey::BinStrategy::quantile;
    const auto curve = osprey::calibration_curve(ivec(c.at("y")), vec(c.at("p")),
                                                 static_cast<int>(c.at("opts")[0]), strategy);
    require_close(curve.prob_true, vec(c.at("pt")), 1e-12);
    require_close(curve.prob_pred, vec(c.at("pp")), 1e-12);
  }
}

TEST_CASE("CalibratedClassifier: matches CalibratedClassifierCV(KNeighborsClassifier)",
          "[calibration][cv][fixtures]") {
  const auto cases = load_cases("cv.txt");
  REQUIRE(cases.size() >= 12);
  for (const auto& [id, c] : cases) {
    INFO("case " << id);
    const Matrix<double> X = rows(c.at("X"), 3), Q = rows(c.at("Q"), 3);
    const Eigen::VectorXi y = ivec(c.at("y"));
    const int k = static_cast<int>(c.at("opts")[0]), n_splits = static_cast<int>(c.at("opts")[2]);
    // osprey's unshuffled StratifiedKFold deals the rows as scikit-learn's
    const auto folds = osprey::StratifiedKFold({.n_splits = n_splits}).split(y);
    const Eigen::VectorXi want_fold = ivec(c.at("folds"));
    for (std::size_t f = 0; f < folds.size(); ++f) {
      for (const int i : folds[f].test) CHECK(want_fold(i) == static_cast<int>(f));
    }
    const auto method = c.at("opts")[1] == 0 ? osprey::CalibrationMethod::sigmoid
                                             : osprey::CalibrationMethod::isotonic;
    Calibrated model(Knn({.n_neighbors = k}), {.method = method, .cv = {.n_splits = n_splits}});
    model.fit(X, y);
    const Matrix<double> p = model.predict_proba(Q);
    const Eigen::Index n_classes = model.classes().size();
    const Matrix<double> want = rows(c.at("proba_opt"), n_classes);
    const Matrix<double> shipped = rows(c.at("proba_sk"), n_classes);
    const double gap = c.at("sk_gap")[0];  // BFGS's error in scikit-learn as shipped
    REQUIRE(p.rows() == want.rows());
    for (Eigen::Index i = 0; i < p.size(); ++i) {
      CHECK_THAT(p(i), WithinAbs(want(i), 1e-12));
      CHECK_THAT(p(i), WithinAbs(shipped(i), gap + 1e-12));
    }
    for (Eigen::Index i = 0; i < p.rows(); ++i) {
      Eigen::Index best = 0;
      p.row(i).maxCoeff(&best);
      CHECK(model.predict(Q.row(i))(0) == model.classes()(best));
    }
  }
}

TEST_CASE("correct_for_undersampling and resampling_beta: Dal Pozzolo's prior shift",
          "[calibration][prior]") {
  // True posterior p = 0.2; keeping 10% of the negatives gives p_s = p / (p + beta (1 - p)).
  const double p = 0.2, beta = 0.1, p_s = p / (p + beta * (1 - p));
  Eigen::VectorXd ps(4);
  ps << p_s, 0.0, 1.0, 0.5;
  const Eigen::VectorXd got = osprey::correct_for_undersampling(ps, beta);
  CHECK_THAT(got(0), WithinAbs(p, 1e-15));
  CHECK(got(1) == 0.0);
  CHECK(got(2) == 1.0);
  CHECK_THAT(got(3), WithinAbs(beta / (beta + 1), 1e-15));
  CHECK(same_bits(osprey::correct_for_undersampling(ps, 1.0), ps));
  const Eigen::VectorXf pf = ps.cast<float>();
  CHECK(osprey::correct_for_undersampling(pf, 0.5).size() == 4);
  // RandomUnderSampler: 100 positives, 900 -> 300 negatives; SMOTE: 100 -> 900 positives.
  CHECK_THAT(osprey::resampling_beta(100, 900, 100, 300), WithinAbs(1.0 / 3.0, 1e-15));
  CHECK_THAT(osprey::resampling_beta(100, 900, 900, 900), WithinAbs(1.0 / 9.0, 1e-15));
  Eigen::VectorXi y(6), y_res(4);
  y << 1, 0, 0, 0, 0, 0;
  y_res << 1, 0, 1, 1;  // 1:5 -> 3:1
  CHECK_THAT(osprey::resampling_beta(y, y_res), WithinAbs((1.0 / 5.0) / 3.0, 1e-15));
}

TEST_CASE("calibration: bad input throws InvalidArgument naming the culprit",
          "[calibration][errors]") {
  Eigen::VectorXd s(4);
  s << 0.1, 0.4, 0.35, 0.8;
  Eigen::VectorXi y(4), bad_y(4);
  y << 0, 0, 1, 1;
  bad_y << 0, 2, 1, 1;
  osprey::SigmoidCalibrator<> platt;
  osprey::IsotonicCalibrator<> iso;
  require_throws_containing<InvalidArgument>([&] { platt.fit(s, bad_y); }, "row 1 is 2");
  require_throws_containing<InvalidArgument>([&] { iso.fit(s, bad_y); }, "row 1 is 2");
  require_throws_containing<InvalidArgument>([&] { iso.fit(s, y.head(3)); }, "inconsistent");
  require_throws_containing<InvalidArgument>([&] { platt.fit(s, y, Eigen::VectorXd::Zero(4)); },
                                             "every sample_weight is zero");
  require_throws_containing<InvalidArgument>(
      [&] { iso.fit(s, y, Eigen::VectorXd::Constant(4, -1)); }, "sample_weight");
  Eigen::VectorXd nan_s = s;
  nan_s(2) = std::nan("");
  require_throws_containing<InvalidArgument>([&] { platt.fit(nan_s, y); }, "index 2");
  require_throws_containing<osprey::NotFittedError>([&] { (void)iso.predict(s); },
                                                    "IsotonicCalibrator");
  require_throws_containing<osprey::NotFittedError>([&] { (void)platt.a(); }, "SigmoidCalibrator");
  Eigen::VectorXd out_of_range = s;
  out_of_range(3) = 1.5;
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::correct_for_undersampling(out_of_range, 0.5); }, "index 3 is 1.5");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::calibration_curve(y, out_of_range); }, "index 3 is 1.5");
  for (const double b : {0.0, -0.5, 1.5, std::nan("")}) {
    require_throws_containing<InvalidArgument>(
        [&] { (void)osprey::correct_for_undersampling(s, b); }, "beta must be in (0, 1]");
  }
  require_throws_containing<InvalidArgument>([&] { (void)osprey::resampling_beta(1, 9, 1, 90); },
                                             "resampling_beta");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::calibration_curve(y, s, 0); },
                                             "n_bins must be >= 1");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::calibration_curve(bad_y, s); },
                                             "index 1 is 2");
  const Matrix<double> X = Matrix<double>::Random(8, 2);
  Eigen::VectorXi one_class = Eigen::VectorXi::Zero(8);
  Calibrated model(Knn({.n_neighbors = 2}), {.cv = {.n_splits = 2}});
  require_throws_containing<InvalidArgument>([&] { model.fit(X, one_class); }, "one class");
  Eigen::VectorXi rare(8);
  rare << 0, 0, 0, 0, 0, 0, 0, 1;
  require_throws_containing<InvalidArgument>([&] { model.fit(X, rare); }, "n_splits=2");
  CHECK_FALSE(model.is_fitted());
  require_throws_containing<InvalidArgument>([&] { Calibrated(Knn(), {.cv = {.n_splits = 1}}); },
                                             "n_splits");
  require_throws_containing<osprey::NotFittedError>([&] { (void)model.predict_proba(X); },
                                                    "CalibratedClassifier");
}

TEST_CASE("calibration: save/load round-trips bit-exactly and rejects damage",
          "[calibration][serialize]") {
  osprey::Rng rng(5);
  Matrix<double> X(60, 2);
  Eigen::VectorXi y(60);
  for (Eigen::Index i = 0; i < 60; ++i) {
    y(i) = static_cast<int>(i % 3);
    X(i, 0) = rng.normal() + y(i);
    X(i, 1) = rng.normal();
  }
  const Eigen::VectorXd s = X.col(0);
  const Eigen::VectorXi yb = (y.array() == 2).cast<int>();
  osprey::SigmoidCalibrator<> platt;
  platt.fit(s, yb);
  osprey::IsotonicCalibrator<float> iso;
  iso.fit(s.cast<float>(), yb);
  const auto platt2 = reloaded(platt);
  const auto iso2 = reloaded(iso);
  CHECK(same_bits(platt2.predict(s), platt.predict(s)));
  CHECK(platt2.a() == platt.a());
  CHECK(same_bits(iso2.predict(s.cast<float>()), iso.predict(s.cast<float>())));
  for (const auto method :
       {osprey::CalibrationMethod::sigmoid, osprey::CalibrationMethod::isotonic}) {
    Calibrated model(Knn({.n_neighbors = 4}), {.method = method, .cv = {.n_splits = 3}});
    model.fit(X, y);
    const auto copy = reloaded(model);
    CHECK(same_bits(copy.predict_proba(X), model.predict_proba(X)));
    CHECK(copy.n_folds() == 3);
    CHECK(saved(copy) == saved(model));
  }
  // every prefix and byte flip of a small file fails to load
  const std::string bytes = saved(platt);
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    std::istringstream in(bytes.substr(0, len));
    CHECK_THROWS_AS(osprey::load<osprey::SigmoidCalibrator<>>(in), osprey::FormatError);
  }
  const std::string iso_bytes = saved(iso);
  for (std::size_t pos = 0; pos < iso_bytes.size(); ++pos) {
    std::string bad = iso_bytes;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x5A);
    std::istringstream in(bad);
    CHECK_THROWS_AS(osprey::load<osprey::IsotonicCalibrator<float>>(in), osprey::FormatError);
  }
  std::istringstream wrong(bytes);
  CHECK_THROWS_AS(osprey::load<osprey::SigmoidCalibrator<float>>(wrong), osprey::FormatError);
  osprey::SigmoidCalibrator<> unfitted;
  CHECK_THROWS_AS(saved(unfitted), osprey::NotFittedError);

  // Regressions found by fuzz_model_load: a CalibratedClassifier file claiming n_splits = 0
  // (no folds), and a sigmoid fitted on one score value (alpha = 0) with a tiny scale, where
  // a far query made alpha * x = 0 * inf = NaN.
  Calibrated model(Knn({.n_neighbors = 2}), {.cv = {.n_splits = 2}});
  const std::string file = saved(model.fit(X, y));
  std::string payload = payload_of(file);
  std::memset(payload.data() + 1, 0, 4);  // u32 n_splits after the u8 method
  std::istringstream no_folds(rewrapped(file, payload));
  CHECK_THROWS_AS(osprey::load<Calibrated>(no_folds), osprey::FormatError);
  osprey::detail::ByteWriter w;
  for (const double v : {0.0, 1e-300, 0.0, 0.5}) w.f64(v);  // center, scale, alpha, beta
  w.u32(0);
  w.u8(1);
  std::istringstream tiny(rewrapped(bytes, w.bytes()));
  const auto flat = osprey::load<osprey::SigmoidCalibrator<>>(tiny);
  Eigen::VectorXd far(2);
  far << 1e300, -1e300;
  const Eigen::VectorXd p = flat.predict(far);
  CHECK(p(0) == p(1));
  CHECK((p.array() >= 0 && p.array() <= 1).all());
}

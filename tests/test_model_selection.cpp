// Leakage-safe evaluation (model_selection/): GroupKFold, StratifiedGroupKFold and
// TimeSeriesSplit against scikit-learn 1.2.1's index sets, cross_val_predict against
// scikit-learn's with KNeighborsClassifier, and make_pipeline (resampler in fit only) against the
// hand-written sequence and imbalanced-learn 0.10's Pipeline. Fixtures:
// tests/fixtures/make_model_selection.py.
#include "common/prelude.hpp"

#include <fstream>
#include <map>
#include <osprey/imbalance/smote.hpp>
#include <osprey/imbalance/under_sampling.hpp>
#include <osprey/io/serialize.hpp>
#include <osprey/metrics/classification.hpp>
#include <osprey/metrics/ranking.hpp>
#include <osprey/model_selection/cross_validate.hpp>
#include <osprey/model_selection/pipeline.hpp>
#include <osprey/neighbors/kneighbors.hpp>
#include <osprey/preprocessing/scalers.hpp>
#include <sstream>

#include "common/estimator_checks.hpp"
#include "common/fixtures.hpp"

using osprey::Fold;
using osprey::Matrix;
using osprey::testing::require_throws_containing;

namespace {

using Knn = osprey::KNeighborsClassifier<double>;
using Scaler = osprey::StandardScaler<double>;

/** One fixture record: a key and its whitespace-separated values. */
struct Record {
  std::string key;
  std::vector<double> values;
  [[nodiscard]] Eigen::VectorXi ints() const {
    Eigen::VectorXi v(static_cast<Eigen::Index>(values.size()));
    for (std::size_t i = 0; i < values.size(); ++i)
      v(static_cast<Eigen::Index>(i)) = static_cast<int>(values[i]);
    return v;
  }
  [[nodiscard]] Matrix<double> matrix(Eigen::Index cols) const {
    const auto rows = static_cast<Eigen::Index>(values.size()) / cols;
    Matrix<double> m(rows, cols);
    for (Eigen::Index i = 0; i < rows; ++i) {
      for (Eigen::Index j = 0; j < cols; ++j)
        m(i, j) = values[static_cast<std::size_t>(i * cols + j)];
    }
    return m;
  }
};

/** A fixture file as cases: each starts at a "case" record. */
std::vector<std::vector<Record>> load_cases(const std::string& name) {
  std::ifstream in(osprey::testing::fixture_path("model_selection/" + name));
  if (!in) throw std::runtime_error("cannot open fixture " + name);
  std::vector<std::vector<Record>> cases;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    Record r;
    ss >> r.key;
    for (double v; ss >> v;) r.values.push_back(v);
    if (r.key == "case") cases.emplace_back();
    if (cases.empty()) cases.emplace_back();
    cases.back().push_back(std::move(r));
  }
  return cases;
}

const Record& find(const std::vector<Record>& rs, const std::string& key) {
  for (const Record& r : rs) {
    if (r.key == key) return r;
  }
  throw std::runtime_error("no record " + key);
}

std::vector<Eigen::VectorXi> all(const std::vector<Record>& rs, const std::string& key) {
  std::vector<Eigen::VectorXi> out;
  for (const Record& r : rs) {
    if (r.key == key) out.push_back(r.ints());
  }
  return out;
}

bool has_error(const std::vector<Record>& rs) {
  return std::any_of(rs.begin(), rs.end(), [](const Record& r) { return r.key == "error"; });
}

/** Each test set is the expected one; train is its complement, increasing. */
void check_folds(const std::vector<Fold>& got, const std::vector<Eigen::VectorXi>& tests,
                 Eigen::Index n) {
  REQUIRE(got.size() == tests.size());
  for (std::size_t f = 0; f < got.size(); ++f) {
    CHECK(got[f].test == tests[f]);
    std::vector<int> complement;
    for (int i = 0; i < static_cast<int>(n); ++i) {
      if (std::find(tests[f].begin(), tests[f].end(), i) == tests[f].end()) complement.push_back(i);
    }
    CHECK(std::vector<int>(got[f].train.begin(), got[f].train.end()) == complement);
  }
}

/** Every group lies in one test fold. */
void check_groups_intact(const std::vector<Fold>& folds, const Eigen::VectorXi& groups) {
  std::map<int, std::size_t> fold_of;
  for (std::size_t f = 0; f < folds.size(); ++f) {
    for (const int i : folds[f].test) {
      const auto [it, inserted] = fold_of.try_emplace(groups(i), f);
      CHECK(it->second == f);
    }
  }
}

/** Distance to the training mean as an outlier score, and a label-free fit: exercises the
 *  OutlierDetector paths of cross_val_predict and make_pipeline. */
class MeanDistance {
 public:
  using Scalar = double;
  MeanDistance& fit(const Matrix<double>& X) {
    mean_ = X.colwise().mean();
    return *this;
  }
  [[nodiscard]] osprey::Vector<double> score_samples(const Matrix<double>& X) const {
    return -(X.rowwise() - mean_).rowwise().norm();
  }
  [[nodiscard]] osprey::Vector<double> decision_function(const Matrix<double>& X) const {
    return score_samples(X).array() + 2.0;
  }
  [[nodiscard]] Eigen::VectorXi predict(const Matrix<double>& X) const {
    return (decision_function(X).array() < 0)
        .select(Eigen::VectorXi::Constant(X.rows(), -1), Eigen::VectorXi::Ones(X.rows()));
  }

 private:
  Eigen::RowVectorXd mean_;
};

Matrix<double> blobs(Eigen::Index n, Eigen::VectorXi& y, std::uint64_t seed, double rare = 0.2) {
  osprey::Rng rng(seed);
  Matrix<double> X(n, 3);
  y.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    y(i) = rng.uniform() < rare ? 1 : 0;
    for (Eigen::Index j = 0; j < 3; ++j) X(i, j) = rng.normal() * (j == 1 ? 40.0 : 1.0) + y(i);
  }
  return X;
}

}  // namespace

using ScaledKnn = osprey::Pipeline<Scaler, Knn>;
using Resampled = osprey::Pipeline<Scaler, osprey::RandomUnderSampler<double>, Knn>;
static_assert(osprey::ProbabilisticClassifier<ScaledKnn>);
static_assert(osprey::ProbabilisticClassifier<Resampled>);
static_assert(osprey::OutlierDetector<MeanDistance>);
static_assert(osprey::OutlierDetector<osprey::Pipeline<Scaler, MeanDistance>>);
static_assert(!osprey::Classifier<osprey::Pipeline<Scaler, MeanDistance>>);
static_assert(osprey::Classifier<osprey::Pipeline<Knn>>);
static_assert(osprey::Splitter<osprey::StratifiedKFold>);
static_assert(osprey::Splitter<osprey::TimeSeriesSplit>);
static_assert(osprey::Splitter<osprey::GroupBoundSplitter<osprey::GroupKFold>>);
static_assert(osprey::Splitter<osprey::GroupBoundSplitter<osprey::StratifiedGroupKFold>>);
static_assert(!osprey::Splitter<osprey::GroupKFold>);  // groups must be bound first
static_assert(!osprey::Splitter<osprey::StratifiedGroupKFold>);
static_assert(osprey::detail::resampler_count<Scaler, osprey::Smote<>, Knn> == 1);
static_assert(osprey::Serializable<ScaledKnn>);
static_assert(!osprey::Serializable<Resampled>);  // the resamplers have no serialiser

TEST_CASE("GroupKFold: test folds equal scikit-learn's", "[model_selection][fixtures]") {
  const auto cases = load_cases("group_kfold.txt");
  REQUIRE(cases.size() >= 50);
  int ok = 0;
  for (const auto& c : cases) {
    const int k = static_cast<int>(find(c, "case").values.at(0));
    const Eigen::VectorXi groups = find(c, "groups").ints();
    const osprey::GroupKFold cv({.n_splits = k});
    if (has_error(c)) {
      CHECK_THROWS_AS(cv.split(groups.size(), groups), osprey::InvalidArgument);
      continue;
    }
    const auto folds = cv.split(groups.size(), groups);
    check_folds(folds, all(c, "fold"), groups.size());
    check_groups_intact(folds, groups);
    ++ok;
  }
  CHECK(ok >= 50);
}

TEST_CASE("StratifiedGroupKFold: test folds equal scikit-learn's", "[model_selection][fixtures]") {
  const auto cases = load_cases("stratified_group_kfold.txt");
  REQUIRE(cases.size() >= 50);
  for (const auto& c : cases) {
    const int k = static_cast<int>(find(c, "case").values.at(0));
    const Eigen::VectorXi y = find(c, "y").ints();
    const Eigen::VectorXi groups = find(c, "groups").ints();
    const osprey::StratifiedGroupKFold cv({.n_splits = k});
    if (has_error(c)) {
      CHECK_THROWS_AS(cv.split(y, groups), osprey::InvalidArgument);
      continue;
    }
    const auto folds = cv.split(y, groups);
    check_folds(folds, all(c, "fold"), y.size());
    check_groups_intact(folds, groups);
    // shuffled: still a partition that keeps groups whole, the same for the same seed
    const osprey::StratifiedGroupKFold shuffled(
        {.n_splits = k, .shuffle = true, .random_state = 5});
    const auto a = shuffled.split(y, groups);
    const auto b = shuffled.split(y, groups);
    REQUIRE(a.size() == static_cast<std::size_t>(k));
    Eigen::Index covered = 0;
    for (std::size_t f = 0; f < a.size(); ++f) {
      CHECK(a[f].test == b[f].test);
      covered += a[f].test.size();
      CHECK(a[f].train.size() + a[f].test.size() == y.size());
    }
    CHECK(covered == y.size());
    check_groups_intact(a, groups);
  }
}

TEST_CASE("TimeSeriesSplit: index sets equal scikit-learn's", "[model_selection][fixtures]") {
  const auto cases = load_cases("time_series_split.txt");
  REQUIRE(cases.size() >= 50);
  for (const auto& c : cases) {
    const auto& head = find(c, "case").values;
    const auto n = static_cast<Eigen::Index>(head.at(0));
    osprey::TimeSeriesSplitParams p{.n_splits = static_cast<int>(head.at(1)),
                                    .gap = static_cast<int>(head.at(4))};
    if (head.at(2) >= 0) p.max_train_size = static_cast<int>(head.at(2));
    if (head.at(3) >= 0) p.test_size = static_cast<int>(head.at(3));
    const osprey::TimeSeriesSplit cv(p);
    INFO("n " << n << " n_splits " << p.n_splits);
    if (has_error(c)) {
      CHECK_THROWS_AS(cv.split(n), osprey::InvalidArgument);
      continue;
    }
    const auto folds = cv.split(n);
    const auto trains = all(c, "train");
    const auto tests = all(c, "test");
    REQUIRE(folds.size() == tests.size());
    for (std::size_t f = 0; f < folds.size(); ++f) {
      CHECK(folds[f].train == trains[f]);
      CHECK(folds[f].test == tests[f]);
    }
  }
}

TEST_CASE("group and time splitters: bad input throws with scikit-learn's messages",
          "[model_selection]") {
  const Eigen::VectorXi groups = (Eigen::VectorXi(6) << 4, 4, 7, 7, 9, 9).finished();
  const Eigen::VectorXi y = (Eigen::VectorXi(6) << 0, 1, 0, 1, 0, 1).finished();
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::GroupKFold({.n_splits = 4}).split(6, groups); },
      "n_splits=4 greater than the number of groups: 3");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::GroupKFold({.n_splits = 2}).split(5, groups); },
      "groups has 6 entries but there are 5 samples");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::GroupKFold({.n_splits = 7}).split(6, groups); },
      "greater than the number of samples: n_samples=6");
  require_throws_containing<osprey::InvalidArgument>([] { osprey::GroupKFold cv({.n_splits = 1}); },
                                                     "n_splits must be >= 2 (got 1)");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::StratifiedGroupKFold({.n_splits = 4}).split(y, groups); },
      "n_splits=4 cannot be greater than the number of members in each class");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::StratifiedGroupKFold({.n_splits = 2}).split(y, groups.head(5)); },
      "groups has 5 entries but there are 6 samples");
  require_throws_containing<osprey::InvalidArgument>(
      [] { (void)osprey::TimeSeriesSplit({.n_splits = 5}).split(5); },
      "number of folds=6 greater than the number of samples=5");
  require_throws_containing<osprey::InvalidArgument>(
      [] { (void)osprey::TimeSeriesSplit({.n_splits = 3, .test_size = 3, .gap = 1}).split(10); },
      "too many splits=3 for number of samples=10 with test_size=3 and gap=1");
  require_throws_containing<osprey::InvalidArgument>(
      [] { osprey::TimeSeriesSplit cv({.gap = -1}); }, "gap must be >= 0");
  require_throws_containing<osprey::InvalidArgument>(
      [] { osprey::TimeSeriesSplit cv({.max_train_size = 0}); }, "max_train_size must be >= 1");
  // with_groups checks the lengths when it splits
  const auto bound = osprey::with_groups(osprey::GroupKFold({.n_splits = 2}), groups);
  CHECK(bound.get_n_splits() == 2);
  require_throws_containing<osprey::InvalidArgument>([&] { (void)bound.split(y.head(4)); },
                                                     "groups has 6 entries but there are 4");
}

TEST_CASE("cross_val_predict: KNeighborsClassifier equals scikit-learn's",
          "[model_selection][fixtures]") {
  const auto cases = load_cases("cvp.txt");
  REQUIRE(cases.size() >= 50);
  for (const auto& c : cases) {
    const auto& h = find(c, "case").values;
    const int kind = static_cast<int>(h.at(0)), k = static_cast<int>(h.at(1));
    const Knn knn({.n_neighbors = static_cast<int>(h.at(2)),
                   .weights = h.at(3) > 0 ? osprey::Weights::distance : osprey::Weights::uniform});
    const Matrix<double> X = find(c, "X").matrix(static_cast<Eigen::Index>(h.at(5)));
    const Eigen::VectorXi y = find(c, "y").ints();
    const Eigen::VectorXi groups = find(c, "groups").ints();
    const Eigen::VectorXi want_pred = find(c, "pred").ints();
    const auto& want_proba = find(c, "proba").values;
    const auto n_classes = static_cast<Eigen::Index>(want_proba.size()) / X.rows();
    const Matrix<double> want = find(c, "proba").matrix(n_classes);
    Eigen::VectorXi pred;
    Matrix<double> proba;
    if (kind == 0) {
      const osprey::StratifiedKFold cv({.n_splits = k});
      pred = osprey::cross_val_predict(knn, X, y, cv);
      proba = osprey::cross_val_predict(knn, X, y, cv, osprey::Method::predict_proba);
    } else {
      const auto cv = osprey::with_groups(osprey::GroupKFold({.n_splits = k}), groups);
      pred = osprey::cross_val_predict(knn, X, y, cv, osprey::Method::predict);
      proba = osprey::cross_val_predict(knn, X, y, cv, osprey::Method::predict_proba);
    }
    CHECK(pred == want_pred);
    REQUIRE(proba.rows() == want.rows());
    REQUIRE(proba.cols() == want.cols());
    CHECK((proba - want).cwiseAbs().maxCoeff() <= 1e-12);
  }
}

TEST_CASE("cross_val_predict: refuses folds that are not a partition and scores detectors",
          "[model_selection]") {
  Eigen::VectorXi y;
  const Matrix<double> X = blobs(60, y, 4);
  const Knn knn({.n_neighbors = 3});
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::cross_val_predict(knn, X, y, osprey::TimeSeriesSplit({.n_splits = 3})); },
      "cross_val_predict only works for partitions: row 0 is in 0 test folds");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::cross_val_predict(knn, X.topRows(50), y, osprey::StratifiedKFold()); },
      "inconsistent lengths");
  // an outlier detector is fitted on X alone; y only drives the stratification
  const osprey::StratifiedKFold cv({.n_splits = 3});
  const osprey::Vector<double> oof =
      osprey::cross_val_predict(MeanDistance(), X, y, cv, osprey::Method::decision_function);
  for (const Fold& fold : cv.split(y)) {
    MeanDistance m;
    m.fit(X(fold.train, Eigen::all));
    const osprey::Vector<double> want = m.decision_function(X(fold.test, Eigen::all));
    CHECK(oof(fold.test) == want);
  }
  // fewer groups than folds: StratifiedGroupKFold leaves a fold empty, which has nothing to
  // predict and is skipped
  Eigen::VectorXi two_groups(X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i) two_groups(i) = static_cast<int>(i % 2);
  const auto sparse =
      osprey::with_groups(osprey::StratifiedGroupKFold({.n_splits = 3}), two_groups);
  REQUIRE(sparse.split(y).back().test.size() == 0);
  const Eigen::VectorXi by_parity = osprey::cross_val_predict(knn, X, y, sparse);
  Knn even = knn, odd = knn;
  even.fit(X(Eigen::seq(0, Eigen::last, 2), Eigen::all), y(Eigen::seq(0, Eigen::last, 2)));
  odd.fit(X(Eigen::seq(1, Eigen::last, 2), Eigen::all), y(Eigen::seq(1, Eigen::last, 2)));
  CHECK(by_parity(Eigen::seq(0, Eigen::last, 2)) ==
        odd.predict(X(Eigen::seq(0, Eigen::last, 2), Eigen::all)));
  CHECK(by_parity(Eigen::seq(1, Eigen::last, 2)) ==
        even.predict(X(Eigen::seq(1, Eigen::last, 2), Eigen::all)));
  const Eigen::VectorXi labels = osprey::cross_val_predict(MeanDistance(), X, y, cv);
  CHECK(((labels.array() == 1) || (labels.array() == -1)).all());
}

TEST_CASE("cross_val_score: any splitter, the StratifiedKFold form unchanged",
          "[model_selection]") {
  Eigen::VectorXi y;
  const Matrix<double> X = blobs(90, y, 6);
  const Knn knn({.n_neighbors = 3});
  const Eigen::VectorXd stratified = osprey::cross_val_score(
      knn, X, y, osprey::StratifiedKFold({.n_splits = 3}), &osprey::accuracy_score);
  CHECK(stratified.size() == 3);
  const osprey::TimeSeriesSplit ts({.n_splits = 4});
  const Eigen::VectorXd by_time = osprey::cross_val_score(knn, X, y, ts, &osprey::accuracy_score);
  const auto folds = ts.split(X.rows());
  REQUIRE(by_time.size() == 4);
  for (std::size_t f = 0; f < folds.size(); ++f) {
    Knn m = knn;
    m.fit(X(folds[f].train, Eigen::all), y(folds[f].train));
    CHECK(by_time(static_cast<Eigen::Index>(f)) ==
          osprey::accuracy_score(y(folds[f].test), m.predict(X(folds[f].test, Eigen::all))));
  }
  Eigen::VectorXi groups(X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i) groups(i) = static_cast<int>(i % 11);
  const Eigen::VectorXd by_group = osprey::cross_val_score(
      knn, X, y, osprey::with_groups(osprey::StratifiedGroupKFold({.n_splits = 3}), groups),
      &osprey::accuracy_score);
  CHECK(by_group.size() == 3);
}

TEST_CASE("make_pipeline: equals the hand-written sequence, resampling in fit only",
          "[model_selection][pipeline]") {
  Eigen::VectorXi y;
  const Matrix<double> X = blobs(150, y, 8);
  Eigen::VectorXi yq;
  const Matrix<double> Q = blobs(30, yq, 9);
  auto pipe = osprey::make_pipeline(
      Scaler(), osprey::RandomUnderSampler<double>({.random_state = 2}), Knn({.n_neighbors = 5}));
  static_assert(decltype(pipe)::n_steps == 3);
  require_throws_containing<osprey::NotFittedError>([&] { (void)pipe.predict(Q); },
                                                    "Pipeline is not fitted yet");
  pipe.fit(X, y);
  Scaler scaler;
  const Matrix<double> Z = scaler.fit(X).transform(X);
  osprey::RandomUnderSampler<double> rus({.random_state = 2});
  const osprey::Resampled<double> r = rus.fit_resample(Z, y);
  Knn knn({.n_neighbors = 5});
  knn.fit(r.X, r.y);
  CHECK(pipe.predict_proba(Q) == knn.predict_proba(scaler.transform(Q)));
  CHECK(pipe.predict(Q) == knn.predict(scaler.transform(Q)));
  CHECK(pipe.classes() == knn.classes());
  CHECK(pipe.step<0>().mean() == scaler.mean());
  CHECK(pipe.step<1>().sample_indices() == rus.sample_indices());
  CHECK(pipe.features(Q) == scaler.transform(Q));
  // the resampler shrank the training set but never touches prediction: one output per row
  CHECK(pipe.step<1>().sample_indices().size() == r.X.rows());
  CHECK(r.X.rows() < X.rows());
  CHECK(pipe.predict(X).size() == X.rows());
  // a failed refit leaves the fitted pipeline as it was
  CHECK_THROWS_AS(pipe.fit(X.leftCols(2), y.head(10)), osprey::InvalidArgument);
  CHECK(pipe.predict_proba(Q) == knn.predict_proba(scaler.transform(Q)));
  // it cross-validates: each training fold is resampled, each test fold predicted whole
  const osprey::StratifiedKFold cv({.n_splits = 4});
  const Matrix<double> oof =
      osprey::cross_val_predict(pipe, X, y, cv, osprey::Method::predict_proba);
  for (const Fold& fold : cv.split(y)) {
    auto fresh = osprey::make_pipeline(
        Scaler(), osprey::RandomUnderSampler<double>({.random_state = 2}), Knn({.n_neighbors = 5}));
    fresh.fit(X(fold.train, Eigen::all), Eigen::VectorXi(y(fold.train)));
    CHECK(oof(fold.test, Eigen::all) == fresh.predict_proba(X(fold.test, Eigen::all)));
  }
  const Eigen::VectorXd auc = osprey::cross_val_score(
      osprey::make_pipeline(Scaler(), osprey::Smote<double>({.random_state = 1}), Knn()), X, y, cv,
      [](const auto& m, const Matrix<double>& Xt, const Eigen::VectorXi& yt) {
        return osprey::roc_auc_score(yt, Eigen::VectorXd(m.predict_proba(Xt).col(1)));
      });
  CHECK((auc.array() > 0.5).all());
  // an unsupervised pipeline
  auto detector = osprey::make_pipeline(Scaler(), MeanDistance());
  detector.fit(X);
  MeanDistance md;
  md.fit(Z);
  CHECK(detector.score_samples(Q) == md.score_samples(scaler.transform(Q)));
  CHECK(detector.decision_function(Q) == md.decision_function(scaler.transform(Q)));
}

TEST_CASE("make_pipeline: StandardScaler + TomekLinks + KNN equals imbalanced-learn's Pipeline",
          "[model_selection][pipeline][fixtures]") {
  const auto recs = load_cases("pipeline.txt").at(0);
  const Matrix<double> X = find(recs, "X").matrix(3);
  const Eigen::VectorXi y = find(recs, "y").ints();
  const Eigen::VectorXi groups = find(recs, "groups").ints();
  const Matrix<double> Q = find(recs, "Q").matrix(3);
  auto pipe =
      osprey::make_pipeline(Scaler(), osprey::TomekLinks<double>(), Knn({.n_neighbors = 5}));
  pipe.fit(X, y);
  CHECK((pipe.predict_proba(Q) - find(recs, "fit_proba").matrix(2)).cwiseAbs().maxCoeff() <= 1e-12);
  const auto cv = osprey::with_groups(osprey::GroupKFold({.n_splits = 4}), groups);
  CHECK(osprey::cross_val_predict(pipe, X, y, cv) == find(recs, "cvp_pred").ints());
  const Matrix<double> proba =
      osprey::cross_val_predict(pipe, X, y, cv, osprey::Method::predict_proba);
  CHECK((proba - find(recs, "cvp_proba").matrix(2)).cwiseAbs().maxCoeff() <= 1e-12);
}

TEST_CASE("make_pipeline: save and load round-trip bit-identically",
          "[model_selection][serialize]") {
  Eigen::VectorXi y;
  const Matrix<double> X = blobs(80, y, 10);
  auto pipe = osprey::make_pipeline(Scaler(), Knn({.n_neighbors = 4}));
  std::ostringstream unfitted;
  CHECK_THROWS_AS(osprey::save(pipe, unfitted), osprey::NotFittedError);
  pipe.fit(X, y);
  std::ostringstream out;
  osprey::save(pipe, out);
  const std::string bytes = out.str();
  CHECK(bytes.find("Pipeline<StandardScaler<double>,KNeighborsClassifier<double,Euclidean>>") !=
        std::string::npos);
  std::istringstream in(bytes);
  const auto loaded = osprey::load<ScaledKnn>(in);
  CHECK(loaded.is_fitted());
  const Matrix<double> a = pipe.predict_proba(X), b = loaded.predict_proba(X);
  CHECK(std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0);
  CHECK(loaded.step<0>().scale() == pipe.step<0>().scale());
  // another pipeline type, a truncated file and a flipped byte in a step's payload are refused
  std::istringstream other(bytes);
  require_throws_containing<osprey::FormatError>(
      [&] {
        (void)osprey::load<osprey::Pipeline<Scaler, osprey::KNeighborsClassifier<float>>>(other);
      },
      "not a Pipeline<StandardScaler<double>,KNeighborsClassifier<float,Euclidean>>");
  for (const std::size_t len : {std::size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    std::istringstream cut(bytes.substr(0, len));
    CHECK_THROWS_AS(osprey::load<ScaledKnn>(cut), osprey::FormatError);
  }
  std::string flipped = bytes;
  flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 0x10);
  std::istringstream bad(flipped);
  CHECK_THROWS_AS(osprey::load<ScaledKnn>(bad), osprey::FormatError);
  // a payload whose steps disagree on the number of features is refused, naming the step
  const auto payload_of = [](const std::string& file) {
    const std::size_t head = 18 + static_cast<unsigned char>(file[17]) + 8;
    return file.substr(head, file.size() - head - 8);
  };
  std::ostringstream s3, k2;
  osprey::save(Scaler().fit(X), s3);
  osprey::save(Knn({.n_neighbors = 4}).fit(X.leftCols(2), y), k2);
  osprey::detail::ByteWriter w;
  w.bytes() = bytes.substr(0, 18 + static_cast<unsigned char>(bytes[17]));
  osprey::detail::ByteWriter payload;
  payload.u32(2);
  for (const std::string& p : {payload_of(s3.str()), payload_of(k2.str())}) {
    payload.u64(p.size());
    payload.bytes() += p;
  }
  w.u64(payload.bytes().size());
  w.bytes() += payload.bytes();
  w.u64(osprey::detail::fnv1a64(w.bytes()));
  std::istringstream mismatched(w.bytes());
  require_throws_containing<osprey::FormatError>(
      [&] { (void)osprey::load<ScaledKnn>(mismatched); },
      "step 1 takes 2 features, the step before gives 3");
}

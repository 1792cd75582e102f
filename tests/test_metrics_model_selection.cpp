#include "common/prelude.hpp"

#include <map>
#include <osprey/metrics/classification.hpp>
#include <osprey/metrics/drift.hpp>
#include <osprey/metrics/ranking.hpp>
#include <osprey/model_selection/cross_validate.hpp>
#include <osprey/model_selection/stratified_kfold.hpp>

#include "common/estimator_checks.hpp"
#include "test_metrics_helpers.hpp"

using osprey::testing::close12;
using osprey::testing::load_row;
using osprey::testing::load_row_labels;
using osprey::testing::load_scalars;
using osprey::testing::require_throws_containing;

namespace {

/** Nearest class mean: a tiny classifier to cross-validate. */
template <class ScalarT = double>
class NearestMean {
 public:
  using Scalar = ScalarT;
  NearestMean& fit(const osprey::Matrix<Scalar>& X, const Eigen::VectorXi& y) {
    std::map<int, std::pair<osprey::Vector<double>, int>> sums;
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      auto& [sum, count] = sums[y(i)];
      if (count == 0) sum = osprey::Vector<double>::Zero(X.cols());
      sum += X.row(i).transpose().template cast<double>();
      ++count;
    }
    labels_.clear();
    means_.clear();
    for (const auto& [label, sc] : sums) {
      labels_.push_back(label);
      means_.push_back(sc.first / sc.second);
    }
    ++fits_;
    return *this;
  }
  [[nodiscard]] Eigen::VectorXi predict(const osprey::Matrix<Scalar>& X) const {
    Eigen::VectorXi out(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      double best = std::numeric_limits<double>::infinity();
      for (std::size_t c = 0; c < means_.size(); ++c) {
        const double d = (X.row(i).transpose().template cast<double>() - means_[c]).squaredNorm();
        if (d < best) {
          best = d;
          out(i) = labels_[c];
        }
      }
    }
    return out;
  }
  [[nodiscard]] osprey::Vector<double> score(const osprey::Matrix<Scalar>& X) const {
    // distance to class 0's mean minus distance to class 1's mean: larger = more like class 1
    osprey::Vector<double> s(X.rows());
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      const osprey::Vector<double> x = X.row(i).transpose().template cast<double>();
      s(i) = (x - means_[0]).norm() - (x - means_[1]).norm();
    }
    return s;
  }
  int fits_ = 0;

 private:
  std::vector<int> labels_;
  std::vector<osprey::Vector<double>> means_;
};

static_assert(osprey::Classifier<NearestMean<double>>);
static_assert(!osprey::Classifier<osprey::StratifiedKFold>);
static_assert(osprey::LabelMetric<decltype(&osprey::accuracy_score)>);

std::vector<int> class_counts(const Eigen::VectorXi& y, const Eigen::VectorXi& idx, int max_label) {
  std::vector<int> out(static_cast<std::size_t>(max_label + 1), 0);
  for (Eigen::Index i = 0; i < idx.size(); ++i) ++out[static_cast<std::size_t>(y(idx(i)))];
  return out;
}

}  // namespace

TEST_CASE("StratifiedKFold: test folds equal scikit-learn's without shuffling",
          "[model_selection]") {
  for (const auto& [name, k] : {std::pair<const char*, int>{"imb5", 5}, {"imb3", 3}, {"bin4", 4}}) {
    INFO("case " << name);
    const Eigen::VectorXi y = load_row_labels(std::string("metrics/folds_") + name + "_y.csv");
    const Eigen::VectorXi want = load_row_labels(std::string("metrics/folds_") + name + ".csv");
    const osprey::StratifiedKFold cv({.n_splits = k});
    const std::vector<osprey::Fold> folds = cv.split(y);
    REQUIRE(static_cast<int>(folds.size()) == k);
    Eigen::VectorXi got = Eigen::VectorXi::Constant(y.size(), -1);
    for (int f = 0; f < k; ++f) {
      const osprey::Fold& fold = folds[static_cast<std::size_t>(f)];
      CHECK(fold.train.size() + fold.test.size() == y.size());
      for (Eigen::Index i = 0; i < fold.test.size(); ++i) {
        CHECK(got(fold.test(i)) == -1);
        got(fold.test(i)) = f;
      }
      for (Eigen::Index i = 1; i < fold.train.size(); ++i) CHECK(fold.train(i) > fold.train(i - 1));
    }
    CHECK(got == want);

    // shuffled: same per-fold class counts, different membership, reproducible by seed
    const osprey::StratifiedKFold shuffled({.n_splits = k, .shuffle = true, .random_state = 7});
    const auto a = shuffled.split(y);
    const auto b = shuffled.split(y);
    bool differs = false;
    const int max_label = y.maxCoeff();
    for (int f = 0; f < k; ++f) {
      const auto fs = static_cast<std::size_t>(f);
      CHECK(class_counts(y, a[fs].test, max_label) == class_counts(y, folds[fs].test, max_label));
      CHECK(a[fs].test == b[fs].test);
      differs = differs || a[fs].test != folds[fs].test;
    }
    CHECK(differs);
  }
}

TEST_CASE("StratifiedKFold: bad parameters and too small classes throw", "[model_selection]") {
  require_throws_containing<osprey::InvalidArgument>(
      [] { osprey::StratifiedKFold cv({.n_splits = 1}); }, "n_splits must be >= 2 (got 1)");
  osprey::StratifiedKFold cv;
  CHECK(cv.get_n_splits() == 5);
  require_throws_containing<osprey::InvalidArgument>([&] { cv.set_params({.n_splits = 0}); },
                                                     "n_splits");
  const Eigen::VectorXi y = (Eigen::VectorXi(12) << 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3).finished();
  require_throws_containing<osprey::InvalidArgument>([&] { (void)cv.split(y); }, "class 3");
  require_throws_containing<osprey::InvalidArgument>([&] { (void)cv.split(y.head(4)); },
                                                     "number of samples");
  require_throws_containing<osprey::InvalidArgument>([&] { (void)cv.split(Eigen::VectorXi(0)); },
                                                     "empty");
}

TEST_CASE("stratified_train_test_split: per-class counts equal scikit-learn's",
          "[model_selection]") {
  const Eigen::VectorXi y = load_row_labels("metrics/split_y.csv");
  const osprey::Matrix<double> want = osprey::testing::load_fixture("metrics/split_counts.csv");
  for (const std::uint64_t seed : {0ULL, 1ULL, 99ULL}) {
    const osprey::Fold split = osprey::stratified_train_test_split(y, 0.25, seed);
    const auto tr = class_counts(y, split.train, 2);
    const auto te = class_counts(y, split.test, 2);
    for (int c = 0; c < 3; ++c) {
      CHECK(tr[static_cast<std::size_t>(c)] == static_cast<int>(want(0, c)));
      CHECK(te[static_cast<std::size_t>(c)] == static_cast<int>(want(1, c)));
    }
    std::vector<int> all(split.train.data(), split.train.data() + split.train.size());
    all.insert(all.end(), split.test.data(), split.test.data() + split.test.size());
    std::sort(all.begin(), all.end());
    for (int i = 0; i < 100; ++i) CHECK(all[static_cast<std::size_t>(i)] == i);
  }
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::stratified_train_test_split(y, 1.5); }, "test_size");
  const Eigen::VectorXi lonely = (Eigen::VectorXi(5) << 0, 0, 0, 0, 1).finished();
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::stratified_train_test_split(lonely); }, "class 1");
}

TEST_CASE("cross_val_score: fits a fresh copy per fold and scores with any callable",
          "[model_selection]") {
  osprey::Rng rng(3);
  const Eigen::Index n = 120;
  osprey::Matrix<double> X(n, 2);
  Eigen::VectorXi y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    y(i) = rng.uniform() < 0.3 ? 1 : 0;
    X(i, 0) = rng.normal() + 1.5 * y(i);
    X(i, 1) = rng.normal();
  }
  const NearestMean<double> model;
  const osprey::StratifiedKFold cv({.n_splits = 4});
  const Eigen::VectorXd acc = osprey::cross_val_score(model, X, y, cv, &osprey::accuracy_score);
  REQUIRE(acc.size() == 4);
  CHECK(model.fits_ == 0);
  const auto folds = cv.split(y);
  for (std::size_t f = 0; f < folds.size(); ++f) {
    NearestMean<double> m;
    m.fit(X(folds[f].train, Eigen::all), y(folds[f].train));
    const Eigen::VectorXi pred = m.predict(X(folds[f].test, Eigen::all));
    CHECK(acc(static_cast<Eigen::Index>(f)) == osprey::accuracy_score(y(folds[f].test), pred));
  }
  const Eigen::VectorXd f1 = osprey::cross_val_score(
      model, X, y, cv, [](const Eigen::VectorXi& t, const Eigen::VectorXi& p) {
        return osprey::f1_score(t, p, osprey::Average::macro);
      });
  CHECK((f1.array() > 0.3).all());
  const Eigen::VectorXd auc = osprey::cross_val_score(
      model, X, y, cv,
      [](const NearestMean<double>& m, const osprey::Matrix<double>& Xt,
         const Eigen::VectorXi& yt) { return osprey::roc_auc_score(yt, m.score(Xt)); });
  CHECK((auc.array() > 0.7).all());
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::cross_val_score(model, X.topRows(10), y, cv, &osprey::accuracy_score); },
      "inconsistent lengths");
}

TEST_CASE("population_stability_index and kl_divergence: equal numpy and scipy", "[metrics]") {
  const auto want = load_scalars("metrics/drift_scalars.csv");
  const Eigen::VectorXd e = load_row("metrics/drift_e.csv");
  const Eigen::VectorXd a = load_row("metrics/drift_a.csv");
  const Eigen::VectorXd ei = load_row("metrics/drift_ei.csv");
  const Eigen::VectorXd ai = load_row("metrics/drift_ai.csv");
  CHECK(close12(osprey::population_stability_index(e, a), want.at("psi")));
  CHECK(close12(osprey::population_stability_index(e, a, 5), want.at("psi_5")));
  CHECK(close12(osprey::population_stability_index(e, e), want.at("psi_same")));
  CHECK(close12(osprey::population_stability_index(ei, ai), want.at("psi_ties")));
  CHECK(close12(osprey::population_stability_index(ei, ai, 10, 1e-3), want.at("psi_ties_eps")));
  const Eigen::VectorXd p = load_row("metrics/kl_p.csv");
  const Eigen::VectorXd q = load_row("metrics/kl_q.csv");
  CHECK(close12(osprey::kl_divergence(p, q), want.at("kl")));
  CHECK(osprey::kl_divergence(q, p) == std::numeric_limits<double>::infinity());
  CHECK(std::isinf(want.at("kl_rev")));
  CHECK(osprey::kl_divergence(p, p) == 0.0);
  // float input works the same way
  CHECK_THAT(osprey::population_stability_index(e.cast<float>(), a.cast<float>()),
             Catch::Matchers::WithinAbs(want.at("psi"), 1e-5));
}

TEST_CASE("drift metrics: bad inputs throw and name the problem", "[metrics]") {
  using osprey::InvalidArgument;
  const Eigen::VectorXd e = Eigen::VectorXd::LinSpaced(20, 0.0, 1.0);
  Eigen::VectorXd bad = e;
  bad(4) = std::numeric_limits<double>::quiet_NaN();
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::population_stability_index(e, e, 1); }, "n_bins must be >= 2 (got 1)");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::population_stability_index(e, e, 10, 0.0); }, "epsilon");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::population_stability_index(Eigen::VectorXd(0), e); },
      "expected is empty");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::population_stability_index(e, bad); }, "actual");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::kl_divergence(e, e.head(3)); },
                                             "inconsistent lengths");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::kl_divergence(-e, e); },
                                             "negative");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::kl_divergence(Eigen::VectorXd::Zero(3), e.head(3)); }, "sum to 0");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::kl_divergence(e, bad); },
                                             "index 4");
}

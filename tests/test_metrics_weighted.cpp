#include "common/prelude.hpp"

#include <fstream>
#include <limits>
#include <osprey/metrics/classification.hpp>
#include <osprey/metrics/report.hpp>
#include <random>
#include <sstream>
#include <utility>

#include "common/estimator_checks.hpp"
#include "test_metrics_helpers.hpp"

// Sample weights in the label metrics: scikit-learn 1.2.1 / imbalanced-learn 0.10.0 fixtures
// (tests/fixtures/make_weighted_classification.py), the invariants integer weight == repeated
// row and weight 0 == dropped row for every metric, and the rejection of bad weights.

using osprey::Average;
using osprey::ZeroDivision;
using osprey::testing::close12;
using osprey::testing::require_throws_containing;

namespace {

struct WeightedCase {
  std::string name;
  int pos_label = 1;
  bool binary = true;
  Eigen::VectorXi yt, yp;
  Eigen::VectorXd w;
  std::map<std::string, double> want;
  Eigen::MatrixXd cm;
  std::string report;
};

template <class V>
V read_vector(std::istringstream& in) {
  std::vector<typename V::Scalar> values;
  typename V::Scalar v;
  while (in >> v) values.push_back(v);
  return Eigen::Map<const V>(values.data(), static_cast<Eigen::Index>(values.size()));
}

std::vector<WeightedCase> load_cases() {
  std::ifstream in(osprey::testing::fixture_path("weighted_classification/cases.txt"));
  if (!in) throw std::runtime_error("cannot open weighted_classification/cases.txt");
  std::vector<WeightedCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string tag;
    row >> tag;
    if (tag == "case") {
      cases.emplace_back();
      row >> cases.back().name >> cases.back().pos_label >> cases.back().binary;
    } else if (tag == "yt") {
      cases.back().yt = read_vector<Eigen::VectorXi>(row);
    } else if (tag == "yp") {
      cases.back().yp = read_vector<Eigen::VectorXi>(row);
    } else if (tag == "w") {
      cases.back().w = read_vector<Eigen::VectorXd>(row);
    } else if (tag == "v") {
      std::string key, value;
      row >> key >> value;
      cases.back().want[key] = std::stod(value);
    } else if (tag == "cm") {
      Eigen::Index k = 0;
      row >> k;
      const Eigen::VectorXd flat = read_vector<Eigen::VectorXd>(row);
      cases.back().cm = Eigen::Map<const Eigen::MatrixXd>(flat.data(), k, k).transpose();
    } else if (tag == "report") {
      int n = 0;
      row >> n;
      std::string text;
      for (int i = 0; i < n && std::getline(in, line); ++i) text += (i ? "\n" : "") + line;
      cases.back().report = text;
    }
  }
  return cases;
}

const std::vector<std::string> averages = {"binary", "micro", "macro", "weighted"};

/** Every weighted number of the label metrics, keyed as the fixtures are (plus zero_division =
 *  nan, the confusion matrix and the report's rows). */
std::vector<std::pair<std::string, double>> all_metrics(const Eigen::VectorXi& yt,
                                                        const Eigen::VectorXi& yp,
                                                        const Eigen::VectorXd& w, bool binary,
                                                        int pos) {
  std::vector<std::pair<std::string, double>> out;
  auto put = [&](const std::string& key, double v) { out.emplace_back(key, v); };
  put("accuracy", osprey::accuracy_score(yt, yp, w));
  put("balanced", osprey::balanced_accuracy_score(yt, yp, false, w));
  put("balanced_adj", osprey::balanced_accuracy_score(yt, yp, true, w));
  put("mcc", osprey::matthews_corrcoef(yt, yp, w));
  put("gmean_multiclass", osprey::geometric_mean_score(yt, yp, std::nullopt, pos, {}, w));
  for (const std::string& avg : averages) {
    if (avg == "binary" && !binary) continue;
    const Average a = osprey::testing::average_named(avg);
    for (const int zd : {0, 1, 2}) {
      const auto z = static_cast<ZeroDivision>(zd);
      const std::string sfx = "_" + avg + "_" + std::to_string(zd);
      put("precision" + sfx, osprey::precision_score(yt, yp, a, pos, z, w));
      put("recall" + sfx, osprey::recall_score(yt, yp, a, pos, z, w));
      put("f1" + sfx, osprey::f1_score(yt, yp, a, pos, z, w));
      put("f05" + sfx, osprey::fbeta_score(yt, yp, 0.5, a, pos, z, w));
      put("f2" + sfx, osprey::fbeta_score(yt, yp, 2.0, a, pos, z, w));
    }
    put("specificity_" + avg, osprey::specificity_score(yt, yp, a, pos, ZeroDivision::zero, w));
    put("gmean_" + avg, osprey::geometric_mean_score(yt, yp, a, pos, ZeroDivision::zero, w));
  }
  const osprey::ConfusionMatrix cm = osprey::confusion_matrix(yt, yp, {}, w);
  for (Eigen::Index i = 0; i < cm.weighted_counts.size(); ++i) {
    put("cm" + std::to_string(i), cm.weighted_counts(i));
  }
  const osprey::ClassificationReport rep = osprey::classification_report(yt, yp, {}, w);
  std::vector<osprey::ClassificationReport::Row> rows = rep.classes;
  rows.push_back(rep.macro_avg);
  rows.push_back(rep.weighted_avg);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const std::string k = "report" + std::to_string(i) + "_";
    put(k + "precision", r.precision);
    put(k + "recall", r.recall);
    put(k + "f1", r.f1);
    put(k + "specificity", r.specificity);
    put(k + "geo", r.geometric_mean);
    put(k + "support", r.weighted_support);
  }
  put("report_accuracy", rep.accuracy);
  return out;
}

void check_same(const std::vector<std::pair<std::string, double>>& got,
                const std::vector<std::pair<std::string, double>>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO(got[i].first << ": got " << got[i].second << " want " << want[i].second);
    REQUIRE(got[i].first == want[i].first);
    CHECK(close12(got[i].second, want[i].second));
  }
}

/** A random labelled case: binary {0,1} or 3-5 classes, predictions right ~60% of the time. */
std::pair<Eigen::VectorXi, Eigen::VectorXi> random_labels(std::mt19937& gen, bool binary,
                                                          Eigen::Index n) {
  const int k = binary ? 2 : 3 + static_cast<int>(gen() % 3);
  Eigen::VectorXi yt(n), yp(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    yt(i) = static_cast<int>(gen() % static_cast<unsigned>(k));
    yp(i) = gen() % 5 < 3 ? yt(i) : static_cast<int>(gen() % static_cast<unsigned>(k));
  }
  return {yt, yp};
}

std::vector<int> label_set(const Eigen::VectorXi& a, const Eigen::VectorXi& b) {
  const Eigen::Ref<const Eigen::VectorXi> rb(b);
  return osprey::detail::unique_labels(a, &rb);
}

}  // namespace

TEST_CASE("weighted label metrics: every fixture case equals scikit-learn and imbalanced-learn",
          "[metrics][weights]") {
  const std::vector<WeightedCase> cases = load_cases();
  REQUIRE(cases.size() >= 50);
  for (const WeightedCase& c : cases) {
    INFO("case " << c.name);
    std::size_t checked = 0;
    for (const auto& [key, got] : all_metrics(c.yt, c.yp, c.w, c.binary, c.pos_label)) {
      const auto it = c.want.find(key);
      if (it == c.want.end()) continue;  // zero_division = nan: scikit-learn 1.2 has none
      INFO(key << ": got " << got << " want " << it->second);
      CHECK(close12(got, it->second));
      ++checked;
    }
    const std::size_t per_avg = 2 * 5 + 2;
    CHECK(checked == 5 + per_avg * (c.binary ? 4 : 3));
    const osprey::ConfusionMatrix cm = osprey::confusion_matrix(c.yt, c.yp, {}, c.w);
    REQUIRE(cm.weighted_counts.rows() == c.cm.rows());
    CHECK((cm.weighted_counts - c.cm).cwiseAbs().maxCoeff() <= 1e-12 * c.cm.sum());
    CHECK(cm.total() == c.yt.size());
    const osprey::ClassificationReport rep =
        osprey::classification_report(c.yt, c.yp, ZeroDivision::zero, c.w);
    for (std::size_t i = 0; i < rep.classes.size(); ++i) {
      const std::string k = "class" + std::to_string(i) + "_";
      const auto& r = rep.classes[i];
      const double support = c.want.at(k + "support");
      CHECK(close12(r.precision, c.want.at(k + "precision")));
      CHECK(close12(r.recall, c.want.at(k + "recall")));
      CHECK(close12(r.f1, c.want.at(k + "f1")));
      CHECK(close12(r.specificity, c.want.at(k + "specificity")));
      CHECK(close12(r.geometric_mean, c.want.at(k + "geo")));
      CHECK(std::abs(r.weighted_support - support) <= 1e-12 * std::max(1.0, support));
    }
    CHECK(close12(rep.accuracy, c.want.at("accuracy")));
    osprey::ClassificationReport plain = rep;
    plain.imbalanced_columns = false;
    CHECK(plain.to_string() == c.report);
  }
}

TEST_CASE("weighted label metrics: integer weights equal repeated rows, for every metric",
          "[metrics][weights]") {
  std::mt19937 gen(18);
  for (int trial = 0; trial < 12; ++trial) {
    const bool binary = trial % 2 == 0;
    const auto [yt, yp] = random_labels(gen, binary, 30);
    Eigen::VectorXd w(yt.size());
    std::vector<int> t, p;
    for (Eigen::Index i = 0; i < yt.size(); ++i) {
      w(i) = static_cast<double>(1 + gen() % 4);
      for (int r = 0; r < static_cast<int>(w(i)); ++r) {
        t.push_back(yt(i));
        p.push_back(yp(i));
      }
    }
    const Eigen::VectorXi rt = Eigen::Map<const Eigen::VectorXi>(t.data(), std::ssize(t));
    const Eigen::VectorXi rp = Eigen::Map<const Eigen::VectorXi>(p.data(), std::ssize(p));
    INFO("trial " << trial);
    check_same(all_metrics(yt, yp, w, binary, 1),
               all_metrics(rt, rp, Eigen::VectorXd(), binary, 1));
    // unit weights give the unweighted results bit for bit
    const auto unit = all_metrics(yt, yp, Eigen::VectorXd::Ones(yt.size()), binary, 1);
    const auto none = all_metrics(yt, yp, Eigen::VectorXd(), binary, 1);
    for (std::size_t i = 0; i < unit.size(); ++i) {
      INFO(unit[i].first);
      CHECK((unit[i].second == none[i].second ||
             (std::isnan(unit[i].second) && std::isnan(none[i].second))));
    }
  }
}

TEST_CASE("weighted label metrics: a weight of 0 equals a dropped row, for every metric",
          "[metrics][weights]") {
  std::mt19937 gen(1806);
  int done = 0;
  for (int trial = 0; done < 12 && trial < 200; ++trial) {
    const bool binary = trial % 2 == 0;
    const auto [yt, yp] = random_labels(gen, binary, 40);
    Eigen::VectorXd w(yt.size());
    std::vector<Eigen::Index> keep;
    for (Eigen::Index i = 0; i < yt.size(); ++i) {
      w(i) = gen() % 4 == 0 ? 0.0 : 0.25 + static_cast<double>(gen() % 1000) / 311.0;
      if (w(i) > 0.0) keep.push_back(i);
    }
    const Eigen::VectorXi kt = yt(keep), kp = yp(keep);
    // A label whose rows all weigh 0 still counts as a label (as in scikit-learn), so the
    // invariant holds where dropping rows keeps the label set.
    if (label_set(kt, kp) != label_set(yt, yp)) continue;
    INFO("trial " << trial);
    check_same(all_metrics(yt, yp, w, binary, 1),
               all_metrics(kt, kp, Eigen::VectorXd(w(keep)), binary, 1));
    ++done;
  }
  CHECK(done == 12);
}

TEST_CASE("geometric_mean_score: the default is imbalanced-learn's average='multiclass'",
          "[metrics][weights]") {
  const Eigen::VectorXi yt = (Eigen::VectorXi(6) << 0, 1, 2, 0, 1, 2).finished();
  const Eigen::VectorXi yp = (Eigen::VectorXi(6) << 0, 2, 1, 0, 0, 1).finished();
  CHECK(osprey::geometric_mean_score(yt, yp) == 0.0);  // imbalanced-learn's docstring example
  CHECK(close12(osprey::geometric_mean_score(yt, yp, Average::macro), 0.4714045207910317));
  // one label: its recall (the binary average would give 0)
  const Eigen::VectorXi zeros = Eigen::VectorXi::Zero(5);
  CHECK(osprey::geometric_mean_score(zeros, zeros) == 1.0);
  CHECK(osprey::geometric_mean_score(zeros, zeros, Average::binary) == 0.0);
  // two labels: bit for bit the binary average, the previous default
  for (const char* name : {"metrics/clf_binary", "metrics/clf_nopred", "metrics/clf_onetrue"}) {
    const Eigen::VectorXi a = osprey::testing::load_row_labels(std::string(name) + "_yt.csv");
    const Eigen::VectorXi b = osprey::testing::load_row_labels(std::string(name) + "_yp.csv");
    CHECK(osprey::geometric_mean_score(a, b) ==
          osprey::geometric_mean_score(a, b, Average::binary));
  }
  // three classes with weights: exp(mean(log recall))
  const Eigen::VectorXi t3 = (Eigen::VectorXi(6) << 0, 0, 1, 1, 2, 2).finished();
  const Eigen::VectorXi p3 = (Eigen::VectorXi(6) << 0, 1, 1, 1, 2, 0).finished();
  const Eigen::VectorXd w3 = (Eigen::VectorXd(6) << 3, 1, 1, 1, 1, 3).finished();
  CHECK(close12(osprey::geometric_mean_score(t3, p3, std::nullopt, 1, ZeroDivision::zero, w3),
                std::cbrt(0.75 * 1.0 * 0.25)));
}

TEST_CASE("confusion_matrix: weighted counts beside the sample counts, with a label subset",
          "[metrics][weights]") {
  const Eigen::VectorXi yt = (Eigen::VectorXi(5) << 0, 1, 2, 1, 0).finished();
  const Eigen::VectorXi yp = (Eigen::VectorXi(5) << 0, 2, 2, 1, 1).finished();
  const Eigen::VectorXd w = (Eigen::VectorXd(5) << 0.5, 2.0, 0.0, 1.5, 4.0).finished();
  const osprey::ConfusionMatrix cm =
      osprey::confusion_matrix(yt, yp, Eigen::VectorXi((Eigen::VectorXi(2) << 1, 0).finished()), w);
  CHECK(cm.counts == (osprey::CountMatrix(2, 2) << 1, 0, 1, 1).finished());
  CHECK(cm.weighted_counts == (Eigen::MatrixXd(2, 2) << 1.5, 0.0, 4.0, 0.5).finished());
  CHECK(cm.total() == 3);
  CHECK(cm.weighted_total() == 6.0);
  std::ostringstream out;
  out << cm;
  CHECK(out.str().find("weighted:") != std::string::npos);
  const osprey::ConfusionMatrix plain = osprey::confusion_matrix(yt, yp);
  CHECK(plain.weighted_counts == plain.counts.cast<double>());
  std::ostringstream plain_out;
  plain_out << plain;
  CHECK(plain_out.str().find("weighted:") == std::string::npos);
}

TEST_CASE("classification_report: prints weighted supports as scikit-learn's floats",
          "[metrics][weights]") {
  using osprey::detail::python_float_repr;
  CHECK(python_float_repr(12.5) == "12.5");
  CHECK(python_float_repr(100.0) == "100.0");
  CHECK(python_float_repr(0.1 + 0.2) == "0.30000000000000004");
  CHECK(python_float_repr(1e16) == "1e+16");
  CHECK(python_float_repr(1.5e-5) == "1.5e-05");
  CHECK(python_float_repr(0.0001) == "0.0001");
  CHECK(python_float_repr(123456789012345.6) == "123456789012345.6");
  CHECK(python_float_repr(2.5e300) == "2.5e+300");
}

TEST_CASE("label metrics: bad sample_weight is rejected naming sample_weight",
          "[metrics][weights]") {
  const Eigen::VectorXi yt = (Eigen::VectorXi(4) << 0, 1, 1, 0).finished();
  const Eigen::VectorXi yp = (Eigen::VectorXi(4) << 0, 1, 0, 0).finished();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<Eigen::VectorXd, std::string>> bad = {
      {Eigen::VectorXd::Ones(3), "sample_weight has 3 entries but there are 4 samples"},
      {(Eigen::VectorXd(4) << 1, nan, 1, 1).finished(),
       "sample_weight must be finite and non-negative (row 1"},
      {(Eigen::VectorXd(4) << 1, 1, inf, 1).finished(),
       "sample_weight must be finite and non-negative (row 2"},
      {(Eigen::VectorXd(4) << 1, 1, 1, -0.5).finished(),
       "sample_weight must be finite and non-negative (row 3 is -0.5)"},
      {Eigen::VectorXd::Zero(4), "sample_weight must have a positive, finite sum"},
  };
  for (const auto& entry : bad) {  // not a structured binding: clang 14 cannot capture those
    const Eigen::VectorXd& w = entry.first;
    const std::string& needle = entry.second;
    INFO("expecting " << needle);
    using osprey::InvalidArgument;
    auto expect = [&](auto fn, const std::string& metric) {
      require_throws_containing<InvalidArgument>(fn, metric + ": " + needle);
    };
    expect([&] { (void)osprey::accuracy_score(yt, yp, w); }, "accuracy_score");
    expect([&] { (void)osprey::precision_score(yt, yp, Average::binary, 1, {}, w); },
           "precision_score");
    expect([&] { (void)osprey::recall_score(yt, yp, Average::macro, 1, {}, w); }, "recall_score");
    expect([&] { (void)osprey::f1_score(yt, yp, Average::micro, 1, {}, w); }, "f1_score");
    expect([&] { (void)osprey::fbeta_score(yt, yp, 2.0, Average::weighted, 1, {}, w); },
           "fbeta_score");
    expect([&] { (void)osprey::balanced_accuracy_score(yt, yp, true, w); },
           "balanced_accuracy_score");
    expect([&] { (void)osprey::matthews_corrcoef(yt, yp, w); }, "matthews_corrcoef");
    expect([&] { (void)osprey::specificity_score(yt, yp, Average::binary, 1, {}, w); },
           "specificity_score");
    expect([&] { (void)osprey::geometric_mean_score(yt, yp, std::nullopt, 1, {}, w); },
           "geometric_mean_score");
    expect([&] { (void)osprey::geometric_mean_score(yt, yp, Average::macro, 1, {}, w); },
           "geometric_mean_score");
    expect([&] { (void)osprey::confusion_matrix(yt, yp, {}, w); }, "confusion_matrix");
    expect([&] { (void)osprey::classification_report(yt, yp, {}, w); }, "classification_report");
  }
}

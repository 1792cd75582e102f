#include "common/prelude.hpp"

#include <osprey/metrics/classification.hpp>
#include <osprey/metrics/report.hpp>
#include <sstream>

#include "common/estimator_checks.hpp"
#include "test_metrics_helpers.hpp"

using osprey::Average;
using osprey::ZeroDivision;
using osprey::testing::close12;
using osprey::testing::load_row_labels;
using osprey::testing::load_scalars;
using osprey::testing::require_throws_containing;

namespace {

struct ClfCase {
  const char* name;
  int pos_label;
  bool binary;
};

constexpr ClfCase clf_cases[] = {{"clf_binary", 1, true},  {"clf_multi", 1, false},
                                 {"clf_nopred", 1, true},  {"clf_poslabel", 2, true},
                                 {"clf_onetrue", 1, true}, {"clf_allneg", 1, true}};

void check_value(const std::map<std::string, double>& want, const std::string& key, double got) {
  INFO("metric " << key);
  REQUIRE(want.count(key) == 1);
  INFO("got " << got << " want " << want.at(key));
  CHECK(close12(got, want.at(key)));
}

}  // namespace

TEST_CASE("classification metrics: every fixture case equals scikit-learn and imbalanced-learn",
          "[metrics]") {
  for (const ClfCase& c : clf_cases) {
    const std::string base = std::string("metrics/") + c.name;
    INFO("case " << c.name);
    const Eigen::VectorXi yt = load_row_labels(base + "_yt.csv");
    const Eigen::VectorXi yp = load_row_labels(base + "_yp.csv");
    const auto want = load_scalars(base + "_scalars.csv");
    check_value(want, "accuracy", osprey::accuracy_score(yt, yp));
    check_value(want, "balanced", osprey::balanced_accuracy_score(yt, yp));
    check_value(want, "balanced_adj", osprey::balanced_accuracy_score(yt, yp, true));
    check_value(want, "mcc", osprey::matthews_corrcoef(yt, yp));
    std::vector<std::string> avgs = {"micro", "macro", "weighted"};
    if (c.binary) avgs.insert(avgs.begin(), "binary");
    for (const std::string& avg : avgs) {
      const Average a = osprey::testing::average_named(avg);
      for (const int zd : {0, 1}) {
        const ZeroDivision z = zd == 0 ? ZeroDivision::zero : ZeroDivision::one;
        const std::string sfx = "_" + avg + "_" + std::to_string(zd);
        check_value(want, "precision" + sfx, osprey::precision_score(yt, yp, a, c.pos_label, z));
        check_value(want, "recall" + sfx, osprey::recall_score(yt, yp, a, c.pos_label, z));
        check_value(want, "f1" + sfx, osprey::f1_score(yt, yp, a, c.pos_label, z));
        check_value(want, "f05" + sfx, osprey::fbeta_score(yt, yp, 0.5, a, c.pos_label, z));
        check_value(want, "f2" + sfx, osprey::fbeta_score(yt, yp, 2.0, a, c.pos_label, z));
      }
      check_value(want, "specificity_" + avg, osprey::specificity_score(yt, yp, a, c.pos_label));
      check_value(want, "gmean_" + avg, osprey::geometric_mean_score(yt, yp, a, c.pos_label));
    }
    // confusion matrix
    const osprey::Matrix<double> cm_want = osprey::testing::load_fixture(base + "_cm.csv");
    const osprey::ConfusionMatrix cm = osprey::confusion_matrix(yt, yp);
    REQUIRE(cm.size() == cm_want.rows());
    CHECK(cm.counts.cast<double>() == cm_want);
    CHECK(cm.total() == yt.size());
    // report: per-class numbers and scikit-learn's exact text
    const osprey::ClassificationReport rep = osprey::classification_report(yt, yp);
    for (std::size_t i = 0; i < rep.classes.size(); ++i) {
      const std::string k = "class" + std::to_string(i) + "_";
      check_value(want, k + "precision", rep.classes[i].precision);
      check_value(want, k + "recall", rep.classes[i].recall);
      check_value(want, k + "f1", rep.classes[i].f1);
      check_value(want, k + "specificity", rep.classes[i].specificity);
      check_value(want, k + "geo", rep.classes[i].geometric_mean);
      check_value(want, k + "support", static_cast<double>(rep.classes[i].support));
    }
    check_value(want, "accuracy", rep.accuracy);
    osprey::ClassificationReport plain = rep;
    plain.imbalanced_columns = false;
    CHECK(plain.to_string() == osprey::testing::load_text(base + "_report.txt"));
  }
}

TEST_CASE("classification_report: prints specificity and geo-mean columns in the same layout",
          "[metrics]") {
  const Eigen::VectorXi yt = load_row_labels("metrics/clf_binary_yt.csv");
  const Eigen::VectorXi yp = load_row_labels("metrics/clf_binary_yp.csv");
  const osprey::ClassificationReport rep = osprey::classification_report(yt, yp);
  std::ostringstream out;
  out << rep;
  const std::string text = out.str();
  CHECK(text.find("specificity") != std::string::npos);
  CHECK(text.find("geo-mean") != std::string::npos);
  CHECK(text.find("    accuracy") != std::string::npos);
  // the rows of class 1 carry its specificity = recall of class 0, and G-mean = sqrt(rec * spe)
  CHECK(close12(rep.classes[1].specificity, rep.classes[0].recall));
  CHECK(close12(rep.classes[1].geometric_mean,
                std::sqrt(rep.classes[1].recall * rep.classes[1].specificity)));
  CHECK(close12(rep.macro_avg.specificity,
                (rep.classes[0].specificity + rep.classes[1].specificity) / 2.0));
  // every line has the same width as the header
  std::istringstream lines(text);
  std::string header;
  std::getline(lines, header);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty()) CHECK(line.size() == header.size());
  }
}

TEST_CASE("classification metrics: hand-worked binary case", "[metrics]") {
  // tp = 2, fp = 1, fn = 1, tn = 4
  const Eigen::VectorXi yt = (Eigen::VectorXi(8) << 1, 1, 1, 0, 0, 0, 0, 0).finished();
  const Eigen::VectorXi yp = (Eigen::VectorXi(8) << 1, 1, 0, 1, 0, 0, 0, 0).finished();
  CHECK(osprey::precision_score(yt, yp) == 2.0 / 3.0);
  CHECK(osprey::recall_score(yt, yp) == 2.0 / 3.0);
  CHECK(close12(osprey::specificity_score(yt, yp), 0.8));
  CHECK(close12(osprey::geometric_mean_score(yt, yp), std::sqrt(2.0 / 3.0 * 0.8)));
  CHECK(osprey::accuracy_score(yt, yp) == 0.75);
  const osprey::ConfusionMatrix cm = osprey::confusion_matrix(yt, yp);
  CHECK(cm(0, 0) == 4);
  CHECK(cm(0, 1) == 1);
  CHECK(cm(1, 0) == 1);
  CHECK(cm(1, 1) == 2);
}

TEST_CASE("confusion_matrix: honours a given label order and drops unlisted labels", "[metrics]") {
  const Eigen::VectorXi yt = (Eigen::VectorXi(6) << 3, 1, 2, 3, 1, 2).finished();
  const Eigen::VectorXi yp = (Eigen::VectorXi(6) << 3, 2, 2, 1, 1, 3).finished();
  const Eigen::VectorXi order = (Eigen::VectorXi(2) << 3, 1).finished();
  const osprey::ConfusionMatrix cm = osprey::confusion_matrix(yt, yp, order);
  CHECK(cm.labels == order);
  CHECK(cm(0, 0) == 1);  // 3 -> 3
  CHECK(cm(0, 1) == 1);  // 3 -> 1
  CHECK(cm(1, 0) == 0);
  CHECK(cm(1, 1) == 1);  // 1 -> 1
  CHECK(cm.total() == 3);
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::confusion_matrix(yt, yp, Eigen::VectorXi(0)); }, "at least one");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::confusion_matrix(yt, yp, Eigen::VectorXi::Constant(1, 9)); },
      "none of the given labels");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::confusion_matrix(yt, yp, Eigen::VectorXi::Constant(2, 3)); }, "repeat");
}

TEST_CASE("classification metrics: the nan zero-division policy gives NaN and averages skip it",
          "[metrics]") {
  const Eigen::VectorXi yt = (Eigen::VectorXi(5) << 0, 0, 1, 1, 2).finished();
  const Eigen::VectorXi yp = (Eigen::VectorXi(5) << 0, 0, 1, 0, 1).finished();  // 2 never predicted
  const Eigen::VectorXi y01 = (Eigen::VectorXi(4) << 1, 0, 1, 0).finished();
  const Eigen::VectorXi none = Eigen::VectorXi::Zero(4);
  CHECK(std::isnan(osprey::precision_score(y01, none, Average::binary, 1, ZeroDivision::nan)));
  CHECK(osprey::precision_score(y01, none, Average::binary, 1, ZeroDivision::one) == 1.0);
  CHECK(osprey::precision_score(y01, none) == 0.0);
  // per class precision: 2/3, 1/2, NaN -> macro over the two defined ones
  CHECK(close12(osprey::precision_score(yt, yp, Average::macro, 1, ZeroDivision::nan),
                (2.0 / 3.0 + 0.5) / 2.0));
}

TEST_CASE("classification metrics: bad inputs throw and name the problem", "[metrics]") {
  const Eigen::VectorXi a = (Eigen::VectorXi(4) << 0, 1, 0, 1).finished();
  const Eigen::VectorXi b = (Eigen::VectorXi(3) << 0, 1, 0).finished();
  const Eigen::VectorXi empty(0);
  const Eigen::VectorXi multi = (Eigen::VectorXi(4) << 0, 1, 2, 1).finished();
  using osprey::InvalidArgument;
  require_throws_containing<InvalidArgument>([&] { (void)osprey::accuracy_score(a, b); },
                                             "inconsistent lengths");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::f1_score(a, b); }, "y_pred");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::recall_score(empty, empty); },
                                             "empty");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::matthews_corrcoef(empty, empty); },
                                             "empty");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::precision_score(multi, a); },
                                             "average is binary");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::precision_score(a, a, Average::binary, 7); }, "pos_label=7");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::specificity_score(a, a, Average::binary, 7); }, "pos_label=7");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::fbeta_score(a, a, -1.0); },
                                             "beta");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::classification_report(a, b); },
                                             "inconsistent lengths");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::balanced_accuracy_score(empty, empty); }, "empty");
}

#include "common/prelude.hpp"

#include <limits>
#include <osprey/core/random.hpp>
#include <osprey/metrics/ranking.hpp>

#include "common/estimator_checks.hpp"
#include "test_metrics_helpers.hpp"

using osprey::testing::close12;
using osprey::testing::load_row;
using osprey::testing::load_row_labels;
using osprey::testing::load_scalars;
using osprey::testing::require_curve;
using osprey::testing::require_throws_containing;

namespace {

struct RankCase {
  const char* name;
  int pos_label;
  bool auc;
};

constexpr RankCase rank_cases[] = {{"rank_random", 1, true}, {"rank_ties", 1, true},
                                   {"rank_rare", 1, true},   {"rank_poslabel", 2, true},
                                   {"rank_float", 1, true},  {"rank_allneg", 1, false},
                                   {"rank_allpos", 1, false}};

template <class S>
void check_rank_case(const RankCase& c) {
  const std::string base = std::string("metrics/") + c.name;
  INFO("case " << c.name);
  const Eigen::VectorXi y = load_row_labels(base + "_y.csv");
  const osprey::Vector<S> s = load_row(base + "_s.csv").cast<S>();
  const auto n_pos = (y.array() == c.pos_label).count();
  if (n_pos == 0) {
    // scikit-learn warns and returns NaN rates / recall 1 / AP 0; osprey throws instead
    CHECK_THROWS_AS(osprey::roc_curve(y, s, c.pos_label), osprey::InvalidArgument);
    CHECK_THROWS_AS(osprey::precision_recall_curve(y, s, c.pos_label), osprey::InvalidArgument);
    CHECK_THROWS_AS(osprey::average_precision_score(y, s, c.pos_label), osprey::InvalidArgument);
    return;
  }
  for (const bool drop : {true, false}) {
    if (n_pos == y.size()) {
      // scikit-learn warns and returns NaN fpr; osprey throws, as roc_auc_score does
      CHECK_THROWS_AS(osprey::roc_curve(y, s, c.pos_label, drop), osprey::InvalidArgument);
      continue;
    }
    const std::string tag = base + (drop ? "_roc" : "_rocall");
    const osprey::Curve roc = osprey::roc_curve(y, s, c.pos_label, drop);
    require_curve(roc.fpr, load_row(tag + "_fpr.csv"), "fpr");
    require_curve(roc.tpr, load_row(tag + "_tpr.csv"), "tpr");
    // scikit-learn 1.2 puts max + 1 first; osprey (as scikit-learn >= 1.3) puts +inf
    require_curve(roc.thresholds, load_row(tag + "_thr.csv"), "roc thresholds", 1);
    CHECK(roc.thresholds(0) == std::numeric_limits<double>::infinity());
  }
  const osprey::Curve pr = osprey::precision_recall_curve(y, s, c.pos_label);
  require_curve(pr.precision, load_row(base + "_pr_p.csv"), "precision");
  require_curve(pr.recall, load_row(base + "_pr_r.csv"), "recall");
  require_curve(pr.thresholds, load_row(base + "_pr_thr.csv"), "pr thresholds");
  const auto want = load_scalars(base + "_scalars.csv");
  const double ap = osprey::average_precision_score(y, s, c.pos_label);
  INFO("ap " << ap << " want " << want.at("ap"));
  CHECK(close12(ap, want.at("ap")));
  if (c.auc) {
    const double auc = osprey::roc_auc_score(y, s);
    INFO("auc " << auc << " want " << want.at("roc_auc"));
    CHECK(close12(auc, want.at("roc_auc")));
  }
}

}  // namespace

TEST_CASE("ranking metrics: curves and areas equal scikit-learn element by element", "[metrics]") {
  for (const RankCase& c : rank_cases) {
    if (std::string(c.name) == "rank_float") {
      check_rank_case<float>(c);
    } else {
      check_rank_case<double>(c);
    }
  }
}

TEST_CASE("roc_auc_score: one-vs-rest macro and weighted equal scikit-learn", "[metrics]") {
  const Eigen::VectorXi y = load_row_labels("metrics/ovr_y.csv");
  const osprey::Matrix<double> proba = osprey::testing::load_fixture("metrics/ovr_proba.csv");
  const auto want = load_scalars("metrics/ovr_scalars.csv");
  CHECK(close12(osprey::roc_auc_score(y, proba), want.at("macro")));
  CHECK(close12(osprey::roc_auc_score(y, proba, osprey::Average::weighted), want.at("weighted")));
  const osprey::Matrix<float> pf = proba.cast<float>();
  CHECK_THAT(osprey::roc_auc_score(y, pf), Catch::Matchers::WithinAbs(want.at("macro"), 1e-3));
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::roc_auc_score(y, proba.leftCols(3)); }, "3 columns");
  osprey::Matrix<double> bad = proba;
  bad(5, 0) += 0.5;
  require_throws_containing<osprey::InvalidArgument>([&] { (void)osprey::roc_auc_score(y, bad); },
                                                     "row 5");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::roc_auc_score(y, proba, osprey::Average::micro); }, "macro");
}

TEST_CASE("roc_auc_score and average_precision_score: fast paths equal the sorted curves",
          "[metrics]") {
  // Random problems of every balance, with and without ties, against the O(n log n) curve.
  osprey::Rng rng(42);
  for (const double rate : {0.01, 0.2, 0.5, 0.8, 0.99}) {
    for (const int rounding : {0, 10, 1000}) {
      const Eigen::Index n = 3000;
      Eigen::VectorXi y(n);
      Eigen::VectorXd s(n);
      for (Eigen::Index i = 0; i < n; ++i) {
        y(i) = rng.uniform() < rate ? 1 : 0;
        double v = rng.normal() + 0.7 * y(i);
        if (rounding > 0) v = std::round(v * rounding) / rounding;
        s(i) = v;
      }
      y(0) = 1;
      y(1) = 0;
      INFO("rate " << rate << " rounding " << rounding);
      const osprey::Curve roc = osprey::roc_curve(y, s);
      double area = 0.0;
      for (Eigen::Index i = 1; i < roc.fpr.size(); ++i) {
        area += (roc.fpr(i) - roc.fpr(i - 1)) * (roc.tpr(i) + roc.tpr(i - 1)) / 2.0;
      }
      CHECK(close12(osprey::roc_auc_score(y, s), area));
      const osprey::Curve pr = osprey::precision_recall_curve(y, s);
      double ap = 0.0;
      for (Eigen::Index i = 0; i + 1 < pr.recall.size(); ++i) {
        ap += (pr.recall(i) - pr.recall(i + 1)) * pr.precision(i);
      }
      CHECK(close12(osprey::average_precision_score(y, s), ap));
      // negated labels: AUC flips
      const Eigen::VectorXi flipped = (1 - y.array()).matrix();
      CHECK(close12(osprey::roc_auc_score(flipped, s), 1.0 - area));
    }
  }
}

TEST_CASE("roc_auc_score: signed zeros tie and extreme values order correctly", "[metrics]") {
  const Eigen::VectorXi y = (Eigen::VectorXi(6) << 1, 0, 1, 0, 1, 0).finished();
  const double big = std::numeric_limits<double>::max();
  const Eigen::VectorXd s =
      (Eigen::VectorXd(6) << 0.0, -0.0, big, -big, -1e-300, 1e-300).finished();
  // pairs (pos, neg): 0 vs -0 tie, 0 > -big, 0 < 1e-300, big > all, -1e-300 < 0 = -0 ... count
  double wins = 0.0;
  for (int i = 0; i < 6; i += 2) {
    for (int j = 1; j < 6; j += 2) {
      wins += s(i) > s(j) ? 1.0 : (s(i) == s(j) ? 0.5 : 0.0);
    }
  }
  CHECK(close12(osprey::roc_auc_score(y, s), wins / 9.0));
  const osprey::Curve roc = osprey::roc_curve(y, s, 1, false);
  CHECK(roc.thresholds.size() == 6);  // 5 distinct values (+0 and -0 are one) and +inf
}

TEST_CASE("ranking metrics: bad inputs throw and name the problem", "[metrics]") {
  using osprey::InvalidArgument;
  const Eigen::VectorXi y = (Eigen::VectorXi(4) << 0, 1, 0, 1).finished();
  const Eigen::VectorXd s = (Eigen::VectorXd(4) << 0.1, 0.9, 0.3, 0.7).finished();
  const Eigen::VectorXd s3 = s.head(3);
  const Eigen::VectorXi one_class = Eigen::VectorXi::Zero(4);
  const Eigen::VectorXi three = (Eigen::VectorXi(4) << 0, 1, 2, 1).finished();
  Eigen::VectorXd nan_s = s;
  nan_s(2) = std::numeric_limits<double>::quiet_NaN();
  Eigen::VectorXf inf_s = s.cast<float>();
  inf_s(1) = std::numeric_limits<float>::infinity();
  const Eigen::VectorXi empty(0);
  const Eigen::VectorXd empty_s(0);
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_auc_score(one_class, s); },
                                             "only one class");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_auc_score(y, s3); },
                                             "inconsistent lengths");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_curve(y, s3); }, "scores");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::average_precision_score(y, s3); },
                                             "inconsistent lengths");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::precision_recall_curve(empty, empty_s); }, "empty");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_auc_score(empty, empty_s); },
                                             "empty");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_auc_score(y, nan_s); },
                                             "index 2");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::average_precision_score(y, inf_s); }, "index 1");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_curve(y, nan_s); },
                                             "non-finite");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_auc_score(three, s); },
                                             "more than two classes");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::average_precision_score(three, s); }, "more than two classes");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::average_precision_score(y, s, 5); }, "pos_label=5");
}

namespace {

/** Reference AUC and AP from one std::sort of (score, label) pairs, written independently of
 *  the library: AUC by midranks (Mann-Whitney), AP by scikit-learn's step-wise sum. */
template <class S>
std::pair<double, double> reference_auc_ap(const Eigen::VectorXi& y, const osprey::Vector<S>& s) {
  std::vector<std::pair<S, int>> v;
  for (Eigen::Index i = 0; i < y.size(); ++i) v.emplace_back(s(i), y(i));
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double rank_sum = 0.0, n_pos = 0.0;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j < v.size() && v[j].first == v[i].first) ++j;
    const double midrank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (std::size_t k = i; k < j; ++k) {
      if (v[k].second == 1) {
        rank_sum += midrank;
        n_pos += 1.0;
      }
    }
    i = j;
  }
  const double n_neg = static_cast<double>(v.size()) - n_pos;
  const double auc = (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg);
  double ap = 0.0, tp = 0.0, fp = 0.0, prev = 0.0;
  for (std::size_t i = v.size(); i > 0;) {
    std::size_t j = i;
    while (j > 0 && v[j - 1].first == v[i - 1].first) {
      (v[j - 1].second == 1 ? tp : fp) += 1.0;
      --j;
    }
    const double recall = tp / n_pos;
    ap += (recall - prev) * tp / (tp + fp);
    prev = recall;
    i = j;
  }
  return {auc, ap};
}

template <class S>
void check_large(std::uint64_t seed, double rate, int rounding) {
  osprey::Rng rng(seed);
  const Eigen::Index n = 300000;  // above the parallel and radix thresholds
  Eigen::VectorXi y(n);
  osprey::Vector<S> s(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    y(i) = rng.uniform() < rate ? 1 : 0;
    double v = rng.normal() + 0.8 * y(i);
    if (rounding > 0) v = std::round(v * rounding) / rounding;
    s(i) = static_cast<S>(v);
  }
  const auto [auc, ap] = reference_auc_ap<S>(y, s);
  INFO("rate " << rate << " rounding " << rounding);
  CHECK(close12(osprey::roc_auc_score(y, s), auc));
  CHECK(close12(osprey::average_precision_score(y, s), ap));
}

}  // namespace

TEST_CASE("roc_auc_score and average_precision_score: radix paths equal a plain sort on 300k",
          "[metrics]") {
  check_large<double>(1, 0.01, 0);
  check_large<double>(2, 0.3, 100);
  check_large<float>(3, 0.01, 0);
  check_large<float>(4, 0.6, 1000);
  // half the scores in a tiny range: they share one MSD bucket, which is split again
  osprey::Rng rng(5);
  const Eigen::Index n = 400000;
  Eigen::VectorXi y(n);
  Eigen::VectorXd s(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    y(i) = rng.uniform() < 0.05 ? 1 : 0;
    s(i) = i % 2 == 0 ? 1.0 + 1e-9 * rng.uniform() + 1e-10 * y(i) : rng.uniform() * 4.0 - 2.0;
  }
  const auto [auc, ap] = reference_auc_ap<double>(y, s);
  CHECK(close12(osprey::roc_auc_score(y, s), auc));
  CHECK(close12(osprey::average_precision_score(y, s), ap));
}

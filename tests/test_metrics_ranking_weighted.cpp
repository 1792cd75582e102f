// Weighted ranking metrics (roc_curve, roc_auc_score, precision_recall_curve,
// average_precision_score) and the one-vs-rest average precision, against scikit-learn 1.2
// fixtures (tests/fixtures/make_weighted_ranking.py), a reference of scikit-learn's algorithm,
// and the weight properties: integer weights equal repeated rows, a weight of 0 a dropped row.
#include "common/prelude.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <numeric>
#include <osprey/core/random.hpp>
#include <osprey/metrics/ranking.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/estimator_checks.hpp"
#include "common/fixtures.hpp"
#include "test_metrics_helpers.hpp"

using osprey::testing::close12;
using osprey::testing::require_curve;
using osprey::testing::require_throws_containing;

using osprey::testing::field_numbers;
using osprey::testing::split_fields;
namespace {

std::vector<Eigen::VectorXd> arrays(const std::string& field) {
  std::vector<Eigen::VectorXd> out;
  for (const std::string& part : split_fields(field, '|')) out.push_back(field_numbers(part));
  return out;
}

std::vector<std::vector<std::string>> fixture_lines(const std::string& name) {
  std::ifstream in(osprey::testing::fixture_path("weighted_ranking/" + name));
  REQUIRE(in);
  std::vector<std::vector<std::string>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(split_fields(line, ';'));
  }
  return out;
}

void require_same(const Eigen::VectorXd& a, const Eigen::VectorXd& b, const char* what) {
  INFO("curve " << what);
  REQUIRE(a.size() == b.size());
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    INFO("element " << i << ": " << a(i) << " vs " << b(i));
    CHECK(close12(a(i), b(i)));
  }
}

void require_same_curves(const osprey::Curve& a, const osprey::Curve& b) {
  require_same(a.fpr, b.fpr, "fpr");
  require_same(a.tpr, b.tpr, "tpr");
  require_same(a.precision, b.precision, "precision");
  require_same(a.recall, b.recall, "recall");
  require_same(a.thresholds, b.thresholds, "thresholds");
}

/** A random binary problem with ties (scores rounded to `grid`) and labels 0/1. */
struct Problem {
  Eigen::VectorXi y;
  Eigen::VectorXd s;
};

Problem random_problem(osprey::Rng& rng, Eigen::Index n, double grid) {
  Problem p{Eigen::VectorXi(n), Eigen::VectorXd(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    p.y(i) = rng.uniform() < 0.3 ? 1 : 0;
    const double v = rng.normal() + 0.8 * p.y(i);
    p.s(i) = grid > 0 ? std::round(v / grid) * grid : v;
  }
  p.y(0) = 1;
  p.y(1) = 0;
  return p;
}

/** Row i repeated w(i) times (w integer-valued). */
template <class V>
V repeat_rows(const V& v, const Eigen::VectorXd& w) {
  V out(static_cast<Eigen::Index>(w.sum()));
  Eigen::Index k = 0;
  for (Eigen::Index i = 0; i < v.size(); ++i) {
    for (int r = 0; r < static_cast<int>(w(i)); ++r) out(k++) = v(i);
  }
  return out;
}

/** scikit-learn's `_binary_clf_curve` with weights, written out: drop the rows of weight 0,
 *  stable ascending argsort reversed, running sums; rates of every distinct score. */
osprey::Curve reference_roc(const Eigen::VectorXi& y, const Eigen::VectorXd& s,
                            const Eigen::VectorXd& w) {
  std::vector<Eigen::Index> idx;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    if (w(i) != 0.0) idx.push_back(i);
  }
  std::stable_sort(idx.begin(), idx.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return s(a) < s(b); });
  std::reverse(idx.begin(), idx.end());
  std::vector<double> tps, fps, thr;
  double tp = 0.0, fp = 0.0;
  for (std::size_t k = 0; k < idx.size(); ++k) {
    const Eigen::Index i = idx[k];
    (y(i) == 1 ? tp : fp) += w(i);
    if (k + 1 == idx.size() || s(idx[k + 1]) != s(i)) {
      tps.push_back(tp);
      fps.push_back(fp);
      thr.push_back(s(i));
    }
  }
  osprey::Curve c;
  const auto t = static_cast<Eigen::Index>(tps.size());
  c.fpr.resize(t + 1);
  c.tpr.resize(t + 1);
  c.thresholds.resize(t + 1);
  c.fpr(0) = c.tpr(0) = 0.0;
  c.thresholds(0) = std::numeric_limits<double>::infinity();
  for (Eigen::Index j = 0; j < t; ++j) {
    const auto u = static_cast<std::size_t>(j);
    c.fpr(j + 1) = fps[u] / fps.back();
    c.tpr(j + 1) = tps[u] / tps.back();
    c.thresholds(j + 1) = thr[u];
  }
  return c;
}

Eigen::VectorXd real_weights(osprey::Rng& rng, Eigen::Index n, double zero_rate) {
  Eigen::VectorXd w(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    w(i) = rng.uniform() < zero_rate ? 0.0 : 0.1 * std::floor(rng.uniform() * 30.0) + 0.1;
  }
  w(0) = w(1) = 1.0;  // both classes keep some weight
  return w;
}

}  // namespace

TEST_CASE("weighted binary ranking metrics equal scikit-learn 1.2 on generated cases",
          "[metrics][weights]") {
  const auto lines = fixture_lines("binary.txt");
  REQUIRE(lines.size() >= 50);
  for (const auto& f : lines) {
    REQUIRE(f.size() == 10);
    INFO("case " << f[0]);
    const int pos = std::stoi(f[1]);
    const Eigen::VectorXi y = field_numbers(f[2]).cast<int>();
    const Eigen::VectorXd s = field_numbers(f[3]);
    const Eigen::VectorXd w = field_numbers(f[4]);
    for (const bool drop : {true, false}) {
      INFO("drop_intermediate " << drop);
      const auto want = arrays(f[drop ? 5 : 6]);
      const osprey::Curve roc = osprey::roc_curve(y, s, pos, drop, {}, w);
      require_curve(roc.fpr, want[0], "fpr");
      require_curve(roc.tpr, want[1], "tpr");
      // scikit-learn 1.2 puts max + 1 first; osprey (as scikit-learn >= 1.3) puts +inf
      require_curve(roc.thresholds, want[2], "roc thresholds", 1);
      CHECK(roc.thresholds(0) == std::numeric_limits<double>::infinity());
    }
    const auto want_pr = arrays(f[7]);
    const osprey::Curve pr = osprey::precision_recall_curve(y, s, pos, {}, w);
    require_curve(pr.precision, want_pr[0], "precision");
    require_curve(pr.recall, want_pr[1], "recall");
    require_curve(pr.thresholds, want_pr[2], "pr thresholds");
    const double auc = osprey::roc_auc_score(y, s, {}, w);
    INFO("auc " << auc << " want " << f[8]);
    CHECK(close12(auc, std::stod(f[8])));
    CHECK(close12(osprey::roc_auc_score(y, s, osprey::Average::weighted, {}, w), auc));
    const double ap = osprey::average_precision_score(y, s, pos, {}, w);
    INFO("ap " << ap << " want " << f[9]);
    CHECK(close12(ap, std::stod(f[9])));
  }
}

TEST_CASE("one-vs-rest average precision and weighted AUC equal scikit-learn 1.2",
          "[metrics][weights]") {
  using osprey::Average;
  const auto lines = fixture_lines("multiclass.txt");
  REQUIRE(lines.size() >= 50);
  for (const auto& f : lines) {
    REQUIRE(f.size() == 11);
    INFO("case " << f[0]);
    const auto k = static_cast<Eigen::Index>(std::stoi(f[1]));
    const Eigen::VectorXi y = field_numbers(f[2]).cast<int>();
    const Eigen::VectorXd flat = field_numbers(f[3]);
    const osprey::Matrix<double> p =
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            flat.data(), y.size(), k);
    const Eigen::VectorXd w = field_numbers(f[4]);
    require_curve(osprey::average_precision_per_class(y, p, {}, w), field_numbers(f[5]),
                  "AP per class");
    CHECK(close12(osprey::average_precision_score(y, p, Average::macro, {}, w), std::stod(f[6])));
    CHECK(
        close12(osprey::average_precision_score(y, p, Average::weighted, {}, w), std::stod(f[7])));
    CHECK(close12(osprey::average_precision_score(y, p, Average::micro, {}, w), std::stod(f[8])));
    CHECK(close12(osprey::roc_auc_score(y, p, Average::macro, {}, w), std::stod(f[9])));
    CHECK(close12(osprey::roc_auc_score(y, p, {}, w), std::stod(f[9])));
    CHECK(close12(osprey::roc_auc_score(y, p, Average::weighted, {}, w), std::stod(f[10])));
  }
}

TEST_CASE("weighted curves add the weights in scikit-learn's order, on any thread count",
          "[metrics][weights]") {
  // Above the radix sort's small-input cut-off (4096) and its parallel threshold (2^17), with
  // tenths as weights: the running sums round, so only scikit-learn's summation order gives
  // the same points (the same drop_intermediate decisions) to the last bit.
  osprey::Rng rng(7);
  for (const Eigen::Index n : {Eigen::Index{5000}, Eigen::Index{150000}}) {
    const Problem p = random_problem(rng, n, 0.01);
    const Eigen::VectorXd w = real_weights(rng, n, 0.2);
    const osprey::Curve want = reference_roc(p.y, p.s, w);
    for (const int threads : {1, 2}) {
      INFO("n " << n << " threads " << threads);
      const osprey::Curve got =
          osprey::roc_curve(p.y, p.s, 1, false, osprey::Execution{.n_threads = threads}, w);
      REQUIRE(got.fpr.size() == want.fpr.size());
      CHECK(got.fpr == want.fpr);
      CHECK(got.tpr == want.tpr);
      CHECK(got.thresholds == want.thresholds);
      double area = 0.0;
      for (Eigen::Index i = 1; i < want.fpr.size(); ++i) {
        area += (want.fpr(i) - want.fpr(i - 1)) * (want.tpr(i) + want.tpr(i - 1)) / 2.0;
      }
      CHECK(close12(osprey::roc_auc_score(p.y, p.s, osprey::Execution{.n_threads = threads}, w),
                    area));
    }
    const osprey::Curve pr = osprey::precision_recall_curve(p.y, p.s, 1, {}, w);
    double ap = 0.0;
    for (Eigen::Index i = 0; i + 1 < pr.recall.size(); ++i) {
      ap += (pr.recall(i) - pr.recall(i + 1)) * pr.precision(i);
    }
    CHECK(close12(osprey::average_precision_score(p.y, p.s, 1, {}, w), ap));
  }
}

TEST_CASE("integer weights equal repeated rows and a weight of 0 equals a dropped row",
          "[metrics][weights]") {
  osprey::Rng rng(11);
  for (const Eigen::Index n : {Eigen::Index{60}, Eigen::Index{6000}}) {
    for (const double grid : {0.0, 0.25}) {
      INFO("n " << n << " grid " << grid);
      const Problem p = random_problem(rng, n, grid);
      Eigen::VectorXd w(n);
      for (Eigen::Index i = 0; i < n; ++i) w(i) = std::floor(rng.uniform() * 4.0);
      w(0) = w(1) = 2.0;
      const Eigen::VectorXi yr = repeat_rows(p.y, w);
      const Eigen::VectorXd sr = repeat_rows(p.s, w);
      for (const bool drop : {true, false}) {
        require_same_curves(osprey::roc_curve(p.y, p.s, 1, drop, {}, w),
                            osprey::roc_curve(yr, sr, 1, drop));
      }
      require_same_curves(osprey::precision_recall_curve(p.y, p.s, 1, {}, w),
                          osprey::precision_recall_curve(yr, sr));
      CHECK(close12(osprey::roc_auc_score(p.y, p.s, {}, w), osprey::roc_auc_score(yr, sr)));
      CHECK(close12(osprey::average_precision_score(p.y, p.s, 1, {}, w),
                    osprey::average_precision_score(yr, sr)));
      // all weights 1 (a non-empty vector) is the unweighted result
      const Eigen::VectorXd ones = Eigen::VectorXd::Ones(n);
      CHECK(osprey::roc_auc_score(p.y, p.s, {}, ones) == osprey::roc_auc_score(p.y, p.s));
      // real weights, some 0: the rows of weight 0 may as well be absent
      const Eigen::VectorXd rw = real_weights(rng, n, 0.3);
      std::vector<Eigen::Index> kept;
      for (Eigen::Index i = 0; i < n; ++i) {
        if (rw(i) != 0.0) kept.push_back(i);
      }
      const Eigen::VectorXi yk = p.y(kept);
      const Eigen::VectorXd sk = p.s(kept), wk = rw(kept);
      require_same_curves(osprey::roc_curve(p.y, p.s, 1, true, {}, rw),
                          osprey::roc_curve(yk, sk, 1, true, {}, wk));
      require_same_curves(osprey::precision_recall_curve(p.y, p.s, 1, {}, rw),
                          osprey::precision_recall_curve(yk, sk, 1, {}, wk));
      CHECK(osprey::roc_auc_score(p.y, p.s, {}, rw) == osprey::roc_auc_score(yk, sk, {}, wk));
      CHECK(osprey::average_precision_score(p.y, p.s, 1, {}, rw) ==
            osprey::average_precision_score(yk, sk, 1, {}, wk));
    }
  }
}

TEST_CASE("one-vs-rest average precision: repeats, the per-class form and float scores",
          "[metrics][weights]") {
  using osprey::Average;
  osprey::Rng rng(3);
  const Eigen::Index n = 300, k = 4;
  Eigen::VectorXi y(n);
  osprey::Matrix<double> p(n, k);
  Eigen::VectorXd w(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    y(i) = static_cast<int>(rng.uniform() * k) * 10;  // labels 0, 10, 20, 30
    for (Eigen::Index c = 0; c < k; ++c) p(i, c) = std::round(rng.uniform() * 8.0) / 8.0;
    p(i, y(i) / 10) += 0.5;
    w(i) = std::floor(rng.uniform() * 3.0);
  }
  p.array().colwise() /= p.rowwise().sum().array();
  for (int c = 0; c < 4; ++c) {  // every class keeps some weight
    w(c) = 1.0;
    y(c) = c * 10;
  }
  std::vector<Eigen::Index> rep;
  for (Eigen::Index i = 0; i < n; ++i) {
    for (int r = 0; r < static_cast<int>(w(i)); ++r) rep.push_back(i);
  }
  const Eigen::VectorXi yr = y(rep);
  const osprey::Matrix<double> pr = p(rep, Eigen::all);
  for (const Average a : {Average::macro, Average::weighted, Average::micro}) {
    CHECK(close12(osprey::average_precision_score(y, p, a, {}, w),
                  osprey::average_precision_score(yr, pr, a)));
  }
  for (const Average a : {Average::macro, Average::weighted}) {
    CHECK(close12(osprey::roc_auc_score(y, p, a, {}, w), osprey::roc_auc_score(yr, pr, a)));
  }
  // per class: the binary AP of each class against the rest; macro is their mean
  const Eigen::VectorXd per = osprey::average_precision_per_class(y, p, {}, w);
  REQUIRE(per.size() == k);
  for (Eigen::Index c = 0; c < k; ++c) {
    const Eigen::VectorXi yc = (y.array() == 10 * static_cast<int>(c)).cast<int>();
    CHECK(per(c) == osprey::average_precision_score(yc, p.col(c), 1, {}, w));
  }
  CHECK(close12(osprey::average_precision_score(y, p, Average::macro, {}, w), per.mean()));
  // float scores on a grid of eighths (exact in float) give the double results
  const osprey::Matrix<float> pf = p.cast<float>();
  const osprey::Matrix<double> pd = pf.cast<double>();
  CHECK(osprey::average_precision_score(y, pf, Average::micro, {}, w) ==
        osprey::average_precision_score(y, pd, Average::micro, {}, w));
  // a one-column score matrix with an Average is the binary AP of label 1
  const Eigen::VectorXi yb = (y.array() == 10).cast<int>();
  CHECK(osprey::average_precision_score(yb, p.col(1), Average::macro, {}, w) ==
        osprey::average_precision_score(yb, p.col(1), 1, {}, w));
}

TEST_CASE("a class of zero total weight: undefined metrics throw naming it, weighted skips it",
          "[metrics][weights]") {
  using osprey::Average;
  using osprey::InvalidArgument;
  const Eigen::VectorXi y = (Eigen::VectorXi(6) << 0, 1, 0, 1, 0, 1).finished();
  const Eigen::VectorXd s = (Eigen::VectorXd(6) << 0.1, 0.9, 0.3, 0.7, 0.5, 0.2).finished();
  const Eigen::VectorXd no_pos = (Eigen::VectorXd(6) << 1, 0, 1, 0, 2, 0).finished();
  const Eigen::VectorXd no_neg = (Eigen::VectorXd(6) << 0, 1, 0, 1, 0, 2).finished();
  // scikit-learn warns and returns NaN (AUC, ROC rates) or 0 (AP); osprey throws
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_auc_score(y, s, {}, no_pos); },
                                             "positive samples (label == 1)");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_auc_score(y, s, {}, no_neg); },
                                             "negative samples (label != 1)");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::roc_curve(y, s, 1, true, {}, no_pos); }, "pos_label=1 is not present");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::roc_curve(y, s, 1, true, {}, no_neg); }, "only the positive class");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::precision_recall_curve(y, s, 1, {}, no_pos); }, "non-zero sample_weight");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::average_precision_score(y, s, 1, {}, no_pos); }, "pos_label=1");
  // only positives of non-zero weight: a PR curve and AP exist (precision 1), as in scikit-learn
  CHECK(osprey::average_precision_score(y, s, 1, {}, no_neg) == 1.0);

  const Eigen::VectorXi y3 = (Eigen::VectorXi(6) << 0, 1, 2, 0, 1, 2).finished();
  osprey::Matrix<double> p(6, 3);
  p << 0.6, 0.3, 0.1, 0.2, 0.5, 0.3, 0.1, 0.1, 0.8, 0.3, 0.3, 0.4, 0.3, 0.4, 0.3, 0.2, 0.2, 0.6;
  const Eigen::VectorXd no2 = (Eigen::VectorXd(6) << 1, 2, 0, 1, 0.5, 0).finished();
  for (const Average a : {Average::macro}) {
    require_throws_containing<InvalidArgument>(
        [&] { (void)osprey::average_precision_score(y3, p, a, {}, no2); }, "class 2");
    require_throws_containing<InvalidArgument>(
        [&] { (void)osprey::roc_auc_score(y3, p, a, {}, no2); }, "class 2");
  }
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::average_precision_per_class(y3, p, {}, no2); }, "zero total");
  // Average::weighted gives the class weight 0, as scikit-learn: the mean over the others
  double num = 0.0, den = 0.0, anum = 0.0;
  for (int c = 0; c < 2; ++c) {
    const Eigen::VectorXi yc = (y3.array() == c).cast<int>();
    const double support = (yc.cast<double>().array() * no2.array()).sum();
    num += support * osprey::average_precision_score(yc, p.col(c), 1, {}, no2);
    anum += support * osprey::roc_auc_score(yc, p.col(c), {}, no2);
    den += support;
  }
  CHECK(close12(osprey::average_precision_score(y3, p, Average::weighted, {}, no2), num / den));
  CHECK(close12(osprey::roc_auc_score(y3, p, Average::weighted, {}, no2), anum / den));
  // micro needs only some weight: each kept row has a positive pair
  CHECK(std::isfinite(osprey::average_precision_score(y3, p, Average::micro, {}, no2)));
  // all of the weight on one class: its AUC has no negatives, even in the weighted average
  const Eigen::VectorXd only0 = (Eigen::VectorXd(6) << 1, 0, 0, 1, 0, 0).finished();
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::roc_auc_score(y3, p, Average::weighted, {}, only0); },
      "negative samples (label != 0)");
}

TEST_CASE("weighted ranking metrics: bad sample weights and arguments throw naming them",
          "[metrics][weights]") {
  using osprey::Average;
  using osprey::InvalidArgument;
  const Eigen::VectorXi y = (Eigen::VectorXi(4) << 0, 1, 0, 1).finished();
  const Eigen::VectorXd s = (Eigen::VectorXd(4) << 0.1, 0.9, 0.3, 0.7).finished();
  const Eigen::VectorXd short_w = Eigen::VectorXd::Ones(3);
  Eigen::VectorXd neg_w = Eigen::VectorXd::Ones(4);
  neg_w(2) = -1.0;
  Eigen::VectorXd nan_w = Eigen::VectorXd::Ones(4);
  nan_w(3) = std::numeric_limits<double>::quiet_NaN();
  const Eigen::VectorXd zero_w = Eigen::VectorXd::Zero(4);
  for (const Eigen::VectorXd* bad :
       std::vector<const Eigen::VectorXd*>{&short_w, &neg_w, &nan_w, &zero_w}) {
    const std::string needle = bad == &short_w ? "3 entries"
                               : bad == &neg_w ? "row 2"
                               : bad == &nan_w ? "row 3"
                                               : "0 for every sample";
    INFO("expecting " << needle);
    require_throws_containing<InvalidArgument>(
        [&] { (void)osprey::roc_curve(y, s, 1, true, {}, *bad); }, needle);
    require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_auc_score(y, s, {}, *bad); },
                                               needle);
    require_throws_containing<InvalidArgument>(
        [&] { (void)osprey::precision_recall_curve(y, s, 1, {}, *bad); }, needle);
    require_throws_containing<InvalidArgument>(
        [&] { (void)osprey::average_precision_score(y, s, 1, {}, *bad); }, needle);
  }
  const Eigen::VectorXi y3 = (Eigen::VectorXi(4) << 0, 1, 2, 1).finished();
  const osprey::Matrix<double> p = osprey::Matrix<double>::Constant(4, 3, 1.0 / 3.0);
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::average_precision_score(y3, p, Average::binary); }, "Average::binary");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::average_precision_score(y3, p); },
                                             "pass an Average");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::average_precision_score(y3, p.leftCols(2), Average::macro); },
      "2 columns");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::average_precision_per_class(y, p); }, "2 classes");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::average_precision_score(y3, p, Average::micro, {}, neg_w); }, "row 2");
  osprey::Matrix<double> nan_p = p;
  nan_p(1, 2) = std::numeric_limits<double>::infinity();
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::average_precision_per_class(y3, nan_p); }, "non-finite");
  // constant scores: one threshold; AP is the positive rate, AUC 1/2
  CHECK(osprey::average_precision_score(y3, p, Average::macro) == (0.25 + 0.5 + 0.25) / 3.0);
  CHECK(osprey::roc_auc_score(y3, p, Average::macro) == 0.5);
}

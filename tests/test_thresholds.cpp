// Decision thresholds (metrics/thresholds.hpp) and TunedThresholdClassifier
// (model_selection/tuned_threshold.hpp): hand-worked cases, agreement with a brute-force scan
// over every distinct score (plus "alert nobody") on random cases with ties and weights, the
// weight properties, bad input, the tuned classifier against a hand-built out-of-fold search,
// and its save/load round trip.
#include "common/prelude.hpp"

#include <cstring>
#include <limits>
#include <osprey/core/random.hpp>
#include <osprey/io/serialize.hpp>
#include <osprey/metrics/thresholds.hpp>
#include <osprey/model_selection/tuned_threshold.hpp>
#include <osprey/neighbors/kneighbors.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "common/estimator_checks.hpp"

using Catch::Matchers::WithinAbs;
using osprey::ThresholdChoice;
using osprey::testing::require_throws_containing;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

// ---- the oracle: every candidate threshold, counted directly ------------------------------

struct Cand {
  double t, tp, fp;
  Eigen::Index n;
};

struct Oracle {
  std::vector<Cand> cands;  // +inf first, then distinct scores descending
  double pos = 0, neg = 0;

  Oracle(const Eigen::VectorXi& y, const Eigen::VectorXd& s, const Eigen::VectorXd& w) {
    std::set<double, std::greater<>> distinct(s.data(), s.data() + s.size());
    std::vector<double> ts{inf};
    ts.insert(ts.end(), distinct.begin(), distinct.end());
    for (const double t : ts) {
      Cand c{t, 0, 0, 0};
      for (Eigen::Index i = 0; i < s.size(); ++i) {
        if (s(i) < t) continue;
        ++c.n;
        (y(i) == 1 ? c.tp : c.fp) += w.size() ? w(i) : 1.0;
      }
      cands.push_back(c);
    }
    for (Eigen::Index i = 0; i < s.size(); ++i) (y(i) == 1 ? pos : neg) += w.size() ? w(i) : 1.0;
  }
  double precision(const Cand& c) const { return c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0.0; }
  double recall(const Cand& c) const { return pos > 0 ? c.tp / pos : 0.0; }
  double fpr(const Cand& c) const { return neg > 0 ? c.fp / neg : 0.0; }
  double cost(const Cand& c, double cfp, double cfn) const {
    return cfp * c.fp + cfn * (pos - c.tp);
  }
  double f_beta(const Cand& c, double beta) const {
    const double b2 = beta * beta;
    const double den = (1 + b2) * c.tp + b2 * (pos - c.tp) + c.fp;
    return den > 0 ? (1 + b2) * c.tp / den : 0.0;
  }
  /** Two phases: the best value over the feasible candidates, then the first (highest
   *  threshold) candidate reaching it; "alert nobody" when none is feasible. */
  template <class Feasible, class Value>
  Cand pick(Feasible feasible, Value value) const {
    bool any = false;
    double best = -inf;
    for (const Cand& c : cands) {
      if (feasible(c)) {
        best = any ? std::max(best, value(c)) : value(c);
        any = true;
      }
    }
    if (!any) return cands.front();
    for (const Cand& c : cands) {
      if (feasible(c) && value(c) == best) return c;
    }
    return cands.front();
  }
  Cand budget(Eigen::Index n) const {
    Cand best = cands.front();
    for (const Cand& c : cands) {
      if (c.n <= n) best = c;  // counts grow as the threshold falls
    }
    return best;
  }
  void require(const ThresholdChoice& got, const Cand& c, double cfp = 1, double cfn = 1) const {
    INFO("oracle threshold " << c.t << " n " << c.n << "; got " << got.threshold << " n "
                             << got.n_alerts);
    REQUIRE(got.threshold == c.t);
    CHECK(got.n_alerts == c.n);
    CHECK_THAT(got.precision, WithinAbs(precision(c), 1e-12));
    CHECK_THAT(got.recall, WithinAbs(recall(c), 1e-12));
    CHECK_THAT(got.fpr, WithinAbs(fpr(c), 1e-12));
    CHECK_THAT(got.expected_cost, WithinAbs(cost(c, cfp, cfn) / (pos + neg), 1e-12));
  }
};

/** A random case with many ties (scores on a coarse grid, sometimes constant), labels in
 *  {0, 1} or {-1, 1}, and dyadic weights (sums exact in any order) including zeros. */
struct Case {
  Eigen::VectorXi y;
  Eigen::VectorXd s, w;
};

Case random_case(osprey::Rng& rng) {
  Case c;
  const auto n = static_cast<Eigen::Index>(1 + rng.bounded(40));
  const auto grid = 1 + rng.bounded(rng.bounded(2) ? 4 : 30);  // 1: constant scores
  const double p_pos = rng.uniform(0.05, 0.7);
  const int neg = rng.bounded(2) ? 0 : -1;
  c.y.resize(n);
  c.s.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    c.y(i) = rng.uniform() < p_pos ? 1 : neg;
    c.s(i) = static_cast<double>(rng.bounded(grid)) * 0.37 - 2.0;
  }
  if (rng.bounded(3) != 0) {
    constexpr double ws[] = {0.0, 0.5, 1.0, 2.0, 3.25, 0.125};
    c.w.resize(n);
    for (Eigen::Index i = 0; i < n; ++i) c.w(i) = ws[rng.bounded(6)];
  }
  return c;
}

}  // namespace

TEST_CASE("thresholds: hand-worked case", "[metrics][thresholds]") {
  // candidates (t: TP, FP, n): inf: 0,0,0  0.9: 1,0,1  0.8: 2,1,3  0.6: 3,1,4  0.3: 3,2,5
  // 0.1: 3,3,6; P = N = 3
  const Eigen::VectorXi y = (Eigen::VectorXi(6) << 1, 1, 0, 1, 0, 0).finished();
  const Eigen::VectorXd s = (Eigen::VectorXd(6) << 0.9, 0.8, 0.8, 0.6, 0.3, 0.1).finished();
  ThresholdChoice c = osprey::threshold_for_cost(y, s, 1.0, 5.0);  // costs 15 10 6 1 2 3
  CHECK(c.threshold == 0.6);
  CHECK(c.n_alerts == 4);
  CHECK(c.precision == 0.75);
  CHECK(c.recall == 1.0);
  CHECK(c.fpr == 1.0 / 3.0);
  CHECK(c.expected_cost == 1.0 / 6.0);
  c = osprey::threshold_for_cost(y, s, 2.0, 1.0);  // costs 3 2 3 2 4 6: the tie goes up
  CHECK(c.threshold == 0.9);
  CHECK(c.expected_cost == 2.0 / 6.0);
  CHECK(osprey::threshold_for_cost(y, s, 0.0, 0.0).threshold == inf);  // all free: nobody
  CHECK(osprey::threshold_for_precision(y, s, 0.75).threshold == 0.6);
  c = osprey::threshold_for_precision(y, s, 0.8);
  CHECK(c.threshold == 0.9);
  CHECK(c.recall == 1.0 / 3.0);
  CHECK(osprey::threshold_for_precision(y, s, 0.0).threshold == 0.6);  // recall 1 first at 0.6
  CHECK(osprey::threshold_for_recall(y, s, 0.5).threshold == 0.6);     // precision 3/4
  CHECK(osprey::threshold_for_recall(y, s, 0.3).threshold == 0.9);     // precision 1
  CHECK(osprey::threshold_for_recall(y, s, 1.0).threshold == 0.6);
  CHECK(osprey::threshold_for_fpr(y, s, 0.34).threshold == 0.6);
  CHECK(osprey::threshold_for_fpr(y, s, 0.2).threshold == 0.9);
  CHECK(osprey::threshold_for_fpr(y, s, 0.0).threshold == 0.9);
  CHECK(osprey::threshold_for_f_beta(y, s).threshold == 0.6);  // F1: 0 .5 2/3 6/7 3/4 2/3
  // budget: ties are never split, the budget never exceeded
  const Eigen::Index budgets[] = {0, 1, 2, 3, 4, 5, 6, 100};
  const double want_t[] = {inf, 0.9, 0.9, 0.8, 0.6, 0.3, 0.1, 0.1};
  const Eigen::Index want_n[] = {0, 1, 1, 3, 4, 5, 6, 6};
  for (int k = 0; k < 8; ++k) {
    INFO("budget " << budgets[k]);
    const ThresholdChoice b = osprey::threshold_for_budget(s, budgets[k]);
    CHECK(b.threshold == want_t[k]);
    CHECK(b.n_alerts == want_n[k]);
    CHECK(b.precision == 0.0);
    const ThresholdChoice bl = osprey::threshold_for_budget(y, s, budgets[k]);
    CHECK(bl.threshold == want_t[k]);
  }
  CHECK(osprey::threshold_for_budget(y, s, 3).precision == 2.0 / 3.0);
  const Eigen::VectorXd flat = Eigen::VectorXd::Constant(3, 1.5);
  CHECK(osprey::threshold_for_budget(flat, 2).threshold == inf);  // the top tie group is too big
  CHECK(osprey::threshold_for_budget(flat, 3).threshold == 1.5);
}

TEST_CASE("thresholds: unreachable targets and one-class data have documented answers",
          "[metrics][thresholds]") {
  const Eigen::VectorXi y = (Eigen::VectorXi(3) << 0, 1, 0).finished();
  const Eigen::VectorXd s = (Eigen::VectorXd(3) << 0.9, 0.5, 0.5).finished();
  const ThresholdChoice c = osprey::threshold_for_precision(y, s, 0.9);  // best is 1/3
  CHECK(c.threshold == inf);
  CHECK(c.n_alerts == 0);
  CHECK(c.precision == 0.0);
  CHECK(c.recall == 0.0);
  CHECK(c.fpr == 0.0);
  CHECK(c.expected_cost == 1.0 / 3.0);  // the error rate of alerting nobody
  // one class: cost and F-beta are defined, the others throw
  const Eigen::VectorXi none = Eigen::VectorXi::Zero(3);
  CHECK(osprey::threshold_for_cost(none, s, 1.0, 1.0).threshold == inf);
  CHECK(osprey::threshold_for_cost(none, s, 1.0, 1.0).expected_cost == 0.0);
  CHECK(osprey::threshold_for_f_beta(none, s).threshold == inf);
  const Eigen::VectorXi all = Eigen::VectorXi::Ones(3);
  const ThresholdChoice a = osprey::threshold_for_cost(all, s, 1.0, 1.0);
  CHECK(a.threshold == 0.5);
  CHECK(a.fpr == 0.0);
  CHECK(osprey::threshold_for_recall(all, s, 1.0).precision == 1.0);
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::threshold_for_precision(none, s, 0.5); }, "no positive sample");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)osprey::threshold_for_fpr(all, s, 0.5); }, "no negative sample");
  // a float score's threshold is that float, exactly
  const Eigen::VectorXf sf = (Eigen::VectorXf(3) << 0.7F, 0.1F, 0.3F).finished();
  CHECK(osprey::threshold_for_recall(Eigen::VectorXi(all), sf, 0.3).threshold ==
        static_cast<double>(0.7F));
}

TEST_CASE("thresholds: every function agrees with a brute-force scan", "[metrics][thresholds]") {
  osprey::Rng rng(18);
  int checked = 0;
  for (int rep = 0; rep < 300; ++rep) {
    const Case k = random_case(rng);
    const Oracle o(k.y, k.s, k.w);
    INFO("case " << rep << ", n = " << k.y.size() << ", weighted " << (k.w.size() > 0));
    const double cfp = static_cast<double>(rng.bounded(4)) * 0.5;
    const double cfn = static_cast<double>(rng.bounded(8)) * 0.5;
    const double target = static_cast<double>(rng.bounded(9)) / 8.0;
    const double beta = rng.bounded(2) ? 1.0 : 2.0;
    const Eigen::Index budget = static_cast<Eigen::Index>(rng.bounded(45));
    o.require(osprey::threshold_for_budget(k.y, k.s, budget, k.w), o.budget(budget));
    const ThresholdChoice b = osprey::threshold_for_budget(k.s, budget);
    CHECK(b.threshold == o.budget(budget).t);
    CHECK(b.n_alerts == o.budget(budget).n);
    if (o.pos + o.neg == 0) {
      CHECK_THROWS_AS(osprey::threshold_for_cost(k.y, k.s, cfp, cfn, k.w), osprey::InvalidArgument);
      continue;
    }
    const auto all = [](const Cand&) { return true; };
    o.require(osprey::threshold_for_cost(k.y, k.s, cfp, cfn, k.w),
              o.pick(all, [&](const Cand& c) { return -o.cost(c, cfp, cfn); }), cfp, cfn);
    o.require(osprey::threshold_for_f_beta(k.y, k.s, beta, k.w),
              o.pick(all, [&](const Cand& c) { return o.f_beta(c, beta); }));
    if (o.pos == 0) {
      CHECK_THROWS_AS(osprey::threshold_for_recall(k.y, k.s, target, k.w), osprey::InvalidArgument);
      continue;
    }
    o.require(osprey::threshold_for_precision(k.y, k.s, target, k.w),
              o.pick([&](const Cand& c) { return o.precision(c) >= target; },
                     [&](const Cand& c) { return o.recall(c); }));
    o.require(osprey::threshold_for_recall(k.y, k.s, target, k.w),
              o.pick([&](const Cand& c) { return o.recall(c) >= target; },
                     [&](const Cand& c) { return o.precision(c); }));
    if (o.neg == 0) continue;
    o.require(osprey::threshold_for_fpr(k.y, k.s, target, k.w),
              o.pick([&](const Cand& c) { return o.fpr(c) <= target; },
                     [&](const Cand& c) { return o.recall(c); }));
    ++checked;
  }
  CHECK(checked > 150);  // most cases reach every function
}

TEST_CASE("thresholds: integer weights equal repeated rows, weight 0 a dropped row",
          "[metrics][thresholds][weights]") {
  osprey::Rng rng(7);
  for (int rep = 0; rep < 60; ++rep) {
    const auto n = static_cast<Eigen::Index>(2 + rng.bounded(30));
    Eigen::VectorXi y(n);
    Eigen::VectorXd s(n), w(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      y(i) = i < 2 ? static_cast<int>(i) : static_cast<int>(rng.bounded(2));  // both classes
      s(i) = static_cast<double>(rng.bounded(8));
      w(i) = static_cast<double>(rng.bounded(4));  // 0..3
    }
    w(0) = w(1) = 1.0;
    std::vector<Eigen::Index> rows;
    for (Eigen::Index i = 0; i < n; ++i) {
      for (int r = 0; r < static_cast<int>(w(i)); ++r) rows.push_back(i);
    }
    const Eigen::VectorXi yr = y(rows);
    const Eigen::VectorXd sr = s(rows);
    const auto same = [&](const ThresholdChoice& a, const ThresholdChoice& b) {
      CHECK(a.threshold == b.threshold);  // n_alerts counts rows, so it differs
      CHECK_THAT(a.precision, WithinAbs(b.precision, 1e-12));
      CHECK_THAT(a.recall, WithinAbs(b.recall, 1e-12));
      CHECK_THAT(a.fpr, WithinAbs(b.fpr, 1e-12));
      CHECK_THAT(a.expected_cost, WithinAbs(b.expected_cost, 1e-12));
    };
    INFO("case " << rep);
    same(osprey::threshold_for_cost(y, s, 1.0, 3.0, w), osprey::threshold_for_cost(yr, sr, 1, 3));
    same(osprey::threshold_for_precision(y, s, 0.6, w),
         osprey::threshold_for_precision(yr, sr, 0.6));
    same(osprey::threshold_for_recall(y, s, 0.7, w), osprey::threshold_for_recall(yr, sr, 0.7));
    same(osprey::threshold_for_fpr(y, s, 0.3, w), osprey::threshold_for_fpr(yr, sr, 0.3));
    same(osprey::threshold_for_f_beta(y, s, 0.5, w), osprey::threshold_for_f_beta(yr, sr, 0.5));
  }
}

TEST_CASE("thresholds: bad input names the culprit", "[metrics][thresholds]") {
  using osprey::InvalidArgument;
  const Eigen::VectorXi y = (Eigen::VectorXi(3) << 0, 1, 0).finished();
  const Eigen::VectorXd s = (Eigen::VectorXd(3) << 0.1, 0.5, 0.2).finished();
  const auto nan = std::numeric_limits<double>::quiet_NaN();
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_cost(y, Eigen::VectorXd(s.head(2)), 1, 1); },
      "inconsistent lengths");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_cost(Eigen::VectorXi(), Eigen::VectorXd(), 1, 1); },
      "empty");
  Eigen::VectorXd bad = s;
  bad(2) = nan;
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_recall(y, bad, 0.5); }, "at index 2");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::threshold_for_budget(bad, 1); },
                                             "at index 2");
  // the unweighted searches find a non-finite score after their sort, at either end
  for (const double v : {nan, -nan, inf, -inf}) {
    for (Eigen::Index at = 0; at < 3; ++at) {
      Eigen::VectorXd b = s;
      b(at) = v;
      INFO("value " << v << " at " << at);
      require_throws_containing<InvalidArgument>(
          [&] { (void)osprey::threshold_for_cost(y, b, 1, 1); }, "at index " + std::to_string(at));
      require_throws_containing<InvalidArgument>(
          [&] { (void)osprey::threshold_for_cost(y, b, 1, 1, Eigen::Vector3d::Ones()); },
          "at index " + std::to_string(at));
    }
  }
  const Eigen::VectorXi y2 = (Eigen::VectorXi(3) << 0, 2, 0).finished();
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_precision(y2, s, 0.5); }, "row 1 is 2");
  const Eigen::VectorXi mixed = (Eigen::VectorXi(3) << 0, 1, -1).finished();
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_fpr(mixed, s, 0.5); }, "both 0 and -1");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_cost(y, s, 1, 1, Eigen::VectorXd::Ones(2)); },
      "sample_weight has 2 entries");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_cost(y, s, 1, 1, Eigen::Vector3d(1, -1, 1)); }, "row 1");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_cost(y, s, 1, 1, Eigen::Vector3d::Zero()); }, "sums to 0");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_budget(y, s, 1, Eigen::Vector3d::Zero()); }, "sums to 0");
  const Eigen::Vector3d huge = Eigen::Vector3d::Constant(std::numeric_limits<double>::max());
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_f_beta(y, s, 1, huge); }, "sums to infinity");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_budget(y, s, 1, huge); }, "sums to infinity");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_precision(y, s, 0.5, Eigen::Vector3d(1, 0, 1)); },
      "no positive sample");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::threshold_for_cost(y, s, -1, 1); },
                                             "cost_fp");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_cost(y, s, 1, nan); }, "cost_fn");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_precision(y, s, 1.5); }, "min_precision");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::threshold_for_recall(y, s, nan); },
                                             "min_recall");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::threshold_for_fpr(y, s, -0.1); },
                                             "max_fpr");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::threshold_for_f_beta(y, s, 0.0); },
                                             "beta");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::threshold_for_budget(s, -1); },
                                             "n_alerts");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::threshold_for_budget(Eigen::MatrixXd::Ones(3, 2), 1); }, "single column");
}

// ---- TunedThresholdClassifier ------------------------------------------------------------

namespace {

using Knn = osprey::KNeighborsClassifier<double>;
using Tuned = osprey::TunedThresholdClassifier<Knn>;
static_assert(osprey::ProbabilisticClassifier<Tuned>);
static_assert(osprey::Serializable<Tuned>);

struct Data {
  osprey::Matrix<double> X;
  Eigen::VectorXi y;
};

/** Rare positives (label 8, about 1 in 5) shifted along x0; negatives are label 3. */
Data fraud_data(Eigen::Index n, std::uint64_t seed) {
  osprey::Rng rng(seed);
  Data d{osprey::Matrix<double>(n, 2), Eigen::VectorXi(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    const bool pos = rng.uniform() < 0.2;
    d.y(i) = pos ? 8 : 3;
    d.X(i, 0) = rng.normal() + (pos ? 1.2 : 0.0);
    d.X(i, 1) = rng.normal();
  }
  return d;
}

}  // namespace

TEST_CASE("TunedThresholdClassifier: the threshold is the out-of-fold search done by hand",
          "[model_selection][thresholds]") {
  const Data d = fraud_data(240, 3);
  const Knn knn({.n_neighbors = 9});
  const osprey::StratifiedKFoldParams cv{.n_splits = 4, .shuffle = true, .random_state = 5};
  // out-of-fold probabilities of label 8, by hand
  Eigen::VectorXd oof(d.y.size());
  for (const osprey::Fold& f : osprey::StratifiedKFold(cv).split(d.y)) {
    Knn m = knn;
    m.fit(osprey::Matrix<double>(d.X(f.train, Eigen::all)), Eigen::VectorXi(d.y(f.train)));
    const osprey::Matrix<double> p =
        m.predict_proba(osprey::Matrix<double>(d.X(f.test, Eigen::all)));
    for (Eigen::Index i = 0; i < f.test.size(); ++i) oof(f.test(i)) = p(i, 1);
  }
  const Eigen::VectorXi y01 = (d.y.array() == 8).cast<int>();
  const Oracle o(y01, oof, Eigen::VectorXd());
  const auto all = [](const Cand&) { return true; };
  struct Objective {
    osprey::TunedThresholdParams params;
    Cand want;
  };
  const Objective objectives[] = {
      {{.objective = osprey::ThresholdObjective::cost, .cost_fp = 1.0, .cost_fn = 6.0, .cv = cv},
       o.pick(all, [&](const Cand& c) { return -o.cost(c, 1.0, 6.0); })},
      {{.objective = osprey::ThresholdObjective::f_beta, .beta = 2.0, .cv = cv},
       o.pick(all, [&](const Cand& c) { return o.f_beta(c, 2.0); })},
      {{.objective = osprey::ThresholdObjective::precision_at_recall, .min_recall = 0.6, .cv = cv},
       o.pick([&](const Cand& c) { return o.recall(c) >= 0.6; },
              [&](const Cand& c) { return o.precision(c); })}};
  const Data q = fraud_data(50, 4);
  Knn full = knn;
  full.fit(d.X, d.y);
  for (const Objective& obj : objectives) {
    Tuned clf(knn, obj.params);
    clf.fit(d.X, d.y);
    INFO("objective " << static_cast<int>(obj.params.objective));
    CHECK(clf.best_threshold() == obj.want.t);
    CHECK(clf.choice().n_alerts == obj.want.n);
    CHECK(clf.choice().threshold > 0.0);  // k = 9 votes: a real, finite cut
    CHECK(clf.classes() == (Eigen::VectorXi(2) << 3, 8).finished());
    const osprey::Matrix<double> p = clf.predict_proba(q.X);
    CHECK(p == full.predict_proba(q.X));  // refitted on all rows
    const Eigen::VectorXi pred = clf.predict(q.X);
    for (Eigen::Index i = 0; i < q.X.rows(); ++i) {
      CHECK(pred(i) == (p(i, 1) >= clf.best_threshold() ? 8 : 3));
    }
  }
  Tuned cost_clf(knn, objectives[0].params);
  cost_clf.fit(d.X, d.y);
  CHECK(cost_clf.score() == cost_clf.choice().expected_cost);
  CHECK_THAT(cost_clf.score(), WithinAbs(o.cost(objectives[0].want, 1, 6) / 240.0, 1e-15));
}

TEST_CASE("TunedThresholdClassifier: bad input and parameters", "[model_selection][thresholds]") {
  using osprey::InvalidArgument;
  require_throws_containing<InvalidArgument>([] { Tuned(Knn(), {.cost_fn = -1}); }, "cost_fn");
  require_throws_containing<InvalidArgument>([] { Tuned(Knn(), {.beta = 0}); }, "beta");
  require_throws_containing<InvalidArgument>([] { Tuned(Knn(), {.min_recall = 2}); }, "min_recall");
  require_throws_containing<InvalidArgument>([] { Tuned(Knn(), {.cv = {.n_splits = 1}}); },
                                             "n_splits");
  Tuned clf(Knn({.n_neighbors = 3}), {.cv = {.n_splits = 3}});
  require_throws_containing<osprey::NotFittedError>([&] { (void)clf.best_threshold(); },
                                                    "not fitted");
  const Data d = fraud_data(60, 9);
  Eigen::VectorXi three = d.y;
  three(0) = 5;
  require_throws_containing<InvalidArgument>([&] { clf.fit(d.X, three); }, "exactly two");
  require_throws_containing<InvalidArgument>([&] { clf.fit(d.X, Eigen::VectorXi::Zero(60)); },
                                             "exactly two");
  require_throws_containing<InvalidArgument>([&] { clf.fit(d.X, Eigen::VectorXi(d.y.head(5))); },
                                             "inconsistent lengths");
  std::ostringstream out;
  CHECK_THROWS_AS(osprey::save(clf, out), osprey::NotFittedError);
}

TEST_CASE("TunedThresholdClassifier: save/load round-trips bit-identically",
          "[model_selection][thresholds][serialize]") {
  const Data d = fraud_data(120, 11);
  Tuned clf(Knn({.n_neighbors = 7, .weights = osprey::Weights::distance}),
            {.objective = osprey::ThresholdObjective::cost,
             .cost_fp = 1,
             .cost_fn = 4,
             .cv = {.n_splits = 3}});
  clf.fit(d.X, d.y);
  std::ostringstream out;
  osprey::save(clf, out);
  const std::string bytes = out.str();
  std::istringstream in(bytes);
  const Tuned copy = osprey::load<Tuned>(in);
  const Data q = fraud_data(40, 12);
  CHECK(copy.best_threshold() == clf.best_threshold());
  CHECK(std::memcmp(&copy.choice(), &clf.choice(), sizeof(ThresholdChoice)) == 0);
  CHECK(copy.score() == clf.score());
  CHECK(copy.params().cost_fn == 4);
  CHECK(copy.params().cv.n_splits == 3);
  CHECK(copy.predict(q.X) == clf.predict(q.X));
  CHECK(copy.predict_proba(q.X) == clf.predict_proba(q.X));
  // truncations and another Scalar are refused
  for (std::size_t len = 0; len < bytes.size(); len += 7) {
    std::istringstream cut(bytes.substr(0, len));
    CHECK_THROWS_AS(osprey::load<Tuned>(cut), osprey::FormatError);
  }
  std::istringstream other(bytes);
  CHECK_THROWS_AS(
      osprey::load<osprey::TunedThresholdClassifier<osprey::KNeighborsClassifier<float>>>(other),
      osprey::FormatError);
  // a float estimator round-trips too
  osprey::TunedThresholdClassifier<osprey::KNeighborsClassifier<float>> f(
      osprey::KNeighborsClassifier<float>({.n_neighbors = 5}), {.cv = {.n_splits = 3}});
  f.fit(d.X, d.y);
  std::ostringstream fout;
  osprey::save(f, fout);
  std::istringstream fin(fout.str());
  const auto fcopy = osprey::load<decltype(f)>(fin);
  CHECK(fcopy.best_threshold() == f.best_threshold());
  CHECK(fcopy.predict(q.X) == f.predict(q.X));
}

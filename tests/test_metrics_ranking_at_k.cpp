#include "common/prelude.hpp"

#include <fstream>
#include <limits>
#include <osprey/core/random.hpp>
#include <osprey/metrics/ranking_at_k.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/estimator_checks.hpp"
#include "common/fixtures.hpp"
#include "test_metrics_helpers.hpp"

using osprey::testing::close12;
using osprey::testing::require_throws_containing;

using osprey::testing::field_numbers;
using osprey::testing::split_fields;
namespace {

std::vector<std::vector<std::string>> cases(const std::string& file) {
  std::ifstream in(osprey::testing::fixture_path("ranking_at_k/" + file));
  if (!in) throw std::runtime_error("cannot open fixture " + file);
  std::vector<std::vector<std::string>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(split_fields(line, ';'));
  }
  return out;
}

Eigen::VectorXd weights_of(const std::string& field) {
  return field == "none" ? Eigen::VectorXd() : field_numbers(field);
}

void require_close(const Eigen::VectorXd& got, const Eigen::VectorXd& want, const char* what) {
  INFO(what);
  REQUIRE(got.size() == want.size());
  for (Eigen::Index i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got(i) << " want " << want(i));
    CHECK(close12(got(i), want(i)));
  }
}

// Labels with ties and some positives; scores rounded to make ties.
struct Data {
  Eigen::VectorXi y;
  Eigen::VectorXd s;
};

Data tied_data(Eigen::Index n, std::uint64_t seed) {
  osprey::Rng rng(seed);
  Data d{Eigen::VectorXi(n), Eigen::VectorXd(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    d.y(i) = rng.uniform() < 0.2 ? 1 : 0;
    d.s(i) = std::round(4.0 * (rng.normal() + d.y(i))) / 4.0;
  }
  return d;
}

// DCG of one query by its definition, in O(d^2): document i, tied with g documents of which
// `above` score higher, gets the mean discount of ranks [above, above + g).
double brute_dcg(const Eigen::VectorXd& rel, const Eigen::VectorXd& s, Eigen::Index k) {
  double total = 0.0;
  for (Eigen::Index i = 0; i < s.size(); ++i) {
    const auto above = (s.array() > s(i)).count();
    const auto tied = (s.array() == s(i)).count();
    double disc = 0.0;
    for (Eigen::Index r = above; r < above + tied; ++r) {
      if (r < k) disc += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    }
    total += rel(i) * disc / static_cast<double>(tied);
  }
  return total;
}

}  // namespace

TEST_CASE("dcg_score and ndcg_score equal scikit-learn on generated cases", "[metrics][ranking]") {
  const auto all = cases("dcg_cases.txt");
  REQUIRE(all.size() >= 50);
  for (const auto& c : all) {
    INFO("case " << c[0]);
    const auto q = static_cast<Eigen::Index>(std::stol(c[1]));
    const auto d = static_cast<Eigen::Index>(std::stol(c[2]));
    const std::optional<int> k =
        c[3] == "none" ? std::nullopt : std::optional<int>(std::stoi(c[3]));
    const Eigen::VectorXd w = weights_of(c[4]);
    const Eigen::VectorXd rv = field_numbers(c[5]);
    const Eigen::VectorXd sv = field_numbers(c[6]);
    const Eigen::MatrixXd rel = Eigen::Map<const osprey::RowMatrix<double>>(rv.data(), q, d);
    const Eigen::MatrixXd s = Eigen::Map<const osprey::RowMatrix<double>>(sv.data(), q, d);
    CHECK(close12(osprey::dcg_score(rel, s, k, w), std::stod(c[7])));
    if (c[8] == "raise") {
      require_throws_containing<osprey::InvalidArgument>(
          [&] { (void)osprey::ndcg_score(rel, s, k, w); }, "non-negative");
      continue;
    }
    const double want = std::stod(c[8]);
    CHECK(close12(osprey::ndcg_score(rel, s, k, w), want));
    if (q == 1) {  // a pair of vectors is one query
      const Eigen::VectorXd r1 = rel.row(0).transpose();
      const Eigen::VectorXd s1 = s.row(0).transpose();
      CHECK(close12(osprey::ndcg_score(r1, s1, k), want));
    }
    const Eigen::MatrixXi grades = rel.cast<int>();  // integer relevance, where it is integral
    if ((grades.cast<double>().array() == rel.array()).all()) {
      CHECK(close12(osprey::ndcg_score(grades, s, k, w), want));
    }
  }
}

TEST_CASE("dcg_score and ndcg_score: scikit-learn's documented examples", "[metrics][ranking]") {
  Eigen::RowVectorXd rel(5), s(5), tied(5);
  rel << 10, 0, 0, 1, 5;
  s << .1, .2, .3, 4, 70;
  tied << 1, 0, 0, 0, 1;
  CHECK_THAT(osprey::dcg_score(rel, s), Catch::Matchers::WithinAbs(9.4995, 1e-4));
  CHECK_THAT(osprey::dcg_score(rel, s, 2), Catch::Matchers::WithinAbs(5.6309, 1e-4));
  CHECK(osprey::dcg_score(rel, tied, 1) == 7.5);  // (10 + 5) / 2
  CHECK_THAT(osprey::ndcg_score(rel, tied, 1), Catch::Matchers::WithinAbs(0.75, 1e-15));
  CHECK_THAT(osprey::ndcg_score(rel, rel, 4), Catch::Matchers::WithinAbs(1.0, 1e-15));
  const Eigen::RowVectorXf sf = s.cast<float>();  // float scores rank as float
  CHECK(osprey::ndcg_score(rel, sf) == osprey::ndcg_score(rel, s));
}

TEST_CASE("dcg_score: extreme and crowded scores equal the definition", "[metrics][ranking]") {
  osprey::Rng rng(3);
  const double big = std::numeric_limits<double>::max();
  const double tiny = std::numeric_limits<double>::denorm_min();
  for (int kind = 0; kind < 5; ++kind) {
    const Eigen::Index d = 300;
    Eigen::VectorXd rel(d), s(d);
    for (Eigen::Index j = 0; j < d; ++j) {
      rel(j) = static_cast<double>(rng.bounded(4));
      const double u = rng.normal();
      switch (kind) {
        case 0:
          s(j) = j % 7 == 0 ? 1e300 * u : u;
          break;  // outliers crowd one bucket
        case 1:
          s(j) = j % 2 == 0 ? big : -big * (u > 0 ? 1 : 0.5);
          break;  // range overflows
        case 2:
          s(j) = tiny * static_cast<double>(rng.bounded(5));
          break;  // subnormal range
        case 3:
          s(j) = std::exp(20.0 * u);
          break;  // heavy tail
        default:
          s(j) = j % 3 == 0 ? -0.0 : 0.0;
          break;  // signed zeros tie
      }
    }
    for (const Eigen::Index k : {Eigen::Index{1}, Eigen::Index{17}, Eigen::Index{150}, d}) {
      INFO("kind " << kind << ", k = " << k);
      CHECK(close12(osprey::dcg_score(rel, s, static_cast<int>(k)), brute_dcg(rel, s, k)));
    }
  }
}

TEST_CASE("ndcg_score: query weights act as repeated or dropped queries, on any thread count",
          "[metrics][ranking][weights]") {
  osprey::Rng rng(5);
  const Eigen::Index q = 192, d = 700;  // 134k entries: the threaded path
  Eigen::MatrixXd rel(q, d), s(q, d);
  for (Eigen::Index i = 0; i < q; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) {
      rel(i, j) = static_cast<double>(rng.bounded(4));
      s(i, j) = std::round(rng.normal() + 0.4 * rel(i, j));
    }
  }
  Eigen::VectorXd w(q);
  for (Eigen::Index i = 0; i < q; ++i) w(i) = static_cast<double>(rng.bounded(3));
  const Eigen::Index kept = (w.array() > 0).count();
  const auto total = static_cast<Eigen::Index>(w.sum());
  Eigen::MatrixXd rel_rep(total, d), s_rep(total, d), rel_kept(kept, d), s_kept(kept, d);
  for (Eigen::Index i = 0, r = 0, m = 0; i < q; ++i) {
    for (int t = 0; t < static_cast<int>(w(i)); ++t, ++r) {
      rel_rep.row(r) = rel.row(i);
      s_rep.row(r) = s.row(i);
    }
    if (w(i) > 0) {
      rel_kept.row(m) = rel.row(i);
      s_kept.row(m++) = s.row(i);
    }
  }
  for (const std::optional<int> k : {std::optional<int>(), std::optional<int>(10)}) {
    const double one = osprey::ndcg_score(rel, s, k, w, osprey::Execution{.n_threads = 1});
    CHECK(osprey::ndcg_score(rel, s, k, w, osprey::Execution{.n_threads = 2}) == one);
    CHECK(close12(osprey::ndcg_score(rel_rep, s_rep, k), one));
    Eigen::VectorXd wk(kept);  // the non-zero weights, in order
    for (Eigen::Index i = 0, m = 0; i < q; ++i) {
      if (w(i) > 0) wk(m++) = w(i);
    }
    CHECK(close12(osprey::ndcg_score(rel_kept, s_kept, k, wk), one));
    CHECK(close12(osprey::dcg_score(rel_rep, s_rep, k), osprey::dcg_score(rel, s, k, w)));
  }
}

TEST_CASE("precision_at_k and recall_at_k equal the permutation-averaged brute force",
          "[metrics][ranking]") {
  const auto all = cases("at_k_cases.txt");
  REQUIRE(all.size() >= 50);
  for (const auto& c : all) {
    INFO("case " << c[0]);
    const Eigen::VectorXi y = field_numbers(c[1]).cast<int>();
    const Eigen::VectorXd s = field_numbers(c[2]);
    const Eigen::VectorXd w = weights_of(c[3]);
    const Eigen::Index k = std::stol(c[4]);
    CHECK(close12(osprey::precision_at_k(y, s, k, w), std::stod(c[5])));
    if (c[6] == "raise") {
      require_throws_containing<osprey::InvalidArgument>(
          [&] { (void)osprey::recall_at_k(y, s, k, w); }, "no positive");
    } else {
      CHECK(close12(osprey::recall_at_k(y, s, k, w), std::stod(c[6])));
    }
  }
}

TEST_CASE("precision_at_k: a tie straddling k counts its expected share", "[metrics][ranking]") {
  Eigen::VectorXi y(4);
  Eigen::VectorXd s(4);
  y << 1, 0, 1, 0;
  s << 0.9, 0.5, 0.5, 0.1;
  CHECK(osprey::precision_at_k(y, s, 2) == 0.75);  // 1 + 1/2 positives in 2
  CHECK(osprey::recall_at_k(y, s, 2) == 0.75);
  CHECK(osprey::precision_at_k(y, s, 10) == 0.5);  // k capped at n: the prevalence
  CHECK(osprey::recall_at_k(y, s, 10) == 1.0);
  const Eigen::VectorXf sf = s.cast<float>();
  CHECK(osprey::precision_at_k(y, sf, 2) == 0.75);
}

TEST_CASE("cumulative_gain_curve equals its definition, tied scores in one step",
          "[metrics][ranking]") {
  const auto all = cases("gain_cases.txt");
  REQUIRE(all.size() >= 50);
  for (const auto& c : all) {
    INFO("case " << c[0]);
    const Eigen::VectorXi y = field_numbers(c[1]).cast<int>();
    const Eigen::VectorXd s = field_numbers(c[2]);
    const Eigen::VectorXd w = weights_of(c[3]);
    const auto want = split_fields(c[4], '|');
    const osprey::GainCurve g = osprey::cumulative_gain_curve(y, s, w);
    require_close(g.population, field_numbers(want[0]), "population");
    require_close(g.recall, field_numbers(want[1]), "recall");
    require_close(g.precision, field_numbers(want[2]), "precision");
    require_close(g.lift, field_numbers(want[3]), "lift");
    require_close(g.thresholds, field_numbers(want[4]), "thresholds");
    CHECK(g.fpr.size() == 0);
  }
}

TEST_CASE("ranking at k: integer weights are repeated rows, weight 0 a dropped row",
          "[metrics][ranking][weights]") {
  const Data d = tied_data(600, 11);
  osprey::Rng rng(12);
  Eigen::VectorXd w(d.y.size());
  for (Eigen::Index i = 0; i < w.size(); ++i) w(i) = static_cast<double>(rng.bounded(3));
  std::vector<int> yr, yk;
  std::vector<double> sr, sk;
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    for (int t = 0; t < static_cast<int>(w(i)); ++t) {
      yr.push_back(d.y(i));
      sr.push_back(d.s(i));
    }
    if (w(i) > 0) {
      yk.push_back(d.y(i));
      sk.push_back(d.s(i));
    }
  }
  const Eigen::VectorXi y_rep =
      Eigen::VectorXi::Map(yr.data(), static_cast<Eigen::Index>(yr.size()));
  const Eigen::VectorXd s_rep =
      Eigen::VectorXd::Map(sr.data(), static_cast<Eigen::Index>(sr.size()));
  const Eigen::VectorXi y_kept =
      Eigen::VectorXi::Map(yk.data(), static_cast<Eigen::Index>(yk.size()));
  const Eigen::VectorXd s_kept =
      Eigen::VectorXd::Map(sk.data(), static_cast<Eigen::Index>(sk.size()));
  const Eigen::VectorXd ones_kept = Eigen::VectorXd::Ones(y_kept.size());
  Eigen::VectorXd w01 = (w.array() > 0).cast<double>();
  for (const Eigen::Index k :
       {Eigen::Index{1}, Eigen::Index{37}, Eigen::Index{250}, Eigen::Index{5000}}) {
    INFO("k = " << k);
    CHECK(close12(osprey::precision_at_k(d.y, d.s, k, w), osprey::precision_at_k(y_rep, s_rep, k)));
    CHECK(close12(osprey::recall_at_k(d.y, d.s, k, w), osprey::recall_at_k(y_rep, s_rep, k)));
    CHECK(close12(osprey::precision_at_k(d.y, d.s, k, w01),
                  osprey::precision_at_k(y_kept, s_kept, k)));
    // unit weights take the sorting path; no weights the selection path
    CHECK(close12(osprey::precision_at_k(y_kept, s_kept, k, ones_kept),
                  osprey::precision_at_k(y_kept, s_kept, k)));
  }
  const osprey::GainCurve a = osprey::cumulative_gain_curve(d.y, d.s, w);
  const osprey::GainCurve b = osprey::cumulative_gain_curve(y_rep, s_rep);
  require_close(a.population, b.population, "population");
  require_close(a.recall, b.recall, "recall");
  require_close(a.lift, b.lift, "lift");
  require_close(a.thresholds, b.thresholds, "thresholds");
  const osprey::GainCurve c = osprey::cumulative_gain_curve(d.y, d.s, w01);
  const osprey::GainCurve e = osprey::cumulative_gain_curve(y_kept, s_kept, ones_kept);
  require_close(c.recall, osprey::cumulative_gain_curve(y_kept, s_kept).recall, "dropped rows");
  require_close(e.precision, osprey::cumulative_gain_curve(y_kept, s_kept).precision, "radix path");
}

TEST_CASE("ranking at k: bad inputs throw and name the problem", "[metrics][ranking]") {
  using osprey::InvalidArgument;
  Eigen::VectorXi y(4);
  Eigen::VectorXd s(4);
  y << 1, 0, 1, 0;
  s << 0.9, 0.5, 0.5, 0.1;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  require_throws_containing<InvalidArgument>([&] { (void)osprey::precision_at_k(y, s, 0); },
                                             "k must be >= 1");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::recall_at_k(y, s.head(3), 2); },
                                             "inconsistent lengths");
  Eigen::VectorXd sn = s;
  sn(2) = nan;
  require_throws_containing<InvalidArgument>([&] { (void)osprey::precision_at_k(y, sn, 2); },
                                             "index 2");
  Eigen::VectorXi y2 = y;
  y2(1) = 2;
  require_throws_containing<InvalidArgument>([&] { (void)osprey::precision_at_k(y2, s, 2); },
                                             "{0, 1}");
  Eigen::VectorXd w(4);
  w << 1, -1, 1, 1;
  require_throws_containing<InvalidArgument>([&] { (void)osprey::precision_at_k(y, s, 2, w); },
                                             "row 1");
  w.setZero();
  require_throws_containing<InvalidArgument>([&] { (void)osprey::precision_at_k(y, s, 2, w); },
                                             "zero");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::cumulative_gain_curve(y, s, w); },
                                             "zero");
  const Eigen::VectorXi none = Eigen::VectorXi::Zero(4);
  CHECK(osprey::precision_at_k(none, s, 2) == 0.0);
  require_throws_containing<InvalidArgument>([&] { (void)osprey::recall_at_k(none, s, 2); },
                                             "no positive");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::cumulative_gain_curve(none, s); },
                                             "no positive");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::precision_at_k(Eigen::VectorXi(), Eigen::VectorXd(), 1); }, "empty");

  Eigen::MatrixXd rel(2, 3), sc(2, 3);
  rel << 1, 0, 2, 0, 1, 1;
  sc << 0.1, 0.2, 0.3, 0.3, 0.2, 0.1;
  require_throws_containing<InvalidArgument>([&] { (void)osprey::ndcg_score(rel, sc, 0); },
                                             "k must be >= 1");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::ndcg_score(rel, sc.leftCols(2)); },
                                             "2 x 2");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::dcg_score(rel.leftCols(1), sc.leftCols(1)); }, "at least 2 documents");
  Eigen::MatrixXd bad = sc;
  bad(1, 2) = nan;
  require_throws_containing<InvalidArgument>([&] { (void)osprey::dcg_score(rel, bad); },
                                             "row 1, column 2");
  Eigen::MatrixXd neg = rel;
  neg(1, 0) = -1.0;
  require_throws_containing<InvalidArgument>([&] { (void)osprey::ndcg_score(neg, sc); },
                                             "row 1, column 0");
  CHECK(std::isfinite(osprey::dcg_score(neg, sc)));  // DCG accepts negative gains, as scikit-learn
  Eigen::VectorXd qw(2);
  qw << 0, 0;
  require_throws_containing<InvalidArgument>([&] { (void)osprey::ndcg_score(rel, sc, {}, qw); },
                                             "sums to 0");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::ndcg_score(rel, sc, {}, qw.head(1)); }, "sample_weight");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::ndcg_score(Eigen::MatrixXd(0, 3), Eigen::MatrixXd(0, 3)); }, "0 queries");
  const Eigen::MatrixXd zero = Eigen::MatrixXd::Zero(2, 3);
  CHECK(osprey::ndcg_score(zero, sc) == 0.0);  // all-zero relevance: 0, as scikit-learn
  osprey::Execution cancelled;
  cancelled.cancellation.cancel();
  CHECK_THROWS_AS(osprey::ndcg_score(rel, sc, {}, osprey::detail::unweighted(), cancelled),
                  osprey::Cancelled);
}

#include "common/prelude.hpp"

#include <osprey/core/concepts.hpp>
#include <osprey/core/random.hpp>
#include <osprey/io/serialize.hpp>
#include <osprey/streams/half_space_trees.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

#include "common/estimator_checks.hpp"

using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;
using osprey::Alarm;
using osprey::FeatureRange;
using osprey::HalfSpaceTrees;
using osprey::InvalidArgument;
using osprey::RowMatrix;
using osprey::testing::require_throws_containing;

static_assert(osprey::StreamDetector<HalfSpaceTrees<double>>);
static_assert(osprey::StreamDetector<HalfSpaceTrees<float>>);
static_assert(!osprey::OutlierDetector<HalfSpaceTrees<double>>);
static_assert(osprey::Serializable<HalfSpaceTrees<double>>);

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/** n x d standard normal rows (plus `shift`), row-major. */
RowMatrix<double> normal_rows(Eigen::Index n, Eigen::Index d, std::uint64_t seed,
                              double shift = 0.0) {
  osprey::Rng rng(seed);
  RowMatrix<double> X(n, d);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = shift + rng.normal();
  return X;
}

std::vector<FeatureRange> ranges(Eigen::Index d, double lo, double hi) {
  return std::vector<FeatureRange>(static_cast<std::size_t>(d), FeatureRange{lo, hi});
}

/** One sample of one feature. */
Eigen::RowVectorXd one(double v) { return Eigen::RowVectorXd::Constant(1, v); }

/** The leaf (heap index) x reaches in tree t, walked through the public split accessors. */
template <class S>
Eigen::Index leaf_of(const HalfSpaceTrees<S>& h, int t, const Eigen::RowVectorXd& x) {
  const Eigen::Index internal = (Eigen::Index{1} << h.params().height) - 1;
  Eigen::Index p = 0;
  while (p < internal) {
    const auto v = static_cast<S>(x(h.split_feature(t, p)));
    p = 2 * p + 1 + (v >= h.split_value(t, p) ? 1 : 0);
  }
  return p;
}

/** Quantile q of v (sorted copy, nearest rank). */
double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

}  // namespace

TEST_CASE("HalfSpaceTrees: the splits of one feature are the work space's midpoints",
          "[streams][hst]") {
  // One feature: the root splits the work space [s - 2m, s + 2m] (m = max(s, 1 - s)) at s, its
  // children at s - m and s + m, in units of the range [10, 14].
  HalfSpaceTrees<> h(
      {.n_trees = 1, .height = 2, .window_size = 4, .limits = {{10.0, 14.0}}, .random_state = 3});
  const double s = osprey::Rng(3).split(0).uniform();
  const double m = std::max(s, 1.0 - s);
  CHECK_THAT(h.split_value(0, 0), WithinAbs(10.0 + 4.0 * s, 1e-12));
  CHECK_THAT(h.split_value(0, 1), WithinAbs(10.0 + 4.0 * (s - m), 1e-12));
  CHECK_THAT(h.split_value(0, 2), WithinAbs(10.0 + 4.0 * (s + m), 1e-12));
  for (Eigen::Index p = 0; p < 3; ++p) CHECK(h.split_feature(0, p) == 0);
}

TEST_CASE("HalfSpaceTrees: hand-computed masses and scores, 1 tree, height 2, window 4",
          "[streams][hst]") {
  HalfSpaceTrees<> h(
      {.n_trees = 1, .height = 2, .window_size = 4, .limits = {{0.0, 1.0}}, .random_state = 11});
  const double t0 = h.split_value(0, 0), t1 = h.split_value(0, 1), t2 = h.split_value(0, 2);
  REQUIRE(t1 < t0);
  REQUIRE(t0 < t2);
  // one point in each leaf: 3 (x < t1), 4 (t1 <= x < t0), 5 (t0 <= x < t2), 6 (x >= t2)
  const double in3 = t1 - 1.0, in4 = 0.5 * (t1 + t0), in5 = 0.5 * (t0 + t2), in6 = t2 + 1.0;
  REQUIRE(leaf_of(h, 0, one(in3)) == 3);
  REQUIRE(leaf_of(h, 0, one(in4)) == 4);
  REQUIRE(leaf_of(h, 0, one(in5)) == 5);
  REQUIRE(leaf_of(h, 0, one(in6)) == 6);

  // First window: no reference, every score 0 and no alarm.
  for (const double v : {in3, in3, in4, in6}) {
    const auto sig = h.update(one(v));
    CHECK(sig.upper_statistic == 0.0);
    CHECK(sig.alarm == Alarm::none);
    CHECK(sig.upper_limit == 0.9);
    CHECK(sig.lower_limit == -std::numeric_limits<double>::infinity());
  }
  REQUIRE(h.has_reference());
  CHECK(h.window_position() == 0);
  const std::vector<std::int64_t> r{4, 3, 1, 2, 1, 0, 1};
  for (Eigen::Index p = 0; p < 7; ++p) {
    CHECK(h.reference_mass(0, p) == r[static_cast<std::size_t>(p)]);
    CHECK(h.latest_mass(0, p) == 0);
  }
  // The size limit 0.1 * 4 makes a node terminal only when r = 0, so every path ends at its
  // leaf: score = 1 / (1 + r 2^2 / 4).
  CHECK(h.score(one(in3)) == 1.0 / 3.0);  // r = 2
  CHECK(h.score(one(in4)) == 0.5);        // r = 1
  CHECK(h.score(one(in5)) == 1.0);        // r = 0
  CHECK(h.score(one(in6)) == 0.5);

  // Second window: four samples in leaf 5, each scored against the first window.
  for (int i = 0; i < 4; ++i) {
    const auto sig = h.update(one(in5));
    CHECK(sig.upper_statistic == 1.0);
    CHECK(sig.alarm == Alarm::upper);
    if (i == 0) {
      CHECK(h.latest_mass(0, 0) == 1);
      CHECK(h.latest_mass(0, 2) == 1);
      CHECK(h.latest_mass(0, 5) == 1);
      CHECK(h.latest_mass(0, 1) == 0);
    }
  }
  const std::vector<std::int64_t> r2{4, 0, 4, 0, 0, 4, 0};
  for (std::size_t p = 0; p < 7; ++p) CHECK(h.reference_mass(0, Eigen::Index(p)) == r2[p]);
  CHECK(h.score(one(in3)) == 1.0);  // node 1 (r = 0) ends the path at depth 1
  CHECK(h.score(one(in5)) == 0.2);  // 1 / (1 + 4 * 4 / 4)
}

TEST_CASE("HalfSpaceTrees: a node below the size limit ends the path", "[streams][hst]") {
  // window 20: limit 0.1 * 20 = 2, a node with r <= 1 is terminal.
  HalfSpaceTrees<> h(
      {.n_trees = 1, .height = 2, .window_size = 20, .limits = {{0.0, 1.0}}, .random_state = 5});
  const double t0 = h.split_value(0, 0), t1 = h.split_value(0, 1), t2 = h.split_value(0, 2);
  const double in3 = t1 - 1.0, in5 = 0.5 * (t0 + t2), in6 = t2 + 1.0;
  for (int i = 0; i < 19; ++i) h.learn(one(in3));
  h.learn(one(in6));
  REQUIRE(h.reference_mass(0, 2) == 1);
  // leaves 5 and 6 stop at node 2 (depth 1, r = 1): S = 1 * 2
  CHECK_THAT(h.score(one(in5)), WithinRel(1.0 / (1.0 + 2.0 / 20.0), 1e-15));
  CHECK_THAT(h.score(one(in6)), WithinRel(1.0 / (1.0 + 2.0 / 20.0), 1e-15));
  // leaf 3: r = 19 at depth 2, S = 76
  CHECK_THAT(h.score(one(in3)), WithinRel(1.0 / (1.0 + 76.0 / 20.0), 1e-15));
}

TEST_CASE("HalfSpaceTrees: masses equal a recount of the last two windows", "[streams][hst]") {
  // The window swap zeroes only the nodes the window before touched (window 16 <= 2^5 leaves),
  // or every node (window 40 > 2^3 leaves): check every node of every tree against a
  // brute-force count over many windows.
  const Eigen::Index d = 3;
  for (const auto& [height, psi] : {std::pair{5, 16}, std::pair{3, 40}}) {
    HalfSpaceTrees<> h({.n_trees = 3,
                        .height = height,
                        .window_size = psi,
                        .limits = ranges(d, -2, 2),
                        .random_state = 9});
    const RowMatrix<double> X = normal_rows(psi * 7 + 5, d, 4);
    (void)h.score_learn(X);
    const Eigen::Index n_nodes = (Eigen::Index{2} << height) - 1;
    const Eigen::Index latest_start = psi * 7, reference_start = psi * 6;
    for (int t = 0; t < 3; ++t) {
      std::vector<std::int64_t> latest(static_cast<std::size_t>(n_nodes), 0);
      std::vector<std::int64_t> reference(static_cast<std::size_t>(n_nodes), 0);
      for (Eigen::Index i = reference_start; i < X.rows(); ++i) {
        auto& m = i >= latest_start ? latest : reference;
        for (Eigen::Index p = leaf_of(h, t, X.row(i));; p = (p - 1) / 2) {
          ++m[static_cast<std::size_t>(p)];
          if (p == 0) break;
        }
      }
      for (Eigen::Index p = 0; p < n_nodes; ++p) {
        INFO("height " << height << " tree " << t << " node " << p);
        CHECK(h.latest_mass(t, p) == latest[static_cast<std::size_t>(p)]);
        CHECK(h.reference_mass(t, p) == reference[static_cast<std::size_t>(p)]);
      }
    }
  }
}

TEMPLATE_TEST_CASE("HalfSpaceTrees: score_learn equals the update loop, bit for bit",
                   "[streams][hst]", float, double) {
  const Eigen::Index d = 4;
  const osprey::HalfSpaceTreesParams p{
      .n_trees = 7, .height = 6, .window_size = 50, .limits = ranges(d, -3, 3), .random_state = 21};
  const RowMatrix<double> X = normal_rows(333, d, 8);
  HalfSpaceTrees<TestType> batch(p), loop(p), col(p);
  const auto s = batch.score_learn(X);
  const Eigen::MatrixXd Xc = X;  // column-major: rows are copied in blocks
  const auto sc = col.score_learn(Xc);
  REQUIRE(s.size() == X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const auto sig = loop.update(X.row(i));
    REQUIRE(sig.upper_statistic == s(i));
    REQUIRE(sc(i) == s(i));
  }
  CHECK((s.head(50).array() == 0).all());
  CHECK((s.tail(283).array() > 0).all());
  CHECK((s.array() <= 1).all());
  // score alone (which stops at the terminal nodes) agrees with the fused walk
  const Eigen::RowVectorXd q = X.row(7);
  const TestType before = loop.score(q);
  CHECK(loop.update(q).upper_statistic == before);
}

TEST_CASE("HalfSpaceTrees: the same seed builds the same trees", "[streams][hst]") {
  const osprey::HalfSpaceTreesParams p{
      .n_trees = 3, .height = 4, .limits = ranges(5, 0, 1), .random_state = 42};
  HalfSpaceTrees<> a(p), b(p);
  auto q = p;
  q.random_state = 43;
  HalfSpaceTrees<> c(q);
  bool differs = false;
  for (int t = 0; t < 3; ++t) {
    for (Eigen::Index n = 0; n < 15; ++n) {
      CHECK(a.split_feature(t, n) == b.split_feature(t, n));
      CHECK(a.split_value(t, n) == b.split_value(t, n));
      differs = differs || a.split_value(t, n) != c.split_value(t, n);
    }
  }
  CHECK(differs);
}

TEST_CASE("HalfSpaceTrees: a stationary stream keeps a stable score distribution",
          "[streams][hst]") {
  const Eigen::Index d = 4, psi = 250, windows = 16;
  HalfSpaceTrees<> h(
      {.height = 10, .window_size = 250, .limits = ranges(d, -4, 4), .random_state = 1});
  const Eigen::VectorXd s = h.score_learn(normal_rows(psi * windows, d, 17));
  // after two windows, the median and 90% quantile of each window's scores stay within 20% of
  // those of all of them
  const std::vector<double> all(s.data() + 2 * psi, s.data() + s.size());
  const double med = quantile(all, 0.5), q90 = quantile(all, 0.9);
  for (Eigen::Index w = 2; w < windows; ++w) {
    const std::vector<double> win(s.data() + w * psi, s.data() + (w + 1) * psi);
    INFO("window " << w);
    CHECK_THAT(quantile(win, 0.5), WithinRel(med, 0.2));
    CHECK_THAT(quantile(win, 0.9), WithinRel(q90, 0.2));
  }
}

TEST_CASE("HalfSpaceTrees: a planted shift raises the scores within one window, then adapts",
          "[streams][hst]") {
  const Eigen::Index d = 4, psi = 100;
  HalfSpaceTrees<> h(
      {.height = 10, .window_size = 100, .limits = ranges(d, -4, 4), .random_state = 2});
  const Eigen::VectorXd before = h.score_learn(normal_rows(psi * 8, d, 5));
  const Eigen::VectorXd after = h.score_learn(normal_rows(psi * 4, d, 6, 3.0));
  const std::vector<double> normal(before.data() + 2 * psi, before.data() + before.size());
  const double q99 = quantile(normal, 0.99);
  // samples of the shifted stream score against the old window: most above the old 99% quantile
  const Eigen::Index hits = (after.head(psi).array() > q99).count();
  CHECK(hits >= 80);
  CHECK(after.head(psi).mean() > 5 * before.tail(psi).mean());
  // two windows later the reference is the shifted stream: scores are back among normal ones
  CHECK(after.tail(psi).mean() < 2 * quantile(normal, 0.5) + 0.05);
  CHECK((after.tail(psi).array() > q99).count() <= 10);
}

TEMPLATE_TEST_CASE("HalfSpaceTrees: save and load mid-stream continues bit-identically",
                   "[streams][hst][io]", float, double) {
  const Eigen::Index d = 3;
  // window 50 <= 2^7 leaves: the leaves are logged; 50 > 2^4: they are not
  for (const auto& [start, height] : {std::pair{0, 7}, std::pair{30, 7}, std::pair{130, 7},
                                      std::pair{30, 4}, std::pair{130, 4}}) {
    HalfSpaceTrees<TestType> h({.n_trees = 6,
                                .height = height,
                                .window_size = 50,
                                .limits = ranges(d, -3, 3),
                                .random_state = 77,
                                .threshold = 0.3});
    (void)h.score_learn(normal_rows(start, d, 3));
    std::stringstream buf;
    osprey::save(h, buf);
    auto g = osprey::load<HalfSpaceTrees<TestType>>(buf);
    INFO("start " << start << " height " << height);
    CHECK(g.window_position() == h.window_position());
    CHECK(g.has_reference() == h.has_reference());
    CHECK(g.params().threshold == 0.3);
    const RowMatrix<double> X = normal_rows(220, d, 4, 0.5);
    const auto a = h.score_learn(X);
    const auto b = g.score_learn(X);
    CHECK((a.array() == b.array()).all());
    // and the copy saves to the same bytes as the original
    std::stringstream x, y;
    osprey::save(h, x);
    osprey::save(g, y);
    CHECK(x.str() == y.str());
  }
}

TEST_CASE("HalfSpaceTrees: corrupted files throw FormatError", "[streams][hst][io]") {
  HalfSpaceTrees<> h({.n_trees = 2, .height = 3, .window_size = 8, .limits = ranges(2, 0, 1)});
  (void)h.score_learn(normal_rows(13, 2, 1));
  std::stringstream buf;
  osprey::save(h, buf);
  const std::string good = buf.str();
  for (std::size_t cut : {std::size_t{10}, good.size() / 2, good.size() - 1}) {
    std::istringstream in(good.substr(0, cut));
    CHECK_THROWS_AS(osprey::load<HalfSpaceTrees<>>(in), osprey::FormatError);
  }
  std::istringstream wrong(good);
  CHECK_THROWS_AS(osprey::load<HalfSpaceTrees<float>>(wrong), osprey::FormatError);
}

TEST_CASE("HalfSpaceTrees: bad parameters and samples throw naming the culprit", "[streams][hst]") {
  const auto lim = ranges(2, 0, 1);
  using P = osprey::HalfSpaceTreesParams;
  require_throws_containing<InvalidArgument>([&] { HalfSpaceTrees<>(P{.limits = {}}); }, "limits");
  require_throws_containing<InvalidArgument>(
      [&] {
        HalfSpaceTrees<>(P{.limits = {{0, 1}, {1, 1}}});
      },
      "limits[1]");
  require_throws_containing<InvalidArgument>(
      [&] {
        HalfSpaceTrees<>(P{.limits = {{2, 1}}});
      },
      "limits[0]");
  require_throws_containing<InvalidArgument>(
      [&] {
        HalfSpaceTrees<>(P{.limits = {{kNaN, 1}}});
      },
      "limits[0]");
  require_throws_containing<InvalidArgument>(
      [&] {
        HalfSpaceTrees<float>(P{.limits = {{0, 2e38}}});
      },
      "limits[0]");
  require_throws_containing<InvalidArgument>(
      [&] { HalfSpaceTrees<>(P{.n_trees = 0, .limits = lim}); }, "n_trees");
  require_throws_containing<InvalidArgument>(
      [&] { HalfSpaceTrees<>(P{.height = 0, .limits = lim}); }, "height");
  require_throws_containing<InvalidArgument>(
      [&] { HalfSpaceTrees<>(P{.height = 21, .limits = lim}); }, "height");
  require_throws_containing<InvalidArgument>(
      [&] { HalfSpaceTrees<>(P{.n_trees = 1000, .height = 20, .limits = lim}); }, "2^height");
  require_throws_containing<InvalidArgument>(
      [&] { HalfSpaceTrees<>(P{.window_size = 0, .limits = lim}); }, "window_size");
  require_throws_containing<InvalidArgument>(
      [&] { HalfSpaceTrees<>(P{.limits = lim, .threshold = kNaN}); }, "threshold");

  HalfSpaceTrees<> h({.n_trees = 2, .height = 3, .window_size = 4, .limits = lim});
  h.learn(Eigen::RowVector2d(0.5, 0.5));
  require_throws_containing<InvalidArgument>([&] { h.update(Eigen::RowVector3d(0, 0, 0)); },
                                             "2 features");
  require_throws_containing<InvalidArgument>([&] { (void)h.score(Eigen::Matrix2d::Zero()); },
                                             "2 features");
  require_throws_containing<InvalidArgument>([&] { h.update(Eigen::RowVector2d(0, kNaN)); },
                                             "x[1]");
  require_throws_containing<InvalidArgument>([&] { h.learn(Eigen::Vector2d(kNaN, 0)); }, "x[0]");
  require_throws_containing<InvalidArgument>(
      [&] { HalfSpaceTrees<float>(h.params()).update(Eigen::RowVector2d(0, 1e300)); }, "float");
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(5, 2);
  X(3, 1) = kNaN;
  require_throws_containing<InvalidArgument>([&] { (void)h.score_learn(X); }, "row 3, column 1");
  require_throws_containing<InvalidArgument>([&] { (void)h.score_learn(Eigen::MatrixXd(3, 3)); },
                                             "3 columns");
  CHECK(h.window_position() == 1);  // nothing learnt by the failed calls
  CHECK(h.latest_mass(0, 0) == 1);
  require_throws_containing<InvalidArgument>([&] { (void)h.reference_mass(2, 0); }, "tree");
  require_throws_containing<InvalidArgument>([&] { (void)h.latest_mass(0, 15); }, "node");
  require_throws_containing<InvalidArgument>([&] { (void)h.split_value(0, 7); }, "node");
}

TEST_CASE("HalfSpaceTrees: reset restarts the stream with the same trees", "[streams][hst]") {
  const osprey::HalfSpaceTreesParams p{
      .n_trees = 5, .height = 6, .window_size = 40, .limits = ranges(3, -3, 3), .random_state = 4};
  HalfSpaceTrees<> h(p), fresh(p);
  (void)h.score_learn(normal_rows(97, 3, 1));
  h.reset();
  CHECK_FALSE(h.has_reference());
  CHECK(h.window_position() == 0);
  for (Eigen::Index n = 0; n < 127; ++n) {
    CHECK(h.latest_mass(0, n) == 0);
    CHECK(h.reference_mass(4, n) == 0);
  }
  const RowMatrix<double> X = normal_rows(150, 3, 2);
  CHECK((h.score_learn(X).array() == fresh.score_learn(X).array()).all());
  // set_params rebuilds and restarts too
  auto q = p;
  q.random_state = 5;
  h.set_params(q);
  CHECK(h.params().random_state == 5);
  CHECK_FALSE(h.has_reference());
  require_throws_containing<InvalidArgument>([&] { h.set_params({.limits = {}}); }, "limits");
  CHECK(h.params().random_state == 5);
}

TEST_CASE("feature_ranges: per-column min and max, padded", "[streams][hst]") {
  Eigen::MatrixXd X(3, 2);
  X << 1, 5, 3, 5, 2, 5;
  const auto r = osprey::feature_ranges(X, 0.5);
  REQUIRE(r.size() == 2);
  CHECK(r[0].lo == 0.0);
  CHECK(r[0].hi == 4.0);
  CHECK(r[1].lo == 4.0);  // constant: [4.5, 5.5] padded by 0.5
  CHECK(r[1].hi == 6.0);
  require_throws_containing<InvalidArgument>([&] { (void)osprey::feature_ranges(X, -1.0); },
                                             "padding");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::feature_ranges(Eigen::MatrixXd(0, 2)); }, "empty");
}

// Extended Isolation Forest (IsolationForestParams::extension_level, Hariri, Kind & Brunner,
// IEEE TKDE 2021), IsolationForest::add_trees (scikit-learn's warm_start) and format version 3.
#include "common/prelude.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numbers>
#include <osprey/anomaly/isolation_forest.hpp>
#include <osprey/dist/isolation_forest.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/estimator_checks.hpp"

using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;
using osprey::IsolationForest;
using osprey::Matrix;
using osprey::testing::require_throws_containing;

namespace {

template <class S>
using Internals = osprey::detail::IsolationForestInternals<S>;

/** FNV-1a of the doubles of v (pins of whole score vectors). */
template <class V>
std::uint64_t hash_of(const V& v) {
  std::string bytes;
  for (Eigen::Index i = 0; i < v.size(); ++i) {
    const auto d = static_cast<double>(v(i));
    char b[8];
    std::memcpy(b, &d, 8);
    bytes.append(b, 8);
  }
  return osprey::detail::fnv1a64(bytes);
}

/** n Gaussian rows of d features and `n_out` rows far out on a diagonal, last. */
Matrix<double> planted(Eigen::Index n, Eigen::Index n_out, Eigen::Index d, std::uint64_t seed) {
  osprey::Rng rng(seed);
  Matrix<double> X(n + n_out, d);
  for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = rng.normal();
  for (Eigen::Index i = n; i < n + n_out; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) X(i, j) = (j % 2 == 0 ? 3.5 : -3.5) + 0.1 * rng.normal();
  }
  return X;
}

/** Rank-based ROC AUC of `score` (higher = outlier) for the last `n_out` rows. */
double auc_last(const Eigen::VectorXd& score, Eigen::Index n_out) {
  const Eigen::Index n_in = score.size() - n_out;
  double wins = 0.0;
  for (Eigen::Index o = n_in; o < score.size(); ++o) {
    for (Eigen::Index i = 0; i < n_in; ++i) {
      wins += score(o) > score(i) ? 1.0 : (score(o) == score(i) ? 0.5 : 0.0);
    }
  }
  return wins / static_cast<double>(n_in * n_out);
}

template <class S>
std::string saved(const IsolationForest<S>& f) {
  std::ostringstream out;
  f.save(out);
  return out.str();
}

template <class S>
IsolationForest<S> reloaded(const std::string& bytes) {
  std::istringstream in(bytes);
  return IsolationForest<S>::load(in);
}

/** Anomaly scores of a forest along a circle of radius r centred at the origin (2-D), at 720
 *  equally spaced angles: their variance and the amplitude of their cos(4 angle) component
 *  (> 0: higher on the axes than on the diagonals). */
std::pair<double, double> circle_scores(const IsolationForest<double>& f, double r) {
  Matrix<double> ring(720, 2);
  for (Eigen::Index i = 0; i < ring.rows(); ++i) {
    const double a = 2.0 * std::numbers::pi * static_cast<double>(i) / 720.0;
    ring(i, 0) = r * std::cos(a);
    ring(i, 1) = r * std::sin(a);
  }
  const Eigen::VectorXd s = f.anomaly_score(ring);
  double harmonic = 0.0;
  for (Eigen::Index i = 0; i < s.size(); ++i) {
    harmonic += s(i) * std::cos(8.0 * std::numbers::pi * static_cast<double>(i) / 720.0);
  }
  return {(s.array() - s.mean()).square().mean(), 2.0 * harmonic / 720.0};
}

struct ExtendedSpec {
  static constexpr const char* name = "IsolationForest";
  static constexpr bool supervised = false;
  static constexpr double float_tolerance = 1e-4;
  template <class S>
  static IsolationForest<S> make() {
    return IsolationForest<S>({.n_estimators = 25, .random_state = 3, .extension_level = 1});
  }
  template <class E, class X>
  static E& fit(E& e, const X& x, const Eigen::VectorXi&) {
    return e.fit(x);
  }
  template <class E, class X>
  static Matrix<double> apply(const E& e, const X& x) {
    return e.score_samples(x).template cast<double>();
  }
};

}  // namespace

TEST_CASE("Extended IsolationForest: level 0 is the axis-parallel forest of before, bit for bit",
          "[anomaly][isolation_forest][eif]") {
  // Pins of score vectors computed by the forest before extension_level existed (the commit
  // before it), on data of uniform draws. Builds with FMA may fuse the threshold draw
  // lo + u (hi - lo) and legitimately differ; there only the structure is checked.
  osprey::Rng rng(29);
  Matrix<double> X(700, 5);
  for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = rng.uniform() * 8.0 - 4.0;
  for (Eigen::Index i = 0; i < 7; ++i) X(i, i % 5) += 30.0;
  Eigen::VectorXd wi(700);
  Eigen::VectorXd wf(700);
  for (Eigen::Index i = 0; i < 700; ++i) {
    wi(i) = static_cast<double>(i % 3);
    wf(i) = 0.25 + static_cast<double>(i % 5) * 0.5;
  }
  IsolationForest<double> a(
      {.n_estimators = 30, .contamination = 0.05, .random_state = 4, .extension_level = 0});
  a.fit(X);
  IsolationForest<float> b({.n_estimators = 20,
                            .max_samples = 64,
                            .max_features = 3,
                            .bootstrap = true,
                            .random_state = 5});
  b.fit(X.cast<float>());
  IsolationForest<double> c({.n_estimators = 15, .contamination = 0.1, .random_state = 6});
  c.fit(X, wi);
  IsolationForest<double> d(
      {.n_estimators = 15, .max_samples = 100, .max_features = 0.6, .random_state = 7});
  d.fit(X, wf);
  for (const auto* s : {&Internals<double>::state(a), &Internals<double>::state(c)}) {
    CHECK_FALSE(s->hyperplanes());
    CHECK(s->normals.empty());
    CHECK(s->features.size() == s->thresholds.size());
  }
#if !defined(__FMA__)
  CHECK(hash_of(a.decision_function(X)) == 0x1bca030cbf5066e2);
  CHECK(a.offset() == -0.5459968434348218);
  CHECK(hash_of(b.score_samples(X.cast<float>())) == 0xbb8886afb5be77ec);
  CHECK(hash_of(c.decision_function(X)) == 0xf8e67e407400c5b8);
  CHECK(c.offset() == -0.52831677732325666);
  CHECK(hash_of(d.score_samples(X)) == 0x6fbba8737d69cdff);
#endif
}

TEST_CASE(
    "Extended IsolationForest: scores are positive and at most 1 and planted outliers rank first",
    "[anomaly][isolation_forest][eif]") {
  const Matrix<double> X = planted(400, 8, 6, 11);
  for (const int level : {1, 3, 5}) {
    INFO("extension_level " << level);
    IsolationForest<double> f({.n_estimators = 60, .random_state = 2, .extension_level = level});
    f.fit(X);
    const Eigen::VectorXd s = f.anomaly_score(X);
    CHECK((s.array() > 0.0).all());
    CHECK((s.array() <= 1.0).all());
    CHECK(f.score_samples(X) == -s);
    CHECK(auc_last(s, 8) > 0.99);
    CHECK(s.tail(8).minCoeff() > 0.55);  // a small cluster: masked a little
    // float forests agree to rounding
    IsolationForest<float> g({.n_estimators = 60, .random_state = 2, .extension_level = level});
    g.fit(X.cast<float>());
    CHECK(auc_last(g.anomaly_score(X.cast<float>()).cast<double>(), 8) > 0.99);
  }
}

TEST_CASE("Extended IsolationForest: every split of level L has exactly L + 1 non-zero terms",
          "[anomaly][isolation_forest][eif]") {
  const Matrix<double> X = planted(300, 4, 7, 5);
  for (const int level : {1, 2, 6}) {
    for (const bool subset : {false, true}) {
      INFO("extension_level " << level << (subset ? ", 6 of 7 features" : ""));
      if (subset && level == 6) continue;
      IsolationForest<double> f({.n_estimators = 5,
                                 .max_samples = 128,
                                 .max_features = subset ? 6 : 7,
                                 .random_state = 9,
                                 .extension_level = level});
      f.fit(X);
      const auto& s = Internals<double>::state(f);
      const auto k = static_cast<std::size_t>(level + 1);
      const auto dt = static_cast<std::size_t>(s.d_tree);
      REQUIRE(s.normals.size() == s.thresholds.size() * k);
      CHECK(s.normal_features.size() == (k < dt ? s.normals.size() : 0));
      std::size_t splits = 0;
      for (std::size_t slot = 0; slot < s.thresholds.size(); ++slot) {
        const auto* n = s.normals.data() + slot * k;
        const auto nonzero =
            static_cast<std::size_t>(std::count_if(n, n + k, [](double v) { return v != 0.0; }));
        if (std::isinf(s.thresholds[slot])) {
          CHECK(nonzero == 0);  // unsplit
          continue;
        }
        ++splits;
        CHECK(nonzero == k);
        if (k < dt) {
          const auto* nf = s.normal_features.data() + slot * k;
          CHECK(std::adjacent_find(nf, nf + k, [](auto a, auto b) { return a >= b; }) ==
                nf + k);  // distinct, increasing
          CHECK(nf[k - 1] < dt);
        }
      }
      CHECK(splits > 100);
    }
  }
}

TEST_CASE("Extended IsolationForest: the score map has no axis-aligned ghost cross",
          "[anomaly][isolation_forest][eif]") {
  // The paper's example (Hariri et al., Fig. 2-4): on one round Gaussian blob the standard
  // forest's scores along a circle of radius 4 sd around the centre rise and fall with the
  // angle (low along the axes: the "ghost" cross of normal scores, high on the diagonals);
  // hyperplane cuts make the map nearly isotropic. (Measured, 3 seeds of 200 trees: variance
  // 6.2e-4 vs 1.2e-4 at radius 3.5, 1.5e-3 vs 1.4e-4 at 4.5; cos(4 angle) amplitude -0.031
  // vs -0.006 and -0.053 vs -0.007.)
  osprey::Rng rng(7);
  Matrix<double> X(1000, 2);
  for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = rng.normal();
  double var0 = 0.0;
  double var1 = 0.0;
  double cross0 = 0.0;
  double cross1 = 0.0;
  for (std::uint64_t seed = 0; seed < 2; ++seed) {
    IsolationForest<double> f0({.n_estimators = 150, .random_state = seed});
    IsolationForest<double> f1({.n_estimators = 150, .random_state = seed, .extension_level = 1});
    f0.fit(X);
    f1.fit(X);
    const auto [v0, c0] = circle_scores(f0, 4.0);
    const auto [v1, c1] = circle_scores(f1, 4.0);
    var0 += v0;
    var1 += v1;
    cross0 += c0;
    cross1 += c1;
  }
  INFO("on the circle: variance " << var0 << " vs " << var1 << ", cos(4 angle) " << cross0 << " vs "
                                  << cross1);
  CHECK(var1 < 0.3 * var0);
  CHECK(cross0 < -0.05);  // the standard forest's cross: axes less anomalous
  CHECK(std::abs(cross1) < 0.3 * std::abs(cross0));
}

TEST_CASE("Extended IsolationForest: scores barely move when the data moves far away",
          "[anomaly][isolation_forest][eif]") {
  // Splits are written relative to each tree's centre, so a shift of 1e6 changes only the
  // rounding of the drawn intercepts: a few rows near a split may go the other way. (The
  // axis-parallel forest is not exactly translation invariant either: its thresholds are
  // rounded at the data's magnitude; no estimator test claims it.)
  const Matrix<double> X = planted(300, 5, 4, 3);
  const Matrix<double> moved = (X.array() + 1e6).matrix();
  IsolationForest<double> f({.n_estimators = 50, .random_state = 1, .extension_level = 3});
  IsolationForest<double> g = f;
  f.fit(X);
  g.fit(moved);
  const Eigen::VectorXd a = f.anomaly_score(X);
  const Eigen::VectorXd b = g.anomaly_score(moved);
  CHECK((a - b).cwiseAbs().maxCoeff() < 0.02);
  CHECK((a - b).cwiseAbs().mean() < 1e-3);
}

TEST_CASE("Extended IsolationForest: bit-identical on any thread count, one row as in a batch",
          "[anomaly][isolation_forest][eif]") {
  const Matrix<double> X = planted(2500, 10, 5, 8);  // two scoring chunks
  const Eigen::VectorXd w = Eigen::VectorXd::LinSpaced(X.rows(), 0.5, 2.0);
  for (const int level : {2, 4}) {
    IsolationForest<double> one({.n_estimators = 24,
                                 .contamination = 0.02,
                                 .random_state = 13,
                                 .n_threads = 1,
                                 .extension_level = level});
    IsolationForest<double> many = one;
    many.set_params([&] {
      auto p = one.params();
      p.n_threads = 3;
      return p;
    }());
    one.fit(X, w);
    many.fit(X, w);
    CHECK(one.decision_function(X) == many.decision_function(X));
    CHECK(one.offset() == many.offset());
    const Eigen::VectorXd batch = many.score_samples(X);
    for (Eigen::Index i = 0; i < X.rows(); i += 97) {
      CHECK(many.score_one(X.row(i)) == batch(i));
      CHECK(many.predict_one(X.row(i)) == many.predict(X.row(i))(0));
    }
    const Eigen::VectorXd phi = many.feature_contributions(X.row(2503));
    const auto& s = Internals<double>::state(many);
    const double expected =
        osprey::detail::average_path_length(256) - many.expected_path_length(X.row(2503))(0);
    CHECK(s.hyperplanes());
    CHECK_THAT(phi.sum(), WithinAbs(expected, 1e-9));
  }
}

TEST_CASE("Extended IsolationForest: integer sample weights are repeated rows",
          "[anomaly][isolation_forest][eif]") {
  const Matrix<double> X = planted(60, 3, 3, 4);
  Eigen::VectorXd w(X.rows());
  Eigen::Index total = 0;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    w(i) = static_cast<double>(i % 4);
    total += i % 4;
  }
  Matrix<double> repeated(total, X.cols());
  Eigen::Index at = 0;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    for (int r = 0; r < static_cast<int>(w(i)); ++r) repeated.row(at++) = X.row(i);
  }
  IsolationForest<double> a(
      {.n_estimators = 12, .max_samples = 40, .contamination = 0.1, .extension_level = 2});
  IsolationForest<double> b = a;
  a.fit(X, w);
  b.fit(repeated);
  CHECK(a.decision_function(X) == b.decision_function(X));
  CHECK(a.offset() == b.offset());
}

TEST_CASE("IsolationForest::add_trees grows the forest as a fit with more trees would",
          "[anomaly][isolation_forest][eif]") {
  const Matrix<double> X = planted(500, 6, 4, 21);
  for (const int level : {0, 3}) {
    INFO("extension_level " << level);
    osprey::IsolationForestParams p{.n_estimators = 10,
                                    .contamination = 0.05,
                                    .max_features = 4,
                                    .random_state = 17,
                                    .n_threads = 1,
                                    .extension_level = level};
    IsolationForest<double> warm(p);
    warm.fit(X);
    const auto before = Internals<double>::state(warm);
    warm.add_trees(X, 7);
    CHECK(warm.n_estimators() == 17);
    CHECK(warm.params().n_estimators == 17);
    const auto& after = Internals<double>::state(warm);
    // the first trees are untouched
    CHECK(std::equal(before.thresholds.begin(), before.thresholds.end(), after.thresholds.begin()));
    CHECK(std::equal(before.leaf_values.begin(), before.leaf_values.end(),
                     after.leaf_values.begin()));
    CHECK(std::equal(before.normals.begin(), before.normals.end(), after.normals.begin()));
    // ... and the forest is the one fit grows with 17 trees, on any thread count
    p.n_estimators = 17;
    p.n_threads = 3;
    IsolationForest<double> cold(p);
    cold.fit(X);
    CHECK(warm.decision_function(X) == cold.decision_function(X));
    CHECK(warm.offset() == cold.offset());
    CHECK(saved(warm).substr(100) == saved(cold).substr(100));  // past the tag: same payload
  }
}

TEST_CASE("IsolationForest::add_trees on other data: offset, psi and a taller layout",
          "[anomaly][isolation_forest][eif]") {
  const Matrix<double> X = planted(60, 2, 3, 30);   // psi 62, height 6
  const Matrix<double> Y = planted(900, 9, 3, 31);  // psi 256, height 8
  for (const int level : {0, 2}) {
    INFO("extension_level " << level);
    IsolationForest<double> f(
        {.n_estimators = 6, .contamination = 0.1, .random_state = 3, .extension_level = level});
    f.fit(X);
    CHECK(f.height_limit() == 6);
    const auto sums = [&](const auto& st) {
      return level == 0 ? osprey::kernels::isolation_path_sums(st.trees(), Y, 1)
                        : osprey::kernels::hyperplane_path_sums(st.hyperplane_trees(), Y, 1);
    };
    const std::vector<double> old_sum = sums(Internals<double>::state(f));
    f.add_trees(Y, 4);
    CHECK(f.n_estimators() == 10);
    CHECK(f.samples_per_tree() == 256);  // scikit-learn's max_samples_ of the last fit
    CHECK(f.height_limit() == 8);
    // scikit-learn's warm start: the offset is the contamination quantile of the scores of the
    // whole forest on the new data (numpy's linear percentile)
    std::vector<double> s(static_cast<std::size_t>(Y.rows()));
    Eigen::VectorXd::Map(s.data(), Y.rows()) = f.score_samples(Y);
    std::sort(s.begin(), s.end());
    const double pos = 0.1 * static_cast<double>(s.size() - 1);
    const auto lo = static_cast<std::size_t>(pos);
    CHECK_THAT(f.offset(), WithinAbs(s[lo] + (pos - std::floor(pos)) * (s[lo + 1] - s[lo]), 1e-15));
    // the six old trees, re-laid out in the taller arrays, give the same path lengths: the four
    // new ones are what a forest of them alone gives (trees 6..9 of the seed's streams)
    const auto& st = Internals<double>::state(f);
    auto first = st;
    first.n_estimators = 6;
    CHECK(sums(first) == old_sum);
    // round trip of a taller-than-psi forest
    const IsolationForest<double> back = reloaded<double>(saved(f));
    CHECK(back.decision_function(Y) == f.decision_function(Y));
    CHECK(back.height_limit() == 8);
  }
  IsolationForest<double> g({.n_estimators = 4, .random_state = 3});
  g.fit(Y);
  g.add_trees(X, 2);  // fewer rows: psi 62, the layout stays at height 8
  CHECK(g.samples_per_tree() == 62);
  CHECK(g.height_limit() == 8);
  CHECK(g.offset() == -0.5);
  const IsolationForest<double> back = reloaded<double>(saved(g));
  CHECK(back.score_samples(Y) == g.score_samples(Y));
}

TEST_CASE("IsolationForest::add_trees rejects bad calls and keeps the forest",
          "[anomaly][isolation_forest][eif]") {
  const Matrix<double> X = planted(100, 2, 3, 1);
  IsolationForest<double> f({.n_estimators = 5, .extension_level = 1});
  CHECK_THROWS_AS(f.add_trees(X, 2), osprey::NotFittedError);
  f.fit(X);
  const Eigen::VectorXd before = f.score_samples(X);
  require_throws_containing<osprey::InvalidArgument>([&] { f.add_trees(X, 0); }, "n_more");
  require_throws_containing<osprey::InvalidArgument>([&] { f.add_trees(X.leftCols(2), 1); },
                                                     "3 features but X has 2 columns");
  Matrix<double> bad = X;
  bad(4, 1) = std::nan("");
  require_throws_containing<osprey::InvalidArgument>([&] { f.add_trees(bad, 1); }, "row 4");
  const Eigen::VectorXd w = Eigen::VectorXd::Zero(X.rows());
  require_throws_containing<osprey::InvalidArgument>([&] { f.add_trees(X, 1, w); },
                                                     "sample_weight");
  CHECK(f.n_estimators() == 5);
  CHECK(f.score_samples(X) == before);
}

TEST_CASE("Extended IsolationForest: bad extension levels throw naming extension_level",
          "[anomaly][isolation_forest][eif]") {
  const Matrix<double> X = planted(50, 2, 4, 2);
  require_throws_containing<osprey::InvalidArgument>(
      [] { IsolationForest<double> f({.extension_level = -1}); }, "extension_level must be >= 0");
  IsolationForest<double> f({.extension_level = 4});
  require_throws_containing<osprey::InvalidArgument>([&] { f.fit(X); },
                                                     "extension_level must be <= d - 1 = 3");
  IsolationForest<double> g({.max_features = 0.5, .extension_level = 2});
  require_throws_containing<osprey::InvalidArgument>([&] { g.fit(X); },
                                                     "extension_level must be <= d - 1 = 1");
  CHECK_FALSE(g.is_fitted());
  require_throws_containing<osprey::InvalidArgument>(
      [] { osprey::dist::IsolationForest<double> d({.extension_level = 1}); }, "extension_level");
}

TEST_CASE("Extended IsolationForest: save and load round-trip the hyperplane trees exactly",
          "[anomaly][isolation_forest][eif]") {
  const Matrix<double> X = planted(200, 4, 5, 6);
  for (const int level : {1, 4}) {
    INFO("extension_level " << level);
    IsolationForest<double> d({.n_estimators = 9,
                               .max_samples = 100,
                               .contamination = 0.05,
                               .random_state = 8,
                               .extension_level = level});
    d.fit(X);
    const std::string bytes = saved(d);
    CHECK(bytes[8] >= 3);  // format version 3 (extension_level) or later
    const auto back = reloaded<double>(bytes);
    CHECK(back.params().extension_level == level);
    CHECK(back.decision_function(X) == d.decision_function(X));
    CHECK(back.offset() == d.offset());
    CHECK(back.feature_contributions(X.row(201)) == d.feature_contributions(X.row(201)));
    CHECK(saved(back) == bytes);
    IsolationForest<float> f({.n_estimators = 3, .max_samples = 16, .extension_level = level});
    f.fit(X.cast<float>());
    const std::string fb = saved(f);
    CHECK(reloaded<float>(fb).score_samples(X.cast<float>()) == f.score_samples(X.cast<float>()));
    for (std::size_t len = 0; len < fb.size(); len += 7) {
      std::istringstream in(fb.substr(0, len));
      CHECK_THROWS_AS(IsolationForest<float>::load(in), osprey::FormatError);
    }
    osprey::Rng rng(3);
    for (int trial = 0; trial < 32; ++trial) {
      std::string corrupted = fb;
      const auto pos = static_cast<std::size_t>(rng.bounded(fb.size()));
      corrupted[pos] = static_cast<char>(corrupted[pos] ^ (1 << rng.bounded(8)));
      std::istringstream in(corrupted);
      CHECK_THROWS_AS(IsolationForest<float>::load(in), osprey::FormatError);
    }
  }
}

TEST_CASE("Extended IsolationForest: a checksummed payload with a bad normal index is refused",
          "[anomaly][isolation_forest][eif]") {
  const Matrix<double> X = planted(40, 2, 4, 6);
  IsolationForest<double> f(
      {.n_estimators = 1, .max_samples = 4, .random_state = 2, .extension_level = 1});
  f.fit(X);
  const std::string file = saved(f);
  const std::size_t head = 18 + 23 + 8;
  // payload: 84 fixed bytes, tree features (4 x u32), centres (4 x f64), intercepts (3 x f64),
  // normals (3 x 2 x f64), normal features (3 x 2 x u32), leaves (4 x f64), counts (7 x u32)
  REQUIRE(file.size() == head + 84 + 16 + 32 + 24 + 48 + 24 + 32 + 28 + 8);
  std::string payload = file.substr(head, file.size() - head - 8);
  payload[84 + 16 + 32 + 24 + 48] = 9;  // a local feature index beyond the 4 per tree
  osprey::detail::ByteWriter w;
  w.bytes() = file.substr(0, head - 8);
  w.u64(payload.size());
  w.bytes() += payload;
  w.u64(osprey::detail::fnv1a64(w.bytes()));
  std::istringstream in(w.bytes());
  require_throws_containing<osprey::FormatError>([&] { (void)IsolationForest<double>::load(in); },
                                                 "normal feature index 9");
}

TEST_CASE("IsolationForest: a file of format version 2 still loads",
          "[anomaly][isolation_forest]") {
  // Written by the build before format version 3 (6 trees, max_samples 32, contamination 0.1,
  // max_features 3, random_state 9, on 60 x 4 normal draws of Rng(23)).
  std::ifstream file(std::string(OSPREY_FIXTURES_DIR) + "/serialize/v2_isolation_forest.osp",
                     std::ios::binary);
  REQUIRE(file);
  const auto loaded = IsolationForest<double>::load(file);
  osprey::Rng rng(23);
  Matrix<double> X(60, 4);
  for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = rng.normal();
  IsolationForest<double> refit({.n_estimators = 6,
                                 .max_samples = 32,
                                 .contamination = 0.1,
                                 .max_features = 3,
                                 .random_state = 9});
  refit.fit(X);
  CHECK(loaded.params().extension_level == 0);
  CHECK(std::get<int>(loaded.params().max_features) == 3);
#if defined(__FMA__)
  CHECK(loaded.score_samples(X).isApprox(refit.score_samples(X), 1e-12));
#else
  CHECK(loaded.score_samples(X) == refit.score_samples(X));
  CHECK(loaded.offset() == refit.offset());
#endif
}

TEST_CASE("Extended IsolationForest: passes the estimator conformance suite",
          "[anomaly][isolation_forest][eif][conformance]") {
  const Matrix<double> X = planted(110, 10, 4, 12);
  const Eigen::VectorXi y = Eigen::VectorXi::Zero(X.rows());
  osprey::testing::check_estimator<ExtendedSpec>(X, y);
}

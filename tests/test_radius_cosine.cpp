// Radius queries (radius_neighbors, radius_neighbors_count) and the Cosine metric of
// NearestNeighbors: scikit-learn fixtures (tests/fixtures/make_radius_cosine.py), a naive search
// on sizes with partial tiles, translation invariance of radius queries, scale invariance of
// Cosine, thread-count invariance and the bad inputs.
#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <osprey/io/serialize.hpp>
#include <osprey/neighbors/kneighbors.hpp>
#include <osprey/neighbors/nearest_neighbors.hpp>
#include "common/fixtures.hpp"
#include "common/translation_checks.hpp"

using Catch::Matchers::WithinRel;
using osprey::Algorithm;
using osprey::Matrix;
using osprey::testing::load_fixture;

// A named namespace around the whole file: the unity build puts it in one translation unit
// with other test files, whose helpers may share these names.
namespace radius_cosine_test {

namespace {

using Offsets = Eigen::Matrix<Eigen::Index, Eigen::Dynamic, 1>;

Matrix<double> random_matrix(Eigen::Index rows, Eigen::Index cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Matrix<double> m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) {
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = normal(gen);
  }
  return m;
}

double fixture_radius(int which) { return load_fixture("radius/radii.csv")(which, 0); }

/** A radius result against the fixture files radius/<name>_{offsets,idx,dist}.csv. */
template <class S>
void check_radius_fixture(const osprey::RadiusNeighbors<S>& got, const std::string& name,
                          double rel) {
  INFO("fixture " << name);
  const Matrix<double> offsets = load_fixture("radius/" + name + "_offsets.csv");
  const Matrix<double> idx = load_fixture("radius/" + name + "_idx.csv");
  const Matrix<double> dist = load_fixture("radius/" + name + "_dist.csv");
  REQUIRE(got.offsets.size() == offsets.rows());
  for (Eigen::Index i = 0; i < offsets.rows(); ++i) {
    REQUIRE(got.offsets(i) == static_cast<Eigen::Index>(offsets(i, 0)));
  }
  REQUIRE(got.indices.size() == idx.rows());
  CHECK(got.indices == idx.col(0).cast<int>());
  for (Eigen::Index e = 0; e < dist.rows(); ++e) {
    CHECK_THAT(static_cast<double>(got.distances(e)), WithinRel(dist(e, 0), rel));
  }
}

template <class Metric, class S>
void check_metric_fixtures(const std::string& name, int which, Algorithm algorithm, double rel) {
  INFO("metric " << name << ", algorithm " << static_cast<int>(algorithm));
  const Matrix<S> X = load_fixture("neighbors/X.csv").cast<S>();
  const Matrix<S> Q = load_fixture("neighbors/Q.csv").cast<S>();
  const double r = fixture_radius(which);
  osprey::NearestNeighbors<S, Metric> nn({.algorithm = algorithm, .leaf_size = 4});
  nn.fit(X);
  const auto got = nn.radius_neighbors(Q, r);
  check_radius_fixture(got, name, rel);
  check_radius_fixture(nn.radius_neighbors(r), name + "_loo", rel);
  const Offsets counts = nn.radius_neighbors_count(Q, r);
  REQUIRE(counts.size() == Q.rows());
  for (Eigen::Index i = 0; i < Q.rows(); ++i) CHECK(counts(i) == got.count(i));
  CHECK(got.n_queries() == Q.rows());
}

/** Every training row within r of each query, by Metric::distance, sorted by (distance, index). */
template <class Metric>
std::vector<std::vector<std::pair<double, int>>> naive_radius(const osprey::RowMatrix<double>& X,
                                                              const osprey::RowMatrix<double>& Q,
                                                              double r) {
  std::vector<std::vector<std::pair<double, int>>> out(static_cast<std::size_t>(Q.rows()));
  for (Eigen::Index i = 0; i < Q.rows(); ++i) {
    for (Eigen::Index j = 0; j < X.rows(); ++j) {
      const double d = Metric::distance(Q.row(i), X.row(j));
      if (d <= r) out[static_cast<std::size_t>(i)].emplace_back(d, static_cast<int>(j));
    }
    std::sort(out[static_cast<std::size_t>(i)].begin(), out[static_cast<std::size_t>(i)].end());
  }
  return out;
}

/** A radius result flattened into one column: offsets, indices, distances. */
template <class S>
Matrix<double> flatten(const osprey::RadiusNeighbors<S>& r) {
  Matrix<double> out(r.offsets.size() + 2 * r.indices.size(), 1);
  out << r.offsets.template cast<double>(), r.indices.template cast<double>(),
      r.distances.template cast<double>();
  return out;
}

}  // namespace

TEST_CASE("Radius queries match scikit-learn on brute force and the kd-tree",
          "[neighbors][radius]") {
  for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
    check_metric_fixtures<osprey::Euclidean, double>("euclidean", 0, a, 1e-12);
    check_metric_fixtures<osprey::Manhattan, double>("manhattan", 1, a, 1e-12);
    check_metric_fixtures<osprey::Chebyshev, double>("chebyshev", 2, a, 1e-12);
    check_metric_fixtures<osprey::Cosine, double>("cosine", 3, a, 1e-10);
    // The radii keep every distance 1e-6 away, so float finds the same sets.
    check_metric_fixtures<osprey::Euclidean, float>("euclidean", 0, a, 1e-5);
    check_metric_fixtures<osprey::Manhattan, float>("manhattan", 1, a, 1e-5);
    check_metric_fixtures<osprey::Cosine, float>("cosine", 3, a, 1e-4);
  }
}

TEST_CASE("Cosine kneighbors matches scikit-learn", "[neighbors][cosine]") {
  const Matrix<double> X = load_fixture("neighbors/X.csv");
  const Matrix<double> Q = load_fixture("neighbors/Q.csv");
  const Matrix<double> want_d = load_fixture("radius/cosine_knn_dist.csv");
  const Matrix<double> want_i = load_fixture("radius/cosine_knn_idx.csv");
  const Matrix<double> loo_d = load_fixture("radius/cosine_knn_loo_dist.csv");
  const Matrix<double> loo_i = load_fixture("radius/cosine_knn_loo_idx.csv");
  for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
    INFO("algorithm " << static_cast<int>(a));
    osprey::NearestNeighbors<double, osprey::Cosine> nn({.algorithm = a, .leaf_size = 4});
    nn.fit(X);
    const auto got = nn.kneighbors(Q, 6);
    CHECK(got.indices == want_i.cast<int>());
    CHECK(((got.distances - want_d).array().abs() <= 1e-12).all());
    const auto loo = nn.kneighbors(4);
    CHECK(loo.indices == loo_i.cast<int>());
    CHECK(((loo.distances - loo_d).array().abs() <= 1e-12).all());
    // fit_X keeps the rows as given; the searches use a normalised copy.
    CHECK(nn.fit_X() == X);

    osprey::NearestNeighbors<float, osprey::Cosine> nf({.algorithm = a, .leaf_size = 4});
    const auto gf = nf.fit(X.cast<float>()).kneighbors(Q.cast<float>(), 6);
    CHECK(gf.indices == want_i.cast<int>());
    CHECK(((gf.distances.cast<double>() - want_d).array().abs() <= 1e-6).all());

    // One query at a time: the same neighbours and distances, bit for bit.
    osprey::QueryWorkspace<double> ws;
    for (Eigen::Index i = 0; i < Q.rows(); ++i) {
      nn.kneighbors_one(Q.row(i), 6, ws);
      for (int j = 0; j < 6; ++j) {
        CHECK(ws.indices()[static_cast<std::size_t>(j)] == got.indices(i, j));
        CHECK(ws.distances()[static_cast<std::size_t>(j)] == got.distances(i, j));
      }
    }
  }
}

TEMPLATE_TEST_CASE("Radius queries equal a naive search on ragged sizes", "[neighbors][radius]",
                   osprey::Euclidean, osprey::Manhattan, osprey::Chebyshev, osprey::Cosine,
                   osprey::Minkowski<3>) {
  for (const auto& [n, m, d] : std::vector<std::array<int, 3>>{
           {1, 3, 2}, {37, 13, 3}, {300, 70, 5}, {1100, 9, 17}, {2100, 300, 6}}) {
    INFO("n=" << n << " m=" << m << " d=" << d);
    // Row-major, as the searches store rows, so Metric::distance sums in the same order.
    const osprey::RowMatrix<double> X = random_matrix(n, d, static_cast<unsigned>(n + d));
    const osprey::RowMatrix<double> Q = random_matrix(m, d, static_cast<unsigned>(m * 7 + 1));
    // A radius that holds a few percent of the rows: the 3rd-percentile distance of query 0.
    std::vector<double> d0;
    for (Eigen::Index j = 0; j < X.rows(); ++j)
      d0.push_back(TestType::distance(Q.row(0), X.row(j)));
    std::sort(d0.begin(), d0.end());
    const std::size_t cut = d0.size() / 30;
    const double r = cut + 1 < d0.size() ? 0.5 * (d0[cut] + d0[cut + 1]) : d0[cut] + 1.0;
    const auto want = naive_radius<TestType>(X, Q, r);
    for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
      for (const int threads : {1, 2, 3}) {
        INFO("algorithm " << static_cast<int>(a) << ", threads " << threads);
        osprey::NearestNeighbors<double, TestType> nn(
            {.algorithm = a, .leaf_size = 3, .n_threads = threads});
        nn.fit(X);
        const auto got = nn.radius_neighbors(Q, r);
        const Offsets counts = nn.radius_neighbors_count(Q, r);
        REQUIRE(got.n_queries() == m);
        for (Eigen::Index i = 0; i < m; ++i) {
          const auto& w = want[static_cast<std::size_t>(i)];
          REQUIRE(got.count(i) == static_cast<Eigen::Index>(w.size()));
          CHECK(counts(i) == got.count(i));
          for (std::size_t e = 0; e < w.size(); ++e) {
            const Eigen::Index at = got.offsets(i) + static_cast<Eigen::Index>(e);
            CHECK(got.indices(at) == w[e].second);
            CHECK(got.distances(at) == w[e].first);
          }
        }
      }
    }
  }
}

TEST_CASE("Radius queries on raw data far from the origin", "[neighbors][radius]") {
  // Brute force estimates distances by the norm expansion on centred rows; the set is still
  // decided by the exact distance, so shifting rows and queries changes nothing.
  auto apply_with = [](auto metric_tag, Algorithm a) {
    using Metric = decltype(metric_tag);
    return [a](const auto& X, const auto& Q, double) {
      using S = typename std::decay_t<decltype(X)>::Scalar;
      const double r = std::is_same_v<Metric, osprey::Euclidean>
                           ? std::sqrt(2.0 * static_cast<double>(X.cols())) - 0.8
                           : 0.9 * static_cast<double>(X.cols());
      osprey::NearestNeighbors<S, Metric> nn({.algorithm = a});
      nn.fit(X);
      const auto got = flatten(nn.radius_neighbors(Q, r));
      const Offsets counts = nn.radius_neighbors_count(Q, r);
      Matrix<double> all(got.rows() + counts.size(), 1);
      all << got, counts.template cast<double>();
      return all;
    };
  };
  for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
    osprey::testing::check_translation_invariance<float>(
        "radius_neighbors Euclidean", apply_with(osprey::Euclidean{}, a), 600, 100);
    osprey::testing::check_translation_invariance<double>(
        "radius_neighbors Euclidean", apply_with(osprey::Euclidean{}, a), 600, 100);
    osprey::testing::check_translation_invariance<double>(
        "radius_neighbors Manhattan", apply_with(osprey::Manhattan{}, a), 600, 100);
  }
}

TEST_CASE("Cosine is invariant to the scale of each row", "[neighbors][cosine]") {
  const Matrix<double> X = random_matrix(500, 12, 3);
  const Matrix<double> Q = random_matrix(40, 12, 4);
  std::mt19937 gen(5);
  std::uniform_int_distribution<int> exponent(-20, 20);
  std::uniform_real_distribution<double> factor(1e-3, 1e3);
  Matrix<double> X2 = X;
  Matrix<double> Q2 = Q;
  Matrix<double> X3 = X;
  Matrix<double> Q3 = Q;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    X2.row(i) *= std::ldexp(1.0, exponent(gen));
    X3.row(i) *= factor(gen);
  }
  for (Eigen::Index i = 0; i < Q.rows(); ++i) {
    Q2.row(i) *= std::ldexp(1.0, exponent(gen));
    Q3.row(i) *= factor(gen);
  }
  for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
    INFO("algorithm " << static_cast<int>(a));
    using NN = osprey::NearestNeighbors<double, osprey::Cosine>;
    NN base({.algorithm = a});
    NN pow2({.algorithm = a});
    NN any({.algorithm = a});
    base.fit(X);
    pow2.fit(X2);
    any.fit(X3);
    const auto want = base.kneighbors(Q, 8);
    // Scaling by powers of two is exact, so every bit agrees.
    const auto got2 = pow2.kneighbors(Q2, 8);
    CHECK(got2.indices == want.indices);
    CHECK(got2.distances == want.distances);
    CHECK(flatten(pow2.radius_neighbors(Q2, 0.3)) == flatten(base.radius_neighbors(Q, 0.3)));
    // Other factors round differently, so the distances agree to rounding.
    const auto got3 = any.kneighbors(Q3, 8);
    CHECK(got3.indices == want.indices);
    CHECK(((got3.distances - want.distances).array().abs() <= 1e-14).all());
  }
}

// A growing index keeps its rows as given; Cosine keeps two copies, so it has no add or remove
// (HnswIndex<float, Cosine> grows instead).
template <class NN>
concept can_add = requires(NN n, Matrix<double> X) {
  n.add(X);
};
static_assert(can_add<osprey::NearestNeighbors<double>>);
static_assert(!can_add<osprey::NearestNeighbors<double, osprey::Cosine>>);

TEST_CASE("Cosine and radius queries reject bad input", "[neighbors][radius][cosine]") {
  Matrix<double> X = random_matrix(50, 3, 1);
  osprey::NearestNeighbors<double> nn;
  nn.fit(X);
  const Matrix<double> Q = random_matrix(4, 3, 2);
  CHECK_THROWS_AS(nn.radius_neighbors(Q, -1.0), osprey::InvalidArgument);
  CHECK_THROWS_AS(nn.radius_neighbors(Q, std::nan("")), osprey::InvalidArgument);
  CHECK_THROWS_AS(nn.radius_neighbors_count(Q, HUGE_VAL), osprey::InvalidArgument);
  CHECK_THROWS_AS(nn.radius_neighbors(-0.5), osprey::InvalidArgument);
  CHECK_THROWS_AS(nn.radius_neighbors(random_matrix(4, 2, 2), 1.0), osprey::InvalidArgument);
  Matrix<double> bad = Q;
  bad(2, 1) = std::nan("");
  CHECK_THROWS_AS(nn.radius_neighbors(bad, 1.0), osprey::InvalidArgument);
  CHECK_THROWS_AS(osprey::NearestNeighbors<double>().radius_neighbors(Q, 1.0),
                  osprey::NotFittedError);
  // Radius 0 finds exact duplicates only.
  const auto self = nn.radius_neighbors(X.topRows(5), 0.0);
  for (Eigen::Index i = 0; i < 5; ++i) {
    REQUIRE(self.count(i) == 1);
    CHECK(self.indices(self.offsets(i)) == i);
  }

  osprey::NearestNeighbors<double, osprey::Cosine> cn;
  X.row(7).setZero();
  CHECK_THROWS_WITH(cn.fit(X), Catch::Contains("row 7") && Catch::Contains("zero"));
  X.row(7).setOnes();
  cn.fit(X);
  Matrix<double> zq = Q;
  zq.row(3).setZero();
  CHECK_THROWS_WITH(cn.kneighbors(zq, 2), Catch::Contains("row 3"));
  CHECK_THROWS_AS(cn.radius_neighbors(zq, 0.1), osprey::InvalidArgument);
  CHECK_THROWS_AS(cn.radius_neighbors_count(zq, 0.1), osprey::InvalidArgument);
  osprey::QueryWorkspace<double> ws;
  CHECK_THROWS_AS(cn.kneighbors_one(zq.row(3), 2, ws), osprey::InvalidArgument);
  // Huge and tiny coordinates are fine: the rows are normalised without overflow.
  Matrix<double> big = Q * 1e300;
  Matrix<double> tiny = Q * 1e-300;
  const auto a = cn.kneighbors(Q, 3);
  CHECK(cn.kneighbors(big, 3).indices == a.indices);
  CHECK(cn.kneighbors(tiny, 3).indices == a.indices);
}

TEST_CASE("Cosine models and classifiers round-trip through save and load", "[neighbors][cosine]") {
  const Matrix<double> X = random_matrix(300, 8, 11);
  const Matrix<double> Q = random_matrix(30, 8, 12);
  osprey::NearestNeighbors<float, osprey::Cosine> nn;
  nn.fit(X.cast<float>());
  std::stringstream buf;
  osprey::save(nn, buf);
  const auto back = osprey::load<osprey::NearestNeighbors<float, osprey::Cosine>>(buf);
  const auto want = nn.kneighbors(Q.cast<float>(), 5);
  const auto got = back.kneighbors(Q.cast<float>(), 5);
  CHECK(got.indices == want.indices);
  CHECK(got.distances == want.distances);
  CHECK(flatten(back.radius_neighbors(Q.cast<float>(), 0.4f)) ==
        flatten(nn.radius_neighbors(Q.cast<float>(), 0.4f)));

  // A classifier over Cosine votes by the cosine neighbours.
  Eigen::VectorXi y(X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i) y(i) = X(i, 0) > 0 ? 1 : 0;
  osprey::KNeighborsClassifier<double, osprey::Cosine> clf({.n_neighbors = 5});
  clf.fit(X, y);
  osprey::NearestNeighbors<double, osprey::Cosine> ref({.n_neighbors = 5});
  const auto nb = ref.fit(X).kneighbors(Q);
  const Eigen::VectorXi pred = clf.predict(Q);
  for (Eigen::Index i = 0; i < Q.rows(); ++i) {
    int votes = 0;
    for (int j = 0; j < 5; ++j) votes += y(nb.indices(i, j));
    CHECK(pred(i) == (votes >= 3 ? 1 : 0));
  }
}

}  // namespace radius_cosine_test

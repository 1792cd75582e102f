#include "common/prelude.hpp"

#include <osprey/kernels/packed_gemm.hpp>
#include <osprey/kernels/topk.hpp>
#include <osprey/neighbors/metrics.hpp>
#include <osprey/neighbors/nearest_neighbors.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "common/estimator_checks.hpp"
#include "common/fixtures.hpp"

using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;
using osprey::Algorithm;
using osprey::Matrix;
using osprey::testing::load_fixture;
using osprey::testing::require_throws_containing;

static_assert(osprey::DistanceMetric<osprey::Euclidean>);
static_assert(osprey::DistanceMetric<osprey::Manhattan>);
static_assert(osprey::DistanceMetric<osprey::SquaredEuclidean>);
static_assert(osprey::DistanceMetric<osprey::Chebyshev>);
static_assert(osprey::DistanceMetric<osprey::Minkowski<4>>);
static_assert(!osprey::DistanceMetric<int>);
static_assert(!osprey::DistanceMetric<osprey::NearestNeighbors<>>);

namespace {

Matrix<double> random_matrix(Eigen::Index rows, Eigen::Index cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Matrix<double> m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) {
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = normal(gen);
  }
  return m;
}

template <class Metric>
void check_against_fixture(const std::string& name, Algorithm algorithm) {
  const Matrix<double> X = load_fixture("neighbors/X.csv");
  const Matrix<double> Q = load_fixture("neighbors/Q.csv");
  const Matrix<double> want_d = load_fixture("neighbors/" + name + "_dist.csv");
  const Matrix<double> want_i = load_fixture("neighbors/" + name + "_idx.csv");
  const Matrix<double> loo_d = load_fixture("neighbors/" + name + "_loo_dist.csv");
  const Matrix<double> loo_i = load_fixture("neighbors/" + name + "_loo_idx.csv");
  INFO("metric " << name << ", algorithm " << static_cast<int>(algorithm));

  osprey::NearestNeighbors<double, Metric> nn({.algorithm = algorithm, .leaf_size = 4});
  nn.fit(X);
  const auto got = nn.kneighbors(Q, 6);
  REQUIRE(got.indices.rows() == Q.rows());
  REQUIRE(got.indices.cols() == 6);
  CHECK(got.indices == want_i.cast<int>());
  for (Eigen::Index i = 0; i < Q.rows(); ++i) {
    for (Eigen::Index j = 0; j < 6; ++j) {
      CHECK_THAT(got.distances(i, j), WithinRel(want_d(i, j), 1e-12));
    }
  }
  const auto loo = nn.kneighbors(4);
  CHECK(loo.indices == loo_i.cast<int>());
  CHECK(((loo.distances - loo_d).array().abs() <= 1e-12 * (1.0 + loo_d.array().abs())).all());

  // float agrees with double on these well-separated distances.
  osprey::NearestNeighbors<float, Metric> nf({.algorithm = algorithm, .leaf_size = 4});
  nf.fit(X.cast<float>());
  const auto gf = nf.kneighbors(Q.cast<float>(), 6);
  CHECK(gf.indices == want_i.cast<int>());
  CHECK(((gf.distances.template cast<double>() - want_d).array().abs() <=
         1e-5 * (1.0 + want_d.array()))
            .all());
}

template <class Metric>
osprey::Neighbors<double> naive_kneighbors(const Matrix<double>& X, const Matrix<double>& Q,
                                           int k) {
  osprey::Neighbors<double> out{Eigen::MatrixXi(Q.rows(), k), Matrix<double>(Q.rows(), k)};
  for (Eigen::Index i = 0; i < Q.rows(); ++i) {
    std::vector<std::pair<double, int>> all;
    for (Eigen::Index j = 0; j < X.rows(); ++j) {
      all.emplace_back(Metric::distance(Q.row(i), X.row(j)), static_cast<int>(j));
    }
    std::sort(all.begin(), all.end());
    for (int j = 0; j < k; ++j) {
      out.distances(i, j) = all[static_cast<std::size_t>(j)].first;
      out.indices(i, j) = all[static_cast<std::size_t>(j)].second;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("NearestNeighbors: brute force matches scikit-learn for every metric", "[neighbors]") {
  check_against_fixture<osprey::Euclidean>("euclidean", Algorithm::brute);
  check_against_fixture<osprey::Manhattan>("manhattan", Algorithm::brute);
  check_against_fixture<osprey::Chebyshev>("chebyshev", Algorithm::brute);
  check_against_fixture<osprey::Minkowski<3>>("minkowski3", Algorithm::brute);
  check_against_fixture<osprey::SquaredEuclidean>("sqeuclidean", Algorithm::brute);
}

TEST_CASE("NearestNeighbors: kd-tree matches scikit-learn for every metric", "[neighbors]") {
  check_against_fixture<osprey::Euclidean>("euclidean", Algorithm::kd_tree);
  check_against_fixture<osprey::Manhattan>("manhattan", Algorithm::kd_tree);
  check_against_fixture<osprey::Chebyshev>("chebyshev", Algorithm::kd_tree);
  check_against_fixture<osprey::Minkowski<3>>("minkowski3", Algorithm::kd_tree);
  check_against_fixture<osprey::SquaredEuclidean>("sqeuclidean", Algorithm::kd_tree);
}

TEMPLATE_TEST_CASE("NearestNeighbors: brute force and kd-tree agree with a naive search",
                   "[neighbors]", osprey::Euclidean, osprey::Manhattan, osprey::Chebyshev) {
  // Sizes that leave partial tiles, partial panels and partial micro-blocks.
  for (const auto& [n, m, d, k] : std::vector<std::array<int, 4>>{
           {1, 3, 2, 1}, {37, 13, 3, 5}, {300, 70, 5, 7}, {1100, 9, 17, 12}}) {
    INFO("n=" << n << " m=" << m << " d=" << d << " k=" << k);
    const Matrix<double> X = random_matrix(n, d, static_cast<unsigned>(n + d));
    const Matrix<double> Q = random_matrix(m, d, static_cast<unsigned>(m * 7 + 1));
    const auto want = naive_kneighbors<TestType>(X, Q, k);
    for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
      osprey::NearestNeighbors<double, TestType> nn({.algorithm = a, .leaf_size = 3});
      const auto got = nn.fit(X).kneighbors(Q, k);
      CHECK(got.indices == want.indices);
      CHECK(((got.distances - want.distances).array().abs() <= 1e-12).all());
    }
  }
}

TEST_CASE("NearestNeighbors: ties go to the lower training index", "[neighbors]") {
  // Integer grid with duplicated rows: many exact distance ties.
  Matrix<double> X(12, 2);
  for (int i = 0; i < 12; ++i) {
    X(i, 0) = static_cast<double>(i % 3);
    X(i, 1) = static_cast<double>((i / 3) % 2);
  }
  Matrix<double> Q(3, 2);
  Q << 1, 0, 0.5, 0.5, 2, 1;
  for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
    osprey::NearestNeighbors<double, osprey::Manhattan> nn({.algorithm = a, .leaf_size = 2});
    const auto got = nn.fit(X).kneighbors(Q, 12);
    for (Eigen::Index i = 0; i < Q.rows(); ++i) {
      for (Eigen::Index j = 1; j < 12; ++j) {
        const bool ordered = got.distances(i, j - 1) < got.distances(i, j) ||
                             (got.distances(i, j - 1) == got.distances(i, j) &&
                              got.indices(i, j - 1) < got.indices(i, j));
        CHECK(ordered);
      }
    }
    CHECK(got.indices(0, 0) == 1);  // (1, 0) appears at rows 1 and 7: the lower wins
    CHECK(got.indices(0, 1) == 7);
  }
}

TEST_CASE("NearestNeighbors: leave-one-out excludes each point but keeps its duplicates",
          "[neighbors]") {
  Matrix<double> X(5, 1);
  X << 0.0, 0.0, 1.0, 3.0, 7.0;
  for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
    osprey::NearestNeighbors<> nn({.n_neighbors = 2, .algorithm = a, .leaf_size = 1});
    const auto got = nn.fit(X).kneighbors();
    Eigen::MatrixXi want(5, 2);
    want << 1, 2, 0, 2, 0, 1, 2, 0, 3, 2;
    CHECK(got.indices == want);
    CHECK(got.distances(0, 0) == 0.0);
    CHECK(got.distances(4, 0) == 4.0);
  }
}

TEST_CASE("NearestNeighbors: results do not depend on the thread count or row order",
          "[neighbors]") {
  const Matrix<double> X = random_matrix(700, 6, 11);
  const Matrix<double> Q = random_matrix(300, 6, 12);
  for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
    osprey::NearestNeighbors<float, osprey::Euclidean> one({.algorithm = a, .n_threads = 1});
    osprey::NearestNeighbors<float, osprey::Euclidean> many({.algorithm = a, .n_threads = 3});
    const Matrix<float> Xf = X.cast<float>();
    const Matrix<float> Qf = Q.cast<float>();
    const auto r1 = one.fit(Xf).kneighbors(Qf, 8);
    const auto r2 = many.fit(Xf).kneighbors(Qf, 8);
    CHECK(r1.indices == r2.indices);
    CHECK(r1.distances == r2.distances);

    // Permuting training rows permutes the indices and leaves distances unchanged.
    std::vector<int> perm(700);
    std::iota(perm.begin(), perm.end(), 0);
    std::mt19937 gen(5);
    std::shuffle(perm.begin(), perm.end(), gen);
    Matrix<double> Xp(700, 6);
    for (int i = 0; i < 700; ++i) Xp.row(i) = X.row(perm[static_cast<std::size_t>(i)]);
    osprey::NearestNeighbors<double, osprey::Euclidean> a1({.algorithm = a});
    osprey::NearestNeighbors<double, osprey::Euclidean> a2({.algorithm = a});
    const auto base = a1.fit(X).kneighbors(Q, 8);
    const auto perm_res = a2.fit(Xp).kneighbors(Q, 8);
    CHECK(((base.distances - perm_res.distances).array().abs() <= 1e-12).all());
    for (Eigen::Index i = 0; i < Q.rows(); ++i) {
      for (Eigen::Index j = 0; j < 8; ++j) {
        CHECK(perm[static_cast<std::size_t>(perm_res.indices(i, j))] == base.indices(i, j));
      }
    }
  }
}

TEST_CASE("NearestNeighbors: automatic picks the kd-tree only in low dimension", "[neighbors]") {
  osprey::NearestNeighbors<> nn;
  CHECK(nn.fit(random_matrix(500, 3, 1)).fitted_algorithm() == Algorithm::kd_tree);
  CHECK(nn.fit(random_matrix(500, 20, 1)).fitted_algorithm() == Algorithm::brute);
  CHECK(nn.fit(random_matrix(50, 3, 1)).fitted_algorithm() == Algorithm::brute);
}

TEST_CASE("NearestNeighbors: bad parameters and inputs throw naming the culprit", "[neighbors]") {
  using NN = osprey::NearestNeighbors<>;
  require_throws_containing<osprey::InvalidArgument>([] { NN({.n_neighbors = 0}); },
                                                     "n_neighbors must be >= 1 (got 0)");
  require_throws_containing<osprey::InvalidArgument>([] { NN({.leaf_size = 0}); },
                                                     "leaf_size must be >= 1 (got 0)");
  require_throws_containing<osprey::InvalidArgument>([] { NN({.n_threads = -2}); },
                                                     "n_threads must be >= 0");
  require_throws_containing<osprey::InvalidArgument>(
      [] { NN({.algorithm = static_cast<Algorithm>(9)}); }, "algorithm");
  NN nn;
  require_throws_containing<osprey::InvalidArgument>([&] { nn.set_params({.n_neighbors = -1}); },
                                                     "n_neighbors must be >= 1 (got -1)");
  const Matrix<double> X = random_matrix(10, 3, 2);
  require_throws_containing<osprey::NotFittedError>([&] { (void)nn.kneighbors(X, 2); },
                                                    "NearestNeighbors is not fitted");
  require_throws_containing<osprey::NotFittedError>([&] { (void)nn.kneighbors(); },
                                                    "NearestNeighbors is not fitted");
  require_throws_containing<osprey::InvalidArgument>([&] { nn.fit(Matrix<double>(0, 3)); },
                                                     "X is empty");
  Matrix<double> bad = X;
  bad(4, 2) = std::numeric_limits<double>::quiet_NaN();
  require_throws_containing<osprey::InvalidArgument>([&] { nn.fit(bad); }, "row 4, column 2");
  CHECK_FALSE(nn.is_fitted());
  nn.fit(X);
  require_throws_containing<osprey::InvalidArgument>([&] { (void)nn.kneighbors(X, 0); },
                                                     "n_neighbors must be >= 1 (got 0)");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)nn.kneighbors(X, 11); }, "n_neighbors must be <= n_samples_fit = 10 (got 11)");
  require_throws_containing<osprey::InvalidArgument>([&] { (void)nn.kneighbors(10); },
                                                     "n_samples_fit - 1 = 9");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)nn.kneighbors(Matrix<double>(X.leftCols(2)), 2); },
      "fitted with 3 features but X has 2 columns");
  require_throws_containing<osprey::InvalidArgument>([&] { (void)nn.kneighbors(bad, 2); },
                                                     "row 4, column 2");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { (void)nn.kneighbors(Matrix<double>(0, 3), 2); }, "X is empty");
  CHECK(nn.kneighbors(X, 10).indices.cols() == 10);
}

TEST_CASE("TopK: keeps the k smallest in (value, index) order", "[neighbors]") {
  std::vector<double> v(3);
  std::vector<int> idx(3);
  osprey::kernels::TopK<double> top(v.data(), idx.data(), 3);
  for (const auto& [value, index] : std::vector<std::pair<double, int>>{
           {5.0, 0}, {1.0, 9}, {3.0, 4}, {1.0, 2}, {3.0, 1}, {0.5, 7}, {3.0, 0}}) {
    top.push(value, index);
  }
  CHECK(v == std::vector<double>{0.5, 1.0, 1.0});
  CHECK(idx == std::vector<int>{7, 2, 9});
  CHECK(top.threshold() == 1.0);
}

TEMPLATE_TEST_CASE("Packed tile product: within the dot-product bound on ragged shapes",
                   "[neighbors]", float, double) {
  using S = TestType;
  namespace k = osprey::kernels;
  std::mt19937 gen(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  constexpr Eigen::Index MR = k::gemm_panel_rows<S>;
  // (first row as a panel multiple, rows, queries, depth): partial panels and query groups.
  for (const auto& [p0, rows, cols, depth] : std::vector<std::array<Eigen::Index, 4>>{
           {0, 1, 1, 1}, {0, MR, 12, 64}, {1, MR + 7, 13, 5}, {2, 3 * MR - 1, 25, 17}}) {
    const Eigen::Index r0 = p0 * MR;
    const Eigen::Index n = r0 + rows + 3;
    osprey::RowMatrix<S> A(n, depth);
    osprey::RowMatrix<S> B(cols, depth);
    for (Eigen::Index i = 0; i < A.size(); ++i) A.data()[i] = static_cast<S>(normal(gen));
    for (Eigen::Index i = 0; i < B.size(); ++i) B.data()[i] = static_cast<S>(normal(gen));
    const auto panels = k::pack_gemm_panels(A.data(), n, depth);
    if constexpr (!k::has_packed_gemm) {
      CHECK(panels.empty());  // the searches use SerialGemm on this target
      continue;
    }
    REQUIRE(panels.size() == static_cast<std::size_t>(k::gemm_panels<S>(n) * depth * MR));
    const Eigen::Index ldc = rows + 5;  // rows past `rows` must stay as they are
    Matrix<S> C(ldc, cols);
    for (Eigen::Index i = 0; i < C.size(); ++i) C.data()[i] = static_cast<S>(normal(gen));
    const Matrix<S> C0 = C;
    k::gemm_packed_nt(panels.data(), r0, rows, cols, depth, B.data(), C.data(), ldc, S(-2));
    for (Eigen::Index j = 0; j < cols; ++j) {
      for (Eigen::Index i = 0; i < ldc; ++i) {
        if (i >= rows) {
          REQUIRE(C(i, j) == C0(i, j));
          continue;
        }
        long double dot = 0;
        long double mag = 0;
        for (Eigen::Index t = 0; t < depth; ++t) {
          const long double ab = static_cast<long double>(A(r0 + i, t)) * B(j, t);
          dot += ab;
          mag += std::abs(ab);
        }
        const long double want = static_cast<long double>(C0(i, j)) - 2 * dot;
        // Depth fused multiply-adds in order, then one: (depth + 2) u (|c| + 2 sum |a b|).
        const long double bound = static_cast<long double>(depth + 2) *
                                  std::numeric_limits<S>::epsilon() *
                                  (std::abs(static_cast<long double>(C0(i, j))) + 2 * mag);
        REQUIRE(std::abs(static_cast<long double>(C(i, j)) - want) <= bound);
      }
    }
  }
}

TEST_CASE("NearestNeighbors: Minkowski of order 1 and 2 agree with Manhattan and Euclidean",
          "[neighbors]") {
  const Matrix<double> X = random_matrix(200, 7, 21);
  const Matrix<double> Q = random_matrix(30, 7, 22);
  osprey::NearestNeighbors<double, osprey::Minkowski<1>> m1({.n_neighbors = 6});
  osprey::NearestNeighbors<double, osprey::Manhattan> l1({.n_neighbors = 6});
  osprey::NearestNeighbors<double, osprey::Minkowski<2>> m2({.n_neighbors = 6});
  osprey::NearestNeighbors<double, osprey::Euclidean> l2({.n_neighbors = 6});
  const auto a = m1.fit(X).kneighbors(Q);  // default k = n_neighbors
  const auto b = l1.fit(X).kneighbors(Q);
  const auto c = m2.fit(X).kneighbors(Q);
  const auto d = l2.fit(X).kneighbors(Q);
  CHECK(a.indices.cols() == 6);
  CHECK(a.indices == b.indices);
  CHECK((a.distances - b.distances).cwiseAbs().maxCoeff() < 1e-12);
  CHECK(c.indices == d.indices);
  CHECK((c.distances - d.distances).cwiseAbs().maxCoeff() < 1e-12);
}

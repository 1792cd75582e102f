#include "common/prelude.hpp"

#include <osprey/neighbors/detail/brute_index.hpp>
#include <osprey/neighbors/nearest_neighbors.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <utility>
#include <vector>

using osprey::Algorithm;
using osprey::Matrix;
using osprey::RowMatrix;

namespace {

// Small-integer coordinates: every squared distance and every partial sum of the norm expansion
// is exact in float and double, so exact ties (and duplicate rows) are frequent and the
// tie-breaking by lower index is checked bit for bit.
template <class S>
RowMatrix<S> integer_rows(Eigen::Index n, Eigen::Index d, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> pick(0, 3);
  RowMatrix<S> X(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) X(i, j) = static_cast<S>(pick(gen));
  }
  // Exact duplicates of earlier rows.
  for (Eigen::Index i = 5; i < n; i += 7) X.row(i) = X.row(i / 3);
  return X;
}

// Leave-one-out k smallest (squared distance, index), lexicographically: the reference.
template <class S>
Eigen::MatrixXi naive_loo(const RowMatrix<S>& X, int k) {
  Eigen::MatrixXi out(X.rows(), k);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    std::vector<std::pair<S, int>> all;
    for (Eigen::Index j = 0; j < X.rows(); ++j) {
      if (j != i) all.emplace_back((X.row(i) - X.row(j)).squaredNorm(), static_cast<int>(j));
    }
    std::sort(all.begin(), all.end());
    for (int c = 0; c < k; ++c) out(i, c) = all[static_cast<std::size_t>(c)].second;
  }
  return out;
}

// n x d rows with N(0, scale^2) coordinates drawn from `gen`.
RowMatrix<double> gaussian_rows(Eigen::Index n, Eigen::Index d, std::mt19937& gen,
                                double scale = 1.0) {
  std::normal_distribution<double> normal(0.0, scale);
  RowMatrix<double> X(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) X(i, j) = normal(gen);
  }
  return X;
}

// The k-buffers of a leave-one-out BruteIndex search: row i's k (value, index) pairs at i * k.
template <class S>
struct LooBuffers {
  std::vector<S> values;
  std::vector<int> indices;
  [[nodiscard]] int index(Eigen::Index i, int k, int c) const {
    return indices[static_cast<std::size_t>(i * k + c)];
  }
  [[nodiscard]] Eigen::MatrixXi matrix(Eigen::Index n, int k) const {
    Eigen::MatrixXi m(n, k);
    for (Eigen::Index i = 0; i < n; ++i) {
      for (int c = 0; c < k; ++c) m(i, c) = index(i, k, c);
    }
    return m;
  }
};

template <class S>
LooBuffers<S> loo_search(const osprey::detail::BruteIndex<S, osprey::Euclidean>& index,
                         const RowMatrix<S>& X, int k, int threads,
                         const osprey::detail::BruteTiles& tiles) {
  const auto size = static_cast<std::size_t>(X.rows()) * static_cast<std::size_t>(k);
  LooBuffers<S> out{std::vector<S>(size), std::vector<int>(size)};
  index.search(X, X, k, true, threads, out.values.data(), out.indices.data(), tiles);
  return out;
}

}  // namespace

TEMPLATE_TEST_CASE("BruteIndex: the symmetric leave-one-out search equals a naive search",
                   "[neighbors]", float, double) {
  using S = TestType;
  for (const auto& [n, d, k] : std::vector<std::array<int, 3>>{
           {2, 1, 1}, {9, 2, 3}, {150, 3, 6}, {203, 5, 10}, {64, 4, 63}}) {
    const RowMatrix<S> X = integer_rows<S>(n, d, static_cast<unsigned>(n * 31 + d));
    const Eigen::MatrixXi want = naive_loo(X, k);
    const osprey::detail::BruteIndex<S, osprey::Euclidean> index(X);
    for (const Eigen::Index block : {Eigen::Index{1}, Eigen::Index{8}, Eigen::Index{16},
                                     Eigen::Index{37}, Eigen::Index{256}}) {
      for (const auto& [threads, filter_rows] : std::vector<std::pair<int, Eigen::Index>>{
               {1, 0}, {2, 0}, {3, 0}, {1, 1 << 30}, {2, 1 << 30}, {3, 1 << 30}}) {
        INFO("n=" << n << " d=" << d << " k=" << k << " block=" << block << " threads=" << threads
                  << " float_filter_rows=" << filter_rows);
        osprey::detail::BruteTiles tiles;
        tiles.sym_block = block;
        tiles.float_filter_rows = filter_rows;  // 0: double searches filter in float
        const LooBuffers<S> got = loo_search(index, X, k, threads, tiles);
        bool same = true;
        for (Eigen::Index i = 0; i < n; ++i) {
          for (int c = 0; c < k; ++c) {
            const S dist = (X.row(i) - X.row(got.index(i, k, c))).squaredNorm();
            same = same && got.index(i, k, c) == want(i, c) &&
                   got.values[static_cast<std::size_t>(i * k + c)] == dist;
          }
        }
        CHECK(same);
      }
    }
  }
}

TEST_CASE("NearestNeighbors: leave-one-out over several blocks matches a naive search",
          "[neighbors]") {
  // Gaussian rows (no near ties) spanning more than one 256-row block and a partial block.
  std::mt19937 gen(7);
  RowMatrix<double> X = gaussian_rows(600, 7, gen);
  X.row(599) = X.row(3);  // a duplicate across blocks
  const Eigen::MatrixXi want = naive_loo(X, 5);
  for (const int threads : {1, 2, 4}) {
    osprey::NearestNeighbors<> nn({.algorithm = Algorithm::brute, .n_threads = threads});
    const auto got = nn.fit(X).kneighbors(5);
    CHECK(got.indices == want);
    CHECK(got.distances(3, 0) == 0.0);
    CHECK(got.indices(599, 0) == 3);
    const auto fl = osprey::NearestNeighbors<float, osprey::Euclidean>(
                        {.algorithm = Algorithm::brute, .n_threads = threads})
                        .fit(X.cast<float>())
                        .kneighbors(5);
    CHECK(fl.indices(599, 0) == 3);
    CHECK(fl.indices(3, 0) == 599);
  }
}

TEST_CASE("BruteIndex: the float-filtered double search resolves ties float cannot see",
          "[neighbors]") {
  // Around each of 40 centres, six rows at radii 0.1 (1 + j 1e-9), j = 5..0 in a random
  // direction: the radii differ by a relative 1e-9, far below float's resolution (6e-8) and far
  // above the double rounding of the norm expansion near the origin, so only the exact double
  // recheck orders a centre's neighbours as the naive search does.
  std::mt19937 gen(11);
  const Eigen::Index d = 6;
  const RowMatrix<double> centres = gaussian_rows(40, d, gen, 0.3);
  const RowMatrix<double> directions = gaussian_rows(40 * 6, d, gen);
  RowMatrix<double> X(40 * 7, d);
  for (Eigen::Index m = 0; m < 40; ++m) {
    X.row(m * 7) = centres.row(m);
    for (Eigen::Index j = 0; j < 6; ++j) {
      const auto u = directions.row(m * 6 + j);
      const double r = 0.1 * (1.0 + static_cast<double>(5 - j) * 1e-9);
      X.row(m * 7 + 1 + j) = centres.row(m) + r * u / u.norm();
    }
  }
  const int k = 5;
  const Eigen::MatrixXi want = naive_loo(X, k);
  // The centres' neighbours are their own six rows, nearest = largest j.
  for (Eigen::Index m = 0; m < 40; ++m) REQUIRE(want(m * 7, 0) == static_cast<int>(m * 7 + 6));
  const osprey::detail::BruteIndex<double, osprey::Euclidean> index(X);
  for (const Eigen::Index block : {Eigen::Index{16}, Eigen::Index{64}, Eigen::Index{256}}) {
    for (const int threads : {1, 2, 3}) {
      INFO("block=" << block << " threads=" << threads);
      osprey::detail::BruteTiles tiles;
      tiles.sym_block = block;
      tiles.float_filter_rows = 0;
      CHECK(loo_search(index, X, k, threads, tiles).matrix(X.rows(), k) == want);
    }
  }
}

TEST_CASE("BruteIndex: the float-filtered double search equals the all-double search",
          "[neighbors]") {
  // 1,500 x 20 Gaussian rows (the size where the filter is on by default) with a far outlier,
  // which widens the float error bound for every pair.
  std::mt19937 gen(5);
  RowMatrix<double> X = gaussian_rows(1500, 20, gen);
  X.row(700) *= 1e3;
  X.row(1499) = X.row(20);  // a duplicate across blocks
  const osprey::detail::BruteIndex<double, osprey::Euclidean> index(X);
  const int k = 6;
  osprey::detail::BruteTiles exact;
  exact.float_filter_rows = 1 << 30;
  const LooBuffers<double> want = loo_search(index, X, k, 1, exact);
  for (const int threads : {1, 2}) {
    const LooBuffers<double> got = loo_search(index, X, k, threads, {});
    CHECK(got.indices == want.indices);
    // The k-buffer values are the norm expansions, equal up to its rounding (a duplicate pair
    // gives about 1e-15 rather than 0).
    for (std::size_t e = 0; e < got.values.size(); ++e) {
      CHECK(got.values[e] == Approx(want.values[e]).epsilon(1e-12).margin(1e-9));
    }
  }
}

TEST_CASE("BruteIndex: the expansion's error bound holds on raw data", "[neighbors]") {
  // The float norm expansion on centred rows (X centred and rounded to float, float norms and
  // matrix product, as the filtered search computes it) against the direct double sum on the rows
  // as given, over scales, offsets, dimensions and near-duplicate rows (the distance tiny: the
  // worst cancellation).
  std::mt19937 gen(3);
  std::normal_distribution<double> normal(0.0, 1.0);  // the near-duplicates' perturbations
  for (const double scale : {1e-9, 1e-3, 1.0, 1e4, 1e12}) {
    for (const double offset : {0.0, 1e3 * scale, 1e7 * scale}) {
      for (const Eigen::Index d :
           {Eigen::Index{1}, Eigen::Index{7}, Eigen::Index{20}, Eigen::Index{64}}) {
        INFO("scale=" << scale << " offset=" << offset << " d=" << d);
        RowMatrix<double> X = gaussian_rows(120, d, gen, scale);
        for (Eigen::Index i = 60; i < X.rows(); ++i) {
          X.row(i) = X.row(i - 60) * (1.0 + 1e-7 * normal(gen));
        }
        X.array() += offset;
        const Eigen::RowVectorXd mean = X.colwise().mean();
        const RowMatrix<double> Xc = X.rowwise() - mean;
        const Eigen::VectorXd nd = Xc.rowwise().squaredNorm();
        const RowMatrix<float> Xf = Xc.cast<float>();
        const Eigen::VectorXf nf = Xf.rowwise().squaredNorm();
        const Eigen::MatrixXf Cf = -2.0f * Xf * Xf.transpose();
        const double E = osprey::kernels::expansion_margin(d, 2 * nd.maxCoeff(), 0x1p-24);
        double worst = 0.0;
        for (Eigen::Index i = 0; i < X.rows(); ++i) {
          for (Eigen::Index j = 0; j < X.rows(); ++j) {
            const double vf = static_cast<double>((nf(i) + nf(j)) + Cf(i, j));
            const double direct =
                osprey::kernels::fixed_order_sq_dist(X.row(i).data(), X.row(j).data(), d);
            worst = std::max(worst, std::abs(vf - direct) / E);
          }
        }
        CHECK(worst <= 1.0);
        CHECK(worst > 1e-4);  // the bound is not vacuous: within four decades of the real error
      }
    }
  }
}

TEMPLATE_TEST_CASE("BruteIndex: leave-one-out k = 1 on continuous data finds every nearest row",
                   "[neighbors]", float, double) {
  // Gaussian rows: the GEMM computes a diagonal tile's entries (r, c) and (c, r) with different
  // kernels near panel edges, so they can differ by a rounding; the thresholds seeded from one
  // triangle must still admit the other's value (a k = 1 search once lost rows this way).
  using S = TestType;
  std::mt19937 gen(23);
  for (const Eigen::Index n : {Eigen::Index{300}, Eigen::Index{1100}, Eigen::Index{2000}}) {
    const RowMatrix<S> X = gaussian_rows(n, 20, gen).cast<S>();
    const osprey::detail::BruteIndex<S, osprey::Euclidean> index(X);
    for (const int k : {1, 2}) {
      for (const int threads : {1, 2}) {
        INFO("n=" << n << " k=" << k << " threads=" << threads);
        const LooBuffers<S> got = loo_search(index, X, k, threads, {});
        bool ok = true;
        for (Eigen::Index i = 0; i < n && ok; ++i) {
          // The k smallest distances from row i to the others, in double.
          std::vector<double> all;
          for (Eigen::Index j = 0; j < n; ++j) {
            if (j != i) all.push_back((X.row(i) - X.row(j)).template cast<double>().squaredNorm());
          }
          std::partial_sort(all.begin(), all.begin() + k, all.end());
          for (int c = 0; c < k; ++c) {
            const int id = got.index(i, k, c);
            ok = ok && id >= 0 && id < n && id != i;
            if (!ok) break;
            const double dist = (X.row(i) - X.row(id)).template cast<double>().squaredNorm();
            ok = dist <= all[static_cast<std::size_t>(c)] * (1.0 + 1e-5) + 1e-12;
          }
        }
        CHECK(ok);
      }
    }
  }
}

TEST_CASE("block_order: blocks are the cells of a k-d split of the rows", "[neighbors]") {
  std::mt19937 gen(17);
  RowMatrix<double> X = gaussian_rows(1000, 5, gen);
  // Coordinate 2 has by far the largest variance in every run of blocks, so every cut is by it:
  // the blocks come out in increasing order of coordinate 2 (each block's values below the
  // next block's), whatever the order inside a block.
  X.col(2) *= 1e4;
  for (const int threads : {1, 3}) {
    INFO("threads=" << threads);
    const std::vector<int> perm = osprey::detail::block_order(X, 128, threads);
    std::vector<int> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < 1000; ++i) REQUIRE(sorted[static_cast<std::size_t>(i)] == i);
    for (std::size_t b = 0; b + 1 < 8; ++b) {  // 8 blocks, the last one 104 rows
      double below = -1e300;
      double above = 1e300;
      for (std::size_t p = b * 128; p < (b + 1) * 128; ++p) below = std::max(below, X(perm[p], 2));
      for (std::size_t p = (b + 1) * 128; p < std::min<std::size_t>(1000, (b + 2) * 128); ++p) {
        above = std::min(above, X(perm[p], 2));
      }
      CHECK(below < above);
    }
    CHECK(perm == osprey::detail::block_order(X, 128, 1));
  }
  // A single block: the identity.
  const std::vector<int> id = osprey::detail::block_order(X, 1000, 2);
  for (int i = 0; i < 1000; ++i) CHECK(id[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("round_up: the smallest float at or above a double", "[neighbors]") {
  using osprey::kernels::round_up;
  const float inf = std::numeric_limits<float>::infinity();
  for (const double w :
       {1.0, 1.0 + 1e-12, 1.0 - 1e-12, 0.1, -0.1, -1.0 - 1e-12, 1e-45, -1e-45, 1e-50, -1e-50, 0.0,
        -0.0, 3.0e38, 3.4028234e38, -3.4028235e38, 123456.789, -7.25}) {
    INFO("w=" << w);
    const float t = round_up<float>(w);
    CHECK(static_cast<double>(t) >= w);
    // No float lies in [w, t): the one just below t is below w.
    CHECK(static_cast<double>(std::nextafter(t, -inf)) < w);
  }
  CHECK(round_up<float>(0.5) == 0.5F);  // representable: unchanged
  CHECK(round_up<double>(0.1) == 0.1);  // double: w itself
}

TEMPLATE_TEST_CASE("NearestNeighbors: leave-one-out over many tied pairs stays exact",
                   "[neighbors]", float, double) {
  // 3,000 copies of one row: every pair ties, so every pair passes every threshold and the
  // candidates queued for other threads' rows overflow the outbox cap many times (the phases
  // then run in rounds). Ties go to the lower index: row i's neighbours are the k smallest
  // other indices.
  const Eigen::Index n = 3000;
  RowMatrix<TestType> X(n, 7);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < 7; ++j)
      X(i, j) = static_cast<TestType>(0.25 * static_cast<double>(j) - 0.5);
  }
  for (const int threads : {1, 2, 3}) {
    INFO("threads=" << threads);
    osprey::NearestNeighbors<TestType, osprey::Euclidean> nn(
        {.n_neighbors = 4, .algorithm = Algorithm::brute, .n_threads = threads});
    nn.fit(X);
    const Eigen::MatrixXi idx = nn.kneighbors(4).indices;
    Eigen::Index wrong = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      int expect = 0;
      for (int c = 0; c < 4; ++c, ++expect) {
        if (expect == static_cast<int>(i)) ++expect;
        if (idx(i, c) != expect) ++wrong;
      }
    }
    CHECK(wrong == 0);
  }
}

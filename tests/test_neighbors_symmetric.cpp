#include "common/prelude.hpp"

#include <osprey/neighbors/brute_force.hpp>
#include <osprey/neighbors/nearest_neighbors.hpp>

#include <algorithm>
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

}  // namespace

TEMPLATE_TEST_CASE("BruteIndex: the symmetric leave-one-out search equals a naive search",
                   "[neighbors]", float, double) {
  using S = TestType;
  for (const auto& [n, d, k] : std::vector<std::array<int, 3>>{
           {2, 1, 1}, {9, 2, 3}, {150, 3, 6}, {203, 5, 10}, {64, 4, 63}}) {
    const RowMatrix<S> X = integer_rows<S>(n, d, static_cast<unsigned>(n * 31 + d));
    const Eigen::MatrixXi want = naive_loo(X, k);
    const osprey::detail::BruteIndex<osprey::Euclidean, S> index(X);
    for (const Eigen::Index block : {Eigen::Index{1}, Eigen::Index{8}, Eigen::Index{16},
                                     Eigen::Index{37}, Eigen::Index{256}}) {
      for (const int threads : {1, 2, 3}) {
        INFO("n=" << n << " d=" << d << " k=" << k << " block=" << block << " threads=" << threads);
        osprey::detail::BruteTiles tiles;
        tiles.sym_block = block;
        const auto size = static_cast<std::size_t>(n) * static_cast<std::size_t>(k);
        std::vector<S> values(size);
        std::vector<int> indices(size);
        index.search(X, X, k, true, threads, values.data(), indices.data(), tiles);
        bool same = true;
        for (Eigen::Index i = 0; i < n; ++i) {
          for (int c = 0; c < k; ++c) {
            const S dist =
                (X.row(i) - X.row(indices[static_cast<std::size_t>(i * k + c)])).squaredNorm();
            same = same && indices[static_cast<std::size_t>(i * k + c)] == want(i, c) &&
                   values[static_cast<std::size_t>(i * k + c)] == dist;
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
  std::normal_distribution<double> normal(0.0, 1.0);
  RowMatrix<double> X(600, 7);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    for (Eigen::Index j = 0; j < X.cols(); ++j) X(i, j) = normal(gen);
  }
  X.row(599) = X.row(3);  // a duplicate across blocks
  const Eigen::MatrixXi want = naive_loo(X, 5);
  for (const int threads : {1, 2, 4}) {
    osprey::NearestNeighbors<> nn({.algorithm = Algorithm::brute, .n_threads = threads});
    const auto got = nn.fit(X).kneighbors(5);
    CHECK(got.indices == want);
    CHECK(got.distances(3, 0) == 0.0);
    CHECK(got.indices(599, 0) == 3);
    const auto fl = osprey::NearestNeighbors<osprey::Euclidean, float>(
                        {.algorithm = Algorithm::brute, .n_threads = threads})
                        .fit(X.cast<float>())
                        .kneighbors(5);
    CHECK(fl.indices(599, 0) == 3);
    CHECK(fl.indices(3, 0) == 599);
  }
}

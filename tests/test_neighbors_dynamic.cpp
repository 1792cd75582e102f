// NearestNeighbors::add and remove (neighbors/detail/dynamic_index.hpp): after any sequence of
// adds and removals the searches equal, indices and distances bit for bit, a NearestNeighbors
// fitted on the live rows in id order with its indices mapped to ids; errors name the id.
#include "common/prelude.hpp"

#include <osprey/io/serialize.hpp>
#include <osprey/neighbors/nearest_neighbors.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/estimator_checks.hpp"

using osprey::Algorithm;
using osprey::InvalidArgument;
using osprey::RowMatrix;
using osprey::testing::require_throws_containing;

// A named namespace: the unity build puts this file in one translation unit with others.
namespace neighbors_dynamic_test {

/** A bounded integer in [0, n) from a 64-bit stream (the same on every standard library). */
int draw(std::mt19937_64& gen, int n) {
  return static_cast<int>(gen() % static_cast<std::uint64_t>(n));
}

/** Rows of d features: half of the batches on a grid of quarter steps (many exact ties), the
 *  others spread uniformly; `offset` is added to every coordinate. */
template <class S>
RowMatrix<S> draw_rows(std::mt19937_64& gen, Eigen::Index rows, Eigen::Index d, double offset) {
  RowMatrix<S> X(rows, d);
  const bool grid = draw(gen, 2) == 0;
  for (Eigen::Index i = 0; i < X.size(); ++i) {
    const double v = grid ? 0.25 * draw(gen, 24) : static_cast<double>(gen() >> 11) * 0x1p-53 * 6;
    X.data()[i] = static_cast<S>(offset + v);
  }
  return X;
}

/** The live rows kept by the test, in id order, with their ids. */
template <class S>
struct Mirror {
  std::vector<int> ids;
  std::vector<std::vector<S>> rows;

  RowMatrix<S> matrix(Eigen::Index d) const {
    RowMatrix<S> X(static_cast<Eigen::Index>(rows.size()), d);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      for (Eigen::Index j = 0; j < d; ++j)
        X(static_cast<Eigen::Index>(i), j) = rows[i][static_cast<std::size_t>(j)];
    }
    return X;
  }
};

/** Requires `got` (ids) to equal `want` (rows of the rebuilt index) mapped to ids. */
template <class S>
void require_same(const osprey::Neighbors<S>& got, const osprey::Neighbors<S>& want,
                  const std::vector<int>& ids) {
  Eigen::MatrixXi mapped = want.indices;
  for (Eigen::Index i = 0; i < mapped.size(); ++i) {
    mapped.data()[i] = ids[static_cast<std::size_t>(mapped.data()[i])];
  }
  REQUIRE(got.indices == mapped);
  REQUIRE(got.distances == want.distances);
}

/** Requires the radius result `got` (ids) to equal `want` (rows of the rebuilt index) mapped
 *  to ids: the same sets, the same distances, sorted by (distance, id). */
template <class S>
void require_same_radius(const osprey::RadiusNeighbors<S>& got,
                         const osprey::RadiusNeighbors<S>& want, const std::vector<int>& ids) {
  REQUIRE(got.offsets == want.offsets);
  Eigen::VectorXi mapped = want.indices;
  for (Eigen::Index e = 0; e < mapped.size(); ++e) {
    mapped(e) = ids[static_cast<std::size_t>(mapped(e))];
  }
  REQUIRE(got.indices == mapped);
  REQUIRE(got.distances == want.distances);
}

/** 1,000 random adds, removals and queries, each query checked against a rebuilt index. */
template <class S, class Metric>
void run_sequence(Algorithm algorithm, double offset, std::uint64_t seed) {
  INFO("algorithm " << static_cast<int>(algorithm) << ", offset " << offset);
  constexpr Eigen::Index d = 3;
  std::mt19937_64 gen(seed);
  // One thread: each query is a few rows, and results do not depend on the thread count.
  const osprey::NearestNeighborsParams params{
      .algorithm = algorithm, .leaf_size = 2, .n_threads = 1};
  osprey::NearestNeighbors<S, Metric> nn(params);
  Mirror<S> live;
  int next = 0;
  osprey::QueryWorkspace<S> ws;
  int queries = 0;
  for (int op = 0; op < 1000; ++op) {
    const int kind = live.ids.size() < 8 ? 0 : draw(gen, 10);
    if (kind < 4) {  // add a batch, now and then a large one
      const Eigen::Index m = 1 + (draw(gen, 8) == 0 ? draw(gen, 120) : draw(gen, 12));
      const RowMatrix<S> X = draw_rows<S>(gen, m, d, offset);
      const int first = nn.add(X);
      REQUIRE(first == next);
      for (Eigen::Index i = 0; i < m; ++i) {
        live.ids.push_back(next++);
        live.rows.emplace_back(X.row(i).data(), X.row(i).data() + d);
      }
    } else if (kind < 7) {  // remove some live rows, now and then most of them
      const auto n = static_cast<int>(live.ids.size());
      const int count = draw(gen, 12) == 0 ? n - 2 : 1 + draw(gen, std::min(n, 10));
      std::vector<int> pick;
      for (int c = 0; c < count; ++c) {
        const int at = draw(gen, static_cast<int>(live.ids.size()));
        pick.push_back(live.ids[static_cast<std::size_t>(at)]);
        live.ids.erase(live.ids.begin() + at);
        live.rows.erase(live.rows.begin() + at);
      }
      nn.remove(pick);
    } else {  // query and compare with an index rebuilt on the live rows
      ++queries;
      const RowMatrix<S> L = live.matrix(d);
      osprey::NearestNeighbors<S, Metric> ref(params);
      ref.fit(L);
      REQUIRE(nn.n_samples_fit() == L.rows());
      const int k = 1 + draw(gen, std::min<int>(static_cast<int>(L.rows()), 7));
      RowMatrix<S> Q = draw_rows<S>(gen, 4, d, offset);
      Q.row(0) = L.row(draw(gen, static_cast<int>(L.rows())));  // a query on a live row
      require_same(nn.kneighbors(Q, k), ref.kneighbors(Q, k), live.ids);
      nn.kneighbors_one(Q.row(1), k, ws);
      const auto one = ref.kneighbors(Q.row(1), k);
      bool same = true;
      for (int j = 0; j < k; ++j) {
        const auto jz = static_cast<std::size_t>(j);
        same = same && ws.indices()[jz] == live.ids[static_cast<std::size_t>(one.indices(0, j))] &&
               ws.distances()[jz] == one.distances(0, j);
      }
      REQUIRE(same);
      // Radius queries over the segments: the radius of query 2's k-th neighbour.
      const double r = static_cast<double>(ref.kneighbors(Q.row(2), k).distances(0, k - 1));
      require_same_radius(nn.radius_neighbors(Q, r), ref.radius_neighbors(Q, r), live.ids);
      REQUIRE(nn.radius_neighbors_count(Q, r) == ref.radius_neighbors_count(Q, r));
      if (queries % 10 == 0 && k < L.rows()) {
        require_same(nn.kneighbors(k), ref.kneighbors(k), live.ids);
        require_same_radius(nn.radius_neighbors(r), ref.radius_neighbors(r), live.ids);
      }
    }
  }
  CHECK(queries > 150);
  INFO("live rows at the end " << live.ids.size());
}

}  // namespace neighbors_dynamic_test

using neighbors_dynamic_test::draw_rows;
using neighbors_dynamic_test::run_sequence;

TEMPLATE_TEST_CASE("NearestNeighbors: add and remove equal a rebuilt index", "[neighbors][dynamic]",
                   float, double) {
  for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
    for (const double offset : {0.0, 1e6}) {
      run_sequence<TestType, osprey::Euclidean>(a, offset, 21);
      run_sequence<TestType, osprey::Manhattan>(a, offset, 22);
    }
  }
}

TEST_CASE("NearestNeighbors: add and remove equal a rebuilt index in Chebyshev",
          "[neighbors][dynamic]") {
  run_sequence<double, osprey::Chebyshev>(Algorithm::kd_tree, 0.0, 23);
  run_sequence<float, osprey::SquaredEuclidean>(Algorithm::brute, 1e6, 24);
}

TEST_CASE("NearestNeighbors: ids continue and are never reused", "[neighbors][dynamic]") {
  osprey::NearestNeighbors<double> nn({.algorithm = Algorithm::kd_tree});
  RowMatrix<double> X(3, 1);
  X << 0.0, 10.0, 20.0;
  CHECK(nn.add(X) == 0);  // before fit: fit
  CHECK(nn.fitted_algorithm() == Algorithm::kd_tree);
  nn.remove(std::vector<int>{2});
  RowMatrix<double> Y(2, 1);
  Y << 21.0, 1.0;
  CHECK(nn.add(Y) == 3);
  CHECK(nn.next_id() == 5);
  CHECK(nn.n_samples_fit() == 4);
  CHECK(nn.live_ids() == (Eigen::VectorXi(4) << 0, 1, 3, 4).finished());
  CHECK(nn.live_rows() == (RowMatrix<double>(4, 1) << 0.0, 10.0, 21.0, 1.0).finished());
  RowMatrix<double> q(1, 1);
  q << 19.0;
  const auto r = nn.kneighbors(q, 3);
  CHECK(r.indices == (Eigen::MatrixXi(1, 3) << 3, 1, 4).finished());
  CHECK(r.distances(0, 0) == 2.0);
  CHECK(r.distances(0, 1) == 9.0);
  CHECK(r.distances(0, 2) == 18.0);
  // Ties by lower id: rows 0 (id 0) and a new row at 0 (id 5) are both at distance 1 of -1.
  RowMatrix<double> Z(1, 1);
  Z << 0.0;
  CHECK(nn.add(Z) == 5);
  q << -1.0;
  const auto t = nn.kneighbors(q, 2);
  CHECK(t.indices == (Eigen::MatrixXi(1, 2) << 0, 5).finished());
  // Leave-one-out over the live rows: id 0's nearest other is id 5 (distance 0).
  const auto loo = nn.kneighbors(1);
  CHECK(loo.indices(0, 0) == 5);
  CHECK(loo.indices(4, 0) == 0);
  CHECK(loo.distances(4, 0) == 0.0);
}

TEST_CASE("NearestNeighbors: bad add and remove arguments are rejected", "[neighbors][dynamic]") {
  for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
    osprey::NearestNeighbors<float> nn({.algorithm = a});
    require_throws_containing<osprey::NotFittedError>([&] { nn.remove(std::vector<int>{0}); },
                                                      "NearestNeighbors");
    RowMatrix<double> X = RowMatrix<double>::Random(6, 2);
    nn.fit(X);
    require_throws_containing<InvalidArgument>([&] { (void)nn.add(RowMatrix<double>(0, 2)); }, "X");
    RowMatrix<double> bad = RowMatrix<double>::Zero(2, 2);
    bad(1, 0) = std::numeric_limits<double>::quiet_NaN();
    require_throws_containing<InvalidArgument>([&] { (void)nn.add(bad); }, "row 1");
    require_throws_containing<InvalidArgument>([&] { (void)nn.add(RowMatrix<double>::Zero(2, 3)); },
                                               "3 columns");
    require_throws_containing<InvalidArgument>([&] { nn.remove(std::vector<int>{6}); },
                                               "id 6 was never assigned");
    require_throws_containing<InvalidArgument>([&] { nn.remove(std::vector<int>{-1}); },
                                               "id -1 was never assigned");
    require_throws_containing<InvalidArgument>(
        [&] {
          nn.remove(std::vector<int>{2, 1, 2});
        },
        "id 2 is listed twice");
    CHECK(nn.n_samples_fit() == 6);  // nothing removed by a rejected call
    nn.remove(std::vector<int>{1});
    require_throws_containing<InvalidArgument>(
        [&] {
          nn.remove(std::vector<int>{0, 1});
        },
        "id 1 was already removed");
    CHECK(nn.n_samples_fit() == 5);
    require_throws_containing<InvalidArgument>([&] { (void)nn.fit_X(); }, "live_rows()");
    nn.remove(std::vector<int>{0, 2, 3, 4, 5});
    CHECK(nn.n_samples_fit() == 0);
    require_throws_containing<InvalidArgument>(
        [&] { (void)nn.kneighbors(RowMatrix<double>::Zero(1, 2), 1); }, "n_samples_fit = 0");
    osprey::QueryWorkspace<float> ws;
    require_throws_containing<InvalidArgument>(
        [&] { nn.kneighbors_one(RowMatrix<double>::Zero(1, 2), 1, ws); }, "n_samples_fit = 0");
    CHECK(nn.add(X.topRows(2)) == 6);
    const auto r = nn.kneighbors(X.row(1), 1);
    CHECK(r.indices(0, 0) == 7);
    CHECK(r.distances(0, 0) == 0.0f);
  }
}

TEMPLATE_TEST_CASE("NearestNeighbors: a model changed by add and remove round-trips",
                   "[neighbors][dynamic][serialize]", float, double) {
  for (const Algorithm a : {Algorithm::brute, Algorithm::kd_tree}) {
    std::mt19937_64 gen(5);
    osprey::NearestNeighbors<TestType, osprey::Manhattan> nn({.algorithm = a, .leaf_size = 3});
    nn.fit(draw_rows<TestType>(gen, 300, 3, 0.0));
    (void)nn.add(draw_rows<TestType>(gen, 200, 3, 0.0));
    std::vector<int> gone;
    for (int id = 0; id < 500; id += 3) gone.push_back(id);
    nn.remove(gone);
    std::stringstream buf;
    osprey::save(nn, buf);
    const auto back = osprey::load<osprey::NearestNeighbors<TestType, osprey::Manhattan>>(buf);
    CHECK(back.next_id() == 500);
    CHECK(back.live_ids() == nn.live_ids());
    CHECK(back.fitted_algorithm() == a);
    const RowMatrix<TestType> Q = draw_rows<TestType>(gen, 50, 3, 0.0);
    const auto want = nn.kneighbors(Q, 7);
    const auto got = back.kneighbors(Q, 7);
    CHECK(got.indices == want.indices);
    CHECK(got.distances == want.distances);
    RowMatrix<TestType> more = draw_rows<TestType>(gen, 4, 3, 0.0);
    auto copy = back;
    CHECK(copy.add(more) == 500);
    // A model never changed keeps the plain payload and loads as fitted.
    osprey::NearestNeighbors<TestType, osprey::Manhattan> plain({.algorithm = a});
    plain.fit(more);
    std::stringstream buf2;
    osprey::save(plain, buf2);
    const auto plain_back =
        osprey::load<osprey::NearestNeighbors<TestType, osprey::Manhattan>>(buf2);
    CHECK(plain_back.fit_X() == plain.fit_X());
  }
}

TEST_CASE("NearestNeighbors: a format version 3 file loads as a fitted model",
          "[neighbors][dynamic][serialize]") {
  // The version-3 payload is the version-4 one of an unchanged model without its last byte
  // (the u8 0 of "ids are the positions"): rewrite a saved file so.
  std::mt19937_64 gen(9);
  osprey::NearestNeighbors<double> nn({.n_neighbors = 4, .leaf_size = 5});
  nn.fit(draw_rows<double>(gen, 40, 2, 0.0));
  std::stringstream out;
  osprey::save(nn, out);
  std::string file = out.str();
  REQUIRE(file[file.size() - 9] == 0);  // the flag, just before the checksum
  file.resize(file.size() - 9);
  file[8] = 3;  // format version (little-endian u32)
  const auto tag_length = static_cast<std::size_t>(static_cast<unsigned char>(file[17]));
  const std::size_t length_at = 18 + tag_length;
  std::uint64_t length = 0;  // the payload length, a little-endian u64, one byte shorter
  for (int b = 7; b >= 0; --b) {
    length =
        (length << 8) | static_cast<unsigned char>(file[length_at + static_cast<std::size_t>(b)]);
  }
  --length;
  for (std::size_t b = 0; b < 8; ++b)
    file[length_at + b] = static_cast<char>((length >> (8 * b)) & 0xFF);
  std::uint64_t sum = osprey::detail::fnv1a64(file);
  for (int b = 0; b < 8; ++b) {
    file.push_back(static_cast<char>(sum & 0xFF));
    sum >>= 8;
  }
  std::stringstream in(file);
  const auto back = osprey::load<osprey::NearestNeighbors<double>>(in);
  CHECK(back.fit_X() == nn.fit_X());
  CHECK(back.params().n_neighbors == 4);
  const RowMatrix<double> Q = draw_rows<double>(gen, 5, 2, 0.0);
  CHECK(back.kneighbors(Q).indices == nn.kneighbors(Q).indices);
}

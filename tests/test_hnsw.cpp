#include "common/prelude.hpp"

#include <osprey/io/serialize.hpp>
#include <osprey/neighbors/hnsw.hpp>
#include <osprey/neighbors/nearest_neighbors.hpp>

#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/estimator_checks.hpp"

using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;
using osprey::FormatError;
using osprey::HnswIndex;
using osprey::InvalidArgument;
using osprey::NotFittedError;
using osprey::RowMatrix;
using osprey::testing::require_throws_containing;

// A named namespace around the whole file: the unity build puts it in one translation unit
// with other test files, whose helpers may share these names.
namespace hnsw_test {

namespace {

/** n points in `clusters` Gaussian blobs (centres spread with sd 4, points sd 1) in d
 *  dimensions, from osprey's Rng so every platform draws the same set. */
RowMatrix<float> hnsw_blobs(Eigen::Index n, Eigen::Index d, int clusters, std::uint64_t seed) {
  osprey::Rng rng(seed);
  RowMatrix<float> centres(clusters, d);
  for (Eigen::Index i = 0; i < centres.size(); ++i) {
    centres.data()[i] = static_cast<float>(4.0 * rng.normal());
  }
  RowMatrix<float> X(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto c = static_cast<Eigen::Index>(rng.bounded(static_cast<std::uint64_t>(clusters)));
    for (Eigen::Index j = 0; j < d; ++j) {
      X(i, j) = centres(c, j) + static_cast<float>(rng.normal());
    }
  }
  return X;
}

/** Mean fraction of the exact k neighbours (rows of `exact`) found in the rows of `got`. */
double hnsw_recall(const Eigen::MatrixXi& got, const Eigen::MatrixXi& exact) {
  double hits = 0;
  for (Eigen::Index i = 0; i < got.rows(); ++i) {
    std::set<int> truth;
    for (Eigen::Index j = 0; j < exact.cols(); ++j) truth.insert(exact(i, j));
    for (Eigen::Index j = 0; j < got.cols(); ++j) hits += truth.count(got(i, j)) ? 1.0 : 0.0;
  }
  return hits / static_cast<double>(got.size());
}

template <class M>
Eigen::MatrixXi hnsw_exact(const RowMatrix<float>& X, const RowMatrix<float>& Q, int k) {
  osprey::NearestNeighbors<float, M> nn({.algorithm = osprey::Algorithm::brute, .n_threads = 1});
  nn.fit(X);
  return nn.kneighbors(Q, k).indices;
}

template <class A, class B>
bool hnsw_same_bits(const A& a, const B& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  return std::memcmp(a.data(), b.data(), static_cast<std::size_t>(a.size()) * sizeof(*a.data())) ==
         0;
}

template <class E>
std::string hnsw_saved(const E& e) {
  std::ostringstream out;
  osprey::save(e, out);
  return out.str();
}

}  // namespace

TEST_CASE("HnswIndex: recall at 10 of at least 0.95 against brute force at default params",
          "[hnsw]") {
  const RowMatrix<float> X = hnsw_blobs(5000, 32, 20, 1);
  const RowMatrix<float> Q = hnsw_blobs(200, 32, 20, 2);
  // One thread: a parallel build depends on scheduling; the recall checks want a fixed graph.
  HnswIndex<float> index({.random_state = 3, .n_threads = 1});
  index.add(X);
  CHECK(index.size() == 5000);
  const auto got = index.kneighbors(Q, 10);
  const Eigen::MatrixXi exact = hnsw_exact<osprey::Euclidean>(X, Q, 10);
  CHECK(hnsw_recall(got.indices, exact) >= 0.95);
  // Rows sorted by distance, and the distances are the true Euclidean ones.
  for (Eigen::Index i = 0; i < Q.rows(); ++i) {
    for (Eigen::Index j = 0; j < 10; ++j) {
      const float truth = (Q.row(i) - X.row(got.indices(i, j))).norm();
      CHECK_THAT(got.distances(i, j), WithinRel(truth, 1e-5F));
      if (j > 0) CHECK(got.distances(i, j - 1) <= got.distances(i, j));
    }
  }
}

TEST_CASE("HnswIndex: recall rises with ef and reaches 0.99", "[hnsw]") {
  const RowMatrix<float> X = hnsw_blobs(4000, 32, 10, 5);
  const RowMatrix<float> Q = hnsw_blobs(200, 32, 10, 6);
  HnswIndex<float> index({.ef_construction = 100, .random_state = 1, .n_threads = 1});
  index.add(X);
  const Eigen::MatrixXi exact = hnsw_exact<osprey::Euclidean>(X, Q, 10);
  const double r10 = hnsw_recall(index.kneighbors(Q, 10, 10).indices, exact);
  const double r50 = hnsw_recall(index.kneighbors(Q, 10, 50).indices, exact);
  const double r400 = hnsw_recall(index.kneighbors(Q, 10, 400).indices, exact);
  CHECK(r10 < r50);
  CHECK(r50 <= r400);
  CHECK(r400 >= 0.99);
  // set_ef_search is the default of kneighbors(Q, k).
  index.set_ef_search(50);
  CHECK(hnsw_same_bits(index.kneighbors(Q, 10).indices, index.kneighbors(Q, 10, 50).indices));
}

TEST_CASE("HnswIndex: one thread gives a bit-identical index for a seed", "[hnsw]") {
  const RowMatrix<float> X = hnsw_blobs(2000, 16, 8, 7);
  const RowMatrix<float> Q = hnsw_blobs(100, 16, 8, 8);
  HnswIndex<float> a({.random_state = 9, .n_threads = 1});
  HnswIndex<float> b({.random_state = 9, .n_threads = 1});
  a.add(X);
  b.add(X);
  CHECK(hnsw_saved(a) == hnsw_saved(b));
  const auto ra = a.kneighbors(Q, 5);
  const auto rb = b.kneighbors(Q, 5);
  CHECK(hnsw_same_bits(ra.indices, rb.indices));
  CHECK(hnsw_same_bits(ra.distances, rb.distances));
  // Queries on 2 threads answer as on one.
  a.set_execution({.n_threads = 2});
  const auto r2 = a.kneighbors(Q, 5);
  CHECK(hnsw_same_bits(ra.indices, r2.indices));
  CHECK(hnsw_same_bits(ra.distances, r2.distances));
  // Another seed draws other levels.
  HnswIndex<float> c({.random_state = 10, .n_threads = 1});
  c.add(X);
  CHECK(hnsw_saved(a) != hnsw_saved(c));
}

TEST_CASE("HnswIndex: ids continue across adds and two adds equal one on one thread", "[hnsw]") {
  const RowMatrix<float> X = hnsw_blobs(1500, 12, 6, 11);
  const RowMatrix<float> A = X.topRows(600);
  const RowMatrix<float> B = X.bottomRows(900);
  HnswIndex<float> twice({.random_state = 4, .n_threads = 1});
  twice.add(A);
  CHECK(twice.n_ids() == 600);
  twice.add(B);
  CHECK(twice.n_ids() == 1500);
  CHECK(twice.size() == 1500);
  HnswIndex<float> once({.random_state = 4, .n_threads = 1});
  once.add(X);
  CHECK(hnsw_saved(twice) == hnsw_saved(once));
  // Each row of B finds itself (distance 0) under its continued id.
  const auto self = twice.kneighbors(B, 1, 100);
  for (Eigen::Index i = 0; i < B.rows(); ++i) {
    CHECK(self.indices(i, 0) == 600 + i);
    CHECK(self.distances(i, 0) == 0.0F);
  }
}

TEST_CASE("HnswIndex: a parallel build keeps recall and queries agree across threads", "[hnsw]") {
  const RowMatrix<float> X = hnsw_blobs(3000, 24, 12, 21);
  const RowMatrix<float> Q = hnsw_blobs(150, 24, 12, 22);
  HnswIndex<float> index({.random_state = 2, .n_threads = 4});
  index.add(X.topRows(1000));
  index.add(X.bottomRows(2000));
  // A parallel build's graph depends on scheduling (its recall at the default ef_search of 64
  // was 0.949-0.97 over runs), so the check queries with a wider list: far from the line on
  // any schedule.
  const auto got = index.kneighbors(Q, 10, 200);
  CHECK(hnsw_recall(got.indices, hnsw_exact<osprey::Euclidean>(X, Q, 10)) >= 0.95);
  std::vector<std::thread> threads;
  std::vector<int> same(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const auto r = index.kneighbors(Q, 10, 200);
      same[static_cast<std::size_t>(t)] =
          hnsw_same_bits(r.indices, got.indices) && hnsw_same_bits(r.distances, got.distances);
    });
  }
  for (auto& th : threads) th.join();
  CHECK(same == std::vector<int>(4, 1));
}

TEST_CASE("HnswIndex: removed ids are never returned and recall holds after removing 30%",
          "[hnsw]") {
  const RowMatrix<float> X = hnsw_blobs(4000, 16, 10, 31);
  const RowMatrix<float> Q = hnsw_blobs(200, 16, 10, 32);
  HnswIndex<float> index({.random_state = 5, .n_threads = 1});  // a fixed graph
  index.add(X);
  index.set_execution({.n_threads = 2});  // the repair and the queries on two threads
  // 5%: tombstones only (below the repair threshold).
  std::vector<int> first;
  for (int i = 0; i < 4000; i += 20) first.push_back(i);
  index.remove(first);
  CHECK(index.size() == 4000 - 200);
  CHECK(index.is_removed(20));
  CHECK_FALSE(index.is_removed(21));
  // The removed rows themselves as queries: their own ids never come back.
  RowMatrix<float> removed_rows(static_cast<Eigen::Index>(first.size()), 16);
  for (std::size_t t = 0; t < first.size(); ++t) {
    removed_rows.row(static_cast<Eigen::Index>(t)) = X.row(first[t]);
  }
  auto got = index.kneighbors(removed_rows, 10);
  for (Eigen::Index i = 0; i < got.indices.size(); ++i) CHECK(got.indices.data()[i] % 20 != 0);
  // Up to 30%: the repair runs (tombstones pass a quarter of the linked nodes).
  std::vector<int> second;
  for (int i = 1; i < 4000; i += 4) second.push_back(i);  // 1000 more
  index.remove(second);
  CHECK(index.size() == 2800);
  const auto saved = hnsw_saved(index);
  index.repair();  // nothing left to repair: unchanged
  CHECK(hnsw_saved(index) == saved);
  // Recall against the exact neighbours among the live rows.
  std::vector<int> live;
  for (int i = 0; i < 4000; ++i) {
    if (!index.is_removed(i)) live.push_back(i);
  }
  RowMatrix<float> L(static_cast<Eigen::Index>(live.size()), 16);
  for (std::size_t t = 0; t < live.size(); ++t)
    L.row(static_cast<Eigen::Index>(t)) = X.row(live[t]);
  Eigen::MatrixXi exact = hnsw_exact<osprey::Euclidean>(L, Q, 10);
  for (Eigen::Index i = 0; i < exact.size(); ++i) {
    exact.data()[i] = live[static_cast<std::size_t>(exact.data()[i])];
  }
  got = index.kneighbors(Q, 10, 200);
  for (Eigen::Index i = 0; i < got.indices.size(); ++i) {
    CHECK_FALSE(index.is_removed(got.indices.data()[i]));
  }
  CHECK(hnsw_recall(got.indices, exact) >= 0.97);
  // At the default ef, close to an index built afresh on the live rows (0.87 vs 0.95 when
  // written: this set is hard at ef = 64).
  HnswIndex<float> fresh({.random_state = 5, .n_threads = 1});
  fresh.add(L);
  const double fresh_recall =
      hnsw_recall(fresh.kneighbors(Q, 10).indices, hnsw_exact<osprey::Euclidean>(L, Q, 10));
  CHECK(hnsw_recall(index.kneighbors(Q, 10).indices, exact) >= fresh_recall - 0.1);
  // Repair results do not depend on the thread count.
  HnswIndex<float> one({.random_state = 5, .n_threads = 1});
  HnswIndex<float> two({.random_state = 5, .n_threads = 1});
  one.add(X);
  two.add(X);
  one.remove(second).repair();
  two.set_execution({.n_threads = 3});
  two.remove(second).repair();
  CHECK(hnsw_saved(one) == hnsw_saved(two));
  // Removing everything leaves an empty index; adding again works.
  std::vector<int> rest;
  for (int i = 0; i < 4000; ++i) {
    if (!one.is_removed(i)) rest.push_back(i);
  }
  one.remove(rest);
  CHECK(one.size() == 0);
  CHECK(one.max_level() == -1);
  require_throws_containing<InvalidArgument>([&] { (void)one.kneighbors(Q, 1); }, "size()");
  one.add(Q);
  CHECK(one.size() == 200);
  const auto back = one.kneighbors(Q.topRows(5), 1);
  for (Eigen::Index i = 0; i < 5; ++i) CHECK(back.indices(i, 0) == 4000 + i);
}

TEST_CASE("HnswIndex: Cosine matches exact cosine neighbours and ignores row scale", "[hnsw]") {
  RowMatrix<float> X = hnsw_blobs(3000, 24, 12, 41);
  RowMatrix<float> Q = hnsw_blobs(150, 24, 12, 42);
  HnswIndex<float, osprey::Cosine> index({.random_state = 8, .n_threads = 1});
  index.add(X);
  const auto got = index.kneighbors(Q, 10);
  // Exact cosine neighbours: Euclidean ones between unit rows.
  RowMatrix<float> Xu = X;
  RowMatrix<float> Qu = Q;
  Xu.rowwise().normalize();
  Qu.rowwise().normalize();
  CHECK(hnsw_recall(got.indices, hnsw_exact<osprey::Euclidean>(Xu, Qu, 10)) >= 0.95);
  for (Eigen::Index i = 0; i < Q.rows(); ++i) {
    const float cosine = Q.row(i).dot(X.row(got.indices(i, 0))) /
                         (Q.row(i).norm() * X.row(got.indices(i, 0)).norm());
    CHECK_THAT(got.distances(i, 0), WithinAbs(1.0F - cosine, 1e-5));
  }
  // Scaling rows by powers of two leaves the unit rows bit-identical: the same answers.
  for (Eigen::Index i = 0; i < X.rows(); ++i) X.row(i) *= static_cast<float>(1 << (i % 7));
  for (Eigen::Index i = 0; i < Q.rows(); ++i) Q.row(i) *= 0.25F * static_cast<float>(1 + i % 3);
  HnswIndex<float, osprey::Cosine> scaled({.random_state = 8, .n_threads = 1});
  scaled.add(X);
  const auto again = scaled.kneighbors(Q, 10);
  CHECK(hnsw_saved(scaled) == hnsw_saved(index));
  CHECK(hnsw_same_bits(again.indices, got.indices));
  // Other positive factors: same neighbours up to rounding ties.
  HnswIndex<float, osprey::Cosine> third({.random_state = 8, .n_threads = 1});
  RowMatrix<float> Y = X;
  for (Eigen::Index i = 0; i < Y.rows(); ++i) Y.row(i) *= 0.3F + static_cast<float>(i % 5);
  third.add(Y);
  CHECK(hnsw_recall(third.kneighbors(Q, 10).indices, got.indices) >= 0.97);
}

TEST_CASE("HnswIndex: SquaredEuclidean and double give the Euclidean neighbours", "[hnsw]") {
  const RowMatrix<float> X = hnsw_blobs(1500, 10, 5, 51);
  const RowMatrix<float> Q = hnsw_blobs(60, 10, 5, 52);
  HnswIndex<float> eu({.random_state = 6, .n_threads = 1});
  HnswIndex<float, osprey::SquaredEuclidean> sq({.random_state = 6, .n_threads = 1});
  HnswIndex<double> dbl({.random_state = 6, .n_threads = 1});
  eu.add(X);
  sq.add(X);
  dbl.add(X.cast<double>());
  const auto a = eu.kneighbors(Q, 5);
  const auto b = sq.kneighbors(Q, 5);
  CHECK(hnsw_same_bits(a.indices, b.indices));
  for (Eigen::Index i = 0; i < a.distances.size(); ++i) {
    CHECK_THAT(b.distances.data()[i],
               WithinRel(a.distances.data()[i] * a.distances.data()[i], 1e-5F));
  }
  const auto c = dbl.kneighbors(Q.cast<double>(), 5, 200);
  CHECK(hnsw_recall(c.indices, hnsw_exact<osprey::Euclidean>(X, Q, 5)) >= 0.99);
}

TEST_CASE("HnswIndex: bad parameters and inputs throw naming the fault", "[hnsw]") {
  require_throws_containing<InvalidArgument>([] { HnswIndex<float> e({.M = 1}); }, "M");
  require_throws_containing<InvalidArgument>([] { HnswIndex<float> e({.ef_construction = 0}); },
                                             "ef_construction");
  require_throws_containing<InvalidArgument>([] { HnswIndex<float> e({.ef_search = 0}); },
                                             "ef_search");
  require_throws_containing<InvalidArgument>([] { HnswIndex<float> e({.n_threads = -1}); },
                                             "n_threads");
  HnswIndex<float> index({.n_threads = 1});
  const RowMatrix<float> X = hnsw_blobs(200, 4, 3, 61);
  require_throws_containing<NotFittedError>([&] { (void)index.kneighbors(X, 1); }, "HnswIndex");
  require_throws_containing<NotFittedError>([&] { index.remove(std::vector<int>{0}); },
                                            "HnswIndex");
  require_throws_containing<InvalidArgument>([&] { index.add(RowMatrix<float>(0, 4)); }, "empty");
  RowMatrix<float> bad = X;
  bad(7, 2) = std::numeric_limits<float>::quiet_NaN();
  require_throws_containing<InvalidArgument>([&] { index.add(bad); }, "row 7");
  require_throws_containing<InvalidArgument>([&] { index.add(bad); }, "column 2");
  CHECK_FALSE(index.is_fitted());
  index.add(X);
  require_throws_containing<InvalidArgument>([&] { index.add(RowMatrix<float>::Ones(3, 5)); },
                                             "features");
  require_throws_containing<InvalidArgument>([&] { (void)index.kneighbors(X, 0); }, "n_neighbors");
  require_throws_containing<InvalidArgument>([&] { (void)index.kneighbors(X, 201); }, "200");
  require_throws_containing<InvalidArgument>([&] { (void)index.kneighbors(X, 1, 0); }, "ef");
  require_throws_containing<InvalidArgument>([&] { (void)index.kneighbors(bad, 1); }, "row 7");
  require_throws_containing<InvalidArgument>(
      [&] { (void)index.kneighbors(RowMatrix<float>::Ones(2, 3), 1); }, "features");
  require_throws_containing<InvalidArgument>([&] { (void)index.set_ef_search(0); }, "ef_search");
  require_throws_containing<InvalidArgument>([&] { index.remove(std::vector<int>{200}); },
                                             "id 200");
  require_throws_containing<InvalidArgument>([&] { index.remove(std::vector<int>{-1}); }, "id -1");
  require_throws_containing<InvalidArgument>(
      [&] {
        index.remove(std::vector<int>{3, 3});
      },
      "already removed");
  CHECK(index.size() == 200);  // unchanged by the failed calls
  index.remove(Eigen::VectorXi::Constant(1, 3));
  require_throws_containing<InvalidArgument>([&] { index.remove(std::vector<int>{3}); },
                                             "already removed");
  HnswIndex<float, osprey::Cosine> cosine;
  RowMatrix<float> zero = X;
  zero.row(5).setZero();
  require_throws_containing<InvalidArgument>([&] { cosine.add(zero); }, "row 5");
  cosine.add(X);
  require_throws_containing<InvalidArgument>([&] { (void)cosine.kneighbors(zero, 1); }, "row 5");
  // Euclidean distances that overflow float are refused, as NearestNeighbors refuses them.
  RowMatrix<float> huge = X;
  huge(1, 1) = 1e30F;
  require_throws_containing<InvalidArgument>([&] { HnswIndex<float>().add(huge); }, "row 1");
}

TEST_CASE("HnswIndex: save and load restore the graph bit for bit", "[hnsw]") {
  const RowMatrix<float> X = hnsw_blobs(2000, 20, 8, 71);
  const RowMatrix<float> Q = hnsw_blobs(100, 20, 8, 72);
  HnswIndex<float> index({.M = 8, .ef_search = 40, .random_state = 12, .n_threads = 2});
  index.add(X);
  std::vector<int> gone;
  for (int i = 0; i < 2000; i += 9) gone.push_back(i);
  index.remove(gone);  // tombstones, saved as such
  const std::string bytes = hnsw_saved(index);
  std::istringstream in(bytes);
  auto loaded = osprey::load<HnswIndex<float>>(in);
  CHECK(loaded.params().M == 8);
  CHECK(loaded.params().ef_search == 40);
  CHECK(loaded.size() == index.size());
  CHECK(hnsw_saved(loaded) == bytes);
  const auto a = index.kneighbors(Q, 7);
  const auto b = loaded.kneighbors(Q, 7);
  CHECK(hnsw_same_bits(a.indices, b.indices));
  CHECK(hnsw_same_bits(a.distances, b.distances));
  // The loaded index continues: same seed, same next ids and levels.
  index.set_execution({.n_threads = 1});
  loaded.set_execution({.n_threads = 1});
  index.add(Q);
  loaded.add(Q);
  CHECK(hnsw_saved(index) == hnsw_saved(loaded));
  // Cosine and double round trips.
  HnswIndex<double, osprey::Cosine> cosine({.random_state = 1});
  cosine.add(X.cast<double>());
  const std::string cbytes = hnsw_saved(cosine);
  std::istringstream cin(cbytes);
  CHECK(hnsw_saved(osprey::load<HnswIndex<double, osprey::Cosine>>(cin)) == cbytes);
  // A file of another metric is refused.
  std::istringstream wrong(bytes);
  CHECK_THROWS_AS((osprey::load<HnswIndex<float, osprey::Cosine>>(wrong)), FormatError);
  require_throws_containing<NotFittedError>([] { (void)hnsw_saved(HnswIndex<float>()); },
                                            "HnswIndex");
}

TEST_CASE("HnswIndex: corrupted payloads throw FormatError", "[hnsw]") {
  using Io = osprey::detail::Serial::Io<HnswIndex<float>>;
  const RowMatrix<float> X = hnsw_blobs(300, 6, 4, 81);
  HnswIndex<float> index({.M = 4, .random_state = 2, .n_threads = 1});
  index.add(X);
  index.remove(std::vector<int>{5, 6});
  osprey::detail::ByteWriter w;
  Io::write(index, w);
  const std::string payload = w.bytes();
  const auto read = [](const std::string& p) {
    osprey::detail::ByteReader r(p, Io::format, osprey::detail::kModelFormatVersion);
    return Io::read(r);
  };
  CHECK(hnsw_saved(read(payload)) == hnsw_saved(index));
  // The layer-0 list of node 0 starts after 36 bytes of header, the rows, levels and states and
  // the entry point.
  const std::size_t list0 = 36 + 300 * 6 * 4 + 2 * 300 + 8;
  const auto patch = [&](std::size_t at, std::uint32_t v) {
    std::string p = payload;
    for (unsigned k = 0; k < 4; ++k) p[at + k] = static_cast<char>((v >> (8 * k)) & 0xFFU);
    return p;
  };
  require_throws_containing<FormatError>([&] { (void)read(patch(list0, 9)); }, "links");
  require_throws_containing<FormatError>([&] { (void)read(patch(list0 + 4, 300)); }, "links to");
  require_throws_containing<FormatError>([&] { (void)read(patch(list0 + 4, 0)); }, "links to");
  require_throws_containing<FormatError>([&] { (void)read(patch(0, 1)); }, "M");
  std::string state = payload;
  state[36 + 300 * 6 * 4 + 300 + 10] = 7;
  require_throws_containing<FormatError>([&] { (void)read(state); }, "state");
  // Every prefix is refused; random byte changes are refused or read into a valid index.
  for (std::size_t len = 0; len < payload.size(); len += 7) {
    CHECK_THROWS_AS(read(payload.substr(0, len)), FormatError);
  }
  osprey::Rng rng(3);
  for (int t = 0; t < 300; ++t) {
    std::string p = payload;
    const auto at = static_cast<std::size_t>(rng.bounded(p.size()));
    p[at] = static_cast<char>(rng.bounded(256));
    try {
      auto m = read(p);
      if (m.size() >= 3) (void)m.kneighbors(X.topRows(4), 3);
    } catch (const FormatError&) {
    }
  }
  // Through the file envelope, a changed byte fails the checksum.
  std::string file = hnsw_saved(index);
  file[file.size() / 2] = static_cast<char>(file[file.size() / 2] ^ 0x5A);
  std::istringstream in(file);
  CHECK_THROWS_AS(osprey::load<HnswIndex<float>>(in), FormatError);
}

}  // namespace hnsw_test

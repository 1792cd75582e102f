// compare_dynamic_knn: osprey's dynamic k-d index (NearestNeighbors::add / remove) against its
// static tree and nanoflann's static (KDTreeSingleIndexAdaptor) and dynamic
// (KDTreeSingleIndexDynamicAdaptor) trees, run by bench/compare/dynamic_knn.py.
//
// usage: compare_dynamic_knn N BATCH QUERIES K THREADS LEAF_SIZE ROUNDS
// Points are 3-D floats, uniform in the unit cube, from a fixed seed.
//  1. insert: N points added in batches of BATCH (osprey add, nanoflann addPoints), then
//     QUERIES queries of K neighbours on THREADS threads; the static trees build on all N at once.
//  2. mixed: from N / 10 points, ROUNDS rounds of (add BATCH points, remove BATCH / 2 random live
//     points, QUERIES / 100 queries); osprey also as a rebuild (fit on the live rows) each round.
// Prints key=value lines; `mismatch` counts query rows where osprey's dynamic and static indexes
// disagree (0: both are exact).
#include <nanoflann.hpp>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <osprey/neighbors/nearest_neighbors.hpp>
#include <string>
#include <vector>

namespace {

/** SplitMix64: the same stream everywhere. */
struct Stream {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  float uniform() { return static_cast<float>(next() >> 40) * 0x1p-24f; }
};

using Rows = osprey::RowMatrix<float>;

Rows points(Stream& g, Eigen::Index n) {
  Rows X(n, 3);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = g.uniform();
  return X;
}

struct Cloud {
  std::vector<float> values;
  [[nodiscard]] std::size_t kdtree_get_point_count() const { return values.size() / 3; }
  [[nodiscard]] float kdtree_get_pt(std::size_t i, std::size_t j) const {
    return values[i * 3 + j];
  }
  template <class Box>
  bool kdtree_get_bbox(Box& /*bb*/) const {
    return false;
  }
  void append(const Rows& X) { values.insert(values.end(), X.data(), X.data() + X.size()); }
};

using Metric = nanoflann::L2_Simple_Adaptor<float, Cloud>;
using Static = nanoflann::KDTreeSingleIndexAdaptor<Metric, Cloud, 3, std::uint32_t>;
using Dynamic = nanoflann::KDTreeSingleIndexDynamicAdaptor<Metric, Cloud, 3, std::uint32_t>;

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class Tree>
void nano_query(const Tree& tree, const Rows& Q, std::size_t k, int threads) {
  const auto m = static_cast<std::int64_t>(Q.rows());
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads)
  for (std::int64_t i = 0; i < m; ++i) {
    std::uint32_t idx[64];
    float dist[64];
    nanoflann::KNNResultSet<float, std::uint32_t> result(k);
    result.init(idx, dist);
    tree.findNeighbors(result, Q.row(i).data(), nanoflann::SearchParams());
  }
  (void)threads;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::cerr << "usage: compare_dynamic_knn N BATCH QUERIES K THREADS LEAF_SIZE ROUNDS\n";
    return 2;
  }
  const Eigen::Index n = std::stol(argv[1]);
  const Eigen::Index batch = std::stol(argv[2]);
  const Eigen::Index queries = std::stol(argv[3]);
  const int k = std::stoi(argv[4]);
  const int threads = std::stoi(argv[5]);
  const int leaf = std::stoi(argv[6]);
  const int rounds = std::stoi(argv[7]);
  const auto kk = static_cast<std::size_t>(k);
  Stream g{21};
  const Rows X = points(g, n);
  const Rows Q = points(g, queries);
  const osprey::NearestNeighborsParams params{
      .algorithm = osprey::Algorithm::kd_tree, .leaf_size = leaf, .n_threads = threads};

  // 1. insert in batches, then query
  {
    osprey::NearestNeighbors<float> dyn(params);
    auto t0 = std::chrono::steady_clock::now();
    for (Eigen::Index b = 0; b < n; b += batch) {
      (void)dyn.add(X.middleRows(b, std::min(batch, n - b)));
    }
    const double dyn_insert = since(t0);
    t0 = std::chrono::steady_clock::now();
    const auto got = dyn.kneighbors(Q, k);
    const double dyn_query = since(t0);

    osprey::NearestNeighbors<float> stat(params);
    t0 = std::chrono::steady_clock::now();
    stat.fit(X);
    const double stat_build = since(t0);
    t0 = std::chrono::steady_clock::now();
    const auto want = stat.kneighbors(Q, k);
    const double stat_query = since(t0);
    Eigen::Index mismatch = 0;
    for (Eigen::Index i = 0; i < Q.rows(); ++i) {
      mismatch += (got.indices.row(i) != want.indices.row(i)) ? 1 : 0;
    }

    Cloud cloud;
    cloud.append(X);
    t0 = std::chrono::steady_clock::now();
    Static nstat(3, cloud,
                 nanoflann::KDTreeSingleIndexAdaptorParams(static_cast<std::size_t>(leaf)));
    const double nstat_build = since(t0);
    t0 = std::chrono::steady_clock::now();
    nano_query(nstat, Q, kk, threads);
    const double nstat_query = since(t0);

    Cloud grow;
    grow.values.reserve(static_cast<std::size_t>(X.size()));
    Dynamic ndyn(3, grow,
                 nanoflann::KDTreeSingleIndexAdaptorParams(static_cast<std::size_t>(leaf)));
    t0 = std::chrono::steady_clock::now();
    for (Eigen::Index b = 0; b < n; b += batch) {
      const Eigen::Index m = std::min(batch, n - b);
      grow.append(X.middleRows(b, m));
      ndyn.addPoints(static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(b + m - 1));
    }
    const double ndyn_insert = since(t0);
    t0 = std::chrono::steady_clock::now();
    nano_query(ndyn, Q, kk, threads);
    const double ndyn_query = since(t0);
    std::printf(
        "insert osprey_dyn_build_s=%.4f osprey_dyn_query_s=%.4f osprey_static_build_s=%.4f "
        "osprey_static_query_s=%.4f nano_static_build_s=%.4f nano_static_query_s=%.4f "
        "nano_dyn_build_s=%.4f nano_dyn_query_s=%.4f mismatch=%ld\n",
        dyn_insert, dyn_query, stat_build, stat_query, nstat_build, nstat_query, ndyn_insert,
        ndyn_query, static_cast<long>(mismatch));
  }

  // 2. mixed: add, remove, query
  {
    const Eigen::Index start = n / 10;
    const Eigen::Index mq = std::max<Eigen::Index>(1, queries / 100);
    Stream h{22};
    std::vector<Rows> adds;
    std::vector<Rows> qs;
    for (int r = 0; r < rounds; ++r) {
      adds.push_back(points(h, batch));
      qs.push_back(points(h, mq));
    }
    // The same removals for both: positions into the live list, drawn up front.
    std::vector<std::vector<std::uint64_t>> picks(static_cast<std::size_t>(rounds));
    for (auto& p : picks) {
      for (Eigen::Index i = 0; i < batch / 2; ++i) p.push_back(h.next());
    }
    const auto take = [&](std::vector<int>& live, std::uint64_t draw) {
      const std::size_t at = draw % live.size();
      const int id = live[at];
      live[at] = live.back();
      live.pop_back();
      return id;
    };

    osprey::NearestNeighbors<float> dyn(params);
    std::vector<int> live;
    auto t0 = std::chrono::steady_clock::now();
    (void)dyn.add(X.topRows(start));
    for (int i = 0; i < start; ++i) live.push_back(i);
    int next = static_cast<int>(start);
    std::vector<int> gone;
    for (int r = 0; r < rounds; ++r) {
      const auto rz = static_cast<std::size_t>(r);
      (void)dyn.add(adds[rz]);
      for (Eigen::Index i = 0; i < batch; ++i) live.push_back(next++);
      gone.clear();
      for (const auto d : picks[rz]) gone.push_back(take(live, d));
      dyn.remove(gone);
      (void)dyn.kneighbors(qs[rz], k);
    }
    const double dyn_mixed = since(t0);

    // Rebuild every round (fit on the live rows).
    osprey::NearestNeighbors<float> reb(params);
    Rows all = X.topRows(start);
    std::vector<char> alive(static_cast<std::size_t>(start + rounds * batch), 1);
    live.clear();
    for (int i = 0; i < start; ++i) live.push_back(i);
    next = static_cast<int>(start);
    Rows stored(start + rounds * batch, 3);
    stored.topRows(start) = X.topRows(start);
    t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r) {
      const auto rz = static_cast<std::size_t>(r);
      stored.middleRows(next, batch) = adds[rz];
      for (Eigen::Index i = 0; i < batch; ++i) live.push_back(next++);
      for (const auto d : picks[rz]) alive[static_cast<std::size_t>(take(live, d))] = 0;
      Rows L(static_cast<Eigen::Index>(live.size()), 3);
      Eigen::Index at = 0;
      for (int id = 0; id < next; ++id) {
        if (alive[static_cast<std::size_t>(id)]) L.row(at++) = stored.row(id);
      }
      reb.fit(L);
      (void)reb.kneighbors(qs[rz], k);
    }
    const double reb_mixed = since(t0);

    Cloud grow;
    grow.values.reserve(static_cast<std::size_t>((start + rounds * batch) * 3));
    Dynamic ndyn(3, grow,
                 nanoflann::KDTreeSingleIndexAdaptorParams(static_cast<std::size_t>(leaf)));
    live.clear();
    t0 = std::chrono::steady_clock::now();
    grow.append(X.topRows(start));
    ndyn.addPoints(0, static_cast<std::uint32_t>(start - 1));
    for (int i = 0; i < start; ++i) live.push_back(i);
    next = static_cast<int>(start);
    for (int r = 0; r < rounds; ++r) {
      const auto rz = static_cast<std::size_t>(r);
      grow.append(adds[rz]);
      ndyn.addPoints(static_cast<std::uint32_t>(next),
                     static_cast<std::uint32_t>(next + batch - 1));
      for (Eigen::Index i = 0; i < batch; ++i) live.push_back(next++);
      for (const auto d : picks[rz]) ndyn.removePoint(static_cast<std::size_t>(take(live, d)));
      nano_query(ndyn, qs[rz], kk, threads);
    }
    const double ndyn_mixed = since(t0);
    std::printf("mixed osprey_dyn_s=%.4f osprey_rebuild_s=%.4f nano_dyn_s=%.4f\n", dyn_mixed,
                reb_mixed, ndyn_mixed);
  }
  return 0;
}

/** \file
 *  dist::PageRank equals single-node osprey::PageRank (scores to 1e-12, the same iteration
 *  count, convergence flag and residual) on every rank count: random graphs with dangling and
 *  isolated nodes, duplicates and self-loops, weights (zeros included, and weights that merge
 *  to all ones), personalization given whole or as each rank's owned entries, both dangling
 *  policies, a rank that owns no edges (and, with 3 nodes, one that owns no nodes), edges
 *  spread contiguously or scattered, float, and a run stopped by max_iter. */
#pragma once

#include <osprey/core/random.hpp>
#include <osprey/dist/pagerank.hpp>
#include <osprey/graph/pagerank.hpp>

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "harness.hpp"

namespace osprey_dist_test {
namespace pagerank_detail {

template <class Scalar>
struct RandomGraph {
  std::int64_t n = 0;
  std::vector<std::int64_t> src, dst;
  std::vector<Scalar> w;
};

/** n nodes, m edges drawn from `seed`; the last fifth of the nodes send nothing (dangling) and
 *  a few receive nothing; every ninth edge repeats the previous one, every 13th is a self-loop.
 *  `weights`: 0 none, 1 random (some zero), 2 halves that merge to one. */
template <class Scalar>
RandomGraph<Scalar> random_graph(std::int64_t n, std::int64_t m, std::uint64_t seed, int weights) {
  osprey::Rng rng(seed);
  RandomGraph<Scalar> g;
  g.n = n;
  const auto senders = static_cast<std::uint64_t>(std::max<std::int64_t>(1, n * 4 / 5));
  for (std::int64_t e = 0; e < m; ++e) {
    std::int64_t s = static_cast<std::int64_t>(rng.bounded(senders));
    std::int64_t t = static_cast<std::int64_t>(rng.bounded(static_cast<std::uint64_t>(n)));
    if (e % 13 == 12) t = s;
    if (e % 9 == 8 && !g.src.empty()) {
      s = g.src.back();
      t = g.dst.back();
    }
    g.src.push_back(s);
    g.dst.push_back(t);
    if (weights == 1)
      g.w.push_back(e % 17 == 3 ? Scalar(0) : static_cast<Scalar>(rng.uniform() * 3));
  }
  if (weights == 2) {  // every edge twice at weight 0.5: merged, all weights are 1
    const auto half = g.src.size();
    for (std::size_t e = 0; e < half; ++e) {
      g.src.push_back(g.src[e]);
      g.dst.push_back(g.dst[e]);
    }
    g.w.assign(g.src.size(), Scalar(0.5));
  }
  return g;
}

/** Runs both forms and compares; `scattered`: rank r takes every edge e with e % p == r instead
 *  of an uneven contiguous share; `local_personalization`: each rank passes its owned entries. */
template <class Scalar, class C>
void compare(C& comm, const RandomGraph<Scalar>& g, osprey::PageRankParams params, bool scattered,
             bool local_personalization, double tol, const std::string& what) {
  namespace dist = osprey::dist;
  const auto graph = osprey::Graph<Scalar>::from_edges(g.n, std::span<const std::int64_t>(g.src),
                                                       std::span<const std::int64_t>(g.dst),
                                                       std::span<const Scalar>(g.w));
  osprey::PageRank<Scalar> single(params);
  single.fit(graph);

  const int p = comm.size(), me = comm.rank();
  std::vector<std::int64_t> src, dst;
  std::vector<Scalar> w;
  const auto m = static_cast<std::int64_t>(g.src.size());
  const auto [lo, hi] = uneven_slice(m, me, p);
  for (std::int64_t e = 0; e < m; ++e) {
    if (scattered ? e % p != me : (e < lo || e >= hi)) continue;
    const auto ez = static_cast<std::size_t>(e);
    src.push_back(g.src[ez]);
    dst.push_back(g.dst[ez]);
    if (!g.w.empty()) w.push_back(g.w[ez]);
  }
  const dist::RowRange owned = dist::contiguous_block(static_cast<std::uint64_t>(g.n), me, p);
  if (local_personalization && params.personalization) {
    params.personalization = Eigen::VectorXd(params.personalization->segment(
        static_cast<Eigen::Index>(owned.offset), static_cast<Eigen::Index>(owned.local)));
  }
  dist::PageRank<Scalar> pr(params);
  pr.fit(comm, g.n, std::span<const std::int64_t>(src), std::span<const std::int64_t>(dst),
         std::span<const Scalar>(w));

  OSPREY_DIST_CHECK(pr.iterations() == single.iterations(), what, ": iterations ", pr.iterations(),
                    " vs ", single.iterations());
  OSPREY_DIST_CHECK(pr.converged() == single.converged(), what);
  OSPREY_DIST_CHECK(std::abs(pr.residual() - single.residual()) <= 1e-12, what, ": residual ",
                    pr.residual(), " vs ", single.residual());
  OSPREY_DIST_CHECK(pr.n_edges() == graph.n_edges() && pr.n_dangling() == graph.n_dangling(), what,
                    ": edges ", pr.n_edges(), " vs ", graph.n_edges(), ", dangling ",
                    pr.n_dangling(), " vs ", graph.n_dangling());
  const dist::RowRange r = pr.owned_range();
  OSPREY_DIST_CHECK(r.offset == owned.offset && r.local == owned.local &&
                        r.total == static_cast<std::uint64_t>(g.n),
                    what);
  const auto& local = pr.local_scores();
  OSPREY_DIST_CHECK(local.size() == static_cast<Eigen::Index>(r.local), what);
  for (Eigen::Index i = 0; i < local.size(); ++i) {
    const double a = static_cast<double>(local(i));
    const double b = static_cast<double>(single.scores()(static_cast<Eigen::Index>(r.offset) + i));
    OSPREY_DIST_CHECK(std::abs(a - b) <= tol * std::max(1.0, std::abs(b)), what, ": node ",
                      static_cast<Eigen::Index>(r.offset) + i, " score ", a, " vs ", b);
  }
  const auto all = pr.gather_scores(comm);
  OSPREY_DIST_CHECK(all.size() == g.n, what);
  OSPREY_DIST_CHECK(all.segment(static_cast<Eigen::Index>(r.offset), local.size()) == local, what);
  OSPREY_DIST_CHECK(std::abs(all.template cast<double>().sum() - 1.0) <= 1e-6, what);
  // The exchange: one double per ghost, counted by the communicator.
  const dist::PageRankTraffic& t = pr.traffic();
  OSPREY_DIST_CHECK(t.exchange_bytes_sent == 8 * t.sent_entries, what);
  OSPREY_DIST_CHECK(t.iteration_bytes_sent == static_cast<std::uint64_t>(pr.iterations()) *
                                                  (t.exchange_bytes_sent + t.reduce_bytes_sent),
                    what, ": measured ", t.iteration_bytes_sent);
  const std::uint64_t sent = t.sent_entries;
  const auto got = comm.all_gather(std::span<const std::uint64_t>(&t.ghosts, 1));
  const auto gave = comm.all_gather(std::span<const std::uint64_t>(&sent, 1));
  std::uint64_t ghosts = 0, sends = 0;
  for (int k = 0; k < p; ++k) {
    ghosts += got[static_cast<std::size_t>(k)];
    sends += gave[static_cast<std::size_t>(k)];
  }
  OSPREY_DIST_CHECK(ghosts == sends, what, ": ghosts ", ghosts, " but ", sends, " sent");
  if (p == 1) OSPREY_DIST_CHECK(ghosts == 0, what);
}

}  // namespace pagerank_detail

template <class C>
void case_pagerank(C& comm) {
  using namespace pagerank_detail;
  using osprey::Dangling;
  const auto plain = random_graph<double>(200, 1000, 1, 0);
  compare(comm, plain, {}, false, false, 1e-12, "unweighted");
  compare(comm, plain, {}, true, false, 1e-12, "unweighted, scattered edges");
  compare(comm, plain, {.damping = 0.0}, false, false, 1e-12, "damping 0");
  compare(comm, plain, {.max_iter = 7}, false, false, 1e-12, "stopped by max_iter");
  const auto weighted = random_graph<double>(150, 900, 2, 1);
  compare(comm, weighted, {.tol = 1e-12}, false, false, 1e-12, "weighted");
  compare(comm, random_graph<double>(90, 300, 3, 2), {}, true, false, 1e-12, "weights merge to 1");
  Eigen::VectorXd pers(150);
  for (Eigen::Index i = 0; i < pers.size(); ++i)
    pers(i) = i % 4 == 0 ? 0.0 : 1.0 + static_cast<double>(i % 7);
  compare(comm, weighted, {.personalization = pers}, false, false, 1e-12, "personalized");
  compare(comm, weighted, {.personalization = pers, .dangling = Dangling::uniform}, true, true,
          1e-12, "personalized (owned entries), uniform dangling");
  compare(comm, weighted, {.personalization = pers, .dangling = Dangling::personalization}, false,
          true, 1e-12, "personalized (owned entries)");
  // 3 nodes, 2 edges: rank 0 holds no edge, and with 4 ranks one rank owns no node.
  RandomGraph<double> tiny{3, {0, 1}, {1, 1}, {}};
  compare(comm, tiny, {}, false, false, 1e-12, "tiny");
  compare(comm, tiny, {.personalization = Eigen::VectorXd::Ones(3)}, false, true, 1e-12,
          "tiny personalized");
  RandomGraph<double> lonely{40, {5}, {5}, {2.0}};  // one self-loop, 39 isolated nodes
  compare(comm, lonely, {}, false, false, 1e-12, "one self-loop");
  compare(comm, random_graph<float>(120, 700, 4, 1), {}, false, false, 2e-6, "float weighted");
}

}  // namespace osprey_dist_test

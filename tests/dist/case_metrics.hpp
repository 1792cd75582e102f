/** \file
 *  dist::roc_auc_score, dist::average_precision_score and dist::population_stability_index
 *  against the single-node metrics on the concatenated rows: heavy ties that straddle the rank
 *  slices, all-equal scores, float scores, other label pairs, and data sets small enough to
 *  leave ranks empty. */
#pragma once

#include <osprey/core/random.hpp>
#include <osprey/dist/metrics.hpp>
#include <osprey/metrics/drift.hpp>
#include <osprey/metrics/ranking.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "harness.hpp"

namespace osprey_dist_test {

/** A binary ranking problem: labels in {lo, hi} (about `pos_share` of hi) and scores in
 *  [0, 1), rounded to `levels` distinct values when levels > 0 (ties), constant when -1. */
struct RankingData {
  Eigen::VectorXi y;
  Eigen::VectorXd s;
};

inline RankingData ranking_data(std::int64_t n, int levels, int lo, int hi, std::uint64_t seed) {
  osprey::Rng rng(seed);
  RankingData d{Eigen::VectorXi(n), Eigen::VectorXd(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    const bool pos = rng.uniform() < 0.35;
    d.y(i) = pos ? hi : lo;
    double v = rng.uniform() + (pos ? 0.3 : 0.0);
    if (levels > 0) v = std::floor(v * levels) / levels;
    if (levels < 0) v = 0.25;
    d.s(i) = v;
  }
  // both classes always present
  d.y(0) = lo;
  d.y(n - 1) = hi;
  return d;
}

template <class C>
void case_ranking_metrics(C& comm) {
  namespace dist = osprey::dist;
  struct Setup {
    std::int64_t n;
    int levels, lo, hi;
  };
  const Setup setups[] = {{1000, 0, 0, 1}, {1000, 7, -1, 1}, {600, 3, 0, 1}, {200, -1, 0, 1},
                          {5, 2, 0, 1},    {2, 0, 0, 1},     {777, 20, 2, 5}};
  std::uint64_t seed = 11;
  for (const Setup& st : setups) {
    const RankingData d = ranking_data(st.n, st.levels, st.lo, st.hi, seed++);
    const auto [a, b] = uneven_slice(st.n, comm.rank(), comm.size());
    const Eigen::VectorXi yl = d.y.segment(a, b - a);
    const Eigen::VectorXd sl = d.s.segment(a, b - a);
    const double auc = osprey::roc_auc_score(d.y, d.s);
    const double got = dist::roc_auc_score(comm, yl, sl);
    OSPREY_DIST_CHECK(got == auc, "roc_auc n=", st.n, " levels=", st.levels, ": ", got, " vs ",
                      auc);
    // float scores: the float path of single-node
    const Eigen::VectorXf fs = d.s.cast<float>();
    const Eigen::VectorXf fl = fs.segment(a, b - a);
    const double fauc = osprey::roc_auc_score(d.y, fs);
    OSPREY_DIST_CHECK(dist::roc_auc_score(comm, yl, fl) == fauc, "float roc_auc n=", st.n);
    for (const int pos : {st.hi, st.lo}) {
      const double ap = osprey::average_precision_score(d.y, d.s, pos);
      const double dap = dist::average_precision_score(comm, yl, sl, pos);
      OSPREY_DIST_CHECK(std::abs(dap - ap) <= 1e-12, "average_precision n=", st.n,
                        " levels=", st.levels, " pos=", pos, ": ", dap, " vs ", ap);
      const double fap = osprey::average_precision_score(d.y, fs, pos);
      OSPREY_DIST_CHECK(std::abs(dist::average_precision_score(comm, yl, fl, pos) - fap) <= 1e-12,
                        "float average_precision n=", st.n);
    }
  }
  // every rank's result is the same bits (the AP partial sums are added in one fixed order)
  const RankingData d = ranking_data(500, 9, 0, 1, 99);
  const auto [a, b] = uneven_slice(500, comm.rank(), comm.size());
  const double mine =
      dist::average_precision_score(comm, d.y.segment(a, b - a), d.s.segment(a, b - a));
  const std::vector<double> all = comm.all_gather(std::span<const double>(&mine, 1));
  for (const double v : all) OSPREY_DIST_CHECK(v == mine, "ranks disagree: ", v, " vs ", mine);
}

template <class C>
void case_population_stability_index(C& comm) {
  namespace dist = osprey::dist;
  struct Setup {
    std::int64_t ne, na;
    int n_bins;
    int levels;  // > 0: values rounded to that many steps (tied quantiles)
    double shift;
  };
  const Setup setups[] = {{1000, 700, 10, 0, 0.3}, {999, 1200, 4, 5, 0.5}, {3, 2, 10, 0, 0.1},
                          {400, 50, 7, 1, 0.0},    {1, 1, 2, 0, 0.0},      {2000, 3, 20, 0, -1.0}};
  osprey::Rng rng(5);
  for (const Setup& st : setups) {
    Eigen::VectorXd e(st.ne), ac(st.na);
    for (Eigen::Index i = 0; i < st.ne; ++i) e(i) = rng.normal();
    for (Eigen::Index i = 0; i < st.na; ++i) ac(i) = rng.normal(st.shift, 1.2);
    if (st.levels > 0) {
      e = (e * st.levels).array().round() / st.levels;
      ac = (ac * st.levels).array().round() / st.levels;
    }
    if (st.ne > 3) e(1) = -0.0, e(2) = 0.0;  // signed zeros: equal values, one key
    const auto [ea, eb] = uneven_slice(st.ne, comm.rank(), comm.size());
    // the actual sample is split the other way round, so the slices differ
    const auto [aa, ab] = uneven_slice(st.na, comm.size() - 1 - comm.rank(), comm.size());
    const Eigen::VectorXd el = e.segment(ea, eb - ea);
    const Eigen::VectorXd al = ac.segment(st.na - ab, ab - aa);
    (void)aa;
    const double psi = osprey::population_stability_index(e, ac, st.n_bins);
    const double got = dist::population_stability_index(comm, el, al, st.n_bins);
    OSPREY_DIST_CHECK(got == psi, "psi ne=", st.ne, " bins=", st.n_bins, ": ", got, " vs ", psi);
  }
  // float input and a non-default epsilon
  Eigen::VectorXf e(300), ac(300);
  for (Eigen::Index i = 0; i < 300; ++i) {
    e(i) = static_cast<float>(rng.uniform());
    ac(i) = static_cast<float>(rng.uniform() * 0.5);
  }
  const auto [a, b] = uneven_slice(300, comm.rank(), comm.size());
  const double psi = osprey::population_stability_index(e, ac, 8, 1e-3);
  const double got = dist::population_stability_index(
      comm, Eigen::VectorXf(e.segment(a, b - a)), Eigen::VectorXf(ac.segment(a, b - a)), 8, 1e-3);
  OSPREY_DIST_CHECK(got == psi, "float psi: ", got, " vs ", psi);
}

}  // namespace osprey_dist_test

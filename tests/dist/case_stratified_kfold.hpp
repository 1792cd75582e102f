/** \file
 *  dist::StratifiedKFold against single-node StratifiedKFold on the concatenated labels:
 *  shuffle on and off, classes that first appear on different ranks, and an empty rank. */
#pragma once

#include <osprey/dist/stratified_kfold.hpp>
#include <osprey/model_selection/stratified_kfold.hpp>

#include <cstdint>
#include <span>
#include <vector>

#include "harness.hpp"

namespace osprey_dist_test {

/** The global rows of one local index vector, gathered from every rank in rank order. */
template <class C>
std::vector<std::int64_t> gather_global_ids(C& comm, const Eigen::VectorXi& local,
                                            std::int64_t offset) {
  std::vector<std::int64_t> ids;
  for (Eigen::Index i = 0; i < local.size(); ++i) ids.push_back(offset + local(i));
  return comm.all_gatherv(std::span<const std::int64_t>(ids), nullptr);
}

template <class C>
void case_stratified_kfold(C& comm) {
  namespace dist = osprey::dist;
  struct Setup {
    std::int64_t n;
    int n_classes, n_splits;
  };
  const Setup setups[] = {{103, 3, 5}, {40, 2, 2}, {257, 5, 4}, {6, 2, 3}};
  osprey::Rng rng(21);
  for (const Setup& st : setups) {
    Eigen::VectorXi y(st.n);
    for (Eigen::Index i = 0; i < st.n; ++i) {
      // skewed classes, labels unordered: class j has label 7 - 3 j
      const auto j = static_cast<int>(rng.bounded(static_cast<std::uint64_t>(st.n_classes)));
      y(i) = 7 - 3 * (i % 4 == 0 ? 0 : j);
    }
    for (int j = 0; j < st.n_classes; ++j) {  // every class has enough members, the rarest last
      for (int m = 0; m < st.n_splits; ++m) {
        y(st.n - 1 - j * st.n_splits - m) = 7 - 3 * j;
      }
    }
    const auto [a, b] = uneven_slice(st.n, comm.rank(), comm.size());
    const Eigen::VectorXi yl = y.segment(a, b - a);
    for (const bool shuffle : {false, true}) {
      const osprey::StratifiedKFoldParams params{
          .n_splits = st.n_splits, .shuffle = shuffle, .random_state = 1234};
      const auto expect = osprey::StratifiedKFold(params).split(y);
      const auto got = dist::StratifiedKFold(params).split(comm, yl);
      OSPREY_DIST_CHECK(got.size() == expect.size());
      for (std::size_t f = 0; f < got.size(); ++f) {
        for (const bool test : {true, false}) {
          const Eigen::VectorXi& mine = test ? got[f].test : got[f].train;
          const Eigen::VectorXi& ref = test ? expect[f].test : expect[f].train;
          const std::vector<std::int64_t> ids = gather_global_ids(comm, mine, a);
          OSPREY_DIST_CHECK(ids.size() == static_cast<std::size_t>(ref.size()), "fold ", f,
                            test ? " test" : " train", " size ", ids.size(), " vs ", ref.size());
          for (std::size_t i = 0; i < ids.size(); ++i) {
            OSPREY_DIST_CHECK(ids[i] == ref(static_cast<Eigen::Index>(i)), "n=", st.n,
                              " shuffle=", shuffle, " fold ", f, " row ", i);
          }
        }
      }
    }
  }
}

}  // namespace osprey_dist_test

/** \file
 *  dist::Smote against single-node Smote on the concatenated rows: every local output row
 *  equals, bit for bit, the single-node output row output_rows() names, the rows named cover
 *  single-node's output once, and the provenance matches. Rank shares start mid-block (the
 *  replayed draws) and cross a synthesis block; three classes; float and double; a rank with no
 *  rows of the minority classes and, with few rows, an empty rank. */
#pragma once

#include <osprey/dist/smote.hpp>
#include <osprey/imbalance/smote.hpp>

#include <cstdint>
#include <span>
#include <vector>

#include "harness.hpp"

namespace osprey_dist_test {

template <class Scalar, class C>
void check_smote(C& comm, const Eigen::MatrixXd& X, const Eigen::VectorXi& y,
                 const osprey::SmoteParams& params) {
  namespace dist = osprey::dist;
  const Eigen::Index n = X.rows();
  osprey::Smote<Scalar> single(params);
  const osprey::Resampled<Scalar> expect = single.fit_resample(X, y);
  const auto [a, b] = uneven_slice(n, comm.rank(), comm.size());
  dist::Smote<Scalar> ds(params);
  // a rank without rows passes a 0 x 0 matrix (any column count is accepted there)
  const Eigen::MatrixXd local = a == b ? Eigen::MatrixXd(0, 0) : X.middleRows(a, b - a);
  const osprey::Resampled<Scalar> got =
      ds.fit_resample(comm, local, Eigen::VectorXi(y.segment(a, b - a)));
  const std::vector<std::int64_t>& rows = ds.output_rows();
  OSPREY_DIST_CHECK(rows.size() == static_cast<std::size_t>(got.X.rows()) &&
                    got.y.size() == got.X.rows() && got.X.cols() == X.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    OSPREY_DIST_CHECK(got.y(r) == expect.y(rows[i]), "label of output row ", i);
    for (Eigen::Index j = 0; j < X.cols(); ++j) {
      OSPREY_DIST_CHECK(got.X(r, j) == expect.X(rows[i], j), "output row ", i, " (single-node row ",
                        rows[i], ") column ", j, ": ", got.X(r, j), " vs ", expect.X(rows[i], j));
    }
  }
  // the rows named over all ranks are single-node's output, each once
  const std::vector<std::int64_t> all =
      comm.all_gatherv(std::span<const std::int64_t>(rows), nullptr);
  std::vector<char> seen(static_cast<std::size_t>(expect.X.rows()), 0);
  for (const std::int64_t r : all) {
    OSPREY_DIST_CHECK(r >= 0 && r < expect.X.rows() && seen[static_cast<std::size_t>(r)] == 0);
    seen[static_cast<std::size_t>(r)] = 1;
  }
  OSPREY_DIST_CHECK(all.size() == seen.size(), all.size(), " rows vs ", seen.size());
  // provenance of the synthetic rows, and the counts
  const std::size_t local_n = static_cast<std::size_t>(b - a);
  for (std::size_t s = 0; s < ds.synthetic_base().size(); ++s) {
    const auto g = static_cast<Eigen::Index>(rows[local_n + s] - n);
    OSPREY_DIST_CHECK(ds.synthetic_base()[s] == single.synthetic_base()(g) &&
                      ds.synthetic_neighbor()[s] == single.synthetic_neighbor()(g));
  }
  OSPREY_DIST_CHECK(ds.n_generated() == single.n_generated());
}

template <class C>
void case_smote(C& comm) {
  // 3 classes: 2600 / 100 / 40 rows (about 2500 and 2560 synthetic rows: two blocks each),
  // minority rows clustered at the end so the first rank(s) hold few or none of them
  osprey::Rng rng(3);
  const Eigen::Index n = 2740;
  Eigen::MatrixXd X(n, 3);
  Eigen::VectorXi y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const int label = i < 2600 ? 4 : i < 2700 ? 1 : 9;
    y(i) = label;
    for (Eigen::Index j = 0; j < 3; ++j) X(i, j) = rng.normal(label * 0.5, 1.0);
  }
  check_smote<double>(comm, X, y, {.k_neighbors = 5, .random_state = 17});
  check_smote<float>(comm, X, y, {.k_neighbors = 3, .random_state = 5});
  // few rows: with p = 4 rank 0 holds none; a ratio strategy grows the minority only
  const Eigen::Index m = 9;
  Eigen::MatrixXd Xs(m, 2);
  Eigen::VectorXi ys(m);
  for (Eigen::Index i = 0; i < m; ++i) {
    ys(i) = i % 3 == 0 ? 1 : 0;
    Xs(i, 0) = rng.uniform();
    Xs(i, 1) = static_cast<double>(i);
  }
  check_smote<double>(
      comm, Xs, ys,
      {.k_neighbors = 2, .sampling_strategy = osprey::SamplingStrategy(1.0), .random_state = 8});
}

}  // namespace osprey_dist_test

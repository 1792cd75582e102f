// Translation invariance of every neighbour-based estimator (the conformance check of
// common/translation_checks.hpp), and the exactness of the Euclidean searches on raw data
// against a long-double brute force on the same rounded values.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <osprey/imbalance/adasyn.hpp>
#include <osprey/imbalance/smote.hpp>
#include <osprey/imbalance/smote_tomek.hpp>
#include <osprey/imbalance/under_sampling.hpp>
#include <osprey/neighbors/kneighbors.hpp>
#include <osprey/neighbors/nearest_neighbors.hpp>
#include "common/translation_checks.hpp"

using osprey::Algorithm;
using osprey::Matrix;
using osprey::testing::check_translation_invariance;

namespace {

/** The indices and distances of a search, side by side, as one double matrix. */
template <class S>
Matrix<double> as_matrix(const osprey::Neighbors<S>& nb) {
  Matrix<double> out(nb.indices.rows(), 2 * nb.indices.cols());
  out << nb.indices.template cast<double>(), nb.distances.template cast<double>();
  return out;
}

/** Labels 1 on about every eighth row, 0 elsewhere (an imbalanced two-class problem). */
Eigen::VectorXi minority_labels(Eigen::Index n) {
  Eigen::VectorXi y(n);
  for (Eigen::Index i = 0; i < n; ++i) y(i) = (i * 7) % 8 == 3 ? 1 : 0;
  return y;
}

/** A resample reduced to what must not move with the data: labels, and the rows minus offset
 *  (the original rows only, for an over-sampler; its synthetic rows are pinned down by the
 *  provenance `extra` the caller appends). */
template <class S>
Matrix<double> resample_output(const osprey::Resampled<S>& out, Eigen::Index originals,
                               double offset, const std::vector<Eigen::VectorXi>& extra) {
  Eigen::Index rows = out.y.size();
  for (const auto& e : extra) rows = std::max(rows, e.size());
  const auto n_extra = static_cast<Eigen::Index>(extra.size());
  Matrix<double> m = Matrix<double>::Constant(rows, 1 + n_extra + out.X.cols(), -1.0);
  m.col(0).head(out.y.size()) = out.y.template cast<double>();
  for (Eigen::Index e = 0; e < n_extra; ++e) {
    const auto& v = extra[static_cast<std::size_t>(e)];
    m.col(1 + e).head(v.size()) = v.template cast<double>();
  }
  const Eigen::Index kept = std::min(originals, out.X.rows());
  m.rightCols(out.X.cols()).topRows(kept) =
      (out.X.topRows(kept).array() - static_cast<S>(offset)).matrix().template cast<double>();
  return m;
}

}  // namespace

TEMPLATE_TEST_CASE("NearestNeighbors: Euclidean results do not move with the data", "[neighbors]",
                   float, double) {
  using S = TestType;
  for (const Algorithm algorithm : {Algorithm::brute, Algorithm::kd_tree}) {
    for (const int threads : {1, 3}) {
      INFO("algorithm " << static_cast<int>(algorithm) << ", " << threads << " threads");
      check_translation_invariance<S>("NearestNeighbors::kneighbors(Q, k)",
                                      [&](const Matrix<S>& X, const Matrix<S>& Q, double) {
                                        osprey::NearestNeighbors<S, osprey::Euclidean> nn(
                                            {.algorithm = algorithm, .n_threads = threads});
                                        return as_matrix(nn.fit(X).kneighbors(Q, 5));
                                      });
      check_translation_invariance<S>("NearestNeighbors::kneighbors(k)",
                                      [&](const Matrix<S>& X, const Matrix<S>&, double) {
                                        osprey::NearestNeighbors<S, osprey::Euclidean> nn(
                                            {.algorithm = algorithm, .n_threads = threads});
                                        return as_matrix(nn.fit(X).kneighbors(5));
                                      });
    }
  }
  check_translation_invariance<S>(
      "NearestNeighbors<double, SquaredEuclidean>",
      [](const Matrix<S>& X, const Matrix<S>& Q, double) {
        osprey::NearestNeighbors<S, osprey::SquaredEuclidean> nn({.algorithm = Algorithm::brute});
        nn.fit(X);
        Matrix<double> both(Q.rows() + X.rows(), 14);
        both << as_matrix(nn.kneighbors(Q, 7)), as_matrix(nn.kneighbors(7));
        return both;
      });
}

TEMPLATE_TEST_CASE("KNeighbors: predictions do not move with the data", "[neighbors]", float,
                   double) {
  using S = TestType;
  for (const Algorithm algorithm : {Algorithm::automatic, Algorithm::brute}) {
    check_translation_invariance<S>("KNeighborsClassifier", [&](const Matrix<S>& X,
                                                                const Matrix<S>& Q, double) {
      osprey::KNeighborsClassifier<S, osprey::Euclidean> clf(
          {.n_neighbors = 7, .weights = osprey::Weights::distance, .algorithm = algorithm});
      clf.fit(X, minority_labels(X.rows()));
      Matrix<double> out(Q.rows(), 3);
      out << clf.predict(Q).template cast<double>(), clf.predict_proba(Q).template cast<double>();
      return out;
    });
    check_translation_invariance<S>("KNeighborsRegressor", [&](const Matrix<S>& X,
                                                               const Matrix<S>& Q, double offset) {
      osprey::KNeighborsRegressor<S, osprey::Euclidean> reg(
          {.n_neighbors = 7, .weights = osprey::Weights::distance, .algorithm = algorithm});
      const Eigen::VectorXd target = (X.col(0).template cast<double>().array() - offset).square();
      reg.fit(X, target.cast<S>());
      return Matrix<double>(reg.predict(Q).template cast<double>());
    });
  }
}

TEMPLATE_TEST_CASE("Resamplers: neighbour choices do not move with the data", "[imbalance]", float,
                   double) {
  using S = TestType;
  const auto over = [](auto make) {
    return [make](const Matrix<S>& X, const Matrix<S>&, double offset) {
      auto sampler = make();
      const auto out = sampler.fit_resample(X, minority_labels(X.rows()));
      return resample_output(out, X.rows(), offset,
                             {sampler.synthetic_base(), sampler.synthetic_neighbor()});
    };
  };
  check_translation_invariance<S>("Smote", over([] { return osprey::Smote<S>({.n_threads = 2}); }));
  check_translation_invariance<S>(
      "BorderlineSmote", over([] { return osprey::BorderlineSmote<S>({.n_threads = 2}); }));
  check_translation_invariance<S>("Adasyn",
                                  over([] { return osprey::Adasyn<S>({.n_threads = 2}); }));
  check_translation_invariance<S>("SmoteTomek", [](const Matrix<S>& X, const Matrix<S>&,
                                                   double offset) {
    osprey::SmoteTomek<S> sampler({.n_threads = 2});
    const auto out = sampler.fit_resample(X, minority_labels(X.rows()));
    return resample_output(out, 0, offset,
                           {sampler.smote().synthetic_base(), sampler.smote().synthetic_neighbor(),
                            sampler.tomek().sample_indices()});
  });
  check_translation_invariance<S>(
      "TomekLinks", [](const Matrix<S>& X, const Matrix<S>&, double offset) {
        osprey::TomekLinks<S> sampler({.n_threads = 2});
        const auto out = sampler.fit_resample(X, minority_labels(X.rows()));
        return resample_output(out, out.X.rows(), offset,
                               {sampler.sample_indices(), sampler.link_partner()});
      });
}

TEMPLATE_TEST_CASE("NearestNeighbors: brute force is exact on raw data (long-double oracle)",
                   "[neighbors]", float, double) {
  // Offsets where the norm expansion on uncentred rows picked wrong neighbours in most slots: the
  // distance in every slot must equal the true k-th smallest distance among the same rounded
  // values, computed in long double, to the scalar's rounding.
  using S = TestType;
  const int k = 5;
  for (const Eigen::Index d : {Eigen::Index{4}, Eigen::Index{16}, Eigen::Index{64}}) {
    for (const double offset : osprey::testing::translation_offsets<S>()) {
      INFO("d = " << d << ", offset = " << offset);
      // Continuous values this time (not a grid): the shift is whatever rounding makes it.
      std::mt19937_64 gen(static_cast<std::uint64_t>(d));
      std::normal_distribution<double> normal(0.0, 1.0);
      Matrix<S> X(1500, d);
      for (Eigen::Index i = 0; i < X.rows(); ++i) {
        for (Eigen::Index j = 0; j < d; ++j) X(i, j) = static_cast<S>(offset + normal(gen));
      }
      osprey::NearestNeighbors<S, osprey::Euclidean> nn({.algorithm = Algorithm::brute});
      nn.fit(X);
      // Queries among the rows, and queries far outside their band (whose centring is not
      // exact, so their rechecks read the rows as given).
      Matrix<S> Q(300, d);
      Q.topRows(200) = X.topRows(200);
      for (Eigen::Index i = 200; i < Q.rows(); ++i) {
        for (Eigen::Index j = 0; j < d; ++j) {
          Q(i, j) = static_cast<S>((j % 2 == 0 ? 3.0 : 0.25) * offset + normal(gen));
        }
      }
      for (const bool loo : {false, true}) {
        const auto nb = loo ? nn.kneighbors(k) : nn.kneighbors(Q, k);
        const Eigen::Index rows = loo ? X.rows() : Q.rows();
        Eigen::Index wrong = 0;
        for (Eigen::Index i = 0; i < rows; ++i) {
          std::vector<long double> dist;
          dist.reserve(static_cast<std::size_t>(X.rows()));
          for (Eigen::Index r = 0; r < X.rows(); ++r) {
            if (loo && r == i) continue;
            long double s = 0;
            for (Eigen::Index j = 0; j < d; ++j) {
              const long double diff =
                  static_cast<long double>(X(r, j)) - (loo ? X(i, j) : Q(i, j));
              s += diff * diff;
            }
            dist.push_back(s);
          }
          std::partial_sort(dist.begin(), dist.begin() + k, dist.end());
          for (int j = 0; j < k; ++j) {
            long double s = 0;
            const Eigen::Index r = nb.indices(i, j);
            for (Eigen::Index c = 0; c < d; ++c) {
              const long double diff =
                  static_cast<long double>(X(r, c)) - (loo ? X(i, c) : Q(i, c));
              s += diff * diff;
            }
            const long double tol =
                4.0L * static_cast<long double>(d) * std::numeric_limits<S>::epsilon();
            if (s > dist[static_cast<std::size_t>(j)] * (1 + tol)) ++wrong;
          }
        }
        INFO((loo ? "leave-one-out: " : "queries: ") << wrong << " slots farther than the truth");
        CHECK(wrong == 0);
      }
    }
  }
}

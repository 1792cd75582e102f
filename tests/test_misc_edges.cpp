// Edge contracts across components: pos_label rules of the ranking curves, float sampling
// ratios that are already met, control-chart agreement, kd-tree build errors, internal norm
// expansion, double vote sums and the portable 128-bit multiply.
#include "common/prelude.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <new>
#include <optional>
#include <osprey/core/parallel.hpp>
#include <osprey/core/random.hpp>
#include <osprey/imbalance/sampling_strategy.hpp>
#include <osprey/imbalance/smote.hpp>
#include <osprey/imbalance/under_sampling.hpp>
#include <osprey/metrics/ranking.hpp>
#include <osprey/neighbors/kneighbors.hpp>
#include <osprey/neighbors/nearest_neighbors.hpp>
#include <osprey/streams/arl.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/estimator_checks.hpp"
#include "common/fixtures.hpp"
#include "test_metrics_helpers.hpp"

using osprey::InvalidArgument;
using osprey::testing::require_throws_containing;

using osprey::testing::field_numbers;
using osprey::testing::split_fields;
namespace {

void require_same_after(const Eigen::VectorXd& got, const Eigen::VectorXd& want,
                        Eigen::Index skip) {
  REQUIRE(got.size() == want.size());
  for (Eigen::Index i = skip; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got(i) << " want " << want(i));
    CHECK_THAT(got(i), Catch::Matchers::WithinAbs(want(i), 1e-12));
  }
}

}  // namespace

TEST_CASE("ranking curves: pos_label rules and outcomes match scikit-learn case by case",
          "[metrics][edges]") {
  const std::string text = osprey::testing::load_text("metrics/pos_label_cases.txt");
  const std::vector<std::string> lines = split_fields(text, '\n');
  REQUIRE(lines.size() > 40);
  const Eigen::VectorXd s = field_numbers(split_fields(lines[0], ';').at(1));
  int checked = 0;
  for (std::size_t l = 1; l < lines.size(); ++l) {
    if (lines[l].empty()) continue;
    const std::vector<std::string> f = split_fields(lines[l], ';');
    REQUIRE(f.size() == 5);
    INFO(lines[l]);
    const std::string& func = f[0];
    const std::optional<int> pos =
        f[1] == "none" ? std::nullopt : std::optional<int>(std::stoi(f[1]));
    const Eigen::VectorXi y = field_numbers(f[3]).cast<int>();
    const std::vector<std::string> arrays = split_fields(f[4], '|');
    auto run = [&] {
      if (func == "roc_curve") {
        const osprey::Curve c = osprey::roc_curve(y, s, pos);
        require_same_after(c.fpr, field_numbers(arrays.at(0)), 0);
        require_same_after(c.tpr, field_numbers(arrays.at(1)), 0);
        require_same_after(c.thresholds, field_numbers(arrays.at(2)),
                           1);  // 1.2: max + 1, osprey: +inf
      } else if (func == "precision_recall_curve") {
        const osprey::Curve c = osprey::precision_recall_curve(y, s, pos);
        require_same_after(c.precision, field_numbers(arrays.at(0)), 0);
        require_same_after(c.recall, field_numbers(arrays.at(1)), 0);
        require_same_after(c.thresholds, field_numbers(arrays.at(2)), 0);
      } else {
        REQUIRE(pos.has_value());
        const double ap = osprey::average_precision_score(y, s, *pos);
        CHECK_THAT(ap, Catch::Matchers::WithinAbs(field_numbers(arrays.at(0))(0), 1e-12));
      }
    };
    if (f[2] == "ok") {
      run();
    } else {
      // 'raise': scikit-learn raises; 'warn': it returns NaN / meaningless values, osprey throws
      CHECK_THROWS_AS(run(), InvalidArgument);
    }
    ++checked;
  }
  CHECK(checked == 45);
}

TEST_CASE("ranking curves: the pos_label errors name the problem", "[metrics][edges]") {
  const Eigen::VectorXd s = (Eigen::VectorXd(4) << 0.1, 0.9, 0.3, 0.7).finished();
  const Eigen::VectorXi y02 = (Eigen::VectorXi(4) << 0, 2, 0, 2).finished();
  const Eigen::VectorXi y12 = (Eigen::VectorXi(4) << 1, 2, 1, 2).finished();
  const Eigen::VectorXi y012 = (Eigen::VectorXi(4) << 0, 1, 2, 1).finished();
  const Eigen::VectorXi zeros = Eigen::VectorXi::Zero(4);
  const Eigen::VectorXi ones = Eigen::VectorXi::Ones(4);
  // before: labels {0, 2} gave an all-NaN tpr silently
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_curve(y02, s); },
                                             "pos_label is not given");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::precision_recall_curve(y02, s); },
                                             "{0, 2}");
  // before: roc_curve took 1 as positive while roc_auc_score takes 2; now it refuses to guess,
  // and with the positive class named the two agree
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_curve(y12, s); }, "{1, 2}");
  const osprey::Curve roc = osprey::roc_curve(y12, s, 2, false);
  double area = 0.0;
  for (Eigen::Index i = 1; i < roc.fpr.size(); ++i) {
    area += (roc.fpr(i) - roc.fpr(i - 1)) * (roc.tpr(i) + roc.tpr(i - 1)) / 2.0;
  }
  CHECK_THAT(area, Catch::Matchers::WithinAbs(osprey::roc_auc_score(y12, s), 1e-15));
  // before: three labels were one-vs-rest silently, even with an explicit pos_label
  for (const std::optional<int> pos : {std::optional<int>{}, std::optional<int>{1}}) {
    require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_curve(y012, s, pos); },
                                               "multiclass format is not supported");
    require_throws_containing<InvalidArgument>(
        [&] { (void)osprey::precision_recall_curve(y012, s, pos); }, "more than two classes");
  }
  // no positive sample / no negative sample: roc_curve throws as roc_auc_score does
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_curve(zeros, s); },
                                             "pos_label=1 is not present");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_auc_score(zeros, s); },
                                             "only one class");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_curve(ones, s); },
                                             "without negative samples");
  require_throws_containing<InvalidArgument>([&] { (void)osprey::roc_curve(y02, s, 1); },
                                             "pos_label=1 is not present");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::average_precision_score(zeros, s); }, "pos_label=1 is not present");
  // a y_true of positives only is a fine precision-recall curve
  CHECK(osprey::precision_recall_curve(ones, s).precision.minCoeff() == 1.0);
  CHECK(osprey::average_precision_score(ones, s) == 1.0);
  // std::nullopt with drop_intermediate spelled out
  CHECK(osprey::roc_curve(Eigen::VectorXi((Eigen::VectorXi(4) << 0, 1, 0, 1).finished()), s,
                          std::nullopt, false)
            .fpr.size() == 5);
}

TEST_CASE("mul_64x64_128: the portable multiply equals the native one", "[core][edges]") {
  using osprey::detail::mul_64x64_128;
  using osprey::detail::mul_64x64_128_portable;
  using osprey::detail::Product128;
  constexpr std::uint64_t max = ~std::uint64_t{0};
  // hand-worked products
  static_assert(mul_64x64_128_portable(max, max) == Product128{max - 1, 1});
  static_assert(mul_64x64_128_portable(std::uint64_t{1} << 32U, std::uint64_t{1} << 32U) ==
                Product128{1, 0});
  static_assert(mul_64x64_128_portable(0xFFFFFFFFULL, 0xFFFFFFFFULL) ==
                Product128{0, 0xFFFFFFFE00000001ULL});
  static_assert(mul_64x64_128_portable(max, 2) == Product128{1, max - 1});
  static_assert(mul_64x64_128_portable(0, max) == Product128{0, 0});
  const std::uint64_t edges[] = {0,
                                 1,
                                 2,
                                 0xFFFFFFFFULL,
                                 1ULL << 32U,
                                 1ULL << 63U,
                                 max,
                                 max - 1,
                                 0x8000000080000000ULL,
                                 0x7FFFFFFFFFFFFFFFULL,
                                 0xFFFFFFFF00000000ULL,
                                 0x00000001FFFFFFFFULL};
  for (const std::uint64_t a : edges) {
    for (const std::uint64_t b : edges) {
      INFO(a << " * " << b);
      CHECK(mul_64x64_128_portable(a, b) == mul_64x64_128(a, b));
    }
  }
#if defined(__SIZEOF_INT128__)
  __extension__ using u128 = unsigned __int128;
  osprey::Rng rng(7);
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t a = rng();
    const std::uint64_t b = i % 3 == 0 ? rng() >> (i % 64) : rng();
    const Product128 p = mul_64x64_128_portable(a, b);
    const u128 m = static_cast<u128>(a) * b;
    REQUIRE(p.hi == static_cast<std::uint64_t>(m >> 64U));
    REQUIRE(p.lo == static_cast<std::uint64_t>(m));
  }
  // Rng::bounded through the portable multiply would draw the same values
  osprey::Rng r1(11);
  osprey::Rng r2(11);
  for (const std::uint64_t n : {std::uint64_t{3}, std::uint64_t{1000}, (max >> 1U) + 7, max}) {
    for (int i = 0; i < 1000; ++i) {
      Product128 m = mul_64x64_128_portable(r2(), n);
      if (m.lo < n) {
        const std::uint64_t threshold = (0 - n) % n;
        while (m.lo < threshold) m = mul_64x64_128_portable(r2(), n);
      }
      REQUIRE(r1.bounded(n) == m.hi);
    }
  }
#endif
}

TEST_CASE("sampling ratio: a float strategy at or past its target behaves as imbalanced-learn",
          "[imbalance][edges]") {
  // imbalanced-learn 0.10 raises for an over-sampler whose ratio is already met (nothing to
  // generate) and keeps every row for an under-sampler whose ratio is exactly met.
  using osprey::detail::SamplingType;
  const osprey::Matrix<double> table = osprey::testing::load_fixture("smote/ratio_met.csv");
  REQUIRE(table.rows() == 16);
  for (Eigen::Index r = 0; r < table.rows(); ++r) {
    const auto n0 = static_cast<Eigen::Index>(table(r, 0));
    const auto n1 = static_cast<Eigen::Index>(table(r, 1));
    const double ratio = table(r, 2);
    const osprey::detail::ClassCounts counts{{0, n0}, {1, n1}};
    int col = 3;
    for (const SamplingType type : {SamplingType::over, SamplingType::under}) {
      INFO("counts " << n0 << "/" << n1 << " ratio " << ratio << " type "
                     << (type == SamplingType::over ? "over" : "under"));
      const auto label = static_cast<int>(table(r, col));
      const auto n = static_cast<Eigen::Index>(table(r, col + 1));
      col += 2;
      if (label < 0) {
        CHECK_THROWS_AS(osprey::detail::resolve_strategy(ratio, counts, type, "Test"),
                        InvalidArgument);
      } else {
        const auto got = osprey::detail::resolve_strategy(ratio, counts, type, "Test");
        CHECK(got == std::map<int, Eigen::Index>{{label, n}});
      }
    }
  }
  // end to end: the under-sampler keeps every row, the over-sampler names the problem
  osprey::Matrix<double> X(15, 2);
  for (Eigen::Index i = 0; i < 15; ++i)
    X.row(i) << static_cast<double>(i), static_cast<double>(i % 4);
  Eigen::VectorXi y = Eigen::VectorXi::Zero(15);
  y.tail(5).setOnes();
  osprey::RandomUnderSampler<> under({.sampling_strategy = 0.5});
  CHECK(under.fit_resample(X, y).y.size() == 15);
  osprey::Smote<> smote({.k_neighbors = 3, .sampling_strategy = 0.5});
  require_throws_containing<InvalidArgument>([&] { (void)smote.fit_resample(X, y); },
                                             "already met");
}

namespace {

/** A user L1 metric that claims the norm expansion: before, brute-force search then computed
 *  L2 distances for it through the GEMM path. */
struct ClaimsNormExpansion {
  static constexpr const char* name = "user_l1";
  [[maybe_unused]] static constexpr bool norm_expansion = true;  // must be ignored
  template <class S>
  static S accumulate(S acc, S diff) noexcept {
    return acc + osprey::kernels::abs_value(diff);
  }
  template <class S>
  static S from_reduced(S r) noexcept {
    return r;
  }
  template <class S>
  static S to_reduced(S d) noexcept {
    return d;
  }
  template <class A, class B>
  static typename A::Scalar reduced(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return (a.derived() - b.derived()).cwiseAbs().sum();
  }
  template <class A, class B>
  static typename A::Scalar distance(const Eigen::MatrixBase<A>& a, const Eigen::MatrixBase<B>& b) {
    return reduced(a, b);
  }
};

}  // namespace

TEST_CASE("norm expansion: only osprey's L2 metrics use it, a user metric gets its own distances",
          "[neighbors][edges]") {
  static_assert(osprey::DistanceMetric<ClaimsNormExpansion>);
  static_assert(osprey::detail::uses_norm_expansion<osprey::Euclidean>);
  static_assert(osprey::detail::uses_norm_expansion<osprey::SquaredEuclidean>);
  static_assert(!osprey::detail::uses_norm_expansion<ClaimsNormExpansion>);
  static_assert(!osprey::detail::uses_norm_expansion<osprey::Manhattan>);
  static_assert(!osprey::detail::uses_norm_expansion<osprey::Minkowski<2>>);
  osprey::Rng rng(3);
  osprey::Matrix<double> X(300, 6), Q(40, 6);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = rng.normal();
  for (Eigen::Index i = 0; i < Q.size(); ++i) Q.data()[i] = rng.normal();
  osprey::NearestNeighbors<double, ClaimsNormExpansion> nn({.algorithm = osprey::Algorithm::brute});
  const auto got = nn.fit(X).kneighbors(Q, 7);
  for (Eigen::Index i = 0; i < Q.rows(); ++i) {
    std::vector<std::pair<double, int>> all;
    for (Eigen::Index j = 0; j < X.rows(); ++j) {
      all.emplace_back((Q.row(i) - X.row(j)).cwiseAbs().sum(), static_cast<int>(j));
    }
    std::sort(all.begin(), all.end());
    for (int k = 0; k < 7; ++k) {
      INFO("query " << i << " neighbour " << k);
      CHECK(got.indices(i, k) == all[static_cast<std::size_t>(k)].second);
      CHECK_THAT(got.distances(i, k),
                 Catch::Matchers::WithinRel(all[static_cast<std::size_t>(k)].first, 1e-12));
    }
  }
}

TEST_CASE("KNeighborsClassifier: float distance-weighted votes are compared in double",
          "[neighbors][edges]") {
  // Query 0; class 0 at distance 1 (weight 1), class 1 at distances 2 and 2 - 2^-23 (weights
  // 0.5 and 0.5 + 2^-25): class 1 wins by 2^-25, but both probabilities round to 0.5f, so
  // comparing float probabilities tied and picked class 0.
  const float d = 2.0F - 0x1p-23F;
  osprey::Matrix<float> X(4, 1);
  X << 1.0F, -2.0F, d, 100.0F;  // the far row is not among the 3 nearest
  const Eigen::VectorXi y = (Eigen::VectorXi(4) << 0, 1, 1, 0).finished();
  osprey::KNeighborsClassifier<float, osprey::Manhattan> knn(
      {.n_neighbors = 3, .weights = osprey::Weights::distance});
  knn.fit(X, y);
  const osprey::Matrix<float> Q = osprey::Matrix<float>::Zero(1, 1);
  const osprey::Matrix<float> proba = knn.predict_proba(Q);
  CHECK(proba(0, 0) == proba(0, 1));  // the tie is only in the rounded probabilities
  CHECK(knn.predict(Q)(0) == 1);
  // double data give the same answer
  osprey::KNeighborsClassifier<double, osprey::Manhattan> knn_d(
      {.n_neighbors = 3, .weights = osprey::Weights::distance});
  CHECK(knn_d.fit(X.cast<double>(), y).predict(Q.cast<double>())(0) == 1);
}

TEST_CASE("kd-tree build tasks: an exception in a task is rethrown, not fatal",
          "[neighbors][core][edges]") {
  // The kd-tree build runs subtrees through task_region/fork_join; before, a bad_alloc inside
  // an `omp task` left the task and terminated the program.
  using osprey::detail::fork_join;
  using osprey::detail::task_region;
  std::atomic<int> ran{0};
  auto tree = [&](auto&& self, int depth, int throw_at) -> void {
    ++ran;
    if (depth == throw_at) throw std::bad_alloc();
    if (depth == 4) return;
    fork_join([&] { self(self, depth + 1, throw_at); }, [&] { self(self, depth + 1, -1); });
  };
  CHECK_THROWS_AS(task_region(4, [&] { tree(tree, 0, 3); }), std::bad_alloc);
  CHECK_THROWS_AS(task_region(4, [&] { tree(tree, 0, 0); }), std::bad_alloc);
  CHECK_THROWS_AS(
      task_region(2, [&] { fork_join([] {}, [] { throw std::runtime_error("right"); }); }),
      std::runtime_error);
  ran = 0;
  task_region(4, [&] { tree(tree, 0, -1); });
  CHECK(ran == 31);  // every node of the depth-4 binary tree ran once
  // and the tree itself still builds and searches as before, on several threads
  osprey::Rng rng(5);
  osprey::Matrix<double> X(3000, 3);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = rng.normal();
  osprey::NearestNeighbors<> kd({.algorithm = osprey::Algorithm::kd_tree, .n_threads = 4});
  osprey::NearestNeighbors<> brute({.algorithm = osprey::Algorithm::brute});
  const auto a = kd.fit(X).kneighbors(X.topRows(50), 5);
  const auto b = brute.fit(X).kneighbors(X.topRows(50), 5);
  CHECK(a.indices == b.indices);
}

TEST_CASE("ARL design: n_states has a documented upper bound with a clear error",
          "[anomaly][edges]") {
  // before: any n_states was accepted, and INT_MAX asked for an impossible dense solve
  require_throws_containing<InvalidArgument>(
      [] { (void)osprey::cusum_arl(0.5, 4.0, 0.0, 0.0, 1 << 30); }, "n_states");
  require_throws_containing<InvalidArgument>([] { (void)osprey::ewma_arl(0.2, 3.0, 0.0, 2002); },
                                             "in [11, 2001]");
  require_throws_containing<InvalidArgument>(
      [] { (void)osprey::cusum_h_for_arl(0.5, 370.0, 100000); }, "in [10, 2001]");
  CHECK(std::isfinite(osprey::ewma_arl(0.2, 3.0, 0.0, 2001)));
}

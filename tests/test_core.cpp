#include "common/prelude.hpp"

#include <atomic>
#include <numeric>
#include <osprey/core/cancel.hpp>
#include <osprey/core/concepts.hpp>
#include <osprey/core/error.hpp>
#include <osprey/core/parallel.hpp>
#include <osprey/core/random.hpp>
#include <osprey/core/threads.hpp>
#include <osprey/core/validation.hpp>
#include <set>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/estimator_checks.hpp"

using osprey::testing::require_throws_containing;

static_assert(std::is_base_of_v<std::runtime_error, osprey::Error>);
static_assert(std::is_base_of_v<osprey::Error, osprey::InvalidArgument>);
static_assert(std::is_base_of_v<osprey::Error, osprey::NotFittedError>);
static_assert(std::is_base_of_v<osprey::Error, osprey::ConvergenceError>);

namespace {
struct NotAnEstimator {
  using Scalar = double;
};
struct WrongFitReturn {  // fit returns by value: not a Classifier
  using Scalar = double;
  WrongFitReturn fit(const osprey::Matrix<double>&, const Eigen::VectorXi&) { return *this; }
  Eigen::VectorXi predict(const osprey::Matrix<double>&) const { return {}; }
};
struct MinimalClassifier {
  using Scalar = double;
  MinimalClassifier& fit(const osprey::Matrix<double>&, const Eigen::VectorXi&) { return *this; }
  Eigen::VectorXi predict(const osprey::Matrix<double>& X) const {
    return Eigen::VectorXi::Zero(X.rows());
  }
};
}  // namespace

static_assert(!osprey::Classifier<NotAnEstimator>);
static_assert(!osprey::Classifier<WrongFitReturn>);
static_assert(osprey::Classifier<MinimalClassifier>);
static_assert(!osprey::ProbabilisticClassifier<MinimalClassifier>);
static_assert(!osprey::Regressor<NotAnEstimator>);
static_assert(!osprey::OutlierDetector<NotAnEstimator>);
static_assert(!osprey::Resampler<NotAnEstimator>);
static_assert(!osprey::StreamDetector<NotAnEstimator>);

TEST_CASE("Rng: SplitMix64 matches the reference sequence", "[core][random]") {
  // First outputs of Vigna's splitmix64.c seeded with 1234567.
  std::uint64_t state = 1234567;
  CHECK(osprey::detail::splitmix64(state) == 6457827717110365317ULL);
  CHECK(osprey::detail::splitmix64(state) == 3203168211198807973ULL);
  CHECK(osprey::detail::splitmix64(state) == 9817491932198370423ULL);
}

TEST_CASE("Rng: the same seed gives the same stream and split streams differ", "[core][random]") {
  osprey::Rng a(42);
  osprey::Rng b(42);
  for (int i = 0; i < 100; ++i) REQUIRE(a() == b());
  // split depends on the seed and stream id only, not on draws made before.
  osprey::Rng fresh(42);
  CHECK(a.split(3)() == fresh.split(3)());
  CHECK(fresh.split(3)() != fresh.split(4)());
  CHECK(osprey::Rng(42)() != osprey::Rng(43)());
}

TEST_CASE("Rng: uniform draws stay in the unit interval and bounded draws are unbiased",
          "[core][random]") {
  osprey::Rng rng(7);
  double sum = 0.0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
  }
  CHECK(std::abs(sum / n - 0.5) < 0.005);

  // Chi-square of 6 buckets over 60000 draws; 99.9% quantile with 5 dof is 20.5.
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 60000; ++i) ++counts[rng.bounded(6)];
  double chi2 = 0.0;
  for (int c : counts) chi2 += (c - 10000.0) * (c - 10000.0) / 10000.0;
  CHECK(chi2 < 20.5);
  CHECK(rng.bounded(1) == 0);
  CHECK(rng.bounded(0) == 0);
}

TEST_CASE("Rng: normal draws have mean 0 and variance 1", "[core][random]") {
  osprey::Rng rng(11);
  double s = 0.0;
  double s2 = 0.0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    s += z;
    s2 += z * z;
  }
  CHECK(std::abs(s / n) < 0.01);
  CHECK(std::abs(s2 / n - 1.0) < 0.02);
}

TEST_CASE("shuffle: yields a permutation, reproducibly", "[core][random]") {
  std::vector<int> v(50);
  std::iota(v.begin(), v.end(), 0);
  auto w = v;
  osprey::Rng r1(5);
  osprey::Rng r2(5);
  osprey::detail::shuffle(v.begin(), v.end(), r1);
  osprey::detail::shuffle(w.begin(), w.end(), r2);
  CHECK(v == w);
  CHECK(std::set<int>(v.begin(), v.end()).size() == 50);
  std::vector<int> sorted(50);
  std::iota(sorted.begin(), sorted.end(), 0);
  CHECK(v != sorted);
}

TEST_CASE("parallel_for: visits every index once on any thread count", "[core][parallel]") {
  for (int threads : {0, 1, 2, 3, 8}) {
    std::vector<std::atomic<int>> hits(1000);
    osprey::detail::parallel_for(0, 1000, threads,
                                 [&](int i) { hits[static_cast<std::size_t>(i)]++; });
    for (const auto& h : hits) REQUIRE(h.load() == 1);
    std::vector<std::atomic<int>> dyn(37);
    osprey::detail::parallel_for_dynamic(std::size_t{0}, std::size_t{37}, threads,
                                         [&](std::size_t i) { dyn[i]++; });
    for (const auto& h : dyn) REQUIRE(h.load() == 1);
  }
  int calls = 0;
  osprey::detail::parallel_for(5, 5, 2, [&](int) { ++calls; });
  CHECK(calls == 0);
  CHECK(osprey::detail::resolve_threads(1) == 1);
  CHECK(osprey::detail::resolve_threads(0) >= 1);
}

TEST_CASE("max_threads, set_max_threads and ThreadLimit decide the team size", "[core][threads]") {
  using osprey::detail::resolve_threads;
  CHECK_THROWS_AS(osprey::set_max_threads(-1), osprey::InvalidArgument);
  CHECK_THROWS_AS(osprey::ThreadLimit(0), osprey::InvalidArgument);
  osprey::set_max_threads(3);
  if constexpr (osprey::detail::has_openmp) {
    CHECK(osprey::max_threads() == 3);
    CHECK(resolve_threads(0) == 3);
    CHECK(resolve_threads(5) == 5);
    {
      osprey::ThreadLimit two(2);
      CHECK(resolve_threads(0) == 2);
      CHECK(resolve_threads(5) == 2);
      {
        osprey::ThreadLimit four(4);  // cannot raise the enclosing cap
        CHECK(resolve_threads(0) == 2);
        osprey::ThreadLimit one(1);
        CHECK(resolve_threads(5) == 1);
      }
      CHECK(resolve_threads(0) == 2);
      // The cap is per thread: another thread still sees the process default.
      int other = 0;
      std::thread([&] { other = resolve_threads(0); }).join();
      CHECK(other == 3);
    }
    CHECK(resolve_threads(0) == 3);
    // The team a parallel loop really ran with is recorded for this thread.
    osprey::detail::reset_team_peak();
    osprey::detail::parallel_for(0, 64, 0, [](int) {});
    CHECK(osprey::detail::team_peak == 3);
    osprey::detail::reset_team_peak();
    {
      osprey::ThreadLimit one(1);
      osprey::detail::parallel_for(0, 64, 0, [](int) {});
    }
    CHECK(osprey::detail::team_peak <= 1);
  } else {
    CHECK(osprey::max_threads() == 1);
    CHECK(resolve_threads(0) == 1);
  }
  osprey::set_max_threads(0);
  CHECK(osprey::max_threads() >= 1);
}

TEST_CASE("CancellationToken: copies share one flag", "[core][cancel]") {
  osprey::CancellationToken token;
  const osprey::CancellationToken copy = token;
  CHECK_FALSE(copy.cancelled());
  CHECK_NOTHROW(osprey::detail::throw_if_cancelled(copy, "test"));
  std::thread([token]() mutable { token.cancel(); }).join();
  CHECK(copy.cancelled());
  CHECK_THROWS_AS(osprey::detail::throw_if_cancelled(copy, "test"), osprey::Cancelled);
  token.reset();
  CHECK_FALSE(copy.cancelled());
  CHECK_NOTHROW(osprey::detail::throw_if_cancelled(copy, "test"));
  CHECK(std::is_base_of_v<osprey::Error, osprey::Cancelled>);
  CHECK(std::is_base_of_v<osprey::Error, osprey::FormatError>);
}

TEST_CASE("parallel_for: an exception in the body reaches the caller", "[core][parallel]") {
  CHECK_THROWS_AS(osprey::detail::parallel_for(0, 100, 2,
                                               [](int i) {
                                                 if (i == 57) throw osprey::InvalidArgument("57");
                                               }),
                  osprey::InvalidArgument);
}

TEST_CASE("validation: messages name the parameter, row and column", "[core][validation]") {
  require_throws_containing<osprey::InvalidArgument>(
      [] { osprey::detail::check_param(false, "n_neighbors", 0, ">= 1"); },
      "n_neighbors must be >= 1 (got 0)");
  CHECK_NOTHROW(osprey::detail::check_param(true, "n_neighbors", 3, ">= 1"));

  Eigen::MatrixXd X = Eigen::MatrixXd::Ones(5, 3);
  CHECK_NOTHROW(osprey::detail::check_matrix(X));
  X(3, 2) = std::numeric_limits<double>::infinity();
  X(4, 0) = std::nan("");
  require_throws_containing<osprey::InvalidArgument>([&] { osprey::detail::check_finite(X, "X"); },
                                                     "at row 3, column 2");
  Eigen::VectorXd v = Eigen::VectorXd::Zero(4);
  v(2) = std::nan("");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { osprey::detail::check_finite(v, "scores"); },
      "scores contains a non-finite value (nan) at index 2");

  require_throws_containing<osprey::InvalidArgument>(
      [] { osprey::detail::check_non_empty(Eigen::MatrixXd(0, 3), "X"); }, "X is empty (0 rows");
  require_throws_containing<osprey::InvalidArgument>(
      [] { osprey::detail::check_same_length(10, 9); }, "X has 10 rows, y has 9");
  require_throws_containing<osprey::InvalidArgument>(
      [] { osprey::detail::check_n_features("KNeighborsClassifier", 4, 3); },
      "KNeighborsClassifier was fitted with 4 features but X has 3 columns");
  require_throws_containing<osprey::NotFittedError>(
      [] { osprey::detail::check_fitted(false, "IsolationForest"); },
      "IsolationForest is not fitted yet; call fit() first");
}

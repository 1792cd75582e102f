// DESIGN.md's conventions, checked for every estimator at once: namespace-level XxxParams
// aliased as Xxx<S>::Params (the same type for float and double), set_params returning the
// estimator itself, Scalar first in every template, and the public Rng.
#include "common/prelude.hpp"

#include <osprey/osprey.hpp>

#include <type_traits>
#include <utility>
#include "common/estimator_checks.hpp"

namespace {

// Params is the namespace-level aggregate, whatever the scalar.
template <template <class...> class E, class P, class... Rest>
constexpr bool params_alias() {
  return std::is_same_v<typename E<double, Rest...>::Params, P> &&
         std::is_same_v<typename E<float, Rest...>::Params, P> && std::is_aggregate_v<P>;
}

// set_params(Params) returns E& (the same object), so calls chain as fit does.
template <class E>
constexpr bool set_params_returns_self() {
  using R = decltype(std::declval<E&>().set_params(std::declval<const typename E::Params&>()));
  return std::is_same_v<R, E&>;
}

}  // namespace

TEST_CASE("conventions: every estimator has a namespace-level Params and a chaining set_params",
          "[conventions]") {
  using namespace osprey;
  STATIC_REQUIRE(params_alias<NearestNeighbors, NearestNeighborsParams, Manhattan>());
  STATIC_REQUIRE(params_alias<KNeighborsClassifier, KNeighborsParams, Euclidean>());
  STATIC_REQUIRE(params_alias<KNeighborsRegressor, KNeighborsParams, Chebyshev>());
  STATIC_REQUIRE(params_alias<PageRank, PageRankParams>());
  STATIC_REQUIRE(params_alias<IsolationForest, IsolationForestParams>());
  STATIC_REQUIRE(params_alias<Ewma, EwmaParams>());
  STATIC_REQUIRE(params_alias<Cusum, CusumParams>());
  STATIC_REQUIRE(params_alias<EwmaBank, EwmaParams>());
  STATIC_REQUIRE(params_alias<CusumBank, CusumParams>());
  STATIC_REQUIRE(params_alias<Smote, SmoteParams, Manhattan>());
  STATIC_REQUIRE(params_alias<BorderlineSmote, BorderlineSmoteParams>());
  STATIC_REQUIRE(params_alias<Adasyn, AdasynParams>());
  STATIC_REQUIRE(params_alias<SmoteTomek, SmoteTomekParams>());
  STATIC_REQUIRE(params_alias<RandomUnderSampler, RandomUnderSamplerParams>());
  STATIC_REQUIRE(params_alias<TomekLinks, TomekLinksParams>());
  STATIC_REQUIRE(params_alias<StandardScaler, StandardScalerParams>());
  STATIC_REQUIRE(params_alias<MinMaxScaler, MinMaxScalerParams>());
  STATIC_REQUIRE(std::is_same_v<StratifiedKFold::Params, StratifiedKFoldParams>);

  STATIC_REQUIRE(set_params_returns_self<NearestNeighbors<float, Manhattan>>());
  STATIC_REQUIRE(set_params_returns_self<KNeighborsClassifier<>>());
  STATIC_REQUIRE(set_params_returns_self<KNeighborsRegressor<float>>());
  STATIC_REQUIRE(set_params_returns_self<PageRank<>>());
  STATIC_REQUIRE(set_params_returns_self<IsolationForest<float>>());
  STATIC_REQUIRE(set_params_returns_self<Ewma<>>());
  STATIC_REQUIRE(set_params_returns_self<Cusum<float>>());
  STATIC_REQUIRE(set_params_returns_self<EwmaBank<>>());
  STATIC_REQUIRE(set_params_returns_self<CusumBank<float>>());
  STATIC_REQUIRE(set_params_returns_self<Smote<>>());
  STATIC_REQUIRE(set_params_returns_self<BorderlineSmote<float>>());
  STATIC_REQUIRE(set_params_returns_self<Adasyn<>>());
  STATIC_REQUIRE(set_params_returns_self<SmoteTomek<>>());
  STATIC_REQUIRE(set_params_returns_self<RandomUnderSampler<>>());
  STATIC_REQUIRE(set_params_returns_self<TomekLinks<float>>());
  STATIC_REQUIRE(set_params_returns_self<StandardScaler<>>());
  STATIC_REQUIRE(set_params_returns_self<MinMaxScaler<float>>());
  STATIC_REQUIRE(set_params_returns_self<StratifiedKFold>());
}

TEST_CASE("conventions: Scalar first, then the metric, with the documented defaults",
          "[conventions]") {
  using namespace osprey;
  STATIC_REQUIRE(std::is_same_v<NearestNeighbors<>, NearestNeighbors<double, Euclidean>>);
  STATIC_REQUIRE(std::is_same_v<NearestNeighbors<float>::Scalar, float>);
  STATIC_REQUIRE(std::is_same_v<KNeighborsClassifier<float, Manhattan>::Scalar, float>);
  STATIC_REQUIRE(std::is_same_v<KNeighborsRegressor<>, KNeighborsRegressor<double, Euclidean>>);
  STATIC_REQUIRE(std::is_same_v<Smote<float, Manhattan>::Scalar, float>);
  STATIC_REQUIRE(std::is_same_v<TomekLinks<>, TomekLinks<double, Euclidean>>);
}

TEST_CASE("conventions: set_params replaces the parameters and returns the same object",
          "[conventions]") {
  osprey::IsolationForest<> forest;
  osprey::IsolationForest<>& same = forest.set_params({.n_estimators = 7});
  CHECK(&same == &forest);
  CHECK(forest.params().n_estimators == 7);

  // A rejected set_params names the parameter and leaves the estimator as it was (the charts'
  // and banks' own tests check the same for them).
  osprey::testing::require_throws_containing<osprey::InvalidArgument>(
      [&] { forest.set_params({.n_estimators = 0}); }, "n_estimators");
  CHECK(forest.params().n_estimators == 7);
}

TEST_CASE("conventions: osprey::Rng is public and seeded streams are reproducible",
          "[conventions]") {
  osprey::Rng a(42), b(42);
  for (int i = 0; i < 8; ++i) CHECK(a() == b());
  // split depends only on the seed and the stream, not on the draws made so far
  osprey::Rng after_draws = a.split(3);
  osprey::Rng fresh = osprey::Rng(42).split(3);
  CHECK(after_draws() == fresh());
  osprey::Rng other_stream = osprey::Rng(42).split(4);
  CHECK(osprey::Rng(42).split(3)() != other_stream());
}

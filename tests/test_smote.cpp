#include "common/prelude.hpp"

#include <osprey/core/concepts.hpp>
#include <osprey/imbalance/adasyn.hpp>
#include <osprey/imbalance/smote.hpp>
#include <osprey/imbalance/smote_tomek.hpp>
#include <osprey/imbalance/under_sampling.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "common/fixtures.hpp"
#include "common/resampler_checks.hpp"

using osprey::Matrix;
using osprey::SamplingStrategy;
using osprey::testing::load_fixture;
using osprey::testing::load_labels;
using osprey::testing::require_throws_containing;

static_assert(osprey::Resampler<osprey::Smote<>>);
static_assert(osprey::Resampler<osprey::Smote<float>>);
static_assert(osprey::Resampler<osprey::Smote<double, osprey::Euclidean>>);
static_assert(osprey::Resampler<osprey::BorderlineSmote<float>>);
static_assert(osprey::Resampler<osprey::Adasyn<>>);
static_assert(osprey::Resampler<osprey::RandomUnderSampler<float>>);
static_assert(osprey::Resampler<osprey::TomekLinks<>>);
static_assert(osprey::Resampler<osprey::SmoteTomek<>>);
static_assert(!osprey::Classifier<osprey::Smote<>>);
static_assert(!osprey::Transformer<osprey::TomekLinks<>>);

namespace {

struct NotASampler {
  using Scalar = double;
  osprey::Resampled<float> fit_resample(const Matrix<double>&,
                                        const Eigen::VectorXi&);  // wrong type
};
static_assert(!osprey::Resampler<NotASampler>);

struct DataSet {
  Matrix<double> X;
  Eigen::VectorXi y;
};

DataSet load(const std::string& name) {
  return {load_fixture("smote/" + name + "_X.csv"), load_labels("smote/" + name + "_y.csv")};
}

std::map<int, Eigen::Index> class_counts(const Eigen::VectorXi& y) {
  std::map<int, Eigen::Index> out;
  for (Eigen::Index i = 0; i < y.size(); ++i) ++out[y(i)];
  return out;
}

// The strategy table of tests/fixtures/make_smote.py.
SamplingStrategy strategy(int id) {
  switch (id) {
    case 0:
      return SamplingStrategy::automatic();
    case 1:
      return SamplingStrategy::minority();
    case 2:
      return SamplingStrategy::majority();
    case 3:
      return SamplingStrategy::not_minority();
    case 4:
      return SamplingStrategy::not_majority();
    case 5:
      return SamplingStrategy::all();
    case 6:
      return 0.5;
    case 7:
      return 1.0;
    case 8:
      return 0.1;
    case 9:
      return 0.9;
    case 10:
      return std::map<int, int>{{7, 100}};
    case 11:
      return std::map<int, int>{{3, 60}};
    case 12:
      return std::map<int, int>{{7, 20}};
    case 13:
      return std::map<int, int>{{3, 200}};
    case 14:
      return std::map<int, int>{{5, 10}};
    case 15:
      return std::map<int, int>{{1, 100}, {2, 60}};
    case 16:
      return std::map<int, int>{{0, 30}, {1, 20}};
    default:
      return std::map<int, int>{{2, 10}};
  }
}

// Class counts after sampler `sid` of make_smote.py resamples with `s`.
std::map<int, Eigen::Index> run_sampler(int sid, const SamplingStrategy& s, const DataSet& d) {
  switch (sid) {
    case 0:
      return class_counts(osprey::Smote<>({.sampling_strategy = s}).fit_resample(d.X, d.y).y);
    case 1:
      return class_counts(osprey::Adasyn<>({.sampling_strategy = s}).fit_resample(d.X, d.y).y);
    case 2:
      return class_counts(
          osprey::BorderlineSmote<>({.sampling_strategy = s}).fit_resample(d.X, d.y).y);
    case 3:
      return class_counts(
          osprey::RandomUnderSampler<>({.sampling_strategy = s}).fit_resample(d.X, d.y).y);
    case 4:
      return class_counts(
          osprey::RandomUnderSampler<>({.sampling_strategy = s, .replacement = true})
              .fit_resample(d.X, d.y)
              .y);
    default:
      return class_counts(osprey::TomekLinks<>({.sampling_strategy = s}).fit_resample(d.X, d.y).y);
  }
}

// Brute-force oracle: the k nearest rows of the same class as row i (itself excluded), by exact
// distance; returns the k-th smallest distance (neighbours are all rows within it).
double kth_same_class_distance(const Matrix<double>& X, const Eigen::VectorXi& y, Eigen::Index i,
                               int k) {
  std::vector<double> dist;
  for (Eigen::Index j = 0; j < X.rows(); ++j) {
    if (j != i && y(j) == y(i)) dist.push_back((X.row(j) - X.row(i)).norm());
  }
  std::sort(dist.begin(), dist.end());
  return dist[static_cast<std::size_t>(k - 1)];
}

// True when p = a + t (b - a) for some t in [0, t_max] (up to rounding).
bool on_segment(const Eigen::RowVectorXd& p, const Eigen::RowVectorXd& a,
                const Eigen::RowVectorXd& b, double t_max, double tol) {
  const Eigen::RowVectorXd e = b - a;
  const double len2 = e.squaredNorm();
  if (len2 == 0.0) return (p - a).norm() <= tol;
  const double t = (p - a).dot(e) / len2;
  return t >= -tol && t <= t_max + tol && (p - a - t * e).norm() <= tol * (1.0 + e.norm());
}

// Every synthetic row of `out` (after the n input rows) must lie on a segment between a row of
// its class and one of that row's k nearest same-class rows -- searched for over every pair, not
// taken from the sampler's records -- and the records must name such a pair.
template <class Sampler>
void require_segments(const DataSet& d, const osprey::Resampled<double>& out,
                      const Sampler& sampler, int k, double tol) {
  const Eigen::Index n = d.X.rows();
  REQUIRE(sampler.synthetic_base().size() == out.X.rows() - n);
  std::vector<double> kth(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    kth[static_cast<std::size_t>(i)] = kth_same_class_distance(d.X, d.y, i, k);
  }
  for (Eigen::Index s = n; s < out.X.rows(); ++s) {
    INFO("synthetic row " << s);
    const int label = out.y(s);
    bool found = false;
    for (Eigen::Index i = 0; i < n && !found; ++i) {
      if (d.y(i) != label) continue;
      for (Eigen::Index j = 0; j < n && !found; ++j) {
        if (j == i || d.y(j) != label) continue;
        if ((d.X.row(j) - d.X.row(i)).norm() > kth[static_cast<std::size_t>(i)] * (1 + 1e-12)) {
          continue;
        }
        found = on_segment(out.X.row(s), d.X.row(i), d.X.row(j), 1.0, tol);
      }
    }
    CHECK(found);
    const int b = sampler.synthetic_base()(s - n);
    const int nb = sampler.synthetic_neighbor()(s - n);
    CHECK(d.y(b) == label);
    CHECK(d.y(nb) == label);
    CHECK((d.X.row(nb) - d.X.row(b)).norm() <= kth[static_cast<std::size_t>(b)] * (1 + 1e-12));
    CHECK(on_segment(out.X.row(s), d.X.row(b), d.X.row(nb), 1.0, tol));
  }
}

template <template <class, class> class S, bool Random = true, bool First = true>
struct OverSpec {
  static constexpr bool keeps_input_first = First;
  static constexpr bool random = Random;
  static constexpr double float_tolerance = 1e-5;
  template <class Scalar>
  static S<Scalar, osprey::Euclidean> make(std::uint64_t seed, int n_threads) {
    return S<Scalar, osprey::Euclidean>({.random_state = seed, .n_threads = n_threads});
  }
};
struct SmoteSpec : OverSpec<osprey::Smote> {
  static constexpr const char* name = "Smote";
};
struct BorderlineSpec : OverSpec<osprey::BorderlineSmote> {
  static constexpr const char* name = "BorderlineSmote";
};
struct Borderline2Spec {
  static constexpr const char* name = "BorderlineSmote";
  static constexpr bool keeps_input_first = true;
  static constexpr bool random = true;
  static constexpr double float_tolerance = 1e-5;
  template <class Scalar>
  static osprey::BorderlineSmote<Scalar> make(std::uint64_t seed, int n_threads) {
    return osprey::BorderlineSmote<Scalar>({.kind = osprey::BorderlineKind::borderline2,
                                            .random_state = seed,
                                            .n_threads = n_threads});
  }
};
struct AdasynSpec : OverSpec<osprey::Adasyn> {
  static constexpr const char* name = "Adasyn";
};
struct SmoteTomekSpec {
  static constexpr const char* name = "SmoteTomek";
  static constexpr bool keeps_input_first = false;
  static constexpr bool random = true;
  static constexpr double float_tolerance = 1e-5;
  template <class Scalar>
  static osprey::SmoteTomek<Scalar> make(std::uint64_t seed, int n_threads) {
    return osprey::SmoteTomek<Scalar>({.random_state = seed, .n_threads = n_threads});
  }
};
struct UnderSpec {
  static constexpr const char* name = "RandomUnderSampler";
  static constexpr bool keeps_input_first = false;
  static constexpr bool random = true;
  static constexpr double float_tolerance = 1e-6;
  template <class Scalar>
  static osprey::RandomUnderSampler<Scalar> make(std::uint64_t seed, int n_threads) {
    return osprey::RandomUnderSampler<Scalar>({.random_state = seed, .n_threads = n_threads});
  }
};
struct TomekSpec {
  static constexpr const char* name = "TomekLinks";
  static constexpr bool keeps_input_first = false;
  static constexpr bool random = false;
  static constexpr double float_tolerance = 1e-6;
  template <class Scalar>
  static osprey::TomekLinks<Scalar> make(std::uint64_t, int n_threads) {
    return osprey::TomekLinks<Scalar>({.n_threads = n_threads});
  }
};

}  // namespace

TEST_CASE("Samplers: class counts equal imbalanced-learn's for every strategy", "[imbalance]") {
  const Matrix<double> table = load_fixture("smote/counts.csv");
  const DataSet sets[] = {load("bin"), load("multi")};
  REQUIRE(table.rows() > 100);
  int checked = 0;
  int errors = 0;
  for (Eigen::Index r = 0; r < table.rows();) {
    const int ds = static_cast<int>(table(r, 0));
    const int sid = static_cast<int>(table(r, 1));
    const int tid = static_cast<int>(table(r, 2));
    std::map<int, Eigen::Index> want;
    for (; r < table.rows() && table(r, 0) == ds && table(r, 1) == sid && table(r, 2) == tid; ++r) {
      want[static_cast<int>(table(r, 3))] = static_cast<Eigen::Index>(table(r, 4));
    }
    INFO("data set " << ds << ", sampler " << sid << ", strategy " << strategy(tid));
    const DataSet& d = sets[ds];
    if (want.begin()->second < 0) {
      CHECK_THROWS_AS(run_sampler(sid, strategy(tid), d), osprey::InvalidArgument);
      ++errors;
    } else {
      CHECK(run_sampler(sid, strategy(tid), d) == want);
    }
    ++checked;
  }
  CHECK(checked == 2 * (5 * 18 + 6));
  CHECK(errors > 50);
}

TEST_CASE("Smote: every synthetic row lies between a row and a k-nearest same-class neighbour",
          "[imbalance]") {
  for (const char* name : {"bin", "multi"}) {
    INFO(name);
    const DataSet d = load(name);
    for (const int k : {1, 3, 5}) {
      osprey::Smote<> smote({.k_neighbors = k, .random_state = 11});
      const auto out = smote.fit_resample(d.X, d.y);
      require_segments(d, out, smote, k, 1e-9);
    }
  }
}

TEST_CASE("Smote: float output lies on the same segments", "[imbalance]") {
  const DataSet d = load("multi");
  osprey::Smote<float> smote({.k_neighbors = 4, .random_state = 3});
  const auto out = smote.fit_resample(d.X.cast<float>(), d.y);
  osprey::Resampled<double> as_double{out.X.cast<double>(), out.y};
  as_double.X.topRows(d.X.rows()) = d.X;
  require_segments(d, as_double, smote, 4, 1e-5);
}

TEST_CASE("Smote: output keeps the input first, then synthetic rows grouped by class",
          "[imbalance]") {
  const DataSet d = load("multi");
  osprey::Smote<> smote({.sampling_strategy = std::map<int, int>{{2, 50}, {1, 45}}});
  const auto out = smote.fit_resample(d.X, d.y);
  REQUIRE(out.X.rows() == d.X.rows() + 25 + 5);
  CHECK(out.X.topRows(d.X.rows()) == d.X);
  CHECK(out.y.head(d.y.size()) == d.y);
  CHECK((out.y.segment(d.y.size(), 5).array() == 1).all());
  CHECK((out.y.tail(25).array() == 2).all());
  CHECK(smote.n_generated() == std::map<int, Eigen::Index>{{1, 5}, {2, 25}});
}

TEST_CASE("Smote: uses every pair of the neighbour table about equally", "[imbalance]") {
  // 30 minority rows, k = 5: 150 (row, neighbour) pairs, 30,000 draws -> about 200 each.
  const DataSet d = load("bin");
  osprey::Smote<> smote({.sampling_strategy = std::map<int, int>{{7, 30030}}, .random_state = 5});
  const auto out = smote.fit_resample(d.X, d.y);
  std::map<std::pair<int, int>, int> hits;
  for (Eigen::Index s = 0; s < smote.synthetic_base().size(); ++s) {
    ++hits[{smote.synthetic_base()(s), smote.synthetic_neighbor()(s)}];
  }
  CHECK(hits.size() == 30 * 5);
  for (const auto& kv : hits) {
    CHECK(kv.second > 100);
    CHECK(kv.second < 320);
  }
  // The steps are uniform on [0, 1): mean 1/2.
  double mean = 0.0;
  for (Eigen::Index s = 0; s < smote.synthetic_base().size(); ++s) {
    const Eigen::RowVectorXd a = d.X.row(smote.synthetic_base()(s));
    const Eigen::RowVectorXd b = d.X.row(smote.synthetic_neighbor()(s));
    mean += (out.X.row(d.X.rows() + s) - a).dot(b - a) / (b - a).squaredNorm();
  }
  mean /= static_cast<double>(smote.synthetic_base().size());
  CHECK_THAT(mean, Catch::Matchers::WithinAbs(0.5, 0.01));
}

TEST_CASE("BorderlineSmote: the danger set equals imbalanced-learn's", "[imbalance]") {
  for (const char* name : {"bin", "multi"}) {
    INFO(name);
    const DataSet d = load(name);
    const Eigen::VectorXi want = load_labels(std::string("smote/") + name + "_danger.csv");
    osprey::BorderlineSmote<> b1;
    const auto out = b1.fit_resample(d.X, d.y);
    CHECK(b1.danger_indices() == want);
    // Synthetic rows start only from danger rows and stay on same-class segments.
    const std::set<int> danger(want.data(), want.data() + want.size());
    for (Eigen::Index s = 0; s < b1.synthetic_base().size(); ++s) {
      CHECK(danger.count(b1.synthetic_base()(s)) == 1);
    }
    require_segments(d, out, b1, 5, 1e-9);
  }
}

TEST_CASE("BorderlineSmote: borderline-2 also steps at most half way towards other classes",
          "[imbalance]") {
  const DataSet d = load("multi");
  osprey::BorderlineSmote<> b2({.kind = osprey::BorderlineKind::borderline2, .random_state = 9});
  const auto out = b2.fit_resample(d.X, d.y);
  const Eigen::VectorXi danger = load_labels("smote/multi_danger.csv");
  CHECK(b2.danger_indices() == danger);
  const auto counts = class_counts(out.y);
  CHECK(counts.at(1) == 120);  // exactly the requested count (imbalanced-learn may make one fewer)
  CHECK(counts.at(2) == 120);
  const Eigen::Index n = d.X.rows();
  int towards_other = 0;
  for (Eigen::Index s = 0; s < b2.synthetic_base().size(); ++s) {
    const int a = b2.synthetic_base()(s);
    const int b = b2.synthetic_neighbor()(s);
    const bool same = d.y(b) == d.y(a);
    towards_other += same ? 0 : 1;
    INFO("synthetic " << s);
    CHECK(on_segment(out.X.row(n + s), d.X.row(a), d.X.row(b), same ? 1.0 : 0.5, 1e-9));
    if (!same) {
      // b is among a's 5 nearest rows of other classes (brute force).
      std::vector<double> dist;
      for (Eigen::Index j = 0; j < n; ++j) {
        if (d.y(j) != d.y(a)) dist.push_back((d.X.row(j) - d.X.row(a)).norm());
      }
      std::sort(dist.begin(), dist.end());
      CHECK((d.X.row(b) - d.X.row(a)).norm() <= dist[4] * (1 + 1e-12));
    }
  }
  const double share = towards_other / static_cast<double>(b2.synthetic_base().size());
  CHECK(share > 0.4);
  CHECK(share < 0.6);
}

TEST_CASE("BorderlineSmote: a class with no row in danger is not grown", "[imbalance]") {
  // Two far-apart clusters: no minority row has another class among its neighbours.
  Matrix<double> X(40, 2);
  Eigen::VectorXi y(40);
  for (Eigen::Index i = 0; i < 40; ++i) {
    const bool minority = i < 10;
    X(i, 0) = (minority ? 100.0 : 0.0) + static_cast<double>(i % 7) * 0.1;
    X(i, 1) = static_cast<double>(i) * 0.01;
    y(i) = minority ? 1 : 0;
  }
  osprey::BorderlineSmote<> b({.m_neighbors = 5});
  const auto out = b.fit_resample(X, y);
  CHECK(out.X.rows() == 40);
  CHECK(b.danger_indices().size() == 0);
  CHECK(b.n_generated().at(1) == 0);
}

TEST_CASE("Adasyn: rows per class row equal imbalanced-learn's", "[imbalance]") {
  for (const char* name : {"bin", "multi"}) {
    INFO(name);
    const DataSet d = load(name);
    const Matrix<double> want = load_fixture(std::string("smote/") + name + "_adasyn_g.csv");
    osprey::Adasyn<> ada({.n_neighbors = 5, .random_state = 3});
    const auto out = ada.fit_resample(d.X, d.y);
    Eigen::Index at = 0;
    Eigen::Index total = 0;
    for (const auto& [label, g] : ada.samples_per_row()) {
      Eigen::Index pos = 0;
      for (Eigen::Index i = 0; i < d.y.size(); ++i) {
        if (d.y(i) != label) continue;
        REQUIRE(at < want.rows());
        CHECK(static_cast<int>(want(at, 0)) == label);
        CHECK(static_cast<Eigen::Index>(want(at, 1)) == i);
        CHECK(g(pos) == static_cast<int>(want(at, 2)));
        ++pos;
        ++at;
      }
      CHECK(ada.n_generated().at(label) == g.sum());
      total += g.sum();
    }
    CHECK(at == want.rows());
    CHECK(out.X.rows() == d.X.rows() + total);
    require_segments(d, out, ada, 5, 1e-9);
    // Synthetic rows come grouped by their base row, in class-row order.
    for (Eigen::Index s = 1; s < ada.synthetic_base().size(); ++s) {
      if (out.y(d.y.size() + s) == out.y(d.y.size() + s - 1)) {
        CHECK(ada.synthetic_base()(s) >= ada.synthetic_base()(s - 1));
      }
    }
  }
}

TEST_CASE("Adasyn: ties round half to even as numpy's rint", "[imbalance]") {
  CHECK(osprey::detail::round_half_even(1, 2) == 0);
  CHECK(osprey::detail::round_half_even(3, 2) == 2);
  CHECK(osprey::detail::round_half_even(5, 2) == 2);
  CHECK(osprey::detail::round_half_even(7, 4) == 2);
  CHECK(osprey::detail::round_half_even(5, 4) == 1);
  CHECK(osprey::detail::round_half_even(0, 3) == 0);
}

TEST_CASE("TomekLinks: finds exactly the links of hand-made data", "[imbalance]") {
  // On a line: (1, 2) and (4, 5) are links; 6 -> 7 is not mutual (7's nearest is 8); 9-10 are
  // mutual nearest neighbours of the same class; 11-12 too.
  const double xs[] = {0.0, 1.0, 1.3, 4.0, 4.5, 4.7, 8.0, 8.5, 8.8, 12.0, 12.1, 15.0, 15.5, 30.0};
  const int ys[] = {0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0};
  Matrix<double> X(14, 2);
  Eigen::VectorXi y(14);
  for (Eigen::Index i = 0; i < 14; ++i) {
    X(i, 0) = xs[i];
    X(i, 1) = -2.0;
    y(i) = ys[i];
  }
  Eigen::VectorXi partner = Eigen::VectorXi::Constant(14, -1);
  partner(1) = 2;
  partner(2) = 1;
  partner(4) = 5;
  partner(5) = 4;

  osprey::TomekLinks<> majority_only;
  const auto out = majority_only.fit_resample(X, y);
  CHECK(majority_only.link_partner() == partner);
  CHECK(majority_only.cleaned_classes() == std::vector<int>{0});
  Eigen::VectorXi keep(12);
  keep << 0, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13;
  CHECK(majority_only.sample_indices() == keep);
  CHECK(out.y == y(keep));
  CHECK(out.X == X(keep, Eigen::all));

  osprey::TomekLinks<float> both({.sampling_strategy = SamplingStrategy::all()});
  const auto out2 = both.fit_resample(X, y);
  Eigen::VectorXi keep2(10);
  keep2 << 0, 3, 6, 7, 8, 9, 10, 11, 12, 13;
  CHECK(both.sample_indices() == keep2);
  CHECK(out2.X.rows() == 10);

  osprey::TomekLinks<> minority_side({.sampling_strategy = SamplingStrategy::classes({1})});
  minority_side.fit_resample(X, y);
  Eigen::VectorXi keep3(12);
  keep3 << 0, 1, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13;
  CHECK(minority_side.sample_indices() == keep3);
}

TEST_CASE("TomekLinks: duplicate rows of different classes form a link", "[imbalance]") {
  Matrix<double> X(4, 1);
  X << 0.0, 0.0, 5.0, 9.0;
  Eigen::VectorXi y(4);
  y << 0, 1, 0, 0;
  CHECK(osprey::TomekLinks<>::find_links(X, y) == Eigen::Vector4i(1, 0, -1, -1));
}

TEST_CASE("RandomUnderSampler: keeps a uniform subset in input order", "[imbalance]") {
  const DataSet d = load("multi");
  osprey::RandomUnderSampler<> rus({.random_state = 4});
  const auto out = rus.fit_resample(d.X, d.y);
  CHECK(class_counts(out.y) == std::map<int, Eigen::Index>{{0, 25}, {1, 25}, {2, 25}});
  const Eigen::VectorXi& idx = rus.sample_indices();
  CHECK(std::is_sorted(idx.data(), idx.data() + idx.size()));
  CHECK(std::adjacent_find(idx.data(), idx.data() + idx.size()) == idx.data() + idx.size());
  CHECK(out.X == d.X(idx, Eigen::all));
  CHECK(rus.targets() == std::map<int, Eigen::Index>{{0, 25}, {1, 25}});

  // Every majority row is about equally likely to be kept (25 of 120 each run).
  std::vector<int> kept(static_cast<std::size_t>(d.y.size()), 0);
  for (std::uint64_t seed = 0; seed < 480; ++seed) {
    osprey::RandomUnderSampler<> r({.random_state = seed});
    r.fit_resample(d.X, d.y);
    for (Eigen::Index i = 0; i < r.sample_indices().size(); ++i)
      ++kept[static_cast<std::size_t>(r.sample_indices()(i))];
  }
  for (Eigen::Index i = 0; i < d.y.size(); ++i) {
    if (d.y(i) == 0) {
      CHECK(kept[static_cast<std::size_t>(i)] > 60);  // expectation 100
      CHECK(kept[static_cast<std::size_t>(i)] < 140);
    }
    if (d.y(i) == 2) CHECK(kept[static_cast<std::size_t>(i)] == 480);
  }
}

TEST_CASE("RandomUnderSampler: with replacement may repeat rows", "[imbalance]") {
  const DataSet d = load("bin");
  osprey::RandomUnderSampler<> rus({.replacement = true, .random_state = 1});
  const auto out = rus.fit_resample(d.X, d.y);
  CHECK(class_counts(out.y) == std::map<int, Eigen::Index>{{3, 30}, {7, 30}});
  const Eigen::VectorXi& idx = rus.sample_indices();
  CHECK(std::is_sorted(idx.data(), idx.data() + idx.size()));
  // 30 draws from 150 rows repeat one with probability ~95%; seed 1 does.
  CHECK(std::adjacent_find(idx.data(), idx.data() + idx.size()) != idx.data() + idx.size());
  CHECK(out.X == d.X(idx, Eigen::all));
}

TEST_CASE("SmoteTomek: equals Smote followed by TomekLinks removing both ends", "[imbalance]") {
  const DataSet d = load("bin");
  osprey::SmoteTomek<> st({.k_neighbors = 4, .random_state = 21});
  const auto out = st.fit_resample(d.X, d.y);
  osprey::Smote<> smote({.k_neighbors = 4, .random_state = 21});
  const auto grown = smote.fit_resample(d.X, d.y);
  osprey::TomekLinks<> tomek({.sampling_strategy = SamplingStrategy::all()});
  const auto cleaned = tomek.fit_resample(grown.X, grown.y);
  CHECK(out.X == cleaned.X);
  CHECK(out.y == cleaned.y);
  CHECK(st.tomek().sample_indices() == tomek.sample_indices());
  CHECK(st.smote().n_generated() == smote.n_generated());
  CHECK(out.X.rows() < grown.X.rows());  // this data has links
  // No link survives among the removed rows' partners: each removed row had a partner.
  const Eigen::VectorXi& partner = st.tomek().link_partner();
  Eigen::Index removed = 0;
  for (Eigen::Index i = 0; i < partner.size(); ++i) removed += partner(i) >= 0 ? 1 : 0;
  CHECK(removed == grown.X.rows() - out.X.rows());
}

TEST_CASE("Samplers: bad parameters throw naming the parameter and value", "[imbalance]") {
  using osprey::InvalidArgument;
  require_throws_containing<InvalidArgument>([] { osprey::Smote<> s({.k_neighbors = 0}); },
                                             "k_neighbors must be >= 1 (got 0)");
  require_throws_containing<InvalidArgument>([] { osprey::Smote<> s({.n_threads = -1}); },
                                             "n_threads must be >= 0");
  require_throws_containing<InvalidArgument>([] { osprey::TomekLinks<> s({.n_threads = -3}); },
                                             "n_threads must be >= 0");
  require_throws_containing<InvalidArgument>(
      [] { osprey::RandomUnderSampler<> s({.n_threads = -1}); }, "n_threads must be >= 0");
  require_throws_containing<InvalidArgument>(
      [] { osprey::BorderlineSmote<> s({.m_neighbors = 0}); }, "m_neighbors must be >= 1 (got 0)");
  require_throws_containing<InvalidArgument>([] { osprey::Adasyn<> s({.n_neighbors = -2}); },
                                             "n_neighbors must be >= 1 (got -2)");
  require_throws_containing<InvalidArgument>([] { osprey::Smote<> s({.sampling_strategy = 0.0}); },
                                             "ratio must be in (0, 1] (got 0)");
  require_throws_containing<InvalidArgument>(
      [] { osprey::RandomUnderSampler<> s({.sampling_strategy = 1.5}); }, "(got 1.5)");
  require_throws_containing<InvalidArgument>(
      [] {
        osprey::Smote<> s({.sampling_strategy = std::map<int, int>{{4, -3}}});
      },
      "class 4 for a negative count (got -3)");
  require_throws_containing<InvalidArgument>(
      [] { osprey::Smote<> s({.sampling_strategy = SamplingStrategy::majority()}); },
      "'majority' cannot be used with an over-sampler");
  require_throws_containing<InvalidArgument>(
      [] { osprey::RandomUnderSampler<> s({.sampling_strategy = SamplingStrategy::minority()}); },
      "'minority'");
  require_throws_containing<InvalidArgument>(
      [] { osprey::Smote<> s({.sampling_strategy = SamplingStrategy::classes({1})}); },
      "only for cleaning samplers");
  require_throws_containing<InvalidArgument>(
      [] { osprey::TomekLinks<> s({.sampling_strategy = 0.5}); }, "cleaning sampler (got 0.5)");
  require_throws_containing<InvalidArgument>(
      [] {
        osprey::TomekLinks<> s({.sampling_strategy = std::map<int, int>{{1, 2}}});
      },
      "{1: 2}");
  require_throws_containing<InvalidArgument>(
      [] { SamplingStrategy s(SamplingStrategy::Kind::ratio); }, "need a value");
  osprey::Smote<> s;
  CHECK_THROWS_AS(s.set_params({.k_neighbors = 0}), InvalidArgument);
  CHECK(s.params().k_neighbors == 5);
}

TEST_CASE("Samplers: impossible requests throw naming the class", "[imbalance]") {
  using osprey::InvalidArgument;
  const DataSet d = load("bin");  // class 3: 150 rows, class 7: 30 rows
  require_throws_containing<InvalidArgument>(
      [&] { osprey::Smote<>({.sampling_strategy = 0.1}).fit_resample(d.X, d.y); },
      "would not grow class 7");
  require_throws_containing<InvalidArgument>(
      [&] {
        osprey::Smote<>({.sampling_strategy = std::map<int, int>{{7, 20}}}).fit_resample(d.X, d.y);
      },
      "class 7 to shrink from 30 to 20");
  require_throws_containing<InvalidArgument>(
      [&] {
        osprey::Smote<>({.sampling_strategy = std::map<int, int>{{5, 40}}}).fit_resample(d.X, d.y);
      },
      "class 5, which is not present in y");
  require_throws_containing<InvalidArgument>(
      [&] {
        osprey::RandomUnderSampler<>({.sampling_strategy = std::map<int, int>{{3, 200}}})
            .fit_resample(d.X, d.y);
      },
      "class 3 to grow from 150 to 200");
  require_throws_containing<InvalidArgument>(
      [&] {
        osprey::TomekLinks<>({.sampling_strategy = SamplingStrategy::classes({9})})
            .fit_resample(d.X, d.y);
      },
      "class 9");
  const DataSet m = load("multi");
  require_throws_containing<InvalidArgument>(
      [&] { osprey::Smote<>({.sampling_strategy = 0.5}).fit_resample(m.X, m.y); },
      "only for binary problems (y has 3 classes)");
  require_throws_containing<InvalidArgument>(
      [&] { osprey::Smote<>({.k_neighbors = 25}).fit_resample(m.X, m.y); },
      "class 2 has 25 rows but k_neighbors = 25 needs at least 26");
  require_throws_containing<InvalidArgument>(
      [&] { osprey::Adasyn<>({.n_neighbors = 30}).fit_resample(m.X, m.y); }, "class 2 has 25");
  require_throws_containing<InvalidArgument>(
      [&] { osprey::BorderlineSmote<>({.m_neighbors = 185}).fit_resample(m.X, m.y); },
      "m_neighbors = 185 needs at least 186 rows in X (got 185)");
  const Eigen::VectorXi one_class = Eigen::VectorXi::Constant(m.y.size(), 4);
  require_throws_containing<InvalidArgument>(
      [&] { osprey::Smote<>().fit_resample(m.X, one_class); },
      "at least 2 classes to resample (got 1: class 4)");

  // ADASYN on separated classes: no row of the minority sees the majority.
  Matrix<double> X(30, 1);
  Eigen::VectorXi y(30);
  for (Eigen::Index i = 0; i < 30; ++i) {
    X(i, 0) = i < 10 ? 1000.0 + static_cast<double>(i) : static_cast<double>(i);
    y(i) = i < 10 ? 1 : 0;
  }
  require_throws_containing<InvalidArgument>([&] { osprey::Adasyn<>().fit_resample(X, y); },
                                             "no row of class 1 has a neighbour");
  osprey::Smote<> ok;
  CHECK(ok.fit_resample(X, y).X.rows() == 40);
}

TEST_CASE("SamplingStrategy: prints as imbalanced-learn spells it", "[imbalance]") {
  CHECK(osprey::detail::concat(SamplingStrategy{}) == "'auto'");
  CHECK(osprey::detail::concat(SamplingStrategy::not_minority()) == "'not minority'");
  CHECK(osprey::detail::concat(SamplingStrategy(0.25)) == "0.25");
  CHECK(osprey::detail::concat(SamplingStrategy(std::map<int, int>{{0, 3}, {2, 5}})) ==
        "{0: 3, 2: 5}");
  CHECK(osprey::detail::concat(SamplingStrategy::classes({1, 2})) == "[1, 2]");
}

TEST_CASE("Samplers: pass the resampler conformance checks", "[imbalance][conformance]") {
  const DataSet d = load("bin");
  osprey::testing::check_resampler<SmoteSpec>(d.X, d.y);
  osprey::testing::check_resampler<BorderlineSpec>(d.X, d.y);
  osprey::testing::check_resampler<Borderline2Spec>(d.X, d.y);
  osprey::testing::check_resampler<AdasynSpec>(d.X, d.y);
  osprey::testing::check_resampler<SmoteTomekSpec>(d.X, d.y);
  osprey::testing::check_resampler<UnderSpec>(d.X, d.y);
  osprey::testing::check_resampler<TomekSpec>(d.X, d.y);
}

TEST_CASE("Samplers: thread count does not change a large resample", "[imbalance]") {
  // Several synthetic blocks and a multi-threaded search.
  Matrix<double> X = Matrix<double>::Random(3000, 6);
  Eigen::VectorXi y(3000);
  for (Eigen::Index i = 0; i < 3000; ++i) y(i) = (i % 10 == 0) ? 1 : (i % 10 == 1 ? 2 : 0);
  osprey::Smote<float> one({.random_state = 99, .n_threads = 1});
  osprey::Smote<float> many({.random_state = 99, .n_threads = 4});
  const auto a = one.fit_resample(X, y);
  const auto b = many.fit_resample(X, y);
  CHECK(a.X.rows() == 3000 + 2 * 2100);
  CHECK(a.X == b.X);
  osprey::Adasyn<> ada1({.random_state = 2, .n_threads = 1});
  osprey::Adasyn<> ada4({.random_state = 2, .n_threads = 4});
  CHECK(ada1.fit_resample(X, y).X == ada4.fit_resample(X, y).X);
  // A double class of 1,200 rows: its search takes the float-filtered path (dynamic tiles,
  // thresholds shared between threads), whose output must not depend on the thread count either.
  Matrix<double> Xd = Matrix<double>::Random(4000, 12);
  Eigen::VectorXi yd(4000);
  for (Eigen::Index i = 0; i < 4000; ++i) yd(i) = (i % 10 < 3) ? 1 : 0;
  osprey::Smote<> d1({.random_state = 4, .n_threads = 1});
  osprey::Smote<> d3({.random_state = 4, .n_threads = 3});
  const auto r1 = d1.fit_resample(Xd, yd);
  CHECK(r1.X.rows() == 4000 + 2800 - 1200);
  CHECK(r1.X == d3.fit_resample(Xd, yd).X);
  CHECK(d1.synthetic_neighbor() == d3.synthetic_neighbor());
}

TEST_CASE("Samplers: fit_resample into a reused output equals the returned one", "[imbalance]") {
  Matrix<double> X = Matrix<double>::Random(2000, 5);
  Eigen::VectorXi y(2000);
  for (Eigen::Index i = 0; i < 2000; ++i) y(i) = (i % 8 == 0) ? 1 : 0;
  osprey::Smote<> smote({.random_state = 7, .n_threads = 2});
  const auto fresh = smote.fit_resample(X, y);
  osprey::Resampled<double> out;
  smote.fit_resample(X, y, out);
  CHECK(out.X == fresh.X);
  CHECK(out.y == fresh.y);
  // Same shape again: the storage is kept, and a stale output is overwritten completely.
  const double* storage = out.X.data();
  out.X.setConstant(-1.0);
  out.y.setConstant(-1);
  smote.fit_resample(X, y, out);
  CHECK(out.X.data() == storage);
  CHECK(out.X == fresh.X);
  CHECK(out.y == fresh.y);
  // Another shape: resized, still equal to a fresh call.
  const Matrix<double> X2 = X.topRows(1500);
  const Eigen::VectorXi y2 = y.head(1500);
  smote.fit_resample(X2, y2, out);
  CHECK(out.X == smote.fit_resample(X2, y2).X);
  osprey::BorderlineSmote<float> border({.random_state = 3});
  osprey::Resampled<float> bout;
  border.fit_resample(X, y, bout);
  CHECK(bout.X == border.fit_resample(X, y).X);
  osprey::Adasyn<> ada({.random_state = 5});
  osprey::Resampled<double> aout;
  ada.fit_resample(X, y, aout);
  CHECK(aout.X == ada.fit_resample(X, y).X);
  // The output's own X cannot be the input: it is overwritten while read.
  osprey::Resampled<double> self = smote.fit_resample(X, y);
  const Eigen::VectorXi y_self = self.y;
  require_throws_containing<osprey::InvalidArgument>(
      [&] { smote.fit_resample(self.X, y_self, self); }, "X is the output's X");
}

TEST_CASE("Smote: a row-major X gives the same output as a column-major one", "[imbalance]") {
  // The row-major input takes the transposing copy and bit-test finiteness check.
  const DataSet d = load("multi");
  const osprey::RowMatrix<double> Xr = d.X;
  osprey::Smote<> col({.k_neighbors = 3, .random_state = 5});
  osprey::Smote<> row({.k_neighbors = 3, .random_state = 5});
  const auto a = col.fit_resample(d.X, d.y);
  const auto b = row.fit_resample(Xr, d.y);
  CHECK(a.X == b.X);
  CHECK(a.y == b.y);
  // Float output from a row-major double X, and from a row-major float X.
  osprey::Smote<float> f1({.k_neighbors = 3, .random_state = 5});
  osprey::Smote<float> f2({.k_neighbors = 3, .random_state = 5});
  const osprey::RowMatrix<float> Xf = Xr.cast<float>();
  CHECK(f1.fit_resample(Xr, d.y).X == f2.fit_resample(Xf, d.y).X);
  // Non-finite values anywhere in a row-major X name their row and column.
  for (const auto& [r, c] : std::vector<std::pair<Eigen::Index, Eigen::Index>>{
           {0, 0}, {Xr.rows() - 1, Xr.cols() - 1}, {Xr.rows() / 2, 1}}) {
    for (const double bad :
         {std::numeric_limits<double>::quiet_NaN(), -std::numeric_limits<double>::infinity()}) {
      osprey::RowMatrix<double> Xbad = Xr;
      Xbad(r, c) = bad;
      osprey::Smote<> s({.k_neighbors = 3});
      require_throws_containing<osprey::InvalidArgument>(
          [&] { (void)s.fit_resample(Xbad, d.y); },
          "row " + std::to_string(r) + ", column " + std::to_string(c));
      osprey::RowMatrix<float> Xbadf = Xf;
      Xbadf(r, c) = static_cast<float>(bad);
      osprey::Smote<float> sf({.k_neighbors = 3});
      require_throws_containing<osprey::InvalidArgument>(
          [&] { (void)sf.fit_resample(Xbadf, d.y); },
          "row " + std::to_string(r) + ", column " + std::to_string(c));
    }
  }
}

TEST_CASE("Smote: wide rows are staged and written correctly", "[imbalance]") {
  // d = 700 stages two rows per batch, d = 2500 exceeds the staging buffer; both against the
  // segment rule on data small enough for the exhaustive check.
  for (const Eigen::Index d : {Eigen::Index{700}, Eigen::Index{2500}}) {
    INFO("d=" << d);
    DataSet ds{Matrix<double>::Random(40, d), Eigen::VectorXi(40)};
    for (Eigen::Index i = 0; i < 40; ++i) ds.y(i) = i % 4 == 0 ? 1 : 0;
    osprey::Smote<> smote({.k_neighbors = 3, .random_state = 8});
    const auto out = smote.fit_resample(ds.X, ds.y);
    CHECK(out.X.rows() == 40 + 20);
    CHECK(out.X.topRows(40) == ds.X);
    require_segments(ds, out, smote, 3, 1e-9);
  }
}

TEST_CASE("Smote: an output past the streaming size is written exactly", "[imbalance]") {
  // 60,001 x 20 doubles grow to 114,001 rows (18 MB, float 9 MB): both take the streaming stores,
  // and the odd row count puts every column at a different alignment (scalar heads and tails).
  const Eigen::Index n = 60001;
  const osprey::RowMatrix<double> X = osprey::RowMatrix<double>::Random(n, 20);
  Eigen::VectorXi y(n);
  for (Eigen::Index i = 0; i < n; ++i) y(i) = i % 20 == 0 ? 1 : 0;
  osprey::Smote<> smote({.random_state = 3, .n_threads = 2});
  const auto out = smote.fit_resample(X, y);
  REQUIRE(out.X.rows() == 2 * (n - 3001));
  CHECK(out.X.topRows(n) == Matrix<double>(X));
  const Eigen::VectorXi& base = smote.synthetic_base();
  const Eigen::VectorXi& nb = smote.synthetic_neighbor();
  Eigen::Index off = 0;
  for (Eigen::Index s = n; s < out.X.rows(); ++s) {
    const auto a = X.row(base(s - n));
    const auto b = X.row(nb(s - n));
    // One step u for the whole row: recover it from the widest column, then every column must
    // be a + u (b - a) to rounding.
    Eigen::Index w = 0;
    (b - a).cwiseAbs().maxCoeff(&w);
    const double u = (out.X(s, w) - a(w)) / (b(w) - a(w));
    const Eigen::RowVectorXd expect = a + u * (b - a);
    if ((out.X.row(s) - expect).cwiseAbs().maxCoeff() > 1e-12 || u < 0 || u > 1) ++off;
  }
  CHECK(off == 0);
  osprey::Smote<> one({.random_state = 3, .n_threads = 1});
  CHECK(one.fit_resample(X, y).X == out.X);
  // Float: the output written from a row-major float X equals the cast double-precision rows
  // for the copied part, and does not depend on the thread count.
  const osprey::RowMatrix<float> Xf = X.cast<float>();
  osprey::Smote<float> f1({.random_state = 3, .n_threads = 1});
  osprey::Smote<float> f2({.random_state = 3, .n_threads = 2});
  const auto of = f2.fit_resample(Xf, y);
  CHECK(of.X.topRows(n) == Matrix<float>(Xf));
  CHECK(f1.fit_resample(Xf, y).X == of.X);
}

TEST_CASE("Class counts and class rows agree with a map on dense and sparse labels",
          "[imbalance]") {
  // The counting takes three paths: a few labels (vector comparisons), up to max(1024, n)
  // consecutive values (interleaved histograms) and sparse labels (a map); the class lists
  // three too: one wanted class (a moving cursor), dense labels (vector slots), sparse (a map).
  std::mt19937 gen(21);
  const auto labels = [&](std::vector<int> values, Eigen::Index n) {
    std::uniform_int_distribution<std::size_t> pick(0, values.size() - 1);
    Eigen::VectorXi y(n);
    for (Eigen::Index i = 0; i < n; ++i) y(i) = values[pick(gen)];
    return y;
  };
  std::vector<int> wide;
  for (int v = -7; v <= 40; v += 3) wide.push_back(v);
  for (const Eigen::VectorXi& y :
       {labels({0, 1}, 1001), labels({-3, 2, 4}, 999), labels(wide, 5003),
        labels({std::numeric_limits<int>::min(), 0, std::numeric_limits<int>::max()}, 777)}) {
    std::map<int, std::vector<Eigen::Index>> expect;
    for (Eigen::Index i = 0; i < y.size(); ++i) expect[y(i)].push_back(i);
    const auto counts = osprey::detail::count_classes(y);
    REQUIRE(counts.size() == expect.size());
    for (const auto& [label, rows] : expect) {
      CHECK(counts.at(label) == static_cast<Eigen::Index>(rows.size()));
    }
    CHECK(osprey::detail::rows_by_class(y, counts) == expect);
    // Only the listed classes (the first one, and a label absent from y).
    const std::map<int, Eigen::Index> only{{expect.begin()->first, 1}, {12345, 1}};
    const auto some = osprey::detail::rows_by_class(y, counts, &only);
    REQUIRE(some.size() == 1);
    CHECK(some.at(expect.begin()->first) == expect.begin()->second);
  }
}

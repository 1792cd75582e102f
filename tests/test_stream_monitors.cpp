// PoissonCusum (Lucas 1985) and its lattice ARL against Lucas's published values, PsiMonitor
// against the batch population_stability_index, and StandardScaler::partial_fit against a
// one-shot fit.
#include "common/prelude.hpp"

#include <osprey/core/concepts.hpp>
#include <osprey/core/random.hpp>
#include <osprey/io/serialize.hpp>
#include <osprey/metrics/drift.hpp>
#include <osprey/preprocessing/scalers.hpp>
#include <osprey/streams/poisson_cusum.hpp>
#include <osprey/streams/psi_monitor.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <vector>

#include "common/estimator_checks.hpp"
#include "common/model_io.hpp"

using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;
using osprey::Alarm;
using osprey::CusumSide;
using osprey::InvalidArgument;
using osprey::PoissonCusum;
using osprey::PsiMonitor;
using osprey::Vector;
using osprey::testing::require_throws_containing;

static_assert(osprey::StreamDetector<PoissonCusum<double>>);
static_assert(osprey::StreamDetector<PoissonCusum<float>>);
static_assert(osprey::StreamDetector<PsiMonitor<double>>);
static_assert(osprey::StreamDetector<PsiMonitor<float>>);
static_assert(osprey::Serializable<PoissonCusum<float>>);
static_assert(osprey::Serializable<PsiMonitor<double>>);

using osprey::testing::reloaded;
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

double uniform(osprey::Rng& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

/** A Poisson(mu) draw by inversion (mu small). */
int poisson(osprey::Rng& rng, double mu) {
  const double u = uniform(rng);
  double p = std::exp(-mu), cdf = p;
  int x = 0;
  while (u > cdf && x < 1000) {
    ++x;
    p *= mu / x;
    cdf += p;
  }
  return x;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// PoissonCusum

TEST_CASE("PoissonCusum: a hand-computed sequence, Lucas's >= rule and the reset",
          "[streams][poisson_cusum]") {
  // mu0 = 2, mu1 = 4: k = 2 / ln 2 = 2.885...; given k = 3 (Lucas rounds k), h = 4.
  PoissonCusum<double> c({.mu0 = 2.0, .mu1 = 4.0, .h = 4.0, .k = 3.0});
  CHECK(c.k() == 3.0);
  CHECK_THAT(osprey::poisson_cusum_k(2.0, 4.0), WithinRel(2.0 / std::log(2.0), 1e-15));
  const std::vector<double> x{1, 5, 4, 0, 6, 3, 2};
  // S: max(0,-2)=0; 2; 3; 0; 3; 3; 2 -- never >= 4.
  const std::vector<double> s{0, 2, 3, 0, 3, 3, 2};
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto sig = c.update(x[i]);
    CHECK(sig.upper_statistic == s[i]);
    CHECK(sig.alarm == Alarm::none);
  }
  // 2 + 5 - 3 = 4: exactly h alarms (Lucas: "greater than or equal"), then the sum restarts.
  const auto sig = c.update(5.0);
  CHECK(sig.upper_statistic == 4.0);
  CHECK(sig.upper_limit == 4.0);
  CHECK(sig.alarm == Alarm::upper);
  CHECK(c.upper_sum() == 0.0);
  CHECK(c.n_updates() == 0);
  // Lower sum only: k_l for mu0 = 2, mu1 = 1 is 1 / ln 2; h_lower = 2.
  PoissonCusum<double> lo({.mu0 = 2.0, .mu1 = std::nullopt, .mu1_lower = 1.0, .h_lower = 2.0});
  const double kl = 1.0 / std::log(2.0);
  CHECK_THAT(lo.k_lower(), WithinRel(kl, 1e-15));
  CHECK(lo.update(3.0).lower_statistic == 0.0);
  CHECK_THAT(lo.update(0.0).lower_statistic, WithinAbs(-kl, 1e-15));
  const auto a = lo.update(0.0);  // 2 kl = 2.885 >= 2
  CHECK(a.alarm == Alarm::lower);
  CHECK(a.upper_limit == kInf);
  CHECK(a.lower_limit == -2.0);
  // detect equals an update loop; reset restarts at the headstart.
  PoissonCusum<float> f({.mu0 = 1.0, .mu1 = 3.0, .h = 3.0, .fir_headstart = 0.5});
  PoissonCusum<float> g = f;
  CHECK(f.upper_sum() == 1.5F);
  Eigen::VectorXf series(8);
  series << 0, 2, 4, 3, 0, 1, 5, 2;
  const Eigen::VectorXi alarms = f.detect(series);
  for (Eigen::Index i = 0; i < series.size(); ++i) {
    CHECK(static_cast<int>(g.update(series(i)).alarm) == alarms(i));
  }
  CHECK(f.upper_sum() == g.upper_sum());
  CHECK((alarms.array() != 0).count() >= 1);
  f.reset();
  CHECK(f.upper_sum() == 1.5F);
  CHECK(f.n_updates() == 0);
}

TEST_CASE("PoissonCusum: ARL by the lattice chain matches Lucas 1985 within 2%",
          "[streams][poisson_cusum][arl]") {
  // Lucas, J. M. (1985), Counted data CUSUM's, Technometrics 27(2), 129-144, as quoted with
  // their table positions in the documentation of the R package spc (S. Knoth), functions
  // pois.cusum.arl and pois.cusum.crit: h = 10, k = 0.25, mean 0.25 (column 1.0 of the first
  // block): upper zero-start 438 (Table 2), upper FIR h/2 333 (Table 3), lower 437 (Table 4),
  // lower FIR 318 (Table 5).
  struct Row {
    double mu, k, h;
    CusumSide side;
    double headstart, published;
  };
  const std::vector<Row> lucas{
      {0.25, 0.25, 10.0, CusumSide::upper, 0.0, 438.0},
      {0.25, 0.25, 10.0, CusumSide::upper, 0.5, 333.0},
      {0.25, 0.25, 10.0, CusumSide::lower, 0.0, 437.0},
      {0.25, 0.25, 10.0, CusumSide::lower, 0.5, 318.0},
      // An in-control / out-of-control pair in Lucas's design: mu0 = 1.88, mu_d = 1.88 +
      // 0.9627 sqrt(1.88) = 3.2, k = 2, h = 6 (alarm at S >= h). Published as the example of
      // arl() in the R package IAcsSPCR (J. Lawson), "ARL for Lucas's Cusum Chart for
      // Attribute Data": ARL0 37.2 (FIR 29.19), ARL1 5.49 (FIR 3.33).
      {1.88, 2.0, 6.0, CusumSide::upper, 0.0, 37.2},
      {1.88, 2.0, 6.0, CusumSide::upper, 0.5, 29.19},
      {1.88 + 0.9627 * std::sqrt(1.88), 2.0, 6.0, CusumSide::upper, 0.0, 5.49},
      {1.88 + 0.9627 * std::sqrt(1.88), 2.0, 6.0, CusumSide::upper, 0.5, 3.33},
  };
  for (const Row& r : lucas) {
    INFO("mu " << r.mu << " k " << r.k << " h " << r.h << " headstart " << r.headstart);
    CHECK_THAT(osprey::poisson_cusum_arl(r.mu, r.k, r.h, r.side, r.headstart),
               WithinRel(r.published, 0.02));
  }
  // The lattice is found from k and h (k = 1/4: m = 4), or given.
  CHECK(osprey::poisson_cusum_arl(0.25, 0.25, 10.0) ==
        osprey::poisson_cusum_arl(0.25, 0.25, 10.0, CusumSide::upper, 0.0, 4));
  CHECK_THAT(osprey::poisson_cusum_arl(0.25, 0.25, 10.0, CusumSide::upper, 0.0, 8),
             WithinRel(osprey::poisson_cusum_arl(0.25, 0.25, 10.0), 1e-12));
  // ARL falls as the mean moves towards the side watched.
  CHECK(osprey::poisson_cusum_arl(4.0, 5.0, 10.0) > osprey::poisson_cusum_arl(6.0, 5.0, 10.0));
  CHECK(osprey::poisson_cusum_arl(4.0, 3.0, 10.0, CusumSide::lower) >
        osprey::poisson_cusum_arl(2.0, 3.0, 10.0, CusumSide::lower));
}

TEST_CASE("PoissonCusum: the chain agrees with simulated run lengths of the chart",
          "[streams][poisson_cusum][arl]") {
  // mu0 = 1.88, k = 2, h = 6: ARL0 = 37.2. 4000 simulated runs of the chart itself: the mean
  // run length's standard error is about 37 / sqrt(4000) = 0.6, so 4% is > 2.5 SE.
  const double arl = osprey::poisson_cusum_arl(1.88, 2.0, 6.0);
  osprey::Rng rng(19);
  PoissonCusum<double> c({.mu0 = 1.88, .mu1 = 3.2, .h = 6.0, .k = 2.0});
  const int runs = 4000;
  double total = 0.0;
  for (int r = 0; r < runs; ++r) {
    int t = 0;
    while (true) {
      ++t;
      if (c.update(poisson(rng, 1.88)).alarm != Alarm::none) break;
    }
    total += t;
  }
  CHECK_THAT(total / runs, WithinRel(arl, 0.04));
}

TEST_CASE("PoissonCusum: bad parameters and counts throw naming them and keep the state",
          "[streams][poisson_cusum]") {
  using P = osprey::PoissonCusumParams;
  require_throws_containing<InvalidArgument>([] { PoissonCusum<>(P{.mu0 = 0.0}); }, "mu0");
  require_throws_containing<InvalidArgument>([] { PoissonCusum<>(P{.mu0 = -1.0}); }, "mu0");
  require_throws_containing<InvalidArgument>([] { PoissonCusum<>(P{.mu0 = kNaN}); }, "mu0");
  require_throws_containing<InvalidArgument>([] { PoissonCusum<>(P{.mu0 = 2.0, .mu1 = 2.0}); },
                                             "mu1");
  require_throws_containing<InvalidArgument>([] { PoissonCusum<>(P{.mu0 = 2.0, .mu1 = 1.0}); },
                                             "mu1");
  require_throws_containing<InvalidArgument>([] { PoissonCusum<>(P{.h = 0.0}); }, "h");
  require_throws_containing<InvalidArgument>([] { PoissonCusum<>(P{.h = -3.0}); }, "h");
  require_throws_containing<InvalidArgument>([] { PoissonCusum<>(P{.h = kInf}); }, "h");
  require_throws_containing<InvalidArgument>([] { PoissonCusum<>(P{.mu1_lower = 1.0}); },
                                             "mu1_lower");
  require_throws_containing<InvalidArgument>(
      [] { PoissonCusum<>(P{.mu0 = 2.0, .mu1 = 3.0, .mu1_lower = 1.0, .h_lower = 0.0}); },
      "h_lower");
  require_throws_containing<InvalidArgument>([] { PoissonCusum<>(P{.mu1 = std::nullopt}); },
                                             "mu1_lower");
  require_throws_containing<InvalidArgument>([] { PoissonCusum<>(P{.k = -1.0}); }, "k");
  require_throws_containing<InvalidArgument>([] { PoissonCusum<>(P{.fir_headstart = 1.0}); },
                                             "fir_headstart");
  PoissonCusum<double> c({.mu0 = 1.0, .mu1 = 2.0, .h = 50.0});
  c.update(4.0);
  const double before = c.upper_sum();
  for (const double bad : {-1.0, 0.5, 2.25, kNaN, kInf, -kInf}) {
    require_throws_containing<InvalidArgument>([&] { c.update(bad); }, "whole number");
  }
  Eigen::VectorXd series(3);
  series << 1.0, 2.5, 1.0;
  require_throws_containing<InvalidArgument>([&] { c.detect(series); }, "index 1");
  CHECK(c.upper_sum() == before);
  CHECK(c.n_updates() == 1);
  // A failed set_params keeps the chart.
  require_throws_containing<InvalidArgument>([&] { c.set_params({.mu0 = 1.0, .mu1 = 0.5}); },
                                             "mu1");
  CHECK(c.params().h == 50.0);
  // ARL arguments.
  require_throws_containing<InvalidArgument>([] { osprey::poisson_cusum_arl(0.0, 1.0, 5.0); },
                                             "mu");
  require_throws_containing<InvalidArgument>([] { osprey::poisson_cusum_arl(1.0, 1.0, 0.0); }, "h");
  require_throws_containing<InvalidArgument>([] { osprey::poisson_cusum_arl(1.0, -1.0, 5.0); },
                                             "k");
  require_throws_containing<InvalidArgument>(
      [] { osprey::poisson_cusum_arl(1.0, 1.0 / 3.0 + 1e-4, 5.0); }, "denominator");
  require_throws_containing<InvalidArgument>([] { osprey::poisson_cusum_arl(1.0, 1.0, 5000.0); },
                                             "denominator");
  require_throws_containing<InvalidArgument>(
      [] { osprey::poisson_cusum_arl(1.0, 1.0, 5.0, CusumSide::upper, 1.0); }, "headstart");
}

TEST_CASE("PoissonCusum: save and load mid-stream continues bit-identically",
          "[streams][poisson_cusum][serialize]") {
  osprey::Rng rng(7);
  PoissonCusum<float> a({.mu0 = 3.0, .mu1 = 5.0, .h = 7.0, .mu1_lower = 1.5, .h_lower = 4.0});
  for (int i = 0; i < 40; ++i) a.update(static_cast<float>(poisson(rng, 3.0)));
  PoissonCusum<float> b = reloaded(a);
  CHECK(b.upper_sum() == a.upper_sum());
  CHECK(b.lower_sum() == a.lower_sum());
  CHECK(b.n_updates() == a.n_updates());
  for (int i = 0; i < 200; ++i) {
    const auto x = static_cast<float>(poisson(rng, i < 100 ? 3.0 : 5.0));
    const auto sa = a.update(x);
    const auto sb = b.update(x);
    REQUIRE(std::memcmp(&sa.upper_statistic, &sb.upper_statistic, sizeof(float)) == 0);
    REQUIRE(std::memcmp(&sa.lower_statistic, &sb.lower_statistic, sizeof(float)) == 0);
    REQUIRE(sa.alarm == sb.alarm);
  }
  // A corrupted payload is a FormatError, never a crash.
  std::stringstream io;
  osprey::save(a, io);
  std::string bytes = io.str();
  for (std::size_t cut : {std::size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    std::istringstream in(bytes.substr(0, cut));
    CHECK_THROWS_AS(osprey::load<PoissonCusum<float>>(in), osprey::FormatError);
  }
  std::istringstream wrong(bytes);
  CHECK_THROWS_AS(osprey::load<PoissonCusum<double>>(wrong), osprey::FormatError);
}

// ---------------------------------------------------------------------------------------------
// PsiMonitor

TEST_CASE("PsiMonitor: random splits of the window give the batch function's PSI exactly",
          "[streams][psi]") {
  osprey::Rng rng(31);
  for (int trial = 0; trial < 12; ++trial) {
    const int n_bins = 2 + static_cast<int>(rng.bounded(15));
    const auto n_ref = static_cast<Eigen::Index>(1 + rng.bounded(300));
    const auto n_win = static_cast<Eigen::Index>(1 + rng.bounded(400));
    Eigen::VectorXd ref(n_ref), win(n_win);
    for (Eigen::Index i = 0; i < n_ref; ++i) ref(i) = std::round(rng.normal() * 4.0) / 2.0;
    const double shift = 0.3 * static_cast<double>(trial % 4);
    for (Eigen::Index i = 0; i < n_win; ++i) win(i) = std::round(rng.normal() * 4.0) / 2.0 + shift;
    const double eps = trial % 2 == 0 ? osprey::psi_default_epsilon : 1e-3;
    const double want = osprey::population_stability_index(ref, win, n_bins, eps);
    PsiMonitor<double> m({.n_bins = n_bins, .epsilon = eps});
    m.fit(ref);
    Eigen::Index at = 0;
    double got = kNaN;
    while (at < n_win) {
      const auto len =
          std::min<Eigen::Index>(n_win - at, 1 + static_cast<Eigen::Index>(rng.bounded(40)));
      got = m.update(win.segment(at, len));
      at += len;
    }
    INFO("trial " << trial << " n_bins " << n_bins);
    CHECK(got == want);
    CHECK(m.psi() == want);
    CHECK(m.n_window() == n_win);
    // The window restarts: the next batch alone.
    m.reset_window();
    CHECK(m.update(ref) == osprey::population_stability_index(ref, ref, n_bins, eps));
  }
  // float samples bin as the batch function bins them.
  const Eigen::VectorXf rf = osprey::testing::normal_data(50, 1, 3).col(0).cast<float>();
  const Eigen::VectorXf wf = osprey::testing::normal_data(70, 1, 4).col(0).cast<float>();
  PsiMonitor<float> mf({.n_bins = 7});
  mf.fit(rf);
  mf.update(wf.head(33));
  CHECK(mf.update(wf.tail(37)) == osprey::population_stability_index(rf, wf, 7));
}

TEST_CASE("PsiMonitor: a sliding window of the last N batches equals the batch PSI of them",
          "[streams][psi]") {
  osprey::Rng rng(5);
  const Eigen::VectorXd ref = osprey::testing::normal_data(200, 1, 8).col(0);
  PsiMonitor<double> m({.n_bins = 6, .window_batches = 3});
  m.fit(ref);
  std::vector<Eigen::VectorXd> batches;
  for (int b = 0; b < 9; ++b) {
    const auto len = static_cast<Eigen::Index>(1 + rng.bounded(30));
    Eigen::VectorXd x =
        osprey::testing::normal_data(len, 1, 100 + static_cast<std::uint64_t>(b)).col(0);
    x.array() += 0.2 * b;
    batches.push_back(x);
    const double got = m.update(x);
    const std::size_t first = batches.size() > 3 ? batches.size() - 3 : 0;
    Eigen::Index total = 0;
    for (std::size_t i = first; i < batches.size(); ++i) total += batches[i].size();
    Eigen::VectorXd w(total);
    Eigen::Index at = 0;
    for (std::size_t i = first; i < batches.size(); ++i) {
      w.segment(at, batches[i].size()) = batches[i];
      at += batches[i].size();
    }
    CHECK(got == osprey::population_stability_index(ref, w, 6));
    CHECK(m.n_window() == total);
    CHECK(m.n_window_batches() == static_cast<std::int64_t>(batches.size() - first));
    if (b == 4) {  // save and load mid-stream: the restored monitor goes on identically
      PsiMonitor<double> back = reloaded(m);
      CHECK(back.psi() == m.psi());
      CHECK(back.window_counts() == m.window_counts());
      m = back;
    }
  }
  // A shift raises PSI well above a stable window's.
  PsiMonitor<double> s({.n_bins = 10});
  s.fit(ref);
  const double stable = s.update(osprey::testing::normal_data(400, 1, 9).col(0));
  s.reset_window();
  const Eigen::VectorXd moved = osprey::testing::normal_data(400, 1, 9).col(0).array() + 1.0;
  CHECK(stable < 0.1);
  CHECK(s.update(moved) > 0.25);
}

TEST_CASE("PsiMonitor: bad input, an empty window and NotFitted", "[streams][psi]") {
  using P = osprey::PsiMonitorParams;
  require_throws_containing<InvalidArgument>([] { PsiMonitor<>(P{.n_bins = 1}); }, "n_bins");
  require_throws_containing<InvalidArgument>([] { PsiMonitor<>(P{.epsilon = 0.0}); }, "epsilon");
  require_throws_containing<InvalidArgument>([] { PsiMonitor<>(P{.window_batches = -1}); },
                                             "window_batches");
  PsiMonitor<double> m;
  CHECK_FALSE(m.is_fitted());
  CHECK_THROWS_AS(m.psi(), osprey::NotFittedError);
  CHECK_THROWS_AS(m.update(Eigen::VectorXd::Ones(3)), osprey::NotFittedError);
  CHECK_THROWS_AS(m.edges(), osprey::NotFittedError);
  m.reset();  // harmless before fit
  require_throws_containing<InvalidArgument>([&] { m.fit(Eigen::VectorXd(0)); }, "empty");
  Eigen::VectorXd ref = Eigen::VectorXd::LinSpaced(20, 0.0, 1.0);
  ref(7) = kNaN;
  require_throws_containing<InvalidArgument>([&] { m.fit(ref); }, "index 7");
  require_throws_containing<InvalidArgument>([&] { m.fit(Eigen::MatrixXd::Ones(3, 2)); }, "vector");
  CHECK_FALSE(m.is_fitted());
  ref(7) = 0.5;
  m.fit(ref);
  require_throws_containing<osprey::Error>([&] { (void)m.psi(); }, "window is empty");
  m.update(ref.head(5));
  const double psi = m.psi();
  Eigen::VectorXd bad = ref.head(4);
  bad(2) = kInf;
  require_throws_containing<InvalidArgument>([&] { m.update(bad); }, "index 2");
  require_throws_containing<InvalidArgument>([&] { m.update(Eigen::VectorXd(0)); }, "empty");
  CHECK(m.psi() == psi);
  CHECK(m.n_window() == 5);
  m.reset();
  require_throws_containing<osprey::Error>([&] { (void)m.psi(); }, "window is empty");
  // Unfitted and fitted monitors round-trip; truncated files are FormatErrors.
  CHECK_FALSE(reloaded(PsiMonitor<float>({.n_bins = 3})).is_fitted());
  m.update(ref);
  CHECK(reloaded(m).psi() == m.psi());
  std::stringstream io;
  osprey::save(m, io);
  const std::string bytes = io.str();
  std::istringstream cut(bytes.substr(0, bytes.size() - 9));
  CHECK_THROWS_AS(osprey::load<PsiMonitor<double>>(cut), osprey::FormatError);
}

// ---------------------------------------------------------------------------------------------
// StandardScaler::partial_fit

TEST_CASE("StandardScaler: partial_fit over random batches matches a one-shot fit to 1e-12",
          "[preprocessing][partial_fit]") {
  osprey::Rng rng(12);
  const Eigen::Index n = 3000;
  for (const double offset : {0.0, 1e6}) {
    for (const double spread : {1.0, 1e-2}) {
      osprey::Matrix<double> X = osprey::testing::normal_data(n, 3, 40) * spread;
      X.col(1).array() += offset;
      X.col(2).array() = X.col(2).array() * 7.0 - 3.0 * offset;
      osprey::StandardScaler<double> one, inc;
      one.fit(X);
      Eigen::Index at = 0;
      int singles = 0;
      while (at < n) {
        const Eigen::Index len =
            rng.bounded(3) == 0
                ? 1
                : std::min<Eigen::Index>(n - at, 1 + static_cast<Eigen::Index>(rng.bounded(60)));
        singles += len == 1;
        inc.partial_fit(X.middleRows(at, len));
        at += len;
      }
      INFO("offset " << offset << " spread " << spread << ", " << singles << " single rows");
      CHECK(singles > 30);
      CHECK(inc.n_samples_seen() == static_cast<double>(n));
      for (Eigen::Index j = 0; j < X.cols(); ++j) {
        // The mean to 1e-12 of its size or of the spread, the variance to 1e-12 relative.
        const double scale = std::max(std::abs(one.mean()(j)), std::sqrt(one.var()(j)));
        CHECK_THAT(inc.mean()(j), WithinAbs(one.mean()(j), 1e-12 * scale));
        CHECK_THAT(inc.var()(j), WithinRel(one.var()(j), 1e-12));
        CHECK_THAT(inc.scale()(j), WithinRel(one.scale()(j), 1e-12));
      }
    }
  }
}

TEST_CASE("StandardScaler: partial_fit continues bit-identically after save and load",
          "[preprocessing][partial_fit][serialize]") {
  osprey::Matrix<double> X = osprey::testing::normal_data(40, 2, 41);
  X.array() += 1e6;
  osprey::StandardScaler<double> a;
  a.fit(X.topRows(10));
  for (Eigen::Index i = 10; i < 25; ++i) a.partial_fit(X.row(i));
  osprey::StandardScaler<double> b = reloaded(a);
  for (Eigen::Index i = 25; i < 40; ++i) {
    a.partial_fit(X.row(i));
    b.partial_fit(X.row(i));
  }
  CHECK(std::memcmp(a.mean().data(), b.mean().data(), 2 * sizeof(double)) == 0);
  CHECK(std::memcmp(a.var().data(), b.var().data(), 2 * sizeof(double)) == 0);
}

#include "common/prelude.hpp"

#include <osprey/core/concepts.hpp>
#include <osprey/core/random.hpp>
#include <osprey/preprocessing/scalers.hpp>
#include <osprey/streams/control_charts.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include "common/estimator_checks.hpp"

using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;
using osprey::Alarm;
using osprey::Cusum;
using osprey::Ewma;
using osprey::Vector;
using osprey::testing::require_throws_containing;

static_assert(osprey::StreamDetector<Ewma<double>>);
static_assert(osprey::StreamDetector<Ewma<float>>);
static_assert(osprey::StreamDetector<Cusum<double>>);
static_assert(osprey::StreamDetector<Cusum<float>>);
static_assert(osprey::StreamDetector<osprey::EwmaBank<double>>);
static_assert(osprey::StreamDetector<osprey::EwmaBank<float>>);
static_assert(osprey::StreamDetector<osprey::CusumBank<double>>);
static_assert(osprey::StreamDetector<osprey::CusumBank<float>>);
static_assert(!osprey::StreamDetector<osprey::StandardScaler<double>>);
static_assert(!osprey::OutlierDetector<Ewma<double>>);
static_assert(!osprey::Transformer<Cusum<double>>);

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Vector<double> normal_series(std::uint64_t seed, Eigen::Index n, double shift_at_half = 0.0) {
  osprey::Rng rng(seed);
  Vector<double> x(n);
  for (Eigen::Index i = 0; i < n; ++i) x(i) = rng.normal() + (i >= n / 2 ? shift_at_half : 0.0);
  return x;
}

/** Mean and standard error of the run length (samples up to and including the first alarm) of
 *  `runs` fresh charts on N(shift, 1) data. */
template <class Chart>
std::pair<double, double> monte_carlo_arl(Chart chart, double shift, int runs, std::uint64_t seed) {
  osprey::Rng rng(seed);
  double sum = 0.0;
  double sum_sq = 0.0;
  for (int r = 0; r < runs; ++r) {
    chart.reset();
    double len = 0.0;
    for (;;) {
      len += 1.0;
      if (chart.update(shift + rng.normal()).alarm != Alarm::none) break;
    }
    sum += len;
    sum_sq += len * len;
  }
  const double mean = sum / runs;
  const double var = (sum_sq - runs * mean * mean) / (runs - 1);
  return {mean, std::sqrt(var / runs)};
}

/** The Monte Carlo ARL agrees with a published value within 3.5 standard errors plus the
 *  table's rounding (half a unit in its last digit, at most 0.5%). The replication count keeps
 *  the standard error near 1%, so the check is within a few percent. */
void check_published_arl(std::pair<double, double> mc, double published) {
  INFO("Monte Carlo ARL " << mc.first << " +/- " << mc.second << ", published " << published);
  CHECK(mc.second < 0.015 * published);
  CHECK(std::abs(mc.first - published) < 3.5 * mc.second + 0.005 * published);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Hand-computed statistics and limits.

TEST_CASE("Ewma: statistics and exact limits match a hand computation", "[control_charts]") {
  // lambda = 0.2, L = 3, sigma = 1: half-width_t = 3 sqrt(0.2 / 1.8 (1 - 0.64^t)); asymptote 1.
  Ewma<> ewma({.lambda = 0.2, .L = 3.0, .mean = 10.0, .sigma = 1.0});
  REQUIRE(ewma.is_fitted());
  const double x[] = {10.5, 9.0, 12.0, 14.0};
  const double z[] = {10.1, 9.88, 10.304, 11.0432};
  const double hw[] = {0.6, 3.0 * std::sqrt(0.5904 / 9.0), 3.0 * std::sqrt(0.737856 / 9.0),
                       3.0 * std::sqrt(0.83222784 / 9.0)};
  const Alarm alarms[] = {Alarm::none, Alarm::none, Alarm::none, Alarm::upper};
  for (int t = 0; t < 4; ++t) {
    INFO("t = " << t + 1);
    const auto s = ewma.update(x[t]);
    CHECK_THAT(s.upper_statistic, WithinAbs(z[t], 1e-12));
    CHECK(s.lower_statistic == s.upper_statistic);
    CHECK_THAT(s.upper_limit, WithinAbs(10.0 + hw[t], 1e-12));
    CHECK_THAT(s.lower_limit, WithinAbs(10.0 - hw[t], 1e-12));
    CHECK(s.alarm == alarms[t]);
  }
  CHECK(ewma.n_updates() == 4);
  CHECK_THAT(ewma.half_width(1000), WithinAbs(1.0, 1e-12));
}

TEST_CASE("Ewma: asymptotic limits, lower alarms and reset on alarm", "[control_charts]") {
  Ewma<> ewma({.mean = 0.0, .sigma = 1.0, .exact_limits = false, .reset_on_alarm = true});
  // Asymptotic half-width 3 sqrt(0.2 / 1.8) = 1 from the first sample.
  auto s = ewma.update(-4.0);  // z = -0.8
  CHECK_THAT(s.upper_statistic, WithinAbs(-0.8, 1e-15));
  CHECK_THAT(s.lower_limit, WithinAbs(-1.0, 1e-15));
  CHECK(s.alarm == Alarm::none);
  s = ewma.update(-2.0);  // z = -0.4 - 0.64 = -1.04 < -1
  CHECK_THAT(s.upper_statistic, WithinAbs(-1.04, 1e-15));
  CHECK(s.alarm == Alarm::lower);
  CHECK(ewma.statistic() == 0.0);  // restarted at the mean
  CHECK(ewma.n_updates() == 0);
  s = ewma.update(1.0);
  CHECK_THAT(s.upper_statistic, WithinAbs(0.2, 1e-15));
}

TEST_CASE("Ewma: lambda = 1 is a Shewhart individuals chart", "[control_charts]") {
  Ewma<> ewma({.lambda = 1.0, .L = 3.0, .mean = 5.0, .sigma = 2.0});
  const auto s = ewma.update(11.5);
  CHECK(s.upper_statistic == 11.5);
  CHECK_THAT(s.upper_limit, WithinAbs(11.0, 1e-15));
  CHECK(s.alarm == Alarm::upper);
  CHECK(ewma.update(10.0).alarm == Alarm::none);
}

TEST_CASE("Cusum: tabular sums, alarms and resets match a hand computation", "[control_charts]") {
  // mean 10, sigma 2, k = 0.5, h = 2: K+ = 11, K- = 9, H = 4.
  Cusum<> cusum({.k = 0.5, .h = 2.0, .mean = 10.0, .sigma = 2.0});
  const double x[] = {12, 13, 8, 15, 12, 5, 4, 10};
  const double cp[] = {1, 3, 0, 4, 5, 0, 0, 0};
  const double cm[] = {0, 0, 1, 0, 0, 4, 9, 0};
  const Alarm alarms[] = {Alarm::none,  Alarm::none, Alarm::none,  Alarm::none,
                          Alarm::upper, Alarm::none, Alarm::lower, Alarm::none};
  for (int t = 0; t < 8; ++t) {
    INFO("t = " << t + 1);
    const auto s = cusum.update(x[t]);
    CHECK(s.upper_statistic == cp[t]);
    CHECK(s.lower_statistic == -cm[t]);
    CHECK(s.upper_limit == 4.0);
    CHECK(s.lower_limit == -4.0);
    CHECK(s.alarm == alarms[t]);
  }
}

TEST_CASE("Cusum: without reset the sums keep growing after an alarm", "[control_charts]") {
  Cusum<> cusum({.k = 0.5, .h = 2.0, .mean = 10.0, .sigma = 2.0, .reset_on_alarm = false});
  const Vector<double> x = (Vector<double>(4) << 15, 15, 12, 10).finished();
  const Eigen::VectorXi a = cusum.detect(x);
  CHECK(a == (Eigen::VectorXi(4) << 0, 1, 1, 1).finished());  // C+ = 4, 8, 9, 8 (> 4 from t = 2)
  CHECK(cusum.upper_sum() == 8.0);
}

TEST_CASE("Cusum: a fast initial response starts both sums at the headstart", "[control_charts]") {
  Cusum<> cusum({.k = 0.5, .h = 4.0, .mean = 0.0, .sigma = 1.0, .fir_headstart = 0.5});
  CHECK(cusum.upper_sum() == 2.0);
  CHECK(cusum.lower_sum() == 2.0);
  const auto s = cusum.update(1.0);  // C+ = 2 + 1 - 0.5, C- = 2 - 0.5 - 1
  CHECK(s.upper_statistic == 2.5);
  CHECK(s.lower_statistic == -0.5);
  cusum.update(3.0);  // C+ = 5 > 4: alarm, restart at the headstart
  CHECK(cusum.upper_sum() == 2.0);
}

TEST_CASE("Charts: fit estimates the mean and sigma by moving range or standard deviation",
          "[control_charts]") {
  const Vector<double> x = (Vector<double>(4) << 1, 3, 2, 6).finished();
  Ewma<> ewma;
  ewma.fit(x);
  CHECK_THAT(ewma.mean(), WithinAbs(3.0, 1e-15));
  CHECK_THAT(ewma.sigma(), WithinAbs((7.0 / 3.0) / 1.128, 1e-14));  // MR-bar / d2
  Cusum<> cusum({.sigma_estimator = osprey::SigmaEstimator::sample_std});
  cusum.fit(x.transpose());  // a row vector is a series too
  CHECK_THAT(cusum.sigma(), WithinAbs(std::sqrt(14.0 / 3.0), 1e-14));
  // A mean or sigma given in Params wins over the estimate.
  Cusum<> given({.mean = 100.0});
  given.fit(x);
  CHECK(given.mean() == 100.0);
  CHECK_THAT(given.sigma(), WithinAbs((7.0 / 3.0) / 1.128, 1e-14));
}

// ---------------------------------------------------------------------------------------------
// Average run lengths.

TEST_CASE("ARL: the Markov chain reproduces Montgomery's CUSUM table", "[control_charts]") {
  // Montgomery, Introduction to SQC, Table 9.3 (k = 1/2): h = 4: ARL 168 at no shift, 8.38 at one
  // sigma; h = 5: 465 and 10.4.
  CHECK_THAT(osprey::cusum_arl(0.5, 4.0), WithinRel(168.0, 0.005));
  CHECK_THAT(osprey::cusum_arl(0.5, 4.0, 1.0), WithinRel(8.38, 0.005));
  CHECK_THAT(osprey::cusum_arl(0.5, 5.0), WithinRel(465.0, 0.005));
  CHECK_THAT(osprey::cusum_arl(0.5, 5.0, 1.0), WithinRel(10.4, 0.005));
  CHECK_THAT(osprey::cusum_arl(0.5, 5.0, 2.0), WithinRel(4.01, 0.005));
  // The headstart shortens detection of a shift that is there from the start.
  CHECK(osprey::cusum_arl(0.5, 5.0, 1.0, 0.5) < osprey::cusum_arl(0.5, 5.0, 1.0) - 2.0);
}

TEST_CASE("ARL: the Markov chain reproduces Lucas and Saccucci's EWMA table", "[control_charts]") {
  // Lucas & Saccucci (1990), Table 3 (Montgomery Table 9.11): asymptotic limits, ARL0 = 500.
  CHECK_THAT(osprey::ewma_arl(0.1, 2.814), WithinRel(500.0, 0.005));
  CHECK_THAT(osprey::ewma_arl(0.1, 2.814, 1.0), WithinRel(10.3, 0.005));
  CHECK_THAT(osprey::ewma_arl(0.05, 2.615), WithinRel(500.0, 0.005));
  CHECK_THAT(osprey::ewma_arl(0.05, 2.615, 1.0), WithinRel(11.4, 0.005));
  CHECK_THAT(osprey::ewma_arl(0.2, 2.962, 1.0), WithinRel(10.5, 0.005));
  // lambda = 1 is the Shewhart chart: ARL0 = 1 / P(|Z| > 3) = 370.4.
  CHECK_THAT(osprey::ewma_arl(1.0, 3.0), WithinRel(370.398, 1e-3));
}

TEST_CASE("ARL: the inverse helpers find the published h and L", "[control_charts]") {
  CHECK_THAT(osprey::cusum_h_for_arl(0.5, 465.0), WithinAbs(5.0, 0.01));
  CHECK_THAT(osprey::cusum_h_for_arl(0.5, 168.0), WithinAbs(4.0, 0.01));
  CHECK_THAT(osprey::ewma_L_for_arl(0.1, 500.0), WithinAbs(2.814, 0.005));
  CHECK_THAT(osprey::ewma_L_for_arl(0.05, 500.0), WithinAbs(2.615, 0.005));
}

TEST_CASE("Cusum: seeded Monte Carlo run lengths match Montgomery's table", "[control_charts]") {
  using P = Cusum<>::Params;
  const Cusum<> h4(P{.k = 0.5, .h = 4.0, .mean = 0.0, .sigma = 1.0});
  const Cusum<> h5(P{.k = 0.5, .h = 5.0, .mean = 0.0, .sigma = 1.0});
  check_published_arl(monte_carlo_arl(h4, 0.0, 10000, 11), 168.0);
  check_published_arl(monte_carlo_arl(h5, 0.0, 10000, 12), 465.0);
  check_published_arl(monte_carlo_arl(h4, 1.0, 10000, 13), 8.38);
  check_published_arl(monte_carlo_arl(h5, 1.0, 10000, 14), 10.4);
}

TEST_CASE("Ewma: seeded Monte Carlo run lengths match Lucas and Saccucci's table",
          "[control_charts]") {
  using P = Ewma<>::Params;
  const Ewma<> chart(
      P{.lambda = 0.1, .L = 2.814, .mean = 0.0, .sigma = 1.0, .exact_limits = false});
  check_published_arl(monte_carlo_arl(chart, 0.0, 10000, 21), 500.0);
  check_published_arl(monte_carlo_arl(chart, 1.0, 10000, 22), 10.3);
}

// ---------------------------------------------------------------------------------------------
// Bad inputs.

TEST_CASE("Charts: out-of-range parameters throw naming the parameter", "[control_charts]") {
  using EP = Ewma<>::Params;
  using CP = Cusum<>::Params;
  using osprey::InvalidArgument;
  require_throws_containing<InvalidArgument>([] { Ewma<> e(EP{.lambda = 0.0}); }, "lambda");
  require_throws_containing<InvalidArgument>([] { Ewma<> e(EP{.lambda = 1.5}); }, "lambda");
  require_throws_containing<InvalidArgument>([] { Ewma<> e(EP{.lambda = kNaN}); }, "lambda");
  require_throws_containing<InvalidArgument>([] { Ewma<> e(EP{.L = 0.0}); }, "L must be > 0");
  require_throws_containing<InvalidArgument>([] { Ewma<> e(EP{.sigma = 0.0}); }, "sigma");
  require_throws_containing<InvalidArgument>([] { Ewma<> e(EP{.sigma = -1.0}); }, "sigma");
  require_throws_containing<InvalidArgument>([] { Ewma<> e(EP{.mean = kInf}); }, "mean");
  require_throws_containing<InvalidArgument>([] { Cusum<> c(CP{.k = -0.1}); }, "k must be >= 0");
  require_throws_containing<InvalidArgument>([] { Cusum<> c(CP{.h = 0.0}); }, "h must be > 0");
  require_throws_containing<InvalidArgument>([] { Cusum<> c(CP{.sigma = -2.0}); }, "sigma");
  require_throws_containing<InvalidArgument>([] { Cusum<> c(CP{.fir_headstart = 1.0}); },
                                             "fir_headstart");
  Cusum<> c;
  require_throws_containing<InvalidArgument>([&] { c.set_params(CP{.h = -1.0}); }, "(got -1)");
  require_throws_containing<InvalidArgument>([] { (void)osprey::cusum_arl(0.5, 0.0); }, "h");
  require_throws_containing<InvalidArgument>([] { (void)osprey::ewma_arl(2.0, 3.0); }, "lambda");
  require_throws_containing<InvalidArgument>([] { (void)osprey::ewma_L_for_arl(0.1, 0.5); },
                                             "target_arl0");
  require_throws_containing<InvalidArgument>([] { osprey::EwmaBank<> b(EP{.L = -1.0}); }, "L");
}

TEST_CASE("Charts: fit rejects short, non-finite and flat series", "[control_charts]") {
  using osprey::InvalidArgument;
  Ewma<> e;
  require_throws_containing<InvalidArgument>([&] { e.fit(Vector<double>::Ones(1)); },
                                             "at least 2 samples (got 1)");
  require_throws_containing<InvalidArgument>([&] { e.fit(Vector<double>(0)); }, "(got 0)");
  Vector<double> bad = normal_series(3, 10);
  bad(6) = kNaN;
  require_throws_containing<InvalidArgument>([&] { e.fit(bad); }, "index 6");
  CHECK_FALSE(e.is_fitted());
  Cusum<> c;
  require_throws_containing<InvalidArgument>([&] { c.fit(Vector<double>::Constant(5, 2.0)); },
                                             "no spread");
  require_throws_containing<InvalidArgument>([&] { c.fit(Eigen::MatrixXd::Ones(3, 2)); },
                                             "must be a vector");
}

TEST_CASE("Charts: a non-finite sample throws and leaves the state intact", "[control_charts]") {
  const Vector<double> x = normal_series(5, 40, 1.0);
  Ewma<> clean({.mean = 0.0, .sigma = 1.0});
  Ewma<> dirty({.mean = 0.0, .sigma = 1.0});
  Cusum<> cclean({.mean = 0.0, .sigma = 1.0});
  Cusum<> cdirty({.mean = 0.0, .sigma = 1.0});
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    if (i == 10 || i == 25) {
      require_throws_containing<osprey::InvalidArgument>([&] { dirty.update(kNaN); }, "Ewma");
      require_throws_containing<osprey::InvalidArgument>([&] { cdirty.update(-kInf); },
                                                         "not finite");
    }
    const auto a = clean.update(x(i));
    const auto b = dirty.update(x(i));
    CHECK(a.upper_statistic == b.upper_statistic);
    CHECK(a.upper_limit == b.upper_limit);
    CHECK(cclean.update(x(i)).upper_statistic == cdirty.update(x(i)).upper_statistic);
  }
  // detect checks the whole series first and names the index.
  Vector<double> y = x;
  y(17) = kNaN;
  const double before = dirty.statistic();
  require_throws_containing<osprey::InvalidArgument>([&] { (void)dirty.detect(y); }, "index 17");
  CHECK(dirty.statistic() == before);
}

TEST_CASE("Charts: using a chart before fit throws NotFittedError", "[control_charts]") {
  Ewma<> e;
  Cusum<float> c({.mean = 1.0});  // sigma still missing
  osprey::CusumBank<> bank;
  require_throws_containing<osprey::NotFittedError>([&] { e.update(1.0); }, "Ewma");
  require_throws_containing<osprey::NotFittedError>([&] { (void)e.detect(Vector<double>(3)); },
                                                    "Ewma is not fitted");
  require_throws_containing<osprey::NotFittedError>([&] { (void)c.mean(); }, "Cusum");
  require_throws_containing<osprey::NotFittedError>([&] { bank.update(Vector<double>::Zero(2)); },
                                                    "CusumBank");
}

// ---------------------------------------------------------------------------------------------
// Stream-detector conformance: the matrix-based check_estimator does not fit a univariate,
// stateful detector (its apply(X) is a feature matrix, predictions are const), so these checks
// are its equivalents for StreamDetector: determinism, batch == streaming, reset, float/double,
// independence across threads, and the bank == single charts.

namespace {

template <template <class> class Chart>
void check_stream_detector(const typename Chart<double>::Params& params) {
  const Vector<double> fit_data = normal_series(31, 200);
  const Vector<double> x = normal_series(32, 3001, 1.5);  // a shift half way: alarms happen

  Chart<double> chart(params);
  CHECK(&chart.fit(fit_data) == &chart);
  REQUIRE(chart.is_fitted());

  // The streaming loop, the blocked batch path and the trace agree.
  std::vector<osprey::Signal<double>> stream;
  Eigen::VectorXi streamed(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    stream.push_back(chart.update(x(i)));
    streamed(i) = static_cast<int>(stream.back().alarm);
  }
  CHECK(streamed.cwiseAbs().sum() > 0);
  chart.reset();
  const Eigen::VectorXi batch = chart.detect(x);
  CHECK(batch == streamed);
  chart.reset();
  Eigen::VectorXi buffer = Eigen::VectorXi::Constant(5, 7);  // resized and overwritten
  chart.detect_into(x, buffer);
  CHECK(buffer == streamed);
  chart.reset();
  const osprey::Trace<double> tr = chart.trace(x);
  CHECK(tr.alarms == streamed);
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    CHECK(tr.upper_statistic(i) == stream[static_cast<std::size_t>(i)].upper_statistic);
    CHECK(tr.lower_limit(i) == stream[static_cast<std::size_t>(i)].lower_limit);
  }

  // Batch in pieces == batch at once (the state carries over).
  chart.reset();
  Eigen::VectorXi pieces(x.size());
  pieces.head(1000) = chart.detect(x.head(1000));
  pieces.segment(1000, 7) = chart.detect(x.segment(1000, 7));
  pieces.tail(x.size() - 1007) = chart.detect(x.tail(x.size() - 1007));
  CHECK(pieces == streamed);

  // Same data, same params: the same output, fresh or refitted.
  Chart<double> other(params);
  other.fit(fit_data);
  CHECK(other.detect(x) == streamed);
  other.fit(fit_data);
  CHECK(other.detect(x) == streamed);

  // float agrees with double on this well-separated data.
  Chart<float> single(params);
  single.fit(fit_data.cast<float>());
  const Eigen::VectorXi fa = single.detect(x.cast<float>());
  CHECK((fa - streamed).cwiseAbs().sum() <= 2);

  // Independent charts in several threads give the serial result.
  std::vector<Eigen::VectorXi> outs(3);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < outs.size(); ++t) {
    threads.emplace_back([&, t] {
      Chart<double> c(params);
      c.fit(fit_data);
      outs[t] = c.detect(x);
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& o : outs) CHECK(o == streamed);
}

template <class Bank, class Single>
void check_bank_matches_singles(const typename Single::Params& params) {
  const Eigen::Index n_series = 37;
  const Eigen::Index n_time = 400;
  osprey::Rng rng(41);
  osprey::RowMatrix<double> fit_data(100, n_series);
  osprey::RowMatrix<double> X(n_time, n_series);
  for (Eigen::Index i = 0; i < fit_data.size(); ++i) fit_data.data()[i] = rng.normal(5.0, 2.0);
  for (Eigen::Index t = 0; t < n_time; ++t) {
    for (Eigen::Index j = 0; j < n_series; ++j) {
      X(t, j) = rng.normal(5.0, 2.0) + (t > 200 ? 0.1 * static_cast<double>(j % 10) : 0.0);
    }
  }
  Bank bank(params);
  bank.fit(fit_data);
  REQUIRE(bank.n_series() == n_series);
  const osprey::AlarmMatrix A = bank.detect(X);
  CHECK(A.cwiseAbs().template cast<int>().sum() > 0);
  for (Eigen::Index j = 0; j < n_series; ++j) {
    Single single(params);
    single.fit(fit_data.col(j));
    Eigen::VectorXi want(n_time);
    for (Eigen::Index t = 0; t < n_time; ++t) {
      want(t) = static_cast<int>(single.update(X(t, j)).alarm);
    }
    INFO("series " << j);
    CHECK(A.col(j).template cast<int>() == want);
  }
  // Column-major input (strided rows) gives the same alarms.
  bank.reset();
  const Eigen::MatrixXd Xc = X;
  CHECK(bank.detect(Xc) == A);
  // Bad bank input: wrong size and a non-finite sample, which changes nothing.
  bank.reset();
  require_throws_containing<osprey::InvalidArgument>(
      [&] { bank.update(Vector<double>::Zero(n_series + 1)); }, "37 series");
  Vector<double> row = X.row(0).transpose();
  row(4) = kNaN;
  require_throws_containing<osprey::InvalidArgument>([&] { bank.update(row); }, "series 4");
  CHECK(bank.detect(X) == A);
}

}  // namespace

TEST_CASE("Ewma: stream-detector conformance", "[control_charts]") {
  using P = Ewma<>::Params;
  check_stream_detector<Ewma>(P{});
  check_stream_detector<Ewma>(P{.lambda = 0.05, .L = 2.6, .reset_on_alarm = true});
  check_stream_detector<Ewma>(P{.lambda = 1.0, .L = 2.5, .exact_limits = false});
  check_stream_detector<Ewma>(P{.lambda = 0.3, .exact_limits = false, .reset_on_alarm = true});
}

TEST_CASE("Cusum: stream-detector conformance", "[control_charts]") {
  using P = Cusum<>::Params;
  check_stream_detector<Cusum>(P{});
  check_stream_detector<Cusum>(P{.k = 0.25, .h = 8.0, .fir_headstart = 0.5});
  check_stream_detector<Cusum>(P{.reset_on_alarm = false});
  check_stream_detector<Cusum>(
      P{.k = 0.0, .h = 3.0, .sigma_estimator = osprey::SigmaEstimator::sample_std});
}

TEST_CASE("Banks: every series behaves as its own single chart", "[control_charts]") {
  using EP = Ewma<>::Params;
  using CP = Cusum<>::Params;
  check_bank_matches_singles<osprey::EwmaBank<>, Ewma<>>(EP{});
  check_bank_matches_singles<osprey::EwmaBank<>, Ewma<>>(EP{.lambda = 0.1, .reset_on_alarm = true});
  check_bank_matches_singles<osprey::CusumBank<>, Cusum<>>(CP{});
  check_bank_matches_singles<osprey::CusumBank<>, Cusum<>>(
      CP{.k = 0.25, .fir_headstart = 0.3, .reset_on_alarm = false});
}

TEST_CASE("Banks: baselines can be given directly", "[control_charts]") {
  osprey::CusumBank<float> bank({.k = 0.5, .h = 2.0});
  bank.set_baselines(Eigen::Vector2f(10.0F, 0.0F), Eigen::Vector2f(2.0F, 1.0F));
  bank.update(Eigen::Vector2f(12.0F, 0.0F));
  const auto& a = bank.update(Eigen::Vector2f(13.0F, -3.0F));  // C+ = 3 (H 4); C- = 2.5 > 2
  CHECK(a(0) == 0);
  CHECK(a(1) == -1);
  CHECK(bank.upper_sum()(0) == 3.0F);
  require_throws_containing<osprey::InvalidArgument>(
      [&] { bank.set_baselines(Eigen::Vector2f(0.0F, 0.0F), Eigen::Vector2f(1.0F, 0.0F)); },
      "sigma must be > 0 (got 0 at index 1)");
}

TEST_CASE("Cusum: statistic, n_updates and half_width match a hand computation",
          "[control_charts]") {
  // The hand computation above: H = 4, alarms (and restarts) at t = 5 and t = 7.
  Cusum<> cusum({.k = 0.5, .h = 2.0, .mean = 10.0, .sigma = 2.0});
  const double x[] = {12, 13, 8, 15, 12, 5, 4, 10};
  const double stat[] = {1, 3, -1, 4, 0, -4, 0, 0};   // the signed larger sum after each step
  const std::int64_t t[] = {1, 2, 3, 4, 0, 1, 0, 1};  // samples since the (re)start
  for (int i = 0; i < 8; ++i) {
    INFO("t = " << i + 1);
    (void)cusum.update(x[i]);
    CHECK(cusum.statistic() == stat[i]);
    CHECK(cusum.n_updates() == t[i]);
  }
  CHECK(cusum.half_width(1) == 4.0);
  CHECK(cusum.half_width(1000) == 4.0);
  Vector<double> z;
  cusum.reset();
  const Eigen::VectorXi a = cusum.detect(Eigen::Map<const Vector<double>>(x, 8), z);
  // Before the restarts: C+ = 5 at t = 5, C- = 9 at t = 7.
  const Vector<double> want = (Vector<double>(8) << 1, 3, -1, 4, 5, -4, -9, 0).finished();
  CHECK(z == want);
  CHECK(a == (Eigen::VectorXi(8) << 0, 0, 0, 0, 1, 0, -1, 0).finished());
  CHECK(cusum.n_updates() == 1);
}

namespace {
template <class Chart>
void check_statistic_output(const typename Chart::Params& params) {
  const Vector<double> x = normal_series(41, 2001, 1.0);
  Chart chart(params);
  chart.fit(normal_series(42, 200));
  // update loop: the statistic before any restart is the Signal's (reset_on_alarm off here).
  Vector<double> streamed(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    (void)chart.update(x(i));
    streamed(i) = chart.statistic();
  }
  const std::int64_t n = chart.n_updates();
  CHECK(n == x.size());
  chart.reset();
  CHECK(chart.n_updates() == 0);
  Vector<double> z;
  (void)chart.detect(x, z);
  CHECK(z == streamed);
  CHECK(chart.n_updates() == n);
}
}  // namespace

TEST_CASE("Charts: both charts write their statistic and count their samples alike",
          "[control_charts]") {
  check_statistic_output<Ewma<>>({});
  check_statistic_output<Cusum<>>({.reset_on_alarm = false});
  // With restarts the count after a batch equals the count after a loop of update.
  for (const bool exact : {true, false}) {
    Ewma<> a({.lambda = 0.3, .exact_limits = exact, .reset_on_alarm = true});
    Cusum<> c({.h = 2.0});
    const Vector<double> x = normal_series(43, 3001, 1.5);
    a.fit(normal_series(44, 200));
    c.fit(normal_series(44, 200));
    Ewma<> a2 = a;
    Cusum<> c2 = c;
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      (void)a2.update(x(i));
      (void)c2.update(x(i));
    }
    (void)a.detect(x);
    (void)c.detect(x);
    CHECK(a.n_updates() == a2.n_updates());
    CHECK(c.n_updates() == c2.n_updates());
    CHECK(c.n_updates() < x.size());
  }
}

TEST_CASE("Charts and banks: set_params returns the object", "[control_charts]") {
  Ewma<float> e;
  Cusum<> c;
  osprey::EwmaBank<> eb;
  osprey::CusumBank<float> cb;
  CHECK(&e.set_params({.lambda = 0.1}) == &e);
  CHECK(&c.set_params({.k = 1.0}) == &c);
  CHECK(&eb.set_params({.lambda = 0.1}) == &eb);
  CHECK(&cb.set_params({.k = 1.0}) == &cb);
  CHECK(eb.params().lambda == 0.1);
  require_throws_containing<osprey::InvalidArgument>([&] { eb.set_params({.lambda = 2.0}); },
                                                     "lambda");
  CHECK(eb.params().lambda == 0.1);  // unchanged by a rejected set_params
  cb.set_baselines(Eigen::Vector2f(0.0F, 0.0F), Eigen::Vector2f(1.0F, 1.0F));
  REQUIRE(cb.is_fitted());
  cb.set_params({.h = 2.0});
  CHECK(!cb.is_fitted());  // the baselines must be given again
}

TEST_CASE("Banks: CusumBank's statistic is the signed larger sum, as Cusum's", "[control_charts]") {
  osprey::CusumBank<> bank({.k = 0.5, .h = 2.0, .reset_on_alarm = false});
  bank.set_baselines(Eigen::Vector3d(10.0, 10.0, 10.0), Eigen::Vector3d(2.0, 2.0, 2.0));
  (void)bank.update(Eigen::Vector3d(12.0, 8.0, 10.0));  // C+ = (1, 0, 0), C- = (0, 1, 0)
  CHECK(bank.statistic() == Eigen::Vector3d(1.0, -1.0, 0.0));
  osprey::EwmaBank<> eb({.mean = 0.0, .sigma = 1.0});
  eb.set_baselines(Eigen::Vector2d(0.0, 1.0), Eigen::Vector2d(1.0, 1.0));
  (void)eb.update(Eigen::Vector2d(1.0, 1.0));
  CHECK_THAT(eb.statistic()(0), WithinAbs(0.2, 1e-15));
  CHECK_THAT(eb.statistic()(1), WithinAbs(1.0, 1e-15));
}

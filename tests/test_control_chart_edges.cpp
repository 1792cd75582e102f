// Control charts at the edges: the batch path and the bank agree with the single chart's update()
// to the last bit (statistics within one ulp of the limits, limits beyond 65,536 samples), and
// data that overflows when narrowed to float is rejected, naming where it sits.
#include "common/prelude.hpp"

#include <osprey/core/random.hpp>
#include <osprey/streams/control_charts.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "common/estimator_checks.hpp"

using osprey::Alarm;
using osprey::Cusum;
using osprey::Ewma;
using osprey::Vector;
using osprey::testing::require_throws_containing;

namespace {

/** `v` moved by `ulps` units in the last place (towards +inf when positive). */
template <class S>
S nudge(S v, int ulps) {
  for (; ulps > 0; --ulps) v = std::nextafter(v, std::numeric_limits<S>::infinity());
  for (; ulps < 0; ++ulps) v = std::nextafter(v, -std::numeric_limits<S>::infinity());
  return v;
}

/** The smallest sample x (to the resolution of bisection in Scalar) whose next statistic of
 *  `chart` (upper or lower) reaches its limit moved by `ulps`: the sample that puts the
 *  statistic on, just inside or just outside the limit. `guess` and `width` bracket it; the
 *  bracket widens until it holds. Only copies of `chart` are fed. */
template <class Chart>
typename Chart::Scalar aim(const Chart& chart, bool upper, int ulps, typename Chart::Scalar guess,
                           typename Chart::Scalar width) {
  using S = typename Chart::Scalar;
  Chart probe = chart;
  const osprey::Signal<S> sig = probe.update(guess);
  const S target = nudge(upper ? sig.upper_limit : sig.lower_limit, ulps);
  const auto stat = [&](S x) {
    Chart p = chart;
    const osprey::Signal<S> s = p.update(x);
    return upper ? s.upper_statistic : s.lower_statistic;
  };
  S lo = guess - width;
  S hi = guess + width;
  for (S w = width; stat(lo) >= target; w *= S(2)) lo -= w;
  for (S w = width; stat(hi) < target; w *= S(2)) hi += w;
  for (;;) {
    const S mid = lo + (hi - lo) / S(2);
    if (!(mid > lo && mid < hi)) break;
    (stat(mid) >= target ? hi : lo) = mid;
  }
  return hi;
}

/** A sample that puts the Ewma's next z_t at its upper or lower limit moved by `ulps`. */
template <class S>
S aim_ewma(const Ewma<S>& chart, bool upper, int ulps) {
  const double lam = chart.params().lambda;
  Ewma<S> probe = chart;
  const osprey::Signal<S> sig = probe.update(chart.statistic());
  const double limit = static_cast<double>(upper ? sig.upper_limit : sig.lower_limit);
  const double z = static_cast<double>(chart.statistic());
  const double guess = (limit - (1.0 - lam) * z) / lam;
  const double eps = static_cast<double>(std::numeric_limits<S>::epsilon());
  const double width = 8.0 * eps * (std::abs(limit) / lam + std::abs(guess) + 1.0);
  return aim(chart, upper, ulps, static_cast<S>(guess), static_cast<S>(width));
}

/** A sample that puts the Cusum's next C+ (upper) or -C- (lower) at +H or -H moved by `ulps`. */
template <class S>
S aim_cusum(const Cusum<S>& chart, bool upper, int ulps) {
  const double H = chart.params().h * chart.sigma();
  const double ks = chart.params().k * chart.sigma();
  const double guess = upper ? H - static_cast<double>(chart.upper_sum()) + chart.mean() + ks
                             : chart.mean() - ks + static_cast<double>(chart.lower_sum()) - H;
  const double eps = static_cast<double>(std::numeric_limits<S>::epsilon());
  const double width = 8.0 * eps * (std::abs(H) + std::abs(guess) + 1.0);
  return aim(chart, upper, ulps, static_cast<S>(guess), static_cast<S>(width));
}

template <class S>
S aim_at(const Ewma<S>& chart, bool upper, int ulps) {
  return aim_ewma(chart, upper, ulps);
}
template <class S>
S aim_at(const Cusum<S>& chart, bool upper, int ulps) {
  return aim_cusum(chart, upper, ulps);
}

/** A series for `chart` (fed along, from its current state) that alternates stretches of
 *  in-control noise with stretches whose every sample puts a statistic within one ulp of its
 *  limit (offset -1, 0 or +1 ulp, on the upper or the lower side). An offset of +1 alarms, so
 *  with `reset_on_alarm` it is drawn rarely, to leave long stretches without a restart. */
template <class Chart>
Vector<typename Chart::Scalar> edge_series(Chart chart, Eigen::Index n, std::uint64_t seed) {
  using S = typename Chart::Scalar;
  osprey::Rng rng(seed);
  Vector<S> x(n);
  const bool resets = chart.params().reset_on_alarm;
  for (Eigen::Index i = 0; i < n; ++i) {
    const bool at_edge = (i / 150) % 2 == 1;
    if (at_edge) {
      const bool upper = (i / 300) % 2 == 0;
      int ulps = static_cast<int>(rng.bounded(3)) - 1;  // -1, 0, +1
      if (resets && ulps == 1 && rng.bounded(8) != 0) ulps = 0;
      // Beyond the limit means ulps > 0 above the upper limit and ulps < 0 below the lower.
      x(i) = aim_at(chart, upper, upper ? ulps : -ulps);
    } else {
      x(i) = static_cast<S>(chart.mean() + chart.sigma() * rng.normal());
    }
    chart.update(x(i));
  }
  return x;
}

/** What the update() loop of a fresh copy of `chart` gives on `x`: alarms and statistics. */
template <class Chart>
struct Streamed {
  Eigen::VectorXi alarms;
  Vector<typename Chart::Scalar> upper;
  Chart end;
};

template <class Chart>
Streamed<Chart> stream(Chart chart, const Vector<typename Chart::Scalar>& x) {
  Streamed<Chart> out{Eigen::VectorXi(x.size()), Vector<typename Chart::Scalar>(x.size()), chart};
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const auto s = chart.update(x(i));
    out.alarms(i) = static_cast<int>(s.alarm);
    out.upper(i) = s.upper_statistic;
  }
  out.end = chart;
  return out;
}

template <class S>
void check_detect_equals_update(const Ewma<S>& fresh, const Vector<S>& x) {
  const Streamed<Ewma<S>> want = stream(fresh, x);
  Ewma<S> batch = fresh;
  Vector<S> z;
  const Eigen::VectorXi got = batch.detect(x, z);
  CHECK(got == want.alarms);
  CHECK(z == want.upper);
  CHECK(batch.statistic() == want.end.statistic());
  CHECK(batch.n_updates() == want.end.n_updates());
  Ewma<S> alarms_only = fresh;
  CHECK(alarms_only.detect(x) == want.alarms);
  // From double input (the converting path) too.
  Ewma<S> from_double = fresh;
  CHECK(from_double.detect(x.template cast<double>()) == want.alarms);
}

template <class S>
void check_detect_equals_update(const Cusum<S>& fresh, const Vector<S>& x) {
  const Streamed<Cusum<S>> want = stream(fresh, x);
  Cusum<S> batch = fresh;
  CHECK(batch.detect(x) == want.alarms);
  CHECK(batch.upper_sum() == want.end.upper_sum());
  CHECK(batch.lower_sum() == want.end.lower_sum());
  // In uneven pieces: the state carries over exactly.
  Cusum<S> pieces = fresh;
  Eigen::VectorXi got(x.size());
  const Eigen::Index a = x.size() / 3;
  got.head(a) = pieces.detect(x.head(a));
  got.tail(x.size() - a) = pieces.detect(x.tail(x.size() - a));
  CHECK(got == want.alarms);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// detect() == a loop of update(), to the last bit.

TEMPLATE_TEST_CASE("Ewma: detect equals the update loop with z_t within one ulp of the limit",
                   "[control_charts][control_chart_edges]", float, double) {
  using S = TestType;
  for (const bool reset : {false, true}) {
    for (const bool exact : {true, false}) {
      INFO("reset_on_alarm " << reset << ", exact_limits " << exact);
      const Ewma<S> chart(
          {.mean = 10.0, .sigma = 2.0, .exact_limits = exact, .reset_on_alarm = reset});
      const Vector<S> x = edge_series(chart, 6000, 11);
      const Streamed<Ewma<S>> want = stream(chart, x);
      CHECK(want.alarms.cwiseAbs().sum() > 20);  // the edge stretches do alarm
      check_detect_equals_update(chart, x);
    }
  }
}

TEMPLATE_TEST_CASE("Cusum: detect equals the update loop with a sum within one ulp of H",
                   "[control_charts][control_chart_edges]", float, double) {
  using S = TestType;
  for (const bool reset : {false, true}) {
    INFO("reset_on_alarm " << reset);
    const Cusum<S> chart({.mean = 10.0, .sigma = 2.0, .reset_on_alarm = reset});
    const Vector<S> x = edge_series(chart, 6000, 12);
    const Streamed<Cusum<S>> want = stream(chart, x);
    CHECK(want.alarms.cwiseAbs().sum() > 20);
    check_detect_equals_update(chart, x);
  }
}

TEMPLATE_TEST_CASE("Charts: detect equals the update loop on 100 random series",
                   "[control_charts][control_chart_edges]", float, double) {
  using S = TestType;
  osprey::Rng rng(2024);
  for (int r = 0; r < 100; ++r) {
    const auto n = static_cast<Eigen::Index>(1 + rng.bounded(4000));
    const double mean = rng.uniform(-100.0, 100.0);
    const double sigma = std::exp(rng.uniform(-3.0, 3.0));
    const double shift = rng.uniform(-2.0, 2.0) * sigma;
    const auto shift_at = static_cast<Eigen::Index>(rng.bounded(static_cast<std::uint64_t>(n)));
    Vector<S> x(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      x(i) = static_cast<S>(mean + sigma * rng.normal() + (i >= shift_at ? shift : 0.0));
    }
    INFO("series " << r << ", n = " << n);
    const Ewma<S> ewma({.lambda = std::exp(rng.uniform(std::log(0.005), 0.0)),
                        .L = rng.uniform(1.5, 3.5),
                        .mean = mean,
                        .sigma = sigma,
                        .exact_limits = rng.bounded(2) == 0,
                        .reset_on_alarm = rng.bounded(2) == 0});
    check_detect_equals_update(ewma, x);
    const Cusum<S> cusum({.k = rng.uniform(0.0, 1.0),
                          .h = rng.uniform(1.0, 6.0),
                          .mean = mean,
                          .sigma = sigma,
                          .fir_headstart = rng.uniform(0.0, 0.9),
                          .reset_on_alarm = rng.bounded(2) == 0});
    check_detect_equals_update(cusum, x);
  }
}

// ---------------------------------------------------------------------------------------------
// The EWMA bank's exact limits are the single chart's, beyond 65,536 samples and small lambdas.

TEMPLATE_TEST_CASE("EwmaBank: small lambdas give the single chart's limits past 65,536 samples",
                   "[control_charts][control_chart_edges]", float, double) {
  using S = TestType;
  const Eigen::Index n_time = 70000;
  const Eigen::Index n_series = 2;
  const Eigen::VectorXd means = Eigen::Vector2d(10.0, -3.0);
  const Eigen::VectorXd sigmas = Eigen::Vector2d(2.0, 0.3);
  for (const double lambda : {1e-4, 1e-5}) {
    for (const bool reset : {false, true}) {
      INFO("lambda " << lambda << ", reset_on_alarm " << reset);
      osprey::EwmaBank<S> bank({.lambda = lambda, .reset_on_alarm = reset});
      bank.set_baselines(means, sigmas);
      // Each series rides its single chart's limit (-1, 0 or +1 ulp) from start to end.
      osprey::RowMatrix<S> X(n_time, n_series);
      Eigen::MatrixXi want(n_time, n_series);
      for (Eigen::Index j = 0; j < n_series; ++j) {
        Ewma<S> single(
            {.lambda = lambda, .mean = means(j), .sigma = sigmas(j), .reset_on_alarm = reset});
        osprey::Rng rng(static_cast<std::uint64_t>(100 + j));
        for (Eigen::Index t = 0; t < n_time; ++t) {
          int ulps = static_cast<int>(rng.bounded(3)) - 1;
          if (reset && ulps == 1 && rng.bounded(5000) != 0) ulps = 0;  // rare restarts
          X(t, j) = aim_ewma(single, j == 0, j == 0 ? ulps : -ulps);
          want(t, j) = static_cast<int>(single.update(X(t, j)).alarm);
        }
        CHECK(want.col(j).cwiseAbs().sum() > 0);
      }
      const osprey::AlarmMatrix got = bank.detect(X);
      for (Eigen::Index j = 0; j < n_series; ++j) {
        INFO("series " << j);
        const Eigen::VectorXi g = got.col(j).template cast<int>();
        const Eigen::VectorXi w = want.col(j);
        CHECK(g.head(65536) == w.head(65536));
        CHECK(g.tail(n_time - 65536) == w.tail(n_time - 65536));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Narrowing to float: a finite double above FLT_MAX would become inf.

TEST_CASE("Charts<float>: values out of float's range are rejected, naming the index",
          "[control_charts][control_chart_edges]") {
  Vector<double> fit_data = Vector<double>::LinSpaced(20, 0.0, 1.0);
  fit_data(3) = 1e39;
  Ewma<float> e;
  require_throws_containing<osprey::InvalidArgument>([&] { e.fit(fit_data); }, "index 3");
  require_throws_containing<osprey::InvalidArgument>([&] { e.fit(fit_data); }, "out of range");
  CHECK_FALSE(e.is_fitted());
  Cusum<float> c;
  require_throws_containing<osprey::InvalidArgument>([&] { c.fit(fit_data); }, "index 3");
  CHECK_FALSE(c.is_fitted());
  // The same data is fine in double.
  CHECK_NOTHROW(Ewma<double>().fit(fit_data));
  CHECK_NOTHROW(Cusum<double>().fit(fit_data));

  Ewma<float> ready({.mean = 0.0, .sigma = 1.0});
  Cusum<float> ready_c({.mean = 0.0, .sigma = 1.0});
  ready.update(0.5F);
  ready_c.update(2.0F);
  const float z = ready.statistic();
  const float cu = ready_c.upper_sum();
  Vector<double> x = Vector<double>::Zero(10);
  x(5) = -4e38;  // finite double, -inf in float
  require_throws_containing<osprey::InvalidArgument>([&] { (void)ready.detect(x); }, "index 5");
  require_throws_containing<osprey::InvalidArgument>([&] { (void)ready.detect(x); },
                                                     "out of range for float");
  Eigen::VectorXi buffer;
  require_throws_containing<osprey::InvalidArgument>([&] { ready.detect_into(x, buffer); },
                                                     "index 5");
  require_throws_containing<osprey::InvalidArgument>([&] { (void)ready.trace(x); }, "index 5");
  require_throws_containing<osprey::InvalidArgument>([&] { (void)ready_c.detect(x); }, "index 5");
  require_throws_containing<osprey::InvalidArgument>([&] { (void)ready_c.trace(x); }, "index 5");
  // Nothing changed.
  CHECK(ready.statistic() == z);
  CHECK(ready.n_updates() == 1);
  CHECK(ready_c.upper_sum() == cu);
  // Double charts take it.
  Ewma<double> d({.mean = 0.0, .sigma = 1.0});
  CHECK(d.detect(x)(5) == -1);
}

TEST_CASE("Banks<float>: values out of float's range are rejected, naming row and column",
          "[control_charts][control_chart_edges]") {
  osprey::RowMatrix<double> fit_data(30, 3);
  osprey::Rng rng(5);
  for (Eigen::Index i = 0; i < fit_data.size(); ++i) fit_data.data()[i] = rng.normal();
  osprey::RowMatrix<double> bad = fit_data;
  bad(7, 2) = 5e38;

  osprey::EwmaBank<float> eb;
  osprey::CusumBank<float> cb;
  require_throws_containing<osprey::InvalidArgument>([&] { eb.fit(bad); }, "row 7, column 2");
  require_throws_containing<osprey::InvalidArgument>([&] { cb.fit(bad); }, "row 7, column 2");
  CHECK_FALSE(eb.is_fitted());
  CHECK_FALSE(cb.is_fitted());
  CHECK_NOTHROW(osprey::EwmaBank<double>().fit(bad));

  eb.fit(fit_data);
  cb.fit(fit_data);
  require_throws_containing<osprey::InvalidArgument>([&] { (void)eb.detect(bad); },
                                                     "row 7, column 2");
  require_throws_containing<osprey::InvalidArgument>([&] { (void)cb.detect(bad); },
                                                     "row 7, column 2");
  require_throws_containing<osprey::InvalidArgument>([&] { (void)eb.detect(bad); },
                                                     "out of range for float");
  const Vector<float> z = eb.statistic();
  Vector<double> row = Vector<double>::Zero(3);
  row(1) = -1e39;
  require_throws_containing<osprey::InvalidArgument>([&] { eb.update(row); }, "series 1");
  require_throws_containing<osprey::InvalidArgument>([&] { cb.update(row); }, "series 1");
  require_throws_containing<osprey::InvalidArgument>([&] { cb.update(row); }, "out of range");
  // Nothing moved: the statistics are still at the baselines.
  CHECK(eb.statistic() == z);
  CHECK(cb.upper_sum().isZero());
  // Baselines given directly are checked the same way.
  require_throws_containing<osprey::InvalidArgument>(
      [&] { eb.set_baselines(Eigen::Vector2d(0.0, 1e39), Eigen::Vector2d(1.0, 1.0)); }, "index 1");
  require_throws_containing<osprey::InvalidArgument>(
      [&] { cb.set_baselines(Eigen::Vector2d(0.0, 1.0), Eigen::Vector2d(1.0, 1e39)); }, "index 1");
}

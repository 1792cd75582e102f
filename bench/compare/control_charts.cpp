// Times osprey's Ewma and Cusum on a series written by bench/compare/control_charts.py (raw
// little-endian float64), for the side-by-side with pandas' ewm(alpha).mean().
//
//   compare_control_charts <series.bin> <lambda> <repeats> <statistic_out.bin>
//   compare_control_charts <series.bin> <lambda> <calls> - <variant>
//
// The first form prints one "name seconds" line per timing (best of `repeats`) and writes the
// EWMA statistic z_t of every sample (float64) to <statistic_out.bin> so the script can check it
// against pandas. The second times only <variant> (one of those names: ewma_detect_into_f64,
// cusum_detect_f64, ...), `calls` times in this fresh process, and prints the "calls" line of
// call_stats.hpp (first and warm call in wall time, page faults, peak RSS).
#include <osprey/streams/control_charts.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "call_stats.hpp"

namespace {

// CPU time of this process: the machine is shared, and wall time there counts other people's
// builds. The Python side uses time.process_time() to match.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

template <class F>
double best_of(int repeats, F&& f) {
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const double t0 = cpu_seconds();
    f();
    best = std::min(best, cpu_seconds() - t0);
  }
  return best;
}

/** Runs the timed variants: all of them, each printed as "name seconds" (best of `repeats` in
 *  CPU time), or, given a variant's name, that one alone, `repeats` calls printed as the "calls"
 *  line (the others are skipped, so its first call is the process's first). */
class Variants {
 public:
  Variants(int repeats, std::string only) : repeats_(repeats), only_(std::move(only)) {}

  bool all() const { return only_.empty(); }
  bool found() const { return found_; }

  template <class F>
  void operator()(const char* name, F&& f) {
    if (all()) {
      std::cout << name << " " << best_of(repeats_, f) << "\n";
    } else if (only_ == name) {
      compare::print_calls(name, compare::measure_calls(repeats_, f));
      found_ = true;
    }
  }

 private:
  int repeats_;
  std::string only_;
  bool found_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::cerr << "usage: compare_control_charts <series.bin> <lambda> <repeats> <out.bin>\n"
                 "       compare_control_charts <series.bin> <lambda> <calls> - <variant>\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary | std::ios::ate);
  if (!in) {
    std::cerr << "cannot open " << argv[1] << "\n";
    return 1;
  }
  const auto bytes = static_cast<std::size_t>(in.tellg());
  in.seekg(0);
  Eigen::VectorXd x(static_cast<Eigen::Index>(bytes / sizeof(double)));
  in.read(reinterpret_cast<char*>(x.data()), static_cast<std::streamsize>(bytes));
  const double lambda = std::stod(argv[2]);
  const int repeats = std::atoi(argv[3]);
  const Eigen::VectorXf xf = x.cast<float>();

  // With z_0 = x_0 the statistic follows pandas' ewm(alpha, adjust=False).mean(), whose y_0 is
  // x_0, up to rounding (pandas computes ((1 - a) y + a x) / ((1 - a) + a), unfused); sigma only
  // sets the limits.
  const osprey::Ewma<double> proto({.lambda = lambda, .mean = x(0), .sigma = 1.0});
  long long sink = 0;
  Variants run(repeats, argc == 6 ? argv[5] : "");

  // The statistic of every sample, as pandas returns it: update() in a loop, z_t stored.
  Eigen::VectorXd z(x.size());
  run("ewma_update_statistics_f64", [&] {
    osprey::Ewma<double> chart = proto;
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      const auto s = chart.update(x(i));
      z(i) = s.upper_statistic;
      sink += static_cast<int>(s.alarm);
    }
  });

  Eigen::VectorXd zb;
  run("ewma_detect_statistics_f64", [&] {
    osprey::Ewma<double> chart = proto;
    const Eigen::VectorXi a = chart.detect(x, zb);
    sink += a(0);
  });
  if (run.all()) {
    double max_diff = 0.0;  // a plain loop: g++ 12 warns inside Eigen's AVX-512 max reduction
    for (Eigen::Index i = 0; i < z.size(); ++i) {
      max_diff = std::max(max_diff, std::abs(zb(i) - z(i)));
    }
    if (max_diff > 1e-9) {
      std::cerr << "batch and streaming statistics differ\n";
      return 1;
    }
  }

  run("ewma_detect_f64", [&] {
    osprey::Ewma<double> chart = proto;
    const Eigen::VectorXi a = chart.detect(x);
    sink += a(0);
  });

  Eigen::VectorXi buffer;  // a stream of batches reuses its alarm buffer: no page faults
  run("ewma_detect_into_f64", [&] {
    osprey::Ewma<double> chart = proto;
    chart.detect_into(x, buffer);
    sink += buffer(0);
  });

  const osprey::Ewma<float> proto_f({.lambda = lambda, .mean = x(0), .sigma = 1.0});
  run("ewma_detect_f32", [&] {
    osprey::Ewma<float> chart = proto_f;
    const Eigen::VectorXi a = chart.detect(xf);
    sink += a(0);
  });

  run("ewma_detect_into_f32", [&] {
    osprey::Ewma<float> chart = proto_f;
    chart.detect_into(xf, buffer);
    sink += buffer(0);
  });

  const osprey::Cusum<double> cproto({.mean = 0.0, .sigma = 1.0});
  run("cusum_detect_f64", [&] {
    osprey::Cusum<double> chart = cproto;
    const Eigen::VectorXi a = chart.detect(x);
    sink += a(0);
  });
  run("cusum_detect_into_f64", [&] {
    osprey::Cusum<double> chart = cproto;
    chart.detect_into(x, buffer);
    sink += buffer(0);
  });

  if (!run.all()) {
    if (!run.found()) {
      std::cerr << "unknown variant " << argv[5] << "\n";
      return 2;
    }
    std::cerr << "(checksum " << sink << ")\n";
    return 0;
  }
  std::ofstream out(argv[4], std::ios::binary);
  out.write(reinterpret_cast<const char*>(z.data()),
            static_cast<std::streamsize>(static_cast<std::size_t>(z.size()) * sizeof(double)));
  std::cerr << "(checksum " << sink << ")\n";
  return 0;
}

// Shared helpers of the metrics tests: reading the "name,value" scalar fixtures and comparing
// curves element by element.
#pragma once

#include <Eigen/Core>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <map>
#include <string>

#include <osprey/metrics/label_counts.hpp>

#include "common/fixtures.hpp"

namespace osprey::testing {

inline std::map<std::string, double> load_scalars(const std::string& name) {
  std::ifstream in(fixture_path(name));
  if (!in) throw std::runtime_error("cannot open fixture " + name);
  std::map<std::string, double> out;
  std::string line;
  while (std::getline(in, line)) {
    const auto comma = line.find(',');
    if (comma == std::string::npos) continue;
    out[line.substr(0, comma)] = std::stod(line.substr(comma + 1));
  }
  return out;
}

inline Eigen::VectorXd load_row(const std::string& name) {
  const Matrix<double> m = load_fixture(name);
  return Eigen::Map<const Eigen::VectorXd>(m.data(), m.size());
}

inline Eigen::VectorXi load_row_labels(const std::string& name) {
  return load_row(name).cast<int>();
}

inline std::string load_text(const std::string& name) {
  std::ifstream in(fixture_path(name));
  if (!in) throw std::runtime_error("cannot open fixture " + name);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/** Equal to 1e-12 (absolute below 1, relative above), NaN equal to NaN. */
/** The Average a fixture names ("binary", "micro", "macro", otherwise weighted). */
inline Average average_named(const std::string& s) {
  if (s == "binary") return Average::binary;
  if (s == "micro") return Average::micro;
  if (s == "macro") return Average::macro;
  return Average::weighted;
}

inline bool close12(double got, double want) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::abs(got - want) <= 1e-12 * std::max(1.0, std::abs(want));
}

/** Requires `got` to equal `want` element by element to 1e-12 (close12), from element `skip`
 *  on (a curve's first threshold is +inf by convention). */
inline void require_curve(const Eigen::VectorXd& got, const Eigen::VectorXd& want, const char* what,
                          Eigen::Index skip = 0) {
  INFO("curve " << what);
  REQUIRE(got.size() == want.size());
  for (Eigen::Index i = skip; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got(i) << " want " << want(i));
    CHECK(close12(got(i), want(i)));
  }
}

}  // namespace osprey::testing

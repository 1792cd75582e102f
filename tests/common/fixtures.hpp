// Reading the small reference outputs under tests/fixtures (written by the Python scripts beside
// them). A fixture is a comma-separated numeric matrix with no header, full precision.
#pragma once

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <osprey/core/types.hpp>
#include <type_traits>

namespace osprey::testing {

inline std::string fixture_path(const std::string& name) {
  return std::string(OSPREY_FIXTURES_DIR) + "/" + name;
}

inline Matrix<double> load_fixture(const std::string& name) {
  std::ifstream in(fixture_path(name));
  if (!in) throw std::runtime_error("cannot open fixture " + name);
  std::vector<std::vector<double>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<double> row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) row.push_back(std::stod(cell));
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return Matrix<double>(0, 0);
  Matrix<double> out(static_cast<Eigen::Index>(rows.size()),
                     static_cast<Eigen::Index>(rows.front().size()));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != rows.front().size()) throw std::runtime_error("ragged fixture " + name);
    for (std::size_t j = 0; j < rows[i].size(); ++j) {
      out(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = rows[i][j];
    }
  }
  return out;
}

/** A fixture column as integer labels. */
inline Eigen::VectorXi load_labels(const std::string& name) {
  const Matrix<double> m = load_fixture(name);
  Eigen::VectorXi y(m.rows());
  for (Eigen::Index i = 0; i < m.rows(); ++i) y(i) = static_cast<int>(m(i, 0));
  return y;
}

/** Same shape and the same bits (so NaN == NaN and -0 != +0): for vectors and matrices. */
template <class A>
requires(!std::is_arithmetic_v<A>) bool same_bits(const A& a, const A& b) {
  using T = typename A::Scalar;
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.eval().data(), b.eval().data(), sizeof(T) * std::size_t(a.size())) == 0;
}

/** The same bits, for two numbers. */
template <class S>
requires std::is_arithmetic_v<S>
bool same_bits(S a, S b) { return std::memcmp(&a, &b, sizeof(S)) == 0; }

/** The fields of one fixture line; a trailing separator ends with an empty field. */
inline std::vector<std::string> split_fields(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, sep)) out.push_back(item);
  if (!text.empty() && text.back() == sep) out.emplace_back();
  return out;
}

/** The whitespace-separated numbers of one fixture field ("inf", "-inf" and "nan" included). */
inline Eigen::VectorXd field_numbers(const std::string& field) {
  std::istringstream in(field);
  std::vector<double> v;
  std::string token;
  while (in >> token) v.push_back(std::stod(token));
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

}  // namespace osprey::testing

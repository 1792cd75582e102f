// The float32 matrix files the side-by-side scripts write for the osprey drivers (int64 rows,
// int64 cols, then the values row-major), and a wall-clock helper.
#pragma once

#include <osprey/core/types.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>

namespace compare {

/** Reads a matrix file. \throws std::runtime_error if it cannot be opened or is short. */
inline osprey::RowMatrix<float> read_matrix(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  in.read(reinterpret_cast<char*>(&rows), sizeof rows);
  in.read(reinterpret_cast<char*>(&cols), sizeof cols);
  osprey::RowMatrix<float> m(rows, cols);
  in.read(reinterpret_cast<char*>(m.data()),
          static_cast<std::streamsize>(static_cast<std::size_t>(rows * cols) * sizeof(float)));
  if (!in) throw std::runtime_error("short file " + path);
  return m;
}

/** Seconds since `t0`. */
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace compare

/** \file
 *  Shared pieces of the strict text readers: number parsing with `std::from_chars` (locale-free,
 *  exact round trip) and error messages that name the source, line and column.
 */
#pragma once

#include <charconv>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Strips spaces, tabs and a trailing carriage return from both ends. */
[[nodiscard]] inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

/** Where a cell came from, for error messages: "<source>:<line>, column <col>". */
struct TextLocation {
  std::string_view source;
  std::size_t line = 0;    // 1-based
  std::size_t column = 0;  // 1-based field number
};

[[noreturn]] inline void fail_at(const TextLocation& at, std::string_view what) {
  if (at.column > 0) fail(at.source, ":", at.line, ", column ", at.column, ": ", what);
  fail(at.source, ":", at.line, ": ", what);
}

/** Parses a whole cell as a finite double; throws naming the location otherwise. */
[[nodiscard]] inline double parse_double(std::string_view cell, const TextLocation& at) {
  cell = trim(cell);
  if (cell.empty()) fail_at(at, "empty cell where a number was expected");
  if (cell.front() == '+') cell.remove_prefix(1);  // from_chars rejects a leading '+'
  double value = 0.0;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (ec == std::errc::result_out_of_range) {
    fail_at(at, concat("number out of range: '", cell, "'"));
  }
  if (ec != std::errc() || end != cell.data() + cell.size()) {
    fail_at(at, concat("cannot parse '", cell, "' as a number"));
  }
  if (!std::isfinite(value)) fail_at(at, concat("non-finite value '", cell, "'"));
  return value;
}

/** Parses a whole cell as a base-10 signed integer; throws naming the location otherwise. */
[[nodiscard]] inline std::int64_t parse_int(std::string_view cell, const TextLocation& at) {
  cell = trim(cell);
  if (cell.empty()) fail_at(at, "empty cell where an integer was expected");
  if (cell.front() == '+') cell.remove_prefix(1);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (ec != std::errc() || end != cell.data() + cell.size()) {
    fail_at(at, concat("cannot parse '", cell, "' as an integer"));
  }
  return value;
}

/** Opens a file for reading or throws InvalidArgument naming it. */
[[nodiscard]] inline std::ifstream open_for_reading(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open file '", path, "' for reading");
  return in;
}

}  // namespace detail
OSPREY_NAMESPACE_END

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

#include "../../core/validation.hpp"

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

/** Removes a UTF-8 byte order mark (EF BB BF) from the start of `line`, as spreadsheet
 *  programs write it at the start of a file; call it on the first line only. */
inline void strip_utf8_bom(std::string& line) {
  if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
}

/** The same for a line held as a view: drops a leading byte order mark from `line`. */
inline void strip_utf8_bom(std::string_view& line) noexcept {
  if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
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

/** Drops one leading '+' (which `std::from_chars` rejects) unless another sign follows it, so
 *  that "+-5" stays an error instead of reading as -5. */
[[nodiscard]] inline std::string_view strip_plus(std::string_view cell) noexcept {
  if (cell.size() >= 2 && cell.front() == '+' && cell[1] != '-' && cell[1] != '+') {
    cell.remove_prefix(1);
  }
  return cell;
}

/** Parses a whole cell as a finite double; throws naming the location otherwise. */
[[nodiscard]] inline double parse_double(std::string_view cell, const TextLocation& at) {
  cell = trim(cell);
  if (cell.empty()) fail_at(at, "empty cell where a number was expected");
  cell = strip_plus(cell);
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
  cell = strip_plus(cell);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (ec == std::errc::result_out_of_range && end == cell.data() + cell.size()) {
    fail_at(at, concat("cannot parse '", cell, "' as an integer: out of range (above 2^63 - 1)"));
  }
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

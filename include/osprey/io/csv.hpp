/** \file
 *  A strict CSV reader for numeric tables: every cell must parse as a finite number, every row
 *  must have the header's width, and errors name the file, line and column. Rows are samples,
 *  columns are features; one column may be taken out as integer labels.
 */
#pragma once

#include <cmath>
#include <istream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "../core/types.hpp"
#include "detail_text.hpp"

OSPREY_NAMESPACE_BEGIN

/** How to read a CSV file. */
struct CsvOptions {
  bool header = true;     ///< the first non-skipped line holds column names
  char delimiter = ',';   ///< field separator
  bool comments = false;  ///< skip lines whose first non-blank character is '#'
  std::string label{};    ///< name of the label column (needs header); empty = none
  /** Or its index; negative counts from the end (-1 = last). Given with `label`, both must name
   *  the same column. */
  std::optional<int> label_index{};
};

/** A numeric table read from CSV. */
template <class Scalar = double>
struct CsvData {
  Matrix<Scalar> X;                  ///< features, one row per data line
  Eigen::VectorXi y;                 ///< labels (empty when no label column was chosen)
  std::vector<std::string> columns;  ///< names of the feature columns (empty without header)
};

/** Reads a numeric CSV table from a stream; `source` names it in error messages.
 *  Blank lines are skipped, and so is a UTF-8 byte order mark at the start of the input. Labels
 *  must be integer-valued. With `Scalar = float`, a finite cell above FLT_MAX is an error (it
 *  would become infinite).
 *  \throws InvalidArgument on an empty input, ragged rows, non-numeric or non-finite cells (also
 *  once converted to Scalar), an unknown label column, `label` and `label_index` naming different
 *  columns, or a non-integer label, naming source, line and column. */
template <class Scalar = double>
[[nodiscard]] CsvData<Scalar> read_csv(std::istream& in, const CsvOptions& options = {},
                                       std::string_view source = "<stream>") {
  using detail::TextLocation;
  std::vector<std::string> names;
  std::vector<double> cells;
  std::vector<std::size_t> row_line;  // line number of each data row, for messages
  std::vector<std::string_view> fields;
  std::size_t width = 0;
  std::size_t n_rows = 0;
  std::size_t line_no = 0;
  bool have_header = !options.header;
  std::string line;

  auto split = [&](std::string_view text) {
    fields.clear();
    std::size_t start = 0;
    for (;;) {
      const std::size_t pos = text.find(options.delimiter, start);
      if (pos == std::string_view::npos) {
        fields.push_back(text.substr(start));
        break;
      }
      fields.push_back(text.substr(start, pos - start));
      start = pos + 1;
    }
  };

  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1) detail::strip_utf8_bom(line);
    const std::string_view text = detail::trim(line);
    if (text.empty()) continue;
    if (options.comments && text.front() == '#') continue;
    split(text);
    if (!have_header) {
      for (auto f : fields) names.emplace_back(detail::trim(f));
      width = fields.size();
      have_header = true;
      continue;
    }
    if (width == 0) width = fields.size();
    if (fields.size() != width) {
      detail::fail_at(TextLocation{source, line_no, 0},
                      detail::concat("expected ", width, " fields, found ", fields.size()));
    }
    for (std::size_t c = 0; c < fields.size(); ++c) {
      cells.push_back(detail::parse_double(fields[c], TextLocation{source, line_no, c + 1}));
    }
    row_line.push_back(line_no);
    ++n_rows;
  }
  if (in.bad()) detail::fail(source, ": read error");
  if (n_rows == 0) {
    detail::fail(source, line_no == 0 ? ": file is empty" : ": no data rows");
  }

  // Which column holds the labels, if any.
  std::optional<std::size_t> label_col;
  if (!options.label.empty()) {
    if (!options.header) detail::fail("CsvOptions: label given by name but header = false");
    for (std::size_t c = 0; c < names.size(); ++c) {
      if (names[c] == options.label) label_col = c;
    }
    if (!label_col) detail::fail(source, ": no column named '", options.label, "'");
  }
  if (options.label_index) {
    const long idx = *options.label_index < 0 ? static_cast<long>(width) + *options.label_index
                                              : *options.label_index;
    if (idx < 0 || idx >= static_cast<long>(width)) {
      detail::fail("CsvOptions: label_index ", *options.label_index, " is out of range for ", width,
                   " columns");
    }
    if (label_col && *label_col != static_cast<std::size_t>(idx)) {
      detail::fail("CsvOptions: label '", options.label, "' is column ", *label_col + 1,
                   " but label_index ", *options.label_index, " is column ", idx + 1,
                   "; give one of them, or both naming the same column");
    }
    label_col = static_cast<std::size_t>(idx);
  }

  CsvData<Scalar> out;
  const std::size_t n_features = width - (label_col ? 1 : 0);
  out.X.resize(static_cast<Eigen::Index>(n_rows), static_cast<Eigen::Index>(n_features));
  if (label_col) out.y.resize(static_cast<Eigen::Index>(n_rows));
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (!label_col || c != *label_col) out.columns.push_back(names[c]);
  }
  for (std::size_t r = 0; r < n_rows; ++r) {
    std::size_t j = 0;
    for (std::size_t c = 0; c < width; ++c) {
      const double v = cells[r * width + c];
      if (label_col && c == *label_col) {
        if (v != std::floor(v) || std::abs(v) > 2147483647.0) {
          detail::fail(source, ": label '", v, "' in data row ", r + 1, ", column ", c + 1,
                       " is not an integer");
        }
        out.y(static_cast<Eigen::Index>(r)) = static_cast<int>(v);
      } else {
        if (!detail::is_finite_as<Scalar>(v)) {
          detail::fail_at(
              TextLocation{source, row_line[r], c + 1},
              detail::concat("value ", v, " is out of range for ", detail::scalar_name<Scalar>(),
                             " (largest finite value ", std::numeric_limits<Scalar>::max(), ")"));
        }
        out.X(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(j++)) =
            static_cast<Scalar>(v);
      }
    }
  }
  return out;
}

/** Reads a numeric CSV file; see the stream overload.
 *  \throws InvalidArgument if the file cannot be opened, and as the stream overload. */
template <class Scalar = double>
[[nodiscard]] CsvData<Scalar> read_csv(const std::string& path, const CsvOptions& options = {}) {
  auto in = detail::open_for_reading(path);
  return read_csv<Scalar>(in, options, path);
}

OSPREY_NAMESPACE_END

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
#include "detail/text.hpp"

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

namespace detail {

/** Splits `text` at every `delimiter` into `fields` (cleared first); an empty text is one empty
 *  field. */
inline void split_delimited(std::string_view text, char delimiter,
                            std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t start = 0;
  for (;;) {
    const std::size_t pos = text.find(delimiter, start);
    if (pos == std::string_view::npos) {
      fields.push_back(text.substr(start));
      break;
    }
    fields.push_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

/** The cells of a CSV table as read, before the label column is taken out. */
struct CsvCells {
  std::vector<std::string> names;     ///< header fields, trimmed (empty without header)
  std::vector<double> cells;          ///< row-major, `width` per row
  std::vector<std::size_t> row_line;  ///< line number of each data row, for messages
  std::size_t width = 0;              ///< fields per row
  std::size_t n_rows = 0;             ///< data rows
};

/** The text of a CSV line that is read (trimmed), or an empty view for a line the reader skips:
 *  a blank line, or a `#` comment when `options.comments`. */
[[nodiscard]] inline std::string_view csv_line_data(std::string_view line,
                                                    const CsvOptions& options) noexcept {
  const std::string_view text = trim(line);
  if (text.empty() || (options.comments && text.front() == '#')) return {};
  return text;
}

/** Reads one CSV line (without its newline; a byte order mark already stripped from the first
 *  line) at `at` (line number set, column 0): skips it, takes it as the header while
 *  `have_header` is false (setting `t.names`, `t.width` and `have_header`), or appends it as a
 *  data row of `t.width` cells (`t.width` set from it when still 0). Every reader of CSV text
 *  goes through here, so a file read whole and read in slices (dist/partition.hpp) accept the
 *  same lines. \throws InvalidArgument on a ragged row or a cell that is not a number. */
inline void read_csv_line(std::string_view line, const TextLocation& at, const CsvOptions& options,
                          bool& have_header, std::vector<std::string_view>& fields, CsvCells& t) {
  const std::string_view text = csv_line_data(line, options);
  if (text.empty()) return;
  split_delimited(text, options.delimiter, fields);
  if (!have_header) {
    for (auto f : fields) t.names.emplace_back(trim(f));
    t.width = fields.size();
    have_header = true;
    return;
  }
  if (t.width == 0) t.width = fields.size();
  if (fields.size() != t.width) {
    fail_at(at, concat("expected ", t.width, " fields, found ", fields.size()));
  }
  for (std::size_t c = 0; c < fields.size(); ++c) {
    t.cells.push_back(parse_double(fields[c], TextLocation{at.source, at.line, c + 1}));
  }
  t.row_line.push_back(at.line);
  ++t.n_rows;
}

/** Reads the header and every data row as doubles, checking that rows have the same width.
 *  \throws InvalidArgument on a read error, an empty input or no data rows, ragged rows or a
 *  cell that is not a number. */
inline CsvCells read_csv_cells(std::istream& in, const CsvOptions& options,
                               std::string_view source) {
  CsvCells t;
  std::vector<std::string_view> fields;
  std::size_t line_no = 0;
  bool have_header = !options.header;
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1) strip_utf8_bom(line);
    read_csv_line(line, TextLocation{source, line_no, 0}, options, have_header, fields, t);
  }
  if (in.bad()) fail(source, ": read error");
  if (t.n_rows == 0) {
    fail(source, line_no == 0 ? ": file is empty" : ": no data rows");
  }
  return t;
}

/** Which column holds the labels, if any (`label` by name, `label_index` by position).
 *  \throws InvalidArgument on an unknown name, a name without header, an index out of range, or
 *  a name and an index naming different columns. */
inline std::optional<std::size_t> csv_label_column(const CsvOptions& options,
                                                   const std::vector<std::string>& names,
                                                   std::size_t width, std::string_view source) {
  std::optional<std::size_t> label_col;
  if (!options.label.empty()) {
    if (!options.header) fail("CsvOptions: label given by name but header = false");
    for (std::size_t c = 0; c < names.size(); ++c) {
      if (names[c] == options.label) label_col = c;
    }
    if (!label_col) fail(source, ": no column named '", options.label, "'");
  }
  if (options.label_index) {
    const long idx = *options.label_index < 0 ? static_cast<long>(width) + *options.label_index
                                              : *options.label_index;
    if (idx < 0 || idx >= static_cast<long>(width)) {
      fail("CsvOptions: label_index ", *options.label_index, " is out of range for ", width,
           " columns");
    }
    if (label_col && *label_col != static_cast<std::size_t>(idx)) {
      fail("CsvOptions: label '", options.label, "' is column ", *label_col + 1,
           " but label_index ", *options.label_index, " is column ", idx + 1,
           "; give one of them, or both naming the same column");
    }
    label_col = static_cast<std::size_t>(idx);
  }
  return label_col;
}

/** Splits the cells into features (converted to Scalar) and integer labels; `first_row` is the
 *  number of data rows before `t`'s first (for messages, when `t` is a slice of a file).
 *  \throws InvalidArgument on a non-integer label or a value out of Scalar's range. */
template <class Scalar>
CsvData<Scalar> csv_to_data(const CsvCells& t, std::optional<std::size_t> label_col,
                            std::string_view source, std::size_t first_row = 0) {
  CsvData<Scalar> out;
  const std::size_t width = t.width;
  const std::size_t n_rows = t.n_rows;
  const std::size_t n_features = width - (label_col ? 1 : 0);
  out.X.resize(static_cast<Eigen::Index>(n_rows), static_cast<Eigen::Index>(n_features));
  if (label_col) out.y.resize(static_cast<Eigen::Index>(n_rows));
  for (std::size_t c = 0; c < t.names.size(); ++c) {
    if (!label_col || c != *label_col) out.columns.push_back(t.names[c]);
  }
  for (std::size_t r = 0; r < n_rows; ++r) {
    std::size_t j = 0;
    for (std::size_t c = 0; c < width; ++c) {
      const double v = t.cells[r * width + c];
      if (label_col && c == *label_col) {
        if (v != std::floor(v) || std::abs(v) > 2147483647.0) {
          fail(source, ": label '", v, "' in data row ", first_row + r + 1, ", column ", c + 1,
               " is not an integer");
        }
        out.y(static_cast<Eigen::Index>(r)) = static_cast<int>(v);
      } else {
        if (!is_finite_as<Scalar>(v)) {
          fail_at(TextLocation{source, t.row_line[r], c + 1},
                  concat("value ", v, " is out of range for ", scalar_name<Scalar>(),
                         " (largest finite value ", std::numeric_limits<Scalar>::max(), ")"));
        }
        out.X(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(j++)) =
            static_cast<Scalar>(v);
      }
    }
  }
  return out;
}

}  // namespace detail

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
  const detail::CsvCells cells = detail::read_csv_cells(in, options, source);
  const std::optional<std::size_t> label_col =
      detail::csv_label_column(options, cells.names, cells.width, source);
  return detail::csv_to_data<Scalar>(cells, label_col, source);
}

/** Reads a numeric CSV file; see the stream overload.
 *  \throws InvalidArgument if the file cannot be opened, and as the stream overload. */
template <class Scalar = double>
[[nodiscard]] CsvData<Scalar> read_csv(const std::string& path, const CsvOptions& options = {}) {
  auto in = detail::open_for_reading(path);
  return read_csv<Scalar>(in, options, path);
}

OSPREY_NAMESPACE_END

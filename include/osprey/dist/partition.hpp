/** \file
 *  Reading a partition: each rank reads only its slice of a text file, so nothing is loaded on
 *  one rank first. `read_edge_list_slice` reads an edge list (the format and options of
 *  io/edge_list.hpp), `read_csv_slice` a numeric CSV table (io/csv.hpp).
 *
 *  The slice of rank r of p is the byte range [size r / p, size (r + 1) / p) of the file, moved
 *  to line starts: a line belongs to the rank whose range holds its first byte. A rank reads its
 *  range plus the one byte before it (to know whether a line starts there) and the rest of its
 *  last line past the range's end. Every line goes through the same per-line code as the
 *  single-node reader (`detail::read_edge_line`, `detail::read_csv_line`), so the union of the
 *  slices, in rank order, is exactly what the single-node reader returns, and a bad line fails
 *  with the single-node message (file, global line number, column) prefixed by the rank that
 *  read it (`dist::require_all`), on every rank.
 *
 *  Every rank must see the same file (a shared file system, or identical copies): the sizes are
 *  compared first. Communication per call: a few all_gathers of one value per rank (line counts,
 *  the first data line's width), the header's names (CSV), and for an edge list read without
 *  `n_nodes`: with `relabel`, an all_gatherv of each rank's distinct ids (every rank then holds
 *  all ids, as `EdgeList::ids` must); without it, an all_to_allv of each rank's distinct ids to
 *  an owner by id range, to count the distinct ids of the sparse-id rule.
 */
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "../config.hpp"
#include "../core/error.hpp"
#include "../io/csv.hpp"
#include "../io/edge_list.hpp"
#include "communicator.hpp"

OSPREY_NAMESPACE_BEGIN
namespace dist {

/** This rank's rows of a CSV table read with `read_csv_slice`: the fields of `CsvData` (its
 *  rows only; `columns` on every rank) and where they sit in the file's row order. */
template <class Scalar = double>
struct CsvSlice {
  Matrix<Scalar> X;                  ///< features of this rank's data rows
  Eigen::VectorXi y;                 ///< their labels (empty when no label column was chosen)
  std::vector<std::string> columns;  ///< names of the feature columns (empty without header)
  RowRange rows;                     ///< global position of these rows (offset, local, total)
};

/** The contiguous block of `total` items that rank `rank` of `size` owns: items
 *  [total rank / size, total (rank + 1) / size), as a RowRange. Blocks differ by at most one
 *  item; with total < size some are empty. */
[[nodiscard]] inline RowRange contiguous_block(std::uint64_t total, int rank, int size) {
  const auto p = static_cast<std::uint64_t>(size);
  const auto at = [&](std::uint64_t r) {  // floor(total r / p) without overflow for p < 2^32
    return (total / p) * r + (total % p) * r / p;
  };
  const std::uint64_t begin = at(static_cast<std::uint64_t>(rank));
  const std::uint64_t end = at(static_cast<std::uint64_t>(rank) + 1);
  return RowRange{begin, end - begin, total};
}

namespace detail {

/** The lines one rank owns: `text` runs from its first line's start to its last line's end
 *  (newline included when present); `size` is the file's size. */
struct TextSlice {
  std::string text;
  std::uint64_t size = 0;
  std::size_t first_line = 1;  ///< global 1-based number of the first line in `text`
  std::size_t n_lines = 0;     ///< lines in `text`
};

/** Calls `fn(line)` for each line of `text` (split at '\n', the newline not included; a last
 *  line without newline counts, an empty tail after the last newline does not: getline's
 *  lines). */
template <class Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t nl = text.find('\n', at);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    fn(text.substr(at, end - at));
    at = end + 1;
  }
}

/** Reads the bytes [begin, end) of `in` (clamped to the file). */
inline std::string read_bytes(std::ifstream& in, std::uint64_t begin, std::uint64_t end) {
  std::string out(static_cast<std::size_t>(end - begin), '\0');
  in.seekg(static_cast<std::streamoff>(begin));
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  in.clear();
  return out;
}

/** This rank's lines of `path` (no collective): its byte range moved to line starts, plus the
 *  rest of its last line. Throws InvalidArgument if the file cannot be read. */
inline TextSlice read_local_lines(const std::string& path, int rank, int size) {
  std::ifstream in = osprey::detail::open_for_reading(path);
  in.seekg(0, std::ios::end);
  const std::streamoff end_pos = in.tellg();
  if (end_pos < 0) osprey::detail::fail("cannot read the size of '", path, "'");
  TextSlice s;
  s.size = static_cast<std::uint64_t>(end_pos);
  const RowRange range = contiguous_block(s.size, rank, size);
  const std::uint64_t b = range.offset, e = range.offset + range.local;
  if (b == e) return s;
  // A line starts at b when b = 0 or byte b - 1 is a newline: read from b - 1 to find out.
  const std::uint64_t from = b == 0 ? 0 : b - 1;
  std::string head = read_bytes(in, from, e);
  std::size_t start = 0;
  if (b > 0) {
    const std::size_t nl = head.find('\n');
    if (nl == std::string::npos || nl + 1 >= head.size()) return s;  // no line starts in range
    start = nl + 1;
  }
  s.text = head.substr(start);
  // Complete the last line: read on until a newline or the end of the file.
  std::uint64_t at = e;
  while (!s.text.empty() && s.text.back() != '\n' && at < s.size) {
    const std::uint64_t next = std::min(s.size, at + 65536);
    const std::string more = read_bytes(in, at, next);
    if (more.empty()) break;
    const std::size_t nl = more.find('\n');
    s.text.append(more, 0, nl == std::string::npos ? more.size() : nl + 1);
    if (nl != std::string::npos) break;
    at = next;
  }
  if (in.bad()) osprey::detail::fail(path, ": read error");
  for_each_line(s.text, [&](std::string_view) { ++s.n_lines; });
  return s;
}

/** Reads this rank's lines of `path` and numbers them globally (an all_gather of the line
 *  counts); checks that every rank saw a file of the same size. */
template <Communicator C>
TextSlice read_slice(C& comm, const std::string& path) {
  TextSlice s;
  check_on_all_ranks(comm, [&] { s = read_local_lines(path, comm.rank(), comm.size()); });
  const std::uint64_t lo = all_reduce_value(comm, s.size, ReduceOp::min);
  const std::uint64_t hi = all_reduce_value(comm, s.size, ReduceOp::max);
  if (lo != hi) {
    osprey::detail::fail(path, ": the ranks see files of different sizes (", lo, " to ", hi,
                         " bytes); every rank must read the same file");
  }
  const std::uint64_t mine = s.n_lines;
  const std::vector<std::uint64_t> counts =
      comm.all_gather(std::span<const std::uint64_t>(&mine, 1));
  for (int r = 0; r < comm.rank(); ++r) s.first_line += counts[static_cast<std::size_t>(r)];
  return s;
}

/** The value of the first rank (in rank order) whose `value` is not `none`, else `none`. */
template <Communicator C>
std::uint64_t first_given(C& comm, std::uint64_t value, std::uint64_t none) {
  const std::vector<std::uint64_t> all = comm.all_gather(std::span<const std::uint64_t>(&value, 1));
  for (const std::uint64_t v : all) {
    if (v != none) return v;
  }
  return none;
}

/** The field count of this rank's first edge-list data line, 0 when it has none. */
inline std::uint64_t first_edge_width(const TextSlice& s) {
  std::uint64_t width = 0;
  std::vector<std::string_view> fields;
  for_each_line(s.text, [&](std::string_view line) {
    if (width != 0) return;
    if (s.first_line == 1 && line.data() == s.text.data()) osprey::detail::strip_utf8_bom(line);
    const std::string_view text = osprey::detail::edge_line_data(line);
    if (text.empty()) return;
    osprey::detail::split_whitespace(text, fields);
    width = fields.size();
  });
  return width;
}

/** Number of distinct values in `ids` over all ranks: each rank's distinct ids go to an owner
 *  by id range over [0, bound) (all_to_allv), which counts its distinct ids; the counts add. */
template <Communicator C>
std::int64_t count_distinct_ids(C& comm, std::vector<std::int64_t> ids, std::int64_t bound) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  const auto p = static_cast<std::size_t>(comm.size());
  std::vector<std::size_t> counts(p, 0);
  const auto block_end = [&](std::size_t r) {
    const RowRange b =
        contiguous_block(static_cast<std::uint64_t>(bound), static_cast<int>(r), comm.size());
    return static_cast<std::int64_t>(b.offset + b.local);
  };
  std::size_t r = 0;
  for (const std::int64_t id : ids) {  // ids sorted: owners non-decreasing
    while (id >= block_end(r)) ++r;
    ++counts[r];
  }
  std::vector<std::int64_t> mine = comm.all_to_allv(std::span<const std::int64_t>(ids),
                                                    std::span<const std::size_t>(counts), nullptr);
  std::sort(mine.begin(), mine.end());
  const auto distinct =
      static_cast<std::int64_t>(std::unique(mine.begin(), mine.end()) - mine.begin());
  return all_reduce_value(comm, distinct, ReduceOp::sum);
}

/** Numbers the nodes of this rank's edges as `osprey::detail::number_edge_list_nodes` numbers a
 *  whole list, with the global ids, max id and distinct count. */
template <class Scalar, Communicator C>
void number_slice_nodes(C& comm, EdgeList<Scalar>& out, const EdgeListOptions& options,
                        std::int64_t max_id, std::string_view source) {
  if (options.relabel) {
    std::vector<std::int64_t> ids(out.src);
    ids.insert(ids.end(), out.dst.begin(), out.dst.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    ids = comm.all_gatherv(std::span<const std::int64_t>(ids), nullptr);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    const auto number = [&](std::int64_t v) {
      return static_cast<std::int64_t>(std::lower_bound(ids.begin(), ids.end(), v) - ids.begin());
    };
    for (auto& v : out.src) v = number(v);
    for (auto& v : out.dst) v = number(v);
    out.n_nodes = static_cast<std::int64_t>(ids.size());
    if (options.n_nodes) {
      if (*options.n_nodes < out.n_nodes) {
        osprey::detail::fail(source, ": ", out.n_nodes,
                             " distinct ids exceed n_nodes = ", *options.n_nodes);
      }
      out.n_nodes = *options.n_nodes;
    }
    out.ids = std::move(ids);
    return;
  }
  if (options.n_nodes) {
    out.n_nodes = *options.n_nodes;
    return;
  }
  max_id = all_reduce_value(comm, max_id, ReduceOp::max);
  const std::int64_t n_implied = max_id + 1;
  if (n_implied > kSparseIdSlack) {
    const auto local_ids = static_cast<std::int64_t>(out.src.size() + out.dst.size());
    const std::int64_t most_distinct = all_reduce_value(comm, local_ids, ReduceOp::sum);
    std::int64_t distinct = -1;
    if (n_implied <= 2 * most_distinct + kSparseIdSlack) {
      std::vector<std::int64_t> ids(out.src);
      ids.insert(ids.end(), out.dst.begin(), out.dst.end());
      distinct = count_distinct_ids(comm, std::move(ids), n_implied);
    }
    osprey::detail::check_id_density(max_id, distinct, most_distinct, source);
  }
  out.n_nodes = n_implied;
}

}  // namespace detail

/** Reads this rank's slice of an edge-list file (the format of `read_edge_list`: `src dst
 *  [weight]` per line, `#` comments, the same `EdgeListOptions`). Collective: every rank calls
 *  it with the same path and options.
 *
 *  \returns this rank's edges, in file order, with global node numbers: `n_nodes` is the whole
 *  file's (as `read_edge_list` defines it: `max id + 1` over all ranks after the sparse-id
 *  rule, or `options.n_nodes`, or the number of distinct ids with `relabel`, in which case
 *  `ids` holds every original id on every rank). The concatenation of the slices in rank order
 *  equals `read_edge_list(path, options)`.
 *  \throws InvalidArgument on every rank, with the message of `read_edge_list` (prefixed by
 *  "rank r: " for an error in one rank's lines), for the same inputs; also when the ranks see
 *  files of different sizes.
 *  Complexity: O(size / p) bytes read and parsed per rank. Communication: see the file comment;
 *  with `relabel`, O(n) ids received per rank. */
template <class Scalar = double, Communicator C>
[[nodiscard]] EdgeList<Scalar> read_edge_list_slice(C& comm, const std::string& path,
                                                    const EdgeListOptions& options = {}) {
  using osprey::detail::TextLocation;
  check_on_all_ranks(comm, [&] { osprey::detail::check_edge_list_options(options); });
  const detail::TextSlice s = detail::read_slice(comm, path);
  std::size_t width = detail::first_given(comm, detail::first_edge_width(s), 0);
  EdgeList<Scalar> out;
  std::int64_t max_id = -1;
  check_on_all_ranks(comm, [&] {
    std::vector<std::string_view> fields;
    std::size_t line_no = s.first_line;
    detail::for_each_line(s.text, [&](std::string_view line) {
      if (line_no == 1) osprey::detail::strip_utf8_bom(line);
      osprey::detail::read_edge_line(line, TextLocation{path, line_no, 0}, options, width, fields,
                                     out, max_id);
      ++line_no;
    });
  });
  const std::uint64_t edges =
      all_reduce_value(comm, static_cast<std::uint64_t>(out.src.size()), ReduceOp::sum);
  if (edges == 0) osprey::detail::fail(path, s.size == 0 ? ": file is empty" : ": no edges");
  detail::number_slice_nodes(comm, out, options, max_id, path);
  return out;
}

/** Reads this rank's slice of a numeric CSV file (the format and `CsvOptions` of `read_csv`:
 *  the header is the file's first line that is not skipped, wherever it falls). Collective:
 *  every rank calls it with the same path and options.
 *  \returns this rank's data rows, in file order, and their global position (`rows`); the
 *  concatenation of the slices' `X` (and `y`) in rank order equals `read_csv(path, options)`'s,
 *  and `columns` is the same on every rank.
 *  \throws InvalidArgument on every rank, with the message of `read_csv` (prefixed by "rank r: "
 *  for an error in one rank's lines), for the same inputs; also when the ranks see files of
 *  different sizes.
 *  Complexity: O(size / p) bytes read and parsed per rank. Communication: a few all_gathers of
 *  one value per rank, the header's names broadcast, and the row counts (global_rows). */
template <class Scalar = double, Communicator C>
[[nodiscard]] CsvSlice<Scalar> read_csv_slice(C& comm, const std::string& path,
                                              const CsvOptions& options = {}) {
  using osprey::detail::TextLocation;
  const detail::TextSlice s = detail::read_slice(comm, path);
  // Where the header and the first data row are: each rank reports the field counts of its
  // first two lines that are read; the first rank with any holds the header.
  std::uint64_t counts[2] = {0, 0};
  std::vector<std::string_view> fields;
  {
    std::size_t seen = 0, line_no = s.first_line;
    detail::for_each_line(s.text, [&](std::string_view line) {
      if (line_no++ == 1) osprey::detail::strip_utf8_bom(line);
      const std::string_view text = osprey::detail::csv_line_data(line, options);
      if (text.empty() || seen == 2) return;
      osprey::detail::split_delimited(text, options.delimiter, fields);
      counts[seen++] = fields.size();
    });
  }
  const std::vector<std::uint64_t> all = comm.all_gather(std::span<const std::uint64_t>(counts, 2));
  int header_rank = -1;
  std::uint64_t width = 0;
  for (std::size_t r = 0; r < all.size() / 2 && width == 0; ++r) {
    if (all[2 * r] == 0) continue;
    if (header_rank < 0 && options.header) {
      header_rank = static_cast<int>(r);
      width = all[2 * r];  // the header's width
    } else {
      width = all[2 * r];  // the first data row's
    }
  }
  osprey::detail::CsvCells t;
  t.width = static_cast<std::size_t>(width);
  bool have_header = !(options.header && comm.rank() == header_rank);
  check_on_all_ranks(comm, [&] {
    std::size_t line_no = s.first_line;
    detail::for_each_line(s.text, [&](std::string_view line) {
      if (line_no == 1) osprey::detail::strip_utf8_bom(line);
      osprey::detail::read_csv_line(line, TextLocation{path, line_no, 0}, options, have_header,
                                    fields, t);
      ++line_no;
    });
  });
  // The header's names, from the rank that read it, one per line.
  if (header_rank >= 0) {
    std::string joined;
    for (const auto& name : t.names) joined += name + '\n';
    std::vector<char> text(joined.begin(), joined.end());
    broadcast_vector(comm, text, header_rank);
    t.names.clear();
    detail::for_each_line(std::string_view(text.data(), text.size()),
                          [&](std::string_view name) { t.names.emplace_back(name); });
    t.names.resize(static_cast<std::size_t>(width));  // a name may be empty
  }
  const RowRange rows = global_rows(comm, t.n_rows);
  if (rows.total == 0) {
    osprey::detail::fail(path, s.size == 0 ? ": file is empty" : ": no data rows");
  }
  const std::optional<std::size_t> label_col =
      osprey::detail::csv_label_column(options, t.names, t.width, path);
  CsvSlice<Scalar> out;
  check_on_all_ranks(comm, [&] {
    CsvData<Scalar> data = osprey::detail::csv_to_data<Scalar>(
        t, label_col, path, static_cast<std::size_t>(rows.offset));
    out.X = std::move(data.X);
    out.y = std::move(data.y);
    out.columns = std::move(data.columns);
  });
  out.rows = rows;
  return out;
}

}  // namespace dist
OSPREY_NAMESPACE_END

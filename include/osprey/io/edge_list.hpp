/** \file
 *  A strict reader for SNAP-style edge lists: one `src dst [weight]` per line, separated by
 *  spaces or tabs, `#` comment lines. Node ids are non-negative integers; errors name the file,
 *  line and column. `to_graph` builds a Graph from what the reader returned.
 */
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <istream>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "../core/types.hpp"
#include "../graph/graph.hpp"
#include "detail/text.hpp"

OSPREY_NAMESPACE_BEGIN

/** Slack of the sparse-id rule: without relabel or n_nodes, an edge list whose `max id + 1`
 *  exceeds `2 * (distinct ids) + kSparseIdSlack` is rejected, since most of the nodes it implies
 *  would be unused (sparse ids cost memory per unused id); see `EdgeListOptions`. */
inline constexpr std::int64_t kSparseIdSlack = 1024;

/** How to read an edge list. */
struct EdgeListOptions {
  /** Map the ids that occur to 0..n-1 in increasing id order (SNAP ids are often sparse); the
   *  original id of node i is then `ids[i]`. Any non-negative 64-bit id is accepted. */
  bool relabel = false;
  /** Number of nodes, at most `kMaxNodeId + 1`; ids must be below it. Without it (and without
   *  relabel), max id + 1, which must not exceed `2 * (distinct ids) + kSparseIdSlack`: sparser
   *  ids are an error that suggests `relabel = true` (or an explicit n_nodes). */
  std::optional<std::int64_t> n_nodes{};
};

namespace detail {

/** Number of distinct values among `a` and `b`, all in `[0, bound)`: one bit per possible id. */
[[nodiscard]] inline std::int64_t count_distinct_ids(const std::vector<std::int64_t>& a,
                                                     const std::vector<std::int64_t>& b,
                                                     std::int64_t bound) {
  std::vector<bool> seen(static_cast<std::size_t>(bound), false);
  std::int64_t distinct = 0;
  for (const auto* list : {&a, &b}) {
    for (const std::int64_t id : *list) {
      const auto i = static_cast<std::size_t>(id);
      if (!seen[i]) {
        seen[i] = true;
        ++distinct;
      }
    }
  }
  return distinct;
}

/** The sparse-id rule itself: throws, suggesting `relabel = true`, unless `max_id + 1 <= 2 *
 *  distinct + kSparseIdSlack`. `distinct` < 0 means "not counted, since the edges alone
 *  (`most_distinct` ids at most) cannot make the ids dense". */
inline void check_id_density(std::int64_t max_id, std::int64_t distinct, std::int64_t most_distinct,
                             std::string_view source) {
  const std::int64_t n_implied = max_id + 1;
  if (distinct < 0 || n_implied > 2 * distinct + kSparseIdSlack) {
    fail(source, ": node ids are sparse: the largest id is ", max_id, " but ",
         distinct < 0 ? "at most " : "", distinct < 0 ? most_distinct : distinct,
         " distinct ids occur, so most of the ", n_implied,
         " nodes would have no edge; set EdgeListOptions::relabel = true to number the ids "
         "0..n-1 (or give n_nodes to ask for that many nodes)");
  }
}

/** Throws, suggesting `relabel = true`, when the ids in `src`/`dst` (max `max_id`) are sparse:
 *  `max_id + 1 > 2 * distinct + kSparseIdSlack`. Reads the ids only when the bound alone cannot
 *  decide (then `max_id + 1 <= 4 * edges + slack`, so the bit set is small). */
inline void check_dense_ids(const std::vector<std::int64_t>& src,
                            const std::vector<std::int64_t>& dst, std::int64_t max_id,
                            std::string_view source) {
  const std::int64_t n_implied = max_id + 1;  // max_id <= kMaxNodeId: no overflow
  if (n_implied <= kSparseIdSlack) return;
  const auto most_distinct = static_cast<std::int64_t>(src.size() + dst.size());
  const std::int64_t distinct = n_implied > 2 * most_distinct + kSparseIdSlack
                                    ? -1  // sparse whatever the count
                                    : count_distinct_ids(src, dst, n_implied);
  check_id_density(max_id, distinct, most_distinct, source);
}

}  // namespace detail

/** Edges read from a file: `src[e] -> dst[e]` with optional `weights[e]`. */
template <class Scalar = double>
struct EdgeList {
  std::int64_t n_nodes = 0;       ///< nodes are 0..n_nodes-1
  std::vector<std::int64_t> src;  ///< source node of each edge
  std::vector<std::int64_t> dst;  ///< destination node of each edge
  std::vector<Scalar> weights;    ///< empty for an unweighted list
  std::vector<std::int64_t> ids;  ///< original ids when relabelled, else empty
  /** Number of edges read (duplicates included). */
  [[nodiscard]] std::size_t n_edges() const noexcept { return src.size(); }
};

namespace detail {

/** Checks the node count of EdgeListOptions, when given: 1 .. kMaxNodeId + 1. */
inline void check_edge_list_options(const EdgeListOptions& options) {
  if (options.n_nodes) {
    check_param(*options.n_nodes >= 1, "EdgeListOptions: n_nodes", *options.n_nodes, ">= 1");
    check_param(*options.n_nodes <= kMaxNodeId + 1, "EdgeListOptions: n_nodes", *options.n_nodes,
                concat("<= ", kMaxNodeId + 1, " (2^40)"));
  }
}

/** Splits `text` into `fields` (cleared first) at runs of spaces and tabs. */
inline void split_whitespace(std::string_view text, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
}

/** Checks that a data line has 2 or 3 fields, as many as the first edge (`width`, set from the
 *  first edge when still 0). */
inline void check_edge_field_count(std::size_t n_fields, std::size_t& width,
                                   const TextLocation& line) {
  if (n_fields != 2 && n_fields != 3) {
    fail_at(line, concat("expected 'src dst' or 'src dst weight', found ", n_fields, " fields"));
  }
  if (width == 0) width = n_fields;
  if (n_fields != width) {
    fail_at(line, concat("expected ", width, " fields as on the first edge, found ", n_fields));
  }
}

/** Parses the source and target ids of a data line into `out.src`/`out.dst`, raising `max_id`.
 */
template <class Scalar>
void parse_edge_ids(const std::vector<std::string_view>& fields, std::string_view source,
                    std::size_t line_no, const EdgeListOptions& options, EdgeList<Scalar>& out,
                    std::int64_t& max_id) {
  for (std::size_t c = 0; c < 2; ++c) {
    const TextLocation at{source, line_no, c + 1};
    const std::int64_t id = parse_int(fields[c], at);
    if (id < 0) fail_at(at, concat("negative node id ", id));
    if (!options.relabel && id > kMaxNodeId) {
      fail_at(at, concat("node id ", id, " is above ", kMaxNodeId,
                         ", the largest id used as a node number; set "
                         "EdgeListOptions::relabel = true to number the ids "
                         "0..n-1"));
    }
    if (!options.relabel && options.n_nodes && id >= *options.n_nodes) {
      fail_at(at, concat("node id ", id, " is out of range for n_nodes = ", *options.n_nodes));
    }
    max_id = std::max(max_id, id);
    (c == 0 ? out.src : out.dst).push_back(id);
  }
}

/** Parses the weight field of a data line into `out.weights`, checking it is finite in Scalar. */
template <class Scalar>
void parse_edge_weight(std::string_view field, const TextLocation& at, EdgeList<Scalar>& out) {
  const double w = parse_double(field, at);
  if (!is_finite_as<Scalar>(w)) {
    fail_at(at, concat("weight ", w, " is out of range for ", scalar_name<Scalar>(),
                       " (largest finite value ", std::numeric_limits<Scalar>::max(), ")"));
  }
  out.weights.push_back(static_cast<Scalar>(w));
}

/** The text of a data line (trimmed), or an empty view for a blank or `#` comment line, which
 *  the readers skip. */
[[nodiscard]] inline std::string_view edge_line_data(std::string_view line) noexcept {
  const std::string_view text = trim(line);
  return (text.empty() || text.front() == '#') ? std::string_view{} : text;
}

/** Reads one line of an edge list (without its newline; a UTF-8 byte order mark already
 *  stripped from the first line) at `at` (line number set, column 0): skips it when blank or a
 *  comment, else appends its edge to `out`, checking its field count against `width` (set from
 *  it when still 0) and raising `max_id`. Every reader of edge-list text goes through here, so
 *  a file read whole and read in slices (dist/partition.hpp) accept the same lines. */
template <class Scalar>
void read_edge_line(std::string_view line, const TextLocation& at, const EdgeListOptions& options,
                    std::size_t& width, std::vector<std::string_view>& fields,
                    EdgeList<Scalar>& out, std::int64_t& max_id) {
  const std::string_view text = edge_line_data(line);
  if (text.empty()) return;
  split_whitespace(text, fields);
  check_edge_field_count(fields.size(), width, at);
  parse_edge_ids(fields, at.source, at.line, options, out, max_id);
  if (width == 3) parse_edge_weight(fields[2], TextLocation{at.source, at.line, 3}, out);
}

/** Sets `out.n_nodes`: relabels the ids to 0..n-1 (keeping the originals in `out.ids`), or takes
 *  the given n_nodes, or max id + 1 after the sparse-id check. */
template <class Scalar>
void number_edge_list_nodes(EdgeList<Scalar>& out, const EdgeListOptions& options,
                            std::int64_t max_id, std::string_view source) {
  if (options.relabel) {
    std::vector<std::int64_t> ids(out.src);
    ids.insert(ids.end(), out.dst.begin(), out.dst.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::unordered_map<std::int64_t, std::int64_t> index;
    index.reserve(ids.size());
    for (std::size_t k = 0; k < ids.size(); ++k)
      index.emplace(ids[k], static_cast<std::int64_t>(k));
    for (auto& v : out.src) v = index.at(v);
    for (auto& v : out.dst) v = index.at(v);
    out.n_nodes = static_cast<std::int64_t>(ids.size());
    if (options.n_nodes) {
      if (*options.n_nodes < out.n_nodes) {
        fail(source, ": ", out.n_nodes, " distinct ids exceed n_nodes = ", *options.n_nodes);
      }
      out.n_nodes = *options.n_nodes;
    }
    out.ids = std::move(ids);
  } else if (options.n_nodes) {
    out.n_nodes = *options.n_nodes;
  } else {
    check_dense_ids(out.src, out.dst, max_id, source);
    out.n_nodes = max_id + 1;
  }
}

}  // namespace detail

/** Reads an edge list from a stream; `source` names it in error messages.
 *  Every data line must have the same number of fields, 2 (unweighted) or 3 (weighted).
 *  \throws InvalidArgument on an empty input (no edges), a line with another field count,
 *  a non-integer or negative id, an id >= n_nodes, an id above `kMaxNodeId` without relabel,
 *  sparse ids without relabel or n_nodes (see `EdgeListOptions`), or a weight that is not a
 *  finite number (also once converted to Scalar: above FLT_MAX for float). */
template <class Scalar = double>
[[nodiscard]] EdgeList<Scalar> read_edge_list(std::istream& in, const EdgeListOptions& options = {},
                                              std::string_view source = "<stream>") {
  using detail::TextLocation;
  detail::check_edge_list_options(options);
  EdgeList<Scalar> out;
  std::size_t width = 0;
  std::size_t line_no = 0;
  std::string line;
  std::vector<std::string_view> fields;
  std::int64_t max_id = -1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1) detail::strip_utf8_bom(line);
    detail::read_edge_line(line, TextLocation{source, line_no, 0}, options, width, fields, out,
                           max_id);
  }
  if (in.bad()) detail::fail(source, ": read error");
  if (out.src.empty()) detail::fail(source, line_no == 0 ? ": file is empty" : ": no edges");
  detail::number_edge_list_nodes(out, options, max_id, source);
  return out;
}

/** Reads an edge-list file; see the stream overload.
 *  \throws InvalidArgument if the file cannot be opened, and as the stream overload. */
template <class Scalar = double>
[[nodiscard]] EdgeList<Scalar> read_edge_list(const std::string& path,
                                              const EdgeListOptions& options = {}) {
  auto in = detail::open_for_reading(path);
  return read_edge_list<Scalar>(in, options, path);
}

/** Builds a `Graph<Scalar>` from what `read_edge_list` returned (its `n_nodes`, edges and
 *  weights), as `Graph<Scalar>::from_edges(n_nodes, src, dst, weights, options)` would.
 *  \tparam Scalar weight type of the graph (float or double), independent of the list's `S`.
 *  \throws InvalidArgument as Graph::from_edges, and when a weight is finite in `S` but not
 *  once converted to Scalar (a double above FLT_MAX for a Graph<float>), naming the edge. */
template <class Scalar = double, class S>
[[nodiscard]] Graph<Scalar> to_graph(const EdgeList<S>& list, const GraphOptions& options = {}) {
  const std::size_t n_checked = std::min({list.weights.size(), list.src.size(), list.dst.size()});
  for (std::size_t e = 0; e < n_checked; ++e) {
    if (std::isfinite(static_cast<double>(list.weights[e])) &&
        !detail::is_finite_as<Scalar>(list.weights[e])) {
      detail::fail("weights[", e, "] (edge ", list.src[e], " -> ", list.dst[e],
                   ") = ", list.weights[e], " is out of range for ", detail::scalar_name<Scalar>(),
                   " (largest finite value ", std::numeric_limits<Scalar>::max(), ")");
    }
  }
  std::vector<Scalar> w(list.weights.begin(), list.weights.end());
  return Graph<Scalar>::from_edges(list.n_nodes, std::span<const std::int64_t>(list.src),
                                   std::span<const std::int64_t>(list.dst),
                                   std::span<const Scalar>(w), options);
}

OSPREY_NAMESPACE_END

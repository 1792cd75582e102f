/** \file
 *  A strict reader for SNAP-style edge lists: one `src dst [weight]` per line, separated by
 *  spaces or tabs, `#` comment lines. Node ids are non-negative integers; errors name the file,
 *  line and column.
 */
#pragma once

#include <algorithm>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "../core/types.hpp"
#include "detail_text.hpp"

OSPREY_NAMESPACE_BEGIN

/** How to read an edge list. */
struct EdgeListOptions {
  /** Map the ids that occur to 0..n-1 in increasing id order (SNAP ids are often sparse); the
   *  original id of node i is then `ids[i]`. */
  bool relabel = false;
  /** Number of nodes; ids must be below it. Without it (and without relabel), max id + 1. */
  std::optional<std::int64_t> n_nodes{};
};

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

/** Reads an edge list from a stream; `source` names it in error messages.
 *  Every data line must have the same number of fields, 2 (unweighted) or 3 (weighted).
 *  \throws InvalidArgument on an empty input (no edges), a line with another field count,
 *  a non-integer or negative id, an id >= n_nodes, or a weight that is not a finite number. */
template <class Scalar = double>
[[nodiscard]] EdgeList<Scalar> read_edge_list(std::istream& in, const EdgeListOptions& options = {},
                                              std::string_view source = "<stream>") {
  using detail::TextLocation;
  if (options.n_nodes && *options.n_nodes <= 0) {
    detail::fail("EdgeListOptions: n_nodes must be >= 1 (got ", *options.n_nodes, ")");
  }
  EdgeList<Scalar> out;
  std::size_t width = 0;
  std::size_t line_no = 0;
  std::string line;
  std::vector<std::string_view> fields;
  std::int64_t max_id = -1;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string_view text = detail::trim(line);
    if (text.empty() || text.front() == '#') continue;
    fields.clear();
    std::size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
      const std::size_t start = i;
      while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
      if (i > start) fields.push_back(text.substr(start, i - start));
    }
    if (fields.size() != 2 && fields.size() != 3) {
      detail::fail_at(TextLocation{source, line_no, 0},
                      detail::concat("expected 'src dst' or 'src dst weight', found ",
                                     fields.size(), " fields"));
    }
    if (width == 0) width = fields.size();
    if (fields.size() != width) {
      detail::fail_at(TextLocation{source, line_no, 0},
                      detail::concat("expected ", width, " fields as on the first edge, found ",
                                     fields.size()));
    }
    for (std::size_t c = 0; c < 2; ++c) {
      const TextLocation at{source, line_no, c + 1};
      const std::int64_t id = detail::parse_int(fields[c], at);
      if (id < 0) detail::fail_at(at, detail::concat("negative node id ", id));
      if (!options.relabel && options.n_nodes && id >= *options.n_nodes) {
        detail::fail_at(at, detail::concat("node id ", id,
                                           " is out of range for n_nodes = ", *options.n_nodes));
      }
      max_id = std::max(max_id, id);
      (c == 0 ? out.src : out.dst).push_back(id);
    }
    if (width == 3) {
      out.weights.push_back(
          static_cast<Scalar>(detail::parse_double(fields[2], TextLocation{source, line_no, 3})));
    }
  }
  if (in.bad()) detail::fail(source, ": read error");
  if (out.src.empty()) detail::fail(source, line_no == 0 ? ": file is empty" : ": no edges");

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
        detail::fail(source, ": ", out.n_nodes,
                     " distinct ids exceed n_nodes = ", *options.n_nodes);
      }
      out.n_nodes = *options.n_nodes;
    }
    out.ids = std::move(ids);
  } else {
    out.n_nodes = options.n_nodes ? *options.n_nodes : max_id + 1;
  }
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

OSPREY_NAMESPACE_END

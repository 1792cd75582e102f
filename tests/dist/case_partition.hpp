/** \file
 *  Reading a partition (dist/partition.hpp): on every rank count, the slices of an edge list or
 *  a CSV file, in rank order, are exactly the single-node read, and a bad file fails on every
 *  rank with the single-node message. The files are written by rank 0 into a fresh folder:
 *  CRLF line ends, a byte order mark, a last line without newline, comments and blank lines,
 *  files with fewer lines than ranks, a header that falls on a later rank. */
#pragma once

#include <osprey/dist/partition.hpp>
#include <osprey/io/csv.hpp>
#include <osprey/io/edge_list.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "harness.hpp"

namespace osprey_dist_test {
namespace partition_detail {

/** A folder every rank agrees on (rank 0 draws its name), created by rank 0. */
template <class C>
std::filesystem::path shared_folder(C& comm) {
  std::uint64_t tag = 0;
  if (comm.rank() == 0) {
    std::random_device rd;
    tag = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }
  comm.broadcast(std::span<std::uint64_t>(&tag, 1), 0);
  const auto dir =
      std::filesystem::temp_directory_path() / ("osprey_partition_" + std::to_string(tag));
  if (comm.rank() == 0) std::filesystem::create_directories(dir);
  comm.barrier();
  return dir;
}

/** Rank 0 writes `bytes` to `path`; every rank returns once it is there. */
template <class C>
std::string put(C& comm, const std::filesystem::path& path, const std::string& bytes) {
  if (comm.rank() == 0) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
  }
  comm.barrier();
  return path.string();
}

/** Runs `single` and `distributed`: both must succeed, or both throw InvalidArgument with the
 *  distributed message ending in the single-node one. Returns whether they succeeded. */
template <class C>
bool same_outcome(C& comm, const std::string& what, const std::function<void()>& single,
                  const std::function<void()>& distributed) {
  std::string want, got;
  bool single_threw = false, dist_threw = false;
  try {
    single();
  } catch (const osprey::InvalidArgument& e) {
    single_threw = true;
    want = e.what();
  }
  try {
    distributed();
  } catch (const osprey::InvalidArgument& e) {
    dist_threw = true;
    got = e.what();
  }
  OSPREY_DIST_CHECK(single_threw == dist_threw, what, ": single-node ",
                    single_threw ? "threw '" + want + "'" : "succeeded", ", distributed ",
                    dist_threw ? "threw '" + got + "'" : "succeeded", " (rank ", comm.rank(), ")");
  if (single_threw) {
    OSPREY_DIST_CHECK(got.size() >= want.size() && got.ends_with(want), what, ": message '", got,
                      "' does not end with '", want, "'");
  }
  return !single_threw;
}

template <class C>
void check_edge_list(C& comm, const std::string& path, const osprey::EdgeListOptions& options) {
  namespace dist = osprey::dist;
  osprey::EdgeList<double> whole, part;
  if (!same_outcome(
          comm, path, [&] { whole = osprey::read_edge_list<double>(path, options); },
          [&] { part = dist::read_edge_list_slice<double>(comm, path, options); })) {
    return;
  }
  const dist::RowRange at = dist::global_rows(comm, part.n_edges());
  OSPREY_DIST_CHECK(at.total == whole.n_edges(), path, ": ", at.total, " edges read in slices, ",
                    whole.n_edges(), " whole");
  OSPREY_DIST_CHECK(part.n_nodes == whole.n_nodes && part.ids == whole.ids, path);
  OSPREY_DIST_CHECK(part.weights.size() == (whole.weights.empty() ? 0 : part.n_edges()), path);
  for (std::size_t e = 0; e < part.n_edges(); ++e) {
    const auto g = static_cast<std::size_t>(at.offset) + e;
    OSPREY_DIST_CHECK(part.src[e] == whole.src[g] && part.dst[e] == whole.dst[g], path, " edge ",
                      g);
    if (!part.weights.empty()) OSPREY_DIST_CHECK(part.weights[e] == whole.weights[g], path);
  }
}

template <class C>
void check_csv(C& comm, const std::string& path, const osprey::CsvOptions& options) {
  namespace dist = osprey::dist;
  osprey::CsvData<double> whole;
  dist::CsvSlice<double> part;
  if (!same_outcome(
          comm, path, [&] { whole = osprey::read_csv<double>(path, options); },
          [&] { part = dist::read_csv_slice<double>(comm, path, options); })) {
    return;
  }
  const auto offset = static_cast<Eigen::Index>(part.rows.offset);
  const auto local = static_cast<Eigen::Index>(part.rows.local);
  OSPREY_DIST_CHECK(part.rows.total == static_cast<std::uint64_t>(whole.X.rows()), path);
  OSPREY_DIST_CHECK(part.rows.offset == dist::global_rows(comm, part.rows.local).offset, path);
  OSPREY_DIST_CHECK(part.X.rows() == local && part.X.cols() == whole.X.cols(), path);
  OSPREY_DIST_CHECK(part.X == whole.X.middleRows(offset, local), path, " rows from ", offset);
  OSPREY_DIST_CHECK(part.y.size() == (whole.y.size() == 0 ? 0 : local), path);
  if (whole.y.size() > 0) OSPREY_DIST_CHECK(part.y == whole.y.segment(offset, local), path);
  OSPREY_DIST_CHECK(part.columns == whole.columns, path);
}

/** A random edge list: ids, weights, spacing and comments drawn from `seed`. */
inline std::string random_edges(std::uint64_t seed, int lines, bool weighted, bool crlf) {
  std::mt19937_64 rng(seed);
  std::string text;
  for (int i = 0; i < lines; ++i) {
    const auto roll = rng() % 20;
    if (roll == 0) {
      text += "# comment " + std::to_string(i);
    } else if (roll == 1) {
      text += "   ";
    } else {
      text += std::to_string(rng() % 50) + (roll == 2 ? "\t" : " ") + std::to_string(rng() % 50);
      if (weighted) text += " " + std::to_string(static_cast<double>(rng() % 1000) / 64.0);
    }
    text += crlf ? "\r\n" : "\n";
  }
  return text;
}

}  // namespace partition_detail

template <class C>
void case_partition(C& comm) {
  using namespace partition_detail;
  const std::filesystem::path dir = shared_folder(comm);
  const auto file = [&](const std::string& name, const std::string& bytes) {
    return put(comm, dir / name, bytes);
  };
  // Edge lists.
  check_edge_list(comm, file("basic.txt", "# a graph\n0 1\n1 2\n\n2 0\n3 3\n"), {});
  check_edge_list(
      comm, file("crlf.txt", "\xEF\xBB\xBF# SNAP-like\r\n0\t1 0.5\r\n\r\n  2 1 1.5\r\n1 0 2"), {});
  check_edge_list(comm, file("one_line.txt", "0 1"), {});
  check_edge_list(comm, file("one_line_nl.txt", "5 6\n"), {});
  check_edge_list(comm, file("two_lines.txt", "1 0\r\n0 1"), {});
  check_edge_list(comm, file("random.txt", random_edges(7, 300, false, false)), {});
  check_edge_list(comm, file("random_w.txt", random_edges(8, 257, true, true)), {});
  check_edge_list(comm, file("random_n.txt", random_edges(9, 100, false, true)), {.n_nodes = 60});
  const std::string sparse = "1000000 7\n7 123456789\n\n123456789 1000000\n42 7\n";
  check_edge_list(comm, file("sparse.txt", sparse), {.relabel = true});
  check_edge_list(comm, file("sparse2.txt", sparse), {.relabel = true, .n_nodes = 9});
  check_edge_list(comm, file("sparse3.txt", sparse), {});  // sparse: rejected
  std::string dense_enough;
  for (int i = 0; i < 900; ++i)
    dense_enough += std::to_string(2 * i) + " " + std::to_string(i) + "\n";
  check_edge_list(comm, file("dense.txt", dense_enough), {});  // max id 1798, 900 distinct
  std::string too_sparse;
  for (int i = 0; i < 300; ++i) too_sparse += std::to_string(5 * i) + " 0\n";
  check_edge_list(comm, file("too_sparse.txt", too_sparse), {});  // max id 1495, 300 distinct
  // Bad edge lists: the same message, with the global line number.
  check_edge_list(comm, file("empty.txt", ""), {});
  check_edge_list(comm, file("comments.txt", "# only\n# comments\n\n"), {});
  check_edge_list(comm, file("bad_id.txt", "0 1\n1 2\n2 3\n3 x\n4 5\n"), {});
  check_edge_list(comm, file("ragged.txt", "0 1\n1 2\n2 3\n3 4\n4 5 1.0\n5 6\n"), {});
  check_edge_list(comm, file("negative.txt", "0 1\n1 2\n2 3\n3 4\n-4 5\n"), {});
  check_edge_list(comm, file("range.txt", "0 1\n1 2\n2 3\n3 4\n4 9\n"), {.n_nodes = 5});
  check_edge_list(comm, file("missing.txt", "0 1\n"), {.n_nodes = 0});
  check_edge_list(comm, (dir / "no_such_file.txt").string(), {});

  // CSV tables.
  check_csv(comm,
            file("table.csv",
                 "\xEF\xBB\xBF"
                 "a,b,label\r\n1,2,0\r\n\r\n3,4.5,1\r\n-1e3,7,0"),
            {.label = "label"});
  check_csv(comm, file("late_header.csv", "# c\n# c\n\n# c\n# c\nx;y\n1;2\n3;4\n"),
            {.delimiter = ';', .comments = true});
  check_csv(comm, file("one_row.csv", "1,2"), {.header = false});
  check_csv(comm, file("header_only.csv", "a,b\n"), {});
  check_csv(comm, file("no_header.csv", "1,2,3\n4,5,6\n7,8,9\n1,1,1\n"),
            {.header = false, .label_index = 0});
  std::string rows = "f0, f1 ,f2,y\n";
  std::mt19937_64 rng(11);
  for (int i = 0; i < 150; ++i) {
    rows += std::to_string(static_cast<double>(rng() % 1000) / 8.0) + "," +
            std::to_string(static_cast<int>(rng() % 9) - 4) + ", " +
            std::to_string(static_cast<double>(rng() % 77) * 0.25) + "," + std::to_string(i % 3);
    rows += (i % 7 == 0) ? "\r\n" : "\n";
    if (i % 40 == 0) rows += "\n";
  }
  check_csv(comm, file("random.csv", rows), {.label_index = -1});
  check_csv(comm, file("random2.csv", rows), {});
  // Bad tables.
  check_csv(comm, file("empty.csv", ""), {});
  check_csv(comm, file("blank.csv", "\n\n  \n"), {});
  check_csv(comm, file("ragged.csv", "a,b\n1,2\n3,4\n5,6\n7\n8,9\n"), {});
  check_csv(comm, file("nan.csv", "a,b\n1,2\n3,4\n5,nan\n"), {});
  check_csv(comm, file("label.csv", "a,y\n1,2\n3,4\n5,6\n7,8.5\n9,1\n"), {.label = "y"});
  check_csv(comm, file("unknown.csv", "a,y\n1,2\n"), {.label = "z"});

  comm.barrier();
  if (comm.rank() == 0) std::filesystem::remove_all(dir);
}

}  // namespace osprey_dist_test

// Edge contracts of the text readers and the Graph built from them: huge and sparse node ids,
// values that overflow float, signs, byte order marks and ambiguous label columns.
#include "common/prelude.hpp"

#include <cstdint>
#include <limits>
#include <osprey/graph/graph.hpp>
#include <osprey/io/csv.hpp>
#include <osprey/io/edge_list.hpp>
#include <sstream>
#include <string>

#include "common/estimator_checks.hpp"

using osprey::InvalidArgument;
using osprey::testing::require_throws_containing;

namespace {

template <class Scalar = double>
osprey::CsvData<Scalar> csv(const std::string& text, const osprey::CsvOptions& options = {}) {
  std::istringstream in(text);
  return osprey::read_csv<Scalar>(in, options, "t.csv");
}

template <class Scalar = double>
osprey::EdgeList<Scalar> edges(const std::string& text,
                               const osprey::EdgeListOptions& options = {}) {
  std::istringstream in(text);
  return osprey::read_edge_list<Scalar>(in, options, "g.txt");
}

}  // namespace

TEST_CASE("read_edge_list: an id of INT64_MAX is rejected without relabel, not overflowed",
          "[io][edge_list][edges]") {
  // max id + 1 used to overflow here (signed overflow, undefined behaviour).
  require_throws_containing<InvalidArgument>(
      [] { (void)edges("0 9223372036854775807\n"); },
      "g.txt:1, column 2: node id 9223372036854775807 is above 1099511627775");
  require_throws_containing<InvalidArgument>([] { (void)edges("9223372036854775807 0\n"); },
                                             "relabel = true");
  // The cap is the documented one, and an id at the cap passes the cap check (it then fails the
  // sparse-id rule, which is a different message).
  STATIC_REQUIRE(osprey::kMaxNodeId == (std::int64_t{1} << 40) - 1);
  require_throws_containing<InvalidArgument>([] { (void)edges("0 1099511627775\n"); },
                                             "node ids are sparse");
  require_throws_containing<InvalidArgument>(
      [] { (void)edges("0 1\n", {.n_nodes = osprey::kMaxNodeId + 2}); },
      "EdgeListOptions: n_nodes must be <= 1099511627776");
}

TEST_CASE("read_edge_list: relabel takes any non-negative 64-bit id", "[io][edge_list][edges]") {
  // 19-digit hashed account ids.
  const auto list = edges(
      "9223372036854775807 1234567890123456789\n"
      "1234567890123456789 9223372036854775806\n",
      {.relabel = true});
  CHECK(list.n_nodes == 3);
  REQUIRE(list.ids.size() == 3);
  CHECK(list.ids[0] == 1234567890123456789);
  CHECK(list.ids[2] == std::numeric_limits<std::int64_t>::max());
  CHECK(list.src == std::vector<std::int64_t>{2, 0});
  CHECK(list.dst == std::vector<std::int64_t>{0, 1});
  const auto g = osprey::to_graph(list);
  CHECK(g.n_nodes() == 3);
  // Above INT64_MAX is an error naming the cell, also with relabel.
  require_throws_containing<InvalidArgument>(
      [] { (void)edges("9223372036854775808 1\n", {.relabel = true}); },
      "g.txt:1, column 1: cannot parse '9223372036854775808' as an integer: out of range");
}

TEST_CASE("read_edge_list: sparse ids without relabel are an error that suggests relabel",
          "[io][edge_list][edges]") {
  // Two edges among four ids spread up to ~1e12: a Graph would allocate O(max id).
  require_throws_containing<InvalidArgument>(
      [] { (void)edges("0 1\n1000000000000 5\n"); },
      "g.txt: node ids are sparse: the largest id is 1000000000000 but at most 4 distinct ids");
  require_throws_containing<InvalidArgument>([] { (void)edges("0 1\n1000000000000 5\n"); },
                                             "set EdgeListOptions::relabel = true");
  // Decided by the exact distinct count when the bound alone cannot: a chain over ids 0..2999
  // plus one edge to `last`, 3001 distinct ids: max id + 1 may be up to 2 * 3001 + 1024.
  auto chain = [](std::int64_t last) {
    std::string text;
    for (std::int64_t i = 0; i + 1 < 3000; ++i) {
      text += std::to_string(i) + " " + std::to_string(i + 1) + "\n";
    }
    text += "0 " + std::to_string(last) + "\n";
    return text;
  };
  CHECK(edges(chain(2 * 3001 + 1024 - 1)).n_nodes == 2 * 3001 + 1024);
  require_throws_containing<InvalidArgument>([&] { (void)edges(chain(2 * 3001 + 1024)); },
                                             "but 3001 distinct ids occur");
  // Below the slack, gaps are fine (behaviour as before), and so are explicit n_nodes and relabel.
  CHECK(edges("0 1000\n").n_nodes == 1001);
  CHECK(edges("0 1000000000000\n", {.n_nodes = 1000000000001}).n_nodes == 1000000000001);
  CHECK(edges("0 1000000000000\n", {.relabel = true}).n_nodes == 2);
}

TEST_CASE("Graph: more nodes than the documented cap is a clear error, not bad_alloc",
          "[graph][edges]") {
  require_throws_containing<InvalidArgument>(
      [] {
        (void)osprey::Graph<>::from_edges(std::numeric_limits<std::int64_t>::max(),
                                          std::vector<osprey::Graph<>::Edge>{{0, 1}});
      },
      "n_nodes = 9223372036854775807 is above 1099511627776 (2^40)");
  osprey::EdgeList<double> list;
  list.n_nodes = osprey::kMaxNodeId + 2;
  list.src = {0};
  list.dst = {1};
  require_throws_containing<InvalidArgument>([&] { (void)osprey::to_graph(list); },
                                             "relabel = true");
}

TEST_CASE("Graph: 32-bit source ids stay 32-bit when only the edge count passes 2^32",
          "[graph][edges]") {
  using osprey::IndexLayout;
  using osprey::detail::choose_index_layout;
  constexpr std::int64_t u32 = std::numeric_limits<std::uint32_t>::max();
  STATIC_REQUIRE(choose_index_layout(10, 20, true) == IndexLayout::narrow);
  STATIC_REQUIRE(choose_index_layout(u32 - 1, u32 - 1, true) == IndexLayout::narrow);
  STATIC_REQUIRE(choose_index_layout(1000, u32, true) == IndexLayout::wide_offsets);
  STATIC_REQUIRE(choose_index_layout(u32 - 1, std::int64_t{1} << 36, true) ==
                 IndexLayout::wide_offsets);
  STATIC_REQUIRE(choose_index_layout(u32, 10, true) == IndexLayout::wide);
  STATIC_REQUIRE(choose_index_layout(10, 20, false) == IndexLayout::wide);
  const std::vector<osprey::Graph<>::Edge> e{{0, 1}, {1, 2}, {2, 0}};
  CHECK(osprey::Graph<>::from_edges(3, e).index_layout() == IndexLayout::narrow);
  CHECK(osprey::Graph<>::from_edges(3, e, {}, {.narrow_indices = false}).index_layout() ==
        IndexLayout::wide);
}

TEST_CASE("read_edge_list<float>: a weight above FLT_MAX is an error naming line and column",
          "[io][edge_list][edges]") {
  require_throws_containing<InvalidArgument>(
      [] { (void)edges<float>("0 1 1\n1 2 1e39\n"); },
      "g.txt:2, column 3: weight 9.9999999999999994e+38 is out of range for float");
  // FLT_MAX itself, and the largest double that still rounds to it, are fine.
  CHECK(edges<float>("0 1 3.4028234663852886e38\n").weights[0] ==
        std::numeric_limits<float>::max());
  CHECK(edges<float>("0 1 3.4028235677973362e38\n").weights[0] ==
        std::numeric_limits<float>::max());
  require_throws_containing<InvalidArgument>(
      [] { (void)edges<float>("0 1 3.4028235677973366e38\n"); }, "out of range for float");
  CHECK(edges<double>("0 1 1e39\n").weights[0] == 1e39);
}

TEST_CASE("Graph<float> from a double edge list: a weight above FLT_MAX names the edge",
          "[graph][edges]") {
  const auto list = edges<double>("0 1 2\n1 2 1e39\n");
  require_throws_containing<InvalidArgument>(
      [&] { (void)osprey::to_graph<float>(list); },
      "weights[1] (edge 1 -> 2) = 9.9999999999999994e+38 is out of range for float");
  CHECK(osprey::to_graph<double>(list).is_weighted());
}

TEST_CASE("read_csv<float>: a cell above FLT_MAX is an error naming line and column",
          "[io][csv][edges]") {
  require_throws_containing<InvalidArgument>(
      [] { (void)csv<float>("a,b\n1,2\n3,1e39\n"); },
      "t.csv:3, column 2: value 9.9999999999999994e+38 is out of range for float");
  require_throws_containing<InvalidArgument>([] { (void)csv<float>("a,b\n1,-1e39\n"); },
                                             "t.csv:2, column 2");
  CHECK(csv<double>("a,b\n3,1e39\n").X(0, 1) == 1e39);
  // A label column is not a float feature: only its integrality matters.
  CHECK(csv<float>("a,y\n1.5,1\n", {.label = "y"}).y(0) == 1);
}

TEST_CASE("read_csv and read_edge_list: '+-5' is not -5", "[io][edges]") {
  require_throws_containing<InvalidArgument>([] { (void)csv("a\n+-5\n"); },
                                             "t.csv:2, column 1: cannot parse '+-5' as a number");
  require_throws_containing<InvalidArgument>([] { (void)csv("a\n++5\n"); }, "cannot parse '++5'");
  require_throws_containing<InvalidArgument>([] { (void)csv("a\n+\n"); }, "cannot parse '+'");
  require_throws_containing<InvalidArgument>([] { (void)edges("+-5 1\n"); },
                                             "g.txt:1, column 1: cannot parse '+-5' as an integer");
  require_throws_containing<InvalidArgument>([] { (void)edges("0 1 +-2\n"); },
                                             "cannot parse '+-2' as a number");
  // A single leading '+' still reads.
  CHECK(csv("a\n+5\n").X(0, 0) == 5.0);
  CHECK(csv("a\n+.5\n").X(0, 0) == 0.5);
  CHECK(edges("+3 +4\n").dst[0] == 4);
}

TEST_CASE("read_csv: a UTF-8 byte order mark before the header is skipped", "[io][csv][edges]") {
  const auto data = csv("\xEF\xBB\xBFid,y\n1,0\n2,1\n", {.label = "id"});
  CHECK(data.columns == std::vector<std::string>{"y"});
  CHECK(data.y(1) == 2);
  // Without a header, the first cell is a number.
  CHECK(csv("\xEF\xBB\xBF"
            "7,8\n",
            {.header = false})
            .X(0, 0) == 7.0);
  CHECK(edges("\xEF\xBB\xBF"
              "0 1\n")
            .n_nodes == 2);
  // Only at the very start: elsewhere it is a bad cell.
  require_throws_containing<InvalidArgument>(
      [] {
        (void)csv(
            "a\n\xEF\xBB\xBF"
            "1\n");
      },
      "t.csv:2, column 1: cannot parse");
}

TEST_CASE("read_csv: a label column given by name and index must agree", "[io][csv][edges]") {
  const std::string text = "a,y,b\n1,0,2\n3,1,4\n";
  require_throws_containing<InvalidArgument>(
      [&] { (void)csv(text, {.label = "y", .label_index = 0}); },
      "CsvOptions: label 'y' is column 2 but label_index 0 is column 1");
  const auto both = csv(text, {.label = "y", .label_index = 1});
  const auto from_end = csv(text, {.label = "y", .label_index = -2});
  CHECK(both.columns == std::vector<std::string>{"a", "b"});
  CHECK(from_end.y == both.y);
  CHECK(both.y(1) == 1);
}

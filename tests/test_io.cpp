#include "common/prelude.hpp"

#include <filesystem>
#include <fstream>
#include <osprey/io/csv.hpp>
#include <osprey/io/edge_list.hpp>
#include <sstream>

#include "common/estimator_checks.hpp"

using osprey::InvalidArgument;
using osprey::testing::require_throws_containing;

namespace {

osprey::CsvData<double> csv(const std::string& text, const osprey::CsvOptions& options = {}) {
  std::istringstream in(text);
  return osprey::read_csv<double>(in, options, "t.csv");
}

osprey::EdgeList<double> edges(const std::string& text,
                               const osprey::EdgeListOptions& options = {}) {
  std::istringstream in(text);
  return osprey::read_edge_list<double>(in, options, "g.txt");
}

// A file in the system temporary folder, removed when the test ends.
struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& name, const std::string& text)
      : path(std::filesystem::temp_directory_path() / name) {
    std::ofstream(path) << text;
  }
  ~TempFile() { std::filesystem::remove(path); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
};

}  // namespace

TEST_CASE("read_csv: parses a header, features and a label column by name", "[io][csv]") {
  const auto t = csv("f0,f1,label\n1.5,-2,0\n3e2, 4 ,1\r\n\n+5,6.25,1\n", {.label = "label"});
  REQUIRE(t.X.rows() == 3);
  REQUIRE(t.X.cols() == 2);
  CHECK(t.X(0, 0) == 1.5);
  CHECK(t.X(1, 0) == 300.0);
  CHECK(t.X(1, 1) == 4.0);
  CHECK(t.X(2, 0) == 5.0);
  CHECK(t.y(0) == 0);
  CHECK(t.y(2) == 1);
  CHECK(t.columns == std::vector<std::string>{"f0", "f1"});
}

TEST_CASE("read_csv: label by index counts from the end, numbers round-trip exactly", "[io][csv]") {
  const auto t =
      csv("7,0.1,0.30000000000000004\n8,1e-300,2\n", {.header = false, .label_index = 0});
  CHECK(t.y(0) == 7);
  CHECK(t.y(1) == 8);
  CHECK(t.X(0, 0) == 0.1);
  CHECK(t.X(0, 1) == 0.30000000000000004);
  CHECK(t.X(1, 0) == 1e-300);
  const auto last = csv("a;b\n1;2\n", {.delimiter = ';', .label_index = -1});
  CHECK(last.y(0) == 2);
  CHECK(last.X.cols() == 1);
}

TEST_CASE("read_csv: comment lines are skipped only when asked", "[io][csv]") {
  const std::string text = "# generated\nx,y\n1,2\n# note\n3,4\n";
  const auto t = csv(text, {.comments = true});
  CHECK(t.X.rows() == 2);
  require_throws_containing<InvalidArgument>([&] { (void)csv("x\n1\n# note\n", {}); },
                                             "t.csv:3, column 1: cannot parse '# note'");
}

TEST_CASE("read_csv: ragged rows name the line", "[io][csv]") {
  require_throws_containing<InvalidArgument>([] { (void)csv("a,b,c\n1,2,3\n4,5\n"); },
                                             "t.csv:3: expected 3 fields, found 2");
  require_throws_containing<InvalidArgument>([] { (void)csv("1,2\n3,4,5\n", {.header = false}); },
                                             "t.csv:2: expected 2 fields, found 3");
}

TEST_CASE("read_csv: non-numeric and non-finite cells name line and column", "[io][csv]") {
  require_throws_containing<InvalidArgument>([] { (void)csv("a,b\n1,2\n3,abc\n"); },
                                             "t.csv:3, column 2: cannot parse 'abc' as a number");
  require_throws_containing<InvalidArgument>([] { (void)csv("a,b\n1,\n"); },
                                             "t.csv:2, column 2: empty cell");
  require_throws_containing<InvalidArgument>([] { (void)csv("a,b\n1,2x\n"); }, "'2x'");
  require_throws_containing<InvalidArgument>([] { (void)csv("a,b\nnan,1\n"); },
                                             "t.csv:2, column 1: non-finite value 'nan'");
  require_throws_containing<InvalidArgument>([] { (void)csv("a\n1e999\n"); }, "out of range");
}

TEST_CASE("read_csv: empty input and header-only input are rejected", "[io][csv]") {
  require_throws_containing<InvalidArgument>([] { (void)csv(""); }, "t.csv: file is empty");
  require_throws_containing<InvalidArgument>([] { (void)csv("a,b\n"); }, "t.csv: no data rows");
  require_throws_containing<InvalidArgument>([] { (void)csv("\n\n  \n"); }, "no data rows");
}

TEST_CASE("read_csv: a bad label column is named", "[io][csv]") {
  require_throws_containing<InvalidArgument>([] { (void)csv("a,b\n1,2\n", {.label = "class"}); },
                                             "no column named 'class'");
  require_throws_containing<InvalidArgument>(
      [] { (void)csv("a,b\n1,2.5\n", {.label = "b"}); },
      "label '2.5' in data row 1, column 2 is not an integer");
  require_throws_containing<InvalidArgument>(
      [] { (void)csv("1,2\n", {.header = false, .label_index = 2}); }, "label_index 2");
  require_throws_containing<InvalidArgument>(
      [] { (void)csv("1,2\n", {.header = false, .label = "b"}); }, "header = false");
}

TEST_CASE("read_csv: files are read and a missing file is named", "[io][csv]") {
  const TempFile file("osprey_test_io.csv", "a,label\n1,0\n2,1\n");
  const auto t = osprey::read_csv<float>(file.path.string(), {.label = "label"});
  CHECK(t.X.rows() == 2);
  CHECK(t.X(1, 0) == 2.0f);
  require_throws_containing<InvalidArgument>(
      [] { (void)osprey::read_csv("/nonexistent/osprey/missing.csv"); },
      "cannot open file '/nonexistent/osprey/missing.csv'");
}

TEST_CASE("read_edge_list: SNAP format with comments, tabs and weights", "[io][edge_list]") {
  const auto g = edges("# Directed graph\n# FromNodeId\tToNodeId\n0\t1\n1 2\n  2   0  \n");
  CHECK(g.n_nodes == 3);
  CHECK(g.n_edges() == 3);
  CHECK(g.src == std::vector<std::int64_t>{0, 1, 2});
  CHECK(g.dst == std::vector<std::int64_t>{1, 2, 0});
  CHECK(g.weights.empty());
  const auto w = edges("0 1 0.5\n3 0 2\n");
  CHECK(w.n_nodes == 4);
  CHECK(w.weights == std::vector<double>{0.5, 2.0});
}

TEST_CASE("read_edge_list: relabel maps sparse ids to 0..n-1 in id order", "[io][edge_list]") {
  const auto g = edges("30 10\n10 7\n", {.relabel = true});
  CHECK(g.n_nodes == 3);
  CHECK(g.ids == std::vector<std::int64_t>{7, 10, 30});
  CHECK(g.src == std::vector<std::int64_t>{2, 1});
  CHECK(g.dst == std::vector<std::int64_t>{1, 0});
  const auto padded = edges("0 1\n", {.n_nodes = 5});
  CHECK(padded.n_nodes == 5);
}

TEST_CASE("read_edge_list: malformed lines name file, line and column", "[io][edge_list]") {
  require_throws_containing<InvalidArgument>(
      [] { (void)edges("0 1\n2\n"); }, "g.txt:2: expected 'src dst' or 'src dst weight', found 1");
  require_throws_containing<InvalidArgument>([] { (void)edges("0 1\n1 2 3\n"); },
                                             "g.txt:2: expected 2 fields as on the first edge");
  require_throws_containing<InvalidArgument>([] { (void)edges("0 1\n1 x\n"); },
                                             "g.txt:2, column 2: cannot parse 'x' as an integer");
  require_throws_containing<InvalidArgument>([] { (void)edges("0 1.5\n"); }, "'1.5'");
  require_throws_containing<InvalidArgument>([] { (void)edges("-1 2\n"); },
                                             "g.txt:1, column 1: negative node id -1");
  require_throws_containing<InvalidArgument>([] { (void)edges("0 1 w\n"); },
                                             "g.txt:1, column 3: cannot parse 'w' as a number");
  require_throws_containing<InvalidArgument>([] { (void)edges("0 1 inf\n"); }, "non-finite");
}

TEST_CASE("read_edge_list: ids out of range, empty and missing files are errors",
          "[io][edge_list]") {
  require_throws_containing<InvalidArgument>(
      [] { (void)edges("0 1\n4 2\n", {.n_nodes = 4}); },
      "g.txt:2, column 1: node id 4 is out of range for n_nodes = 4");
  require_throws_containing<InvalidArgument>(
      [] { (void)edges("5 9\n", {.relabel = true, .n_nodes = 1}); }, "exceed n_nodes = 1");
  require_throws_containing<InvalidArgument>([] { (void)edges("0 1\n", {.n_nodes = 0}); },
                                             "n_nodes must be >= 1 (got 0)");
  require_throws_containing<InvalidArgument>([] { (void)edges(""); }, "g.txt: file is empty");
  require_throws_containing<InvalidArgument>([] { (void)edges("# only comments\n\n"); },
                                             "g.txt: no edges");
  require_throws_containing<InvalidArgument>(
      [] { (void)osprey::read_edge_list("/nonexistent/osprey/graph.txt"); }, "cannot open file");
  require_throws_containing<InvalidArgument>([] { (void)edges("99999999999999999999 1\n"); },
                                             "as an integer");
}

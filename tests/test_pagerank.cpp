#include "common/prelude.hpp"

#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <numeric>
#include <set>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include <osprey/core/concepts.hpp>
#include <osprey/graph/graph.hpp>
#include <osprey/graph/pagerank.hpp>
#include <osprey/io/edge_list.hpp>
#include <osprey/kernels/spmv.hpp>

#include "common/estimator_checks.hpp"
#include "common/fixtures.hpp"

using Catch::Matchers::WithinAbs;
using osprey::Dangling;
using osprey::Graph;
using osprey::GraphOptions;
using osprey::Matrix;
using osprey::NodeOrder;
using osprey::PageRank;
using osprey::to_graph;
using osprey::Vector;
using osprey::testing::load_fixture;
using osprey::testing::require_throws_containing;

// PageRank is a graph estimator: it satisfies none of the matrix-based concepts, and the generic
// check_estimator suite (fit(X), apply(X) on feature matrices) does not fit it. The equivalent
// checks are written by hand in the "conformance" cases below.
static_assert(!osprey::Classifier<PageRank<double>>);
static_assert(!osprey::OutlierDetector<PageRank<float>>);
static_assert(!osprey::Transformer<PageRank<double>>);

namespace {

struct Case {
  std::int64_t n = 0;
  std::vector<std::int64_t> src, dst;
  std::vector<double> w;
  double damping = 0.85;
  bool dangling_uniform = false;
  std::optional<Vector<double>> personalization;
  Vector<double> expected;
};

Case load_case(const std::string& name) {
  Case c;
  const Matrix<double> meta = load_fixture("pagerank/" + name + "_meta.csv");
  c.n = static_cast<std::int64_t>(meta(0, 0));
  c.damping = meta(0, 1);
  c.dangling_uniform = meta(0, 2) != 0.0;
  const Matrix<double> edges = load_fixture("pagerank/" + name + "_edges.csv");
  for (Eigen::Index e = 0; e < edges.rows(); ++e) {
    c.src.push_back(static_cast<std::int64_t>(edges(e, 0)));
    c.dst.push_back(static_cast<std::int64_t>(edges(e, 1)));
    c.w.push_back(edges(e, 2));
  }
  if (meta(0, 3) != 0.0) {
    c.personalization = load_fixture("pagerank/" + name + "_personalization.csv").col(0);
  }
  c.expected = load_fixture("pagerank/" + name + "_scores.csv").col(0);
  return c;
}

template <class S>
Graph<S> case_graph(const Case& c, bool weighted, const GraphOptions& options = {}) {
  const std::vector<S> w(c.w.begin(), c.w.end());
  return Graph<S>::from_edges(c.n, std::span<const std::int64_t>(c.src),
                              std::span<const std::int64_t>(c.dst),
                              weighted ? std::span<const S>(w) : std::span<const S>(), options);
}

template <class S>
typename PageRank<S>::Params case_params(const Case& c, double tol) {
  typename PageRank<S>::Params p;
  p.damping = c.damping;
  p.tol = tol;
  if (c.personalization) p.personalization = c.personalization->cast<S>().template cast<double>();
  p.dangling = c.dangling_uniform ? Dangling::uniform : Dangling::personalization;
  return p;
}

void require_close(const Vector<double>& got, const Vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (Eigen::Index i = 0; i < got.size(); ++i) {
    INFO("node " << i);
    CHECK_THAT(got(i), WithinAbs(want(i), tol));
  }
}

// The SNAP graphs (email-Eu-core, wiki-Vote) come with no licence that lets the repository ship
// them: their tests are hidden ("[.]") and run on request, on a folder the user names, e.g.
//   OSPREY_DATA_DIR=/path/to/data build/dev/tests/osprey_tests "[snap]"
// with graph_email_eu_core/email-Eu-core.txt and graph_wiki_vote/wiki-Vote.txt (SNAP's files
// without their '#' header lines) inside.
std::string data_path(const std::string& rel) {
  const char* env = std::getenv("OSPREY_DATA_DIR");
  return env != nullptr ? std::string(env) + "/" + rel : std::string();
}

bool exists(const std::string& path) { return std::ifstream(path).good(); }

// Two directed cycles over the same n nodes (i -> i+1 and i -> i+3): every node has in- and
// out-degree 2, so the uniform vector is the stationary distribution.
Graph<double> regular_graph(std::int64_t n) {
  std::vector<Graph<double>::Edge> edges;
  for (std::int64_t i = 0; i < n; ++i) {
    edges.emplace_back(i, (i + 1) % n);
    edges.emplace_back(i, (i + 3) % n);
  }
  return Graph<double>::from_edges(n, edges);
}

Graph<double> random_graph(std::int64_t n, std::int64_t m, std::uint64_t seed,
                           const GraphOptions& options = {}) {
  std::vector<Graph<double>::Edge> edges;
  std::uint64_t state = seed;
  const auto next = [&state]() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  for (std::int64_t e = 0; e < m; ++e) {
    const auto u = static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n));
    const auto v = static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n));
    if (u % 5 == 1) continue;  // some dangling nodes
    edges.emplace_back(u, v);
  }
  return Graph<double>::from_edges(n, edges, {}, options);
}

// Node ids by decreasing score, ties by id.
std::vector<Eigen::Index> ranking(const Vector<double>& scores) {
  std::vector<Eigen::Index> order(static_cast<std::size_t>(scores.size()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return scores(a) > scores(b); });
  return order;
}

const char* const kCases[] = {"dangling",         "loops_dups",
                              "weighted",         "random",
                              "random_pers",      "random_pers_uniform_dangling",
                              "random_damping50", "random_unweighted"};

}  // namespace

TEST_CASE("PageRank: matches networkx on every fixture graph", "[graph]") {
  for (const char* name : kCases) {
    INFO("case " << name);
    const Case c = load_case(name);
    PageRank<double> pr(case_params<double>(c, 1e-14));
    pr.fit(case_graph<double>(c, true));
    CHECK(pr.converged());
    CHECK(pr.residual() < 1e-14);
    require_close(pr.scores(), c.expected, 1e-13);
    CHECK_THAT(pr.scores().sum(), WithinAbs(1.0, 1e-14));
  }
}

TEST_CASE("PageRank: unweighted edge lists count duplicate edges as networkx does", "[graph]") {
  for (const char* name : {"dangling", "loops_dups", "random_unweighted"}) {
    INFO("case " << name);
    const Case c = load_case(name);
    PageRank<double> pr(case_params<double>(c, 1e-14));
    pr.fit(case_graph<double>(c, false));
    require_close(pr.scores(), c.expected, 1e-13);
  }
}

TEST_CASE("PageRank: node order and index width do not change the scores", "[graph]") {
  const Case c = load_case("random_pers");
  for (const NodeOrder order :
       {NodeOrder::by_in_degree, NodeOrder::by_out_degree, NodeOrder::dangling_last}) {
    for (const bool narrow : {true, false}) {
      const auto g = case_graph<double>(c, true, {.order = order, .narrow_indices = narrow});
      CHECK(g.has_narrow_indices() == narrow);
      PageRank<double> pr(case_params<double>(c, 1e-14));
      pr.fit(g);
      require_close(pr.scores(), c.expected, 1e-13);
    }
  }
}

TEST_CASE("PageRank: fit on a sparse adjacency equals fit on the edge list", "[graph]") {
  const Case c = load_case("weighted");
  std::vector<Eigen::Triplet<double>> triplets;
  for (std::size_t e = 0; e < c.src.size(); ++e) {
    triplets.emplace_back(static_cast<int>(c.src[e]), static_cast<int>(c.dst[e]), c.w[e]);
  }
  const auto n = static_cast<Eigen::Index>(c.n);
  Eigen::SparseMatrix<double> A(n, n);
  A.setFromTriplets(triplets.begin(), triplets.end());  // sums the duplicate edge
  PageRank<double> pr(case_params<double>(c, 1e-14));
  pr.fit(A);
  require_close(pr.scores(), c.expected, 1e-13);
  Eigen::SparseMatrix<double, Eigen::RowMajor, long> R = A;
  PageRank<double> pr_rows(case_params<double>(c, 1e-14));
  pr_rows.fit(R);
  require_close(pr_rows.scores(), c.expected, 1e-13);
}

TEST_CASE("PageRank: float graphs agree with networkx to float precision", "[graph]") {
  for (const char* name : kCases) {
    INFO("case " << name);
    const Case c = load_case(name);
    PageRank<float> pr(case_params<float>(c, 1e-12));
    pr.fit(case_graph<float>(c, true));
    CHECK(pr.converged());
    require_close(pr.scores().cast<double>(), c.expected, 1e-6);
  }
}

// The SNAP tests below are optional, so this case carries their comparison with igraph on every
// clone: tests/fixtures/make_pagerank_igraph.py draws a graph with what made them useful
// (heavy-tailed in- and out-degrees, dangling and isolated nodes, self-loops, repeated edges, plus
// weights with some zeros) and stores igraph's PRPACK scores with and without the weights.
TEST_CASE("PageRank: a generated heavy-tailed graph matches igraph PRPACK", "[graph]") {
  const Case c = load_case("igraph_generated");
  REQUIRE(c.n == 2000);
  REQUIRE(c.damping == 0.85);
  REQUIRE_FALSE(c.personalization);
  // The fixture still has the features it is there to test.
  std::set<std::pair<std::int64_t, std::int64_t>> pairs;
  std::int64_t self_loops = 0, zero_weights = 0;
  for (std::size_t e = 0; e < c.src.size(); ++e) {
    pairs.emplace(c.src[e], c.dst[e]);
    self_loops += c.src[e] == c.dst[e] ? 1 : 0;
    zero_weights += c.w[e] == 0.0 ? 1 : 0;
  }
  CHECK(self_loops > 50);
  CHECK(c.src.size() - pairs.size() > 200);  // repeated edges
  CHECK(zero_weights > 10);
  const auto weighted_graph = case_graph<double>(c, true);
  const auto unweighted_graph = case_graph<double>(c, false);
  CHECK(unweighted_graph.n_dangling() > 400);
  CHECK(weighted_graph.n_dangling() > unweighted_graph.n_dangling());  // all-zero out-weights
  CHECK(weighted_graph.is_weighted());

  const Vector<double> unweighted_scores =
      load_fixture("pagerank/igraph_generated_unweighted_scores.csv").col(0);
  for (const bool weighted : {true, false}) {
    INFO((weighted ? "weighted" : "unweighted"));
    const Vector<double>& want = weighted ? c.expected : unweighted_scores;
    REQUIRE(want.size() == c.n);
    PageRank<double> pr(case_params<double>(c, 1e-14));
    pr.fit(weighted ? weighted_graph : unweighted_graph);
    CHECK(pr.converged());
    const Vector<double> error = (pr.scores() - want).cwiseAbs();
    Eigen::Index worst = 0;
    error.maxCoeff(&worst);
    INFO("L1 |osprey - igraph| = " << error.sum() << ", largest " << error(worst) << " at node "
                                   << worst);
    CHECK(error.sum() < 1e-10);
    // The same top-20 check as wiki-Vote's. Neighbouring igraph scores of the top 21 lie more
    // than 1e-9 apart (the script and the REQUIRE make sure), so rounding cannot reorder them.
    const auto want_order = ranking(want);
    const auto got_order = ranking(pr.scores());
    for (std::size_t r = 0; r < 20; ++r) {
      INFO("rank " << r);
      REQUIRE(want(want_order[r]) - want(want_order[r + 1]) > 1e-9);
      CHECK(got_order[r] == want_order[r]);
      CHECK_THAT(pr.scores()(want_order[r]), WithinAbs(want(want_order[r]), 1e-10));
    }
  }
}

TEST_CASE("PageRank: email-Eu-core matches igraph PRPACK", "[.][graph][snap]") {
  const std::string path = data_path("graph_email_eu_core/email-Eu-core.txt");
  INFO("set OSPREY_DATA_DIR to the folder that holds the SNAP graph (" << path << ")");
  REQUIRE(exists(path));
  const auto list = osprey::read_edge_list<double>(path, {.relabel = true});
  const auto g = to_graph<double>(list);
  CHECK(g.n_nodes() == 1005);
  PageRank<double> pr({.tol = 1e-14});
  pr.fit(g);
  CHECK(pr.converged());
  require_close(pr.scores(), load_fixture("pagerank/email_eu_core_igraph.csv").col(0), 1e-13);
}

TEST_CASE("PageRank: wiki-Vote top 20 match igraph PRPACK", "[.][graph][snap]") {
  const std::string path = data_path("graph_wiki_vote/wiki-Vote.txt");
  INFO("set OSPREY_DATA_DIR to the folder that holds the SNAP graph (" << path << ")");
  REQUIRE(exists(path));
  const auto list = osprey::read_edge_list<double>(path, {.relabel = true});
  const auto g = to_graph<double>(list);
  CHECK(g.n_nodes() == 7115);
  CHECK(g.n_edges() == 103689);
  PageRank<double> pr({.tol = 1e-13});
  pr.fit(g);
  const Matrix<double> top = load_fixture("pagerank/wiki_vote_igraph_top.csv");
  std::vector<Eigen::Index> order(static_cast<std::size_t>(g.n_nodes()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return pr.scores()(a) > pr.scores()(b); });
  for (Eigen::Index r = 0; r < top.rows(); ++r) {
    INFO("rank " << r);
    CHECK(order[static_cast<std::size_t>(r)] == static_cast<Eigen::Index>(top(r, 0)));
    CHECK(list.ids[static_cast<std::size_t>(order[static_cast<std::size_t>(r)])] ==
          static_cast<std::int64_t>(top(r, 1)));
    CHECK_THAT(pr.scores()(static_cast<Eigen::Index>(top(r, 0))), WithinAbs(top(r, 2), 1e-13));
  }
}

TEST_CASE("PageRank: scores are a probability vector on random graphs", "[graph][property]") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const auto g = random_graph(200, 900, seed);
    PageRank<double> pr;
    pr.fit(g);
    CHECK(pr.converged());
    CHECK(pr.scores().minCoeff() > 0.0);
    CHECK_THAT(pr.scores().sum(), WithinAbs(1.0, 1e-14));
  }
}

TEST_CASE("PageRank: permuting node ids permutes the scores", "[graph][property]") {
  const Case c = load_case("random_pers");
  std::vector<std::int64_t> perm(static_cast<std::size_t>(c.n));
  std::iota(perm.begin(), perm.end(), std::int64_t{0});
  std::uint64_t state = 7;
  for (std::size_t i = perm.size() - 1; i > 0; --i) {  // Fisher-Yates with a fixed LCG
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    std::swap(perm[i], perm[(state >> 33) % (i + 1)]);
  }
  Case p = c;
  for (std::size_t e = 0; e < c.src.size(); ++e) {
    p.src[e] = perm[static_cast<std::size_t>(c.src[e])];
    p.dst[e] = perm[static_cast<std::size_t>(c.dst[e])];
  }
  for (std::int64_t i = 0; i < c.n; ++i) {
    (*p.personalization)(perm[static_cast<std::size_t>(i)]) = (*c.personalization)(i);
  }
  PageRank<double> a(case_params<double>(c, 1e-14)), b(case_params<double>(p, 1e-14));
  a.fit(case_graph<double>(c, true));
  b.fit(case_graph<double>(p, true));
  for (std::int64_t i = 0; i < c.n; ++i) {
    CHECK_THAT(b.scores()(perm[static_cast<std::size_t>(i)]), WithinAbs(a.scores()(i), 1e-14));
  }
}

TEST_CASE("PageRank: a regular graph gives uniform scores", "[graph][property]") {
  const auto g = regular_graph(101);
  PageRank<double> pr;
  pr.fit(g);
  CHECK(pr.converged());
  CHECK(pr.iterations() == 1);
  for (Eigen::Index i = 0; i < 101; ++i) CHECK_THAT(pr.scores()(i), WithinAbs(1.0 / 101, 1e-15));
}

TEST_CASE("PageRank: a graph without edges gives the teleport distribution", "[graph]") {
  const auto g = Graph<double>::from_edges(4, std::vector<Graph<double>::Edge>{});
  CHECK(g.n_edges() == 0);
  CHECK(g.n_dangling() == 4);
  PageRank<double> uniform;
  uniform.fit(g);
  CHECK(uniform.converged());
  for (Eigen::Index i = 0; i < 4; ++i) CHECK_THAT(uniform.scores()(i), WithinAbs(0.25, 1e-15));
  Vector<double> p(4);
  p << 1, 0, 3, 0;
  PageRank<double> personal({.personalization = p});
  personal.fit(g);
  CHECK_THAT(personal.scores()(0), WithinAbs(0.25, 1e-12));
  CHECK_THAT(personal.scores()(2), WithinAbs(0.75, 1e-12));
  CHECK_THAT(personal.scores()(1), WithinAbs(0.0, 1e-12));
}

TEST_CASE("PageRank: damping 0 returns the personalization after one step", "[graph]") {
  const Case c = load_case("random_pers");
  PageRank<double> pr({.damping = 0.0, .personalization = *c.personalization});
  pr.fit(case_graph<double>(c, true));
  CHECK(pr.converged());
  CHECK(pr.iterations() == 2);
  require_close(pr.scores(), *c.personalization / c.personalization->sum(), 1e-15);
}

TEST_CASE("PageRank: conformance - accessors before fit throw NotFittedError", "[graph]") {
  const PageRank<double> pr;
  CHECK_FALSE(pr.is_fitted());
  require_throws_containing<osprey::NotFittedError>([&] { (void)pr.scores(); }, "PageRank");
  require_throws_containing<osprey::NotFittedError>([&] { (void)pr.iterations(); }, "PageRank");
  require_throws_containing<osprey::NotFittedError>([&] { (void)pr.converged(); }, "PageRank");
  require_throws_containing<osprey::NotFittedError>([&] { (void)pr.residual(); }, "PageRank");
}

TEST_CASE("PageRank: conformance - fit returns itself and refits are identical", "[graph]") {
  const auto g = random_graph(300, 2000, 11);
  PageRank<double> a;
  CHECK(&a.fit(g) == &a);
  CHECK(a.is_fitted());
  const Vector<double> first = a.scores();
  a.fit(g);
  CHECK(a.scores() == first);
  PageRank<double> b;
  b.fit(g);
  CHECK(b.scores() == first);
  CHECK(b.iterations() == a.iterations());
  CHECK(b.residual() == a.residual());
}

TEST_CASE("PageRank: conformance - scores are bit-identical on any thread count", "[graph]") {
  // Large enough for several reduction blocks.
  const auto g = random_graph(20000, 120000, 3);
  PageRank<double> one({.n_threads = 1});
  one.fit(g);
  for (const int threads : {2, 3, 0}) {
    INFO("n_threads = " << threads);
    PageRank<double> many({.n_threads = threads});
    many.fit(g);
    CHECK(many.scores() == one.scores());
    CHECK(many.residual() == one.residual());
    CHECK(many.iterations() == one.iterations());
  }
}

TEST_CASE("PageRank: conformance - concurrent const reads see the fitted scores", "[graph]") {
  const auto g = random_graph(300, 2000, 5);
  PageRank<double> pr;
  pr.fit(g);
  const PageRank<double>& shared = pr;
  std::vector<double> sums(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < sums.size(); ++t) {
    threads.emplace_back([&, t] { sums[t] = shared.scores().sum() + shared.residual(); });
  }
  for (auto& th : threads) th.join();
  for (const double s : sums) CHECK(s == pr.scores().sum() + pr.residual());
}

TEST_CASE("PageRank: conformance - float and double agree", "[graph]") {
  const Case c = load_case("random");
  PageRank<float> f(case_params<float>(c, 1e-10));
  PageRank<double> d(case_params<double>(c, 1e-10));
  f.fit(case_graph<float>(c, true));
  d.fit(case_graph<double>(c, true));
  require_close(f.scores().cast<double>(), d.scores(), 1e-7);
}

TEST_CASE("PageRank: conformance - set_params validates and resets the fit", "[graph]") {
  const auto g = regular_graph(10);
  PageRank<double> pr;
  pr.fit(g);
  require_throws_containing<osprey::InvalidArgument>([&] { pr.set_params({.damping = 1.0}); },
                                                     "damping");
  CHECK(pr.is_fitted());
  CHECK(pr.params().damping == 0.85);
  pr.set_params({.damping = 0.5});
  CHECK_FALSE(pr.is_fitted());
  CHECK(pr.params().damping == 0.5);
}

TEST_CASE("PageRank: stopping at max_iter is reported or thrown as Params ask", "[graph]") {
  const auto g = random_graph(300, 2000, 9);
  PageRank<double> quiet({.max_iter = 3});
  quiet.fit(g);
  CHECK_FALSE(quiet.converged());
  CHECK(quiet.iterations() == 3);
  CHECK(quiet.residual() >= quiet.params().tol);
  CHECK_THAT(quiet.scores().sum(), WithinAbs(1.0, 1e-14));
  PageRank<double> loud({.max_iter = 3, .throw_on_no_convergence = true});
  require_throws_containing<osprey::ConvergenceError>([&] { loud.fit(g); }, "3 iterations");
  CHECK_FALSE(loud.is_fitted());
}

TEST_CASE("PageRank: the progress callback sees every iteration", "[graph]") {
  const auto g = random_graph(300, 2000, 13);
  std::vector<osprey::Progress> seen;
  PageRank<double> pr({.progress = [&](const osprey::Progress& p) { seen.push_back(p); }});
  pr.fit(g);
  REQUIRE(static_cast<int>(seen.size()) == pr.iterations());
  for (std::size_t k = 0; k < seen.size(); ++k) {
    CHECK(seen[k].done == k + 1);
    CHECK(seen[k].total == 1000);
    CHECK(seen[k].stage == "iteration");
  }
  CHECK(seen.back().value == pr.residual());
  CHECK(seen.front().value > seen.back().value);
}

TEST_CASE("PageRank: invalid parameters name the parameter and the value", "[graph]") {
  using P = PageRank<double>;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  require_throws_containing<osprey::InvalidArgument>([] { P({.damping = 1.0}); },
                                                     "damping must be in [0, 1) (got 1)");
  require_throws_containing<osprey::InvalidArgument>([] { P({.damping = -0.1}); }, "damping");
  require_throws_containing<osprey::InvalidArgument>([&] { P({.damping = nan}); }, "damping");
  require_throws_containing<osprey::InvalidArgument>([] { P({.tol = 0.0}); }, "tol");
  require_throws_containing<osprey::InvalidArgument>([] { P({.max_iter = 0}); }, "max_iter");
  require_throws_containing<osprey::InvalidArgument>([] { P({.n_threads = -1}); }, "n_threads");
  Vector<double> negative(3);
  negative << 0.5, -0.1, 1.0;
  require_throws_containing<osprey::InvalidArgument>([&] { P({.personalization = negative}); },
                                                     "personalization must be finite and >= 0");
  Vector<double> with_nan(3);
  with_nan << 0.5, nan, 1.0;
  require_throws_containing<osprey::InvalidArgument>([&] { P({.personalization = with_nan}); },
                                                     "index 1");
  const Vector<double> zeros = Vector<double>::Zero(3);
  require_throws_containing<osprey::InvalidArgument>([&] { P({.personalization = zeros}); },
                                                     "all zero");
  P wrong_length({.personalization = Vector<double>::Ones(3)});
  require_throws_containing<osprey::InvalidArgument>([&] { wrong_length.fit(regular_graph(10)); },
                                                     "personalization has 3 entries");
}

TEST_CASE("Graph: invalid edge lists name the culprit", "[graph]") {
  using G = Graph<double>;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  require_throws_containing<osprey::InvalidArgument>(
      [] { (void)G::from_edges(0, std::vector<G::Edge>{}); }, "at least one node");
  require_throws_containing<osprey::InvalidArgument>(
      [] {
        (void)G::from_edges(3, {{0, 1}, {1, 3}});
      },
      "edge 1 (1 -> 3)");
  require_throws_containing<osprey::InvalidArgument>(
      [] {
        (void)G::from_edges(3, {{0, 1}, {-1, 2}});
      },
      "out of range");
  require_throws_containing<osprey::InvalidArgument>(
      [] {
        (void)G::from_edges(3, {{0, 1}, {1, 2}}, {1.0, -2.0});
      },
      "weights[1]");
  require_throws_containing<osprey::InvalidArgument>(
      [&] {
        (void)G::from_edges(3, {{0, 1}, {1, 2}}, {nan, 1.0});
      },
      "weights[0]");
  require_throws_containing<osprey::InvalidArgument>(
      [] {
        (void)G::from_edges(3, {{0, 1}, {1, 2}}, {1.0});
      },
      "weights has 1 entries");
  const std::vector<std::int64_t> s{0, 1}, t{1};
  require_throws_containing<osprey::InvalidArgument>(
      [&] {
        (void)G::from_edges(3, std::span<const std::int64_t>(s), std::span<const std::int64_t>(t));
      },
      "sources and targets");
  Eigen::SparseMatrix<double> rect(3, 4);
  require_throws_containing<osprey::InvalidArgument>([&] { (void)G::from_adjacency(rect); },
                                                     "square");
  Eigen::SparseMatrix<double> neg(3, 3);
  neg.insert(2, 1) = -1.0;
  require_throws_containing<osprey::InvalidArgument>([&] { (void)G::from_adjacency(neg); },
                                                     "row 2, column 1");
  Eigen::SparseMatrix<double> empty(0, 0);
  require_throws_containing<osprey::InvalidArgument>([&] { (void)G::from_adjacency(empty); },
                                                     "at least one node");
  PageRank<double> pr;
  require_throws_containing<osprey::InvalidArgument>([&] { pr.fit(empty); }, "at least one node");
  CHECK_FALSE(pr.is_fitted());
  const auto g = regular_graph(5);
  require_throws_containing<osprey::InvalidArgument>([&] { (void)g.out_weight(5); }, "node 5");
}

TEST_CASE("Graph: merges duplicates, keeps self-loops and reports dangling nodes", "[graph]") {
  const auto g = Graph<double>::from_edges(6, {{0, 1}, {0, 1}, {1, 1}, {1, 2}, {3, 2}, {2, 0}});
  CHECK(g.n_nodes() == 6);
  CHECK(g.n_edges() == 5);
  CHECK_FALSE(g.is_weighted());  // the duplicate 0 -> 1 is kept twice, no weight array
  CHECK(g.out_weight(0) == 2.0);
  CHECK(g.out_weight(1) == 2.0);
  CHECK(g.out_weight(4) == 0.0);
  CHECK(g.in_degree(1) == 2);
  CHECK(g.in_degree(5) == 0);
  CHECK(g.dangling_nodes() == std::vector<std::int64_t>{4, 5});
  const auto merged =
      Graph<double>::from_edges(3, {{0, 1}, {0, 1}, {1, 2}, {2, 0}}, {1.0, 1.0, 1.0, 1.0});
  CHECK(merged.n_edges() == 3);
  CHECK(merged.is_weighted());  // weighted duplicates merge into 0 -> 1 of weight 2
  CHECK(merged.out_weight(0) == 2.0);
  const auto ones = Graph<double>::from_edges(3, {{0, 1}, {1, 2}}, {1.0, 1.0});
  CHECK_FALSE(ones.is_weighted());
  const auto simple = Graph<float>::from_edges(3, {{0, 1}, {1, 2}});
  CHECK_FALSE(simple.is_weighted());
  CHECK(simple.has_narrow_indices());
  // A node whose out-edges all weigh 0 is dangling, as in networkx.
  const auto zero = Graph<double>::from_edges(3, {{0, 1}, {1, 2}}, {0.0, 1.0});
  CHECK(zero.dangling_nodes() == std::vector<std::int64_t>{0, 2});
}

TEST_CASE("Graph: reads SNAP edge lists through read_edge_list", "[graph]") {
  std::istringstream text("# comment\n10 20\n20 30\n30 10\n30 20\n");
  const auto list = osprey::read_edge_list<float>(text, {.relabel = true});
  const auto g = to_graph<float>(list);
  CHECK(g.n_nodes() == 3);
  CHECK(g.n_edges() == 4);
  CHECK(g.out_weight(2) == 2.0);
}

TEST_CASE("Graph: memory stays near 4 bytes per edge plus 28 per node", "[graph]") {
  const auto g = random_graph(10000, 160000, 17);
  const auto n = static_cast<std::size_t>(g.n_nodes());
  const std::size_t m = 160000;  // edges given (duplicates included), an upper bound on entries
  CHECK_FALSE(g.is_weighted());
  // Offsets, sources, the out-weight normaliser and the two id maps.
  CHECK(g.memory_bytes() <= 4 * (n + 1) + 4 * m + 24 * n);
  // Extrapolated to 1M nodes and 16M edges: about 90 MiB, under the 300 MiB budget.
  CHECK(4 * (1u << 20) + 4 * (16u << 20) + 24 * (1u << 20) < (300u << 20));
}

TEST_CASE("spmv_pull: matches a dense product, weighted and not", "[graph][kernels]") {
  const std::int64_t n = 257;
  std::vector<std::uint32_t> offsets{0};
  std::vector<std::uint32_t> indices;
  std::vector<float> values;
  Matrix<double> dense = Matrix<double>::Zero(n, n);
  std::uint64_t state = 99;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t len = i % 17 == 0 ? 40 : i % 7;
    for (std::int64_t k = 0; k < len; ++k) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const auto j = static_cast<std::uint32_t>((state >> 33) % static_cast<std::uint64_t>(n));
      const auto v = static_cast<float>(0.25 * static_cast<double>(k + 1));
      indices.push_back(j);
      values.push_back(v);
      dense(i, j) += v;
    }
    offsets.push_back(static_cast<std::uint32_t>(indices.size()));
  }
  const Vector<double> x = Vector<double>::LinSpaced(n, -1.0, 2.0);
  const auto blocks = osprey::kernels::balanced_row_blocks(offsets.data(), n, 9);
  CHECK(blocks.front() == 0);
  CHECK(blocks.back() == n);
  CHECK(std::is_sorted(blocks.begin(), blocks.end()));
  osprey::kernels::CompressedRows<std::uint32_t, std::uint32_t, float> A{
      n, offsets.data(), indices.data(), values.data()};
  Vector<double> y(n);
  osprey::kernels::spmv_pull(A, x.data(), y.data(), blocks, 2);
  require_close(y, dense * x, 1e-12);
  A.values = nullptr;
  const Matrix<double> pattern = (dense.array() != 0.0).cast<double>();
  Matrix<double> counts = Matrix<double>::Zero(n, n);
  for (std::int64_t i = 0; i < n; ++i) {
    for (auto k = offsets[static_cast<std::size_t>(i)];
         k < offsets[static_cast<std::size_t>(i) + 1]; ++k) {
      counts(i, indices[k]) += 1.0;
    }
  }
  osprey::kernels::spmv_pull(A, x.data(), y.data(), blocks, 1);
  require_close(y, counts * x, 1e-12);
  CHECK(pattern.sum() <= counts.sum());
}

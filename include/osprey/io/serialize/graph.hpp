/** \file
 *  Serialisers of Graph (its in-edge arrays, node order and out-weights, so a restored graph
 *  is the same object to the last bit) and of a fitted PageRank (parameters, scores and the
 *  convergence report) (docs/model-format.md). Not API.
 */
#pragma once

#include <cstdint>
#include <limits>
#include <utility>
#include <variant>
#include <vector>

#include "../../graph/graph.hpp"
#include "../../graph/pagerank.hpp"
#include "common.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** Payload: u8 index layout (0 narrow, 1 wide offsets, 2 wide), u64 n_nodes, u64 n_active;
 *  offsets (u64 n + 1, u64 each), sources (u64 m, u64 each), weights (u64 0 or m, scalars),
 *  out-weights per internal id (u64 n, f64 each), old id of each internal id (u64 n, u64 each). */
template <class S>
struct Serial::Io<Graph<S>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "Graph",
                                       "graph"};  ///< names in messages
  /** "Graph<float>" or "Graph<double>". */
  static std::string tag() { return model_tag<S>("Graph"); }

  /** The payload. */
  static void write(const Graph<S>& g, ByteWriter& w) {
    w.u8(static_cast<std::uint8_t>(g.in_.index()));
    w.u64(static_cast<std::uint64_t>(g.n_nodes_));
    w.u64(static_cast<std::uint64_t>(g.n_active_));
    std::visit(
        [&](const auto& in) {
          write_values<std::uint64_t>(w, in.offsets);
          write_values<std::uint64_t>(w, in.sources);
          write_values<S>(w, in.weights);
        },
        g.in_);
    write_values<double>(w, g.scale_);
    write_values<std::uint64_t>(w, g.old_of_new_);
  }

  /** The graph of a payload, validated: CSR offsets from 0, monotone, ending at the edge count;
   *  sources in range and non-decreasing per node (an unweighted duplicate
   *  edge is a repeated source); weights finite and >= 0; positive finite
   *  out-weights; a permutation of the node ids. */
  static Graph<S> read(ByteReader& r) {
    const std::uint8_t layout = r.u8();
    if (layout > 2) corrupted(format, "index layout ", int{layout});
    Graph<S> g;
    const std::uint64_t n = r.u64();
    const std::uint64_t n_active = r.u64();
    constexpr auto narrow_max = std::uint64_t{std::numeric_limits<std::uint32_t>::max()};
    if (n < 1 || n > r.remaining() / 8 || (layout < 2 && n >= narrow_max)) {
      corrupted(format, n, " nodes");
    }
    if (n_active > n) corrupted(format, n_active, " active nodes of ", n);
    g.n_nodes_ = static_cast<std::int64_t>(n);
    g.n_active_ = static_cast<std::int64_t>(n_active);
    switch (layout) {
      case 0:
        g.in_ = read_edges<std::uint32_t, std::uint32_t>(r, n);
        break;
      case 1:
        g.in_ = read_edges<std::uint64_t, std::uint32_t>(r, n);
        break;
      default:
        g.in_ = read_edges<std::uint64_t, std::uint64_t>(r, n);
        break;
    }
    g.n_edges_ = std::visit([](const auto& in) { return distinct_edges(in); }, g.in_);
    g.scale_ = read_values<double, std::vector<double>>(r, format, "out-weights", n);
    for (const double v : g.scale_) {
      if (!(v > 0.0)) corrupted(format, "out-weight ", v);
    }
    read_order(r, n, g);
    return g;
  }

 private:
  /** Distinct (source, target) pairs: an unweighted graph keeps a duplicated edge as a repeated
   *  source (graph.hpp, `compress`), which counts once in `n_edges()`. */
  template <class In>
  static std::int64_t distinct_edges(const In& in) {
    std::int64_t distinct = 0;
    for (std::size_t i = 0; i + 1 < in.offsets.size(); ++i) {
      const auto begin = static_cast<std::size_t>(in.offsets[i]);
      const auto end = static_cast<std::size_t>(in.offsets[i + 1]);
      for (std::size_t k = begin; k < end; ++k) {
        distinct += (k == begin || in.sources[k] != in.sources[k - 1]) ? 1 : 0;
      }
    }
    return distinct;
  }

  template <class O, class I>
  static InEdges<O, I, S> read_edges(ByteReader& r, std::uint64_t n) {
    InEdges<O, I, S> in;
    const auto offsets = read_values<std::uint64_t, std::vector<std::uint64_t>>(
        r, format, "offsets", static_cast<std::size_t>(n + 1));
    const auto sources =
        read_values<std::uint64_t, std::vector<std::uint64_t>>(r, format, "sources");
    const std::uint64_t m = sources.size();
    if (offsets[0] != 0 || offsets.back() != m) corrupted(format, "offsets do not span the edges");
    if (m > std::uint64_t{std::numeric_limits<O>::max()}) corrupted(format, m, " edges");
    in.offsets.assign(offsets.begin(), offsets.end());
    in.sources.resize(sources.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (offsets[i] > offsets[i + 1] || offsets[i + 1] > m) {
        corrupted(format, "offsets decrease or pass the edge count at node ", i);
      }
      for (auto k = offsets[i]; k < offsets[i + 1]; ++k) {
        const std::uint64_t s = sources[k];
        if (s >= n || (k > offsets[i] && s < sources[k - 1])) {
          corrupted(format, "source ", s, " of node ", i, " out of range or order");
        }
        in.sources[k] = static_cast<I>(s);
      }
    }
    in.weights = read_values<S, std::vector<S>>(r, format, "weights");
    if (!in.weights.empty() && in.weights.size() != m) corrupted(format, "weight count");
    for (const S w : in.weights) {
      if (!(w >= S(0))) corrupted(format, "weight ", w);
    }
    return in;
  }

  static void read_order(ByteReader& r, std::uint64_t n, Graph<S>& g) {
    const auto old = read_values<std::uint64_t, std::vector<std::uint64_t>>(
        r, format, "node order", static_cast<std::size_t>(n));
    g.old_of_new_.resize(old.size());
    g.new_of_old_.assign(old.size(), -1);
    for (std::size_t i = 0; i < old.size(); ++i) {
      if (old[i] >= n || g.new_of_old_[old[i]] != -1) {
        corrupted(format, "the node order is not a permutation (", old[i], " at ", i, ")");
      }
      g.old_of_new_[i] = static_cast<std::int64_t>(old[i]);
      g.new_of_old_[old[i]] = static_cast<std::int64_t>(i);
    }
  }
};

/** Payload: f64 damping, f64 tol, u32 max_iter, u8 dangling, u8 throw_on_no_convergence, u8
 *  has personalization, personalization (u64 n, f64 each); u32 iterations, u8 converged, f64
 *  residual, scores (u64 n, scalars). */
template <class S>
struct Serial::Io<PageRank<S>> {
  static constexpr bool supported = true;                  ///< serialisable
  static constexpr std::uint8_t scalar_bytes = sizeof(S);  ///< Scalar's size
  static constexpr BinaryFormat format{kModelMagic, kModelFormatVersion, "PageRank",
                                       "model"};  ///< names in messages
  /** "PageRank<float>" or "PageRank<double>". */
  static std::string tag() { return model_tag<S>("PageRank"); }

  /** The payload. \throws NotFittedError before fit. */
  static void write(const PageRank<S>& m, ByteWriter& w) {
    const auto& s = m.state();
    const auto& p = m.params_;
    w.f64(p.damping);
    w.f64(p.tol);
    w.u32(static_cast<std::uint32_t>(p.max_iter));
    w.u8(static_cast<std::uint8_t>(p.dangling));
    w.u8(p.throw_on_no_convergence ? 1 : 0);
    w.u8(p.personalization ? 1 : 0);
    write_values<double>(w, p.personalization.value_or(Eigen::VectorXd()));
    w.u32(static_cast<std::uint32_t>(s.iterations));
    w.u8(s.converged ? 1 : 0);
    w.f64(s.residual);
    write_values<S>(w, s.scores);
  }

  /** The fitted PageRank of a payload, validated (the parameters as the constructor checks
   *  them; scores finite, >= 0 and one per personalization entry). */
  static PageRank<S> read(ByteReader& r) {
    PageRankParams p;
    p.damping = r.f64();
    p.tol = r.f64();
    p.max_iter = read_int(r, format, "max_iter");
    const std::uint8_t dangling = r.u8();
    if (dangling > 1) corrupted(format, "dangling ", int{dangling});
    p.dangling = static_cast<Dangling>(dangling);
    p.throw_on_no_convergence = read_flag(r, format, "throw_on_no_convergence");
    const bool personalized = read_flag(r, format, "personalization");
    auto v = read_values<double, Eigen::VectorXd>(r, format, "personalization", {}, false);
    if (personalized) {
      p.personalization = std::move(v);
    } else if (v.size() != 0) {
      corrupted(format, "a personalization without its flag");
    }
    PageRank<S> m(p);  // validates
    PageRankState<S> s;
    s.iterations = read_int(r, format, "iterations", p.max_iter);
    s.converged = read_flag(r, format, "converged");
    s.residual = r.f64();
    if (!(s.residual >= 0.0)) corrupted(format, "residual ", s.residual);
    s.scores = read_values<S, Vector<S>>(r, format, "scores");
    if (s.scores.size() < 1) corrupted(format, "no scores");
    if (p.personalization && p.personalization->size() != s.scores.size()) {
      corrupted(format, s.scores.size(), " scores for a personalization of ",
                p.personalization->size());
    }
    for (Eigen::Index i = 0; i < s.scores.size(); ++i) {
      if (!(s.scores(i) >= S(0))) corrupted(format, "score ", s.scores(i), " at ", i);
    }
    m.state_ = std::move(s);
    return m;
  }
};

}  // namespace detail
OSPREY_NAMESPACE_END

/** \file
 *  `dist::PageRank<Scalar>`: osprey::PageRank over p ranks, with a 1-D contiguous partition of
 *  the nodes. Rank r owns nodes [n r / p, n (r + 1) / p) (`contiguous_block`), their scores and
 *  their in-edges; the scores equal single-node `osprey::PageRank`'s to rounding (1e-12) after
 *  the same number of iterations, for the same Params.
 *
 *  `fit` takes any subset of the edges on each rank (every edge on exactly one rank, e.g. each
 *  rank's slice of a file from `read_edge_list_slice`) and:
 *  1. sends each edge to the owner of its target (one all_to_allv of 24 bytes per edge);
 *  2. merges duplicate edges there as osprey::Graph does (weights summed, self-loops kept), and
 *     names the sources owned elsewhere, the rank's *ghosts*;
 *  3. tells each ghost's owner which scores this rank needs (all_to_allv of the ghost ids, once:
 *     the exchange pattern) and sends it the out-weight this rank's edges give each ghost
 *     (all_to_allv of two doubles per ghost), so every owner knows its nodes' out-weights;
 *  4. power-iterates exactly the update of osprey::PageRank (graph/pagerank.hpp): each
 *     iteration sends every rank the owned scores it needs (all_to_allv of one double per
 *     ghost, `PageRankTraffic::exchange_bytes_sent`), computes the owned rows, and combines the
 *     L1 change, the dangling mass and a stop flag over the ranks (all_gather of three doubles
 *     per rank, added in rank order, so every rank takes the same decisions).
 *
 *  Communication per iteration, rank r: 8 bytes per (ghost, rank needing it) pair sent, plus
 *  24 (p - 1) bytes; docs/scaling.md models it as a function of n, m, p and locality and
 *  checks the model against `traffic()`.
 */
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "../core/error.hpp"
#include "../core/parallel.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../graph/pagerank.hpp"
#include "../io/edge_list.hpp"
#include "../kernels/spmv.hpp"
#include "communicator.hpp"
#include "detail/pagerank_graph.hpp"
#include "partition.hpp"

OSPREY_NAMESPACE_BEGIN
namespace dist {

/** What one rank's `dist::PageRank::fit` communicated (bytes as `CommStats` counts them). */
struct PageRankTraffic {
  std::uint64_t ghosts = 0;                ///< scores received per iteration (owned elsewhere)
  std::uint64_t sent_entries = 0;          ///< scores sent per iteration to other ranks
  std::uint64_t exchange_bytes_sent = 0;   ///< per iteration: the ghost exchange, 8 sent_entries
  std::uint64_t reduce_bytes_sent = 0;     ///< per iteration: L1 change, dangling mass, stop flag
  std::uint64_t setup_bytes_sent = 0;      ///< once: validation, edges, pattern, out-weights
  std::uint64_t iteration_bytes_sent = 0;  ///< all iterations together, measured
  std::uint64_t local_edges = 0;           ///< distinct in-edges of the owned nodes
};

namespace detail {

/** Everything a fit leaves. */
template <class Scalar>
struct DistPageRankState {
  Vector<Scalar> scores;  ///< owned nodes
  RowRange owned;
  int iterations = 0;
  bool converged = false;
  double residual = 0.0;
  std::int64_t n_edges = 0, n_dangling = 0;
  PageRankTraffic traffic;
};

}  // namespace detail

/** PageRank over p ranks with a 1-D contiguous node partition; see the file comment.
 *
 *  The Params are osprey::PageRankParams with the same meaning, and the result is that of
 *  `osprey::PageRank<Scalar>` on the union of the ranks' edges: the same update, dangling
 *  policy, personalization, weights (duplicates summed, self-loops kept, zero weights allowed),
 *  tol / max_iter semantics and ConvergenceError. `personalization` may hold all n entries (a
 *  rank reads its owned ones) or only this rank's owned ones (`owned_range()`, which
 *  `contiguous_block(n, rank, size)` gives before fit). `progress` is called on every rank after
 *  every iteration; cancelling any rank's token stops every rank at the end of the iteration
 *  (Cancelled on every rank, the previous result kept). `n_threads` threads run each rank's rows.
 *
 *  \tparam ScalarT float or double: the type of the weights and the scores; the iteration runs
 *  in double. Complexity per rank: O(m_r log m_r) setup for its m_r in-edges, then O(n/p + m_r
 *  + ghosts) per iteration. Memory per rank: 16 bytes per in-edge (12 when unweighted), 40 per
 *  owned node, 12 per ghost. Thread safety: fit is collective; const accessors may run
 *  concurrently. */
template <class ScalarT = double>
class PageRank {
 public:
  using Scalar = ScalarT;         ///< type of the weights and the scores
  using Params = PageRankParams;  ///< the parameters of osprey::PageRank

  /** Default parameters. */
  PageRank() = default;
  /** \throws InvalidArgument on an invalid damping, tol, max_iter or n_threads (the
   *  personalization is checked by fit, on every rank). */
  explicit PageRank(const Params& params) : params_(params) { validate(params_); }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters; the estimator becomes unfitted. \throws as the constructor. */
  PageRank& set_params(const Params& params) {
    validate(params);
    params_ = params;
    state_.reset();
    return *this;
  }

  /** Ranks the nodes of the graph whose edges `sources[e] -> targets[e]` (with `weights[e]`,
   *  or 1 when `weights` is empty) are spread over the ranks, each edge on one rank.
   *  Collective: every rank calls it with the same `n_nodes` and Params.
   *  \throws InvalidArgument on every rank if any rank's input is invalid (an id outside [0,
   *  n_nodes), lengths that differ, a negative or non-finite weight, weights given on some ranks
   *  but not on another that has edges, a personalization of neither n_nodes nor owned-count
   *  entries, or negative, non-finite or all zero), or if the ranks disagree on n_nodes or the
   *  Params; ConvergenceError on every rank if `throw_on_no_convergence` and max_iter
   *  iterations did not reach tol (the estimator is then unfitted); Cancelled on every rank
   *  once a rank's token is cancelled (the previous result is kept). */
  template <Communicator C>
  PageRank& fit(C& comm, std::int64_t n_nodes, std::span<const std::int64_t> sources,
                std::span<const std::int64_t> targets, std::span<const Scalar> weights = {}) {
    const CommStats start = comm.stats();
    const bool weighted = check_input(comm, n_nodes, sources, targets, weights);
    std::vector<detail::PageRankEdge> edges =
        detail::edges_to_owners(comm, n_nodes, sources, targets, weights);
    const detail::PageRankLocal g = detail::build_local<Scalar>(comm, edges, n_nodes, weighted);
    edges = {};
    detail::DistPageRankState<Scalar> s = iterate(comm, g, start);
    if (!s.converged && params_.throw_on_no_convergence) {
      state_.reset();
      throw ConvergenceError(osprey::detail::concat("PageRank did not converge in ", s.iterations,
                                                    " iterations (residual ", s.residual, ", tol ",
                                                    params_.tol, ")"));
    }
    state_ = std::move(s);
    return *this;
  }

  /** Ranks the nodes of this rank's part of an edge list (e.g. `read_edge_list_slice`'s):
   *  `fit(comm, edges.n_nodes, edges.src, edges.dst, edges.weights)`. */
  template <Communicator C>
  PageRank& fit(C& comm, const EdgeList<Scalar>& edges) {
    return fit(comm, edges.n_nodes, std::span<const std::int64_t>(edges.src),
               std::span<const std::int64_t>(edges.dst), std::span<const Scalar>(edges.weights));
  }

  /** True once fit has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** Scores of the owned nodes (`owned_range()`), in node order; all ranks' sum to 1. */
  [[nodiscard]] const Vector<Scalar>& local_scores() const { return state().scores; }
  /** The nodes this rank owns: [offset, offset + local) of total = n_nodes. */
  [[nodiscard]] RowRange owned_range() const { return state().owned; }
  /** Every node's score on every rank (collective: one all_gatherv of the owned scores). */
  template <Communicator C>
  [[nodiscard]] Vector<Scalar> gather_scores(C& comm) const {
    const Vector<Scalar>& mine = state().scores;
    const std::vector<Scalar> all = comm.all_gatherv(
        std::span<const Scalar>(mine.data(), static_cast<std::size_t>(mine.size())), nullptr);
    return Eigen::Map<const Vector<Scalar>>(all.data(), static_cast<Eigen::Index>(all.size()));
  }
  /** Iterations run (the same on every rank). */
  [[nodiscard]] int iterations() const { return state().iterations; }
  /** Whether the L1 change fell below tol within max_iter iterations. */
  [[nodiscard]] bool converged() const { return state().converged; }
  /** L1 change of the scores in the last iteration (over all nodes). */
  [[nodiscard]] double residual() const { return state().residual; }
  /** Distinct edges of the whole graph (duplicates merged), as osprey::Graph::n_edges. */
  [[nodiscard]] std::int64_t n_edges() const { return state().n_edges; }
  /** Dangling nodes of the whole graph (no out-edge of positive weight). */
  [[nodiscard]] std::int64_t n_dangling() const { return state().n_dangling; }
  /** What this rank's fit communicated: the per-iteration exchange and the setup. */
  [[nodiscard]] const PageRankTraffic& traffic() const { return state().traffic; }

 private:
  static void validate(const Params& p) {
    osprey::detail::check_param(p.damping >= 0.0 && p.damping < 1.0, "damping", p.damping,
                                "in [0, 1)");
    osprey::detail::check_param(p.tol > 0.0 && std::isfinite(p.tol), "tol", p.tol,
                                "finite and > 0");
    osprey::detail::check_param(p.max_iter >= 1, "max_iter", p.max_iter, ">= 1");
    osprey::detail::check_param(p.n_threads >= 0, "n_threads", p.n_threads, ">= 0");
  }

  const detail::DistPageRankState<Scalar>& state() const {
    osprey::detail::check_fitted(state_.has_value(), "dist::PageRank");
    return *state_;
  }

  /** This rank's input problems, first found; empty when there is none. */
  std::string local_problem(std::int64_t n, std::span<const std::int64_t> src,
                            std::span<const std::int64_t> dst, std::span<const Scalar> w,
                            std::uint64_t owned) const {
    using osprey::detail::concat;
    if (n < 1 || n > kMaxNodeId + 1) {
      return concat("n_nodes must be in [1, ", kMaxNodeId + 1, "] (got ", n, ")");
    }
    if (src.size() != dst.size()) {
      return concat("sources has ", src.size(), " entries but targets has ", dst.size());
    }
    if (!w.empty() && w.size() != src.size()) {
      return concat("weights has ", w.size(), " entries but there are ", src.size(), " edges");
    }
    for (std::size_t e = 0; e < src.size(); ++e) {
      if (src[e] < 0 || src[e] >= n || dst[e] < 0 || dst[e] >= n) {
        return concat("edge ", e, " (", src[e], " -> ", dst[e],
                      ") has a node id out of range for n_nodes = ", n);
      }
      const double x = w.empty() ? 1.0 : static_cast<double>(w[e]);
      if (!(std::isfinite(x) && x >= 0.0)) {
        return concat("weights[", e, "] must be finite and >= 0 (got ", x, ")");
      }
    }
    if (params_.personalization) {
      const auto size = static_cast<std::uint64_t>(params_.personalization->size());
      if (size != static_cast<std::uint64_t>(n) && size != owned) {
        return concat("personalization has ", size, " entries but the graph has ", n,
                      " nodes and this rank owns ", owned);
      }
    }
    return {};
  }

  /** Validates every rank's input and the ranks' agreement (throws on every rank); returns
   *  whether weights were given. */
  template <Communicator C>
  bool check_input(C& comm, std::int64_t n, std::span<const std::int64_t> src,
                   std::span<const std::int64_t> dst, std::span<const Scalar> w) {
    const std::uint64_t owned =
        n >= 1 ? contiguous_block(static_cast<std::uint64_t>(n), comm.rank(), comm.size()).local
               : 0;
    const std::string problem = local_problem(n, src, dst, w, owned);
    require_all(comm, problem.empty(), problem);
    detail::PageRankAgreement mine{};
    mine.damping = params_.damping;
    mine.tol = params_.tol;
    mine.n_nodes = n;
    mine.max_iter = params_.max_iter;
    mine.dangling = static_cast<std::int32_t>(params_.dangling);
    mine.personalized = params_.personalization ? 1 : 0;
    mine.throws = params_.throw_on_no_convergence ? 1 : 0;
    mine.edge_kind = src.empty() ? 0 : (w.empty() ? 1 : 2);
    mine.cancelled = params_.cancellation.cancelled() ? 1 : 0;
    const auto all = comm.all_gather(std::span<const detail::PageRankAgreement>(&mine, 1));
    bool weighted = false, unweighted = false, cancelled = false;
    for (std::size_t r = 0; r < all.size(); ++r) {
      const auto& a = all[r];
      if (a.damping != all[0].damping || a.tol != all[0].tol || a.n_nodes != all[0].n_nodes ||
          a.max_iter != all[0].max_iter || a.dangling != all[0].dangling ||
          a.personalized != all[0].personalized || a.throws != all[0].throws) {
        osprey::detail::fail("dist::PageRank: rank ", r, " was given other n_nodes or Params ",
                             "than rank 0 (n_nodes ", a.n_nodes, " vs ", all[0].n_nodes, ")");
      }
      weighted = weighted || a.edge_kind == 2;
      unweighted = unweighted || a.edge_kind == 1;
      cancelled = cancelled || a.cancelled != 0;
    }
    if (weighted && unweighted) {
      osprey::detail::fail(
          "dist::PageRank: weights given on some ranks but not on others that "
          "have edges; give one weight per edge on every rank, or none");
    }
    if (cancelled) throw Cancelled("dist::PageRank::fit: cancelled");
    return weighted;
  }

  /** The owned entries of the personalization, as PageRank<Scalar> reads them, normalised
   *  over the ranks; empty without one. \throws InvalidArgument (every rank) on a negative,
   *  non-finite or all-zero personalization. */
  template <Communicator C>
  std::vector<double> teleport_weights(C& comm, const RowRange& owned) const {
    if (!params_.personalization) return {};
    const Eigen::VectorXd& v = *params_.personalization;
    const bool full = static_cast<std::uint64_t>(v.size()) == owned.total;
    std::vector<double> p(static_cast<std::size_t>(owned.local));
    double sum = 0.0;
    std::string problem;
    for (std::size_t i = 0; i < p.size(); ++i) {
      const auto at = static_cast<Eigen::Index>(full ? owned.offset + i : i);
      p[i] = static_cast<double>(static_cast<Scalar>(v(at)));
      if (problem.empty() && !(std::isfinite(p[i]) && p[i] >= 0.0)) {
        problem = osprey::detail::concat("personalization must be finite and >= 0 (got ", p[i],
                                         " at node ", owned.offset + i, ")");
      }
      sum += p[i];
    }
    require_all(comm, problem.empty(), problem);
    const double total = detail::sum_in_rank_order(comm, std::array<double, 1>{sum})[0];
    if (!(total > 0.0)) osprey::detail::fail("personalization must not be all zero");
    for (double& x : p) x /= total;
    return p;
  }

  /** One iteration over the owned rows: new scaled scores into `out`; returns {L1 change,
   *  dangling mass} of this rank, summed over fixed blocks (deterministic for any n_threads). */
  template <class Teleport>
  std::array<double, 2> update(const detail::PageRankLocal& g,
                               const std::vector<std::int64_t>& blocks,
                               const std::vector<double>& in, std::vector<double>& out,
                               Teleport teleport, std::vector<std::array<double, 2>>& part) const {
    const kernels::CompressedRows<std::uint64_t, std::uint32_t, double> A{
        static_cast<std::int64_t>(g.owned.local), g.offsets.data(), g.columns.data(),
        g.coefs.empty() ? nullptr : g.coefs.data()};
    const double d = params_.damping;
    osprey::detail::parallel_for_dynamic(std::int64_t{0}, static_cast<std::int64_t>(part.size()),
                                         params_.n_threads, [&](std::int64_t b) {
                                           const auto bz = static_cast<std::size_t>(b);
                                           double res = 0.0, dang = 0.0;
                                           kernels::spmv_pull_rows<double>(
                                               A, in.data(), blocks[bz], blocks[bz + 1],
                                               [&](std::int64_t i, double sum) {
                                                 const auto iz = static_cast<std::size_t>(i);
                                                 const double x = d * sum + teleport(iz);
                                                 res += std::abs(x - in[iz] * g.scale[iz]);
                                                 out[iz] = x / g.scale[iz];
                                                 if (g.dangling[iz] != 0) dang += x;
                                               });
                                           part[bz] = {res, dang};
                                         });
    std::array<double, 2> total{0.0, 0.0};
    for (const auto& pr : part) {
      total[0] += pr[0];
      total[1] += pr[1];
    }
    return total;
  }

  /** Power iteration, osprey::PageRank's update over the owned rows; see the file comment. */
  template <Communicator C>
  detail::DistPageRankState<Scalar> iterate(C& comm, const detail::PageRankLocal& g,
                                            const CommStats& start) const {
    const auto L = static_cast<std::size_t>(g.owned.local);
    const double d = params_.damping, inv_n = 1.0 / static_cast<double>(g.owned.total);
    const std::vector<double> p = teleport_weights(comm, g.owned);
    const bool uniform_q = params_.dangling == Dangling::uniform;
    const std::vector<std::int64_t> blocks = kernels::balanced_row_blocks(
        g.offsets.data(), static_cast<std::int64_t>(L),
        std::clamp<std::int64_t>(static_cast<std::int64_t>(L + g.columns.size()) / 16384, 1, 4096));
    std::vector<std::array<double, 2>> part(blocks.size() - 1);
    std::vector<double> x_old(L + g.ghosts.size()), x_new(x_old.size()), send(g.send_index.size());
    for (std::size_t i = 0; i < L; ++i) x_old[i] = inv_n / g.scale[i];
    double dangling_sum = static_cast<double>(g.n_dangling) * inv_n;
    detail::DistPageRankState<Scalar> s;
    s.owned = g.owned;
    s.n_edges = g.n_edges;
    s.n_dangling = g.n_dangling;
    s.traffic = traffic_of(comm, g, start);
    const CommStats loop_start = comm.stats();
    for (int it = 1; it <= params_.max_iter; ++it) {
      detail::exchange_ghosts(comm, g, x_old, send);
      const double dmass = d * dangling_sum;
      std::array<double, 2> local{};
      if (p.empty()) {
        const double c = (dmass + (1.0 - d)) * inv_n;
        local = update(
            g, blocks, x_old, x_new, [c](std::size_t) { return c; }, part);
      } else if (uniform_q) {
        const double c = dmass * inv_n;
        local = update(
            g, blocks, x_old, x_new, [&](std::size_t i) { return c + (1.0 - d) * p[i]; }, part);
      } else {
        local = update(
            g, blocks, x_old, x_new, [&](std::size_t i) { return (dmass + (1.0 - d)) * p[i]; },
            part);
      }
      const double stop = params_.cancellation.cancelled() ? 1.0 : 0.0;
      const auto sums =
          detail::sum_in_rank_order(comm, std::array<double, 3>{local[0], local[1], stop});
      if (sums[2] > 0.0) throw Cancelled("dist::PageRank::fit: cancelled");
      dangling_sum = sums[1];
      x_old.swap(x_new);
      s.iterations = it;
      s.residual = sums[0];
      if (params_.progress) {
        params_.progress(Progress{"iteration", static_cast<std::size_t>(it),
                                  static_cast<std::size_t>(params_.max_iter), s.residual});
      }
      if (s.residual < params_.tol) {
        s.converged = true;
        break;
      }
    }
    s.traffic.iteration_bytes_sent = comm.stats().bytes_sent - loop_start.bytes_sent;
    s.scores = scores_of(comm, g, x_old);
    return s;
  }

  /** The per-iteration volumes of the exchange pattern, and the setup's measured bytes. */
  template <Communicator C>
  static PageRankTraffic traffic_of(C& comm, const detail::PageRankLocal& g,
                                    const CommStats& start) {
    PageRankTraffic t;
    t.ghosts = g.ghosts.size();
    for (std::size_t r = 0; r < g.send_counts.size(); ++r) {
      if (static_cast<int>(r) != comm.rank()) t.sent_entries += g.send_counts[r];
    }
    t.exchange_bytes_sent = t.sent_entries * sizeof(double);
    t.reduce_bytes_sent = 3 * sizeof(double) * static_cast<std::uint64_t>(comm.size() - 1);
    t.setup_bytes_sent = comm.stats().bytes_sent - start.bytes_sent;
    t.local_edges = g.columns.size();
    return t;
  }

  /** The owned scores x = v * scale, normalised by their sum over all ranks. */
  template <Communicator C>
  static Vector<Scalar> scores_of(C& comm, const detail::PageRankLocal& g,
                                  const std::vector<double>& v) {
    const auto L = static_cast<std::size_t>(g.owned.local);
    double total = 0.0, compensation = 0.0;  // Neumaier summation, as osprey::PageRank
    for (std::size_t i = 0; i < L; ++i) {
      const double term = v[i] * g.scale[i];
      const double t = total + term;
      compensation += std::abs(total) >= std::abs(term) ? (total - t) + term : (term - t) + total;
      total = t;
    }
    const double sum =
        detail::sum_in_rank_order(comm, std::array<double, 1>{total + compensation})[0];
    Vector<Scalar> scores(static_cast<Eigen::Index>(L));
    for (std::size_t i = 0; i < L; ++i) {
      scores(static_cast<Eigen::Index>(i)) = static_cast<Scalar>(v[i] * g.scale[i] / sum);
    }
    return scores;
  }

  Params params_{};
  std::optional<detail::DistPageRankState<Scalar>> state_;
};

}  // namespace dist
OSPREY_NAMESPACE_END

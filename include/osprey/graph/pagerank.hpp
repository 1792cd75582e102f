/** \file
 *  `PageRank<Scalar>`: stationary scores of the Google matrix by power iteration, with the
 *  definitions of networkx's `pagerank` (weights, personalization, dangling-node policy).
 *
 *  With damping d, out-weight sums s_j, personalization p (uniform by default, normalised to sum
 *  1), dangling weights q (p by default, or uniform) and D the set of dangling nodes, one
 *  iteration is
 *
 *      x'_i = d * ( sum_{j -> i} w_ji x_j / s_j  +  q_i * sum_{j in D} x_j )  +  (1 - d) * p_i
 *
 *  starting from x = 1/n. It stops when the L1 change `sum_i |x'_i - x_i|` is below `tol`.
 *  See docs/graph.md for the derivation, the cost of convergence and how `tol` compares with
 *  networkx's (`networkx tol = our tol / n`).
 */
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "../core/detail/stop.hpp"
#include "../core/error.hpp"
#include "../core/parallel.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../kernels/spmv.hpp"
#include "graph.hpp"

OSPREY_NAMESPACE_BEGIN

/** Where PageRank sends the score of dangling nodes (nodes without out-edges). */
enum class Dangling {
  uniform,          ///< spread evenly over all nodes
  personalization,  ///< spread as the personalization vector (uniform when there is none);
                    ///< networkx's default
};

/** Parameters of PageRank, written with designated initialisers:
 *  `osprey::PageRank<> pr({.damping = 0.9});`. Independent of PageRank's Scalar. */
struct PageRankParams {
  double damping = 0.85;  ///< probability of following an edge, in [0, 1)
  double tol = 1e-10;     ///< stop when the L1 change of the scores is below this (> 0);
                          ///< networkx stops at `n * tol_nx`, so our tol = n * networkx tol
  int max_iter = 1000;    ///< most iterations (>= 1)
  /** Teleport distribution (normalised), non-negative, not all zero, one entry per node
   *  (original ids). PageRank<float> rounds it to float first, as it does the weights. */
  std::optional<Eigen::VectorXd> personalization{};
  Dangling dangling = Dangling::personalization;  ///< where dangling score goes
  int n_threads = 0;                              ///< threads (0 = max_threads())
  bool throw_on_no_convergence = false;           ///< throw ConvergenceError instead of returning
                                                  ///< with converged() == false
  /** Stops fit once cancelled (polled per iteration and per block of rows of the product):
   *  it throws `Cancelled` and keeps the previous result. Copies of the Params share it. */
  CancellationToken cancellation{};
  ProgressCallback progress{};  ///< called after every iteration: done = iterations so far,
                                ///< total = max_iter, value = residual
};

namespace detail {
template <class Scalar>
struct PageRankState {
  Vector<Scalar> scores;
  int iterations = 0;
  bool converged = false;
  double residual = 0.0;
};
}  // namespace detail

/** PageRank by power iteration on the Google matrix of a directed, weighted graph.
 *
 *  Scores are those of networkx.pagerank (Page, Brin, Motwani & Winograd 1999; weighted and
 *  personalized as in networkx): duplicate edges sum, self-loops count, dangling nodes give
 *  their score away according to `Params::dangling`.
 *
 *  The iteration runs in double whatever `ScalarT` is (float cannot resolve an L1 change of
 *  1e-10 over a million scores); `ScalarT` is the type of the weights and the returned scores,
 *  and the personalization (given in double) is rounded to it.
 *
 *  \tparam ScalarT float or double.
 *  Complexity: O(n + m) time: per iteration one fused pass over the node arrays (old and new
 *  scaled scores, out-weight and its reciprocal, offsets) and one over the in-edges; about
 *  log(tol) / log(d) iterations (d = 0.85, tol = 1e-10: at most ~142).
 *  Memory: 2 n doubles besides the graph. Thread safety: `fit` mutates; const accessors may
 *  run concurrently. Results are bit-identical for any `n_threads` (fixed reduction blocks).
 */
template <class ScalarT = double>
class PageRank {
 public:
  using Scalar = ScalarT;  ///< type of the weights and the scores

  using Params = PageRankParams;  ///< parameters, see PageRankParams

  /** Default parameters. */
  PageRank() = default;
  /** \throws InvalidArgument on an invalid parameter (named, with the value received). */
  explicit PageRank(const Params& params) : params_(params) { validate(params_); }

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return params_; }
  /** Replaces the parameters; the estimator becomes unfitted.
   *  \throws InvalidArgument on an invalid parameter (and keeps the old ones). */
  PageRank& set_params(const Params& params) {
    validate(params);
    params_ = params;
    state_.reset();
    return *this;
  }

  /** Replaces how calls run - `n_threads`, `cancellation`, `progress` (an `Execution`) - and,
   *  unlike set_params, keeps the fit: for a loaded model (these are not saved) or to give a
   *  fitted one a new token. \returns `*this`. \throws InvalidArgument if n_threads < 0. */
  PageRank& set_execution(const Execution& execution) {
    detail::apply_execution(params_, execution);
    return *this;
  }

  /** Ranks the nodes of `graph`.
   *  \throws InvalidArgument if the personalization length differs from the node count;
   *  ConvergenceError if `throw_on_no_convergence` and max_iter iterations did not reach tol
   *  (the estimator is then left unfitted); Cancelled once params().cancellation is cancelled
   *  (the estimator then keeps its previous result). */
  PageRank& fit(const Graph<Scalar>& graph) {
    stop().check();
    if (params_.personalization &&
        params_.personalization->size() != static_cast<Eigen::Index>(graph.n_nodes())) {
      detail::fail("personalization has ", params_.personalization->size(),
                   " entries but the graph has ", graph.n_nodes(), " nodes");
    }
    detail::PageRankState<Scalar> s =
        std::visit([&](const auto& in) { return iterate(graph, in); }, graph.in_);
    if (!s.converged && params_.throw_on_no_convergence) {
      state_.reset();
      throw ConvergenceError(detail::concat("PageRank did not converge in ", s.iterations,
                                            " iterations (residual ", s.residual, ", tol ",
                                            params_.tol, ")"));
    }
    state_ = std::move(s);
    return *this;
  }

  /** Ranks the nodes of the graph with adjacency `A` (`A(i, j)` = weight of the edge i -> j).
   *  \throws InvalidArgument as Graph::from_adjacency and the Graph overload. */
  template <int Options, class StorageIndex>
  PageRank& fit(const Eigen::SparseMatrix<Scalar, Options, StorageIndex>& adjacency) {
    return fit(Graph<Scalar>::from_adjacency(adjacency));
  }

  /** True once fit has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** Score of every node (original ids); non-negative, sums to 1. */
  [[nodiscard]] const Vector<Scalar>& scores() const { return state().scores; }
  /** Iterations run. */
  [[nodiscard]] int iterations() const { return state().iterations; }
  /** Whether the L1 change fell below tol within max_iter iterations. */
  [[nodiscard]] bool converged() const { return state().converged; }
  /** L1 change of the scores in the last iteration. */
  [[nodiscard]] double residual() const { return state().residual; }

 private:
  /** Entry i of the personalization as PageRank<Scalar> sees it: rounded to Scalar, then read
   *  as double (for double, the entry itself). */
  static double personalization_at(const Eigen::VectorXd& v, Eigen::Index i) {
    return static_cast<double>(static_cast<Scalar>(v(i)));
  }

  static void validate(const Params& p) {
    detail::check_param(p.damping >= 0.0 && p.damping < 1.0, "damping", p.damping, "in [0, 1)");
    detail::check_param(p.tol > 0.0 && std::isfinite(p.tol), "tol", p.tol, "finite and > 0");
    detail::check_param(p.max_iter >= 1, "max_iter", p.max_iter, ">= 1");
    detail::check_param(p.n_threads >= 0, "n_threads", p.n_threads, ">= 0");
    if (p.personalization) {
      const auto& v = *p.personalization;
      if (v.size() == 0) detail::fail("personalization is empty");
      double sum = 0.0;
      for (Eigen::Index i = 0; i < v.size(); ++i) {
        const double x = personalization_at(v, i);
        if (!(std::isfinite(x) && x >= 0.0)) {
          detail::fail("personalization must be finite and >= 0 (got ", x, " at index ", i, ")");
        }
        sum += x;
      }
      if (!(sum > 0.0)) detail::fail("personalization must not be all zero");
    }
  }

  const detail::PageRankState<Scalar>& state() const {
    detail::check_fitted(state_.has_value(), "PageRank");
    return *state_;
  }

  /** What fit polls: the token, named "PageRank::fit". */
  [[nodiscard]] detail::Stop stop() const {
    return detail::Stop{&params_.cancellation, "PageRank::fit"};
  }

  /** Block count for the fused loop: fixed by the graph size (never by the thread count) so the
   *  reductions are deterministic; ~16K rows+edges per block keeps the dynamic scheduling cheap. */
  static std::int64_t block_count(std::int64_t n, std::int64_t m) {
    return std::clamp<std::int64_t>((n + m) / 16384, 1, 4096);
  }

  /** First row r in [lo, hi] such that rows [r, hi) have no entries (offsets are sorted). */
  template <class Offset>
  static std::int64_t first_empty_row(const Offset* offsets, std::int64_t lo, std::int64_t hi) {
    const Offset last = offsets[hi];
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (offsets[mid] < last) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The update of rows [lo, hi) that have no in-edges (x = teleport), eight lanes at a time in
   *  a fixed order; returns their L1 change and adds their new scores to `*dang` when given.
   *  `kDangling` rows have scale 1, so the normaliser array is not read. */
  template <bool kDangling, class Teleport>
  static double teleport_rows(std::int64_t lo, std::int64_t hi, const double* x_in, double* x_out,
                              const double* scale, Teleport teleport, double* dang) {
    constexpr std::int64_t kLanes = 8;
    double r[kLanes] = {}, t[kLanes] = {};
    std::int64_t i = lo;
    for (; i + kLanes <= hi; i += kLanes) {
      for (std::int64_t j = 0; j < kLanes; ++j) {
        const auto iz = static_cast<std::size_t>(i + j);
        const double x = teleport(iz);
        r[j] += std::abs(x - (kDangling ? x_in[iz] : x_in[iz] * scale[iz]));
        x_out[iz] = kDangling ? x : x / scale[iz];
        t[j] += x;
      }
    }
    for (; i < hi; ++i) {
      const auto iz = static_cast<std::size_t>(i);
      const double x = teleport(iz);
      r[0] += std::abs(x - (kDangling ? x_in[iz] : x_in[iz] * scale[iz]));
      x_out[iz] = kDangling ? x : x / scale[iz];
      t[0] += x;
    }
    if (dang != nullptr) {
      *dang += ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
    }
    return ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
  }

  /** Teleport and dangling distributions in internal order (empty = uniform). */
  struct Distributions {
    std::vector<double> p, q;
  };

  Distributions distributions(const Graph<Scalar>& g) const {
    const auto nz = static_cast<std::size_t>(g.n_nodes_);
    Distributions out;
    if (params_.personalization) {
      const auto& v = *params_.personalization;
      out.p.resize(nz);
      double sum = 0.0;
      for (Eigen::Index i = 0; i < v.size(); ++i) sum += personalization_at(v, i);
      for (std::size_t i = 0; i < nz; ++i) {
        out.p[i] = personalization_at(v, static_cast<Eigen::Index>(g.old_of_new_[i])) / sum;
      }
      if (params_.dangling == Dangling::personalization) out.q = out.p;
    }
    return out;
  }

  /** One iteration over rows [lo, hi) of a block: writes the new scaled scores to `x_out` and
   *  returns the block's L1 change in `res` and the new dangling mass in `dang`. */
  template <class View, class Teleport>
  OSPREY_ALWAYS_INLINE static void update_block(const View& A, std::int64_t lo, std::int64_t hi,
                                                std::int64_t n_active, double d, const double* x_in,
                                                double* x_out, const double* scale,
                                                Teleport teleport, double& res_out,
                                                double& dang_out) {
    // Rows without in-edges (half of an R-MAT graph's nodes, all at the end of their group in
    // the default order) only take the teleport term: they run as a branch-free, vectorised
    // stream instead of one gather call per row.
    const std::int64_t empty = first_empty_row(A.offsets, lo, hi);
    double res = 0.0, dang = 0.0;
    // Dangling nodes (the last n - n_active) have scale 1: their rows skip the normaliser, and
    // their new scores add up to the next dangling mass. Active rows divide by it (one array
    // read instead of a scale and a reciprocal).
    const std::int64_t split = std::clamp(n_active, lo, empty);
    kernels::spmv_pull_rows<double>(A, x_in, lo, split, [&](std::int64_t i, double sum) {
      const auto iz = static_cast<std::size_t>(i);
      const double x = d * sum + teleport(iz);
      res += std::abs(x - x_in[iz] * scale[iz]);
      x_out[iz] = x / scale[iz];
    });
    kernels::spmv_pull_rows<double>(A, x_in, split, empty, [&](std::int64_t i, double sum) {
      const auto iz = static_cast<std::size_t>(i);
      const double x = d * sum + teleport(iz);
      res += std::abs(x - x_in[iz]);
      x_out[iz] = x;
      dang += x;
    });
    const std::int64_t mid = std::clamp(n_active, empty, hi);
    res += teleport_rows<false>(empty, mid, x_in, x_out, scale, teleport, nullptr);
    res += teleport_rows<true>(mid, hi, x_in, x_out, scale, teleport, &dang);
    res_out = res;
    dang_out = dang;
  }

  /** The scores back in original ids, renormalised so they sum to 1 to the last bit of
   *  rounding. */
  static Vector<Scalar> original_scores(const Graph<Scalar>& g, const std::vector<double>& v) {
    const auto nz = static_cast<std::size_t>(g.n_nodes_);
    const double* scale = g.scale_.data();
    double total = 0.0, compensation = 0.0;  // Neumaier summation: total exact to ~1 ulp
    for (std::size_t i = 0; i < nz; ++i) {
      const double term = v[i] * scale[i];
      const double t = total + term;
      compensation += std::abs(total) >= std::abs(term) ? (total - t) + term : (term - t) + total;
      total = t;
    }
    total += compensation;
    Vector<Scalar> scores(static_cast<Eigen::Index>(g.n_nodes_));
    for (std::size_t i = 0; i < nz; ++i) {
      scores(static_cast<Eigen::Index>(g.old_of_new_[i])) =
          static_cast<Scalar>(v[i] * scale[i] / total);
    }
    return scores;
  }

  template <class InEdges>
  detail::PageRankState<Scalar> iterate(const Graph<Scalar>& g, const InEdges& in) const {
    const std::int64_t n = g.n_nodes_;
    const auto nz = static_cast<std::size_t>(n);
    const std::int64_t n_active = g.n_active_;
    const double d = params_.damping;
    const double inv_n = 1.0 / static_cast<double>(n);
    const Distributions dist = distributions(g);
    const std::vector<double>& p = dist.p;
    const std::vector<double>& q = dist.q;

    const auto A = in.view();
    const std::vector<std::int64_t> blocks =
        kernels::balanced_row_blocks(in.offsets.data(), n, block_count(n, A.nnz()));
    const auto n_blocks = static_cast<std::int64_t>(blocks.size()) - 1;
    std::vector<double> block_residual(static_cast<std::size_t>(n_blocks));
    std::vector<double> block_dangling(static_cast<std::size_t>(n_blocks));

    // v = x / s (x itself for dangling nodes, whose s is 1): the vector the gather reads.
    std::vector<double> v_old, v_new;  // zeroed in polled blocks on huge pages where possible
    const detail::Stop stop_fit = stop();
    detail::zero_fill_polled(v_old, nz, stop_fit);
    detail::zero_fill_polled(v_new, nz, stop_fit);
    const double* scale = g.scale_.data();
    for (std::size_t i = 0; i < nz; ++i) v_old[i] = inv_n / scale[i];
    double dangling_sum = static_cast<double>(n - n_active) * inv_n;

    detail::PageRankState<Scalar> s;
    for (int it = 1; it <= params_.max_iter; ++it) {
      stop_fit.check();
      const double* x_in = v_old.data();
      double* x_out = v_new.data();
      const double dmass = d * dangling_sum;
      const auto run = [&](auto teleport) {
        detail::parallel_for_dynamic(
            std::int64_t{0}, n_blocks, params_.n_threads, [&](std::int64_t b) {
              stop_fit.check();
              const auto bz = static_cast<std::size_t>(b);
              update_block(A, blocks[bz], blocks[bz + 1], n_active, d, x_in, x_out, scale, teleport,
                           block_residual[bz], block_dangling[bz]);
            });
      };
      if (p.empty()) {
        const double c = (dmass + (1.0 - d)) * inv_n;
        run([c](std::size_t) { return c; });
      } else if (q.empty()) {
        const double c = dmass * inv_n;
        run([c, d, &p](std::size_t i) { return c + (1.0 - d) * p[i]; });
      } else {
        run([dmass, d, &p](std::size_t i) { return (dmass + (1.0 - d)) * p[i]; });
      }
      double residual = 0.0;
      dangling_sum = 0.0;
      for (std::size_t b = 0; b < block_residual.size(); ++b) {
        residual += block_residual[b];
        dangling_sum += block_dangling[b];
      }
      v_old.swap(v_new);
      s.iterations = it;
      s.residual = residual;
      if (params_.progress) {
        params_.progress(Progress{"iteration", static_cast<std::size_t>(it),
                                  static_cast<std::size_t>(params_.max_iter), residual});
      }
      if (residual < params_.tol) {
        s.converged = true;
        break;
      }
    }
    s.scores = original_scores(g, v_old);
    return s;
  }

  Params params_{};
  friend struct detail::Serial;
  std::optional<detail::PageRankState<Scalar>> state_;
};

OSPREY_NAMESPACE_END

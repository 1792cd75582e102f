/** \file
 *  `dist::Smote`: SMOTE over rows spread across the ranks, with the synthetic rows equal, bit
 *  for bit, to single-node `osprey::Smote` (imbalance/smote.hpp) on the ranks' rows
 *  concatenated in rank order, for the same Params.
 *
 *  How single-node draws: class c (label L) draws from `Rng(random_state).split(uint32(L))`,
 *  its synthetic row s from block b = s / kernels::synthesis_block of that stream
 *  (`.split(b)`), in row order within the block; a row takes a variable number of raw draws
 *  (the bounded draw rejects), so a stream cannot be advanced by a fixed count, but blocks are
 *  independent (counter-based by block). dist::Smote therefore:
 *  1. counts the classes (one all_gatherv of (label, count) pairs) and resolves the sampling
 *     strategy on the global counts, exactly as single-node;
 *  2. for each class to grow, gathers its rows on every rank (one all_gatherv of the rows, cast
 *     to Scalar, and one of their global row ids), so every rank holds the class matrix
 *     single-node builds, and computes its k-nearest-neighbour table itself (replicated: the
 *     same call as single-node, so the same table);
 *  3. makes its share of the class's synthetic rows, [n_new r / p, n_new (r + 1) / p): for the
 *     first block it enters mid-way it replays the draws of that block's earlier rows (at most
 *     synthesis_block - 1 draws, no rows made), then draws and builds its rows with the
 *     single-node kernel (kernels::make_block_rows).
 *
 *  Output of `fit_resample` on rank r: its own input rows (cast to Scalar, in order), then its
 *  share of each grown class's synthetic rows, classes in ascending label order. Single-node's
 *  output is all input rows (rank order) then all synthetic rows grouped by class; the row of
 *  single-node's output that each local output row equals is `output_rows()`. Concatenated in
 *  rank order, the ranks' outputs are that permutation of single-node's rows.
 *
 *  Communication per call, per rank: all_gatherv of this rank's rows of the grown classes
 *  (d sizeof(Scalar) + 8 bytes each, delivered to p - 1 ranks) and of O(C) (label, count)
 *  pairs. Work per rank: the k-NN search of each grown class (n_c queries against n_c rows,
 *  replicated on every rank; the classes grown are the small ones), plus O(G d / p) for its
 *  share of the G synthetic rows. Cancellation and progress of SmoteParams apply to the local
 *  work (a cancelled rank throws Cancelled and ends the group as any rank's exception does).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "../core/random.hpp"
#include "../core/types.hpp"
#include "../core/validation.hpp"
#include "../imbalance/smote.hpp"
#include "../kernels/synthesis.hpp"
#include "communicator.hpp"

OSPREY_NAMESPACE_BEGIN
namespace dist {

/** SMOTE over rows spread across the ranks; same Params and results as `osprey::Smote` (see
 *  the file comment for the algorithm, the output order and the communication).
 *  \tparam ScalarT float or double. \tparam Metric a NearestNeighbors metric policy. */
template <class ScalarT = double, class Metric = Euclidean>
class Smote {
 public:
  using Scalar = ScalarT;      ///< element type of the output
  using MetricType = Metric;   ///< distance of the neighbour search
  using Params = SmoteParams;  ///< the single-node parameters

  Smote() = default;
  /** \throws InvalidArgument as osprey::Smote's constructor (k_neighbors < 1, ...). */
  explicit Smote(const Params& params) : single_(params) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return single_.params(); }
  /** Replaces (and validates) the parameters; the sampler becomes unfitted. */
  Smote& set_params(const Params& params) {
    single_.set_params(params);
    state_.reset();
    return *this;
  }

  /** This rank's rows followed by its share of the synthetic rows (see the file comment). A
   *  collective: every rank calls it with its own rows (any count, 0 included; ranks with rows
   *  must agree on the column count).
   *  \throws InvalidArgument on every rank: "rank r: <single-node message>" for a length
   *          mismatch or a non-finite value on rank r (its row index local), or a column count
   *          different from rank 0's; the single-node message for empty input, one class, an
   *          impossible strategy or a class to grow with fewer than k_neighbors + 1 rows
   *          globally. */
  template <Communicator C, class D>
  Resampled<Scalar> fit_resample(C& comm, const Eigen::MatrixBase<D>& X,
                                 const Eigen::Ref<const Eigen::VectorXi>& y) {
    const Params& p = params();
    const Layout lay = layout(comm, X, y);
    auto targets = osprey::detail::resolve_strategy(p.sampling_strategy, lay.counts,
                                                    osprey::detail::SamplingType::over, "Smote");
    std::erase_if(targets, [](const auto& kv) { return kv.second == 0; });
    for (const auto& [label, n] : targets) {
      osprey::detail::check_class_size("Smote", label, lay.counts.at(label), p.k_neighbors,
                                       "k_neighbors");
    }
    const auto nr = static_cast<std::uint64_t>(comm.size());
    const auto me = static_cast<std::uint64_t>(comm.rank());
    Eigen::Index mine = 0, before_all = 0;
    for (const auto& kv : targets) {
      const auto n = static_cast<std::uint64_t>(kv.second);
      mine += static_cast<Eigen::Index>(n * (me + 1) / nr - n * me / nr);
    }
    State s;
    Resampled<Scalar> out;
    // a rank without rows may pass a 0 x 0 X: its output still has the global column count
    out.X = X.rows() > 0 ? osprey::detail::copy_with_room<Scalar>(X, mine, p.n_threads)
                         : Matrix<Scalar>(mine, lay.d);
    out.y.resize(y.size() + mine);
    out.y.head(y.size()) = y;
    for (Eigen::Index i = 0; i < y.size(); ++i) s.rows.push_back(lay.offset + i);
    const auto local_rows =
        osprey::detail::rows_by_class(y, osprey::detail::count_classes(y), &targets);
    Eigen::Index at = y.size();
    for (const auto& [label, n_new] : targets) {
      const auto it = local_rows.find(label);
      const ClassData cd =
          gather_class(comm, X, it == local_rows.end() ? nullptr : &it->second, lay);
      const auto n = static_cast<std::uint64_t>(n_new);
      const auto lo = static_cast<Eigen::Index>(n * me / nr);
      const auto hi = static_cast<Eigen::Index>(n * (me + 1) / nr);
      make_rows(out.X, at, cd, label, lo, hi, s);
      out.y.segment(at, hi - lo).setConstant(label);
      for (Eigen::Index q = lo; q < hi; ++q) s.rows.push_back(lay.total + before_all + q);
      s.n_generated[label] = n_new;
      at += hi - lo;
      before_all += n_new;
      if (p.progress) {
        p.progress(Progress{"synthesize", static_cast<std::size_t>(at - y.size()),
                            static_cast<std::size_t>(mine), 0.0});
      }
    }
    state_ = std::move(s);
    return out;
  }

  /** True once fit_resample has succeeded. */
  [[nodiscard]] bool is_fitted() const noexcept { return state_.has_value(); }
  /** Synthetic rows made per grown class, over all ranks (single-node's n_generated()). */
  [[nodiscard]] const std::map<int, Eigen::Index>& n_generated() const {
    return state().n_generated;
  }
  /** For each row of this rank's last output, the row of single-node's output it equals
   *  (input rows: their global row; synthetic row s of the global synthetic block: n + s). */
  [[nodiscard]] const std::vector<std::int64_t>& output_rows() const { return state().rows; }
  /** For each of this rank's synthetic rows, in output order, the global input row it starts
   *  from (single-node's synthetic_base()). */
  [[nodiscard]] const std::vector<std::int64_t>& synthetic_base() const { return state().base; }
  /** For each of this rank's synthetic rows, the global input row it moves towards. */
  [[nodiscard]] const std::vector<std::int64_t>& synthetic_neighbor() const {
    return state().neighbor;
  }

 private:
  struct State {
    std::map<int, Eigen::Index> n_generated;
    std::vector<std::int64_t> rows, base, neighbor;
  };

  // Global class counts and this rank's place in the global row order.
  struct Layout {
    osprey::detail::ClassCounts counts;
    Eigen::Index offset = 0, total = 0, d = 0;
  };

  // A grown class on every rank: its rows (row-major, global row order), their global ids, and
  // its leave-one-out k-NN table.
  struct ClassData {
    RowMatrix<Scalar> Xc;
    std::vector<std::int64_t> ids;
    Eigen::MatrixXi nn;
  };

  const State& state() const {
    osprey::detail::check_fitted(state_.has_value(), "dist::Smote");
    return *state_;
  }

  // Local checks (through require_all), the column count, the global row count and classes.
  template <Communicator C, class D>
  static Layout layout(C& comm, const Eigen::MatrixBase<D>& X,
                       const Eigen::Ref<const Eigen::VectorXi>& y) {
    std::string what;
    if (X.rows() != y.size()) {
      try {
        osprey::detail::check_same_length(X.rows(), y.size());
      } catch (const InvalidArgument& e) {
        what = e.what();
      }
    } else if (!osprey::detail::all_finite_as<Scalar>(X)) {
      try {
        osprey::detail::check_finite_as<Scalar>(X, "X");
      } catch (const InvalidArgument& e) {
        what = e.what();
      }
    }
    require_all(comm, what.empty(), what);
    const std::int64_t shape[2] = {X.rows(), X.cols()};
    const std::vector<std::int64_t> all = comm.all_gather(std::span<const std::int64_t>(shape, 2));
    Layout lay;
    lay.d = -1;
    for (std::size_t r = 0; 2 * r < all.size(); ++r) {
      if (static_cast<int>(r) < comm.rank()) lay.offset += all[2 * r];
      lay.total += all[2 * r];
      if (all[2 * r] == 0) continue;
      if (lay.d < 0) lay.d = all[2 * r + 1];
      if (all[2 * r + 1] != lay.d) {
        osprey::detail::fail("dist::Smote: rank ", r, " has X with ", all[2 * r + 1],
                             " columns, the ranks before it ", lay.d);
      }
    }
    if (lay.total == 0) osprey::detail::fail("X is empty (0 rows x ", X.cols(), " columns)");
    if (lay.d == 0) osprey::detail::fail("X is empty (", lay.total, " rows x 0 columns)");
    osprey::detail::check_int_rows(lay.total, "Smote");
    const osprey::detail::ClassCounts local = osprey::detail::count_classes(y);
    std::vector<std::int64_t> pairs;
    for (const auto& [label, n] : local) {
      pairs.push_back(label);
      pairs.push_back(n);
    }
    const std::vector<std::int64_t> every =
        comm.all_gatherv(std::span<const std::int64_t>(pairs), nullptr);
    for (std::size_t e = 0; e < every.size(); e += 2) {
      lay.counts[static_cast<int>(every[e])] += static_cast<Eigen::Index>(every[e + 1]);
    }
    return lay;
  }

  // Every rank's rows of one class, in global order, and the class's k-NN table.
  template <Communicator C, class D>
  ClassData gather_class(C& comm, const Eigen::MatrixBase<D>& X,
                         const std::vector<Eigen::Index>* rows, const Layout& lay) const {
    const Params& p = params();
    const std::vector<Eigen::Index> none;
    const std::vector<Eigen::Index>& mine = rows != nullptr ? *rows : none;
    RowMatrix<Scalar> part = osprey::detail::gather_rows<Scalar>(X, mine, p.n_threads);
    std::vector<std::int64_t> ids;
    for (const Eigen::Index i : mine) ids.push_back(lay.offset + i);
    ClassData cd;
    const std::vector<Scalar> flat = comm.all_gatherv(
        std::span<const Scalar>(part.data(), static_cast<std::size_t>(part.size())), nullptr);
    cd.ids = comm.all_gatherv(std::span<const std::int64_t>(ids), nullptr);
    const auto n_c = static_cast<Eigen::Index>(cd.ids.size());
    cd.Xc = Eigen::Map<const RowMatrix<Scalar>>(flat.data(), n_c, lay.d);
    const auto self = osprey::detail::iota(n_c);
    cd.nn = osprey::detail::kneighbors<Scalar, Metric>(cd.Xc, cd.Xc, p.k_neighbors, &self,
                                                       p.n_threads, p.cancellation);
    return cd;
  }

  // Synthetic rows [lo, hi) of class `label` into out rows [at, at + hi - lo), single-node's
  // draws (Smote's ClassPlan::draw) from single-node's block streams.
  void make_rows(Matrix<Scalar>& out, Eigen::Index at, const ClassData& cd, int label,
                 Eigen::Index lo, Eigen::Index hi, State& s) const {
    constexpr Eigen::Index block = kernels::synthesis_block;
    const int k = params().k_neighbors;
    const std::uint64_t n_pairs =
        static_cast<std::uint64_t>(cd.Xc.rows()) * static_cast<std::uint64_t>(k);
    const Rng stream = Rng(params().random_state).split(static_cast<std::uint32_t>(label));
    const Eigen::Index d = cd.Xc.cols();
    const Scalar* xc = cd.Xc.data();
    auto drawn = std::make_unique<kernels::SynthesisBlock<Scalar>>();
    for (Eigen::Index b0 = lo - lo % block; b0 < hi; b0 += block) {
      Rng r = stream.split(static_cast<std::uint64_t>(b0 / block));
      const Eigen::Index first = std::max(lo, b0);
      const Eigen::Index last = std::min(hi, b0 + block);
      for (Eigen::Index q = b0; q < last; ++q) {
        const std::uint64_t pick = r.bounded(n_pairs);
        const auto u = static_cast<Scalar>(r.uniform());
        if (q < first) continue;  // an earlier rank's row: its draws only advance the stream
        const auto i = static_cast<Eigen::Index>(pick / static_cast<std::uint64_t>(k));
        const Eigen::Index j =
            cd.nn(i, static_cast<Eigen::Index>(pick % static_cast<std::uint64_t>(k)));
        const auto t = static_cast<std::size_t>(q - first);
        drawn->from[t] = xc + i * d;
        drawn->to[t] = xc + j * d;
        drawn->step[t] = u;
        s.base.push_back(cd.ids[static_cast<std::size_t>(i)]);
        s.neighbor.push_back(cd.ids[static_cast<std::size_t>(j)]);
      }
      kernels::make_block_rows(*drawn, last - first, d, out.data() + at + (first - lo), out.rows(),
                               false);
    }
  }

  osprey::Smote<Scalar, Metric> single_{};
  std::optional<State> state_;
};

}  // namespace dist
OSPREY_NAMESPACE_END

/** \file
 *  Exact distributed ranking and drift metrics: `dist::roc_auc_score`,
 *  `dist::average_precision_score` and `dist::population_stability_index`. Each rank passes its
 *  local rows; every rank gets the single-node result (metrics/ranking.hpp, metrics/drift.hpp)
 *  on the concatenation of the ranks' rows in rank order: bitwise for ROC AUC and PSI, to a few
 *  ulps for average precision (its per-rank partial sums are added in a fixed order).
 *
 *  Algorithm of the ranking metrics (a sample sort routed by score value):
 *  1. each rank sorts its scores per class as order-preserving 64-bit keys (radix sort, O(n));
 *  2. p - 1 exact splitters, the keys of global ranks floor(j n / p), are found by the radix
 *     selection of dist/quantile.hpp (8 all_reduce rounds of 256 (p - 1) counts);
 *  3. one all_to_allv sends every key to the rank that owns its value range (s_j, s_{j+1}]; all
 *     rows with equal scores land on one rank, so a tie group never straddles two ranks; each
 *     rank merges its p received sorted runs (O(m log p));
 *  4. an all_gather of per-rank (positives, negatives) gives every rank the counts above and
 *     below its range, so its tie groups are counted exactly as the single-node merge does;
 *     the per-rank partial results (an integer for AUC, a double for AP) are combined.
 *
 *  Communication per call, per rank: the exchange sends its keys that belong elsewhere
 *  (8 bytes each, about 8 n_local (p - 1) / p bytes with evenly spread scores, n_local the
 *  local rows), plus 8 x 256 (p - 1) words of splitter selection and O(p) words of counts; the
 * other ranks deliver it about as much. Balance: a rank receives about n / p keys plus, at most,
 * the largest tie group, which is never split (scores with a handful of distinct values, such as
 *  hard 0/1 predictions, concentrate on few ranks; the result stays exact).
 *
 *  PSI: the bin edges are the expected sample's quantiles, each a linear interpolation of two
 *  order statistics; those are found exactly by the same selection over the ranks, so the
 *  edges equal single-node's, and the bin counts are summed with one all_reduce of integers.
 *
 *  Errors: a bad input on any rank (length mismatch, non-finite value) throws
 *  `InvalidArgument` on every rank, with the single-node message (its index local to the rank
 *  that holds the value) prefixed by "rank r: "; conditions on the global data (one class only,
 *  more than two classes, pos_label absent, empty input) throw the single-node message itself
 *  on every rank. `Cancelled` (exec.cancellation) ends the group as any rank's exception does
 *  (see dist/communicator.hpp).
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../metrics/drift.hpp"
#include "../metrics/ranking.hpp"
#include "communicator.hpp"
#include "quantile.hpp"

OSPREY_NAMESPACE_BEGIN
namespace dist {
namespace detail {

/** Number of keys <= v in a sorted range. */
inline std::uint64_t count_le(std::span<const std::uint64_t> sorted, std::uint64_t v) {
  return static_cast<std::uint64_t>(std::upper_bound(sorted.begin(), sorted.end(), v) -
                                    sorted.begin());
}

/** Merges the consecutive sorted runs of `v` (run r is [bounds[r], bounds[r + 1])) in place,
 *  pairwise, O(n log runs). */
inline void merge_runs(std::vector<std::uint64_t>& v, std::vector<std::size_t> bounds) {
  while (bounds.size() > 2) {
    std::vector<std::size_t> next{bounds[0]};
    for (std::size_t r = 0; r + 2 < bounds.size(); r += 2) {
      const auto first = v.begin() + static_cast<std::ptrdiff_t>(bounds[r]);
      std::inplace_merge(first, v.begin() + static_cast<std::ptrdiff_t>(bounds[r + 1]),
                         v.begin() + static_cast<std::ptrdiff_t>(bounds[r + 2]));
      next.push_back(bounds[r + 2]);
    }
    if (bounds.size() % 2 == 0) next.push_back(bounds.back());
    bounds = std::move(next);
  }
}

/** This rank's share of the globally sorted scores: a contiguous, ascending range of key
 *  values (ranks in ascending order of value), positives and negatives apart, with the counts
 *  of the ranks below and above. */
struct RankedRange {
  std::vector<std::uint64_t> pos, neg;  ///< keys of each class in this rank's range, ascending
  std::uint64_t pos_below = 0, neg_below = 0;  ///< on lower ranks (lower scores)
  std::uint64_t pos_above = 0, neg_above = 0;  ///< on higher ranks (higher scores)
  std::uint64_t pos_total = 0, neg_total = 0;  ///< globally
};

/** The p - 1 exact splitters of the keys of both classes over the ranks: the keys of global
 *  ranks floor(j n / p), j = 1..p-1 (dist::detail::select_keys, dist/quantile.hpp). */
template <Communicator C>
std::vector<std::uint64_t> splitters(C& comm, std::span<const std::uint64_t> pos,
                                     std::span<const std::uint64_t> neg) {
  const auto p = static_cast<std::size_t>(comm.size());
  const std::uint64_t n =
      all_reduce_value(comm, static_cast<std::uint64_t>(pos.size() + neg.size()), ReduceOp::sum);
  std::vector<std::uint64_t> targets;
  for (std::size_t j = 1; j < p; ++j) targets.push_back(n * j / p);
  const std::span<const std::uint64_t> parts[2] = {pos, neg};
  return select_keys(comm, std::span<const std::span<const std::uint64_t>>(parts), targets);
}

/** Sends each local key to the rank owning its value (see the file comment, steps 1-4). */
template <Communicator C>
RankedRange exchange_ranked(C& comm, const Eigen::Ref<const Eigen::VectorXi>& y,
                            const Eigen::Ref<const Eigen::VectorXd>& s, int pos_label,
                            const Execution& exec, const char* where) {
  const auto p = static_cast<std::size_t>(comm.size());
  const kernels::ClassKeys<std::uint64_t> keys = osprey::detail::ranked_keys<double>(
      y, s, pos_label, Execution{exec.n_threads, exec.cancellation, {}}, where);
  const std::span<const std::uint64_t> pos(keys.pos.begin(), keys.pos.size);
  const std::span<const std::uint64_t> neg(keys.neg.begin(), keys.neg.size);
  if (p == 1) {  // one rank holds the whole range: nothing to exchange
    RankedRange one{{pos.begin(), pos.end()}, {neg.begin(), neg.end()}};
    one.pos_total = pos.size();
    one.neg_total = neg.size();
    return one;
  }
  const std::vector<std::uint64_t> split = splitters(comm, pos, neg);
  // destination j holds the keys in (split[j - 1], split[j]]
  std::vector<std::uint64_t> send;
  send.reserve(pos.size() + neg.size());
  std::vector<std::size_t> send_counts(p);
  std::vector<std::uint64_t> pos_counts(p);
  std::size_t ip = 0, in = 0;
  for (std::size_t j = 0; j < p; ++j) {
    const std::uint64_t top = j + 1 < p ? split[j] : std::numeric_limits<std::uint64_t>::max();
    const std::size_t ep = ip + count_le(pos.subspan(ip), top);
    const std::size_t en = in + count_le(neg.subspan(in), top);
    send.insert(send.end(), pos.begin() + static_cast<std::ptrdiff_t>(ip),
                pos.begin() + static_cast<std::ptrdiff_t>(ep));
    send.insert(send.end(), neg.begin() + static_cast<std::ptrdiff_t>(in),
                neg.begin() + static_cast<std::ptrdiff_t>(en));
    send_counts[j] = (ep - ip) + (en - in);
    pos_counts[j] = ep - ip;
    ip = ep;
    in = en;
  }
  const std::vector<std::uint64_t> got_pos =
      comm.all_to_all(std::span<const std::uint64_t>(pos_counts));
  std::vector<std::size_t> recv_counts;
  const std::vector<std::uint64_t> got =
      comm.all_to_allv(std::span<const std::uint64_t>(send),
                       std::span<const std::size_t>(send_counts), &recv_counts);
  RankedRange out;
  std::vector<std::size_t> pb{0}, nb{0};
  std::size_t at = 0;
  for (std::size_t r = 0; r < p; ++r) {
    const auto np = static_cast<std::size_t>(got_pos[r]);
    const auto it = got.begin() + static_cast<std::ptrdiff_t>(at);
    out.pos.insert(out.pos.end(), it, it + static_cast<std::ptrdiff_t>(np));
    out.neg.insert(out.neg.end(), it + static_cast<std::ptrdiff_t>(np),
                   it + static_cast<std::ptrdiff_t>(recv_counts[r]));
    pb.push_back(out.pos.size());
    nb.push_back(out.neg.size());
    at += recv_counts[r];
  }
  merge_runs(out.pos, std::move(pb));
  merge_runs(out.neg, std::move(nb));
  const std::uint64_t mine[2] = {out.pos.size(), out.neg.size()};
  const std::vector<std::uint64_t> all = comm.all_gather(std::span<const std::uint64_t>(mine, 2));
  const auto me = static_cast<std::size_t>(comm.rank());
  for (std::size_t r = 0; r < p; ++r) {
    if (r < me) {
      out.pos_below += all[2 * r];
      out.neg_below += all[2 * r + 1];
    } else if (r > me) {
      out.pos_above += all[2 * r];
      out.neg_above += all[2 * r + 1];
    }
    out.pos_total += all[2 * r];
    out.neg_total += all[2 * r + 1];
  }
  return out;
}

/** The global summary of local labels: min, max, and whether a third value occurs. */
struct LabelSummary {
  int lo = 0, hi = 0;
  bool other = false;
  std::uint64_t n = 0;  ///< global row count
};

template <Communicator C>
LabelSummary summarize_labels(C& comm, const Eigen::Ref<const Eigen::VectorXi>& y) {
  std::int64_t ext[2] = {std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::min()};  // max of -y, max of y
  if (y.size() > 0) {
    ext[0] = -static_cast<std::int64_t>(y.minCoeff());
    ext[1] = y.maxCoeff();
  }
  comm.all_reduce(std::span<std::int64_t>(ext, 2), ReduceOp::max);
  LabelSummary s;
  const bool none = ext[1] == std::numeric_limits<std::int64_t>::min();  // no rank has a label
  s.lo = none ? 0 : static_cast<int>(-ext[0]);
  s.hi = none ? 0 : static_cast<int>(ext[1]);
  std::uint64_t stats[2] = {0, static_cast<std::uint64_t>(y.size())};
  if (y.size() > 0) {
    stats[0] =
        static_cast<std::uint64_t>(y.size() - ((y.array() == s.lo) || (y.array() == s.hi)).count());
  }
  comm.all_reduce(std::span<std::uint64_t>(stats, 2), ReduceOp::sum);
  s.other = stats[0] != 0;
  s.n = stats[1];
  return s;
}

/** A label vector of at most three rows with the same min, max and "third value" as the
 *  global labels: the single-node label checks give the same verdict and message on it. */
inline Eigen::VectorXi stand_in_labels(const LabelSummary& s) {
  if (s.lo == s.hi) return Eigen::VectorXi::Constant(1, s.lo);
  Eigen::VectorXi v(s.other ? 3 : 2);
  v(0) = s.lo;
  v(1) = s.hi;
  if (s.other) v(2) = s.lo + 1;  // a third label exists, so hi - lo >= 2
  return v;
}

/** The local checks of a ranking metric: one score column, as many scores as labels, finite;
 *  then the global ones: not empty. Returns the global label summary. */
template <Communicator C, class D>
LabelSummary check_ranking_input(C& comm, const Eigen::Ref<const Eigen::VectorXi>& y,
                                 const Eigen::MatrixBase<D>& scores, const char* metric) {
  check_on_all_ranks(comm, [&] {
    if (scores.cols() != 1) {
      osprey::detail::fail(metric, ": scores must be a single column (got ", scores.rows(), " x ",
                           scores.cols(), ")");
    }
    osprey::detail::check_same_length(y.size(), scores.rows(), "y_true", "scores");
    osprey::detail::check_finite(scores, "scores");
  });
  const LabelSummary s = summarize_labels(comm, y);
  if (s.n == 0) osprey::detail::fail(metric, ": y_true and scores are empty (0 samples)");
  return s;
}

}  // namespace detail

/** Exact ROC AUC of a binary problem whose rows are spread over the ranks: equal, bit for bit,
 *  to `osprey::roc_auc_score(y, scores)` on the ranks' rows concatenated in rank order (the
 *  positive class is the greater of the two labels, ties count one half).
 *
 *  \param comm the group; every rank calls with its local rows (any count, 0 included).
 *  \param y_true this rank's labels. \param scores this rank's scores, one column.
 *  \param exec threads of the local sort; cancellation throws on the cancelled rank and ends
 *         the group (progress is not reported).
 *  \throws InvalidArgument on every rank: "rank r: <single-node message>" for a length
 *          mismatch, more than one score column or a non-finite score on rank r; the
 *          single-node message for empty input, one class only or more than two classes
 *          globally.
 *  Complexity per rank: O(n_local) sort, O(m log p) merge of the m keys received, 64 + 5
 *  collectives at most. Communication: see the file comment (about 8 n_local (p - 1) / p bytes
 *  sent). */
template <Communicator C, class D>
double roc_auc_score(C& comm, const Eigen::Ref<const Eigen::VectorXi>& y_true,
                     const Eigen::MatrixBase<D>& scores, const Execution& exec = {}) {
  const detail::LabelSummary g = detail::check_ranking_input(comm, y_true, scores, "roc_auc_score");
  {  // the single-node label checks, on a stand-in with the same verdict and message
    const Eigen::VectorXi sy = detail::stand_in_labels(g);
    (void)osprey::roc_auc_score(sy, Eigen::VectorXd::Zero(sy.size()));
  }
  const Eigen::Ref<const Eigen::VectorXd> s(scores.col(0).template cast<double>());
  const detail::RankedRange r =
      detail::exchange_ranked(comm, y_true, s, g.hi, exec, "dist::roc_auc_score");
  // twice the correctly ordered (positive, negative) pairs, ties counting one (as fast_roc_auc)
  std::uint64_t twice = 0;
  std::size_t j = 0;
  for (std::size_t a = 0; a < r.pos.size();) {
    const std::uint64_t v = r.pos[a];
    std::size_t b = a + 1;
    while (b < r.pos.size() && r.pos[b] == v) ++b;
    while (j < r.neg.size() && r.neg[j] < v) ++j;
    std::size_t k = j;
    while (k < r.neg.size() && r.neg[k] == v) ++k;
    twice += static_cast<std::uint64_t>(b - a) *
             (2 * (r.neg_below + static_cast<std::uint64_t>(j)) + (k - j));
    j = k;
    a = b;
  }
  twice = all_reduce_value(comm, twice, ReduceOp::sum);
  return static_cast<double>(twice) /
         (2.0 * static_cast<double>(r.pos_total) * static_cast<double>(r.neg_total));
}

/** Exact average precision (scikit-learn's step-wise `sum_n (R_n - R_{n-1}) P_n`) of rows
 *  spread over the ranks: every term equals single-node `osprey::average_precision_score`'s on
 *  the concatenated rows; the terms of each rank's score range are summed there, then the p
 *  partial sums are added from the highest range down on every rank (so all ranks return the
 *  same bits, within a few ulps of single-node's one running sum).
 *
 *  \param pos_label the positive class (default 1), as single-node.
 *  \throws InvalidArgument on every rank: "rank r: <message>" for a local length mismatch, more
 *          than one score column or non-finite score; the single-node message for empty input,
 *          more than two classes, or a pos_label absent from the global labels.
 *  Complexity and communication as dist::roc_auc_score. */
template <Communicator C, class D>
double average_precision_score(C& comm, const Eigen::Ref<const Eigen::VectorXi>& y_true,
                               const Eigen::MatrixBase<D>& scores, int pos_label = 1,
                               const Execution& exec = {}) {
  const detail::LabelSummary g =
      detail::check_ranking_input(comm, y_true, scores, "average_precision_score");
  const int pos = osprey::detail::resolve_pos_label(detail::stand_in_labels(g), pos_label,
                                                    osprey::detail::CurveKind::precision_recall,
                                                    "average_precision_score");
  const Eigen::Ref<const Eigen::VectorXd> s(scores.col(0).template cast<double>());
  const detail::RankedRange r =
      detail::exchange_ranked(comm, y_true, s, pos, exec, "dist::average_precision_score");
  const auto total = static_cast<double>(r.pos_total);
  double ap = 0.0;
  double prev_recall = static_cast<double>(r.pos_above) / total;
  std::size_t j = r.neg.size();
  std::size_t b = r.pos.size();
  while (b > 0) {
    const std::uint64_t v = r.pos[b - 1];
    std::size_t a = b - 1;
    while (a > 0 && r.pos[a - 1] == v) --a;
    while (j > 0 && r.neg[j - 1] >= v) --j;
    const auto tps = static_cast<double>(r.pos_above + (r.pos.size() - a));
    const auto fps = static_cast<double>(r.neg_above + (r.neg.size() - j));
    const double recall = tps / total;
    ap += (recall - prev_recall) * (tps / (tps + fps));
    prev_recall = recall;
    b = a;
  }
  const std::vector<double> parts = comm.all_gather(std::span<const double>(&ap, 1));
  double sum = 0.0;
  for (std::size_t q = parts.size(); q > 0; --q) sum += parts[q - 1];
  return sum;
}

/** Population stability index of `actual` against `expected`, both spread over the ranks:
 *  equal, bit for bit, to `osprey::population_stability_index(expected, actual, n_bins,
 *  epsilon)` on each sample's rows concatenated in rank order (quantile bins of the expected
 *  sample, numpy's linear interpolation, bins closed on the right, proportions floored at
 *  epsilon).
 *
 *  The 2 (n_bins - 1) order statistics behind the edges are found exactly by the radix
 *  selection of dist/quantile.hpp (8 all_reduce rounds of 512 (n_bins - 1) counts), then one
 *  all_reduce of 2 n_bins counts sums the histograms. Communication: O(4096 n_bins) words per
 *  rank, independent of the row counts. Complexity per rank: O(n_e log n_e + 4096 n_bins
 *  log n_e + n_a log n_bins).
 *  \throws InvalidArgument on every rank for n_bins < 2 or a bad epsilon, a globally empty
 *          sample (single-node messages), or "rank r: <message>" for a non-finite value on
 *          rank r (its index local to that rank). */
template <Communicator C, class DE, class DA>
double population_stability_index(C& comm, const Eigen::MatrixBase<DE>& expected,
                                  const Eigen::MatrixBase<DA>& actual, int n_bins = 10,
                                  double epsilon = psi_default_epsilon) {
  osprey::detail::check_param(n_bins >= 2, "n_bins", n_bins, ">= 2");
  osprey::detail::check_param(epsilon > 0.0 && epsilon < 1.0, "epsilon", epsilon, "in (0, 1)");
  std::uint64_t sizes[2] = {static_cast<std::uint64_t>(expected.size()),
                            static_cast<std::uint64_t>(actual.size())};
  comm.all_reduce(std::span<std::uint64_t>(sizes, 2), ReduceOp::sum);
  if (sizes[0] == 0) osprey::detail::fail("population_stability_index: expected is empty");
  if (sizes[1] == 0) osprey::detail::fail("population_stability_index: actual is empty");
  check_on_all_ranks(comm, [&] {
    osprey::detail::check_finite(expected.reshaped(), "expected");
    osprey::detail::check_finite(actual.reshaped(), "actual");
  });
  std::vector<std::uint64_t> keys;
  keys.reserve(static_cast<std::size_t>(expected.size()));
  for (const auto v : expected.reshaped())
    keys.push_back(kernels::score_key(static_cast<double>(v)));
  std::sort(keys.begin(), keys.end());
  // single-node's quantile: virtual index n q + (1 - q) - 1, lerp between two order statistics
  const auto ne = static_cast<double>(sizes[0]);
  const auto bins = static_cast<std::size_t>(n_bins);
  std::vector<std::uint64_t> targets;
  std::vector<double> fraction;
  for (std::size_t k = 1; k < bins; ++k) {
    const double q = static_cast<double>(k) / n_bins;
    const double pos = ne * q + (1.0 - q) - 1.0;
    const double below = std::floor(pos);
    const auto lo = static_cast<std::uint64_t>(std::max(below, 0.0));
    targets.push_back(lo);
    targets.push_back(std::min(lo + 1, sizes[0] - 1));
    fraction.push_back(pos - below);
  }
  const std::span<const std::uint64_t> part(keys);
  const std::vector<std::uint64_t> stats =
      detail::select_keys(comm, std::span<const std::span<const std::uint64_t>>(&part, 1), targets);
  std::vector<double> edges(bins - 1);
  for (std::size_t k = 0; k + 1 < bins; ++k) {
    const double elo = kernels::key_score(stats[2 * k]);
    const double ehi = kernels::key_score(stats[2 * k + 1]);
    const double t = fraction[k];
    const double diff = ehi - elo;
    edges[k] = t >= 0.5 ? ehi - diff * (1.0 - t) : elo + diff * t;
  }
  auto bin_of = [&](double x) {
    return static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), x) -
                                    edges.begin());
  };
  std::vector<std::uint64_t> counts(2 * bins, 0);  // expected bins, then actual bins
  for (const auto v : expected.reshaped()) ++counts[bin_of(static_cast<double>(v))];
  for (const auto v : actual.reshaped()) ++counts[bins + bin_of(static_cast<double>(v))];
  comm.all_reduce(std::span<std::uint64_t>(counts), ReduceOp::sum);
  const auto na = static_cast<double>(sizes[1]);
  double psi = 0.0;
  for (std::size_t b = 0; b < bins; ++b) {
    const double pe = std::max(static_cast<double>(counts[b]) / ne, epsilon);
    const double pa = std::max(static_cast<double>(counts[bins + b]) / na, epsilon);
    psi += (pa - pe) * std::log(pa / pe);
  }
  return psi;
}

}  // namespace dist
OSPREY_NAMESPACE_END

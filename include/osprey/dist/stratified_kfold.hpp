/** \file
 *  `dist::StratifiedKFold`: stratified k-fold splits of labels spread over the ranks, identical
 *  to single-node `osprey::StratifiedKFold` (model_selection/stratified_kfold.hpp) on the ranks'
 *  labels concatenated in rank order, with the same Params (shuffle on or off, same seed).
 *
 *  How: single-node numbers the classes by first appearance, deals the sorted class codes
 *  round-robin to the folds (which fixes each fold's quota of each class), lays out each
 *  class's fold sequence (fold 0's quota, then fold 1's, ...; shuffled with
 *  `Rng(random_state).split(c)` when asked) and gives the class's j-th member in row order the
 *  j-th entry. All of that depends only on the global class counts and the order of first
 *  appearance, so one all_gatherv of each rank's (label, count) pairs, in its local order of
 *  first appearance, is the only communication: every rank then knows the global class order,
 *  the global counts and how many members of each class the lower ranks hold, and labels its
 *  own rows. No label vector is exchanged.
 *
 *  Cost per rank: communication O(p C) words (C classes); time O(n_local log C + C k) without
 *  shuffle; with shuffle each rank also lays out and shuffles the fold sequence of every class
 *  it holds rows of (O(n_c) time and int memory for class c, as single-node does; up to O(n)
 *  for the global row count n).
 */
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "../core/random.hpp"
#include "../core/validation.hpp"
#include "../model_selection/stratified_kfold.hpp"
#include "communicator.hpp"

OSPREY_NAMESPACE_BEGIN
namespace dist {

/** Stratified k-fold splits of labels spread over the ranks (see the file comment).
 *
 *  `split(comm, y_local)` returns, on each rank, `n_splits` folds of **local** row indices
 *  (0-based positions in that rank's `y_local`, increasing): the rows of this rank in fold f's
 *  train and test sets. The global row of local row i is `offset + i`, with `offset` from
 *  `dist::global_rows(comm, y_local.size())`; mapped that way, the union over the ranks of
 *  fold f equals single-node `osprey::StratifiedKFold(params).split(y)`'s fold f exactly. */
class StratifiedKFold {
 public:
  using Params = StratifiedKFoldParams;  ///< the single-node parameters

  StratifiedKFold() = default;
  /** \throws InvalidArgument when n_splits < 2. */
  explicit StratifiedKFold(const Params& params) : single_(params) {}

  /** The parameters. */
  [[nodiscard]] const Params& params() const noexcept { return single_.params(); }
  /** Replaces the parameters. \throws InvalidArgument when n_splits < 2. */
  StratifiedKFold& set_params(const Params& params) {
    single_.set_params(params);
    return *this;
  }
  /** The number of folds split() returns. */
  [[nodiscard]] int get_n_splits() const noexcept { return single_.get_n_splits(); }

  /** This rank's part of every fold (see the class comment). A collective: every rank calls it
   *  with its own labels (any count, 0 included).
   *  \throws InvalidArgument on every rank with single-node's message when the global y is
   *          empty, n_splits exceeds the global number of samples or a class has fewer than
   *          n_splits members globally; when a rank holds more than 2^31 - 1 rows (the folds
   *          hold `int` local indices).
   *  Communication: one all_gatherv of 16 bytes per (rank, class present on it). */
  template <Communicator C>
  [[nodiscard]] std::vector<Fold> split(C& comm, const Eigen::Ref<const Eigen::VectorXi>& y) const {
    const int k = params().n_splits;
    const osprey::detail::ClassCodes local = osprey::detail::encode_by_first_appearance(y);
    std::vector<std::int64_t> pairs;  // (label, count) in local first-appearance order
    for (std::size_t c = 0; c < local.labels.size(); ++c) {
      pairs.push_back(local.labels[c]);
      pairs.push_back(local.counts[c]);
    }
    std::vector<std::size_t> lens;
    const std::vector<std::int64_t> all =
        comm.all_gatherv(std::span<const std::int64_t>(pairs), &lens);
    const Global g = merge(all, lens, comm.rank());
    check(g, k);
    const std::size_t n_classes = g.counts.size();
    // quota[f][c]: members of class c in fold f, from dealing the sorted codes round-robin
    std::vector<std::vector<std::int64_t>> quota(static_cast<std::size_t>(k),
                                                 std::vector<std::int64_t>(n_classes, 0));
    std::int64_t start = 0;  // the class's first position in the sorted code sequence
    for (std::size_t c = 0; c < n_classes; ++c) {
      const std::int64_t end = start + g.counts[c];
      for (int f = 0; f < k; ++f) {
        quota[static_cast<std::size_t>(f)][c] = dealt(end, f, k) - dealt(start, f, k);
      }
      start = end;
    }
    // the fold of every local row: member before[c] + (seen so far) of its class
    std::vector<int> test_fold(static_cast<std::size_t>(y.size()), 0);
    for (std::size_t lc = 0; lc < local.labels.size(); ++lc) {
      const std::size_t c = g.code.at(local.labels[lc]);
      const std::vector<int> folds =
          class_folds(quota, c, g.counts[c], g.before[c], local.counts[lc]);
      std::size_t next = 0;
      for (std::size_t i = 0; i < test_fold.size(); ++i) {
        if (local.code[i] == static_cast<int>(lc)) test_fold[i] = folds[next++];
      }
    }
    return osprey::detail::folds_from_assignment(test_fold, k);
  }

 private:
  // The global class order (first appearance over the ranks in rank order), counts, and this
  // rank's offset within each class.
  struct Global {
    std::map<int, std::size_t> code;
    std::vector<int> labels;
    std::vector<std::int64_t> counts, before;
    std::vector<std::int64_t> rank_rows;  // rows per rank
  };

  static Global merge(const std::vector<std::int64_t>& all, const std::vector<std::size_t>& lens,
                      int me) {
    Global g;
    std::size_t at = 0;
    for (std::size_t r = 0; r < lens.size(); ++r) {
      std::int64_t rows = 0;
      for (std::size_t e = at; e < at + lens[r]; e += 2) {
        const auto label = static_cast<int>(all[e]);
        auto [it, inserted] = g.code.try_emplace(label, g.labels.size());
        if (inserted) {
          g.labels.push_back(label);
          g.counts.push_back(0);
          g.before.push_back(0);
        }
        g.counts[it->second] += all[e + 1];
        if (static_cast<int>(r) < me) g.before[it->second] += all[e + 1];
        rows += all[e + 1];
      }
      g.rank_rows.push_back(rows);
      at += lens[r];
    }
    return g;
  }

  // Single-node's checks on the global data (same messages), then the local index cap.
  static void check(const Global& g, int k) {
    std::int64_t n = 0;
    for (const auto c : g.counts) n += c;
    if (n == 0) osprey::detail::fail("StratifiedKFold: y is empty");
    if (k > n) {
      osprey::detail::fail("StratifiedKFold: n_splits=", k,
                           " is greater than the number of samples (", n, ")");
    }
    for (std::size_t c = 0; c < g.counts.size(); ++c) {
      if (g.counts[c] < k) {
        osprey::detail::fail("StratifiedKFold: n_splits=", k, " is greater than the ", g.counts[c],
                             " members of class ", g.labels[c],
                             "; every class needs at least n_splits members");
      }
    }
    for (std::size_t r = 0; r < g.rank_rows.size(); ++r) {
      osprey::detail::check_int_rows(g.rank_rows[r],
                                     "dist::StratifiedKFold: rank " + std::to_string(r));
    }
  }

  // Positions in [0, x) congruent to f mod k: how many of the first x dealt codes fold f got.
  static std::int64_t dealt(std::int64_t x, int f, int k) {
    return x > f ? (x - f - 1) / k + 1 : 0;
  }

  // Entries [from, from + len) of class c's fold sequence (single-node's folds_for_class).
  std::vector<int> class_folds(const std::vector<std::vector<std::int64_t>>& quota, std::size_t c,
                               std::int64_t n_c, std::int64_t from, std::int64_t len) const {
    const int k = params().n_splits;
    std::vector<int> out;
    out.reserve(static_cast<std::size_t>(len));
    if (params().shuffle) {
      std::vector<int> seq;
      seq.reserve(static_cast<std::size_t>(n_c));
      for (int f = 0; f < k; ++f) {
        seq.insert(seq.end(), static_cast<std::size_t>(quota[static_cast<std::size_t>(f)][c]), f);
      }
      Rng class_rng = Rng(params().random_state).split(c);
      osprey::detail::shuffle(seq.begin(), seq.end(), class_rng);
      out.assign(seq.begin() + from, seq.begin() + from + len);
      return out;
    }
    std::int64_t fold_end = 0;  // the sequence is sorted: fold f fills its quota in turn
    int f = -1;
    for (std::int64_t j = from; j < from + len; ++j) {
      while (j >= fold_end) fold_end += quota[static_cast<std::size_t>(++f)][c];
      out.push_back(f);
    }
    return out;
  }

  osprey::StratifiedKFold single_{};
};

}  // namespace dist
OSPREY_NAMESPACE_END

/** \file
 *  Internals shared by the imbalance samplers: input and parameter checks, rows per class, the
 *  one place they call the neighbour search, and the assembly of the output (the input rows
 *  copied first, labels stacked). The synthesis itself is kernels/synthesis.hpp. Nothing here is
 *  public API.
 *
 *  Rows are samples, columns are features.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../../core/detail/huge_pages.hpp"
#include "../../core/detail/stop.hpp"
#include "../../core/parallel.hpp"
#include "../../core/types.hpp"
#include "../../core/validation.hpp"
#include "../../kernels/stream.hpp"
#include "../../kernels/synthesis.hpp"
#include "../../neighbors/nearest_neighbors.hpp"
#include "../sampling_strategy.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** The data checks every sampler runs first: X non-empty and (unless `finite_later`, for a
 *  sampler whose first pass over X checks it) finite, also once converted to `Scalar`; y as long
 *  as X has rows; at most 2^31 - 1 rows (`kMaxIntRows`), because the kept-row indices,
 *  neighbour indices and the provenance of synthetic rows are `int`. `sampler` names the caller.
 */
template <class Scalar, class Derived>
void check_resample_input(const Eigen::MatrixBase<Derived>& X,
                          const Eigen::Ref<const Eigen::VectorXi>& y, std::string_view sampler,
                          bool finite_later = false) {
  check_non_empty(X, "X");
  check_int_rows(X.rows(), sampler);
  if (!finite_later) check_finite_as<Scalar>(X, "X");
  check_same_length(X.rows(), y.size());
}

/** Row indices of each class, in input order, keyed by label, given the class counts of y
 *  (`count_classes`); only the classes in `only` when given (an over-sampler needs the rows of
 *  the classes it grows, not of the majority). */
[[nodiscard]] inline std::map<int, std::vector<Eigen::Index>> rows_by_class(
    const Eigen::Ref<const Eigen::VectorXi>& y, const ClassCounts& counts,
    const std::map<int, Eigen::Index>* only = nullptr) {
  std::map<int, std::vector<Eigen::Index>> rows;
  for (const auto& [label, n] : counts) {
    // Sized once (plus the slot the one-class loop below writes past the end).
    if (only == nullptr || only->contains(label))
      rows[label].reserve(static_cast<std::size_t>(n) + 1);
  }
  if (rows.size() == 1) {
    // One class wanted (a binary over-sampler): every row index is written at the cursor, which
    // moves only past the class's rows, so no branch depends on the label.
    const int label = rows.begin()->first;
    auto& list = rows.begin()->second;
    list.resize(list.capacity());
    Eigen::Index* out = list.data();
    std::size_t at = 0;
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      out[at] = i;
      at += static_cast<std::size_t>(y(i) == label);
    }
    list.resize(at);
    return rows;
  }
  const int lo = counts.empty() ? 0 : counts.begin()->first;
  const std::int64_t span = counts.empty() ? 0 : std::int64_t{counts.rbegin()->first} - lo + 1;
  if (span > 0 && span <= std::max<std::int64_t>(1024, y.size())) {
    // Dense labels: each wanted class's list found through a vector slot, not a map lookup.
    std::vector<std::vector<Eigen::Index>*> slot(static_cast<std::size_t>(span), nullptr);
    for (auto& [label, list] : rows) slot[label_slot(label, lo)] = &list;
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      if (auto* list = slot[label_slot(y(i), lo)]) list->push_back(i);
    }
    return rows;
  }
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    const auto it = rows.find(y(i));
    if (it != rows.end()) it->second.push_back(i);
  }
  return rows;
}

/** Copies the listed rows of X into a row-major matrix (one sample contiguous), on up to
 *  `n_threads` threads. */
template <class Scalar, class Derived>
[[nodiscard]] RowMatrix<Scalar> gather_rows(const Eigen::MatrixBase<Derived>& X,
                                            const std::vector<Eigen::Index>& rows,
                                            int n_threads = 1, const Stop& stop = {}) {
  constexpr Eigen::Index poll_rows = 4096;  // fresh memory faults in: poll between blocks
  const auto m = static_cast<Eigen::Index>(rows.size());
  RowMatrix<Scalar> out(m, X.cols());
  hint_huge_pages(out.data(), static_cast<std::size_t>(out.size()) * sizeof(Scalar));
  parallel_for_ranges(m, Eigen::Index{512}, n_threads, [&](Eigen::Index lo, Eigen::Index hi) {
    for (Eigen::Index i = lo; i < hi; ++i) {
      if ((i - lo) % poll_rows == 0) stop.check();
      out.row(i) = X.row(rows[static_cast<std::size_t>(i)]).template cast<Scalar>();
    }
  });
  return out;
}

/** The `k` nearest rows of `train` to each row of `queries`, nearest first (ties by lower
 *  index), through osprey's NearestNeighbors: every sampler's search goes through here.
 *  When `self` is given, query i is row `self[i]` of `train` and is left out of its own
 *  neighbours (a leave-one-out query): when the queries are the whole training set this is
 *  NearestNeighbors' own leave-one-out query, otherwise k + 1 neighbours are asked and the query
 *  row dropped (or the last one, when exact duplicates of lower index push it out).
 *  The search polls `cancellation` per block (it throws `Cancelled`).
 *  \pre train has at least k rows (k + 1 when self is given). */
template <class Scalar, class Metric>
[[nodiscard]] Eigen::MatrixXi kneighbors(const RowMatrix<Scalar>& train,
                                         const RowMatrix<Scalar>& queries, int k,
                                         const std::vector<Eigen::Index>* self, int n_threads,
                                         const CancellationToken& cancellation = {}) {
  NearestNeighbors<Scalar, Metric> nn(
      {.n_neighbors = k, .n_threads = n_threads, .cancellation = cancellation});
  nn.fit(train);
  if (self == nullptr) return nn.kneighbors(queries, k).indices;
  const auto nq = static_cast<Eigen::Index>(self->size());
  bool whole = nq == train.rows();
  for (Eigen::Index i = 0; whole && i < nq; ++i) whole = (*self)[static_cast<std::size_t>(i)] == i;
  if (whole) return nn.kneighbors(k).indices;
  const Eigen::MatrixXi wide = nn.kneighbors(queries, k + 1).indices;
  Eigen::MatrixXi out(nq, k);
  for (Eigen::Index q = 0; q < nq; ++q) {
    const auto me = static_cast<int>((*self)[static_cast<std::size_t>(q)]);
    int c = 0;
    for (int j = 0; j <= k && c < k; ++j) {
      if (wide(q, j) != me) out(q, c++) = wide(q, j);
    }
  }
  return out;
}

/** Copies X (cast to Scalar) into the top rows of `out`, made (n + extra) x d (its storage kept
 *  when it has that shape already; a new buffer is hinted for huge pages), in parallel over
 *  blocks of rows, so a row-major X is read once and the large output is first touched by
 *  several threads. Each copied block is checked for non-finite values while it is in cache
 *  (the fused form of `check_finite_as<Scalar>`, whose message it gives on failure).
 *  \throws InvalidArgument naming the row and column of the first value that is not finite or
 *  overflows Scalar; Cancelled once `stop` is (polled per block). */
template <class Scalar, class Derived>
void copy_with_room(const Eigen::MatrixBase<Derived>& X, Eigen::Index extra, int n_threads,
                    Matrix<Scalar>& out, const Stop& stop = {}) {
  constexpr Eigen::Index block = 512;
  if (out.rows() != X.rows() + extra || out.cols() != X.cols()) {
    out = Matrix<Scalar>();  // free the old storage first: the peak holds one output, not two
    out.resize(X.rows() + extra, X.cols());
    hint_huge_pages(out.data(), static_cast<std::size_t>(out.size()) * sizeof(Scalar));
  }
  const Eigen::Index n_blocks = (X.rows() + block - 1) / block;
  std::vector<char> finite(static_cast<std::size_t>(n_blocks), 1);
  constexpr bool row_major_plain = std::is_same_v<Derived, typename Derived::PlainObject> &&
                                   static_cast<bool>(Derived::IsRowMajor);
  const bool stream = kernels::stream_output<Scalar>(out.rows(), out.cols());
  parallel_for(Eigen::Index{0}, n_blocks, n_threads, [&](Eigen::Index b) {
    stop.check();  // the output is fresh memory: its page faults must not delay a cancel
    const Eigen::Index r0 = b * block;
    const Eigen::Index len = std::min(block, X.rows() - r0);
    if constexpr (row_major_plain) {
      // A dense row-major X: the block's rows are contiguous; write them 64 rows (L1-resident)
      // at a time, one contiguous run per output column.
      const Eigen::Index d = X.cols();
      const auto* src = X.derived().data() + r0 * d;
      using Src = typename Derived::Scalar;
      finite[static_cast<std::size_t>(b)] =
          all_finite_as<Scalar>(
              Eigen::Map<const Eigen::Array<Src, Eigen::Dynamic, 1>>(src, len * d))
              ? 1
              : 0;
      for (Eigen::Index t = 0; t < len; t += kernels::transpose_rows) {
        kernels::store_transposed(src + t * d, std::min(kernels::transpose_rows, len - t), d,
                                  out.data() + r0 + t, out.rows(), stream);
      }
      if (stream) kernels::stream_fence();
    } else {
      auto dst = out.middleRows(r0, len);
      dst = X.middleRows(r0, len).template cast<Scalar>();
      finite[static_cast<std::size_t>(b)] = all_finite_as<Scalar>(X.middleRows(r0, len)) ? 1 : 0;
    }
  });
  if (std::find(finite.begin(), finite.end(), 0) != finite.end()) check_finite_as<Scalar>(X, "X");
}

/** copy_with_room into a new matrix, which it returns. */
template <class Scalar, class Derived>
[[nodiscard]] Matrix<Scalar> copy_with_room(const Eigen::MatrixBase<Derived>& X, Eigen::Index extra,
                                            int n_threads, const Stop& stop = {}) {
  Matrix<Scalar> out;
  copy_with_room<Scalar>(X, extra, n_threads, out, stop);
  return out;
}

/** The name of a class for messages ("class 3"). */
[[nodiscard]] inline std::string class_name(int label) { return concat("class ", label); }

/** Throws unless a class to be over-sampled has at least `k + 1` rows. */
inline void check_class_size(std::string_view sampler, int label, Eigen::Index n_rows, int k,
                             std::string_view param) {
  if (n_rows < static_cast<Eigen::Index>(k) + 1) {
    fail(sampler, ": class ", label, " has ", n_rows, " rows but ", param, " = ", k,
         " needs at least ", k + 1, " rows in the class");
  }
}

/** Params checks shared by the SMOTE family. */
inline void check_common_params(std::string_view sampler, int k, std::string_view k_name,
                                const SamplingStrategy& strategy, int n_threads) {
  check_param(k >= 1, k_name, k, ">= 1");
  check_param(n_threads >= 0, "n_threads", n_threads, ">= 0 (0 = all cores)");
  validate_strategy(strategy, SamplingType::over, sampler);
}

/** Assembles y of the output: y, then `n` copies of each grown class's label. */
[[nodiscard]] inline Eigen::VectorXi stack_labels(const Eigen::Ref<const Eigen::VectorXi>& y,
                                                  const std::map<int, Eigen::Index>& n_new,
                                                  Eigen::Index total) {
  Eigen::VectorXi out(y.size() + total);
  out.head(y.size()) = y;
  Eigen::Index at = y.size();
  for (const auto& [label, n] : n_new) {
    out.segment(at, n).setConstant(label);
    at += n;
  }
  return out;
}

/** Indices 0..n-1, the leave-one-out "self" list of a query of a set against itself. */
[[nodiscard]] inline std::vector<Eigen::Index> iota(Eigen::Index n) {
  std::vector<Eigen::Index> v(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

}  // namespace detail
OSPREY_NAMESPACE_END

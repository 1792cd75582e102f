/** \file
 *  `SamplingStrategy`: which classes a resampler touches and how many rows each ends with, with
 *  imbalanced-learn's meaning of `sampling_strategy` (a named rule, a ratio for binary problems,
 *  a map of target counts, or a list of classes for the cleaning samplers).
 *
 *  Labels are `Eigen::VectorXi`; a "class" is one distinct label value. Rows are samples.
 */
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <map>
#include <ostream>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/validation.hpp"

OSPREY_NAMESPACE_BEGIN

/** Which classes a resampler resamples, and to what size (imbalanced-learn's
 *  `sampling_strategy`).
 *
 *  - `SamplingStrategy{}` or `SamplingStrategy::automatic()` ("auto"): over-samplers grow every
 *    class but the majority to the majority's count; under-samplers shrink every class but the
 *    minority to the minority's count; cleaning samplers (TomekLinks) clean every class but the
 *    minority.
 *  - `minority()`, `majority()`, `not_minority()`, `not_majority()`, `all()`: the same targets
 *    restricted to (or excluding) the majority/minority class, as imbalanced-learn's strings.
 *    The majority (minority) is the class with most (fewest) rows, the smallest label on a tie.
 *  - A `double` ratio in (0, 1], binary problems only: over-samplers grow the minority to
 *    `int(ratio * n_majority)` rows; under-samplers shrink the majority to
 *    `int(n_minority / ratio)` rows. As in imbalanced-learn, a ratio that would grow (under)
 *    a class throws, and so does one that leaves an over-sampler nothing to generate (already
 *    met: `int(ratio * n_majority) <= n_minority`), while an under-sampler whose ratio is
 *    exactly met keeps every row. Inside cross-validation folds, check the fold's counts or
 *    use a `std::map<int, int>` of target counts.
 *  - A `std::map<int, int>` of target row counts per class; classes left out are untouched.
 *  - `classes({...})`: for cleaning samplers only, the classes to clean.
 *
 *  The implicit constructors let Params be written as `{.sampling_strategy = 0.5}` or
 *  `{.sampling_strategy = std::map<int, int>{{1, 300}}}`.
 */
class SamplingStrategy {
 public:
  /** The form of the strategy. */
  enum class Kind {
    automatic,     ///< "auto"
    minority,      ///< only the minority class (over-samplers)
    majority,      ///< only the majority class (under-samplers and cleaning)
    not_minority,  ///< every class but the minority
    not_majority,  ///< every class but the majority
    all,           ///< every class
    ratio,         ///< a float ratio, binary problems only
    counts,        ///< target row counts per class
    classes        ///< a list of classes (cleaning samplers)
  };

  /** "auto". */
  SamplingStrategy() noexcept = default;
  /** A named rule (not `ratio`, `counts` or `classes`, which carry values). */
  SamplingStrategy(Kind kind) : kind_(kind) {  // NOLINT(google-explicit-constructor)
    if (kind == Kind::ratio || kind == Kind::counts || kind == Kind::classes) {
      detail::fail(
          "SamplingStrategy: Kind::ratio, Kind::counts and Kind::classes need a value; "
          "pass a double, a std::map<int, int> or use SamplingStrategy::classes()");
    }
  }
  /** A ratio minority/majority in (0, 1] for binary problems (checked when resampling). */
  SamplingStrategy(double ratio) noexcept  // NOLINT(google-explicit-constructor)
      : kind_(Kind::ratio), ratio_(ratio) {}
  /** Target row counts per class. */
  SamplingStrategy(std::map<int, int> counts)  // NOLINT(google-explicit-constructor)
      : kind_(Kind::counts), counts_(std::move(counts)) {}

  /** imbalanced-learn's "auto": over-samplers grow every class but the majority, under-samplers
   *  shrink every class but the minority. */
  static SamplingStrategy automatic() { return SamplingStrategy{}; }
  /** imbalanced-learn's "minority": only the smallest class. */
  static SamplingStrategy minority() { return SamplingStrategy{Kind::minority}; }
  /** imbalanced-learn's "majority": only the largest class. */
  static SamplingStrategy majority() { return SamplingStrategy{Kind::majority}; }
  /** imbalanced-learn's "not minority": every class but the smallest. */
  static SamplingStrategy not_minority() { return SamplingStrategy{Kind::not_minority}; }
  /** imbalanced-learn's "not majority": every class but the largest. */
  static SamplingStrategy not_majority() { return SamplingStrategy{Kind::not_majority}; }
  /** imbalanced-learn's "all": every class. */
  static SamplingStrategy all() { return SamplingStrategy{Kind::all}; }
  /** The classes a cleaning sampler cleans. */
  static SamplingStrategy classes(std::vector<int> labels) {
    SamplingStrategy s;
    s.kind_ = Kind::classes;
    s.classes_ = std::move(labels);
    return s;
  }

  /** The form of this strategy. */
  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  /** The ratio (meaningful when `kind() == Kind::ratio`). */
  [[nodiscard]] double ratio() const noexcept { return ratio_; }
  /** The target counts (meaningful when `kind() == Kind::counts`). */
  [[nodiscard]] const std::map<int, int>& counts() const noexcept { return counts_; }
  /** The classes (meaningful when `kind() == Kind::classes`). */
  [[nodiscard]] const std::vector<int>& class_list() const noexcept { return classes_; }

  /** Prints the strategy as imbalanced-learn would spell it ("auto", 0.5, {0: 10, 1: 20}). */
  friend std::ostream& operator<<(std::ostream& out, const SamplingStrategy& s) {
    switch (s.kind_) {
      case Kind::automatic:
        return out << "'auto'";
      case Kind::minority:
        return out << "'minority'";
      case Kind::majority:
        return out << "'majority'";
      case Kind::not_minority:
        return out << "'not minority'";
      case Kind::not_majority:
        return out << "'not majority'";
      case Kind::all:
        return out << "'all'";
      case Kind::ratio:
        return out << s.ratio_;
      case Kind::counts: {
        out << '{';
        bool first = true;
        for (const auto& [label, n] : s.counts_) {
          out << (first ? "" : ", ") << label << ": " << n;
          first = false;
        }
        return out << '}';
      }
      case Kind::classes: {
        out << '[';
        for (std::size_t i = 0; i < s.classes_.size(); ++i) out << (i ? ", " : "") << s.classes_[i];
        return out << ']';
      }
    }
    return out;
  }

 private:
  Kind kind_ = Kind::automatic;
  double ratio_ = 0.0;
  std::map<int, int> counts_{};
  std::vector<int> classes_{};
};

namespace detail {

/** What a sampler does with the resolved targets. */
enum class SamplingType { over, under, clean };

/** Rows per class, keyed (and so ordered) by label. */
using ClassCounts = std::map<int, Eigen::Index>;

/** The smallest label of `y` and the number of values from it to the largest, or a span of 0
 *  when that is more than max(1024, n): dense enough labels are counted in a vector (one
 *  increment per row) instead of a map (a tree lookup per row). */
struct LabelSpan {
  int lo = 0;
  std::size_t span = 0;
};

[[nodiscard]] inline LabelSpan dense_labels(const Eigen::Ref<const Eigen::VectorXi>& y) {
  if (y.size() == 0) return {};
  const int lo = y.minCoeff();
  const auto span = static_cast<std::int64_t>(y.maxCoeff()) - lo + 1;
  if (span > std::max<std::int64_t>(1024, y.size())) return {lo, 0};
  return {lo, static_cast<std::size_t>(span)};
}

/** The vector slot of label `v` in a LabelSpan starting at `lo`. */
[[nodiscard]] inline std::size_t label_slot(int v, int lo) noexcept {
  return static_cast<std::size_t>(static_cast<std::int64_t>(v) - lo);
}

/** Counts the rows of each class of `y`. */
[[nodiscard]] inline ClassCounts count_classes(const Eigen::Ref<const Eigen::VectorXi>& y) {
  ClassCounts counts;
  const LabelSpan labels = dense_labels(y);
  if (labels.span == 0) {
    for (Eigen::Index i = 0; i < y.size(); ++i) ++counts[y(i)];
    return counts;
  }
  std::vector<Eigen::Index> dense(labels.span, 0);
  if (labels.span <= 8) {
    // A few labels (the usual case): one vectorised comparison pass per label.
    for (std::size_t v = 0; v < labels.span; ++v) {
      dense[v] = (y.array() == static_cast<int>(labels.lo + static_cast<std::int64_t>(v))).count();
    }
  } else {
    // Four interleaved histograms, so consecutive rows of one class do not wait on each
    // other's increment.
    std::vector<Eigen::Index> part(4 * labels.span, 0);
    Eigen::Index i = 0;
    for (; i + 4 <= y.size(); i += 4) {
      for (Eigen::Index w = 0; w < 4; ++w) {
        ++part[static_cast<std::size_t>(w) * labels.span + label_slot(y(i + w), labels.lo)];
      }
    }
    for (; i < y.size(); ++i) ++part[label_slot(y(i), labels.lo)];
    for (std::size_t v = 0; v < labels.span; ++v) {
      dense[v] =
          part[v] + part[labels.span + v] + part[2 * labels.span + v] + part[3 * labels.span + v];
    }
  }
  for (std::size_t v = 0; v < labels.span; ++v) {
    if (dense[v] > 0) {
      counts.emplace_hint(counts.end(), static_cast<int>(labels.lo + static_cast<std::int64_t>(v)),
                          dense[v]);
    }
  }
  return counts;
}

/** The class with most rows (smallest label on a tie), as imbalanced-learn's `max(..., key)`. */
[[nodiscard]] inline int majority_class(const ClassCounts& counts) {
  auto best = counts.begin();
  for (auto it = counts.begin(); it != counts.end(); ++it) {
    if (it->second > best->second) best = it;
  }
  return best->first;
}

/** The class with fewest rows (smallest label on a tie). */
[[nodiscard]] inline int minority_class(const ClassCounts& counts) {
  auto best = counts.begin();
  for (auto it = counts.begin(); it != counts.end(); ++it) {
    if (it->second < best->second) best = it;
  }
  return best->first;
}

/** Checks a strategy's own values (ratio range, negative counts) at construction time. */
inline void validate_strategy(const SamplingStrategy& s, SamplingType type,
                              std::string_view sampler) {
  using Kind = SamplingStrategy::Kind;
  if (s.kind() == Kind::ratio) {
    if (type == SamplingType::clean) {
      fail(sampler, ": sampling_strategy cannot be a ratio for a cleaning sampler (got ", s.ratio(),
           "); use SamplingStrategy::classes({...}) or a named rule");
    }
    if (!(s.ratio() > 0.0 && s.ratio() <= 1.0)) {
      fail(sampler, ": sampling_strategy ratio must be in (0, 1] (got ", s.ratio(), ")");
    }
  }
  if (s.kind() == Kind::counts) {
    if (type == SamplingType::clean) {
      fail(sampler, ": sampling_strategy cannot be a map of counts for a cleaning sampler (got ", s,
           "); use SamplingStrategy::classes({...})");
    }
    for (const auto& [label, n] : s.counts()) {
      if (n < 0) {
        fail(sampler, ": sampling_strategy asks class ", label, " for a negative count (got ", n,
             ")");
      }
    }
  }
  if (s.kind() == Kind::classes && type != SamplingType::clean) {
    fail(sampler, ": sampling_strategy can be a list of classes only for cleaning samplers (got ",
         s, ")");
  }
  if (s.kind() == Kind::majority && type == SamplingType::over) {
    fail(sampler, ": sampling_strategy 'majority' cannot be used with an over-sampler");
  }
  if (s.kind() == Kind::minority && type != SamplingType::over) {
    fail(sampler,
         ": sampling_strategy 'minority' cannot be used with an under- or cleaning sampler");
  }
}

/** The majority and minority classes of y and their row counts (ties to the smaller label). */
struct ClassExtremes {
  int c_major = 0;           ///< label of the majority class
  int c_minor = 0;           ///< label of the minority class
  Eigen::Index n_major = 0;  ///< its rows
  Eigen::Index n_minor = 0;  ///< its rows
};

/** resolve_strategy for a ratio (binary problems only). */
[[nodiscard]] inline std::map<int, Eigen::Index> resolve_ratio(const SamplingStrategy& s,
                                                               const ClassCounts& counts,
                                                               SamplingType type,
                                                               std::string_view sampler,
                                                               const ClassExtremes& e) {
  if (counts.size() != 2) {
    fail(sampler, ": sampling_strategy can be a ratio only for binary problems (y has ",
         counts.size(), " classes); use a std::map<int, int> of counts");
  }
  std::map<int, Eigen::Index> out;
  for (const auto& [label, n] : counts) {
    if (type == SamplingType::over) {
      if (label == e.c_major) continue;
      // int(n_majority * ratio - n) as Python computes it: double arithmetic, truncation.
      // The product is rounded on its own, as in Python: written as one expression, g++
      // (whose default -ffp-contract=fast) may fuse it with the subtraction on an FMA target,
      // and 0.6 x 10 - 5 then truncates to 0 instead of 1.
      const double product = std::fma(static_cast<double>(e.n_major), s.ratio(), 0.0);
      const double want = product - static_cast<double>(n);
      const auto add = static_cast<Eigen::Index>(want);
      if (add <= 0) {
        // imbalanced-learn raises here too (its `n_samples <= 0` guard), also when the
        // ratio is exactly met: an over-sampler asked for nothing is a mistake it reports.
        fail(sampler, ": sampling_strategy ratio ", s.ratio(), " would not grow class ", label,
             " (", n, " rows; int(ratio x majority ", e.n_major, ") - rows = ", add,
             ": the ratio is already met, and imbalanced-learn raises too); increase the "
             "ratio, or skip resampling where the classes are balanced enough");
      }
      out[label] = add;
    } else {
      if (label == e.c_minor) continue;
      const auto target = static_cast<Eigen::Index>(static_cast<double>(e.n_minor) / s.ratio());
      if (target > n) {
        fail(sampler, ": sampling_strategy ratio ", s.ratio(), " would grow class ", label,
             " from ", n, " to ", target, " rows; an under-sampler can only shrink a class");
      }
      out[label] = target;
    }
  }
  return out;
}

/** resolve_strategy for a map of target counts. */
[[nodiscard]] inline std::map<int, Eigen::Index> resolve_counts(const SamplingStrategy& s,
                                                                const ClassCounts& counts,
                                                                SamplingType type,
                                                                std::string_view sampler) {
  std::map<int, Eigen::Index> out;
  for (const auto& [label, want] : s.counts()) {
    const auto it = counts.find(label);
    if (it == counts.end()) {
      fail(sampler, ": sampling_strategy names class ", label, ", which is not present in y");
    }
    const Eigen::Index n = it->second;
    if (type == SamplingType::over) {
      if (want < n) {
        fail(sampler, ": sampling_strategy asks class ", label, " to shrink from ", n, " to ", want,
             " rows; an over-sampler can only grow a class");
      }
      out[label] = want - n;
    } else {
      if (want > n) {
        fail(sampler, ": sampling_strategy asks class ", label, " to grow from ", n, " to ", want,
             " rows; an under-sampler can only shrink a class");
      }
      out[label] = want;
    }
  }
  return out;
}

/** resolve_strategy for a list of classes (cleaning samplers). */
[[nodiscard]] inline std::map<int, Eigen::Index> resolve_classes(const SamplingStrategy& s,
                                                                 const ClassCounts& counts,
                                                                 std::string_view sampler,
                                                                 const ClassExtremes& e) {
  std::map<int, Eigen::Index> out;
  for (const int label : s.class_list()) {
    if (counts.find(label) == counts.end()) {
      fail(sampler, ": sampling_strategy names class ", label, ", which is not present in y");
    }
    out[label] = e.n_minor;
  }
  return out;
}

/** True when the named rule `kind` targets class `label`. */
[[nodiscard]] inline bool named_rule_targets(SamplingStrategy::Kind kind, SamplingType type,
                                             int label, const ClassExtremes& e) {
  using Kind = SamplingStrategy::Kind;
  switch (kind) {
    case Kind::automatic:
      return type == SamplingType::over ? label != e.c_major : label != e.c_minor;
    case Kind::minority:
      return label == e.c_minor;
    case Kind::majority:
      return label == e.c_major;
    case Kind::not_minority:
      return label != e.c_minor;
    case Kind::not_majority:
      return label != e.c_major;
    case Kind::all:
      return true;
    default:
      return false;
  }
}

/** resolve_strategy for a named rule ("auto", "minority", ...). */
[[nodiscard]] inline std::map<int, Eigen::Index> resolve_named(const SamplingStrategy& s,
                                                               const ClassCounts& counts,
                                                               SamplingType type,
                                                               const ClassExtremes& e) {
  std::map<int, Eigen::Index> out;
  for (const auto& [label, n] : counts) {
    if (!named_rule_targets(s.kind(), type, label, e)) continue;
    out[label] = type == SamplingType::over ? e.n_major - n : e.n_minor;
  }
  return out;
}

/** Resolves a strategy against the class counts of y, as imbalanced-learn's
 *  `check_sampling_strategy`:
 *  - over: class -> number of rows to generate;
 *  - under: class -> number of rows to keep;
 *  - clean: class -> (the minority count; only the keys matter).
 *  Classes absent from the result are left as they are.
 *  \throws InvalidArgument naming the class for an impossible request. */
[[nodiscard]] inline std::map<int, Eigen::Index> resolve_strategy(const SamplingStrategy& s,
                                                                  const ClassCounts& counts,
                                                                  SamplingType type,
                                                                  std::string_view sampler) {
  using Kind = SamplingStrategy::Kind;
  validate_strategy(s, type, sampler);
  if (counts.size() < 2) {
    fail(sampler, ": y needs at least 2 classes to resample (got ", counts.size(), ": class ",
         counts.empty() ? 0 : counts.begin()->first, ")");
  }
  ClassExtremes e;
  e.c_major = majority_class(counts);
  e.c_minor = minority_class(counts);
  e.n_major = counts.at(e.c_major);
  e.n_minor = counts.at(e.c_minor);
  switch (s.kind()) {
    case Kind::ratio:
      return resolve_ratio(s, counts, type, sampler, e);
    case Kind::counts:
      return resolve_counts(s, counts, type, sampler);
    case Kind::classes:
      return resolve_classes(s, counts, sampler, e);
    default:
      return resolve_named(s, counts, type, e);
  }
}

}  // namespace detail
OSPREY_NAMESPACE_END

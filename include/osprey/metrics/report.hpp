/** \file
 *  A printable per-class summary of a classifier's predictions: scikit-learn's
 *  `classification_report` (precision, recall, F1, support; accuracy; macro and weighted
 *  averages), with imbalanced-learn's specificity and geometric-mean columns added.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "../core/detail/rounded.hpp"
#include "classification.hpp"

OSPREY_NAMESPACE_BEGIN

namespace detail {

/** Python's `repr` of a float (what scikit-learn's report prints for float supports): the
 *  shortest digits that round-trip, fixed notation with at least one decimal when the decimal
 *  exponent is in [-4, 16), otherwise `d.ddde+XX`. */
[[nodiscard]] inline std::string python_float_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string sci(buf, res.ptr);  // e.g. "-1.2345e+02", the shortest round-trip digits
  const std::size_t e = sci.find('e');
  const bool negative = sci[0] == '-';
  std::string digits;
  for (std::size_t i = negative ? 1 : 0; i < e; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  const int exp = std::stoi(sci.substr(e + 1));
  std::string out = negative ? "-" : "";
  if (exp >= -4 && exp < 16) {
    const int n = static_cast<int>(digits.size());
    if (exp < 0) {
      out += "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
    } else if (exp + 1 >= n) {
      out += digits + std::string(static_cast<std::size_t>(exp + 1 - n), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(exp + 1)) + "." +
             digits.substr(static_cast<std::size_t>(exp + 1));
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) {
    out += '.';
    out.append(digits, 1, std::string::npos);  // not "." + substr: g++ 12 -O3 false positive
  }
  const int a = exp < 0 ? -exp : exp;
  out += std::string(exp < 0 ? "e-" : "e+") + (a < 10 ? "0" : "") + std::to_string(a);
  return out;
}

/** `np.sum` of a whole float64 vector (numpy_pairwise_sum), so a printed total equals
 *  scikit-learn's to the last digit. */
[[nodiscard]] inline double numpy_sum(const std::vector<double>& v) {
  return numpy_pairwise_sum(v.data(), v.size());
}

}  // namespace detail

/** The numbers of a classification report; print it with `operator<<` or `to_string()`. */
struct ClassificationReport {
  /** One line of the report. */
  struct Row {
    std::string name;             ///< the class label, "macro avg" or "weighted avg"
    double precision = 0.0;       ///< tp / (tp + fp)
    double recall = 0.0;          ///< tp / (tp + fn), the sensitivity
    double f1 = 0.0;              ///< harmonic mean of precision and recall
    double specificity = 0.0;     ///< tn / (tn + fp), imbalanced-learn's definition
    double geometric_mean = 0.0;  ///< sqrt(recall * specificity), imbalanced-learn's "geo"
    std::int64_t support = 0;     ///< number of samples of the class in y_true
    /** Sum of the sample weights of the class in y_true (`support` when unweighted); the
     *  average rows hold the total weight. */
    double weighted_support = 0.0;
  };

  std::vector<Row> classes;  ///< one row per label, in sorted label order
  double accuracy = 0.0;     ///< fraction of correct predictions
  Row macro_avg;             ///< unweighted mean of the class rows
  Row weighted_avg;          ///< mean of the class rows weighted by support
  int digits = 2;            ///< decimals printed (scikit-learn's `digits`)
  /** Print the specificity and geo-mean columns (imbalanced-learn); false prints exactly
   *  scikit-learn's layout. */
  bool imbalanced_columns = true;
  /** Built with sample weights: the support column prints `weighted_support` as scikit-learn
   *  prints its float supports (Python's shortest repr, e.g. `12.5`, `3.0`). */
  bool weighted = false;

  /** The report as text, in scikit-learn's layout: right-aligned names, 9-character columns,
   *  a blank line after the header and after the class rows, an accuracy line that shows only
   *  the accuracy (under f1-score) and the total support. */
  [[nodiscard]] std::string to_string() const {
    std::vector<std::string> headers = {"precision", "recall", "f1-score"};
    if (imbalanced_columns) {
      headers.emplace_back("specificity");
      headers.emplace_back("geo-mean");
    }
    headers.emplace_back("support");
    std::size_t width = std::string("weighted avg").size();
    for (const Row& r : classes) width = std::max(width, r.name.size());
    width = std::max(width, static_cast<std::size_t>(std::max(digits, 0)));
    auto col_width = [&](std::size_t c) {
      return static_cast<int>(std::max<std::size_t>(9, headers[c].size()));
    };
    const int w = static_cast<int>(width);
    std::ostringstream out;
    out << std::right << std::fixed << std::setprecision(std::max(digits, 0));
    out << std::setw(w) << "" << ' ';
    for (std::size_t c = 0; c < headers.size(); ++c)
      out << ' ' << std::setw(col_width(c)) << headers[c];
    out << "\n\n";
    auto row = [&](const Row& r) {
      std::vector<double> values = {r.precision, r.recall, r.f1};
      if (imbalanced_columns) {
        values.push_back(r.specificity);
        values.push_back(r.geometric_mean);
      }
      out << std::setw(w) << r.name << ' ';
      for (std::size_t c = 0; c < values.size(); ++c)
        out << ' ' << std::setw(col_width(c)) << values[c];
      out << ' ' << std::setw(col_width(values.size()));
      if (weighted) {
        out << detail::python_float_repr(r.weighted_support) << '\n';
      } else {
        out << r.support << '\n';
      }
    };
    for (const Row& r : classes) row(r);
    out << '\n';
    std::int64_t count = 0;
    std::vector<double> supports;
    for (const Row& r : classes) {
      count += r.support;
      supports.push_back(r.weighted_support);
    }
    const std::string total =
        weighted ? detail::python_float_repr(detail::numpy_sum(supports)) : std::to_string(count);
    out << std::setw(w) << "accuracy" << ' ';
    for (std::size_t c = 0; c + 1 < headers.size(); ++c) {
      out << ' ' << std::setw(col_width(c));
      if (c == 2) {
        out << accuracy;
      } else {
        out << "";
      }
    }
    out << ' ' << std::setw(col_width(headers.size() - 1)) << total << '\n';
    row(macro_avg);
    row(weighted_avg);
    return out.str();
  }
};

/** Writes `report.to_string()`. */
inline std::ostream& operator<<(std::ostream& out, const ClassificationReport& report) {
  return out << report.to_string();
}

/** Builds the classification report of `y_pred` against `y_true` over the sorted union of their
 *  labels: per-class precision, recall, F1 (scikit-learn), specificity and geometric mean
 *  (imbalanced-learn, the per-class `sqrt(recall * specificity)`), support; accuracy; macro and
 *  weighted averages of every column.
 *
 *  \param zero_division value of a ratio with a zero denominator (scikit-learn's default 0).
 *  \param sample_weight optional per-sample weights (empty = unweighted): every ratio is one of
 *         sums of weights, the supports are weighted (`Row::weighted_support`, printed as
 *         scikit-learn prints them) and the weighted average weighs a class by that support.
 *  \throws InvalidArgument on a length mismatch, empty input or bad `sample_weight` (wrong
 *          length, NaN, infinite or negative entries, a zero sum).
 *  Complexity O(n + k) for k labels. Thread safety: pure function. */
inline ClassificationReport classification_report(
    const Eigen::Ref<const Eigen::VectorXi>& y_true,
    const Eigen::Ref<const Eigen::VectorXi>& y_pred,
    ZeroDivision zero_division = ZeroDivision::zero,
    const SampleWeight& sample_weight = detail::unweighted()) {
  detail::check_labels(y_true, y_pred, sample_weight, "classification_report");
  const detail::LabelCounts c = detail::label_counts(y_true, y_pred, sample_weight);
  ClassificationReport report;
  report.weighted = detail::is_weighted(sample_weight);
  // Weighted, the per-class numbers of samples come from a second, unweighted count.
  detail::LabelCounts counted;
  if (report.weighted) counted = detail::label_counts(y_true, y_pred);
  const detail::LabelCounts& rows = report.weighted ? counted : c;
  double correct = 0.0;
  const std::size_t k = c.labels.size();
  std::vector<double> p(k), r(k), f(k), s(k), g(k), weights(k);
  for (std::size_t i = 0; i < k; ++i) {
    const detail::Prf prf = detail::prf(c.tp[i], c.fp[i], c.fn[i], 1.0, zero_division);
    ClassificationReport::Row row;
    row.name = std::to_string(c.labels[i]);
    row.precision = p[i] = prf.precision;
    row.recall = r[i] = prf.recall;
    row.f1 = f[i] = prf.f;
    row.specificity = s[i] = detail::safe_divide(c.tn[i], c.tn[i] + c.fp[i], zero_division);
    row.geometric_mean = g[i] = std::sqrt(row.recall * row.specificity);
    row.support = static_cast<std::int64_t>(rows.tp[i] + rows.fn[i]);
    correct += c.tp[i];
    row.weighted_support = weights[i] = c.tp[i] + c.fn[i];
    report.classes.push_back(row);
  }
  report.accuracy = correct / c.n;
  auto average = [&](const std::string& name, const std::vector<double>& w) {
    ClassificationReport::Row row;
    row.name = name;
    row.precision = detail::nan_average(p, w);
    row.recall = detail::nan_average(r, w);
    row.f1 = detail::nan_average(f, w);
    row.specificity = detail::nan_average(s, w);
    row.geometric_mean = detail::nan_average(g, w);
    row.support = y_true.size();
    row.weighted_support = report.weighted ? detail::numpy_sum(weights) : c.n;
    return row;
  };
  report.macro_avg = average("macro avg", {});
  report.weighted_avg = average("weighted avg", weights);
  return report;
}

OSPREY_NAMESPACE_END

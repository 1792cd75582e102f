/** \file
 *  A printable per-class summary of a classifier's predictions: scikit-learn's
 *  `classification_report` (precision, recall, F1, support; accuracy; macro and weighted
 *  averages), with imbalanced-learn's specificity and geometric-mean columns added.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "classification.hpp"

OSPREY_NAMESPACE_BEGIN

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
  };

  std::vector<Row> classes;  ///< one row per label, in sorted label order
  double accuracy = 0.0;     ///< fraction of correct predictions
  Row macro_avg;             ///< unweighted mean of the class rows
  Row weighted_avg;          ///< mean of the class rows weighted by support
  int digits = 2;            ///< decimals printed (scikit-learn's `digits`)
  /** Print the specificity and geo-mean columns (imbalanced-learn); false prints exactly
   *  scikit-learn's layout. */
  bool imbalanced_columns = true;

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
      out << ' ' << std::setw(col_width(values.size())) << r.support << '\n';
    };
    for (const Row& r : classes) row(r);
    out << '\n';
    std::int64_t total = 0;
    for (const Row& r : classes) total += r.support;
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
 *  (imbalanced-learn), support; accuracy; macro and weighted averages of every column.
 *
 *  \param zero_division value of a ratio with a zero denominator (scikit-learn's default 0).
 *  \throws InvalidArgument on a length mismatch or empty input.
 *  Complexity O(n + k) for k labels. Thread safety: pure function. */
inline ClassificationReport classification_report(const Eigen::Ref<const Eigen::VectorXi>& y_true,
                                                  const Eigen::Ref<const Eigen::VectorXi>& y_pred,
                                                  ZeroDivision zero_division = ZeroDivision::zero) {
  detail::check_label_pair(y_true, y_pred);
  const detail::LabelCounts c = detail::label_counts(y_true, y_pred);
  ClassificationReport report;
  const std::size_t k = c.labels.size();
  std::vector<double> p(k), r(k), f(k), s(k), g(k), weights(k);
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < k; ++i) {
    const auto tp = static_cast<double>(c.tp[i]);
    const auto fp = static_cast<double>(c.fp[i]);
    const auto fn = static_cast<double>(c.fn[i]);
    const auto tn = static_cast<double>(c.tn[i]);
    const detail::Prf prf = detail::prf(tp, fp, fn, 1.0, zero_division);
    ClassificationReport::Row row;
    row.name = std::to_string(c.labels[i]);
    row.precision = p[i] = prf.precision;
    row.recall = r[i] = prf.recall;
    row.f1 = f[i] = prf.f;
    row.specificity = s[i] = detail::safe_divide(tn, tn + fp, zero_division);
    row.geometric_mean = g[i] = std::sqrt(row.recall * row.specificity);
    row.support = c.tp[i] + c.fn[i];
    weights[i] = static_cast<double>(row.support);
    correct += c.tp[i];
    report.classes.push_back(row);
  }
  report.accuracy = static_cast<double>(correct) / static_cast<double>(c.n);
  auto average = [&](const std::string& name, const std::vector<double>& w) {
    ClassificationReport::Row row;
    row.name = name;
    row.precision = detail::nan_average(p, w);
    row.recall = detail::nan_average(r, w);
    row.f1 = detail::nan_average(f, w);
    row.specificity = detail::nan_average(s, w);
    row.geometric_mean = detail::nan_average(g, w);
    row.support = c.n;
    return row;
  };
  report.macro_avg = average("macro avg", {});
  report.weighted_avg = average("weighted avg", weights);
  return report;
}

OSPREY_NAMESPACE_END

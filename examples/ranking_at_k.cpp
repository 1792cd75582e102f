// An alert queue judged the way an operations team reads it. An isolation forest scores the ODDS
// thyroid set (3,772 patients, 93 labelled outliers, 2.5 %); the analysts review the highest
// anomaly scores first. Prints precision and recall at a few queue lengths, the gain chart
// (share of the outliers found against share of the population reviewed, with the lift), and
// the NDCG@k of the same ranking cut into daily queues of 100 cases. With an output folder, also
// draws the gain chart there (gain.svg, with gnuplot when installed; the data files stay).
//
//   examples/ranking_at_k data/od_thyroid/thyroid.csv [out_dir]
#include <cstdio>
#include <iostream>
#include <string>

#include <osprey/anomaly/isolation_forest.hpp>
#include <osprey/io/csv.hpp>
#include <osprey/metrics/ranking_at_k.hpp>
#include <vector>

#include "common/gnuplot.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " <thyroid.csv> [out_dir]\n";
    return 2;
  }
  try {
    const auto data = osprey::read_csv<double>(std::string(argv[1]), {.label_index = -1});
    osprey::IsolationForest<> forest({.n_estimators = 200, .random_state = 7});
    forest.fit(data.X);
    const Eigen::VectorXd score = forest.anomaly_score(data.X);  // higher = review first
    const Eigen::VectorXi& y = data.y;

    std::printf("queue  precision@k  recall@k\n");
    for (const Eigen::Index k : {25, 50, 100, 200}) {
      std::printf("%5ld  %11.3f  %8.3f\n", static_cast<long>(k),
                  osprey::precision_at_k(y, score, k), osprey::recall_at_k(y, score, k));
    }

    const osprey::GainCurve gain = osprey::cumulative_gain_curve(y, score);
    std::printf("\nreviewed  found  lift   (gain chart)\n");
    Eigen::Index t = 1;
    for (const double share : {0.01, 0.02, 0.05, 0.10, 0.20}) {
      while (t + 1 < gain.population.size() && gain.population(t) < share) ++t;
      std::printf("%7.1f%%  %4.0f%%  %4.1f\n", 100.0 * gain.population(t), 100.0 * gain.recall(t),
                  gain.lift(t));
    }

    // Daily queues: 37 days of 100 cases (rows = days), relevance = labelled outlier.
    const Eigen::Index days = y.size() / 100;
    osprey::RowMatrix<double> rel(days, 100), s(days, 100);
    for (Eigen::Index i = 0; i < days * 100; ++i) {
      rel(i / 100, i % 100) = y(i);
      s(i / 100, i % 100) = score(i);
    }
    std::printf("\nNDCG@10 of %ld daily queues: %.3f (all: %.3f)\n", static_cast<long>(days),
                osprey::ndcg_score(rel, s, 10), osprey::ndcg_score(rel, s));
    if (argc > 2) {
      const std::vector<double> x(gain.population.begin(), gain.population.end());
      const std::vector<double> found(gain.recall.begin(), gain.recall.end());
      const double prevalence =
          static_cast<double>((y.array() == 1).count()) / static_cast<double>(y.size());
      example::Plot plot{.title = "Gain chart: isolation forest on thyroid (2.5 % outliers)",
                         .xlabel = "share of patients reviewed (highest anomaly score first)",
                         .ylabel = "share of outliers found",
                         .series = {{.title = "isolation forest", .x = x, .y = found},
                                    {.title = "perfect ranking",
                                     .x = {0.0, prevalence, 1.0},
                                     .y = {0.0, 1.0, 1.0},
                                     .style = "lines dt 2 lw 1"},
                                    {.title = "random review",
                                     .x = {0.0, 1.0},
                                     .y = {0.0, 1.0},
                                     .style = "lines dt 3 lw 1"}}};
      const bool drawn = example::draw(std::string(argv[2]) + "/gain.svg", plot);
      std::printf("\ngain chart %s in %s\n", drawn ? "drawn" : "data written", argv[2]);
    }
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

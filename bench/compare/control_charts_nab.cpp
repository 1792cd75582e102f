// Runs osprey's default Ewma and Cusum, HalfSpaceTrees and StreamingIsolationForest on one NAB
// series, for bench/compare/control_charts_nab.py.
//
//   compare_control_charts_nab <series.csv> [fit_fraction = 0.15]
//
// Reads NAB's "timestamp,value" CSV, fits both charts on the first fit_fraction of the samples
// (NAB's probationary period) and runs detect() on the rest. HalfSpaceTrees (defaults: 25 trees,
// height 15, window 250, alarm when the score exceeds 0.9) takes its one feature's limits from
// the probationary period's min and max, learns that period (score_learn) and then update()s
// every later sample. StreamingIsolationForest (defaults) learns the probationary period as well
// and alarms on a later sample whose score (before learning it) exceeds the highest score it gave
// in that period once warmed up. Prints
//   n <samples>
//   fit <samples used by fit>
//   ewma <index of every alarm, in the whole series> ...
//   cusum <...>
//   hst <...>
//   sif <...>
// or "skip <reason>" when a chart cannot be fitted (a flat probationary period).
#include <osprey/streams/control_charts.hpp>
#include <osprey/streams/half_space_trees.hpp>
#include <osprey/streams/streaming_isolation_forest.hpp>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: compare_control_charts_nab <series.csv> [fit_fraction]\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "cannot open " << argv[1] << "\n";
    return 1;
  }
  const double fraction = argc == 3 ? std::stod(argv[2]) : 0.15;
  std::vector<double> values;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    const auto comma = line.find(',');
    if (comma == std::string::npos) continue;
    values.push_back(std::stod(line.substr(comma + 1)));
  }
  const Eigen::Map<const Eigen::VectorXd> x(values.data(),
                                            static_cast<Eigen::Index>(values.size()));
  const auto n_fit = static_cast<Eigen::Index>(fraction * static_cast<double>(x.size()));
  std::cout << "n " << x.size() << "\nfit " << n_fit << "\n";
  try {
    osprey::Ewma<> ewma;
    osprey::Cusum<> cusum;
    ewma.fit(x.head(n_fit));
    cusum.fit(x.head(n_fit));
    const Eigen::VectorXi a_ewma = ewma.detect(x.tail(x.size() - n_fit));
    const Eigen::VectorXi a_cusum = cusum.detect(x.tail(x.size() - n_fit));
    const Eigen::VectorXi a_hst = [&] {
      osprey::HalfSpaceTrees<> hst({.limits = osprey::feature_ranges(x.head(n_fit))});
      (void)hst.score_learn(x.head(n_fit));
      Eigen::VectorXi a(x.size() - n_fit);
      for (Eigen::Index i = n_fit; i < x.size(); ++i) {
        a(i - n_fit) = static_cast<int>(hst.update(x.segment(i, 1)).alarm);
      }
      return a;
    }();
    // StreamingIsolationForest (defaults) learns the probationary period too; its alarm
    // threshold is the highest score it gave there once warmed up (no alarm on the clean stretch).
    const Eigen::VectorXi a_sif = [&] {
      osprey::StreamingIsolationForest<> sif({.n_threads = 1});
      const Eigen::VectorXd s = sif.score_learn(x.head(n_fit));
      const double threshold = s.maxCoeff();
      Eigen::VectorXi a(x.size() - n_fit);
      for (Eigen::Index i = n_fit; i < x.size(); ++i) {
        a(i - n_fit) = static_cast<int>(sif.score(x.segment(i, 1)) > threshold);
        sif.learn(x.segment(i, 1));
      }
      return a;
    }();
    for (const auto& [name, a] : {std::pair{"ewma", &a_ewma}, std::pair{"cusum", &a_cusum},
                                  std::pair{"hst", &a_hst}, std::pair{"sif", &a_sif}}) {
      std::cout << name;
      for (Eigen::Index i = 0; i < a->size(); ++i) {
        if ((*a)(i) != 0) std::cout << ' ' << n_fit + i;
      }
      std::cout << "\n";
    }
  } catch (const osprey::InvalidArgument& e) {
    std::cout << "skip " << e.what() << "\n";
  }
  return 0;
}

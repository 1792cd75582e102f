// The stream-detector guide's usage example (docs/stream_detectors.md): HalfSpaceTrees on a
// stream of 4 features whose limits come from its first window, scored and learnt one sample at
// a time, a planted shift, the score distribution of a clean stretch, and a save/load mid-stream.
#include <algorithm>
#include <iostream>
#include <osprey/core/random.hpp>
#include <osprey/io/serialize.hpp>
#include <osprey/streams/half_space_trees.hpp>
#include <sstream>
#include <vector>

int main() {
  osprey::Rng rng(1);  // 3,000 normal rows, then 500 rows shifted by 3 sigma in every feature
  osprey::RowMatrix<double> X(3500, 4);
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    for (Eigen::Index j = 0; j < 4; ++j) X(i, j) = rng.normal() + (i >= 3000 ? 3.0 : 0.0);

  osprey::HalfSpaceTrees<> hst(
      {.limits = osprey::feature_ranges(X.topRows(250)), .random_state = 7});
  const Eigen::VectorXd warm = hst.score_learn(X.topRows(2000));            // a batch, in order
  std::vector<double> clean(warm.data() + 250, warm.data() + warm.size());  // after window 1
  std::sort(clean.begin(), clean.end());
  std::cout << "clean scores: median " << clean[clean.size() / 2] << ", 99.9% "
            << clean[clean.size() * 999 / 1000] << "\n";

  int alarms = 0, first = -1;
  for (Eigen::Index i = 2000; i < X.rows(); ++i) {
    const osprey::Signal<double> s = hst.update(X.row(i));  // score, then learn
    if (s.alarm == osprey::Alarm::upper) {
      ++alarms;
      if (first < 0) first = static_cast<int>(i);
    }
    if (i == 3100) {  // save mid-stream; the copy goes on exactly as the original
      std::stringstream file;
      osprey::save(hst, file);
      auto copy = osprey::load<osprey::HalfSpaceTrees<>>(file);
      std::cout << "restored copy scores the next sample " << copy.score(X.row(i + 1))
                << ", the original " << hst.score(X.row(i + 1)) << "\n";
    }
  }
  std::cout << alarms << " alarms (score > " << hst.params().threshold << "), the first at row "
            << first << "; the shift starts at row 3000\n";
}

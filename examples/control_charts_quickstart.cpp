// The control-chart guide's usage example (docs/control_charts.md): fit an EWMA and a CUSUM chart
// on in-control data, stream samples through update(), batch a series through detect(), and
// choose limits from a false-alarm budget.
#include <iostream>
#include <osprey/osprey.hpp>

int main() {
  osprey::Rng rng(1);  // seeded data: 500 in-control samples, then a 1-sigma shift
  Eigen::VectorXd x(800);
  for (Eigen::Index i = 0; i < x.size(); ++i)
    x(i) = rng.normal(100.0, 4.0) + (i >= 500 ? 4.0 : 0.0);

  // Limits from a budget: in-control ARL 1,000 samples = 1 false alarm per 1,000 points.
  const double h = osprey::cusum_h_for_arl(0.5, 1000.0);
  std::cout << "h for ARL0 = 1000: " << h
            << " (ARL for a 1-sigma shift: " << osprey::cusum_arl(0.5, h, 1.0) << ")\n";

  osprey::Cusum<> cusum({.k = 0.5, .h = h});
  cusum.fit(x.head(300));  // mean and sigma (moving range / 1.128) from in-control data
  std::cout << "fitted mean " << cusum.mean() << ", sigma " << cusum.sigma() << "\n";
  for (Eigen::Index i = 300; i < x.size(); ++i) {
    const osprey::Signal<double> s = cusum.update(x(i));  // one sample at a time
    if (s.alarm != osprey::Alarm::none) {
      std::cout << "CUSUM alarm at sample " << i << ": C+ = " << s.upper_statistic
                << " > H = " << s.upper_limit << "\n";
      break;
    }
  }

  osprey::Ewma<> ewma({.lambda = 0.2, .L = 3.0});  // defaults, spelled out
  ewma.fit(x.head(300));
  const Eigen::VectorXi alarms = ewma.detect(x.tail(500));  // batch: 0 / +1 / -1 per sample
  Eigen::Index first = -1;
  for (Eigen::Index i = 0; i < alarms.size() && first < 0; ++i) {
    if (alarms(i) != 0) first = 300 + i;
  }
  std::cout << "EWMA: " << alarms.cwiseAbs().sum() << " alarms, the first at sample " << first
            << "\n";
  return 0;
}

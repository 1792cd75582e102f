// A fraud scorer's life in one program: fit, save, restart, serve one request at a time, keep
// a monitoring bank running across the restart, and cancel a refit on shutdown
// (docs/serving.md walks through each step).
//
//   serving OUT_DIR
//
// Everything is generated from fixed seeds, so the output is the same on every machine.

#include <Eigen/Core>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <osprey/io/serialize.hpp>
#include <osprey/osprey.hpp>
#include <thread>

namespace {

/** Card transactions: 4 features, 1% of them shifted (fraud). */
Eigen::MatrixXd transactions(Eigen::Index n, std::uint64_t seed) {
  osprey::Rng rng(seed);
  Eigen::MatrixXd X(n, 4);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double shift = i % 100 == 0 ? 4.0 : 0.0;
    for (Eigen::Index j = 0; j < X.cols(); ++j) X(i, j) = rng.normal(100.0 + shift, 15.0);
  }
  return X;
}

/** Alerts per minute of `n_series` merchants over `steps` minutes; from step `drift_from` on,
 *  merchant 7 doubles its rate. */
Eigen::MatrixXd alert_counts(Eigen::Index steps, Eigen::Index n_series, Eigen::Index drift_from,
                             std::uint64_t seed) {
  osprey::Rng rng(seed);
  Eigen::MatrixXd C(steps, n_series);
  for (Eigen::Index t = 0; t < steps; ++t) {
    for (Eigen::Index s = 0; s < n_series; ++s) {
      const double rate = (s == 7 && t >= drift_from) ? 20.0 : 10.0;
      C(t, s) = rate + rng.normal(0.0, 3.0);
    }
  }
  return C;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: serving OUT_DIR\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);

  // 1. Fit, then save: the scaler, the forest and a bank that has watched 60 minutes.
  const Eigen::MatrixXd X = transactions(20000, 1);
  osprey::StandardScaler<double> scaler;
  osprey::IsolationForest<double> forest(
      {.n_estimators = 100, .contamination = 0.01, .random_state = 7});
  forest.fit(scaler.fit_transform(X));
  const Eigen::MatrixXd counts = alert_counts(120, 50, 80, 2);
  osprey::CusumBank<double> bank({.k = 0.5, .h = 5.0});
  bank.fit(counts.topRows(40));                    // baseline per merchant
  (void)bank.detect(counts.middleRows(40, 20));    // 20 minutes of monitoring
  osprey::CusumBank<double> uninterrupted = bank;  // the reference: never restarted
  osprey::save(scaler, dir / "scaler.osp");        // atomic replace
  osprey::save(forest, dir / "forest.osp");
  osprey::save(bank, dir / "cusum_bank.osp");
  std::cout << "saved scaler, forest and bank to <out>\n";

  // 2. "Restart": load them back.
  const auto scaler2 = osprey::load<osprey::StandardScaler<double>>(dir / "scaler.osp");
  auto forest2 = osprey::load<osprey::IsolationForest<double>>(dir / "forest.osp");
  auto bank2 = osprey::load<osprey::CusumBank<double>>(dir / "cusum_bank.osp");

  // 3. Serve one request at a time on this thread, allocation-free, and compare with the batch.
  const Eigen::MatrixXd requests = transactions(1000, 3);
  const Eigen::VectorXd batch = forest.score_samples(scaler.transform(requests));
  osprey::ThreadLimit one_thread(1);
  Eigen::RowVectorXd z(requests.cols());
  Eigen::Index equal = 0;
  Eigen::Index flagged = 0;
  for (Eigen::Index i = 0; i < requests.rows(); ++i) {
    scaler2.transform_into(requests.row(i), z);
    equal += forest2.score_one(z) == batch(i) ? 1 : 0;
    flagged += forest2.predict_one(z) == -1 ? 1 : 0;
  }
  std::cout << equal << " of " << requests.rows()
            << " single-row scores after the restart equal the batch scores; " << flagged
            << " requests flagged\n";

  // 4. The restored bank continues exactly where it stopped.
  const Eigen::MatrixXd rest = counts.bottomRows(60);
  const auto alarms_restored = bank2.detect(rest);
  const auto alarms_reference = uninterrupted.detect(rest);
  Eigen::Index first_alarm = -1;
  for (Eigen::Index t = 0; t < alarms_restored.rows() && first_alarm < 0; ++t) {
    if (alarms_restored(t, 7) != 0) first_alarm = 60 + t;
  }
  std::cout << "restored bank: alarms identical to an uninterrupted run: "
            << (alarms_restored == alarms_reference ? "yes" : "no")
            << "; merchant 7 (drifting from minute 80) alarms at minute " << first_alarm << "\n";

  // 5. Shutdown during a long refit: cancel it from another thread; the old forest stays.
  osprey::CancellationToken shutdown;
  forest2.set_execution({.cancellation = shutdown});  // a loaded model gets a token, stays fitted
  osprey::IsolationForest<double> refit({.n_estimators = 100000, .cancellation = shutdown});
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    shutdown.cancel();
  });
  bool cancelled = false;
  try {
    refit.fit(scaler.transform(transactions(20000, 4)));
  } catch (const osprey::Cancelled&) {
    cancelled = true;
  }
  stopper.join();
  shutdown.reset();  // re-arms the token that forest2 shares, so it can serve again
  std::cout << "refit of 100000 trees cancelled: " << (cancelled ? "yes" : "no")
            << "; the cancelled forest is unfitted: " << (refit.is_fitted() ? "no" : "yes")
            << "; the served forest still scores as before: "
            << (forest2.score_samples(scaler.transform(requests)) == batch ? "yes" : "no") << "\n";
  return 0;
}

// dist::roc_auc_score and dist::average_precision_score on p = 1, 2, 4 in-process ranks
// (ThreadCommunicator) against single-node osprey on the same scores: wall time (median of
// `reps` runs, each including the exchange), the bytes the ranks sent in all, and the result's
// equality. Usage: dist_metrics [n_rows = 10000000] [reps = 3]. With more ranks than
// cores the ranks share them (oversubscribed): the times then show the overhead of the
// distributed form on one box, not a speed-up.
#include <osprey/core/random.hpp>
#include <osprey/dist/metrics.hpp>
#include <osprey/dist/thread_communicator.hpp>
#include <osprey/metrics/ranking.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const Eigen::Index n = argc > 1 ? std::atol(argv[1]) : 10'000'000;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 3;
  osprey::Rng rng(42);
  Eigen::VectorXi y(n);
  Eigen::VectorXd s(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    y(i) = rng.uniform() < 0.1 ? 1 : 0;
    // scores with 4 decimals: realistic ties
    s(i) = std::round((rng.uniform() + 0.2 * y(i)) * 1e4) / 1e4;
  }
  std::vector<double> t1;
  double auc = 0.0, ap = 0.0;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    auc = osprey::roc_auc_score(y, s);
    ap = osprey::average_precision_score(y, s);
    t1.push_back(seconds_since(t0));
  }
  std::printf("n = %lld rows, %u hardware threads\n", static_cast<long long>(n),
              std::thread::hardware_concurrency());
  std::printf("%-12s %10s %14s %12s %10s %12s\n", "form", "wall ms", "bytes sent", "bytes/row",
              "auc equal", "ap |diff|");
  std::printf("%-12s %10.1f %14s %12s %10s %12s\n", "single-node", 1e3 * median(t1), "-", "-", "-",
              "-");
  for (const int p : {1, 2, 4}) {
    std::vector<double> times;
    std::atomic<std::uint64_t> bytes{0};
    double dauc = 0.0, dap = 0.0;
    for (int r = 0; r < reps; ++r) {
      bytes = 0;
      const auto t0 = std::chrono::steady_clock::now();
      osprey::dist::run_ranks(
          p,
          [&](osprey::dist::ThreadCommunicator& comm) {
            const auto rank = static_cast<Eigen::Index>(comm.rank());
            const Eigen::Index a = n * rank / p, b = n * (rank + 1) / p;
            const auto before = comm.stats().bytes_sent;
            const double x =
                osprey::dist::roc_auc_score(comm, y.segment(a, b - a), s.segment(a, b - a));
            const double z = osprey::dist::average_precision_score(comm, y.segment(a, b - a),
                                                                   s.segment(a, b - a));
            bytes += comm.stats().bytes_sent - before;
            if (comm.rank() == 0) dauc = x, dap = z;
          },
          1);
      times.push_back(seconds_since(t0));
    }
    std::printf("%-12s %10.1f %14llu %12.2f %10s %12.2e\n", ("p = " + std::to_string(p)).c_str(),
                1e3 * median(times), static_cast<unsigned long long>(bytes.load()),
                static_cast<double>(bytes.load()) / static_cast<double>(n),
                dauc == auc ? "yes" : "NO", std::abs(dap - ap));
  }
  return 0;
}

// Side-by-side driver for bench/compare/lof.py: times osprey's LocalOutlierFactor (fit, which
// scores the training rows) on a binary data file and writes negative_outlier_factor() so the
// script can check it against scikit-learn's. Plain program, no Google Benchmark, so the Python
// script can time scikit-learn on the same data in the same run.
//
//   compare_lof <data.f64> <rows> <cols> <k> <threads> <repeat> <out.f64>
//       data.f64: rows x cols little-endian float64, row after row. Prints one line
//       "fit_s=<t1>,<t2>,... offset=..." (one time per repeat) and writes the rows' scores
//       (float64) to out.f64. With repeat >= 2 a second line follows, the "calls lof" line of
//       call_stats.hpp (first and warm fit, page faults, peak RSS).
#include <chrono>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "call_stats.hpp"

#include <osprey/osprey.hpp>

int main(int argc, char** argv) {
  try {
    if (argc < 8) {
      std::cerr << "usage: compare_lof data.f64 rows cols k threads repeat out.f64\n";
      return 2;
    }
    const auto rows = static_cast<Eigen::Index>(std::stoll(argv[2]));
    const auto cols = static_cast<Eigen::Index>(std::stoll(argv[3]));
    const int k = std::stoi(argv[4]);
    const int threads = std::stoi(argv[5]);
    const int repeat = std::stoi(argv[6]);
    std::vector<double> raw(static_cast<std::size_t>(rows * cols));
    std::ifstream in(argv[1], std::ios::binary);
    in.read(reinterpret_cast<char*>(raw.data()),
            static_cast<std::streamsize>(raw.size() * sizeof(double)));
    if (static_cast<std::size_t>(in.gcount()) != raw.size() * sizeof(double)) {
      throw std::runtime_error(std::string("short read from ") + argv[1]);
    }
    // The file is row after row, as osprey stores its training rows: no transposing copy.
    const Eigen::Map<const osprey::RowMatrix<double>> X(raw.data(), rows, cols);
    osprey::LocalOutlierFactor<double> lof({.n_neighbors = k, .n_threads = threads});
    std::vector<compare::CallStats> calls;
    std::cout << "fit_s=";
    for (int r = 0; r < repeat; ++r) {
      calls.push_back(compare::measure_call([&] { lof.fit(X); }));
      std::cout << (r > 0 ? "," : "") << calls.back().seconds;
    }
    std::cout << " offset=" << lof.offset() << std::endl;
    if (calls.size() >= 2) compare::print_calls("lof", calls);
    const Eigen::VectorXd nof = lof.negative_outlier_factor();
    std::ofstream out(argv[7], std::ios::binary);
    out.write(
        reinterpret_cast<const char*>(nof.data()),
        static_cast<std::streamsize>(nof.size()) * static_cast<std::streamsize>(sizeof(double)));
    return out ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "compare_lof: " << e.what() << "\n";
    return 1;
  }
}

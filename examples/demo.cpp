// The main demonstration: a seeded stream of card transactions with injected fraud, written to
// CSV, read back with the strict reader, and standardised. Each module extends this walkthrough.
//
//   demo [--out DIR] [--quick]
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <osprey/osprey.hpp>
#include <string>

namespace {

struct Options {
  std::filesystem::path out = "osprey-demo";
  bool quick = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      o.out = argv[++i];
    } else if (a == "--quick") {
      o.quick = true;
    } else {
      throw osprey::InvalidArgument("unknown argument '" + a +
                                    "'; usage: demo [--out DIR] [--quick]");
    }
  }
  return o;
}

// amount, hour of day, distance from home (km), merchant risk, seconds since last transaction
void write_transactions(const std::filesystem::path& file, int n, std::uint64_t seed) {
  osprey::detail::Rng rng(seed);
  std::ofstream out(file);
  out << "amount,hour,distance_km,merchant_risk,gap_s,label\n" << std::setprecision(10);
  for (int i = 0; i < n; ++i) {
    const bool fraud = rng.uniform() < 0.02;
    const double amount = fraud ? std::exp(rng.normal(6.0, 1.0)) : std::exp(rng.normal(3.5, 0.8));
    const double hour = fraud ? rng.uniform(0.0, 6.0) : rng.uniform(7.0, 23.0);
    const double distance =
        fraud ? std::abs(rng.normal(400.0, 200.0)) : std::abs(rng.normal(5.0, 8.0));
    const double risk = fraud ? rng.uniform(0.4, 1.0) : rng.uniform(0.0, 0.6);
    const double gap =
        fraud ? std::abs(rng.normal(60.0, 30.0)) : std::abs(rng.normal(20000.0, 8000.0));
    out << amount << ',' << hour << ',' << distance << ',' << risk << ',' << gap << ','
        << (fraud ? 1 : 0) << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) try {
  const Options opt = parse(argc, argv);
  std::filesystem::create_directories(opt.out);
  const int n = opt.quick ? 5000 : 50000;

  std::cout << "osprey " << OSPREY_VERSION_MAJOR << '.' << OSPREY_VERSION_MINOR << '.'
            << OSPREY_VERSION_PATCH << " demonstration\n\n";
  const auto csv = opt.out / "transactions.csv";
  write_transactions(csv, n, 2026);
  const auto data = osprey::read_csv<double>(csv.string(), {.label = "label"});
  const auto n_fraud = data.y.sum();
  std::cout << "1. Data: " << data.X.rows() << " transactions x " << data.X.cols() << " features, "
            << n_fraud << " fraudulent (" << std::fixed << std::setprecision(2)
            << 100.0 * n_fraud / static_cast<double>(data.X.rows()) << "%), read from "
            << csv.string() << "\n";

  osprey::StandardScaler<> scaler;
  const Eigen::MatrixXd Z = scaler.fit_transform(data.X);
  std::cout << "2. Standardised features (mean -> 0, sd -> 1):\n";
  for (Eigen::Index j = 0; j < Z.cols(); ++j) {
    std::cout << "   " << std::setw(14) << std::left << data.columns[static_cast<std::size_t>(j)]
              << std::right << " mean " << std::setw(12) << std::setprecision(3) << scaler.mean()(j)
              << "  sd " << std::setw(12) << scaler.scale()(j) << "  fraud rows' mean z "
              << std::setw(7)
              << (Z.col(j).array() * data.y.cast<double>().array()).sum() /
                     static_cast<double>(n_fraud)
              << "\n";
  }
  std::cout << "\nDone. Files are in " << opt.out.string() << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "demo: " << e.what() << "\n";
  return 1;
}

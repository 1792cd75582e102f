// Classify a real, imbalanced data set with k-nearest neighbours under two metrics.
//
//   neighbors <csv> [k]
//
// The CSV has a header and an integer `label` column (e.g. data/imb_page_blocks0/page-blocks0.csv).
// The rows are shuffled with a fixed seed and split 70 / 30; features are standardised with
// statistics of the training part only (k-NN distances are dominated by the widest-ranged feature
// otherwise); then KNeighborsClassifier with Euclidean and Manhattan distances, distance weights,
// predicts the held-out part. Prints accuracy, balanced accuracy and the confusion matrix (rows =
// true label, columns = predicted).
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 with -march=native on AVX-512 reports a false -Wmaybe-uninitialized inside Eigen's
// packet code; it must be silenced before the first Eigen include (only matters with -Werror).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <osprey/osprey.hpp>

#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>
#include <numeric>
#include <string>
#include <vector>

namespace {

// Rows = true label, columns = predicted label, both in `labels` order.
Eigen::MatrixXi confusion(const Eigen::VectorXi& truth, const Eigen::VectorXi& pred,
                          const Eigen::VectorXi& labels) {
  std::map<int, Eigen::Index> at;
  for (Eigen::Index i = 0; i < labels.size(); ++i) at[labels(i)] = i;
  Eigen::MatrixXi cm = Eigen::MatrixXi::Zero(labels.size(), labels.size());
  for (Eigen::Index i = 0; i < truth.size(); ++i) ++cm(at.at(truth(i)), at.at(pred(i)));
  return cm;
}

template <class Metric>
void evaluate(const char* name, int k, const Eigen::MatrixXd& Xtr, const Eigen::VectorXi& ytr,
              const Eigen::MatrixXd& Xte, const Eigen::VectorXi& yte) {
  osprey::KNeighborsClassifier<double, Metric> knn(
      {.n_neighbors = k, .weights = osprey::Weights::distance});
  const auto t0 = std::chrono::steady_clock::now();
  knn.fit(Xtr, ytr);
  const Eigen::VectorXi pred = knn.predict(Xte);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const Eigen::MatrixXi cm = confusion(yte, pred, knn.classes());
  const double accuracy = static_cast<double>(cm.trace()) / static_cast<double>(yte.size());
  double recall_sum = 0.0;
  for (Eigen::Index c = 0; c < cm.rows(); ++c) {
    const int row = cm.row(c).sum();
    recall_sum += row > 0 ? static_cast<double>(cm(c, c)) / row : 0.0;
  }
  std::cout << "\n"
            << name << " (k = " << k << ", distance weights, "
            << "fit + predict " << std::fixed << std::setprecision(1) << ms << " ms)\n";
  std::cout << std::setprecision(4) << "  accuracy          " << accuracy << "\n"
            << "  balanced accuracy " << recall_sum / static_cast<double>(cm.rows()) << "\n"
            << "  confusion matrix (rows = true, columns = predicted; labels "
            << knn.classes().transpose() << ")\n";
  for (Eigen::Index r = 0; r < cm.rows(); ++r) {
    std::cout << "   ";
    for (Eigen::Index c = 0; c < cm.cols(); ++c) std::cout << std::setw(7) << cm(r, c);
    std::cout << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: neighbors <csv with a 'label' column> [k]\n";
    return 2;
  }
  try {
    const int k = argc > 2 ? std::stoi(argv[2]) : 5;
    const auto data = osprey::read_csv<double>(argv[1], {.label = "label"});
    const Eigen::Index n = data.X.rows();
    std::cout << "read " << n << " rows x " << data.X.cols() << " features from " << argv[1]
              << "\n";

    // Shuffle with a fixed seed (the file may be sorted by label), split 70 / 30.
    std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    osprey::Rng rng(2026);
    osprey::detail::shuffle(order.begin(), order.end(), rng);
    const Eigen::Index n_train = n * 7 / 10;
    Eigen::MatrixXd Xtr(n_train, data.X.cols());
    Eigen::MatrixXd Xte(n - n_train, data.X.cols());
    Eigen::VectorXi ytr(n_train);
    Eigen::VectorXi yte(n - n_train);
    for (Eigen::Index i = 0; i < n; ++i) {
      const Eigen::Index src = order[static_cast<std::size_t>(i)];
      if (i < n_train) {
        Xtr.row(i) = data.X.row(src);
        ytr(i) = data.y(src);
      } else {
        Xte.row(i - n_train) = data.X.row(src);
        yte(i - n_train) = data.y(src);
      }
    }

    // Scale first: fitted on the training part only, applied to both.
    osprey::StandardScaler<> scaler;
    const Eigen::MatrixXd Ztr = scaler.fit_transform(Xtr);
    const Eigen::MatrixXd Zte = scaler.transform(Xte);

    evaluate<osprey::Euclidean>("Euclidean", k, Ztr, ytr, Zte, yte);
    evaluate<osprey::Manhattan>("Manhattan", k, Ztr, ytr, Zte, yte);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

// Bad input to the distributed metrics, folds and SMOTE: every rank throws InvalidArgument with
// the single-node message (prefixed with the failing rank for a local fault), none hangs.
#include <osprey/dist/metrics.hpp>
#include <osprey/dist/smote.hpp>
#include <osprey/dist/stratified_kfold.hpp>
#include <osprey/dist/thread_communicator.hpp>

#include <atomic>
#include <limits>
#include <mutex>
#include <string>

#include "catch2/catch.hpp"

namespace dist = osprey::dist;

namespace {

/** Runs `fn(comm, rank)` on p thread ranks; returns the message every rank threw as
 *  InvalidArgument, or "" when a rank did not throw or ranks disagree. The ranks catch it and
 *  return normally (a rank that threw out of run_ranks would end the others' collectives). */
template <class F>
std::string message_on_every_rank(int p, F fn) {
  std::atomic<int> threw{0};
  std::string first;
  std::atomic<bool> agree{true};
  std::mutex m;
  try {
    dist::run_ranks(p, [&](dist::ThreadCommunicator& comm) {
      try {
        fn(comm, comm.rank());
      } catch (const osprey::InvalidArgument& e) {
        ++threw;
        const std::lock_guard lock(m);
        if (first.empty()) first = e.what();
        if (first != e.what()) agree = false;
      }
    });
  } catch (const std::exception& e) {
    FAIL_CHECK("a rank failed the group: " << e.what());
  }
  return threw == p && agree ? first : std::string();
}

Eigen::VectorXi labels(std::initializer_list<int> v) {
  Eigen::VectorXi y(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (const int x : v) y(i++) = x;
  return y;
}

}  // namespace

TEST_CASE("dist::roc_auc_score: bad input throws the single-node message on every rank",
          "[dist][metrics]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // a NaN score on rank 1 (its local index 1)
  CHECK(message_on_every_rank(3, [&](auto& comm, int r) {
          Eigen::VectorXd s(2);
          s << 0.1, r == 1 ? nan : 0.2;
          (void)dist::roc_auc_score(comm, labels({0, 1}), s);
        }) == "rank 1: scores contains a non-finite value (nan) at index 1");
  // a length mismatch on rank 2 only
  CHECK(message_on_every_rank(3,
                              [&](auto& comm, int r) {
                                const Eigen::VectorXd s = Eigen::VectorXd::Zero(r == 2 ? 3 : 2);
                                (void)dist::roc_auc_score(comm, labels({0, 1}), s);
                              }) ==
        "rank 2: y_true and scores have inconsistent lengths: y_true has 2 rows, scores has 3 "
        "entries");
  // one class globally, though each rank alone looks fine: the single-node message
  const Eigen::VectorXi ones = labels({1, 1});
  std::string single;
  try {
    (void)osprey::roc_auc_score(ones, Eigen::VectorXd::Zero(2));
  } catch (const osprey::InvalidArgument& e) {
    single = e.what();
  }
  CHECK(!single.empty());
  CHECK(message_on_every_rank(2, [&](auto& comm, int) {
          (void)dist::roc_auc_score(comm, ones, Eigen::VectorXd::Zero(2));
        }) == single);
  // three classes over the ranks (rank 0: {0, 1}, rank 1: {1, 2})
  CHECK(message_on_every_rank(2,
                              [&](auto& comm, int r) {
                                (void)dist::roc_auc_score(comm,
                                                          r == 0 ? labels({0, 1}) : labels({1, 2}),
                                                          Eigen::VectorXd::Zero(2));
                              }) ==
        "roc_auc_score: y_true holds more than two classes; pass a score matrix with one column "
        "per class for one-vs-rest AUC");
  // nothing anywhere
  CHECK(message_on_every_rank(2, [&](auto& comm, int) {
          (void)dist::roc_auc_score(comm, Eigen::VectorXi(0), Eigen::VectorXd(0));
        }) == "roc_auc_score: y_true and scores are empty (0 samples)");
}

TEST_CASE("dist::average_precision_score: bad labels throw the single-node message",
          "[dist][metrics]") {
  CHECK(message_on_every_rank(
            3,
            [&](auto& comm, int) {
              (void)dist::average_precision_score(comm, labels({0, 0}), Eigen::VectorXd::Zero(2));
            }) ==
        "average_precision_score: pos_label=1 is not present in y_true (labels 0); the curve is "
        "undefined without positive samples");
  CHECK(message_on_every_rank(2, [&](auto& comm, int r) {
          (void)dist::average_precision_score(comm, r == 0 ? labels({0, 1}) : labels({3, 1}),
                                              Eigen::VectorXd::Zero(2));
        }).starts_with("average_precision_score: y_true holds more than two classes"));
  CHECK(message_on_every_rank(2, [&](auto& comm, int r) {
          Eigen::MatrixXd s = Eigen::MatrixXd::Zero(2, r == 0 ? 1 : 2);
          (void)dist::average_precision_score(comm, labels({0, 1}), s);
        }) == "rank 1: average_precision_score: scores must be a single column (got 2 x 2)");
}

TEST_CASE("dist::population_stability_index: bad input throws on every rank", "[dist][metrics]") {
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(message_on_every_rank(4, [&](auto& comm, int r) {
          Eigen::VectorXd e = Eigen::VectorXd::LinSpaced(5, 0, 1);
          if (r == 3) e(4) = inf;
          (void)dist::population_stability_index(comm, e, e);
        }) == "rank 3: expected contains a non-finite value (inf) at index 4");
  CHECK(message_on_every_rank(3, [&](auto& comm, int r) {
          (void)dist::population_stability_index(comm, Eigen::VectorXd(0),
                                                 Eigen::VectorXd::Constant(r, 1.0));
        }) == "population_stability_index: expected is empty");
  CHECK(message_on_every_rank(2, [&](auto& comm, int) {
          (void)dist::population_stability_index(comm, Eigen::VectorXd::Ones(3),
                                                 Eigen::VectorXd::Ones(3), 1);
        }) == "n_bins must be >= 2 (got 1)");
}

TEST_CASE("dist::StratifiedKFold: global class checks throw the single-node message",
          "[dist][model_selection]") {
  // class 5 has 2 members over the ranks, n_splits = 3
  CHECK(message_on_every_rank(
            3,
            [&](auto& comm, int r) {
              const Eigen::VectorXi y = r == 1 ? labels({0, 0, 0}) : labels({5, 0, 0});
              (void)dist::StratifiedKFold({.n_splits = 3}).split(comm, y);
            }) ==
        "StratifiedKFold: n_splits=3 is greater than the 2 members of class 5; every class "
        "needs at least n_splits members");
}

TEST_CASE("dist::Smote: bad input throws on every rank", "[dist][imbalance]") {
  CHECK(message_on_every_rank(2, [&](auto& comm, int r) {
          Eigen::MatrixXd X = Eigen::MatrixXd::Zero(4, 2);
          if (r == 1) X(2, 1) = std::numeric_limits<double>::quiet_NaN();
          (void)dist::Smote<>({.k_neighbors = 1}).fit_resample(comm, X, labels({0, 0, 0, 1}));
        }) == "rank 1: X contains a non-finite value (nan) at row 2, column 1");
  CHECK(message_on_every_rank(2, [&](auto& comm, int r) {
          const Eigen::MatrixXd X = Eigen::MatrixXd::Zero(4, r == 0 ? 2 : 3);
          (void)dist::Smote<>({.k_neighbors = 1}).fit_resample(comm, X, labels({0, 0, 0, 1}));
        }) == "dist::Smote: rank 1 has X with 3 columns, the ranks before it 2");
  // class 1 has 2 rows globally, k_neighbors = 2 needs 3
  CHECK(message_on_every_rank(2, [&](auto& comm, int) {
          const Eigen::MatrixXd X = Eigen::MatrixXd::Random(4, 2);
          (void)dist::Smote<>({.k_neighbors = 2}).fit_resample(comm, X, labels({0, 0, 0, 1}));
        }) == "Smote: class 1 has 2 rows but k_neighbors = 2 needs at least 3 rows in the class");
  CHECK(message_on_every_rank(3, [&](auto& comm, int) {
          (void)dist::Smote<>().fit_resample(comm, Eigen::MatrixXd(0, 2), Eigen::VectorXi(0));
        }) == "X is empty (0 rows x 2 columns)");
  CHECK(message_on_every_rank(2, [&](auto& comm, int) {
          (void)dist::Smote<>().fit_resample(comm, Eigen::MatrixXd(3, 0), labels({0, 1, 1}));
        }) == "X is empty (6 rows x 0 columns)");
}

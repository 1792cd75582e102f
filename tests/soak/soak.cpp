// Concurrency soak test: many threads call the const scoring methods of shared fitted models
// while another thread saves and loads copies of them. Every answer must equal the serial one,
// bit for bit. Built as its own program (osprey_soak) so that CI can run it under
// ThreadSanitizer as well as in the optimised build.
//
//   osprey_soak [seconds] [threads]     (defaults: 10 seconds, 8 threads)
//
// Each worker makes a bounded number of calls (kCallsPerWorker) and stops early at the deadline,
// so a slow (sanitised) build still ends in time. The exit status is 0 when every answer matched.

#include <Eigen/Core>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <osprey/osprey.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kCallsPerWorker = 200000;

/** Bitwise equality of two Eigen objects of the same shape. */
template <class A, class B>
bool same_bits(const A& a, const B& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  using S = typename A::Scalar;
  for (Eigen::Index j = 0; j < a.cols(); ++j) {
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
      const S x = a(i, j);
      const S y = b(i, j);
      if (std::memcmp(&x, &y, sizeof(S)) != 0) return false;
    }
  }
  return true;
}

/** Deterministic data: a few Gaussian-ish clusters from osprey's own Rng. */
Eigen::MatrixXd make_data(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
  osprey::Rng rng(seed);
  Eigen::MatrixXd X(n, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double centre = static_cast<double>(i % 3) * 4.0;
    for (Eigen::Index j = 0; j < d; ++j) X(i, j) = centre + rng.normal();
  }
  return X;
}

/** One kind of call: computes its answer from the shared models and checks it against the
 *  serial answer recorded before the threads started. */
struct Task {
  const char* name;
  std::function<bool()> run;  // true = same answer as serially
};

/** Saves `model` to a string stream and loads it back. */
template <class M>
M round_trip(const M& model) {
  std::stringstream buffer;
  osprey::save(model, buffer);
  return osprey::load<M>(buffer);
}

/** A random directed graph of 2,000 nodes and 20,000 edges. */
osprey::Graph<double> make_graph() {
  std::vector<osprey::Graph<double>::Edge> edges;
  osprey::Rng rng(11);
  for (int e = 0; e < 20000; ++e) {
    edges.emplace_back(static_cast<std::int64_t>(rng.bounded(2000)),
                       static_cast<std::int64_t>(rng.bounded(2000)));
  }
  return osprey::Graph<double>::from_edges(2000, edges);
}

struct Models {
  Eigen::MatrixXd X_train = make_data(3000, 8, 1);
  Eigen::MatrixXd X_query = make_data(64, 8, 2);
  Eigen::MatrixXd X_low = make_data(20000, 3, 3);
  Eigen::MatrixXd Q_low = make_data(64, 3, 4);
  Eigen::VectorXi y;
  Eigen::VectorXd y_real;
  osprey::StandardScaler<double> scaler;
  osprey::IsolationForest<double> forest{{.n_estimators = 100, .random_state = 7}};
  osprey::KNeighborsClassifier<double> knn{
      {.n_neighbors = 7, .algorithm = osprey::Algorithm::brute}};
  osprey::KNeighborsRegressor<double, osprey::Manhattan> knr{
      {.n_neighbors = 5, .algorithm = osprey::Algorithm::kd_tree}};
  osprey::NearestNeighbors<float> nn{{.n_neighbors = 4}};
  osprey::HnswIndex<float> hnsw{{.M = 8, .ef_construction = 64, .random_state = 5}};
  osprey::Graph<double> graph = make_graph();
  osprey::PageRank<double> pagerank;
  Eigen::VectorXd auc_scores;

  Models() {
    y.resize(X_train.rows());
    for (Eigen::Index i = 0; i < y.size(); ++i) y(i) = static_cast<int>(i % 3 == 0);
    y_real = X_low.col(0) + X_low.col(1);
    scaler.fit(X_train);
    forest.fit(scaler.transform(X_train));
    knn.fit(X_train, y);
    knr.fit(X_low, y_real);
    nn.fit(X_low.cast<float>());
    hnsw.add(X_train.cast<float>());
    hnsw.remove(std::vector<int>{0, 7, 11});  // tombstones: navigated, never returned
    pagerank.fit(graph);
    auc_scores = forest.score_samples(scaler.transform(X_train));
  }
};

/** The tasks, with the serial answers captured at construction. */
std::vector<Task> make_tasks(const Models& m) {
  std::vector<Task> tasks;
  const Eigen::MatrixXd scaled = m.scaler.transform(m.X_query);
  tasks.push_back({"scaler.transform",
                   [&m, scaled] { return same_bits(m.scaler.transform(m.X_query), scaled); }});
  const Eigen::VectorXd forest_scores = m.forest.score_samples(scaled);
  tasks.push_back({"forest.score_samples", [&m, scaled, forest_scores] {
                     return same_bits(m.forest.score_samples(scaled), forest_scores);
                   }});
  const Eigen::MatrixXd proba = m.knn.predict_proba(m.X_query);
  tasks.push_back({"knn.predict_proba",
                   [&m, proba] { return same_bits(m.knn.predict_proba(m.X_query), proba); }});
  const Eigen::VectorXd reg = m.knr.predict(m.Q_low);
  tasks.push_back(
      {"kd_tree regressor.predict", [&m, reg] { return same_bits(m.knr.predict(m.Q_low), reg); }});
  const osprey::Neighbors<float> nbrs = m.nn.kneighbors(m.Q_low.cast<float>());
  tasks.push_back({"nearest_neighbors.kneighbors", [&m, nbrs] {
                     const auto got = m.nn.kneighbors(m.Q_low.cast<float>());
                     return same_bits(got.indices, nbrs.indices) &&
                            same_bits(got.distances, nbrs.distances);
                   }});
  const osprey::Neighbors<float> approx = m.hnsw.kneighbors(m.X_query.cast<float>(), 6);
  tasks.push_back({"hnsw.kneighbors", [&m, approx] {
                     const auto got = m.hnsw.kneighbors(m.X_query.cast<float>(), 6);
                     return same_bits(got.indices, approx.indices) &&
                            same_bits(got.distances, approx.distances);
                   }});
  const Eigen::VectorXd ranks = m.pagerank.scores();
  tasks.push_back({"pagerank.fit(shared graph)", [&m, ranks] {
                     osprey::PageRank<double> own;
                     own.fit(m.graph);
                     return same_bits(own.scores(), ranks);
                   }});
  const double auc = osprey::roc_auc_score(m.y, m.auc_scores);
  tasks.push_back(
      {"roc_auc_score", [&m, auc] { return osprey::roc_auc_score(m.y, m.auc_scores) == auc; }});
  return tasks;
}

/** Saves and loads copies of every model and checks their answers, until told to stop. */
void save_load_loop(const Models& m, const std::atomic<bool>& stop, std::atomic<long>& rounds,
                    std::atomic<long>& mismatches) {
  const Eigen::MatrixXd scaled = m.scaler.transform(m.X_query);
  while (!stop.load()) {
    bool ok = same_bits(round_trip(m.scaler).transform(m.X_query), scaled);
    ok =
        ok && same_bits(round_trip(m.forest).score_samples(scaled), m.forest.score_samples(scaled));
    ok =
        ok && same_bits(round_trip(m.knn).predict_proba(m.X_query), m.knn.predict_proba(m.X_query));
    ok = ok && same_bits(round_trip(m.knr).predict(m.Q_low), m.knr.predict(m.Q_low));
    ok = ok && same_bits(round_trip(m.pagerank).scores(), m.pagerank.scores());
    const Eigen::MatrixXf q = m.X_query.cast<float>();
    ok = ok &&
         same_bits(round_trip(m.hnsw).kneighbors(q, 6).indices, m.hnsw.kneighbors(q, 6).indices);
    osprey::PageRank<double> on_copy;
    on_copy.fit(round_trip(m.graph));
    ok = ok && same_bits(on_copy.scores(), m.pagerank.scores());
    if (!ok) mismatches.fetch_add(1);
    rounds.fetch_add(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 10.0;
  const int n_workers = argc > 2 ? std::atoi(argv[2]) : 8;
  if (seconds <= 0 || n_workers < 1) {
    std::fprintf(stderr, "usage: osprey_soak [seconds > 0] [threads >= 1]\n");
    return 2;
  }
  const Models models;
  const std::vector<Task> tasks = make_tasks(models);
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(seconds));

  std::vector<std::atomic<long>> calls(tasks.size());
  std::vector<std::atomic<long>> wrong(tasks.size());
  std::atomic<bool> stop{false};
  std::atomic<long> rounds{0};
  std::atomic<long> round_mismatches{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < n_workers; ++w) {
    workers.emplace_back([&, w] {
      // Half the workers run every call on their own thread (a service's usual setting); the
      // others let osprey start its OpenMP team, so both paths run concurrently.
      std::optional<osprey::ThreadLimit> one;
      if (w % 2 == 0) one.emplace(1);
      for (int c = 0; c < kCallsPerWorker && Clock::now() < deadline; ++c) {
        const std::size_t t = static_cast<std::size_t>(w + c) % tasks.size();
        if (!tasks[t].run()) wrong[t].fetch_add(1);
        calls[t].fetch_add(1);
      }
    });
  }
  std::thread saver([&] { save_load_loop(models, stop, rounds, round_mismatches); });
  for (auto& t : workers) t.join();
  stop.store(true);
  saver.join();

  long total_wrong = round_mismatches.load();
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    std::printf("%-32s %8ld calls %6ld wrong\n", tasks[t].name, calls[t].load(), wrong[t].load());
    total_wrong += wrong[t].load();
    if (calls[t].load() == 0) {
      std::printf("  (never ran: the deadline is too short)\n");
      ++total_wrong;
    }
  }
  std::printf("%-32s %8ld rounds %5ld wrong\n", "save + load + score copies", rounds.load(),
              round_mismatches.load());
  std::printf(total_wrong == 0 ? "soak: every answer equals the serial one\n" : "soak: FAILED\n");
  return total_wrong == 0 ? 0 : 1;
}

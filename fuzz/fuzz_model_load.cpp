// libFuzzer target for every model loader (io/serialize.hpp), in one executable: the loader is
// picked by OSPREY_FUZZ_MODEL (e.g. OSPREY_FUZZ_MODEL=graph) or by a `-model=<name>` argument.
// `osprey::load` must either return a model that works, or throw osprey::FormatError. Every
// input is used twice: as a whole file (header, length and checksum checks), and wrapped as the
// payload of a valid envelope with a correct checksum, so the payload validation behind the
// checksum is fuzzed too.
//
// With `-make_corpus=<dir>` it writes the seed corpus (small real saved models) instead:
//   fuzz_model_load -make_corpus=fuzz/corpus   (see fuzz/CMakeLists.txt)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <osprey/osprey.hpp>
#include <sstream>
#include <string>

namespace {

using Loader = std::function<void(const std::string&)>;

osprey::Matrix<double> data(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
  osprey::Rng rng(seed);
  osprey::Matrix<double> X(n, d);
  for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = rng.normal();
  return X;
}

/** Loads E from `bytes`; a loaded model must answer a query. */
template <class E, class Use>
void try_load(const std::string& bytes, Use use) {
  std::istringstream in(bytes);
  try {
    const E model = osprey::load<E>(in);
    use(model);
  } catch (const osprey::FormatError&) {
  }
}

/** A query of d features (none for absurd widths that a valid file may still name). */
template <class S>
bool query(Eigen::Index d, osprey::Matrix<S>& Q) {
  if (d > 4096) return false;
  Q = data(3, d, 1).cast<S>();
  return true;
}

template <class S>
void load_all(const std::string& model, const std::string& b) {
  using osprey::Matrix;
  if (model == "standard_scaler") {
    try_load<osprey::StandardScaler<S>>(b, [](const auto& m) {
      Matrix<S> Q;
      if (query(m.n_features_in(), Q)) (void)m.transform(Q);
    });
  } else if (model == "minmax_scaler") {
    try_load<osprey::MinMaxScaler<S>>(b, [](const auto& m) {
      Matrix<S> Q;
      if (!query(m.n_features_in(), Q)) return;
      (void)m.transform(Q);
      (void)m.inverse_transform(Q);
    });
  } else if (model == "nearest_neighbors") {
    try_load<osprey::NearestNeighbors<S, osprey::Manhattan>>(b, [](const auto& m) {
      Matrix<S> Q;
      if (query(m.n_features_in(), Q)) (void)m.kneighbors(Q, 1);
    });
  } else if (model == "knn_classifier") {
    try_load<osprey::KNeighborsClassifier<S>>(b, [](const auto& m) {
      Matrix<S> Q;
      if (query(m.n_features_in(), Q)) (void)m.predict_proba(Q);
    });
  } else if (model == "tuned_threshold") {
    try_load<osprey::TunedThresholdClassifier<osprey::KNeighborsClassifier<S>>>(
        b, [](const auto& m) {
          Matrix<S> Q;
          if (!query(m.fitted_estimator().n_features_in(), Q)) return;
          const Eigen::VectorXi p = m.predict(Q);
          if (!((p.array() == m.classes()(0)) || (p.array() == m.classes()(1))).all()) {
            __builtin_trap();
          }
        });
  } else if (model == "knn_regressor") {
    try_load<osprey::KNeighborsRegressor<S, osprey::Minkowski<3>>>(b, [](const auto& m) {
      Matrix<S> Q;
      if (query(m.n_features_in(), Q)) (void)m.predict(Q);
    });
  } else if (model == "isolation_forest") {
    try_load<osprey::IsolationForest<S>>(b, [](const auto& m) {
      Matrix<S> Q;
      if (!query(m.n_features_in(), Q)) return;
      const auto s = m.anomaly_score(Q);
      if (!(s.array() > 0).all() || !(s.array() <= 1).all()) __builtin_trap();
      (void)m.feature_contributions(Q.row(0));
    });
  } else if (model == "local_outlier_factor") {
    try_load<osprey::LocalOutlierFactor<S, osprey::Manhattan>>(b, [](const auto& m) {
      (void)m.negative_outlier_factor();
      Matrix<S> Q;
      if (!m.params().novelty || !query(m.n_features_in(), Q)) return;
      const auto s = m.score_samples(Q);
      if (!(s.array() < 0).all()) __builtin_trap();  // densities are positive: scores negative
      (void)m.predict(Q);
    });
  } else if (model == "graph") {
    try_load<osprey::Graph<S>>(b, [](const auto& g) {
      if (g.n_nodes() + g.n_edges() > 100000) return;
      osprey::PageRank<S> pr({.max_iter = 20});
      pr.fit(g);
      (void)g.dangling_nodes();
    });
  } else if (model == "pagerank") {
    try_load<osprey::PageRank<S>>(b, [](const auto& m) { (void)m.scores().sum(); });
  } else if (model == "ewma") {
    try_load<osprey::Ewma<S>>(b, [](auto m) {
      if (m.is_fitted()) (void)m.detect(data(20, 1, 2).col(0));
    });
  } else if (model == "cusum") {
    try_load<osprey::Cusum<S>>(b, [](auto m) {
      if (m.is_fitted()) (void)m.detect(data(20, 1, 2).col(0));
    });
  } else if (model == "ewma_bank") {
    try_load<osprey::EwmaBank<S>>(b, [](auto m) {
      if (m.is_fitted() && m.n_series() <= 4096) (void)m.detect(data(5, m.n_series(), 3));
    });
  } else if (model == "cusum_bank") {
    try_load<osprey::CusumBank<S>>(b, [](auto m) {
      if (m.is_fitted() && m.n_series() <= 4096) (void)m.detect(data(5, m.n_series(), 3));
    });
  } else if (model == "poisson_cusum") {
    try_load<osprey::PoissonCusum<S>>(b, [](auto m) {
      Eigen::Matrix<S, Eigen::Dynamic, 1> counts(6);
      counts << 0, 3, 1, 7, 2, 5;
      (void)m.detect(counts);
    });
  } else if (model == "psi_monitor") {
    try_load<osprey::PsiMonitor<S>>(b, [](auto m) {
      if (!m.is_fitted()) return;
      if (m.n_window() > 0 && !(m.psi() >= 0.0)) __builtin_trap();
      if (!(m.update(data(8, 1, 6).col(0).cast<S>()) >= 0.0)) __builtin_trap();
    });
  } else if (model == "streaming_isolation_forest") {
    try_load<osprey::StreamingIsolationForest<S>>(b, [](auto m) {
      Matrix<S> Q;
      if (!query(std::max<Eigen::Index>(1, m.n_features_in()), Q)) return;
      // Learning may grow a whole forest (warm_up reached): only for modest sizes.
      const bool learn = m.params().n_trees <= 256 && m.samples_per_tree() <= 4096;
      for (Eigen::Index i = 0; i < Q.rows(); ++i) {
        const S s = learn ? m.update(Q.row(i)).upper_statistic : m.score(Q.row(i));
        if (!(s >= 0 && s <= 1)) __builtin_trap();
      }
    });
  } else if (model == "half_space_trees") {
    try_load<osprey::HalfSpaceTrees<S>>(b, [](auto m) {
      if (m.n_features() > 4096) return;
      const auto s = m.score_learn(data(5, m.n_features(), 3));
      if (!((s.array() >= 0) && (s.array() <= 1)).all()) __builtin_trap();
    });
  } else if (model == "sigmoid_calibrator") {
    try_load<osprey::SigmoidCalibrator<S>>(b, [](const auto& m) {
      const auto p = m.predict(data(5, 1, 5).col(0).cast<S>());
      if (!((p.array() >= 0) && (p.array() <= 1)).all()) __builtin_trap();
    });
  } else if (model == "isotonic_calibrator") {
    try_load<osprey::IsotonicCalibrator<S>>(b, [](const auto& m) {
      const auto p = m.predict(data(5, 1, 5).col(0).cast<S>());
      if (!(p.array() == p.array()).all()) __builtin_trap();  // no NaN
    });
  } else if (model == "calibrated_classifier") {
    try_load<osprey::CalibratedClassifier<osprey::KNeighborsClassifier<S>>>(b, [](const auto& m) {
      Matrix<S> Q;
      if (query(m.fold_estimator(0).n_features_in(), Q)) (void)m.predict_proba(Q);
    });
  } else if (model == "pipeline") {
    try_load<osprey::Pipeline<osprey::StandardScaler<S>, osprey::KNeighborsClassifier<S>>>(
        b, [](const auto& m) {
          Matrix<S> Q;
          if (!query(m.template step<0>().n_features_in(), Q)) return;
          // A valid scaler may map a finite query far out of range (a tiny scale): the
          // estimator after it rightly refuses such features, which is not a load bug.
          const Matrix<S> Z = m.features(Q);
          if ((Z.array().abs() < S(1e6)).all()) (void)m.predict_proba(Q);
        });
  } else {
    std::fprintf(stderr, "fuzz_model_load: unknown model '%s'\n", model.c_str());
    std::abort();
  }
}

/** The saved form of a model (a valid file). */
template <class E>
std::string file_of(const E& m) {
  std::ostringstream out;
  osprey::save(m, out);
  return out.str();
}

std::string g_model;  // set once in LLVMFuzzerInitialize

/** Real saved models: the seed corpus and the envelopes the fuzzer wraps payloads into. */
std::map<std::string, std::vector<std::string>> seeds() {
  std::map<std::string, std::vector<std::string>> out;
  const auto X = data(12, 3, 4);
  Eigen::VectorXi y(12);
  for (Eigen::Index i = 0; i < 12; ++i) y(i) = static_cast<int>(i % 3);
  const Eigen::VectorXf t = X.col(0).cast<float>();
  out["standard_scaler"] = {file_of(osprey::StandardScaler<float>().fit(X)),
                            file_of(osprey::StandardScaler<double>({.with_std = false}).fit(X))};
  out["minmax_scaler"] = {file_of(osprey::MinMaxScaler<float>().fit(X)),
                          file_of(osprey::MinMaxScaler<double>({.clip = true}).fit(X))};
  out["nearest_neighbors"] = {file_of(osprey::NearestNeighbors<float, osprey::Manhattan>().fit(X)),
                              file_of(osprey::NearestNeighbors<double, osprey::Manhattan>(
                                          {.algorithm = osprey::Algorithm::kd_tree, .leaf_size = 2})
                                          .fit(X))};
  out["knn_classifier"] = {
      file_of(osprey::KNeighborsClassifier<float>({.n_neighbors = 3}).fit(X, y)),
      file_of(osprey::KNeighborsClassifier<double>().fit(X, y))};
  Eigen::VectorXi y2(12);
  for (Eigen::Index i = 0; i < 12; ++i) y2(i) = i % 3 == 0 ? 1 : 0;
  out["tuned_threshold"] = {
      file_of(
          osprey::TunedThresholdClassifier<osprey::KNeighborsClassifier<float>>(
              osprey::KNeighborsClassifier<float>({.n_neighbors = 3}),
              {.objective = osprey::ThresholdObjective::cost, .cost_fn = 5, .cv = {.n_splits = 2}})
              .fit(X, y2)),
      file_of(osprey::TunedThresholdClassifier<osprey::KNeighborsClassifier<double>>(
                  osprey::KNeighborsClassifier<double>({.n_neighbors = 2}), {.cv = {.n_splits = 3}})
                  .fit(X, y2))};
  out["knn_regressor"] = {
      file_of(osprey::KNeighborsRegressor<float, osprey::Minkowski<3>>().fit(X, t))};
  out["pipeline"] = {
      file_of(osprey::make_pipeline(osprey::StandardScaler<float>(),
                                    osprey::KNeighborsClassifier<float>({.n_neighbors = 2}))
                  .fit(X, y)),
      file_of(osprey::make_pipeline(osprey::StandardScaler<double>({.with_mean = false}),
                                    osprey::KNeighborsClassifier<double>())
                  .fit(X, y))};
  out["isolation_forest"] = {
      file_of(osprey::IsolationForest<float>({.n_estimators = 2, .max_samples = 8}).fit(X)),
      file_of(osprey::IsolationForest<double>({.n_estimators = 2, .max_samples = 4}).fit(X)),
      // Extended Isolation Forests: hyperplanes with 2 of 3 terms (normal features stored), and
      // fully extended after add_trees on fewer rows (a layout taller than psi's limit)
      file_of(osprey::IsolationForest<float>(
                  {.n_estimators = 2, .max_samples = 8, .extension_level = 1})
                  .fit(X)),
      file_of(osprey::IsolationForest<double>(
                  {.n_estimators = 1, .max_samples = 8, .contamination = 0.2, .extension_level = 2})
                  .fit(X.topRows(4))
                  .add_trees(X, 1))};
  out["local_outlier_factor"] = {
      file_of(osprey::LocalOutlierFactor<float, osprey::Manhattan>({.n_neighbors = 3}).fit(X)),
      file_of(osprey::LocalOutlierFactor<double, osprey::Manhattan>(
                  {.n_neighbors = 4, .contamination = 0.1, .novelty = true})
                  .fit(X))};
  const std::vector<osprey::Graph<float>::Edge> edges{{0, 1}, {1, 2}, {2, 0}, {3, 2}};
  const auto g = osprey::Graph<float>::from_edges(5, edges, std::vector<float>{1, 2, 3, 0.5F});
  out["graph"] = {file_of(g), file_of(osprey::Graph<double>::from_edges(3, {{0, 1}, {1, 1}}))};
  out["pagerank"] = {file_of(osprey::PageRank<float>().fit(g))};
  out["ewma"] = {file_of(osprey::Ewma<float>({.mean = 0.0, .sigma = 1.0})),
                 file_of(osprey::Ewma<double>({.reset_on_alarm = true}).fit(X.col(0)))};
  out["cusum"] = {file_of(osprey::Cusum<float>({.mean = 0.0, .sigma = 1.0})),
                  file_of(osprey::Cusum<double>().fit(X.col(1)))};
  out["ewma_bank"] = {file_of(osprey::EwmaBank<float>({.reset_on_alarm = true}).fit(X))};
  out["cusum_bank"] = {file_of(osprey::CusumBank<float>().fit(X))};
  osprey::PoissonCusum<float> pc({.mu0 = 2.0, .mu1 = 4.0, .h = 6.0, .mu1_lower = 1.0});
  (void)pc.detect(Eigen::VectorXf::LinSpaced(5, 0.0F, 4.0F));
  out["poisson_cusum"] = {file_of(pc),
                          file_of(osprey::PoissonCusum<double>(
                              {.mu0 = 0.5, .mu1 = 1.5, .k = 1.0, .fir_headstart = 0.5}))};
  osprey::PsiMonitor<float> pm({.n_bins = 4, .window_batches = 2});
  pm.fit(t);
  (void)pm.update(t.head(5));
  (void)pm.update(t.tail(4));
  (void)pm.update(t.segment(2, 3));
  osprey::PsiMonitor<double> pm2({.n_bins = 5});
  pm2.fit(X.col(1));
  (void)pm2.update(X.col(2));
  out["psi_monitor"] = {file_of(pm), file_of(pm2), file_of(osprey::PsiMonitor<double>())};
  osprey::StreamingIsolationForest<float> sif({.n_trees = 3,
                                               .window_size = 8,
                                               .max_samples = 4,
                                               .retrain_every = 3,
                                               .trees_per_retrain = 2,
                                               .random_state = 5});
  (void)sif.score_learn(X);
  osprey::StreamingIsolationForest<double> warming({.warm_up = 20});  // 12 samples: no forest yet
  (void)warming.score_learn(X);
  out["streaming_isolation_forest"] = {file_of(sif), file_of(warming)};
  osprey::HalfSpaceTrees<float> hst_f(
      {.n_trees = 2, .height = 3, .window_size = 4, .limits = osprey::feature_ranges(X)});
  (void)hst_f.score_learn(X.topRows(6));
  osprey::HalfSpaceTrees<double> hst_d(
      {.n_trees = 3, .height = 2, .window_size = 5, .limits = osprey::feature_ranges(X, 0.1)});
  (void)hst_d.score_learn(X.topRows(3));
  out["half_space_trees"] = {file_of(hst_f), file_of(hst_d)};
  const Eigen::VectorXi yb = (y.array() == 2).cast<int>();
  out["sigmoid_calibrator"] = {file_of(osprey::SigmoidCalibrator<float>().fit(t, yb)),
                               file_of(osprey::SigmoidCalibrator<double>().fit(X.col(1), yb))};
  out["isotonic_calibrator"] = {file_of(osprey::IsotonicCalibrator<float>().fit(t, yb)),
                                file_of(osprey::IsotonicCalibrator<double>().fit(X.col(1), yb))};
  using Knn = osprey::KNeighborsClassifier<float>;
  out["calibrated_classifier"] = {
      file_of(osprey::CalibratedClassifier<Knn>(Knn({.n_neighbors = 2}), {.cv = {.n_splits = 2}})
                  .fit(X.cast<float>(), y)),
      file_of(osprey::CalibratedClassifier<osprey::KNeighborsClassifier<double>>(
                  osprey::KNeighborsClassifier<double>({.n_neighbors = 2}),
                  {.method = osprey::CalibrationMethod::isotonic, .cv = {.n_splits = 2}})
                  .fit(X, yb))};
  return out;
}

std::string wrap(const std::string& model, const std::string& payload) {
  static const auto files = seeds();
  const std::string& file = files.at(model).front();  // a float model: its tag and scalar
  const std::size_t head = 18 + static_cast<unsigned char>(file[17]);
  osprey::detail::ByteWriter w;
  w.bytes() = file.substr(0, head);
  w.u64(payload.size());
  w.bytes() += payload;
  w.u64(osprey::detail::fnv1a64(w.bytes()));
  return w.bytes();
}

void make_corpus(const std::filesystem::path& dir) {
  for (const auto& [model, files] : seeds()) {
    const auto sub = dir / ("load_" + model);
    std::filesystem::create_directories(sub);
    for (std::size_t i = 0; i < files.size(); ++i) {
      const std::string& f = files[i];
      std::ofstream(sub / ("model_" + std::to_string(i) + ".bin"), std::ios::binary) << f;
      const std::size_t head = 18 + static_cast<unsigned char>(f[17]) + 8;
      if (i == 0) {  // the float model's payload alone, for the wrapped use
        std::ofstream(sub / "payload_0.bin", std::ios::binary)
            << f.substr(head, f.size() - head - 8);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  if (const char* env = std::getenv("OSPREY_FUZZ_MODEL")) g_model = env;
  for (int i = 1; i < *argc; ++i) {
    const std::string arg = (*argv)[i];
    if (arg.rfind("-model=", 0) == 0) g_model = arg.substr(7);
    if (arg.rfind("-make_corpus=", 0) == 0) {
      make_corpus(arg.substr(13));
      std::exit(0);
    }
  }
  if (g_model.empty()) {
    std::fprintf(stderr, "fuzz_model_load: set OSPREY_FUZZ_MODEL or pass -model=<name>\n");
    std::exit(2);
  }
  (void)wrap(g_model, "");  // fails early on an unknown model
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1U << 20) || size == 0) return 0;  // keep single runs small
  const std::string raw(reinterpret_cast<const char*>(data), size);
  load_all<float>(g_model, raw);
  load_all<double>(g_model, raw);
  load_all<float>(g_model, wrap(g_model, raw));  // the input as a checksummed payload
  return 0;
}

// StreamingIsolationForest: its first forest is IsolationForest's on the same samples, it
// forgets what left the window and the replaced trees (bit for bit), it adapts to a planted
// drift that a batch forest keeps flagging, the batch path equals the sample loop, a save/load
// mid-stream continues bit-identically, bad input is refused without changing the state, reset
// restarts, and results do not depend on the thread count.
#include "common/prelude.hpp"

#include <osprey/anomaly/isolation_forest.hpp>
#include <osprey/core/concepts.hpp>
#include <osprey/core/random.hpp>
#include <osprey/core/threads.hpp>
#include <osprey/io/serialize.hpp>
#include <osprey/streams/streaming_isolation_forest.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "common/estimator_checks.hpp"

using osprey::Alarm;
using osprey::FormatError;
using osprey::InvalidArgument;
using osprey::Matrix;
using osprey::StreamingIsolationForest;
using osprey::Vector;
using osprey::testing::normal_data;
using osprey::testing::require_throws_containing;
using Params = osprey::StreamingIsolationForestParams;

static_assert(osprey::StreamDetector<StreamingIsolationForest<double>>);
static_assert(osprey::StreamDetector<StreamingIsolationForest<float>>);
static_assert(!osprey::OutlierDetector<StreamingIsolationForest<double>>);
static_assert(osprey::Serializable<StreamingIsolationForest<float>>);
static_assert(std::is_same_v<StreamingIsolationForest<float>::Sample,
                             Eigen::Matrix<float, 1, Eigen::Dynamic>>);

namespace {

/** score then learn, sample by sample. */
template <class S>
Vector<S> loop_scores(StreamingIsolationForest<S>& f, const Matrix<double>& X) {
  Vector<S> out(X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    out(i) = f.score(X.row(i));
    f.learn(X.row(i));
  }
  return out;
}

template <class S>
std::string saved(const StreamingIsolationForest<S>& f) {
  std::ostringstream out;
  osprey::save(f, out);
  return out.str();
}

template <class S>
StreamingIsolationForest<S> loaded(const std::string& bytes) {
  std::istringstream in(bytes);
  return osprey::load<StreamingIsolationForest<S>>(in);
}

template <class V>
bool same_bits(const V& a, const V& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), sizeof(typename V::Scalar) * std::size_t(a.size())) == 0;
}

/** The file of `bytes` with its payload replaced by `payload` (valid length and checksum). */
std::string with_payload(const std::string& bytes, const std::string& payload) {
  const std::size_t head = 18 + static_cast<unsigned char>(bytes[17]);
  osprey::detail::ByteWriter w;
  w.bytes() = bytes.substr(0, head);
  w.u64(payload.size());
  w.bytes() += payload;
  w.u64(osprey::detail::fnv1a64(w.bytes()));
  return w.bytes();
}
std::string payload_of(const std::string& bytes) {
  const std::size_t head = 18 + static_cast<unsigned char>(bytes[17]) + 8;
  return bytes.substr(head, bytes.size() - head - 8);
}

}  // namespace

TEMPLATE_TEST_CASE(
    "StreamingIsolationForest: the first forest is IsolationForest's on the first "
    "warm_up samples",
    "[streams][sif]", float, double) {
  using T = TestType;
  const Matrix<double> X = normal_data(600, 5, 3);
  const Matrix<double> Q = normal_data(60, 5, 4) * 2.0;
  for (const Eigen::Index warm_up : {Eigen::Index{600}, Eigen::Index{200}, Eigen::Index{100}}) {
    INFO("warm_up = " << warm_up);
    StreamingIsolationForest<T> s({.n_trees = 40,
                                   .window_size = 600,
                                   .max_samples = 128,
                                   .warm_up = warm_up,
                                   .random_state = 11});
    for (Eigen::Index i = 0; i + 1 < warm_up; ++i) s.learn(X.row(i));
    CHECK_FALSE(s.is_ready());
    CHECK(s.score(Q.row(0)) == T(0));
    s.learn(X.row(warm_up - 1));
    REQUIRE(s.is_ready());
    CHECK(s.samples_per_tree() == std::min<Eigen::Index>(128, warm_up));
    osprey::IsolationForest<T> f({.n_estimators = 40, .max_samples = 128, .random_state = 11});
    f.fit(X.topRows(warm_up));
    const Vector<T> a = f.anomaly_score(Q);
    for (Eigen::Index i = 0; i < Q.rows(); ++i) {
      INFO("query " << i);
      CHECK(s.score(Q.row(i)) == a(i));
      CHECK(s.score(Q.row(i).transpose()) == a(i));  // a column works too
    }
    CHECK(s.window() == X.topRows(warm_up).cast<T>());
  }
}

TEST_CASE(
    "StreamingIsolationForest: scores forget samples older than the window and the "
    "replaced trees",
    "[streams][sif]") {
  // T R / k = 200 samples replace the forest; a tree grown at time t sees (t - 300, t]. So
  // two streams that agree on their last 300 + 200 + 50 samples hold the same forest.
  const Params p{.n_trees = 20,
                 .window_size = 300,
                 .max_samples = 64,
                 .retrain_every = 50,
                 .trees_per_retrain = 5,
                 .random_state = 5};
  const Matrix<double> A = normal_data(900, 3, 1);
  Matrix<double> B = A;
  B.topRows(300) = normal_data(300, 3, 2) * 3.0;
  const Matrix<double> Q = normal_data(40, 3, 9) * 2.0;
  StreamingIsolationForest<> a(p), b(p);
  const auto scores = [&](const StreamingIsolationForest<>& f) {
    Vector<double> out(Q.rows());
    for (Eigen::Index i = 0; i < Q.rows(); ++i) out(i) = f.score(Q.row(i));
    return out;
  };
  (void)a.score_learn(A.topRows(600));
  (void)b.score_learn(B.topRows(600));
  CHECK_FALSE(same_bits(scores(a), scores(b)));  // at 600 some trees still saw the old rows
  (void)a.score_learn(A.bottomRows(300));
  (void)b.score_learn(B.bottomRows(300));
  CHECK(same_bits(scores(a), scores(b)));
  CHECK(a.warm_up() == 64);
  CHECK(a.trees_grown() == 20 + 5 * ((900 - 64) / 50));
  CHECK(a.samples_since_retrain() == (900 - 64) % 50);
}

TEST_CASE(
    "StreamingIsolationForest: adapts to a lasting drift that the batch forest keeps "
    "flagging",
    "[streams][sif]") {
  // Regime A: N(0, 1) in 4 dimensions; from sample 1500 on, regime B: two of them shifted by
  // 4 sigma. Full adaptation takes about W + T R / k = 512 + 640 samples.
  const Params p{.n_trees = 50,
                 .window_size = 512,
                 .max_samples = 128,
                 .retrain_every = 64,
                 .trees_per_retrain = 5,
                 .random_state = 3};
  const Eigen::Index change = 1500, n = 4000;
  Matrix<double> X = normal_data(n, 4, 21);
  X.bottomRows(n - change).leftCols(2).array() += 4.0;
  StreamingIsolationForest<> s(p);
  Vector<double> score(n);
  Eigen::VectorXi alarm(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto sig = s.update(X.row(i));
    score(i) = sig.upper_statistic;
    alarm(i) = sig.alarm == Alarm::upper ? 1 : 0;
  }
  osprey::IsolationForest<> batch({.n_estimators = 50, .max_samples = 128, .random_state = 3});
  batch.fit(X.middleRows(change - 512, 512));  // the window just before the change
  const Vector<double> batch_score = batch.anomaly_score(X);
  const auto mean = [](const Vector<double>& v, Eigen::Index from, Eigen::Index len) {
    return v.segment(from, len).mean();
  };
  const auto rate = [&](const Vector<double>& v, Eigen::Index from, Eigen::Index len) {
    return static_cast<double>((v.segment(from, len).array() > 0.5).count()) /
           static_cast<double>(len);
  };
  // Just after the change both flag the new regime.
  CHECK(mean(score, change, 50) > 0.6);
  CHECK(rate(score, change, 50) > 0.9);
  // Long after it, the stream's detector treats B as normal (as it treated A before the
  // change), while the batch forest still flags nearly every B sample.
  const Eigen::Index late = n - 1000;
  INFO("stream mean late " << mean(score, late, 1000) << ", before the change "
                           << mean(score, change - 1000, 1000) << "; batch late "
                           << mean(batch_score, late, 1000) << "; alarm rates "
                           << rate(score, late, 1000) << ", " << rate(score, change - 1000, 1000));
  CHECK(mean(score, late, 1000) < 0.5);
  CHECK(std::abs(mean(score, late, 1000) - mean(score, change - 1000, 1000)) < 0.03);
  CHECK(rate(score, late, 1000) < 0.3);
  CHECK(std::abs(rate(score, late, 1000) - rate(score, change - 1000, 1000)) < 0.06);
  CHECK(alarm.tail(1000).sum() == (score.tail(1000).array() > 0.5).count());
  CHECK(mean(batch_score, late, 1000) > 0.65);
  CHECK(rate(batch_score, late, 1000) > 0.95);
}

TEMPLATE_TEST_CASE("StreamingIsolationForest: score_learn and update equal the sample loop",
                   "[streams][sif]", float, double) {
  using T = TestType;
  const Params p{.n_trees = 10,
                 .window_size = 100,
                 .max_samples = 32,
                 .warm_up = 40,
                 .retrain_every = 7,
                 .trees_per_retrain = 3,
                 .threshold = 0.55,
                 .random_state = 8};
  const Matrix<double> X = normal_data(400, 3, 6);
  StreamingIsolationForest<T> one(p), batch(p), upd(p);
  const Vector<T> expect = loop_scores(one, X);
  CHECK((expect.head(40).array() == T(0)).all());  // the 40th is scored before it is learned
  CHECK((expect.tail(360).array() > T(0)).all());
  Vector<T> got(X.rows());
  Eigen::Index at = 0;
  for (const Eigen::Index len : {1, 13, 0, 50, 200, 136}) {
    got.segment(at, len) = batch.score_learn(X.middleRows(at, len));
    at += len;
  }
  REQUIRE(at == X.rows());
  CHECK(same_bits(got, expect));
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const osprey::Signal<T> sig = upd.update(X.row(i));
    REQUIRE(sig.upper_statistic == expect(i));
    REQUIRE(sig.lower_statistic == expect(i));
    REQUIRE(sig.upper_limit == T(0.55));
    REQUIRE(sig.lower_limit == T(0));
    REQUIRE((sig.alarm == Alarm::upper) == (static_cast<double>(expect(i)) > 0.55));
  }
  CHECK(saved(one) == saved(batch));
  CHECK(saved(one) == saved(upd));
  const Matrix<double> Xr = X.topRows(30);  // a row-major batch and an expression
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> R = Xr;
  CHECK(same_bits(one.score_learn(R), batch.score_learn(Xr * 1.0)));
}

TEMPLATE_TEST_CASE("StreamingIsolationForest: save and load mid-stream continue bit-identically",
                   "[streams][sif]", float, double) {
  using T = TestType;
  const Params p{.n_trees = 12,
                 .window_size = 90,
                 .max_samples = 32,
                 .warm_up = 40,
                 .retrain_every = 9,
                 .trees_per_retrain = 5,
                 .random_state = 2};
  const Matrix<double> X = normal_data(300, 4, 12);
  StreamingIsolationForest<T> whole(p);
  const Vector<T> expect = whole.score_learn(X);
  for (const Eigen::Index cut : {0, 20, 39, 40, 123, 260}) {
    INFO("saved after " << cut << " samples");
    StreamingIsolationForest<T> first(p);
    (void)first.score_learn(X.topRows(cut));
    StreamingIsolationForest<T> second = loaded<T>(saved(first));
    CHECK(second.n_samples_seen() == static_cast<std::uint64_t>(cut));
    CHECK(second.is_ready() == first.is_ready());
    CHECK(second.trees_grown() == first.trees_grown());
    CHECK(second.window() == first.window());
    const Vector<T> rest = second.score_learn(X.bottomRows(300 - cut));
    CHECK(same_bits(rest, Vector<T>(expect.tail(300 - cut))));
    CHECK(saved(second) == saved(whole));
  }
}

TEST_CASE("StreamingIsolationForest: a damaged file throws FormatError", "[streams][sif]") {
  const Params p{
      .n_trees = 2, .window_size = 6, .max_samples = 4, .retrain_every = 2, .trees_per_retrain = 1};
  StreamingIsolationForest<float> f(p);
  (void)f.score_learn(normal_data(9, 2, 1));
  const std::string bytes = saved(f);
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    INFO("prefix of " << len << " bytes");
    CHECK_THROWS_AS(loaded<float>(bytes.substr(0, len)), FormatError);
  }
  for (std::size_t pos = 0; pos < bytes.size(); ++pos) {
    std::string bad = bytes;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x5A);
    INFO("byte " << pos << " changed");
    CHECK_THROWS_AS(loaded<float>(bad), FormatError);
  }
  CHECK_THROWS_AS(loaded<double>(bytes), FormatError);  // another Scalar
  // Behind a valid checksum: every byte of the payload, changed, is either refused or gives a
  // detector that still scores in [0, 1] and learns.
  const std::string payload = payload_of(bytes);
  REQUIRE(saved(loaded<float>(with_payload(bytes, payload))) == bytes);
  int refused = 0;
  for (std::size_t pos = 0; pos < payload.size(); ++pos) {
    for (const int flip : {0x01, 0x80, 0xFF}) {
      std::string bad = payload;
      bad[pos] = static_cast<char>(bad[pos] ^ flip);
      try {
        auto g = loaded<float>(with_payload(bytes, bad));
        const Matrix<double> q = normal_data(3, std::max<Eigen::Index>(1, g.n_features_in()), 4);
        for (Eigen::Index i = 0; i < 3; ++i) {
          const float s = g.score(q.row(i));
          REQUIRE((s >= 0.0F && s <= 1.0F));
          if (g.params().n_trees <= 64 && g.samples_per_tree() <= 4096) g.learn(q.row(i));
        }
      } catch (const FormatError&) {
        ++refused;
      }
    }
  }
  CHECK(refused > 0);
}

TEST_CASE("StreamingIsolationForest: bad parameters and samples throw InvalidArgument",
          "[streams][sif]") {
  using SIF = StreamingIsolationForest<>;
  require_throws_containing<InvalidArgument>([] { SIF f({.n_trees = 0}); }, "n_trees");
  require_throws_containing<InvalidArgument>([] { SIF f({.window_size = 0}); }, "window_size");
  require_throws_containing<InvalidArgument>([] { SIF f({.max_samples = 0}); }, "max_samples");
  require_throws_containing<InvalidArgument>(
      [] { SIF f({.max_samples = (Eigen::Index{1} << 30) + 1}); }, "max_samples");
  require_throws_containing<InvalidArgument>([] { SIF f({.warm_up = 0}); }, "warm_up");
  require_throws_containing<InvalidArgument>([] { SIF f({.window_size = 10, .warm_up = 11}); },
                                             "warm_up");
  require_throws_containing<InvalidArgument>([] { SIF f({.retrain_every = 0}); }, "retrain_every");
  require_throws_containing<InvalidArgument>([] { SIF f({.trees_per_retrain = 0}); },
                                             "trees_per_retrain");
  require_throws_containing<InvalidArgument>([] { SIF f({.n_trees = 4, .trees_per_retrain = 5}); },
                                             "trees_per_retrain");
  require_throws_containing<InvalidArgument>([] { SIF f({.threshold = 0.0}); }, "threshold");
  require_throws_containing<InvalidArgument>([] { SIF f({.threshold = 1.5}); }, "threshold");
  require_throws_containing<InvalidArgument>(
      [] { SIF f({.threshold = std::numeric_limits<double>::quiet_NaN()}); }, "threshold");
  require_throws_containing<InvalidArgument>([] { SIF f({.n_threads = -1}); }, "n_threads");
  SIF ok;
  require_throws_containing<InvalidArgument>([&] { ok.set_params({.n_trees = -3}); }, "n_trees");
  CHECK(ok.params().n_trees == 100);  // unchanged

  SIF f({.n_trees = 5, .window_size = 50, .max_samples = 16, .random_state = 1});
  const Matrix<double> X = normal_data(40, 3, 2);
  (void)f.score_learn(X);
  REQUIRE(f.is_ready());
  const std::string before = saved(f);
  Eigen::RowVectorXd bad = X.row(0);
  bad(1) = std::numeric_limits<double>::quiet_NaN();
  require_throws_containing<InvalidArgument>([&] { f.learn(bad); }, "column 1");
  require_throws_containing<InvalidArgument>([&] { (void)f.update(bad); }, "non-finite");
  require_throws_containing<InvalidArgument>([&] { (void)f.score(bad); }, "x");
  Matrix<double> Xb = X;
  Xb(7, 2) = std::numeric_limits<double>::infinity();
  require_throws_containing<InvalidArgument>([&] { (void)f.score_learn(Xb); }, "row 7, column 2");
  require_throws_containing<InvalidArgument>([&] { f.learn(Eigen::RowVector4d::Zero()); },
                                             "3 features but x has 4");
  require_throws_containing<InvalidArgument>([&] { (void)f.score(Eigen::RowVector2d::Zero()); },
                                             "x has 2");
  require_throws_containing<InvalidArgument>(
      [&] { (void)f.score_learn(Matrix<double>::Zero(3, 2)); }, "X has 2 columns");
  require_throws_containing<InvalidArgument>([&] { f.learn(Matrix<double>::Zero(2, 3)); },
                                             "one sample");
  require_throws_containing<InvalidArgument>([&] { f.learn(Eigen::RowVectorXd()); }, "one sample");
  CHECK(f.score_learn(Matrix<double>(0, 3)).size() == 0);
  CHECK(saved(f) == before);  // nothing was learned
  StreamingIsolationForest<float> g;
  require_throws_containing<InvalidArgument>([&] { g.learn(Eigen::RowVector2d(1e300, 0.0)); },
                                             "out of range for float");
  CHECK(g.n_samples_seen() == 0);
  CHECK(g.n_features_in() == 0);
}

TEST_CASE("StreamingIsolationForest: reset and set_params restart the stream", "[streams][sif]") {
  const Params p{.n_trees = 8, .window_size = 64, .max_samples = 16, .retrain_every = 5};
  const Matrix<double> X = normal_data(200, 3, 7);
  StreamingIsolationForest<> fresh(p), used(p);
  (void)used.score_learn(normal_data(150, 3, 8) * 4.0);
  used.reset();
  CHECK(used.n_samples_seen() == 0);
  CHECK(used.n_features_in() == 0);
  CHECK_FALSE(used.is_ready());
  CHECK(used.trees_grown() == 0);
  CHECK(same_bits(used.score_learn(X), fresh.score_learn(X)));
  CHECK(saved(used) == saved(fresh));
  used.reset();
  used.learn(Eigen::RowVector2d(1.0, 2.0));  // another width after a reset
  CHECK(used.n_features_in() == 2);

  // Changing only n_threads keeps the stream; anything else restarts it.
  fresh.set_params(
      {.n_trees = 8, .window_size = 64, .max_samples = 16, .retrain_every = 5, .n_threads = 1});
  CHECK(fresh.n_samples_seen() == 200);
  fresh.set_params({.n_trees = 9, .window_size = 64, .max_samples = 16, .retrain_every = 5});
  CHECK(fresh.n_samples_seen() == 0);
  CHECK_FALSE(fresh.is_ready());
}

TEST_CASE("StreamingIsolationForest: results do not depend on the thread count", "[streams][sif]") {
  const Matrix<double> X = normal_data(700, 4, 13);
  std::vector<std::string> files;
  Vector<double> first;
  for (const int threads : {1, 2, 4, 0}) {
    INFO("n_threads = " << threads);
    StreamingIsolationForest<> f({.n_trees = 30,
                                  .window_size = 256,
                                  .max_samples = 64,
                                  .retrain_every = 40,
                                  .trees_per_retrain = 10,
                                  .random_state = 4,
                                  .n_threads = threads});
    const Vector<double> s = f.score_learn(X);
    if (threads == 1) first = s;
    CHECK(same_bits(s, first));
    files.push_back(saved(f));
    CHECK(files.back() == files.front());
  }
}

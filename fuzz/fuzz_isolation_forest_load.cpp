// libFuzzer target: IsolationForest::load must either load a forest that scores without crashing
// or throw osprey::InvalidArgument. The input is used twice: as a whole stream (exercising the
// header, length and checksum checks), and as a payload wrapped in a valid header and checksum,
// so the fuzzer reaches the structural checks behind the checksum.
#include <cstddef>
#include <cstdint>
#include <osprey/anomaly/isolation_forest.hpp>
#include <sstream>
#include <string>

namespace {

template <class Scalar>
void try_load(const std::string& bytes) {
  std::istringstream in(bytes);
  try {
    const auto forest = osprey::IsolationForest<Scalar>::load(in);
    if (forest.n_features_in() > 4096) return;  // a valid header may name billions of features
    const osprey::Matrix<Scalar> X = osprey::Matrix<Scalar>::Zero(3, forest.n_features_in());
    const auto s = forest.anomaly_score(X);
    if (!(s.array() > 0).all() || !(s.array() <= 1).all()) __builtin_trap();
    (void)forest.feature_contributions(X.row(0));
  } catch (const osprey::InvalidArgument&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1U << 20)) return 0;  // keep single runs small
  const std::string raw(reinterpret_cast<const char*>(data), size);
  try_load<float>(raw);
  try_load<double>(raw);

  // The same bytes wrapped in a valid envelope, so the payload parser is fuzzed too.
  std::ostringstream wrapped;
  osprey::detail::write_envelope(wrapped, osprey::detail::kIsolationFormat, raw);
  try_load<float>(wrapped.str());
  try_load<double>(wrapped.str());
  return 0;
}

// Saving a model to bytes and loading it back, for the tests of io/serialize.hpp and of every
// estimator's save/load.
#pragma once

#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <osprey/io/serialize.hpp>

namespace osprey::testing {

/** The bytes `osprey::save` writes for `model`. */
template <class E>
std::string saved(const E& model) {
  std::ostringstream out;
  osprey::save(model, out);
  return out.str();
}

/** `model` saved and loaded back; the load must consume the whole file. */
template <class E>
E reloaded(const E& model) {
  std::istringstream in(saved(model));
  E copy = osprey::load<E>(in);
  CHECK(in.peek() == std::char_traits<char>::eof());
  return copy;
}

}  // namespace osprey::testing

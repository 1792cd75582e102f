// ABI tag test: the same osprey template instantiated in two translation units built with
// different SIMD settings must get two different symbols. Without the tag in the inline
// namespace both units emit the same mangled name with different bodies; the linker keeps one,
// so both units report the same address (and an AVX2 body may then run on a host without AVX2).
#include <cstdio>
#include <cstring>

#include "probe.hpp"

int main() {
  const abi_probe::Probe a = abi_probe::baseline();
  const abi_probe::Probe b = abi_probe::wide();
  std::printf("baseline unit: tag %s, type %s\nwide unit:     tag %s, type %s\n", a.tag,
              a.type_name, b.tag, b.type_name);
  int failures = 0;
  if (std::strcmp(a.tag, b.tag) == 0) {
    std::printf("FAIL: both units have the ABI tag %s\n", a.tag);
    ++failures;
  }
  if (std::strcmp(a.type_name, b.type_name) == 0) {
    std::printf("FAIL: osprey::Manhattan has one mangled name in both units\n");
    ++failures;
  }
  if (a.instantiation == b.instantiation) {
    std::printf(
        "FAIL: panels_block<float, Manhattan> is one symbol: the linker merged two bodies\n");
    ++failures;
  }
  if (failures == 0) std::printf("ok: each setting has its own symbols\n");
  return failures == 0 ? 0 : 1;
}

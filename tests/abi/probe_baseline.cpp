// One side of the ABI tag test, compiled with -mno-avx (see tests/CMakeLists.txt). Nothing here
// runs osprey code: the program only compares names and addresses, so it runs on any x86-64 host.
#include <osprey/kernels/distance.hpp>
#include <osprey/neighbors/metrics.hpp>
#include <typeinfo>

#include "probe.hpp"

namespace abi_probe {

Probe baseline() {
  // The tiled distance kernel's body depends on the SIMD width (OSPREY_SIMD_BYTES).
  const auto kernel = &osprey::kernels::panels_block<float, osprey::Manhattan>;
  return {OSPREY_ABI_TAG, typeid(osprey::Manhattan).name(), reinterpret_cast<AnyFunction>(kernel)};
}

}  // namespace abi_probe

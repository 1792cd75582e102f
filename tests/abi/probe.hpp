// Two translation units of one program, built with different SIMD settings, each report what
// they instantiated of the same osprey template (see abi_tag_test.cpp).
#pragma once

namespace abi_probe {

/// A function pointer of no particular type: every function pointer converts to it and back.
using AnyFunction = void (*)();

/// What one translation unit sees.
struct Probe {
  const char* tag;            ///< OSPREY_ABI_TAG in that unit
  const char* type_name;      ///< mangled name of an osprey type, as typeid reports it
  AnyFunction instantiation;  ///< address of kernels::panels_block<float, Manhattan> there
};

Probe baseline();  // built with -mno-avx: the 16-byte (SSE2) kernels
Probe wide();      // built with -mavx2: the 32-byte (or, under -march=native, 64-byte) kernels

}  // namespace abi_probe

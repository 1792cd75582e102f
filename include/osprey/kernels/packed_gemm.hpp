/** \file
 *  The AVX-512 tile product of the Euclidean neighbour searches: `C += alpha * A * B^T` for a
 *  block of training rows A, held as packed panels, against row-major queries B, into a
 *  column-major tile C (the `-2 x.q` part of |x|^2 + |q|^2 - 2 x.q).
 *
 *  - `pack_gemm_panels` lays the rows out once (at fit): panel p holds rows [p MR, p MR + MR)
 *    column by column, A(p MR + r, k) at offset (p depth + k) MR + r, the last panel padded
 *    with zeros. MR is two vectors of S (32 floats, 16 doubles).
 *  - `gemm_packed_nt` runs a register tile of MR rows x 12 queries: per k, two vector loads of
 *    the panel and 12 broadcasts of the queries' k-th values feed 24 multiply-adds into 24
 *    accumulators, so the loop is bound by the two FMA pipes, not by loads; the queries are
 *    read where they are (rows of B), with no packing. The accumulators meet C once, at the
 *    end (C + alpha acc, one rounding).
 *
 *  Why not Eigen's product, which the non-AVX-512 builds keep (kernels::SerialGemm): Eigen
 *  packs both operands on every call and runs ~140 GFLOP/s per core on the searches' shapes
 *  (1,024 x 256 x 64, float, AMD EPYC with a full-width AVX-512 unit); this kernel packs the
 *  training rows once and reaches the figure in docs/benchmarks.md.
 *
 *  Rounding: each accumulator sums its depth products in order with fused multiply-adds, which
 *  keeps the dot product within the bound the searches' recheck margin assumes
 *  (kernels::expansion_margin); the values that reach a k-buffer are recomputed exactly, so the
 *  search results do not depend on which product ran.
 *
 *  Cost: 2 rows cols depth flops; reads each panel once per call and B once per panel.
 *  Thread-safety: stateless; calls writing disjoint C may run concurrently.
 */
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <vector>

#include "../config.hpp"
#include "../core/detail/huge_pages.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

OSPREY_NAMESPACE_BEGIN
namespace kernels {

#if defined(__AVX512F__)
/// True where gemm_packed_nt runs (AVX-512 targets); elsewhere the searches use SerialGemm.
inline constexpr bool has_packed_gemm = true;
#else
/// True where gemm_packed_nt runs (AVX-512 targets); elsewhere the searches use SerialGemm.
inline constexpr bool has_packed_gemm = false;
#endif

/// Rows per packed panel: two 64-byte vectors of S.
template <class S>
inline constexpr Eigen::Index gemm_panel_rows = static_cast<Eigen::Index>(128 / sizeof(S));

/// Queries per register tile of gemm_packed_nt.
inline constexpr int gemm_tile_queries = 12;

/// Packed panels, 64-byte aligned.
template <class S>
using PackedPanels = std::vector<S, Eigen::aligned_allocator<S>>;

/** The number of panels of `rows` rows. */
template <class S>
[[nodiscard]] constexpr Eigen::Index gemm_panels(Eigen::Index rows) noexcept {
  return (rows + gemm_panel_rows<S> - 1) / gemm_panel_rows<S>;
}

/** Panels [p0, p1) of the rows of row-major A (rows x depth) into `out`, which holds
 *  `gemm_panels<S>(rows) * depth * gemm_panel_rows<S>` values (see the file comment). Disjoint
 *  panel ranges may be packed concurrently. */
template <class S>
void pack_gemm_panels(const S* OSPREY_RESTRICT A, Eigen::Index rows, Eigen::Index depth,
                      Eigen::Index p0, Eigen::Index p1, S* OSPREY_RESTRICT out) noexcept {
  constexpr Eigen::Index MR = gemm_panel_rows<S>;
  for (Eigen::Index p = p0; p < p1; ++p) {
    S* dst = out + p * depth * MR;
    const Eigen::Index rv = std::min(MR, rows - p * MR);
    // Row by row: each row's values land at stride MR within the panel (8 KiB for float at
    // depth 64, in L1 while it fills); the padding rows of the last panel are zeros.
    for (Eigen::Index r = 0; r < rv; ++r) {
      const S* src = A + (p * MR + r) * depth;
      for (Eigen::Index k = 0; k < depth; ++k) dst[k * MR + r] = src[k];
    }
    for (Eigen::Index r = rv; r < MR; ++r) {
      for (Eigen::Index k = 0; k < depth; ++k) dst[k * MR + r] = S(0);
    }
  }
}

/** All the panels of A, in a new buffer; empty where has_packed_gemm is false. */
template <class S>
PackedPanels<S> pack_gemm_panels(const S* A, Eigen::Index rows, Eigen::Index depth) {
  PackedPanels<S> out;
  if constexpr (has_packed_gemm) {
    const auto size = static_cast<std::size_t>(gemm_panels<S>(rows) * depth * gemm_panel_rows<S>);
    out.reserve(size);  // hinted before the first write: one fault per 2 MiB where granted
    detail::hint_huge_pages(out.data(), size * sizeof(S));
    out.resize(size);
    pack_gemm_panels(A, rows, depth, 0, gemm_panels<S>(rows), out.data());
  } else {
    (void)A;
    (void)rows;
    (void)depth;
  }
  return out;
}

#if defined(__AVX512F__)
namespace packed_gemm_detail {

template <class S>
struct Vec;

template <>
struct Vec<float> {
  using V = __m512;
  using Mask = __mmask16;
  static V zero() noexcept { return _mm512_setzero_ps(); }
  static V load(const float* p) noexcept { return _mm512_loadu_ps(p); }
  static V set1(float x) noexcept { return _mm512_set1_ps(x); }
  static V fma(V a, V b, V c) noexcept { return _mm512_fmadd_ps(a, b, c); }
  static Mask mask(Eigen::Index n) noexcept {
    return static_cast<Mask>(n >= 16 ? 0xFFFFu : (1u << static_cast<unsigned>(n)) - 1u);
  }
  static V load(const float* p, Mask m) noexcept { return _mm512_maskz_loadu_ps(m, p); }
  static void store(float* p, V v, Mask m) noexcept { _mm512_mask_storeu_ps(p, m, v); }
  static void store(float* p, V v) noexcept { _mm512_storeu_ps(p, v); }
};

template <>
struct Vec<double> {
  using V = __m512d;
  using Mask = __mmask8;
  static V zero() noexcept { return _mm512_setzero_pd(); }
  static V load(const double* p) noexcept { return _mm512_loadu_pd(p); }
  static V set1(double x) noexcept { return _mm512_set1_pd(x); }
  static V fma(V a, V b, V c) noexcept { return _mm512_fmadd_pd(a, b, c); }
  static Mask mask(Eigen::Index n) noexcept {
    return static_cast<Mask>(n >= 8 ? 0xFFu : (1u << static_cast<unsigned>(n)) - 1u);
  }
  static V load(const double* p, Mask m) noexcept { return _mm512_maskz_loadu_pd(m, p); }
  static void store(double* p, V v, Mask m) noexcept { _mm512_mask_storeu_pd(p, m, v); }
  static void store(double* p, V v) noexcept { _mm512_storeu_pd(p, v); }
};

/** One register tile: the dot products of a panel's MR rows with 12 rows of B (stride ldb,
 *  all 12 readable), accumulated in registers, handed to `done(lo, hi)` (per query j, rows
 *  [0, L) in lo[j] and [L, MR) in hi[j]). */
template <class S, class Done>
OSPREY_ALWAYS_INLINE void tile(const S* OSPREY_RESTRICT panel, const S* OSPREY_RESTRICT B,
                               Eigen::Index ldb, Eigen::Index depth, Done&& done) noexcept {
  using W = Vec<S>;
  using V = typename W::V;
  constexpr Eigen::Index L = static_cast<Eigen::Index>(64 / sizeof(S));
  constexpr int NR = gemm_tile_queries;
  V lo[NR];
  V hi[NR];
#pragma GCC unroll 12
  for (int j = 0; j < NR; ++j) {
    lo[j] = W::zero();
    hi[j] = W::zero();
  }
  for (Eigen::Index k = 0; k < depth; ++k) {
    const V a0 = W::load(panel + k * 2 * L);
    const V a1 = W::load(panel + k * 2 * L + L);
#pragma GCC unroll 12
    for (int j = 0; j < NR; ++j) {
      const V b = W::set1(B[j * ldb + k]);
      lo[j] = W::fma(a0, b, lo[j]);
      hi[j] = W::fma(a1, b, hi[j]);
    }
  }
  done(lo, hi);
}

/** Calls `each(i, j0, B_rows, nc)` for every register tile of rows [0, rows) x queries
 *  [0, cols), panel by panel (rows ascending), with B_rows the 12 query rows to read (a
 *  zero-padded copy for the last, partial group of nc < 12 queries). */
template <class S, class Each>
void for_each_tile(Eigen::Index rows, Eigen::Index cols, Eigen::Index depth, const S* B,
                   Each&& each) {
  constexpr Eigen::Index MR = gemm_panel_rows<S>;
  constexpr int NR = gemm_tile_queries;
  const Eigen::Index full = cols / NR * NR;
  std::vector<S> tail;
  if (full < cols) {
    tail.assign(static_cast<std::size_t>(NR * depth), S(0));
    std::memcpy(tail.data(), B + full * depth,
                static_cast<std::size_t>((cols - full) * depth) * sizeof(S));
  }
  for (Eigen::Index j = 0; j < full; j += NR) {
    for (Eigen::Index i = 0; i < rows; i += MR) each(i, j, B + j * depth, NR);
  }
  if (full < cols) {
    for (Eigen::Index i = 0; i < rows; i += MR) {
      each(i, full, static_cast<const S*>(tail.data()), static_cast<int>(cols - full));
    }
  }
}

}  // namespace packed_gemm_detail
#endif

/** C(0:rows, 0:cols) += alpha * A(r0 : r0 + rows, :) * B^T, with A given as the panels of
 *  pack_gemm_panels (r0 a multiple of `gemm_panel_rows<S>`), B row-major (cols x depth) and C
 *  column-major with leading dimension ldc. Only where has_packed_gemm. */
template <class S>
void gemm_packed_nt(const S* panels, Eigen::Index r0, Eigen::Index rows, Eigen::Index cols,
                    Eigen::Index depth, const S* B, S* C, Eigen::Index ldc, S alpha) {
#if defined(__AVX512F__)
  using W = packed_gemm_detail::Vec<S>;
  using V = typename W::V;
  constexpr Eigen::Index MR = gemm_panel_rows<S>;
  constexpr Eigen::Index L = MR / 2;
  constexpr int NR = gemm_tile_queries;
  packed_gemm_detail::for_each_tile(
      rows, cols, depth, B, [&](Eigen::Index i, Eigen::Index j0, const S* Bj, int nc) {
        const Eigen::Index rv = std::min(MR, rows - i);
        packed_gemm_detail::tile(panels + (r0 + i) / MR * depth * MR, Bj, depth, depth,
                                 [&](V* lo, V* hi) {
                                   const V va = W::set1(alpha);
                                   const auto m0 = W::mask(rv);
                                   const auto m1 = rv > L ? W::mask(rv - L) : typename W::Mask(0);
#pragma GCC unroll 12
                                   for (int j = 0; j < NR; ++j) {
                                     if (j < nc) {
                                       S* c = C + (j0 + j) * ldc + i;
                                       W::store(c, W::fma(va, lo[j], W::load(c, m0)), m0);
                                       if (rv > L)
                                         W::store(c + L, W::fma(va, hi[j], W::load(c + L, m1)), m1);
                                     }
                                   }
                                 });
      });
#else
  (void)panels;
  (void)r0;
  (void)rows;
  (void)cols;
  (void)depth;
  (void)B;
  (void)C;
  (void)ldc;
  (void)alpha;
#endif
}

/** The dot products A(r0 : r0 + rows, :) * B^T of gemm_packed_nt, without a C: for each
 *  register tile, `tile_fn(i, j0, rv, nc, acc)` gets rows [i, i + rv) x queries [j0, j0 + nc)
 *  with `acc[j * gemm_panel_rows<S> + r]` the product of row i + r and query j0 + j. Tiles come
 *  panel by panel, so each query sees its rows in ascending order. Only where has_packed_gemm. */
template <class S, class TileFn>
void gemm_packed_nt_tiles(const S* panels, Eigen::Index r0, Eigen::Index rows, Eigen::Index cols,
                          Eigen::Index depth, const S* B, TileFn&& tile_fn) {
#if defined(__AVX512F__)
  using W = packed_gemm_detail::Vec<S>;
  using V = typename W::V;
  constexpr Eigen::Index MR = gemm_panel_rows<S>;
  constexpr Eigen::Index L = MR / 2;
  constexpr int NR = gemm_tile_queries;
  alignas(64) S acc[static_cast<std::size_t>(NR * MR)];
  packed_gemm_detail::for_each_tile(
      rows, cols, depth, B, [&](Eigen::Index i, Eigen::Index j0, const S* Bj, int nc) {
        packed_gemm_detail::tile(panels + (r0 + i) / MR * depth * MR, Bj, depth, depth,
                                 [&](V* lo, V* hi) {
#pragma GCC unroll 12
                                   for (int j = 0; j < NR; ++j) {
                                     W::store(acc + j * MR, lo[j]);
                                     W::store(acc + j * MR + L, hi[j]);
                                   }
                                 });
        tile_fn(i, j0, std::min(MR, rows - i), nc, static_cast<const S*>(acc));
      });
#else
  (void)panels;
  (void)r0;
  (void)rows;
  (void)cols;
  (void)depth;
  (void)B;
  (void)tile_fn;
#endif
}

}  // namespace kernels
OSPREY_NAMESPACE_END

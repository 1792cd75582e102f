/** \file
 *  Synthetic-row generation of the SMOTE family: `synthesize` fills n_new rows of a
 *  column-major output with `a + u (b - a)`, one (a, b, u) per row from a caller's draw functor,
 *  and `store_transposed` writes a small row-major block into a column-major output, with
 *  streaming stores (stream.hpp) when the output is far larger than the caches.
 *
 *  Randomness: rows are made in fixed blocks of `synthesis_block`; block b draws, in row order,
 *  from `rng.split(b)`, so the output does not depend on the thread count.
 *
 *  Cost: O(n_new d) arithmetic; memory traffic is the n_new x d output written once (streamed,
 *  so not read first, when it is at least `stream_output_bytes`) plus 2 d values read per row
 *  from the rows the draws name, in random order (prefetched `prefetch_draws` draws ahead).
 *  Staging: `synthesis_block` pointers and steps and one `synthesis_staging`-value buffer per
 *  block.
 *
 *  Thread safety: stateless; `synthesize` runs its blocks on up to `n_threads` threads and calls
 *  the draw functor concurrently from them (it must only read shared state). Calls on disjoint
 *  outputs may run concurrently.
 */
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../config.hpp"
#include "../core/detail/stop.hpp"
#include "../core/parallel.hpp"
#include "../core/random.hpp"
#include "prefetch.hpp"
#include "stream.hpp"

OSPREY_NAMESPACE_BEGIN
namespace kernels {

/** Synthetic rows are made in blocks of this many, block b drawing from `rng.split(b)`, so the
 *  output does not depend on the thread count. */
inline constexpr std::ptrdiff_t synthesis_block = 2048;

/** Values in the row-major staging buffer of the synthesis (16 KiB of double): min(64, 2048 / d)
 *  rows, at least one, are made there and written out per pass. */
inline constexpr std::ptrdiff_t synthesis_staging = 2048;

/** Draws between a synthetic row and the rows it prefetches (synthesize). */
inline constexpr std::ptrdiff_t prefetch_draws = 8;

/** Rows written per transposing pass: a 64 x d row-major block stays in L1 while its columns
 *  are written out. */
inline constexpr std::ptrdiff_t transpose_rows = 64;

/** Outputs of at least this many bytes are written with streaming stores (stream.hpp): far
 *  larger than the caches, so caching them would only evict the inputs. */
inline constexpr std::size_t stream_output_bytes = std::size_t{8} << 20;

/** One synthetic row: `a + step (b - a)`, with provenance. */
template <class Scalar>
struct SyntheticDraw {
  const Scalar* a;   ///< the base row (contiguous, d values)
  const Scalar* b;   ///< the row it moves towards
  Scalar step;       ///< in [0, 1) (or [0, 0.5) for Borderline-2 towards another class)
  int base_row;      ///< index of `a` in the sampler's input X
  int neighbor_row;  ///< index of `b` in the sampler's input X
};

/** True when a rows x cols output of Scalar is large enough to be streamed. */
template <class Scalar>
[[nodiscard]] bool stream_output(std::ptrdiff_t rows, std::ptrdiff_t cols) noexcept {
  return static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols) * sizeof(Scalar) >=
         stream_output_bytes;
}

/** Writes the m x d row-major block `rows` (contiguous) into rows [0, m) of the column-major
 *  block starting at `out` (leading dimension `ld`), cast to Scalar: one contiguous run per
 *  column, with streaming stores for its aligned part when `stream` (the caller then calls
 *  stream_fence() before the output is shared). \pre m <= transpose_rows keeps the source in
 *  L1. */
template <class Scalar, class Src>
OSPREY_ALWAYS_INLINE void store_transposed(const Src* OSPREY_RESTRICT rows, std::ptrdiff_t m,
                                           std::ptrdiff_t d, Scalar* OSPREY_RESTRICT out,
                                           std::ptrdiff_t ld, bool stream) {
  constexpr auto W = static_cast<std::ptrdiff_t>(stream_width<Scalar>);
  for (std::ptrdiff_t j = 0; j < d; ++j) {
    Scalar* OSPREY_RESTRICT dst = out + j * ld;
    std::ptrdiff_t i = 0;
    if constexpr (W > 1) {
      if (stream) {
        for (; i < m && !stream_aligned(dst + i); ++i)
          dst[i] = static_cast<Scalar>(rows[i * d + j]);
        for (; i + W <= m; i += W) {
          Scalar v[stream_width<Scalar>];
          for (std::ptrdiff_t w = 0; w < W; ++w) {
            v[static_cast<std::size_t>(w)] = static_cast<Scalar>(rows[(i + w) * d + j]);
          }
          stream_store(dst + i, v);
        }
      }
    }
    for (; i < m; ++i) dst[i] = static_cast<Scalar>(rows[i * d + j]);
  }
}

/** The draws of one block, in draw order: base and target row pointers and steps. */
template <class Scalar>
struct SynthesisBlock {
  std::array<const Scalar*, synthesis_block> from{};  ///< base rows
  std::array<const Scalar*, synthesis_block> to{};    ///< rows moved towards
  std::array<Scalar, synthesis_block> step{};         ///< steps
};

/** Makes rows [0, len) of block `blk` of the draws (row-major batches of `a + u (b - a)`, then
 *  one contiguous run per output column); `out` is the block's first output row. */
template <class Scalar>
void make_block_rows(const SynthesisBlock<Scalar>& drawn, std::ptrdiff_t len, std::ptrdiff_t d,
                     Scalar* out, std::ptrdiff_t ld, bool stream) {
  const std::ptrdiff_t batch = std::clamp<std::ptrdiff_t>(synthesis_staging / d, 1, transpose_rows);
  std::vector<Scalar> buf(static_cast<std::size_t>(batch * d));
  for (std::ptrdiff_t t0 = 0; t0 < len; t0 += batch) {
    const std::ptrdiff_t m = std::min(batch, len - t0);
    for (std::ptrdiff_t i = 0; i < m; ++i) {
      const auto sz = static_cast<std::size_t>(t0 + i);
      const Scalar* OSPREY_RESTRICT a = drawn.from[sz];
      const Scalar* OSPREY_RESTRICT b = drawn.to[sz];
      const Scalar u = drawn.step[sz];
      // The class rows are read in random order: ask for the rows 8 draws ahead now, so their
      // cache misses overlap this row's work.
      if (t0 + i + prefetch_draws < len) {
        prefetch_range(drawn.from[sz + prefetch_draws], d);
        prefetch_range(drawn.to[sz + prefetch_draws], d);
      }
      Scalar* OSPREY_RESTRICT row = buf.data() + i * d;
      for (std::ptrdiff_t j = 0; j < d; ++j) row[j] = a[j] + u * (b[j] - a[j]);
    }
    store_transposed(buf.data(), m, d, out + t0, ld, stream);
  }
}

/** Fills rows [0, n_new) of the column-major block at `out` (d columns, leading dimension `ld`)
 *  with `draw(rng, s)` for s in [0, n_new), in parallel over fixed blocks, and records each
 *  row's base and neighbour index in `base[s]` and `neighbor[s]`. `stop` is polled before each
 *  block (it throws `Cancelled`).
 *  \tparam Draw callable as `SyntheticDraw<Scalar> draw(Rng&, std::ptrdiff_t s)`. */
template <class Scalar, class Draw>
void synthesize(Scalar* out, std::ptrdiff_t ld, std::ptrdiff_t d, std::ptrdiff_t n_new,
                const Rng& rng, int n_threads, int* base, int* neighbor, Draw&& draw,
                const detail::Stop& stop = {}) {
  const std::ptrdiff_t n_blocks = (n_new + synthesis_block - 1) / synthesis_block;
  const bool stream = stream_output<Scalar>(ld, d);
  detail::parallel_for(std::ptrdiff_t{0}, n_blocks, n_threads, [&](std::ptrdiff_t blk) {
    stop.check();
    Rng r = rng.split(static_cast<std::uint64_t>(blk));
    const std::ptrdiff_t s0 = blk * synthesis_block;
    const std::ptrdiff_t len = std::min(n_new, s0 + synthesis_block) - s0;
    // Draw the whole block first (the random stream in order), then make the rows in small
    // row-major batches (contiguous a + u (b - a)) and write each batch one contiguous run per
    // output column, instead of d scattered scalar stores per row.
    SynthesisBlock<Scalar> drawn;
    for (std::ptrdiff_t s = 0; s < len; ++s) {
      const SyntheticDraw<Scalar> g = draw(r, s0 + s);
      const auto sz = static_cast<std::size_t>(s);
      drawn.from[sz] = g.a;
      drawn.to[sz] = g.b;
      drawn.step[sz] = g.step;
      base[s0 + s] = g.base_row;
      neighbor[s0 + s] = g.neighbor_row;
    }
    make_block_rows(drawn, len, d, out + s0, ld, stream);
    if (stream) stream_fence();
  });
}

}  // namespace kernels
OSPREY_NAMESPACE_END

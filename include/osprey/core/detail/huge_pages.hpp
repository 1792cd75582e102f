/** \file
 *  Large buffers and the page faults of their first touch (internal).
 *
 *  A fresh buffer costs one page fault per 4 KiB page on its first write. On virtual machines a
 *  fault costs several microseconds (5-25 us measured on a 2-core VM with transparent huge pages
 *  in `madvise` mode), so an 80 MB buffer can cost more to fault in than the work done in it.
 *  glibc's malloc serves blocks of 32 MiB and more with a fresh mmap on every call, so such a
 *  call pays again each time, warm or not.
 *
 *  `hint_huge_pages` asks the kernel to back the 2 MiB-aligned interior of a buffer with
 *  transparent huge pages: one fault per 2 MiB instead of 512. It is a hint: where the kernel
 *  has THP off, or the platform has no `madvise`, nothing changes. Call it before the first
 *  write. `UninitBuffer` is an uninitialised array whose large instances are 2 MiB-aligned and
 *  hinted, for the internal temporaries that are written before they are read.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "../../config.hpp"

OSPREY_NAMESPACE_BEGIN
namespace detail {

/** The size of a transparent huge page on x86-64 and most arm64 kernels. Buffers smaller than
 *  this get no hint. If a kernel's huge pages are larger, the hint covers fewer pages (or none)
 *  and the buffer faults in 4 KiB pages as it would without it. */
inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

/** Asks for transparent huge pages on the 2 MiB-aligned interior of [p, p + bytes); a no-op for
 *  smaller buffers, without `madvise`, or when the kernel refuses (THP set to "never"). */
inline void hint_huge_pages([[maybe_unused]] void* p, [[maybe_unused]] std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (p == nullptr || bytes < kHugePageBytes) return;
  const auto begin = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t first = (begin + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  const std::uintptr_t last = (begin + bytes) & ~(kHugePageBytes - 1);
  if (last > first) (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#endif
}

/** Frees an UninitBuffer's storage with the alignment it was allocated with. */
struct AlignedFree {
  std::align_val_t align{alignof(std::max_align_t)};  ///< the allocation's alignment
  void operator()(void* p) const noexcept { ::operator delete(p, align); }
};

/** An uninitialised array of trivial `T`: buffers of kHugePageBytes or more are 2 MiB-aligned
 *  and hinted for huge pages (so their interior is all of them), smaller ones 64-byte aligned.
 *  For temporaries written before they are read: zeroing would cost a pass over memory. */
template <class T>
class UninitBuffer {
  static_assert(std::is_trivially_default_constructible_v<T> && std::is_trivially_destructible_v<T>,
                "UninitBuffer holds trivial types only");

 public:
  UninitBuffer() = default;
  /** `n` elements, uninitialised. \throws std::bad_alloc */
  explicit UninitBuffer(std::size_t n) : size_(n) {
    if (n == 0) return;
    const std::size_t bytes = n * sizeof(T);
    const std::align_val_t align{bytes >= kHugePageBytes ? kHugePageBytes : std::size_t{64}};
    void* p = ::operator new(bytes, align);
    hint_huge_pages(p, bytes);
    data_ = std::unique_ptr<T[], AlignedFree>(static_cast<T*>(p), AlignedFree{align});
  }
  [[nodiscard]] T* data() noexcept { return data_.get(); }              ///< first element
  [[nodiscard]] const T* data() const noexcept { return data_.get(); }  ///< first element
  [[nodiscard]] std::size_t size() const noexcept { return size_; }     ///< element count

 private:
  std::unique_ptr<T[], AlignedFree> data_{nullptr, AlignedFree{}};
  std::size_t size_ = 0;
};

}  // namespace detail
OSPREY_NAMESPACE_END

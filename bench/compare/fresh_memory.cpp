// What fresh memory costs on this machine: the floor under any first call that writes a large
// output or temporary. Writes N MiB (default 256) of anonymous memory in five ways, in this
// order, and prints the time per MiB and the minor page faults of each:
//   cold_4k     pages no process has touched lately, 4 KiB faults (no huge-page hint)
//   cold_2m     the same with madvise(MADV_HUGEPAGE): 2 MiB faults where the kernel grants them
//   rewrite     the cold_2m buffer written again: no faults, the memory bandwidth of one core
//   reused_4k   cold_4k's pages, unmapped and mapped again (what a second call of a process
//               gets back from the kernel), 4 KiB faults
//   reused_2m   the same with the hint
// On a virtual machine whose host reclaims idle guest memory (a balloon, DAMON), the cold rows
// also pay the host's faults, which no library call can avoid: it is the price of memory the
// guest has not used lately, paid by osprey and its peers alike.
//   compare_fresh_memory [MiB]     prints "fresh_memory <row> <ms per MiB> <GB/s> <faults>"
#include <sys/mman.h>
#include <sys/resource.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr std::size_t kHuge = std::size_t{1} << 21;

long minor_faults() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return r.ru_minflt;
}

// N bytes of anonymous memory at a 2 MiB boundary (mapped 2 MiB larger to align).
struct Mapping {
  void* base = nullptr;
  std::size_t length = 0;
  char* data = nullptr;
};

Mapping map_aligned(std::size_t bytes, bool hint) {
  Mapping m;
  m.length = bytes + kHuge;
  m.base = mmap(nullptr, m.length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m.base == MAP_FAILED) {
    std::perror("mmap");
    std::exit(1);
  }
  const auto a = (reinterpret_cast<std::uintptr_t>(m.base) + kHuge - 1) & ~(kHuge - 1);
  m.data = reinterpret_cast<char*>(a);
#if defined(MADV_HUGEPAGE)
  if (hint) madvise(m.data, bytes, MADV_HUGEPAGE);
#else
  (void)hint;
#endif
  return m;
}

void unmap(const Mapping& m) { munmap(m.base, m.length); }

void row(const char* name, char* p, std::size_t bytes, int value) {
  const long f0 = minor_faults();
  const auto t0 = std::chrono::steady_clock::now();
  std::memset(p, value, bytes);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const long f1 = minor_faults();
  const double mib = static_cast<double>(bytes) / double(1 << 20);
  std::printf("fresh_memory %s %.3f %.2f %ld\n", name, 1e3 * s / mib,
              static_cast<double>(bytes) / s / 1e9, f1 - f0);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  if (mib == 0) {
    std::fprintf(stderr, "usage: compare_fresh_memory [MiB > 0]\n");
    return 2;
  }
  const std::size_t bytes = mib << 20;
  const Mapping a = map_aligned(bytes, false);
  const Mapping b = map_aligned(bytes, true);
  row("cold_4k", a.data, bytes, 1);
  row("cold_2m", b.data, bytes, 1);
  row("rewrite", b.data, bytes, 2);
  unmap(a);
  unmap(b);
  const Mapping c = map_aligned(bytes, false);
  row("reused_4k", c.data, bytes, 3);
  unmap(c);
  const Mapping d = map_aligned(bytes, true);
  row("reused_2m", d.data, bytes, 4);
  unmap(d);
  return 0;
}

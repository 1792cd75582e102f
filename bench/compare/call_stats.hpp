// Per-call cost for the side-by-side drivers: wall time, minor page faults and the process's
// peak resident set, read with getrusage around each call. The drivers run in a fresh process,
// so their first call pays for fresh memory as a batch job or a new service would; the warm
// figure is the median of the second half of the calls.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace compare {

/** One call: seconds, minor page faults during it, and the process's peak RSS after it (MiB). */
struct CallStats {
  double seconds = 0.0;
  long minor_faults = 0;
  double peak_rss_mib = 0.0;
};

using rusage_now_t = rusage;  ///< what usage_now returns

inline rusage usage_now() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return r;
}

/** The process's peak RSS in MiB: VmHWM of /proc/self/status where there is one (getrusage's
 *  ru_maxrss survives exec, so a driver started by a large Python process would report the
 *  parent's peak), else ru_maxrss. */
inline double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      double kib = 0.0;
      status >> kib;
      return kib / 1024.0;
    }
    status.ignore(1 << 12, '\n');
  }
  return static_cast<double>(usage_now().ru_maxrss) / 1024.0;
}

/** Calls f once and returns its cost. */
template <class F>
CallStats measure_call(F&& f) {
  const rusage u0 = usage_now();
  const auto t0 = std::chrono::steady_clock::now();
  f();
  const auto t1 = std::chrono::steady_clock::now();
  const rusage u1 = usage_now();
  return {std::chrono::duration<double>(t1 - t0).count(), u1.ru_minflt - u0.ru_minflt,
          peak_rss_mib()};
}

/** Calls f `repeats` times (at least 2) and returns each call's cost, first call first. */
template <class F>
std::vector<CallStats> measure_calls(int repeats, F&& f) {
  std::vector<CallStats> calls;
  for (int r = 0; r < std::max(repeats, 2); ++r) calls.push_back(measure_call(f));
  return calls;
}

/** The warm call: the median, by time, of the second half of the calls. */
inline CallStats warm_call(std::vector<CallStats> calls) {
  std::vector<CallStats> tail(calls.begin() + static_cast<long>(calls.size() / 2), calls.end());
  std::sort(tail.begin(), tail.end(),
            [](const CallStats& a, const CallStats& b) { return a.seconds < b.seconds; });
  return tail[tail.size() / 2];
}

/** Prints "calls <name> first_s first_faults warm_s warm_faults peak_rss_mib", the line the
 *  compare scripts parse (`lead` replaces "calls " for drivers that print key=value lines;
 *  `decimals` of the seconds: 9 for calls of microseconds, such as one single-row predict). */
inline void print_calls(const char* name, const std::vector<CallStats>& calls,
                        const char* lead = "calls ", int decimals = 6) {
  const CallStats warm = warm_call(calls);
  double peak = 0.0;
  for (const CallStats& c : calls) peak = std::max(peak, c.peak_rss_mib);
  std::printf("%s%s %.*f %ld %.*f %ld %.1f\n", lead, name, decimals, calls.front().seconds,
              calls.front().minor_faults, decimals, warm.seconds, warm.minor_faults, peak);
}

}  // namespace compare

// Benchmark figures for one configuration, measured in its own process.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "tests/support/resident_memory.h"

namespace registrar::bench {

struct Figures {
  int64_t probes = 0;      // completed in the measurement window
  int64_t failures = 0;    // not ok (false failures: every target is healthy)
  double seconds = 0;      // window length
  double cpu_seconds = 0;  // CPU of the probing thread (or process) in the window
  double rss_mb = 0;       // resident set size at the end
  double lag_p50_ms = 0;   // actual start - planned start
  double lag_p99_ms = 0;
  double lag_max_ms = 0;
  double other_cpu_seconds = 0;  // e.g. blackbox_exporter's CPU for its probes
  int64_t time_wait = -1;        // sockets that entered TIME_WAIT in the window (-1: not read)
  int64_t open_sockets = -1;     // sockets held at the end of the window (-1: not read)

  double probes_per_second() const {
    return seconds > 0 ? static_cast<double>(probes) / seconds : 0;
  }
  double cpu_us_per_probe() const {
    return probes > 0 ? cpu_seconds * 1e6 / static_cast<double>(probes) : 0;
  }
  double cores() const { return seconds > 0 ? cpu_seconds / seconds : 0; }
};

inline double ThreadCpuSeconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Fills the lag percentiles from samples in nanoseconds (sorts them).
inline void SetLags(Figures& f, std::vector<int64_t>& lags_ns) {
  if (lags_ns.empty()) return;
  std::sort(lags_ns.begin(), lags_ns.end());
  auto at = [&](double q) {
    size_t i =
        std::min(lags_ns.size() - 1, static_cast<size_t>(q * static_cast<double>(lags_ns.size())));
    return static_cast<double>(lags_ns[i]) / 1e6;
  };
  f.lag_p50_ms = at(0.50);
  f.lag_p99_ms = at(0.99);
  f.lag_max_ms = static_cast<double>(lags_ns.back()) / 1e6;
}

// VmRSS of this process, in MB.
inline double RssMb() { return static_cast<double>(testing::ResidentKb()) / 1024.0; }

// Sockets this process holds open (its kept-alive connections and the ones
// in flight), from /proc/self/fd.
inline int64_t OpenSockets() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int64_t n = 0;
  char target[64];
  while (dirent* e = readdir(dir)) {
    const std::string path = std::string("/proc/self/fd/") + e->d_name;
    const ssize_t len = readlink(path.c_str(), target, sizeof(target) - 1);
    if (len > 7 && std::memcmp(target, "socket:", 7) == 0) ++n;
  }
  closedir(dir);
  return n;
}

// IPv4 TCP sockets that entered TIME_WAIT in the last `seconds` (what fresh
// connections leave behind when closed the usual way), from /proc/net/tcp:
// state 06 with its 60 s timer (in 1/100 s) at more than 60 − seconds left,
// so sockets left by earlier rows are not counted.
inline int64_t NewTimeWaitSockets(double seconds) {
  FILE* f = std::fopen("/proc/net/tcp", "r");
  if (f == nullptr) return -1;
  char line[512];
  int64_t n = 0;
  unsigned state = 0;
  unsigned long left = 0;
  auto threshold = static_cast<unsigned long>((60.0 - seconds) * 100.0);
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    if (std::sscanf(line, " %*d: %*s %*s %x %*x:%*x %*x:%lx", &state, &left) == 2 &&
        state == 0x06 && left > threshold) {
      ++n;
    }
  }
  std::fclose(f);
  return n;
}

}  // namespace registrar::bench

// A bare libcurl-multi loop: fires one request per URL every period, each at
// its own random phase, on one thread (curl_multi_poll + curl_multi_perform,
// one easy handle per URL, options set once). It is the practical floor for
// "HTTP probes from one thread through libcurl" that the prober is compared
// to, and it also drives blackbox_exporter's /probe endpoint at a fixed rate.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "bench/probes/figures.h"

namespace registrar::bench {

struct DriverOptions {
  std::vector<std::string> urls;
  double period_s = 1.0;
  double timeout_s = 5.0;
  bool reuse = true;         // false: fresh connection per request, RST on close
  std::string must_contain;  // a response lacking it counts as a failure
  double warmup_s = 3;
  double measure_s = 10;
  // Called on the driver thread when the measurement window opens / closes.
  std::function<void()> on_window_start;
  std::function<void()> on_window_end;
};

// Runs warmup + measurement on the calling thread; CPU is this thread's.
Figures RunCurlDriver(const DriverOptions& options);

}  // namespace registrar::bench

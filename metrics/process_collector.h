// Standard process metrics, read from /proc/self at scrape time.
//
// The same families other exporters (Go, Python clients) expose, so stock
// dashboards and alerts work: process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds. A value that
// cannot be read (not Linux, /proc not mounted) is left out, not faked.
//
// Thread-safety: Collect() is thread-safe (no state).
#pragma once

#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace registrar::metrics {

class ProcessCollector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace registrar::metrics

// Per-target series, computed at scrape time from a StatusProvider.
//
// The probe hot path (Metrics::OnResult) stays per service; what an operator
// coming from blackbox_exporter expects per target is read from the prober's
// and controller's snapshots when /metrics is scraped, so it costs nothing
// between scrapes and can never disagree with the status page:
//
//   registrar_target_probed{service,target}            1 once the target has a verdict
//   registrar_target_healthy{service,target}           1 healthy, 0 unhealthy; absent while
//                                                      unknown (never folded into 0)
//   registrar_target_probe_duration_seconds{...}       latency of the last probe
//   registrar_target_probe_http_status_code{...}       HTTP status of the last probe (0: none)
//   registrar_target_last_probe_timestamp_seconds{...} wall time of the last probe
//   registrar_target_registered{service,target}        1 while our key for it is in etcd
//   registrar_target_drained{service,target}           1 while an operator drained it
//   registrar_probe_ssl_earliest_cert_expiry{...}      TLS leaf notAfter (TLS targets only)
//
// and always (not per target): registrar_etcd_connected,
// registrar_targets_drained{service}, registrar_service_fail_open{service}.
//
// Cardinality is the operator's choice (config metrics.perTargetSeries):
// kAlways, kNever, or kAuto = per-target series while the registrar has at
// most kAutoPerTargetLimit targets (checked at every scrape, so a reload that
// crosses the limit takes effect at once).
//
// Thread-safety: Collect() may run on any thread; the provider must be
// thread-safe (StatusProvider's contract).
#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

#include "prometheus/collectable.h"
#include "status/status.h"

namespace registrar::metrics {

enum class PerTargetSeries { kAuto, kAlways, kNever };

// kAuto's limit: above it one series per target costs Prometheus more than it
// tells an operator (registrar_targets{service,state} remains).
inline constexpr size_t kAutoPerTargetLimit = 5000;

class TargetCollector final : public prometheus::Collectable {
 public:
  // `provider` must outlive this object.
  TargetCollector(const status::StatusProvider& provider, PerTargetSeries mode)
      : provider_(provider), mode_(mode) {}

  // Config reload.
  void SetMode(PerTargetSeries mode) { mode_.store(mode); }

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const status::StatusProvider& provider_;
  std::atomic<PerTargetSeries> mode_;
};

}  // namespace registrar::metrics

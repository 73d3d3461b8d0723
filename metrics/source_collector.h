// Per target source (dnsSd, fileSd, httpSd), read from the admin status model
// at scrape time (StatusProvider::Sources()), so /metrics never disagrees
// with the status page. Labels: service, kind (dnsSd | fileSd | httpSd),
// source (its name, e.g. "dnsSd _http._tcp.billing.example").
//
//   registrar_source_up{...}                               1 while the last refresh succeeded
//   registrar_source_targets{...}                          targets it lists now
//   registrar_source_last_success_timestamp_seconds{...}   0: never answered
//   registrar_source_refreshes_total{...}                  refreshes, good or not
//   registrar_source_refresh_failures_total{...,reason}    timeout | servfail | connect | tls |
//                                                          http_status | too_large | invalid |
//                                                          vanished | io
//   registrar_source_changes_total{...,outcome}            applied | held (removals waiting for
//                                                          the next refresh to confirm them)
//   registrar_source_held_removals{...}                    targets kept only until confirmed
//
// Thread-safety: Collect() may run on any thread (StatusProvider's contract).
#pragma once

#include <vector>

#include "prometheus/collectable.h"
#include "status/status.h"

namespace registrar::metrics {

class SourceCollector final : public prometheus::Collectable {
 public:
  // `provider` must outlive this object.
  explicit SourceCollector(const status::StatusProvider& provider) : provider_(provider) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const status::StatusProvider& provider_;
};

}  // namespace registrar::metrics

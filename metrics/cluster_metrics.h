// The metric families of the registrar's cluster (several replicas): members,
// owned targets, adoptions, fenced writes, membership changes, the member
// session, keys etcd refuses, etcd alarms and how long etcd has been
// unreachable. Private to metrics/; Metrics forwards the
// ControllerObserver calls here. Registered once at start (throws on a clash,
// caught by Metrics::Create). Thread-safe (prometheus-cpp series are).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "common/clock.h"

namespace prometheus {
class Counter;
class Gauge;
class Registry;
}  // namespace prometheus

namespace registrar::metrics {

class ClusterMetrics {
 public:
  explicit ClusterMetrics(prometheus::Registry& registry);

  void OnMembers(size_t members, size_t owned_targets);
  void OnMembershipChange();
  void OnAdoptions(size_t adopted);
  void OnFencedWrite();
  void OnSession(bool joined);
  void OnRejectedKeys(size_t keys);
  // registrar_etcd_alarm{alarm}: 1 for the alarm that refuses our writes.
  void OnEtcdAlarm(std::string_view alarm);
  // Every etcd request's outcome at `now`: registrar_etcd_unreachable_seconds
  // counts from the first request that reached no member (UNAVAILABLE or
  // deadline) to `now`, and is 0 from the first one that got an answer.
  void OnEtcdRequest(absl::StatusCode code, MonoTime now);

 private:
  prometheus::Gauge* members_;
  prometheus::Gauge* owned_targets_;
  prometheus::Counter* adoptions_;
  prometheus::Counter* fenced_writes_;
  prometheus::Counter* membership_changes_;
  prometheus::Gauge* session_;
  prometheus::Gauge* rejected_keys_;
  prometheus::Gauge* alarm_nospace_;
  prometheus::Gauge* alarm_corrupt_;
  prometheus::Gauge* unreachable_seconds_;
  // Nanoseconds of MonoTime since the first unanswered request; 0: reachable.
  std::atomic<int64_t> unreachable_since_{0};
};

}  // namespace registrar::metrics

// The metric families of the registrar's cluster (several replicas): members,
// owned targets, adoptions, fenced writes, membership changes, the member
// session, and keys etcd refuses. Private to metrics/; Metrics forwards the
// ControllerObserver calls here. Registered once at start (throws on a clash,
// caught by Metrics::Create). Thread-safe (prometheus-cpp series are).
#pragma once

#include <cstddef>

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

 private:
  prometheus::Gauge* members_;
  prometheus::Gauge* owned_targets_;
  prometheus::Counter* adoptions_;
  prometheus::Counter* fenced_writes_;
  prometheus::Counter* membership_changes_;
  prometheus::Gauge* session_;
  prometheus::Gauge* rejected_keys_;
};

}  // namespace registrar::metrics

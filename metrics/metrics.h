// Every Prometheus metric family of the registrar, in one place.
//
// `Metrics` is created once in main. It owns the prometheus-cpp Registry and
// registers every family at construction, so a clash or a bad name is an
// error at start (Create() returns it) and never a throw later. Every label
// combination known at start exists from the first scrape at 0: the
// per-service series are created by SetTargets(), the etcd ops
// and result labels at construction.
//
// It observes the other modules through their observer interfaces (the probe
// engine, the etcd client, the controller) plus config reload hooks; nothing
// outside metrics/ but cmd/ depends on it. Observers are called on the
// prober thread (through probes::ObserverFanout), on the controller's threads
// (controller, lease keeper, membership) and, as the etcd client's
// RequestObserver, on every thread that calls etcd: every method is
// thread-safe, and OnResult (once per probe) takes a shared lock and touches
// only cached series.
//
// Contract with main: call SetTargets() with the same set (before) the
// Prober gets it. Results and transitions of targets not in the set are
// ignored (a removal racing a probe in flight).
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "controller/controller.h"
#include "etcd/client.h"
#include "probes/prober.h"

namespace prometheus {
class Collectable;
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace registrar::metrics {

class ClusterMetrics;

struct MetricsOptions {
  std::string version = "unknown";   // registrar_build_info{version}
  std::string revision = "unknown";  // registrar_build_info{revision}
  // Per-target series come from TargetCollector (metrics/target_collector.h).
};

class Metrics final : public probes::ProbeObserver,
                      public etcd::RequestObserver,
                      public controller::ControllerObserver {
 public:
  // Registers every family; kInternal if prometheus-cpp refuses one.
  static absl::StatusOr<std::unique_ptr<Metrics>> Create(MetricsOptions options);
  ~Metrics() override;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }
  // What /metrics serves: the registry and the process collector
  // (process_cpu_seconds_total, process_resident_memory_bytes, ...).
  std::vector<std::shared_ptr<prometheus::Collectable>> Collectables() const;

  // The configured targets: creates the per-service and per-target series of
  // new ones (state unknown) and drops those of removed ones. Targets are
  // matched by Target::Id(); a kept target keeps its state.
  void SetTargets(const std::vector<probes::Target>& targets);

  // probes::ProbeObserver
  void OnResult(const probes::Target& target, const probes::ProbeResult& result,
                Duration schedule_lag) override;
  void OnTransition(const probes::Target& target, const probes::Transition& transition) override;
  // registrar_prober_local_errors_total{reason}.
  void OnLocalError(const probes::Target& target, const std::string& reason) override;

  // etcd::RequestObserver: registrar_etcd_requests_total{op,code} with the
  // gRPC code as gRPC-Go names it ("OK", "Unavailable", "DeadlineExceeded").
  void OnRequest(std::string_view op, absl::StatusCode code, Duration latency) override;
  // registrar_etcd_keepalive_messages_total for each "lease_keepalive".
  void OnStreamMessage(std::string_view op) override;

  // controller::ControllerObserver
  // kWritten | kNoop → registrar_reconcile_total{result="success"},
  // kError → {result="failure"}.
  void OnReconcile(controller::ReconcileOutcome outcome, Duration duration) override;
  void OnRegisteredKeys(size_t keys) override;
  void OnLease(int64_t lease_id, int64_t ttl_seconds) override;
  void OnLeaseRegrant() override;
  void OnKeepAliveFailure() override;
  void OnDriftRepair(size_t repaired) override;
  void OnTxn(size_t ops) override;
  void OnMembers(size_t members, size_t owned_targets) override;
  void OnMembershipChange() override;
  void OnAdoptions(size_t adopted) override;
  void OnFencedWrite() override;
  void OnSession(bool joined) override;
  void OnRejectedKeys(size_t keys) override;
  void OnEtcdAlarm(std::string_view alarm) override;

  // Config hooks. The config read at start (sets the last-success timestamp,
  // counts no reload):
  void OnConfigLoaded(WallTime when);
  // One reload attempt (SIGHUP / file change) at `when`.
  void OnConfigReload(bool ok, WallTime when);

 private:
  struct Families;
  struct ServiceSeries;
  struct TargetSeries;
  struct OpSeries;

  explicit Metrics(MetricsOptions options);
  void Register();                                        // may throw; called once by Create()
  ServiceSeries& AddService(const std::string& service);  // requires mu_ held exclusively
  void RemoveService(const std::string& service, ServiceSeries& series);
  OpSeries& AddOp(std::string_view op);  // requires mu_ held exclusively
  void SetTargetState(TargetSeries& target, ServiceSeries& service, probes::Health to);

  const MetricsOptions options_;
  const std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> process_collector_;  // constant after Create()
  std::unique_ptr<Families> families_;                          // constant after Create()
  std::unique_ptr<ClusterMetrics> cluster_;                     // constant after Create()

  // Series of known services, targets and etcd ops. Shared lock to use a
  // cached series, exclusive lock to add or remove one.
  mutable std::shared_mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<ServiceSeries>> services_;  // guarded by mu_
  absl::flat_hash_map<std::string, TargetSeries> targets_;  // by Target::Id(); guarded by mu_
  absl::flat_hash_map<std::string, std::unique_ptr<OpSeries>> ops_;  // guarded by mu_
};

}  // namespace registrar::metrics

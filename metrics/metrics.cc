#include "metrics/metrics.h"

#include <array>
#include <exception>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "metrics/cluster_metrics.h"
#include "metrics/failure_reason.h"
#include "metrics/process_collector.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace registrar::metrics {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// The ops etcd::RequestObserver reports (etcd/client.h); more are added lazily.
constexpr std::array<std::string_view, 10> kEtcdOps = {
    "range",        "put",       "delete",          "txn",   "lease_grant",
    "lease_revoke", "lease_ttl", "lease_keepalive", "watch", "authenticate"};

Histogram::BucketBoundaries ProbeBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}
Histogram::BucketBoundaries LagBuckets() {
  return {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
}
Histogram::BucketBoundaries EtcdBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// gRPC code names as gRPC-Go and go-grpc-prometheus write them
// ("DeadlineExceeded"), the form dashboards and alerts expect in a code label.
std::string CodeLabel(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return "OK";
    case absl::StatusCode::kCancelled:
      return "Canceled";
    case absl::StatusCode::kUnknown:
      return "Unknown";
    case absl::StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case absl::StatusCode::kDeadlineExceeded:
      return "DeadlineExceeded";
    case absl::StatusCode::kNotFound:
      return "NotFound";
    case absl::StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case absl::StatusCode::kPermissionDenied:
      return "PermissionDenied";
    case absl::StatusCode::kResourceExhausted:
      return "ResourceExhausted";
    case absl::StatusCode::kFailedPrecondition:
      return "FailedPrecondition";
    case absl::StatusCode::kAborted:
      return "Aborted";
    case absl::StatusCode::kOutOfRange:
      return "OutOfRange";
    case absl::StatusCode::kUnimplemented:
      return "Unimplemented";
    case absl::StatusCode::kInternal:
      return "Internal";
    case absl::StatusCode::kUnavailable:
      return "Unavailable";
    case absl::StatusCode::kDataLoss:
      return "DataLoss";
    case absl::StatusCode::kUnauthenticated:
      return "Unauthenticated";
    default:
      break;
  }
  return "Code(" + std::to_string(static_cast<int>(code)) + ")";
}

}  // namespace

struct Metrics::Families {
  Family<Counter>* probes_total;
  Family<Histogram>* probe_duration;
  Family<Histogram>* schedule_lag_family;
  Histogram* schedule_lag;
  Family<Counter>* probe_failures;
  Family<Gauge>* targets;
  Family<Counter>* transitions_total;
  Family<Counter>* local_errors;  // registrar_prober_local_errors_total{reason}
  Gauge* registered_keys;
  Gauge* lease_ttl;
  Gauge* lease_held;
  Counter* lease_regrants;
  Counter* keepalive_failures;
  Counter* etcd_keepalive_messages;
  Family<Counter>* etcd_requests_total;
  Family<Histogram>* etcd_request_duration;
  Counter* reconcile_success;
  Counter* reconcile_failure;
  Histogram* txn_ops;
  Histogram* reconcile_duration;
  Counter* drift_repairs;
  Counter* reloads_success;
  Counter* reloads_failure;
  Gauge* last_reload_success;
  Gauge* last_reload_successful;
};

// Cached series of one service; pointers stay valid until RemoveService().
struct Metrics::ServiceSeries {
  Counter* probes_success = nullptr;
  Counter* probes_failure = nullptr;
  // Indexed by probes::FailureClass; null for classes not counted.
  std::array<Counter*, probes::kFailureClassCount> failures_by_class{};
  Histogram* probe_duration = nullptr;
  Counter* to_healthy = nullptr;
  Counter* to_unhealthy = nullptr;
  Gauge* healthy = nullptr;
  Gauge* unhealthy = nullptr;
  Gauge* unknown = nullptr;
  int targets = 0;
};

struct Metrics::TargetSeries {
  std::string service;
  probes::Health health = probes::Health::kUnknown;
};

struct Metrics::OpSeries {
  std::string op;
  Histogram* duration = nullptr;
  absl::flat_hash_map<absl::StatusCode, Counter*> by_code;
};

absl::StatusOr<std::unique_ptr<Metrics>> Metrics::Create(MetricsOptions options) {
  std::unique_ptr<Metrics> metrics(new Metrics(std::move(options)));
  try {
    metrics->Register();
  } catch (const std::exception& e) {
    return absl::InternalError(std::string("registering metric families: ") + e.what());
  }
  return metrics;
}

Metrics::Metrics(MetricsOptions options)
    : options_(std::move(options)), registry_(std::make_shared<prometheus::Registry>()) {}

Metrics::~Metrics() = default;

void Metrics::Register() {
  auto f = std::make_unique<Families>();
  prometheus::Registry& r = *registry_;

  f->probes_total = &prometheus::BuildCounter()
                         .Name("registrar_probes_total")
                         .Help("Probes run, by service and result (success|failure).")
                         .Register(r);
  f->probe_duration = &prometheus::BuildHistogram()
                           .Name("registrar_probe_duration_seconds")
                           .Help("Probe latency, by service.")
                           .Register(r);
  f->schedule_lag_family = &prometheus::BuildHistogram()
                                .Name("registrar_probe_schedule_lag_seconds")
                                .Help("How late probes started compared to their schedule.")
                                .Register(r);
  f->schedule_lag = &f->schedule_lag_family->Add({}, LagBuckets());
  f->probe_failures = &prometheus::BuildCounter()
                           .Name("registrar_probe_failures_total")
                           .Help(
                               "Failed probes, by service and reason (timeout|refused|status|"
                               "body|tls|dns|reset|other).")
                           .Register(r);
  f->targets = &prometheus::BuildGauge()
                    .Name("registrar_targets")
                    .Help("Targets by service and state (healthy|unhealthy|unknown).")
                    .Register(r);
  f->transitions_total = &prometheus::BuildCounter()
                              .Name("registrar_transitions_total")
                              .Help("Health transitions, by service and new state.")
                              .Register(r);
  f->local_errors =
      &prometheus::BuildCounter()
           .Name("registrar_prober_local_errors_total")
           .Help(
               "Probes that could not run for lack of a local resource (retried, never "
               "counted against the target), by reason.")
           .Register(r);
  for (const char* reason : {"emfile", "enfile", "enobufs", "eaddrnotavail", "fork"}) {
    f->local_errors->Add({{"reason", reason}});
  }

  f->registered_keys = &prometheus::BuildGauge()
                            .Name("registrar_registered_keys")
                            .Help("Keys this registrar holds in etcd.")
                            .Register(r)
                            .Add({});
  f->lease_ttl = &prometheus::BuildGauge()
                      .Name("registrar_lease_ttl_seconds")
                      .Help("TTL of the shared lease (0 when none is held).")
                      .Register(r)
                      .Add({});
  f->lease_held = &prometheus::BuildGauge()
                       .Name("registrar_lease_held")
                       .Help("1 while the registrar holds its shared lease.")
                       .Register(r)
                       .Add({});
  f->lease_regrants = &prometheus::BuildCounter()
                           .Name("registrar_lease_regrants_total")
                           .Help("Leases granted again after the previous one was lost.")
                           .Register(r)
                           .Add({});
  f->keepalive_failures = &prometheus::BuildCounter()
                               .Name("registrar_keepalive_failures_total")
                               .Help("Lease keepalives that failed.")
                               .Register(r)
                               .Add({});

  f->etcd_keepalive_messages = &prometheus::BuildCounter()
                                    .Name("registrar_etcd_keepalive_messages_total")
                                    .Help(
                                        "Lease keepalive messages sent on open keepalive "
                                        "streams (session and registration leases).")
                                    .Register(r)
                                    .Add({});
  f->etcd_requests_total = &prometheus::BuildCounter()
                                .Name("registrar_etcd_requests_total")
                                .Help("etcd requests, by operation and gRPC status code.")
                                .Register(r);
  f->etcd_request_duration = &prometheus::BuildHistogram()
                                  .Name("registrar_etcd_request_duration_seconds")
                                  .Help("etcd request latency, by operation.")
                                  .Register(r);

  auto& reconciles =
      prometheus::BuildCounter()
          .Name("registrar_reconcile_total")
          .Help(
              "Reconcile passes, by result (success: keys written or nothing to write, "
              "failure: an etcd call failed).")
          .Register(r);
  f->reconcile_success = &reconciles.Add({{"result", "success"}});
  f->reconcile_failure = &reconciles.Add({{"result", "failure"}});
  f->txn_ops = &prometheus::BuildHistogram()
                    .Name("registrar_etcd_txn_operations")
                    .Help("Operations (puts and deletes) per etcd Txn the controller sent.")
                    .Register(r)
                    .Add({}, Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128});
  f->reconcile_duration = &prometheus::BuildHistogram()
                               .Name("registrar_reconcile_duration_seconds")
                               .Help("Duration of reconcile passes.")
                               .Register(r)
                               .Add({}, EtcdBuckets());
  f->drift_repairs = &prometheus::BuildCounter()
                          .Name("registrar_drift_repairs_total")
                          .Help("Keys repaired after someone else changed or deleted them.")
                          .Register(r)
                          .Add({});

  auto& reloads = prometheus::BuildCounter()
                      .Name("registrar_config_reloads_total")
                      .Help("Config reloads, by result (success|failure).")
                      .Register(r);
  f->reloads_success = &reloads.Add({{"result", "success"}});
  f->reloads_failure = &reloads.Add({{"result", "failure"}});
  f->last_reload_success = &prometheus::BuildGauge()
                                .Name("registrar_config_last_reload_success_timestamp_seconds")
                                .Help("Unix time of the last successful config load.")
                                .Register(r)
                                .Add({});
  f->last_reload_successful = &prometheus::BuildGauge()
                                   .Name("registrar_config_last_reload_successful")
                                   .Help("1 if the last config load or reload succeeded.")
                                   .Register(r)
                                   .Add({});
  prometheus::BuildGauge()
      .Name("registrar_build_info")
      .Help("Version and revision of this build (always 1).")
      .Register(r)
      .Add({{"version", options_.version}, {"revision", options_.revision}})
      .Set(1);

  families_ = std::move(f);
  cluster_ = std::make_unique<ClusterMetrics>(*registry_);
  std::unique_lock lock(mu_);
  for (std::string_view op : kEtcdOps) AddOp(op);
  process_collector_ = std::make_shared<ProcessCollector>();
}

std::vector<std::shared_ptr<prometheus::Collectable>> Metrics::Collectables() const {
  return {registry_, process_collector_};
}

Metrics::ServiceSeries& Metrics::AddService(const std::string& service) {
  auto& slot = services_[service];
  if (slot != nullptr) return *slot;
  auto s = std::make_unique<ServiceSeries>();
  Families& f = *families_;
  s->probes_success = &f.probes_total->Add({{"service", service}, {"result", "success"}});
  s->probes_failure = &f.probes_total->Add({{"service", service}, {"result", "failure"}});
  s->probe_duration = &f.probe_duration->Add({{"service", service}}, ProbeBuckets());
  for (probes::FailureClass c : kCountedFailures) {
    s->failures_by_class[static_cast<size_t>(c)] = &f.probe_failures->Add(
        {{"service", service}, {"reason", std::string(probes::FailureClassName(c))}});
  }
  s->to_healthy = &f.transitions_total->Add({{"service", service}, {"to", "healthy"}});
  s->to_unhealthy = &f.transitions_total->Add({{"service", service}, {"to", "unhealthy"}});
  s->healthy = &f.targets->Add({{"service", service}, {"state", "healthy"}});
  s->unhealthy = &f.targets->Add({{"service", service}, {"state", "unhealthy"}});
  s->unknown = &f.targets->Add({{"service", service}, {"state", "unknown"}});
  slot = std::move(s);
  return *slot;
}

void Metrics::RemoveService(const std::string& service, ServiceSeries& s) {
  Families& f = *families_;
  f.probes_total->Remove(s.probes_success);
  f.probes_total->Remove(s.probes_failure);
  f.probe_duration->Remove(s.probe_duration);
  for (Counter* c : s.failures_by_class) {
    if (c != nullptr) f.probe_failures->Remove(c);
  }
  f.transitions_total->Remove(s.to_healthy);
  f.transitions_total->Remove(s.to_unhealthy);
  f.targets->Remove(s.healthy);
  f.targets->Remove(s.unhealthy);
  f.targets->Remove(s.unknown);
  services_.erase(service);
}

Metrics::OpSeries& Metrics::AddOp(std::string_view op) {
  auto& slot = ops_[std::string(op)];
  if (slot != nullptr) return *slot;
  auto s = std::make_unique<OpSeries>();
  s->op = std::string(op);
  s->duration = &families_->etcd_request_duration->Add({{"op", s->op}}, EtcdBuckets());
  s->by_code[absl::StatusCode::kOk] =
      &families_->etcd_requests_total->Add({{"op", s->op}, {"code", "OK"}});
  slot = std::move(s);
  return *slot;
}

void Metrics::SetTargets(const std::vector<probes::Target>& targets) {
  std::unique_lock lock(mu_);
  absl::flat_hash_set<std::string> wanted;
  for (const probes::Target& t : targets) {
    std::string id = t.Id();
    wanted.insert(id);
    if (targets_.contains(id)) continue;
    ServiceSeries& s = AddService(t.service);
    ++s.targets;
    s.unknown->Increment();
    TargetSeries entry;
    entry.service = t.service;
    targets_.emplace(std::move(id), std::move(entry));
  }
  for (auto it = targets_.begin(); it != targets_.end();) {
    if (wanted.contains(it->first)) {
      ++it;
      continue;
    }
    TargetSeries& t = it->second;
    auto sit = services_.find(t.service);
    if (sit != services_.end()) {
      ServiceSeries& s = *sit->second;
      SetTargetState(t, s, probes::Health::kUnknown);
      s.unknown->Decrement();
      if (--s.targets == 0) RemoveService(t.service, s);
    }
    targets_.erase(it++);
  }
}

void Metrics::SetTargetState(TargetSeries& t, ServiceSeries& s, probes::Health to) {
  if (t.health == to) return;
  auto gauge = [&s](probes::Health h) {
    switch (h) {
      case probes::Health::kHealthy:
        return s.healthy;
      case probes::Health::kUnhealthy:
        return s.unhealthy;
      case probes::Health::kUnknown:
        break;
    }
    return s.unknown;
  };
  gauge(t.health)->Decrement();
  gauge(to)->Increment();
  t.health = to;
}

void Metrics::OnResult(const probes::Target& target, const probes::ProbeResult& result,
                       Duration schedule_lag) {
  families_->schedule_lag->Observe(ToSeconds(schedule_lag));
  std::shared_lock lock(mu_);
  auto it = services_.find(target.service);
  if (it == services_.end()) return;
  ServiceSeries& s = *it->second;
  (result.ok ? s.probes_success : s.probes_failure)->Increment();
  if (!result.ok) {
    Counter* by_class = s.failures_by_class[static_cast<size_t>(result.failure)];
    if (by_class == nullptr)
      by_class = s.failures_by_class[static_cast<size_t>(probes::FailureClass::kOther)];
    by_class->Increment();
  }
  s.probe_duration->Observe(ToSeconds(result.latency));
}

void Metrics::OnTransition(const probes::Target& target, const probes::Transition& transition) {
  std::unique_lock lock(mu_);
  auto tit = targets_.find(target.Id());
  if (tit == targets_.end()) return;
  auto sit = services_.find(target.service);
  if (sit == services_.end()) return;
  ServiceSeries& s = *sit->second;
  if (transition.to == probes::Health::kHealthy) s.to_healthy->Increment();
  if (transition.to == probes::Health::kUnhealthy) s.to_unhealthy->Increment();
  SetTargetState(tit->second, s, transition.to);
}

void Metrics::OnLocalError(const probes::Target& /*target*/, const std::string& reason) {
  // Add() returns the existing series (the family locks itself).
  families_->local_errors->Add({{"reason", reason}}).Increment();
}

void Metrics::OnRequest(std::string_view op, absl::StatusCode code, Duration latency) {
  cluster_->OnEtcdRequest(code, RealClock().Now());
  {
    std::shared_lock lock(mu_);
    auto it = ops_.find(absl::string_view(op.data(), op.size()));
    if (it != ops_.end()) {
      OpSeries& s = *it->second;
      auto cit = s.by_code.find(code);
      if (cit != s.by_code.end()) {
        cit->second->Increment();
        s.duration->Observe(ToSeconds(latency));
        return;
      }
    }
  }
  // First time this op or code is seen: create its series.
  std::unique_lock lock(mu_);
  OpSeries& s = AddOp(op);
  Counter*& counter = s.by_code[code];
  if (counter == nullptr) {
    counter = &families_->etcd_requests_total->Add({{"op", s.op}, {"code", CodeLabel(code)}});
  }
  counter->Increment();
  s.duration->Observe(ToSeconds(latency));
}

void Metrics::OnStreamMessage(std::string_view op) {
  if (op == "lease_keepalive") families_->etcd_keepalive_messages->Increment();
}

void Metrics::OnReconcile(controller::ReconcileOutcome outcome, Duration duration) {
  // The metric uses the success | failure words of every other result label
  // (alerts match on them).
  const bool ok = outcome != controller::ReconcileOutcome::kError;
  (ok ? families_->reconcile_success : families_->reconcile_failure)->Increment();
  families_->reconcile_duration->Observe(ToSeconds(duration));
}

void Metrics::OnTxn(size_t ops) { families_->txn_ops->Observe(static_cast<double>(ops)); }

void Metrics::OnRegisteredKeys(size_t keys) {
  families_->registered_keys->Set(static_cast<double>(keys));
}

void Metrics::OnLease(int64_t lease_id, int64_t ttl_seconds) {
  families_->lease_held->Set(lease_id != 0 ? 1 : 0);
  families_->lease_ttl->Set(lease_id != 0 ? static_cast<double>(ttl_seconds) : 0);
}

void Metrics::OnMembers(size_t members, size_t owned_targets) {
  cluster_->OnMembers(members, owned_targets);
}
void Metrics::OnMembershipChange() { cluster_->OnMembershipChange(); }
void Metrics::OnAdoptions(size_t adopted) { cluster_->OnAdoptions(adopted); }
void Metrics::OnFencedWrite() { cluster_->OnFencedWrite(); }
void Metrics::OnSession(bool joined) { cluster_->OnSession(joined); }
void Metrics::OnRejectedKeys(size_t keys) { cluster_->OnRejectedKeys(keys); }
void Metrics::OnEtcdAlarm(std::string_view alarm) { cluster_->OnEtcdAlarm(alarm); }

void Metrics::OnLeaseRegrant() { families_->lease_regrants->Increment(); }

void Metrics::OnKeepAliveFailure() { families_->keepalive_failures->Increment(); }

void Metrics::OnDriftRepair(size_t repaired) {
  if (repaired > 0) families_->drift_repairs->Increment(static_cast<double>(repaired));
}

void Metrics::OnConfigLoaded(WallTime when) {
  families_->last_reload_successful->Set(1);
  families_->last_reload_success->Set(
      std::chrono::duration<double>(when.time_since_epoch()).count());
}

void Metrics::OnConfigReload(bool ok, WallTime when) {
  families_->last_reload_successful->Set(ok ? 1 : 0);
  if (!ok) {
    families_->reloads_failure->Increment();
    return;
  }
  families_->reloads_success->Increment();
  families_->last_reload_success->Set(
      std::chrono::duration<double>(when.time_since_epoch()).count());
}

}  // namespace registrar::metrics

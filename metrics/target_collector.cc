#include "metrics/target_collector.h"

#include <chrono>
#include <map>
#include <string>
#include <utility>

#include "prometheus/client_metric.h"
#include "prometheus/metric_family.h"
#include "prometheus/metric_type.h"

namespace registrar::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily GaugeFamily(std::string name, std::string help) {
  return MetricFamily{std::move(name), std::move(help), MetricType::Gauge, {}};
}

void Add(MetricFamily& family, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  family.metric.push_back(std::move(m));
}

double Seconds(WallTime t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

bool PerTarget(PerTargetSeries mode, size_t targets) {
  switch (mode) {
    case PerTargetSeries::kAlways:
      return true;
    case PerTargetSeries::kNever:
      return false;
    case PerTargetSeries::kAuto:
      break;
  }
  return targets <= kAutoPerTargetLimit;
}

}  // namespace

std::vector<MetricFamily> TargetCollector::Collect() const {
  const std::vector<probes::TargetStatus> targets = provider_.Targets();
  const status::RegistrationView registration = provider_.Registration();

  MetricFamily connected = GaugeFamily("registrar_etcd_connected",
                                       "1 while the last etcd call of the registrar succeeded.");
  Add(connected, {}, registration.etcd_connected ? 1 : 0);

  // Per service, every configured service at 0 so alerts see the series.
  std::map<std::string, int> drained_by_service;
  for (const auto& t : targets) {
    int& n = drained_by_service[t.target.service];
    if (registration.drained.contains(t.target.Id())) ++n;
  }
  MetricFamily drained_count = GaugeFamily("registrar_targets_drained",
                                           "Targets an operator drained (probed, not registered).");
  for (const auto& [service, n] : drained_by_service) {
    Add(drained_count, {{"service", service}}, n);
  }
  MetricFamily fail_open = GaugeFamily(
      "registrar_service_fail_open",
      "1 while too few of the service's targets are healthy and its registrations are kept.");
  for (const auto& [service, n] : drained_by_service) {
    bool open = false;
    for (const auto& s : registration.fail_open_services) open = open || s == service;
    Add(fail_open, {{"service", service}}, open ? 1 : 0);
  }

  std::vector<MetricFamily> out;
  out.push_back(std::move(connected));
  out.push_back(std::move(drained_count));
  out.push_back(std::move(fail_open));
  if (!PerTarget(mode_.load(), targets.size())) return out;

  MetricFamily probed =
      GaugeFamily("registrar_target_probed",
                  "1 once the target has a verdict (healthy or unhealthy), 0 while "
                  "unknown (not probed enough yet).");
  MetricFamily healthy =
      GaugeFamily("registrar_target_healthy",
                  "1 if the target is healthy, 0 if unhealthy; absent while unknown.");
  MetricFamily duration = GaugeFamily("registrar_target_probe_duration_seconds",
                                      "Duration of the target's last probe.");
  MetricFamily status =
      GaugeFamily("registrar_target_probe_http_status_code",
                  "HTTP status of the target's last probe (0: no HTTP response).");
  MetricFamily last = GaugeFamily("registrar_target_last_probe_timestamp_seconds",
                                  "Unix time the target's last probe started (0: not probed yet).");
  MetricFamily registered = GaugeFamily("registrar_target_registered",
                                        "1 while this registrar's key for the target is in etcd.");
  MetricFamily drained =
      GaugeFamily("registrar_target_drained", "1 while an operator has drained the target.");
  MetricFamily interval = GaugeFamily(
      "registrar_target_probe_interval_seconds",
      "Time between the starts of the target's last two probes: its period, or more when a "
      "probe takes longer than the period (the next starts when it ends; 0: fewer than two).");
  MetricFamily late =
      MetricFamily{"registrar_target_late_probes_total",
                   "Probes of the target that took longer than its period, so the next one "
                   "started later than the period.",
                   MetricType::Counter,
                   {}};
  MetricFamily cert_expiry =
      GaugeFamily("registrar_probe_ssl_earliest_cert_expiry",
                  "Unix time the target's TLS leaf certificate expires (notAfter), from its latest "
                  "probe that saw one; only targets probed over TLS have it.");
  for (const auto& t : targets) {
    const std::string id = t.target.Id();
    std::vector<ClientMetric::Label> labels = {{"service", t.target.service},
                                               {"target", t.target.Address()}};
    const bool known = t.health != probes::Health::kUnknown;
    Add(probed, labels, known ? 1 : 0);
    if (known) Add(healthy, labels, t.health == probes::Health::kHealthy ? 1 : 0);
    if (!t.recent.empty()) {
      const probes::ProbeResult& r = t.recent.back();
      Add(duration, labels, std::chrono::duration<double>(r.latency).count());
      Add(status, labels, r.http_status);
      Add(last, labels, Seconds(r.wall_start));
    } else {
      Add(duration, labels, 0);
      Add(status, labels, 0);
      Add(last, labels, 0);
    }
    Add(interval, labels, std::chrono::duration<double>(t.interval).count());
    ClientMetric late_count;
    late_count.label = labels;
    late_count.counter.value = static_cast<double>(t.late_probes);
    late.metric.push_back(std::move(late_count));
    Add(registered, labels, registration.keys_by_target.contains(id) ? 1 : 0);
    Add(drained, labels, registration.drained.contains(id) ? 1 : 0);
    for (auto r = t.recent.rbegin(); r != t.recent.rend(); ++r) {
      if (r->cert_not_after) {
        Add(cert_expiry, labels, Seconds(*r->cert_not_after));
        break;
      }
    }
  }
  for (MetricFamily* f : {&probed, &healthy, &duration, &status, &last, &interval, &late,
                          &registered, &drained, &cert_expiry}) {
    out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace registrar::metrics

#include "metrics/source_collector.h"

#include <algorithm>
#include <chrono>
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
using Labels = std::vector<ClientMetric::Label>;

void SourceValue(MetricFamily& family, Labels labels, double value) {
  ClientMetric m;
  // Sorted by name, as prometheus-cpp's own families write them.
  std::sort(labels.begin(), labels.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  m.label = std::move(labels);
  if (family.type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  family.metric.push_back(std::move(m));
}

Labels With(Labels labels, std::string name, std::string value) {
  labels.push_back({std::move(name), std::move(value)});
  return labels;
}

}  // namespace

std::vector<MetricFamily> SourceCollector::Collect() const {
  const std::vector<sources::SourceState> states = provider_.Sources();
  std::vector<MetricFamily> out;
  if (states.empty()) return out;
  MetricFamily up{"registrar_source_up",
                  "1 while the target source's last refresh succeeded.",
                  MetricType::Gauge,
                  {}};
  MetricFamily targets{"registrar_source_targets",
                       "Targets the source lists now (held removals included).",
                       MetricType::Gauge,
                       {}};
  MetricFamily last{"registrar_source_last_success_timestamp_seconds",
                    "Unix time of the source's last good answer (0: none since start).",
                    MetricType::Gauge,
                    {}};
  MetricFamily refreshes{"registrar_source_refreshes_total",
                         "Refreshes of the source, good or not.",
                         MetricType::Counter,
                         {}};
  MetricFamily failures{"registrar_source_refresh_failures_total",
                        "Refreshes of the source that failed (the last good list was kept), by "
                        "reason.",
                        MetricType::Counter,
                        {}};
  MetricFamily changes{"registrar_source_changes_total",
                       "Answers that changed the source's targets: applied at once (or a held "
                       "shrink confirmed), or held (removals waiting for the next refresh).",
                       MetricType::Counter,
                       {}};
  MetricFamily held{"registrar_source_held_removals",
                    "Targets the source no longer lists, kept until the next refresh confirms "
                    "their removal.",
                    MetricType::Gauge,
                    {}};
  for (const sources::SourceState& s : states) {
    const Labels labels = {{"service", s.spec.service},
                           {"kind", sources::SourceKindName(s.spec.kind)},
                           {"source", s.name}};
    SourceValue(up, labels, s.answered && s.last_error.empty() ? 1 : 0);
    SourceValue(targets, labels, static_cast<double>(s.targets));
    SourceValue(last, labels,
                s.last_success
                    ? std::chrono::duration<double>(s.last_success->time_since_epoch()).count()
                    : 0);
    SourceValue(refreshes, labels, static_cast<double>(s.refreshes));
    for (const char* reason : {"timeout", "servfail", "connect", "tls", "http_status", "too_large",
                               "invalid", "vanished", "io"}) {
      auto it = s.failures.find(reason);
      SourceValue(failures, With(labels, "reason", reason),
                  it == s.failures.end() ? 0 : static_cast<double>(it->second));
    }
    SourceValue(changes, With(labels, "outcome", "applied"),
                static_cast<double>(s.changes_applied));
    SourceValue(changes, With(labels, "outcome", "held"), static_cast<double>(s.changes_held));
    SourceValue(held, labels, static_cast<double>(s.held_removals));
  }
  for (MetricFamily* f : {&up, &targets, &last, &refreshes, &failures, &changes, &held}) {
    out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace registrar::metrics

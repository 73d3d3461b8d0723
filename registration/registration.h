// What a registration looks like in etcd: key layout and value formats.
//
// Plain values produced by config/ and consumed by the controller. A service
// is written in one or more layouts (`formats`); each layout's key and value
// are rendered from its row in registration/layouts.h: for plain, json and
// grpc-naming `<prefix><service>/<host:port>`, for skydns
// `<skydns_prefix><domain labels reversed>/<service>/<id>` as CoreDNS's etcd
// plugin reads it, and the consumer's own shape for the framework presets.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/value_format.h"

namespace registrar::controller {

using registrar::ValueFormat;
using registrar::ValueFormatName;

// Options of the layouts that have any (service.layout in the config).
struct LayoutOptions {
  std::string version;  // kratos, go-micro: the service version
  std::string scheme;   // kratos endpoints, traefik url: default the row's ("grpc", "http")
  std::string protocol = "http";  // traefik: http (…/url) or tcp (…/address)
  int priority = 0;               // skydns: SRV priority (left out when 0)
  std::string key_template;       // template: the key, starting with ${prefix}
  std::string value_template;     // template: the value
  bool value_is_json = false;     // template: the value template is a JSON document
  bool operator==(const LayoutOptions&) const = default;
};

// Per-service registration settings.
struct ServiceRegistration {
  std::string service;
  // The first layout. Callers with one layout set only this; `formats` (when
  // not empty) lists every layout, this one first.
  ValueFormat format = ValueFormat::kPlain;
  std::vector<ValueFormat> formats;
  LayoutOptions layout;
  std::map<std::string, std::string> metadata;  // layouts with metadata only
  std::string dns_domain = "cluster.local";     // skydns only, e.g. "svc.example.com"
  int dns_ttl_seconds = 30;                     // skydns only: the TTL CoreDNS serves
  // Fail-open (judge.h; failOpen.belowHealthyPercent): below this share of
  // passing targets (percent, 1-100) no key of the service is deleted for
  // health. None: never.
  std::optional<int> fail_open_below_percent;
  bool operator==(const ServiceRegistration&) const = default;

  // Every layout the service is written in: `formats`, or just `format`.
  std::vector<ValueFormat> Formats() const {
    return formats.empty() ? std::vector<ValueFormat>{format} : formats;
  }
};

// Several replicas on one registration prefix form a cluster (see
// cluster/membership.h). Empty fields take defaults derived from the
// registration prefix, so replicas started with the same config coordinate.
struct ClusterOptions {
  std::string name;                 // default: the registration prefix without '/' ("services")
  std::string coordination_prefix;  // default: "/etcd-registrar/<name>/"; outside `prefix`
  std::string member_id;            // default: "<hostname>-<pid>"
  Duration session_ttl = std::chrono::seconds(5);  // member session; below lease_ttl
  // SIGTERM while other members live: how long to wait for them to adopt our
  // keys before exiting without revoking.
  Duration handover_timeout = std::chrono::seconds(10);
  bool operator==(const ClusterOptions&) const = default;
};

// Registrar-wide registration settings.
struct RegistrationOptions {
  std::string prefix = "/services/";
  std::string skydns_prefix = "/skydns/";
  // Layout name → prefix, for layouts whose consumer is configured with
  // another namespace than its default (see LayoutPrefix in layouts.h).
  std::map<std::string, std::string> layout_prefixes;
  Duration lease_ttl = std::chrono::seconds(10);
  Duration resync_period = std::chrono::seconds(30);  // periodic drift repair
  // Keys under `prefix` carrying another lease belong to someone else and are
  // never touched, unless `owns_prefix` is true (then they are ours to delete).
  bool owns_prefix = false;
  bool dry_run = false;  // probe and log what would be written; write nothing
  ClusterOptions cluster;
  bool operator==(const RegistrationOptions&) const = default;
};

}  // namespace registrar::controller

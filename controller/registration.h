// What a registration looks like in etcd: key layout and value formats.
//
// Plain values produced by config/ and consumed by the controller. The key for
// a healthy target is `<prefix><service>/<host:port>` except for the skydns
// format, whose key is `<skydns_prefix><domain labels reversed>/<service>/<id>`
// as CoreDNS's etcd plugin reads it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/value_format.h"

namespace registrar::controller {

using registrar::ValueFormat;
using registrar::ValueFormatName;

// Per-service registration settings.
struct ServiceRegistration {
  std::string service;
  ValueFormat format = ValueFormat::kPlain;
  std::map<std::string, std::string> metadata;  // json / grpc-naming only
  std::string dns_domain = "cluster.local";     // skydns only, e.g. "svc.example.com"
  int dns_ttl_seconds = 30;                     // skydns only: the TTL CoreDNS serves
  bool operator==(const ServiceRegistration&) const = default;
};

// Several replicas on one registration prefix form a cluster (see
// controller/membership.h). Empty fields take defaults derived from the
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

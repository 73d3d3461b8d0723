// Private to config/: Kubernetes-style probe blocks → probes::ProbeSpec, with
// `defaults:` merged under each service's probe.
#pragma once

#include <optional>
#include <string>

#include "config/reader.h"
#include "probes/spec.h"

namespace registrar::config::internal {

// The parsed `defaults:` block: any probe field, an action optional.
struct ProbeDefaults {
  probes::ProbeSpec spec;  // kubelet defaults overridden by the block
  bool has_http_get = false;
  bool has_tcp_socket = false;
  bool has_exec = false;
  bool has_grpc = false;
  bool has_tls_socket = false;
  bool allow_exec = false;  // probes.allowExec: exec probes are allowed
};

// The prober-wide `probes:` block.
struct ProbesBlock {
  // allowExec (absent: false). Exec probes run commands as the registrar's
  // user, so a config must opt in.
  bool allow_exec = false;
  Duration dns_min_ttl = std::chrono::seconds(5);  // dnsMinTTL
  std::vector<std::string> dns_servers;            // dnsServers ("ip:port")
};
ProbesBlock ParseProbesBlock(const std::optional<Field>& probes, Errors& errors);

ProbeDefaults ParseProbeDefaults(const std::optional<Field>& defaults, Errors& errors,
                                 const std::string& base_dir, bool allow_exec = false);

// A service's `probe:` (may be absent) over `defaults`. `service` is the
// service mapping, for errors about a missing probe. Returns nullopt if the
// probe has errors (already reported).
std::optional<probes::ProbeSpec> ParseServiceProbe(const std::optional<Field>& probe,
                                                   const MapReader& service,
                                                   const ProbeDefaults& defaults, Errors& errors,
                                                   const std::string& base_dir);

}  // namespace registrar::config::internal

// Target sources: where a service's targets come from besides the literal
// `endpoints` and `endpointsFile` of the config. Prometheus's service
// discovery, in its own words: `dnsSd` (SRV, A, AAAA records), `fileSd`
// (target-group files in JSON or YAML) and `httpSd` (the same target groups
// from an HTTP endpoint). A spec is a plain value that config/ parses and
// validates; sources/source.h reads it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"

namespace registrar::sources {

enum class SourceKind { kDnsSd, kFileSd, kHttpSd };
enum class DnsRecordType { kSrv, kA, kAaaa };

// "dnsSd", "fileSd", "httpSd": the config key, also the `kind` label.
const char* SourceKindName(SourceKind kind);
// "SRV", "A", "AAAA".
const char* DnsRecordTypeName(DnsRecordType type);

struct DnsSdSpec {
  std::vector<std::string> names;  // fully qualified, without the trailing dot
  DnsRecordType type = DnsRecordType::kSrv;
  int port = 0;                      // A/AAAA only (SRV records carry their port)
  std::vector<std::string> servers;  // "ip:port"; empty: /etc/resolv.conf (probes.dnsServers)
  Duration timeout = std::chrono::seconds(5);  // one lookup, retries included
  bool operator==(const DnsSdSpec&) const = default;
};

struct FileSdSpec {
  std::vector<std::string> files;  // absolute paths; the last part may hold * ? [ ] globs
  bool operator==(const FileSdSpec&) const = default;
};

struct HttpSdSpec {
  std::string url;  // http:// or https://
  Duration timeout = std::chrono::seconds(10);
  int64_t max_body_bytes = 16 * 1024 * 1024;
  // TLS (https): CA bundle (empty: the system's), client certificate.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  bool insecure_skip_verify = false;
  // At most one of basic auth and authorization; secrets are read from their
  // files at every refresh (a rotated token needs no reload) and never logged.
  std::string basic_auth_username;
  std::string basic_auth_password_file;
  std::string authorization_type;  // e.g. "Bearer"; empty: no Authorization
  std::string authorization_credentials_file;
  bool operator==(const HttpSdSpec&) const = default;
};

struct SourceSpec {
  SourceKind kind = SourceKind::kDnsSd;
  std::string service;  // the service it feeds
  Duration refresh_interval = std::chrono::seconds(30);
  // fileSd/httpSd: the label whose value is a target's weight (an integer
  // 1-1000000), and the label that names the service a target group belongs
  // to (empty: every group is `service`'s; set: only groups whose label
  // equals `service`, so one file or endpoint may feed several services).
  std::string weight_label = "weight";
  std::string service_label;
  // An answer that removes more than this share of the source's targets at
  // once (an empty answer too) waits until the next refresh confirms it.
  // 100: never wait.
  int max_shrink_percent = 50;
  DnsSdSpec dns;
  FileSdSpec file;
  HttpSdSpec http;

  // "dnsSd _http._tcp.billing.example", "fileSd /etc/inventory/*.json",
  // "httpSd https://cmdb.example/targets" (user info left out): how logs,
  // metrics (`source` label), the status page and the API name the source.
  std::string Name() const;
  bool operator==(const SourceSpec&) const = default;
};

}  // namespace registrar::sources

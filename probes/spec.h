// Probe specifications: what to probe and how, in Kubernetes probe words.
//
// Plain values, produced by config/ and consumed by the prober. A `Target` is
// one endpoint of one service with the spec that probes it. Validation (ranges,
// timeout < period, …) is config/'s job; the prober trusts these values.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace registrar::probes {

struct HttpHeader {
  std::string name;
  std::string value;
  bool operator==(const HttpHeader&) const = default;
};

// Inclusive status-code range; a single code is {c, c}.
struct StatusRange {
  int from = 200;
  int to = 399;
  bool operator==(const StatusRange&) const = default;
};

struct TlsOptions {
  std::string ca_file;      // empty: system trust store
  std::string cert_file;    // client certificate (PEM), optional
  std::string key_file;     // client key (PEM), optional
  std::string server_name;  // SNI and verification name; empty: the host
  bool insecure_skip_verify = false;
  bool operator==(const TlsOptions&) const = default;
};

struct HttpGetAction {
  std::string scheme = "HTTP";  // HTTP | HTTPS
  std::string host;             // empty: the endpoint's host
  std::optional<int> port;      // empty: the endpoint's port
  std::string path = "/";
  std::string method = "GET";
  std::vector<HttpHeader> http_headers;
  std::vector<StatusRange> expected_statuses;  // empty: 200–399
  std::string body_regex;                      // must match (ECMAScript), if set
  std::string body_not_regex;                  // must not match, if set
  int64_t max_body_bytes = 64 * 1024;          // read no more than this
  bool follow_redirects = false;
  int max_redirects = 5;
  TlsOptions tls;
  bool operator==(const HttpGetAction&) const = default;
};

struct TcpSocketAction {
  std::string host;         // empty: the endpoint's host
  std::optional<int> port;  // empty: the endpoint's port
  bool operator==(const TcpSocketAction&) const = default;
};

// grpc.health.v1.Health/Check (the gRPC Health Checking Protocol).
struct GrpcAction {
  std::optional<int> port;  // empty: the endpoint's port
  std::string service;      // the service name asked about; empty: the server as a whole
  bool tls = false;         // TLS with `tls_options` (same options as HTTPS)
  TlsOptions tls_options;
  std::string authority;  // :authority sent; empty: host:port
  bool operator==(const GrpcAction&) const = default;
};

// A TLS handshake with verification, no application protocol.
struct TlsSocketAction {
  std::string host;         // empty: the endpoint's host
  std::optional<int> port;  // empty: the endpoint's port
  TlsOptions tls;
  bool operator==(const TlsSocketAction&) const = default;
};

// A command run without a shell; exit status 0 is healthy. Only when the
// config allows exec probes (probes.allowExec).
struct ExecAction {
  std::vector<std::string> command;  // argv; command[0] looked up in PATH
  bool operator==(const ExecAction&) const = default;
};

enum class ProbeKind { kHttpGet, kTcpSocket, kGrpc, kTlsSocket, kExec };

struct ProbeSpec {
  ProbeKind kind = ProbeKind::kHttpGet;
  HttpGetAction http_get;      // when kind == kHttpGet
  TcpSocketAction tcp_socket;  // when kind == kTcpSocket
  GrpcAction grpc;             // when kind == kGrpc
  TlsSocketAction tls_socket;  // when kind == kTlsSocket
  ExecAction exec;             // when kind == kExec
  // TLS kinds (HTTPS, grpc with TLS, tlsSocket): fail when the leaf
  // certificate expires within this long; zero: only an expired one fails.
  Duration min_cert_validity = Duration::zero();
  Duration initial_delay = Duration::zero();
  Duration period = std::chrono::seconds(10);
  Duration timeout = std::chrono::seconds(1);
  int success_threshold = 1;
  int failure_threshold = 3;
  bool reuse_connections = true;  // Envoy-like keep-alive; false: fresh connection per probe
  bool operator==(const ProbeSpec&) const = default;
};

// One endpoint of one service. `id` is unique in a registrar: "<service>/<host:port>".
struct Target {
  std::string service;
  std::string host;  // IPv4/IPv6 literal or name; IPv6 without brackets
  int port = 0;
  ProbeSpec probe;
  // What the registration carries besides the address (json and grpc-naming
  // values; the prober ignores both): a weight (0: none given) and the
  // endpoint's own metadata, merged over the service's (the endpoint wins).
  int weight = 0;
  std::map<std::string, std::string> metadata;
  // Where the target came from: "endpoints", "endpointsFile", or a target
  // source's name (sources/spec.h); shown by the status page and the API.
  std::string source;
  // From a target source (dnsSd, fileSd, httpSd): the target set changes
  // without a config change, so replicas may briefly list different ones.
  bool dynamic = false;

  // "host:port" ("[v6]:port" for IPv6): the registered address.
  std::string Address() const;
  // "<service>/<address>".
  std::string Id() const { return service + "/" + Address(); }
  bool operator==(const Target&) const = default;
};

inline std::string Target::Address() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

}  // namespace registrar::probes

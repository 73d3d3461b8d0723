// The admin port's TLS and authentication, from a web config file in the
// Prometheus exporter-toolkit format (--web.config.file):
//
//   tls_server_config:
//     cert_file: server.crt          # PEM; both or neither of cert/key
//     key_file: server.key
//     client_ca_file: ca.crt         # PEM; needed by any client_auth_type but NoClientCert
//     client_auth_type: RequireAndVerifyClientCert
//       # NoClientCert | RequestClientCert | RequireAnyClientCert |
//       # VerifyClientCertIfGiven | RequireAndVerifyClientCert
//     min_version: TLS12             # TLS12 | TLS13 (default TLS12)
//   basic_auth_users:
//     alice: $2y$10$...              # bcrypt hashes ($2a$, $2b$, $2y$)
//   # etcd-registrar extensions (exporter-toolkit ignores nothing; neither do we):
//   open_health_endpoints: true      # /healthz and /readyz without auth (default true)
//   enable_drain_api: false          # drain API without users (default false)
//
// Relative file names are relative to the web config file. Unknown keys are
// errors (a typo must not silently disable auth). The files are read at load
// time: a reload re-reads them (certificate rotation).
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace registrar::admin {

enum class ClientAuth {
  kNone,              // NoClientCert
  kRequest,           // RequestClientCert
  kRequireAny,        // RequireAnyClientCert
  kVerifyIfGiven,     // VerifyClientCertIfGiven
  kRequireAndVerify,  // RequireAndVerifyClientCert
};

struct WebConfig {
  bool tls = false;
  std::string cert_pem, key_pem, client_ca_pem;  // contents, not paths
  ClientAuth client_auth = ClientAuth::kNone;
  bool tls13_only = false;
  std::map<std::string, std::string> users;  // name → bcrypt hash
  bool open_health_endpoints = true;
  bool enable_drain_api = false;
};

// Parses YAML text; `base_dir` resolves relative file names. Errors name
// `source` and the line.
absl::StatusOr<WebConfig> ParseWebConfig(const std::string& yaml, const std::string& base_dir,
                                         const std::string& source);
// Reads and parses the file at `path`; an empty path is the empty config
// (plain HTTP, no auth).
absl::StatusOr<WebConfig> LoadWebConfig(const std::string& path);

}  // namespace registrar::admin

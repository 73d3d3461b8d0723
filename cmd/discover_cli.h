// The `etcd-registrar discover` command: prints the endpoints registered under
// a prefix, then one line per change, until stopped.
//
//   etcd-registrar discover --endpoints 127.0.0.1:2379 --prefix /services/orders/
//       [--format auto|plain|json|grpc-naming|skydns|go-zero|kratos|go-micro|kitex|
//                 dubbo|traefik] [--once] [--output text|json]
//       [--ca-file F --cert-file F --key-file F --server-name N]
//       [--username U --password-file F]
//
// Text output: one line per endpoint of the snapshot, "ADDRESS KEY", then one
// line per change, "added|updated|removed ADDRESS KEY rev=N". A value that
// does not parse shows "-" as its address and `error="…"`. JSON output (JSON
// lines): first {"type":"snapshot","revision":R,"endpoints":[…]} (each
// endpoint with "weight", 0 when the layout carries none), then one
// {"type":"added|updated|removed","revision":N,"endpoint":{…}} per change.
// Progress and errors go to `err` (and the log), never to `out`.
//
// Exit codes: 0 stopped (or --once printed the snapshot); 1 etcd refused the
// credentials, or (--once only) could not be read in time — without --once an
// unreachable etcd is retried with backoff until stopped; 2 bad options.
#pragma once

#include <atomic>
#include <iosfwd>
#include <string>
#include <vector>

#include "common/clock.h"

namespace CLI {
class App;
}  // namespace CLI

namespace registrar::etcd {

struct DiscoverOptions {
  std::vector<std::string> endpoints = {"127.0.0.1:2379"};
  std::string prefix = "/services/";
  std::string format = "auto";  // see ParseEndpointFormat
  bool once = false;
  std::string output = "text";  // text | json
  Duration dial_timeout = std::chrono::seconds(5);
  Duration request_timeout = std::chrono::seconds(5);
  // Reopen a watch that was silent this long (see DiscoveryOptions).
  Duration idle_timeout = std::chrono::minutes(11);
  // TLS: any of these set (or an https:// endpoint) turns TLS on.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  std::string username;
  std::string password_file;  // first line is the password
  std::string password;       // SECRET: used when password_file is empty
  // Every wait of the command and of its Discovery; not owned; null: RealClock().
  Clock* clock = nullptr;
};

// Adds the options above to `app` (the `discover` subcommand), bound to `opts`.
// Environment: REGISTRAR_ETCD_ENDPOINTS, REGISTRAR_PREFIX, REGISTRAR_ETCD_PASSWORD.
void AddDiscoverCommand(CLI::App& app, DiscoverOptions& opts);

// Runs the command until `stop` becomes true (or once). Writes to `out` and
// `err` from the calling thread only.
int RunDiscover(const DiscoverOptions& opts, std::ostream& out, std::ostream& err,
                std::atomic<bool>& stop);

}  // namespace registrar::etcd

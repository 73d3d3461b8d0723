// The admin port's request handling as a pure function of a parsed request:
// routing, authentication, the drain API and every rendered view. The HTTP
// server (admin_server.cc) only parses bytes into an AdminRequest and writes
// the AdminResponse back; this is what tests and fuzzers drive directly.
//
// Routes (GET and HEAD unless noted):
//   /healthz /readyz      open unless the web config says otherwise
//   /metrics              Prometheus text exposition
//   /api/v1/targets       JSON, filtered/sorted/paged (admin/target_query.h)
//   /probe?target=SERVICE/ADDRESS[&module=M]  blackbox_exporter's exposition of
//                         the target's latest result (admin/render.h); module unused
//   /                     HTML status page, same query string
//   POST/DELETE /api/v1/targets/{id}/drain   (DrainControl; see below)
// Errors: 400 bad query/body, 401 + WWW-Authenticate for missing/wrong basic
// auth, 403 for a client certificate the policy refuses or a disabled drain
// API, 404, 405 + Allow, 413 body too large, 503 when DrainControl is
// unavailable. Every 4xx response carries Connection: close.
//
// The drain API is enabled when the web config has users (and then needs
// auth like everything else) or says enable_drain_api: true; otherwise 403.
//
// Thread-safety: Handle() may be called concurrently; SetWebConfig() swaps
// the policy atomically (requests in flight finish under the old one).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "admin/basic_auth.h"
#include "admin/drain_control.h"
#include "admin/target_query.h"
#include "admin/web_config.h"
#include "common/clock.h"
#include "status/status.h"

namespace prometheus {
class Collectable;
class Registry;
template <typename T>
class Family;
class Counter;
}  // namespace prometheus

namespace registrar::admin {

struct AdminRequest {
  std::string method;         // "GET"
  std::string path;           // "/api/v1/targets", percent-decoded
  QueryArgs query;            // decoded, in order
  std::string authorization;  // Authorization header, empty if none
  std::string content_type;
  std::string body;
  std::string peer;  // "127.0.0.1", for "who" of a drain
  bool tls = false;
  bool client_cert_presented = false;
  bool client_cert_verified = false;  // chains to client_ca_file
};

struct AdminResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HandlerOptions {
  // Served by /metrics, in order, followed by the admin port's own metrics.
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables;
  DrainControl* drain = nullptr;  // null: drain API answers 503 (not wired)
  Clock* clock = nullptr;         // null: RealClock()
};

class AdminHandler {
 public:
  AdminHandler(HandlerOptions options, const status::StatusProvider& provider);
  ~AdminHandler();

  AdminResponse Handle(const AdminRequest& request) const;
  // Whether `request` is answered without rendering or bcrypt (served on the
  // event loop): /healthz and /readyz when open.
  bool IsCheap(const AdminRequest& request) const;

  void SetWebConfig(const WebConfig& config);
  std::shared_ptr<const WebConfig> web_config() const;

  // Counts a request refused before it reached Handle() (too large,
  // malformed, plain HTTP on a TLS port) in registrar_admin_rejected_total.
  void CountRejected(const std::string& reason) const;

  // A response for an early error (status + one text line), Connection: close.
  static AdminResponse Error(int status, const std::string& text);

 private:
  struct Policy {
    std::shared_ptr<const WebConfig> config;
    std::shared_ptr<const BasicAuth> auth;  // null: no users
  };
  std::shared_ptr<const Policy> policy() const;
  AdminResponse Route(const AdminRequest& request, const Policy& policy,
                      const std::string& user) const;
  AdminResponse Drain(const AdminRequest& request, const std::string& id, const Policy& policy,
                      const std::string& user) const;

  const HandlerOptions options_;
  const status::StatusProvider& provider_;
  Clock& clock_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* rejected_ = nullptr;
  mutable std::mutex mu_;
  std::shared_ptr<const Policy> policy_;  // guarded by mu_
};

}  // namespace registrar::admin

// The admin HTTP port: what operators and Prometheus see without reading logs.
//
// Serves AdminHandler (admin/handler.h: /metrics, /healthz, /readyz,
// /api/v1/targets, the status page, the drain API) with libmicrohttpd on ONE
// internal epoll thread. Promises:
//  - No number of idle or slow clients delays another client: the event loop
//    never waits on a socket. Each connection costs a slot and at most
//    `max_connection_memory` bytes; slots are bounded in total and per IP,
//    and a connection idle for `idle_timeout` is closed.
//  - The request line and headers must fit `max_connection_memory` (else
//    414/431), a body `max_body_bytes` (else 413, checked from
//    Content-Length before reading and while reading chunks); after any 4xx
//    the connection is closed, never reused, so an unread body can never be
//    parsed as a request.
//  - /healthz and /readyz (when open) are answered on the loop; everything
//    that renders, collects metrics, runs a bcrypt or calls DrainControl runs
//    on `render_threads` worker threads while its connection is suspended
//    (MHD suspend/resume), so the loop keeps serving. At most
//    `max_pending_renders` wait; more get 503 + Retry-After.
//  - TLS (GnuTLS) and basic auth from a web config (admin/web_config.h);
//    SetWebConfig() applies a new one without dropping the port (a TLS change
//    restarts the server on the same listening socket).
//
// Thread-safety: Start() returns a running server; SetWebConfig(), Stop()
// and the destructor may be called from any one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "admin/drain_control.h"
#include "admin/handler.h"
#include "admin/web_config.h"
#include "common/clock.h"
#include "status/status.h"

namespace prometheus {
class Collectable;
}

namespace registrar::admin {

struct AdminServerOptions {
  // "host:port", "[v6]:port" or ":port" (all interfaces); port 0 picks a free one.
  std::string listen_address = ":9464";
  // Served by /metrics, in order (e.g. Metrics::Collectables()).
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables;
  WebConfig web_config;           // TLS and auth; default: plain HTTP, no auth
  DrainControl* drain = nullptr;  // the drain API's store; null: 503
  unsigned max_connections = 512;
  unsigned max_connections_per_ip = 128;
  size_t max_connection_memory = 16 * 1024;  // request line + headers + buffers
  size_t max_body_bytes = 16 * 1024;
  Duration idle_timeout = std::chrono::seconds(10);
  int render_threads = 2;
  size_t max_pending_renders = 64;
  Clock* clock = nullptr;  // null: RealClock()
};

class AdminServer final {
 public:
  // Binds and starts serving. kInvalidArgument for a malformed address or a
  // web config GnuTLS refuses, kUnavailable when the address cannot be
  // bound. `provider` (and options.drain) must outlive the server.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(AdminServerOptions options,
                                                            const status::StatusProvider& provider);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // The bound port (the picked one when asked for port 0).
  int port() const { return port_; }
  // "host:port" actually bound.
  std::string address() const;
  // Applies a new web config. On an error (e.g. a key GnuTLS cannot load)
  // the old config stays in force and the error is returned.
  absl::Status SetWebConfig(const WebConfig& config);
  // Stops serving and waits for the threads; idempotent.
  void Stop();

  class Impl;

 private:
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string host_;
  int port_ = 0;
};

}  // namespace registrar::admin

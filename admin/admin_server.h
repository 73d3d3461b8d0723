// The admin HTTP server: what operators see without reading logs.
//
// One port (cpp-httplib), serving
//   /metrics         Prometheus text exposition of the given collectables
//   /healthz         200 while the process is alive
//   /readyz          200 when StatusProvider::Ready() says so, else 503 + reason
//   /api/v1/targets  JSON: every target with state, since, recent results, key
//   /                HTML status page (self-contained; ?refresh=N reloads)
// Only GET and HEAD: other methods get 405 with an Allow header, unknown
// paths 404, oversized headers 431 (or 400 from the parser), oversized
// bodies 413. Requests run on the server's own small thread pool with read
// and write timeouts, so a slow or hostile client never reaches the prober.
//
// The server owns no state: it asks the StatusProvider on every request.
//
// Thread-safety: Start() returns a running server; Stop() (and the
// destructor) may be called from any one thread.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "admin/status.h"

namespace httplib {
class Server;
}
namespace prometheus {
class Collectable;
}

namespace registrar::admin {

struct AdminServerOptions {
  // "host:port", "[v6]:port" or ":port" (all interfaces); port 0 picks a free one.
  std::string listen_address = ":9464";
  // Served by /metrics, in order (e.g. Metrics::Collectables()).
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables;
  int threads = 4;
  size_t max_header_bytes = 16 * 1024;  // all request headers together
  size_t max_body_bytes = 16 * 1024;
  Duration read_timeout = std::chrono::seconds(5);
  Duration write_timeout = std::chrono::seconds(5);
  Duration keep_alive_timeout = std::chrono::seconds(5);
  Clock* clock = nullptr;  // wall time for "generated at"; null: RealClock()
};

class AdminServer final {
 public:
  // Binds and starts serving. kInvalidArgument for a malformed address,
  // kUnavailable when the address cannot be bound. `provider` must outlive
  // the server.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(AdminServerOptions options,
                                                            const StatusProvider& provider);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // The bound port (the picked one when asked for port 0).
  int port() const { return port_; }
  // "host:port" actually bound.
  std::string address() const;
  // Stops accepting and waits for the server thread; idempotent.
  void Stop();

 private:
  AdminServer(AdminServerOptions options, const StatusProvider& provider);
  void InstallHandlers();

  const AdminServerOptions options_;
  const StatusProvider& provider_;
  std::string host_;  // constant after Start()
  int port_ = 0;      // constant after Start()
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace registrar::admin

// Private to the etcd module: the one retry / failover path. Every unary call
// and every stream open of the GrpcClient, and every stream reopen after a
// member went silent, goes through Cluster::Run, so endpoint choice, auth
// tokens, reconnects and observation are decided in one place.
//
// A Cluster is shared (std::shared_ptr) by the GrpcClient and the streams it
// opened, so a stream can fail over after the Client is gone.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "etcd/client.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace registrar::etcd::internal {

// One endpoint: its channel and a stub per etcd service. Constant after
// construction (stubs and channels are thread-safe).
struct Connection {
  Connection(std::string endpoint, std::shared_ptr<grpc::Channel> channel);
  std::string endpoint;  // "host:port", for messages
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch;
  std::unique_ptr<etcdserverpb::Auth::Stub> auth;
};

// Names of one operation: for the observer ("put") and for messages ("Put").
struct CallName {
  std::string_view metric;
  absl::string_view text;
};

// Whether a call may be sent again to another member after a deadline: only
// when repeating it cannot do anything twice (reads, keepalives, watches).
enum class Retry { kIdempotent, kOnce };

class Cluster final {
 public:
  // One attempt on one member with the auth token ("" without auth).
  // Returns the call's outcome with gRPC's code: kUnavailable = not reached;
  // kUnauthenticated (token rejected) = authenticate again and repeat.
  using Attempt = std::function<absl::Status(Connection&, const std::string& token)>;

  Cluster(ClientOptions options, std::vector<std::unique_ptr<Connection>> connections);
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Runs `attempt` on the current member; on kUnavailable on each other one in
  // turn. A deadline moves the current member to the next one and, for
  // kIdempotent calls, repeats the call there. The member that answered
  // becomes current; `*used` (when given) is its index. Reports the outcome
  // to the observer under name.metric.
  // `dial` (> 0) caps the wait for each member's connection (else
  // dial_timeout).
  absl::Status Run(CallName name, Retry retry, const Attempt& attempt, size_t* used = nullptr,
                   Duration dial = Duration::zero());

  // A stream on member `index` went silent or broke: the next call or stream
  // open goes to the next member (if `index` is still current).
  void StreamFailed(size_t index, const absl::Status& why);

  // Waits up to `wait` (zero: dial_timeout) for the member's channel to be
  // connected; with more than one member, not past a failed connection.
  bool WaitForConnection(Connection& connection, Duration wait = Duration::zero()) const;
  // Whether the member's channel is connected now (no wait).
  bool Connected(Connection& connection) const;

  // How long a member may leave a request on a stream unanswered before the
  // stream is dropped and reopened on another member (see client.h).
  Duration StreamTimeout() const;

  const ClientOptions& options() const { return options_; }
  size_t size() const { return connections_.size(); }
  Connection& connection(size_t index) const { return *connections_[index]; }
  size_t current() const { return current_.load() % connections_.size(); }
  void Report(std::string_view op, absl::StatusCode code, MonoTime start) const;

 private:
  // One member: waits for the connection, attaches the token, authenticates
  // again once if etcd rejects it, and reconnects once if a connection that
  // looked fine had died.
  absl::Status RunOn(Connection& connection, const Attempt& attempt, Duration dial);
  // Makes `to` current if `from` still is, and logs why.
  void SwitchEndpoint(size_t from, size_t to, const absl::Status& why);
  // The auth token ("" without auth), authenticating first when there is none.
  absl::StatusOr<std::string> Token(Connection& connection);
  // Forgets `token` if it is still the current one.
  void DropToken(const std::string& token);
  bool UsesAuth() const { return !options_.username.empty(); }

  const ClientOptions options_;
  const std::vector<std::unique_ptr<Connection>> connections_;
  std::atomic<size_t> current_{0};  // index into connections_
  std::mutex auth_mu_;              // held while authenticating
  std::string token_;               // guarded by auth_mu_
};

// A deadline `timeout` from now, for grpc::ClientContext::set_deadline.
std::chrono::system_clock::time_point DeadlineAfter(Duration timeout);

}  // namespace registrar::etcd::internal

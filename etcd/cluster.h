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

// One endpoint's channel and a stub per etcd service. Constant after
// construction (stubs and channels are thread-safe); a member whose channel
// stays down is given a new Connection (see Cluster::Run), so a holder keeps
// its std::shared_ptr for as long as it uses it.
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
  // A new channel to member `index` (same endpoint, credentials, arguments).
  using Dialer = std::function<std::shared_ptr<grpc::Channel>(size_t index)>;

  // One member per entry of `endpoints` ("host:port"), dialled with `dial`.
  Cluster(ClientOptions options, std::vector<std::string> endpoints, Dialer dial);
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Runs `attempt` on the current member; on kUnavailable on each other one in
  // turn. A deadline moves the current member to the next one and, for
  // kIdempotent calls, repeats the call there. The member that answered
  // becomes current; `*used` (when given) is its index. Reports the outcome
  // to the observer under name.metric.
  // `dial` (> 0) caps the wait for each member's connection (else
  // dial_timeout).
  //
  // When every member's channel is in TRANSIENT_FAILURE, the call first
  // waits (up to that cap) for any of them to connect, polling all channels
  // at once. gRPC completes a connection attempt only while some thread
  // polls the channel; a call that fails fast on a failed channel polls
  // nothing, and each attempt has at most about a second (the reconnect
  // backoff caps gRPC's connect timeout), so without this wait a client cut
  // off from every member (a partition) never reconnected after the heal.
  // A member whose channel has not been connected for kRebuildAfter while it
  // was needed gets a new channel, so nothing stays wedged.
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

  // A member's channel not connected this long while calls wanted it is
  // replaced by a new one.
  static constexpr Duration kRebuildAfter = std::chrono::seconds(30);

  // How long a member may leave a request on a stream unanswered before the
  // stream is dropped and reopened on another member (see client.h).
  Duration StreamTimeout() const;

  const ClientOptions& options() const { return options_; }
  size_t size() const { return members_.size(); }
  // The member's connection now; hold it while using it.
  std::shared_ptr<Connection> connection(size_t index) const;
  const std::string& endpoint(size_t index) const { return members_[index]->endpoint; }
  size_t current() const { return current_.load() % members_.size(); }
  void Report(std::string_view op, absl::StatusCode code, MonoTime start) const;

 private:
  // One member: waits for the connection, attaches the token, authenticates
  // again once if etcd rejects it, and reconnects once if a connection that
  // looked fine had died.
  absl::Status RunOn(Connection& connection, const Attempt& attempt, Duration dial);
  struct Member {
    explicit Member(std::string e) : endpoint(std::move(e)) {}
    const std::string endpoint;
    mutable std::mutex mu;
    std::shared_ptr<Connection> connection;  // guarded by mu
    MonoTime down_since{};                   // guarded by mu; zero: connected when last asked
  };
  // When every member's channel has failed: waits up to `wait` for any of
  // them to connect (polling all), and rebuilds those down for too long.
  void WaitForAnyMember(Duration wait);
  // Records whether member `index` is connected now; true when it has been
  // down for kRebuildAfter (then its down time starts again).
  bool NoteState(size_t index, bool connected);
  void Rebuild(size_t index);
  // Makes `to` current if `from` still is, and logs why.
  void SwitchEndpoint(size_t from, size_t to, const absl::Status& why);
  // The auth token ("" without auth), authenticating first when there is none.
  absl::StatusOr<std::string> Token(Connection& connection);
  // Forgets `token` if it is still the current one.
  void DropToken(const std::string& token);
  bool UsesAuth() const { return !options_.username.empty(); }

  const ClientOptions options_;
  const Dialer dial_;
  std::vector<std::unique_ptr<Member>> members_;  // the vector is constant after construction
  std::atomic<size_t> current_{0};                // index into connections_
  std::mutex auth_mu_;                            // held while authenticating
  std::string token_;                             // guarded by auth_mu_
};

// A deadline `timeout` from now, for grpc::ClientContext::set_deadline.
std::chrono::system_clock::time_point DeadlineAfter(Duration timeout);

}  // namespace registrar::etcd::internal

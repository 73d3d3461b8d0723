// Private to the etcd module: the Client of client.h over gRPC, with endpoint
// failover, auth tokens and per-call observation.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/grpcpp.h>

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

class GrpcClient final : public Client {
 public:
  GrpcClient(ClientOptions options, std::vector<std::unique_ptr<Connection>> connections);
  GrpcClient(const GrpcClient&) = delete;
  GrpcClient& operator=(const GrpcClient&) = delete;

  absl::StatusOr<RangeResult> Range(const std::string& key, const RangeOptions& options) override;
  absl::StatusOr<int64_t> Put(const std::string& key, const std::string& value,
                              int64_t lease) override;
  absl::StatusOr<DeleteResult> Delete(const std::string& key, bool prefix) override;
  absl::StatusOr<TxnResult> Txn(const std::vector<Compare>& compares,
                                const std::vector<Op>& success,
                                const std::vector<Op>& failure) override;
  absl::StatusOr<Lease> LeaseGrant(int64_t ttl_seconds) override;
  absl::Status LeaseRevoke(int64_t lease_id) override;
  absl::StatusOr<LeaseInfo> LeaseTimeToLive(int64_t lease_id) override;
  absl::StatusOr<std::unique_ptr<KeepAliveStream>> OpenKeepAlive(int64_t lease_id) override;
  absl::StatusOr<std::unique_ptr<WatchStream>> OpenWatch(const WatchOptions& options) override;
  std::string CurrentEndpoint() const override;

 private:
  using Attempt = std::function<absl::Status(Connection&)>;
  using Rpc = std::function<grpc::Status(grpc::ClientContext*)>;

  // Runs `attempt` on the current endpoint, then on each other one while the
  // answer is kUnavailable; the first endpoint that answers becomes current.
  // Reports the outcome to the observer.
  absl::Status WithFailover(CallName name, const Attempt& attempt);
  // One unary call on one endpoint: waits for the connection (dial_timeout),
  // attaches the token and re-authenticates once if etcd rejects it.
  absl::Status CallOn(Connection& connection, CallName name, absl::string_view subject,
                      const Rpc& rpc);
  // Makes `to` current if `from` still is, and logs why.
  void SwitchEndpoint(size_t from, size_t to, const absl::Status& why);
  // Waits up to dial_timeout for the channel to be connected; false if not.
  bool WaitForConnection(Connection& connection) const;
  // The auth token for `connection` ("" without auth), authenticating first
  // when there is none.
  absl::StatusOr<std::string> Token(Connection& connection);
  // Forgets `token` if it is still the current one.
  void DropToken(const std::string& token);
  bool UsesAuth() const { return !options_.username.empty(); }
  void Report(std::string_view op, absl::StatusCode code, MonoTime start) const;

  const ClientOptions options_;
  const std::vector<std::unique_ptr<Connection>> connections_;
  std::atomic<size_t> current_{0};  // index into connections_
  std::mutex auth_mu_;              // held while authenticating
  std::string token_;               // guarded by auth_mu_
};

}  // namespace registrar::etcd::internal

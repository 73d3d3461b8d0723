// Private to the etcd module: the Client of client.h over gRPC. Each
// operation builds its request and reads its response; everything between
// (member choice, failover, auth, observation) is Cluster::Run's.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "etcd/client.h"
#include "etcd/cluster.h"

namespace registrar::etcd::internal {

class GrpcClient final : public Client {
 public:
  GrpcClient(ClientOptions options, std::vector<std::string> endpoints, Cluster::Dialer dial);
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
  using Client::OpenKeepAlive;
  absl::StatusOr<std::unique_ptr<KeepAliveStream>> OpenKeepAlive(int64_t lease_id,
                                                                 Duration answer_within) override;
  absl::StatusOr<std::unique_ptr<WatchStream>> OpenWatch(const WatchOptions& options) override;
  std::string CurrentEndpoint() const override;

 private:
  // One unary RPC through Cluster::Run: `method` is the stub call, e.g.
  // [](Connection& c, auto* context, auto& request, auto* response) {
  //   return c.kv->Put(context, request, response); }.
  template <typename Request, typename Response, typename Method>
  absl::Status Unary(CallName name, Retry retry, absl::string_view subject, const Request& request,
                     Response* response, const Method& method);

  const std::shared_ptr<Cluster> cluster_;
};

}  // namespace registrar::etcd::internal

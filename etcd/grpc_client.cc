#include "etcd/grpc_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "etcd/convert.h"
#include "etcd/failover_streams.h"

namespace registrar::etcd::internal {

GrpcClient::GrpcClient(ClientOptions options, std::vector<std::string> endpoints,
                       Cluster::Dialer dial)
    : cluster_(
          std::make_shared<Cluster>(std::move(options), std::move(endpoints), std::move(dial))) {}

std::string GrpcClient::CurrentEndpoint() const { return cluster_->endpoint(cluster_->current()); }

template <typename Request, typename Response, typename Method>
absl::Status GrpcClient::Unary(CallName name, Retry retry, absl::string_view subject,
                               const Request& request, Response* response, const Method& method) {
  const bool uses_auth = !cluster_->options().username.empty();
  const Duration timeout = cluster_->options().request_timeout;
  return cluster_->Run(name, retry, [&](Connection& c, const std::string& token) {
    grpc::ClientContext context;
    context.set_deadline(DeadlineAfter(timeout));
    if (!token.empty()) context.AddMetadata("token", token);
    response->Clear();
    const grpc::Status status = method(c, &context, request, response);
    if (IsTokenRejected(status)) {
      // Cluster::Run authenticates again once; this is the answer if that
      // does not help, or when no credentials are configured.
      return absl::UnauthenticatedError(
          absl::StrCat(Describe(name.text, subject, c.endpoint), ": ", status.error_message(),
                       uses_auth ? "" : " (etcd requires a username and password)"));
    }
    return FromGrpc(status, name.text, subject, c.endpoint);
  });
}

absl::StatusOr<RangeResult> GrpcClient::Range(const std::string& key, const RangeOptions& options) {
  etcdserverpb::RangeRequest request;
  request.set_key(key);
  if (options.prefix) {
    request.set_range_end(PrefixEnd(key));
  } else if (!options.range_end.empty()) {
    request.set_range_end(options.range_end);
  }
  request.set_limit(options.limit);
  request.set_revision(options.revision);
  request.set_keys_only(options.keys_only);
  request.set_count_only(options.count_only);
  etcdserverpb::RangeResponse response;
  const CallName name{"range", "Range"};
  absl::Status status = Unary(name, Retry::kIdempotent, key, request, &response,
                              [](Connection& c, grpc::ClientContext* context, const auto& r,
                                 auto* out) { return c.kv->Range(context, r, out); });
  if (!status.ok()) return status;
  RangeResult result;
  result.revision = response.header().revision();
  result.more = response.more();
  result.count = response.count();
  result.kvs.reserve(response.kvs_size());
  for (const mvccpb::KeyValue& kv : response.kvs()) result.kvs.push_back(FromProto(kv));
  return result;
}

absl::StatusOr<int64_t> GrpcClient::Put(const std::string& key, const std::string& value,
                                        int64_t lease) {
  etcdserverpb::PutRequest request;
  request.set_key(key);
  request.set_value(value);
  request.set_lease(lease);
  etcdserverpb::PutResponse response;
  const CallName name{"put", "Put"};
  absl::Status status = Unary(name, Retry::kOnce, key, request, &response,
                              [](Connection& c, grpc::ClientContext* context, const auto& r,
                                 auto* out) { return c.kv->Put(context, r, out); });
  if (!status.ok()) return status;
  return response.header().revision();
}

absl::StatusOr<DeleteResult> GrpcClient::Delete(const std::string& key, bool prefix) {
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(key);
  if (prefix) request.set_range_end(PrefixEnd(key));
  etcdserverpb::DeleteRangeResponse response;
  const CallName name{"delete", "Delete"};
  absl::Status status = Unary(name, Retry::kOnce, key, request, &response,
                              [](Connection& c, grpc::ClientContext* context, const auto& r,
                                 auto* out) { return c.kv->DeleteRange(context, r, out); });
  if (!status.ok()) return status;
  return DeleteResult{.revision = response.header().revision(), .deleted = response.deleted()};
}

absl::StatusOr<TxnResult> GrpcClient::Txn(const std::vector<Compare>& compares,
                                          const std::vector<Op>& success,
                                          const std::vector<Op>& failure) {
  const CallName name{"txn", "Txn"};
  const std::string subject =
      absl::StrCat("(", compares.size(), " compares, ", success.size() + failure.size(), " ops)");
  if (success.size() + failure.size() > kMaxTxnOps || compares.size() > kMaxTxnOps) {
    cluster_->Report(name.metric, absl::StatusCode::kInvalidArgument, RealClock().Now());
    return absl::InvalidArgumentError(absl::StrCat(Describe(name.text, subject, ""), ": more than ",
                                                   kMaxTxnOps,
                                                   " operations; split the transaction"));
  }
  etcdserverpb::TxnRequest request;
  for (const Compare& compare : compares) *request.add_compare() = ToProto(compare);
  for (const Op& op : success) *request.add_success() = ToProto(op);
  for (const Op& op : failure) *request.add_failure() = ToProto(op);
  etcdserverpb::TxnResponse response;
  absl::Status status = Unary(name, Retry::kOnce, subject, request, &response,
                              [](Connection& c, grpc::ClientContext* context, const auto& r,
                                 auto* out) { return c.kv->Txn(context, r, out); });
  if (!status.ok()) return status;
  return TxnResult{.succeeded = response.succeeded(), .revision = response.header().revision()};
}

absl::StatusOr<Lease> GrpcClient::LeaseGrant(int64_t ttl_seconds) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl_seconds);
  etcdserverpb::LeaseGrantResponse response;
  const CallName name{"lease_grant", "LeaseGrant"};
  const std::string subject = absl::StrCat("ttl ", ttl_seconds, "s");
  absl::Status status = Unary(name, Retry::kOnce, subject, request, &response,
                              [](Connection& c, grpc::ClientContext* context, const auto& r,
                                 auto* out) { return c.lease->LeaseGrant(context, r, out); });
  if (!status.ok()) return status;
  if (!response.error().empty()) {
    return absl::UnavailableError(
        absl::StrCat(Describe(name.text, subject, CurrentEndpoint()), ": ", response.error()));
  }
  return Lease{.id = response.id(), .ttl_seconds = response.ttl()};
}

absl::Status GrpcClient::LeaseRevoke(int64_t lease_id) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(lease_id);
  etcdserverpb::LeaseRevokeResponse response;
  const CallName name{"lease_revoke", "LeaseRevoke"};
  return Unary(name, Retry::kIdempotent, absl::StrCat("lease ", lease_id), request, &response,
               [](Connection& c, grpc::ClientContext* context, const auto& r, auto* out) {
                 return c.lease->LeaseRevoke(context, r, out);
               });
}

absl::StatusOr<LeaseInfo> GrpcClient::LeaseTimeToLive(int64_t lease_id) {
  etcdserverpb::LeaseTimeToLiveRequest request;
  request.set_id(lease_id);
  etcdserverpb::LeaseTimeToLiveResponse response;
  const CallName name{"lease_ttl", "LeaseTimeToLive"};
  const std::string subject = absl::StrCat("lease ", lease_id);
  absl::Status status = Unary(name, Retry::kIdempotent, subject, request, &response,
                              [](Connection& c, grpc::ClientContext* context, const auto& r,
                                 auto* out) { return c.lease->LeaseTimeToLive(context, r, out); });
  if (!status.ok()) return status;
  if (response.ttl() < 0) {
    return absl::NotFoundError(absl::StrCat(Describe(name.text, subject, CurrentEndpoint()),
                                            ": lease not found (expired or revoked)"));
  }
  return LeaseInfo{.id = response.id(),
                   .ttl_seconds = response.ttl(),
                   .granted_ttl_seconds = response.grantedttl()};
}

absl::StatusOr<std::unique_ptr<KeepAliveStream>> GrpcClient::OpenKeepAlive(int64_t lease_id,
                                                                           Duration answer_within) {
  return OpenFailoverKeepAlive(cluster_, lease_id, answer_within);
}

absl::StatusOr<std::unique_ptr<WatchStream>> GrpcClient::OpenWatch(const WatchOptions& options) {
  return OpenFailoverWatch(cluster_, options);
}

}  // namespace registrar::etcd::internal

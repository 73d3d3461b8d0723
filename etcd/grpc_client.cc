#include "etcd/grpc_client.h"

#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "etcd/convert.h"
#include "etcd/streams.h"
#include "spdlog/spdlog.h"

namespace registrar::etcd::internal {
namespace {

constexpr size_t kMaxTxnOps = 128;  // etcd's default --max-txn-ops

std::chrono::system_clock::time_point DeadlineAfter(Duration timeout) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(timeout);
}

}  // namespace

Connection::Connection(std::string endpoint_in, std::shared_ptr<grpc::Channel> channel_in)
    : endpoint(std::move(endpoint_in)),
      channel(std::move(channel_in)),
      kv(etcdserverpb::KV::NewStub(channel)),
      lease(etcdserverpb::Lease::NewStub(channel)),
      watch(etcdserverpb::Watch::NewStub(channel)),
      auth(etcdserverpb::Auth::NewStub(channel)) {}

GrpcClient::GrpcClient(ClientOptions options, std::vector<std::unique_ptr<Connection>> connections)
    : options_(std::move(options)), connections_(std::move(connections)) {}

std::string GrpcClient::CurrentEndpoint() const {
  return connections_[current_.load() % connections_.size()]->endpoint;
}

void GrpcClient::Report(std::string_view op, absl::StatusCode code, MonoTime start) const {
  if (options_.observer == nullptr) return;
  options_.observer->OnRequest(op, code, RealClock().Now() - start);
}

absl::Status GrpcClient::WithFailover(CallName name, const Attempt& attempt) {
  const MonoTime start = RealClock().Now();
  const size_t first = current_.load();
  std::vector<std::string> failures;
  absl::Status status;
  for (size_t i = 0; i < connections_.size(); ++i) {
    const size_t index = (first + i) % connections_.size();
    status = attempt(*connections_[index]);
    if (status.code() == absl::StatusCode::kDeadlineExceeded) {
      // A hung member (stopped process, dropped packets): this call's time is
      // used up, but the next one should try another endpoint.
      SwitchEndpoint(first, (index + 1) % connections_.size(), status);
      break;
    }
    if (status.code() != absl::StatusCode::kUnavailable) {
      SwitchEndpoint(first, index,
                     failures.empty() ? status : absl::UnavailableError(failures.back()));
      break;
    }
    failures.push_back(std::string(status.message()));
  }
  Report(name.metric, status.code(), start);
  if (status.code() == absl::StatusCode::kUnavailable && failures.size() > 1) {
    return absl::UnavailableError(absl::StrJoin(failures, "; "));
  }
  return status;
}

void GrpcClient::SwitchEndpoint(size_t from, size_t to, const absl::Status& why) {
  if (from == to) return;
  size_t expected = from;
  if (current_.compare_exchange_strong(expected, to)) {
    spdlog::warn("etcd: now using endpoint {} instead of {} ({})", connections_[to]->endpoint,
                 connections_[from]->endpoint, std::string(why.message()));
  }
}

bool GrpcClient::WaitForConnection(Connection& connection) const {
  const auto deadline = DeadlineAfter(options_.dial_timeout);
  grpc_connectivity_state state = connection.channel->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY && state != GRPC_CHANNEL_SHUTDOWN) {
    if (!connection.channel->WaitForStateChange(state, deadline)) return false;
    state = connection.channel->GetState(/*try_to_connect=*/true);
  }
  return state == GRPC_CHANNEL_READY;
}

absl::StatusOr<std::string> GrpcClient::Token(Connection& connection) {
  if (!UsesAuth()) return std::string();
  std::lock_guard<std::mutex> lock(auth_mu_);
  if (!token_.empty()) return token_;
  etcdserverpb::AuthenticateRequest request;
  request.set_name(options_.username);
  request.set_password(options_.password);
  etcdserverpb::AuthenticateResponse response;
  grpc::ClientContext context;
  context.set_deadline(DeadlineAfter(options_.request_timeout));
  const MonoTime start = RealClock().Now();
  const grpc::Status status = connection.auth->Authenticate(&context, request, &response);
  const std::string subject = absl::StrCat("as ", options_.username);
  if (status.ok()) {
    Report("authenticate", absl::StatusCode::kOk, start);
    spdlog::info("etcd: authenticated as {} on {}", options_.username, connection.endpoint);
    token_ = response.token();
    return token_;
  }
  const std::string& message = status.error_message();
  if (absl::StrContains(message, "authentication is not enabled")) {
    Report("authenticate", absl::StatusCode::kOk, start);
    return std::string();  // etcd accepts requests without a token
  }
  if (absl::StrContains(message, "authentication failed")) {
    Report("authenticate", absl::StatusCode::kUnauthenticated, start);
    return absl::UnauthenticatedError(
        absl::StrCat(Describe("Authenticate", subject, connection.endpoint),
                     ": wrong user name or password (", message, ")"));
  }
  absl::Status error = FromGrpc(status, "Authenticate", subject, connection.endpoint);
  Report("authenticate", error.code(), start);
  return error;
}

void GrpcClient::DropToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(auth_mu_);
  if (token_ == token) token_.clear();
}

absl::Status GrpcClient::CallOn(Connection& connection, CallName name, absl::string_view subject,
                                const Rpc& rpc) {
  // Not connected in time: the call below still runs, and fails fast with
  // gRPC's reason (refused, TLS handshake, ...), which names the problem.
  bool was_connected = WaitForConnection(connection);
  bool renewed_token = false;
  bool reconnected = false;
  for (;;) {
    absl::StatusOr<std::string> token = Token(connection);
    if (!token.ok()) return token.status();
    grpc::ClientContext context;
    context.set_deadline(DeadlineAfter(options_.request_timeout));
    if (!token->empty()) context.AddMetadata("token", *token);
    const grpc::Status status = rpc(&context);
    if (!renewed_token && UsesAuth() && IsTokenRejected(status)) {
      renewed_token = true;
      DropToken(*token);
      continue;
    }
    // A connection that looked fine but had died under us (etcd restarted):
    // the request never reached etcd, so reconnect and send it once more.
    if (!reconnected && was_connected && status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      reconnected = true;
      was_connected = WaitForConnection(connection);
      continue;
    }
    if (IsTokenRejected(status)) {
      // Still rejected after a fresh token, or no credentials configured.
      return absl::UnauthenticatedError(absl::StrCat(
          Describe(name.text, subject, connection.endpoint), ": ", status.error_message(),
          UsesAuth() ? "" : " (etcd requires a username and password)"));
    }
    return FromGrpc(status, name.text, subject, connection.endpoint);
  }
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
  absl::Status status = WithFailover(name, [&](Connection& c) {
    return CallOn(c, name, key, [&](grpc::ClientContext* context) {
      response.Clear();
      return c.kv->Range(context, request, &response);
    });
  });
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
  absl::Status status = WithFailover(name, [&](Connection& c) {
    return CallOn(c, name, key, [&](grpc::ClientContext* context) {
      response.Clear();
      return c.kv->Put(context, request, &response);
    });
  });
  if (!status.ok()) return status;
  return response.header().revision();
}

absl::StatusOr<DeleteResult> GrpcClient::Delete(const std::string& key, bool prefix) {
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(key);
  if (prefix) request.set_range_end(PrefixEnd(key));
  etcdserverpb::DeleteRangeResponse response;
  const CallName name{"delete", "Delete"};
  absl::Status status = WithFailover(name, [&](Connection& c) {
    return CallOn(c, name, key, [&](grpc::ClientContext* context) {
      response.Clear();
      return c.kv->DeleteRange(context, request, &response);
    });
  });
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
    Report(name.metric, absl::StatusCode::kInvalidArgument, RealClock().Now());
    return absl::InvalidArgumentError(absl::StrCat(Describe(name.text, subject, ""), ": more than ",
                                                   kMaxTxnOps,
                                                   " operations; split the transaction"));
  }
  etcdserverpb::TxnRequest request;
  for (const Compare& compare : compares) *request.add_compare() = ToProto(compare);
  for (const Op& op : success) *request.add_success() = ToProto(op);
  for (const Op& op : failure) *request.add_failure() = ToProto(op);
  etcdserverpb::TxnResponse response;
  absl::Status status = WithFailover(name, [&](Connection& c) {
    return CallOn(c, name, subject, [&](grpc::ClientContext* context) {
      response.Clear();
      return c.kv->Txn(context, request, &response);
    });
  });
  if (!status.ok()) return status;
  return TxnResult{.succeeded = response.succeeded(), .revision = response.header().revision()};
}

absl::StatusOr<Lease> GrpcClient::LeaseGrant(int64_t ttl_seconds) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl_seconds);
  etcdserverpb::LeaseGrantResponse response;
  const CallName name{"lease_grant", "LeaseGrant"};
  const std::string subject = absl::StrCat("ttl ", ttl_seconds, "s");
  absl::Status status = WithFailover(name, [&](Connection& c) {
    return CallOn(c, name, subject, [&](grpc::ClientContext* context) {
      response.Clear();
      return c.lease->LeaseGrant(context, request, &response);
    });
  });
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
  return WithFailover(name, [&](Connection& c) {
    return CallOn(c, name, absl::StrCat("lease ", lease_id), [&](grpc::ClientContext* context) {
      response.Clear();
      return c.lease->LeaseRevoke(context, request, &response);
    });
  });
}

absl::StatusOr<LeaseInfo> GrpcClient::LeaseTimeToLive(int64_t lease_id) {
  etcdserverpb::LeaseTimeToLiveRequest request;
  request.set_id(lease_id);
  etcdserverpb::LeaseTimeToLiveResponse response;
  const CallName name{"lease_ttl", "LeaseTimeToLive"};
  const std::string subject = absl::StrCat("lease ", lease_id);
  absl::Status status = WithFailover(name, [&](Connection& c) {
    return CallOn(c, name, subject, [&](grpc::ClientContext* context) {
      response.Clear();
      return c.lease->LeaseTimeToLive(context, request, &response);
    });
  });
  if (!status.ok()) return status;
  if (response.ttl() < 0) {
    return absl::NotFoundError(absl::StrCat(Describe(name.text, subject, CurrentEndpoint()),
                                            ": lease not found (expired or revoked)"));
  }
  return LeaseInfo{.id = response.id(),
                   .ttl_seconds = response.ttl(),
                   .granted_ttl_seconds = response.grantedttl()};
}

absl::StatusOr<std::unique_ptr<KeepAliveStream>> GrpcClient::OpenKeepAlive(int64_t lease_id) {
  std::unique_ptr<KeepAliveStream> stream;
  const CallName name{"lease_keepalive", "KeepAlive"};
  absl::Status status = WithFailover(name, [&](Connection& c) {
    // The stream would only fail at its first keepalive: fail over now.
    if (!WaitForConnection(c)) {
      return absl::UnavailableError(
          absl::StrCat(Describe(name.text, absl::StrCat("lease ", lease_id), c.endpoint),
                       ": not connected within the dial timeout"));
    }
    absl::StatusOr<std::string> token = Token(c);
    if (!token.ok()) return token.status();
    absl::StatusOr<std::unique_ptr<KeepAliveStream>> opened = OpenKeepAliveStream(
        *c.lease, StreamTarget{c.channel, c.endpoint, *token, options_.request_timeout}, lease_id);
    if (!opened.ok()) return opened.status();
    stream = *std::move(opened);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return stream;
}

absl::StatusOr<std::unique_ptr<WatchStream>> GrpcClient::OpenWatch(const WatchOptions& options) {
  std::unique_ptr<WatchStream> stream;
  absl::Status status = WithFailover({"watch", "Watch"}, [&](Connection& c) {
    bool was_connected = WaitForConnection(c);
    bool renewed_token = false;
    bool reconnected = false;
    for (;;) {
      absl::StatusOr<std::string> token = Token(c);
      if (!token.ok()) return token.status();
      absl::StatusOr<std::unique_ptr<WatchStream>> opened = OpenWatchStream(
          *c.watch, StreamTarget{c.channel, c.endpoint, *token, options_.request_timeout}, options);
      // etcd refuses a watch with a stale token as "permission denied".
      if (!opened.ok() && !renewed_token && UsesAuth() && !token->empty() &&
          (opened.status().code() == absl::StatusCode::kPermissionDenied ||
           absl::StrContains(opened.status().message(), "invalid auth token"))) {
        renewed_token = true;
        DropToken(*token);
        continue;
      }
      if (!opened.ok() && !reconnected && was_connected &&
          opened.status().code() == absl::StatusCode::kUnavailable) {
        reconnected = true;  // as in CallOn: a dead connection, try a fresh one
        was_connected = WaitForConnection(c);
        continue;
      }
      if (!opened.ok()) return opened.status();
      stream = *std::move(opened);
      return absl::OkStatus();
    }
  });
  if (!status.ok()) return status;
  return stream;
}

}  // namespace registrar::etcd::internal

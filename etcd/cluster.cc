#include "etcd/cluster.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "etcd/convert.h"
#include "spdlog/spdlog.h"

namespace registrar::etcd::internal {

std::chrono::system_clock::time_point DeadlineAfter(Duration timeout) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(timeout);
}

Connection::Connection(std::string endpoint_in, std::shared_ptr<grpc::Channel> channel_in)
    : endpoint(std::move(endpoint_in)),
      channel(std::move(channel_in)),
      kv(etcdserverpb::KV::NewStub(channel)),
      lease(etcdserverpb::Lease::NewStub(channel)),
      watch(etcdserverpb::Watch::NewStub(channel)),
      auth(etcdserverpb::Auth::NewStub(channel)) {}

Cluster::Cluster(ClientOptions options, std::vector<std::unique_ptr<Connection>> connections)
    : options_(std::move(options)), connections_(std::move(connections)) {}

void Cluster::Report(std::string_view op, absl::StatusCode code, MonoTime start) const {
  if (options_.observer == nullptr) return;
  options_.observer->OnRequest(op, code, RealClock().Now() - start);
}

Duration Cluster::StreamTimeout() const {
  // With one member there is nowhere to move to: only the request deadline.
  if (connections_.size() < 2) return options_.request_timeout;
  return std::min(options_.request_timeout, options_.stream_timeout);
}

absl::Status Cluster::Run(CallName name, Retry retry, const Attempt& attempt, size_t* used,
                          Duration dial) {
  const MonoTime start = RealClock().Now();
  const size_t n = connections_.size();
  const size_t first = current();
  std::vector<std::string> failures;
  absl::Status status;
  for (size_t i = 0; i < n; ++i) {
    const size_t index = (first + i) % n;
    status = RunOn(*connections_[index], attempt, dial);
    if (used != nullptr) *used = index;
    if (status.code() == absl::StatusCode::kDeadlineExceeded) {
      // A hung member (stopped process, dropped packets): leave it.
      SwitchEndpoint(index, (index + 1) % n, status);
      if (retry == Retry::kIdempotent && i + 1 < n) {
        failures.push_back(std::string(status.message()));
        continue;
      }
      break;
    }
    if (status.code() != absl::StatusCode::kUnavailable) {
      if (!failures.empty()) SwitchEndpoint(first, index, absl::UnavailableError(failures.back()));
      break;
    }
    failures.push_back(std::string(status.message()));
  }
  Report(name.metric, status.code(), start);
  if (!status.ok() && failures.size() > 1) {
    return absl::Status(status.code(), absl::StrJoin(failures, "; "));
  }
  return status;
}

absl::Status Cluster::RunOn(Connection& connection, const Attempt& attempt, Duration dial) {
  // Not connected in time: the attempt still runs, and fails fast with gRPC's
  // reason (refused, TLS handshake, ...), which names the problem.
  bool was_connected = WaitForConnection(connection, dial);
  bool renewed_token = false;
  bool reconnected = false;
  for (;;) {
    absl::StatusOr<std::string> token = Token(connection);
    if (!token.ok()) return token.status();
    absl::Status status = attempt(connection, *token);
    if (!renewed_token && UsesAuth() &&
        (status.code() == absl::StatusCode::kUnauthenticated ||
         // etcd refuses a watch with a stale token as "permission denied" or
         // cancels it with the token error as its reason.
         (!token->empty() && (status.code() == absl::StatusCode::kPermissionDenied ||
                              absl::StrContains(status.message(), "invalid auth token"))))) {
      renewed_token = true;
      DropToken(*token);
      continue;
    }
    // A connection that looked fine but had died under us (etcd restarted):
    // the request never reached etcd, so reconnect and send it once more.
    if (!reconnected && was_connected && status.code() == absl::StatusCode::kUnavailable) {
      reconnected = true;
      was_connected = WaitForConnection(connection, dial);
      continue;
    }
    return status;
  }
}

void Cluster::StreamFailed(size_t index, const absl::Status& why) {
  SwitchEndpoint(index, (index + 1) % connections_.size(), why);
}

void Cluster::SwitchEndpoint(size_t from, size_t to, const absl::Status& why) {
  if (from == to) return;
  size_t expected = from;
  if (current_.compare_exchange_strong(expected, to)) {
    spdlog::warn("etcd: now using endpoint {} instead of {} ({})", connections_[to]->endpoint,
                 connections_[from]->endpoint, std::string(why.message()));
    if (options_.observer != nullptr) {
      options_.observer->OnEndpointChange(connections_[from]->endpoint, connections_[to]->endpoint);
    }
  }
}

bool Cluster::Connected(Connection& connection) const {
  return connection.channel->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_READY;
}

bool Cluster::WaitForConnection(Connection& connection, Duration wait) const {
  const auto deadline = DeadlineAfter(wait > Duration::zero() ? wait : options_.dial_timeout);
  // A member that refuses or fails the connection (killed, not started, TLS
  // refused) is not waited for while another can be asked: the call fails fast
  // with gRPC's reason and moves on. A killed leader would otherwise cost every
  // call a whole dial timeout before the next member is tried. With one member
  // there is nowhere to go: wait for it to come back (a restart).
  const bool skip_failed = connections_.size() > 1;
  grpc_connectivity_state state = connection.channel->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY && state != GRPC_CHANNEL_SHUTDOWN) {
    if (skip_failed && state == GRPC_CHANNEL_TRANSIENT_FAILURE) return false;
    if (!connection.channel->WaitForStateChange(state, deadline)) return false;
    state = connection.channel->GetState(/*try_to_connect=*/true);
  }
  return state == GRPC_CHANNEL_READY;
}

absl::StatusOr<std::string> Cluster::Token(Connection& connection) {
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

void Cluster::DropToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(auth_mu_);
  if (token_ == token) token_.clear();
}

}  // namespace registrar::etcd::internal

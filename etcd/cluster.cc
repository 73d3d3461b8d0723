#include "etcd/cluster.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "etcd/convert.h"
#include "etcd/errors.h"
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

Cluster::Cluster(ClientOptions options, std::vector<std::string> endpoints, Dialer dial)
    : options_(std::move(options)), dial_(std::move(dial)) {
  for (size_t i = 0; i < endpoints.size(); ++i) {
    members_.push_back(std::make_unique<Member>(endpoints[i]));
    members_.back()->connection = std::make_shared<Connection>(endpoints[i], dial_(i));
  }
}

std::shared_ptr<Connection> Cluster::connection(size_t index) const {
  std::lock_guard<std::mutex> lock(members_[index]->mu);
  return members_[index]->connection;
}

bool Cluster::NoteState(size_t index, bool connected) {
  Member& m = *members_[index];
  const MonoTime now = RealClock().Now();
  std::lock_guard<std::mutex> lock(m.mu);
  if (connected) {
    m.down_since = MonoTime{};
    return false;
  }
  if (m.down_since == MonoTime{}) m.down_since = now;
  if (now - m.down_since < kRebuildAfter) return false;
  m.down_since = now;
  return true;
}

void Cluster::Rebuild(size_t index) {
  auto fresh = std::make_shared<Connection>(members_[index]->endpoint, dial_(index));
  spdlog::warn("etcd: {} not connected for {}s; dialling it on a new channel",
               members_[index]->endpoint,
               std::chrono::duration_cast<std::chrono::seconds>(kRebuildAfter).count());
  std::lock_guard<std::mutex> lock(members_[index]->mu);
  members_[index]->connection = std::move(fresh);
}

void Cluster::WaitForAnyMember(Duration wait) {
  if (members_.size() < 2) return;  // one member: RunOn waits for it
  std::vector<std::shared_ptr<Connection>> conns;
  for (size_t i = 0; i < members_.size(); ++i) {
    conns.push_back(connection(i));
    const grpc_connectivity_state state = conns.back()->channel->GetState(true);
    if (state != GRPC_CHANNEL_TRANSIENT_FAILURE) return;  // one may still connect: no wait
  }
  const MonoTime until =
      RealClock().Now() + (wait > Duration::zero() ? wait : options_.dial_timeout);
  bool connected = false;
  // Short rounds: a pending state notification cannot be cancelled, and the
  // queue must be drained before it goes, so no round outlasts 50 ms.
  while (!connected && RealClock().Now() < until) {
    grpc::CompletionQueue cq;
    const auto round =
        DeadlineAfter(std::min<Duration>(std::chrono::milliseconds(50), until - RealClock().Now()));
    for (size_t i = 0; i < conns.size(); ++i) {
      conns[i]->channel->NotifyOnStateChange(conns[i]->channel->GetState(true), round, &cq,
                                             reinterpret_cast<void*>(i));
    }
    void* tag = nullptr;
    bool ok = false;
    for (size_t pending = conns.size(); pending > 0 && cq.Next(&tag, &ok); --pending) {
    }
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    for (auto& c : conns) connected = connected || Connected(*c);
  }
  for (size_t i = 0; i < conns.size(); ++i) {
    if (NoteState(i, Connected(*conns[i]))) Rebuild(i);
  }
}

void Cluster::Report(std::string_view op, absl::StatusCode code, MonoTime start) const {
  if (options_.observer == nullptr) return;
  options_.observer->OnRequest(op, code, RealClock().Now() - start);
}

Duration Cluster::StreamTimeout() const {
  // With one member there is nowhere to move to: only the request deadline.
  if (members_.size() < 2) return options_.request_timeout;
  return std::min(options_.request_timeout, options_.stream_timeout);
}

absl::Status Cluster::Run(CallName name, Retry retry, const Attempt& attempt, size_t* used,
                          Duration dial) {
  const MonoTime start = RealClock().Now();
  const size_t n = members_.size();
  WaitForAnyMember(dial);
  const size_t first = current();
  std::vector<std::string> failures;
  absl::Status status;
  for (size_t i = 0; i < n; ++i) {
    const size_t index = (first + i) % n;
    status = RunOn(*connection(index), attempt, dial);
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
    const EtcdError error = ClassifyEtcdError(status);
    if (!renewed_token && UsesAuth() &&
        (error == EtcdError::kInvalidToken ||
         // etcd refuses a watch with a stale token as "permission denied".
         (!token->empty() && error == EtcdError::kPermissionDenied))) {
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
  SwitchEndpoint(index, (index + 1) % members_.size(), why);
}

void Cluster::SwitchEndpoint(size_t from, size_t to, const absl::Status& why) {
  if (from == to) return;
  size_t expected = from;
  if (current_.compare_exchange_strong(expected, to)) {
    spdlog::warn("etcd: now using endpoint {} instead of {} ({})", endpoint(to), endpoint(from),
                 std::string(why.message()));
    if (options_.observer != nullptr) {
      options_.observer->OnEndpointChange(endpoint(from), endpoint(to));
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
  const bool skip_failed = members_.size() > 1;
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
  absl::Status error = FromGrpc(status, "Authenticate", subject, connection.endpoint);
  const EtcdError kind = ClassifyEtcdError(error);
  if (kind == EtcdError::kAuthNotEnabled) {
    Report("authenticate", absl::StatusCode::kOk, start);
    return std::string();  // etcd accepts requests without a token
  }
  if (kind == EtcdError::kAuthFailed) {
    Report("authenticate", absl::StatusCode::kUnauthenticated, start);
    return absl::UnauthenticatedError(
        absl::StrCat(Describe("Authenticate", subject, connection.endpoint),
                     ": wrong user name or password (", status.error_message(), ")"));
  }
  Report("authenticate", error.code(), start);
  return error;
}

void Cluster::DropToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(auth_mu_);
  if (token_ == token) token_.clear();
}

}  // namespace registrar::etcd::internal

#include "probes/transports/grpc_probe.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/status/status.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "probes/transports/certificate.h"

namespace registrar::probes {

namespace health = grpc::health::v1;

struct GrpcCall {
  GrpcProbe* probe = nullptr;  // null once the probe let go (loop thread only)
  grpc::ClientContext context;
  health::HealthCheckRequest request;
  health::HealthCheckResponse response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<health::HealthCheckResponse>> reader;
};

struct GrpcDriver::Queue {
  grpc::CompletionQueue cq;
};

namespace {

// gRPC reports a connect that failed for lack of a local resource as
// UNAVAILABLE with the OS's message in the text ("…: Too many open files"):
// its errno, or 0 when the failure was the target's.
int LocalErrno(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return 0;
  for (int e : {EMFILE, ENFILE, ENOBUFS, EADDRNOTAVAIL, ENOMEM}) {
    if (status.error_message().find(std::strerror(e)) != std::string::npos) return e;
  }
  return 0;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

// ---- GrpcDriver ----

GrpcDriver::GrpcDriver(EventLoop& loop) : loop_(loop) {}

GrpcDriver::~GrpcDriver() { Stop(); }

void GrpcDriver::Stop() {
  if (!queue_ || !thread_.joinable()) return;
  // Probes detached (and cancelled) their calls before; the thread returns
  // once the queue has handed back every one of them.
  queue_->cq.Shutdown();
  thread_.join();
  for (GrpcCall* call : done_) delete call;
  done_.clear();
  loop_.Forget(event_fd_);
  close(event_fd_);
  event_fd_ = -1;
}

bool GrpcDriver::Ensure() {
  if (queue_) return thread_.joinable();
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) return false;
  queue_ = std::make_unique<Queue>();
  loop_.Watch(event_fd_, EPOLLIN, this);
  thread_ = std::thread([this] { Drain(); });
  return true;
}

void* GrpcDriver::queue() { return &queue_->cq; }

void GrpcDriver::Drain() {
  void* tag = nullptr;
  bool ok = false;
  while (queue_->cq.Next(&tag, &ok)) {
    {
      std::lock_guard lock(mu_);
      done_.push_back(static_cast<GrpcCall*>(tag));
    }
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(event_fd_, &one, sizeof(one));
  }
}

void GrpcDriver::OnFdEvents(uint32_t) {
  uint64_t count = 0;
  [[maybe_unused]] ssize_t n = read(event_fd_, &count, sizeof(count));
  std::vector<GrpcCall*> done;
  {
    std::lock_guard lock(mu_);
    done.swap(done_);
  }
  for (GrpcCall* call : done) Deliver(call);
}

void GrpcDriver::Deliver(GrpcCall* call) {
  std::unique_ptr<GrpcCall> owned(call);
  if (call->probe != nullptr) call->probe->OnFinished(*call);
}

// ---- GrpcProbe ----

struct GrpcProbe::Channel {
  std::string error;  // non-empty: the channel could not be built (probe reason)
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<health::Health::Stub> stub;
};

namespace {

std::unique_ptr<GrpcProbe::Channel> BuildChannel(const Target& target);

}  // namespace

bool GrpcProbe::Supports(const Target& target, const TransportEnv& env) {
  return target.probe.kind == ProbeKind::kGrpc && env.grpc != nullptr;
}

std::unique_ptr<Transport> GrpcProbe::Make(const Target& target, TransportEnv& env, Done done) {
  return std::make_unique<GrpcProbe>(target, env, std::move(done));
}

GrpcProbe::GrpcProbe(const Target& target, TransportEnv& env, Done done)
    : target_(target), env_(env), driver_(*env.grpc), on_done_(std::move(done)) {}

GrpcProbe::~GrpcProbe() {
  Detach();
  env_.keep_alive.Release(this);
}

void GrpcProbe::Start() {
  verdict_ = Verdict{};
  if (!driver_.Ensure()) {
    Finish(LocalFailure("cannot start gRPC probes: no eventfd", errno));
    return;
  }
  if (channel_) {
    env_.keep_alive.Use(this);
  } else {
    channel_ = BuildChannel(target_);
  }
  if (!channel_->error.empty()) {
    Finish(FailedVerdict(FailureClass::kTls, channel_->error));
    return;
  }
  auto* call = new GrpcCall;
  call->probe = this;
  // The prober times the probe out itself; the deadline only frees the call.
  call->context.set_deadline(std::chrono::system_clock::now() + target_.probe.timeout +
                             std::chrono::milliseconds(100));
  call->request.set_service(target_.probe.grpc.service);
  auto* cq = static_cast<grpc::CompletionQueue*>(driver_.queue());
  call->reader = channel_->stub->PrepareAsyncCheck(&call->context, call->request, cq);
  call->reader->StartCall();
  call->reader->Finish(&call->response, &call->status, call);
  call_ = call;
}

void GrpcProbe::OnFinished(GrpcCall& call) {
  call_ = nullptr;
  if (int e = LocalErrno(call.status)) {
    // Not the target's failure. The channel would wait out its reconnect
    // backoff; the retry gets a fresh one.
    env_.keep_alive.Release(this);
    channel_.reset();
    Finish(LocalFailure("cannot connect", e));
    return;
  }
  Verdict v;
  if (call.status.ok()) {
    auto serving = call.response.status();
    v.ok = serving == health::HealthCheckResponse::SERVING;
    if (!v.ok) v.failure = FailureClass::kGrpcStatus;
    v.reason = health::HealthCheckResponse::ServingStatus_Name(serving);
    if (v.reason.empty()) v.reason = "serving status " + std::to_string(serving);
  } else if (call.status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    v.reason = TimeoutReason(target_.probe);
    v.failure = FailureClass::kTimeout;
  } else {
    // gRPC reports a refused, unreachable or unresolvable server alike as
    // UNAVAILABLE, with only text to tell them apart: the class is the call's
    // status, not a guess from that text.
    v.failure = FailureClass::kGrpcStatus;
    // gRPC's canonical code names ("UNAVAILABLE", "NOT_FOUND"): absl's are the same codes.
    v.reason = "rpc error: " +
               absl::StatusCodeToString(static_cast<absl::StatusCode>(call.status.error_code())) +
               ": " + call.status.error_message();
  }
  if (target_.probe.grpc.tls) {
    std::optional<WallTime> not_after;
    if (auto auth = call.context.auth_context()) {
      auto pem = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
      if (!pem.empty()) not_after = NotAfterOfPem(std::string_view(pem[0].data(), pem[0].size()));
    }
    v.cert_not_after = not_after;
  }
  KeepOrDrop();
  Finish(std::move(v));
}

void GrpcProbe::TimeOut() {
  if (call_ == nullptr) return;
  Detach();
  KeepOrDrop();
  Finish(FailedVerdict(FailureClass::kTimeout, TimeoutReason(target_.probe)));
}

void GrpcProbe::Abort() { Detach(); }

void GrpcProbe::Detach() {
  if (call_ == nullptr) return;
  call_->probe = nullptr;
  call_->context.TryCancel();
  call_ = nullptr;
}

void GrpcProbe::KeepOrDrop() {
  if (!env_.keep_alive.Keep(this, env_.clock.Now(), target_.probe.period)) channel_.reset();
}

// Idle (no call in flight): dropping the channel closes its connection; a
// cancelled call still queued holds its own reference.
void GrpcProbe::Retire() { channel_.reset(); }

void GrpcProbe::Finish(Verdict verdict) {
  verdict_ = std::move(verdict);
  on_done_();
}

namespace {

std::unique_ptr<GrpcProbe::Channel> BuildChannel(const Target& target) {
  auto out = std::make_unique<GrpcProbe::Channel>();
  const GrpcAction& g = target.probe.grpc;
  grpc::ChannelArguments args;
  // Each target its own connection: probes of one target never ride on
  // another's (and a removed target's connection goes with it).
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);  // a probe reports what happened, once
  // A server that comes back is reconnected to within about a period.
  auto period_ms = std::chrono::duration_cast<std::chrono::milliseconds>(target.probe.period);
  int backoff_ms = static_cast<int>(std::clamp<int64_t>(period_ms.count(), 100, 60'000));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::min(backoff_ms, 1000));
  // gRPC's name for the connect timeout: longer than the probe, so a server
  // that accepts and stays silent is a probe timeout, as for every kind.
  auto timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(target.probe.timeout);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS,
              static_cast<int>(std::min<int64_t>(timeout_ms.count() + 1000, 120'000)));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, backoff_ms);
  if (!g.authority.empty()) args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, g.authority);

  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!g.tls) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    const TlsOptions& tls = g.tls_options;
    std::string key, chain;
    if (!tls.cert_file.empty()) {
      auto k = ReadFile(tls.key_file);
      auto c = ReadFile(tls.cert_file);
      if (!k || !c) {
        out->error = "TLS: client certificate problem";
        return out;
      }
      key = std::move(*k);
      chain = std::move(*c);
    }
    if (!tls.server_name.empty()) args.SetSslTargetNameOverride(tls.server_name);
    if (tls.insecure_skip_verify) {
      grpc::experimental::TlsChannelCredentialsOptions options;
      options.set_verify_server_certs(false);
      options.set_check_call_host(false);
      options.set_certificate_verifier(
          std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
      if (!chain.empty()) {
        options.set_certificate_provider(
            std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
                std::vector<grpc::experimental::IdentityKeyCertPair>{{key, chain}}));
        options.watch_identity_key_cert_pairs();
      }
      creds = grpc::experimental::TlsCredentials(options);
    } else {
      grpc::SslCredentialsOptions options;
      if (!tls.ca_file.empty()) {
        auto roots = ReadFile(tls.ca_file);
        if (!roots) {
          out->error = "TLS: bad CA file";
          return out;
        }
        options.pem_root_certs = std::move(*roots);
      }
      options.pem_private_key = std::move(key);
      options.pem_cert_chain = std::move(chain);
      creds = grpc::SslCredentials(options);
    }
  }
  std::string address =
      "dns:///" + UrlHost(ProbeHost(target)) + ":" + std::to_string(ProbePort(target));
  out->channel = grpc::CreateCustomChannel(address, creds, args);
  out->stub = health::Health::NewStub(out->channel);
  return out;
}

}  // namespace

}  // namespace registrar::probes

#include "probes/transports/tls_socket_probe.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "probes/transports/socket_probe.h"

namespace registrar::probes {
namespace {

Verdict Failed(FailureClass failure, std::string reason,
               std::optional<WallTime> not_after = std::nullopt) {
  Verdict v = FailedVerdict(failure, std::move(reason));
  v.cert_not_after = not_after;
  return v;
}

}  // namespace

bool TlsSocketProbe::Supports(const Target& target, const TransportEnv& env) {
  sockaddr_storage address{};
  socklen_t len = 0;
  return env.direct_sockets && env.tls != nullptr && target.probe.kind == ProbeKind::kTlsSocket &&
         ParseSocketAddress(ProbeHost(target), ProbePort(target), &address, &len);
}

std::unique_ptr<Transport> TlsSocketProbe::Make(const Target& target, TransportEnv& env,
                                                Done done) {
  return std::make_unique<TlsSocketProbe>(target, env, std::move(done));
}

TlsSocketProbe::TlsSocketProbe(const Target& target, TransportEnv& env, Done done)
    : target_(target), env_(env), done_(std::move(done)) {
  ParseSocketAddress(ProbeHost(target), ProbePort(target), &address_, &address_len_);
  const TlsOptions& tls = target.probe.tls_socket.tls;
  verify_host_ = tls.server_name.empty() ? ProbeHost(target) : tls.server_name;
}

TlsSocketProbe::~TlsSocketProbe() { Close(); }

void TlsSocketProbe::Start() {
  verdict_ = Verdict{};
  fd_ = socket(address_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    int err = errno;
    Finish(IsLocalError(err) ? LocalFailure("cannot open socket", err)
                             : Failed(FailureClass::kOther,
                                      std::string("cannot open socket: ") + std::strerror(err)));
    return;
  }
  linger lg{1, 0};  // close with RST: no TIME_WAIT per probe
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&address_), address_len_) != 0 &&
      errno != EINPROGRESS) {
    int err = errno;
    Finish(IsLocalError(err) ? LocalFailure("cannot connect", err)
                             : Failed(FailureClassOfErrno(err), ConnectFailure(err)));
    return;
  }
  phase_ = Phase::kConnecting;
  env_.loop.Watch(fd_, EPOLLOUT, this);
}

void TlsSocketProbe::OnFdEvents(uint32_t events) {
  if (phase_ == Phase::kConnecting) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == 0 && (events & EPOLLERR) != 0) err = ECONNREFUSED;
    if (err != 0) {
      Finish(Failed(FailureClassOfErrno(err), ConnectFailure(err)));
      return;
    }
    const TlsOptions& tls = target_.probe.tls_socket.tls;
    auto ctx = env_.tls->Get(tls);
    if (!ctx.ok()) {
      Finish(Failed(FailureClass::kTls, std::string(ctx.status().message())));
      return;
    }
    tls_.Begin(*ctx, fd_, verify_host_, !tls.insecure_skip_verify, /*resume=*/false);
    phase_ = Phase::kHandshake;
  }
  if (phase_ == Phase::kHandshake) Handshake();
}

void TlsSocketProbe::Handshake() {
  switch (tls_.Handshake()) {
    case TlsConnection::Io::kWantRead:
      env_.loop.Watch(fd_, EPOLLIN, this);
      return;
    case TlsConnection::Io::kWantWrite:
      env_.loop.Watch(fd_, EPOLLOUT, this);
      return;
    case TlsConnection::Io::kClosed:
      Finish(Failed(FailureClass::kTls, "TLS: handshake failed: connection closed",
                    tls_.leaf_not_after()));
      return;
    case TlsConnection::Io::kError:
      Finish(Failed(tls_.error_class(), tls_.error(), tls_.leaf_not_after()));
      return;
    case TlsConnection::Io::kDone:
      break;
  }
  Finish(Verdict{true, "TLS handshake ok", 0, {}, tls_.leaf_not_after()});
}

void TlsSocketProbe::TimeOut() {
  if (phase_ == Phase::kIdle) return;
  Finish(Failed(FailureClass::kTimeout, TimeoutReason(target_.probe), tls_.leaf_not_after()));
}

void TlsSocketProbe::Abort() {
  if (phase_ == Phase::kIdle) return;
  Close();
  phase_ = Phase::kIdle;
}

void TlsSocketProbe::Finish(Verdict verdict) {
  Close();
  phase_ = Phase::kIdle;
  verdict_ = std::move(verdict);
  done_();
}

void TlsSocketProbe::Close() {
  tls_.End();
  if (fd_ < 0) return;
  env_.loop.Forget(fd_);
  close(fd_);
  fd_ = -1;
}

}  // namespace registrar::probes

#include "probes/tls_socket_probe.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "probes/socket_probe.h"

namespace registrar::probes {

bool TlsSocketProbe::Supports(const Target& target) {
  sockaddr_storage address{};
  socklen_t len = 0;
  return target.probe.kind == ProbeKind::kTlsSocket &&
         ParseSocketAddress(ProbeHost(target), ProbePort(target), &address, &len);
}

TlsSocketProbe::TlsSocketProbe(const Target& target, const Check& check, TlsContexts& contexts,
                               EventLoop& loop, std::function<void()> on_done)
    : target_(target),
      check_(check),
      contexts_(contexts),
      loop_(loop),
      on_done_(std::move(on_done)) {
  ParseSocketAddress(ProbeHost(target), ProbePort(target), &address_, &address_len_);
  const TlsOptions& tls = target.probe.tls_socket.tls;
  verify_host_ = tls.server_name.empty() ? ProbeHost(target) : tls.server_name;
}

TlsSocketProbe::~TlsSocketProbe() { Close(); }

void TlsSocketProbe::Start() {
  verdict_ = Verdict{};
  fd_ = socket(address_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    Finish({false, std::string("cannot open socket: ") + std::strerror(errno), 0, {}});
    return;
  }
  linger lg{1, 0};  // close with RST: no TIME_WAIT per probe
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&address_), address_len_) != 0 &&
      errno != EINPROGRESS) {
    Finish({false, ConnectFailure(errno), 0, {}});
    return;
  }
  phase_ = Phase::kConnecting;
  loop_.Watch(fd_, EPOLLOUT, this);
}

void TlsSocketProbe::OnFdEvents(uint32_t events) {
  if (phase_ == Phase::kConnecting) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == 0 && (events & EPOLLERR) != 0) err = ECONNREFUSED;
    if (err != 0) {
      Finish({false, ConnectFailure(err), 0, {}});
      return;
    }
    const TlsOptions& tls = target_.probe.tls_socket.tls;
    auto ctx = contexts_.Get(tls);
    if (!ctx.ok()) {
      Finish({false, std::string(ctx.status().message()), 0, {}});
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
      loop_.Watch(fd_, EPOLLIN, this);
      return;
    case TlsConnection::Io::kWantWrite:
      loop_.Watch(fd_, EPOLLOUT, this);
      return;
    case TlsConnection::Io::kClosed:
      Finish({false, "TLS: handshake failed: connection closed", 0, tls_.leaf_not_after()});
      return;
    case TlsConnection::Io::kError:
      Finish({false, tls_.error(), 0, tls_.leaf_not_after()});
      return;
    case TlsConnection::Io::kDone:
      break;
  }
  Finish({true, "TLS handshake ok", 0, tls_.leaf_not_after()});
}

void TlsSocketProbe::TimeOut() {
  if (phase_ == Phase::kIdle) return;
  Finish({false, check_.TimeoutReason(), 0, tls_.leaf_not_after()});
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
  on_done_();
}

void TlsSocketProbe::Close() {
  tls_.End();
  if (fd_ < 0) return;
  loop_.Forget(fd_);
  close(fd_);
  fd_ = -1;
}

}  // namespace registrar::probes

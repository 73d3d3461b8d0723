#include "probes/transports/socket_probe.h"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace registrar::probes {
namespace {

// The request libcurl would send for this spec: request line, Host (without
// the default port; for https, tls.server_name when set, as in libcurl's
// URL), User-Agent, Accept, then the configured headers, which replace ours of
// the same name (an empty value drops the header).
std::string BuildRequest(const Target& t, bool https) {
  const auto& http = t.probe.http_get;
  std::string method = http.method.empty() ? "GET" : http.method;
  const std::string& name =
      https && !http.tls.server_name.empty() ? http.tls.server_name : ProbeHost(t);
  std::string host = UrlHost(name);
  int port = ProbePort(t);
  if (port != (https ? 443 : 80)) host += ":" + std::to_string(port);
  std::string r = method + " " + ProbePath(http) + " HTTP/1.1\r\n";
  if (!HasHeader(http, "Host")) r += "Host: " + host + "\r\n";
  if (!HasHeader(http, "User-Agent")) r += std::string("User-Agent: ") + kUserAgent + "\r\n";
  if (!HasHeader(http, "Accept")) r += "Accept: */*\r\n";
  for (const auto& h : http.http_headers) {
    if (!h.value.empty()) r += h.name + ": " + h.value + "\r\n";
  }
  if (SendsZeroLength(http)) r += "Content-Length: 0\r\n";
  return r + "\r\n";
}

}  // namespace

bool ParseSocketAddress(const std::string& host, int port, sockaddr_storage* out, socklen_t* len) {
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

// A name the resolver may look up (not an address literal, nor an IPv6 one
// with a zone, which stays on libcurl).
bool IsName(const std::string& host) {
  return !host.empty() && host.find(':') == std::string::npos &&
         host.find('%') == std::string::npos;
}

bool SocketProbe::Supports(const Target& target, bool names, bool tls) {
  sockaddr_storage address{};
  socklen_t len = 0;
  const std::string& host = ProbeHost(target);
  if (!ParseSocketAddress(host, ProbePort(target), &address, &len) && !(names && IsName(host))) {
    return false;
  }
  if (target.probe.kind == ProbeKind::kTcpSocket) return true;
  if (target.probe.kind != ProbeKind::kHttpGet) return false;
  const auto& http = target.probe.http_get;
  return (EqualsIgnoringCase(http.scheme, "http") ||
          (tls && EqualsIgnoringCase(http.scheme, "https"))) &&
         !http.follow_redirects;
}

SocketProbe::SocketProbe(const Target& target, TransportEnv& env, Done on_done)
    : judge_(target.probe),
      spec_(target.probe),
      env_(env),
      loop_(env.loop),
      on_done_(std::move(on_done)) {
  port_ = ProbePort(target);
  sockaddr_storage address{};
  if (ParseSocketAddress(ProbeHost(target), port_, &address, &address_len_)) {
    std::memcpy(&address_, &address, std::min<size_t>(address_len_, sizeof(address_)));
  } else {
    if (!ProbeHost(target).empty()) name_ = &ProbeHost(target);
  }
  tcp_only_ = target.probe.kind == ProbeKind::kTcpSocket;
  reuse_ = !tcp_only_ && target.probe.reuse_connections;
  if (!tcp_only_) {
    const auto& http = target.probe.http_get;
    head_request_ = http.method == "HEAD";
    max_body_bytes_ = http.max_body_bytes;
    https_ = EqualsIgnoringCase(http.scheme, "https");
    request_ = BuildRequest(target, https_);
    request_.shrink_to_fit();  // built by appending: up to twice its size, once per target
    verify_host_ = http.tls.server_name.empty() ? &ProbeHost(target) : &http.tls.server_name;
  }
}

SocketProbe::~SocketProbe() {
  if (dns_ticket_ != 0) env_.resolver->Cancel(dns_ticket_);
  CloseConnection();
}

void SocketProbe::Start() {
  verdict_ = Verdict{};
  sent_ = 0;
  if (!tcp_only_) {
    if (reader_ == nullptr) {
      reader_ = env_.readers != nullptr ? env_.readers->Take() : std::make_unique<ResponseReader>();
    }
    reader_->Reset(head_request_, max_body_bytes_, judge_.KeepsBody());
  }
  if (name_ != nullptr) {
    Resolve();
    return;
  }
  Proceed();
}

void SocketProbe::Resolve() {
  Resolver& resolver = *env_.resolver;
  if (const Resolution* r = resolver.Cached(*name_)) {
    OnResolved(*r);
    return;
  }
  phase_ = Phase::kResolving;
  uint64_t ticket = resolver.Resolve(*name_, [this](const Resolution& r) {
    dns_ticket_ = 0;
    OnResolved(r);
  });
  if (ticket != 0) {
    dns_ticket_ = ticket;
    return;
  }
  const Resolution* r = resolver.Cached(*name_);
  OnResolved(r != nullptr ? *r : Resolution{{}, "dns: no answer (" + *name_ + ")", {}});
}

void SocketProbe::OnResolved(const Resolution& r) {
  if (!r.error.empty() || r.addresses.empty()) {
    CloseConnection();
    Finish(FailedVerdict(FailureClass::kDns,
                         r.error.empty() ? "dns: no address (" + *name_ + ")" : r.error),
           false);
    return;
  }
  const ResolvedAddress& a = r.addresses.front();
  sockaddr_storage next = a.address;
  if (next.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&next)->sin_port = htons(static_cast<uint16_t>(port_));
  } else {
    reinterpret_cast<sockaddr_in6*>(&next)->sin6_port = htons(static_cast<uint16_t>(port_));
  }
  if (a.length != address_len_ || std::memcmp(&next, &address_, a.length) != 0) {
    CloseConnection();  // the name moved: the kept connection goes to the old address
    address_len_ = std::min<socklen_t>(a.length, sizeof(address_));
    std::memcpy(&address_, &next, address_len_);
  }
  Proceed();
}

void SocketProbe::Proceed() {
  fd_reused_ = fd_ >= 0;
  if (fd_reused_) {
    env_.keep_alive.Use(this);
    Send();
  } else {
    Connect();
  }
}

void SocketProbe::Connect() {
  fd_ = socket(address_.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    int err = errno;
    Finish(IsLocalError(err)
               ? LocalFailure("cannot open socket", err)
               : FailedVerdict(FailureClass::kOther,
                               std::string("cannot open socket: ") + std::strerror(err)),
           false);
    return;
  }
  // Whenever it is closed (after a fresh probe, or a kept-alive connection
  // retired), it closes with RST: no TIME_WAIT on our side.
  linger lg{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  if (connect(fd_, &address_.sa, address_len_) != 0 && errno != EINPROGRESS) {
    int err = errno;
    Finish(IsLocalError(err) ? LocalFailure("cannot connect", err)
                             : FailedVerdict(FailureClassOfErrno(err), ConnectFailure(err)),
           false);
    return;
  }
  phase_ = Phase::kConnecting;
  if (tcp_only_) {
    loop_.Watch(fd_, EPOLLOUT, this);
    return;
  }
  // On loopback the handshake has usually completed inside connect(): start
  // talking at once and skip a wait for writability (a connect still in
  // progress just asks for it).
  Talk();
}

void SocketProbe::Talk() {
  if (!https_) {
    stream_.Attach(fd_);
    Send();
    return;
  }
  auto ctx = env_.tls->Get(spec_.http_get.tls);
  if (!ctx.ok()) {
    Finish(FailedVerdict(FailureClass::kTls, std::string(ctx.status().message())), false);
    return;
  }
  stream_.AttachTls(fd_, *ctx, *verify_host_, !spec_.http_get.tls.insecure_skip_verify);
  Handshake();
}

void SocketProbe::Handshake() {
  Phase was = phase_;
  phase_ = Phase::kHandshake;
  switch (stream_.Handshake()) {
    case ByteStream::Io::kWantRead:
      loop_.Watch(fd_, EPOLLIN, this);
      return;
    case ByteStream::Io::kWantWrite:
      // Not even the ClientHello went out: still connecting.
      if (was == Phase::kConnecting) phase_ = Phase::kConnecting;
      loop_.Watch(fd_, EPOLLOUT, this);
      return;
    case ByteStream::Io::kClosed:
      Finish(FailedVerdict(FailureClass::kTls, "TLS: handshake failed: connection closed"), false);
      return;
    case ByteStream::Io::kError:
      Finish(FailureOf(was == Phase::kConnecting), false);
      return;
    case ByteStream::Io::kDone:
      Send();
      return;
  }
}

Verdict SocketProbe::FailureOf(bool connecting) const {
  int err = stream_.sys_errno();
  if (connecting && err != 0) return FailedVerdict(FailureClassOfErrno(err), ConnectFailure(err));
  return FailedVerdict(stream_.error_class(), stream_.error());
}

void SocketProbe::Send() {
  while (sent_ < request_.size()) {
    size_t n = 0;
    switch (stream_.Write(request_.data() + sent_, request_.size() - sent_, &n)) {
      case ByteStream::Io::kDone:
        sent_ += n;
        phase_ = Phase::kSending;
        continue;
      case ByteStream::Io::kWantWrite:
        if (phase_ != Phase::kConnecting) phase_ = Phase::kSending;
        loop_.Watch(fd_, EPOLLOUT, this);
        return;
      case ByteStream::Io::kWantRead:  // TLS: a record to read first
        phase_ = Phase::kSending;
        loop_.Watch(fd_, EPOLLIN, this);
        return;
      case ByteStream::Io::kClosed:
      case ByteStream::Io::kError: {
        bool connecting = phase_ == Phase::kConnecting;
        if (RetryFresh()) return;
        Finish(FailureOf(connecting), false);
        return;
      }
    }
  }
  phase_ = Phase::kReading;
  loop_.Watch(fd_, EPOLLIN, this);  // no syscall when it already is (kept-alive)
}

void SocketProbe::Receive() {
  thread_local std::array<char, 16384> buffer;
  for (;;) {
    size_t n = 0;
    ByteStream::Io io = stream_.Read(buffer.data(), buffer.size(), &n);
    if (io == ByteStream::Io::kWantRead) return;
    if (io == ByteStream::Io::kWantWrite) {  // TLS: a record to write first
      loop_.Watch(fd_, EPOLLOUT, this);
      return;
    }
    if (io != ByteStream::Io::kDone && !reader_->started() && RetryFresh()) return;
    if (io == ByteStream::Io::kError) {
      Finish(FailedVerdict(stream_.error_class(), stream_.error(), reader_->status()), false);
      return;
    }
    ResponseReader::State state = io == ByteStream::Io::kDone
                                      ? reader_->Feed(std::string_view(buffer.data(), n))
                                      : reader_->Eof();
    if (state == ResponseReader::State::kError) {
      Finish(FailedVerdict(FailureClass::kProtocol, reader_->error(), reader_->status()), false);
      return;
    }
    if (state == ResponseReader::State::kDone) {
      Finish(judge_.Judge(reader_->status(), reader_->body()), reuse_ && reader_->reusable());
      return;
    }
    // Plain: read again only if the buffer filled up, else wait for the next
    // event. TLS reads a record at a time: read until it wants more bytes.
    if (!stream_.tls() && n < buffer.size()) return;
  }
}

bool SocketProbe::RetryFresh() {
  if (!fd_reused_) return false;
  CloseConnection();
  fd_reused_ = false;
  sent_ = 0;
  Connect();
  return true;
}

void SocketProbe::OnFdEvents(uint32_t events) {
  switch (phase_) {
    case Phase::kIdle:  // a kept-alive connection closed (or spoke) between probes
    case Phase::kResolving:
      CloseConnection();
      return;
    case Phase::kConnecting: {
      int err = 0;
      socklen_t len = sizeof(err);
      if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err == 0 && (events & EPOLLERR) != 0) err = ECONNREFUSED;
      if (err != 0) {
        Finish(FailedVerdict(FailureClassOfErrno(err), ConnectFailure(err)), false);
      } else if (tcp_only_) {
        Finish({true, "connected", 0, {}}, false);
      } else if (stream_.tls()) {
        phase_ = Phase::kHandshake;
        Handshake();
      } else {
        Talk();
      }
      return;
    }
    case Phase::kHandshake:
      Handshake();
      return;
    case Phase::kSending:
      Send();
      return;
    case Phase::kReading:
      Receive();
      return;
  }
}

void SocketProbe::TimeOut() {
  if (phase_ == Phase::kIdle) return;
  if (phase_ == Phase::kResolving) {
    env_.resolver->Cancel(dns_ticket_);
    dns_ticket_ = 0;
    Finish(
        FailedVerdict(FailureClass::kTimeout, TimeoutReason(spec_) + " (resolving " + *name_ + ")"),
        false);
    return;
  }
  Finish(FailedVerdict(FailureClass::kTimeout, TimeoutReason(spec_),
                       reader_ != nullptr ? reader_->status() : 0),
         false);
}

void SocketProbe::Abort() {
  if (phase_ == Phase::kIdle) return;
  if (dns_ticket_ != 0) env_.resolver->Cancel(dns_ticket_);
  dns_ticket_ = 0;
  CloseConnection();
  ReleaseReader();
  phase_ = Phase::kIdle;
}

void SocketProbe::Retire() {
  if (phase_ == Phase::kIdle || phase_ == Phase::kResolving) CloseConnection();
}

void SocketProbe::Finish(Verdict verdict, bool keep_connection) {
  // The leaf of the connection the probe ran on, also when it failed after
  // (or in) the handshake, as on the libcurl path.
  if (!verdict.cert_not_after) verdict.cert_not_after = stream_.leaf_not_after();
  if (keep_connection) {
    keep_connection = env_.keep_alive.Keep(this, env_.clock.Now(), spec_.period);
  }
  if (!keep_connection) CloseConnection();
  phase_ = Phase::kIdle;
  ReleaseReader();
  verdict_ = std::move(verdict);
  on_done_();
}

void SocketProbe::ReleaseReader() {
  if (reader_ != nullptr && env_.readers != nullptr) env_.readers->Give(std::move(reader_));
}

void SocketProbe::CloseConnection() {
  if (fd_ < 0) return;
  env_.keep_alive.Release(this);
  stream_.Detach();
  loop_.Forget(fd_);
  close(fd_);
  fd_ = -1;
}

}  // namespace registrar::probes

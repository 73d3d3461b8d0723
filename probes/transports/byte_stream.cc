#include "probes/transports/byte_stream.h"

#include <sys/socket.h>

#include <cerrno>

namespace registrar::probes {

void ByteStream::Attach(int fd) {
  if (tls_ != nullptr) tls_->End();
  fd_ = fd;
}

void ByteStream::AttachTls(int fd, SSL_CTX* ctx, const std::string& host, bool verify) {
  fd_ = fd;
  if (tls_ == nullptr) tls_ = std::make_unique<TlsConnection>();
  tls_->Begin(ctx, fd, host, verify, /*resume=*/true);
}

void ByteStream::Detach() {
  if (tls_ != nullptr) tls_->End();
  fd_ = -1;
}

ByteStream::Io ByteStream::Handshake() { return tls() ? FromTls(tls_->Handshake()) : Io::kDone; }

ByteStream::Io ByteStream::Write(const char* data, size_t n, size_t* done) {
  if (tls()) return FromTls(tls_->Write(data, n, done));
  *done = 0;
  for (;;) {
    ssize_t r = send(fd_, data, n, MSG_NOSIGNAL);
    if (r >= 0) {
      *done = static_cast<size_t>(r);
      return Io::kDone;
    }
    if (errno == EINTR) continue;
    // ENOTCONN: a connect still in progress (the request is tried at once).
    if (errno == EAGAIN || errno == ENOTCONN) return Io::kWantWrite;
    sys_errno_ = errno;
    error_ = errno == ECONNRESET || errno == EPIPE ? "connection reset" : "send failed";
    error_class_ = FailureClassOfErrno(errno);
    return Io::kError;
  }
}

ByteStream::Io ByteStream::Read(char* data, size_t n, size_t* done) {
  if (tls()) return FromTls(tls_->Read(data, n, done));
  *done = 0;
  for (;;) {
    ssize_t r = recv(fd_, data, n, 0);
    if (r > 0) {
      *done = static_cast<size_t>(r);
      return Io::kDone;
    }
    if (r == 0) return Io::kClosed;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return Io::kWantRead;
    sys_errno_ = errno;
    error_ = errno == ECONNRESET ? "connection reset" : "receive failed";
    error_class_ = FailureClassOfErrno(errno);
    return Io::kError;
  }
}

ByteStream::Io ByteStream::FromTls(Io io) {
  if (io == Io::kError) {
    error_ = tls_->error();
    sys_errno_ = tls_->sys_errno();
    error_class_ = tls_->error_class();
  }
  return io;
}

std::optional<WallTime> ByteStream::leaf_not_after() const {
  return tls() ? tls_->leaf_not_after() : std::nullopt;
}

}  // namespace registrar::probes

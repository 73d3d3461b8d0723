// The bytes a direct-path HTTP probe exchanges on its socket: plain, or TLS
// (TlsConnection) on the same socket. Module-private; loop thread only.
//
// SocketProbe speaks HTTP through this one interface whatever the scheme, so
// keep-alive, the retry of a stale kept connection and the response reader
// are the same code for http and https. Every call returns at once and says
// whether it needs the socket readable or writable to go on. A TLS stream
// keeps its session across connections: the next connection of the same
// target resumes it (an abbreviated handshake, no certificate chain to
// verify again), as libcurl's session cache does.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "probes/transports/tls_connection.h"

namespace registrar::probes {

class ByteStream final {
 public:
  using Io = TlsConnection::Io;

  ByteStream() = default;
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

  // Speaks plain bytes on `fd` (connected or connecting; the caller owns it).
  void Attach(int fd);
  // Speaks TLS on `fd` instead: `host` is what the certificate must name
  // (tls_connection.h); the session kept from the last connection is offered.
  void AttachTls(int fd, SSL_CTX* ctx, const std::string& host, bool verify);
  // Ends the connection (a TLS session stays kept); the caller closes the fd.
  void Detach();

  // TLS: drives the handshake; plain: kDone at once.
  Io Handshake();
  // As TlsConnection's: `*done` bytes moved; kError: error() and sys_errno().
  Io Write(const char* data, size_t n, size_t* done);
  Io Read(char* data, size_t n, size_t* done);

  bool tls() const { return tls_ != nullptr && tls_->active(); }
  bool resumed() const { return tls_ != nullptr && tls_->resumed(); }
  // The reason of the last kError ("connection reset", "send failed",
  // "TLS: certificate verify failed: …").
  const std::string& error() const { return error_; }
  // The socket's errno behind the last kError; 0 when TLS itself failed.
  int sys_errno() const { return sys_errno_; }
  // The class of the last kError (reset, tls, …).
  FailureClass error_class() const { return error_class_; }
  // TLS: the peer's leaf notAfter, once the handshake reached it (kept while
  // the connection lives).
  std::optional<WallTime> leaf_not_after() const;

 private:
  Io FromTls(Io io);

  int fd_ = -1;
  // Made by the first AttachTls and kept (with its session) from then on:
  // there is a stream per direct-path target, most of them plain HTTP.
  std::unique_ptr<TlsConnection> tls_;
  std::string error_;
  int sys_errno_ = 0;
  FailureClass error_class_ = FailureClass::kNone;
};

}  // namespace registrar::probes

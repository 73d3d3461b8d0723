// TLS on the prober's own non-blocking sockets (OpenSSL), for the direct path.
//
// `TlsContexts` keeps one client SSL_CTX per distinct set of TLS options (CA
// file, client certificate, skip-verify), sharing the parsed trust stores of
// `TrustStores`, so a probe's connection costs a handshake and nothing else.
// `TlsConnection` runs one client connection over a connected socket the
// caller owns and watches: every call returns at once and says whether it
// needs the socket readable or writable to go on. It verifies the chain as
// libcurl does (trust store, name or IP in the certificate, SNI for names)
// unless insecure_skip_verify, and can resume a session kept from the
// target's previous connection (TLS 1.2 session IDs / TLS 1.3 tickets).
// Loop thread only.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "probes/failure_class.h"
#include "probes/spec.h"
#include "probes/transports/trust_stores.h"

using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;
using SSL_SESSION = struct ssl_session_st;

namespace registrar::probes {

class TlsContexts final {
 public:
  explicit TlsContexts(TrustStores& trust) : trust_(trust) {}
  ~TlsContexts();
  TlsContexts(const TlsContexts&) = delete;
  TlsContexts& operator=(const TlsContexts&) = delete;

  // The context for `options` (built on first use); an error with the probe
  // reason ("TLS: bad CA file", "TLS: client certificate problem") when the
  // options cannot be used. Contexts live as long as this object.
  absl::StatusOr<SSL_CTX*> Get(const TlsOptions& options);

 private:
  using Key = std::tuple<std::string, std::string, std::string, bool>;
  TrustStores& trust_;
  std::map<Key, absl::StatusOr<SSL_CTX*>> contexts_;
};

class TlsConnection final {
 public:
  enum class Io { kDone, kWantRead, kWantWrite, kClosed, kError };

  TlsConnection() = default;
  ~TlsConnection();  // frees the SSL object and any kept session (not the fd)
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // Starts a client connection on connected socket `fd`. `host` is what the
  // certificate must name (a DNS name, or an IP address literal, which gets no
  // SNI); `resume` offers the session kept from the last connection.
  void Begin(SSL_CTX* ctx, int fd, const std::string& host, bool verify, bool resume);
  // Drives the handshake. kError: error() says why ("TLS: certificate verify
  // failed: certificate has expired", "TLS: handshake failed").
  Io Handshake();
  // Writes/reads up to `n` bytes; `*done` is how many. kClosed: the peer
  // closed (EOF or close_notify) before any byte. kError: error() is the
  // reason libcurl gives ("connection reset", "send failed", "receive failed").
  Io Write(const char* data, size_t n, size_t* done);
  Io Read(char* data, size_t n, size_t* done);
  // Ends the connection: frees the SSL object, keeping its session for the
  // next Begin(..., resume=true). The caller closes the socket.
  void End();

  bool active() const { return ssl_ != nullptr; }
  bool resumed() const;
  const std::string& error() const { return error_; }
  // The socket's errno behind the last kError; 0 when TLS itself failed.
  int sys_errno() const { return sys_errno_; }
  // The class of the last kError: kTls when TLS itself failed, else the
  // socket error's (reset, …).
  FailureClass error_class() const { return error_class_; }
  // The peer's leaf certificate's notAfter (after a handshake reached it).
  std::optional<WallTime> leaf_not_after() const { return leaf_not_after_; }

 private:
  Io Fail(int ssl_result, const char* what);

  SSL* ssl_ = nullptr;
  SSL_SESSION* session_ = nullptr;  // kept for resumption; owned
  std::string error_;
  int sys_errno_ = 0;
  FailureClass error_class_ = FailureClass::kNone;
  std::optional<WallTime> leaf_not_after_;
};

}  // namespace registrar::probes

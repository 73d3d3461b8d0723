// The direct path: one target's probe run on the prober's own non-blocking
// socket in its epoll loop, without libcurl.
//
// It serves HTTP and HTTPS health checks and TCP connect checks — to an
// address, or to a host name — where a kept-alive probe is one send() and one
// recv() (for HTTPS one TLS record each way); through libcurl the same probe
// costs ~8 syscalls (connection-alive polls) and a transfer's setup and
// teardown (see bench/README.md). Redirects to follow stay on libcurl
// (curl_transport.h). HTTPS runs TLS (OpenSSL) on the same socket through a
// ByteStream (byte_stream.h): the chain is verified against the probe's trust
// store and the name or IP (tls.server_name when set, which is also the SNI
// and the Host header), unless insecureSkipVerify; a client certificate is
// sent when configured; the leaf's notAfter goes into the verdict (the
// prober applies minCertValidity). A fresh TLS connection resumes the
// session of the target's previous one, as libcurl does: its leaf (and so the
// exported expiry) is the one of the session's full handshake, no older than
// the server lets a session live (ticket lifetime). Host names are resolved by the
// prober's Resolver (c-ares on the same loop, cached for the records' TTL); a
// name that does not resolve fails with its "dns: …" reason, and a kept
// connection is dropped when the name's address changes.
//
// Semantics match the libcurl path: the same request line and headers, the
// same reasons ("connection refused", "invalid HTTP response", "incomplete
// response", "TLS: certificate verify failed…", …), the same status/body
// judgement (`ResponseJudge`). TLS failures name OpenSSL's cause after the
// libcurl reason ("TLS: certificate verify failed: certificate has expired").
// A kept-alive connection that turns out to be closed before any byte of the
// response arrived is retried once on a fresh connection (as libcurl does), so
// a server's idle timeout never shows as a failure. Fresh connections close
// with RST (no TIME_WAIT). A connection is kept only while the prober's
// KeepAliveBudget has room; no free descriptor or local port is a local
// error, not the target's failure. Loop thread only.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <functional>
#include <memory>
#include <string>

#include "probes/event_loop.h"
#include "probes/judge.h"
#include "probes/spec.h"
#include "probes/transports/byte_stream.h"
#include "probes/transports/http_response.h"
#include "probes/transports/keep_alive.h"
#include "probes/transports/resolver.h"
#include "probes/transports/transport.h"

namespace registrar::probes {

// `host` (an IPv4/IPv6 literal) and `port` as a socket address; false for a
// host name.
bool ParseSocketAddress(const std::string& host, int port, sockaddr_storage* out, socklen_t* len);

class SocketProbe final : public Transport, public FdHandler, public KeptConnection {
 public:
  // Whether `target`'s probe can run here: a TCP check, or HTTP (HTTPS too
  // when `tls`: TLS contexts are at hand, env.tls) without redirects to
  // follow, to an IPv4/IPv6 address literal — or to a host name when `names`
  // (a Resolver is at hand: env.resolver).
  static bool Supports(const Target& target, bool names = false, bool tls = false);

  // `target` and `env` must outlive it (transport.h).
  SocketProbe(const Target& target, TransportEnv& env, Done on_done);
  ~SocketProbe() override;  // closes its connection
  SocketProbe(const SocketProbe&) = delete;
  SocketProbe& operator=(const SocketProbe&) = delete;

  // Transport
  void Start() override;
  void TimeOut() override;
  void Abort() override;
  Verdict TakeVerdict() override { return std::move(verdict_); }

  void OnFdEvents(uint32_t events) override;
  void Retire() override;

 private:
  enum class Phase { kIdle, kResolving, kConnecting, kHandshake, kSending, kReading };

  // Resolves the name (if any) from the cache or the resolver, then Proceed().
  void Resolve();
  void OnResolved(const Resolution& r);
  // Sends on the kept connection, or connects.
  void Proceed();
  void Connect();
  // Starts the stream on the new connection: the request (plain) or the
  // TLS handshake.
  void Talk();
  void Handshake();
  // The failed verdict of the stream's last error; `connecting`: the
  // connection was not known to be up, so a socket error is the connect's.
  Verdict FailureOf(bool connecting) const;
  void Send();
  void Receive();
  // A reused connection failed before any response byte: retry fresh, once.
  bool RetryFresh();
  void Finish(Verdict verdict, bool keep_connection);
  void CloseConnection();
  // Hands the reader back to the pool (the probe no longer reads).
  void ReleaseReader();

  ResponseJudge judge_;
  const ProbeSpec& spec_;
  TransportEnv& env_;
  EventLoop& loop_;
  Done on_done_;
  // IPv4 or IPv6 (28 bytes; a sockaddr_storage is 128, and there is one per target).
  union {
    sockaddr sa;
    sockaddr_in v4;
    sockaddr_in6 v6;
  } address_{};
  socklen_t address_len_ = 0;
  // Both point into the target (which outlives the transport): a string
  // each would be 64 bytes per target.
  const std::string* name_ = nullptr;  // the host name to resolve; null: an address literal
  int port_ = 0;
  uint64_t dns_ticket_ = 0;  // a lookup in flight
  bool tcp_only_ = false;
  bool reuse_ = true;
  bool head_request_ = false;
  bool https_ = false;
  const std::string* verify_host_ = nullptr;  // https: what the certificate must name
  int64_t max_body_bytes_ = 0;
  std::string request_;  // the whole request, built once

  int fd_ = -1;
  ByteStream stream_;       // on fd_
  bool fd_reused_ = false;  // this probe runs on a connection kept from an earlier one
  Phase phase_ = Phase::kIdle;
  size_t sent_ = 0;                         // bytes of request_ written
  std::unique_ptr<ResponseReader> reader_;  // while an HTTP probe runs (env_.readers')
  Verdict verdict_;
};

}  // namespace registrar::probes

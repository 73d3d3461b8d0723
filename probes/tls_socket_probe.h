// The tlsSocket probe kind on the direct path: connect, TLS handshake with
// the chain verified (TlsOptions), no application protocol.
//
// Healthy when the handshake completes (the prober then applies
// ProbeSpec::min_cert_validity); the verdict carries the leaf's notAfter
// either way (also when verification refused the certificate), so
// its expiry is exported. Every probe is a fresh, full handshake (resuming a
// session would skip the certificate), closed with RST. Targets given by host
// name go through libcurl instead (Check, CONNECT_ONLY on https://).
// Loop thread only.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <functional>
#include <string>

#include "probes/check.h"
#include "probes/event_loop.h"
#include "probes/spec.h"
#include "probes/tls_connection.h"

namespace registrar::probes {

class TlsSocketProbe final : public FdHandler {
 public:
  // Whether `target` is a tlsSocket probe to an IP address literal.
  static bool Supports(const Target& target);

  // Every reference must outlive it; `on_done` as for SocketProbe.
  TlsSocketProbe(const Target& target, const Check& check, TlsContexts& contexts, EventLoop& loop,
                 std::function<void()> on_done);
  ~TlsSocketProbe();
  TlsSocketProbe(const TlsSocketProbe&) = delete;
  TlsSocketProbe& operator=(const TlsSocketProbe&) = delete;

  void Start();
  void TimeOut();
  void Abort();
  Verdict TakeVerdict() { return std::move(verdict_); }

  void OnFdEvents(uint32_t events) override;

 private:
  enum class Phase { kIdle, kConnecting, kHandshake };

  void Handshake();
  void Finish(Verdict verdict);
  void Close();

  const Target& target_;
  const Check& check_;
  TlsContexts& contexts_;
  EventLoop& loop_;
  std::function<void()> on_done_;
  sockaddr_storage address_{};
  socklen_t address_len_ = 0;
  std::string verify_host_;  // tls.server_name, else the probe's host

  int fd_ = -1;
  Phase phase_ = Phase::kIdle;
  TlsConnection tls_;
  Verdict verdict_;
};

}  // namespace registrar::probes

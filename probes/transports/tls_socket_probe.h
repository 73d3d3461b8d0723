// The tlsSocket probe kind on the direct path: connect, TLS handshake with
// the chain verified (TlsOptions), no application protocol.
//
// Healthy when the handshake completes (the prober then applies
// ProbeSpec::min_cert_validity); the verdict carries the leaf's notAfter
// either way (also when verification refused the certificate), so its expiry
// is exported. Every probe is a fresh, full handshake (resuming a session
// would skip the certificate), closed with RST. Targets given by host name,
// or every target when the direct path is off, go through libcurl instead
// (Check: CONNECT_ONLY on https://). Loop thread only.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>
#include <string>

#include "probes/event_loop.h"
#include "probes/spec.h"
#include "probes/transports/tls_connection.h"
#include "probes/transports/transport.h"

namespace registrar::probes {

class TlsSocketProbe final : public Transport, public FdHandler {
 public:
  // A tlsSocket probe to an IP address literal, with the direct path on.
  static bool Supports(const Target& target, const TransportEnv& env);
  static std::unique_ptr<Transport> Make(const Target& target, TransportEnv& env, Done done);

  // `target` and `env` (with env.tls set) must outlive it.
  TlsSocketProbe(const Target& target, TransportEnv& env, Done done);
  ~TlsSocketProbe() override;
  TlsSocketProbe(const TlsSocketProbe&) = delete;
  TlsSocketProbe& operator=(const TlsSocketProbe&) = delete;

  void Start() override;
  void TimeOut() override;
  void Abort() override;
  Verdict TakeVerdict() override { return std::move(verdict_); }

  void OnFdEvents(uint32_t events) override;

 private:
  enum class Phase { kIdle, kConnecting, kHandshake };

  void Handshake();
  void Finish(Verdict verdict);
  void Close();

  const Target& target_;
  TransportEnv& env_;
  Done done_;
  sockaddr_storage address_{};
  socklen_t address_len_ = 0;
  std::string verify_host_;  // tls.server_name, else the probe's host

  int fd_ = -1;
  Phase phase_ = Phase::kIdle;
  TlsConnection tls_;
  Verdict verdict_;
};

}  // namespace registrar::probes

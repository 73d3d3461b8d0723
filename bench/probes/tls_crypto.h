// The crypto floor of a fresh HTTPS probe: a bare OpenSSL loop of resumed
// TLS handshakes between a client and a server in this thread over a memory
// BIO pair (no sockets, no syscalls), with the prober's own client context
// (TlsContexts: same versions, verification, ticket handling) and the
// benchmark's server certificate, each client resuming the ticket of the
// previous handshake as the prober does. The https fresh row is compared to
// the plain fresh row plus this.
#pragma once

#include <string>

#include "bench/probes/figures.h"

namespace registrar::bench {

struct TlsCrypto {
  Figures client;            // CPU of the client's calls only (SSL_new … SSL_free), per handshake
  double both_us = 0;        // client and server together, µs per handshake
  double resumed_share = 0;  // handshakes that resumed, 0..1
};

// Runs warmup + measurement of `rate` handshakes per second with the
// server's `cert_file` / `key_file` (the client trusts `cert_file`, names
// "localhost").
TlsCrypto RunTlsCrypto(const std::string& cert_file, const std::string& key_file, double warmup_s,
                       double measure_s, double rate);

// `openssl speed`'s CPU cost of one X25519 operation in µs (0 when it cannot
// run): a resumed TLS 1.3 handshake (psk_dhe_ke) costs the client two, a key
// share and the shared secret; the primitives' floor under the loop above.
double X25519OpMicros();

}  // namespace registrar::bench

// Test helper: an HTTPS/1.1 server on 127.0.0.1 (OpenSSL on a RawServer's
// connections) that keeps connections alive and counts what the client did:
// connections accepted, handshakes that resumed a session.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "tests/probes/raw_server.h"

using SSL_CTX = struct ssl_ctx_st;

namespace registrar::probes::testing {

class TlsServer final {
 public:
  // Serves with the PEM `cert_file`/`key_file`. Each connection answers
  // "200 ok" to `answers` requests (0: every one), then reads the next
  // request and closes unanswered (a server's idle timeout firing as the
  // next request arrives).
  // With `client_ca_file`, the client must present a certificate it signed.
  TlsServer(const std::string& cert_file, const std::string& key_file, int answers = 0,
            const std::string& client_ca_file = "");
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  int port() const { return server_.port(); }
  int accepted() const { return server_.accepted(); }
  int handshakes() const { return handshakes_.load(); }
  int resumed() const { return resumed_.load(); }

 private:
  void Serve(int fd, const std::atomic<bool>& stopping);

  struct FreeContext {
    void operator()(SSL_CTX* ctx) const;
  };
  std::unique_ptr<SSL_CTX, FreeContext> ctx_;
  int answers_ = 0;
  std::atomic<int> handshakes_{0};
  std::atomic<int> resumed_{0};
  RawServer server_;  // last: its threads use the members above
};

}  // namespace registrar::probes::testing

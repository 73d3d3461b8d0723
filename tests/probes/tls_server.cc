#include "tests/probes/tls_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <csignal>

namespace registrar::probes::testing {
namespace {

SSL_CTX* ServerContext(const std::string& cert_file, const std::string& key_file,
                       const std::string& client_ca_file) {
  // The client closes with RST: a write after it must fail, not kill the test.
  std::signal(SIGPIPE, SIG_IGN);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str());
  SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM);
  if (!client_ca_file.empty()) {
    SSL_CTX_load_verify_locations(ctx, client_ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;  // session tickets on, as in OpenSSL's default
}

}  // namespace

TlsServer::TlsServer(const std::string& cert_file, const std::string& key_file, int answers,
                     const std::string& client_ca_file)
    : ctx_(ServerContext(cert_file, key_file, client_ca_file)),
      answers_(answers),
      server_([this](int fd, const std::atomic<bool>& stopping) { Serve(fd, stopping); }) {}

TlsServer::~TlsServer() = default;

void TlsServer::FreeContext::operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }

// Blocking SSL on the handler's socket: the RawServer's shutdown() of every
// connection when it stops ends any read in progress.
void TlsServer::Serve(int fd, const std::atomic<bool>& stopping) {
  SSL* ssl = SSL_new(ctx_.get());
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) == 1) {
    ++handshakes_;
    if (SSL_session_reused(ssl) == 1) ++resumed_;
    std::string data;
    char buf[4096];
    for (int answered = 0; !stopping.load();) {
      int n = SSL_read(ssl, buf, sizeof(buf));
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
      if (data.find("\r\n\r\n") == std::string::npos) continue;
      data.clear();
      if (answers_ != 0 && answered == answers_) break;
      static const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      if (SSL_write(ssl, kOk.data(), static_cast<int>(kOk.size())) <= 0) break;
      ++answered;
    }
  }
  ERR_clear_error();
  SSL_free(ssl);
}

}  // namespace registrar::probes::testing

#include "probes/transports/tls_connection.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>

#include "probes/transports/certificate.h"

namespace registrar::probes {
namespace {

bool IsIpLiteral(const std::string& host) {
  in6_addr buf{};
  return inet_pton(AF_INET, host.c_str(), &buf) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &buf) == 1;
}

// TLS 1.3 tickets (and TLS 1.2 sessions) arrive here: the connection keeps
// the newest for its next fresh connection.
int OnNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* keep = static_cast<SSL_SESSION**>(SSL_get_app_data(ssl));
  if (keep == nullptr) return 0;
  if (*keep != nullptr) SSL_SESSION_free(*keep);
  *keep = session;
  return 1;  // we own the reference now
}

int LeafIndex() {
  // Index 0 is app data (the session slot); this one holds the leaf's expiry.
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Records the leaf's notAfter whatever the verification's outcome, so an
// expired certificate is still exported.
int OnVerify(int preverify_ok, X509_STORE_CTX* store) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* out = static_cast<std::optional<WallTime>*>(SSL_get_ex_data(ssl, LeafIndex()));
  if (out != nullptr && !out->has_value()) *out = NotAfter(X509_STORE_CTX_get0_cert(store));
  return preverify_ok;
}

}  // namespace

TlsContexts::~TlsContexts() {
  for (auto& [key, ctx] : contexts_) {
    if (ctx.ok()) SSL_CTX_free(*ctx);
  }
}

absl::StatusOr<SSL_CTX*> TlsContexts::Get(const TlsOptions& options) {
  Key key{options.ca_file, options.cert_file, options.key_file, options.insecure_skip_verify};
  auto it = contexts_.find(key);
  if (it != contexts_.end()) return it->second;
  auto build = [&]() -> absl::StatusOr<SSL_CTX*> {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr) return absl::InternalError("TLS: cannot create a context");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // Our connections close with RST after a fresh probe: a missing
    // close_notify is the normal end, not an attack on the response.
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, OnNewSession);
    // An idle kept-alive connection holds no record buffers (~34 KB each
    // otherwise: 340 MB for 10 000 HTTPS targets).
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (!options.insecure_skip_verify) {
      X509_STORE* store = trust_.Get(options.ca_file);
      if (store == nullptr) {
        SSL_CTX_free(ctx);
        return absl::FailedPreconditionError("TLS: bad CA file");
      }
      SSL_CTX_set1_cert_store(ctx, store);
    }
    if (!options.cert_file.empty() &&
        (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1 ||
         SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1)) {
      ERR_clear_error();
      SSL_CTX_free(ctx);
      return absl::FailedPreconditionError("TLS: client certificate problem");
    }
    return ctx;
  };
  return contexts_.emplace(key, build()).first->second;
}

TlsConnection::~TlsConnection() {
  End();
  if (session_ != nullptr) SSL_SESSION_free(session_);
}

void TlsConnection::Begin(SSL_CTX* ctx, int fd, const std::string& host, bool verify, bool resume) {
  End();
  error_.clear();
  leaf_not_after_.reset();
  ssl_ = SSL_new(ctx);
  SSL_set_app_data(ssl_, &session_);
  SSL_set_ex_data(ssl_, LeafIndex(), &leaf_not_after_);
  SSL_set_fd(ssl_, fd);
  SSL_set_connect_state(ssl_);
  bool ip = IsIpLiteral(host);
  if (!ip) SSL_set_tlsext_host_name(ssl_, host.c_str());
  if (verify) {
    SSL_set_verify(ssl_, SSL_VERIFY_PEER, OnVerify);
    if (ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
    } else {
      SSL_set1_host(ssl_, host.c_str());
    }
  } else {
    SSL_set_verify(ssl_, SSL_VERIFY_NONE, nullptr);
  }
  if (resume && session_ != nullptr) SSL_set_session(ssl_, session_);
}

TlsConnection::Io TlsConnection::Handshake() {
  ERR_clear_error();
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    if (!leaf_not_after_) leaf_not_after_ = NotAfter(SSL_get0_peer_certificate(ssl_));
    return Io::kDone;
  }
  return Fail(r, "TLS: handshake failed");
}

TlsConnection::Io TlsConnection::Write(const char* data, size_t n, size_t* done) {
  ERR_clear_error();
  *done = 0;
  int r = SSL_write_ex(ssl_, data, n, done);
  return r == 1 ? Io::kDone : Fail(r, "send failed");
}

TlsConnection::Io TlsConnection::Read(char* data, size_t n, size_t* done) {
  ERR_clear_error();
  *done = 0;
  int r = SSL_read_ex(ssl_, data, n, done);
  return r == 1 ? Io::kDone : Fail(r, "receive failed");
}

TlsConnection::Io TlsConnection::Fail(int ssl_result, const char* what) {
  int err = SSL_get_error(ssl_, ssl_result);
  sys_errno_ = 0;
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return Io::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Io::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return Io::kClosed;
    case SSL_ERROR_SYSCALL:
      if (errno == 0) return Io::kClosed;
      sys_errno_ = errno;
      error_ = errno == ECONNRESET || errno == EPIPE ? "connection reset" : std::string(what);
      error_class_ = FailureClassOfErrno(errno);
      break;
    default: {
      error_class_ = FailureClass::kTls;
      long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) {
        error_ =
            std::string("TLS: certificate verify failed: ") + X509_verify_cert_error_string(verify);
      } else if (unsigned long e = ERR_peek_error(); e != 0 && ERR_reason_error_string(e)) {
        error_ = std::string(what) + ": " + ERR_reason_error_string(e);
      } else {
        error_ = what;
      }
    }
  }
  ERR_clear_error();
  return Io::kError;
}

void TlsConnection::End() {
  if (ssl_ == nullptr) return;
  // A quiet shutdown marks the session as cleanly ended, which keeps it
  // resumable; nothing is sent (the socket closes with RST).
  SSL_set_quiet_shutdown(ssl_, 1);
  SSL_shutdown(ssl_);
  SSL_free(ssl_);
  ssl_ = nullptr;
  ERR_clear_error();
}

bool TlsConnection::resumed() const { return ssl_ != nullptr && SSL_session_reused(ssl_) == 1; }

}  // namespace registrar::probes

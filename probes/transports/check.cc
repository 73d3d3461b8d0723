#include "probes/transports/check.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "probes/transports/certificate.h"

namespace registrar::probes {
namespace {

// The peer's leaf notAfter of the TLS connection `easy` is using now.
std::optional<WallTime> PeerNotAfter(CURL* easy) {
  curl_tlssessioninfo* info = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || info == nullptr ||
      info->backend != CURLSSLBACKEND_OPENSSL || info->internals == nullptr) {
    return std::nullopt;
  }
  return NotAfter(SSL_get0_peer_certificate(static_cast<SSL*>(info->internals)));
}

// Fresh connections close with RST: no TIME_WAIT, no ephemeral-port pile-up.
int SetLingerZero(void* /*clientp*/, curl_socket_t fd, curlsocktype purpose) {
  if (purpose == CURLSOCKTYPE_IPCXN) {
    linger lg{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  }
  return CURL_SOCKOPT_OK;
}

// Records the leaf's notAfter whenever OpenSSL verifies a chain (it does so
// even when verification is off, then ignores the outcome), so an expired or
// refused leaf is still exported; then verifies as usual.
int RecordLeafAndVerify(X509_STORE_CTX* store_ctx, void* slot) {
  *static_cast<std::optional<WallTime>*>(slot) = NotAfter(X509_STORE_CTX_get0_cert(store_ctx));
  return X509_verify_cert(store_ctx);
}

}  // namespace

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

Check::Check(const Target& target, TrustStores& trust)
    : spec_(target.probe), trust_(trust), judge_(target.probe) {
  const std::string& host = ProbeHost(target);
  int port = ProbePort(target);
  if (spec_.kind == ProbeKind::kTcpSocket) {
    url_ = "http://" + UrlHost(host) + ":" + std::to_string(port) + "/";
    return;
  }
  if (spec_.kind == ProbeKind::kTlsSocket) {
    SetUrl("https", host, port, "/", spec_.tls_socket.tls.server_name);
    return;
  }
  const auto& http = spec_.http_get;
  std::string scheme = EqualsIgnoringCase(http.scheme, "https") ? "https" : "http";
  SetUrl(scheme, host, port, ProbePath(http), http.tls.server_name);
  for (const auto& h : http.http_headers) {
    headers_ = curl_slist_append(headers_, (h.name + ": " + h.value).c_str());
  }
  if (SendsZeroLength(http)) headers_ = curl_slist_append(headers_, "Content-Length: 0");
}

void Check::SetUrl(const std::string& scheme, const std::string& host, int port,
                   const std::string& path, const std::string& server_name) {
  if (!server_name.empty() && scheme == "https") {
    // Name in the URL (SNI, verification, Host), connection to the real host.
    url_ = scheme + "://" + UrlHost(server_name) + ":" + std::to_string(port) + path;
    connect_to_ =
        server_name + ":" + std::to_string(port) + ":" + UrlHost(host) + ":" + std::to_string(port);
    connect_to_list_ = curl_slist_append(nullptr, connect_to_.c_str());
  } else {
    url_ = scheme + "://" + UrlHost(host) + ":" + std::to_string(port) + path;
  }
}

Check::~Check() {
  curl_slist_free_all(headers_);
  curl_slist_free_all(connect_to_list_);
}

void Check::Configure(CURL* easy, void* owner) {
  body_.clear();
  body_bytes_ = 0;
  truncated_ = false;
  cert_not_after_.reset();
  auto timeout_ms = std::max<long>(
      1, static_cast<long>(std::chrono::ceil<std::chrono::milliseconds>(spec_.timeout).count()));
  curl_easy_setopt(easy, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(easy, CURLOPT_PRIVATE, owner);
  easy_ = easy;
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  // Probe the target itself, never through an http_proxy/all_proxy from the
  // environment (kubelet probes ignore proxies too).
  curl_easy_setopt(easy, CURLOPT_PROXY, "");

  bool connect_only = spec_.kind == ProbeKind::kTcpSocket || spec_.kind == ProbeKind::kTlsSocket;
  bool fresh = connect_only || !spec_.reuse_connections;
  if (fresh) {
    curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(easy, CURLOPT_SOCKOPTFUNCTION, &SetLingerZero);
  }
  if (connect_only) {
    curl_easy_setopt(easy, CURLOPT_CONNECT_ONLY, 1L);  // on https://: connect + handshake
    if (spec_.kind == ProbeKind::kTlsSocket) {
      if (connect_to_list_ != nullptr) {
        curl_easy_setopt(easy, CURLOPT_CONNECT_TO, connect_to_list_);
      }
      ConfigureTls(easy, spec_.tls_socket.tls);
      // A full handshake every time: a resumed session shows no certificate.
      curl_easy_setopt(easy, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    }
    return;
  }

  const auto& http = spec_.http_get;
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(easy, CURLOPT_USERAGENT, kUserAgent);
  if (headers_ != nullptr) curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers_);
  if (http.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (!http.method.empty() && http.method != "GET") {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, http.method.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Check::OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  if (http.follow_redirects) {
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, static_cast<long>(std::max(http.max_redirects, 0)));
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  }
  if (connect_to_list_ != nullptr) curl_easy_setopt(easy, CURLOPT_CONNECT_TO, connect_to_list_);
  if (url_.starts_with("https:")) {
    ConfigureTls(easy, http.tls);
    // The leaf's expiry is read while the response arrives (the connection
    // is back in curl's cache by the time the transfer is judged).
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Check::OnHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
  }
}

void Check::ConfigureTls(CURL* easy, const TlsOptions& tls) {
  store_ = nullptr;
  if (!tls.insecure_skip_verify) {
    if (X509_STORE* store = trust_.Get(tls.ca_file); store != nullptr) {
      curl_easy_setopt(easy, CURLOPT_CAINFO, nullptr);  // nothing for curl to parse
      curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);
      store_ = store;
    } else if (!tls.ca_file.empty()) {
      curl_easy_setopt(easy, CURLOPT_CAINFO, tls.ca_file.c_str());  // curl reports the error
    }
  }
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, &Check::OnSslContext);
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, this);
  if (!tls.cert_file.empty()) curl_easy_setopt(easy, CURLOPT_SSLCERT, tls.cert_file.c_str());
  if (!tls.key_file.empty()) curl_easy_setopt(easy, CURLOPT_SSLKEY, tls.key_file.c_str());
  if (tls.insecure_skip_verify) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
}

// Each new TLS connection: the prober's parsed trust store for this probe's
// CA file, and the leaf's expiry recorded during verification.
CURLcode Check::OnSslContext(CURL* /*easy*/, void* ssl_ctx, void* self) {
  auto* check = static_cast<Check*>(self);
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  if (check->store_ != nullptr) {
    if (X509_STORE_up_ref(check->store_) != 1) return CURLE_OUT_OF_MEMORY;
    SSL_CTX_set_cert_store(ctx, check->store_);  // takes the reference
  }
  SSL_CTX_set_cert_verify_callback(ctx, &RecordLeafAndVerify, &check->cert_not_after_);
  return CURLE_OK;
}

size_t Check::OnHeader(char* /*data*/, size_t size, size_t count, void* self) {
  auto* check = static_cast<Check*>(self);
  if (!check->cert_not_after_ && check->easy_ != nullptr) {
    check->cert_not_after_ = PeerNotAfter(check->easy_);
  }
  return size * count;
}

size_t Check::OnBody(char* data, size_t size, size_t count, void* self) {
  auto* check = static_cast<Check*>(self);
  size_t n = size * count;
  int64_t room = std::max<int64_t>(check->spec_.http_get.max_body_bytes - check->body_bytes_, 0);
  size_t take = std::min<size_t>(n, static_cast<size_t>(room));
  if (check->judge_.KeepsBody()) check->body_.append(data, take);
  check->body_bytes_ += static_cast<int64_t>(take);
  if (take < n) {
    check->truncated_ = true;
    return 0;  // aborts the transfer: we read no more than max_body_bytes
  }
  return n;
}

Verdict Check::Judge(CURL* easy, CURLcode code) const {
  Verdict v;
  if (code == CURLE_WRITE_ERROR && truncated_) code = CURLE_OK;
  if (code == CURLE_OK) {
    if (spec_.kind == ProbeKind::kTcpSocket) return {true, "connected", 0, {}, {}};
    if (spec_.kind == ProbeKind::kTlsSocket) {
      return {true, "TLS handshake ok", 0, {}, cert_not_after_};
    }
    Verdict ok = JudgeHttp(easy);
    ok.cert_not_after = cert_not_after_;
    return ok;
  }
  long os_errno = 0;
  curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
  if (IsLocalError(os_errno) && (code == CURLE_COULDNT_CONNECT || code == CURLE_OUT_OF_MEMORY)) {
    return LocalFailure("cannot open connection", static_cast<int>(os_errno));
  }
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  v.http_status = static_cast<int>(status);
  v.cert_not_after = cert_not_after_;  // e.g. a leaf that failed verification
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      v.reason = ConnectFailure(os_errno);
      v.failure = FailureClassOfErrno(os_errno);
      break;
    case CURLE_OPERATION_TIMEDOUT:
      v.reason = TimeoutReason(spec_);
      v.failure = FailureClass::kTimeout;
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
      v.reason = "could not resolve host";
      v.failure = FailureClass::kDns;
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
      v.reason = "TLS: certificate verify failed";
      v.failure = FailureClass::kTls;
      break;
    case CURLE_SSL_CONNECT_ERROR:
      v.reason = "TLS: handshake failed";
      v.failure = FailureClass::kTls;
      break;
    case CURLE_SSL_CACERT_BADFILE:
      v.reason = "TLS: bad CA file";
      v.failure = FailureClass::kTls;
      break;
    case CURLE_SSL_CERTPROBLEM:
      v.reason = "TLS: client certificate problem";
      v.failure = FailureClass::kTls;
      break;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:  // HTTP/0.9-looking garbage
      v.reason = "invalid HTTP response";
      v.failure = FailureClass::kProtocol;
      break;
    case CURLE_GOT_NOTHING:
      v.reason = "empty reply";
      v.failure = FailureClass::kProtocol;
      break;
    case CURLE_RECV_ERROR:
      v.reason = os_errno == ECONNRESET ? "connection reset" : "receive failed";
      v.failure = FailureClassOfErrno(os_errno);
      break;
    case CURLE_SEND_ERROR:
      v.reason = os_errno == ECONNRESET ? "connection reset" : "send failed";
      v.failure = FailureClassOfErrno(os_errno);
      break;
    case CURLE_PARTIAL_FILE:
      v.reason = "incomplete response";
      v.failure = FailureClass::kProtocol;
      break;
    case CURLE_TOO_MANY_REDIRECTS:
      v.reason = "too many redirects";
      v.failure = FailureClass::kProtocol;
      break;
    default:
      v.reason = Lower(curl_easy_strerror(code));
      v.failure = FailureClass::kOther;
  }
  return v;
}

Verdict Check::JudgeHttp(CURL* easy) const {
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  return judge_.Judge(static_cast<int>(status), body_);
}

}  // namespace registrar::probes

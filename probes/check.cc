#include "probes/check.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "probes/certificate.h"

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
int RecordLeafAndVerify(X509_STORE_CTX* store_ctx, void* check_slot) {
  auto* slot = static_cast<std::optional<WallTime>*>(check_slot);
  *slot = NotAfter(X509_STORE_CTX_get0_cert(store_ctx));
  return X509_verify_cert(store_ctx);
}

}  // namespace

std::string ConnectFailure(long os_errno) {
  switch (os_errno) {
    case ECONNREFUSED:
      return "connection refused";
    case EHOSTUNREACH:
      return "host unreachable";
    case ENETUNREACH:
      return "network unreachable";
    case ECONNRESET:
      return "connection reset";
    case EADDRNOTAVAIL:
      return "no free local address";
    case 0:
      return "connect failed";
    default:
      return std::string("connect failed: ") + std::strerror(static_cast<int>(os_errno));
  }
}

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

const std::string& ProbeHost(const Target& t) {
  switch (t.probe.kind) {
    case ProbeKind::kTcpSocket:
      return t.probe.tcp_socket.host.empty() ? t.host : t.probe.tcp_socket.host;
    case ProbeKind::kTlsSocket:
      return t.probe.tls_socket.host.empty() ? t.host : t.probe.tls_socket.host;
    case ProbeKind::kGrpc:
    case ProbeKind::kExec:
      return t.host;
    case ProbeKind::kHttpGet:
      break;
  }
  return t.probe.http_get.host.empty() ? t.host : t.probe.http_get.host;
}

int ProbePort(const Target& t) {
  switch (t.probe.kind) {
    case ProbeKind::kTcpSocket:
      return t.probe.tcp_socket.port.value_or(t.port);
    case ProbeKind::kTlsSocket:
      return t.probe.tls_socket.port.value_or(t.port);
    case ProbeKind::kGrpc:
      return t.probe.grpc.port.value_or(t.port);
    case ProbeKind::kExec:
      return t.port;
    case ProbeKind::kHttpGet:
      break;
  }
  return t.probe.http_get.port.value_or(t.port);
}

std::string UrlHost(const std::string& host) {
  if (host.find(':') != std::string::npos) return "[" + host + "]";
  return host;
}

std::string ProbePath(const HttpGetAction& http) {
  return http.path.empty() || http.path[0] != '/' ? "/" + http.path : http.path;
}

bool HasHeader(const HttpGetAction& http, std::string_view name) {
  return std::any_of(http.http_headers.begin(), http.http_headers.end(),
                     [&](const HttpHeader& h) { return EqualsIgnoringCase(h.name, name); });
}

bool SendsZeroLength(const HttpGetAction& http) {
  return http.method == "POST" && !HasHeader(http, "Content-Length");
}

std::string FormatDuration(Duration d) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  auto us = duration_cast<microseconds>(d).count();
  if (us % 1000000 == 0) return std::to_string(us / 1000000) + "s";
  if (us < 1000) return std::to_string(us) + "us";
  if (us < 1000000 && us % 1000 == 0) return std::to_string(us / 1000) + "ms";
  if (us < 1000000) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.3g", static_cast<double>(us) / 1000.0);
    return std::string(buf) + "ms";
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g", static_cast<double>(us) / 1e6);
  return std::string(buf) + "s";
}

Check::Check(const Target& target, TrustStores& trust) : spec_(target.probe), trust_(trust) {
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
  try {
    if (!http.body_regex.empty()) body_regex_.emplace(http.body_regex, std::regex::ECMAScript);
    if (!http.body_not_regex.empty()) {
      body_not_regex_.emplace(http.body_not_regex, std::regex::ECMAScript);
    }
  } catch (const std::regex_error& e) {
    regex_error_ = e.what();
  }
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
  if (check->body_regex_ || check->body_not_regex_) check->body_.append(data, take);
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
    if (spec_.kind == ProbeKind::kTcpSocket) return {true, "connected", 0, {}};
    if (spec_.kind == ProbeKind::kTlsSocket) {
      return {true, "TLS handshake ok", 0, cert_not_after_};
    }
    Verdict ok = JudgeHttp(easy);
    ok.cert_not_after = cert_not_after_;
    return ok;
  }
  long os_errno = 0;
  curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  v.http_status = static_cast<int>(status);
  v.cert_not_after = cert_not_after_;  // e.g. a leaf that failed verification
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      v.reason = ConnectFailure(os_errno);
      break;
    case CURLE_OPERATION_TIMEDOUT:
      v.reason = TimeoutReason();
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
      v.reason = "could not resolve host";
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
      v.reason = "TLS: certificate verify failed";
      break;
    case CURLE_SSL_CONNECT_ERROR:
      v.reason = "TLS: handshake failed";
      break;
    case CURLE_SSL_CACERT_BADFILE:
      v.reason = "TLS: bad CA file";
      break;
    case CURLE_SSL_CERTPROBLEM:
      v.reason = "TLS: client certificate problem";
      break;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:  // HTTP/0.9-looking garbage
      v.reason = "invalid HTTP response";
      break;
    case CURLE_GOT_NOTHING:
      v.reason = "empty reply";
      break;
    case CURLE_RECV_ERROR:
      v.reason = os_errno == ECONNRESET ? "connection reset" : "receive failed";
      break;
    case CURLE_SEND_ERROR:
      v.reason = os_errno == ECONNRESET ? "connection reset" : "send failed";
      break;
    case CURLE_PARTIAL_FILE:
      v.reason = "incomplete response";
      break;
    case CURLE_TOO_MANY_REDIRECTS:
      v.reason = "too many redirects";
      break;
    default:
      v.reason = Lower(curl_easy_strerror(code));
  }
  return v;
}

std::string Check::TimeoutReason() const {
  return "timeout after " + FormatDuration(spec_.timeout);
}

Verdict Check::JudgeHttp(CURL* easy) const {
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  return JudgeResponse(static_cast<int>(status), body_);
}

Verdict Check::JudgeResponse(int status, const std::string& body) const {
  const auto& http = spec_.http_get;
  Verdict v{false, "status " + std::to_string(status), status};
  bool status_ok = false;
  if (http.expected_statuses.empty()) {
    status_ok = status >= 200 && status <= 399;
  } else {
    for (const auto& range : http.expected_statuses) {
      if (status >= range.from && status <= range.to) status_ok = true;
    }
  }
  if (!status_ok) return v;
  if (!regex_error_.empty()) {
    v.reason = "invalid body regex";
    return v;
  }
  if (body_regex_ && !std::regex_search(body, *body_regex_)) {
    v.reason = "body did not match";
    return v;
  }
  if (body_not_regex_ && std::regex_search(body, *body_not_regex_)) {
    v.reason = "body matched forbidden regex";
    return v;
  }
  v.ok = true;
  return v;
}

}  // namespace registrar::probes

// One target's probe, prepared once and run on a libcurl easy handle.
//
// A `Check` holds what its spec needs for every probe (URL, header list,
// compiled body regexes) and the per-probe state (body read so far). It
// configures a pooled easy handle for one probe (every option it may rely on
// is set, so options left by another target never leak) and turns the
// finished transfer into an ok/reason verdict.
//
// HTTP(S) probes are ordinary transfers; TCP probes are CURLOPT_CONNECT_ONLY
// transfers (success = connected), tlsSocket probes to host names the same on
// https:// (success = handshake and verification passed). Fresh connections (reuse off, and every
// TCP probe) set SO_LINGER {1,0} so their close sends RST and leaves no
// TIME_WAIT behind. Not thread-safe: used on the prober thread.
#pragma once

#include <curl/curl.h>

#include <optional>
#include <regex>
#include <string>
#include <string_view>

#include "probes/http_response.h"
#include "probes/spec.h"
#include "probes/trust_stores.h"

namespace registrar::probes {

// "1s", "250ms", "1.5s", "500us": durations as people write them.
std::string FormatDuration(Duration d);

// The User-Agent of every HTTP probe.
inline constexpr const char* kUserAgent = "etcd-registrar-probe/0.1";

// The probe reason for a failed connect (errno): "connection refused", …
std::string ConnectFailure(long os_errno);

// Where a target's probe goes: the spec's host/port, else the endpoint's.
const std::string& ProbeHost(const Target& target);
int ProbePort(const Target& target);
// The host as a URL or Host header writes it: "[v6]" for IPv6.
std::string UrlHost(const std::string& host);
// The HTTP probe's path, always starting with "/".
std::string ProbePath(const HttpGetAction& http);

// Whether the spec configures header `name` (case-insensitive).
bool HasHeader(const HttpGetAction& http, std::string_view name);
// POST probes send no body but say so ("Content-Length: 0") unless the
// spec sets the header: some servers refuse a POST without a length.
bool SendsZeroLength(const HttpGetAction& http);

struct Verdict {
  bool ok = false;
  std::string reason;
  int http_status = 0;
  std::optional<WallTime> cert_not_after;  // TLS: the leaf certificate's notAfter
};

class Check final {
 public:
  // `target` and `trust` must outlive the Check (the prober rebuilds the
  // Check whenever it replaces a target).
  Check(const Target& target, TrustStores& trust);
  ~Check();
  Check(const Check&) = delete;
  Check& operator=(const Check&) = delete;

  // Sets up `easy` (freshly reset) for one probe; `owner` goes to
  // CURLOPT_PRIVATE. Clears the per-probe state.
  void Configure(CURL* easy, void* owner);
  // The verdict on the finished transfer.
  Verdict Judge(CURL* easy, CURLcode code) const;
  // The verdict on a complete HTTP response (status range, body regexes),
  // however it was fetched.
  Verdict JudgeResponse(int status, const std::string& body) const;
  // "timeout after 1s".
  std::string TimeoutReason() const;
  // Whether a body regex needs the body's bytes.
  bool KeepsBody() const { return body_regex_.has_value() || body_not_regex_.has_value(); }

 private:
  static size_t OnBody(char* data, size_t size, size_t count, void* self);
  static size_t OnHeader(char* data, size_t size, size_t count, void* self);
  static CURLcode OnSslContext(CURL* easy, void* ssl_ctx, void* self);
  void SetUrl(const std::string& scheme, const std::string& host, int port, const std::string& path,
              const std::string& server_name);
  void ConfigureTls(CURL* easy, const TlsOptions& tls);
  Verdict JudgeHttp(CURL* easy) const;

  const ProbeSpec& spec_;  // the target's (not copied: 10k targets)
  TrustStores& trust_;
  std::string url_;
  std::string connect_to_;         // "name:port:host:port" when tls.server_name is set
  curl_slist* headers_ = nullptr;  // request headers (owned)
  curl_slist* connect_to_list_ = nullptr;
  std::optional<std::regex> body_regex_;
  std::optional<std::regex> body_not_regex_;
  std::string regex_error_;  // non-empty: the spec's regex does not compile

  // Per probe.
  std::string body_;                        // kept only when a body regex is set
  int64_t body_bytes_ = 0;                  // bytes accepted (<= max_body_bytes)
  CURL* easy_ = nullptr;                    // the handle of the probe in flight
  X509_STORE* store_ = nullptr;             // the trust store of the probe in flight (TLS)
  std::optional<WallTime> cert_not_after_;  // HTTPS: read with the first header
  bool truncated_ = false;                  // stopped reading at max_body_bytes
};

}  // namespace registrar::probes

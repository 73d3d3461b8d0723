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
// https:// (success = handshake and verification passed). TLS probes record
// the leaf certificate's notAfter in their verdict. Fresh connections (reuse off, and every
// TCP probe) set SO_LINGER {1,0} so their close sends RST and leaves no
// TIME_WAIT behind. Not thread-safe: used on the prober thread.
#pragma once

#include <curl/curl.h>

#include <optional>
#include <string>

#include "probes/judge.h"
#include "probes/spec.h"
#include "probes/transports/http_response.h"
#include "probes/transports/trust_stores.h"

namespace registrar::probes {

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
  // The response judgement of this target's spec.
  const ResponseJudge& judge() const { return judge_; }

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
  ResponseJudge judge_;

  // Per probe.
  std::string body_;                        // kept only when a body regex is set
  int64_t body_bytes_ = 0;                  // bytes accepted (<= max_body_bytes)
  CURL* easy_ = nullptr;                    // the handle of the probe in flight
  X509_STORE* store_ = nullptr;             // its trust store (TLS)
  std::optional<WallTime> cert_not_after_;  // TLS: the leaf's, once seen
  bool truncated_ = false;                  // stopped reading at max_body_bytes
};

}  // namespace registrar::probes

// Judging a probe, whatever carried it: the verdict type, the reasons every
// transport gives, where a target's probe goes, and the HTTP response
// judgement (status ranges, body regexes). No libcurl here: every transport
// (libcurl, the prober's own sockets, TLS, …) judges a response the same way.
// Module-private (prober.h is the probes module's contract).
#pragma once

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

#include "common/duration.h"
#include "probes/failure_class.h"
#include "probes/spec.h"

namespace registrar::probes {

// "1s", "250ms", "1500ms", "500us": durations as the config spells them.
using ::registrar::FormatDuration;

// The User-Agent of every HTTP probe.
inline constexpr const char* kUserAgent = "etcd-registrar-probe/0.1";

// The probe reason for a failed connect (errno): "connection refused", …
std::string ConnectFailure(long os_errno);

// Whether `os_errno` is a shortage on the prober's side (no free file
// descriptor, buffer or local port), not anything the target did.
bool IsLocalError(long os_errno);
// The metric label of a local error: "emfile", "enfile", "enobufs",
// "eaddrnotavail", "fork", "other".
std::string LocalErrorLabel(long os_errno);

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

// "timeout after 1s".
std::string TimeoutReason(const ProbeSpec& spec);

struct Verdict {
  bool ok = false;
  std::string reason;
  int http_status = 0;
  // Non-empty: the probe could not run for a reason on the prober's side
  // (see IsLocalError; the label for the metric). Such a verdict says nothing
  // about the target: the prober retries instead of recording it.
  std::string local_error;
  // TLS kinds: the leaf certificate's notAfter, when a handshake got that far
  // (also when verification refused it).
  std::optional<WallTime> cert_not_after;
  // Why it failed (kNone when ok): set here, by the transport that saw the
  // failure, never derived from `reason`.
  FailureClass failure = FailureClass::kNone;
};

// A failed verdict of class `failure`.
Verdict FailedVerdict(FailureClass failure, std::string reason, int http_status = 0);

// A verdict for a local shortage (`what`: "cannot open socket", …).
Verdict LocalFailure(const std::string& what, int os_errno);

// The HTTP judgement of one spec: its body regexes compiled once.
class ResponseJudge final {
 public:
  // `spec` must outlive the judge.
  explicit ResponseJudge(const ProbeSpec& spec);

  // The verdict on a complete HTTP response (status range, body regexes).
  Verdict Judge(int status, const std::string& body) const;
  // Whether a body regex needs the body's bytes.
  bool KeepsBody() const {
    return regexes_ != nullptr && (regexes_->body.has_value() || regexes_->body_not.has_value());
  }

 private:
  struct Regexes {
    std::optional<std::regex> body;
    std::optional<std::regex> body_not;
    std::string error;  // non-empty: the spec's regex does not compile
  };
  const ProbeSpec& spec_;
  // Only when the spec has a body regex: there is a judge per target, and
  // inline these are ~100 bytes each (10 MB at 100 000 targets).
  std::unique_ptr<const Regexes> regexes_;
};

}  // namespace registrar::probes

#include "probes/judge.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "probes/transports/http_response.h"

namespace registrar::probes {

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

FailureClass FailureClassOfErrno(long os_errno) {
  if (IsLocalError(os_errno)) return FailureClass::kLocalResource;
  switch (os_errno) {
    case ECONNREFUSED:
      return FailureClass::kRefused;
    case ECONNRESET:
    case EPIPE:
      return FailureClass::kReset;
    case EHOSTUNREACH:
    case ENETUNREACH:
      return FailureClass::kUnreachable;
    case ETIMEDOUT:
      return FailureClass::kTimeout;
    default:
      return FailureClass::kOther;
  }
}

bool IsLocalError(long os_errno) {
  return os_errno == EMFILE || os_errno == ENFILE || os_errno == ENOBUFS ||
         os_errno == EADDRNOTAVAIL || os_errno == ENOMEM;
}

std::string LocalErrorLabel(long os_errno) {
  switch (os_errno) {
    case EMFILE:
      return "emfile";
    case ENFILE:
      return "enfile";
    case ENOBUFS:
      return "enobufs";
    case EADDRNOTAVAIL:
      return "eaddrnotavail";
    case ENOMEM:
      return "enomem";
    case EAGAIN:
      return "fork";
    default:
      return "other";
  }
}

Verdict FailedVerdict(FailureClass failure, std::string reason, int http_status) {
  Verdict v;
  v.reason = std::move(reason);
  v.http_status = http_status;
  v.failure = failure;
  return v;
}

Verdict LocalFailure(const std::string& what, int os_errno) {
  Verdict v = FailedVerdict(FailureClass::kLocalResource, what + ": " + std::strerror(os_errno));
  v.local_error = LocalErrorLabel(os_errno);
  return v;
}

const std::string& ProbeHost(const Target& t) {
  switch (t.probe.kind) {
    case ProbeKind::kTcpSocket:
      return t.probe.tcp_socket.host.empty() ? t.host : t.probe.tcp_socket.host;
    case ProbeKind::kTlsSocket:
      return t.probe.tls_socket.host.empty() ? t.host : t.probe.tls_socket.host;
    case ProbeKind::kHttpGet:
      return t.probe.http_get.host.empty() ? t.host : t.probe.http_get.host;
    case ProbeKind::kGrpc:
    case ProbeKind::kExec:
      break;
  }
  return t.host;
}

int ProbePort(const Target& t) {
  switch (t.probe.kind) {
    case ProbeKind::kTcpSocket:
      return t.probe.tcp_socket.port.value_or(t.port);
    case ProbeKind::kTlsSocket:
      return t.probe.tls_socket.port.value_or(t.port);
    case ProbeKind::kGrpc:
      return t.probe.grpc.port.value_or(t.port);
    case ProbeKind::kHttpGet:
      return t.probe.http_get.port.value_or(t.port);
    case ProbeKind::kExec:
      break;
  }
  return t.port;
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

std::string TimeoutReason(const ProbeSpec& spec) {
  return "timeout after " + FormatDuration(spec.timeout);
}

ResponseJudge::ResponseJudge(const ProbeSpec& spec) : spec_(spec) {
  if (spec.kind != ProbeKind::kHttpGet) return;
  const auto& http = spec.http_get;
  if (http.body_regex.empty() && http.body_not_regex.empty()) return;
  auto regexes = std::make_unique<Regexes>();
  try {
    if (!http.body_regex.empty()) regexes->body.emplace(http.body_regex, std::regex::ECMAScript);
    if (!http.body_not_regex.empty()) {
      regexes->body_not.emplace(http.body_not_regex, std::regex::ECMAScript);
    }
  } catch (const std::regex_error& e) {
    regexes->error = e.what();
  }
  regexes_ = std::move(regexes);
}

Verdict ResponseJudge::Judge(int status, const std::string& body) const {
  const auto& http = spec_.http_get;
  Verdict v = FailedVerdict(FailureClass::kHttpStatus, "status " + std::to_string(status), status);
  bool status_ok = false;
  if (http.expected_statuses.empty()) {
    status_ok = status >= 200 && status <= 399;
  } else {
    for (const auto& range : http.expected_statuses) {
      if (status >= range.from && status <= range.to) status_ok = true;
    }
  }
  if (!status_ok) return v;
  const char* body_failure = nullptr;
  if (regexes_ != nullptr) {
    if (!regexes_->error.empty()) {
      body_failure = "invalid body regex";
    } else if (regexes_->body && !std::regex_search(body, *regexes_->body)) {
      body_failure = "body did not match";
    } else if (regexes_->body_not && std::regex_search(body, *regexes_->body_not)) {
      body_failure = "body matched forbidden regex";
    }
  }
  if (body_failure != nullptr) {
    v.reason = body_failure;
    v.failure = FailureClass::kBody;
    return v;
  }
  v.ok = true;
  v.failure = FailureClass::kNone;
  return v;
}

}  // namespace registrar::probes

#include "config/probe.h"

#include <regex>

#include "config/keys.h"
#include "config/values.h"

namespace registrar::config::internal {
namespace {

using probes::ProbeSpec;

constexpr std::string_view kPortRange = "an integer 1-65535";

void ApplyHost(const MapReader& m, std::string* host, Errors& errors) {
  if (auto f = m.Get("host")) {
    if (auto v = ReadString(*f, errors)) {
      if (IsValidHost(*v)) {
        *host = *v;
      } else {
        errors.Add(f->mark, f->path, "expected a host name or IP address, got " + Quote(*v));
      }
    }
  }
}

void ApplyPort(const MapReader& m, std::string_view block, std::optional<int>* port,
               Errors& errors) {
  if (auto f = m.Get("port")) {
    // A Kubernetes named port ("http") names one of the container's ports;
    // here there is no container to ask. Say so rather than only "integer".
    if (f->node.IsScalar() && !f->node.Scalar().empty() &&
        f->node.Scalar().find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") ==
            std::string::npos &&
        f->node.Scalar().find_first_of("abcdefghijklmnopqrstuvwxyz") != std::string::npos) {
      errors.Add(f->mark, f->path,
                 std::string("expected ") + std::string(kPortRange) + ", got the named port " +
                     Quote(f->node.Scalar()) +
                     " (Kubernetes looks names up in the container's ports; write the number, "
                     "or leave port out to probe the endpoint's own port)");
      return;
    }
    if (auto v = ReadInt(*f, errors, KeyAt(block, "port"), kPortRange))
      *port = static_cast<int>(*v);
  }
}

void ApplyTls(const Field& field, probes::TlsOptions* tls, Errors& errors,
              const std::string& base_dir) {
  MapReader m(field, errors, KeyNames("probe.tls"));
  if (!m.valid()) return;
  auto file = [&](std::string_view key, std::string* out) {
    if (auto f = m.Get(key)) {
      if (auto v = ReadPath(*f, errors, base_dir, /*must_be_readable=*/true)) *out = *v;
    }
  };
  file("caFile", &tls->ca_file);
  file("certFile", &tls->cert_file);
  file("keyFile", &tls->key_file);
  if (auto f = m.Get("serverName")) {
    if (auto v = ReadString(*f, errors)) tls->server_name = *v;
  }
  if (auto f = m.Get("insecureSkipVerify")) {
    if (auto v = ReadBool(*f, errors)) tls->insecure_skip_verify = *v;
  }
  if (m.Has("certFile") != m.Has("keyFile")) {
    m.Missing(m.Has("certFile") ? "keyFile" : "certFile", "certFile and keyFile go together");
  }
}

// "200", 200 or "200-299" → a range of codes within 100-599.
std::optional<probes::StatusRange> ParseStatusRange(const Field& f, Errors& errors) {
  auto fail = [&] {
    errors.Add(
        f.mark, f.path,
        "expected a status code 100-599 or a range like \"200-299\", got " + Describe(f.node));
    return std::nullopt;
  };
  if (!f.node.IsDefined() || !f.node.IsScalar()) return fail();
  const std::string& s = f.node.Scalar();
  size_t dash = s.find('-', 1);
  std::optional<int64_t> from = ParseInt(s.substr(0, dash));
  std::optional<int64_t> to = dash == std::string::npos ? from : ParseInt(s.substr(dash + 1));
  if (!from || !to || *from < 100 || *to > 599 || *from > *to) return fail();
  return probes::StatusRange{static_cast<int>(*from), static_cast<int>(*to)};
}

void CheckRegex(const Field& f, const std::string& pattern, Errors& errors) {
  try {
    std::regex re(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    errors.Add(
        f.mark, f.path,
        "expected a regular expression (ECMAScript), got " + Quote(pattern) + ": " + e.what());
  }
}

void ApplyHttpGet(const Field& field, probes::HttpGetAction* a, Errors& errors,
                  const std::string& base_dir) {
  MapReader m(field, errors, KeyNames("probe.httpGet"));
  if (!m.valid()) return;
  if (auto f = m.Get("scheme")) {
    if (auto v = ReadChoice(*f, errors, KeyAt("probe.httpGet", "scheme"))) a->scheme = *v;
  }
  ApplyHost(m, &a->host, errors);
  ApplyPort(m, "probe.httpGet", &a->port, errors);
  if (auto f = m.Get("path")) {
    if (auto v = ReadString(*f, errors)) {
      if (!v->empty() && (*v)[0] == '/' && v->find_first_of(" \t\r\n") == std::string::npos) {
        a->path = *v;
      } else {
        errors.Add(f->mark, f->path, "expected a path starting with \"/\", got " + Quote(*v));
      }
    }
  }
  if (auto f = m.Get("method")) {
    if (auto v = ReadChoice(*f, errors, KeyAt("probe.httpGet", "method"))) a->method = *v;
  }
  if (auto f = m.Get("httpHeaders")) {
    if (auto items = ReadList(*f, errors)) {
      std::vector<probes::HttpHeader> headers;
      for (const Field& item : *items) {
        MapReader h(item, errors, KeyNames("probe.httpGet.httpHeaders"));
        if (!h.valid()) continue;
        probes::HttpHeader header;
        if (auto name = h.Get("name")) {
          if (auto v = ReadString(*name, errors)) {
            if (IsHeaderName(*v)) {
              header.name = *v;
            } else {
              errors.Add(name->mark, name->path, "expected an HTTP header name, got " + Quote(*v));
            }
          }
        } else {
          h.Missing("name");
        }
        if (auto value = h.Get("value")) {
          if (auto v = ReadString(*value, errors)) {
            if (v->find_first_of("\r\n") == std::string::npos) {
              header.value = *v;
            } else {
              errors.Add(value->mark, value->path, "expected a header value on one line");
            }
          }
        }
        headers.push_back(std::move(header));
      }
      a->http_headers = std::move(headers);
    }
  }
  if (auto f = m.Get("expectedStatuses")) {
    if (auto items = ReadList(*f, errors)) {
      std::vector<probes::StatusRange> ranges;
      for (const Field& item : *items) {
        if (auto r = ParseStatusRange(item, errors)) ranges.push_back(*r);
      }
      if (items->empty()) {
        errors.Add(f->mark, f->path, "expected at least one status code or range");
      }
      a->expected_statuses = std::move(ranges);
    }
  }
  for (auto [key, out] :
       {std::pair{"bodyRegex", &a->body_regex}, std::pair{"bodyNotRegex", &a->body_not_regex}}) {
    if (auto f = m.Get(key)) {
      if (auto v = ReadString(*f, errors)) {
        CheckRegex(*f, *v, errors);
        *out = *v;
      }
    }
  }
  if (auto f = m.Get("maxBodyBytes")) {
    if (auto v = ReadInt(*f, errors, KeyAt("probe.httpGet", "maxBodyBytes"),
                         "an integer 1-1073741824")) {
      a->max_body_bytes = *v;
    }
  }
  if (auto f = m.Get("followRedirects")) {
    if (auto v = ReadBool(*f, errors)) a->follow_redirects = *v;
  }
  if (auto f = m.Get("maxRedirects")) {
    if (auto v = ReadInt(*f, errors, KeyAt("probe.httpGet", "maxRedirects"), "an integer 0-100")) {
      a->max_redirects = static_cast<int>(*v);
    }
  }
  if (auto f = m.Get("tls")) ApplyTls(*f, &a->tls, errors, base_dir);
}

void ApplyTcpSocket(const Field& field, probes::TcpSocketAction* a, Errors& errors) {
  MapReader m(field, errors, KeyNames("probe.tcpSocket"));
  if (!m.valid()) return;
  ApplyHost(m, &a->host, errors);
  ApplyPort(m, "probe.tcpSocket", &a->port, errors);
}

void ApplyGrpc(const Field& field, probes::GrpcAction* a, Errors& errors,
               const std::string& base_dir) {
  MapReader m(field, errors, KeyNames("probe.grpc"));
  if (!m.valid()) return;
  ApplyPort(m, "probe.grpc", &a->port, errors);
  if (auto f = m.Get("service")) {
    if (auto v = ReadString(*f, errors)) a->service = *v;
  }
  if (auto f = m.Get("authority")) {
    if (auto v = ReadString(*f, errors)) {
      if (v->find_first_of(" \t\r\n/") == std::string::npos) {
        a->authority = *v;
      } else {
        errors.Add(f->mark, f->path, "expected host or host:port, got " + Quote(*v));
      }
    }
  }
  if (auto f = m.Get("tls")) {
    a->tls = true;
    // `tls: {}` and `tls:` (null) both mean TLS with the defaults.
    if (!f->node.IsNull()) ApplyTls(*f, &a->tls_options, errors, base_dir);
  }
}

void ApplyTlsSocket(const Field& field, probes::TlsSocketAction* a, Errors& errors,
                    const std::string& base_dir) {
  MapReader m(field, errors, KeyNames("probe.tlsSocket"));
  if (!m.valid()) return;
  ApplyHost(m, &a->host, errors);
  ApplyPort(m, "probe.tlsSocket", &a->port, errors);
  if (auto f = m.Get("tls")) ApplyTls(*f, &a->tls, errors, base_dir);
}

// exec: {command: [argv...]}; only with probes.allowExec (see ParseProbesBlock).
void ApplyExec(const Field& field, probes::ExecAction* a, bool allow_exec, Errors& errors) {
  MapReader m(field, errors, KeyNames("probe.exec"));
  if (!m.valid()) return;
  if (!allow_exec) {
    errors.Add(field.mark, field.path,
               "exec probes are off: they run commands as the registrar's user, so set "
               "probes.allowExec: true to allow them");
    return;
  }
  auto f = m.Get("command");
  if (!f) {
    m.Missing("command", "expected the command to run, e.g. [pg_isready, -h, $(TARGET_HOST)]");
    return;
  }
  auto items = ReadStringList(*f, errors);
  if (!items) return;
  if (items->empty()) {
    errors.Add(f->mark, f->path, "expected a non-empty list (the command and its arguments)");
    return;
  }
  a->command.clear();
  for (const auto& item : *items) {
    if (auto v = ReadString(item, errors)) a->command.push_back(*v);
  }
  if (!a->command.empty() && a->command[0].empty()) {
    errors.Add(f->mark, f->path, "expected a command name, got an empty string");
  }
}

// The probe's action: at most one of the kind keys; sets `spec->kind` and
// returns true when the block has one. `keep` says which action the spec
// already holds from defaults (merged under, not reset).
bool ApplyAction(const MapReader& m, ProbeSpec* spec, const ProbeDefaults* keep, bool allow_exec,
                 Errors& errors, const std::string& base_dir) {
  static constexpr std::string_view kKinds[] = {"httpGet", "tcpSocket", "exec", "grpc",
                                                "tlsSocket"};
  std::vector<std::string_view> present;
  for (auto k : kKinds) {
    if (m.Has(k)) present.push_back(k);
  }
  if (present.size() > 1) {
    errors.Add(m.mark(), m.path(),
               std::string(keep == nullptr ? "expected at most one" : "expected exactly one") +
                   " of httpGet, tcpSocket, exec, grpc or tlsSocket, got " +
                   std::string(present[0]) + " and " + std::string(present[1]));
    return true;  // reported; not "missing"
  }
  if (present.empty()) return false;
  const Field f = *m.Get(present[0]);
  if (present[0] == "httpGet") {
    if (keep != nullptr && !keep->has_http_get) spec->http_get = probes::HttpGetAction{};
    spec->kind = probes::ProbeKind::kHttpGet;
    ApplyHttpGet(f, &spec->http_get, errors, base_dir);
  } else if (present[0] == "tcpSocket") {
    if (keep != nullptr && !keep->has_tcp_socket) spec->tcp_socket = probes::TcpSocketAction{};
    spec->kind = probes::ProbeKind::kTcpSocket;
    ApplyTcpSocket(f, &spec->tcp_socket, errors);
  } else if (present[0] == "exec") {
    if (keep != nullptr && !keep->has_exec) spec->exec = probes::ExecAction{};
    spec->kind = probes::ProbeKind::kExec;
    ApplyExec(f, &spec->exec, allow_exec, errors);
  } else if (present[0] == "grpc") {
    if (keep != nullptr && !keep->has_grpc) spec->grpc = probes::GrpcAction{};
    spec->kind = probes::ProbeKind::kGrpc;
    ApplyGrpc(f, &spec->grpc, errors, base_dir);
  } else {
    if (keep != nullptr && !keep->has_tls_socket) spec->tls_socket = probes::TlsSocketAction{};
    spec->kind = probes::ProbeKind::kTlsSocket;
    ApplyTlsSocket(f, &spec->tls_socket, errors, base_dir);
  }
  return true;
}

// The timing, threshold and connection fields shared by defaults and probes.
void ApplyCommonFields(const MapReader& m, ProbeSpec* spec, Errors& errors) {
  if (auto f = m.Get("initialDelaySeconds")) {
    if (auto v = ReadSeconds(*f, errors, /*allow_zero=*/true)) spec->initial_delay = *v;
  }
  if (auto f = m.Get("periodSeconds")) {
    if (auto v = ReadSeconds(*f, errors, /*allow_zero=*/false)) spec->period = *v;
  }
  if (auto f = m.Get("timeoutSeconds")) {
    if (auto v = ReadSeconds(*f, errors, /*allow_zero=*/false)) spec->timeout = *v;
  }
  if (auto f = m.Get("terminationGracePeriodSeconds")) {  // Kubernetes' own; checked, unused
    (void)ReadInt(*f, errors, KeyAt("probe", "terminationGracePeriodSeconds"), "an integer >= 1");
  }
  constexpr std::string_view kThreshold = "an integer >= 1";
  if (auto f = m.Get("successThreshold")) {
    if (auto v = ReadInt(*f, errors, KeyAt("probe", "successThreshold"), kThreshold)) {
      spec->success_threshold = static_cast<int>(*v);
    }
  }
  if (auto f = m.Get("failureThreshold")) {
    if (auto v = ReadInt(*f, errors, KeyAt("probe", "failureThreshold"), kThreshold)) {
      spec->failure_threshold = static_cast<int>(*v);
    }
  }
  if (auto f = m.Get("reuseConnections")) {
    if (auto v = ReadBool(*f, errors)) spec->reuse_connections = *v;
  }
  if (auto f = m.Get("minCertValidity")) {
    if (auto v = ReadDuration(*f, errors)) spec->min_cert_validity = *v;
  }
}

}  // namespace

ProbesBlock ParseProbesBlock(const std::optional<Field>& probes, Errors& errors) {
  ProbesBlock result;
  if (!probes) return result;
  MapReader m(*probes, errors, KeyNames("probes"));
  if (!m.valid()) return result;
  if (auto f = m.Get("allowExec")) {
    if (auto v = ReadBool(*f, errors)) result.allow_exec = *v;
  }
  if (auto f = m.Get("dnsMinTTL")) {
    if (auto v = ReadDuration(*f, errors)) result.dns_min_ttl = *v;
  }
  if (auto f = m.Get("dnsServers")) {
    if (auto items = ReadStringList(*f, errors)) {
      for (const Field& item : *items) {
        const std::string& text = item.node.Scalar();
        if (!IsDnsServer(text)) {
          errors.Add(item.mark, item.path,
                     "expected an IP address and port (\"10.0.0.2:53\", \"[::1]:53\"), got " +
                         Quote(text));
        }
        result.dns_servers.push_back(text);
      }
    }
  }
  return result;
}

ProbeDefaults ParseProbeDefaults(const std::optional<Field>& defaults, Errors& errors,
                                 const std::string& base_dir, bool allow_exec) {
  ProbeDefaults result;
  result.allow_exec = allow_exec;
  if (!defaults) return result;
  MapReader m(*defaults, errors, KeyNames("probe"));
  if (!m.valid()) return result;
  ApplyCommonFields(m, &result.spec, errors);
  if (ApplyAction(m, &result.spec, nullptr, allow_exec, errors, base_dir)) {
    using probes::ProbeKind;
    result.has_http_get = result.spec.kind == ProbeKind::kHttpGet && m.Has("httpGet");
    result.has_tcp_socket = result.spec.kind == ProbeKind::kTcpSocket && m.Has("tcpSocket");
    result.has_exec = result.spec.kind == ProbeKind::kExec && m.Has("exec");
    result.has_grpc = result.spec.kind == ProbeKind::kGrpc && m.Has("grpc");
    result.has_tls_socket = result.spec.kind == ProbeKind::kTlsSocket && m.Has("tlsSocket");
  }
  return result;
}

std::optional<ProbeSpec> ParseServiceProbe(const std::optional<Field>& probe,
                                           const MapReader& service, const ProbeDefaults& defaults,
                                           Errors& errors, const std::string& base_dir) {
  ProbeSpec spec = defaults.spec;
  bool has_default_action = defaults.has_http_get || defaults.has_tcp_socket || defaults.has_exec ||
                            defaults.has_grpc || defaults.has_tls_socket;
  if (!probe) {
    if (has_default_action) return spec;
    service.Missing(
        "probe",
        "expected a probe with httpGet, tcpSocket, exec, grpc or tlsSocket (or one under "
        "defaults)");
    return std::nullopt;
  }
  size_t errors_before = errors.size();
  MapReader m(*probe, errors, KeyNames("probe"));
  if (!m.valid()) return std::nullopt;
  ApplyCommonFields(m, &spec, errors);
  if (!ApplyAction(m, &spec, &defaults, defaults.allow_exec, errors, base_dir) &&
      !has_default_action) {
    errors.Add(m.mark(), m.path(),
               "expected exactly one of httpGet, tcpSocket, exec, grpc or tlsSocket (or one under "
               "defaults), got none");
  }
  // A timeout at or above the period is allowed, as kubelet allows it: a
  // probe never overlaps itself, the next starts when it ends (probes/schedule.h).
  if (errors.size() != errors_before) return std::nullopt;
  return spec;
}

}  // namespace registrar::config::internal

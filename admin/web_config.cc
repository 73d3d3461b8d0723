#include "admin/web_config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/utf8.h"
#include "common/yaml_document.h"

namespace registrar::admin {
namespace {

std::string Where(const std::string& source, const YAML::Node& node) {
  return absl::StrCat(source, ":", node.Mark().line + 1);
}

absl::StatusOr<std::string> ReadFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(what, ": cannot read \"", path, "\""));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return absl::StrCat(base_dir, "/", path);
}

absl::StatusOr<ClientAuth> ParseClientAuth(const std::string& v) {
  if (v.empty() || v == "NoClientCert") return ClientAuth::kNone;
  if (v == "RequestClientCert") return ClientAuth::kRequest;
  if (v == "RequireAnyClientCert") return ClientAuth::kRequireAny;
  if (v == "VerifyClientCertIfGiven") return ClientAuth::kVerifyIfGiven;
  if (v == "RequireAndVerifyClientCert") return ClientAuth::kRequireAndVerify;
  return absl::InvalidArgumentError(absl::StrCat(
      "client_auth_type: expected NoClientCert, RequestClientCert, RequireAnyClientCert, "
      "VerifyClientCertIfGiven or RequireAndVerifyClientCert (got \"",
      CutForLog(v, 64), "\")"));
}

absl::Status ParseTls(const YAML::Node& tls, const std::string& base_dir, const std::string& source,
                      WebConfig* out) {
  if (!tls.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(source, tls), ": tls_server_config: expected a map"));
  }
  std::string cert, key, ca, auth, min_version;
  for (const auto& kv : tls) {
    const std::string k = kv.first.as<std::string>();
    const std::string at = Where(source, kv.first);
    if (!kv.second.IsScalar())
      return absl::InvalidArgumentError(absl::StrCat(at, ": ", k, ": expected a string"));
    const std::string v = kv.second.as<std::string>();
    if (k == "cert_file") {
      cert = v;
    } else if (k == "key_file") {
      key = v;
    } else if (k == "client_ca_file") {
      ca = v;
    } else if (k == "client_auth_type") {
      auth = v;
    } else if (k == "min_version") {
      min_version = v;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ": tls_server_config: unknown field \"", CutForLog(k, 64),
                       "\" (cert_file, key_file, client_ca_file, client_auth_type, min_version)"));
    }
  }
  const std::string at = Where(source, tls);
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(at, ": tls_server_config: cert_file and key_file go together"));
  }
  if (cert.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(at, ": tls_server_config: cert_file and key_file are required"));
  }
  auto client_auth = ParseClientAuth(auth);
  if (!client_auth.ok())
    return absl::InvalidArgumentError(absl::StrCat(at, ": ", client_auth.status().message()));
  out->client_auth = *client_auth;
  if (min_version.empty() || min_version == "TLS12") {
    out->tls13_only = false;
  } else if (min_version == "TLS13") {
    out->tls13_only = true;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(at, ": min_version: expected TLS12 or TLS13"));
  }
  if (out->client_auth != ClientAuth::kNone && ca.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(at, ": tls_server_config: client_auth_type ", auth, " needs client_ca_file"));
  }
  for (auto [path, dest, what] :
       {std::tuple{cert, &out->cert_pem, "cert_file"}, std::tuple{key, &out->key_pem, "key_file"},
        std::tuple{ca, &out->client_ca_pem, "client_ca_file"}}) {
    if (path.empty()) continue;
    auto text = ReadFile(Resolve(base_dir, path), absl::StrCat(at, ": ", what));
    if (!text.ok()) return text.status();
    if (!absl::StrContains(*text, "-----BEGIN ")) {
      return absl::InvalidArgumentError(absl::StrCat(at, ": ", what, " \"", path, "\" is not PEM"));
    }
    *dest = std::move(*text);
  }
  out->tls = true;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<WebConfig> ParseWebConfig(const std::string& yaml, const std::string& base_dir,
                                         const std::string& source) {
  WebConfig out;
  try {
    const YamlDocument document = ReadYamlDocument(yaml);
    if (document.error) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", document.error->mark.line + 1, ": ", document.error->message));
    }
    if (document.documents > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", document.second.line + 1, ": expected one YAML document"));
    }
    const YAML::Node& root = document.root;
    if (root.IsNull()) return out;
    if (!root.IsMap())
      return absl::InvalidArgumentError(absl::StrCat(source, ":1: expected a map"));
    for (const auto& kv : root) {
      const std::string k = kv.first.as<std::string>();
      const std::string at = Where(source, kv.first);
      if (k == "tls_server_config") {
        if (absl::Status s = ParseTls(kv.second, base_dir, source, &out); !s.ok()) return s;
      } else if (k == "basic_auth_users") {
        if (kv.second.IsNull()) continue;
        if (!kv.second.IsMap())
          return absl::InvalidArgumentError(
              absl::StrCat(at, ": basic_auth_users: expected a map of user: bcrypt hash"));
        for (const auto& user : kv.second) {
          const std::string name = user.first.as<std::string>();
          const std::string hash = user.second.IsScalar() ? user.second.as<std::string>() : "";
          if (!(absl::StartsWith(hash, "$2a$") || absl::StartsWith(hash, "$2b$") ||
                absl::StartsWith(hash, "$2y$")) ||
              hash.size() != 60) {
            return absl::InvalidArgumentError(
                absl::StrCat(Where(source, user.first), ": basic_auth_users: ", CutForLog(name, 64),
                             ": expected a bcrypt hash ($2y$..., 60 characters)"));
          }
          if (name.empty() || name.find(':') != std::string::npos) {
            return absl::InvalidArgumentError(
                absl::StrCat(Where(source, user.first),
                             ": basic_auth_users: a user name must be non-empty and hold no ':'"));
          }
          out.users[name] = hash;
        }
      } else if (k == "open_health_endpoints" || k == "enable_drain_api") {
        bool v = false;
        if (!kv.second.IsScalar() || !YAML::convert<bool>::decode(kv.second, v)) {
          return absl::InvalidArgumentError(absl::StrCat(at, ": ", k, ": expected true or false"));
        }
        (k == "open_health_endpoints" ? out.open_health_endpoints : out.enable_drain_api) = v;
      } else if (k == "http_server_config") {
        // exporter-toolkit's HTTP/2 and header options: accepted, not used.
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            at, ": unknown field \"", CutForLog(k, 64),
            "\" (tls_server_config, basic_auth_users, open_health_endpoints, enable_drain_api)"));
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ":", e.mark.line + 1, ": ", e.msg));
  }
  return out;
}

absl::StatusOr<WebConfig> LoadWebConfig(const std::string& path) {
  if (path.empty()) return WebConfig{};
  auto text = ReadFile(path, "web config");
  if (!text.ok()) return text.status();
  const size_t slash = path.rfind('/');
  return ParseWebConfig(*text, slash == std::string::npos ? "" : path.substr(0, slash), path);
}

}  // namespace registrar::admin

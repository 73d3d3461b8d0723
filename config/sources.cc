// Private to config/: a service's target sources (dnsSd, fileSd, httpSd) →
// sources::SourceSpec, checked offline (names, types, paths, URLs).
#include <algorithm>

#include "config/services.h"
#include "config/values.h"

namespace registrar::config::internal {
namespace {

using sources::SourceKind;
using sources::SourceSpec;

std::string Block(SourceKind kind) { return std::string("service.") + SourceKindName(kind); }

// refreshInterval, maxShrinkPercent and (fileSd/httpSd) the label names.
void ReadCommon(const MapReader& m, SourceSpec& spec, Errors& errors) {
  const std::string block = Block(spec.kind);
  if (auto f = m.Get("refreshInterval")) {
    if (auto v = ReadDuration(*f, errors)) {
      if (*v < std::chrono::seconds(1)) {
        errors.Add(f->mark, f->path, "expected at least 1s, got " + FormatDuration(*v));
      } else {
        spec.refresh_interval = *v;
      }
    }
  }
  if (auto f = m.Get("maxShrinkPercent")) {
    if (auto v =
            ReadInt(*f, errors, KeyAt(block, "maxShrinkPercent"), "an integer percentage 1-100")) {
      spec.max_shrink_percent = static_cast<int>(*v);
    }
  }
  if (spec.kind == SourceKind::kDnsSd) return;
  for (auto [key, out] : {std::pair{"weightLabel", &spec.weight_label},
                          std::pair{"serviceLabel", &spec.service_label}}) {
    if (auto f = m.Get(key)) {
      if (auto v = ReadString(*f, errors)) {
        if (v->empty()) {
          errors.Add(f->mark, f->path, "expected a label name, got \"\"");
        } else {
          *out = *v;
        }
      }
    }
  }
}

bool IsLookupName(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  // SRV names start with "_service._proto."; IsDnsDomain takes plain labels.
  std::string plain = name;
  std::replace(plain.begin(), plain.end(), '_', 'x');
  std::transform(plain.begin(), plain.end(), plain.begin(), ::tolower);
  return IsDnsDomain(plain);
}

void ReadDnsSd(const MapReader& m, SourceSpec& spec, Errors& errors) {
  if (auto f = m.Get("names")) {
    if (auto items = ReadStringList(*f, errors)) {
      if (items->empty()) errors.Add(f->mark, f->path, "expected at least one name");
      for (const Field& item : *items) {
        std::string name = item.node.Scalar();
        if (!IsLookupName(name)) {
          errors.Add(item.mark, item.path, "expected a DNS name, got " + Quote(name));
          continue;
        }
        if (name.back() == '.') name.pop_back();
        if (std::find(spec.dns.names.begin(), spec.dns.names.end(), name) != spec.dns.names.end()) {
          errors.Add(item.mark, item.path, "name " + Quote(name) + " listed twice");
          continue;
        }
        spec.dns.names.push_back(name);
      }
    }
  } else {
    m.Missing("names");
  }
  bool type_known = true;
  if (auto f = m.Get("type")) {
    auto v = ReadChoice(*f, errors, KeyAt("service.dnsSd", "type"));
    type_known = v.has_value();
    if (v) {
      spec.dns.type = *v == "A"      ? sources::DnsRecordType::kA
                      : *v == "AAAA" ? sources::DnsRecordType::kAaaa
                                     : sources::DnsRecordType::kSrv;
    }
  }
  auto port = m.Get("port");
  if (port) {
    if (auto v = ReadInt(*port, errors, KeyAt("service.dnsSd", "port"), "an integer 1-65535")) {
      spec.dns.port = static_cast<int>(*v);
    }
  }
  if (!type_known) {
    // The type's own error says enough.
  } else if (spec.dns.type == sources::DnsRecordType::kSrv && port) {
    errors.Add(port->mark, port->path, "SRV records carry their port: leave port out");
  } else if (spec.dns.type != sources::DnsRecordType::kSrv && !port) {
    m.Missing("port", std::string("type ") + DnsRecordTypeName(spec.dns.type) + " needs a port");
  }
  if (auto f = m.Get("timeout")) {
    if (auto v = ReadDuration(*f, errors)) spec.dns.timeout = *v;
  }
}

void ReadFileSd(const MapReader& m, SourceSpec& spec, const std::string& base_dir, Errors& errors) {
  auto f = m.Get("files");
  if (!f) {
    m.Missing("files");
    return;
  }
  auto items = ReadStringList(*f, errors);
  if (!items) return;
  if (items->empty()) errors.Add(f->mark, f->path, "expected at least one file");
  for (const Field& item : *items) {
    auto path = ReadPath(item, errors, base_dir, /*must_be_readable=*/false);
    if (!path) continue;
    const size_t slash = path->rfind('/');
    const std::string dir = path->substr(0, slash);
    const std::string file = path->substr(slash + 1);
    auto ends = [&](std::string_view suffix) {
      return file.size() >= suffix.size() &&
             file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (dir.find_first_of("*?[") != std::string::npos) {
      errors.Add(item.mark, item.path,
                 "globs are allowed in the file name only, got " + Quote(item.node.Scalar()));
    } else if (!ends(".json") && !ends(".yml") && !ends(".yaml")) {
      errors.Add(item.mark, item.path,
                 "expected a *.json, *.yml or *.yaml file, got " + Quote(item.node.Scalar()));
    } else {
      spec.file.files.push_back(*path);
    }
  }
}

void ReadHttpSd(const MapReader& m, SourceSpec& spec, const std::string& base_dir, Errors& errors) {
  sources::HttpSdSpec& http = spec.http;
  if (auto f = m.Get("url")) {
    if (auto v = ReadString(*f, errors)) {
      const bool scheme = v->rfind("http://", 0) == 0 || v->rfind("https://", 0) == 0;
      const size_t host = v->find("://") + 3;
      if (!scheme || v->size() <= host || v->find_first_of(" \t\r\n") != std::string::npos) {
        errors.Add(f->mark, f->path, "expected an http:// or https:// URL, got " + Quote(*v));
      } else {
        http.url = *v;
      }
    }
  } else {
    m.Missing("url");
  }
  if (auto f = m.Get("timeout")) {
    if (auto v = ReadDuration(*f, errors)) http.timeout = *v;
  }
  if (auto f = m.Get("maxBodyBytes")) {
    if (auto v = ReadInt(*f, errors, KeyAt("service.httpSd", "maxBodyBytes"),
                         "an integer number of bytes 1024-1073741824")) {
      http.max_body_bytes = *v;
    }
  }
  auto path = [&](const MapReader& r, std::string_view key, std::string& out) {
    if (auto f = r.Get(key)) {
      if (auto v = ReadPath(*f, errors, base_dir, /*must_be_readable=*/true)) out = *v;
    }
  };
  if (auto f = m.Get("tls")) {
    MapReader tls(*f, errors, KeyNames("service.httpSd.tls"));
    if (tls.valid()) {
      path(tls, "caFile", http.ca_file);
      path(tls, "certFile", http.cert_file);
      path(tls, "keyFile", http.key_file);
      if (http.cert_file.empty() != http.key_file.empty()) {
        errors.Add(f->mark, f->path, "certFile and keyFile go together");
      }
      if (auto s = tls.Get("serverName")) {
        if (auto v = ReadString(*s, errors)) http.server_name = *v;
      }
      if (auto s = tls.Get("insecureSkipVerify")) {
        if (auto v = ReadBool(*s, errors)) http.insecure_skip_verify = *v;
      }
    }
  }
  auto basic = m.Get("basicAuth");
  auto authorization = m.Get("authorization");
  if (basic && authorization) {
    errors.Add(authorization->mark, authorization->path,
               "basicAuth and authorization exclude each other");
  }
  if (basic) {
    MapReader b(*basic, errors, KeyNames("service.httpSd.basicAuth"));
    if (b.valid()) {
      if (auto f = b.Get("username")) {
        if (auto v = ReadString(*f, errors)) http.basic_auth_username = *v;
      } else {
        b.Missing("username");
      }
      if (b.Has("passwordFile")) {
        path(b, "passwordFile", http.basic_auth_password_file);
      } else {
        b.Missing("passwordFile");
      }
    }
  }
  if (authorization) {
    MapReader a(*authorization, errors, KeyNames("service.httpSd.authorization"));
    if (a.valid()) {
      http.authorization_type = "Bearer";
      if (auto f = a.Get("type")) {
        if (auto v = ReadString(*f, errors)) http.authorization_type = *v;
      }
      if (a.Has("credentialsFile")) {
        path(a, "credentialsFile", http.authorization_credentials_file);
      } else {
        a.Missing("credentialsFile");
      }
    }
  }
}

}  // namespace

std::vector<SourceSpec> ParseSources(const MapReader& m, const std::string& service,
                                     const std::string& base_dir, Errors& errors) {
  std::vector<SourceSpec> out;
  for (SourceKind kind : {SourceKind::kDnsSd, SourceKind::kFileSd, SourceKind::kHttpSd}) {
    auto f = m.Get(SourceKindName(kind));
    if (!f) continue;
    MapReader r(*f, errors, KeyNames(Block(kind)));
    if (!r.valid()) continue;
    SourceSpec spec;
    spec.kind = kind;
    spec.service = service;
    spec.refresh_interval = kind == SourceKind::kDnsSd    ? std::chrono::seconds(30)
                            : kind == SourceKind::kFileSd ? std::chrono::minutes(5)
                                                          : std::chrono::minutes(1);
    ReadCommon(r, spec, errors);
    if (kind == SourceKind::kDnsSd) ReadDnsSd(r, spec, errors);
    if (kind == SourceKind::kFileSd) ReadFileSd(r, spec, base_dir, errors);
    if (kind == SourceKind::kHttpSd) ReadHttpSd(r, spec, base_dir, errors);
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace registrar::config::internal

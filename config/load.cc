// LoadConfig: the top-level sections, overrides, and the assembly of Config.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/yaml_document.h"
#include "config/config.h"
#include "config/keys.h"
#include "config/layout.h"
#include "config/probe.h"
#include "config/reader.h"
#include "config/services.h"
#include "config/values.h"

namespace registrar::config {
namespace {

using internal::Errors;
using internal::Field;
using internal::MapReader;
using internal::Quote;

constexpr char kEtcdEndpointExpected[] = "expected host:port or http(s)://host:port, got ";
constexpr char kListenExpected[] = "expected [host]:port (host may be empty), got ";
constexpr char kPrefixExpected[] = "expected a key prefix that starts and ends with \"/\", got ";
constexpr Duration kMinLeaseTtl = std::chrono::seconds(2);

bool IsKeyPrefix(const std::string& s) {
  return s.size() >= 1 && s.front() == '/' && s.back() == '/';
}

// "etcd raises TTLs below its minimum silently, and TTLs are whole seconds".
std::optional<std::string> LeaseTtlProblem(Duration ttl) {
  if (ttl < kMinLeaseTtl) {
    return "expected at least 2s (etcd silently raises shorter lease TTLs), got " +
           FormatDuration(ttl);
  }
  if (ttl % std::chrono::seconds(1) != Duration::zero()) {
    return "expected whole seconds (etcd lease TTLs are in seconds), got " + FormatDuration(ttl);
  }
  return std::nullopt;
}

std::optional<internal::HostPort> ParseListen(const std::string& text) {
  std::optional<internal::HostPort> hp = internal::ParseHostPort(text, /*allow_empty_host=*/true);
  if (hp && hp->host.empty()) hp->host = "0.0.0.0";
  return hp;
}

void ParseEtcd(const std::optional<Field>& field, EtcdConfig* etcd, Errors& errors,
               const std::string& base_dir) {
  if (!field) {
    errors.Add(YAML::Mark(), "etcd.endpoints",
               "missing required field (or set --etcd-endpoints / REGISTRAR_ETCD_ENDPOINTS)");
    return;
  }
  MapReader m(*field, errors, KeyNames("etcd"));
  if (!m.valid()) return;
  if (auto f = m.Get("endpoints")) {
    if (auto items = internal::ReadStringList(*f, errors)) {
      for (const Field& item : *items) {
        const std::string& text = item.node.Scalar();
        if (!internal::IsValidEtcdEndpoint(text)) {
          errors.Add(item.mark, item.path, kEtcdEndpointExpected + Quote(text));
        }
        etcd->endpoints.push_back(text);
      }
      if (items->empty()) {
        errors.Add(f->mark, f->path, "expected at least one endpoint");
      }
    }
  } else {
    m.Missing("endpoints", "or set --etcd-endpoints / REGISTRAR_ETCD_ENDPOINTS");
  }
  if (auto f = m.Get("dialTimeout")) {
    if (auto v = internal::ReadDuration(*f, errors)) etcd->dial_timeout = *v;
  }
  if (auto f = m.Get("username")) {
    if (auto v = internal::ReadString(*f, errors)) etcd->username = *v;
  }
  if (auto f = m.Get("maxRequestBytes")) {
    if (auto v = internal::ReadInt(*f, errors, KeyAt("etcd", "maxRequestBytes"),
                                   "an integer number of bytes 1024-2147483647")) {
      etcd->max_request_bytes = *v;
    }
  }
  if (auto f = m.Get("passwordFile")) {
    if (auto path = internal::ReadPath(*f, errors, base_dir, /*must_be_readable=*/false)) {
      std::string error;
      if (auto secret = internal::ReadWholeFile(*path, &error)) {
        // Files written by `echo` or editors end with a newline; passwords don't.
        while (!secret->empty() && (secret->back() == '\n' || secret->back() == '\r')) {
          secret->pop_back();
        }
        etcd->password = std::move(*secret);
        etcd->password_file = *path;
      } else {
        errors.Add(f->mark, f->path, error);
      }
    }
  }
  if (m.Has("passwordFile") && !m.Has("username")) {
    m.Missing("username", "passwordFile needs a username");
  } else if (m.Has("username") && !m.Has("passwordFile")) {
    m.Missing("passwordFile", "username needs a passwordFile");
  }
  if (auto f = m.Get("tls")) {
    MapReader t(*f, errors, KeyNames("etcd.tls"));
    if (t.valid()) {
      TlsFiles tls;
      for (auto [key, out] :
           {std::pair{"caFile", &tls.ca_file}, std::pair{"certFile", &tls.cert_file},
            std::pair{"keyFile", &tls.key_file}}) {
        if (auto tf = t.Get(key)) {
          if (auto v = internal::ReadPath(*tf, errors, base_dir, /*must_be_readable=*/true)) {
            *out = *v;
          }
        }
      }
      if (auto tf = t.Get("serverName")) {
        if (auto v = internal::ReadString(*tf, errors)) tls.server_name = *v;
      }
      if (t.Has("certFile") != t.Has("keyFile")) {
        t.Missing(t.Has("certFile") ? "keyFile" : "certFile", "certFile and keyFile go together");
      }
      etcd->tls = tls;
    }
  }
}

void ParseRegistration(const std::optional<Field>& field, controller::RegistrationOptions* reg,
                       Errors& errors) {
  if (!field) return;
  MapReader m(*field, errors, KeyNames("registration"));
  if (!m.valid()) return;
  for (auto [key, out] :
       {std::pair{"prefix", &reg->prefix}, std::pair{"skydnsPrefix", &reg->skydns_prefix}}) {
    if (auto f = m.Get(key)) {
      if (auto v = internal::ReadString(*f, errors)) {
        if (IsKeyPrefix(*v)) {
          *out = *v;
        } else {
          errors.Add(f->mark, f->path, kPrefixExpected + Quote(*v));
        }
      }
    }
  }
  if (auto f = m.Get("leaseTTL")) {
    if (auto v = internal::ReadDuration(*f, errors)) {
      if (auto problem = LeaseTtlProblem(*v)) {
        errors.Add(f->mark, f->path, *problem);
      } else {
        reg->lease_ttl = *v;
      }
    }
  }
  if (auto f = m.Get("resyncPeriod")) {
    if (auto v = internal::ReadDuration(*f, errors)) reg->resync_period = *v;
  }
  if (auto f = m.Get("ownsPrefix")) {
    if (auto v = internal::ReadBool(*f, errors)) reg->owns_prefix = *v;
  }
  internal::ParseLayoutPrefixes(m.Get("layoutPrefixes"), reg->layout_prefixes, errors);
}

// cluster: {name, coordinationPrefix, sessionTTL, handoverTimeout} (see
// controller::ClusterOptions; every field has a default).
void ParseCluster(const std::optional<Field>& field, controller::ClusterOptions* cluster,
                  Errors& errors) {
  if (!field) return;
  MapReader m(*field, errors, KeyNames("cluster"));
  if (!m.valid()) return;
  if (auto f = m.Get("name")) {
    if (auto v = internal::ReadString(*f, errors)) cluster->name = *v;
  }
  if (auto f = m.Get("coordinationPrefix")) {
    if (auto v = internal::ReadString(*f, errors)) {
      if (IsKeyPrefix(*v)) {
        cluster->coordination_prefix = *v;
      } else {
        errors.Add(f->mark, f->path, kPrefixExpected + Quote(*v));
      }
    }
  }
  if (auto f = m.Get("sessionTTL")) {
    if (auto v = internal::ReadDuration(*f, errors)) {
      if (auto problem = LeaseTtlProblem(*v)) {
        errors.Add(f->mark, f->path, *problem);
      } else {
        cluster->session_ttl = *v;
      }
    }
  }
  if (auto f = m.Get("handoverTimeout")) {
    if (auto v = internal::ReadDuration(*f, errors)) cluster->handover_timeout = *v;
  }
}

// The registration-wide default layouts (services may override them).
std::vector<controller::ValueFormat> ParseDefaultFormats(const std::optional<Field>& registration,
                                                         Errors& errors) {
  const std::vector<controller::ValueFormat> plain = {controller::ValueFormat::kPlain};
  if (!registration || !registration->node.IsMap()) return plain;
  YAML::Node node = registration->node["format"];
  if (!node) return plain;
  Field f{node, node.Mark(), registration->path + ".format"};
  return internal::ReadFormats(f, errors).value_or(plain);
}

void ParseServer(const std::optional<Field>& field, ServerConfig* server, Errors& errors) {
  if (!field) return;
  MapReader m(*field, errors, KeyNames("server"));
  if (!m.valid()) return;
  if (auto f = m.Get("webConfigFile")) {
    if (auto v = internal::ReadString(*f, errors)) server->web_config_file = *v;
  }
  if (auto f = m.Get("listen")) {
    if (auto v = internal::ReadString(*f, errors)) {
      if (auto hp = ParseListen(*v)) {
        server->listen = *v;
        server->host = hp->host;
        server->port = hp->port;
      } else {
        errors.Add(f->mark, f->path, kListenExpected + Quote(*v));
      }
    }
  }
}

void ParseLog(const std::optional<Field>& field, LogConfig* log, Errors& errors) {
  if (!field) return;
  MapReader m(*field, errors, KeyNames("log"));
  if (!m.valid()) return;
  if (auto f = m.Get("level")) {
    if (auto v = internal::ReadChoice(*f, errors, KeyAt("log", "level"))) log->level = *v;
  }
  if (auto f = m.Get("format")) {
    if (auto v = internal::ReadChoice(*f, errors, KeyAt("log", "format"))) log->format = *v;
  }
}

void ParseMetrics(const std::optional<Field>& field, MetricsConfig* metrics, Errors& errors) {
  if (!field) return;
  MapReader m(*field, errors, KeyNames("metrics"));
  if (!m.valid()) return;
  if (auto f = m.Get("perTargetSeries")) {
    if (auto v = internal::ReadChoice(*f, errors, KeyAt("metrics", "perTargetSeries"))) {
      metrics->per_target_series = *v == "always"  ? PerTargetSeries::kAlways
                                   : *v == "never" ? PerTargetSeries::kNever
                                                   : PerTargetSeries::kAuto;
    }
  }
}

// Command-line / environment values replace the file's before it is read, so
// they pass the same checks as the file's values (one validation path); a bad
// one is reported against its flag or variable. A section that is there but is
// not a mapping is left as it is (its own error says why).
void PlaceOverrides(const Overrides& o, YAML::Node& root, Errors& errors) {
  if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) return;
  auto place = [&](const std::optional<OverrideValue>& v, const char* section, const char* key,
                   const YAML::Node& value) {
    if (!v) return;
    YAML::Node parent = root[section];
    if (parent && !parent.IsNull() && !parent.IsMap()) return;
    const std::string path = std::string(section) + "." + key;
    if (parent && parent.IsMap() && parent[key]) {
      errors.Warn(parent[key].Mark(), path, "replaced by " + v->source);
    }
    parent[key] = value;
    errors.Attribute(path, v->source);
  };
  if (o.etcd_endpoints) {
    YAML::Node list(YAML::NodeType::Sequence);
    for (absl::string_view part : absl::StrSplit(o.etcd_endpoints->value, ',')) {
      std::string e(absl::StripAsciiWhitespace(part));
      if (!e.empty()) list.push_back(e);
    }
    place(o.etcd_endpoints, "etcd", "endpoints", list);
  }
  auto scalar = [](const std::optional<OverrideValue>& v) {
    return v ? YAML::Node(v->value) : YAML::Node();
  };
  place(o.listen, "server", "listen", scalar(o.listen));
  place(o.web_config_file, "server", "webConfigFile", scalar(o.web_config_file));
  place(o.prefix, "registration", "prefix", scalar(o.prefix));
  place(o.lease_ttl, "registration", "leaseTTL", scalar(o.lease_ttl));
  place(o.log_level, "log", "level", scalar(o.log_level));
  place(o.log_format, "log", "format", scalar(o.log_format));
}

// Overrides that are not config file keys.
void ApplyFlagOnlyOverrides(const Overrides& o, Config* config) {
  if (o.dry_run) config->registration.dry_run = *o.dry_run;
  if (o.member_id) config->registration.cluster.member_id = o.member_id->value;
}

// Command-line problems first, then the config file's in document order,
// then other files' (endpoints files).
std::vector<ConfigError> Ordered(std::vector<ConfigError> errors, const std::string& file) {
  auto rank = [&](const ConfigError& e) { return e.file.empty() ? 0 : e.file == file ? 1 : 2; };
  std::stable_sort(errors.begin(), errors.end(), [&](const ConfigError& a, const ConfigError& b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    if (rank(a) != 1) return false;
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return errors;
}

}  // namespace

LoadResult ParseConfig(const std::string& yaml, const std::string& display_name,
                       const std::string& base_dir, const Overrides& overrides) {
  Errors errors(display_name);
  LoadResult result;
  YamlDocument document = ReadYamlDocument(yaml);
  if (document.error) {
    errors.Add(document.error->mark, "", "invalid YAML: " + document.error->message);
    result.errors = errors.Take();
    return result;
  }
  if (document.documents > 1) {
    errors.Add(document.second, "",
               "expected one YAML document, got " + std::to_string(document.documents));
  }
  YAML::Node root = document.root;
  PlaceOverrides(overrides, root, errors);
  if (!internal::CheckExpandedSize(root, errors)) {
    result.errors = errors.Take();
    return result;
  }
  Config config;
  MapReader top(Field{root, YAML::Mark(), ""}, errors, KeyNames(""));
  if (top.valid()) {
    ParseEtcd(top.Get("etcd"), &config.etcd, errors, base_dir);
    ParseRegistration(top.Get("registration"), &config.registration, errors);
    ParseCluster(top.Get("cluster"), &config.registration.cluster, errors);
    ParseServer(top.Get("server"), &config.server, errors);
    ParseLog(top.Get("log"), &config.log, errors);
    ParseMetrics(top.Get("metrics"), &config.metrics, errors);
    internal::ProbesBlock probes = internal::ParseProbesBlock(top.Get("probes"), errors);
    config.probes.dns_min_ttl = probes.dns_min_ttl;
    config.probes.dns_servers = probes.dns_servers;
    internal::ProbeDefaults defaults =
        internal::ParseProbeDefaults(top.Get("defaults"), errors, base_dir, probes.allow_exec);
    internal::ServiceContext context{defaults, ParseDefaultFormats(top.Get("registration"), errors),
                                     config.registration, config.etcd.max_request_bytes, base_dir};
    config.services = internal::ParseServices(top.Get("services"), context, errors);
    for (ServiceConfig& service : config.services) {
      for (sources::SourceSpec& spec : service.sources)
        spec.dns.servers = config.probes.dns_servers;
    }
  }
  ApplyFlagOnlyOverrides(overrides, &config);
  result.warnings = errors.TakeWarnings();
  if (errors.empty()) {
    result.config = std::move(config);
  } else {
    result.errors = Ordered(errors.Take(), display_name);
  }
  return result;
}

LoadResult LoadConfigDetailed(const std::string& path, const Overrides& overrides) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) absolute = path;
  std::string error;
  std::optional<std::string> text = internal::ReadWholeFile(absolute.string(), &error);
  if (!text) {
    LoadResult result;
    result.errors.push_back(ConfigError{"", 0, 0, "", error});
    return result;
  }
  LoadResult result = ParseConfig(*text, path, absolute.parent_path().string(), overrides);
  if (result.config) result.config->source_path = absolute.string();
  return result;
}

absl::StatusOr<Config> LoadConfig(const std::string& path, const Overrides& overrides) {
  LoadResult result = LoadConfigDetailed(path, overrides);
  if (result.config) return std::move(*result.config);
  std::vector<std::string> lines;
  for (const ConfigError& e : result.errors) lines.push_back(e.ToString());
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

}  // namespace registrar::config

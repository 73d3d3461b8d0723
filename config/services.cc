#include "config/services.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include "config/keys.h"
#include "config/layout.h"
#include "config/values.h"
#include "registration/keys.h"

namespace registrar::config::internal {
namespace {

using controller::ValueFormat;

constexpr char kEndpointExpected[] = "expected host:port (IPv6 as [address]:port), got ";

std::optional<std::map<std::string, std::string>> ReadMetadata(const Field& f, Errors& errors) {
  if (!f.node.IsDefined() || f.node.IsNull()) return std::map<std::string, std::string>{};
  if (!f.node.IsMap()) {
    errors.Add(f.mark, f.path, "expected a mapping of strings, got " + Describe(f.node));
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  bool ok = true;
  for (auto it = f.node.begin(); it != f.node.end(); ++it) {
    if (!it->first.IsScalar()) {
      errors.Add(it->first.Mark(), f.path, "expected a string key, got " + Describe(it->first));
      ok = false;
      continue;
    }
    const std::string& key = it->first.Scalar();
    Field value{it->second, it->second.Mark(), f.path + "." + ShortKey(key)};
    if (value.mark.is_null()) value.mark = it->first.Mark();
    if (out.count(key)) {
      errors.Add(it->first.Mark(), value.path, "duplicate key");
      ok = false;
      continue;
    }
    auto v = ReadString(value, errors);
    if (!v) {
      ok = false;
      continue;
    }
    out[key] = *v;
  }
  if (!ok) return std::nullopt;
  return out;
}

// Adds one endpoint to `service` unless it is a duplicate (reported).
void AddTarget(ServiceConfig& service, const HostPort& hp, const char* source,
               const std::string& where, std::map<std::string, std::string>& seen,
               const std::function<void(std::string)>& report, int weight = 0,
               std::map<std::string, std::string> metadata = {}) {
  probes::Target target;
  target.weight = weight;
  target.metadata = std::move(metadata);
  target.service = service.registration.service;
  target.host = hp.host;
  target.port = hp.port;
  target.probe = service.probe;
  target.source = source;
  std::string address = target.Address();
  auto [it, inserted] = seen.emplace(address, where);
  if (!inserted) {
    report("duplicate endpoint " + Quote(address) + " (also at " + it->second + ")");
    return;
  }
  service.targets.push_back(std::move(target));
}

// One entry of `endpoints`: "host:port", or {address, weight, metadata}.
void ReadEndpoint(const Field& item, ServiceConfig& service,
                  std::map<std::string, std::string>& seen, Errors& errors) {
  std::optional<std::string> text;
  int weight = 0;
  std::map<std::string, std::string> metadata;
  const YAML::Mark* mark = &item.mark;
  std::optional<Field> address_field;
  if (item.node.IsMap()) {
    MapReader m(item, errors, {"address", "weight", "metadata"});
    if (!m.valid()) return;
    address_field = m.Get("address");
    if (!address_field) {
      m.Missing("address");
      return;
    }
    text = ReadString(*address_field, errors);
    mark = &address_field->mark;
    if (auto f = m.Get("weight")) {
      if (auto v = ReadInt(*f, errors, 1, 1'000'000, "an integer weight 1-1000000")) {
        weight = static_cast<int>(*v);
      }
    }
    if (auto f = m.Get("metadata")) {
      if (auto v = ReadMetadata(*f, errors)) metadata = std::move(*v);
    }
  } else if (item.node.IsScalar()) {
    text = ReadString(item, errors);
  } else {
    errors.Add(item.mark, item.path,
               "expected host:port or {address, weight, metadata}, got " + Describe(item.node));
    return;
  }
  if (!text) return;
  const std::string& path = address_field ? address_field->path : item.path;
  service.endpoints.push_back(*text);
  std::optional<HostPort> hp = ParseHostPort(*text);
  if (!hp) {
    errors.Add(*mark, path, kEndpointExpected + Quote(*text));
    return;
  }
  AddTarget(
      service, *hp, "endpoints", "line " + std::to_string(mark->line + 1), seen,
      [&](std::string message) { errors.Add(*mark, path, message); }, weight, std::move(metadata));
}

void ReadEndpointsFile(const Field& f, const std::string& path, ServiceConfig& service,
                       std::map<std::string, std::string>& seen, Errors& errors) {
  std::string error;
  std::optional<std::string> content = ReadWholeFile(path, &error);
  if (!content) {
    errors.Add(f.mark, f.path, error);
    return;
  }
  int line_number = 0;
  size_t start = 0;
  while (start < content->size()) {
    size_t end = content->find('\n', start);
    if (end == std::string::npos) end = content->size();
    std::string line = content->substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    size_t last = line.find_last_not_of(" \t\r");
    std::string entry = line.substr(first, last - first + 1);
    auto report = [&](std::string message) {
      errors.AddAt(path, line_number, static_cast<int>(first) + 1, f.path, std::move(message));
    };
    std::optional<HostPort> hp = ParseHostPort(entry);
    if (!hp) {
      report(kEndpointExpected + Quote(entry));
      continue;
    }
    AddTarget(service, *hp, "endpointsFile", path + ":" + std::to_string(line_number), seen,
              report);
  }
}

void WarnAboutIneffectiveSettings(const MapReader& m, const ServiceConfig& service,
                                  Errors& errors) {
  const std::vector<ValueFormat> formats = service.registration.Formats();
  auto has = [&](ValueFormat f) {
    return std::find(formats.begin(), formats.end(), f) != formats.end();
  };
  const char* format = ValueFormatName(service.registration.format);
  bool uses_metadata = false;
  for (ValueFormat f :
       {ValueFormat::kJson, ValueFormat::kGrpcNaming, ValueFormat::kKratos, ValueFormat::kGoMicro,
        ValueFormat::kKitex, ValueFormat::kDubbo, ValueFormat::kTemplate}) {
    uses_metadata = uses_metadata || has(f);
  }
  if (auto f = m.Get("metadata"); f && !uses_metadata) {
    errors.Warn(f->mark, f->path,
                std::string("ignored: format ") + format +
                    " has no metadata (use json, grpc-naming or a framework layout)");
  }
  for (const char* key : {"dnsDomain", "dnsTTL"}) {
    if (auto f = m.Get(key); f && !has(ValueFormat::kSkyDns)) {
      errors.Warn(f->mark, f->path,
                  std::string("ignored: only format skydns uses it, not ") + format);
    }
  }
  const probes::ProbeSpec& p = service.probe;
  if (p.kind == probes::ProbeKind::kHttpGet && p.http_get.scheme == "HTTP" &&
      !(p.http_get.tls == probes::TlsOptions{})) {
    auto probe = m.Get("probe");
    errors.Warn(probe ? probe->mark : m.mark(), m.PathOf("probe") + ".httpGet.tls",
                "ignored: scheme is HTTP (set scheme: HTTPS to use TLS)");
  }
}

// etcd refuses a request above --max-request-bytes, and the controller would
// retry that put forever: refuse the config instead. Values differ only by the
// address, so the longest address is the largest put.
void CheckFitsOneRequest(const MapReader& m, const ServiceConfig& service,
                         const ServiceContext& context, Errors& errors) {
  const probes::Target* largest = nullptr;
  for (const probes::Target& t : service.targets) {
    if (largest == nullptr || t.Address().size() > largest->Address().size()) largest = &t;
  }
  if (largest == nullptr) return;
  constexpr size_t kRequestOverhead = 512;  // Txn, Put, lease id, protobuf framing
  size_t bytes = 0;
  for (const controller::LayoutKey& k :
       controller::RegistrationKeys(*largest, service.registration, context.registration, {})) {
    bytes = std::max(bytes, k.key.size() + k.value.size() + kRequestOverhead);
  }
  if (static_cast<int64_t>(bytes) <= context.max_request_bytes) return;
  auto metadata = m.Get("metadata");
  errors.Add(metadata ? metadata->mark : m.mark(), metadata ? metadata->path : m.path(),
             "a key of this service takes " + std::to_string(bytes) +
                 " bytes to write, more than etcd accepts in one request (" +
                 std::to_string(context.max_request_bytes) +
                 " bytes, etcd.maxRequestBytes = etcd's --max-request-bytes)");
}

std::optional<ServiceConfig> ParseService(const Field& field, const ServiceContext& context,
                                          Errors& errors) {
  const ProbeDefaults& defaults = context.defaults;
  const std::string& base_dir = context.base_dir;
  MapReader m(field, errors, KeyNames("service"));
  if (!m.valid()) return std::nullopt;
  size_t errors_before = errors.size();
  ServiceConfig service;
  std::vector<ValueFormat> formats = context.default_formats;
  if (auto f = m.Get("format")) {
    if (auto v = ReadFormats(*f, errors)) formats = *v;
  }
  if (formats.empty()) formats = {ValueFormat::kPlain};
  service.registration.format = formats.front();
  service.registration.formats = formats;
  const bool skydns =
      std::find(formats.begin(), formats.end(), ValueFormat::kSkyDns) != formats.end();
  if (auto f = m.Get("name")) {
    if (auto v = ReadString(*f, errors)) {
      if (!IsServiceName(*v)) {
        errors.Add(f->mark, f->path,
                   "expected a name of letters, digits, '.', '_' and '-' that starts and ends "
                   "with a letter or digit, got " +
                       Quote(*v));
      } else if (skydns && !IsDnsLabel(*v)) {
        errors.Add(f->mark, f->path,
                   "expected a DNS label (lowercase letters, digits and '-', at most 63) for "
                   "format skydns, got " +
                       Quote(*v));
      }
      service.registration.service = *v;
    }
  } else {
    m.Missing("name");
  }
  if (auto f = m.Get("metadata")) {
    if (auto v = ReadMetadata(*f, errors)) service.registration.metadata = std::move(*v);
  }
  if (auto f = m.Get("dnsDomain")) {
    if (auto v = ReadString(*f, errors)) {
      std::string domain = *v;
      if (!domain.empty() && domain.back() == '.') domain.pop_back();
      if (IsDnsDomain(domain)) {
        service.registration.dns_domain = domain;
      } else {
        errors.Add(f->mark, f->path,
                   "expected a DNS domain like svc.example.com, got " + Quote(*v));
      }
    }
  }
  ParseLayout(m, formats, service.registration.layout, errors);
  if (auto f = m.Get("failOpen")) {
    MapReader fail_open(*f, errors, KeyNames("service.failOpen"));
    if (fail_open.valid()) {
      if (auto p = fail_open.Get("belowHealthyPercent")) {
        if (auto v = ReadInt(*p, errors, KeyAt("service.failOpen", "belowHealthyPercent"),
                             "an integer percentage 1-100")) {
          service.registration.fail_open_below_percent = static_cast<int>(*v);
        }
      } else {
        fail_open.Missing("belowHealthyPercent");
      }
    }
  }
  if (auto f = m.Get("dnsTTL")) {
    if (auto v =
            ReadInt(*f, errors, KeyAt("service", "dnsTTL"), "an integer number of seconds >= 1")) {
      service.registration.dns_ttl_seconds = static_cast<int>(*v);
    }
  }
  std::optional<probes::ProbeSpec> probe =
      ParseServiceProbe(m.Get("probe"), m, defaults, errors, base_dir);
  if (probe) service.probe = *probe;

  std::map<std::string, std::string> seen;  // address → where first written
  std::optional<Field> endpoints = m.Get("endpoints");
  std::optional<Field> endpoints_file = m.Get("endpointsFile");
  service.sources = ParseSources(m, service.registration.service, base_dir, errors);
  if (!endpoints && !endpoints_file && service.sources.empty()) {
    m.Missing("endpoints", "expected endpoints, endpointsFile, dnsSd, fileSd or httpSd");
  }
  if (endpoints) {
    if (auto items = ReadList(*endpoints, errors)) {
      for (const Field& item : *items) ReadEndpoint(item, service, seen, errors);
    }
  }
  if (endpoints_file) {
    if (auto path = ReadPath(*endpoints_file, errors, base_dir, /*must_be_readable=*/false)) {
      service.endpoints_file = *path;
      ReadEndpointsFile(*endpoints_file, *path, service, seen, errors);
    }
  }
  if (errors.size() == errors_before) CheckFitsOneRequest(m, service, context, errors);
  if (errors.size() != errors_before) return std::nullopt;
  WarnAboutIneffectiveSettings(m, service, errors);
  return service;
}

}  // namespace

std::optional<std::vector<ValueFormat>> ReadFormats(const Field& f, Errors& errors) {
  auto one = [&](const Field& item) -> std::optional<ValueFormat> {
    std::optional<std::string> name = ReadString(item, errors);
    if (!name) return std::nullopt;
    std::optional<ValueFormat> format = ParseValueFormat(*name);
    if (!format) {
      errors.Add(item.mark, item.path,
                 "expected " + ChoicesText(KeyAt("service", "format")) + ", got " + Quote(*name));
    }
    return format;
  };
  if (!f.node.IsSequence()) {
    std::optional<ValueFormat> format = one(f);
    if (!format) return std::nullopt;
    return std::vector<ValueFormat>{*format};
  }
  std::optional<std::vector<Field>> items = ReadList(f, errors);
  if (!items) return std::nullopt;
  if (items->empty()) {
    errors.Add(f.mark, f.path, "expected at least one layout");
    return std::nullopt;
  }
  std::vector<ValueFormat> out;
  bool ok = true;
  for (const Field& item : *items) {
    std::optional<ValueFormat> format = one(item);
    if (!format) {
      ok = false;
    } else if (std::find(out.begin(), out.end(), *format) != out.end()) {
      errors.Add(item.mark, item.path,
                 std::string("layout ") + ValueFormatName(*format) + " listed twice");
      ok = false;
    } else {
      out.push_back(*format);
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::vector<ServiceConfig> ParseServices(const std::optional<Field>& services,
                                         const ServiceContext& context, Errors& errors) {
  std::vector<ServiceConfig> result;
  if (!services) return result;
  if (services->node.IsNull()) return result;
  std::optional<std::vector<Field>> items = ReadList(*services, errors);
  if (!items) return result;
  std::map<std::string, int> first_line;  // service name → line of its first definition
  std::vector<Field> marks;               // of each parsed service
  for (const Field& item : *items) {
    // Duplicate names are checked on the raw node so that a service with
    // other errors still takes part.
    if (item.node.IsMap() && item.node["name"] && item.node["name"].IsScalar()) {
      YAML::Node name = item.node["name"];
      int line = name.Mark().line + 1;
      auto [it, inserted] = first_line.emplace(name.Scalar(), line);
      if (!inserted) {
        errors.Add(name.Mark(), item.path + ".name",
                   "duplicate service name " + Quote(name.Scalar()) + " (first at line " +
                       std::to_string(it->second) + ")");
      }
    }
    if (auto service = ParseService(item, context, errors)) {
      result.push_back(std::move(*service));
      marks.push_back(item);
    }
  }
  CheckKeysAreDistinct(result, marks, context.registration, errors);
  return result;
}

}  // namespace registrar::config::internal

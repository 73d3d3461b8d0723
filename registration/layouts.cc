#include "registration/layouts.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <functional>
#include <vector>

#include "common/json_text.h"
#include "registration/keys.h"

namespace registrar::controller {
namespace {

using Json = nlohmann::ordered_json;
using R = PrefixRule;

// Each row follows the consumer's own encoder and decoder; the test of each
// (tests/controller/layouts_test.cc) names the file and version it read.
constexpr std::array<LayoutRow, 11> kPresets = {{
    {ValueFormat::kPlain, "", "/services/", R::kLeadingSlash, "${prefix}${service}/${address}",
     "${prefix}${service}/", "${address}", false, "",
     "Get/Watch-prefix clients: the seed's, go-kit sd/etcdv3"},
    {ValueFormat::kJson, "", "/services/", R::kLeadingSlash, "${prefix}${service}/${address}",
     "${prefix}${service}/",
     R"({"service":"${service}","address":"${address}","weight":"${weight?}",)"
     R"("metadata":"${metadata}","registeredAt":"${registeredAt}"})",
     true, "", "etcd-registrar discover"},
    {ValueFormat::kGrpcNaming, "", "/services/", R::kLeadingSlash, "${prefix}${service}/${address}",
     "${prefix}${service}/",
     R"({"Op":0,"Addr":"${address}","Metadata":"${metadataAndWeight?null}"})", true, "",
     "grpc-go via etcd client/v3/naming/resolver (endpoints.Update)"},
    {ValueFormat::kSkyDns, "", "/skydns/", R::kLeadingSlash, "${prefix}${dnsPath}/${dnsId}",
     "${prefix}${dnsPath}/",
     R"({"host":"${host}","port":"${port}","ttl":"${ttl}","priority":"${priority?}",)"
     R"("weight":"${weight?}"})",
     true, "", "CoreDNS plugin/etcd (msg.Service)"},
    {ValueFormat::kGoZero, "", "", R::kNoLeadingSlash, "${prefix}${service}/${idNum}",
     "${prefix}${service}/", "${address}", false, "",
     "go-zero core/discov (publisher.go makeEtcdKey, internal/registry.go)"},
    {ValueFormat::kKratos, "", "/microservices/", R::kLeadingSlash, "${prefix}${service}/${id}",
     "${prefix}${service}/",
     R"({"id":"${id}","name":"${service}","version":"${version}",)"
     R"("metadata":"${metadataAndWeightText?null}","endpoints":["${url}"]})",
     true, "grpc", "Kratos contrib/registry/etcd (registry.go, watcher.go)"},
    {ValueFormat::kGoMicro, "", "/micro/registry/", R::kLeadingSlash, "${prefix}${service}/${id}",
     "${prefix}${service}/",
     R"({"name":"${service}","version":"${version}","metadata":"${metadata?null}",)"
     R"("endpoints":[],"nodes":[{"id":"${id}","address":"${address}",)"
     R"("metadata":"${metadataAndWeightText?null}"}]})",
     true, "", "go-micro registry/etcd (etcd.go encode, nodePath)"},
    {ValueFormat::kKitex, "", "kitex/registry-etcd/", R::kNoLeadingSlash,
     "${prefix}${service}/${address}", "${prefix}${service}/",
     R"({"network":"${network}","address":"${address}","weight":"${weight}",)"
     R"("tags":"${metadata?null}"})",
     true, "", "kitex-contrib/registry-etcd (common.go instanceInfo, etcd_resolver.go)"},
    {ValueFormat::kDubbo, "", "/services/", R::kLeadingSlash, "${prefix}${service}/${host}:${port}",
     "${prefix}${service}/",
     R"({"ID":"${id}","ServiceName":"${service}","Host":"${host}","Port":"${port}",)"
     R"("Enable":true,"Healthy":true,"Metadata":"${metadataAndWeightText?null}",)"
     R"("ServiceMetadata":null,"Address":"${address}","GroupName":"","Tag":""})",
     true, "", "dubbo-go registry/etcdv3 service_discovery.go (DefaultServiceInstance)"},
    {ValueFormat::kTraefik, "", "traefik/", R::kNoLeadingSlash,
     "${prefix}http/services/${service}/loadbalancer/servers/${idNum}/url",
     "${prefix}http/services/${service}/loadbalancer/servers/", "${url}", false, "http",
     "Traefik KV provider (etcd), HTTP service"},
    {ValueFormat::kTraefik, "traefik-tcp", "traefik/", R::kNoLeadingSlash,
     "${prefix}tcp/services/${service}/loadbalancer/servers/${idNum}/address",
     "${prefix}tcp/services/${service}/loadbalancer/servers/", "${address}", false, "",
     "Traefik KV provider (etcd), TCP service"},
}};

constexpr std::array<std::string_view, 23> kFieldNames = {"prefix",
                                                          "service",
                                                          "host",
                                                          "port",
                                                          "address",
                                                          "id",
                                                          "idNum",
                                                          "network",
                                                          "weight",
                                                          "metadata",
                                                          "metadataAndWeight",
                                                          "metadataAndWeightText",
                                                          "registeredAt",
                                                          "leaseId",
                                                          "version",
                                                          "scheme",
                                                          "url",
                                                          "protocol",
                                                          "ttl",
                                                          "priority",
                                                          "dnsPath",
                                                          "dnsId",
                                                          "serviceDir"};

constexpr std::array<std::string_view, 8> kTargetFields = {"host",  "port", "address", "id",
                                                           "idNum", "url",  "dnsId",   "leaseId"};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string WithTrailingSlash(std::string s) {
  if (!s.empty() && s.back() != '/') s.push_back('/');
  return s;
}

// "svc.Example.com" + "web" → "com/example/svc/web".
std::string DnsPath(const std::string& domain, const std::string& service) {
  std::vector<std::string> labels;
  std::string label;
  for (char c : Lower(domain)) {
    if (c == '.') {
      if (!label.empty()) labels.push_back(label);
      label.clear();
    } else {
      label.push_back(c);
    }
  }
  if (!label.empty()) labels.push_back(label);
  std::string out;
  for (auto it = labels.rbegin(); it != labels.rend(); ++it) out += *it + "/";
  return out + Lower(service);
}

// FNV-1a, 63 bits, never 0: a stable positive id (go-zero's publisher takes
// an int64 id > 0) that does not change between builds or hosts.
std::string NumericId(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  h &= 0x7fffffffffffffffull;
  return std::to_string(h == 0 ? 1 : h);
}

std::string FieldText(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  return JsonText(v);
}

bool IsEmpty(const Json& v) {
  if (v.is_null()) return true;
  if (v.is_number()) return v == 0;
  if (v.is_string()) return v.get<std::string>().empty();
  if (v.is_object() || v.is_array()) return v.empty();
  return false;
}

// Visits "${name}" placeholders of `text`; `literal(text)` between them.
// False (with `error`) on an unclosed "${".
bool Scan(std::string_view text, const std::function<void(std::string_view)>& literal,
          const std::function<void(std::string_view)>& field, std::string* error) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("${", pos);
    if (open == std::string_view::npos) {
      literal(text.substr(pos));
      return true;
    }
    literal(text.substr(pos, open - pos));
    size_t close = text.find('}', open + 2);
    if (close == std::string_view::npos) {
      if (error) *error = "unclosed \"${\" at offset " + std::to_string(open);
      return false;
    }
    field(text.substr(open + 2, close - open - 2));
    pos = close + 1;
  }
  return true;
}

bool KnownField(std::string_view name) {
  for (std::string_view f : kFieldNames) {
    if (f == name) return true;
  }
  return false;
}

// A whole-leaf placeholder: "${name}", "${name?}" or "${name?null}".
struct Leaf {
  std::string_view name;
  enum class Empty { kKeep, kOmit, kNull } empty = Empty::kKeep;
};
std::optional<Leaf> WholeLeaf(std::string_view s) {
  if (s.size() < 4 || !s.starts_with("${") || s.back() != '}') return std::nullopt;
  std::string_view inner = s.substr(2, s.size() - 3);
  if (inner.find_first_of("${}") != std::string_view::npos) return std::nullopt;
  Leaf leaf;
  size_t q = inner.find('?');
  leaf.name = inner.substr(0, q);
  if (q != std::string_view::npos) {
    std::string_view mod = inner.substr(q + 1);
    if (mod.empty()) {
      leaf.empty = Leaf::Empty::kOmit;
    } else if (mod == "null") {
      leaf.empty = Leaf::Empty::kNull;
    } else {
      return std::nullopt;
    }
  }
  return leaf;
}

// Renders a JSON template node; nullopt when it is left out.
std::optional<Json> RenderNode(const Json& node, const LayoutFields& fields) {
  if (node.is_string()) {
    const std::string& s = node.get_ref<const std::string&>();
    if (auto leaf = WholeLeaf(s)) {
      auto it = fields.find(leaf->name);
      Json v = it != fields.end() ? it->second : Json(nullptr);
      if (IsEmpty(v) && leaf->empty == Leaf::Empty::kOmit) return std::nullopt;
      if (IsEmpty(v) && leaf->empty == Leaf::Empty::kNull) return Json(nullptr);
      return v;
    }
    return Json(RenderText(s, fields));
  }
  if (node.is_object()) {
    Json out = Json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (auto v = RenderNode(it.value(), fields)) out[it.key()] = std::move(*v);
    }
    return out;
  }
  if (node.is_array()) {
    Json out = Json::array();
    for (const Json& item : node) {
      if (auto v = RenderNode(item, fields)) out.push_back(std::move(*v));
    }
    return out;
  }
  return node;
}

// Every string leaf of a parsed template, checked.
absl::Status CheckNode(const Json& node) {
  if (node.is_string()) {
    const std::string& s = node.get_ref<const std::string&>();
    if (auto leaf = WholeLeaf(s)) {
      if (!KnownField(leaf->name)) {
        return absl::InvalidArgumentError("unknown field ${" + std::string(leaf->name) + "}");
      }
      return absl::OkStatus();
    }
    return CheckTemplate(s, /*json=*/false);
  }
  if (node.is_structured()) {
    for (const Json& child : node) {
      if (absl::Status s = CheckNode(child); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::span<const LayoutRow> PresetLayouts() { return kPresets; }

LayoutRow LayoutOf(ValueFormat format, const ServiceRegistration& service) {
  if (format == ValueFormat::kTemplate) {
    return LayoutRow{ValueFormat::kTemplate,
                     "",
                     "",
                     PrefixRule::kEither,
                     service.layout.key_template,
                     "${prefix}",
                     service.layout.value_template,
                     service.layout.value_is_json,
                     "http",
                     "the service's own templates"};
  }
  const std::string_view variant =
      format == ValueFormat::kTraefik && service.layout.protocol == "tcp" ? "traefik-tcp" : "";
  for (const LayoutRow& row : kPresets) {
    if (row.format == format && row.variant == variant) return row;
  }
  return kPresets[0];
}

std::string LayoutPrefix(ValueFormat format, const RegistrationOptions& options) {
  switch (format) {
    case ValueFormat::kPlain:
    case ValueFormat::kJson:
    case ValueFormat::kGrpcNaming:
      return options.prefix;
    case ValueFormat::kSkyDns:
      return WithTrailingSlash(options.skydns_prefix);
    default:
      break;
  }
  if (auto it = options.layout_prefixes.find(ValueFormatName(format));
      it != options.layout_prefixes.end()) {
    return WithTrailingSlash(it->second);
  }
  if (format == ValueFormat::kTemplate) return options.prefix;
  return std::string(LayoutOf(format, ServiceRegistration{}).default_prefix);
}

LayoutFields FieldsOf(const probes::Target& target, const ServiceRegistration& service,
                      std::string_view prefix, std::string_view default_scheme,
                      WallTime registered_at, int64_t lease_id) {
  LayoutFields f;
  const std::string address = target.host.empty() ? "" : target.Address();
  std::map<std::string, std::string> merged = service.metadata;
  for (const auto& [k, v] : target.metadata) merged[k] = v;
  Json metadata = Json::object();
  for (const auto& [k, v] : merged) metadata[k] = v;
  Json with_weight = metadata;
  Json with_weight_text = metadata;
  if (target.weight > 0) {
    with_weight["weight"] = target.weight;
    with_weight_text["weight"] = std::to_string(target.weight);
  }
  const std::string scheme =
      service.layout.scheme.empty() ? std::string(default_scheme) : service.layout.scheme;
  f["prefix"] = std::string(prefix);
  f["service"] = service.service;
  f["host"] = target.host;
  f["port"] = target.port;
  f["address"] = address;
  f["id"] = address;
  f["idNum"] = NumericId(address);
  f["network"] = "tcp";
  f["weight"] = target.weight;
  f["metadata"] = std::move(metadata);
  f["metadataAndWeight"] = std::move(with_weight);
  f["metadataAndWeightText"] = std::move(with_weight_text);
  f["registeredAt"] = FormatRfc3339(registered_at);
  f["leaseId"] = std::to_string(lease_id);
  f["version"] = service.layout.version;
  f["scheme"] = scheme;
  f["url"] = scheme + "://" + address;
  f["protocol"] = service.layout.protocol;
  f["ttl"] = service.dns_ttl_seconds;
  f["priority"] = service.layout.priority;
  f["dnsPath"] = DnsPath(service.dns_domain, service.service);
  f["dnsId"] = "";  // set by the caller (keys.cc: SkyDnsId)
  f["serviceDir"] = std::string(prefix) + service.service + "/";
  return f;
}

std::span<const std::string_view> FieldNames() { return kFieldNames; }

bool IsTargetField(std::string_view name) {
  for (std::string_view f : kTargetFields) {
    if (f == name) return true;
  }
  return false;
}

absl::Status CheckTemplate(std::string_view text, bool json) {
  if (json) {
    Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      return absl::InvalidArgumentError(
          "not a JSON document (a JSON value template is JSON with \"${field}\" strings)");
    }
    return CheckNode(parsed);
  }
  std::string error;
  std::string unknown;
  bool ok = Scan(
      text, [](std::string_view) {},
      [&](std::string_view name) {
        if (unknown.empty() && !KnownField(name)) unknown = std::string(name);
      },
      &error);
  if (!ok) return absl::InvalidArgumentError(error);
  if (!unknown.empty()) return absl::InvalidArgumentError("unknown field ${" + unknown + "}");
  return absl::OkStatus();
}

std::string RenderText(std::string_view text, const LayoutFields& fields) {
  std::string out;
  Scan(
      text, [&](std::string_view literal) { out += literal; },
      [&](std::string_view name) {
        if (auto it = fields.find(name); it != fields.end()) out += FieldText(it->second);
      },
      nullptr);
  return out;
}

std::string RenderJson(const Json& json_template, const LayoutFields& fields) {
  std::optional<Json> v = RenderNode(json_template, fields);
  return JsonText(v ? *v : Json(nullptr));
}

}  // namespace registrar::controller

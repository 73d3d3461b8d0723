// Value parsing for every registration layout (see registration/layouts.cc for
// the writer side and discovery/discovery.h for the contract).
#include <charconv>
#include <string>
#include <vector>

#include "discovery/discovery.h"
#include "nlohmann/json.hpp"

namespace registrar::etcd {
namespace {

using nlohmann::json;

std::string_view Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool ParsePort(std::string_view s, int* port) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size() || value < 0 || value > 65535) return false;
  *port = value;
  return true;
}

std::string JoinHostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

// "host:port" or "[v6]:port" into e; false with e->error set otherwise.
bool ParseHostPort(std::string_view text, bool port_optional, Endpoint* e) {
  text = Trim(text);
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      e->error = "unterminated '[' in address \"" + std::string(text) + "\"";
      return false;
    }
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        e->error = "unexpected text after ']' in address \"" + std::string(text) + "\"";
        return false;
      }
      port = rest.substr(1);
    }
  } else {
    size_t colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      e->error = "IPv6 address without brackets: \"" + std::string(text) + "\"";
      return false;
    }
    host = colon == std::string_view::npos ? text : text.substr(0, colon);
    if (colon != std::string_view::npos) port = text.substr(colon + 1);
  }
  if (host.empty()) {
    e->error = "no host in address \"" + std::string(text) + "\"";
    return false;
  }
  if (port.empty() && !port_optional) {
    e->error = "no port in address \"" + std::string(text) + "\"";
    return false;
  }
  int port_number = 0;
  if (!port.empty() && !ParsePort(port, &port_number)) {
    e->error = "bad port in address \"" + std::string(text) + "\"";
    return false;
  }
  e->host = std::string(host);
  e->port = port_number;
  e->address = port.empty() ? e->host : JoinHostPort(e->host, port_number);
  return true;
}

void FillMetadata(const json& metadata, Endpoint* e) {
  if (metadata.is_object()) {
    for (const auto& [k, v] : metadata.items()) {
      e->metadata[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  } else if (!metadata.is_null()) {
    e->metadata[""] = metadata.is_string() ? metadata.get<std::string>() : metadata.dump();
  }
}

// The key's path between the prefix and its last '/'.
std::string ServiceFromKey(std::string_view key, std::string_view prefix) {
  if (key.substr(0, prefix.size()) == prefix) key.remove_prefix(prefix.size());
  size_t slash = key.rfind('/');
  if (slash == std::string_view::npos) return "";
  return std::string(key.substr(0, slash));
}

// "/skydns/local/cluster/orders/x1" → "x1.orders.cluster.local": the path
// under the plugin's root directory, reversed.
std::string SkyDnsName(std::string_view key) {
  std::vector<std::string_view> labels;
  size_t start = 0;
  while (start <= key.size()) {
    size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) slash = key.size();
    if (slash > start) labels.push_back(key.substr(start, slash - start));
    start = slash + 1;
  }
  std::string name;
  for (size_t i = labels.size(); i > 1; --i) {  // labels[0] is the root ("skydns")
    if (!name.empty()) name.push_back('.');
    name += labels[i - 1];
  }
  return name;
}

int64_t WeightOf(const json& object) {
  if (!object.is_object()) return 0;
  auto w = object.find("weight");
  if (w == object.end() || !w->is_number_integer() || w->get<int64_t>() < 1) return 0;
  return w->get<int64_t>();
}

void ParsePlain(Endpoint* e) { ParseHostPort(e->value, /*port_optional=*/false, e); }

// "scheme://host:port[/…]" (Kratos endpoints, Traefik urls) or "host:port".
bool ParseUrl(std::string_view url, Endpoint* e) {
  url = Trim(url);
  if (size_t sep = url.find("://"); sep != std::string_view::npos) url.remove_prefix(sep + 3);
  if (size_t slash = url.find('/'); slash != std::string_view::npos) url = url.substr(0, slash);
  return ParseHostPort(url, /*port_optional=*/false, e);
}

// A weight written as text ("3") in a string map (Kratos, go-micro, dubbo).
int64_t TextWeightOf(const json& metadata) {
  if (!metadata.is_object()) return 0;
  auto w = metadata.find("weight");
  if (w == metadata.end() || !w->is_string()) return 0;
  int64_t value = 0;
  const std::string& s = w->get_ref<const std::string&>();
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc() && ptr == s.data() + s.size() && value > 0 ? value : 0;
}

std::string StringOf(const json& v, const char* field) {
  auto it = v.find(field);
  return it != v.end() && it->is_string() ? it->get<std::string>() : "";
}

// Kratos registry.ServiceInstance: the first endpoint is the address.
void ParseKratos(const json& v, Endpoint* e) {
  auto endpoints = v.find("endpoints");
  if (endpoints == v.end() || !endpoints->is_array() || endpoints->empty() ||
      !endpoints->front().is_string()) {
    e->error = "kratos value has no \"endpoints\"";
    return;
  }
  if (!ParseUrl(endpoints->front().get<std::string>(), e)) return;
  e->service = StringOf(v, "name");
  if (auto m = v.find("metadata"); m != v.end()) {
    FillMetadata(*m, e);
    e->weight = TextWeightOf(*m);
  }
}

// go-micro registry.Service with one node.
void ParseGoMicro(const json& v, Endpoint* e) {
  auto nodes = v.find("nodes");
  if (nodes == v.end() || !nodes->is_array() || nodes->empty() || !nodes->front().is_object() ||
      StringOf(nodes->front(), "address").empty()) {
    e->error = "go-micro value has no node address";
    return;
  }
  const json& node = nodes->front();
  if (!ParseHostPort(StringOf(node, "address"), false, e)) return;
  e->service = StringOf(v, "name");
  if (auto m = node.find("metadata"); m != node.end()) {
    FillMetadata(*m, e);
    e->weight = TextWeightOf(*m);
  }
}

// Kitex instanceInfo {network, address, weight, tags}.
void ParseKitex(const json& v, Endpoint* e) {
  if (StringOf(v, "address").empty()) {
    e->error = "kitex value has no string \"address\"";
    return;
  }
  if (!ParseHostPort(StringOf(v, "address"), false, e)) return;
  if (auto tags = v.find("tags"); tags != v.end()) FillMetadata(*tags, e);
  e->weight = WeightOf(v);
}

// dubbo-go DefaultServiceInstance {ServiceName, Host, Port, Metadata, …}.
void ParseDubbo(const json& v, Endpoint* e) {
  auto port = v.find("Port");
  if (StringOf(v, "Host").empty() || port == v.end() || !port->is_number_integer()) {
    e->error = "dubbo value has no \"Host\" and \"Port\"";
    return;
  }
  if (!ParseHostPort(JoinHostPort(StringOf(v, "Host"), port->get<int>()), false, e)) return;
  e->service = StringOf(v, "ServiceName");
  if (auto m = v.find("Metadata"); m != v.end()) {
    FillMetadata(*m, e);
    e->weight = TextWeightOf(*m);
  }
}

// The JSON layout a value is in, by its fields; kAuto when none fits.
EndpointFormat DetectJson(const json& v) {
  if (!v.is_object()) return EndpointFormat::kAuto;
  if (v.contains("Addr")) return EndpointFormat::kGrpcNaming;
  if (v.contains("nodes")) return EndpointFormat::kGoMicro;
  if (v.contains("endpoints") && v.contains("name")) return EndpointFormat::kKratos;
  if (v.contains("ServiceName")) return EndpointFormat::kDubbo;
  if (v.contains("network") && v.contains("address")) return EndpointFormat::kKitex;
  if (v.contains("address")) return EndpointFormat::kJson;
  if (v.contains("host")) return EndpointFormat::kSkyDns;
  return EndpointFormat::kAuto;
}

void ParseJson(const json& v, Endpoint* e) {
  auto address = v.find("address");
  if (address == v.end() || !address->is_string()) {
    e->error = "json value has no string \"address\"";
    return;
  }
  if (!ParseHostPort(address->get<std::string>(), false, e)) return;
  auto service = v.find("service");
  if (service != v.end() && service->is_string()) e->service = service->get<std::string>();
  auto metadata = v.find("metadata");
  if (metadata != v.end()) FillMetadata(*metadata, e);
  e->weight = WeightOf(v);
}

void ParseGrpcNaming(const json& v, Endpoint* e) {
  auto addr = v.find("Addr");
  if (addr == v.end() || !addr->is_string()) {
    e->error = "grpc-naming value has no string \"Addr\"";
    return;
  }
  auto op = v.find("Op");
  if (op != v.end() && !(op->is_number_integer() && op->get<int64_t>() == 0)) {
    // naming.Update Op 1 is Delete: not a live endpoint.
    e->error = "grpc-naming value with Op " + op->dump() + " (only 0, Add, is an endpoint)";
    return;
  }
  // gRPC accepts an address without a port (the default port applies).
  if (!ParseHostPort(addr->get<std::string>(), /*port_optional=*/true, e)) return;
  auto metadata = v.find("Metadata");
  if (metadata != v.end()) {
    FillMetadata(*metadata, e);
    e->weight = WeightOf(*metadata);
  }
}

void ParseSkyDns(const json& v, Endpoint* e) {
  auto host = v.find("host");
  if (host == v.end() || !host->is_string() || host->get<std::string>().empty()) {
    e->error = "skydns value has no string \"host\"";
    return;
  }
  e->host = host->get<std::string>();
  auto port = v.find("port");
  if (port != v.end()) {
    if (!port->is_number_integer() || port->get<int64_t>() < 0 || port->get<int64_t>() > 65535) {
      e->error = "skydns value has a bad \"port\": " + port->dump();
      e->host.clear();
      return;
    }
    e->port = port->get<int>();
  }
  e->address = JoinHostPort(e->host, e->port);
  auto ttl = v.find("ttl");
  if (ttl != v.end() && ttl->is_number_integer()) e->ttl_seconds = ttl->get<int64_t>();
  e->weight = WeightOf(v);
  for (const auto& [k, item] : v.items()) {
    if (k == "host" || k == "port" || k == "ttl" || k == "weight") continue;
    e->metadata[k] = item.is_string() ? item.get<std::string>() : item.dump();
  }
  e->service = SkyDnsName(e->key);
}

}  // namespace

const char* EndpointFormatName(EndpointFormat format) {
  if (format == EndpointFormat::kAuto) return "auto";
  return ValueFormatName(static_cast<ValueFormat>(format));
}

absl::StatusOr<EndpointFormat> ParseEndpointFormat(std::string_view name) {
  if (name == "auto") return EndpointFormat::kAuto;
  if (std::optional<ValueFormat> f = ParseValueFormat(name)) {
    return static_cast<EndpointFormat>(*f);
  }
  return absl::InvalidArgumentError("unknown layout \"" + std::string(name) +
                                    "\" (want auto or one of " + std::string(kValueFormatChoices) +
                                    ")");
}

const char* EventTypeName(EndpointEvent::Type type) {
  switch (type) {
    case EndpointEvent::Type::kAdded:
      return "added";
    case EndpointEvent::Type::kUpdated:
      return "updated";
    case EndpointEvent::Type::kRemoved:
      return "removed";
  }
  return "added";
}

Endpoint ParseEndpoint(const KeyValue& kv, std::string_view prefix, EndpointFormat format) {
  Endpoint e;
  e.key = kv.key;
  e.value = kv.value;
  e.create_revision = kv.create_revision;
  e.mod_revision = kv.mod_revision;
  e.version = kv.version;
  e.lease = kv.lease;
  e.service = ServiceFromKey(kv.key, prefix);

  std::string_view trimmed = Trim(kv.value);
  bool looks_json = !trimmed.empty() && trimmed.front() == '{';
  if (format == EndpointFormat::kTemplate) format = EndpointFormat::kAuto;
  const bool text_layout = format == EndpointFormat::kPlain || format == EndpointFormat::kGoZero ||
                           format == EndpointFormat::kTraefik;
  if (text_layout || (format == EndpointFormat::kAuto && !looks_json)) {
    // Traefik's url layout, or any URL-looking value read as auto.
    const bool url = trimmed.find("://") != std::string_view::npos;
    e.format = format == EndpointFormat::kAuto
                   ? (url ? EndpointFormat::kTraefik : EndpointFormat::kPlain)
                   : format;
    if (url && e.format != EndpointFormat::kPlain) {
      ParseUrl(trimmed, &e);
    } else {
      ParsePlain(&e);
    }
    if (e.format == EndpointFormat::kTraefik) {
      // …/services/<name>/loadbalancer/servers/<id>/{url,address}
      const size_t at = e.key.find("/services/");
      if (at != std::string::npos) {
        const size_t start = at + 10;
        e.service = e.key.substr(start, e.key.find('/', start) - start);
      }
    }
    return e;
  }
  json v = json::parse(trimmed, nullptr, /*allow_exceptions=*/false);
  if (format == EndpointFormat::kAuto) {
    format = DetectJson(v);
    if (format == EndpointFormat::kAuto) {
      e.format = EndpointFormat::kJson;
      e.error = v.is_discarded() ? "value is neither host:port nor valid JSON"
                                 : "JSON value has none of \"address\", \"Addr\", \"host\", "
                                   "\"endpoints\", \"nodes\", \"Host\"";
      return e;
    }
  }
  e.format = format;
  if (v.is_discarded() || !v.is_object()) {
    e.error = std::string(EndpointFormatName(format)) + " value is not a JSON object";
    return e;
  }
  switch (format) {
    case EndpointFormat::kJson:
      ParseJson(v, &e);
      break;
    case EndpointFormat::kGrpcNaming:
      ParseGrpcNaming(v, &e);
      break;
    case EndpointFormat::kSkyDns:
      ParseSkyDns(v, &e);
      break;
    case EndpointFormat::kKratos:
      ParseKratos(v, &e);
      break;
    case EndpointFormat::kGoMicro:
      ParseGoMicro(v, &e);
      break;
    case EndpointFormat::kKitex:
      ParseKitex(v, &e);
      break;
    case EndpointFormat::kDubbo:
      ParseDubbo(v, &e);
      break;
    default:
      break;
  }
  return e;
}

}  // namespace registrar::etcd

// The layouts (`format`) of a registration: the one table of their names,
// shared by the config parser, the controller that writes keys and values
// (registration/layouts.h holds each layout's key and value templates) and the
// discovery client that reads them.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace registrar {

enum class ValueFormat {
  kPlain,       // "host:port"
  kJson,        // {"service","address","metadata":{…},"registeredAt"}
  kGrpcNaming,  // {"Op":0,"Addr":"host:port","Metadata":…} (etcd endpoints manager)
  kSkyDns,      // {"host","port","ttl",…} under /skydns/<reversed domain>/<service>/<id>
  kGoZero,      // "host:port" under <Key>/<id> (go-zero core/discov)
  kKratos,      // ServiceInstance JSON under /microservices/<name>/<id>
  kGoMicro,     // registry.Service JSON under /micro/registry/<name>/<id>
  kKitex,       // {"network","address","weight","tags"} under kitex/registry-etcd/<name>/<addr>
  kDubbo,       // DefaultServiceInstance JSON under /services/<app>/<host>:<port>
  kTraefik,     // traefik/http/services/<name>/loadbalancer/servers/<id>/url (or tcp address)
  kTemplate,    // the service's own key and value templates
};

inline constexpr size_t kValueFormatCount = 11;
inline constexpr std::array<ValueFormat, kValueFormatCount> kValueFormats = {
    ValueFormat::kPlain,  ValueFormat::kJson,    ValueFormat::kGrpcNaming, ValueFormat::kSkyDns,
    ValueFormat::kGoZero, ValueFormat::kKratos,  ValueFormat::kGoMicro,    ValueFormat::kKitex,
    ValueFormat::kDubbo,  ValueFormat::kTraefik, ValueFormat::kTemplate};
// Indexed by ValueFormat.
inline constexpr std::array<std::string_view, kValueFormatCount> kValueFormatNames = {
    "plain",    "json",  "grpc-naming", "skydns",  "go-zero", "kratos",
    "go-micro", "kitex", "dubbo",       "traefik", "template"};
// The names as the config key table spells an enum's choices.
inline constexpr std::string_view kValueFormatChoices =
    "plain|json|grpc-naming|skydns|go-zero|kratos|go-micro|kitex|dubbo|traefik|template";

// "plain" | "json" | "grpc-naming" | "skydns" | "go-zero" | ….
constexpr const char* ValueFormatName(ValueFormat format) {
  return kValueFormatNames[static_cast<size_t>(format)].data();
}
constexpr std::optional<ValueFormat> ParseValueFormat(std::string_view name) {
  for (ValueFormat f : kValueFormats) {
    if (name == kValueFormatNames[static_cast<size_t>(f)]) return f;
  }
  return std::nullopt;
}

namespace internal {
constexpr bool ChoicesAreTheNames() {
  std::string_view rest = kValueFormatChoices;
  for (std::string_view name : kValueFormatNames) {
    if (rest.substr(0, name.size()) != name) return false;
    rest.remove_prefix(name.size());
    if (!rest.empty()) {
      if (rest.front() != '|') return false;
      rest.remove_prefix(1);
    }
  }
  return rest.empty();
}
static_assert(ChoicesAreTheNames(), "kValueFormatChoices must list kValueFormatNames in order");
}  // namespace internal

}  // namespace registrar

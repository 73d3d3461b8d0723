// The value formats of a registration key: the one table of their names,
// shared by the config parser, the controller that writes values and the
// discovery client that reads them.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace registrar {

enum class ValueFormat {
  kPlain,       // "host:port"
  kJson,        // {"service","address","metadata":{…},"registeredAt"}
  kGrpcNaming,  // {"Op":0,"Addr":"host:port","Metadata":…} (etcd endpoints manager)
  kSkyDns,      // {"host","port","ttl"} under /skydns/<reversed domain>/<service>/<id>
};

inline constexpr std::array<ValueFormat, 4> kValueFormats = {
    ValueFormat::kPlain, ValueFormat::kJson, ValueFormat::kGrpcNaming, ValueFormat::kSkyDns};
// Indexed by ValueFormat.
inline constexpr std::array<std::string_view, 4> kValueFormatNames = {"plain", "json",
                                                                      "grpc-naming", "skydns"};
// The names as the config key table spells an enum's choices.
inline constexpr std::string_view kValueFormatChoices = "plain|json|grpc-naming|skydns";

// "plain" | "json" | "grpc-naming" | "skydns".
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

#include "registration/keys.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <functional>

#include "nlohmann/json.hpp"
#include "registration/layouts.h"

namespace registrar::controller {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxDnsLabel = 63;
constexpr size_t kRfc3339Size = 20;  // "2026-01-01T00:00:00Z"

// The preset rows' JSON value templates, parsed once (constant afterwards).
const Json* ParsedPreset(const LayoutRow& row) {
  static const std::array<Json, 16> parsed = [] {
    std::array<Json, 16> out;
    size_t i = 0;
    for (const LayoutRow& r : PresetLayouts()) {
      if (r.value_is_json) out[i] = Json::parse(r.value, nullptr, false);
      ++i;
    }
    return out;
  }();
  size_t i = 0;
  for (const LayoutRow& r : PresetLayouts()) {
    if (r.format == row.format && r.variant == row.variant && r.value == row.value) {
      return &parsed[i];
    }
    ++i;
  }
  return nullptr;
}

LayoutKey Render(const probes::Target& target, const ServiceRegistration& service,
                 const RegistrationOptions& options, ValueFormat format, WallTime registered_at,
                 int64_t lease_id) {
  const LayoutRow row = LayoutOf(format, service);
  LayoutFields fields = FieldsOf(target, service, LayoutPrefix(format, options), row.default_scheme,
                                 registered_at, lease_id);
  if (!target.host.empty()) fields["dnsId"] = SkyDnsId(target);
  LayoutKey out;
  out.format = format;
  out.key = RenderText(row.key, fields);
  if (!row.value_is_json) {
    out.value = RenderText(row.value, fields);
  } else if (const Json* preset = ParsedPreset(row)) {
    out.value = RenderJson(*preset, fields);
  } else {
    out.value = RenderJson(Json::parse(row.value, nullptr, false), fields);
  }
  return out;
}

std::optional<WallTime> ParseRfc3339(std::string_view text) {
  if (text.size() != kRfc3339Size) return std::nullopt;
  std::tm tm{};
  std::string s(text);
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

std::string PrefixFor(ValueFormat format, const RegistrationOptions& options) {
  return LayoutPrefix(format, options);
}

std::string SkyDnsServicePath(const ServiceRegistration& service,
                              const RegistrationOptions& options) {
  return LayoutDirectory(ValueFormat::kSkyDns, service, options);
}

std::string LayoutDirectory(ValueFormat format, const ServiceRegistration& service,
                            const RegistrationOptions& options) {
  const std::string prefix = LayoutPrefix(format, options);
  const LayoutRow row = LayoutOf(format, service);
  return RenderText(row.directory,
                    FieldsOf(probes::Target{}, service, prefix, row.default_scheme, {}, 0));
}

std::string SkyDnsId(const probes::Target& target) {
  std::string id;
  for (char c : target.host + ":" + std::to_string(target.port)) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    id.push_back(std::isalnum(static_cast<unsigned char>(lower)) ? lower : '-');
  }
  // A label starts and ends with a letter or digit ("::1" reads as "0::1").
  if (id.front() == '-') id.insert(id.begin(), '0');
  if (id.size() > kMaxDnsLabel) {
    char hash[17];
    std::snprintf(hash, sizeof(hash), "%016zx", std::hash<std::string>{}(id));
    id = id.substr(0, kMaxDnsLabel - 17) + "-" + hash;
  }
  return id;
}

std::vector<LayoutKey> RegistrationKeys(const probes::Target& target,
                                        const ServiceRegistration& service,
                                        const RegistrationOptions& options, WallTime registered_at,
                                        int64_t lease_id) {
  std::vector<LayoutKey> out;
  for (ValueFormat format : service.Formats()) {
    out.push_back(Render(target, service, options, format, registered_at, lease_id));
  }
  return out;
}

std::string RegistrationKey(const probes::Target& target, const ServiceRegistration& service,
                            const RegistrationOptions& options) {
  return Render(target, service, options, service.format, {}, 0).key;
}

std::string RegistrationValue(const probes::Target& target, const ServiceRegistration& service,
                              WallTime registered_at) {
  return Render(target, service, RegistrationOptions{}, service.format, registered_at, 0).value;
}

std::optional<WallTime> RegisteredAtOf(const probes::Target& target,
                                       const ServiceRegistration& service,
                                       const RegistrationOptions& options, ValueFormat format,
                                       const std::string& value) {
  // Where the time sits: the first byte at which two renderings at different
  // times differ (every other field is the same in both); 1970 and 2099
  // differ in their first digit.
  const WallTime a{};
  const WallTime b = a + std::chrono::hours(24 * 365 * 129);
  const std::string va = Render(target, service, options, format, a, 0).value;
  const std::string vb = Render(target, service, options, format, b, 0).value;
  if (va == vb) return std::nullopt;  // the layout carries no time
  size_t start = 0;
  while (start < va.size() && start < vb.size() && va[start] == vb[start]) ++start;
  if (start + kRfc3339Size > value.size()) return std::nullopt;
  std::optional<WallTime> t = ParseRfc3339(std::string_view(value).substr(start, kRfc3339Size));
  if (!t || Render(target, service, options, format, *t, 0).value != value) return std::nullopt;
  return t;
}

std::vector<std::string> ServiceDirectories(const ServiceRegistration& service,
                                            const RegistrationOptions& options) {
  std::vector<std::string> out;
  for (ValueFormat format : service.Formats()) {
    std::string prefix = LayoutPrefix(format, options);
    out.push_back(prefix.empty() ? LayoutDirectory(format, service, options) : std::move(prefix));
  }
  return out;
}

std::string FormatRfc3339(WallTime t) {
  std::time_t secs =
      std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace registrar::controller

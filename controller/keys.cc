#include "controller/keys.h"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <vector>

#include "common/json_text.h"
#include "nlohmann/json.hpp"

namespace registrar::controller {
namespace {

constexpr size_t kMaxDnsLabel = 63;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string WithTrailingSlash(std::string s) {
  if (s.empty() || s.back() != '/') s.push_back('/');
  return s;
}

// "svc.Example.com." → "com/example/svc".
std::string ReversedLabels(const std::string& domain) {
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
  for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
    if (!out.empty()) out.push_back('/');
    out += *it;
  }
  return out;
}

// The service's metadata with the endpoint's merged over it (endpoint wins).
nlohmann::ordered_json MetadataJson(const ServiceRegistration& service,
                                    const probes::Target& target) {
  std::map<std::string, std::string> merged = service.metadata;
  for (const auto& [k, v] : target.metadata) merged[k] = v;
  nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
  for (const auto& [k, v] : merged) metadata[k] = v;
  return metadata;
}

}  // namespace

std::string PrefixFor(ValueFormat format, const RegistrationOptions& options) {
  if (format == ValueFormat::kSkyDns) return WithTrailingSlash(options.skydns_prefix);
  return options.prefix;
}

std::string SkyDnsServicePath(const ServiceRegistration& service,
                              const RegistrationOptions& options) {
  std::string path = WithTrailingSlash(options.skydns_prefix);
  std::string reversed = ReversedLabels(service.dns_domain);
  if (!reversed.empty()) path += reversed + "/";
  return path + Lower(service.service) + "/";
}

std::string SkyDnsId(const probes::Target& target) {
  std::string id;
  for (char c : Lower(target.host) + ":" + std::to_string(target.port)) {
    id.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '-');
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

std::string RegistrationKey(const probes::Target& target, const ServiceRegistration& service,
                            const RegistrationOptions& options) {
  if (service.format == ValueFormat::kSkyDns) {
    return SkyDnsServicePath(service, options) + SkyDnsId(target);
  }
  return options.prefix + service.service + "/" + target.Address();
}

std::string RegistrationValue(const probes::Target& target, const ServiceRegistration& service,
                              WallTime registered_at) {
  switch (service.format) {
    case ValueFormat::kPlain:
      return target.Address();
    case ValueFormat::kJson: {
      nlohmann::ordered_json v;
      v["service"] = service.service;
      v["address"] = target.Address();
      if (target.weight > 0) v["weight"] = target.weight;
      v["metadata"] = MetadataJson(service, target);
      v["registeredAt"] = FormatRfc3339(registered_at);
      return JsonText(v);
    }
    case ValueFormat::kGrpcNaming: {
      // internal.Update of etcd's client/v3/naming/endpoints: Op 0 = Add.
      nlohmann::ordered_json v;
      v["Op"] = 0;
      v["Addr"] = target.Address();
      // Metadata is what the Go resolver hands to balancers (interface{});
      // the weight goes in it as a number, beside the string metadata.
      nlohmann::ordered_json metadata = MetadataJson(service, target);
      if (target.weight > 0) metadata["weight"] = target.weight;
      v["Metadata"] = metadata.empty() ? nlohmann::ordered_json(nullptr) : metadata;
      return JsonText(v);
    }
    case ValueFormat::kSkyDns: {
      // msg.Service of CoreDNS's etcd plugin; an explicit ttl so CoreDNS never
      // derives one from the lease.
      nlohmann::ordered_json v;
      v["host"] = target.host;
      v["port"] = target.port;
      v["ttl"] = service.dns_ttl_seconds;
      return JsonText(v);
    }
  }
  return target.Address();
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

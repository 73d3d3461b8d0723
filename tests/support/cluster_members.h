// Test support: a registrar cluster's member keys, read from etcd (for tests
// and benchmarks that run several etcd-registrar processes).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "etcd/client.h"
#include "nlohmann/json.hpp"

namespace registrar::testing {

// Where the members of a cluster on prefix /services/ (its default name
// "services") hold their keys.
inline constexpr char kServicesMembersPrefix[] = "/etcd-registrar/services/members/";

// member id → the registration lease its member key names (0 if none);
// empty when etcd cannot be read.
inline std::map<std::string, int64_t> ReadMemberLeases(
    etcd::Client& client, const std::string& prefix = kServicesMembersPrefix) {
  etcd::RangeOptions options;
  options.prefix = true;
  auto r = client.Range(prefix, options);
  std::map<std::string, int64_t> out;
  if (!r.ok()) return out;
  for (auto& kv : r->kvs) {
    auto j = nlohmann::json::parse(kv.value, nullptr, false);
    out[kv.key.substr(prefix.size())] = j.is_object() ? j.value("lease", int64_t{0}) : 0;
  }
  return out;
}

}  // namespace registrar::testing

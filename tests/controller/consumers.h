// What each discovery client makes of the keys under its prefix: the
// decoding of each consumer, re-implemented from its source (file and
// version cited at each function; no code copied). Tests compare the result
// with the set of healthy targets.
//
// Each function takes every key/value etcd holds (a Range of "" or of the
// consumer's root) and returns what the consumer would dial: "host:port" →
// weight as the consumer sees it (0 where it has no weight).
#pragma once

#include <map>
#include <string>

#include "nlohmann/json.hpp"

namespace registrar::consumers {

using Kvs = std::map<std::string, std::string>;
using View = std::map<std::string, int>;  // address → weight as the consumer reads it

inline bool StartsWith(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

// "scheme://host:port" → "host:port" (Kratos endpoints, Traefik urls).
inline std::string HostPortOfUrl(const std::string& url) {
  size_t sep = url.find("://");
  return sep == std::string::npos ? url : url.substr(sep + 3);
}

// grpc-go + etcd's resolver (etcd-io/etcd v3.5 client/v3/naming/resolver/
// resolver.go Build: the target's URL path with ONE leading "/" trimmed is the
// endpoints manager's key; endpoints_impl.go watches key + "/" and keeps
// Update{Op: Add} values; recorded in the project's consumer notes, the
// stored copy of resolver.go here is an older stub). `dial` is the target
// string, e.g. "etcd:////services/web".
inline std::string GrpcResolverPrefix(const std::string& dial) {
  std::string rest = dial.substr(std::string("etcd://").size());
  std::string path = rest.substr(rest.find('/'));         // URL path after the (empty) authority
  if (!path.empty() && path[0] == '/') path.erase(0, 1);  // strips ONE '/'
  return path + "/";
}
inline View GrpcResolver(const Kvs& kvs, const std::string& dial) {
  View out;
  const std::string prefix = GrpcResolverPrefix(dial);
  for (const auto& [k, v] : kvs) {
    if (!StartsWith(k, prefix)) continue;
    auto u = nlohmann::json::parse(v, nullptr, false);
    if (!u.is_object() || u.value("Op", -1) != 0 || !u.contains("Addr")) continue;
    int weight = 0;
    if (u["Metadata"].is_object() && u["Metadata"].contains("weight") &&
        u["Metadata"]["weight"].is_number_integer()) {
      weight = u["Metadata"]["weight"].get<int>();
    }
    out[u["Addr"].get<std::string>()] = weight;
  }
  return out;
}

// go-zero core/discov (zeromicro/go-zero b8a68cec, core/discov/internal/
// registry.go: load/watch `makeKeyPrefix(key)` = key + "/", values are the
// endpoints; subscriber.go dedups values). zrpc's target trims the slashes
// around Key, so Key has none in front.
inline View GoZero(const Kvs& kvs, const std::string& key) {
  View out;
  for (const auto& [k, v] : kvs) {
    if (StartsWith(k, key + "/")) out[v] = 0;
  }
  return out;
}

// Kratos contrib/registry/etcd (go-kratos/kratos 16c2f395, registry.go:
// GetService/Watch Get `<namespace>/<name>` WITH PREFIX, json.Unmarshal into
// registry.ServiceInstance, skip `si.Name != name`; selector/node.go reads
// the weight from Metadata["weight"]).
inline View Kratos(const Kvs& kvs, const std::string& name,
                   const std::string& ns = "/microservices") {
  View out;
  for (const auto& [k, v] : kvs) {
    if (!StartsWith(k, ns + "/" + name)) continue;
    auto si = nlohmann::json::parse(v, nullptr, false);
    if (!si.is_object() || si.value("name", "") != name) continue;
    int weight = 0;
    if (si["metadata"].is_object() && si["metadata"].contains("weight")) {
      weight = std::stoi(si["metadata"]["weight"].get<std::string>());
    }
    for (const auto& e : si["endpoints"]) out[HostPortOfUrl(e.get<std::string>())] = weight;
  }
  return out;
}

// go-micro registry/etcd (micro/go-micro a28ef6dd, registry/etcd/etcd.go:
// GetService Gets servicePath(name)+"/" with prefix, decode → Service,
// collects Nodes[].Address).
inline View GoMicro(const Kvs& kvs, const std::string& name,
                    const std::string& prefix = "/micro/registry/") {
  View out;
  for (const auto& [k, v] : kvs) {
    if (!StartsWith(k, prefix + name + "/")) continue;
    auto s = nlohmann::json::parse(v, nullptr, false);
    if (!s.is_object() || !s["nodes"].is_array()) continue;
    for (const auto& n : s["nodes"]) out[n["address"].get<std::string>()] = 0;
  }
  return out;
}

// Kitex (kitex-contrib/registry-etcd de7f0270, etcd_resolver.go Resolve: Get
// serviceKeyPrefix(desc) = "kitex/registry-etcd/<svc>" with prefix, unmarshal
// instanceInfo (common.go c9d9c952), weight <= 0 → defaultWeight 10).
inline View Kitex(const Kvs& kvs, const std::string& service,
                  const std::string& prefix = "kitex/registry-etcd/") {
  View out;
  for (const auto& [k, v] : kvs) {
    if (!StartsWith(k, prefix + service)) continue;
    auto info = nlohmann::json::parse(v, nullptr, false);
    if (!info.is_object()) continue;  // klog.Warnf + continue
    int weight = info.value("weight", 0);
    if (weight <= 0) weight = 10;
    out[info["address"].get<std::string>()] = weight;
  }
  return out;
}

// dubbo-go application-level discovery (apache/dubbo-go c4dc1909,
// registry/etcdv3/service_discovery.go GetInstances: children of
// "/services/<app>", each DecodeJSON'd into DefaultServiceInstance; Host and
// Port make the address).
inline View Dubbo(const Kvs& kvs, const std::string& app, const std::string& root = "/services") {
  View out;
  for (const auto& [k, v] : kvs) {
    if (!StartsWith(k, root + "/" + app + "/")) continue;
    auto in = nlohmann::json::parse(v, nullptr, false);
    if (!in.is_object() || !in.contains("Host") || !in.contains("Port")) continue;
    int weight = 0;
    if (in["Metadata"].is_object() && in["Metadata"].contains("weight")) {
      weight = std::stoi(in["Metadata"]["weight"].get<std::string>());
    }
    out[in["Host"].get<std::string>() + ":" + std::to_string(in["Port"].get<int>())] = weight;
  }
  return out;
}

// Traefik's KV provider (traefik/traefik pkg/provider/kv/kv_test.go c1d22176
// shows `traefik/http/services/<svc>/loadBalancer/servers/<n>/url`; paerser
// parser/element_fill.go 5b24a220 setSliceStruct fills servers in child
// order, whatever <n> is; names match case-insensitively).
inline View Traefik(const Kvs& kvs, const std::string& service, bool tcp = false,
                    const std::string& root = "traefik") {
  View out;
  const std::string dir =
      root + (tcp ? "/tcp" : "/http") + "/services/" + service + "/loadbalancer/servers/";
  const std::string leaf = tcp ? "/address" : "/url";
  for (const auto& [k, v] : kvs) {
    if (!StartsWith(k, dir) || k.size() < leaf.size() ||
        k.compare(k.size() - leaf.size(), leaf.size(), leaf) != 0) {
      continue;
    }
    out[tcp ? v : HostPortOfUrl(v)] = 0;
  }
  return out;
}

// CoreDNS etcd plugin: records of `<root>/<reversed name>/` (plugin/etcd/
// msg/path.go Path), msg.Service {host, port, priority, weight, ttl}; SRV
// weights per priority are shares of 100 with 0 counting as 100
// (plugin/backend_lookup.go SRV, as the plugin's README documents them).
inline View CoreDnsSrv(const Kvs& kvs, const std::string& path) {
  View out;
  std::map<int, int> total;  // priority → summed weight
  std::vector<nlohmann::json> services;
  for (const auto& [k, v] : kvs) {
    if (!StartsWith(k, path + "/")) continue;
    auto s = nlohmann::json::parse(v, nullptr, false);
    if (!s.is_object()) continue;
    total[s.value("priority", 0)] += s.value("weight", 0) == 0 ? 100 : s.value("weight", 0);
    services.push_back(s);
  }
  for (const auto& s : services) {
    const int w = s.value("weight", 0) == 0 ? 100 : s.value("weight", 0);
    out[s["host"].get<std::string>() + ":" + std::to_string(s["port"].get<int>())] =
        static_cast<int>(100.0 / total[s.value("priority", 0)] * w);
  }
  return out;
}

}  // namespace registrar::consumers

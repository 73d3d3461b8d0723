// Fuzzes the discovery value parsers (plain, json, grpc-naming, skydns): any
// key and value stored under the prefix gives an endpoint or an error, and an
// endpoint that parsed has a usable address.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "discovery/discovery.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  using registrar::etcd::EndpointFormat;
  constexpr EndpointFormat kFormats[] = {EndpointFormat::kAuto, EndpointFormat::kPlain,
                                         EndpointFormat::kJson, EndpointFormat::kGrpcNaming,
                                         EndpointFormat::kSkyDns};
  const EndpointFormat format = kFormats[data[0] % 5];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  // "<key suffix>\0<value>"; without a NUL the whole input is the value.
  const size_t nul = rest.find('\0');
  const std::string_view suffix = nul == std::string_view::npos ? "svc/a" : rest.substr(0, nul);
  const std::string_view value = nul == std::string_view::npos ? rest : rest.substr(nul + 1);
  const std::string prefix = format == EndpointFormat::kSkyDns ? "/skydns/" : "/services/";
  registrar::etcd::KeyValue kv;
  kv.key = prefix + std::string(suffix);
  kv.value = std::string(value);
  const registrar::etcd::Endpoint endpoint = registrar::etcd::ParseEndpoint(kv, prefix, format);
  if (endpoint.ok()) {
    if (endpoint.address.empty() || endpoint.host.empty()) __builtin_trap();
    if (endpoint.port < 0 || endpoint.port > 65535) __builtin_trap();
  }
  return 0;
}

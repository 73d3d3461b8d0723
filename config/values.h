// Private to config/: parsers for the scalar forms the config accepts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/duration.h"

namespace registrar::config::internal {

struct HostPort {
  std::string host;  // IPv6 without brackets
  int port = 0;
};

// "host:port" or "[v6]:port"; port 1-65535. With `allow_empty_host`, ":port"
// is accepted and yields an empty host (listen addresses).
std::optional<HostPort> ParseHostPort(std::string_view text, bool allow_empty_host = false);

// An IPv4 or IPv6 literal (no brackets) or a DNS name.
bool IsValidHost(std::string_view host);

// "ip:port" or "[v6]:port" with an IP literal, not a name (a DNS server).
bool IsDnsServer(std::string_view text);

// "host:port" or "http://host:port" / "https://host:port".
bool IsValidEtcdEndpoint(std::string_view text);

// A DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters.
bool IsDnsLabel(std::string_view text);
// Dot-separated DNS labels (lowercase), at most 253 characters.
bool IsDnsDomain(std::string_view text);
// A service name safe in an etcd key and a metric label:
// [A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?, at most 253 characters.
bool IsServiceName(std::string_view text);
// An HTTP header field name (RFC 9110 token).
bool IsHeaderName(std::string_view text);

// A base-10 integer with optional sign, nothing else.
std::optional<int64_t> ParseInt(std::string_view text);
using ::registrar::ParseDecimal;  // common/duration.h

// Edit distance (with transpositions), for "did you mean" hints.
size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace registrar::config::internal

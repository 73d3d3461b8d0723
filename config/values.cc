#include "config/values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <vector>

#include "config/config.h"

namespace registrar::config {
namespace internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool IsIPv4(std::string_view s) {
  in_addr addr;
  return inet_pton(AF_INET, std::string(s).c_str(), &addr) == 1;
}
bool IsIPv6(std::string_view s) {
  in6_addr addr;
  return inet_pton(AF_INET6, std::string(s).c_str(), &addr) == 1;
}

// Hostname labels: letters, digits, '-' and '_' (seen in internal names), not
// starting or ending with '-'.
bool IsHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!IsAlnum(c) && c != '-' && c != '_') return false;
    }
    bool last = dot == std::string_view::npos || dot + 1 == s.size();  // "a.b" or "a.b."
    if (last) {
      // An all-digit last label is a mistyped IPv4 address ("256.1.1.1"),
      // not a name: no top-level domain is numeric.
      return !std::all_of(label.begin(), label.end(), IsDigit);
    }
    start = dot + 1;
  }
}

}  // namespace

bool IsValidHost(std::string_view host) { return IsIPv4(host) || IsIPv6(host) || IsHostName(host); }

bool IsDnsServer(std::string_view text) {
  std::optional<HostPort> hp = ParseHostPort(text);
  return hp && (IsIPv4(hp->host) || IsIPv6(hp->host));
}

std::optional<HostPort> ParseHostPort(std::string_view text, bool allow_empty_host) {
  HostPort result;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    result.host = std::string(text.substr(1, close - 1));
    if (!IsIPv6(result.host)) return std::nullopt;
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    result.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (result.host.empty()) {
      if (!allow_empty_host) return std::nullopt;
    } else if (result.host.find(':') != std::string::npos || !IsValidHost(result.host)) {
      return std::nullopt;  // a bare IPv6 literal needs brackets
    }
  }
  if (port_text.empty() || port_text.size() > 5) return std::nullopt;
  for (char c : port_text) {
    if (!IsDigit(c)) return std::nullopt;
  }
  std::from_chars(port_text.data(), port_text.data() + port_text.size(), result.port);
  if (result.port < 1 || result.port > 65535) return std::nullopt;
  return result;
}

bool IsValidEtcdEndpoint(std::string_view text) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (text.substr(0, scheme.size()) == scheme) {
      text.remove_prefix(scheme.size());
      if (!text.empty() && text.back() == '/') text.remove_suffix(1);
      break;
    }
  }
  return ParseHostPort(text).has_value();
}

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || c == '-'; });
}

bool IsDnsDomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (!IsDnsLabel(s.substr(start, dot == s.npos ? s.npos : dot - start))) return false;
    if (dot == s.npos) return true;
    start = dot + 1;
  }
}

bool IsServiceName(std::string_view s) {
  if (s.empty() || s.size() > 253 || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool IsHeaderName(std::string_view s) {
  static constexpr std::string_view kTokenPunct = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return IsAlnum(c) || kTokenPunct.find(c) != std::string_view::npos;
  });
}

std::optional<int64_t> ParseInt(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment: insertions, deletions, substitutions and
  // transpositions of neighbours ("paht" is one step from "path").
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace internal

std::string ClosestName(std::string_view name, const std::vector<std::string_view>& candidates,
                        size_t max_distance) {
  if (name.size() > 160) return "";  // quadratic: no hint for a huge name
  std::string_view best;
  size_t best_distance = max_distance + 1;
  for (std::string_view c : candidates) {
    const size_t d = internal::EditDistance(name, c);
    if (d < best_distance) best = c, best_distance = d;
  }
  return std::string(best);
}

}  // namespace registrar::config

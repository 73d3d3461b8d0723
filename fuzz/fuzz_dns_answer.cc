// Fuzzes dnsSd's reading of raw DNS responses: whatever a server (or anyone
// on the path) sends, the parser ends with records or an error, never both,
// and every record it lists is a usable target.
#include <arpa/inet.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "sources/dns_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  using registrar::sources::DnsRecordType;
  constexpr DnsRecordType kTypes[] = {DnsRecordType::kSrv, DnsRecordType::kA, DnsRecordType::kAaaa};
  const DnsRecordType type = kTypes[data[0] % 3];
  const auto answer =
      registrar::sources::ParseDnsAnswer(data + 1, static_cast<int>(size - 1), type);
  if (!answer.ok()) {
    if (!answer.records.empty() || answer.min_ttl.has_value()) __builtin_trap();
    return 0;
  }
  if (answer.records.empty() != !answer.min_ttl.has_value()) __builtin_trap();
  uint32_t min_ttl = UINT32_MAX;
  for (const auto& r : answer.records) {
    if (r.host.empty() || r.host.back() == '.') __builtin_trap();
    if (r.port < 0 || r.port > 65535 || r.weight < 0 || r.weight > 65535) __builtin_trap();
    if (r.ttl > 0x7fffffffu) __builtin_trap();
    unsigned char address[16];
    if (type == DnsRecordType::kA && inet_pton(AF_INET, r.host.c_str(), address) != 1) {
      __builtin_trap();
    }
    if (type == DnsRecordType::kAaaa && inet_pton(AF_INET6, r.host.c_str(), address) != 1) {
      __builtin_trap();
    }
    min_ttl = std::min(min_ttl, r.ttl);
  }
  if (!answer.records.empty() && *answer.min_ttl != min_ttl) __builtin_trap();
  return 0;
}

// dnsSd's reading of a DNS response (RFC 1035 §4.1): the records of the asked
// type in its answer section, and their smallest TTL. Pure logic on the raw
// message c-ares hands over (ares_parse_srv_reply drops the TTLs); private to
// sources/, fuzzed by fuzz/fuzz_dns_answer.cc.
//
// Any message from the network is hostile: a header, question or record that
// runs past the end, a name that does not expand (compression loops, pointers
// past the end), an SRV target that is not a host name, or an A/AAAA record of
// the wrong length makes the whole message malformed (`error`), never a
// partial list. Records of other types or classes (a CNAME before the A
// records, say) are skipped; so is an SRV record whose target is "." (RFC
// 2782: the service is not offered there).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sources/spec.h"

namespace registrar::sources {

// The RR TYPE a DnsRecordType asks for (SRV 33, A 1, AAAA 28).
int DnsQueryType(DnsRecordType type);

struct DnsRecord {
  // SRV: the target host name without the trailing dot (not resolved);
  // A/AAAA: the address literal (IPv6 in inet_ntop's canonical form).
  std::string host;
  int port = 0;  // SRV only
  int priority = 0;
  int weight = 0;
  uint32_t ttl = 0;  // seconds; a TTL with the top bit set reads as 0 (RFC 2181 §8)
  bool operator==(const DnsRecord&) const = default;
};

struct DnsAnswer {
  std::vector<DnsRecord> records;   // in message order
  std::optional<uint32_t> min_ttl;  // of `records`; unset when there are none
  std::string error;                // not empty: malformed, nothing else is set
  bool ok() const { return error.empty(); }
};

// The records of `type` in the answer section of `message` (`length` bytes).
DnsAnswer ParseDnsAnswer(const unsigned char* message, int length, DnsRecordType type);

}  // namespace registrar::sources

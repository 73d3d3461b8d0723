#include "sources/dns_message.h"

#include <ares.h>
#include <arpa/inet.h>

#include <algorithm>

namespace registrar::sources {
namespace {

constexpr int kDnsMessageHeaderBytes = 12;
constexpr int kDnsMessageClassIn = 1;
constexpr int kDnsMessageMaxHostLength = 253;

uint16_t DnsMessageU16(const unsigned char* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

uint32_t DnsMessageU32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// Expands the name at `pos` (compression pointers may lead anywhere in the
// message); sets *name and *encoded (its bytes at `pos`). False when it does
// not expand.
bool DnsMessageName(const unsigned char* message, int length, int pos, std::string* name,
                    int* encoded) {
  if (pos < 0 || pos >= length) return false;
  char* expanded = nullptr;
  long used = 0;
  if (ares_expand_name(message + pos, message, length, &expanded, &used) != ARES_SUCCESS) {
    return false;
  }
  *name = expanded;
  ares_free_string(expanded);
  if (used <= 0 || used > length - pos) return false;
  *encoded = static_cast<int>(used);
  return true;
}

// A host name as a target can carry: letters, digits, '-', '_' between dots
// (ares_expand_name escapes every other byte with a backslash).
bool DnsMessageIsHostName(const std::string& name) {
  if (name.empty() || name.size() > kDnsMessageMaxHostLength) return false;
  if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

DnsAnswer DnsMessageMalformed(std::string why) {
  DnsAnswer out;
  out.error = "malformed DNS answer: " + std::move(why);
  return out;
}

}  // namespace

int DnsQueryType(DnsRecordType type) {
  switch (type) {
    case DnsRecordType::kSrv:
      return 33;
    case DnsRecordType::kA:
      return 1;
    case DnsRecordType::kAaaa:
      return 28;
  }
  return 33;
}

DnsAnswer ParseDnsAnswer(const unsigned char* message, int length, DnsRecordType type) {
  if (message == nullptr || length < kDnsMessageHeaderBytes) {
    return DnsMessageMalformed("shorter than a header");
  }
  const int questions = DnsMessageU16(message + 4);
  const int answers = DnsMessageU16(message + 6);
  const int want = DnsQueryType(type);
  int pos = kDnsMessageHeaderBytes;
  std::string name;
  int used = 0;
  for (int i = 0; i < questions; ++i) {
    if (!DnsMessageName(message, length, pos, &name, &used)) {
      return DnsMessageMalformed("bad name in question " + std::to_string(i + 1));
    }
    pos += used;
    if (length - pos < 4) return DnsMessageMalformed("question " + std::to_string(i + 1) + " cut");
    pos += 4;
  }
  DnsAnswer out;
  for (int i = 0; i < answers; ++i) {
    const std::string which = "answer record " + std::to_string(i + 1);
    if (!DnsMessageName(message, length, pos, &name, &used)) {
      return DnsMessageMalformed("bad owner name in " + which);
    }
    pos += used;
    if (length - pos < 10) return DnsMessageMalformed(which + " cut");
    const int rtype = DnsMessageU16(message + pos);
    const int rclass = DnsMessageU16(message + pos + 2);
    uint32_t ttl = DnsMessageU32(message + pos + 4);
    const int rdlength = DnsMessageU16(message + pos + 8);
    pos += 10;
    if (length - pos < rdlength) return DnsMessageMalformed(which + ": data past the end");
    const unsigned char* rdata = message + pos;
    const int rdata_pos = pos;
    pos += rdlength;
    if (rtype != want || rclass != kDnsMessageClassIn) continue;
    if (ttl > 0x7fffffffu) ttl = 0;
    DnsRecord record;
    record.ttl = ttl;
    if (type == DnsRecordType::kSrv) {
      if (rdlength < 7) return DnsMessageMalformed(which + ": SRV data too short");
      record.priority = DnsMessageU16(rdata);
      record.weight = DnsMessageU16(rdata + 2);
      record.port = DnsMessageU16(rdata + 4);
      // The target's own bytes end where the record's data ends (a
      // compression pointer may still lead anywhere in the message).
      if (!DnsMessageName(message, length, rdata_pos + 6, &record.host, &used) ||
          used != rdlength - 6) {
        return DnsMessageMalformed(which + ": bad SRV target");
      }
      if (record.host.empty()) continue;  // "." : not offered here
      if (!DnsMessageIsHostName(record.host)) {
        return DnsMessageMalformed(which + ": SRV target is not a host name");
      }
    } else {
      const bool v4 = type == DnsRecordType::kA;
      if (rdlength != (v4 ? 4 : 16)) {
        return DnsMessageMalformed(which + ": address of " + std::to_string(rdlength) + " bytes");
      }
      char text[INET6_ADDRSTRLEN] = {};
      if (inet_ntop(v4 ? AF_INET : AF_INET6, rdata, text, sizeof(text)) == nullptr) {
        return DnsMessageMalformed(which + ": bad address");
      }
      record.host = text;
    }
    out.min_ttl = std::min(out.min_ttl.value_or(ttl), ttl);
    out.records.push_back(std::move(record));
  }
  return out;
}

}  // namespace registrar::sources

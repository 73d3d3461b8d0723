#include "sources/source.h"

#include <tuple>

#include "sources/dns_sd.h"
#include "sources/file_sd.h"
#include "sources/http_sd.h"

namespace registrar::sources {

const char* SourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kDnsSd:
      return "dnsSd";
    case SourceKind::kFileSd:
      return "fileSd";
    case SourceKind::kHttpSd:
      return "httpSd";
  }
  return "?";
}

const char* DnsRecordTypeName(DnsRecordType type) {
  switch (type) {
    case DnsRecordType::kSrv:
      return "SRV";
    case DnsRecordType::kA:
      return "A";
    case DnsRecordType::kAaaa:
      return "AAAA";
  }
  return "?";
}

const char* FailureName(Failure failure) {
  switch (failure) {
    case Failure::kNone:
      return "";
    case Failure::kTimeout:
      return "timeout";
    case Failure::kServFail:
      return "servfail";
    case Failure::kConnect:
      return "connect";
    case Failure::kTls:
      return "tls";
    case Failure::kHttpStatus:
      return "http_status";
    case Failure::kTooLarge:
      return "too_large";
    case Failure::kInvalid:
      return "invalid";
    case Failure::kVanished:
      return "vanished";
    case Failure::kIo:
      return "io";
  }
  return "?";
}

namespace {

// The URL without its user info ("https://user:pw@host/x" → "https://host/x").
std::string WithoutUserInfo(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t host = scheme + 3;
  const size_t path = url.find_first_of("/?#", host);
  const size_t at = url.rfind('@', path == std::string::npos ? url.size() : path);
  if (at == std::string::npos || at < host) return url;
  return url.substr(0, host) + url.substr(at + 1);
}

std::string Joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

}  // namespace

std::string SourceSpec::Name() const {
  std::string out = SourceKindName(kind);
  switch (kind) {
    case SourceKind::kDnsSd:
      out += " " + Joined(dns.names);
      if (dns.type != DnsRecordType::kSrv) {
        out += std::string(" ") + DnsRecordTypeName(dns.type) + " :" + std::to_string(dns.port);
      }
      break;
    case SourceKind::kFileSd:
      out += " " + Joined(file.files);
      break;
    case SourceKind::kHttpSd:
      out += " " + WithoutUserInfo(http.url);
      break;
  }
  return out;
}

std::string Endpoint::Address() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool Endpoint::operator<(const Endpoint& o) const {
  return std::tie(host, port, weight, metadata) < std::tie(o.host, o.port, o.weight, o.metadata);
}

std::unique_ptr<Source> MakeSource(const SourceSpec& spec) {
  switch (spec.kind) {
    case SourceKind::kDnsSd:
      return MakeDnsSdSource(spec);
    case SourceKind::kFileSd:
      return MakeFileSdSource(spec);
    case SourceKind::kHttpSd:
      return MakeHttpSdSource(spec);
  }
  return MakeDnsSdSource(spec);
}

}  // namespace registrar::sources

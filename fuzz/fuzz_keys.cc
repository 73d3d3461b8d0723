// Fuzzes etcd key and value layout (registration/keys.h) against the reader
// side (discovery/discovery.h): for any target the config could hold, the key the
// registrar writes lies under the format's prefix, its skydns id is a DNS
// label, and a discovery client parses the key and value back to the same
// address (and, for json / grpc-naming, the same metadata).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "discovery/discovery.h"
#include "registration/keys.h"

namespace {

using registrar::controller::ValueFormat;
using registrar::etcd::EndpointFormat;

// Reads bytes off the input; 0 once it is used up.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t Next() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::string Word(std::string_view alphabet, size_t min, size_t max) {
    const size_t n = min + Next() % (max - min + 1);
    std::string out;
    for (size_t i = 0; i < n; ++i) out.push_back(alphabet[Next() % alphabet.size()]);
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

constexpr std::string_view kLabel = "abcdefghijklmnopqrstuvwxyz0123456789-";
constexpr std::string_view kHex = "0123456789abcdef";
// Printable ASCII and the characters JSON must escape.
constexpr std::string_view kText =
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~\t\n\r\x01\x1f";

std::string Host(Bytes& in) {
  switch (in.Next() % 3) {
    case 0:
      return std::to_string(in.Next()) + "." + std::to_string(in.Next()) + "." +
             std::to_string(in.Next()) + "." + std::to_string(in.Next());
    case 1:
      return in.Word(kHex, 1, 4) + "::" + in.Word(kHex, 1, 4);
    default:
      return in.Word("abcdefghijklmnopqrstuvwxyz0123456789", 1, 10) + "." + in.Word(kLabel, 0, 10) +
             "x";
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  constexpr ValueFormat kFormats[] = {ValueFormat::kPlain, ValueFormat::kJson,
                                      ValueFormat::kGrpcNaming, ValueFormat::kSkyDns};
  constexpr EndpointFormat kReaders[] = {EndpointFormat::kPlain, EndpointFormat::kJson,
                                         EndpointFormat::kGrpcNaming, EndpointFormat::kSkyDns};
  const int f = in.Next() % 4;
  registrar::probes::Target target;
  target.service = "s" + in.Word(kLabel, 0, 20);
  target.host = Host(in);
  target.port = 1 + (in.Next() << 8 | in.Next()) % 65535;
  registrar::controller::ServiceRegistration service;
  service.service = target.service;
  service.format = kFormats[f];
  if (f == 1 || f == 2) {
    for (int i = in.Next() % 3; i > 0; --i) {
      service.metadata[in.Word(kText, 1, 8)] = in.Word(kText, 0, 16);
    }
  }
  service.dns_domain =
      in.Word("abcdefghijklmnopqrstuvwxyz", 1, 8) + "." + in.Word(kLabel, 0, 8) + "example";
  registrar::controller::RegistrationOptions options;

  const std::string id = registrar::controller::SkyDnsId(target);
  if (id.empty() || id.size() > 63 || id.find_first_not_of(kLabel) != std::string::npos) {
    __builtin_trap();
  }
  registrar::etcd::KeyValue kv;
  kv.key = registrar::controller::RegistrationKey(target, service, options);
  kv.value = registrar::controller::RegistrationValue(target, service, {});
  const std::string prefix = registrar::controller::PrefixFor(service.format, options);
  if (kv.key.rfind(prefix, 0) != 0) __builtin_trap();
  const registrar::etcd::Endpoint endpoint =
      registrar::etcd::ParseEndpoint(kv, prefix, kReaders[f]);
  if (!endpoint.ok() || endpoint.address != target.Address()) __builtin_trap();
  if ((f == 1 || f == 2) && endpoint.metadata != service.metadata) __builtin_trap();
  return 0;
}

// Client::Create: validates options, reads TLS material and builds one gRPC
// channel per endpoint (channels connect lazily, on the first call).
#include "etcd/client.h"

#include <fstream>
#include <sstream>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "etcd/convert.h"
#include "etcd/grpc_client.h"

namespace registrar::etcd {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("etcd TLS ", what, " \"", path, "\": cannot read"));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (content.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("etcd TLS ", what, " \"", path, "\": empty"));
  }
  return content.str();
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> TlsCredentials(const TlsConfig& tls) {
  grpc::SslCredentialsOptions ssl;
  if (!tls.ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPem(tls.ca_file, "CA file");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *std::move(ca);
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        "etcd TLS: a client certificate needs both cert_file and key_file");
  }
  if (!tls.cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadPem(tls.cert_file, "cert file");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem(tls.key_file, "key file");
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *std::move(cert);
    ssl.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(ssl);
}

grpc::ChannelArguments ChannelArgs(const ClientOptions& options) {
  grpc::ChannelArguments args;
  // Reconnect quickly after an etcd restart instead of gRPC's default backoff
  // of up to two minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // A second line behind the streams' own liveness checks (client.h): detect
  // a dead connection within 8 s. etcd refuses pings more often than every
  // 5 s (--grpc-keepalive-min-time), so stay a little above it.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 6000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 2000);
  // Only under a call: etcd answers pings on a connection without streams
  // with GOAWAY "too_many_pings" (its policy has PermitWithoutStream off),
  // and an idle channel is checked when it is next used anyway.
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetMaxReceiveMessageSize(-1);
  // Each client gets its own connections, so one client's failures or
  // credentials never leak into another's.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  if (options.tls && !options.tls->server_name.empty()) {
    args.SetSslTargetNameOverride(options.tls->server_name);
  }
  return args;
}

}  // namespace

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError("etcd client: no endpoints");
  }
  if (options.request_timeout <= Duration::zero() || options.dial_timeout <= Duration::zero() ||
      options.stream_timeout <= Duration::zero()) {
    return absl::InvalidArgumentError("etcd client: timeouts must be positive");
  }
  if (options.username.empty() && !options.password.empty()) {
    return absl::InvalidArgumentError("etcd client: password given without a username");
  }
  std::vector<internal::ParsedEndpoint> endpoints;
  bool any_https = false;
  for (const std::string& endpoint : options.endpoints) {
    absl::StatusOr<internal::ParsedEndpoint> parsed = internal::ParseEndpoint(endpoint);
    if (!parsed.ok()) return parsed.status();
    any_https = any_https || parsed->https;
    endpoints.push_back(*std::move(parsed));
  }
  std::shared_ptr<grpc::ChannelCredentials> tls_credentials;
  if (options.tls || any_https) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        TlsCredentials(options.tls.value_or(TlsConfig{}));
    if (!credentials.ok()) return credentials.status();
    tls_credentials = *std::move(credentials);
  }
  const grpc::ChannelArguments args = ChannelArgs(options);
  std::vector<std::string> addresses;
  std::vector<std::shared_ptr<grpc::ChannelCredentials>> credentials;
  for (const internal::ParsedEndpoint& endpoint : endpoints) {
    const bool use_tls = options.tls.has_value() || endpoint.https;
    addresses.push_back(endpoint.address);
    credentials.push_back(use_tls ? tls_credentials : grpc::InsecureChannelCredentials());
  }
  // Channels are dialled once here, and again for a member whose channel
  // stays down (Cluster::Rebuild).
  auto dial = [addresses, credentials, args](size_t index) {
    return grpc::CreateCustomChannel(addresses[index], credentials[index], args);
  };
  return std::make_unique<internal::GrpcClient>(std::move(options), std::move(addresses),
                                                std::move(dial));
}

}  // namespace registrar::etcd

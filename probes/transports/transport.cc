// The routing table: which transport runs which target's probes.
#include "probes/transports/transport.h"

#include <array>

#include "probes/transports/curl_transport.h"
#include "probes/transports/exec_transport.h"
#include "probes/transports/grpc_probe.h"
#include "probes/transports/socket_probe.h"
#include "probes/transports/tls_socket_probe.h"

namespace registrar::probes {
namespace {

bool DirectSupports(const Target& target, const TransportEnv& env) {
  return env.direct_sockets &&
         SocketProbe::Supports(target, env.resolver != nullptr, env.tls != nullptr);
}

std::unique_ptr<Transport> MakeDirect(const Target& target, TransportEnv& env,
                                      Transport::Done done) {
  return std::make_unique<SocketProbe>(target, env, std::move(done));
}

// First match wins; the last row takes everything.
const std::array<TransportKind, 5> kRoutes = {{
    {"exec", &ExecTransport::Supports, &ExecTransport::Make},
    {"direct", &DirectSupports, &MakeDirect},
    {"grpc", &GrpcProbe::Supports, &GrpcProbe::Make},
    {"tls-direct", &TlsSocketProbe::Supports, &TlsSocketProbe::Make},
    {"curl", &CurlTransport::Supports, &CurlTransport::Make},
}};

}  // namespace

const TransportKind& RouteFor(const Target& target, const TransportEnv& env) {
  for (const auto& route : kRoutes) {
    if (route.supports(target, env)) return route;
  }
  return kRoutes.back();
}

}  // namespace registrar::probes

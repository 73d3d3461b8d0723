// Why a probe failed, as a word from a fixed set, set by the transport that
// saw the failure (a connect's errno, a resolver's answer, libcurl's code, a
// TLS library error, an HTTP status, a gRPC status, a process's exit) and
// never read back from the free-text reason. Metrics label failures with it
// (registrar_probe_failures_total{reason}), so the set is small and fixed: a
// hostile backend cannot grow it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace registrar::probes {

enum class FailureClass : uint8_t {
  kNone,           // the probe passed
  kTimeout,        // the probe's timeout ran out (connect, handshake, answer or command)
  kRefused,        // the connection was refused (nothing listens)
  kHttpStatus,     // an HTTP status outside the expected ranges
  kBody,           // the body did not match (or matched the forbidden) regex
  kTls,            // handshake, verification or certificate validity
  kDns,            // the name did not resolve
  kReset,          // the peer reset or closed the connection mid-probe
  kUnreachable,    // no route to the host or network
  kProtocol,       // not a valid HTTP response: empty, malformed, incomplete, redirect loop
  kGrpcStatus,     // a gRPC call answered other than SERVING (or failed with a status)
  kExec,           // an exec command exited non-zero or was killed
  kLocalResource,  // the prober lacked a resource (fds, ports, memory, processes)
  kOther,          // anything else a transport reports
};

inline constexpr size_t kFailureClassCount = static_cast<size_t>(FailureClass::kOther) + 1;

// The word for each class, in enum order: "none", "timeout", "refused",
// "status", "body", "tls", "dns", "reset", "unreachable", "protocol",
// "grpc_status", "exec", "local_resource", "other". kHttpStatus reads
// "status", the label value it has had in metrics since the first release.
inline constexpr std::array<std::string_view, kFailureClassCount> kFailureClassNames = {
    "none",        "timeout",  "refused",     "status", "body",           "tls",  "dns", "reset",
    "unreachable", "protocol", "grpc_status", "exec",   "local_resource", "other"};

inline constexpr std::string_view FailureClassName(FailureClass c) {
  return kFailureClassNames[static_cast<size_t>(c)];
}

// The class of a socket error (connect, send, recv): refused, reset,
// unreachable, timeout, local_resource (IsLocalError) or other.
FailureClass FailureClassOfErrno(long os_errno);

}  // namespace registrar::probes

// Certificate expiry: the leaf's notAfter and the minCertValidity rule,
// shared by every TLS probe kind (tlsSocket, HTTPS, gRPC with TLS).
//
// The prober exports the leaf's notAfter per target (ProbeResult::
// cert_not_after) and fails a probe whose leaf runs out within
// ProbeSpec::min_cert_validity, so an operator hears of a certificate about
// to expire while the target still answers. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "probes/judge.h"

using X509 = struct x509_st;

namespace registrar::probes {

// The certificate's notAfter; nullopt when it cannot be read.
std::optional<WallTime> NotAfter(const X509* cert);
// The same for the first certificate of a PEM text (what gRPC reports).
std::optional<WallTime> NotAfterOfPem(std::string_view pem);

// The failure reason when a leaf valid until `not_after` is, at `now`, valid
// for less than `min_validity` ("TLS: certificate expires in 2d 3h (at
// 2026-12-03T10:00:00Z), less than minCertValidity 168h"); nullopt when it
// passes. A zero `min_validity` passes everything (verification already
// refuses an expired certificate unless insecureSkipVerify).
std::optional<std::string> ValidityFailure(WallTime not_after, WallTime now, Duration min_validity);

// Records the leaf's `not_after` in `verdict` and turns a passing verdict
// into a failure when the leaf is valid for less than `min_validity` at `now`.
void ApplyCertValidity(Verdict& verdict, std::optional<WallTime> not_after, WallTime now,
                       Duration min_validity);

// "2026-12-03T10:00:00Z".
std::string FormatUtc(WallTime t);

}  // namespace registrar::probes

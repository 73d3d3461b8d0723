// Key and value of one registration, for every value format.
//
// Pure functions of (target, service settings, registrar settings): no I/O,
// no clock. The controller computes the desired state with them; tests read
// the values back with the rules of the real consumers (a plain Get/Watch
// client, Go's etcd endpoints manager, CoreDNS's etcd plugin).
#pragma once

#include <string>

#include "common/clock.h"
#include "controller/registration.h"
#include "probes/spec.h"

namespace registrar::controller {

// Where a healthy target is registered: `<prefix><service>/<host:port>`, or
// for skydns `<skydns_prefix><domain labels reversed>/<service>/<id>`.
std::string RegistrationKey(const probes::Target& target, const ServiceRegistration& service,
                            const RegistrationOptions& options);

// What is written under the key. `registered_at` (json only) is the wall time
// the target was first registered; pass the same value on every reconcile so
// an unchanged target never rewrites its key.
std::string RegistrationValue(const probes::Target& target, const ServiceRegistration& service,
                              WallTime registered_at);

// A stable DNS-label-safe id for a target's address: "127.0.0.1:8080" →
// "127-0-0-1-8080", "[::1]:8080" → "0--1-8080". At most 63 characters.
std::string SkyDnsId(const probes::Target& target);

// The skydns directory of a service: `<skydns_prefix><reversed labels>/<service>/`.
std::string SkyDnsServicePath(const ServiceRegistration& service,
                              const RegistrationOptions& options);

// RFC 3339 UTC with second precision: "2026-01-01T00:00:00Z".
std::string FormatRfc3339(WallTime t);

// The etcd prefix under which keys of `format` live for these options
// (`skydns_prefix` with a trailing '/' for skydns, else `prefix`).
std::string PrefixFor(ValueFormat format, const RegistrationOptions& options);

}  // namespace registrar::controller

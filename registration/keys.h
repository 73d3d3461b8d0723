// Keys and values of one registration, in every layout of its service.
//
// Pure functions of (target, service settings, registrar settings): no I/O,
// no clock. Each layout is rendered from its row in layouts.h. The controller
// computes the desired state with them; tests read the values back with the
// rules of the real consumers (a plain Get/Watch client, Go's etcd endpoints
// manager, CoreDNS's etcd plugin, go-zero, Kratos, go-micro, Kitex, dubbo-go,
// Traefik).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "probes/spec.h"
#include "registration/registration.h"

namespace registrar::controller {

// One key of a registration.
struct LayoutKey {
  ValueFormat format = ValueFormat::kPlain;
  std::string key;
  std::string value;
  bool operator==(const LayoutKey&) const = default;
};

// Every key a healthy target is registered under, one per layout of
// `service.Formats()`, in that order. `registered_at` is the wall time the
// target was first registered (json's registeredAt); pass the same value on
// every reconcile so an unchanged target never rewrites its keys. `lease_id`
// is what ${leaseId} renders.
std::vector<LayoutKey> RegistrationKeys(const probes::Target& target,
                                        const ServiceRegistration& service,
                                        const RegistrationOptions& options, WallTime registered_at,
                                        int64_t lease_id = 0);

// The key and value of the first layout (`service.format`): for plain, json
// and grpc-naming `<prefix><service>/<host:port>`, for skydns
// `<skydns_prefix><domain labels reversed>/<service>/<id>`.
std::string RegistrationKey(const probes::Target& target, const ServiceRegistration& service,
                            const RegistrationOptions& options);
std::string RegistrationValue(const probes::Target& target, const ServiceRegistration& service,
                              WallTime registered_at);

// The registration time that `value` (found under the target's key of
// `format`) was rendered with, when the value is exactly what this target
// renders at that time; so a new owner keeps every value byte-for-byte.
std::optional<WallTime> RegisteredAtOf(const probes::Target& target,
                                       const ServiceRegistration& service,
                                       const RegistrationOptions& options, ValueFormat format,
                                       const std::string& value);

// The directory that holds the keys of `service` in `format`, e.g.
// "/services/web/" or "/skydns/local/cluster/web/".
std::string LayoutDirectory(ValueFormat format, const ServiceRegistration& service,
                            const RegistrationOptions& options);

// Where the keys of `service` live, one prefix per layout: the layout's
// prefix, or the service's directory when that prefix is empty (go-zero's
// default), so the registrar never watches the whole keyspace.
std::vector<std::string> ServiceDirectories(const ServiceRegistration& service,
                                            const RegistrationOptions& options);

// A stable DNS-label-safe id for a target's address: "127.0.0.1:8080" →
// "127-0-0-1-8080", "[::1]:8080" → "0--1-8080". At most 63 characters.
std::string SkyDnsId(const probes::Target& target);

// The skydns directory of a service: `<skydns_prefix><reversed labels>/<service>/`.
std::string SkyDnsServicePath(const ServiceRegistration& service,
                              const RegistrationOptions& options);

// RFC 3339 UTC with second precision: "2026-01-01T00:00:00Z".
std::string FormatRfc3339(WallTime t);

// The etcd prefix under which keys of `format` live for these options
// (LayoutPrefix in layouts.h).
std::string PrefixFor(ValueFormat format, const RegistrationOptions& options);

}  // namespace registrar::controller

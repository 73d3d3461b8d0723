// The probe engine: turns targets with probe specs into health transitions.
//
// One `Prober` runs one event loop thread (one epoll set + a timer heap):
// thousands of probes in flight, and a dead or slow target never delays
// another. Each probe kind runs on one transport behind one interface
// (probes/transports/transport.h, routed by one table): HTTP, HTTPS and TCP probes to IP
// addresses on the loop's own sockets (one send and one recv per kept-alive
// probe; HTTPS with OpenSSL on the same sockets, fresh connections resuming
// the target's last TLS session), host names included (resolved on the loop
// by c-ares, cached for their TTL; a name that does not resolve fails with a
// "dns: …" reason); redirects to follow through libcurl's multi interface on
// the same loop; exec probes as commands run without a shell
// (probes/transports/exec_transport.h); tlsSocket probes (handshake and verification,
// no request) to IP addresses on the loop's own sockets with OpenSSL, to
// names through libcurl; grpc probes (grpc.health.v1.Health/Check: SERVING
// is healthy) as asynchronous calls on one gRPC completion queue drained by
// one extra thread, whatever the number of targets, with one channel per
// target kept across probes. The HTTP paths send the same requests, give the
// same reasons and judge responses the same way.
//
// TLS probes (HTTPS, tlsSocket, grpc with tls) put the leaf certificate's
// notAfter in ProbeResult::cert_not_after whenever the handshake got as far
// as the certificate (also when verification refused it), and fail with
// "TLS: certificate expires in … less than minCertValidity …" when the leaf
// is valid for less than ProbeSpec::min_cert_validity. Each
// target is probed every `period` after `initial_delay` (plus a random phase so
// many targets do not fire together); a probe still running when the next is
// due is not doubled; `timeout` bounds the whole probe.
//
// File descriptors: the process's soft RLIMIT_NOFILE (read at Create; raise it
// to the hard limit first, as cmd/ does) is split into a reserve for the rest
// of the process (a tenth, 64..1024, plus the loop's own: etcd, the admin
// server, config files, logs), probes in flight (at most half the rest, and max_in_flight) and
// connections kept alive between probes (the remainder). Targets beyond the
// keep-alive budget are probed on fresh connections; idle connections unused
// for over twice their period are retired least-recently-used when room is
// needed. A probe that cannot run for lack of a local resource (EMFILE,
// ENFILE, ENOBUFS, EADDRNOTAVAIL, a failed fork) is never the target's
// failure: it is not recorded, it is reported to OnLocalError, logged at most
// once a second, and retried soon (10 ms, doubling up to 1 s) for the same
// planned slot; health changes only on what the target did.
//
// Every result goes through the target's `HealthState`, which applies the
// thresholds and reports a `Transition` only when the health changes. Results
// and transitions are reported to a `ProbeObserver` on the prober thread: an
// observer must be quick and must not call back into the Prober.
//
// Thread-safety: Prober's public methods are thread-safe.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "probes/health_state.h"
#include "probes/spec.h"

namespace registrar::probes {

class ProbeObserver {
 public:
  virtual ~ProbeObserver() = default;
  // After every probe. `schedule_lag` = actual start − planned start.
  virtual void OnResult(const Target& target, const ProbeResult& result, Duration schedule_lag) = 0;
  // When a target's health changes (including unknown → healthy/unhealthy).
  virtual void OnTransition(const Target& target, const Transition& transition) = 0;
  // When a probe of `target` could not run for lack of a local resource
  // (`reason`: "emfile", "enfile", "enobufs", "eaddrnotavail", "fork", …);
  // no result is recorded and the probe is retried.
  virtual void OnLocalError(const Target& /*target*/, const std::string& /*reason*/) {}
};

struct ProberOptions {
  int max_in_flight = 4096;  // probes running at once; more wait their turn
  size_t history_size = 10;  // last N results kept per target
  // Plain-HTTP and TCP probes to IP addresses run on the loop's own sockets
  // (the direct path); off: every probe goes through libcurl.
  bool direct_sockets = true;
  // Exec probes whose commands run at once; more are retried as local errors
  // ("fork") until one ends.
  int max_exec = 16;
  // Host names are resolved on the loop (c-ares, /etc/hosts then DNS) and
  // cached for their records' TTL, but at least this long (names from
  // /etc/hosts and failed lookups: this long).
  Duration dns_min_ttl = std::chrono::seconds(5);
  // DNS servers ("ip:port"); empty: /etc/resolv.conf.
  std::vector<std::string> dns_servers;
  // The open-file limit the budget is split from; 0: the process's soft
  // RLIMIT_NOFILE at Create().
  size_t fd_limit = 0;
};

// What the status page and API show about one target.
struct TargetStatus {
  Target target;
  Health health = Health::kUnknown;
  WallTime since;                  // when `health` began (wall clock)
  std::deque<ProbeResult> recent;  // newest last, at most history_size
  // Time between the starts of the last two probes (zero before the second):
  // the period, or more when a probe took longer than the period (a probe
  // never overlaps itself; the next starts when it ends).
  Duration interval{};
  // Probes that ran past the next one's slot (took longer than the period),
  // so that one started later than the period.
  uint64_t late_probes = 0;
};

class Prober {
 public:
  virtual ~Prober() = default;

  // `clock` and `random` are used on the prober thread only; `observer` may be
  // null. Nothing runs before Start().
  static std::unique_ptr<Prober> Create(Clock& clock, Random& random, ProberOptions options,
                                        ProbeObserver* observer);

  // Replaces the target set (matched by Target::Id()). New targets start
  // probing (after their initial delay and phase), removed ones stop at once
  // (no transition reported), targets whose spec changed keep their health and
  // history and use the new spec from their next probe.
  virtual void SetTargets(std::vector<Target> targets) = 0;

  virtual void Start() = 0;
  // Stops the loop and aborts probes in flight; idempotent.
  virtual void Stop() = 0;

  // A copy of every target's current status, in Target::Id() order.
  virtual std::vector<TargetStatus> Snapshot() const = 0;
};

}  // namespace registrar::probes

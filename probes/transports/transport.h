// Probe transports: how one probe kind runs a probe, behind the one
// interface the prober drives. Module-private (prober.h is the contract).
//
// A Transport belongs to one target and runs at most one probe at a time, on
// the prober's loop thread:
//   Start()   begins a probe. When the probe ends the transport calls its
//             `done` callback (possibly inside Start()); `done` only notes
//             that the probe ended, the prober then calls TakeVerdict().
//   TimeOut() the probe's time is up (the prober arms one deadline per probe,
//             for every kind): it ends as a timeout and `done` is called.
//   Abort()   ends the running probe without a verdict; `done` is not called.
// Nothing happens when TimeOut()/Abort() find no probe running. Destroying a
// transport aborts its probe and releases what it holds (connections,
// processes). A verdict with `local_error` set means the probe could not run
// for lack of a local resource (file descriptors, ports, processes): the
// prober does not record it and retries soon; health changes only on what
// the target did.
//
// Routing is one table (transport.cc): the first row whose `supports`
// accepts a target builds its transport. A new probe kind is one file pair
// (its Transport) and one row; judging an HTTP response is shared
// (judge.h), not tied to any transport.
//
// Connections kept alive between probes count against the prober's
// KeepAliveBudget (keep_alive.h): a transport asks it before keeping one and
// probes on fresh connections when refused.
#pragma once

#include <functional>
#include <memory>

#include "common/clock.h"
#include "probes/judge.h"
#include "probes/spec.h"

namespace registrar::probes {

class EventLoop;
class TrustStores;
class CurlPool;
class KeepAliveBudget;
class ExecRunner;
class Resolver;
class TlsContexts;
class GrpcDriver;
class ReaderPool;

// What the prober lends every transport; all of it outlives the transports.
// Fields may be added (never removed) as kinds need them.
struct TransportEnv {
  EventLoop& loop;
  TrustStores& trust;
  CurlPool& curl;               // pooled libcurl easy handles
  KeepAliveBudget& keep_alive;  // kept-alive connections' share of the fd limit
  Clock& clock;
  bool direct_sockets = true;     // ProberOptions::direct_sockets
  ExecRunner* exec = nullptr;     // null: exec probes are not allowed
  Resolver* resolver = nullptr;   // null: host names go through libcurl
  TlsContexts* tls = nullptr;     // client TLS contexts of the direct TLS path
  GrpcDriver* grpc = nullptr;     // the gRPC calls' completion queue
  ReaderPool* readers = nullptr;  // HTTP response readers for probes in flight; null: own
};

class Transport {
 public:
  using Done = std::function<void()>;
  virtual ~Transport() = default;

  virtual void Start() = 0;
  virtual void TimeOut() = 0;
  virtual void Abort() = 0;
  virtual Verdict TakeVerdict() = 0;
};

// One row of the routing table.
struct TransportKind {
  const char* name;  // "direct", "curl", …: for logs and tests
  bool (*supports)(const Target& target, const TransportEnv& env);
  // `target` and `env` must outlive the transport.
  std::unique_ptr<Transport> (*make)(const Target& target, TransportEnv& env, Transport::Done done);
};

// The row that runs `target`'s probes (the last row accepts every target).
const TransportKind& RouteFor(const Target& target, const TransportEnv& env);

}  // namespace registrar::probes

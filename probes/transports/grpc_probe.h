// The grpc probe kind: grpc.health.v1.Health/Check on the prober's loop.
//
// Thousands of gRPC targets do not mean thousands of threads: every call is
// asynchronous on ONE CompletionQueue that ONE thread (GrpcDriver) drains; it
// hands finished calls back to the prober loop through an eventfd the loop
// watches, so verdicts are made on the loop thread like every other probe's.
// A target keeps its channel (and its HTTP/2 connection) across probes while
// the KeepAliveBudget (keep_alive.h) has room, like a kept-alive HTTP
// connection; refused or retired, the channel is dropped after the probe and
// the next probe opens a fresh one, so gRPC targets beyond the fd budget cost
// connects, never descriptors the process lacks. A call's deadline is the
// probe's timeout.
//
// Verdicts: SERVING is healthy ("SERVING"); NOT_SERVING, SERVICE_UNKNOWN
// and UNKNOWN are unhealthy with that status as the reason; an RPC error is
// unhealthy with "rpc error: <CODE>: <message>" (e.g. UNAVAILABLE; UNIMPLEMENTED: the server
// has no health service); the deadline gives the prober's timeout reason. A
// connect that failed for lack of a local resource (EMFILE, ENFILE, ENOBUFS,
// EADDRNOTAVAIL) is a local error, retried by the prober, not the target's.
// With TLS the verdict carries the leaf certificate's notAfter (the prober
// applies min_cert_validity, as for every TLS kind).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "probes/event_loop.h"
#include "probes/judge.h"
#include "probes/spec.h"
#include "probes/transports/keep_alive.h"
#include "probes/transports/transport.h"

namespace registrar::probes {

struct GrpcCall;  // one Health/Check in flight (grpc_probe.cc)

// The shared CompletionQueue, its thread, and the eventfd back to the loop.
class GrpcDriver final : public FdHandler {
 public:
  explicit GrpcDriver(EventLoop& loop);
  ~GrpcDriver();  // Stop()s
  GrpcDriver(const GrpcDriver&) = delete;
  GrpcDriver& operator=(const GrpcDriver&) = delete;

  // Shuts the queue down once every call was cancelled (every probe
  // destroyed or aborted) and joins the thread; idempotent, loop thread.
  void Stop();
  // Creates the queue, thread and eventfd on first use (loop thread).
  bool Ensure();
  void* queue();  // grpc::CompletionQueue*

  void OnFdEvents(uint32_t events) override;  // delivers finished calls (loop thread)

 private:
  void Drain();  // the queue's thread
  void Deliver(GrpcCall* call);

  EventLoop& loop_;
  struct Queue;
  std::unique_ptr<Queue> queue_;
  std::thread thread_;
  int event_fd_ = -1;
  std::mutex mu_;
  std::vector<GrpcCall*> done_;  // guarded by mu_
};

class GrpcProbe final : public Transport, private KeptConnection {
 public:
  // A grpc probe (whatever the direct path's setting: gRPC has no other).
  static bool Supports(const Target& target, const TransportEnv& env);
  static std::unique_ptr<Transport> Make(const Target& target, TransportEnv& env, Done done);

  // `target` and `env` (with env.grpc set) must outlive it.
  GrpcProbe(const Target& target, TransportEnv& env, Done done);
  ~GrpcProbe() override;  // cancels its call in flight
  GrpcProbe(const GrpcProbe&) = delete;
  GrpcProbe& operator=(const GrpcProbe&) = delete;

  void Start() override;
  void TimeOut() override;
  void Abort() override;
  Verdict TakeVerdict() override { return std::move(verdict_); }

  // Called by GrpcDriver on the loop thread with the finished call.
  void OnFinished(GrpcCall& call);

  struct Channel;  // the target's channel and stub (grpc_probe.cc)

 private:
  void Finish(Verdict verdict);
  void Detach();  // cancels the call in flight; its completion is dropped
  // After a probe: keeps the channel if the budget has room, else drops it.
  void KeepOrDrop();
  void Retire() override;  // the budget takes the idle channel's place back

  const Target& target_;
  TransportEnv& env_;
  GrpcDriver& driver_;
  Done on_done_;
  std::unique_ptr<Channel> channel_;  // built on the first Start()
  GrpcCall* call_ = nullptr;          // in flight; owned by the driver's queue
  Verdict verdict_;
};

}  // namespace registrar::probes

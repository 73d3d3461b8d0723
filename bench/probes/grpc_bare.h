// A bare gRPC health-check loop: the practical floor for "grpc.health.v1
// Health/Check of N targets from one process", what a grpc_health_probe-style
// checker does without a process per check. One channel per target (its own
// connection), every call asynchronous on one CompletionQueue drained by the
// calling thread, one call per target every period at its own random phase.
// The prober's grpc row is compared to it.
#pragma once

#include "bench/probes/figures.h"

namespace registrar::bench {

struct BareGrpcOptions {
  int port = 0;  // the health server on 127.0.0.1
  int targets = 1000;
  double period_s = 1.0;
  double timeout_s = 0.9;
  double warmup_s = 3;
  double measure_s = 10;
};

// Runs warmup + measurement on the calling thread; CPU is the whole
// process's (gRPC's own threads do part of the work).
Figures RunBareGrpc(const BareGrpcOptions& options);

}  // namespace registrar::bench

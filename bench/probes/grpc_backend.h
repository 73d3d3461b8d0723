// Benchmark backend: a grpc++ server with its default health service
// (SERVING), in a child process of its own so its CPU is not the prober's.
#pragma once

#include <sys/types.h>

namespace registrar::bench {

class GrpcBackend final {
 public:
  // Forks the server (call before this process uses gRPC); port 0 on failure.
  GrpcBackend();
  ~GrpcBackend();  // kills the child
  GrpcBackend(const GrpcBackend&) = delete;
  GrpcBackend& operator=(const GrpcBackend&) = delete;

  int port() const { return port_; }
  // The server process's CPU seconds so far (user + system).
  double CpuSeconds() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// This process's CPU seconds (every thread, user + system).
double ProcessCpuSeconds();

}  // namespace registrar::bench

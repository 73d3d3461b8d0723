// Benchmark backends: nginx listening on N distinct loopback addresses
// (127.a.x.y, one `listen` each, all of 127/8 routes to lo; one nginx per
// kPerNginx addresses), the first `https_targets` of them also with TLS on
// tls_port() (a self-signed ECDSA P-256 certificate for "localhost", made by
// `openssl req`; TLS 1.3 session tickets on), and optionally
// blackbox_exporter, both started from generated configs in a temp dir.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace registrar::bench {

class Backends final {
 public:
  static absl::StatusOr<std::unique_ptr<Backends>> Start(int targets, bool blackbox,
                                                         int https_targets = 0);

  int port() const { return port_; }
  int tls_port() const { return tls_port_; }
  // The TLS certificate (PEM; it is its own CA) and key; names "localhost".
  std::string CertFile() const { return dir_.File("tls.pem"); }
  std::string KeyFile() const { return dir_.File("tls.key"); }
  static constexpr int kPerNginx = 6000;
  // The i-th target address, "127.a.x.y" (a = 1 below 62 500 targets).
  static std::string Address(int i);
  std::string Url(int i) const;
  // blackbox_exporter's /probe URL for the i-th target.
  std::string BlackboxProbeUrl(int i) const;
  // blackbox_exporter's /probe URL for a gRPC health check of 127.0.0.1:`port`
  // (its grpc module: a fresh connection per probe).
  std::string BlackboxGrpcProbeUrl(int port) const;
  // blackbox_exporter's user+system CPU seconds so far, and its RSS.
  double BlackboxCpuSeconds() const;
  double BlackboxRssMb() const;

 private:
  Backends() = default;

  registrar::testing::TempDir dir_;
  int port_ = 0;
  int tls_port_ = 0;
  int blackbox_port_ = 0;
  std::vector<std::unique_ptr<registrar::testing::Process>> nginx_;
  std::unique_ptr<registrar::testing::Process> blackbox_;
};

}  // namespace registrar::bench

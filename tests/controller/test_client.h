// The test's own client of its real etcd, with a short request timeout so a
// test that etcd stops answering fails in seconds, not minutes.
#pragma once

#include <chrono>
#include <memory>

#include "absl/status/statusor.h"
#include "etcd/client.h"
#include "tests/support/etcd_server.h"

namespace registrar::testing {

inline absl::StatusOr<std::unique_ptr<etcd::Client>> ConnectTestClient(
    const EtcdServer& etcd, Duration request_timeout = std::chrono::seconds(2)) {
  etcd::ClientOptions options;
  options.endpoints = {etcd.endpoint()};
  options.request_timeout = request_timeout;
  return etcd::Client::Create(options);
}

}  // namespace registrar::testing
